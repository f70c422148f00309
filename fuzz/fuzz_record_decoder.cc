// fuzz_record_decoder — any bytes as one etcd segment file, read by the
// engine's record decoder (engine/etcd/record_io.h) the way the WAL reads it.
//
// The bytes become a file in a SimVfs; an etcd::Decoder over that file
// decodes it to its end, handling CRC records as ReadAll does
// (ChainCrcRecord). A clean error is the expected outcome for bad bytes; a
// finding is a broken invariant:
//   outcome     each Decode returns a record, the clean end, or one of the
//               decoder's errors (unexpected EOF, walpb CRC mismatch, bad
//               record); never a crash, a hang or an allocation beyond the
//               file (libFuzzer's -malloc_limit_mb watches that)
//   framing     each record starts where the last one ended and spans its
//               frame as the length field says (lenField, pad): offsets only
//               grow and stay within the file; an error or the end leaves the
//               offset where it was; the clean end lies at the end of the
//               file or at a zero length field
//   crc-chain   every record returned holds: recomputed here, CRC-32C
//               chained over the data of every non-CRC record; a CRC record
//               carries the running value (ChainCrcRecord refuses it exactly
//               when it does not, and the running value is not 0)
//   determinism decoding the same bytes twice gives the same result
//   prefix      the bytes up to the end of the last good record decode to
//               the same records and then the clean end (what Repair keeps)
//   zero-tail   bytes that end cleanly still do with preallocated zeros after
//               them, with the same records
//   position    the file as the first of two segments gives the same records
//               and stops at the same offset; its unexpected-EOF errors are
//               a subset of the last segment's (only the last can be torn)
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "engine/crc32c.h"
#include "engine/etcd/errors.h"
#include "engine/etcd/record_io.h"
#include "engine/etcd/walpb.h"
#include "fuzz/finding.h"
#include "vfs/sim_vfs.h"

namespace {

using walcrash::Status;
using walcrash::etcd::Decoder;
using walcrash::etcd::Record;
using walcrash::etcd::RecordType;
using walcrash::etcd::WalError;
using walcrash::etcd::WalErrorOf;

constexpr std::string_view kSegment = "/wal/0000000000000000-0000000000000000.wal";
constexpr std::string_view kNextSegment = "/wal/0000000000000001-0000000000000000.wal";
constexpr size_t kZeroTailBytes = 4096;

// How one decode of the bytes went.
struct Run {
  std::vector<Record> records;    // accepted: returned and, for CRC records, chained
  std::vector<uint64_t> ends;     // offset past each accepted record
  bool clean_end = false;         // Decode said false (the end)
  Status error;                   // Decode's error, or ChainCrcRecord's
  bool chain_error = false;       // the error is ChainCrcRecord's
  uint64_t good_end = 0;          // offset past the last accepted record
  uint64_t stop_offset = 0;       // decoder.last_offset() when it stopped
  size_t stop_segment = 0;        // decoder.segment_index() when it stopped
  uint32_t crc = 0;               // the running CRC at the end

  std::string Summary() const {
    return fmt::format("{} records, {} at offset {} (segment {}){}", records.size(),
                       clean_end ? "clean end" : error.ToString(), stop_offset, stop_segment,
                       chain_error ? " [chain]" : "");
  }
};

uint64_t LoadU64(std::string_view bytes, uint64_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(bytes[static_cast<size_t>(at) + i])} << (8 * i);
  return v;
}

uint32_t Extend(uint32_t crc, const Record& r) {
  if (!r.data) return crc;
  return walcrash::crc32c::Update(crc, {reinterpret_cast<const std::byte*>(r.data->data()), r.data->size()});
}

// Checks the record one Decode call returned against the bytes of the segment.
void CheckStep(std::string_view bytes, uint64_t before, const Decoder& d, const Record& rec, std::string_view what) {
  const uint64_t size = bytes.size();
  WALCRASH_FUZZ_CHECK(before <= size, "{}: offset {} is past the end of the {}-byte file", what, before, size);
  const uint64_t after = d.last_offset();
  WALCRASH_FUZZ_CHECK(after > before && after <= size, "{}: a record at offset {} ends at {} (file of {} bytes)",
                      what, before, after, size);
  // The frame as record_io.h draws it, read here from the bytes.
  WALCRASH_FUZZ_CHECK(size - before >= walcrash::etcd::kFrameSizeBytes, "{}: a record at {} without a whole length field",
                      what, before);
  const uint64_t len_field = LoadU64(bytes, before);
  const uint64_t n = len_field & ~(uint64_t{0xff} << 56);
  const uint64_t pad = (len_field >> 63) != 0 ? (len_field >> 56) & 7 : 0;
  WALCRASH_FUZZ_CHECK(len_field != 0, "{}: a record from a zero length field at {}", what, before);
  WALCRASH_FUZZ_CHECK(n <= size && after - before == walcrash::etcd::kFrameSizeBytes + n + pad,
                      "{}: the record at {} spans {} bytes; its length field {:#018x} says 8 + {} + {}", what, before,
                      after - before, len_field, n, pad);
  WALCRASH_FUZZ_CHECK(!rec.data || rec.data->size() < n, "{}: the record at {} has {} data bytes in a {}-byte body",
                      what, before, rec.data ? rec.data->size() : 0, n);
}

