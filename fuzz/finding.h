// Findings: how a fuzz target says an input broke an invariant.
//
// Under libFuzzer a finding must end the process so that libFuzzer saves the
// input as a crash file: ReportFinding prints "walcrash finding: <what>" on
// stderr and aborts. Under the plain replay driver (replay_main.cc), which
// runs many inputs in one process and must say which ones fail, it throws
// FindingError instead (ThrowFindings(true)); the driver catches it per input.
//
// A finding is a broken invariant of the code under test (a wrong record, a
// VFS difference, a crash-consistency violation), never a clean error the
// code returned for bad input: that is the expected outcome.
//
// Threading: targets run single-threaded; the mode is set once at start-up.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace walcrash::fuzz {

struct FindingError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void ReportFinding(std::string_view what);
void ThrowFindings(bool on);

// The environment variable `name`, "" when unset.
std::string EnvOr(const char* name, std::string_view fallback = "");

}  // namespace walcrash::fuzz

// A target's invariant: when `cond` is false, a finding with the formatted message.
#define WALCRASH_FUZZ_CHECK(cond, ...)                                            \
  do {                                                                            \
    if (!(cond)) ::walcrash::fuzz::ReportFinding(::fmt::format(__VA_ARGS__));     \
  } while (0)
