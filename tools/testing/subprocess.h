// Test helper: runs a program (no shell) and captures its exit code, stdout
// and stderr. For tests that drive the walcrash binary or the Go etcd reader.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace walcrash::testing {

struct ProcessResult {
  int exit_code = -1;  // -1: could not start, or killed by a signal (see error)
  std::string out;
  std::string err;
  std::string error;  // why it could not run, if it could not
};

inline std::string ReadFileOrEmpty(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs argv[0] (searched in PATH when it has no '/') with the rest as its
// arguments, stdin from /dev/null.
inline ProcessResult RunProcess(const std::vector<std::string>& argv) {
  ProcessResult r;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "walcrash-subprocess-XXXXXX";
  std::string templ = dir.string();
  if (::mkdtemp(templ.data()) == nullptr) {
    r.error = "mkdtemp failed";
    return r;
  }
  std::string out_path = templ + "/out";
  std::string err_path = templ + "/err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.error = "cannot start " + argv[0] + ": " + std::string(std::strerror(rc));
  } else {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
      r.exit_code = WEXITSTATUS(status);
    } else {
      r.error = argv[0] + " was killed by signal " + std::to_string(WTERMSIG(status));
    }
    r.out = ReadFileOrEmpty(out_path);
    r.err = ReadFileOrEmpty(err_path);
  }
  std::error_code ec;
  std::filesystem::remove_all(templ, ec);
  return r;
}

// Runs the walcrash binary under test (WALCRASH_BIN, set by each CLI test
// target) with `args`; a failure to start it fails the test.
#ifdef WALCRASH_BIN
inline ProcessResult Walcrash(const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.emplace_back(WALCRASH_BIN);
  for (const std::string& a : args) argv.push_back(a);
  ProcessResult r = RunProcess(argv);
  EXPECT_TRUE(r.error.empty()) << r.error;
  return r;
}
#endif

inline void WriteFile(const std::filesystem::path& p, const std::string& contents) {
  std::ofstream out(p, std::ios::binary);
  out << contents;
}

}  // namespace walcrash::testing
