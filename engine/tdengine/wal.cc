#include "engine/tdengine/wal.h"

#include <algorithm>
#include <climits>
#include <limits>

#include <fmt/format.h>

#include "engine/tdengine/file_restore.h"
#include "engine/tdengine/fsync_service.h"
#include "engine/tdengine/wal_name.h"

namespace walcrash::tdengine {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kNoLog: return "nolog";
    case Level::kWrite: return "write";
    case Level::kFsync: return "fsync";
  }
  return "?";
}

std::string_view WriteOutcomeName(WriteOutcome outcome) {
  switch (outcome) {
    case WriteOutcome::kWritten: return "written";
    case WriteOutcome::kIgnoredNoFile: return "ignored: no file open";
    case WriteOutcome::kIgnoredNoLog: return "ignored: level nolog";
    case WriteOutcome::kIgnoredStaleVersion: return "ignored: version not above the current one";
  }
  return "?";
}

Status WalOptions::Validate() const {
  if (config.fsync_period_ms < 0 || config.fsync_period_ms > 3'600'000) {
    return Status(Code::kInvalidArgument, "",
                  fmt::format("tdengine: fsync period {} ms is outside [0, 3600000]", config.fsync_period_ms));
  }
  if (static_cast<unsigned>(config.level) > static_cast<unsigned>(Level::kFsync)) {
    return Status(Code::kInvalidArgument, "", "tdengine: level must be nolog (0), write (1) or fsync (2)");
  }
  if (old_files_to_keep < 1 || old_files_to_keep > 1000) {
    return Status(Code::kInvalidArgument, "",
                  fmt::format("tdengine: old files to keep {} is outside [1, 1000]", old_files_to_keep));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Wal>> Wal::Open(vfs::Vfs& vfs, std::string dir, WalOptions options) {
  WALCRASH_RETURN_IF_ERROR(options.Validate());
  if (dir.empty()) return Status(Code::kInvalidArgument, "", "tdengine: empty WAL directory name");
  // walInitObj: taosMkDir, content with a directory that is there.
  Status made = vfs.Mkdir(dir);
  if (!made.ok() && made.code() != Code::kExists) return made.Annotate("tdengine: walOpen");
  if (!made.ok() && options.strict) {
    // TDengine takes "exists" for a directory; strict says what is there.
    WALCRASH_ASSIGN_OR_RETURN(vfs::FileInfo info, vfs.Stat(dir));
    if (info.kind != vfs::FileKind::kDirectory) {
      return Status(Code::kNotDirectory, dir,
                    fmt::format("tdengine: the WAL directory is a {}", vfs::FileKindName(info.kind)));
    }
  }
  if (made.ok() && options.strict) {
    // The new directory's own entry, or everything in it can vanish.
    std::string_view parent = vfs::ParentPath(dir);
    WALCRASH_ASSIGN_OR_RETURN(auto parent_dir, vfs.OpenDirectory(parent.empty() ? "." : parent));
    WALCRASH_RETURN_IF_ERROR(parent_dir->Sync());
    WALCRASH_RETURN_IF_ERROR(parent_dir->Close());
  }
  FsyncService& service = options.fsync_service ? *options.fsync_service : FsyncService::Shared();
  std::unique_ptr<Wal> wal(new Wal(vfs, std::move(dir), options, service));
  service.Register(wal.get());
  return wal;
}

Wal::Wal(vfs::Vfs& vfs, std::string dir, WalOptions options, FsyncService& service)
    : vfs_(vfs), dir_(std::move(dir)), options_(options), service_(service), config_(options.config) {}

Wal::~Wal() {
  if (!closed_) Close().IgnoreError();
}

WalConfig Wal::config() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return config_;
}

Status Wal::Alter(const WalConfig& config) {
  WalOptions check = options_;
  check.config = config;
  WALCRASH_RETURN_IF_ERROR(check.Validate());
  std::lock_guard<std::mutex> lock(mutex_);
  config_ = config;
  return Status::Ok();
}

std::string Wal::PathOf(int64_t id) const { return vfs::JoinPath(dir_, FileName(id)); }

Status Wal::Dropped(Status status) {
  if (status.ok() || options_.strict) return status;
  dropped_errors_.fetch_add(1, std::memory_order_acq_rel);
  return Status::Ok();
}

Result<std::vector<int64_t>> Wal::ListIds() {
  Result<std::vector<std::string>> names = vfs_.List(dir_);
  if (!names.ok()) {
    // TDengine's opendir failure reads as "no WAL files".
    if (options_.strict) return names.status().Annotate("tdengine: listing the WAL directory");
    return std::vector<int64_t>{};
  }
  std::vector<int64_t> ids;
  for (const std::string& name : *names) {
    std::optional<int64_t> id = options_.strict ? ParseCanonicalId(name) : ParseIdLikeTDengine(name);
    if (id) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Result<std::optional<int64_t>> Wal::NextFile(int64_t after) {
  WALCRASH_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListIds());
  auto it = std::upper_bound(ids.begin(), ids.end(), after);
  if (it == ids.end()) return std::optional<int64_t>();
  return std::optional<int64_t>(*it);
}

Result<std::optional<int64_t>> Wal::OldFile(int64_t current, int32_t min_count) {
  WALCRASH_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListIds());
  auto below = std::lower_bound(ids.begin(), ids.end(), current) - ids.begin();
  if (below == 0 || below < min_count) return std::optional<int64_t>();
  return std::optional<int64_t>(ids.front());
}

Result<std::optional<int64_t>> Wal::NewestFile() {
  WALCRASH_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListIds());
  if (ids.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(ids.back());
}

Result<RestoreReport> Wal::Restore(const std::function<void(const RestoredRecord&)>& apply) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return Status(Code::kInvalidArgument, dir_, "tdengine: Restore on a closed WAL");
  WALCRASH_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListIds());
  RestoreReport report;
  const int64_t current = file_id_.load();
  std::optional<int64_t> newest;
  for (int64_t id : ids) {
    if (id > -1 && id != current) newest = id;
  }
  for (int64_t id : ids) {
    // walGetNextFile starts above -1, and walRestore passes over the open file.
    if (id <= -1 || id == current) continue;
    FileRestore progress;
    Status s = RestoreFile(vfs_, PathOf(id), id, options_.strict, id == newest, apply, progress);
    report.records += progress.records;
    for (std::string& note : progress.notes) report.notes.push_back(std::move(note));
    if (progress.any_version) {
      // TDengine takes each replayed record's version, even a lower one.
      uint64_t v = options_.strict ? std::max(version_.load(), progress.last_version) : progress.last_version;
      version_.store(v, std::memory_order_release);
    }
    if (!s.ok()) {
      if (options_.strict) return s;
      dropped_errors_.fetch_add(1, std::memory_order_acq_rel);
      report.notes.push_back(fmt::format("{}: skipped: {}", FileName(id), s.ToString()));
      continue;
    }
    ++report.files;
  }
  // What was read back is what the WAL has; from here on, it is what it claims.
  synced_version_.store(version_.load(), std::memory_order_release);
  if (!options_.keep) return report;
  if (report.files == 0) {
    // walRenew under keep: wal0, opened without O_APPEND.
    WALCRASH_RETURN_IF_ERROR(RenewLocked());
    return report;
  }
  // Keep: wal0 again, in append mode.
  WALCRASH_ASSIGN_OR_RETURN(file_, vfs_.Open(PathOf(0), vfs::kWrite | vfs::kCreate | vfs::kAppend));
  append_ = true;
  // Where the next record starts: a failed append is cut back to here.
  WALCRASH_ASSIGN_OR_RETURN(write_offset_, file_->Size());
  file_id_.store(0, std::memory_order_release);
  return report;
}

