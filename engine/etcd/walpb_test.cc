// etcd's WAL messages and their proto2 wire encoding (walpb.h): byte-exact
// encodings, round trips, and decoders that reject malformed input without
// reading past it.
#include "engine/etcd/walpb.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/etcd/wal_test_util.h"

namespace walcrash::etcd {
namespace {

using testing::Hex;
using testing::Unhex;

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

// --- encodings, byte for byte ------------------------------------------------------

TEST(WalpbTest, ACrcRecordEncodesTypeAndCrcAndNoDataField) {
  EXPECT_EQ(Hex(EncodeRecord(Record{4, 0, std::nullopt})), "08041000");
}

TEST(WalpbTest, AMetadataRecordEncodesAsEtcdWritesIt) {
  // The META record of wal-spec.md's golden vector.
  EXPECT_EQ(Hex(EncodeRecord(Record{1, 0x741f6a05, std::string("somedata")})),
            "0801" "1085d4fda007" "1a08" + Hex("somedata"));
}

TEST(WalpbTest, ARecordWithEmptyButPresentDataWritesAnEmptyDataField) {
  EXPECT_EQ(Hex(EncodeRecord(Record{1, 0, std::string()})), "080110001a00");
}

TEST(WalpbTest, ScalarFieldsAreWrittenEvenWhenZero) {
  EXPECT_EQ(Hex(EncodeHardState(HardState{})), "080010001800");
  EXPECT_EQ(Hex(EncodeSnapshot(SnapshotRecord{})), "08001000");
  EXPECT_EQ(Hex(EncodeEntry(Entry{})), "080010001800");
}

TEST(WalpbTest, AnEntryWithoutDataOmitsTheDataField) {
  EXPECT_EQ(Hex(EncodeEntry(Entry{2, 3, 0, ""})), "080010021803");
  EXPECT_EQ(Hex(EncodeEntry(Entry{2, 3, 1, "x"})), "0801100218032201" + Hex("x"));
}

TEST(WalpbTest, HardStateAndSnapshotFieldsUseEtcdsFieldNumbers) {
  EXPECT_EQ(Hex(EncodeHardState(HardState{1, 2, 300})), "08011002" "18ac02");
  EXPECT_EQ(Hex(EncodeSnapshot(SnapshotRecord{5, 3, std::string("\x08\x01", 2)})), "08051003" "1a020801");
}

TEST(WalpbTest, ANegativeTypeIsATenByteVarintAsInt64) {
  std::string enc = EncodeRecord(Record{-1, 0, std::nullopt});
  EXPECT_EQ(Hex(enc), "08ffffffffffffffffff01" "1000");
  auto back = DecodeRecord(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->type, -1);
}

// --- round trips -----------------------------------------------------------------

TEST(WalpbTest, RecordsRoundTrip) {
  const uint32_t max32 = std::numeric_limits<uint32_t>::max();
  for (const Record& r : {Record{1, 0, std::nullopt}, Record{2, 0x12345678, std::string("abc")},
                          Record{0xABCD, max32, std::string(1000, '\0')}, Record{5, 1, std::string()}}) {
    auto back = DecodeRecord(EncodeRecord(r));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, r);
  }
}

TEST(WalpbTest, EntriesRoundTrip) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  for (const Entry& e : {Entry{}, Entry{1, 1, 0, "hello"}, Entry{max, max, 2, std::string(300, 'z')},
                         Entry{7, uint64_t{1} << 63, 1, std::string("\0\1\2", 3)}}) {
    auto back = DecodeEntry(EncodeEntry(e));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, e);
  }
}

TEST(WalpbTest, HardStatesRoundTrip) {
  for (const HardState& h : {HardState{}, HardState{1, 0, 0}, HardState{5, 3, 99}, HardState{~0ull, ~0ull, ~0ull}}) {
    auto back = DecodeHardState(EncodeHardState(h));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, h);
  }
}

TEST(WalpbTest, SnapshotsRoundTripWithAndWithoutConfState) {
  for (const SnapshotRecord& s :
       {SnapshotRecord{}, SnapshotRecord{5, 3, std::nullopt}, SnapshotRecord{5, 3, std::string("\x08\xca\xd1\x03")},
        SnapshotRecord{1, 1, std::string()}}) {
    auto back = DecodeSnapshot(EncodeSnapshot(s));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, s);
  }
}

// --- decoding what gogoproto may write --------------------------------------------

TEST(WalpbTest, DecodersAcceptFieldsInAnyOrder) {
  auto h = DecodeHardState(Unhex("1803" "1002" "0801"));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, (HardState{1, 2, 3}));
  auto r = DecodeRecord(Unhex("1a0161" "1007" "0802"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Record{2, 7, std::string("a")}));
}

// The decoders read etcd's own layout on a fast path; input that starts like
// it and then goes on otherwise must decode exactly as the general path says.
TEST(WalpbTest, InputThatStartsInEtcdsLayoutAndGoesOnOtherwiseDecodesByTheGeneralRules) {
  auto e = DecodeEntry(Unhex("0800" "1002" "1803" "220162" "1809"));  // index repeated: the last wins
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, (Entry{2, 9, 0, "b"}));
  auto r = DecodeRecord(Unhex("0802" "1007" "1a0161" "2801"));  // then an unknown field
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Record{2, 7, std::string("a")}));
  auto view = DecodeRecordView(Unhex("0802" "1007" "1a0261"));  // data cut short
  EXPECT_EQ(view.status().code(), Code::kCorruption);
  auto wrong_wire = DecodeEntry(Unhex("0800" "1002" "1803" "2001"));  // field 4 as a varint
  EXPECT_EQ(wrong_wire.status().code(), Code::kCorruption);
}

