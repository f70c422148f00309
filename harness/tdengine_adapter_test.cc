// The TDengine adapter: what it writes, what it claims at each level, and how
// the explorer sees TDengine's default behaviour and the strict option.
#include "harness/tdengine_adapter.h"

#include <gtest/gtest.h>

#include "engine/tdengine/wal_name.h"
#include "harness/campaign.h"
#include "harness/explorer.h"
#include "harness/workload_runner.h"
#include "vfs/sim_vfs.h"

namespace walcrash::harness {
namespace {

EngineConfig Config(std::map<std::string, std::string> options = {}, SyncPolicy policy = {}) {
  EngineConfig c;
  c.engine = "tdengine";
  c.options = std::move(options);
  c.policy = policy;
  return c;
}

std::vector<LogEntry> Entries(uint64_t from, uint64_t count, uint64_t term = 1, uint32_t size = 40) {
  std::vector<LogEntry> out;
  for (uint64_t i = from; i < from + count; ++i) out.push_back(LogEntry{i, term, EntryPayload(i, term, size)});
  return out;
}

std::unique_ptr<WalUnderTest> Make(vfs::Vfs& vfs, const EngineConfig& config) {
  auto made = MakeWalUnderTest(vfs, config);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? std::move(made).value() : nullptr;
}

TEST(TdengineAdapter, EntriesComeBackWithTheirTermsAndPayloadsAfterAReopen) {
  vfs::SimVfs sim;
  auto wal = Make(sim, Config());
  ASSERT_TRUE(wal->Create("ignored").ok());
  ASSERT_TRUE(wal->Save(HardState{1, 1, 0}, Entries(1, 3, 1)).ok());
  ASSERT_TRUE(wal->Save(HardState{2, 2, 0}, Entries(4, 2, 2, 0)).ok());
  ASSERT_TRUE(wal->Close().ok());
  auto read = wal->Recover();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(read->exists);
  EXPECT_EQ(read->metadata, "");   // TDengine keeps no metadata
  EXPECT_TRUE(read->state.empty());  // nor hard state
  std::vector<LogEntry> expected = Entries(1, 3, 1);
  for (const LogEntry& e : Entries(4, 2, 2, 0)) expected.push_back(e);
  EXPECT_EQ(read->entries, expected);
}

TEST(TdengineAdapter, TheClaimFollowsTheLevel) {
  vfs::SimVfs sim;
  auto wal = Make(sim, Config({}, SyncPolicy{SyncLevel::kWrite, 0}));
  ASSERT_TRUE(wal->Create("").ok());
  ASSERT_TRUE(wal->Save({}, Entries(1, 2)).ok());
  EXPECT_EQ(wal->Claim().last_index, 0u) << "level write claims nothing before an fsync";
  ASSERT_TRUE(wal->Sync().ok());
  EXPECT_EQ(wal->Claim().last_index, 2u);

  ASSERT_TRUE(wal->SetSyncPolicy(SyncPolicy{SyncLevel::kFsync, 0}).ok());
  ASSERT_TRUE(wal->Save({}, Entries(3, 1)).ok());
  EXPECT_EQ(wal->Claim().last_index, 3u) << "fsync level, period 0: every write";

  ASSERT_TRUE(wal->SetSyncPolicy(SyncPolicy{SyncLevel::kFsync, 2000}).ok());
  ASSERT_TRUE(wal->Save({}, Entries(4, 2)).ok());
  EXPECT_EQ(wal->Claim().last_index, 3u) << "a period leaves it to the service";
  ASSERT_TRUE(wal->Tick().ok());
  EXPECT_EQ(wal->Claim().last_index, 3u) << "period 2000 ms: every second round";
  ASSERT_TRUE(wal->Tick().ok());
  EXPECT_EQ(wal->Claim().last_index, 5u);
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_EQ(wal->Claim().last_index, 5u);
}

TEST(TdengineAdapter, AWriteTheEngineIgnoresIsAnErrorNotAnAcknowledgement) {
  vfs::SimVfs sim;
  auto wal = Make(sim, Config());
  ASSERT_TRUE(wal->Create("").ok());
  ASSERT_TRUE(wal->Save({}, Entries(1, 3)).ok());
  Status stale = wal->Save({}, Entries(2, 1));
  EXPECT_EQ(stale.code(), Code::kInvalidArgument);
  EXPECT_NE(stale.message().find("did not write entry 2"), std::string_view::npos) << stale.ToString();
  ASSERT_TRUE(wal->SetSyncPolicy(SyncPolicy{SyncLevel::kNoLog, 0}).ok());
  Status nolog = wal->Save({}, Entries(4, 1));
  EXPECT_NE(nolog.message().find("nolog"), std::string_view::npos) << nolog.ToString();
}

TEST(TdengineAdapter, RenewBytesStartsANewFileAsAVnodeCommitDoes) {
  vfs::SimVfs sim;
  auto wal = Make(sim, Config({{"renew-bytes", "100"}}));
  ASSERT_TRUE(wal->Create("").ok());
  ASSERT_TRUE(wal->Save({}, Entries(1, 2)).ok());  // 2 x (24 + 8 + 40) bytes: over 100, renewed
  ASSERT_TRUE(wal->Save({}, Entries(3, 1)).ok());
  auto names = sim.List("/wal");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"wal1", "wal2"}));
}