Status Wal::Renew() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return Status(Code::kInvalidArgument, dir_, "tdengine: Renew on a closed WAL");
  return RenewLocked();
}

Status Wal::RenewLocked() {
  if (!poisoned_.ok()) return poisoned_;
  if (file_) {
    if (options_.strict) WALCRASH_RETURN_IF_ERROR(SyncLocked());
    WALCRASH_RETURN_IF_ERROR(CloseFileLocked());
  }
  int64_t id = 0;
  if (!options_.keep) {
    WALCRASH_ASSIGN_OR_RETURN(std::optional<int64_t> newest, NewestFile());
    // walGetNewFile's max, plus one; past INT64_MAX it wraps as TDengine's does.
    if (options_.strict && newest == std::numeric_limits<int64_t>::max()) {
      return Status(Code::kInvalidArgument, PathOf(*newest), "tdengine: no file id is left above this file's");
    }
    id = static_cast<int64_t>(static_cast<uint64_t>(newest.value_or(0)) + 1);
  }
  file_id_.store(id, std::memory_order_release);
  Result<std::unique_ptr<vfs::File>> opened = vfs_.Open(PathOf(id), vfs::kWrite | vfs::kCreate);
  if (!opened.ok()) return opened.status().Annotate("tdengine: walRenew");
  file_ = std::move(*opened);
  write_offset_ = 0;
  append_ = false;
  if (options_.strict) {
    WALCRASH_ASSIGN_OR_RETURN(auto dir, vfs_.OpenDirectory(dir_));
    WALCRASH_RETURN_IF_ERROR(dir->Sync());
    WALCRASH_RETURN_IF_ERROR(dir->Close());
  }
  return Status::Ok();
}

