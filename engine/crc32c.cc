#include "engine/crc32c.h"

#include <array>
#include <cassert>
#include <cstring>

#include "engine/crc32c_internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#include <wmmintrin.h>
#endif

// Three implementations, one result:
//
//  - UpdatePortable: slicing-by-8 tables, for CPUs without SSE4.2.
//  - UpdateHardware: one chain of the SSE4.2 crc32 instruction, 8 bytes per
//    step. The instruction has a latency of 3 cycles and a throughput of one
//    per cycle, so a single chain runs at a third of what the core can do
//    (about 8.5 GB/s on the development machine).
//  - internal::UpdateThreeStream: cuts the buffer into chunks of three
//    equal blocks A|B|C of S bytes and runs three independent crc32 chains,
//    one per block, interleaved so the core has three instructions in flight
//    (about 2.5x faster). The three partial CRCs are then combined.
//
// The combination, from the math. Let reg(s, M) be the raw CRC register
// (no inversions) after feeding message M starting from register s. In the
// polynomial view, over GF(2) and modulo the CRC-32C polynomial P,
//   reg(s, M) = s * x^(8|M|) + M(x) * x^32          (mod P),
// which is linear in (s, M), so
//   reg(s, A|B|C) = reg(s, A) * x^(16S) + reg(0, B) * x^(8S) + reg(0, C).
// The chain over A starts from the running register, the chains over B and C
// start from zero, and the two shifts are multiplications modulo P by the
// constants x^(16S) and x^(8S), fixed per block size and computed at compile
// time.
//
// A multiplication of a register r by such a constant costs one carry-less
// multiply and one crc32: in the reflected bit order these use (bit 31 of a
// 32-bit value is the coefficient of x^0), PCLMULQDQ of two 32-bit values a, b
// yields a 64-bit value that, read as a reflected 64-bit polynomial, is
// x * a * b; _mm_crc32_u64(0, v) computes v * x^32 mod P. So
//   _mm_crc32_u64(0, clmul(r, x^(n-33) mod P)) == r * x^n mod P.
//
// Block sizes. Each chunk pays a fixed cost for the combination (two
// multiplies, two crc32s, about 10 cycles of latency on the running chain), so
// long blocks amortise it best: chunks of 3 x 2048 bytes first, then of
// 3 x 256, then one last chunk of 3 x S with S = (what is left) / 24 * 8,
// S >= 32 (constants from a small table), and the last < 24 bytes on the
// single chain. Measured with bench/crc32c_bench.cc on the development
// machine (2-core Zen 3 guest; GiB/s as Google Benchmark prints them): the
// single chain runs at ~9 from 128 B up; three streams at ~10 at 100 B, ~20
// at 512 B, ~22.7 at 4 KiB and ~26 at 64 KiB. Three streams win from
// 3 x 32 = 96 bytes up (internal::kThreeStreamMinBytes); below that the
// single chain is used.

namespace walcrash::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

struct Tables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};
constexpr Tables kTables;

uint32_t LoadLe32(const std::byte* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // x86-64 and every target we build for are little-endian
}

// GF(2)[x] modulo P, reflected: bit 31 holds the coefficient of x^0, bit 0
// that of x^31. Multiplying by x moves every coefficient one bit down; a
// coefficient leaving x^31 becomes x^32, which is P's low terms (kPoly).
constexpr uint32_t MulX(uint32_t a) { return (a & 1u) != 0 ? (a >> 1) ^ kPoly : a >> 1; }

constexpr uint32_t MulModP(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (unsigned i = 0; i < 32; ++i) {  // b holds (original b) * x^i
    if (((a >> (31 - i)) & 1u) != 0) product ^= b;
    b = MulX(b);
  }
  return product;
}

constexpr uint32_t XPowModP(uint64_t n) {
  uint32_t result = 0x80000000u;  // x^0
  uint32_t square = 0x40000000u;  // x^(2^k), starting with x^1
  for (; n != 0; n >>= 1) {
    if ((n & 1u) != 0) result = MulModP(result, square);
    square = MulModP(square, square);
  }
  return result;
}
static_assert(XPowModP(0) == 0x80000000u && XPowModP(31) == 1u);
static_assert(XPowModP(32) == kPoly);  // x^32 == P - x^32

#if defined(__x86_64__)
struct CpuFeatures {
  bool sse42 = false;
  bool pclmul = false;
};

const CpuFeatures& Cpu() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) != 0) {
      f.sse42 = (c & bit_SSE4_2) != 0;
      f.pclmul = f.sse42 && (c & bit_PCLMUL) != 0;
    }
    return f;
  }();
  return features;
}

// Block sizes (bytes per stream) of the three-stream path; see the top.
constexpr size_t kLongBlock = 2048;
constexpr size_t kMidBlock = 256;
constexpr size_t kMinBlock = 32;
static_assert(internal::kThreeStreamMinBytes == 3 * kMinBlock);

uint64_t Load64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Raw register (no inversions) over p[0, n) on one crc32 chain.
__attribute__((target("sse4.2"))) inline uint32_t SingleStream(uint64_t c, const std::byte* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) c = _mm_crc32_u64(c, Load64(p));
  uint32_t c32 = static_cast<uint32_t>(c);
  if ((n & 4) != 0) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    c32 = _mm_crc32_u32(c32, v);
    p += 4;
  }
  if ((n & 2) != 0) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    c32 = _mm_crc32_u16(c32, v);
    p += 2;
  }
  if ((n & 1) != 0) c32 = _mm_crc32_u8(c32, static_cast<uint8_t>(*p));
  return c32;
}

