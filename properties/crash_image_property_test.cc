// Properties of SimVfs crash images (sim_vfs.h, rules D1-D5 and C1-C6).
//
// Each property runs a generated workload on a SimVfs (the same command
// language as the differential test, plus CRASH points) and checks the crash
// images taken at every CRASH point and at the end:
//   - DurableDataSurvivesAndNothingIsInvented: a file whose data was synced
//     after its last change, and whose entry (and every directory entry on
//     its path) was made durable by a directory sync after its last change,
//     is in every image byte for byte (a durable entry alone: the name is
//     there; a durable removal: the name is not); no image holds a byte that
//     no write put at that offset (except zeros, and garbage tears), nor a
//     name the workload never made.
//   - SpecTextRoundTripsAndRecreatesSameImage
//   - StrictEqualsEmptyPrefixAndEmptySubset
//   - EnumeratedImagesAreDistinct
//   - EnumerationCoversEveryDistinctImage (small instants, by brute force)
//   - TakingImagesLeavesCrashedVfsUnchanged
//   - WholePrefixEqualsLiveTree
#include <algorithm>
#include <array>
#include <bitset>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "properties/vfs_commands.h"
#include "vfs/crash_image.h"
#include "vfs/sim_vfs.h"

namespace walcrash::vfs::prop {
namespace {

constexpr std::array<PersistenceModel, 3> kModels = {PersistenceModel::kStrict, PersistenceModel::kPrefix,
                                                     PersistenceModel::kSubset};

// Workloads for crash tests: half of them the full command mix, half only
// creates, entry operations and barriers (where the durability of the
// namespace gets subtle, and which the full mix reaches too rarely).
rc::Gen<Program> CrashProgramGen() {
  Limits full;
  full.crash_points = true;
  full.max_commands = 100;
  Limits names = full;
  names.namespace_only = true;
  return rc::gen::oneOf(ProgramGen(full), ProgramGen(names));
}

// GCC 12 at -O2 wrongly warns (-Wmaybe-uninitialized) about the
// initializer_list behind CrashEnumerationOptions::tear_fills wherever the
// default constructor is inlined; build the options in one place, out of line.
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
[[gnu::noinline]] CrashEnumerationOptions Enumeration(PersistenceModel model, size_t max_images) {
  CrashEnumerationOptions o;
  o.model = model;
  o.max_images = max_images;
  return o;
}
#pragma GCC diagnostic pop

std::string PendingText(const SimVfs& sim) {
  std::string out;
  for (const PendingOperation& op : sim.PendingOperations()) out += "\n      " + op.ToString();
  return out.empty() ? " (none)" : out;
}

std::string Where(size_t index, const Program& program) {
  return index < program.commands.size() ? fmt::format("at CRASH #{}", index) : std::string("at the end");
}

bool HasGarbageTear(const CrashImageSpec& spec) {
  for (const Survivor& s : spec.survivors) {
    if (s.mode == Survivor::Mode::kTornWrite && s.fill == TearFill::kGarbage) return true;
  }
  return false;
}

TreeValue MustWalk(Vfs& vfs, const std::string& root, std::string_view what) {
  auto tree = WalkTree(vfs, root);
  if (!tree.ok()) RC_FAIL(fmt::format("walking {}: {}", what, tree.error().ToString()));
  return std::move(tree).value();
}

std::unique_ptr<SimVfs> MustImage(const SimVfs& sim, const CrashImageSpec& spec) {
  auto image = sim.CrashImage(spec);
  if (!image.ok()) RC_FAIL(fmt::format("CrashImage('{}'): {}", spec.ToString(), image.error().ToString()));
  return std::move(image).value();
}

// Every image the properties look at for one instant: the enumerated ones
// under each model (bounded), and some sampled ones. Specs only: the visitor
// of ForEachCrashImage runs under the SimVfs mutex, so it must not call back
// into the SimVfs (CrashImage there would deadlock).
std::vector<std::pair<PersistenceModel, CrashImageSpec>> ImagesToCheck(const SimVfs& sim, size_t per_model,
                                                                       uint64_t seed, size_t samples) {
  std::vector<std::pair<PersistenceModel, CrashImageSpec>> out;
  for (PersistenceModel m : kModels) {
    sim.ForEachCrashImage(Enumeration(m, per_model), [&](const CrashImageSpec& spec) {
      out.emplace_back(m, spec);
      return true;
    });
    if (m == PersistenceModel::kStrict) continue;
    for (uint64_t k = 0; k < samples; ++k) out.emplace_back(m, sim.SampleCrashImage(Enumeration(m, per_model), seed + k));
  }
  return out;
}

// Runs `program` on a SimVfs rooted at "/": `run(sim, runner, index, command)`
// runs each ordinary command, and `check(sim, runner, index, seed)` is called
// at every CRASH command (index = its position) and once at the end (index =
// program size).
template <typename Check, typename Run>
void RunWithCheckpoints(const Program& program, Check&& check, Run&& run) {
  SimVfs sim;
  Runner runner(sim, "/");  // after `sim`: destroyed first, with its handles
  for (size_t i = 0; i < program.commands.size(); ++i) {
    const Command& c = program.commands[i];
    if (c.op == Op::kCrash) {
      check(sim, runner, i, c.seed);
    } else {
      run(sim, runner, i, c);
    }
  }
  check(sim, runner, program.commands.size(), uint64_t{7});
}

template <typename Check>
void RunWithCheckpoints(const Program& program, Check&& check) {
  RunWithCheckpoints(program, std::forward<Check>(check),
                     [](SimVfs&, Runner& runner, size_t, const Command& c) { (void)runner.Run(c); });
}

// ---------------------------------------------------------------------------
// What the test knows is durable (a strict under-approximation of D1-D3).
//
// Inodes get model ids (root directory: 0). A file's data is durable when a
// File::Sync/DataSync succeeded after its last data change (through any
// handle; every attempted change counts, failed ones too). A directory entry
// (dir, name) is durable when that directory was synced after the last entry
// operation that touched the name. When every entry on a live path is
// durable, no pending operation can touch it, so every crash image holds the
// path, with the same kind; a file whose data is durable too holds what the
// process sees now, byte for byte. A name whose last entry operation (a
// removal) is durable, in a directory whose path is durable, is in no image.
class DurabilityModel {
 public:
  struct Entry {
    FileKind kind;
    uint64_t id;
  };

