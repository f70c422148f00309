#include "vfs/sim_vfs.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/splitmix.h"
#include "vfs/cow_bytes.h"
#include "vfs/fault_points.h"

namespace walcrash::vfs {

using InodeId = uint64_t;
constexpr InodeId kRootInode = 1;
using Entries = std::map<std::string, InodeId, std::less<>>;

namespace {

// One inode as the process sees it.
struct LiveNode {
  FileKind kind = FileKind::kRegular;
  CowBytes data;
  uint64_t allocated = 0;  // end of preallocated space (kKeepSize may pass the size)
  Entries entries;
  uint32_t links = 0;      // directory entries naming it
  uint32_t handles = 0;    // open handles
  uint64_t lock_owner = 0; // handle id holding the lock, 0 = none
  // False while the durable bytes with this file's pending data operations
  // applied in order equal `data` (every change to `data` adds its pending
  // operation). A failed fsync's dropped operations (F1) break that for good.
  bool durable_diverged = false;
};

// One inode in the durable state or in a crash image.
struct DiskNode {
  FileKind kind = FileKind::kRegular;
  CowBytes data;
  Entries entries;
};
// Nodes are shared between the durable state and every crash image built
// from it, and copied only when one of them changes a node (Ensure): an
// image costs a pointer per inode plus the nodes its crash changed.
using DiskState = std::unordered_map<InodeId, std::shared_ptr<DiskNode>>;

enum class PendingKind : unsigned char {
  kWrite, kTruncate, kExtend, kCreate, kMkdir, kUnlink, kRmdir, kRename
};

bool IsEntryOp(PendingKind k) { return k >= PendingKind::kCreate; }

struct PendingOp {
  uint64_t seq = 0;
  PendingKind kind = PendingKind::kWrite;
  OpKind call = OpKind::kWrite;
  InodeId node = 0;    // data ops: the file; entry ops: the (source) directory
  InodeId target = 0;  // entry ops: the inode created, removed or renamed
  FileKind target_kind = FileKind::kRegular;
  InodeId dst_dir = 0; // rename
  std::string name, dst_name;
  uint64_t offset = 0, length = 0;  // write; truncate: offset = new size; extend: end = offset+length
  std::shared_ptr<const std::vector<std::byte>> data;
  std::string path;    // for printing
  std::string detail;
};

// A pending operation of `kind` made by call #seq on `node` (the file, or
// the directory holding the entry).
PendingOp MakeOp(uint64_t seq, PendingKind kind, OpKind call, InodeId node, std::string_view path) {
  PendingOp op;
  op.seq = seq;
  op.kind = kind;
  op.call = call;
  op.node = node;
  op.path = std::string(path);
  return op;
}

// An entry operation: `name` in directory `dir` names (or named) `target`.
PendingOp MakeEntryOp(uint64_t seq, PendingKind kind, OpKind call, InodeId dir, std::string_view name,
                      InodeId target, FileKind target_kind, std::string_view path) {
  PendingOp op = MakeOp(seq, kind, call, dir, path);
  op.name = std::string(name);
  op.target = target;
  op.target_kind = target_kind;
  return op;
}

// The node `id` of `disk`, owned by `disk` alone (copied if shared), made
// with `kind` if missing: what every change to a DiskState goes through.
DiskNode& Ensure(DiskState& disk, InodeId id, FileKind kind) {
  auto [it, inserted] = disk.try_emplace(id);
  if (inserted) {
    it->second = std::make_shared<DiskNode>();
    it->second->kind = kind;
  } else if (it->second.use_count() > 1) {
    it->second = std::make_shared<DiskNode>(*it->second);
  }
  return *it->second;
}

struct PieceRange {
  uint64_t begin, end;
};

uint32_t PieceCount(const PendingOp& op, uint32_t sector) {
  if (op.length == 0) return 0;
  uint64_t first = op.offset / sector, last = (op.offset + op.length - 1) / sector;
  return static_cast<uint32_t>(last - first + 1);
}

PieceRange Piece(const PendingOp& op, uint32_t sector, uint32_t i) {
  uint64_t sector_begin = (op.offset / sector + i) * sector;
  return {std::max(op.offset, sector_begin), std::min(op.offset + op.length, sector_begin + sector)};
}

void ApplyTornWrite(DiskNode& node, const PendingOp& op, const Survivor& s, uint32_t sector) {
  uint32_t pieces = PieceCount(op, sector);
  uint32_t kept_abs = static_cast<uint32_t>(s.kept_pieces < 0 ? -s.kept_pieces : s.kept_pieces);
  for (uint32_t i = 0; i < pieces; ++i) {
    bool kept = s.kept_pieces > 0 ? i < kept_abs : i >= pieces - kept_abs;
    PieceRange r = Piece(op, sector, i);
    std::span<const std::byte> bytes(op.data->data() + (r.begin - op.offset), r.end - r.begin);
    if (kept) {
      node.data.Write(r.begin, bytes);
      continue;
    }
    switch (s.fill) {
      case TearFill::kOld:
        break;  // untouched; a write past it leaves a hole of zeros
      case TearFill::kZeros:
        node.data.Zero(r.begin, r.end - r.begin);
        break;
      case TearFill::kGarbage: {
        uint64_t rng = HashCombine(HashCombine(s.garbage_seed, op.seq), i);
        std::vector<std::byte> junk(bytes.size());
        for (auto& b : junk) b = static_cast<std::byte>(SplitMix64(rng) & 0xff);
        node.data.Write(r.begin, junk);
        break;
      }
    }
  }
}

// Applies one pending operation to a durable state or an image (C3 rules for
// what cannot apply). `survivor` is null for a whole application.
void ApplyOp(DiskState& disk, const PendingOp& op, const Survivor* survivor, uint32_t sector) {
  switch (op.kind) {
    case PendingKind::kWrite: {
      DiskNode& node = Ensure(disk, op.node, FileKind::kRegular);
      if (survivor && survivor->mode == Survivor::Mode::kTornWrite) {
        ApplyTornWrite(node, op, *survivor, sector);
      } else {
        node.data.Write(op.offset, *op.data);
      }
      return;
    }
    case PendingKind::kTruncate:
      Ensure(disk, op.node, FileKind::kRegular).data.Resize(op.offset);
      return;
    case PendingKind::kExtend: {
      CowBytes& data = Ensure(disk, op.node, FileKind::kRegular).data;
      if (op.offset + op.length > data.size()) data.Resize(op.offset + op.length);
      return;
    }
    case PendingKind::kCreate:
    case PendingKind::kMkdir: {
      Ensure(disk, op.target, op.target_kind);
      Ensure(disk, op.node, FileKind::kDirectory).entries[op.name] = op.target;
      return;
    }
    case PendingKind::kUnlink:
    case PendingKind::kRmdir: {
      Entries& entries = Ensure(disk, op.node, FileKind::kDirectory).entries;
      auto it = entries.find(op.name);
      if (it == entries.end() || it->second != op.target) return;
      if (op.kind == PendingKind::kRmdir) {
        auto dir = disk.find(op.target);
        if (dir != disk.end() && !dir->second->entries.empty()) return;  // needs it empty
      }
      entries.erase(it);
      return;
    }
    case PendingKind::kRename: {
      Entries& src = Ensure(disk, op.node, FileKind::kDirectory).entries;
      auto it = src.find(op.name);
      if (it == src.end() || it->second != op.target) return;  // needs its source
      Entries& dst = Ensure(disk, op.dst_dir, FileKind::kDirectory).entries;  // node refs are stable
      dst[op.dst_name] = op.target;
      bool link_only = survivor && survivor->mode == Survivor::Mode::kRenameLink;
      if (!link_only) src.erase(op.name);
      return;
    }
  }
}

// Fingerprint of the tree reachable from the root (C6): every name with its
// kind and contents. Cycles a subset image may form are cut by visiting each
// directory once (such a cycle is unreachable from the root anyway).
uint64_t Fingerprint(const DiskState& disk) {
  uint64_t h = 0x5157;
  std::vector<std::pair<InodeId, uint64_t>> stack{{kRootInode, 0}};
  std::unordered_set<InodeId> seen;
  while (!stack.empty()) {
    auto [id, name_hash] = stack.back();
    stack.pop_back();
    auto it = disk.find(id);
    if (it == disk.end()) continue;
    const DiskNode& node = *it->second;
    // Every name counts (a torn rename leaves a file under two names); only
    // directories are visited once, which cuts cycles.
    if (node.kind == FileKind::kDirectory && !seen.insert(id).second) continue;
    h = HashCombine(h, name_hash);
    h = HashCombine(h, static_cast<uint64_t>(node.kind));
    if (node.kind == FileKind::kDirectory) {
      h = HashCombine(h, node.entries.size());
      for (const auto& [name, child] : node.entries) {
        uint64_t child_hash = HashCombine(name_hash, HashBytes(AsBytes(name), 1));
        stack.push_back({child, child_hash});
      }
    } else {
      h = HashCombine(h, node.data.Fingerprint());
    }
  }
  return h;
}

// The image `spec` names: `durable` with the named pending operations applied.
Result<DiskState> BuildImage(const DiskState& durable, const std::deque<PendingOp>& pending,
                           uint32_t sector_size, const CrashImageSpec& spec) {
  DiskState image = durable;
  size_t next = 0;
  for (const Survivor& s : spec.survivors) {
    while (next < pending.size() && pending[next].seq < s.seq) ++next;
    if (next == pending.size() || pending[next].seq != s.seq) {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("crash image: #{} is not a pending operation", s.seq));
    }
    const PendingOp& op = pending[next];
    if (s.mode == Survivor::Mode::kTornWrite &&
        (op.kind != PendingKind::kWrite || s.pieces != PieceCount(op, sector_size))) {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("crash image: #{} is not a write of {} pieces", s.seq, s.pieces));
    }
    if (s.mode == Survivor::Mode::kRenameLink &&
        (op.kind != PendingKind::kRename || op.target_kind == FileKind::kDirectory)) {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("crash image: #{} is not the rename of a file", s.seq));
    }
    ApplyOp(image, op, &s, sector_size);
  }
  return image;
}

