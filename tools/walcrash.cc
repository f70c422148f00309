// walcrash — the command-line front end.
//
//   walcrash vfs-demo [--model strict|prefix|subset|all] [--max-images N]
//                     [--sector-size BYTES] [--faults FILE_OR_TEXT]
//   walcrash inspect DIR [--engine etcd] [--snapshot-index I --snapshot-term T] [--mode read|write]
//                    [--json] [--entries]
//   walcrash inspect DIR --engine tdengine [--strict] [--json] [--entries]
//   walcrash dump DIR
//   walcrash verify DIR [--snapshot-index I --snapshot-term T]
//   walcrash repair DIR
//   walcrash write DIR --from FILE.json [--segment-size BYTES] [--batch N]
//   walcrash explore [--engine etcd] [--workload FILE | --seed N --ops K] [--model M ...]
//                    [--bug NAME ...] [--budget SECONDS] [--json REPORT] [--out DIR]
//                    [--every-sync] [--max-images N] [--samples N] [--faults FILE_OR_TEXT]
//                    [--media-faults] [--recovery-crashes] [--shard i/n] [--isolate]
//                    [--segment-size BYTES] [--no-minimize]
//   walcrash replay FILE [--quiet] [--as auto|reproducer|scenario|fuzz] [--bug NAME ...]
//   walcrash fuzz-to-repro IN OUT [--bug NAME ...]
//   walcrash mutants [--budget SECONDS] [--cases N] [--json FILE] [--out DIR] [--quick]
//   walcrash --version
//
// The commands live in one file per group (commands.h): cmd_demo.cc holds
// vfs-demo, cmd_etcd.cc the commands on etcd WAL directories (and inspect's
// --engine tdengine, which runs cmd_tdengine.cc's), cmd_harness.cc
// the crash-consistency harness (explore, replay, fuzz-to-repro, mutants).
//
// Exit codes: 0 ok, 1 the WAL or the input has a problem (reported; for
// explore, findings; for replay, a verdict other than the recorded one; for
// mutants, a switch no technique killed or a finding in the correct engine),
// 2 a usage error (every CLI11 parse error, and option values a command
// rejects before it runs; --help and --version exit 0).
// Errors are values (Status); no exception leaves main: anything unexpected
// is caught and reported as an internal error (exit 1).
#include <cstdio>
#include <exception>
#include <vector>

// GCC 12 at -O2 reports a "potential null pointer dereference" inside
// CLI11's detail::split (std::vector<std::string>::emplace_back inlined in
// CLI/StringTools.hpp, which this file instantiates): a false positive in a
// system header that -Werror would make a build failure. Only CLI11's code is
// exempt.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include "tools/commands.h"

#ifndef WALCRASH_VERSION
#define WALCRASH_VERSION "0.1.0"  // keep in step with project(VERSION) in CMakeLists.txt
#endif

namespace walcrash::cli {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"walcrash: crash-consistency and fault-injection testing for write-ahead logs", "walcrash"};
  app.set_version_flag("--version", "walcrash " WALCRASH_VERSION);
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);

  std::vector<Command> commands;
  AddDemoCommands(app, commands);
  AddEtcdCommands(app, commands);
  AddHarnessCommands(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // app.exit prints the help, the version or the error with the usage;
    // only --help and --version succeed.
    int code = app.exit(e);
    return code == static_cast<int>(CLI::ExitCodes::Success) ? kExitOk : kExitUsage;
  }
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace
}  // namespace walcrash::cli

int main(int argc, char** argv) {
  try {
    return walcrash::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "walcrash: internal error: %s\n", e.what());
  } catch (...) {
    std::fflush(stdout);
    std::fprintf(stderr, "walcrash: internal error: unknown exception\n");
  }
  return 1;
}
