// DirectoryImage — any byte string read as a small etcd WAL directory: the
// input format of fuzz_wal_directory, and its encoder for the seed corpus.
//
// An image is a few directory entries (files with contents, or empty
// subdirectories) under chosen names — segments, near-valid segment names,
// stray temp files, Repair's backups, other names — plus the snapshot the WAL
// is opened at and the segment size an append after recovery uses.
//
// Every byte string decodes (ByteReader reads zeros past the end), within
// bounds: at most kMaxImageEntries entries, at most kMaxImageBytes of contents
// in all, names unique (a later entry whose name is taken is dropped), every
// name a valid single path component. Segment contents can be given as
// records, which the decoder frames and chains with CRC-32C as etcd's encoder
// does, so a mutation of an entry's index or a hard state keeps every CRC
// valid and reaches ReadAll's logic instead of its CRC check. Format,
// version 1 (integers little-endian):
//
//   byte 0      N = byte % 9, the number of entries
//   byte 1      bits 0-1 the segment size for appending after recovery:
//               kAppendSegmentBytes[bits] (64 MB, 1 KiB, 4 KiB, 16 KiB);
//               bits 2-7 reserved (0)
//   bytes 2-9   snapshot index (u64); bytes 10-17 snapshot term (u64)
//   then N entries, each:
//     byte K    bits 0-2 name kind, bits 3-4 content kind, bits 5-7 reserved
//     name, by name kind:
//       0, 7    segment "%016x-%016x.wal": u64 index; seq = the last seq a
//               name of kind 0, 1 or 7 had, plus one (0 for the first)
//       1       segment: u64 seq, u64 index
//       2       near-valid: byte v, u64 seq, u64 index; v % 8 picks the
//               form: uppercase hex, short hex ("%x-%x.wal", which Go's
//               Sscanf accepts), 17 digits, '_' for '-', ".WAL", ".wa",
//               ".wal.wal" (Sscanf accepts it too), no '-'
//       3       stray temp file "<b>.tmp": byte b (decimal)
//       4       Repair's backup "%016x-%016x.wal.broken": u64 seq, u64 index
//       5       other: byte L, then 1 + L % 48 name bytes; a byte outside
//               [A-Za-z0-9._-] becomes kNameAlphabet[byte % 64] (in the .cc:
//               A-Z, a-z, 0-9, '.', '-'); a name of dots only gets an 'x'
//               for its first dot
//       6       other, ending ".wal": as 5, then ".wal"
//     contents, by content kind:
//       0 raw       u32 L, L bytes, then u16 Z: Z * 512 zero bytes
//       1 records   byte H: bit 0 set: the CRC chain starts from R, the
//                   running CRC the last records-kind entry ended with (0 for
//                   the first); clear: u32 R follows. Then byte C and C
//                   records, each byte T (bits 0-2 record kind, bit 3 the CRC
//                   field is off by one, bit 4 a legacy unpadded frame) and:
//                     0 entry        byte type, u64 term, u64 index, data
//                     1 next entry   data; index = the last entry's + 1, its
//                                    term, type 0
//                     2 hard state   u64 term, u64 vote, u64 commit
//                     3 metadata     data
//                     4 CRC record   nothing: it carries R
//                     5 snapshot     u64 index, u64 term, optional conf_state
//                     6 other        u64 type, optional data
//                     7 overwrite    byte b, data; index = the last entry's
//                                    minus b % 8 (not below 0), its term + 1,
//                                    type 0
//                   ("data": u16 L, L bytes; "optional": u16 L, absent when
//                   L is 0, else L - 1 bytes). Each record is framed as
//                   etcd's encoder frames it and chained: a non-CRC record
//                   extends R with its data and carries R. "The last entry"
//                   is the last one any records-kind entry made (index and
//                   term 0 at first). Then u16 T, T bytes (a tail: a torn
//                   write, garbage) and u16 Z: Z * 512 zero bytes.
//       2 directory none: the entry is an empty directory
//       3 copy      byte i: the contents of entry i % (entries so far), empty
//                   when there is none (or it is a directory)
//   Contents past what is left of kMaxImageBytes are cut there: raw and
//   copied bytes, the tail and the zeros at the budget; the records kind
//   stops taking records (and reading their bytes) once its contents reach
//   it.
//
// EncodeDirectoryImage(image) gives bytes that decode to `image` exactly when
// it is within the format (every decoded image is): Decode(Encode(x)) == x.
// It uses the records kind where the contents are etcd's records (so seeds
// stay small and mutable) and the raw kind otherwise. Outside the format it
// keeps the first kMaxImageEntries entries, cuts contents at the budget, and
// maps other names into the alphabet (cut to kMaxOtherNameBytes).
//
// Threading: pure functions; WriteDirectoryImage/ReadDirectoryImage use only
// the Vfs they are given.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/byte_reader.h"
#include "common/status.h"
#include "engine/etcd/walpb.h"
#include "vfs/vfs.h"