// True when pending[i] leaves every image it can apply to unchanged, whatever
// else survives: a truncate to 0 of a file that is not on disk and that no
// earlier pending operation wrote, extended or truncated to anything but 0 (a
// file just created, as the etcd WAL's file pipeline does: it is empty in
// every image, before and after). Such a file's node exists in an image
// exactly when it is reachable (its create makes it), so the truncate cannot
// change a fingerprint either.
bool IsInert(const DiskState& durable, const std::deque<PendingOp>& pending, size_t i) {
  auto truncates_to_zero = [](const PendingOp& op) { return op.kind == PendingKind::kTruncate && op.offset == 0; };
  const PendingOp& op = pending[i];
  if (!truncates_to_zero(op) || durable.count(op.node) != 0) return false;
  for (size_t j = 0; j < i; ++j) {
    const PendingOp& earlier = pending[j];
    if (!IsEntryOp(earlier.kind) && earlier.node == op.node && !truncates_to_zero(earlier)) return false;
  }
  return true;
}

// For each pending operation, the pending create (or mkdir) it cannot take
// effect without. The inode of a file or directory that is not on disk is
// named only by the entry its one pending create makes; without that create
// no entry anywhere names it, so a write, truncate or extension of it lands
// in an unreachable node, and an unlink, rmdir or rename of it finds no
// source: each is a no-op, and a subset holding one without the create is a
// duplicate of the subset without it. (Not so for the directory an entry
// operation works in: an entry made in an unreachable directory can still be
// renamed out of it, so that is no dependency.)
std::vector<std::vector<size_t>> CreationDependencies(const DiskState& durable, const std::deque<PendingOp>& pending) {
  std::unordered_map<InodeId, std::vector<size_t>> creates;  // inode -> its pending creates
  for (size_t i = 0; i < pending.size(); ++i) {
    const PendingOp& op = pending[i];
    if ((op.kind == PendingKind::kCreate || op.kind == PendingKind::kMkdir) && durable.count(op.target) == 0) {
      creates[op.target].push_back(i);
    }
  }
  std::vector<std::vector<size_t>> deps(pending.size());
  auto depend = [&](size_t i, InodeId id) {
    auto it = creates.find(id);
    if (it == creates.end() || it->second.size() != 1 || it->second[0] == i) return;
    deps[i].push_back(it->second[0]);
  };
  for (size_t i = 0; i < pending.size(); ++i) {
    const PendingOp& op = pending[i];
    depend(i, IsEntryOp(op.kind) ? op.target : op.node);
  }
  return deps;
}

// The ways `op` can survive other than whole (C4, C5).
std::vector<Survivor> PartialSurvivals(const PendingOp& op, uint32_t sector_size,
                                     const CrashEnumerationOptions& o) {
  std::vector<Survivor> out;
  if (op.kind == PendingKind::kWrite && o.tear_writes) {
    uint32_t pieces = PieceCount(op, sector_size);
    if (pieces < 2 || o.max_tear_points_per_write == 0) return out;
    uint32_t points = std::min(pieces - 1, o.max_tear_points_per_write);
    for (uint32_t p = 0; p < points; ++p) {
      // Spread k over [1, pieces-1].
      uint32_t k = points == 1 ? (pieces / 2 == 0 ? 1 : pieces / 2)
                               : 1 + static_cast<uint32_t>(uint64_t{p} * (pieces - 2) / (points - 1));
      for (int32_t signed_k : {static_cast<int32_t>(k), -static_cast<int32_t>(k)}) {
        for (TearFill fill : o.tear_fills) {
          Survivor s{op.seq, Survivor::Mode::kTornWrite, signed_k, pieces, fill, 0};
          if (fill == TearFill::kGarbage) s.garbage_seed = o.garbage_seed;
          out.push_back(s);
        }
      }
    }
  } else if (op.kind == PendingKind::kRename && o.tear_renames &&
             op.target_kind != FileKind::kDirectory) {
    out.push_back(Survivor{op.seq, Survivor::Mode::kRenameLink, 0, 0, TearFill::kZeros, 0});
  }
  return out;
}


struct SplitPath {
  std::vector<std::string> parts;
  std::string normalized;  // "/a/b"
  // The path ends in '/' after its last name ("a/", "d/e//"): Linux then
  // asks for a directory (path_resolution(7)); each call applies its rule.
  bool trailing_slash = false;
};