// r * x^(n) mod P, given k = x^(n-33) mod P (see the top of the file).
__attribute__((target("sse4.2,pclmul"))) inline uint64_t MulByConstant(uint64_t r, uint64_t k) {
  __m128i product = _mm_clmulepi64_si128(_mm_cvtsi64_si128(static_cast<long long>(r)),
                                         _mm_cvtsi64_si128(static_cast<long long>(k)), 0x00);
  return _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(product)));
}

// Three chains over blocks p[0, S), p[S, 2S), p[2S, 3S), combined into one
// register. kX8S and kX16S are x^(8S-33) and x^(16S-33) mod P.
__attribute__((target("sse4.2,pclmul"))) inline uint64_t ThreeStreamChunk(uint64_t c, const std::byte* p, size_t s,
                                                                           uint64_t k_x8s, uint64_t k_x16s) {
  uint64_t c1 = 0, c2 = 0;
  for (size_t i = 0; i < s; i += 8) {
    c = _mm_crc32_u64(c, Load64(p + i));
    c1 = _mm_crc32_u64(c1, Load64(p + s + i));
    c2 = _mm_crc32_u64(c2, Load64(p + 2 * s + i));
  }
  return MulByConstant(c, k_x16s) ^ MulByConstant(c1, k_x8s) ^ c2;
}

// Consumes whole chunks of 3*S bytes (fixed S) from [p, p+n).
template <size_t S>
__attribute__((target("sse4.2,pclmul"))) inline uint64_t ThreeStreamChunks(uint64_t c, const std::byte*& p,
                                                                            size_t& n) {
  static_assert(S % 8 == 0 && S >= kMinBlock);
  constexpr uint64_t kX8S = XPowModP(8 * S - 33);
  constexpr uint64_t kX16S = XPowModP(16 * S - 33);
  for (; n >= 3 * S; p += 3 * S, n -= 3 * S) c = ThreeStreamChunk(c, p, S, kX8S, kX16S);
  return c;
}

// Constants for the last, variable-length chunk: index S/8 for S in
// [kMinBlock, kMidBlock).
struct FinalChunkConstants {
  std::array<uint64_t, kMidBlock / 8> x8s{}, x16s{};
  constexpr FinalChunkConstants() {
    for (size_t s = kMinBlock; s < kMidBlock; s += 8) {
      x8s[s / 8] = XPowModP(8 * s - 33);
      x16s[s / 8] = XPowModP(16 * s - 33);
    }
  }
};
constexpr FinalChunkConstants kFinal;

// One chunk covering all but < 24 bytes of [p, p+n), for n < 3*kMidBlock.
__attribute__((target("sse4.2,pclmul"))) inline uint64_t ThreeStreamFinal(uint64_t c, const std::byte*& p,
                                                                           size_t& n) {
  const size_t s = n / 24 * 8;
  if (s < kMinBlock) return c;
  assert(s < kMidBlock);  // Invariant: the kMidBlock chunks left n < 3 * kMidBlock
  c = ThreeStreamChunk(c, p, s, kFinal.x8s[s / 8], kFinal.x16s[s / 8]);
  p += 3 * s;
  n -= 3 * s;
  return c;
}
#endif

}  // namespace

uint32_t UpdatePortable(uint32_t crc, std::span<const std::byte> data) {
  const auto& t = kTables.t;
  uint32_t c = ~crc;
  const std::byte* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    uint32_t lo = LoadLe32(p) ^ c;
    uint32_t hi = LoadLe32(p + 4);
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ t[0][(c ^ static_cast<uint32_t>(*p++)) & 0xff];
  return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t UpdateHardware(uint32_t crc, std::span<const std::byte> data) {
  return ~SingleStream(~crc, data.data(), data.size());
}

bool HasHardware() { return Cpu().sse42; }

namespace {

__attribute__((target("sse4.2,pclmul"))) uint32_t ThreeStream(uint32_t crc, std::span<const std::byte> data) {
  uint64_t c = ~crc;
  const std::byte* p = data.data();
  size_t n = data.size();
  c = ThreeStreamChunks<kLongBlock>(c, p, n);
  c = ThreeStreamChunks<kMidBlock>(c, p, n);
  c = ThreeStreamFinal(c, p, n);
  return ~SingleStream(c, p, n);
}

// Without the three-stream instructions: the single stream, or the tables.
uint32_t WithoutThreeStream(uint32_t crc, std::span<const std::byte> data) {
  return Cpu().sse42 ? UpdateHardware(crc, data) : UpdatePortable(crc, data);
}

}  // namespace

namespace internal {

bool HasThreeStream() { return Cpu().pclmul; }

uint32_t UpdateThreeStream(uint32_t crc, std::span<const std::byte> data) {
  return HasThreeStream() ? ThreeStream(crc, data) : WithoutThreeStream(crc, data);
}

}  // namespace internal

uint32_t Update(uint32_t crc, std::span<const std::byte> data) {
  if (data.size() >= internal::kThreeStreamMinBytes) return internal::UpdateThreeStream(crc, data);
  return WithoutThreeStream(crc, data);
}
#else
uint32_t UpdateHardware(uint32_t crc, std::span<const std::byte> data) { return UpdatePortable(crc, data); }
bool HasHardware() { return false; }

namespace internal {
bool HasThreeStream() { return false; }
uint32_t UpdateThreeStream(uint32_t crc, std::span<const std::byte> data) { return UpdatePortable(crc, data); }
}  // namespace internal

uint32_t Update(uint32_t crc, std::span<const std::byte> data) { return UpdatePortable(crc, data); }
#endif

}  // namespace walcrash::crc32c
