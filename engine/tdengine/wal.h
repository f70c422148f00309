// The WAL of TDengine 2.6 (src/wal: walMgmt.c, walWrite.c) over vfs::Vfs.
//
// Files wal<id> in one directory (wal_name.h), records as wal_head.h lays
// them out. The life of a WAL, as a TDengine vnode drives it:
//   Open     walOpen: makes the directory (an existing one is fine) and joins
//            the fsync service. No file is open yet: writes are ignored.
//   Restore  walRestore: every file in id order, every record to `apply`.
//   Renew    walRenew: closes the current file and opens wal<max id + 1>
//            (wal0 with keep), written from offset 0.
//   Write    walWrite: one record in one write, when a file is open, the
//            level is not no-log and the version is above the current one;
//            otherwise nothing is written and the outcome says why.
//   Fsync    walFsync: fsyncs the current file when forced, or when the level
//            is fsync with period 0 (the vnode calls it after each write).
//   RemoveOneOldFile / RemoveAllOldFiles, Alter (walAlter), Close.
//
// What is durable when (the synced watermark, synced_version()): records up
// to the version the WAL had when an fsync of its current file began, once
// that fsync returned: Fsync, the fsync service's rounds (fsync level with
// period P), and with `strict` Renew (which syncs the file it closes). With
// level write, only a forced Fsync advances it; with no-log nothing is
// written. Close does not sync (TDengine's walClose does not).
//
// Faithful by default. TDengine 2.6 does the following, and so does this
// engine unless `strict` is set (each is a finding of walcrash; README):
//   - Renew closes the old file without fsync, and creates the new one (and
//     Open the directory) without fsyncing the directory. The watermark still
//     advances at the next fsync of the new file, over records that sit
//     unsynced in the old one or in a file whose name may not survive.
//   - An fsync error is logged and dropped (walFsync returns void, the
//     service logs); the watermark advances as if it had worked. Here the
//     dropped errors are counted (dropped_errors()).
//   - Restore: a file that fails to open or read is skipped, and so is one
//     whose scan found nothing past a damaged record (after truncating it):
//     with keep, no file counted means walRenew, which writes wal0 over from
//     offset 0, records and all; a record found
//     by scanning after a bad head or length has its body read twice (the
//     scan read it), so it is dropped and the record after it resumes the
//     log (a hole); a short body is skipped, not truncated, so keep mode
//     appends behind it; any name that starts with "wal" is a WAL file.
//   - Write does not bound the body (a record over kMaxBodyBytes is written
//     and acknowledged, and Restore rejects it), and a failed write leaves
//     its partial record in place with the file offset past it.
// Strict instead: Renew syncs the old file and the directory, Open syncs the
// parent of a directory it made; fsync errors are returned and stick (the
// WAL refuses further writes: Linux may have dropped the data); Restore
// fails on a file it cannot read, reads each record once, truncates a torn
// tail of the newest file (a damaged record followed only by garbage, or by
// records written after a sector that never reached the disk) and reports
// any other damage as Corruption with file and offset; only canonical names;
// Write rejects oversized bodies and cuts a failed write back off the file.
//
// Threading: a Wal may be used from several threads (one lock, as TDengine's
// pWal->mutex); the fsync service calls it from its thread.
// synced_version() and version() never wait for that lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/tdengine/wal_head.h"
#include "vfs/vfs.h"

namespace walcrash::tdengine {

class FsyncService;

enum class Level : unsigned char { kNoLog = 0, kWrite = 1, kFsync = 2 };  // TAOS_WAL_NOLOG/WRITE/FSYNC
std::string_view LevelName(Level level);

// What walAlter may change at run time.
struct WalConfig {
  Level level = Level::kFsync;
  // With kFsync: 0 fsyncs in every Fsync(false); P > 0 leaves it to the
  // service, every max(P / 1000, 1) rounds.
  int32_t fsync_period_ms = 0;

