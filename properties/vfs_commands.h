// Shared pieces of the VFS property tests:
//   - WALCRASH_PROP: RC_GTEST_PROP with a number of cases per property;
//   - a command language over a small namespace (so names collide, files and
//     directories swap, handles outlive their names), its generators, and a
//     Program that prints one numbered command per line;
//   - Runner: runs commands on any Vfs and reports comparable Outcomes;
//   - WalkTree/TreeDiff: a Vfs subtree as a comparable value.
//
// Commands are plain data; data written by a command is drawn from its seed,
// so a failing program prints short and replays exactly.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/status.h"
#include "properties/property.h"
#include "vfs/vfs.h"

namespace walcrash::vfs::prop {

// Paths relative to the per-test root. Files are opened under any of them
// (opening "d" is IsDirectory while it is a directory); directories are made
// under any of them too, so "d/x" or "a" can be a directory at times.
inline constexpr std::array<std::string_view, 7> kPaths = {"a", "b", "c", "d/x", "d/y", "e", "d"};
// Targets of List and directory sync: "" is the root; "a" is usually a file.
inline constexpr std::array<std::string_view, 4> kDirTargets = {"", "d", "e", "a"};
inline constexpr uint32_t kSlots = 4;

enum class Op : unsigned char {
  kOpen, kClose, kWriteAt, kAppend, kReadAt, kRead, kSize, kTruncate, kPreallocate,
  kSync, kDataSync, kTryLock, kUnlock, kRename, kUnlink, kMkdir, kRmdir, kList, kStat,
  kExists, kDirSync,
  kCrash,  // crash tests only: a point where crash images are taken and checked
};

inline std::string_view OpName(Op op) {
  static constexpr std::array<std::string_view, 22> kNames = {
      "open", "close", "write_at", "append", "read_at", "read", "size", "truncate",
      "preallocate", "sync", "datasync", "try_lock", "unlock", "rename", "unlink", "mkdir",
      "rmdir", "list", "stat", "exists", "dir_sync", "CRASH"};
  return kNames[static_cast<size_t>(op)];
}

struct Command {
  Op op = Op::kOpen;
  uint32_t slot = 0;
  uint32_t flags = 0;   // OpenFlags bits, any combination (invalid ones included)
  uint32_t path = 0;    // kPaths index; kDirTargets index for kList / kDirSync
  uint32_t path2 = 0;   // rename target (kPaths index)
  uint64_t offset = 0;  // write/read offset, truncate size
  uint64_t length = 0;  // bytes to write/read, preallocate length
  uint64_t seed = 0;    // contents of a write; seed of sampled crash images
  bool keep_size = false;
};

// Bits outside OpenFlags (generated to probe invalid combinations) do not print.
inline std::string FlagsString(uint32_t f) { return OpenFlagsText(static_cast<OpenFlags>(f)); }

inline std::string Describe(const Command& c) {
  auto p = [](uint32_t i) { return std::string(kPaths[i]); };
  auto d = [](uint32_t i) { return kDirTargets[i].empty() ? std::string("<root>") : std::string(kDirTargets[i]); };
  switch (c.op) {
    case Op::kOpen: return fmt::format("slot{} = open({}, {})", c.slot, p(c.path), FlagsString(c.flags));
    case Op::kClose: case Op::kSize: case Op::kSync: case Op::kDataSync: case Op::kTryLock:
    case Op::kUnlock:
      return fmt::format("slot{}.{}()", c.slot, OpName(c.op));
    case Op::kWriteAt: return fmt::format("slot{}.write_at({}, {} bytes seed {})", c.slot, c.offset, c.length, c.seed);
    case Op::kAppend: return fmt::format("slot{}.append({} bytes seed {})", c.slot, c.length, c.seed);
    case Op::kReadAt: return fmt::format("slot{}.read_at({}, {})", c.slot, c.offset, c.length);
    case Op::kRead: return fmt::format("slot{}.read({})", c.slot, c.length);
    case Op::kTruncate: return fmt::format("slot{}.truncate({})", c.slot, c.offset);
    case Op::kPreallocate:
      return fmt::format("slot{}.preallocate({}, {}, {})", c.slot, c.offset, c.length, c.keep_size ? "keep" : "extend");
    case Op::kRename: return fmt::format("rename({}, {})", p(c.path), p(c.path2));
    case Op::kUnlink: case Op::kMkdir: case Op::kRmdir: case Op::kStat: case Op::kExists:
      return fmt::format("{}({})", OpName(c.op), p(c.path));
    case Op::kList: return fmt::format("list({})", d(c.path));
    case Op::kDirSync: return fmt::format("open_dir({}).sync().close()", d(c.path));
    case Op::kCrash: return fmt::format("CRASH(seed {})", c.seed);
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, const Command& c) { return os << Describe(c); }

// A whole generated program; prints one numbered command per line.
struct Program {
  std::vector<Command> commands;
};

inline std::ostream& operator<<(std::ostream& os, const Program& p) {
  os << p.commands.size() << " commands:";
  for (size_t i = 0; i < p.commands.size(); ++i) os << "\n    #" << i << " " << Describe(p.commands[i]);
  return os;
}

// Deterministic bytes for a write (splitmix64 of the seed).
inline std::string Content(uint64_t seed, uint64_t length) {
  std::string out(static_cast<size_t>(length), '\0');
  uint64_t state = seed * 0x2545F4914F6CDD1Dull + 0x1234567;
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (size_t j = 0; j < 8 && i + j < out.size(); ++j) {
      out[i + j] = static_cast<char>(static_cast<unsigned char>(z >> (8 * j)));
    }
  }
  return out;
}

inline MutableBytes AsMutable(std::string& s) { return {reinterpret_cast<std::byte*>(s.data()), s.size()}; }

// Size bounds of generated commands.
struct Limits {
  uint64_t max_offset = 20000;    // write/read/preallocate offset
  uint64_t max_data = 5000;       // bytes written or read
  uint64_t max_truncate = 30000;
  uint64_t max_prealloc = 20000;  // preallocate length
  size_t max_commands = 60;
  bool crash_points = false;      // generate kCrash commands
  bool namespace_only = false;    // only creates, entry operations and barriers
};

namespace gen_detail {

inline rc::Gen<uint64_t> Upto(uint64_t max) {  // [0, max], small values more often
  return rc::gen::weightedOneOf<uint64_t>({
      {3, rc::gen::inRange<uint64_t>(0, std::min<uint64_t>(max, 1100) + 1)},
      {2, rc::gen::inRange<uint64_t>(0, max + 1)},
      {1, rc::gen::element<uint64_t>(0, 511, 512, 513, 4096)},
  });
}

inline rc::Gen<uint32_t> Flags() {
  const uint32_t r = kRead, w = kWrite, c = kCreate, x = kExclusive, t = kTruncate, a = kAppend;
  return rc::gen::weightedOneOf<uint32_t>({
      {6, rc::gen::elementOf(std::vector<uint32_t>{r | w | c, w | c, r | w | c | x, r | w | c | t, w | c | a, r | w | c | a})},
      {2, rc::gen::elementOf(std::vector<uint32_t>{r, w, r | w, r | w | a, w | t})},
      {1, rc::gen::inRange<uint32_t>(0, 64)},  // anything, invalid combinations included
  });
}

inline rc::Gen<uint32_t> Slot() { return rc::gen::inRange<uint32_t>(0, kSlots); }
inline rc::Gen<uint32_t> PathIndex() { return rc::gen::inRange<uint32_t>(0, static_cast<uint32_t>(kPaths.size())); }
// mkdir (and rmdir in namespace-only workloads): "d" or "e" (indices 6, 5)
// half the time, so "d/x" and "d/y" can exist.
inline rc::Gen<uint32_t> MkdirIndex() {
  return rc::gen::weightedOneOf<uint32_t>({{1, rc::gen::element<uint32_t>(6, 5)}, {1, PathIndex()}});
}
// rename: any pair, or (a third of the time) a pair where one path is an
// ancestor of the other, or the same path, or directory onto directory.
inline rc::Gen<Command> RenameGen() {
  // Indices into kPaths: a=0 b=1 c=2 d/x=3 d/y=4 e=5 d=6.
  static const std::vector<std::pair<uint32_t, uint32_t>> kTricky = {
      {3, 6}, {4, 6}, {6, 3}, {6, 4}, {6, 5}, {5, 6}, {3, 4}, {0, 0}, {6, 6}, {3, 3}};
  auto make = [](std::pair<uint32_t, uint32_t> p) {
    Command c;
    c.op = Op::kRename;
    c.path = p.first;
    c.path2 = p.second;
    return c;
  };
  return rc::gen::weightedOneOf<Command>({
      {2, rc::gen::map(rc::gen::pair(PathIndex(), PathIndex()), make)},
      {1, rc::gen::map(rc::gen::elementOf(kTricky), make)},
  });
}

inline rc::Gen<uint32_t> DirIndex() { return rc::gen::inRange<uint32_t>(0, static_cast<uint32_t>(kDirTargets.size())); }
inline rc::Gen<uint64_t> Seed() { return rc::gen::inRange<uint64_t>(0, 1000000); }

// gen::weightedOneOf takes an initializer_list; this takes a list built at
// run time (weight 0: never). Shrinks toward the first option.
inline rc::Gen<Command> Weighted(const std::vector<std::pair<size_t, rc::Gen<Command>>>& options) {
  std::vector<size_t> table;
  for (size_t i = 0; i < options.size(); ++i) table.insert(table.end(), options[i].first, i);
  std::vector<rc::Gen<Command>> gens;
  for (const auto& o : options) gens.push_back(o.second);
  return rc::gen::mapcat(rc::gen::elementOf(table), [gens](size_t i) { return gens[i]; });
}

template <typename... Gens, typename F>
rc::Gen<Command> Make(F f, Gens... gens) {
  return rc::gen::map(rc::gen::tuple(std::move(gens)...), [f](const auto& t) { return std::apply(f, t); });
}

}  // namespace gen_detail

inline rc::Gen<Command> CommandGen(const Limits& lim) {
  using namespace gen_detail;
  auto slot_op = [](Op op) {
    return Make([op](uint32_t s) { Command c; c.op = op; c.slot = s; return c; }, Slot());
  };
  auto path_op = [](Op op) {
    return Make([op](uint32_t p) { Command c; c.op = op; c.path = p; return c; }, PathIndex());
  };
  // Weights: (differential test, crash tests). Crash tests skip calls that
  // cannot change what a crash leaves and favour the namespace and barriers.
  auto W = [&](size_t differential, size_t crash) { return lim.crash_points ? crash : differential; };
  if (lim.namespace_only) {
    std::vector<std::pair<size_t, rc::Gen<Command>>> options = {
        {4, Make([](uint32_t s, uint32_t p) {
               Command c; c.op = Op::kOpen; c.slot = s; c.flags = kWrite | kCreate; c.path = p; return c;
             }, Slot(), PathIndex())},
        {2, Make([](uint32_t s, uint64_t n, uint64_t seed) {
               Command c; c.op = Op::kAppend; c.slot = s; c.length = n; c.seed = seed; return c;
             }, Slot(), rc::gen::inRange<uint64_t>(1, 1500), Seed())},
        {1, slot_op(Op::kSync)},
        {3, RenameGen()},
        {2, path_op(Op::kUnlink)},
        {3, Make([](uint32_t p) { Command c; c.op = Op::kMkdir; c.path = p; return c; }, MkdirIndex())},
        {2, Make([](uint32_t p) { Command c; c.op = Op::kRmdir; c.path = p; return c; }, MkdirIndex())},
        {4, Make([](uint32_t p) { Command c; c.op = Op::kDirSync; c.path = p; return c; },
                 rc::gen::inRange<uint32_t>(0, 3))},  // root, "d", "e": directories more often than not
        {lim.crash_points ? 1u : 0u, Make([](uint64_t seed) { Command c; c.op = Op::kCrash; c.seed = seed; return c; }, Seed())},
    };
    return Weighted(options);
  }
  std::vector<std::pair<size_t, rc::Gen<Command>>> options = {
      {W(12, 16), Make([](uint32_t s, uint32_t f, uint32_t p) {
             Command c; c.op = Op::kOpen; c.slot = s; c.flags = f; c.path = p; return c;
           }, Slot(), Flags(), PathIndex())},
      {W(2, 1), slot_op(Op::kClose)},
      {W(7, 8), Make([](uint32_t s, uint64_t o, uint64_t n, uint64_t seed) {
             Command c; c.op = Op::kWriteAt; c.slot = s; c.offset = o; c.length = n; c.seed = seed; return c;
           }, Slot(), Upto(lim.max_offset), Upto(lim.max_data), Seed())},
      {W(4, 4), Make([](uint32_t s, uint64_t n, uint64_t seed) {
             Command c; c.op = Op::kAppend; c.slot = s; c.length = n; c.seed = seed; return c;
           }, Slot(), Upto(lim.max_data), Seed())},
      {W(3, 0), Make([](uint32_t s, uint64_t o, uint64_t n) {
             Command c; c.op = Op::kReadAt; c.slot = s; c.offset = o; c.length = n; return c;
           }, Slot(), Upto(lim.max_offset), Upto(lim.max_data))},
      {W(3, 0), Make([](uint32_t s, uint64_t n) {
             Command c; c.op = Op::kRead; c.slot = s; c.length = n; return c;
           }, Slot(), Upto(lim.max_data))},
      {W(1, 0), slot_op(Op::kSize)},
      {W(2, 1), Make([](uint32_t s, uint64_t n) {
             Command c; c.op = Op::kTruncate; c.slot = s; c.offset = n; return c;
           }, Slot(), Upto(lim.max_truncate))},
      {W(2, 2), Make([](uint32_t s, uint64_t o, uint64_t n, bool keep) {
             Command c; c.op = Op::kPreallocate; c.slot = s; c.offset = o; c.length = n; c.keep_size = keep; return c;
           }, Slot(), Upto(lim.max_offset), Upto(lim.max_prealloc), rc::gen::arbitrary<bool>())},
      {W(3, 3), slot_op(Op::kSync)},
      {W(2, 1), slot_op(Op::kDataSync)},
      {W(2, 0), slot_op(Op::kTryLock)},
      {W(1, 0), slot_op(Op::kUnlock)},
      {W(4, 4), RenameGen()},
      {W(2, 2), path_op(Op::kUnlink)},
      {W(3, 4), Make([](uint32_t p) { Command c; c.op = Op::kMkdir; c.path = p; return c; }, MkdirIndex())},
      {W(2, 2), path_op(Op::kRmdir)},
      {W(1, 0), Make([](uint32_t p) { Command c; c.op = Op::kList; c.path = p; return c; }, DirIndex())},
      {W(1, 0), path_op(Op::kStat)},
      {W(1, 0), path_op(Op::kExists)},
      {W(4, 4), Make([](uint32_t p) { Command c; c.op = Op::kDirSync; c.path = p; return c; }, DirIndex())},
  };
  if (lim.crash_points) {
    options.push_back({2, Make([](uint64_t seed) { Command c; c.op = Op::kCrash; c.seed = seed; return c; }, Seed())});
  }
  return Weighted(options);
}

// Commands that build some state to work on: directories "d" and "e", and
// files created read-write into the slots.
inline rc::Gen<Command> SetupGen() {
  using namespace gen_detail;
  return rc::gen::weightedOneOf<Command>({
      {1, Make([](uint32_t p) { Command c; c.op = Op::kMkdir; c.path = p; return c; }, rc::gen::element<uint32_t>(6, 5))},
      {3, Make([](uint32_t s, uint32_t p) {
             Command c; c.op = Op::kOpen; c.slot = s; c.flags = kRead | kWrite | kCreate; c.path = p; return c;
           }, Slot(), PathIndex())},
  });
}

inline rc::Gen<Program> ProgramGen(const Limits& lim) {
  rc::Gen<Command> command = CommandGen(lim);
  rc::Gen<Command> setup = SetupGen();
  const double scale = static_cast<double>(lim.max_commands) / 100.0;
  auto commands = rc::gen::withSize([command, setup, scale](int size) {
    // size runs 0..100 over the cases: the program's length grows to
    // max_commands with it (plus a setup of up to 8 commands), while each
    // command keeps the full size (so offsets and lengths reach their
    // bounds). Plain containers shrink by dropping commands, so a failure
    // prints a short program.
    return rc::gen::tuple(
        rc::gen::scale(0.08, rc::gen::container<std::vector<Command>>(rc::gen::resize(size, setup))),
        rc::gen::scale(scale, rc::gen::container<std::vector<Command>>(rc::gen::resize(size, command))));
  });
  return rc::gen::map(commands, [](std::tuple<std::vector<Command>, std::vector<Command>> parts) {
    Program p{std::move(std::get<0>(parts))};
    for (Command& c : std::get<1>(parts)) p.commands.push_back(c);
    return p;
  });
}

// ---------------------------------------------------------------------------
// A subtree as a value: relative path -> kind, size and contents.
struct NodeValue {
  FileKind kind = FileKind::kRegular;
  uint64_t size = 0;
  std::string contents;  // regular files only
  friend auto operator<=>(const NodeValue&, const NodeValue&) = default;
};
using TreeValue = std::map<std::string, NodeValue>;

inline Result<TreeValue> WalkTree(Vfs& vfs, const std::string& root) {
  TreeValue out;
  std::vector<std::string> stack{""};
  while (!stack.empty()) {
    std::string rel = stack.back();
    stack.pop_back();
    std::string dir = rel.empty() ? root : JoinPath(root, rel);
    WALCRASH_ASSIGN_OR_RETURN(std::vector<std::string> names, vfs.List(dir));
    for (const std::string& name : names) {
      std::string child_rel = rel.empty() ? name : rel + "/" + name;
      std::string child = JoinPath(root, child_rel);
      WALCRASH_ASSIGN_OR_RETURN(FileInfo info, vfs.Stat(child));
      NodeValue node{info.kind, info.size, {}};
      if (info.kind == FileKind::kDirectory) {
        stack.push_back(child_rel);
      } else {
        WALCRASH_ASSIGN_OR_RETURN(node.contents, ReadWholeFile(vfs, child));
      }
      out.emplace(std::move(child_rel), std::move(node));
    }
  }
  return out;
}

inline std::string Hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char ch : bytes) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ull;
  return fmt::format("{:016x}", h);
}

