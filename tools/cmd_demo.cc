// walcrash vfs-demo: a small etcd-like segment cut on a SimVfs, with etcd
// #6368's bug on purpose (the temporary segment is synced and renamed to its
// final name, but the directory is not fsynced after the rename), and the
// crash images of its end under each persistence model.
//
//   walcrash vfs-demo [--model strict|prefix|subset|all] [--max-images N]
//                     [--sector-size BYTES] [--faults FILE_OR_TEXT]

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tools/commands.h"
#include "vfs/crash_image.h"
#include "vfs/fault_plan.h"
#include "vfs/sim_vfs.h"
#include "vfs/vfs.h"

namespace walcrash::cli {
namespace {

using vfs::CrashImageSpec;
using vfs::PersistenceModel;
using vfs::SimVfs;

constexpr std::string_view kWalDir = "/wal";
constexpr std::string_view kTmpName = "0.tmp";
constexpr std::string_view kSegmentName = "0000000000000000-0000000000000000.wal";

struct DemoOptions {
  std::string model = "all";
  size_t max_images = 50;
  uint32_t sector_size = 512;
  std::string faults;  // a file name or rule text; empty = no faults
};

// --faults takes a file when one exists at that path, else rule text in which
// ';' also separates rules (so several fit on one command line).
Result<vfs::FaultPlan> LoadFaultPlan(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    std::ifstream in(arg);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return Status::FromErrno(EIO, arg, "read fault plan");
    auto plan = vfs::FaultPlan::Parse(text.str());
    if (!plan.ok()) return plan.error().Annotate(arg);
    return plan;
  }
  std::string text = arg;
  for (char& c : text) {
    if (c == ';') c = '\n';
  }
  return vfs::FaultPlan::Parse(text);
}

// Fills `text` into lines of at most `width` columns.
std::string Wrap(std::string_view text, size_t width) {
  std::string out;
  size_t column = 0;
  while (!text.empty()) {
    size_t space = text.find(' ');
    std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (word.empty()) continue;
    if (column > 0 && column + 1 + word.size() > width) {
      out += '\n';
      column = 0;
    } else if (column > 0) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
  }
  return out;
}

// A 'size'-byte record: the text, padded with spaces, ending in a newline.
std::string Record(std::string_view text, size_t size) {
  return fmt::format("{:<{}}\n", text, size - 1);
}

// ---------------------------------------------------------------------------
// The workload: prints each step; stops at the first error, as etcd stops on
// any WAL I/O error, so the crash comes right after it.
class Workload {
 public:
  explicit Workload(SimVfs& sim) : vfs_(sim) {}

  void Run();

  // The segment's bytes as the workload wrote them; the first synced_bytes()
  // of them were acknowledged by a sync.
  const std::string& written() const { return written_; }
  uint64_t synced_bytes() const { return synced_; }
  bool renamed() const { return renamed_; }
  const std::vector<std::string>& syncs() const { return syncs_; }
  std::string tmp_path() const { return vfs::JoinPath(kWalDir, kTmpName); }
  std::string segment_path() const { return vfs::JoinPath(kWalDir, kSegmentName); }

 private:
  // Prints one step and its outcome; false (and the workload stops) on error.
  bool Step(std::string_view what, const Status& status, std::string_view note = {});
  bool SyncDir(std::string_view path, std::string_view note);
  bool Append(vfs::File& file, std::string_view what, const std::string& record);
  void Steps();

