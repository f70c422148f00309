// File names of TDengine 2.x's WAL (wal_name.h): what TDengine's atoll
// makes of a directory entry, and the strict engine's canonical names.
#include "engine/tdengine/wal_name.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace walcrash::tdengine {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(WalNameTest, FileNameIsWalAndTheIdInDecimal) {
  EXPECT_EQ(FileName(0), "wal0");
  EXPECT_EQ(FileName(1), "wal1");
  EXPECT_EQ(FileName(1234567), "wal1234567");
  EXPECT_EQ(FileName(kMax), "wal9223372036854775807");
  EXPECT_EQ(FileName(-3), "wal-3");
}

TEST(WalNameTest, TDengineReadsTheIdOfACanonicalName) {
  EXPECT_EQ(ParseIdLikeTDengine("wal0"), 0);
  EXPECT_EQ(ParseIdLikeTDengine("wal1"), 1);
  EXPECT_EQ(ParseIdLikeTDengine("wal42"), 42);
}

TEST(WalNameTest, TDengineReadsTheLeadingDigitsAndIgnoresTheRest) {
  EXPECT_EQ(ParseIdLikeTDengine("wal12x"), 12);
  EXPECT_EQ(ParseIdLikeTDengine("wal3.tmp"), 3);
  EXPECT_EQ(ParseIdLikeTDengine("wal7 8"), 7);
}

TEST(WalNameTest, TDengineReadsANameWithoutDigitsAsFileZero) {
  EXPECT_EQ(ParseIdLikeTDengine("walx"), 0);
  EXPECT_EQ(ParseIdLikeTDengine("wal"), 0);
  EXPECT_EQ(ParseIdLikeTDengine("wal.bak"), 0);
  EXPECT_EQ(ParseIdLikeTDengine("wal-"), 0);
  EXPECT_EQ(ParseIdLikeTDengine("wal- 5"), 0);  // white space is allowed only before the sign
}

TEST(WalNameTest, TDengineReadsLeadingZerosAndSigns) {
  EXPECT_EQ(ParseIdLikeTDengine("wal007"), 7);
  EXPECT_EQ(ParseIdLikeTDengine("wal00"), 0);
  EXPECT_EQ(ParseIdLikeTDengine("wal-3"), -3);
  EXPECT_EQ(ParseIdLikeTDengine("wal+9"), 9);
  EXPECT_EQ(ParseIdLikeTDengine("wal--3"), 0);
}

TEST(WalNameTest, TDengineSkipsLeadingWhiteSpace) {
  EXPECT_EQ(ParseIdLikeTDengine("wal 5"), 5);
  EXPECT_EQ(ParseIdLikeTDengine("wal\t\n\v\f\r 6"), 6);
  EXPECT_EQ(ParseIdLikeTDengine("wal  -4"), -4);
}

TEST(WalNameTest, TDengineSaturatesAnIdBeyondInt64) {
  EXPECT_EQ(ParseIdLikeTDengine("wal9223372036854775807"), kMax);
  EXPECT_EQ(ParseIdLikeTDengine("wal9223372036854775808"), kMax);
  EXPECT_EQ(ParseIdLikeTDengine("wal99999999999999999999999999"), kMax);
  EXPECT_EQ(ParseIdLikeTDengine("wal-9223372036854775807"), kMin + 1);
  EXPECT_EQ(ParseIdLikeTDengine("wal-9223372036854775808"), kMin);
  EXPECT_EQ(ParseIdLikeTDengine("wal-9223372036854775809"), kMin);
  EXPECT_EQ(ParseIdLikeTDengine("wal-99999999999999999999999999x"), kMin);
}

TEST(WalNameTest, TDengineIgnoresNamesThatDoNotStartWithWal) {
  EXPECT_EQ(ParseIdLikeTDengine("foo"), std::nullopt);
  EXPECT_EQ(ParseIdLikeTDengine(""), std::nullopt);
  EXPECT_EQ(ParseIdLikeTDengine("wa"), std::nullopt);
  EXPECT_EQ(ParseIdLikeTDengine("WAL1"), std::nullopt);
  EXPECT_EQ(ParseIdLikeTDengine("xwal1"), std::nullopt);
  EXPECT_EQ(ParseIdLikeTDengine(" wal1"), std::nullopt);
}

TEST(WalNameTest, CanonicalIdsAreTheNamesFileNameWrites) {
  for (int64_t id : {int64_t{0}, int64_t{1}, int64_t{9}, int64_t{10}, int64_t{123456789},
                     int64_t{999999999999999999}, int64_t{1000000000000000000}, kMax - 1, kMax}) {
    EXPECT_EQ(ParseCanonicalId(FileName(id)), id) << FileName(id);
  }
}

TEST(WalNameTest, CanonicalIdRejectsEveryOtherName) {
  for (const char* name : {"wal", "walx", "wal12x", "wal007", "wal00", "wal01", "wal-3", "wal-0", "wal+9", "wal 5",
                           "wal5 ", "wal\t5", "wal3.tmp", "foo", "", "WAL1", "xwal1", "wal1.5",
                           "wal9223372036854775808",          // INT64_MAX + 1
                           "wal99999999999999999999",         // 20 digits
                           "wal18446744073709551616"}) {      // 2^64
    EXPECT_EQ(ParseCanonicalId(name), std::nullopt) << '"' << name << '"';
  }
}

}  // namespace
}  // namespace walcrash::tdengine
