// Torn write or corruption: the strict restore's judgement (damage.h).
#include "engine/tdengine/damage.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tdengine/wal_head.h"

namespace walcrash::tdengine {
namespace {

std::vector<std::byte> Bytes(const std::string& s) {
  auto b = std::as_bytes(std::span<const char>(s.data(), s.size()));
  return {b.begin(), b.end()};
}

// Three records; the last one's body is a term (1, little-endian: mostly zero
// bytes) after 470 bytes of payload, so the record straddles a sector edge.
std::string ThreeRecords() {
  std::string file = EncodeRecord(3, 1, std::string(200, 'a'));
  file += EncodeRecord(3, 2, std::string(150, 'b'));
  std::string body(100, 'c');
  body += std::string("\x01\0\0\0\0\0\0\0", 8);
  file += EncodeRecord(3, 3, body);
  return file;
}

constexpr uint64_t kThird = 2 * kHeadBytes + 200 + 150;

TEST(DamageTest, EveryFlippedBitOfARecordIsLocatedByItsSyndrome) {
  const std::string file = ThreeRecords();
  for (uint64_t at = kThird; at < file.size(); ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<std::byte> b = Bytes(file);
      b[at] ^= std::byte(1u << bit);
      std::optional<uint64_t> found = SingleBitErrorAt(b, kThird);
      if (at >= kThird + 4 && at < kThird + 8) continue;  // the length: the record's extent changes
      ASSERT_TRUE(found.has_value()) << "byte " << at << " bit " << bit;
      EXPECT_EQ(*found, at);
    }
  }
}

TEST(DamageTest, AFlipInTheLastRecordIsCorruptionEvenWhereItsDataHasZeros) {
  const std::string file = ThreeRecords();
  for (uint64_t at = kThird; at < file.size(); ++at) {
    std::vector<std::byte> b = Bytes(file);
    b[at] ^= std::byte{0x10};
    EXPECT_EQ(ClassifyDamage(b, kThird, std::nullopt), Damage::kCorrupt) << "flip at " << at;
  }
}

TEST(DamageTest, ASectorPieceThatNeverReachedTheDiskIsATear) {
  std::string file = ThreeRecords();
  // The third record's part in the second sector is lost: zeros from 512 on.
  std::vector<std::byte> b = Bytes(file);
  ASSERT_GT(b.size(), 512u);
  for (size_t i = 512; i < b.size(); ++i) b[i] = std::byte{0};
  EXPECT_EQ(ClassifyDamage(b, kThird, std::nullopt), Damage::kTorn);
  // Cut short by the end of the file instead.
  std::vector<std::byte> cut = Bytes(file.substr(0, kThird + 30));
  EXPECT_EQ(ClassifyDamage(cut, kThird, std::nullopt), Damage::kTorn);
  // A head that never arrived at all.
  std::vector<std::byte> zeros = Bytes(file.substr(0, kThird) + std::string(40, '\0'));
  EXPECT_EQ(ClassifyDamage(zeros, kThird, std::nullopt), Damage::kTorn);
}

TEST(DamageTest, ALengthFlipIsCorruptionThoughTheRecordSeemsToRunPastTheEnd) {
  std::vector<std::byte> b = Bytes(ThreeRecords());
  b[kThird + 6] ^= std::byte{0x01};  // len + 65536: past the end of the file
  EXPECT_EQ(ClassifyDamage(b, kThird, std::nullopt), Damage::kCorrupt);
}

TEST(DamageTest, GarbageWithNoZerosBeforeAValidRecordIsCorruption) {
  std::string file = ThreeRecords();
  std::vector<std::byte> b = Bytes(file);
  const uint64_t second = kHeadBytes + 200;
  for (uint64_t i = second + 30; i < second + 60; ++i) b[i] = std::byte{0x5a};
  EXPECT_EQ(ClassifyDamage(b, second, kThird), Damage::kCorrupt);
  // The same span read as zeros (a lost piece of the second write) is a tear.
  for (uint64_t i = second; i < kThird; ++i) b[i] = std::byte{0};
  EXPECT_EQ(ClassifyDamage(b, second, kThird), Damage::kTorn);
}

}  // namespace
}  // namespace walcrash::tdengine
