// Test inputs shared by the directory image tests (directory_image_test.cc,
// tdengine_directory_image_test.cc); test-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/splitmix.h"

namespace walcrash::fuzz::testing {

inline std::string RandomBytes(uint64_t seed, size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(SplitMix64(seed));
  return out;
}

// Byte strings of every shape: random, mostly small numbers, runs of one
// byte (the last a run of `last_run`).
inline std::vector<std::string> GarbageInputs(char last_run) {
  std::vector<std::string> out;
  for (uint64_t seed = 1; seed <= 600; ++seed) {
    uint64_t rng = seed;
    const size_t size = SplitMix64(rng) % (seed % 10 == 0 ? 70000 : 3000);
    std::string b = RandomBytes(seed * 7919, size);
    if (seed % 3 == 1) {
      for (char& c : b) c = static_cast<char>(static_cast<uint8_t>(c) % 9);  // small counts and lengths
    }
    out.push_back(std::move(b));
  }
  out.push_back(std::string(1 << 20, '\xff'));
  out.push_back(std::string(1 << 16, '\0'));
  out.push_back(std::string(300, '\x08'));
  out.push_back(std::string(300, last_run));
  return out;
}

}  // namespace walcrash::fuzz::testing
