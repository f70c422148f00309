// Replaying a reproducer: the same workload to the same crash point, the same
// image, the same checks, and the verdict they give now, with everything a
// person needs to see why:
//   - the operations as the model resolved them, and how each ended;
//   - the VFS trace up to the crash;
//   - each pending operation at the crash and its fate in this image
//     (survived, lost, torn and how, both names of a torn rename);
//   - what recovery read, the crash window and the logs the model allows;
//   - the oracle that failed (or none) with its message.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/reproducer.h"

namespace walcrash::harness {

struct ReplayResult {
  std::optional<Violation> verdict;
  std::vector<std::string> op_log;
  std::string trace;
  std::vector<std::string> pending;  // "#51 write /wal/x.wal @0+4096  -> survived"
  std::string window;
  std::string recovered;             // summary, or the error
  std::string expected;              // the durable and the latest allowed logs
  bool crash_point_reached = false;

  // Same oracle and message as the reproducer recorded.
  bool SameVerdictAs(const Reproducer& r) const;
  std::string ToText() const;
};

Result<ReplayResult> Replay(const Reproducer& reproducer);

}  // namespace walcrash::harness