// Decodes `bytes` as the first segment (and `empty_next` adds an empty second
// one after it), holding every step to the invariants above.
Run Decode(std::string_view bytes, bool empty_next, std::string_view what) {
  walcrash::vfs::SimVfs vfs;
  Run run;
  auto fail_setup = [&](const Status& s) {
    walcrash::fuzz::ReportFinding(fmt::format("{}: SimVfs setup failed: {}", what, s.ToString()));
  };
  if (Status s = vfs.Mkdir("/wal"); !s.ok()) fail_setup(s);
  if (Status s = walcrash::vfs::WriteWholeFile(vfs, kSegment, bytes); !s.ok()) fail_setup(s);
  if (empty_next) {
    if (Status s = walcrash::vfs::WriteWholeFile(vfs, kNextSegment, ""); !s.ok()) fail_setup(s);
  }
  std::vector<std::unique_ptr<walcrash::vfs::File>> files;
  std::vector<Decoder::Segment> segments;
  for (std::string_view path : {kSegment, kNextSegment}) {
    if (path == kNextSegment && !empty_next) break;
    auto file = vfs.Open(path, walcrash::vfs::kRead);
    if (!file.ok()) fail_setup(file.error());
    auto size = (*file)->Size();
    if (!size.ok()) fail_setup(size.error());
    segments.push_back({file->get(), *size, std::string(path)});
    files.push_back(std::move(file).value());
  }
  Decoder d(std::move(segments));

  uint32_t running = 0;
  // Every record takes at least 8 bytes: more turns than that is a hang.
  const size_t max_turns = bytes.size() / walcrash::etcd::kFrameSizeBytes + 3;
  for (size_t turn = 0;; ++turn) {
    WALCRASH_FUZZ_CHECK(turn < max_turns, "{}: no end after {} decodes of {} bytes", what, turn, bytes.size());
    const bool in_first = d.segment_index() == 0;
    const uint64_t before = d.last_offset();
    Record rec;
    auto next = d.Decode(rec);
    if (!next.ok()) {
      const WalError e = WalErrorOf(next.error());
      WALCRASH_FUZZ_CHECK(e == WalError::kUnexpectedEOF || e == WalError::kRecordCrcMismatch ||
                              e == WalError::kBadRecord,
                          "{}: Decode failed with an error it does not document: {}", what, next.error().ToString());
      WALCRASH_FUZZ_CHECK(in_first && d.segment_index() == 0 && d.last_offset() == before,
                          "{}: a failed Decode moved the decoder from offset {} to {} (segment {})", what, before,
                          d.last_offset(), d.segment_index());
      const uint64_t left = bytes.size() - before;
      if (left > 0 && left < walcrash::etcd::kFrameSizeBytes) {
        WALCRASH_FUZZ_CHECK(e == WalError::kUnexpectedEOF, "{}: {} trailing bytes at {} gave {}, not unexpected EOF",
                            what, left, before, next.error().ToString());
      }
      run.error = next.error();
      break;
    }
    if (!*next) {
      // The end: of the first segment at its end or at a zero length field
      // (the empty second one, if any, ends at once).
      if (in_first) {
        WALCRASH_FUZZ_CHECK(before == bytes.size() ||
                                (bytes.size() - before >= 8 && LoadU64(bytes, before) == 0),
                            "{}: a clean end at offset {} of {} bytes, neither the end of the file nor a zero "
                            "length field",
                            what, before, bytes.size());
      }
      run.clean_end = true;
      break;
    }
    WALCRASH_FUZZ_CHECK(in_first && d.segment_index() == 0, "{}: a record from the empty second segment", what);
    CheckStep(bytes, before, d, rec, what);
    if (rec.type == static_cast<int64_t>(RecordType::kCrc)) {
      Status chained = d.ChainCrcRecord(rec);
      const bool holds = running == 0 || rec.crc == running;
      WALCRASH_FUZZ_CHECK(chained.ok() == holds,
                          "{}: ChainCrcRecord {} a CRC record carrying {:08x} where the running CRC is {:08x}: {}",
                          what, chained.ok() ? "accepted" : "refused", rec.crc, running, chained.ToString());
      if (!chained.ok()) {
        WALCRASH_FUZZ_CHECK(WalErrorOf(chained) == WalError::kCrcMismatch, "{}: ChainCrcRecord failed with {}", what,
                            chained.ToString());
        run.error = chained;
        run.chain_error = true;
        break;
      }
      running = rec.crc;
    } else {
      running = Extend(running, rec);
      WALCRASH_FUZZ_CHECK(rec.crc == running,
                          "{}: the record at offset {} (type {}) carries CRC {:08x}; the chain recomputed gives {:08x}",
                          what, before, rec.type, rec.crc, running);
    }
    WALCRASH_FUZZ_CHECK(d.crc() == running, "{}: the decoder's running CRC is {:08x}; recomputed {:08x}", what,
                        d.crc(), running);
    run.records.push_back(std::move(rec));
    run.ends.push_back(d.last_offset());
    run.good_end = d.last_offset();
  }
  run.stop_offset = d.last_offset();
  run.stop_segment = d.segment_index();
  run.crc = running;
  for (auto& f : files) f->Close().IgnoreError();  // read-only handles: nothing to lose
  return run;
}

