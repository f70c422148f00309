// The TDengine 2.x engine (engine/tdengine) as a WalUnderTest.
//
// The adapter plays TDengine's vnode:
//   Create   walOpen, then walRenew (the first file, wal1; wal0 with keep).
//   Save     each entry is one write request: walWrite (version = the entry's
//            index; body = the term, 8 bytes little-endian, then the payload;
//            msgType 3, a submit) followed by walFsync(false), as
//            vnodeProcessWrite does. A write the engine ignores (no file,
//            level no-log, version not above the current one) is an error
//            here: the entry is not in the WAL, so it must not be acknowledged.
//            Once `renew-bytes` were written to the current file, walRenew:
//            the vnode's commit starts a new file when its cache fills (not
//            with keep: a keep WAL is never renewed, as in TDengine).
//   Sync     walFsync(true). Tick: one round of the fsync service (walFsyncAll).
//   SetSyncPolicy  walAlter. Close: walFsync(true), then walClose.
//   Recover  walOpen, walRestore with the vnode's rule (a record at or below
//            the applied version is passed over), then walRenew unless keep
//            (TDengine's vnode commits what it restored to its data files and
//            removes every old WAL file; with no data files here, the old
//            files stay and are read again on the next recovery).
//   Release  nothing: a vnode removes old files only after its data files
//            hold their records, and there are none here.
// Hard state, metadata, snapshots and overwrites are not TDengine's
// (engine_traits.h): the recovered log has no hard state and no metadata.
//
// The claim is the engine's synced watermark (Wal::synced_version()): fsync
// level with period 0 claims every acknowledged write, write level what a
// Sync or Close covered, a period P what the service's rounds synced. The
// engine makes each write durable on its own, so a claim can end inside a
// Save (model.h).
//
// The fsync service is the adapter's own, in manual mode: rounds happen at
// Tick, so the VFS call order, and every crash point, is the same each run.
#pragma once

#include <memory>
#include <string>

#include "engine/tdengine/fsync_service.h"
#include "engine/tdengine/wal.h"
#include "harness/wal_under_test.h"

namespace walcrash::harness {

struct TdengineAdapterOptions {
  tdengine::WalOptions wal;
  uint64_t renew_bytes = 0;  // 0: never renew on size
};

// Options: "renew-bytes" (0 or >= 64), "keep" (on|off), "strict" (on|off).
Result<TdengineAdapterOptions> TdengineOptionsFromConfig(const EngineConfig& config);

class TdengineWalUnderTest final : public WalUnderTest {
 public:
  TdengineWalUnderTest(vfs::Vfs& vfs, std::string dir, TdengineAdapterOptions options);
  ~TdengineWalUnderTest() override;

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
  std::vector<ChecksummedRange> ChecksummedRanges(vfs::Vfs& vfs) const override;

 private:
  Status NeedOpen(std::string_view op) const;
  Result<std::unique_ptr<tdengine::Wal>> OpenWal();

  vfs::Vfs& vfs_;
  std::string dir_;
  TdengineAdapterOptions options_;
  tdengine::FsyncService service_{tdengine::FsyncService::Mode::kManual};
  std::unique_ptr<tdengine::Wal> wal_;
  bool created_ = false;
  uint64_t closed_synced_ = 0;       // the watermark once wal_ is gone
  uint64_t written_since_renew_ = 0;
};

// The body the adapter writes for an entry, and its reading (nullopt: too
// short to hold a term).
std::string TdengineEntryBody(const LogEntry& entry);
std::optional<LogEntry> TdengineEntryFromBody(uint64_t version, std::span<const std::byte> body);

}  // namespace walcrash::harness