Result<SplitPath> Split(std::string_view path) {
  if (path.empty()) return Status(Code::kNotFound, "", "empty path", ENOENT);
  SplitPath out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(i, slash - i);
    if (part.find('\0') != std::string_view::npos) {
      return Status(Code::kInvalidArgument, std::string(path), "path contains NUL", EINVAL);
    }
    if (part.size() > 255) {
      return Status(Code::kInvalidArgument, std::string(path), "name longer than 255 bytes",
                    ENAMETOOLONG);
    }
    if (part == "..") {
      if (!out.parts.empty()) out.parts.pop_back();
    } else if (!part.empty() && part != ".") {
      out.parts.emplace_back(part);
    }
    i = slash + 1;
  }
  for (const auto& p : out.parts) out.normalized += "/" + p;
  if (out.normalized.empty()) out.normalized = "/";
  out.trailing_slash = !out.parts.empty() && path.back() == '/';
  return out;
}

}  // namespace

std::string PendingOperation::ToString() const {
  return fmt::format("#{} {} {} {}", seq, OpKindName(op), path, detail);
}

// ---------------------------------------------------------------------------
struct SimVfs::State {
  explicit State(SimVfsOptions o) : options(o), trace(o.trace_capacity) {}

  mutable std::mutex mu;
  std::condition_variable lock_released;
  SimVfsOptions options;
  FaultPlan faults;
  Trace trace;
  std::unordered_map<InodeId, LiveNode> live;
  DiskState durable;
  std::deque<PendingOp> pending;
  uint64_t next_seq = 1;
  InodeId next_inode = kRootInode + 1;
  uint64_t next_handle = 1;
  uint64_t used = 0;

  // --- lookups (REQUIRES: mu held) ---------------------------------------
  struct Where {
    InodeId parent = 0;      // 0 for the root itself
    std::string name;
    std::optional<InodeId> node;
    std::string path;        // normalized
    std::vector<std::string> parts;
    bool trailing_slash = false;  // see SplitPath
  };

  // Walks to the parent of `path`: ENOENT when a component is missing,
  // ENOTDIR when it is a file.
  Result<Where> Locate(std::string_view path) const {
    WALCRASH_ASSIGN_OR_RETURN(SplitPath split, Split(path));
    Where w;
    w.path = split.normalized;
    w.parts = split.parts;
    w.trailing_slash = split.trailing_slash;
    if (split.parts.empty()) {
      w.node = kRootInode;
      return w;
    }
    InodeId dir = kRootInode;
    for (size_t i = 0; i + 1 < split.parts.size(); ++i) {
      const LiveNode& node = live.at(dir);
      auto it = node.entries.find(split.parts[i]);
      if (it == node.entries.end()) {
        return Status(Code::kNotFound, w.path, "no such file or directory", ENOENT);
      }
      if (live.at(it->second).kind != FileKind::kDirectory) {
        return Status(Code::kNotDirectory, w.path, "a path component is not a directory", ENOTDIR);
      }
      dir = it->second;
    }
    w.parent = dir;
    w.name = split.parts.back();
    const LiveNode& parent = live.at(dir);
    if (auto it = parent.entries.find(w.name); it != parent.entries.end()) w.node = it->second;
    return w;
  }

  // --- capacity (F3) -------------------------------------------------------
  static uint64_t Charge(const LiveNode& n) { return std::max(n.data.size(), n.allocated); }

  // Room for a file to grow its charge to `new_charge`.
  bool Fits(const LiveNode& n, uint64_t new_charge) const {
    if (options.capacity_bytes == 0) return true;
    uint64_t old = Charge(n);
    return new_charge <= old || used + (new_charge - old) <= options.capacity_bytes;
  }
  // The largest charge the file may grow to.
  uint64_t MaxCharge(const LiveNode& n) const {
    if (options.capacity_bytes == 0) return std::numeric_limits<uint64_t>::max();
    uint64_t free_bytes = options.capacity_bytes > used ? options.capacity_bytes - used : 0;
    return Charge(n) + free_bytes;
  }
  // Runs `change` on the node and keeps `used` in step.
  template <typename F>
  void Recharged(LiveNode& n, F&& change) {
    uint64_t before = Charge(n);
    change();
    used = used - before + Charge(n);
  }

  void MaybeFree(InodeId id) {
    if (id == kRootInode) return;
    auto it = live.find(id);
    if (it == live.end() || it->second.links != 0 || it->second.handles != 0) return;
    used -= Charge(it->second);
    live.erase(it);
  }

  // Links a new inode of `kind` at `w` and records the pending entry
  // operation of call #seq. REQUIRES: !w.node.
  InodeId AddEntry(const Where& w, FileKind kind, PendingKind pending_kind, OpKind call, uint64_t seq) {
    InodeId id = next_inode++;
    LiveNode& n = live[id];
    n.kind = kind;
    n.links = 1;
    live.at(w.parent).entries[w.name] = id;
    AddPending(MakeEntryOp(seq, pending_kind, call, w.parent, w.name, id, kind, w.path));
    return id;
  }

  // Unlinks the inode at `w` and records the pending entry operation of
  // call #seq. REQUIRES: w.node.
  void RemoveEntry(const Where& w, PendingKind pending_kind, OpKind call, uint64_t seq) {
    InodeId id = *w.node;
    live.at(w.parent).entries.erase(w.name);
    live.at(id).links--;
    AddPending(MakeEntryOp(seq, pending_kind, call, w.parent, w.name, id, live.at(id).kind, w.path));
    MaybeFree(id);
  }

  // --- pending operations and barriers ------------------------------------
  void AddPending(PendingOp op) {
    pending.push_back(std::move(op));
    if (pending.size() > options.max_pending_ops) {  // D5: background writeback
      ApplyOp(durable, pending.front(), nullptr, options.sector_size);
      pending.pop_front();
    }
  }

  // Past this many pending bytes of one file, a sync shares the live bytes
  // with the durable state instead of copying each write into it: a pointer,
  // not O(bytes). Below it, copying is cheaper than the chunk the next write
  // would then have to clone.
  static constexpr uint64_t kShareOnSyncBytes = 64 * 1024;

  // D1: makes the file's pending data operations durable; returns how many.
  size_t SyncFile(InodeId id) {
    const auto live_node = live.find(id);
    uint64_t pending_bytes = 0;
    for (const PendingOp& op : pending) {
      if (!IsEntryOp(op.kind) && op.node == id) pending_bytes += op.kind == PendingKind::kWrite ? op.length : 0;
    }
    // Durable + these operations in order == the live bytes (LiveNode's
    // invariant), so the result can be had by sharing them.
    const bool share = live_node != live.end() && !live_node->second.durable_diverged &&
                       pending_bytes >= kShareOnSyncBytes;
    size_t n = 0;
    std::deque<PendingOp> rest;
    for (PendingOp& op : pending) {
      if (!IsEntryOp(op.kind) && op.node == id) {
        if (!share) ApplyOp(durable, op, nullptr, options.sector_size);
        ++n;
      } else {
        rest.push_back(std::move(op));
      }
    }
    pending.swap(rest);
    if (n > 0) {
      DiskNode& node = Ensure(durable, id, FileKind::kRegular);
      if (share) node.data = live_node->second.data;
    }
    return n;
  }

  // F1: drops the file's pending data operations for good; returns how many.
  size_t DropFile(InodeId id) {
    size_t before = pending.size();
    std::erase_if(pending, [&](const PendingOp& op) { return !IsEntryOp(op.kind) && op.node == id; });
    const size_t dropped = before - pending.size();
    if (dropped > 0) {
      if (auto it = live.find(id); it != live.end()) it->second.durable_diverged = true;
    }
    return dropped;
  }