  SimVfs& vfs_;
  // The crash comes with these open; they are released when the demo ends,
  // which changes nothing on disk (Close does not sync).
  std::unique_ptr<vfs::File> tmp_;
  std::unique_ptr<vfs::File> seg_;
  std::string written_;
  uint64_t synced_ = 0;
  std::vector<std::string> syncs_;  // the file syncs that succeeded, for the explanation
  bool renamed_ = false;
};

bool Workload::Step(std::string_view what, const Status& status, std::string_view note) {
  if (status.ok()) {
    fmt::print("  OK    {}{}{}\n", what, note.empty() ? "" : "   ", note);
    return true;
  }
  fmt::print("  FAIL  {}: {}\n", what, status.ToString());
  std::vector<vfs::TraceEntry> trace = vfs_.TraceEntries();
  if (!trace.empty() && !trace.back().note.empty()) fmt::print("        [{}]\n", trace.back().note);
  fmt::print("        the workload stops here (etcd treats a failed WAL call as fatal): the crash comes now\n");
  return false;
}

bool Workload::SyncDir(std::string_view path, std::string_view note) {
  auto dir = vfs_.OpenDirectory(path);
  if (!Step(fmt::format("opendir {}", path), dir.status())) return false;
  if (!Step(fmt::format("fsync {}", path), (*dir)->Sync(), note)) return false;
  return Step(fmt::format("close {}", path), (*dir)->Close());
}

bool Workload::Append(vfs::File& file, std::string_view what, const std::string& record) {
  Status s = file.Append(vfs::AsBytes(record));
  written_ += record;  // whole even when the append failed part way: tails compare against it
  return Step(fmt::format("append {} to {} ({} B)", what, file.path(), record.size()), s);
}

void Workload::Run() {
  fmt::print("Workload: an etcd-like segment cut, with no fsync of {} after the rename\n", kWalDir);
  Steps();
  fmt::print("\n");
}

void Workload::Steps() {
  if (!Step(fmt::format("mkdir {}", kWalDir), vfs_.Mkdir(kWalDir))) return;
  if (!SyncDir("/", fmt::format("({} is durable)", kWalDir))) return;
  auto tmp = vfs_.Open(tmp_path(), vfs::kWrite | vfs::kCreate | vfs::kExclusive);
  if (!Step(fmt::format("create {}", tmp_path()), tmp.status())) return;
  tmp_ = std::move(tmp).value();
  if (!SyncDir(kWalDir, fmt::format("({} is durable, empty)", kTmpName))) return;
  if (!Append(*tmp_, "crc record", Record("type=crc crc=00000000", 512))) return;
  if (!Append(*tmp_, "metadata record", Record("type=metadata node=8e9e05c52164694d cluster=cdf818194e3a8c32", 512))) {
    return;
  }
  if (!Append(*tmp_, "snapshot record", Record("type=snapshot term=0 index=0", 512))) return;
  if (!Step(fmt::format("fsync {}", tmp_path()), tmp_->Sync(), fmt::format("({} B synced)", written_.size()))) return;
  synced_ = written_.size();
  syncs_.push_back(fmt::format("fsync of {} before the rename", kTmpName));
  if (!Step(fmt::format("rename {} -> {}", kTmpName, kSegmentName), vfs_.Rename(tmp_path(), segment_path()),
            fmt::format("(no fsync of {} follows: etcd #6368)", kWalDir))) {
    return;
  }
  renamed_ = true;
  // etcd's cut() reopens the segment under its new name.
  if (!Step(fmt::format("close {}", tmp_path()), tmp_->Close())) return;
  auto seg = vfs_.Open(segment_path(), vfs::kWrite | vfs::kAppend);
  if (!Step(fmt::format("open {}", segment_path()), seg.status())) return;
  seg_ = std::move(seg).value();
  if (!Append(*seg_, "entry index=1", Record("type=entry term=2 index=1 data=put /config/a=1", 512))) return;
  if (!Step(fmt::format("fdatasync {}", segment_path()), seg_->DataSync(),
            fmt::format("({} B synced)", written_.size()))) {
    return;
  }
  synced_ = written_.size();
  syncs_.push_back("fdatasync after it");
  if (!Append(*seg_, "entry index=2", Record("type=entry term=2 index=2 data=put /config/b=2", 1024))) return;
  fmt::print("        (not synced: in flight when the crash comes)\n");
}

// ---------------------------------------------------------------------------
// What one crash image holds in /wal, and whether it lost synced data.
struct ImageReport {
  std::string summary;        // "/wal: 0.tmp (2048 B)"
  bool lost_segment = false;  // the final name is gone though its data was synced
  bool lost_data = false;     // no name holds the synced bytes (the crash model forbids it)
};

// "(3072 B; unsynced tail 1024 B, torn)": the size, and how the bytes past the
// synced prefix compare with what the process wrote.
std::string DescribeContents(const std::string& contents, const Workload& w) {
  std::string out = fmt::format("{} B", contents.size());
  const std::string& written = w.written();
  if (contents.size() <= w.synced_bytes()) return out;
  size_t tail = contents.size() - w.synced_bytes();
  std::string_view got = std::string_view(contents).substr(w.synced_bytes());
  std::string_view want = std::string_view(written).substr(std::min<size_t>(w.synced_bytes(), written.size()));
  std::string_view verdict = got == want ? "intact"
                             : want.starts_with(got) ? "cut short"
                                                     : "torn";
  return fmt::format("{}; unsynced tail {} B, {}", out, tail, verdict);
}

Result<ImageReport> Inspect(SimVfs& image, const Workload& w) {
  ImageReport report;
  auto names = image.List(kWalDir);
  if (!names.ok() && names.error().code() != Code::kNotFound) return names.error();
  std::set<std::string, std::less<>> present;
  if (names.ok()) present.insert(names->begin(), names->end());
  std::vector<std::string> parts;
  if (names.ok()) {
    for (const std::string& name : *names) {
      auto contents = vfs::ReadWholeFile(image, vfs::JoinPath(kWalDir, name));
      if (!contents.ok()) return contents.error();
      parts.push_back(fmt::format("{} ({})", name, DescribeContents(*contents, w)));
      bool holds_segment = name == kSegmentName || (name == kTmpName && !present.count(kSegmentName));
      if (holds_segment && std::string_view(*contents).substr(0, w.synced_bytes()) !=
                               std::string_view(w.written()).substr(0, w.synced_bytes())) {
        report.lost_data = true;
      }
    }
  }
  if (!names.ok()) {
    report.summary = fmt::format("{}: missing", kWalDir);
  } else if (parts.empty()) {
    report.summary = fmt::format("{}: empty", kWalDir);
  } else {
    report.summary = fmt::format("{}: {}", kWalDir, fmt::join(parts, ", "));
  }
  report.lost_segment = w.renamed() && w.synced_bytes() > 0 && !present.count(kSegmentName);
  if (w.synced_bytes() > 0 && !present.count(kSegmentName) && !present.count(kTmpName)) report.lost_data = true;
  return report;
}

// ---------------------------------------------------------------------------
struct Tally {
  std::set<uint64_t> distinct;  // fingerprints, across models
  std::set<uint64_t> lost;      // fingerprints of images that lost the segment
  std::vector<std::pair<PersistenceModel, size_t>> per_model;
  bool lost_data = false;
};

std::string_view ModelBlurb(PersistenceModel model) {
  switch (model) {
    case PersistenceModel::kStrict: return "only what was synced survives";
    case PersistenceModel::kPrefix: return "pending operations survive in issue order up to a point";
    case PersistenceModel::kSubset: return "any subset of the pending operations survives";
  }
  return "";
}

Status ExploreModel(const SimVfs& sim, PersistenceModel model, const DemoOptions& options,
                    const Workload& w, Tally& tally) {
  vfs::CrashEnumerationOptions enumeration;
  enumeration.model = model;
  enumeration.max_images = options.max_images;
  // ForEachCrashImage holds the SimVfs's lock while it visits, so the images
  // are built after the enumeration, not inside it.
  std::vector<CrashImageSpec> specs = sim.EnumerateCrashImages(enumeration);
  fmt::print("Crash images, {} model ({}): {} distinct{}\n", vfs::PersistenceModelName(model),
             ModelBlurb(model), specs.size(),
             specs.size() >= options.max_images ? fmt::format(" (stopped at --max-images {})", options.max_images)
                                                : "");
  for (const CrashImageSpec& spec : specs) {
    WALCRASH_ASSIGN_OR_RETURN(uint64_t print, sim.CrashImageFingerprint(spec));
    WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<SimVfs> image, sim.CrashImage(spec));
    // The image has no fault plan, but libfiu points are process-wide: one
    // enabled for "walcrash/vfs/sim/list" (say) fails the inspection too.
    WALCRASH_ASSIGN_OR_RETURN(ImageReport report, Inspect(*image, w));
    tally.distinct.insert(print);
    std::string flags;
    if (report.lost_segment) {
      tally.lost.insert(print);
      flags += "  <- synced segment lost";
    }
    if (report.lost_data) {
      tally.lost_data = true;
      flags += "  <- SYNCED BYTES MISSING";
    }
    fmt::print("  {:<34} {}{}\n", spec.ToString(), report.summary, flags);
  }
  fmt::print("\n");
  tally.per_model.emplace_back(model, specs.size());
  return {};
}