TEST(TdengineAdapter, OptionsAreCheckedWithTheirNames) {
  vfs::SimVfs sim;
  EXPECT_TRUE(ValidateEngineConfig(Config({{"strict", "on"}, {"keep", "off"}, {"renew-bytes", "0"}})).ok());
  Status unknown = ValidateEngineConfig(Config({{"segment-size", "4096"}}));
  EXPECT_NE(unknown.message().find("no option 'segment-size'"), std::string_view::npos) << unknown.ToString();
  EXPECT_FALSE(ValidateEngineConfig(Config({{"renew-bytes", "12"}})).ok());
  EXPECT_FALSE(ValidateEngineConfig(Config({{"strict", "maybe"}})).ok());
  EXPECT_FALSE(ValidateEngineConfig(Config({}, SyncPolicy{SyncLevel::kFsync, 4'000'000})).ok());
  auto wal = Make(sim, Config());
  ASSERT_TRUE(wal->Create("").ok());
  EXPECT_EQ(wal->SaveSnapshot(SnapshotRef{1, 1}).code(), Code::kNotSupported);
}

TEST(TdengineAdapter, GeneratedWorkloadsRunWithoutALiveFindingInBothModes) {
  WorkloadProfile profile;
  profile.engine = "tdengine";
  profile.ops = 60;
  for (const char* strict : {"off", "on"}) {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      Workload w = GenerateWorkload(seed, profile);
      w.options["strict"] = strict;
      WorkloadRunner runner(w, RunOptions{});
      ASSERT_TRUE(runner.Run().ok());
      EXPECT_FALSE(runner.live_violation().has_value())
          << "strict=" << strict << " seed " << seed << ": " << runner.live_violation()->message;
      EXPECT_FALSE(runner.failed_op().has_value()) << runner.failure().ToString();
    }
  }
}

// The default campaign on TDengine: its default behaviour loses acknowledged
// data (the README's findings), and the strict option leaves nothing.
TEST(TdengineAdapter, TheExplorerFindsTheDefaultBehaviourAndNothingUnderStrict) {
  for (const char* strict : {"off", "on"}) {
    Campaign c = DefaultCampaign(1, "", "tdengine");
    c.options.max_images_per_point = 16;
    c.options.samples_per_point = 2;
    c.options.max_reproducers_per_oracle = 0;
    for (Workload& w : c.workloads) w.options["strict"] = strict;
    ExploreReport report;
    for (const Workload& w : c.workloads) {
      auto r = Explore(w, c.options);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      report.findings += r->findings;
      for (const auto& [oracle, n] : r->findings_by_oracle) report.findings_by_oracle[oracle] += n;
    }
    if (std::string(strict) == "on") {
      EXPECT_EQ(report.findings, 0u);
    } else {
      EXPECT_GT(report.findings_by_oracle["durability"], 0u);
      EXPECT_GT(report.findings_by_oracle["write-after-recovery"], 0u);
    }
  }
}

}  // namespace
}  // namespace walcrash::harness
