// SplitMix64 (Steele, Lea, Flood 2014): the one deterministic mixer walcrash
// draws every seeded choice and digest from. Not cryptographic; fast, and
// equal inputs give equal outputs on every platform.
#pragma once

#include <cstdint>

namespace walcrash {

// Advances `state` and returns the next value of the sequence.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// One step as a pure function: a well-spread hash of `x`.
inline uint64_t Mix64(uint64_t x) { return SplitMix64(x); }

}  // namespace walcrash