  // D2: makes the directory's pending entry operations durable, with what a
  // cross-directory rename pulls in; returns how many.
  size_t SyncDirectory(InodeId dir) {
    // Walk backwards: `limit[d]` = every entry op of d issued before it is due.
    std::unordered_map<InodeId, uint64_t> limit{{dir, std::numeric_limits<uint64_t>::max()}};
    std::vector<bool> take(pending.size(), false);
    for (size_t i = pending.size(); i-- > 0;) {
      const PendingOp& op = pending[i];
      if (!IsEntryOp(op.kind)) continue;
      auto due = [&](InodeId d) {
        auto it = limit.find(d);
        return it != limit.end() && op.seq < it->second;
      };
      if (!due(op.node) && !(op.kind == PendingKind::kRename && due(op.dst_dir))) continue;
      take[i] = true;
      // A rename also commits the other directory's earlier entries; an
      // rmdir commits the removals that emptied the directory.
      InodeId other = op.kind == PendingKind::kRename  ? op.dst_dir
                      : op.kind == PendingKind::kRmdir ? op.target
                                                       : op.node;
      for (InodeId d : {op.node, other}) {
        uint64_t& l = limit[d];
        l = std::max(l, op.seq);
      }
    }
    size_t n = 0;
    std::deque<PendingOp> rest;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (take[i]) {
        ApplyOp(durable, pending[i], nullptr, options.sector_size);
        ++n;
      } else {
        rest.push_back(std::move(pending[i]));
      }
    }
    pending.swap(rest);
    CollectDurable();
    return n;
  }

  // Forgets durable inodes nothing can reach any more: not the durable tree,
  // not a live inode (whose later sync or entry could bring it back), not a
  // pending operation. Keeps images and barriers from paying for dead files.
  void CollectDurable() {
    std::unordered_set<InodeId> keep;
    std::vector<InodeId> stack{kRootInode};
    for (const auto& [id, node] : live) stack.push_back(id);
    for (const PendingOp& op : pending) {
      stack.push_back(op.node);
      if (IsEntryOp(op.kind)) stack.push_back(op.target);
      if (op.kind == PendingKind::kRename) stack.push_back(op.dst_dir);
    }
    while (!stack.empty()) {
      InodeId id = stack.back();
      stack.pop_back();
      if (!keep.insert(id).second) continue;
      auto it = durable.find(id);
      if (it == durable.end()) continue;
      for (const auto& [name, child] : it->second->entries) stack.push_back(child);
    }
    std::erase_if(durable, [&](const auto& entry) { return !keep.count(entry.first); });
  }

  // Rebuilds a fresh state whose live and durable trees are `image`.
  static std::shared_ptr<State> FromImage(const DiskState& image, const SimVfsOptions& options) {
    auto st = std::make_shared<State>(options);
    std::vector<InodeId> stack{kRootInode};
    while (!stack.empty()) {
      InodeId id = stack.back();
      stack.pop_back();
      if (st->durable.count(id)) continue;
      auto it = image.find(id);
      std::shared_ptr<DiskNode> node =
          it != image.end() ? it->second : std::make_shared<DiskNode>(DiskNode{FileKind::kDirectory, {}, {}});
      LiveNode& l = st->live[id];
      l.kind = node->kind;
      l.data = node->data;
      l.entries = node->entries;
      st->used += Charge(l);
      for (const auto& [name, child] : node->entries) {
        stack.push_back(child);
        st->next_inode = std::max(st->next_inode, child + 1);
      }
      st->durable.emplace(id, std::move(node));
    }
    st->live[kRootInode].links = 1;
    for (auto& [id, l] : st->live) {
      for (const auto& [name, child] : l.entries) st->live[child].links++;
    }
    return st;
  }
};

// ---------------------------------------------------------------------------
// One call: checks the fault points and the plan, runs the effect, traces.
namespace {

struct Call {
  SimVfs::State& st;
  OpKind op;
  std::string path;
  std::string detail;
  std::string note;
  std::optional<FaultDecision> fault;
  uint64_t seq;

  Call(SimVfs::State& state, OpKind kind, std::string_view p)
      : st(state), op(kind), path(p), seq(state.next_seq++) {}

  // The error a fault point or rule imposes before any effect, if any. A
  // file sync's failure is not "before any effect" (F1): Before leaves it to
  // the sync, which sees it in `sync_failure`.
  Status Before() {
    const bool file_sync = op == OpKind::kSync || op == OpKind::kDataSync;
    Status s = CheckFaultPoint(Backend::kSim, op, path);
    if (!s.ok()) {
      note = "libfiu";
      if (!file_sync) return s;
      sync_failure = std::move(s);
      return {};
    }
    fault = st.faults.Check(op, path);
    if (fault && fault->effect != FaultEffect::kErrorAfterEffect && file_sync) {
      note = fmt::format("injected: rule {}", fault->rule_index);
      sync_failure = Injected();
    } else if (fault && fault->effect == FaultEffect::kFail) {
      note = fmt::format("injected: rule {}", fault->rule_index);
      return Injected();
    }
    return {};
  }

  // Resolves `p` (the call's path from now on), then checks the faults.
  Result<SimVfs::State::Where> Resolve(std::string_view p) {
    auto where = st.Locate(p);
    if (!where.ok()) return where.error();
    path = where->path;
    WALCRASH_RETURN_IF_ERROR(Before());
    return where;
  }

  // ENOTDIR: `p` names a file but ends in '/', which asks for a directory.
  Status FileWithTrailingSlash(std::string_view p) const {
    return Status(Code::kNotDirectory, std::string(p),
                  fmt::format("{}: a file named with a trailing slash", OpKindName(op)), ENOTDIR);
  }

  Status NotFound() const {
    return Status(Code::kNotFound, path, fmt::format("{}: no such file or directory", OpKindName(op)), ENOENT);
  }

  Status Injected() const {
    return Status::FromErrno(fault->error_number, path,
                             fmt::format("{}: injected fault (rule {})", OpKindName(op), fault->rule_index));
  }

  Status sync_failure;  // set by Before for a failing file sync

  // Records the call; returns `s` (with an "after" fault turned into an error).
  Status Finish(Status s) {
    if (s.ok() && fault && fault->effect == FaultEffect::kErrorAfterEffect) {
      note = fmt::format("injected after effect: rule {}", fault->rule_index);
      s = Injected();
    }
    if (st.options.trace_capacity != 0) {
      st.trace.Add(TraceEntry{seq, op, path, std::move(detail), s.code(), s.error_number(), std::move(note)});
    }
    return s;
  }
};

class SimFile final : public File {
 public:
  SimFile(std::shared_ptr<SimVfs::State> st, InodeId id, std::string path, OpenFlags flags, uint64_t handle)
      : st_(std::move(st)), id_(id), path_(std::move(path)), flags_(flags), handle_(handle) {}
  ~SimFile() override {
    if (open_) Close().IgnoreError();  // contract: the destructor's close error is lost
  }

  const std::string& path() const override { return path_; }

  Result<size_t> ReadAt(uint64_t offset, MutableBytes dst) override {
    std::lock_guard lock(st_->mu);
    return DoRead(offset, dst, false);
  }
  Result<size_t> Read(MutableBytes dst) override {
    std::lock_guard lock(st_->mu);
    return DoRead(cursor_, dst, true);
  }

  Status WriteAt(uint64_t offset, Bytes data) override {
    std::lock_guard lock(st_->mu);
    Call call(*st_, OpKind::kWrite, path_);
    if (Status s = Usable(call, kWrite); !s.ok()) return call.Finish(s);
    if (flags_ & kAppend) {
      return call.Finish(Status(Code::kInvalidArgument, path_, "pwrite on an append handle", EINVAL));
    }
    return call.Finish(DoWrite(call, offset, data, OpKind::kWrite));
  }

