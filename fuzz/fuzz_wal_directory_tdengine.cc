// fuzz_wal_directory_tdengine — any bytes as a TDengine 2.x WAL directory
// (fuzz/tdengine_directory_image.h), restored by engine/tdengine in both of
// its modes, faithful (TDengine 2.6 as it is) and strict.
//
// The image goes into a SimVfs at /wal. For each mode: Wal::Open (a manual
// FsyncService, keep as the image says), Restore, Close; then, strict only, a
// second Open + Restore, and (without keep, after a successful restore) an
// append: Renew, one record, Fsync, Close, and a third Open + Restore. Every
// run is done twice, on fresh copies of the image.
//
// Invariants, both modes:
//   - no crash, hang, undefined behaviour or unbounded memory (ci/fuzz runs
//     it with -malloc_limit_mb=128): Restore reads at most 3 MiB per record;
//   - Open succeeds (the directory is there); every restore ends in success
//     or in a Status that names a path; Close succeeds;
//   - records reach `apply` in (file id, offset) order, strictly increasing,
//     each from a file whose name reads as that id (TDengine's reading of
//     names in faithful mode, canonical names in strict mode);
//   - determinism: the same status, records, notes and final directory.
// Strict only:
//   - every replayed record checks, read from the bytes of its file before
//     the restore, independently of the engine's decoder: signature, sver in
//     0..2, length in [0, kMaxBodyBytes] and within the file, the CRC-32C of
//     TDengine's walValidateChecksum over the head as it lies on disk (for
//     sver 0 its first 20 bytes, else the whole head with cksum zeroed, then
//     the body), and head and body as handed to `apply`;
//   - within a file, records follow each other from offset 0 with no gap;
//   - success: every canonical file was read to its end, the newest perhaps
//     cut at the end of its last record (a torn tail truncated), and nothing
//     else in the directory changed (keep may add an empty wal0); so a file
//     of only valid records is replayed whole. An error changes nothing;
//   - a second restore gives the same outcome and records and changes
//     nothing (truncation is idempotent);
//   - an append after a successful restore reads back: the same records,
//     then the new one.
// Both modes must agree on a directory whose every name starting with "wal"
// is a canonical file of valid, complete records only: both succeed, with
// the same records (file, offset, head, body) and the same directory after.
//
// A finding in strict mode is a bug of the strict engine; in faithful mode
// only the first group applies (TDengine's losses are not findings here:
// fuzz_crash_schedule_tdengine holds them to the oracles).
//
// To fuzz past a known finding until the engine is fixed (never by default):
//   WALCRASH_FUZZ_TDENGINE_MODES=strict (or faithful) runs one mode alone,
//     without the agreement check;
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "engine/crc32c.h"
#include "engine/tdengine/fsync_service.h"
#include "engine/tdengine/wal.h"
#include "engine/tdengine/wal_head.h"
#include "engine/tdengine/wal_name.h"
#include "fuzz/finding.h"
#include "fuzz/tdengine_directory_image.h"
#include "vfs/sim_vfs.h"

namespace {

namespace td = walcrash::tdengine;
namespace vfs = walcrash::vfs;
using walcrash::Status;
using walcrash::fuzz::ImageEntry;
using walcrash::fuzz::TdDirectoryImage;

constexpr std::string_view kDir = "/wal";
constexpr int8_t kAppendMsgType = 3;
constexpr std::string_view kAppendBody = "walcrash fuzz append";

using Files = std::map<std::string, ImageEntry>;

struct Modes {
  bool faithful = true;
  bool strict = true;
};

Modes& RunModes() {
  static Modes modes;
  return modes;
}

// The names in the comma-separated `variable` (default `fallback`), each one
// of `known`; a usage error (exit 2) otherwise.
std::vector<std::string> NamesFrom(const char* variable, std::string_view fallback,
                                   const std::vector<std::string_view>& known) {
  const std::string text = walcrash::fuzz::EnvOr(variable, fallback);
  std::vector<std::string> out;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (name.empty()) continue;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::fprintf(stderr, "fuzz_wal_directory_tdengine: %s=%s: unknown '%.*s'\n", variable, text.c_str(),
                   static_cast<int>(name.size()), name.data());
      std::exit(2);
    }
    out.emplace_back(name);
  }
  return out;
}

Files Contents(vfs::Vfs& v) {
  auto image = walcrash::fuzz::ReadDirectoryImage(v, kDir);
  WALCRASH_FUZZ_CHECK(image.ok(), "reading {} back failed: {}", kDir, image.status().ToString());
  Files out;
  for (ImageEntry& e : image->entries) out[e.name] = std::move(e);
  return out;
}

