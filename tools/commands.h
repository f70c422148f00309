// The walcrash subcommands, one file per group:
//   cmd_demo.cc   vfs-demo
//   cmd_etcd.cc   inspect, dump, verify, repair, write (etcd's WAL)
//   cmd_tdengine.cc inspect --engine tdengine (TDengine's WAL; cmd_tdengine.h),
//                 run by cmd_etcd.cc's inspect
//   cmd_harness.cc explore, replay, mutants (the crash-consistency harness)
// Each group adds its subcommands to the app and a runner for each; main
// parses once and runs the runner of the subcommand that was given.
//
// Exit codes, for every command: 0 ok; 1 the WAL (or the input) has a
// problem, reported on stderr or in the output; 2 a usage error (what CLI11
// rejects, and option values a command rejects before touching anything).
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace walcrash::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblem = 1;
inline constexpr int kExitUsage = 2;

struct Command {
  CLI::App* app;             // the subcommand
  std::function<int()> run;  // returns the exit code
};

void AddDemoCommands(CLI::App& app, std::vector<Command>& commands);
void AddEtcdCommands(CLI::App& app, std::vector<Command>& commands);
void AddHarnessCommands(CLI::App& app, std::vector<Command>& commands);

}  // namespace walcrash::cli