  Status Append(Bytes data) override {
    std::lock_guard lock(st_->mu);
    Call call(*st_, OpKind::kAppend, path_);
    if (Status s = Usable(call, kWrite); !s.ok()) return call.Finish(s);
    return call.Finish(DoWrite(call, node().data.size(), data, OpKind::kAppend));
  }

  Result<uint64_t> Size() override {
    std::lock_guard lock(st_->mu);
    Call call(*st_, OpKind::kSize, path_);
    if (Status s = Usable(call, 0); !s.ok()) return call.Finish(s);
    uint64_t size = node().data.size();
    Status s = call.Finish({});
    if (!s.ok()) return s;
    return size;
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard lock(st_->mu);
    Call call(*st_, OpKind::kTruncate, path_);
    call.detail = fmt::format("to {}", size);
    if (Status s = Usable(call, kWrite); !s.ok()) return call.Finish(s);
    if (size > st_->options.max_file_size) {
      return call.Finish(Status::FromErrno(EFBIG, path_, fmt::format("truncate to {}", size)));
    }
    LiveNode& n = node();
    uint64_t new_charge = std::max(size, std::min(n.allocated, size));
    if (size > n.data.size() && !st_->Fits(n, std::max(new_charge, n.allocated))) {
      return call.Finish(Status::FromErrno(ENOSPC, path_, fmt::format("truncate to {}", size)));
    }
    st_->Recharged(n, [&] {
      n.data.Resize(size);
      n.allocated = std::min(n.allocated, size);  // blocks past the new end are freed
    });
    PendingOp op = Pending(call, PendingKind::kTruncate);
    op.offset = size;
    st_->AddPending(std::move(op));
    return call.Finish({});
  }

  Status Preallocate(uint64_t offset, uint64_t length, PreallocateMode mode) override {
    std::lock_guard lock(st_->mu);
    Call call(*st_, OpKind::kPreallocate, path_);
    call.detail = fmt::format("@{}+{}{}", offset, length, mode == PreallocateMode::kKeepSize ? " keep" : "");
    if (Status s = Usable(call, kWrite); !s.ok()) return call.Finish(s);
    if (length == 0) return call.Finish(Status(Code::kInvalidArgument, path_, "preallocate of 0 bytes", EINVAL));
    if (offset + length > st_->options.max_file_size || offset + length < offset) {
      return call.Finish(Status::FromErrno(EFBIG, path_, call.detail));
    }
    LiveNode& n = node();
    uint64_t end = offset + length;
    if (!st_->Fits(n, std::max({end, n.allocated, n.data.size()}))) {
      return call.Finish(Status::FromErrno(ENOSPC, path_, fmt::format("preallocate {}", call.detail)));
    }
    st_->Recharged(n, [&] {
      n.allocated = std::max(n.allocated, end);
      if (mode == PreallocateMode::kExtend && end > n.data.size()) n.data.Resize(end);
    });
    if (mode == PreallocateMode::kExtend) {
      PendingOp op = Pending(call, PendingKind::kExtend);
      op.offset = offset;
      op.length = length;
      st_->AddPending(std::move(op));
    }
    return call.Finish({});
  }

  Status Sync() override { return DoSync(OpKind::kSync); }
  Status DataSync() override { return DoSync(OpKind::kDataSync); }

  Status TryLock() override {
    std::unique_lock lock(st_->mu);
    Call call(*st_, OpKind::kLock, path_);
    call.detail = "try";
    if (Status s = Usable(call, 0); !s.ok()) return call.Finish(s);
    LiveNode& n = node();
    if (n.lock_owner != 0 && n.lock_owner != handle_) {
      return call.Finish(Status(Code::kLocked, path_, "lock held by another handle", EWOULDBLOCK));
    }
    n.lock_owner = handle_;
    return call.Finish({});
  }

  Status Lock() override {
    std::unique_lock lock(st_->mu);
    Call call(*st_, OpKind::kLock, path_);
    if (Status s = Usable(call, 0); !s.ok()) return call.Finish(s);
    st_->lock_released.wait(lock, [&] {
      uint64_t owner = node().lock_owner;
      return owner == 0 || owner == handle_;
    });
    node().lock_owner = handle_;
    return call.Finish({});
  }

  Status Unlock() override {
    std::lock_guard lock(st_->mu);
    Call call(*st_, OpKind::kUnlock, path_);
    if (Status s = Usable(call, 0); !s.ok()) return call.Finish(s);
    ReleaseLock();
    return call.Finish({});
  }

  Status Close() override {
    std::lock_guard lock(st_->mu);
    Call call(*st_, OpKind::kClose, path_);
    if (!open_) return call.Finish(Closed());
    if (Status s = call.Before(); !s.ok()) return call.Finish(s);
    // The handle is released even when a fault is reported after the effect.
    ReleaseLock();
    open_ = false;
    node().handles--;
    st_->MaybeFree(id_);
    return call.Finish({});
  }

 private:
  LiveNode& node() { return st_->live.at(id_); }

  Status Closed() const {
    return Status(Code::kInvalidArgument, path_, "handle is closed", EBADF);
  }

  // Checks the handle is open and has `need` (kRead/kWrite), then the faults.
  Status Usable(Call& call, unsigned need) {
    if (!open_) return Closed();
    if ((need & kRead) && !(flags_ & kRead)) {
      return Status(Code::kInvalidArgument, path_, "handle not open for reading", EBADF);
    }
    if ((need & kWrite) && !(flags_ & kWrite)) {
      return Status(Code::kInvalidArgument, path_, "handle not open for writing", EBADF);
    }
    return call.Before();
  }

  void ReleaseLock() {
    LiveNode& n = node();
    if (n.lock_owner == handle_) {
      n.lock_owner = 0;
      st_->lock_released.notify_all();
    }
  }

  PendingOp Pending(const Call& call, PendingKind kind) const {
    PendingOp op = MakeOp(call.seq, kind, call.op, id_, path_);
    op.detail = call.detail;
    return op;
  }

  Result<size_t> DoRead(uint64_t offset, MutableBytes dst, bool sequential) {
    Call call(*st_, OpKind::kRead, path_);
    call.detail = sequential ? fmt::format("+{}", dst.size()) : fmt::format("@{}+{}", offset, dst.size());
    if (Status s = Usable(call, kRead); !s.ok()) return call.Finish(s);
    size_t n = node().data.Read(offset, dst);
    if (sequential) cursor_ += n;
    Status s = call.Finish({});
    if (!s.ok()) return s;
    return n;
  }

  Status DoWrite(Call& call, uint64_t offset, Bytes data, OpKind kind) {
    call.detail = fmt::format("@{}+{}", offset, data.size());
    if (data.empty()) return {};
    if (offset + data.size() > st_->options.max_file_size) {
      return Status::FromErrno(EFBIG, path_, fmt::format("{} {}", OpKindName(kind), call.detail));
    }
    Status error;
    size_t keep = data.size();
    if (call.fault && call.fault->effect == FaultEffect::kShortWrite) {
      keep = call.fault->short_write_bytes != 0
                 ? static_cast<size_t>(std::min<uint64_t>(call.fault->short_write_bytes, data.size() - 1))
                 : data.size() / 2;
      call.note = fmt::format("injected short write: {} of {} bytes", keep, data.size());
      error = call.Injected();
    }
    LiveNode& n = node();
    uint64_t max_end = st_->MaxCharge(n);
    if (offset + keep > std::max(max_end, n.allocated)) {
      uint64_t room_end = std::max(max_end, n.allocated);
      keep = room_end > offset ? static_cast<size_t>(room_end - offset) : 0;
      if (error.ok()) {
        error = Status::FromErrno(ENOSPC, path_, fmt::format("{} {}: {} bytes fit", OpKindName(kind), call.detail, keep));
      }
    }
    if (keep > 0) {
      Bytes stored = data.first(keep);
      st_->Recharged(n, [&] { n.data.Write(offset, stored); });
      PendingOp op = Pending(call, PendingKind::kWrite);
      op.offset = offset;
      op.length = keep;
      op.data = std::make_shared<const std::vector<std::byte>>(stored.begin(), stored.end());
      st_->AddPending(std::move(op));
    }
    return error;
  }