struct Replayed {
  int64_t file_id = 0;
  uint64_t offset = 0;
  td::WalHead head;
  std::string body;
  friend bool operator==(const Replayed&, const Replayed&) = default;
};

std::string Describe(const Replayed& r) {
  return fmt::format("{}@{} ({})", td::FileName(r.file_id), r.offset, td::HeadText(r.head));
}

std::string Describe(const std::vector<Replayed>& records) {
  std::string out = fmt::format("{} records [", records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (i == 8) {
      out += " ...";
      break;
    }
    out += fmt::format(" {}@{} v{}", td::FileName(records[i].file_id), records[i].offset, records[i].head.version);
  }
  return out + " ]";
}

std::string FilesText(const Files& files) {
  std::string out;
  for (const auto& [name, e] : files) {
    out += fmt::format(" {}{}", name, e.directory ? "/" : fmt::format(":{}", e.contents.size()));
  }
  return out;
}

struct Restored {
  Status status;
  std::vector<Replayed> records;
  std::vector<std::string> notes;
  size_t files = 0;
  uint64_t version = 0;
  bool operator==(const Restored& o) const {
    return status.ToString() == o.status.ToString() && records == o.records && notes == o.notes &&
           files == o.files && version == o.version;
  }
};

// One mode's whole run on a fresh copy of the image.
struct Run {
  Files before;
  Restored first;
  Files after;
  // Strict only:
  std::optional<Restored> second;
  Files after_second;
  std::optional<Replayed> appended;
  std::optional<Restored> third;
  bool operator==(const Run& o) const {
    return before == o.before && first == o.first && after == o.after && second == o.second &&
           after_second == o.after_second && appended == o.appended && third == o.third;
  }
};

std::string_view ModeName(bool strict) { return strict ? "strict" : "faithful"; }

std::unique_ptr<td::Wal> OpenWal(vfs::Vfs& fs, bool strict, bool keep, td::FsyncService& service,
                                 std::string_view what) {
  td::WalOptions options;
  options.strict = strict;
  options.keep = keep;
  options.fsync_service = &service;
  auto wal = td::Wal::Open(fs, std::string(kDir), options);
  WALCRASH_FUZZ_CHECK(wal.ok(), "{} {}: Open of an existing directory failed: {}", ModeName(strict), what,
                      wal.status().ToString());
  return std::move(wal).value();
}

Restored RestoreOnce(td::Wal& wal, bool strict, std::string_view what) {
  Restored r;
  auto report = wal.Restore([&](const td::RestoredRecord& rec) {
    r.records.push_back(Replayed{rec.file_id, rec.offset, rec.head,
                                 std::string(reinterpret_cast<const char*>(rec.body.data()), rec.body.size())});
  });
  if (report.ok()) {
    r.notes = report->notes;
    r.files = report->files;
    WALCRASH_FUZZ_CHECK(report->records == r.records.size(), "{} {}: the report counts {} records; apply saw {}",
                        ModeName(strict), what, report->records, r.records.size());
  } else {
    r.status = report.status();
    WALCRASH_FUZZ_CHECK(!r.status.path().empty(), "{} {}: Restore failed without naming a path: {}",
                        ModeName(strict), what, r.status.ToString());
  }
  r.version = wal.version();
  return r;
}

void CloseWal(td::Wal& wal, bool strict, std::string_view what) {
  Status closed = wal.Close();
  WALCRASH_FUZZ_CHECK(closed.ok(), "{} {}: Close failed: {}", ModeName(strict), what, closed.ToString());
}

// The ids of the WAL files `files` holds as the mode reads names (id -> name).
std::map<int64_t, std::string> WalIds(const Files& files, bool strict) {
  std::map<int64_t, std::string> out;
  for (const auto& [name, e] : files) {
    std::optional<int64_t> id = strict ? td::ParseCanonicalId(name) : td::ParseIdLikeTDengine(name);
    if (id && *id >= 0) out.emplace(*id, name);
  }
  return out;
}