inline std::string ShowNode(const NodeValue& n) {
  if (n.kind == FileKind::kDirectory) return "dir";
  return fmt::format("{} size {} ({} bytes, hash {})", FileKindName(n.kind), n.size, n.contents.size(),
                     Hash(n.contents));
}

// The first difference between two trees, or "" when equal.
inline std::string TreeDiff(const TreeValue& a, const TreeValue& b, std::string_view a_name,
                            std::string_view b_name) {
  for (const auto& [path, node] : a) {
    auto it = b.find(path);
    if (it == b.end()) return fmt::format("{} has '{}' ({}), {} does not", a_name, path, ShowNode(node), b_name);
    if (!(it->second == node)) {
      std::string where;
      const std::string& x = node.contents;
      const std::string& y = it->second.contents;
      for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
        if (x[i] != y[i]) {
          where = fmt::format(", first differing byte at offset {}", i);
          break;
        }
      }
      return fmt::format("'{}' differs: {} {}, {} {}{}", path, a_name, ShowNode(node), b_name,
                         ShowNode(it->second), where);
    }
  }
  for (const auto& [path, node] : b) {
    if (!a.count(path)) return fmt::format("{} has '{}' ({}), {} does not", b_name, path, ShowNode(node), a_name);
  }
  return "";
}

