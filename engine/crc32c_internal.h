// Internals of crc32c.cc exposed only to engine/crc32c_test.cc and
// bench/crc32c_bench.cc, which must call each implementation directly (the
// public Update() picks one by length and CPU, so it cannot be used to check
// or time the others). Not part of the engine's API: nothing else includes it.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace walcrash::crc32c::internal {

// Update() sends buffers of at least this many bytes to UpdateThreeStream()
// and shorter ones to the single-stream UpdateHardware(). It is three blocks
// of the smallest block size: below it the three-stream path has no chunk to
// run and is the single chain; at 96-100 B it already runs ~1.3x faster
// (bench/crc32c_bench.cc on the development machine).
inline constexpr size_t kThreeStreamMinBytes = 96;

// True when the CPU has both SSE4.2 (crc32) and PCLMULQDQ (used to combine
// the three streams). Checked once at run time.
bool HasThreeStream();

// The three-stream hardware implementation, valid for every length (it
// finishes short tails on a single stream). Same semantics as Update(). On a
// CPU without it (HasThreeStream() false) it takes the path Update() takes
// there, so its tests run, and check the CRC, on every machine.
uint32_t UpdateThreeStream(uint32_t crc, std::span<const std::byte> data);

}  // namespace walcrash::crc32c::internal
