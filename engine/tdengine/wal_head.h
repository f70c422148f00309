// The record format of TDengine 2.6's WAL (src/wal, SWalHead), byte for byte.
//
// A record is a 24-byte head followed by `len` bytes of body, with no
// alignment and no padding; records follow each other in a file `wal<id>`.
// The head, little-endian (TDengine writes the struct in native order, and
// every platform it ships on is little-endian):
//
//   offset  size  field
//   0       1     msgType    i8, the application's message type
//   1       1     sver       i8, 0, 1 or 2 (2.6 writes 2)
//   2       2     reserved   zero
//   4       4     len        i32, body bytes
//   8       8     version    u64, the application's version (must grow)
//   16      4     signature  u32 0xFAFBFDFE (on disk: fe fd fb fa)
//   20      4     cksum      u32 CRC-32C
//
// The checksum: with sver 0 it covers the head's first 20 bytes; with sver
// >= 1 it covers the whole head with cksum set to 0, then the body. A reader
// accepts sver 0..2 and nothing else.
//
// Restore reads a record into one buffer of kMaxRecordBytes, so a body longer
// than kMaxBodyBytes is "out of range" there; the writer never checks it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace walcrash::tdengine {

inline constexpr size_t kHeadBytes = 24;
inline constexpr uint32_t kSignature = 0xFAFBFDFEu;
// WAL_MAX_SIZE: TSDB_MAX_WAL_SIZE (3 MiB) + sizeof(SWalHead) + 16.
inline constexpr size_t kMaxRecordBytes = (3u << 20) + 40;
inline constexpr size_t kMaxBodyBytes = kMaxRecordBytes - kHeadBytes;
inline constexpr int8_t kCurrentSver = 2;
inline constexpr int8_t kMaxSver = 2;

struct WalHead {
  int8_t msg_type = 0;
  int8_t sver = kCurrentSver;
  uint16_t reserved = 0;  // written as 0; kept as read, since the checksum covers it
  int32_t len = 0;
  uint64_t version = 0;
  uint32_t signature = kSignature;
  uint32_t cksum = 0;

  friend bool operator==(const WalHead&, const WalHead&) = default;
};

using HeadBytes = std::array<std::byte, kHeadBytes>;

HeadBytes EncodeHead(const WalHead& head);
// Any 24 bytes decode; whether they make a record is the checks' business.
WalHead DecodeHead(std::span<const std::byte, kHeadBytes> bytes);

// The checksum a writer stores for `head` (its cksum ignored) and `body`,
// following head.sver: sver 0 covers the head only, else head and body.
uint32_t RecordChecksum(const WalHead& head, std::span<const std::byte> body);
// sver 0: the head's own checksum checks (taosCheckChecksumWhole).
bool HeadChecksumValid(const WalHead& head);
// sver >= 1: the checksum over head and body checks (walValidateChecksum).
bool WholeChecksumValid(const WalHead& head, std::span<const std::byte> body);
// The check TDengine applies for head.sver: head-only for 0, whole for >= 1.
bool ChecksumValid(const WalHead& head, std::span<const std::byte> body);

// The bytes walWrite writes for one record: head (signature, sver, len and
// cksum filled in) and body. REQUIRES: body.size() <= INT32_MAX.
std::string EncodeRecord(int8_t msg_type, uint64_t version, std::string_view body, int8_t sver = kCurrentSver);

// "msgType 1 sver 2 reserved 0 len 100 version 7 signature fafbfdfe cksum 1234abcd"
std::string HeadText(const WalHead& head);

}  // namespace walcrash::tdengine
