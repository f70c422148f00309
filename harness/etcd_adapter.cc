#include "harness/etcd_adapter.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "engine/etcd/record_io.h"
#include "engine/etcd/wal_name.h"
#include "harness/oracles.h"

namespace walcrash::harness {

namespace {

etcd::WalLevel LevelOf(SyncLevel level) {
  switch (level) {
    case SyncLevel::kNoLog: return etcd::WalLevel::kNoLog;
    case SyncLevel::kWrite: return etcd::WalLevel::kWrite;
    case SyncLevel::kFsync: return etcd::WalLevel::kFsync;
  }
  return etcd::WalLevel::kFsync;
}

HardState FromEtcd(const etcd::HardState& s) { return HardState{s.term, s.vote, s.commit}; }
etcd::HardState ToEtcd(const HardState& s) { return etcd::HardState{s.term, s.vote, s.commit}; }

DurabilityClaim ClaimOf(const etcd::DurableMark& mark) {
  return DurabilityClaim{true, mark.last_index, FromEtcd(mark.state), mark.snapshot_index};
}

// The segments of `dir` by sequence number, parsed; names that are not
// segments are not the WAL's.
struct SegmentFile {
  std::string path;
  etcd::SegmentName name;
};
std::vector<SegmentFile> SegmentsOf(vfs::Vfs& vfs, const std::string& dir) {
  std::vector<SegmentFile> out;
  auto names = vfs.List(dir);
  if (!names.ok()) return out;
  for (const std::string& n : etcd::FilterWalNames(*names)) {
    auto parsed = etcd::ParseWalName(n);
    if (parsed.ok()) out.push_back(SegmentFile{vfs::JoinPath(dir, n), *parsed});
  }
  std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) { return a.name.seq < b.name.seq; });
  return out;
}

}  // namespace

std::string EtcdSnapshotConfState() {
  // raftpb.ConfState{Voters: [1, 2, 3]}: field 1, varint, repeated.
  return std::string("\x08\x01\x08\x02\x08\x03", 6);
}

Result<etcd::WalOptions> EtcdOptionsFromConfig(const EngineConfig& config) {
  etcd::WalOptions o;
  o.background_threads = false;  // deterministic VFS call order
  o.level = LevelOf(config.policy.level);
  o.fsync_period = std::chrono::milliseconds(config.policy.period_ms);
  for (const auto& [key, value] : config.options) {
    if (key == "segment-size") {
      uint64_t v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return Status(Code::kInvalidArgument, "", fmt::format("etcd option segment-size: '{}' is not a number", value));
      }
      o.segment_size_bytes = v;
    } else if (key == "prealloc") {
      if (value == "fallocate") {
        o.prealloc = etcd::PreallocMode::kFallocate;
      } else if (value == "zero") {
        o.prealloc = etcd::PreallocMode::kZeroFill;
      } else {
        return Status(Code::kInvalidArgument, "", fmt::format("etcd option prealloc: '{}' is not fallocate or zero", value));
      }
    } else if (key == "bugs") {
      if (value == "none" || value.empty()) continue;
      std::string_view rest = value;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        WALCRASH_RETURN_IF_ERROR(o.bugs.Set(rest.substr(0, comma)));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("etcd has no option '{}' (segment-size, prealloc, bugs)", key));
    }
  }
  WALCRASH_RETURN_IF_ERROR(o.Validate());
  return o;
}

EtcdWalUnderTest::EtcdWalUnderTest(vfs::Vfs& vfs, std::string dir, etcd::WalOptions options)
    : vfs_(vfs), dir_(std::move(dir)), options_(std::move(options)) {}

EtcdWalUnderTest::~EtcdWalUnderTest() = default;

Status EtcdWalUnderTest::NeedOpen(std::string_view op) const {
  if (wal_) return {};
  return Status(Code::kInvalidArgument, dir_, fmt::format("{}: no WAL is open", op));
}

void EtcdWalUnderTest::Forget() {
  if (wal_) closed_claim_ = ClaimOf(wal_->durable());
  wal_.reset();
}

Status EtcdWalUnderTest::Create(std::string_view metadata) {
  if (wal_) return Status(Code::kInvalidArgument, dir_, "Create: a WAL is already open");
  WALCRASH_ASSIGN_OR_RETURN(wal_, etcd::Wal::Create(vfs_, dir_, std::string(metadata), options_));
  return {};
}

