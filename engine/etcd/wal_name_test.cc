// Segment names (wal_name.h): etcd's TestScanWalName, TestSearchIndex and
// the isValidSeq rules of wal-spec.md §1 "Name handling".
#include "engine/etcd/wal_name.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/etcd/errors.h"
#include "engine/etcd/wal_test_util.h"

namespace walcrash::etcd {
namespace {

using testing::HasWalError;

TEST(WalNameTest, FormatsSeqAndIndexAsSixteenLowercaseHexDigits) {
  EXPECT_EQ(WalName(0, 0), "0000000000000000-0000000000000000.wal");
  EXPECT_EQ(WalName(1, 0x4a), "0000000000000001-000000000000004a.wal");
  EXPECT_EQ(WalName(0xabcdef, 0x1000), "0000000000abcdef-0000000000001000.wal");
  uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(WalName(max, max), "ffffffffffffffff-ffffffffffffffff.wal");
}

TEST(WalNameTest, ParseReadsBackWhatWalNameWrites) {
  const std::vector<SegmentName> cases = {
      {0, 0}, {1, 1}, {2, 0x4a}, {0x10, 0xdeadbeef}, {~uint64_t{0}, ~uint64_t{0}}};
  for (const SegmentName& n : cases) {
    auto parsed = ParseWalName(WalName(n.seq, n.index));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, n);
  }
}

// TestScanWalName: a name without the index part and a .snap name fail.
TEST(WalNameTest, ParseRejectsTheNamesOfEtcdsScanWalNameTest) {
  auto ok = ParseWalName("0000000000000000-0000000000000000.wal");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (SegmentName{0, 0}));
  EXPECT_WAL_ERROR(ParseWalName("0000000000000000.wal"), WalError::kBadName);
  EXPECT_WAL_ERROR(ParseWalName("0000000000000000-0000000000000000.snap"), WalError::kBadName);
}

TEST(WalNameTest, StrictParseRejectsAnyNameEtcdWouldNotHaveWritten) {
  for (const char* bad : {
           "1-2.wal",                                    // short fields (Go's Sscanf takes them)
           "000000000000000A-0000000000000000.wal",      // uppercase hex
           "00000000000000000-0000000000000000.wal",     // 17 digits
           "0000000000000000-000000000000000.wal",       // 15 digits
           "000000000000000g-0000000000000000.wal",      // not hex
           "0000000000000000_0000000000000000.wal",      // no dash
           "-0000000000000000.wal",                      // empty seq
           "0000000000000000-.wal",                      // empty index
           "0000000000000000-0000000000000000.wal.broken",  // Repair's backup
           "0000000000000000-0000000000000000.walx",
           "0000000000000000-0000000000000000",
           "0.tmp",
           ".wal",
           "",
       }) {
    EXPECT_WAL_ERROR(ParseWalName(bad), WalError::kBadName) << bad;
  }
}

TEST(WalNameTest, LenientParseAcceptsShortFieldsAndUppercaseHexAsGoSscanfDoes) {
  auto a = ParseWalName("1-2.wal", /*lenient=*/true);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, (SegmentName{1, 2}));
  auto b = ParseWalName("000000000000000A-00000000000000fF.wal", /*lenient=*/true);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, (SegmentName{10, 255}));
}

TEST(WalNameTest, LenientParseStillWantsHexFieldsADashAndTheWalSuffix) {
  for (const char* bad : {"g-1.wal", "1_2.wal", "1-2.snap", "-2.wal", "1-.wal", "00000000000000000-1.wal"}) {
    EXPECT_WAL_ERROR(ParseWalName(bad, /*lenient=*/true), WalError::kBadName) << bad;
  }
}

// wal-spec.md §1: Go's Sscanf("%016x-%016x.wal") stops once the format is
// matched, so a name with junk after the matched ".wal" that still ends in
// ".wal" is taken by etcd.
TEST(WalNameTest, LenientParseAcceptsTrailingJunkAfterTheFormatAsGoSscanfDoes) {
  auto a = ParseWalName("0000000000000001-0000000000000002.wal.wal", /*lenient=*/true);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, (SegmentName{1, 2}));
}

