// The harness end to end: the explorer finds nothing on the correct engine,
// finds every known-bug switch, and every reproducer replays to its verdict.
#include <csignal>
#include <cstdlib>

#include <gtest/gtest.h>

#include "harness/call_hook_vfs.h"
#include "harness/explorer.h"
#include "harness/isolation.h"
#include "harness/oracles.h"
#include "harness/replay.h"
#include "harness/reproducer.h"
#include "vfs/sim_vfs.h"

namespace walcrash::harness {
namespace {

Workload Small(uint64_t seed, const std::string& bugs = "") {
  WorkloadProfile profile;
  profile.ops = 24;
  Workload w = GenerateWorkload(seed, profile);
  if (!bugs.empty()) w.options["bugs"] = bugs;
  return w;
}

ExploreOptions Quick() {
  ExploreOptions o;
  o.max_images_per_point = 24;
  o.samples_per_point = 2;
  o.media_faults = true;
  return o;
}

TEST(Explorer, FindsNothingOnTheCorrectEngine) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    auto report = Explore(Small(seed), Quick());
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_GT(report->crash_points, 20u);
    EXPECT_GT(report->images_checked, report->crash_points);
    for (const Reproducer& r : report->reproducers) ADD_FAILURE() << "seed " << seed << ": " << r.ToJson();
  }
}

TEST(Explorer, CrashesDuringRecoveryFindNothingOnTheCorrectEngine) {
  ExploreOptions o = Quick();
  o.models = {vfs::PersistenceModel::kPrefix};
  o.check.recovery_crashes = true;
  o.check.max_recovery_images = 4;
  auto report = Explore(Small(5), o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const Reproducer& r : report->reproducers) ADD_FAILURE() << r.ToJson();
}

class KnownBug : public ::testing::TestWithParam<std::string> {};

TEST_P(KnownBug, IsFoundAndItsReproducerReplaysToTheSameVerdict) {
  ExploreOptions o = Quick();
  o.stop_at_first = true;
  std::optional<Reproducer> found;
  for (uint64_t seed = 1; seed <= 8 && !found; ++seed) {
    auto report = Explore(Small(seed, GetParam()), o);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    if (!report->reproducers.empty()) found = report->reproducers.front();
  }
  ASSERT_TRUE(found.has_value()) << GetParam() << " was not found";
  auto parsed = Reproducer::FromJson(found->ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->ToJson(), found->ToJson());
  auto replay = Replay(*parsed);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_TRUE(replay->SameVerdictAs(*parsed)) << replay->ToText() << "\nrecorded: " << found->verdict.oracle << ": "
                                               << found->verdict.message;
}

INSTANTIATE_TEST_SUITE_P(EveryEtcdSwitch, KnownBug, ::testing::ValuesIn(KnownBugNames("etcd")),
                         [](const auto& param_info) { return param_info.param; });

TEST(Replay, ACaseThatPassesReplaysToPass) {
  Reproducer r;
  r.workload = Small(1);
  r.crash_after_calls = 10;
  r.model = vfs::PersistenceModel::kStrict;
  auto replay = Replay(r);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_FALSE(replay->verdict.has_value()) << replay->ToText();
  EXPECT_TRUE(replay->SameVerdictAs(r));
  EXPECT_NE(replay->ToText().find("PASS"), std::string::npos);
}

TEST(Replay, ACrashPointBeyondTheWorkloadIsAClearError) {
  Reproducer r;
  r.workload = Small(1);
  r.crash_after_calls = 1u << 30;
  auto replay = Replay(r);
  ASSERT_FALSE(replay.ok());
  EXPECT_NE(replay.status().ToString().find("never reached"), std::string::npos);
}

