// `walcrash mutants --quick`: the harness kills every known-bug switch of the
// etcd engine (by the explorer or the RapidCheck state machine) and finds
// nothing in the correct engine. Label `scenario`.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/wal_under_test.h"
#include "tools/scratch_dir.h"
#include "tools/testing/subprocess.h"

namespace walcrash::cli {
namespace {

using testing::ProcessResult;
using testing::ReadFileOrEmpty;
using testing::RunProcess;

TEST(CliMutants, QuickKillsEverySwitchAndTheCorrectEngineIsClean) {
  auto scratch = ScratchDir::Make("cli-mutants-test");
  ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
  const std::string json_path = scratch->path() + "/mutants.json";
  const std::string out_dir = scratch->path() + "/out";
  ProcessResult r = RunProcess({WALCRASH_BIN, "mutants", "--quick", "--json", json_path, "--out", out_dir});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  nlohmann::json j = nlohmann::json::parse(ReadFileOrEmpty(json_path), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << ReadFileOrEmpty(json_path);
  EXPECT_EQ(j["ok"], true) << r.out;
  std::set<std::string> listed;
  for (const nlohmann::json& row : j["switches"]) {
    std::string name = row["switch"];
    listed.insert(name);
    EXPECT_EQ(row["killed"], true) << name << ": " << row.dump(2);
    // A kill leaves a reproducer behind.
    bool has_reproducer = row["explorer"]["reproducer"].is_string() || row["property"]["reproducer"].is_string();
    EXPECT_TRUE(has_reproducer) << name << ": " << row.dump(2);
  }
  for (const std::string& name : harness::KnownBugNames("etcd")) EXPECT_TRUE(listed.count(name)) << name;
  EXPECT_EQ(listed.size(), harness::KnownBugNames("etcd").size());
  EXPECT_EQ(j["correct"]["clean"], true) << j["correct"].dump(2);
  EXPECT_EQ(j["correct"]["explorer"]["killed"], false);
  EXPECT_EQ(j["correct"]["property"]["killed"], false);
  EXPECT_NE(r.out.find("correct engine"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace walcrash::cli