  // Called before the command runs (it may look at the live handles).
  void Before(const Command& c, Runner& runner) {
    ++tick_;
    rel_ = std::string(kPaths[c.path]);
    existed_ = tree_.count(rel_) != 0;
    File* f = c.op == Op::kCrash ? nullptr : runner.slot(c.slot);
    if (f == nullptr) return;
    if (c.op == Op::kWriteAt) Record(c.offset, Content(c.seed, c.length));
    if (c.op == Op::kAppend) {
      auto size = f->Size();  // an Append that can store data sees the same size
      if (size.ok()) Record(*size, Content(c.seed, c.length));
    }
  }

  // Called after the command ran with `outcome`.
  void After(const Command& c, const Outcome& outcome, Runner& runner) {
    const bool ok = outcome.code == Code::kOk;
    const bool has_handle = c.op != Op::kCrash && runner.slot(c.slot) != nullptr;
    switch (c.op) {
      case Op::kOpen:
        if (!ok) return;
        if (!existed_) {
          uint64_t id = next_id_++;
          tree_[rel_] = {FileKind::kRegular, id};
          EntryOp(rel_, false);
        } else if (c.flags & kTruncate) {
          Bump(tree_.at(rel_).id);
        }
        slot_id_[c.slot] = tree_.at(rel_).id;
        return;
      case Op::kWriteAt: case Op::kAppend: case Op::kTruncate: case Op::kPreallocate:
        if (has_handle) Bump(slot_id_[c.slot]);
        return;
      case Op::kSync: case Op::kDataSync:
        if (has_handle && ok) synced_[slot_id_[c.slot]] = version_[slot_id_[c.slot]];
        return;
      case Op::kRename: {
        if (!ok || c.path == c.path2) return;
        std::string to(kPaths[c.path2]);
        EntryOp(rel_, true);
        EntryOp(to, false);
        std::map<std::string, Entry> moved;
        for (auto it = tree_.begin(); it != tree_.end();) {
          if (Within(it->first, rel_)) {
            moved.emplace(to + it->first.substr(rel_.size()), it->second);
            it = tree_.erase(it);
          } else if (Within(it->first, to)) {
            it = tree_.erase(it);  // the replaced file or empty directory
          } else {
            ++it;
          }
        }
        tree_.insert(moved.begin(), moved.end());
        return;
      }
      case Op::kUnlink: case Op::kRmdir:
        if (!ok) return;
        EntryOp(rel_, true);
        tree_.erase(rel_);
        return;
      case Op::kMkdir:
        if (!ok) return;
        tree_[rel_] = {FileKind::kDirectory, next_id_++};
        EntryOp(rel_, false);
        return;
      case Op::kDirSync: {
        if (!ok) return;
        std::string dir(kDirTargets[c.path]);
        dir_synced_[dir.empty() ? 0 : tree_.at(dir).id] = tick_;
        return;
      }
      default:
        return;
    }
  }