TEST(Reproducer, BadJsonIsRejectedWithTheReason) {
  EXPECT_FALSE(Reproducer::FromJson("").ok());
  EXPECT_FALSE(Reproducer::FromJson("[1]").ok());
  auto no_workload = Reproducer::FromJson(R"({"crash_after_calls": 1})");
  ASSERT_FALSE(no_workload.ok());
  EXPECT_NE(no_workload.status().ToString().find("workload"), std::string::npos);
  auto bad_image = Reproducer::FromJson(R"({"workload": ["create"], "crash_after_calls": 1, "image": "#x"})");
  ASSERT_FALSE(bad_image.ok());
  auto bad_model = Reproducer::FromJson(R"({"workload": ["create"], "crash_after_calls": 1, "model": "maybe"})");
  ASSERT_FALSE(bad_model.ok());
}

TEST(Explorer, ShardsCoverEveryCrashPointExactlyOnce) {
  Workload w = Small(2);
  ExploreOptions o = Quick();
  o.models = {vfs::PersistenceModel::kStrict};
  auto all = Explore(w, o);
  ASSERT_TRUE(all.ok());
  uint64_t sum = 0;
  for (uint32_t i = 0; i < 3; ++i) {
    o.shard_index = i;
    o.shard_count = 3;
    auto part = Explore(w, o);
    ASSERT_TRUE(part.ok());
    sum += part->crash_points;
  }
  EXPECT_EQ(sum, all->crash_points);
  o.shard_index = 3;
  EXPECT_FALSE(Explore(w, o).ok());
}

TEST(Explorer, EverySyncModeVisitsFewerPoints) {
  Workload w = Small(2);
  ExploreOptions o = Quick();
  auto every = Explore(w, o);
  o.points = CrashPointMode::kEverySync;
  auto syncs = Explore(w, o);
  ASSERT_TRUE(every.ok() && syncs.ok());
  EXPECT_LT(syncs->crash_points, every->crash_points);
  EXPECT_GT(syncs->crash_points, 3u);
}

TEST(Explorer, AnInjectedFsyncFailureEndsTheRunAndIsNoFinding) {
  Workload w = Small(3);
  ExploreOptions o = Quick();
  auto plan = vfs::FaultPlan::Parse("datasync *.wal nth=4 errno=EIO");
  ASSERT_TRUE(plan.ok());
  o.fault_plan = *plan;
  auto report = Explore(w, o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const Reproducer& r : report->reproducers) ADD_FAILURE() << r.ToJson();
}

TEST(Isolation, ASignalInTheChildIsReportedNotFatal) {
  auto result = RunIsolated([]() -> std::string {
    std::raise(SIGSEGV);
    return "unreachable";
  });
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->died);
  // Plain: "signal 11"; under AddressSanitizer the segfault is its report,
  // then an abort (signal 6) or exit 1.
  EXPECT_FALSE(result->how.empty());
  auto aborted = RunIsolated([]() -> std::string { std::abort(); });
  ASSERT_TRUE(aborted.ok());
  EXPECT_TRUE(aborted->died);
  EXPECT_NE(aborted->how.find("signal 6"), std::string::npos) << aborted->how;
  auto fine = RunIsolated([] { return std::string("verdict"); });
  ASSERT_TRUE(fine.ok());
  EXPECT_FALSE(fine->died);
  EXPECT_EQ(fine->output, "verdict");
}

TEST(Explorer, IsolatedChecksGiveTheSameFindingsAsInProcessOnes) {
  Workload w = Small(1, "no_dir_fsync_after_cut");
  ExploreOptions o = Quick();
  o.models = {vfs::PersistenceModel::kStrict};
  o.media_faults = false;
  auto in_process = Explore(w, o);
  o.isolate = true;
  auto isolated = Explore(w, o);
  ASSERT_TRUE(in_process.ok() && isolated.ok());
  EXPECT_GT(in_process->findings, 0u);
  EXPECT_EQ(isolated->findings, in_process->findings);
  ASSERT_EQ(isolated->reproducers.size(), in_process->reproducers.size());
  for (size_t i = 0; i < isolated->reproducers.size(); ++i) {
    EXPECT_EQ(isolated->reproducers[i].ToJson(), in_process->reproducers[i].ToJson());
  }
}

TEST(CallHookVfs, CallsTheHookBeforeEveryCrashRelevantCallOnly) {
  vfs::SimVfs sim;
  std::vector<std::string> seen;
  CallHookVfs hooked(sim, [&](const PendingCall& call) { seen.push_back(call.ToString()); });
  auto f = hooked.Open("/a", vfs::kWrite | vfs::kCreate);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(vfs::AsBytes("x")).ok());
  ASSERT_TRUE((*f)->DataSync().ok());
  ASSERT_TRUE((*f)->Size().ok());
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE(hooked.Rename("/a", "/b").ok());
  ASSERT_TRUE(hooked.Stat("/b").ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"call 1: open /a", "call 2: append /a", "call 3: datasync /a",
                                            "call 4: rename /a"}));
  EXPECT_EQ(hooked.calls_done(), 4u);
}

}  // namespace
}  // namespace walcrash::harness