  Status DoSync(OpKind kind) {
    std::lock_guard lock(st_->mu);
    Call call(*st_, kind, path_);
    if (Status s = Usable(call, 0); !s.ok()) return call.Finish(s);
    if (!call.sync_failure.ok()) {
      // F1: Linux marks the pages clean; their data never reaches the disk.
      size_t dropped = st_->DropFile(id_);
      call.note += fmt::format("; dropped {} unsynced operations", dropped);
      return call.Finish(call.sync_failure);
    }
    size_t n = st_->SyncFile(id_);
    call.detail = fmt::format("{} made durable", n);
    return call.Finish({});
  }

  std::shared_ptr<SimVfs::State> st_;
  InodeId id_;
  std::string path_;
  OpenFlags flags_;
  uint64_t handle_;
  uint64_t cursor_ = 0;
  bool open_ = true;
};

class SimDirectory final : public Directory {
 public:
  SimDirectory(std::shared_ptr<SimVfs::State> st, InodeId id, std::string path)
      : st_(std::move(st)), id_(id), path_(std::move(path)) {}
  ~SimDirectory() override {
    if (open_) Close().IgnoreError();  // contract: the destructor's close error is lost
  }
  const std::string& path() const override { return path_; }

  Status Sync() override {
    std::lock_guard lock(st_->mu);
    Call call(*st_, OpKind::kDirSync, path_);
    if (!open_) return call.Finish(Closed());
    if (Status s = call.Before(); !s.ok()) return call.Finish(s);  // F1: nothing durable, nothing dropped
    if (call.fault && call.fault->effect != FaultEffect::kErrorAfterEffect) {
      return call.Finish(call.Injected());
    }
    size_t n = st_->SyncDirectory(id_);
    call.detail = fmt::format("{} made durable", n);
    return call.Finish({});
  }

  Status Close() override {
    std::lock_guard lock(st_->mu);
    Call call(*st_, OpKind::kClose, path_);
    if (!open_) return call.Finish(Closed());
    if (Status s = call.Before(); !s.ok()) return call.Finish(s);
    open_ = false;
    st_->live.at(id_).handles--;
    st_->MaybeFree(id_);
    return call.Finish({});
  }

 private:
  Status Closed() const { return Status(Code::kInvalidArgument, path_, "handle is closed", EBADF); }
  std::shared_ptr<SimVfs::State> st_;
  InodeId id_;
  std::string path_;
  bool open_ = true;
};


}  // namespace

// ---------------------------------------------------------------------------
SimVfs::SimVfs(SimVfsOptions options) : SimVfs(std::make_shared<State>(options)) {
  LiveNode& root = state_->live[kRootInode];
  root.kind = FileKind::kDirectory;
  root.links = 1;
  Ensure(state_->durable, kRootInode, FileKind::kDirectory);
}

SimVfs::SimVfs(std::shared_ptr<State> state) : state_(std::move(state)) {
  assert(state_->options.sector_size > 0);
  InitFaultPoints();
}

SimVfs::~SimVfs() = default;

const SimVfsOptions& SimVfs::options() const { return state_->options; }

Result<std::unique_ptr<File>> SimVfs::Open(std::string_view path, OpenFlags flags) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  Call call(st, OpKind::kOpen, path);
  call.detail = OpenFlagsText(flags);
  if (Status s = ValidateOpenFlags(flags, path); !s.ok()) return call.Finish(s);
  auto where = call.Resolve(path);
  if (!where.ok()) return call.Finish(where.error());
  if ((flags & kCreate) && where->trailing_slash) {
    // Linux refuses to create "name/" before it looks the name up, so even
    // an existing file or an exclusive create get EISDIR.
    return call.Finish(Status(Code::kIsDirectory, where->path, "open: create with a trailing slash", EISDIR));
  }
  InodeId id = 0;
  if (where->node) {
    id = *where->node;
    if ((flags & kCreate) && (flags & kExclusive)) {
      return call.Finish(Status(Code::kExists, where->path, "open: exists", EEXIST));
    }
    LiveNode& n = st.live.at(id);
    if (n.kind == FileKind::kDirectory) {
      return call.Finish(Status(Code::kIsDirectory, where->path, "open: is a directory", EISDIR));
    }
    if (where->trailing_slash) {
      return call.Finish(call.FileWithTrailingSlash(where->path));
    }
    if ((flags & kTruncate) && n.data.size() > 0) {
      st.Recharged(n, [&] {
        n.data.Resize(0);
        n.allocated = 0;
      });
      PendingOp op = MakeOp(call.seq, PendingKind::kTruncate, OpKind::kOpen, id, where->path);
      op.detail = "O_TRUNC";
      st.AddPending(std::move(op));
    }
  } else {
    if (!(flags & kCreate)) {
      return call.Finish(Status(Code::kNotFound, where->path, "open: no such file", ENOENT));
    }
    id = st.AddEntry(*where, FileKind::kRegular, PendingKind::kCreate, OpKind::kOpen, call.seq);
  }
  Status s = call.Finish({});
  // An "after" fault: the file exists, but the process never got a handle.
  // (No SimFile is built for it: its Close would take the mutex held here.)
  if (!s.ok()) return s;
  st.live.at(id).handles++;
  return std::unique_ptr<File>(std::make_unique<SimFile>(state_, id, where->path, flags, st.next_handle++));
}

Result<std::unique_ptr<Directory>> SimVfs::OpenDirectory(std::string_view path) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  Call call(st, OpKind::kOpenDir, path);
  auto where = call.Resolve(path);
  if (!where.ok()) return call.Finish(where.error());
  if (!where->node) return call.Finish(call.NotFound());
  LiveNode& n = st.live.at(*where->node);
  if (n.kind != FileKind::kDirectory) {
    return call.Finish(Status(Code::kNotDirectory, where->path, "opendir: not a directory", ENOTDIR));
  }
  Status s = call.Finish({});
  if (!s.ok()) return s;  // an "after" fault: no handle (see Open)
  n.handles++;
  return std::unique_ptr<Directory>(std::make_unique<SimDirectory>(state_, *where->node, where->path));
}

