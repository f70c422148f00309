// Workloads: what the harness does to a WAL, as a list of operations.
//
// Every operation is relative to the log's state when it runs ("append 3
// entries", "overwrite the last 2"), so any subsequence of a workload is
// still a valid workload: the minimiser drops operations freely. The model
// (model.h) resolves each operation into concrete entries and states.
//
// Text form, one operation per line, '#' starts a comment:
//   engine etcd                      the WAL under test (first, optional)
//   option segment-size 4096         an engine option (any number)
//   policy level=fsync period=0      the starting sync policy (before create)
//   create [metadata=TEXT]           Create the WAL (the first operation)
//   save entries=3 size=100 [commit=2]
//                                    append entries at the next index with the
//                                    current term, commit advanced by up to 2
//   overwrite back=2 entries=3 size=64
//                                    raft's suffix overwrite: a new term, entries
//                                    from (last - back + 1), never at or below
//                                    the commit index or the snapshot
//   commit 2                         a hard-state-only save: commit +2
//   elect                            a new term with a vote (a hard-state save)
//   snapshot                         a snapshot at the commit index
//   sync | tick | release | reopen
//   policy level=write|fsync|nolog period=MS   change the sync policy live
// JSON form: {"engine": ..., "options": {...}, "policy": "...", "ops": ["create", ...]}.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "harness/raft_log.h"

namespace walcrash::harness {

enum class OpKind : unsigned char {
  kCreate, kSave, kOverwrite, kCommit, kElect, kSnapshot, kSync, kTick, kRelease, kReopen, kPolicy,
};
std::string_view OpKindName(OpKind kind);

struct Op {
  OpKind kind = OpKind::kSync;
  uint32_t entries = 0;  // save, overwrite
  uint32_t size = 0;     // save, overwrite: payload bytes per entry
  uint32_t back = 0;     // overwrite
  uint32_t commit = 0;   // save (advance), commit
  std::string metadata;  // create
  SyncPolicy policy;     // policy

  std::string ToText() const;
  static Result<Op> Parse(std::string_view line);
  friend bool operator==(const Op&, const Op&) = default;
};

inline constexpr uint32_t kMaxEntriesPerOp = 1000;
inline constexpr uint32_t kMaxEntryBytes = 1u << 20;
inline constexpr size_t kMaxOps = 100000;

struct Workload {
  std::string engine = "etcd";
  std::map<std::string, std::string> options;
  SyncPolicy policy;
  std::vector<Op> ops;

  std::string ToText() const;
  static Result<Workload> Parse(std::string_view text);
  // Checks the rules: create first and only once, bounds on counts and sizes.
  Status Validate() const;
  friend bool operator==(const Workload&, const Workload&) = default;
};

// What the generator may draw.
struct WorkloadProfile {
  std::string engine = "etcd";            // operations it cannot take are not drawn (engine_traits.h)
  size_t ops = 40;
  uint32_t max_entries_per_save = 4;
  uint32_t max_entry_bytes = 1500;        // several sectors, so writes tear
  uint64_t segment_size_bytes = 4096;     // small, so saves cut segments
  bool reopen = true;
  bool policy_changes = true;
  bool snapshots = true;
};

// A seeded workload: appends of varied sizes, hard-state saves, elections,
// suffix overwrites, snapshots, syncs and ticks, releases, close/reopen and
// sync-policy changes; the same seed gives the same workload.
Workload GenerateWorkload(uint64_t seed, const WorkloadProfile& profile = {});

}  // namespace walcrash::harness
