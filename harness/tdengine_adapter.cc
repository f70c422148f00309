#include "harness/tdengine_adapter.h"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "engine/tdengine/wal_head.h"
#include "engine/tdengine/wal_name.h"

namespace walcrash::harness {

namespace {

constexpr int8_t kSubmitMsgType = 3;

tdengine::Level LevelOf(SyncLevel level) {
  switch (level) {
    case SyncLevel::kNoLog: return tdengine::Level::kNoLog;
    case SyncLevel::kWrite: return tdengine::Level::kWrite;
    case SyncLevel::kFsync: return tdengine::Level::kFsync;
  }
  return tdengine::Level::kFsync;
}

Result<tdengine::WalConfig> ConfigOf(const SyncPolicy& policy) {
  if (policy.period_ms > 3'600'000) {
    return Status(Code::kInvalidArgument, "", fmt::format("tdengine: fsync period {} ms is over an hour", policy.period_ms));
  }
  return tdengine::WalConfig{LevelOf(policy.level), static_cast<int32_t>(policy.period_ms)};
}

Result<bool> OnOff(std::string_view key, std::string_view value) {
  if (value == "on" || value == "true" || value == "1") return true;
  if (value == "off" || value == "false" || value == "0") return false;
  return Status(Code::kInvalidArgument, "", fmt::format("tdengine option {}: '{}' is not on or off", key, value));
}

}  // namespace

std::string TdengineEntryBody(const LogEntry& entry) {
  std::string body(8, '\0');
  std::memcpy(body.data(), &entry.term, 8);  // little-endian (wal_head.h)
  body += entry.data;
  return body;
}

std::optional<LogEntry> TdengineEntryFromBody(uint64_t version, std::span<const std::byte> body) {
  if (body.size() < 8) return std::nullopt;
  LogEntry e;
  e.index = version;
  std::memcpy(&e.term, body.data(), 8);
  e.data.assign(reinterpret_cast<const char*>(body.data()) + 8, body.size() - 8);
  return e;
}

Result<TdengineAdapterOptions> TdengineOptionsFromConfig(const EngineConfig& config) {
  TdengineAdapterOptions o;
  WALCRASH_ASSIGN_OR_RETURN(o.wal.config, ConfigOf(config.policy));
  for (const auto& [key, value] : config.options) {
    if (key == "renew-bytes") {
      uint64_t v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size() || (v != 0 && v < 64)) {
        return Status(Code::kInvalidArgument, "",
                      fmt::format("tdengine option renew-bytes: '{}' is not 0 or a number >= 64", value));
      }
      o.renew_bytes = v;
    } else if (key == "keep") {
      WALCRASH_ASSIGN_OR_RETURN(o.wal.keep, OnOff(key, value));
    } else if (key == "strict") {
      WALCRASH_ASSIGN_OR_RETURN(o.wal.strict, OnOff(key, value));
    } else {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("tdengine has no option '{}' (renew-bytes, keep, strict)", key));
    }
  }
  WALCRASH_RETURN_IF_ERROR(o.wal.Validate());
  return o;
}

TdengineWalUnderTest::TdengineWalUnderTest(vfs::Vfs& vfs, std::string dir, TdengineAdapterOptions options)
    : vfs_(vfs), dir_(std::move(dir)), options_(options) {
  options_.wal.fsync_service = &service_;
}

TdengineWalUnderTest::~TdengineWalUnderTest() {
  if (wal_) wal_->Close().IgnoreError();  // the harness's own teardown, no crash point
  wal_.reset();
}

Status TdengineWalUnderTest::NeedOpen(std::string_view op) const {
  if (wal_) return {};
  return Status(Code::kInvalidArgument, dir_, fmt::format("{}: no WAL is open", op));
}

Result<std::unique_ptr<tdengine::Wal>> TdengineWalUnderTest::OpenWal() {
  if (wal_) return Status(Code::kInvalidArgument, dir_, "a WAL is already open");
  return tdengine::Wal::Open(vfs_, dir_, options_.wal);
}

Status TdengineWalUnderTest::Create(std::string_view metadata) {
  (void)metadata;  // TDengine's WAL keeps none (engine_traits.h)
  WALCRASH_ASSIGN_OR_RETURN(wal_, OpenWal());
  WALCRASH_RETURN_IF_ERROR(wal_->Renew());
  created_ = true;
  written_since_renew_ = 0;
  return {};
}

Result<RecoveredLog> TdengineWalUnderTest::Recover() {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<tdengine::Wal> wal, OpenWal());
  RecoveredLog out;
  out.exists = true;  // walOpen makes the directory: there is always a WAL
  uint64_t applied = 0;
  Status bad_body;
  auto apply = [&](const tdengine::RestoredRecord& r) {
    if (r.head.version <= applied) return;  // vnodeProcessWrite: from the WAL, a version at or below is old
    std::optional<LogEntry> e = TdengineEntryFromBody(r.head.version, r.body);
    if (!e) {
      bad_body.Update(Status(Code::kCorruption, vfs::JoinPath(dir_, tdengine::FileName(r.file_id)),
                             fmt::format("record at {} (version {}) has a {}-byte body, too short for an entry",
                                         r.offset, r.head.version, r.body.size())));
      return;
    }
    applied = r.head.version;
    out.entries.push_back(std::move(*e));
  };
  Result<tdengine::RestoreReport> report = wal->Restore(apply);
  if (!report.ok()) return report.status();
  WALCRASH_RETURN_IF_ERROR(bad_body);
  out.notes = std::move(report->notes);
  if (!options_.wal.keep) WALCRASH_RETURN_IF_ERROR(wal->Renew());
  wal_ = std::move(wal);
  created_ = true;
  written_since_renew_ = 0;
  return out;
}