Status SimVfs::Rename(std::string_view from, std::string_view to) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  Call call(st, OpKind::kRename, from);
  call.detail = fmt::format("-> {}", to);
  auto src = st.Locate(from);
  if (!src.ok()) return call.Finish(src.error());
  call.path = src->path;
  auto dst = st.Locate(to);
  if (!dst.ok()) return call.Finish(dst.error());
  call.detail = fmt::format("-> {}", dst->path);
  if (Status s = call.Before(); !s.ok()) return call.Finish(s);
  if (!src->node) return call.Finish(Status(Code::kNotFound, src->path, "rename: no such file", ENOENT));
  if (src->parts.empty() || dst->parts.empty()) {
    return call.Finish(Status(Code::kIOError, src->path, "rename of the root", EBUSY));
  }
  InodeId id = *src->node;
  LiveNode& moving = st.live.at(id);
  // Linux: a trailing slash on either name asks for a directory, checked
  // before anything else about the two entries (renaming a file to itself
  // as "a/" included).
  if (moving.kind != FileKind::kDirectory && (src->trailing_slash || dst->trailing_slash)) {
    return call.Finish(call.FileWithTrailingSlash(src->path));
  }
  if (dst->node == id) return call.Finish({});  // same entry: nothing to do
  // Linux checks the two "trap" cases before any type check: a destination
  // that is an ancestor of the source is ENOTEMPTY (it holds the source).
  if (dst->parts.size() < src->parts.size() &&
      std::equal(dst->parts.begin(), dst->parts.end(), src->parts.begin())) {
    return call.Finish(Status(Code::kNotEmpty, dst->path, "rename onto an ancestor of the source", ENOTEMPTY));
  }
  if (moving.kind == FileKind::kDirectory) {
    bool inside = dst->parts.size() > src->parts.size() &&
                  std::equal(src->parts.begin(), src->parts.end(), dst->parts.begin());
    if (inside) {
      return call.Finish(Status(Code::kInvalidArgument, src->path,
                                fmt::format("rename into its own subdirectory {}", dst->path), EINVAL));
    }
  }
  if (dst->node) {
    const LiveNode& old = st.live.at(*dst->node);
    if (moving.kind == FileKind::kDirectory && old.kind != FileKind::kDirectory) {
      return call.Finish(Status(Code::kNotDirectory, dst->path, "rename: directory over a file", ENOTDIR));
    }
    if (moving.kind != FileKind::kDirectory && old.kind == FileKind::kDirectory) {
      return call.Finish(Status(Code::kIsDirectory, dst->path, "rename: file over a directory", EISDIR));
    }
    if (old.kind == FileKind::kDirectory && !old.entries.empty()) {
      return call.Finish(Status(Code::kNotEmpty, dst->path, "rename: directory not empty", ENOTEMPTY));
    }
  }
  st.live.at(dst->parent).entries[dst->name] = id;
  st.live.at(src->parent).entries.erase(src->name);
  if (dst->node) {
    st.live.at(*dst->node).links--;
    st.MaybeFree(*dst->node);
  }
  PendingOp op = MakeEntryOp(call.seq, PendingKind::kRename, OpKind::kRename, src->parent, src->name, id,
                             moving.kind, src->path);
  op.dst_dir = dst->parent;
  op.dst_name = dst->name;
  op.detail = call.detail;
  st.AddPending(std::move(op));
  return call.Finish({});
}

Status SimVfs::Unlink(std::string_view path) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  Call call(st, OpKind::kUnlink, path);
  auto where = call.Resolve(path);
  if (!where.ok()) return call.Finish(where.error());
  if (!where->node) return call.Finish(call.NotFound());
  LiveNode& n = st.live.at(*where->node);
  if (n.kind == FileKind::kDirectory) {
    return call.Finish(Status(Code::kIsDirectory, where->path, "unlink: is a directory", EISDIR));
  }
  if (where->trailing_slash) {
    return call.Finish(call.FileWithTrailingSlash(where->path));
  }
  st.RemoveEntry(*where, PendingKind::kUnlink, OpKind::kUnlink, call.seq);
  return call.Finish({});
}

Status SimVfs::Mkdir(std::string_view path) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  Call call(st, OpKind::kMkdir, path);
  auto where = call.Resolve(path);
  if (!where.ok()) return call.Finish(where.error());
  if (where->node) return call.Finish(Status(Code::kExists, where->path, "mkdir: exists", EEXIST));
  st.AddEntry(*where, FileKind::kDirectory, PendingKind::kMkdir, OpKind::kMkdir, call.seq);
  return call.Finish({});
}

Status SimVfs::Rmdir(std::string_view path) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  Call call(st, OpKind::kRmdir, path);
  auto where = call.Resolve(path);
  if (!where.ok()) return call.Finish(where.error());
  if (!where->node) return call.Finish(call.NotFound());
  if (where->parts.empty()) return call.Finish(Status(Code::kIOError, "/", "rmdir of the root", EBUSY));
  LiveNode& n = st.live.at(*where->node);
  if (n.kind != FileKind::kDirectory) {
    return call.Finish(Status(Code::kNotDirectory, where->path, "rmdir: not a directory", ENOTDIR));
  }
  if (!n.entries.empty()) {
    return call.Finish(Status(Code::kNotEmpty, where->path, "rmdir: directory not empty", ENOTEMPTY));
  }
  st.RemoveEntry(*where, PendingKind::kRmdir, OpKind::kRmdir, call.seq);
  return call.Finish({});
}

Result<std::vector<std::string>> SimVfs::List(std::string_view path) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  Call call(st, OpKind::kList, path);
  auto where = call.Resolve(path);
  if (!where.ok()) return call.Finish(where.error());
  if (!where->node) return call.Finish(call.NotFound());
  const LiveNode& n = st.live.at(*where->node);
  if (n.kind != FileKind::kDirectory) {
    return call.Finish(Status(Code::kNotDirectory, where->path, "list: not a directory", ENOTDIR));
  }
  std::vector<std::string> names;
  names.reserve(n.entries.size());
  for (const auto& [name, id] : n.entries) names.push_back(name);  // std::map: sorted
  Status s = call.Finish({});
  if (!s.ok()) return s;
  return names;
}

Result<FileInfo> SimVfs::Stat(std::string_view path) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  Call call(st, OpKind::kStat, path);
  auto where = call.Resolve(path);
  if (!where.ok()) return call.Finish(where.error());
  if (!where->node) return call.Finish(call.NotFound());
  const LiveNode& n = st.live.at(*where->node);
  if (where->trailing_slash && n.kind != FileKind::kDirectory) {
    return call.Finish(call.FileWithTrailingSlash(where->path));
  }
  FileInfo info{n.kind == FileKind::kDirectory ? 0 : n.data.size(), n.kind};
  Status s = call.Finish({});
  if (!s.ok()) return s;
  return info;
}

void SimVfs::SetFaultPlan(FaultPlan plan) {
  std::lock_guard lock(state_->mu);
  state_->faults = std::move(plan);
}

FaultPlan SimVfs::fault_plan() const {
  std::lock_guard lock(state_->mu);
  return state_->faults;
}

std::vector<TraceEntry> SimVfs::TraceEntries() const {
  std::lock_guard lock(state_->mu);
  return {state_->trace.entries().begin(), state_->trace.entries().end()};
}

std::string SimVfs::TraceText() const {
  std::lock_guard lock(state_->mu);
  return state_->trace.ToString();
}

std::vector<PendingOperation> SimVfs::PendingOperations() const {
  std::lock_guard lock(state_->mu);
  std::vector<PendingOperation> out;
  out.reserve(state_->pending.size());
  for (const PendingOp& op : state_->pending) {
    std::string detail = op.detail;
    if (op.kind == PendingKind::kWrite) detail = fmt::format("@{}+{}", op.offset, op.length);
    const bool file_rename = op.kind == PendingKind::kRename && op.target_kind != FileKind::kDirectory;
    const uint32_t pieces = op.kind == PendingKind::kWrite ? PieceCount(op, state_->options.sector_size) : 0;
    out.push_back({op.seq, op.call, op.path, std::move(detail), pieces, file_rename});
  }
  return out;
}

