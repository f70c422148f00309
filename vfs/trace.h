// Trace — the record of every call made on a SimVfs, in order.
//
// Each entry is one call: its sequence number (also the id of the pending
// operation it created, if any, so crash-image names refer to trace lines),
// the operation, the path, offset and length where they apply, the outcome,
// and a note (an injected fault, writes dropped by a failed sync, ...).
//
//   #12  write      /wal/0000000000000000-0000000000000000.wal  @4096+512  OK
//   #13  sync       /wal/0000000000000000-0000000000000000.wal             IOError EIO  [injected: rule 0; dropped 2 unsynced writes]
//
// Bounded: it keeps the last `capacity` entries and counts the ones it
// dropped. Threading: SimVfs appends under its own mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/status.h"
#include "vfs/op_kind.h"

namespace walcrash::vfs {

struct TraceEntry {
  uint64_t seq = 0;
  OpKind op = OpKind::kOpen;
  std::string path;
  std::string detail;   // "@4096+512", "-> /b", "O_CREAT|O_EXCL", ...
  Code outcome = Code::kOk;
  int error_number = 0;
  std::string note;

  std::string ToString() const;
};

class Trace {
 public:
  explicit Trace(size_t capacity = 1u << 16) : capacity_(capacity) {}

  void Add(TraceEntry entry);
  const std::deque<TraceEntry>& entries() const { return entries_; }
  uint64_t dropped() const { return dropped_; }
  void Clear() { entries_.clear(); dropped_ = 0; }
  // All kept entries, one per line (with a first line saying how many were
  // dropped, if any).
  std::string ToString() const;

 private:
  size_t capacity_;
  std::deque<TraceEntry> entries_;
  uint64_t dropped_ = 0;
};

}  // namespace walcrash::vfs