TEST(WalpbTest, DecodersSkipUnknownFieldsOfEveryWireType) {
  std::string unknown = Unhex("2801")                       // field 5, varint
                        + Unhex("31") + std::string(8, 'x')  // field 6, fixed64
                        + Unhex("3a03") + "abc"              // field 7, bytes
                        + Unhex("45") + std::string(4, 'y'); // field 8, fixed32
  auto r = DecodeRecord(Unhex("0803") + unknown + Unhex("1009"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (Record{3, 9, std::nullopt}));
  auto e = DecodeEntry(EncodeEntry(Entry{4, 5, 0, "d"}) + unknown);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(*e, (Entry{4, 5, 0, "d"}));
  auto h = DecodeHardState(unknown + EncodeHardState(HardState{1, 2, 3}));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(*h, (HardState{1, 2, 3}));
  auto s = DecodeSnapshot(EncodeSnapshot(SnapshotRecord{9, 8, std::nullopt}) + unknown);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (SnapshotRecord{9, 8, std::nullopt}));
}

// --- malformed input ----------------------------------------------------------------

TEST(WalpbTest, ATruncatedVarintIsCorruptionNamingTheMessage) {
  for (const std::string& bad : {Unhex("08"), Unhex("0880"), Unhex("08ffffff"), Unhex("0801" "10ffff")}) {
    auto r = DecodeRecord(bad);
    ASSERT_FALSE(r.ok()) << Hex(bad);
    EXPECT_EQ(r.error().code(), Code::kCorruption);
    EXPECT_NE(r.error().message().find("walpb.Record"), std::string_view::npos) << r.error().ToString();
    EXPECT_NE(r.error().message().find("unexpected EOF"), std::string_view::npos) << r.error().ToString();
  }
  EXPECT_CODE(DecodeEntry(Unhex("0801" "1880")), Code::kCorruption);
  EXPECT_CODE(DecodeHardState(Unhex("08")), Code::kCorruption);
  EXPECT_CODE(DecodeSnapshot(Unhex("1080")), Code::kCorruption);
}

TEST(WalpbTest, AVarintLongerThanTenBytesIsCorruption) {
  EXPECT_CODE(DecodeRecord(Unhex("08") + std::string(11, '\xff') + Unhex("01")), Code::kCorruption);
}

TEST(WalpbTest, ABytesLengthPastTheEndIsCorruption) {
  EXPECT_CODE(DecodeRecord(Unhex("0801" "1000" "1a05" "abcd")), Code::kCorruption);
  EXPECT_CODE(DecodeEntry(Unhex("2201")), Code::kCorruption);
  EXPECT_CODE(DecodeSnapshot(Unhex("1a7f") + "x"), Code::kCorruption);
  // An unknown bytes field too long for the buffer.
  EXPECT_CODE(DecodeHardState(Unhex("3a09") + "abc"), Code::kCorruption);
}

TEST(WalpbTest, AHugeBytesLengthIsCorruptionWithoutAllocating) {
  for (uint64_t len : {uint64_t{1} << 55, uint64_t{1} << 63, std::numeric_limits<uint64_t>::max()}) {
    std::string bad = Unhex("0802" "1000" "1a") + Varint(len) + "tail";
    EXPECT_CODE(DecodeRecord(bad), Code::kCorruption) << len;
    EXPECT_CODE(DecodeEntry(Unhex("22") + Varint(len)), Code::kCorruption) << len;
  }
}

TEST(WalpbTest, TruncatedFixedWidthUnknownFieldsAreCorruption) {
  EXPECT_CODE(DecodeRecord(Unhex("31") + "1234567"), Code::kCorruption);  // fixed64 needs 8
  EXPECT_CODE(DecodeRecord(Unhex("45") + "123"), Code::kCorruption);      // fixed32 needs 4
}

TEST(WalpbTest, IllegalWireTypesAndFieldZeroAreCorruption) {
  EXPECT_CODE(DecodeRecord(Unhex("0b")), Code::kCorruption);   // field 1, wire 3 (start group)
  EXPECT_CODE(DecodeRecord(Unhex("0c")), Code::kCorruption);   // wire 4
  EXPECT_CODE(DecodeRecord(Unhex("0e00")), Code::kCorruption); // wire 6
  EXPECT_CODE(DecodeRecord(Unhex("0f00")), Code::kCorruption); // wire 7
  EXPECT_CODE(DecodeRecord(Unhex("0001")), Code::kCorruption); // field 0
}

TEST(WalpbTest, EveryCutInsideAFieldFailsAndEveryCutBetweenFieldsDecodes) {
  // 08 02 | 10 <5-byte crc> | 1a 03 'a' 'b' 'c': fields end at 2, 8 and 13.
  std::string full = EncodeRecord(Record{2, 0xdeadbeef, std::string("abc")});
  ASSERT_EQ(full.size(), 13u);
  for (size_t n = 0; n <= full.size(); ++n) {
    auto r = DecodeRecord(std::string_view(full).substr(0, n));
    bool boundary = n == 0 || n == 2 || n == 8 || n == 13;
    EXPECT_EQ(r.ok(), boundary) << "prefix of " << n << " bytes: " << r.status().ToString();
  }
}

}  // namespace
}  // namespace walcrash::etcd
