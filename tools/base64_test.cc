#include "tools/base64.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace walcrash::cli {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto back = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, s);
  }
}

TEST(Base64, MatchesGoOnSharedInteropValues) {
  // metadata_b64 of the single-segment case, and an entry with '+' and '/'.
  EXPECT_EQ(Base64Encode("walcrash-interop-887"), "d2FsY3Jhc2gtaW50ZXJvcC04ODc=");
  auto decoded = Base64Decode("x5pvsAznO/8=");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, std::string("\xc7\x9a\x6f\xb0\x0c\xe7\x3b\xff", 8));
}

TEST(Base64, AllByteValuesAndLengthsRoundTrip) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 300; ++len) {
    std::string s(len, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xff);
    std::string enc = Base64Encode(s);
    EXPECT_EQ(enc.size(), (len + 2) / 3 * 4);
    auto dec = Base64Decode(enc);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    EXPECT_EQ(*dec, s) << "length " << len;
  }
}

TEST(Base64, RejectsMalformedInputWithItsPosition) {
  auto bad_len = Base64Decode("Zm9");
  ASSERT_FALSE(bad_len.ok());
  EXPECT_EQ(bad_len.error().code(), Code::kInvalidArgument);
  EXPECT_NE(bad_len.error().message().find("not a multiple of 4"), std::string_view::npos);

  auto bad_char = Base64Decode("Zm*v");
  ASSERT_FALSE(bad_char.ok());
  EXPECT_NE(bad_char.error().message().find("offset 2"), std::string_view::npos) << bad_char.error().message();
  EXPECT_NE(bad_char.error().message().find("'*'"), std::string_view::npos);

  auto inner_pad = Base64Decode("Zg==Zm8=");
  ASSERT_FALSE(inner_pad.ok());
  EXPECT_NE(inner_pad.error().message().find("padding before the end"), std::string_view::npos);

  EXPECT_FALSE(Base64Decode("Zm9v\n").ok());
  EXPECT_FALSE(Base64Decode("Z===").ok());
  EXPECT_FALSE(Base64Decode("====").ok());
  EXPECT_FALSE(Base64Decode(std::string("Zm\0v", 4)).ok());
}

TEST(Base64, IgnoresUnusedLowBitsAsGoStdEncodingDoes) {
  // "Zh==" has non-zero unused bits; Go's StdEncoding decodes it to "f".
  auto dec = Base64Decode("Zh==");
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(*dec, "f");
}

}  // namespace
}  // namespace walcrash::cli