uint64_t SimVfs::used_bytes() const {
  std::lock_guard lock(state_->mu);
  return state_->used;
}

Result<std::unique_ptr<SimVfs>> SimVfs::CrashImage(const CrashImageSpec& spec) const {
  std::lock_guard lock(state_->mu);
  WALCRASH_ASSIGN_OR_RETURN(DiskState image, BuildImage(state_->durable, state_->pending, state_->options.sector_size, spec));
  return std::unique_ptr<SimVfs>(new SimVfs(State::FromImage(image, state_->options)));
}

Result<uint64_t> SimVfs::CrashImageFingerprint(const CrashImageSpec& spec) const {
  std::lock_guard lock(state_->mu);
  WALCRASH_ASSIGN_OR_RETURN(DiskState image, BuildImage(state_->durable, state_->pending, state_->options.sector_size, spec));
  return Fingerprint(image);
}

size_t SimVfs::ForEachCrashImage(const CrashEnumerationOptions& options,
                                 const std::function<bool(const CrashImageSpec&)>& visit) const {
  // Enumerate a snapshot, not under the lock: the visitor may call back into
  // this SimVfs (CrashImage, PendingOperations, ...). Copies are cheap: file
  // contents are copy-on-write and pending data is shared.
  DiskState durable;
  std::deque<PendingOp> pending;
  uint32_t sector_size = 0;
  {
    std::lock_guard lock(state_->mu);
    durable = state_->durable;
    pending = state_->pending;
    sector_size = state_->options.sector_size;
  }
  const size_t n = pending.size();
  std::unordered_set<uint64_t> seen;
  size_t visited = 0;
  bool stop = false;
  // Bounds the candidates tried, distinct or not, so a bound is always hit.
  const size_t cap = std::max<size_t>(options.max_images, 1);
  size_t budget = cap > std::numeric_limits<size_t>::max() / 64 ? std::numeric_limits<size_t>::max() : cap * 64;

  auto offer = [&](const CrashImageSpec& spec) {
    if (stop) return;
    if (budget-- == 0 || visited >= options.max_images) {
      stop = true;
      return;
    }
    auto image = BuildImage(durable, pending, sector_size, spec);
    assert(image.ok());
    if (!seen.insert(Fingerprint(*image)).second) return;
    ++visited;
    if (!visit(spec)) stop = true;
  };
  auto survivors_of = [&](const std::vector<size_t>& indices) {
    CrashImageSpec spec;
    for (size_t i : indices) spec.survivors.push_back(Survivor{pending[i].seq, Survivor::Mode::kWhole, 0, 0, TearFill::kZeros, 0});
    return spec;
  };
  // The whole selection, then each variant with one member surviving in part
  // (for prefix, only the last member: the crash cut that operation).
  auto offer_selection = [&](const std::vector<size_t>& indices, bool tear_any) {
    CrashImageSpec whole = survivors_of(indices);
    offer(whole);
    for (size_t j = tear_any ? 0 : (indices.empty() ? 0 : indices.size() - 1); j < indices.size() && !stop; ++j) {
      for (const Survivor& partial : PartialSurvivals(pending[indices[j]], sector_size, options)) {
        CrashImageSpec spec = whole;
        spec.survivors[j] = partial;
        offer(spec);
        if (stop) break;
      }
    }
  };

  switch (options.model) {
    case PersistenceModel::kStrict:
      offer(CrashImageSpec{});
      break;
    case PersistenceModel::kPrefix: {
      std::vector<size_t> prefix;
      offer_selection(prefix, false);
      for (size_t k = 0; k < n && !stop; ++k) {
        prefix.push_back(k);
        offer_selection(prefix, false);
      }
      break;
    }
    case PersistenceModel::kSubset: {
      // Subsets by size, each size in lexicographic order, of the operations
      // that can change an image, skipping those that hold an operation
      // without the create it needs: both would only add duplicates (and
      // spend the budget on them). Skipped subsets are bounded too.
      std::vector<size_t> live_ops;
      for (size_t i = 0; i < n; ++i) {
        if (!IsInert(durable, pending, i)) live_ops.push_back(i);
      }
      const std::vector<std::vector<size_t>> deps = CreationDependencies(durable, pending);
      std::vector<char> chosen(n, 0);
      size_t skips_left = budget > std::numeric_limits<size_t>::max() / 16 ? budget : budget * 16;
      auto complete = [&](const std::vector<size_t>& indices) {
        for (size_t i : indices) chosen[i] = 1;
        bool ok = true;
        for (size_t i : indices) {
          for (size_t d : deps[i]) ok = ok && chosen[d];
        }
        for (size_t i : indices) chosen[i] = 0;
        return ok;
      };
      const size_t m = live_ops.size();
      for (size_t size = 0; size <= m && !stop; ++size) {
        std::vector<size_t> pick(size);
        for (size_t i = 0; i < size; ++i) pick[i] = i;
        std::vector<size_t> indices(size);
        while (!stop) {
          for (size_t i = 0; i < size; ++i) indices[i] = live_ops[pick[i]];
          if (complete(indices)) {
            offer_selection(indices, true);
          } else if (skips_left-- == 0) {
            stop = true;
          }
          // Next combination.
          size_t i = size;
          while (i > 0 && pick[i - 1] == m - size + i - 1) --i;
          if (i == 0) break;
          ++pick[i - 1];
          for (size_t j = i; j < size; ++j) pick[j] = pick[j - 1] + 1;
        }
      }
      break;
    }
  }
  return visited;
}

std::vector<CrashImageSpec> SimVfs::EnumerateCrashImages(const CrashEnumerationOptions& options) const {
  std::vector<CrashImageSpec> out;
  ForEachCrashImage(options, [&](const CrashImageSpec& spec) {
    out.push_back(spec);
    return true;
  });
  return out;
}

CrashImageSpec SimVfs::SampleCrashImage(const CrashEnumerationOptions& options, uint64_t seed) const {
  std::lock_guard lock(state_->mu);
  const State& st = *state_;
  uint64_t rng = seed;
  std::vector<size_t> picked;
  switch (options.model) {
    case PersistenceModel::kStrict:
      return {};
    case PersistenceModel::kPrefix: {
      size_t k = static_cast<size_t>(SplitMix64(rng) % (st.pending.size() + 1));
      for (size_t i = 0; i < k; ++i) picked.push_back(i);
      break;
    }
    case PersistenceModel::kSubset:
      for (size_t i = 0; i < st.pending.size(); ++i) {
        if (SplitMix64(rng) & 1) picked.push_back(i);
      }
      break;
  }
  CrashImageSpec spec;
  for (size_t i : picked) spec.survivors.push_back(Survivor{st.pending[i].seq, Survivor::Mode::kWhole, 0, 0, TearFill::kZeros, 0});
  // One in four images tears one survivor (the last one, for prefix).
  if (!picked.empty() && SplitMix64(rng) % 4 == 0) {
    size_t j = options.model == PersistenceModel::kPrefix ? picked.size() - 1
                                                          : static_cast<size_t>(SplitMix64(rng) % picked.size());
    std::vector<Survivor> partials = PartialSurvivals(st.pending[picked[j]], st.options.sector_size, options);
    if (!partials.empty()) spec.survivors[j] = partials[SplitMix64(rng) % partials.size()];
  }
  return spec;
}

}  // namespace walcrash::vfs
