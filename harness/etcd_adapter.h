// The etcd engine (engine/etcd) as a WalUnderTest.
//
// Recovery is etcd's server's (etcdserver/storage.go openWALFromSnapshot,
// etcd 3.5): the newest snapshot record ValidSnapshotEntries accepts (the
// snapshot files are assumed present), Open at it, ReadAll; on a torn tail
// (unexpected EOF) Close, Repair and try once more; any other error is fatal.
// The claim is the engine's durable watermark (Wal::durable()).
//
// Structure checks on a directory at rest (after recovery):
//   cut-atomicity  segment names are consecutive; every segment starts with
//                  its CRC record and the metadata: no half-made segment
//                  passes for a real one
//   crc-chain      each segment's CRC record carries the running CRC the
//                  previous segment ended with, and every record checks
//   clean-tail     past the last record of the last segment only zeros: a
//                  later append cannot splice in stale bytes
// Checksummed ranges: the data field of each record in the last segment
// (the CRC covers exactly that).
//
// The engine runs without background threads, so the order of VFS calls, and
// with it every crash point, is the same on every run.
#pragma once

#include <memory>
#include <string>

#include "engine/etcd/wal.h"
#include "harness/wal_under_test.h"

namespace walcrash::harness {

// Options: "segment-size" (bytes, >= 1024), "prealloc" (fallocate | zero),
// "bugs" (comma-separated KnownBugs names, or "none").
Result<etcd::WalOptions> EtcdOptionsFromConfig(const EngineConfig& config);

class EtcdWalUnderTest final : public WalUnderTest {
 public:
  EtcdWalUnderTest(vfs::Vfs& vfs, std::string dir, etcd::WalOptions options);
  ~EtcdWalUnderTest() override;

  Status Create(std::string_view metadata) override;
  Result<RecoveredLog> Recover() override;
  Status Save(const HardState& state, const std::vector<LogEntry>& entries) override;
  Status SaveSnapshot(const SnapshotRef& snapshot) override;
  Status Sync() override;
  Status Tick() override;
  Status Release(uint64_t index) override;
  Status SetSyncPolicy(const SyncPolicy& policy) override;
  Status Close() override;
  DurabilityClaim Claim() const override;
  std::vector<Violation> CheckStructure(vfs::Vfs& vfs) const override;
  std::vector<ChecksummedRange> ChecksummedRanges(vfs::Vfs& vfs) const override;

 private:
  Status NeedOpen(std::string_view op) const;
  void Forget();  // keeps the last claim, drops the engine

  vfs::Vfs& vfs_;
  std::string dir_;
  etcd::WalOptions options_;
  std::unique_ptr<etcd::Wal> wal_;
  DurabilityClaim closed_claim_;  // the claim once wal_ is gone
};

// The ConfState every snapshot carries (etcd 3.5+ requires one): voters 1, 2, 3.
std::string EtcdSnapshotConfState();

}  // namespace walcrash::harness