bool SameRecords(const Run& a, const Run& b, size_t count) {
  if (a.records.size() < count || b.records.size() < count) return false;
  for (size_t i = 0; i < count; ++i) {
    if (!(a.records[i] == b.records[i]) || a.ends[i] != b.ends[i]) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Run run = Decode(bytes, false, "decode");

  // determinism
  const Run again = Decode(bytes, false, "decode again");
  WALCRASH_FUZZ_CHECK(again.records.size() == run.records.size() && SameRecords(run, again, run.records.size()) &&
                          again.clean_end == run.clean_end && again.chain_error == run.chain_error &&
                          again.error.ToString() == run.error.ToString() && again.stop_offset == run.stop_offset,
                      "determinism: the same bytes decoded to {} and then to {}", run.Summary(), again.Summary());

  // prefix: what Repair would keep decodes to the same records, then ends
  if (run.good_end < bytes.size()) {
    const Run prefix = Decode(bytes.substr(0, static_cast<size_t>(run.good_end)), false, "prefix");
    WALCRASH_FUZZ_CHECK(prefix.clean_end && prefix.records.size() == run.records.size() &&
                            SameRecords(run, prefix, run.records.size()),
                        "prefix: the first {} bytes (up to the last good record) decode to {}; the whole to {}",
                        run.good_end, prefix.Summary(), run.Summary());
  }

  // zero-tail: preallocated zeros after a clean end change nothing
  if (run.clean_end) {
    const Run padded = Decode(std::string(bytes) + std::string(kZeroTailBytes, '\0'), false, "zero-tail");
    WALCRASH_FUZZ_CHECK(padded.clean_end && padded.records.size() == run.records.size() &&
                            SameRecords(run, padded, run.records.size()),
                        "zero-tail: with {} zero bytes after it the segment decodes to {}; without, to {}",
                        kZeroTailBytes, padded.Summary(), run.Summary());
  }

  // position: the same bytes as an earlier segment, an empty one after them
  const Run first = Decode(bytes, true, "first of two");
  WALCRASH_FUZZ_CHECK(first.records.size() == run.records.size() && SameRecords(run, first, run.records.size()) &&
                          first.clean_end == run.clean_end && first.chain_error == run.chain_error,
                      "position: as the first of two segments the bytes decode to {}; as the last, to {}",
                      first.Summary(), run.Summary());
  if (!first.clean_end && !first.chain_error) {
    WALCRASH_FUZZ_CHECK(first.stop_offset == run.stop_offset, "position: the decoder stops at {} as the first segment, "
                        "at {} as the last", first.stop_offset, run.stop_offset);
    if (WalErrorOf(first.error) == WalError::kUnexpectedEOF) {
      WALCRASH_FUZZ_CHECK(WalErrorOf(run.error) == WalError::kUnexpectedEOF,
                          "position: unexpected EOF in an earlier segment ({}), but {} as the last one",
                          first.error.ToString(), run.error.ToString());
    }
  }
  return 0;
}
