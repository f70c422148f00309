// The reference model: what a raft WAL must hold after each acknowledged
// operation, with etcd's semantics.
//
// The model keeps the stream of logical records the workload has issued, in
// order: the WAL's creation, entries, hard states, snapshots. The log a
// reader must see after any prefix of that stream follows etcd's ReadAll:
//   - the snapshot to start from is the newest snapshot record whose index
//     is at most the last hard state's commit (ValidSnapshotEntries), or
//     {0, 0};
//   - entries after it in stream order, a later entry at index i replacing
//     the entries from i on (raft's suffix overwrite);
//   - the last hard state wins.
// A crash may leave any prefix of what was issued, so the logs a recovery may
// return after a crash are exactly Read(L) for the L between the durable
// point and everything issued (oracles.h). Records a WAL writes for itself
// (etcd's CRC records, each segment's metadata and repeated hard state)
// change nothing a reader sees, so they are not in the stream.
//
// One etcd quirk is kept out of workloads: ReadAll skips entries at or below
// the snapshot index without letting them truncate what follows, and starts
// at the segment that holds the snapshot index. After raft overwrote a suffix
// from index i and later snapshotted at s >= i while stale entries above s
// remain in the stream, the log ReadAll returns depends on where segments
// were cut. A snapshot in that state resolves to a no-op.
//
// Operations resolve here: Begin(op) turns a relative workload operation
// into the concrete call (entries, hard state, snapshot) and issues its
// records; the runner then makes the call and, when it succeeds, calls
// Acknowledge().
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "harness/engine_traits.h"
#include "harness/raft_log.h"
#include "harness/workload.h"

namespace walcrash::harness {

// One logical record of the stream.
struct ModelRecord {
  enum class Kind : unsigned char { kCreate, kEntry, kState, kSnapshot };
  Kind kind = Kind::kEntry;
  LogEntry entry;          // kEntry
  uint64_t entry_digest = 0;  // kEntry: EntryDigest(entry)
  HardState state;         // kState
  SnapshotRef snapshot;    // kSnapshot
  std::string metadata;    // kCreate
};

// The concrete call an operation resolved to.
struct ResolvedOp {
  Op op;
  HardState state;                // save, overwrite, commit, elect
  std::vector<LogEntry> entries;  // save, overwrite
  SnapshotRef snapshot;           // snapshot
  uint64_t release_index = 0;     // release
  bool noop = false;              // nothing to do (a snapshot with nothing new committed)
  std::string ToText() const;     // "save 5..7 term 2 {term 2 vote 1 commit 4}"
};

class RaftLogModel {
 public:
  // A WAL without hard-state records or metadata (traits) reads back neither:
  // the model issues no hard-state records and keeps metadata empty.
  explicit RaftLogModel(EngineTraits traits = {});

  // Resolves and issues the next operation. Operations the current state
  // cannot take (a snapshot with nothing committed) resolve to a no-op.
  ResolvedOp Begin(const Op& op);
  // The operation begun last was acknowledged by the WAL.
  void Acknowledge();

  // Records issued so far, and the stream length at the end of each
  // operation begun (op_end(i) for i < ops_begun()).
  size_t issued() const { return stream_.size(); }
  size_t ops_begun() const { return op_end_.size(); }
  size_t ops_acknowledged() const { return acknowledged_; }
  size_t op_end(size_t op) const { return op_end_[op]; }
  const std::vector<ModelRecord>& stream() const { return stream_; }

  // The log a reader sees after the first `length` records.
  RecoveredLog Read(size_t length) const;
  // Read(length).Digest(), cached.
  uint64_t ReadDigest(size_t length) const;
  // The prefix lengths whose Read has this digest, ascending.
  std::vector<size_t> PrefixesWithDigest(uint64_t digest) const;

  // The claim that describes the log after operation `op` completed.
  DurabilityClaim ClaimAfter(size_t op) const { return claims_[op]; }
  // The stream length a claim promises: the end of the last operation, up to
  // and including `current_op`, after which the claim holds; nullopt when no
  // operation ever reached it (a WAL claiming what it never had). A WAL that
  // makes each entry durable on its own (traits.per_entry_claims: TDengine
  // syncs per write) may claim part of an operation: then the length ends at
  // that entry's record.
  std::optional<size_t> DurableLength(const DurabilityClaim& claim, size_t current_op) const;
  // The operation that ends at or contains stream position `length` (for messages).
  size_t OpAt(size_t length) const;

  // The state after everything issued.
  uint64_t last_index() const { return entries_.empty() ? 0 : entries_.back().index; }
  const HardState& state() const { return state_; }
  SyncPolicy policy() const { return policy_; }

 private:
  void Issue(ModelRecord record);
  // Whether etcd's ReadAll from a snapshot at `snapshot_index` gives raft's
  // log whatever segment it starts reading at. It does not after an overwrite
  // that truncated below the snapshot index left stale entries above it: a
  // snapshot there resolves to a no-op (the model could not say which log a
  // correct WAL returns; see the note in the header).
  bool ReadAllAgreesWithRaft(uint64_t snapshot_index) const;
  uint64_t TermAt(uint64_t index) const;
  // Read(length) without payloads: the header and the digests of its entries.
  template <typename EntryVisitor>
  void ReadPrefix(size_t length, RecoveredLog& header, EntryVisitor visit) const;

  const EngineTraits traits_;
  std::vector<ModelRecord> stream_;
  std::vector<uint64_t> digests_;  // digests_[L] = Read(L).Digest()
  std::unordered_multimap<uint64_t, size_t> by_digest_;
  std::vector<size_t> op_end_;
  std::vector<DurabilityClaim> claims_;
  size_t acknowledged_ = 0;

  // The running state (everything issued).
  bool created_ = false;
  std::vector<LogEntry> entries_;  // the whole log from index 1 (suffix overwrites applied)
  HardState state_;
  SnapshotRef snapshot_;
  SyncPolicy policy_;
};

}  // namespace walcrash::harness
