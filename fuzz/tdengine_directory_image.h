// TdDirectoryImage — any byte string read as a small TDengine 2.x WAL
// directory (engine/tdengine): the input format of
// fuzz_wal_directory_tdengine, and its encoder for the seed corpus. The
// sibling of directory_image.h (etcd), sharing its ImageEntry and its
// WriteDirectoryImage/ReadDirectoryImage.
//
// An image is a few directory entries under chosen names — canonical WAL
// files "wal<id>", near-valid names (wal007, wal3x, wal-1, walx, ...), other
// names — whose contents are TDengine records (tdengine::EncodeRecord, sver
// 0, 1, 2 or any other), damaged or not, or raw bytes; plus whether the WAL
// is opened with keep.
//
// Every byte string decodes (ByteReader reads zeros past the end), within
// bounds: at most kMaxTdImageEntries entries, at most kMaxTdImageBytes of
// contents in all, names unique (a later entry whose name is taken is
// dropped), every name a valid single path component. Format, version 1
// (integers little-endian):
//
//   byte 0      N = byte % 9, the number of entries
//   byte 1      bit 0: the WAL is opened with keep (TAOS_WAL_KEEP); bits 1-7
//               reserved (0)
//   then N entries, each:
//     byte K    bits 0-2 name kind, bits 3-4 content kind, bits 5-7 reserved
//     name, by name kind:
//       0, 5-7  the next canonical file: wal<id>, id = the last id a name of
//               kind 0, 1 or 5-7 had, plus one (1 for the first)
//       1       canonical: u64 id (bit 63 cleared), "wal<id>"
//       2       near-valid: byte f, byte i; f % 12 picks the form (below)
//       3       other: byte L, then 1 + L % 32 name bytes; a byte outside
//               [A-Za-z0-9._-] becomes kTdNameAlphabet[byte % 64] (in the
//               .cc: A-Z, a-z, 0-9, '.', '-'); a name of dots only gets an
//               'x' for its first dot
//       4       "wal" then an other name (as 3)
//     near-valid forms (i the id byte): 0 "wal0<i>", 1 "wal<i>x",
//       2 "wal-<i>", 3 "walx", 4 "wal", 5 "wal+<i>", 6 "wal <i>",
//       7 "WAL<i>", 8 "wal<i>.tmp", 9 "wal" and 20 nines (atoll saturates),
//       10 "wal-" and 20 nines, 11 "wal<10^18 + i>" (19 digits, near
//       INT64_MAX; canonical, but kind 1 reaches it only with explicit bytes)
//     contents, by content kind:
//       0 records   byte C, then C records, each:
//                     byte T: bits 0-1 sver (0: 2, 1: 1, 2: 0, 3: a byte S
//                     follows, any int8); bits 2-4 damage (below); bit 5 an
//                     explicit version (u64) follows, else the last version
//                     any records-kind entry wrote, plus one (1 at first);
//                     bit 6 an explicit msgType (byte) follows, else 3 (a
//                     submit); bit 7 reserved
//                     the body: u16 L; bit 15 clear: L bytes of the input;
//                     set: L & 0x7fff bytes of a pattern, byte j =
//                     j * 31 + version (mod 256)
//                     then the damage's operands; the record is
//                     EncodeRecord(msgType, version, body, sver), then:
//                       0 none
//                       1 torn: u16 p, the record cut to p % size bytes
//                       2 flipped: u16 p, byte m: byte p % size ^= m (1 if
//                         m is 0)
//                       3 lying length: u32 len (int32) in the head, the
//                         checksum recomputed for it (head-only for sver 0,
//                         else over the head and the body as written)
//                       4 bad length: u32 len (int32) in the head, the
//                         checksum left as it was
//                       5 bad checksum: byte b, cksum ^= 1 << (b % 32)
//                       6 garbage first: byte L, L input bytes before the
//                         record
//                       7 lost write: u16 p, the record's bytes from
//                         p % size on are zeros
//                   then u16 T, T tail bytes, and byte Z: Z * 512 zero bytes
//       1 raw       u16 L, L bytes, then byte Z: Z * 512 zero bytes
//       2 directory none: the entry is an empty directory
//       3 copy      byte i: the contents of entry i % (entries so far), empty
//                   when there is none (or it is a directory)
//   Contents past what is left of kMaxTdImageBytes are cut there; the
//   records kind stops taking records (and reading their bytes) once its
//   contents reach it.
//
// EncodeTdDirectoryImage(image) gives bytes that decode to `image` exactly
// when it is within the format (every decoded image is, but for a name that
// only the lossy other-name mapping reaches): Decode(Encode(x)) == x. It uses
// the records kind for contents that start with undamaged records (so seeds
// stay small and mutable), with the rest as the tail, and the raw kind
// otherwise.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz/directory_image.h"

namespace walcrash::fuzz {

inline constexpr size_t kMaxTdImageEntries = 8;
inline constexpr size_t kMaxTdImageBytes = 64 * 1024 - 1;  // all contents together (raw lengths are u16)
inline constexpr size_t kMaxTdOtherNameBytes = 32;

struct TdDirectoryImage {
  std::vector<ImageEntry> entries;
  bool keep = false;

  uint64_t total_bytes() const;
  // As a DirectoryImage (for WriteDirectoryImage).
  DirectoryImage AsDirectoryImage() const;
  friend bool operator==(const TdDirectoryImage&, const TdDirectoryImage&) = default;
};

TdDirectoryImage DecodeTdDirectoryImage(std::span<const uint8_t> bytes);
std::string EncodeTdDirectoryImage(const TdDirectoryImage& image);

// The near-valid name of form f (as above) for id byte i.
std::string TdNearValidName(uint8_t form, uint8_t id);
// The pattern body of `size` bytes for `version` (byte j = j * 31 + version).
std::string TdPatternBody(size_t size, uint64_t version);

}  // namespace walcrash::fuzz
