// run_scenario FILE.scenario...: the ctest driver of the `scenario` label.
//
// For each file: parses it, runs every expectation (scenario.h), and prints
// what each found. For every finding it prints the reproducer JSON and the
// replay of that reproducer, and it holds the reproducer to its word: the
// replay must reach the same verdict, or the finding could not be debugged
// from the file it leaves behind.
//
// Exit codes: 0 every expectation met and every finding replays; 1 some
// expectation failed or a replay disagreed; 2 usage, file or parse error.
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "harness/replay.h"
#include "harness/reproducer.h"
#include "scenarios/scenario.h"

namespace {

using walcrash::harness::Reproducer;
using walcrash::scenarios::Scenario;
using walcrash::scenarios::ScenarioOutcome;

// Prints the reproducer and its replay; false when the replay does not give
// the verdict the reproducer recorded.
bool ShowFinding(const Reproducer& reproducer) {
  fmt::print("---- reproducer\n{}", reproducer.ToJson());
  auto replay = walcrash::harness::Replay(reproducer);
  if (!replay.ok()) {
    fmt::print("---- replay FAILED: {}\n", replay.status().ToString());
    return false;
  }
  fmt::print("---- replay\n{}", replay->ToText());
  if (!replay->SameVerdictAs(reproducer)) {
    fmt::print("---- replay MISMATCH: the reproducer recorded {}: {}\n", reproducer.verdict.oracle,
               reproducer.verdict.message);
    return false;
  }
  fmt::print("---- replay gives the recorded verdict\n");
  return true;
}

// 0 / 1 / 2 as the exit codes above.
int RunFile(const std::string& path) {
  auto loaded = walcrash::scenarios::LoadScenario(path);
  if (!loaded.ok()) {
    fmt::print(stderr, "run_scenario: {}\n", loaded.status().ToString());
    return 2;
  }
  const Scenario& scenario = *loaded;
  fmt::print("==== scenario {}: {}\n", scenario.name, scenario.title);
  for (const std::string& note : scenario.notes) fmt::print("  {}\n", note);
  auto ran = walcrash::scenarios::RunScenario(scenario);
  if (!ran.ok()) {
    fmt::print(stderr, "run_scenario: {}\n", ran.status().ToString());
    return 2;
  }
  const std::vector<ScenarioOutcome> outcomes = std::move(ran).value();
  int failed = 0;
  for (const ScenarioOutcome& outcome : outcomes) {
    fmt::print("\n== expect {}\n{} {}\n", outcome.expected.ToString(), outcome.met ? "MET" : "NOT MET", outcome.detail);
    if (!outcome.met) ++failed;
    if (outcome.reproducer && !ShowFinding(*outcome.reproducer)) ++failed;
  }
  fmt::print("\n==== {}: {}\n", scenario.name,
             failed == 0 ? std::string("every expectation met") : fmt::format("{} problem(s)", failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: run_scenario FILE.scenario...\n");
    return 2;
  }
  int worst = 0;
  for (int i = 1; i < argc; ++i) {
    int code = RunFile(argv[i]);
    if (code > worst) worst = code;
  }
  std::fflush(stdout);
  return worst;
}
