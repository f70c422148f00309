// fuzz_crash_schedule — coverage-guided crash exploration of the etcd engine.
//
// Each input is a crash case (harness/crash_schedule.h): a workload, a crash
// point, a persistence model, the surviving pending operations and their
// tears, a fault plan and a media fault. The target runs it and holds the
// recovered image to every oracle (harness/oracles.h). A finding is a real
// crash-consistency violation: the target reports the oracle and its message.
// (fuzz/crash_schedule_target.h holds the body; fuzz_crash_schedule_tdengine
// is the same over the TDengine engine.)
//
// The engine runs with the known-bug switches named in WALCRASH_FUZZ_BUGS
// (comma-separated, e.g. "no_dir_fsync_after_cut"); unset, the correct engine,
// which must never give a finding.
//
// A finding's input replays with `walcrash replay --bug NAME FILE` and becomes
// a reproducer with `walcrash fuzz-to-repro --bug NAME FILE OUT.json`.
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

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  Options() = walcrash::fuzz::InitCrashScheduleTarget(
      {.name = "fuzz_crash_schedule", .engine = "etcd", .bugs_variable = "WALCRASH_FUZZ_BUGS"});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  walcrash::fuzz::RunCrashScheduleInput(std::span<const uint8_t>(data, size), Options());
  return 0;
}
