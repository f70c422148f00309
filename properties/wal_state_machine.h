// The WAL as a RapidCheck state machine (rc::state): the property behind
// properties/wal_crash_property_test.cc and `walcrash mutants`.
//
// Commands mirror the workload operations (save, overwrite, commit, elect,
// snapshot, sync, tick, release, reopen, policy) and run on a
// harness::WorkloadRunner step by step, with the reference model in step.
// The Crash command takes a crash image of the SimVfs as it is now (the
// persistence model, the surviving pending operations and tears drawn by
// RapidCheck), recovers it with a fresh adapter on its own image, and checks
// every oracle (harness/image_check.h): CRC chaining, cut atomicity,
// durability and no-phantom against the model, recovery outcome,
// idempotence and write-after-recovery. The live run goes on after a Crash
// (images are independent).
//
// On a failure, RapidCheck shrinks the command sequence; the smallest
// counterexample is written as a reproducer file (harness/reproducer.h) and
// its path and RapidCheck's RC_PARAMS reproduce string are reported: both
// replay.
#pragma once

#include <string>

namespace walcrash::prop {

struct StateMachineOptions {
  std::string bugs;            // KnownBugs names, comma-separated; "" = the correct engine
  int cases = 200;
  uint64_t seed = 0;           // 0: RapidCheck's own (printed); else fixed
  std::string reproducer_dir;  // where the counterexample's reproducer goes ("" = a temp dir)
};

struct StateMachineResult {
  bool failed = false;
  std::string oracle;          // of the shrunk counterexample
  std::string message;
  std::string reproduce;       // RapidCheck's RC_PARAMS="reproduce=..." string
  std::string reproducer_path; // the reproducer file written
  int cases_run = 0;
  double seconds = 0;
};

StateMachineResult CheckWalStateMachine(const StateMachineOptions& options);

}  // namespace walcrash::prop