Result<RecoveredLog> EtcdWalUnderTest::Recover() {
  if (wal_) return Status(Code::kInvalidArgument, dir_, "Recover: a WAL is already open");
  RecoveredLog out;
  if (!etcd::Exist(vfs_, dir_)) return out;  // the server would create a new WAL
  out.exists = true;
  WALCRASH_ASSIGN_OR_RETURN(std::vector<etcd::SnapshotRecord> snaps, etcd::ValidSnapshotEntries(vfs_, dir_, options_));
  etcd::SnapshotRecord snap = snaps.empty() ? etcd::SnapshotRecord{} : snaps.back();
  snap.conf_state.reset();  // Open matches by index and term
  bool repaired = false;
  for (;;) {  // at most twice: one repair
    WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<etcd::Wal> wal, etcd::Wal::Open(vfs_, dir_, snap, options_));
    etcd::ReadResult read;
    Status s = wal->ReadAll(&read);
    if (s.ok()) {
      wal_ = std::move(wal);
      out.metadata = read.metadata;
      out.snapshot = SnapshotRef{snap.index, snap.term};
      out.state = FromEtcd(read.state);
      out.entries.reserve(read.entries.size());
      for (etcd::Entry& e : read.entries) out.entries.push_back(LogEntry{e.index, e.term, std::move(e.data)});
      if (repaired) out.notes.push_back("repaired a torn tail (etcd's Repair) before reading");
      return out;
    }
    wal->Close().IgnoreError();  // the ReadAll error is what counts
    if (repaired || etcd::WalErrorOf(s) != etcd::WalError::kUnexpectedEOF) return s;
    Status why;
    if (!etcd::Repair(vfs_, dir_, options_, &why)) {
      return why.Annotate(fmt::format("Repair after '{}'", s.message()));
    }
    repaired = true;
  }
}

Status EtcdWalUnderTest::Save(const HardState& state, const std::vector<LogEntry>& entries) {
  WALCRASH_RETURN_IF_ERROR(NeedOpen("Save"));
  std::vector<etcd::Entry> es;
  es.reserve(entries.size());
  for (const LogEntry& e : entries) es.push_back(etcd::Entry{e.term, e.index, 0, e.data});
  return wal_->Save(ToEtcd(state), es);
}

Status EtcdWalUnderTest::SaveSnapshot(const SnapshotRef& snapshot) {
  WALCRASH_RETURN_IF_ERROR(NeedOpen("SaveSnapshot"));
  return wal_->SaveSnapshot(etcd::SnapshotRecord{snapshot.index, snapshot.term, EtcdSnapshotConfState()});
}

Status EtcdWalUnderTest::Sync() {
  WALCRASH_RETURN_IF_ERROR(NeedOpen("Sync"));
  return wal_->Sync();
}

Status EtcdWalUnderTest::Tick() {
  WALCRASH_RETURN_IF_ERROR(NeedOpen("Tick"));
  return wal_->RunPeriodicSync();
}

Status EtcdWalUnderTest::Release(uint64_t index) {
  WALCRASH_RETURN_IF_ERROR(NeedOpen("Release"));
  return wal_->ReleaseLockTo(index);
}

Status EtcdWalUnderTest::SetSyncPolicy(const SyncPolicy& policy) {
  options_.level = LevelOf(policy.level);
  options_.fsync_period = std::chrono::milliseconds(policy.period_ms);
  if (!wal_) return {};
  return wal_->SetSyncPolicy(options_.level, options_.fsync_period);
}

Status EtcdWalUnderTest::Close() {
  WALCRASH_RETURN_IF_ERROR(NeedOpen("Close"));
  Status s = wal_->Close();
  Forget();
  return s;
}

DurabilityClaim EtcdWalUnderTest::Claim() const { return wal_ ? ClaimOf(wal_->durable()) : closed_claim_; }

