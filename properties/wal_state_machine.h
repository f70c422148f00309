// The WAL as a RapidCheck state machine (rc::state): the property behind
// properties/wal_crash_property_test.cc and `walcrash mutants`.
//
// A case draws a segment size (1024..4096) and creates the WAL (etcd engine,
// the given known-bug switches), then runs a command sequence on a
// harness::WorkloadRunner step by step, with the reference model in step.
// Commands mirror the workload operations (save, overwrite, commit, elect,
// snapshot, sync, tick, release, reopen, policy fsync/0, fsync/10, write/0;
// never nolog); each must succeed and leave no live-run violation. The Crash
// command takes a crash image of the SimVfs as it is now: the persistence
// model (strict, prefix, subset) and the image's seed are drawn by
// RapidCheck (SimVfs::SampleCrashImage); one strict crash in four also
// flips a checksummed byte near the log's end (a media fault). It recovers
// the image with a fresh adapter on its own image and checks every oracle
// (harness/image_check.h): CRC chaining, cut atomicity, clean tail,
// durability and no-phantom against the model, recovery outcome,
// idempotence and write-after-recovery. One operation in six (the creation
// included) also crashes part-way, before its k-th crash-relevant VFS call
// (k = 1..12), checked the same way. The live run goes on after a Crash
// (images are independent).
//
// On a failure, RapidCheck shrinks the command sequence; the shrunk case is
// run once more on its own (from its reproduce string) to rebuild the exact
// crash, written as a reproducer file (harness/reproducer.h), and that file
// is replayed (harness/replay.h) to check it gives the same verdict. Both
// the file and RapidCheck's reproduce string replay the counterexample.
//
// Threading: one call at a time per thread (the last failure is kept per
// thread). Deterministic for a given seed and options.
#pragma once

#include <cstdint>
#include <string>

namespace walcrash::prop {

struct StateMachineOptions {
  std::string bugs;            // KnownBugs names, comma-separated; "" = the correct engine
  int cases = 200;             // RapidCheck's max_success (at least 1); stops at the first failure
  uint64_t seed = 0;           // 0: RapidCheck's own (printed); else fixed
  std::string reproducer_dir;  // where the counterexample's reproducer goes, created if missing
                               // ("" = a fresh /tmp/walcrash-state-machine-XXXXXX)
};
// RC_PARAMS is read at every call: when it holds a "reproduce=..." entry for
// this property (its id names the switches, so only a string made with the
// same `bugs` applies), only that case runs, as RapidCheck's own reproduce
// does; its other keys are ignored (options rule). A malformed RC_PARAMS is a
// failure with oracle "usage".

struct StateMachineResult {
  bool failed = false;
  // Of the shrunk counterexample: the oracle that failed (harness/oracles.h),
  // or "rapidcheck" when the property failed some other way (then `message`
  // is RapidCheck's report), or "usage" (a bad RC_PARAMS).
  std::string oracle;
  // The oracle's message, then "shrunk counterexample:" and the case, one
  // command a line (the setup first). A problem writing or replaying the
  // reproducer is appended in parentheses ("(the reproducer ...").
  std::string message;
  // "reproduce=...": run with RC_PARAMS="<this>" to replay the shrunk case.
  std::string reproduce;
  std::string reproducer_path; // the reproducer file written ("" when none)
  int cases_run = 0;           // cases run, the failing one included (1 when reproducing)
  double seconds = 0;          // wall time, shrinking and replay included
};

StateMachineResult CheckWalStateMachine(const StateMachineOptions& options);

}  // namespace walcrash::prop