void PrintPending(const SimVfs& sim) {
  std::vector<vfs::PendingOperation> pending = sim.PendingOperations();
  fmt::print("Pending operations at the crash ({}; a crash image is the durable state plus some of them):\n",
             pending.size());
  for (const vfs::PendingOperation& op : pending) fmt::print("  {}\n", op.ToString());
  if (pending.empty()) fmt::print("  (none: everything is durable)\n");
  fmt::print("\n");
}

void PrintFaults(const SimVfs& sim) {
  vfs::FaultPlan plan = sim.fault_plan();
  if (plan.empty()) return;
  fmt::print("Fault rules:\n");
  for (size_t i = 0; i < plan.rules().size(); ++i) {
    uint64_t fired = plan.fired(i);
    fmt::print("  rule {}: {:<44} {}\n", i, plan.rules()[i].ToString(),
               fired == 0 ? std::string("never fired") : fmt::format("fired {} time{}", fired, fired == 1 ? "" : "s"));
  }
  fmt::print("\n");
}

// Why the flagged images matter, in the words of the crash model.
void PrintExplanation(const SimVfs& sim, const Workload& w, const Tally& tally) {
  if (tally.lost.empty()) return;
  std::string rename_seq = "the rename";
  for (const vfs::PendingOperation& op : sim.PendingOperations()) {
    if (op.op == vfs::OpKind::kRename) rename_seq = fmt::format("rename #{}", op.seq);
  }
  std::string text = fmt::format(
      "Why {} {} the segment: {} B of {} were synced ({}), but {} is still pending, and only an fsync "
      "of {} makes a rename durable (sim_vfs.h D2, D3). In such an image the synced bytes survive only "
      "under the temporary name {}, which a WAL reader listing *.wal segments never opens, so records "
      "the WAL acknowledged as durable are gone after a restart. This is etcd #6368; etcd's cut() now "
      "fsyncs the WAL directory right after the rename.",
      tally.lost.size(), tally.lost.size() == 1 ? "image loses" : "images lose", w.synced_bytes(), kSegmentName,
      fmt::join(w.syncs(), ", "), rename_seq, kWalDir, kTmpName);
  fmt::print("{}\n\n", Wrap(text, 96));
}