TEST(WalNameTest, FilterKeepsOnlySegmentNamesInTheirGivenOrder) {
  std::vector<std::string> listing = {
      "0.tmp",
      "0000000000000000-0000000000000000.wal",
      "0000000000000000-0000000000000000.wal.broken",
      "0000000000000001-0000000000000005.wal",
      "1-2.wal",
      "lock",
      "test.wal",
  };
  EXPECT_EQ(FilterWalNames(listing),
            (std::vector<std::string>{"0000000000000000-0000000000000000.wal", "0000000000000001-0000000000000005.wal"}));
}

TEST(WalNameTest, IsValidSeqAcceptsSequencesThatIncreaseByOne) {
  EXPECT_TRUE(IsValidSeq({}));
  EXPECT_TRUE(IsValidSeq({WalName(0, 0)}));
  EXPECT_TRUE(IsValidSeq({WalName(0, 0), WalName(1, 1), WalName(2, 5)}));
  EXPECT_TRUE(IsValidSeq({WalName(5, 10), WalName(6, 11), WalName(7, 11)}));
}

TEST(WalNameTest, IsValidSeqRejectsAGapOrARepeat) {
  EXPECT_FALSE(IsValidSeq({WalName(1, 1), WalName(3, 3)}));
  EXPECT_FALSE(IsValidSeq({WalName(0, 0), WalName(1, 1), WalName(3, 3)}));
  EXPECT_FALSE(IsValidSeq({WalName(2, 2), WalName(2, 3)}));
  EXPECT_FALSE(IsValidSeq({WalName(2, 2), WalName(1, 3)}));
}

// etcd skips the check while the previous seq is 0, so [0-0, 2-a] passes
// (TestOpenAtIndex relies on it).
TEST(WalNameTest, IsValidSeqSkipsTheCheckAfterSeqZeroAsEtcdDoes) {
  EXPECT_TRUE(IsValidSeq({WalName(0, 0), WalName(2, 10)}));
  EXPECT_TRUE(IsValidSeq({WalName(0, 0), WalName(0, 5), WalName(7, 9), WalName(8, 9)}));
  EXPECT_FALSE(IsValidSeq({WalName(0, 0), WalName(2, 10), WalName(4, 11)}));
}

// TestSearchIndex's three cases.
TEST(WalNameTest, SearchIndexFindsTheLastSegmentWhoseFirstIndexIsAtMostTheIndex) {
  std::vector<std::string> a = {"0000000000000000-0000000000000000.wal", "0000000000000001-0000000000001000.wal",
                                "0000000000000002-0000000000002000.wal"};
  EXPECT_EQ(SearchIndex(a, 0x1000), std::optional<size_t>(1));
  std::vector<std::string> b = {"0000000000000001-0000000000004000.wal", "0000000000000002-0000000000003000.wal",
                                "0000000000000003-0000000000005000.wal"};
  EXPECT_EQ(SearchIndex(b, 0x4000), std::optional<size_t>(1));
  std::vector<std::string> c = {"0000000000000001-0000000000002000.wal", "0000000000000002-0000000000003000.wal",
                                "0000000000000003-0000000000005000.wal"};
  EXPECT_EQ(SearchIndex(c, 0x1000), std::nullopt);
}

TEST(WalNameTest, SearchIndexHandlesBoundariesAndAnEmptyList) {
  std::vector<std::string> names = {WalName(0, 0), WalName(1, 10), WalName(2, 20)};
  EXPECT_EQ(SearchIndex(names, 0), std::optional<size_t>(0));
  EXPECT_EQ(SearchIndex(names, 9), std::optional<size_t>(0));
  EXPECT_EQ(SearchIndex(names, 10), std::optional<size_t>(1));
  EXPECT_EQ(SearchIndex(names, 19), std::optional<size_t>(1));
  EXPECT_EQ(SearchIndex(names, 20), std::optional<size_t>(2));
  EXPECT_EQ(SearchIndex(names, ~uint64_t{0}), std::optional<size_t>(2));
  EXPECT_EQ(SearchIndex({}, 0), std::nullopt);
}

}  // namespace
}  // namespace walcrash::etcd
