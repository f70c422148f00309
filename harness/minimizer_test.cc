#include "harness/minimizer.h"

#include <gtest/gtest.h>

#include "harness/replay.h"

namespace walcrash::harness {
namespace {

std::optional<Reproducer> FirstFinding(const std::string& bug) {
  ExploreOptions o;
  o.max_images_per_point = 24;
  o.stop_at_first = true;
  WorkloadProfile profile;
  profile.ops = 30;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    Workload w = GenerateWorkload(seed, profile);
    w.options["bugs"] = bug;
    auto report = Explore(w, o);
    if (report.ok() && !report->reproducers.empty()) return report->reproducers.front();
  }
  return std::nullopt;
}

TEST(Minimizer, ShrinksAFindingToFewerOperationsThatStillFailTheSameOracle) {
  auto found = FirstFinding("no_dir_fsync_after_cut");
  ASSERT_TRUE(found.has_value());
  MinimizeOptions mo;
  mo.explore.max_images_per_point = 24;
  auto min = Minimize(*found, mo);
  ASSERT_TRUE(min.ok()) << min.status().ToString();
  EXPECT_EQ(min->reproducer.verdict.oracle, found->verdict.oracle);
  EXPECT_LT(min->ops_after, min->ops_before);
  EXPECT_LE(min->reproducer.image.survivors.size(), found->image.survivors.size());
  auto replay = Replay(min->reproducer);
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->SameVerdictAs(min->reproducer)) << replay->ToText();
  // Deterministic: the same input gives the same output.
  auto again = Minimize(*found, mo);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->reproducer.ToJson(), min->reproducer.ToJson());
}

TEST(Minimizer, RefusesACaseThatPasses) {
  Reproducer r;
  r.workload = GenerateWorkload(1);
  r.crash_after_calls = 5;
  auto min = Minimize(r);
  ASSERT_FALSE(min.ok());
  EXPECT_NE(min.status().ToString().find("does not fail"), std::string::npos);
}

}  // namespace
}  // namespace walcrash::harness
