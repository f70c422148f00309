// SimVfs — an in-memory, deterministic, crash-aware filesystem.
//
// SimVfs runs a workload exactly as a POSIX filesystem on Linux would show it
// to the process, while it keeps apart what a crash at this instant could
// leave on disk. Its verdicts are only as true as this model, so the model is
// stated here in full, and each rule is pinned by a test in
// sim_vfs_test.cc / sim_vfs_crash_test.cc / sim_vfs_fault_test.cc.
//
// ---------------------------------------------------------------------------
// State
//   live      what the running process sees: the tree, file contents, sizes.
//   durable   what is on stable storage for certain: survives any crash.
//   pending   every mutating call since the last barrier that covers it, in
//             issue order: write/append (offset + bytes), truncate, extending
//             preallocate, create, mkdir, unlink, rmdir, rename. Each carries
//             the sequence number of its call in the trace (#N).
// Files are inodes; directory entries map names to inodes. An open handle
// keeps working on an unlinked or renamed inode, as on Linux.
//
// Durability rules (barriers)
//   D1 File::Sync and File::DataSync make the file's pending data operations
//      (writes, truncates, extensions, in order) durable: its durable contents
//      and size become what the process sees, minus writes a failed sync
//      dropped (F1). DataSync is the same as Sync here: fdatasync must persist
//      the size whenever the data needs it, and the model tracks no other
//      metadata.
//   D2 Directory::Sync makes the pending entry operations of that directory
//      (create, mkdir, unlink, rmdir, rename into or out of it) durable, in
//      order. A rename between two directories is one journal transaction: if
//      it is made durable, it is made durable whole, and the earlier pending
//      entry operations of the other directory come with it (a journal commits
//      in order). Likewise an rmdir brings the earlier pending removals inside
//      the directory it removes (it could not have been empty without them).
//   D3 A file whose entry is not durable is not in the durable tree: after a
//      crash it is gone, even if its data was synced (D1 without D2). Its
//      synced data is kept with its inode, so a later directory sync makes the
//      file durable with that data.
//   D4 Nothing else is a barrier: Close, Open, reads, and Lock make nothing
//      durable. Non-extending preallocation (kKeepSize) changes neither
//      contents nor size and is not a pending operation.
//   D5 Pending operations are bounded (SimVfsOptions::max_pending_ops). Past
//      the bound the oldest one is written back (made durable), as the
//      kernel's background writeback would. The bound is high; tests that
//      rely on strictness stay far below it.
//
// Crash images (CrashImage, ForEachCrashImage, SampleCrashImage)
//   A crash image is the durable state with some pending operations applied
//   on top, in issue order; CrashImageSpec (crash_image.h) names which, and
//   how. The image is a new, independent SimVfs whose live and durable states
//   are both that image, with nothing pending, no faults and an empty trace:
//   recovery runs on it, never on the SimVfs that crashed, which stays intact
//   and can produce more images. Persistence models:
//   C1 strict  only the durable state survives (spec "none").
//   C2 prefix  pending operations survive in issue order up to a point.
//   C3 subset  any subset survives. An operation that cannot apply in the
//              image has no effect: a write to a file whose creation did not
//              survive is lost with the file; a rename needs its source
//              entry; an unlink or rmdir removes only the inode it removed in
//              the live run; an rmdir needs its directory empty.
//   C4 torn writes. A pending write is split into pieces at sector boundaries
//      (absolute file offsets, SimVfsOptions::sector_size, default 512). A
//      torn write keeps its first k pieces or its last k, never none or all.
//      The lost pieces read as their old contents (past the old end of file,
//      a hole of zeros; a write keeping only its first pieces then ends the
//      file at the last kept piece, as a short write would), as zeros, or as
//      garbage drawn from the tear's seed (the size then covers the whole
//      write: the size reached disk, the data did not).
//   C5 torn renames, after ALICE's micro-operations. A rename of a file may
//      survive not at all (old names), whole (new name only), or as its link
//      step only: both the old and the new name refer to the file. Never
//      neither: the source is always reachable under one of its names. A
//      directory rename is never torn (no hard links to directories).
//   C6 Distinct images. ForEachCrashImage visits each distinct image once
//      (by a fingerprint of the tree and contents), bounded by
//      CrashEnumerationOptions, and names each by its CrashImageSpec, which
//      CrashImage turns back into the same image.
//
// Faults (fault_plan.h; libfiu points "walcrash/vfs/sim/<op>", fault_points.h)
//   F1 Sync/DataSync failure (a "fail" or "short-write" rule, or the libfiu
//      point) follows Linux (ext4/xfs): the file's pending
//      data operations are dropped from the durable path — never made durable
//      by a later sync, though the process still reads them (pages marked
//      clean) — and the error is reported by that call only; a later Sync
//      succeeds without them. Directory::Sync failure makes nothing durable
//      and drops nothing.
//   F2 "fail" rules fail a call before it has any effect; "after" rules let
//      it take full effect, then report the error; "short-write" rules store
//      a prefix of a write, then fail.
//   F3 SimVfsOptions::capacity_bytes bounds the bytes the live tree holds
//      (each file counts max(size, preallocated end)): a write that does not
//      fit stores what fits and fails with NoSpace; a preallocate or truncate
//      that does not fit fails with NoSpace and changes nothing. Writes into
//      preallocated space always fit.
//
//   F4 A FaultPlan belongs to one SimVfs: its crash images start with none.
//      libfiu points are process-wide: they fire in images too.
//
// Trace: every call is recorded (trace.h), bounded by
// SimVfsOptions::trace_capacity.
//
// Threading: every method may be called from any thread; one mutex orders
// them. ForEachCrashImage enumerates a snapshot without holding it, so its
// visitor may call back into this SimVfs. Results are deterministic when the caller's order of calls is.
// Lock() waits for another handle's Unlock/Close (from another thread).
// REQUIRES: the SimVfs outlives every handle it returned.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vfs/crash_image.h"
#include "vfs/fault_plan.h"
#include "vfs/trace.h"
#include "vfs/vfs.h"