Status TdengineWalUnderTest::Save(const HardState& state, const std::vector<LogEntry>& entries) {
  (void)state;  // no hard-state records (engine_traits.h)
  WALCRASH_RETURN_IF_ERROR(NeedOpen("Save"));
  for (const LogEntry& e : entries) {
    const std::string body = TdengineEntryBody(e);
    WALCRASH_ASSIGN_OR_RETURN(tdengine::WriteOutcome outcome, wal_->Write(kSubmitMsgType, e.index, body));
    if (outcome != tdengine::WriteOutcome::kWritten) {
      return Status(Code::kInvalidArgument, dir_,
                    fmt::format("tdengine did not write entry {}: {} (version {})", e.index,
                                tdengine::WriteOutcomeName(outcome), wal_->version()));
    }
    WALCRASH_RETURN_IF_ERROR(wal_->Fsync(false));
    written_since_renew_ += tdengine::kHeadBytes + body.size();
  }
  // Keep mode is TDengine's for WALs that never renew (walRenew would write
  // wal0 over from offset 0).
  if (!options_.wal.keep && options_.renew_bytes != 0 && written_since_renew_ >= options_.renew_bytes) {
    WALCRASH_RETURN_IF_ERROR(wal_->Renew());
    written_since_renew_ = 0;
  }
  return {};
}

Status TdengineWalUnderTest::SaveSnapshot(const SnapshotRef& snapshot) {
  return Status(Code::kNotSupported, dir_,
                fmt::format("tdengine keeps no snapshots (asked for one at {})", snapshot.index));
}

Status TdengineWalUnderTest::Sync() {
  WALCRASH_RETURN_IF_ERROR(NeedOpen("Sync"));
  return wal_->Fsync(true);
}

Status TdengineWalUnderTest::Tick() {
  WALCRASH_RETURN_IF_ERROR(NeedOpen("Tick"));
  service_.RunOnce();
  return {};
}

Status TdengineWalUnderTest::Release(uint64_t index) {
  (void)index;
  return NeedOpen("Release");
}

Status TdengineWalUnderTest::SetSyncPolicy(const SyncPolicy& policy) {
  WALCRASH_ASSIGN_OR_RETURN(tdengine::WalConfig config, ConfigOf(policy));
  options_.wal.config = config;  // for the next open
  if (!wal_) return {};
  return wal_->Alter(config);
}

Status TdengineWalUnderTest::Close() {
  WALCRASH_RETURN_IF_ERROR(NeedOpen("Close"));
  Status s = wal_->Fsync(true);
  s.Update(wal_->Close());
  closed_synced_ = wal_->synced_version();
  wal_.reset();
  return s;
}

DurabilityClaim TdengineWalUnderTest::Claim() const {
  DurabilityClaim c;
  c.created = created_;
  c.last_index = wal_ ? wal_->synced_version() : closed_synced_;
  return c;
}

std::vector<ChecksummedRange> TdengineWalUnderTest::ChecksummedRanges(vfs::Vfs& vfs) const {
  // Every record of every file, head and body: sver >= 1 covers both.
  std::vector<ChecksummedRange> out;
  auto names = vfs.List(dir_);
  if (!names.ok()) return out;
  for (const std::string& name : *names) {
    if (!tdengine::ParseCanonicalId(name)) continue;
    const std::string path = vfs::JoinPath(dir_, name);
    auto bytes = vfs::ReadWholeFile(vfs, path);
    if (!bytes.ok()) continue;
    std::span<const std::byte> data = std::as_bytes(std::span<const char>(bytes->data(), bytes->size()));
    uint64_t pos = 0;
    while (data.size() - pos >= tdengine::kHeadBytes) {
      tdengine::WalHead head = tdengine::DecodeHead(data.subspan(pos).first<tdengine::kHeadBytes>());
      if (head.signature != tdengine::kSignature || head.sver < 1 || head.len < 0 ||
          data.size() - pos - tdengine::kHeadBytes < static_cast<uint64_t>(head.len)) {
        break;
      }
      const uint64_t length = tdengine::kHeadBytes + static_cast<uint64_t>(head.len);
      if (!tdengine::ChecksumValid(head, data.subspan(pos + tdengine::kHeadBytes, static_cast<size_t>(head.len)))) break;
      out.push_back(ChecksummedRange{path, pos, length});
      pos += length;
    }
  }
  return out;
}

}  // namespace walcrash::harness
