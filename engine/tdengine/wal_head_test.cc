// The record format of TDengine 2.6's WAL (wal_head.h): the bytes of a head,
// the two checksum rules, and the round trip of the head.
#include "engine/tdengine/wal_head.h"

#include <climits>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "engine/crc32c.h"
#include "engine/tdengine/tdengine_test_util.h"

namespace walcrash::tdengine {
namespace {

using namespace testing;  // NOLINT: the TDengine test helpers

HeadBytes HeadOf(std::string_view record) {
  HeadBytes h{};
  std::memcpy(h.data(), record.data(), kHeadBytes);
  return h;
}

std::span<const std::byte> BytesOf(std::string_view s) { return vfs::AsBytes(s); }

TEST(WalHeadTest, TheSizesAreTDenginesConstants) {
  EXPECT_EQ(kHeadBytes, 24u);
  EXPECT_EQ(kSignature, 0xFAFBFDFEu);
  EXPECT_EQ(kMaxRecordBytes, 3u * 1024 * 1024 + 40);  // TSDB_MAX_WAL_SIZE + sizeof(SWalHead) + 16
  EXPECT_EQ(kMaxBodyBytes, 3u * 1024 * 1024 + 16);
  EXPECT_EQ(kCurrentSver, 2);
}

TEST(WalHeadTest, Crc32cIsTheCastagnoliCheckValue) {
  // The checksum the golden vectors below were computed with, by an
  // independent bitwise CRC-32C.
  EXPECT_EQ(crc32c::Value(std::string_view("123456789")), 0xE3069283u);
}

TEST(WalHeadTest, EncodeRecordWritesTheGoldenBytesOfAnSver2Record) {
  // msgType 3, sver 2, reserved 0, len 3, version 0x0102030405060708 (LE),
  // signature fe fd fb fa, cksum = crc32c(head with cksum 0 || "abc") =
  // 0x413dec37, stored LE; then the body.
  const std::string head_zero_cksum = ByteString({0x03, 0x02, 0x00, 0x00,                           //
                                                  0x03, 0x00, 0x00, 0x00,                           //
                                                  0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,   //
                                                  0xfe, 0xfd, 0xfb, 0xfa,                           //
                                                  0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(crc32c::Value(head_zero_cksum + "abc"), 0x413dec37u);
  const std::string want = head_zero_cksum.substr(0, 20) + ByteString({0x37, 0xec, 0x3d, 0x41}) + "abc";
  const std::string got = EncodeRecord(3, 0x0102030405060708ull, "abc");
  EXPECT_EQ(Hex(got), Hex(want));
  EXPECT_EQ(got.size(), kHeadBytes + 3);
}

TEST(WalHeadTest, EncodeRecordWritesTheGoldenBytesOfAnSver0Record) {
  // sver 0: cksum = crc32c(head bytes [0, 20)) = 0x50e2d4ad.
  const std::string head20 = ByteString({0x01, 0x00, 0x00, 0x00,                          //
                                         0x03, 0x00, 0x00, 0x00,                          //
                                         0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
                                         0xfe, 0xfd, 0xfb, 0xfa});
  EXPECT_EQ(crc32c::Value(head20), 0x50e2d4adu);
  const std::string want = head20 + ByteString({0xad, 0xd4, 0xe2, 0x50}) + "xyz";
  EXPECT_EQ(Hex(EncodeRecord(1, 7, "xyz", 0)), Hex(want));
}

TEST(WalHeadTest, AnEmptyBodyIsAHeadAlone) {
  std::string r = EncodeRecord(0, 1, "");
  ASSERT_EQ(r.size(), kHeadBytes);
  WalHead h = DecodeHead(HeadOf(r));
  EXPECT_EQ(h.len, 0);
  EXPECT_TRUE(WholeChecksumValid(h, {}));
}

TEST(WalHeadTest, Sver0ChecksumCoversOnlyTheFirst20HeadBytes) {
  std::string a = EncodeRecord(1, 7, "xyz", 0);
  std::string b = EncodeRecord(1, 7, "abc", 0);  // same length, other body
  WalHead ha = DecodeHead(HeadOf(a));
  WalHead hb = DecodeHead(HeadOf(b));
  EXPECT_EQ(ha.cksum, hb.cksum);  // the body is not covered
  EXPECT_EQ(ha.cksum, crc32c::Value(std::string_view(a).substr(0, 20)));
  EXPECT_TRUE(HeadChecksumValid(ha));
  EXPECT_TRUE(ChecksumValid(ha, BytesOf("any other body at all")));

  // Every one of the 20 bytes is covered, the reserved ones included.
  for (size_t i = 0; i < 20; ++i) {
    std::string damaged = a;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    EXPECT_FALSE(HeadChecksumValid(DecodeHead(HeadOf(damaged)))) << "byte " << i;
  }
  WalHead wrong = ha;
  wrong.cksum ^= 1;
  EXPECT_FALSE(ChecksumValid(wrong, {}));
}

TEST(WalHeadTest, Sver1AndUpChecksumCoversTheHeadWithZeroChecksumAndTheBody) {
  for (int8_t sver : {int8_t{1}, int8_t{2}}) {
    std::string r = EncodeRecord(5, 42, "payload", sver);
    WalHead h = DecodeHead(HeadOf(r));
    std::string covered = r.substr(0, 20) + std::string(4, '\0') + "payload";
    EXPECT_EQ(h.cksum, crc32c::Value(covered)) << "sver " << int{sver};
    EXPECT_TRUE(WholeChecksumValid(h, BytesOf("payload")));
    EXPECT_TRUE(ChecksumValid(h, BytesOf("payload")));
    EXPECT_FALSE(ChecksumValid(h, BytesOf("paylOad"))) << "the body is covered";
    // The head checksum alone does not hold for a whole-checksum record.
    EXPECT_FALSE(HeadChecksumValid(h));
  }
  // The sver is covered too.
  EXPECT_NE(DecodeHead(HeadOf(EncodeRecord(5, 42, "payload", 1))).cksum,
            DecodeHead(HeadOf(EncodeRecord(5, 42, "payload", 2))).cksum);
}

TEST(WalHeadTest, RecordChecksumIgnoresTheCksumItIsGiven) {
  WalHead h;
  h.len = 3;
  h.version = 9;
  uint32_t a = RecordChecksum(h, BytesOf("abc"));
  h.cksum = 0xdeadbeef;
  EXPECT_EQ(RecordChecksum(h, BytesOf("abc")), a);
  h.sver = 0;
  EXPECT_EQ(RecordChecksum(h, BytesOf("abc")), RecordChecksum(h, BytesOf("zzz")));
}

TEST(WalHeadTest, DecodeHeadInvertsEncodeHead) {
  WalHead plain;
  WalHead extreme;
  extreme.msg_type = INT8_MIN;
  extreme.sver = -1;
  extreme.reserved = 0xffff;
  extreme.len = INT32_MIN;
  extreme.version = UINT64_MAX;
  extreme.signature = 0;
  extreme.cksum = 0xffffffffu;
  WalHead other;
  other.msg_type = 127;
  other.sver = 7;
  other.reserved = 0x1234;
  other.len = INT32_MAX;
  other.version = 0x8000000000000001ull;
  other.signature = 0x12345678u;
  other.cksum = 0x9abcdef0u;
  for (const WalHead& h : {plain, extreme, other}) {
    EXPECT_EQ(DecodeHead(EncodeHead(h)), h) << HeadText(h);
  }
}

TEST(WalHeadTest, EncodeHeadPutsEachFieldAtItsOffsetAndZerosTheReservedBytes) {
  WalHead h;
  h.msg_type = -2;
  h.sver = 1;
  h.len = 0x11223344;
  h.version = 0x5566778899aabbccull;
  h.cksum = 0x01020304u;
  HeadBytes b = EncodeHead(h);
  std::string s(reinterpret_cast<const char*>(b.data()), b.size());
  EXPECT_EQ(Hex(s), "fe010000" "44332211" "ccbbaa9988776655" "fefdfbfa" "04030201");
}

TEST(WalHeadTest, DecodeHeadKeepsTheReservedBytesAsRead) {
  WalHead h;
  h.len = 5;
  h.version = 3;
  HeadBytes b = EncodeHead(h);
  b[2] = std::byte{0xff};
  b[3] = std::byte{0x7f};
  WalHead got = DecodeHead(b);
  EXPECT_EQ(got.reserved, 0x7fffu);
  EXPECT_EQ(got.len, 5);
  EXPECT_EQ(EncodeHead(got), b);  // so the checksum a reader computes covers them as written
}

TEST(WalHeadTest, AWriterZerosTheReservedBytes) {
  std::string r = EncodeRecord(1, 2, "x");
  EXPECT_EQ(r[2], '\0');
  EXPECT_EQ(r[3], '\0');
  EXPECT_EQ(DecodeHead(HeadOf(r)).reserved, 0u);
}

TEST(WalHeadTest, HeadTextPrintsEveryField) {
  WalHead h;
  h.msg_type = -1;
  h.len = 100;
  h.version = 7;
  h.cksum = 0x1234abcd;
  const std::string text = HeadText(h);
  for (const char* part : {"msgType -1 ", "sver 2 ", "len 100 ", "version 7 ", "signature fafbfdfe ", "cksum 1234abcd"}) {
    EXPECT_NE(text.find(part), std::string::npos) << text << " lacks \"" << part << '"';
  }
}

}  // namespace
}  // namespace walcrash::tdengine