namespace walcrash::vfs {

struct SimVfsOptions {
  uint32_t sector_size = 512;          // torn-write granularity (C4)
  uint64_t capacity_bytes = 0;         // 0 = unlimited (F3)
  uint64_t max_file_size = 1ull << 36; // larger offsets fail with EFBIG
  size_t max_pending_ops = 1u << 20;   // D5
  size_t trace_capacity = 1u << 16;    // entries kept; 0 = no trace
};

// One pending operation, for printing and tests.
struct PendingOperation {
  uint64_t seq;
  OpKind op;          // kWrite, kAppend, kTruncate, kPreallocate, kOpen (create), ...
  std::string path;   // at the time of the call
  std::string detail; // "@4096+512", "-> /b", ...
  uint32_t pieces = 0;         // a write: its sector pieces (C4), else 0
  bool file_rename = false;    // a rename of a file: may be torn (C5)
  std::string ToString() const;
};

class SimVfs final : public Vfs {
 public:
  explicit SimVfs(SimVfsOptions options = {});
  ~SimVfs() override;

  std::string_view name() const override { return "sim"; }
  Result<std::unique_ptr<File>> Open(std::string_view path, OpenFlags flags) override;
  Result<std::unique_ptr<Directory>> OpenDirectory(std::string_view path) override;
  Status Rename(std::string_view from, std::string_view to) override;
  Status Unlink(std::string_view path) override;
  Status Mkdir(std::string_view path) override;
  Status Rmdir(std::string_view path) override;
  Result<std::vector<std::string>> List(std::string_view path) override;
  Result<FileInfo> Stat(std::string_view path) override;

  const SimVfsOptions& options() const;

  // Faults. The plan replaces the previous one (and its counters).
  void SetFaultPlan(FaultPlan plan);
  FaultPlan fault_plan() const;

  // Observation.
  std::vector<TraceEntry> TraceEntries() const;
  std::string TraceText() const;
  std::vector<PendingOperation> PendingOperations() const;
  uint64_t used_bytes() const;

  // Crash images (C1–C6). CrashImage fails with InvalidArgument when the
  // spec names an operation that is not pending, or a mode that does not fit
  // it (a tear of a non-write, a piece count that does not match).
  Result<std::unique_ptr<SimVfs>> CrashImage(const CrashImageSpec& spec) const;
  // Visits the distinct images of this instant under options.model, at most
  // options.max_images; stops early when `visit` returns false. Returns how
  // many were visited.
  size_t ForEachCrashImage(const CrashEnumerationOptions& options,
                           const std::function<bool(const CrashImageSpec&)>& visit) const;
  std::vector<CrashImageSpec> EnumerateCrashImages(const CrashEnumerationOptions& options) const;
  // One image drawn from `seed` under options.model (tears per options).
  CrashImageSpec SampleCrashImage(const CrashEnumerationOptions& options, uint64_t seed) const;
  // A fingerprint of the image `spec` names (equal images, equal prints).
  Result<uint64_t> CrashImageFingerprint(const CrashImageSpec& spec) const;

  struct State;  // defined in sim_vfs.cc

 private:
  explicit SimVfs(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace walcrash::vfs