std::vector<Violation> EtcdWalUnderTest::CheckStructure(vfs::Vfs& vfs) const {
  std::vector<Violation> out;
  std::vector<SegmentFile> segments = SegmentsOf(vfs, dir_);
  uint32_t running = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const SegmentFile& seg = segments[i];
    const std::string base(vfs::BaseName(seg.path));
    if (i > 0 && seg.name.seq != segments[i - 1].name.seq + 1) {
      out.push_back(Violation{std::string(kOracleCutAtomicity), fmt::format("segment {} follows segment {}: the sequence has a gap", base,
                                                      vfs::BaseName(segments[i - 1].path))});
      return out;
    }
    auto file = vfs.Open(seg.path, vfs::kRead);
    if (!file.ok()) {
      out.push_back(Violation{std::string(kOracleCutAtomicity), fmt::format("segment {} cannot be opened: {}", base, file.error().ToString())});
      return out;
    }
    auto size = (*file)->Size();
    if (!size.ok()) {
      out.push_back(Violation{std::string(kOracleCutAtomicity), fmt::format("segment {}: {}", base, size.error().ToString())});
      return out;
    }
    etcd::Decoder decoder({{file->get(), *size, seg.path}});
    decoder.UpdateCrc(running);
    etcd::RecordView rec;  // only read: no copy of the data
    size_t count = 0;
    for (;;) {
      auto next = decoder.DecodeView(rec);
      if (!next.ok()) {
        bool chain = etcd::WalErrorOf(next.error()) == etcd::WalError::kRecordCrcMismatch;
        bool last = i + 1 == segments.size();
        out.push_back(Violation{std::string(chain ? kOracleCrcChain : (last ? kOracleCleanTail : kOracleCutAtomicity)),
                       fmt::format("segment {} after {} good records (offset {}): {}", base, count,
                                   decoder.last_offset(), next.error().ToString())});
        return out;
      }
      if (!*next) break;
      ++count;
      if (count == 1) {
        if (rec.type != static_cast<int64_t>(etcd::RecordType::kCrc)) {
          out.push_back(Violation{std::string(kOracleCutAtomicity),
                         fmt::format("segment {} starts with a record of type {}, not its CRC record: a half-made "
                                     "segment passes for a real one",
                                     base, rec.type)});
          return out;
        }
        if (rec.crc != running) {
          out.push_back(Violation{std::string(kOracleCrcChain), fmt::format("segment {} starts with CRC {:08x}, but the segments before it "
                                                      "end with {:08x}",
                                                      base, rec.crc, running)});
          return out;
        }
      } else if (count == 2 && rec.type != static_cast<int64_t>(etcd::RecordType::kMetadata)) {
        out.push_back(Violation{std::string(kOracleCutAtomicity),
                       fmt::format("segment {}: its second record has type {}, not the metadata", base, rec.type)});
        return out;
      }
    }
    if (count == 0) {
      out.push_back(Violation{std::string(kOracleCutAtomicity), fmt::format("segment {} holds no records ({} bytes): a half-made segment "
                                                      "passes for a real one",
                                                      base, *size)});
      return out;
    }
    running = decoder.crc();
    if (i + 1 == segments.size()) {
      // Everything past the last record must read as zeros.
      uint64_t from = decoder.last_offset();
      std::string rest(static_cast<size_t>(*size > from ? *size - from : 0), '\0');
      auto got = (*file)->ReadAt(from, {reinterpret_cast<std::byte*>(rest.data()), rest.size()});
      if (got.ok()) {
        auto bad = std::find_if(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(*got), [](char c) { return c != 0; });
        if (bad != rest.begin() + static_cast<std::ptrdiff_t>(*got)) {
          out.push_back(Violation{std::string(kOracleCleanTail), fmt::format("segment {}: stale non-zero bytes at offset {}, past the last "
                                                       "record (which ends at {}); a later append can splice them in",
                                                       base, from + static_cast<uint64_t>(bad - rest.begin()), from)});
        }
      }
    }
  }
  return out;
}

std::vector<ChecksummedRange> EtcdWalUnderTest::ChecksummedRanges(vfs::Vfs& vfs) const {
  std::vector<ChecksummedRange> out;
  std::vector<SegmentFile> segments = SegmentsOf(vfs, dir_);
  if (segments.empty()) return out;
  const SegmentFile& last = segments.back();
  auto file = vfs.Open(last.path, vfs::kRead);
  if (!file.ok()) return out;
  auto size = (*file)->Size();
  if (!size.ok()) return out;
  etcd::Decoder decoder({{file->get(), *size, last.path}});
  etcd::RecordView rec;
  for (;;) {
    uint64_t start = decoder.last_offset();
    auto next = decoder.DecodeView(rec);
    if (!next.ok() || !*next) break;
    // etcd writes the fields in order, so the data field's bytes end the
    // record (its padding follows the frame's length).
    if (!rec.data || rec.data->empty()) continue;
    uint64_t len_field = 0;
    std::string head(8, '\0');
    auto got = (*file)->ReadAt(start, {reinterpret_cast<std::byte*>(head.data()), head.size()});
    if (!got.ok() || *got != 8) break;
    std::memcpy(&len_field, head.data(), 8);
    uint64_t rec_bytes = 0, pad_bytes = 0;
    etcd::DecodeFrameSize(len_field, &rec_bytes, &pad_bytes);
    uint64_t end = start + etcd::kFrameSizeBytes + rec_bytes;
    out.push_back(ChecksummedRange{last.path, end - rec.data->size(), rec.data->size()});
  }
  return out;
}

}  // namespace walcrash::harness
