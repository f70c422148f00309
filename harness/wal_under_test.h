// WalUnderTest — what the harness needs from a write-ahead log to test it.
//
// Implement this for your WAL and the explorer, the properties, the fuzz
// targets and the CLI test it like the built-in engines. An adapter wraps one
// WAL directory on one vfs::Vfs; all of its WAL's I/O must go through that
// Vfs (the harness crashes it there).
//
// Life cycle, as a server would drive its WAL:
//   Create(metadata)   on a directory without a WAL, or
//   Recover()          on whatever a crash left: decide how to open it (etcd:
//                      the newest valid snapshot, ReadAll, Repair a torn tail
//                      once, ReadAll again), read everything, and be ready to
//                      append. It must not assume the directory is sane.
//   then Save / SaveSnapshot / Sync / Tick / Release / SetSyncPolicy in any
//   order, and Close. An operation that returns an error is not acknowledged;
//   the harness stops the workload there (a WAL error is fatal to a server).
//
// The durability promise: Claim() says what the WAL claims is durable right
// now. The harness holds the WAL to it after any crash: everything the claim
// covers must be recovered. Claim() may be called at any instant, including
// from inside a Vfs call the WAL is making (the harness crashes there), so
// it must not wait for a lock a write path holds.
//
// Structure checks (optional): CheckStructure looks at a directory at rest
// after a successful recovery and names what is wrong with it by oracle
// (oracles.h: "crc-chain", "cut-atomicity", "clean-tail"). Checksummed
// ranges (optional) tell the harness where a flipped byte must be detected
// by the WAL's checksums; the media-fault mode flips one there.
//
// Threading: the harness calls an adapter from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "harness/raft_log.h"
#include "vfs/vfs.h"

namespace walcrash::harness {

// One failed check: the oracle's name and what it saw.
struct Violation {
  std::string oracle;
  std::string message;

  friend bool operator==(const Violation&, const Violation&) = default;
};

// Bytes of a file that the WAL's checksums cover.
struct ChecksummedRange {
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
};

class WalUnderTest {
 public:
  virtual ~WalUnderTest() = default;

  virtual Status Create(std::string_view metadata) = 0;
  virtual Result<RecoveredLog> Recover() = 0;

  // Appends `entries` (which may overwrite a suffix: raft's rule) and then
  // the hard state (unless empty).
  virtual Status Save(const HardState& state, const std::vector<LogEntry>& entries) = 0;
  virtual Status SaveSnapshot(const SnapshotRef& snapshot) = 0;
  virtual Status Sync() = 0;
  // The periodic-sync timer fires (policy kFsync with a period).
  virtual Status Tick() = 0;
  // The server no longer needs entries below `index` (etcd: ReleaseLockTo).
  virtual Status Release(uint64_t index) = 0;
  virtual Status SetSyncPolicy(const SyncPolicy& policy) = 0;
  virtual Status Close() = 0;

  virtual DurabilityClaim Claim() const = 0;

  virtual std::vector<Violation> CheckStructure(vfs::Vfs& vfs) const { (void)vfs; return {}; }
  virtual std::vector<ChecksummedRange> ChecksummedRanges(vfs::Vfs& vfs) const { (void)vfs; return {}; }
};

// How to build an adapter: the engine's name, the directory, and the
// engine's options as text ("segment-size" -> "4096", "bugs" -> "a,b").
struct EngineConfig {
  std::string engine = "etcd";
  std::string dir = "/wal";
  std::map<std::string, std::string> options;
  SyncPolicy policy;  // the policy the WAL starts with
};

// Engines built in: "etcd", "tdengine". InvalidArgument names an unknown engine or option.
Result<std::unique_ptr<WalUnderTest>> MakeWalUnderTest(vfs::Vfs& vfs, const EngineConfig& config);
// Checks the config without building anything (for usage errors up front).
Status ValidateEngineConfig(const EngineConfig& config);
std::vector<std::string> EngineNames();
// The engine's known-bug switches, by name ("etcd": KnownBugs::Names();
// "tdengine": none, its faithful default is the system under test and
// option strict=on fixes what it loses).
std::vector<std::string> KnownBugNames(std::string_view engine);

}  // namespace walcrash::harness