Result<WriteOutcome> Wal::Write(int8_t msg_type, uint64_t version, std::string_view body) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!poisoned_.ok()) return poisoned_;
  if (!file_) return WriteOutcome::kIgnoredNoFile;
  if (config_.level == Level::kNoLog) return WriteOutcome::kIgnoredNoLog;
  if (version <= version_.load()) return WriteOutcome::kIgnoredStaleVersion;
  if (body.size() > INT32_MAX || (options_.strict && body.size() > kMaxBodyBytes)) {
    return Status(Code::kInvalidArgument, file_->path(),
                  fmt::format("tdengine: a body of {} bytes is over the {} a record can hold", body.size(),
                              options_.strict ? kMaxBodyBytes : size_t{INT32_MAX}));
  }
  const std::string record = EncodeRecord(msg_type, version, body);
  Status s = append_ ? file_->Append(vfs::AsBytes(record)) : file_->WriteAt(write_offset_, vfs::AsBytes(record));
  if (s.ok()) {
    write_offset_ += record.size();
    version_.store(version, std::memory_order_release);
    return WriteOutcome::kWritten;
  }
  if (options_.strict) {
    // Cut the partial record off, durably (a crash must not bring it back
    // under later records), or no later record can be trusted.
    Status cut = file_->Truncate(write_offset_);
    cut.Update(file_->Sync());
    if (!cut.ok()) poisoned_ = s;
  } else if (!append_) {
    // write(2) moved the fd's offset past what it wrote, so the next record
    // goes behind the partial one. The Vfs does not say how much was
    // written: when the write extended the file, its end tells; inside
    // older bytes (keep's wal0 rewritten from 0) it cannot, and the offset
    // stays.
    Result<uint64_t> size = file_->Size();
    if (size.ok() && *size > write_offset_ && *size < write_offset_ + record.size()) write_offset_ = *size;
  }
  return s;
}

Status Wal::Fsync(bool force) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!poisoned_.ok()) return poisoned_;
  if (!file_) return Status::Ok();
  if (force || (config_.level == Level::kFsync && config_.fsync_period_ms == 0)) return SyncLocked();
  return Status::Ok();
}

void Wal::FsyncForService(int32_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_ || !file_ || !poisoned_.ok()) return;
  // walNeedFsync
  if (config_.fsync_period_ms <= 0 || config_.level != Level::kFsync) return;
  int32_t every = std::max(config_.fsync_period_ms / 1000, 1);
  if (seq % every != 0) return;
  SyncLocked().IgnoreError();  // kept in poisoned_ (strict) or counted (faithful)
}

Status Wal::SyncLocked() {
  const uint64_t covered = version_.load();
  Status s = file_->Sync();
  if (!s.ok()) {
    if (options_.strict) {
      poisoned_ = s;
      return s;
    }
    Dropped(s).IgnoreError();  // TDengine logs it and carries on as if synced
  }
  uint64_t synced = synced_version_.load();
  while (covered > synced && !synced_version_.compare_exchange_weak(synced, covered)) {
  }
  return Status::Ok();
}

Status Wal::CloseFileLocked() {
  if (!file_) return Status::Ok();
  Status s = file_->Close();
  file_.reset();
  return Dropped(s);
}

Status Wal::RemoveOneOldFile() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (options_.keep || !file_) return Status::Ok();
  WALCRASH_ASSIGN_OR_RETURN(std::optional<int64_t> old, OldFile(file_id_.load(), options_.old_files_to_keep));
  if (!old) return Status::Ok();
  return Dropped(vfs_.Unlink(PathOf(*old)));
}

Status Wal::RemoveAllOldFiles() {
  std::lock_guard<std::mutex> lock(mutex_);
  // As walRemoveAllOldFiles: the current file is closed and removed too.
  WALCRASH_RETURN_IF_ERROR(CloseFileLocked());
  WALCRASH_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListIds());
  Status first;
  for (int64_t id : ids) {
    if (id > -1) first.Update(Dropped(vfs_.Unlink(PathOf(id))));
  }
  return first;
}

Status Wal::Close() {
  // Out of the service first: a round holds the service's lock and then ours.
  service_.Unregister(this);
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return Status::Ok();
  closed_ = true;
  return CloseFileLocked();
}

}  // namespace walcrash::tdengine