Run RunMode(const TdDirectoryImage& image, bool strict) {
  Run run;
  vfs::SimVfs fs;
  Status written = walcrash::fuzz::WriteDirectoryImage(fs, kDir, image.AsDirectoryImage());
  WALCRASH_FUZZ_CHECK(written.ok(), "image decoder: the image cannot be written: {}", written.ToString());
  run.before = Contents(fs);
  td::FsyncService service(td::FsyncService::Mode::kManual);
  {
    std::unique_ptr<td::Wal> wal = OpenWal(fs, strict, image.keep, service, "restore");
    run.first = RestoreOnce(*wal, strict, "restore");
    CloseWal(*wal, strict, "restore");
  }
  run.after = Contents(fs);
  if (!strict) return run;

  std::unique_ptr<td::Wal> wal = OpenWal(fs, strict, image.keep, service, "second restore");
  run.second = RestoreOnce(*wal, strict, "second restore");
  run.after_second = Contents(fs);
  const uint64_t version = wal->version();
  const std::map<int64_t, std::string> ids = WalIds(run.after_second, true);
  const bool id_overflow = !ids.empty() && ids.rbegin()->first == INT64_MAX;
  if (!run.first.status.ok() || !run.second->status.ok() || image.keep || version == UINT64_MAX) {
    CloseWal(*wal, strict, "second restore");
    return run;
  }
  if (id_overflow) {
    // No id above wal9223372036854775807: strict refuses to renew, naming it.
    Status refused = wal->Renew();
    WALCRASH_FUZZ_CHECK(!refused.ok() && !refused.path().empty(), "strict append: Renew past the last id gave {}",
                        refused.ToString());
    CloseWal(*wal, strict, "second restore");
    return run;
  }
  // Append one record to a new file, as a vnode does after its restore.
  Status renewed = wal->Renew();
  WALCRASH_FUZZ_CHECK(renewed.ok(), "strict append: Renew failed: {}", renewed.ToString());
  auto outcome = wal->Write(kAppendMsgType, version + 1, kAppendBody);
  WALCRASH_FUZZ_CHECK(outcome.ok() && *outcome == td::WriteOutcome::kWritten, "strict append: Write of version {} gave {}",
                      version + 1,
                      outcome.ok() ? std::string(td::WriteOutcomeName(*outcome)) : outcome.status().ToString());
  Status synced = wal->Fsync(true);
  WALCRASH_FUZZ_CHECK(synced.ok(), "strict append: Fsync failed: {}", synced.ToString());
  const int64_t file_id = wal->file_id();
  CloseWal(*wal, strict, "append");
  wal.reset();
  const std::string record = td::EncodeRecord(kAppendMsgType, version + 1, kAppendBody);
  run.appended = Replayed{file_id, 0, td::DecodeHead(std::span<const std::byte, td::kHeadBytes>(
                                          reinterpret_cast<const std::byte*>(record.data()), td::kHeadBytes)),
                          std::string(kAppendBody)};
  std::unique_ptr<td::Wal> third = OpenWal(fs, strict, image.keep, service, "restore after append");
  run.third = RestoreOnce(*third, strict, "restore after append");
  CloseWal(*third, strict, "restore after append");
  return run;
}

// --- an independent reading of records, as TDengine defines them --------------------

template <typename T>
T Load(std::string_view bytes, size_t at) {
  T v;
  std::memcpy(&v, bytes.data() + at, sizeof(T));
  return v;
}

// The record at `pos` of `file` when it checks in every way (its length,
// else nullopt); `why` says what failed.
std::optional<uint64_t> ValidRecordAt(std::string_view file, uint64_t pos, std::string* why = nullptr) {
  auto fail = [&](std::string what) -> std::optional<uint64_t> {
    if (why) *why = std::move(what);
    return std::nullopt;
  };
  if (pos > file.size() || file.size() - pos < td::kHeadBytes) return fail("the head runs past the end of the file");
  const std::string_view head = file.substr(pos, td::kHeadBytes);
  const auto sver = Load<int8_t>(head, 1);
  const auto len = Load<int32_t>(head, 4);
  const auto signature = Load<uint32_t>(head, 16);
  const auto cksum = Load<uint32_t>(head, 20);
  if (signature != td::kSignature) return fail(fmt::format("signature {:08x}", signature));
  if (sver < 0 || sver > td::kMaxSver) return fail(fmt::format("sver {}", sver));
  if (len < 0 || static_cast<size_t>(len) > td::kMaxBodyBytes) return fail(fmt::format("length {}", len));
  if (file.size() - pos - td::kHeadBytes < static_cast<size_t>(len)) {
    return fail(fmt::format("length {} runs past the end of the file", len));
  }
  uint32_t want = 0;
  if (sver == 0) {
    want = walcrash::crc32c::Value(head.substr(0, 20));
  } else {
    std::string zeroed(head);
    std::memset(zeroed.data() + 20, 0, 4);
    want = walcrash::crc32c::Update(
        walcrash::crc32c::Value(zeroed),
        {reinterpret_cast<const std::byte*>(file.data() + pos + td::kHeadBytes), static_cast<size_t>(len)});
  }
  if (want != cksum) return fail(fmt::format("checksum {:08x}, the bytes on disk give {:08x}", cksum, want));
  return td::kHeadBytes + static_cast<uint64_t>(len);
}

