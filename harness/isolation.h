// Running a check in a child process, so that a WAL that crashes (a signal:
// segfault, abort) or hangs while recovering is a finding, not the end of
// the harness (walcrash explore --isolate).
//
// The child is a fork(2) of the harness: it sees the crashed SimVfs and the
// model as they are, runs `body`, writes what it returns to a pipe and exits
// without running destructors or atexit handlers. A child still running after
// `timeout_seconds` is killed (SIGALRM, set in the child).
//
// Threading: call from a process with no other threads running (the harness
// runs the engines without background threads).
#pragma once

#include <functional>
#include <string>

#include "common/status.h"

namespace walcrash::harness {

struct IsolatedResult {
  bool died = false;        // killed by a signal, or exited without a result
  std::string how;          // "signal 11 (Segmentation fault)", "killed after 30 s (hung)", "exit 3"
  std::string output;       // what body returned (when !died)
};

Result<IsolatedResult> RunIsolated(const std::function<std::string()>& body, unsigned timeout_seconds = 60);

}  // namespace walcrash::harness
