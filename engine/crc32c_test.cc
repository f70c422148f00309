#include "engine/crc32c.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/crc32c_internal.h"

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


// ---- The three-stream path (engine/crc32c_internal.h) ----------------------

// Bit-at-a-time CRC-32C straight from the definition: independent of the
// slicing tables and of the crc32 instruction.
uint32_t BitwiseReference(uint32_t crc, std::span<const std::byte> data) {
  uint32_t c = ~crc;
  for (std::byte b : data) {
    c ^= static_cast<uint32_t>(b);
    for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

std::vector<std::byte> RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(rng() & 0xff);
  return out;
}

// Lengths that cover every stage of the three-stream path (chunks of 3*2048
// and 3*256 bytes, a last chunk of 3*S for 32 <= S < 256, a single-stream tail
// of < 24 bytes) in every combination, and the dispatch threshold.
constexpr size_t kExhaustiveMaxLen =
    std::max<size_t>(3 * internal::kThreeStreamMinBytes + 100, 2 * 3 * 2048 + 3 * 256 + 100);

// The three-stream path (on a CPU without SSE4.2 and PCLMULQDQ, the path
// Update() takes there: internal::UpdateThreeStream falls back to it).
class Crc32cThreeStreamTest : public ::testing::Test {};

TEST_F(Crc32cThreeStreamTest, PublishedVectors) {
  EXPECT_EQ(internal::UpdateThreeStream(0, B("123456789")), 0xE3069283u);
  EXPECT_EQ(internal::UpdateThreeStream(0, B(std::string(32, '\0'))), 0x8A9136AAu);
  EXPECT_EQ(internal::UpdateThreeStream(0, B(std::string(32, '\xff'))), 0x62A8AB43u);
  EXPECT_EQ(internal::UpdateThreeStream(0, {}), 0u);
  // The same vectors repeated past every tier must still match the
  // definition (no published value exists for these lengths).
  for (size_t n : {size_t{96}, size_t{768}, size_t{6144}, size_t{65536}}) {
    for (char fill : {'\0', '\xff'}) {
      std::string s(n, fill);
      EXPECT_EQ(internal::UpdateThreeStream(0, B(s)), BitwiseReference(0, B(s))) << n;
    }
  }
}

TEST_F(Crc32cThreeStreamTest, EqualsPortableOnEveryLengthAndMisalignment) {
  const std::vector<std::byte> data = RandomBytes(kExhaustiveMaxLen + 16, 20261121);
  std::mt19937_64 rng(7);
  for (size_t off : {size_t{0}, size_t{1}, size_t{3}, size_t{7}, size_t{12}}) {
    for (size_t len = 0; len <= kExhaustiveMaxLen; ++len) {
      const auto span = std::span(data).subspan(off, len);
      const auto seed = static_cast<uint32_t>(rng());
      const uint32_t portable = UpdatePortable(seed, span);
      ASSERT_EQ(internal::UpdateThreeStream(seed, span), portable) << off << "+" << len;
      ASSERT_EQ(Update(seed, span), portable) << off << "+" << len;
    }
  }
}

TEST_F(Crc32cThreeStreamTest, EqualsBitwiseReferenceOnLargeBuffers) {
  const std::vector<std::byte> data = RandomBytes((1u << 20) + 64, 42);
  std::mt19937_64 rng(43);
  std::vector<size_t> lengths = {3 * 2048 * 10 + 3 * 256 * 7 + 3 * 32 * 7 + 95, 65536, 1u << 20};
  for (int i = 0; i < 20; ++i) lengths.push_back(rng() % (1u << 20));
  for (size_t len : lengths) {
    const size_t off = rng() % 64;
    const auto span = std::span(data).subspan(off, len);
    const uint32_t expected = BitwiseReference(0xDEADBEEFu, span);
    EXPECT_EQ(internal::UpdateThreeStream(0xDEADBEEFu, span), expected) << off << "+" << len;
    EXPECT_EQ(Update(0xDEADBEEFu, span), expected) << off << "+" << len;
    EXPECT_EQ(UpdatePortable(0xDEADBEEFu, span), expected) << off << "+" << len;
  }
}

TEST_F(Crc32cThreeStreamTest, IncrementalUpdatesSplitAtRandomPointsEqualOnePass) {
  const std::vector<std::byte> data = RandomBytes(200000, 99);
  const uint32_t one_pass = UpdatePortable(0, data);
  ASSERT_EQ(internal::UpdateThreeStream(0, data), one_pass);
  std::mt19937_64 rng(100);
  for (int round = 0; round < 50; ++round) {
    // Pieces from a few bytes to tens of KiB, so each call takes a different
    // mix of tiers and tails and the running CRC crosses every boundary.
    const size_t max_piece = size_t{1} << (3 + round % 14);
    uint32_t three = 0, dispatch = 0;
    for (size_t pos = 0; pos < data.size();) {
      const size_t piece = std::min(data.size() - pos, static_cast<size_t>(rng() % (max_piece + 1)));
      const auto span = std::span(data).subspan(pos, piece);
      three = internal::UpdateThreeStream(three, span);
      dispatch = Update(dispatch, span);
      pos += piece;
    }
    EXPECT_EQ(three, one_pass) << "round " << round;
    EXPECT_EQ(dispatch, one_pass) << "round " << round;
  }
}

}  // namespace
}  // namespace walcrash::crc32c
