#include "engine/tdengine/damage.h"

#include <algorithm>
#include <array>
#include <bit>
#include <vector>

#include "engine/crc32c.h"
#include "engine/tdengine/wal_head.h"

namespace walcrash::tdengine {
namespace {

constexpr uint64_t kSector = 512;

// The byte table of the reflected CRC-32C register (polynomial 0x82F63B78):
// linear over GF(2), so a one-bit change in a byte changes the register by
// Table()[that bit], and the change then runs through the later bytes as if
// they were zeros.
const std::array<uint32_t, 256>& Table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

uint32_t ThroughZeroByte(uint32_t delta) { return (delta >> 8) ^ Table()[delta & 0xFF]; }

std::optional<WalHead> HeadAt(std::span<const std::byte> bytes, uint64_t pos) {
  if (pos > bytes.size() || bytes.size() - pos < kHeadBytes) return std::nullopt;
  return DecodeHead(bytes.subspan(pos).first<kHeadBytes>());
}

// Where the damaged record ends, at most `end`: by its length when that is
// one a record can have (a zeroed head reads as length 0), else `end`.
uint64_t DamagedEnd(std::span<const std::byte> bytes, uint64_t pos, uint64_t end) {
  std::optional<WalHead> head = HeadAt(bytes, pos);
  if (!head || head->len < 0 || static_cast<size_t>(head->len) > kMaxBodyBytes) return end;
  return std::min(end, pos + kHeadBytes + static_cast<uint64_t>(head->len));
}

// The all-zero sector pieces of [from, to).
std::vector<std::pair<uint64_t, uint64_t>> ZeroPieces(std::span<const std::byte> bytes, uint64_t from, uint64_t to) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t start = from; start < to;) {
    uint64_t end = std::min(to, (start / kSector + 1) * kSector);
    auto piece = bytes.subspan(start, end - start);
    if (std::all_of(piece.begin(), piece.end(), [](std::byte b) { return b == std::byte{0}; })) {
      out.emplace_back(start, end);
    }
    start = end;
  }
  return out;
}

bool RunsPastTheEnd(std::span<const std::byte> bytes, uint64_t pos) {
  std::optional<WalHead> head = HeadAt(bytes, pos);
  if (!head) return true;
  return head->len >= 0 && bytes.size() - pos - kHeadBytes < static_cast<uint64_t>(head->len);
}

// Whether the record at `pos` checks once its length is taken to run to
// `end`: then only the length was damaged, and the record was whole.
bool OnlyTheLengthIsWrong(std::span<const std::byte> bytes, uint64_t pos, uint64_t end) {
  std::optional<WalHead> head = HeadAt(bytes, pos);
  if (!head || end - pos < kHeadBytes) return false;
  const uint64_t rest = end - pos - kHeadBytes;
  if (head->signature != kSignature || head->sver < 1 || head->sver > kMaxSver || rest > kMaxBodyBytes) return false;
  head->len = static_cast<int32_t>(rest);
  return WholeChecksumValid(*head, bytes.subspan(pos + kHeadBytes, rest));
}

}  // namespace

std::optional<uint64_t> SingleBitErrorAt(std::span<const std::byte> bytes, uint64_t pos) {
  std::optional<WalHead> head = HeadAt(bytes, pos);
  if (!head || head->len < 0 || bytes.size() - pos - kHeadBytes < static_cast<uint64_t>(head->len)) {
    return std::nullopt;
  }
  const uint64_t n = kHeadBytes + static_cast<uint64_t>(head->len);
  WalHead zeroed = *head;
  zeroed.cksum = 0;
  HeadBytes head_bytes = EncodeHead(zeroed);
  auto body = bytes.subspan(pos + kHeadBytes, static_cast<size_t>(head->len));
  const uint32_t syndrome = crc32c::Update(crc32c::Value(head_bytes), body) ^ head->cksum;
  if (syndrome == 0) return std::nullopt;
  if (std::popcount(syndrome) == 1) {
    // The flipped bit is in the stored checksum itself (bytes 20..23).
    return pos + 20 + static_cast<uint64_t>(std::countr_zero(syndrome)) / 8;
  }
  // Walk from the last byte back: delta[b] is what flipping bit b of byte i
  // does to the final register. The checksum field is zeroed in the message,
  // so bytes 20..23 cannot hold the flip here.
  std::array<uint32_t, 8> delta;
  for (size_t b = 0; b < 8; ++b) delta[b] = Table()[size_t{1} << b];
  for (uint64_t i = n; i-- > 0;) {
    const bool in_cksum = i >= 20 && i < 24;
    for (size_t b = 0; b < 8 && !in_cksum; ++b) {
      if (delta[b] == syndrome) return pos + i;
    }
    for (uint32_t& d : delta) d = ThroughZeroByte(d);
  }
  return std::nullopt;
}

Damage ClassifyDamage(std::span<const std::byte> bytes, uint64_t pos, std::optional<uint64_t> next) {
  const uint64_t end = next.value_or(bytes.size());
  if (OnlyTheLengthIsWrong(bytes, pos, end)) return Damage::kCorrupt;
  const auto zeros = ZeroPieces(bytes, pos, DamagedEnd(bytes, pos, end));
  if (std::optional<uint64_t> flip = SingleBitErrorAt(bytes, pos)) {
    const bool in_zeros = std::any_of(zeros.begin(), zeros.end(),
                                      [&](const auto& piece) { return *flip >= piece.first && *flip < piece.second; });
    return in_zeros ? Damage::kTorn : Damage::kCorrupt;
  }
  if (!zeros.empty()) return Damage::kTorn;
  if (!next && RunsPastTheEnd(bytes, pos)) return Damage::kTorn;
  return Damage::kCorrupt;
}

}  // namespace walcrash::tdengine