inline std::string ShowTree(const TreeValue& t) {
  std::string out;
  for (const auto& [path, node] : t) out += fmt::format("\n      {}: {}", path, ShowNode(node));
  return out.empty() ? " (empty)" : out;
}


// ---------------------------------------------------------------------------
// What one command returned, in a form both backends can be compared on:
// the Code (not messages or paths), a printable value, and the bytes read.
struct Outcome {
  Code code = Code::kOk;
  std::string value;
  std::string data;  // bytes a read returned (compared; printed as size and hash)
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

inline std::string ShowOutcome(const Outcome& o) {
  std::string out(o.code == Code::kOk ? "OK" : CodeName(o.code));
  if (!o.value.empty()) out += " " + o.value;
  if (!o.data.empty()) out += fmt::format(" [{} bytes, hash {}]", o.data.size(), Hash(o.data));
  return out;
}

// Runs commands against one Vfs under `root`, keeping the slots' handles.
// A closed handle stays in its slot, so later commands on it exercise the
// "handle is closed" path. A command on a slot that never held a handle
// is skipped (the same on every backend).
class Runner {
 public:
  Runner(Vfs& vfs, std::string root) : vfs_(vfs), root_(std::move(root)) {}
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  std::string Path(uint32_t i) const { return JoinPath(root_, kPaths[i]); }
  std::string DirPath(uint32_t i) const {
    return kDirTargets[i].empty() ? root_ : JoinPath(root_, kDirTargets[i]);
  }
  File* slot(uint32_t i) const { return slots_[i].get(); }
  const std::string& root() const { return root_; }

