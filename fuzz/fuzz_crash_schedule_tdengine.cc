// fuzz_crash_schedule_tdengine — coverage-guided crash exploration of the
// TDengine 2.x engine (engine/tdengine) through its harness adapter
// (harness/tdengine_adapter.h): fuzz_crash_schedule's body and input format
// (harness/crash_schedule.h) with engine "tdengine". Byte 1 is the adapter's
// renew-bytes; overwrites and snapshots, which TDengine's WAL cannot take,
// decode as saves.
//
// The engine runs with the options in WALCRASH_FUZZ_TDENGINE_OPTIONS
// ("strict=on", "keep=on,strict=on"); unset (or "none"), the faithful engine
// (unless built with WALCRASH_FUZZ_TDENGINE_DEFAULT_OPTIONS, as for OSS-Fuzz),
// TDengine 2.6 as it is, whose known losses (engine/tdengine/wal.h: new files
// without a directory fsync, dropped fsync errors, ...) give findings on
// almost any input. With strict=on a finding is a bug of the strict engine.
// ci/fuzz runs it with strict=on; the committed corpus must pass under
// strict=on (ctest), and fuzz/regressions/fuzz_crash_schedule_tdengine/
// faithful/ holds findings of the faithful engine that must stay findings.
//
// A finding's input replays with
//   walcrash replay --engine tdengine [--option strict=on] FILE
// and becomes a reproducer with
//   walcrash fuzz-to-repro --engine tdengine [--option strict=on] FILE OUT.json
// (without --option both read WALCRASH_FUZZ_TDENGINE_OPTIONS, as the target).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz/crash_schedule_target.h"

namespace {

walcrash::harness::CrashScheduleOptions& Options() {
  static walcrash::harness::CrashScheduleOptions options;
  return options;
}

}  // namespace

// The options when WALCRASH_FUZZ_TDENGINE_OPTIONS is unset: none (the
// faithful engine), but for a build that sets the CMake cache variable of
// this name (ci/oss-fuzz/build.sh: strict=on, as OSS-Fuzz sets no variables).
#ifndef WALCRASH_FUZZ_TDENGINE_DEFAULT_OPTIONS
#define WALCRASH_FUZZ_TDENGINE_DEFAULT_OPTIONS ""
#endif

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  Options() = walcrash::fuzz::InitCrashScheduleTarget({.name = "fuzz_crash_schedule_tdengine",
                                                       .engine = "tdengine",
                                                       .options_variable = "WALCRASH_FUZZ_TDENGINE_OPTIONS",
                                                       .options_default = WALCRASH_FUZZ_TDENGINE_DEFAULT_OPTIONS});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  walcrash::fuzz::RunCrashScheduleInput(std::span<const uint8_t>(data, size), Options());
  return 0;
}
