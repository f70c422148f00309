// Helpers shared by the benchmarks: a benchmark that ignores an error
// measures something other than it says, so every Status is checked and an
// unexpected error aborts with a message.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace walcrash::bench {

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;

[[noreturn]] inline void Die(std::string_view what, const Status& status) {
  std::fprintf(stderr, "benchmark: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  std::abort();
}

inline void Must(const Status& status, std::string_view what) {
  if (!status.ok()) Die(what, status);
}

template <typename T>
T Must(Result<T> result, std::string_view what) {
  if (!result.ok()) Die(what, result.error());
  return std::move(result).value();
}

}  // namespace walcrash::bench
