#include "harness/isolation.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace walcrash::harness {

Result<IsolatedResult> RunIsolated(const std::function<std::string()>& body, unsigned timeout_seconds) {
  int fds[2];
  if (pipe(fds) != 0) return Status(Code::kIOError, "", "isolation: pipe failed", errno);
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    return Status(Code::kIOError, "", "isolation: fork failed", e);
  }
  if (pid == 0) {
    close(fds[0]);
    alarm(timeout_seconds);
    std::string out = body();
    const char* p = out.data();
    size_t left = out.size();
    while (left > 0) {
      ssize_t n = write(fds[1], p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(3);
      p += n;
      left -= static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  IsolatedResult result;
  char buf[4096];
  for (;;) {  // bounded by the child: it exits or is killed by its alarm
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status(Code::kIOError, "", "isolation: waitpid failed", errno);
  }
  if (WIFSIGNALED(status)) {
    result.died = true;
    int sig = WTERMSIG(status);
    result.how = sig == SIGALRM ? fmt::format("killed after {} s (hung)", timeout_seconds)
                                : fmt::format("signal {} ({})", sig, strsignal(sig));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    result.died = true;
    result.how = fmt::format("exit {}", WEXITSTATUS(status));
  }
  return result;
}

}  // namespace walcrash::harness