  // What every crash image of this instant must show, by relative path.
  struct Expectation {
    enum class What : unsigned char { kAbsent, kDirectory, kFile, kFileWithContents } what;
    std::string contents;  // kFileWithContents
  };
  std::map<std::string, Expectation> Expectations(SimVfs& sim) const {
    using What = Expectation::What;
    std::map<std::string, Expectation> out;
    // Present: every entry on the path is durable (and, for exact contents,
    // the file's data is synced after its last change).
    for (const auto& [rel, e] : tree_) {
      if (!ChainDurable(rel)) continue;
      if (e.kind == FileKind::kDirectory) {
        out.emplace(rel, Expectation{What::kDirectory, ""});
      } else if (Version(version_, e.id) != Version(synced_, e.id)) {
        out.emplace(rel, Expectation{What::kFile, ""});
      } else {
        auto contents = ReadWholeFile(sim, "/" + rel);
        if (!contents.ok()) RC_FAIL(fmt::format("reading live '{}': {}", rel, contents.error().ToString()));
        out.emplace(rel, Expectation{What::kFileWithContents, std::move(contents).value()});
      }
    }
    // Absent: the last entry operation on the name removed it, and was made
    // durable, in a directory whose own path is durable.
    for (const auto& entry : last_entry_op_) {
      const auto& key = entry.first;  // a plain reference: lambdas may capture it (clang 14)
      if (!removed_.at(key) || !Durable(key)) continue;
      std::string dir;
      if (key.first != 0) {
        auto it = std::find_if(tree_.begin(), tree_.end(), [&](const auto& kv) { return kv.second.id == key.first; });
        if (it == tree_.end() || !ChainDurable(it->first)) continue;
        dir = it->first + "/";
      }
      out.emplace(dir + key.second, Expectation{What::kAbsent, ""});
    }
    return out;
  }

  // The model's tree must be the live one (names and kinds).
  void CheckAgainstLive(SimVfs& sim, size_t index, const Command& c) const {
    TreeValue live = MustWalk(sim, "/", "the live tree");
    std::map<std::string, FileKind> want, got;
    for (const auto& [rel, e] : tree_) want.emplace(rel, e.kind);
    for (const auto& [rel, n] : live) got.emplace(rel, n.kind);
    if (want != got) {
      RC_FAIL(fmt::format("test model out of step after #{} {}; live tree:{}", index, Describe(c), ShowTree(live)));
    }
  }

  // Names (basename, kind) that were ever live.
  void NoteNames() {
    for (const auto& [rel, e] : tree_) seen_names_.emplace(std::string(BaseName(rel)), e.kind);
  }
  bool SeenName(const std::string& rel, FileKind kind) const {
    return seen_names_.count({std::string(BaseName(rel)), kind}) != 0;
  }