// The end of the chain of valid records from offset 0.
uint64_t ValidChainEnd(std::string_view file) {
  uint64_t pos = 0;
  while (std::optional<uint64_t> n = ValidRecordAt(file, pos)) pos += *n;
  return pos;
}

// --- the checks ----------------------------------------------------------------------

void CheckOrder(const std::vector<Replayed>& records, const Files& before, bool strict, std::string_view what) {
  const std::map<int64_t, std::string> ids = WalIds(before, strict);
  for (size_t i = 0; i < records.size(); ++i) {
    const Replayed& r = records[i];
    WALCRASH_FUZZ_CHECK(ids.contains(r.file_id), "{} {}: record {} comes from {}, which is not a WAL file here:{}",
                        ModeName(strict), what, i, Describe(r), FilesText(before));
    if (i == 0) continue;
    const Replayed& p = records[i - 1];
    WALCRASH_FUZZ_CHECK(p.file_id < r.file_id || (p.file_id == r.file_id && p.offset < r.offset),
                        "{} {}: record {} ({}) comes after {}: not in file-id then offset order", ModeName(strict),
                        what, i, Describe(r), Describe(p));
  }
}

// Strict: each record checks against its file's bytes before the restore;
// records of a file follow each other from 0. Returns each file's chain end.
std::map<int64_t, uint64_t> CheckStrictRecords(const std::vector<Replayed>& records, const Files& before,
                                               std::string_view what) {
  std::map<int64_t, uint64_t> ends;
  for (const Replayed& r : records) {
    const ImageEntry& file = before.at(td::FileName(r.file_id));
    uint64_t& end = ends[r.file_id];
    WALCRASH_FUZZ_CHECK(r.offset == end, "strict {}: {} follows a record that ends at {}: a gap or an overlap", what,
                        Describe(r), end);
    std::string why;
    std::optional<uint64_t> n = ValidRecordAt(file.contents, r.offset, &why);
    WALCRASH_FUZZ_CHECK(n.has_value(), "strict {}: replayed {}, which does not check: {}", what, Describe(r), why);
    const std::string_view bytes = std::string_view(file.contents).substr(r.offset, *n);
    const td::WalHead on_disk = td::DecodeHead(std::span<const std::byte, td::kHeadBytes>(
        reinterpret_cast<const std::byte*>(bytes.data()), td::kHeadBytes));
    WALCRASH_FUZZ_CHECK(on_disk == r.head && bytes.substr(td::kHeadBytes) == r.body,
                        "strict {}: replayed {} with a {}-byte body; the file holds {} with {} bytes", what,
                        Describe(r), r.body.size(), td::HeadText(on_disk), bytes.size() - td::kHeadBytes);
    end += *n;
  }
  return ends;
}

