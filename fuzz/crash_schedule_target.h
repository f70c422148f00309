// The body the fuzz_crash_schedule targets share: one target per engine
// (fuzz_crash_schedule: etcd; fuzz_crash_schedule_tdengine: tdengine), each a
// thin LLVMFuzzerInitialize/LLVMFuzzerTestOneInput over these two functions.
//
// Each input is a crash case (harness/crash_schedule.h), run and held to
// every oracle (harness/oracles.h). A finding is a crash-consistency
// violation of the engine as configured: the oracle and its message.
//
// Threading: targets run single-threaded; the options are read once.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "harness/crash_schedule.h"

namespace walcrash::fuzz {

struct CrashScheduleTarget {
  std::string_view name;    // for messages: "fuzz_crash_schedule"
  std::string_view engine;  // "etcd", "tdengine"
  // The environment variables the options come from ("" for none): the
  // known-bug switches (comma-separated; "none" for none), and further engine
  // options KEY=VALUE (harness::ParseEngineOptions; "none" for none).
  const char* bugs_variable = "";
  const char* options_variable = "";
  std::string_view options_default = "";  // when options_variable is unset
};

// Reads the options from the environment and checks them on the empty input
// (a usage error exits the process with status 2, before any input runs);
// prints what the engine runs with on stderr.
harness::CrashScheduleOptions InitCrashScheduleTarget(const CrashScheduleTarget& target);

// Decodes and runs one input; a finding when an oracle fails (or when the
// schedule does not run: every input decodes to a valid case).
void RunCrashScheduleInput(std::span<const uint8_t> bytes, const harness::CrashScheduleOptions& options);

}  // namespace walcrash::fuzz
