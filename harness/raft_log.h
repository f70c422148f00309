// The logical contents of a raft-style write-ahead log, as the harness sees
// every WAL under test: entries (index, term, payload), the last hard state,
// the snapshot recovery started from, and the WAL's metadata.
//
// This is the common language of the reference model (model.h), the adapters
// (wal_under_test.h) and the oracles (oracles.h): an adapter translates what
// its WAL recovered into a RecoveredLog, and the model says which
// RecoveredLogs are allowed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walcrash::harness {

struct HardState {
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;

  bool empty() const { return term == 0 && vote == 0 && commit == 0; }
  std::string ToString() const;  // "{term 2 vote 1 commit 7}"
  friend bool operator==(const HardState&, const HardState&) = default;
};

struct LogEntry {
  uint64_t index = 0;
  uint64_t term = 0;
  std::string data;

  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

struct SnapshotRef {
  uint64_t index = 0;
  uint64_t term = 0;

  friend bool operator==(const SnapshotRef&, const SnapshotRef&) = default;
};

// What one recovery read.
struct RecoveredLog {
  bool exists = false;            // false: no WAL in the directory (e.g. a crash inside Create)
  std::string metadata;
  SnapshotRef snapshot;           // where reading started
  HardState state;
  std::vector<LogEntry> entries;  // after snapshot.index, in log order
  std::vector<std::string> notes; // what recovery did ("repaired a torn tail"); not compared

  // A 64-bit digest of everything but `notes`: equal logs, equal digests.
  uint64_t Digest() const;
  // The same from this log's EntryDigests(), for a caller that keeps them.
  uint64_t Digest(const std::vector<uint64_t>& entry_digests) const;
  // EntryDigest of each entry, in order (Digest is LogDigest over them).
  std::vector<uint64_t> EntryDigests() const;
  // One line: "absent" or "meta 'm' snap 4/1 state {..} entries 5..12 (8)".
  std::string Summary() const;
  // The first difference from `expected`, in words ("entry 7: term 2, expected 3").
  std::string DiffFrom(const RecoveredLog& expected) const;
};

// The digest of one entry, and of a whole log given its entries' digests
// (RecoveredLog::Digest is LogDigest over EntryDigest of each entry; the
// model keeps entry digests so it never rehashes payloads).
uint64_t EntryDigest(const LogEntry& entry);
uint64_t LogDigest(bool exists, std::string_view metadata, const SnapshotRef& snapshot, const HardState& state,
                   const std::vector<uint64_t>& entry_digests);

// The payload the harness writes for entry (index, term) of `size` bytes:
// deterministic, so a workload's text form needs no data, and random-looking,
// so no sector of it is all zeros (which a WAL could take for a torn write).
std::string EntryPayload(uint64_t index, uint64_t term, uint32_t size);

enum class SyncLevel : unsigned char { kNoLog, kWrite, kFsync };
std::string_view SyncLevelName(SyncLevel level);

// A WAL's sync policy (TDengine's levels; etcd's behaviour is kFsync, 0).
struct SyncPolicy {
  SyncLevel level = SyncLevel::kFsync;
  uint32_t period_ms = 0;  // kFsync: 0 syncs in every write; P > 0 syncs on each Tick

  friend bool operator==(const SyncPolicy&, const SyncPolicy&) = default;
};

// What a WAL claims is durable right now, in the log's own terms: the WAL
// itself (once Create returned), the entries up to last_index with this hard
// state, the snapshot records up to the one at snapshot_index. The harness maps it to the last acknowledged operation whose
// resulting log it describes, and holds the WAL to that after any crash.
struct DurabilityClaim {
  bool created = false;
  uint64_t last_index = 0;
  HardState state;
  uint64_t snapshot_index = 0;  // snapshot records up to the one at this index

  std::string ToString() const;
  friend bool operator==(const DurabilityClaim&, const DurabilityClaim&) = default;
};

}  // namespace walcrash::harness
