// Test helpers for the etcd WAL engine's unit tests (test-only).
//
// Most tests run on SimVfs with small segments and background_threads=false,
// so every VFS call happens in a known order; the tests of the background
// pipeline and the periodic syncer turn the threads on.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "engine/etcd/errors.h"
#include "engine/etcd/record_io.h"
#include "engine/etcd/wal.h"
#include "engine/etcd/wal_name.h"
#include "engine/etcd/walpb.h"
#include "vfs/sim_vfs.h"
#include "vfs/vfs.h"
#include "vfs/vfs_test_util.h"

namespace walcrash::etcd::testing {

inline constexpr std::string_view kDir = "/wal";
inline constexpr uint64_t kSmallSegment = 16 * 1024;

// Expects `expr` (a Status or a Result<T>) to carry the etcd error `e`.
#define EXPECT_WAL_ERROR(expr, e) EXPECT_PRED_FORMAT2(::walcrash::etcd::testing::HasWalError, expr, e)
#define ASSERT_WAL_ERROR(expr, e) ASSERT_PRED_FORMAT2(::walcrash::etcd::testing::HasWalError, expr, e)

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) { return r.status(); }

template <typename T>
::testing::AssertionResult HasWalError(const char* expr_text, const char*, const T& result, WalError e) {
  Status s = StatusOf(result);
  if (!s.ok() && WalErrorOf(s) == e) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr_text << " gave " << (s.ok() ? std::string("OK") : s.ToString())
                                       << ", want \"" << WalErrorText(e) << "\"";
}

// Small segments, deterministic I/O order.
inline WalOptions Small(uint64_t segment = kSmallSegment) {
  WalOptions o;
  o.segment_size_bytes = segment;
  o.background_threads = false;
  return o;
}

// Metadata as large as the segment: the header of every segment (CRC, META,
// ...) fills it, so every Save ends with a cut. etcd's tests call w.cut()
// after a Save; the engine cuts only from Save, so this reproduces that
// "Save, then cut" rhythm (and etcd's segment names) exactly.
inline std::string CuttingMetadata(const WalOptions& o) {
  return std::string(static_cast<size_t>(o.segment_size_bytes), 'm');
}

