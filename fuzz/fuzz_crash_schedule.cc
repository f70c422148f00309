// fuzz_crash_schedule — coverage-guided crash exploration.
//
// Each input is a crash case (harness/crash_schedule.h): a workload, a crash
// point, a persistence model, the surviving pending operations and their
// tears, a fault plan and a media fault. The target runs it and holds the
// recovered image to every oracle (harness/oracles.h). A finding is a real
// crash-consistency violation: the target reports the oracle and its message.
//
// The engine runs with the known-bug switches named in WALCRASH_FUZZ_BUGS
// (comma-separated, e.g. "no_dir_fsync_after_cut"); unset, the correct engine,
// which must never give a finding.
//
// A finding's input replays with `walcrash replay --bug NAME FILE` and becomes
// a reproducer with `walcrash fuzz-to-repro --bug NAME FILE OUT.json`.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "fuzz/finding.h"
#include "harness/crash_schedule.h"

namespace {

walcrash::harness::CrashScheduleOptions& Options() {
  static walcrash::harness::CrashScheduleOptions options;
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  Options().bugs = walcrash::fuzz::EnvOr("WALCRASH_FUZZ_BUGS");
  if (Options().bugs == "none") Options().bugs.clear();
  // A wrong switch name is a usage error: say so once, before any input.
  walcrash::harness::CrashSchedule probe = walcrash::harness::DecodeCrashSchedule({}, Options());
  auto checked = walcrash::harness::ResolveCrashSchedule(probe);
  if (!checked.ok()) {
    std::fprintf(stderr, "fuzz_crash_schedule: WALCRASH_FUZZ_BUGS=%s: %s\n", Options().bugs.c_str(),
                 checked.status().ToString().c_str());
    std::exit(2);
  }
  std::fprintf(stderr, "fuzz_crash_schedule: known-bug switches: %s\n",
               Options().bugs.empty() ? "none (the correct engine)" : Options().bugs.c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const walcrash::harness::CrashSchedule schedule =
      walcrash::harness::DecodeCrashSchedule(std::span<const uint8_t>(data, size), Options());
  auto resolved = walcrash::harness::ResolveCrashSchedule(schedule);
  // Every input decodes to a valid case: an error here is the harness's own bug.
  WALCRASH_FUZZ_CHECK(resolved.ok(), "harness: the schedule does not run: {}", resolved.status().ToString());
  const walcrash::harness::Violation& verdict = resolved->verdict;
  WALCRASH_FUZZ_CHECK(verdict.oracle.empty(), "{}: {} (crash {}, image {})", verdict.oracle, verdict.message,
                      resolved->crash_call, resolved->image.ToString());
  return 0;
}