void CheckStrict(const Run& run, const TdDirectoryImage& image) {
  const std::map<int64_t, uint64_t> ends = CheckStrictRecords(run.first.records, run.before, "restore");
  if (!run.first.status.ok()) {
    WALCRASH_FUZZ_CHECK(run.after == run.before, "strict restore failed ({}) but changed the directory:{} ->{}",
                        run.first.status.ToString(), FilesText(run.before), FilesText(run.after));
  } else {
    // Every canonical file read to its end; the newest perhaps cut.
    const std::map<int64_t, std::string> ids = WalIds(run.before, true);
    Files want = run.before;
    for (const auto& [id, name] : ids) {
      const ImageEntry& file = run.before.at(name);
      WALCRASH_FUZZ_CHECK(!file.directory, "strict restore succeeded with a directory named {}", name);
      const uint64_t end = ends.contains(id) ? ends.at(id) : 0;
      if (id == ids.rbegin()->first) {
        want[name].contents.resize(static_cast<size_t>(end));
      } else {
        WALCRASH_FUZZ_CHECK(end == file.contents.size(),
                            "strict restore succeeded but replayed {} only to {} of {} bytes (not the newest file)",
                            name, end, file.contents.size());
      }
    }
    if (image.keep && !want.contains("wal0")) want["wal0"] = ImageEntry{"wal0", false, ""};
    WALCRASH_FUZZ_CHECK(run.after == want,
                        "strict restore: the directory after it is{}; want{} (replayed to the end of every file, the "
                        "newest cut after its last record, nothing else changed)",
                        FilesText(run.after), FilesText(want));
    WALCRASH_FUZZ_CHECK(run.first.files == ids.size(), "strict restore: {} files restored; the directory has {}",
                        run.first.files, ids.size());
  }
  WALCRASH_FUZZ_CHECK(run.second.has_value() && run.second->status.ToString() == run.first.status.ToString() &&
                          run.second->records == run.first.records,
                      "strict: a second restore gives {} with {}; the first gave {} with {}",
                      run.second ? run.second->status.ToString() : "nothing",
                      run.second ? Describe(run.second->records) : "", run.first.status.ToString(),
                      Describe(run.first.records));
  WALCRASH_FUZZ_CHECK(run.after_second == run.after, "strict: a second restore changed the directory:{} ->{}",
                      FilesText(run.after), FilesText(run.after_second));
  if (run.appended) {
    std::vector<Replayed> want = run.first.records;
    want.push_back(*run.appended);
    WALCRASH_FUZZ_CHECK(run.third && run.third->status.ok() && run.third->records == want,
                        "strict: after appending {}, a restore gives {} with {}; want OK with {}",
                        Describe(*run.appended), run.third ? run.third->status.ToString() : "nothing",
                        run.third ? Describe(run.third->records) : "", Describe(want));
  }
}

// Every name that starts with "wal" is a canonical file of valid, complete records only.
bool OnlyValidCanonicalFiles(const Files& files) {
  for (const auto& [name, e] : files) {
    if (!name.starts_with(td::kFilePrefix)) continue;
    std::optional<int64_t> id = td::ParseCanonicalId(name);
    if (!id || td::FileName(*id) != name || e.directory) return false;
    if (ValidChainEnd(e.contents) != e.contents.size()) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const std::vector<std::string> modes =
      NamesFrom("WALCRASH_FUZZ_TDENGINE_MODES", "faithful,strict", {"faithful", "strict"});
  Modes& m = RunModes();
  m.faithful = std::find(modes.begin(), modes.end(), "faithful") != modes.end();
  m.strict = std::find(modes.begin(), modes.end(), "strict") != modes.end();
  if (!m.faithful && !m.strict) {
    std::fprintf(stderr, "fuzz_wal_directory_tdengine: WALCRASH_FUZZ_TDENGINE_MODES names no mode\n");
    std::exit(2);
  }
  if (!m.faithful || !m.strict) {
    std::fprintf(stderr, "fuzz_wal_directory_tdengine: the %s engine only\n", m.strict ? "strict" : "faithful");
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const TdDirectoryImage image = walcrash::fuzz::DecodeTdDirectoryImage(std::span<const uint8_t>(data, size));
  WALCRASH_FUZZ_CHECK(image.entries.size() <= walcrash::fuzz::kMaxTdImageEntries &&
                          image.total_bytes() <= walcrash::fuzz::kMaxTdImageBytes,
                      "image decoder: {} entries, {} bytes: out of bounds", image.entries.size(), image.total_bytes());
  std::array<Run, 2> runs;
  for (bool strict : {false, true}) {
    if (!(strict ? RunModes().strict : RunModes().faithful)) continue;
    Run run = RunMode(image, strict);
    const Run again = RunMode(image, strict);
    WALCRASH_FUZZ_CHECK(again == run, "{}: two runs on the same image differ: {} with {}, then {} with {}",
                        ModeName(strict), run.first.status.ToString(), Describe(run.first.records),
                        again.first.status.ToString(), Describe(again.first.records));
    CheckOrder(run.first.records, run.before, strict, "restore");
    if (strict) CheckStrict(run, image);
    runs[strict ? 1 : 0] = std::move(run);
  }
  const Run& faithful = runs[0];
  const Run& strict = runs[1];
  if (RunModes().faithful && RunModes().strict && OnlyValidCanonicalFiles(faithful.before)) {
    WALCRASH_FUZZ_CHECK(faithful.first.status.ok() && strict.first.status.ok() &&
                            faithful.first.records == strict.first.records && faithful.after == strict.after,
                        "valid files only:{}: faithful gives {} with {}, strict {} with {}",
                        FilesText(faithful.before), faithful.first.status.ToString(),
                        Describe(faithful.first.records), strict.first.status.ToString(),
                        Describe(strict.first.records));
  }
  return 0;
}