  // Whether some write put byte `b` at `offset` (in any file).
  bool Written(uint64_t offset, unsigned char b) const {
    return offset < written_.size() && written_[static_cast<size_t>(offset)].test(b);
  }

 private:
  static bool Within(const std::string& path, const std::string& base) {
    return path == base || (path.size() > base.size() && path.starts_with(base) && path[base.size()] == '/');
  }
  static uint64_t Version(const std::map<uint64_t, uint64_t>& m, uint64_t id) {
    auto it = m.find(id);
    return it == m.end() ? 0 : it->second;
  }
  std::pair<uint64_t, std::string> Key(const std::string& rel) const {
    std::string parent(ParentPath(rel));
    auto it = tree_.find(parent);
    return {parent.empty() ? 0 : (it == tree_.end() ? ~uint64_t{0} : it->second.id), std::string(BaseName(rel))};
  }
  void EntryOp(const std::string& rel, bool removal) {
    auto key = Key(rel);
    last_entry_op_[key] = tick_;
    removed_[key] = removal;
  }
  bool Durable(const std::pair<uint64_t, std::string>& key) const {
    auto op = last_entry_op_.find(key);
    auto sync = dir_synced_.find(key.first);
    return op != last_entry_op_.end() && sync != dir_synced_.end() && sync->second > op->second;
  }
  // Every entry on the path of `rel` (a live path) is durable.
  bool ChainDurable(const std::string& rel) const {
    for (size_t slash = rel.find('/');; slash = rel.find('/', slash + 1)) {
      if (!Durable(Key(rel.substr(0, slash)))) return false;
      if (slash == std::string::npos) return true;
    }
  }
  void Bump(uint64_t id) { ++version_[id]; }
  void Record(uint64_t offset, const std::string& data) {
    if (written_.size() < offset + data.size()) written_.resize(static_cast<size_t>(offset + data.size()));
    for (size_t i = 0; i < data.size(); ++i) {
      written_[static_cast<size_t>(offset) + i].set(static_cast<unsigned char>(data[i]));
    }
  }