// Errors go to stderr, after what stdout already holds.
void PrintError(const Status& status) {
  std::fflush(stdout);
  fmt::print(stderr, "walcrash vfs-demo: {}\n", status.ToString());
}

int RunVfsDemo(const DemoOptions& options) {
  vfs::SimVfsOptions sim_options;
  sim_options.sector_size = options.sector_size;
  SimVfs sim(sim_options);
  if (!options.faults.empty()) {
    auto plan = LoadFaultPlan(options.faults);
    if (!plan.ok()) {
      PrintError(plan.error());
      return 2;
    }
    fmt::print("Fault plan applied to the workload:\n{}\n", plan->ToString());
    sim.SetFaultPlan(std::move(plan).value());
  }
  Workload workload(sim);
  workload.Run();
  PrintFaults(sim);
  fmt::print("Trace:\n{}\n", sim.TraceText());
  PrintPending(sim);

  std::vector<PersistenceModel> models;
  if (options.model == "all") {
    models = {PersistenceModel::kStrict, PersistenceModel::kPrefix, PersistenceModel::kSubset};
  } else {
    auto model = vfs::ParsePersistenceModel(options.model);
    if (!model.ok()) {
      PrintError(model.error());
      return 2;
    }
    models = {*model};
  }
  fmt::print("Each image: its spec (the pending operations that survive, by trace number; tears at {} B\n"
             "sectors, renames torn into a link), then what /wal holds after the crash.\n\n",
             options.sector_size);
  Tally tally;
  for (PersistenceModel model : models) {
    if (Status s = ExploreModel(sim, model, options, workload, tally); !s.ok()) {
      PrintError(s);
      return 1;
    }
  }
  PrintExplanation(sim, workload, tally);
  if (tally.lost_data) {
    fmt::print("Some images lack bytes a sync had acknowledged under either name: every entry of the\n"
               "workload but the rename was made durable, so the crash model broke its rules D1-D3\n"
               "(sim_vfs.h); please report this.\n\n");
  }
  std::vector<std::string> counts;
  for (const auto& [model, count] : tally.per_model) {
    counts.push_back(fmt::format("{} {}", vfs::PersistenceModelName(model), count));
  }
  fmt::print("vfs-demo: {} distinct crash images ({}); {} lose the synced segment (no directory fsync after rename)\n",
             tally.distinct.size(), fmt::join(counts, ", "), tally.lost.size());
  return tally.lost_data ? 1 : 0;
}

}  // namespace

void AddDemoCommands(CLI::App& app, std::vector<Command>& commands) {
  auto options_ptr = std::make_shared<DemoOptions>();
  DemoOptions& options = *options_ptr;
  CLI::App* demo = app.add_subcommand(
      "vfs-demo",
      "Run an etcd-like WAL segment cut with etcd #6368's bug (no directory fsync after the rename)\n"
      "on SimVfs, then list the distinct crash images of its end under each persistence model");
  demo->add_option("--model", options.model, "Persistence model: strict, prefix, subset or all")
      ->capture_default_str()
      ->check(CLI::IsMember({"strict", "prefix", "subset", "all"}));
  demo->add_option("--max-images", options.max_images, "Distinct crash images listed per model, at most")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  demo->add_option("--sector-size", options.sector_size, "Torn-write granularity in bytes")
      ->capture_default_str()
      ->check(CLI::Range(uint32_t{1}, uint32_t{1} << 20));
  demo->add_option("--faults", options.faults,
                   "FaultPlan rules applied to the workload: a file, or rule text with rules separated by\n"
                   "newlines or ';', e.g. \"datasync *.wal nth=1 errno=EIO\"")
      ->check([](const std::string& arg) {
        auto plan = LoadFaultPlan(arg);
        return plan.ok() ? std::string() : plan.error().ToString();
      });

  commands.push_back({demo, [options_ptr] { return RunVfsDemo(*options_ptr); }});
}

}  // namespace walcrash::cli