namespace walcrash::fuzz {

inline constexpr size_t kMaxImageEntries = 8;
inline constexpr size_t kMaxImageBytes = 256 * 1024;  // all contents together
inline constexpr size_t kMaxOtherNameBytes = 48;       // before a ".wal" suffix
inline constexpr size_t kZeroFillUnit = 512;
inline constexpr std::array<uint64_t, 4> kAppendSegmentBytes = {64'000'000, 1024, 4096, 16384};

struct ImageEntry {
  std::string name;       // one path component
  bool directory = false;  // an empty directory (contents empty)
  std::string contents;

  friend bool operator==(const ImageEntry&, const ImageEntry&) = default;
};

struct DirectoryImage {
  std::vector<ImageEntry> entries;
  uint64_t snapshot_index = 0;
  uint64_t snapshot_term = 0;
  uint64_t append_segment_bytes = kAppendSegmentBytes[0];  // one of kAppendSegmentBytes

  uint64_t total_bytes() const;
  friend bool operator==(const DirectoryImage&, const DirectoryImage&) = default;
};

// `r` framed as etcd's encoder frames it (length field, record, padding), or
// as a legacy unpadded frame.
std::string FramedRecord(const etcd::Record& r, bool unpadded = false);

DirectoryImage DecodeDirectoryImage(std::span<const uint8_t> bytes);
std::string EncodeDirectoryImage(const DirectoryImage& image);

// Creates `dir` (and its parents) in `vfs` and the image's entries in it.
// Writes only, no syncs (the live state is what a reader sees).
Status WriteDirectoryImage(vfs::Vfs& vfs, std::string_view dir, const DirectoryImage& image);
// The entries of `dir` in listing order (subdirectories as empty
// directories, whatever they hold); snapshot and segment size are defaults.
Result<DirectoryImage> ReadDirectoryImage(vfs::Vfs& vfs, std::string_view dir);

// The pieces both image formats (this one and tdengine_directory_image.h)
// share: other names, copies, the entry budget, and the encoder's search for
// an entry's bytes.
namespace image_codec {

void PutU16(std::string& out, size_t v);
void PutU32(std::string& out, uint32_t v);
void PutU64(std::string& out, uint64_t v);

uint64_t TotalBytes(const std::vector<ImageEntry>& entries);

// A character an other name keeps as it is (A-Z, a-z, 0-9, '.', '-', '_').
bool InNameAlphabet(char c);
// An other name: byte L, then 1 + L % max_bytes name bytes, each outside the
// alphabet mapped into it; never "." or "..".
std::string DecodeOtherName(ByteReader& in, size_t max_bytes);
// The bytes DecodeOtherName reads back as `name` when it fits (else a lossy
// cut).
std::string EncodeOtherName(std::string_view name, size_t max_bytes);

// The copy content kind: byte i, the contents of before[i % size] cut at
// `budget` (empty when there is none).
std::string DecodeCopy(ByteReader& in, const std::vector<ImageEntry>& before, uint64_t budget);

// The end of records-kind contents: `out` cut at `budget`, then u16 T and T
// tail bytes (as many as the budget leaves).
void AppendTail(ByteReader& in, std::string& out, uint64_t budget);

// Adds a decoded entry unless its name is taken; charges `budget_left`.
void Accept(std::vector<ImageEntry>& entries, uint64_t& budget_left, ImageEntry e);

using Candidates = std::vector<std::pair<uint8_t, std::string>>;  // (kind, its bytes), best first

// Candidate content encodings: the directory kind for a directory; else a
// copy of an earlier entry's equal contents and records(), when the contents
// are not empty; then raw().
template <typename RecordsFn, typename RawFn>
Candidates ContentCandidatesFor(const ImageEntry& entry, const std::vector<ImageEntry>& before,
                                uint8_t directory_kind, uint8_t copy_kind, uint8_t records_kind, uint8_t raw_kind,
                                RecordsFn records, RawFn raw) {
  Candidates out;
  if (entry.directory) {
    out.emplace_back(directory_kind, "");
    return out;
  }
  if (!entry.contents.empty()) {
    for (size_t i = 0; i < before.size() && i < 256; ++i) {
      if (!before[i].directory && before[i].contents == entry.contents) {
        out.emplace_back(copy_kind, std::string(1, static_cast<char>(i)));
        break;
      }
    }
    if (std::optional<std::string> r = records()) out.emplace_back(records_kind, std::move(*r));
  }
  out.emplace_back(raw_kind, raw());
  return out;
}

// The entries' bytes (without the format's header), the first
// `max_entries`: for each, the first candidate (name kind | content kind << 3,
// name bytes, content bytes) that decodes to it exactly; out of the format,
// the first one whose bytes decode without spilling into the next entry
// (lossy: its decoding is what the image holds). `*emitted` counts them.
//   decode(ByteReader&, State&, before) -> ImageEntry
//   names(name, const State&) -> Candidates
//   contents(entry, const State&, before) -> Candidates
// State has a uint64_t budget_left.
template <typename State, typename DecodeFn, typename NamesFn, typename ContentsFn>
std::string EncodeEntries(const std::vector<ImageEntry>& entries, size_t max_entries, DecodeFn decode, NamesFn names,
                          ContentsFn contents, size_t* emitted) {
  constexpr size_t kGuardBytes = 16;
  std::string body;
  State st;
  std::vector<ImageEntry> done;
  const size_t count = std::min(entries.size(), max_entries);
  *emitted = 0;
  for (size_t i = 0; i < count; ++i) {
    const ImageEntry& want = entries[i];
    std::optional<std::string> chosen;
    State chosen_state;
    ImageEntry chosen_entry;
    bool exact = false;
    for (const auto& [name_kind, name_bytes] : names(want.name, st)) {
      for (const auto& [content_kind, content_bytes] : contents(want, st, done)) {
        std::string piece(1, static_cast<char>(name_kind | (content_kind << 3)));
        piece += name_bytes;
        piece += content_bytes;
        // A guard after the piece shows a decoding that reads past it (it
        // would take the next entry's bytes) or stops short of its end.
        const std::string guarded = piece + std::string(kGuardBytes, '\xa5');
        State trial = st;
        ByteReader in({reinterpret_cast<const uint8_t*>(guarded.data()), guarded.size()});
        ImageEntry got = decode(in, trial, done);
        if (in.remaining() != kGuardBytes) continue;
        exact = got == want;
        if (exact || !chosen) {
          chosen = std::move(piece);
          chosen_state = trial;
          chosen_entry = std::move(got);
        }
        if (exact) break;
      }
      if (exact) break;
    }
    if (!chosen) continue;  // cannot happen where a raw kind under the last name is always whole
    body += *chosen;
    st = chosen_state;
    ++*emitted;
    Accept(done, st.budget_left, std::move(chosen_entry));
  }
  return body;
}

}  // namespace image_codec

}  // namespace walcrash::fuzz