  uint64_t tick_ = 0;
  uint64_t next_id_ = 1;
  std::string rel_;
  bool existed_ = false;
  std::map<std::string, Entry> tree_;                         // relative path -> inode
  std::array<uint64_t, kSlots> slot_id_{};                    // inode of each slot's handle
  std::map<uint64_t, uint64_t> version_, synced_;             // data changes / version last synced
  std::map<std::pair<uint64_t, std::string>, uint64_t> last_entry_op_;  // (dir, name) -> tick
  std::map<std::pair<uint64_t, std::string>, bool> removed_;  // (dir, name) -> its last op removed it
  std::map<uint64_t, uint64_t> dir_synced_;                   // dir -> tick of its last sync
  std::set<std::pair<std::string, FileKind>> seen_names_;
  std::vector<std::bitset<256>> written_;                     // offset -> bytes written there
};

WALCRASH_PROP(CrashImage, DurableDataSurvivesAndNothingIsInvented, 2500) {
  const Program program = *CrashProgramGen();
  DurabilityModel model;

  auto run = [&](SimVfs& sim, Runner& runner, size_t i, const Command& c) {
    model.Before(c, runner);
    Outcome o = runner.Run(c);
    model.After(c, o, runner);
    model.CheckAgainstLive(sim, i, c);
    model.NoteNames();
  };
  auto check = [&](SimVfs& sim, Runner&, size_t index, uint64_t seed) {
    using What = DurabilityModel::Expectation::What;
    const auto expectations = model.Expectations(sim);
    for (const auto& image_to_check : ImagesToCheck(sim, 24, seed, 4)) {
      const auto& model_name = image_to_check.first;  // plain references: captured below (clang 14)
      const auto& spec = image_to_check.second;
      std::unique_ptr<SimVfs> image = MustImage(sim, spec);
      TreeValue tree = MustWalk(*image, "/", "an image");
      auto context = [&] {
        return fmt::format("{} image '{}' taken {}\n    image tree:{}\n    pending:{}",
                           PersistenceModelName(model_name), spec.ToString(), Where(index, program), ShowTree(tree),
                           PendingText(sim));
      };
      for (const auto& [rel, want] : expectations) {
        auto it = tree.find(rel);
        const bool found = it != tree.end();
        switch (want.what) {
          case What::kAbsent:
            if (found) RC_FAIL(fmt::format("'{}' was removed durably, yet it is in the {}", rel, context()));
            break;
          case What::kDirectory:
            if (!found || it->second.kind != FileKind::kDirectory) {
              RC_FAIL(fmt::format("durable directory '{}' is {} in the {}", rel, found ? "not a directory" : "missing",
                                  context()));
            }
            break;
          case What::kFile:
            if (!found || it->second.kind != FileKind::kRegular) {
              RC_FAIL(fmt::format("file '{}' (durable entry) is {} in the {}", rel, found ? "not a file" : "missing",
                                  context()));
            }
            break;
          case What::kFileWithContents:
            if (!found || it->second.kind != FileKind::kRegular || it->second.contents != want.contents) {
              RC_FAIL(fmt::format("durable file '{}' ({} bytes, hash {}) is {} in the {}", rel, want.contents.size(),
                                  Hash(want.contents), found ? "different" : "missing", context()));
            }
            break;
        }
      }
      const bool garbage = HasGarbageTear(spec);
      for (const auto& [rel, node] : tree) {
        if (!model.SeenName(rel, node.kind)) {
          RC_FAIL(fmt::format("'{}' ({}) was never a live name, in the {}", rel, FileKindName(node.kind), context()));
        }
        if (node.kind != FileKind::kRegular) continue;
        if (node.size != node.contents.size()) {
          RC_FAIL(fmt::format("'{}' stats {} bytes but reads {}, in the {}", rel, node.size, node.contents.size(),
                              context()));
        }
        if (garbage) continue;
        for (size_t off = 0; off < node.contents.size(); ++off) {
          auto b = static_cast<unsigned char>(node.contents[off]);
          if (b != 0 && !model.Written(off, b)) {
            RC_FAIL(fmt::format("'{}' holds byte {:#04x} at offset {}, which no write put there, in the {}", rel,
                                b, off, context()));
          }
        }
      }
    }
  };
  RunWithCheckpoints(program, check, run);
}

WALCRASH_PROP(CrashImage, SpecTextRoundTripsAndRecreatesSameImage, 1500) {
  const Program program = *CrashProgramGen();
  RunWithCheckpoints(program, [&](SimVfs& sim, Runner&, size_t index, uint64_t seed) {
    for (const auto& [model_name, spec] : ImagesToCheck(sim, 16, seed, 4)) {
      const std::string text = spec.ToString();
      auto parsed = CrashImageSpec::Parse(text);
      if (!parsed.ok() || !(*parsed == spec)) {
        RC_FAIL(fmt::format("{}: spec '{}' does not parse back to itself ({})", Where(index, program), text,
                            parsed.ok() ? "parsed to '" + parsed->ToString() + "'" : parsed.error().ToString()));
      }
      auto fp = sim.CrashImageFingerprint(spec);
      auto fp_parsed = sim.CrashImageFingerprint(*parsed);
      RC_ASSERT(fp.ok());
      RC_ASSERT(fp_parsed.ok());
      RC_ASSERT(*fp == *fp_parsed);
      std::unique_ptr<SimVfs> first = MustImage(sim, spec);
      std::unique_ptr<SimVfs> second = MustImage(sim, *parsed);
      // The image's own durable state is the image: its strict image prints the same.
      auto own = first->CrashImageFingerprint(CrashImageSpec{});
      RC_ASSERT(own.ok());
      if (*own != *fp) {
        RC_FAIL(fmt::format("{}: the image of '{}' fingerprints {:#x}, its spec {:#x}", Where(index, program), text,
                            *own, *fp));
      }
      if (!first->PendingOperations().empty()) {
        RC_FAIL(fmt::format("{}: the image of '{}' has pending operations:{}", Where(index, program), text,
                            PendingText(*first)));
      }
      TreeValue a = MustWalk(*first, "/", "the first image");
      TreeValue b = MustWalk(*second, "/", "the second image");
      std::string diff = TreeDiff(a, b, "first", "second");
      if (!diff.empty()) {
        RC_FAIL(fmt::format("{}: {} image '{}' taken twice differs: {}", Where(index, program),
                            PersistenceModelName(model_name), text, diff));
      }
    }
  });
}

WALCRASH_PROP(CrashImage, StrictEqualsEmptyPrefixAndEmptySubset, 2000) {
  const Program program = *CrashProgramGen();
  RunWithCheckpoints(program, [&](SimVfs& sim, Runner&, size_t index, uint64_t seed) {
    std::vector<CrashImageSpec> strict = sim.EnumerateCrashImages(Enumeration(PersistenceModel::kStrict, 1000));
    std::vector<CrashImageSpec> prefix = sim.EnumerateCrashImages(Enumeration(PersistenceModel::kPrefix, 1));
    std::vector<CrashImageSpec> subset = sim.EnumerateCrashImages(Enumeration(PersistenceModel::kSubset, 1));
    RC_ASSERT(strict.size() == 1u);
    RC_ASSERT(prefix.size() == 1u);
    RC_ASSERT(subset.size() == 1u);
    RC_ASSERT(strict[0].ToString() == std::string("none"));
    RC_ASSERT(prefix[0] == strict[0]);
    RC_ASSERT(subset[0] == strict[0]);
    RC_ASSERT(sim.SampleCrashImage(Enumeration(PersistenceModel::kStrict, 1), seed) == strict[0]);

    // The empty prefix and the empty subset, spelled out, give the strict tree.
    std::unique_ptr<SimVfs> strict_image = MustImage(sim, strict[0]);
    TreeValue strict_tree = MustWalk(*strict_image, "/", "the strict image");
    for (const CrashImageSpec& spec : {prefix[0], subset[0], CrashImageSpec::Parse("none").value()}) {
      TreeValue tree = MustWalk(*MustImage(sim, spec), "/", "an empty image");
      std::string diff = TreeDiff(strict_tree, tree, "strict", "empty prefix/subset");
      if (!diff.empty()) RC_FAIL(fmt::format("{}: {}", Where(index, program), diff));
    }
    // With nothing pending, the strict image is the live tree.
    if (sim.PendingOperations().empty()) {
      TreeValue live = MustWalk(sim, "/", "the live tree");
      std::string diff = TreeDiff(live, strict_tree, "live", "strict image");
      if (!diff.empty()) RC_FAIL(fmt::format("{}: nothing pending, yet {}", Where(index, program), diff));
    }
    // A crash of an image right away gives the image back.
    auto again = strict_image->CrashImage(CrashImageSpec{});
    RC_ASSERT(again.ok());
    std::string diff = TreeDiff(strict_tree, MustWalk(**again, "/", "the image's image"), "image", "its image");
    if (!diff.empty()) RC_FAIL(fmt::format("{}: {}", Where(index, program), diff));
  });
}

WALCRASH_PROP(CrashImage, EnumeratedImagesAreDistinct, 1500) {
  const Program program = *CrashProgramGen();
  RunWithCheckpoints(program, [&](SimVfs& sim, Runner&, size_t index, uint64_t) {
    for (PersistenceModel m : kModels) {
      constexpr size_t kMax = 40;
      std::vector<CrashImageSpec> specs = sim.EnumerateCrashImages(Enumeration(m, kMax));
      RC_ASSERT(!specs.empty());
      RC_ASSERT(specs.size() <= kMax);
      std::vector<TreeValue> trees;
      std::vector<uint64_t> prints;
      for (const CrashImageSpec& spec : specs) {
        trees.push_back(MustWalk(*MustImage(sim, spec), "/", "an image"));
        auto fp = sim.CrashImageFingerprint(spec);
        RC_ASSERT(fp.ok());
        prints.push_back(*fp);
      }
      for (size_t i = 0; i < specs.size(); ++i) {
        for (size_t j = i + 1; j < specs.size(); ++j) {
          if (trees[i] == trees[j] || prints[i] == prints[j]) {
            RC_FAIL(fmt::format("{}, {}: images '{}' and '{}' are the same ({}){}\n    pending:{}",
                                Where(index, program), PersistenceModelName(m), specs[i].ToString(),
                                specs[j].ToString(),
                                trees[i] == trees[j] ? "equal trees" : "equal fingerprints, different trees",
                                ShowTree(trees[i]), PendingText(sim)));
          }
        }
      }
    }
  });
}

// Unbounded enumeration misses no image: with at most kMaxPending pending
// operations, the distinct trees ForEachCrashImage visits (tears of writes
// off, torn renames on) are exactly the distinct trees of every prefix /
// every subset, each with at most one rename left as its link step.
WALCRASH_PROP(CrashImage, EnumerationCoversEveryDistinctImage, 2500) {
  constexpr size_t kMaxPending = 7;
  const Program program = *CrashProgramGen();
  RunWithCheckpoints(program, [&](SimVfs& sim, Runner&, size_t index, uint64_t) {
    const std::vector<PendingOperation> pending = sim.PendingOperations();
    if (pending.size() > kMaxPending) return;
    for (PersistenceModel m : {PersistenceModel::kPrefix, PersistenceModel::kSubset}) {
      CrashEnumerationOptions o = Enumeration(m, 1u << 20);
      o.tear_writes = false;
      std::map<TreeValue, std::string> enumerated, all;
      // (Not from inside ForEachCrashImage's visitor: it runs under the
      // SimVfs mutex, so calling CrashImage there deadlocks.)
      for (const CrashImageSpec& spec : sim.EnumerateCrashImages(o)) {
        enumerated.emplace(MustWalk(*MustImage(sim, spec), "/", "an image"), spec.ToString());
      }
      auto add = [&](const CrashImageSpec& spec) {
        auto image = sim.CrashImage(spec);
        if (!image.ok()) return;  // a link step of a directory rename: not an image
        all.emplace(MustWalk(**image, "/", "an image"), spec.ToString());
      };
      const size_t n = pending.size();
      for (uint32_t mask = 0; mask < (1u << n); ++mask) {
        if (m == PersistenceModel::kPrefix && (mask & (mask + 1)) != 0) continue;  // not a prefix
        CrashImageSpec spec;
        for (size_t i = 0; i < n; ++i) {
          if (mask & (1u << i)) spec.survivors.push_back(Survivor{pending[i].seq, Survivor::Mode::kWhole, 0, 0, TearFill::kZeros, 0});
        }
        add(spec);
        for (size_t j = 0; j < spec.survivors.size(); ++j) {
          if (m == PersistenceModel::kPrefix && j + 1 != spec.survivors.size()) continue;  // only the cut one
          const PendingOperation& op = pending[static_cast<size_t>(
              std::find_if(pending.begin(), pending.end(), [&](const PendingOperation& p) { return p.seq == spec.survivors[j].seq; }) -
              pending.begin())];
          if (op.op != OpKind::kRename) continue;
          CrashImageSpec linked = spec;
          linked.survivors[j].mode = Survivor::Mode::kRenameLink;
          add(linked);
        }
      }
      for (const auto& [tree, spec_text] : all) {
        if (!enumerated.count(tree)) {
          std::string visited;
          for (const auto& [t, text] : enumerated) visited += "\n      '" + text + "'";
          RC_FAIL(fmt::format("{}, {}: ForEachCrashImage never visits the image of '{}':{}\n    visited:{}\n    pending:{}",
                              Where(index, program), PersistenceModelName(m), spec_text, ShowTree(tree), visited,
                              PendingText(sim)));
        }
      }
    }
  });
}

WALCRASH_PROP(CrashImage, TakingImagesLeavesCrashedVfsUnchanged, 1500) {
  const Program program = *CrashProgramGen();
  RunWithCheckpoints(program, [&](SimVfs& sim, Runner&, size_t index, uint64_t seed) {
    auto pending_strings = [&] {
      std::vector<std::string> out;
      for (const PendingOperation& op : sim.PendingOperations()) out.push_back(op.ToString());
      return out;
    };
    const TreeValue live_before = MustWalk(sim, "/", "the live tree");
    const std::vector<std::string> pending_before = pending_strings();
    const uint64_t used_before = sim.used_bytes();
    const size_t trace_before = sim.TraceEntries().size();
    auto strict_before = sim.CrashImageFingerprint(CrashImageSpec{});
    RC_ASSERT(strict_before.ok());

    for (const auto& [model_name, spec] : ImagesToCheck(sim, 16, seed, 2)) {
      std::unique_ptr<SimVfs> image = MustImage(sim, spec);
      // Recovery runs on the image: change every file in it, and its tree.
      TreeValue tree = MustWalk(*image, "/", "an image");
      for (const auto& [rel, node] : tree) {
        if (node.kind != FileKind::kRegular) continue;
        auto f = image->Open("/" + rel, kRead | kWrite);
        RC_ASSERT(f.ok());
        std::string junk = Content(seed, 700);
        RC_ASSERT((*f)->WriteAt(100, AsBytes(junk)).ok());
        RC_ASSERT((*f)->Sync().ok());
        RC_ASSERT((*f)->Truncate(node.contents.size() / 2).ok());
        RC_ASSERT((*f)->Close().ok());
      }
      RC_ASSERT(WriteWholeFile(*image, "/recovered", "recovery was here").ok());
      RC_ASSERT(image->RemoveAll("/d").ok());
      std::string what = fmt::format("{} image '{}'", PersistenceModelName(model_name), spec.ToString());
      if (pending_strings() != pending_before) {
        RC_FAIL(fmt::format("{}: taking {} changed the pending operations: now{}", Where(index, program), what,
                            PendingText(sim)));
      }
      RC_ASSERT(sim.used_bytes() == used_before);
      RC_ASSERT(sim.TraceEntries().size() == trace_before);
      auto strict_now = sim.CrashImageFingerprint(CrashImageSpec{});
      RC_ASSERT(strict_now.ok());
      if (*strict_now != *strict_before) {
        RC_FAIL(fmt::format("{}: taking and changing {} changed the durable state", Where(index, program), what));
      }
    }
    TreeValue live_after = MustWalk(sim, "/", "the live tree");
    std::string diff = TreeDiff(live_before, live_after, "before", "after");
    if (!diff.empty()) RC_FAIL(fmt::format("{}: taking images changed the live tree: {}", Where(index, program), diff));
  });
}

WALCRASH_PROP(CrashImage, WholePrefixEqualsLiveTree, 20000) {
  const Program program = *CrashProgramGen();
  RunWithCheckpoints(program, [&](SimVfs& sim, Runner&, size_t index, uint64_t) {
    CrashImageSpec all;
    for (const PendingOperation& op : sim.PendingOperations()) {
      all.survivors.push_back(Survivor{op.seq, Survivor::Mode::kWhole, 0, 0, TearFill::kZeros, 0});
    }
    std::unique_ptr<SimVfs> image = MustImage(sim, all);
    TreeValue live = MustWalk(sim, "/", "the live tree");
    TreeValue tree = MustWalk(*image, "/", "the whole-prefix image");
    std::string diff = TreeDiff(live, tree, "live", "image");
    if (!diff.empty()) {
      RC_FAIL(fmt::format("{}: the image with every pending operation whole is not the live tree: {}"
                          "\n    live tree:{}\n    image tree:{}\n    pending:{}",
                          Where(index, program), diff, ShowTree(live), ShowTree(tree), PendingText(sim)));
    }
  });
}

}  // namespace
}  // namespace walcrash::vfs::prop
