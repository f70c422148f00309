// The minimiser: shrinks a failing case while it still fails the same oracle.
//
// Passes, repeated until none makes progress (or the attempt budget is spent):
//   1. fewer operations: drop runs of operations (halves, then quarters, ...,
//      then single ones; never the create). Workload operations are relative
//      (workload.h), so every subsequence is a valid workload. The crash point
//      and image of a shorter workload are found again by exploring it with
//      the original's persistence model, keeping the first image that fails
//      the same oracle.
//   2. smaller payloads: halve each operation's entry size, then its entry
//      count, while the case still fails.
//   3. fewer survivors: drop surviving pending operations from the image one
//      at a time, and untear torn ones (whole or lost), replaying the exact
//      crash point, while the same oracle still fails.
// The result is a reproducer that replays to its own (possibly reworded)
// verdict of the same oracle.
//
// Determinism: the same input and options give the same output.
#pragma once

#include <cstddef>

#include "common/status.h"
#include "harness/explorer.h"
#include "harness/reproducer.h"

namespace walcrash::harness {

struct MinimizeOptions {
  size_t max_attempts = 400;   // explorations and replays, all passes together
  double budget_seconds = 0;   // 0: none; else stop shrinking after this long (then the result
                               // depends on the machine's speed, not only on the input)
  ExploreOptions explore;      // how candidate workloads are explored (model is set from the case)
};

struct MinimizeResult {
  Reproducer reproducer;
  size_t attempts = 0;
  size_t ops_before = 0, ops_after = 0;
  size_t survivors_before = 0, survivors_after = 0;
};

// `failing` must replay to a violation; InvalidArgument otherwise.
Result<MinimizeResult> Minimize(const Reproducer& failing, const MinimizeOptions& options = {});

}  // namespace walcrash::harness
