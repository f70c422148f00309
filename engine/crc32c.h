// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) with the semantics
// of Go's crc32.Update: the running value is inverted on the way in and on the
// way out, so Update(Update(0, a), b) == Update(0, a + b) and a CRC can be
// chained by feeding the previous value back in. etcd chains its records (and
// its segments) exactly this way.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at
// run time), else slicing-by-8 tables. Check value: Value("123456789") ==
// 0xE3069283.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace walcrash::crc32c {

// Extends `crc` (a finished CRC value, 0 to start) over `data`.
uint32_t Update(uint32_t crc, std::span<const std::byte> data);
inline uint32_t Value(std::span<const std::byte> data) { return Update(0, data); }
inline uint32_t Value(std::string_view s) {
  return Update(0, {reinterpret_cast<const std::byte*>(s.data()), s.size()});
}

// The two implementations, exposed for tests and benchmarks.
uint32_t UpdatePortable(uint32_t crc, std::span<const std::byte> data);
uint32_t UpdateHardware(uint32_t crc, std::span<const std::byte> data);  // REQUIRES: HasHardware()
bool HasHardware();

}  // namespace walcrash::crc32c
