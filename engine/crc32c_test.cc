#include "engine/crc32c.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace walcrash::crc32c {
namespace {

std::span<const std::byte> B(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// RFC 3720 (iSCSI) appendix B.4 vectors and the standard check value.
TEST(Crc32cTest, MatchesPublishedVectors) {
  EXPECT_EQ(Value("123456789"), 0xE3069283u);
  EXPECT_EQ(Value(""), 0u);
  EXPECT_EQ(Value(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Value(std::string(32, '\xff')), 0x62A8AB43u);
  std::string inc, dec;
  for (int i = 0; i < 32; ++i) {
    inc += static_cast<char>(i);
    dec += static_cast<char>(31 - i);
  }
  EXPECT_EQ(Value(inc), 0x46DD794Eu);
  EXPECT_EQ(Value(dec), 0x113FDB5Cu);
}

TEST(Crc32cTest, ChainingEqualsOnePass) {
  std::string a = "hello, ", b = "write-ahead log";
  EXPECT_EQ(Update(Update(0, B(a)), B(b)), Value(a + b));
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 300; ++i) data += static_cast<char>((i * 131 + 7) & 0xff);
  for (size_t off = 0; off < 9; ++off) {
    for (size_t len = 0; off + len <= data.size(); len += 1 + len / 8) {
      auto span = B(data).subspan(off, len);
      uint32_t portable = UpdatePortable(0x1234u, span);
      EXPECT_EQ(Update(0x1234u, span), portable) << off << "+" << len;
      if (HasHardware()) {
        EXPECT_EQ(UpdateHardware(0x1234u, span), portable) << off << "+" << len;
      }
    }
  }
}

}  // namespace
}  // namespace walcrash::crc32c
