// Scenarios: named, hand-readable crash cases, each one a ctest.
//
// A scenario file (scenarios/*.scenario) is a workload (workload.h text form)
// plus directives that say where to crash, with which faults, and what the
// verdict must be for the correct engine and for the known-bug switch the
// scenario targets. It reads like a storage engineer's notes:
//
//   scenario Crash inside a cut, between the rename and the directory fsync
//   note The new segment's name is only durable once the directory is fsynced.
//   note etcd before v3.1 (#6368) did not fsync it.
//   expect correct pass
//   expect no_dir_fsync_after_cut durability
//   expect option strict=on pass          (engine options set for this run)
//   crash op=7 call=dirsync path=/wal     (CrashPointFilter; "crash end" for the end only)
//   models strict prefix subset
//   fault datasync *.wal nth=3 errno=EIO  (FaultPlan rule lines, any number)
//   check recovery-crashes media-faults no-write-after-recovery
//   engine etcd
//   option segment-size 4096
//   create
//   save entries=3 size=600
//   ...
//
// Running a scenario explores the workload over the chosen crash points and
// models (every image, no sampling bound unless `limit N` says so), once per
// expectation: with no switch for "correct" (the workload as written: for
// tdengine, its faithful default), with the named switch, or with the named
// engine options set on top of the workload's ("option strict=on,keep=on").
// "pass" means no finding; an oracle name means at least one finding, and the
// first finding's oracle is that one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "harness/explorer.h"
#include "harness/reproducer.h"
#include "harness/workload.h"

namespace walcrash::scenarios {

struct Expectation {
  std::string bug;     // "" = no known-bug switch; else a KnownBugs name
  // Engine options set for this run (`expect option K=V[,K=V]`), on top of
  // the workload's; never "bugs" and never a key the workload sets. Empty
  // with an empty bug: the correct engine ("correct").
  std::map<std::string, std::string> options;
  std::string oracle;  // "" = pass (no finding)
  // "correct: pass", "no_dir_fsync_after_cut: durability",
  // "option keep=on,strict=on: pass" (keys in order).
  std::string ToString() const;
  std::string RunName() const;  // the part before ": "
};

struct Scenario {
  std::string name;   // the file's stem
  std::string title;
  std::vector<std::string> notes;
  harness::Workload workload;
  harness::ExploreOptions explore;
  std::vector<Expectation> expectations;

  // Errors name the line and what is wrong with it.
  static Result<Scenario> Parse(std::string_view text, std::string name);
};

struct ScenarioOutcome {
  Expectation expected;
  bool met = false;
  std::string detail;  // what was found (oracle, message), or "no finding"
  std::optional<harness::Reproducer> reproducer;  // the first finding, if any
};

Result<std::vector<ScenarioOutcome>> RunScenario(const Scenario& scenario);

// Loads and parses a file through the host filesystem (vfs::PosixVfs).
Result<Scenario> LoadScenario(const std::string& path);

}  // namespace walcrash::scenarios