  Outcome Run(const Command& c) {
    auto status = [](const Status& s) { return Outcome{s.code(), "", ""}; };
    auto skipped = [] { return Outcome{Code::kOk, "skipped (empty slot)", ""}; };
    File* f = slots_[c.slot].get();
    switch (c.op) {
      case Op::kOpen: {
        auto r = vfs_.Open(Path(c.path), static_cast<OpenFlags>(c.flags));
        if (!r.ok()) return status(r.error());
        slots_[c.slot] = std::move(r).value();
        return {};
      }
      case Op::kClose:
        if (!f) return skipped();
        return status(f->Close());
      case Op::kWriteAt: {
        if (!f) return skipped();
        std::string data = Content(c.seed, c.length);
        return status(f->WriteAt(c.offset, AsBytes(data)));
      }
      case Op::kAppend: {
        if (!f) return skipped();
        std::string data = Content(c.seed, c.length);
        return status(f->Append(AsBytes(data)));
      }
      case Op::kReadAt:
      case Op::kRead: {
        if (!f) return skipped();
        std::string buf(static_cast<size_t>(c.length), '\0');
        auto r = c.op == Op::kReadAt ? f->ReadAt(c.offset, AsMutable(buf)) : f->Read(AsMutable(buf));
        if (!r.ok()) return status(r.error());
        buf.resize(*r);
        return {Code::kOk, fmt::format("read {}", *r), std::move(buf)};
      }
      case Op::kSize: {
        if (!f) return skipped();
        auto r = f->Size();
        if (!r.ok()) return status(r.error());
        return {Code::kOk, fmt::format("size {}", *r), ""};
      }
      case Op::kTruncate:
        if (!f) return skipped();
        return status(f->Truncate(c.offset));
      case Op::kPreallocate:
        if (!f) return skipped();
        return status(f->Preallocate(c.offset, c.length,
                                     c.keep_size ? PreallocateMode::kKeepSize : PreallocateMode::kExtend));
      case Op::kSync:
        if (!f) return skipped();
        return status(f->Sync());
      case Op::kDataSync:
        if (!f) return skipped();
        return status(f->DataSync());
      case Op::kTryLock:
        if (!f) return skipped();
        return status(f->TryLock());
      case Op::kUnlock:
        if (!f) return skipped();
        return status(f->Unlock());
      case Op::kRename: return status(vfs_.Rename(Path(c.path), Path(c.path2)));
      case Op::kUnlink: return status(vfs_.Unlink(Path(c.path)));
      case Op::kMkdir: return status(vfs_.Mkdir(Path(c.path)));
      case Op::kRmdir: return status(vfs_.Rmdir(Path(c.path)));
      case Op::kList: {
        auto r = vfs_.List(DirPath(c.path));
        if (!r.ok()) return status(r.error());
        std::string names = "[";
        for (const std::string& n : *r) names += (names.size() > 1 ? "," : "") + n;
        return {Code::kOk, names + "]", ""};
      }
      case Op::kStat: {
        auto r = vfs_.Stat(Path(c.path));
        if (!r.ok()) return status(r.error());
        return {Code::kOk, fmt::format("{} size {}", FileKindName(r->kind), r->size), ""};
      }
      case Op::kExists: {
        auto r = vfs_.Exists(Path(c.path));
        if (!r.ok()) return status(r.error());
        return {Code::kOk, *r ? "true" : "false", ""};
      }
      case Op::kDirSync: {
        auto r = vfs_.OpenDirectory(DirPath(c.path));
        if (!r.ok()) return {r.error().code(), "at open_dir", ""};
        std::unique_ptr<Directory> dir = std::move(r).value();
        if (Status s = dir->Sync(); !s.ok()) return {s.code(), "at sync", ""};
        if (Status s = dir->Close(); !s.ok()) return {s.code(), "at close", ""};
        return {};
      }
      case Op::kCrash:
        return {Code::kOk, "not a Vfs call", ""};
    }
    return {Code::kInvalidArgument, "unknown command", ""};
  }

 private:
  Vfs& vfs_;
  std::string root_;
  std::array<std::unique_ptr<File>, kSlots> slots_;
};

}  // namespace walcrash::vfs::prop