  friend bool operator==(const WalConfig&, const WalConfig&) = default;
};

struct WalOptions {
  WalConfig config;
  bool keep = false;             // TAOS_WAL_KEEP: the single file wal0, appended to after Restore
  int32_t old_files_to_keep = 1; // WAL_FILE_NUM: RemoveOneOldFile needs this many files below the current one
  bool strict = false;           // fix what loses or invents data (see above)
  // The service that runs periodic fsyncs; nullptr: FsyncService::Shared().
  FsyncService* fsync_service = nullptr;

  // Period in [0, 1 hour], old_files_to_keep in [1, 1000].
  Status Validate() const;
};

enum class WriteOutcome : unsigned char {
  kWritten,
  kIgnoredNoFile,        // no file open (before Renew, or after a failed one)
  kIgnoredNoLog,         // level no-log
  kIgnoredStaleVersion,  // version at or below the WAL's current version
};
std::string_view WriteOutcomeName(WriteOutcome outcome);

// One record Restore hands to `apply`. `body` is valid during the call.
struct RestoredRecord {
  int64_t file_id = 0;
  uint64_t offset = 0;  // of the head in the file
  WalHead head;
  std::span<const std::byte> body;
};

struct RestoreReport {
  size_t files = 0;    // restored
  size_t records = 0;  // handed to apply
  // What restore did besides replaying ("wal3: skipped a short body at
  // 4096", "wal2: skipped: IOError ..."), in order.
  std::vector<std::string> notes;
};

class Wal {
 public:
  static Result<std::unique_ptr<Wal>> Open(vfs::Vfs& vfs, std::string dir, WalOptions options);
  ~Wal();  // closes (errors dropped: call Close to see them)
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  Status Alter(const WalConfig& config);
  Result<RestoreReport> Restore(const std::function<void(const RestoredRecord&)>& apply);
  Status Renew();
  Result<WriteOutcome> Write(int8_t msg_type, uint64_t version, std::string_view body);
  Status Fsync(bool force);
  Status RemoveOneOldFile();
  Status RemoveAllOldFiles();
  Status Close();

  // walGetNextFile / walGetOldFile / walGetNewFile: the smallest id above
  // `after`; the smallest id below `current` when at least `min_count` ids
  // are below it; the largest id (nullopt: none). Errors only in strict mode
  // (TDengine reads an unreadable directory as an empty one).
  Result<std::optional<int64_t>> NextFile(int64_t after);
  Result<std::optional<int64_t>> OldFile(int64_t current, int32_t min_count);
  Result<std::optional<int64_t>> NewestFile();

  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  uint64_t synced_version() const { return synced_version_.load(std::memory_order_acquire); }
  int64_t file_id() const { return file_id_.load(std::memory_order_acquire); }
  WalConfig config() const;
  const WalOptions& options() const { return options_; }
  const std::string& dir() const { return dir_; }
  // Errors the faithful engine dropped, as TDengine logs and drops them.
  size_t dropped_errors() const { return dropped_errors_.load(std::memory_order_acquire); }

 private:
  friend class FsyncService;
  Wal(vfs::Vfs& vfs, std::string dir, WalOptions options, FsyncService& service);

  // The service's round `seq`: fsync when due (walNeedFsync).
  void FsyncForService(int32_t seq);
  // Fsyncs the current file and moves the watermark. REQUIRES: mutex_ held.
  Status SyncLocked();
  Status CloseFileLocked();
  Status RenewLocked();
  // Status to return for an error TDengine drops: OK (counted) unless strict.
  Status Dropped(Status status);
  Result<std::vector<int64_t>> ListIds();
  std::string PathOf(int64_t id) const;

  vfs::Vfs& vfs_;
  const std::string dir_;
  const WalOptions options_;
  FsyncService& service_;

  mutable std::mutex mutex_;
  WalConfig config_;
  std::unique_ptr<vfs::File> file_;
  uint64_t write_offset_ = 0;  // the file offset of write(2) on TDengine's fd
  bool append_ = false;        // keep mode after Restore: O_APPEND
  Status poisoned_;            // strict: the first fsync or write error, returned from then on
  bool closed_ = false;

  std::atomic<int64_t> file_id_{-1};
  std::atomic<uint64_t> version_{0};
  std::atomic<uint64_t> synced_version_{0};
  std::atomic<size_t> dropped_errors_{0};
};

}  // namespace walcrash::tdengine