inline std::unique_ptr<Wal> MustCreate(vfs::Vfs& vfs, std::string_view meta = "", WalOptions o = Small(),
                                       std::string_view dir = kDir) {
  auto w = Wal::Create(vfs, std::string(dir), std::string(meta), o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(w).value() : nullptr;
}

inline std::unique_ptr<Wal> MustOpen(vfs::Vfs& vfs, SnapshotRecord snap = {}, WalOptions o = Small(),
                                     std::string_view dir = kDir) {
  auto w = Wal::Open(vfs, std::string(dir), std::move(snap), o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(w).value() : nullptr;
}

inline std::unique_ptr<Wal> MustOpenForRead(vfs::Vfs& vfs, SnapshotRecord snap = {}, WalOptions o = Small(),
                                            std::string_view dir = kDir) {
  auto w = Wal::OpenForRead(vfs, std::string(dir), std::move(snap), o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(w).value() : nullptr;
}

inline ReadResult MustReadAll(Wal& w) {
  auto r = w.ReadAll();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : ReadResult{};
}

// Opens `dir` for appending and reads it; the WAL is ready for Save.
inline std::unique_ptr<Wal> MustReopen(vfs::Vfs& vfs, ReadResult* read = nullptr, WalOptions o = Small(),
                                       SnapshotRecord snap = {}) {
  auto w = MustOpen(vfs, std::move(snap), o);
  if (!w) return nullptr;
  ReadResult r = MustReadAll(*w);
  if (read) *read = std::move(r);
  return w;
}

// Entries with indexes [from, to], term 1.
inline std::vector<Entry> Ents(uint64_t from, uint64_t to, std::string_view data = "") {
  std::vector<Entry> out;
  for (uint64_t i = from; i <= to; ++i) out.push_back(Entry{1, i, 0, std::string(data)});
  return out;
}
inline std::vector<Entry> One(uint64_t index, std::string_view data = "", uint64_t term = 1) {
  return {Entry{term, index, 0, std::string(data)}};
}

inline std::vector<uint64_t> Indexes(const std::vector<Entry>& ents) {
  std::vector<uint64_t> out;
  for (const Entry& e : ents) out.push_back(e.index);
  return out;
}
inline std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (uint64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

inline std::string SegPath(uint64_t seq, uint64_t index, std::string_view dir = kDir) {
  return vfs::JoinPath(dir, WalName(seq, index));
}

// The segment names in `dir`, sorted.
inline std::vector<std::string> WalFiles(vfs::Vfs& vfs, std::string_view dir = kDir) {
  auto names = vfs.List(dir);
  return names.ok() ? FilterWalNames(*names) : std::vector<std::string>{};
}
inline std::string LastSegment(vfs::Vfs& vfs, std::string_view dir = kDir) {
  auto names = WalFiles(vfs, dir);
  return names.empty() ? std::string() : vfs::JoinPath(dir, names.back());
}

using vfs::testing::Hex;
inline std::string Unhex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size();) {
    if (hex[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
    i += 2;
  }
  return out;
}

// etcd's TestLastRecordLengthExceedFileEnd vector: a segment whose last
// record's length was changed to 1000, past the end of the file.
inline std::string LengthPastEndVector() {
  return Unhex(
      "0400000000000084" "0804100000000000"
      "0400000000000084" "0801100000000000"
      "0e00000000000082" "080510a0b39b8f081a0408001000" "0000"
      "1a00000000000086" "080210ba8bdc850f1a10080010001801220877616c6461746131" "000000000000"
      "1a00000000000086" "080210a1e8ff9c021a10080010001802220877616c6461746132" "000000000000"
      "e803000000000086" "080210a19ca1aa041a10080010001803220877616c6461746133" "000000000000");
}

// --- raw file surgery (a crash or a bad disk did it) -----------------------------

inline std::string ReadFile(vfs::Vfs& vfs, std::string_view path) {
  auto data = vfs::ReadWholeFile(vfs, path);
  EXPECT_TRUE(data.ok()) << data.status().ToString();
  return data.ok() ? *data : std::string();
}

inline void WriteAt(vfs::Vfs& vfs, std::string_view path, uint64_t offset, std::string_view bytes) {
  auto f = vfs.Open(path, vfs::kWrite);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_OK((*f)->WriteAt(offset, vfs::AsBytes(bytes)));
  ASSERT_OK((*f)->Close());
}
inline void ZeroRange(vfs::Vfs& vfs, std::string_view path, uint64_t offset, uint64_t length) {
  WriteAt(vfs, path, offset, std::string(static_cast<size_t>(length), '\0'));
}
inline void TruncateFile(vfs::Vfs& vfs, std::string_view path, uint64_t size) {
  auto f = vfs.Open(path, vfs::kWrite);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_OK((*f)->Truncate(size));
  ASSERT_OK((*f)->Close());
}
inline void FlipByte(vfs::Vfs& vfs, std::string_view path, uint64_t offset) {
  std::string data = ReadFile(vfs, path);
  ASSERT_LT(offset, data.size());
  WriteAt(vfs, path, offset, std::string(1, static_cast<char>(data[static_cast<size_t>(offset)] ^ 0x5a)));
}
inline void WriteFileBytes(vfs::Vfs& vfs, std::string_view path, std::string_view bytes) {
  ASSERT_OK(vfs::WriteWholeFile(vfs, path, bytes));
}

// --- decoding a segment as the WAL does --------------------------------------------

struct Scan {
  std::vector<Record> records;
  std::vector<uint64_t> ends;  // offset just past each record (in its segment)
  Status end;                  // OK at a clean EOF
  uint64_t last_offset = 0;    // past the last valid record of the last segment
  uint32_t crc = 0;            // running CRC at the end
};

// Decodes `paths` (one decoder over all, CRC records handled as ReadAll does).
inline Scan ScanFiles(vfs::Vfs& vfs, const std::vector<std::string>& paths, DecoderPolicy policy = {}) {
  Scan out;
  std::vector<std::unique_ptr<vfs::File>> files;
  std::vector<Decoder::Segment> segments;
  for (const std::string& p : paths) {
    auto f = vfs.Open(p, vfs::kRead);
    if (!f.ok()) {
      out.end = f.error();
      return out;
    }
    uint64_t size = *(*f)->Size();
    files.push_back(std::move(f).value());
    segments.push_back({files.back().get(), size, p});
  }
  Decoder d(std::move(segments), policy);
  Record rec;
  for (;;) {
    auto next = d.Decode(rec);
    if (!next.ok()) {
      out.end = next.error();
      break;
    }
    if (!*next) break;
    if (rec.type == static_cast<int64_t>(RecordType::kCrc)) d.UpdateCrc(rec.crc);
    out.records.push_back(rec);
    out.ends.push_back(d.last_offset());
  }
  out.last_offset = d.last_offset();
  out.crc = d.crc();
  for (auto& f : files) f->Close().IgnoreError();
  return out;
}
inline Scan ScanFile(vfs::Vfs& vfs, const std::string& path) { return ScanFiles(vfs, {path}); }

inline std::vector<int64_t> Types(const Scan& s) {
  std::vector<int64_t> out;
  for (const Record& r : s.records) out.push_back(r.type);
  return out;
}

// The entries of a scan, decoded.
inline std::vector<Entry> EntriesOf(const Scan& s) {
  std::vector<Entry> out;
  for (const Record& r : s.records) {
    if (r.type == static_cast<int64_t>(RecordType::kEntry)) out.push_back(*DecodeEntry(r.data.value_or("")));
  }
  return out;
}

// --- observing the VFS ----------------------------------------------------------

inline uint64_t LastSeq(const vfs::SimVfs& vfs) {
  auto t = vfs.TraceEntries();
  return t.empty() ? 0 : t.back().seq;
}
inline std::vector<vfs::TraceEntry> TraceSince(const vfs::SimVfs& vfs, uint64_t seq) {
  std::vector<vfs::TraceEntry> out;
  for (auto& e : vfs.TraceEntries()) {
    if (e.seq > seq) out.push_back(e);
  }
  return out;
}
inline size_t CountOps(const std::vector<vfs::TraceEntry>& trace, vfs::OpKind op) {
  size_t n = 0;
  for (const auto& e : trace) n += e.op == op ? 1 : 0;
  return n;
}
// Pending writes to segment files (*.wal, wherever they are).
inline std::vector<vfs::PendingOperation> PendingSegmentWrites(const vfs::SimVfs& vfs) {
  std::vector<vfs::PendingOperation> out;
  for (auto& p : vfs.PendingOperations()) {
    if ((p.op == vfs::OpKind::kWrite || p.op == vfs::OpKind::kAppend) && p.path.ends_with(".wal")) out.push_back(p);
  }
  return out;
}

inline std::unique_ptr<vfs::SimVfs> Strict(const vfs::SimVfs& vfs) { return vfs::testing::StrictImage(vfs); }

using vfs::testing::Eventually;  // polls for up to 5 s by default
using vfs::testing::Plan;

}  // namespace walcrash::etcd::testing
