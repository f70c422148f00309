// The background fsync of TDengine 2.x's WAL (fsync_service.h): which WALs
// a round syncs and how often, in manual mode round by round and in thread
// mode for real; and what a round's fsync error does, faithful and strict.
#include "engine/tdengine/fsync_service.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tdengine/tdengine_test_util.h"
#include "vfs/sim_vfs.h"

namespace walcrash::tdengine {
namespace {

using namespace testing;  // NOLINT: the TDengine test helpers

// A fresh SimVfs and manual FsyncService per test; the thread-mode tests make
// their own service, and the loops a fresh SimWal for each setting.
using FsyncServiceTest = SimWalTest;

// A WAL in its own directory with one record written, ready for rounds.
std::unique_ptr<Wal> WalWithRecord(vfs::SimVfs& vfs, FsyncService& service, std::string_view dir, Level level,
                                   int32_t period, bool strict = false) {
  auto w = MustOpen(vfs, Options(service, strict, level, period), dir);
  if (!w) return nullptr;
  EXPECT_OK(w->Renew());
  auto r = w->Write(1, 1, "a");
  EXPECT_TRUE(r.ok() && *r == WriteOutcome::kWritten);
  return w;
}

// The round numbers (1-based) of `rounds` rounds in which `w` got synced.
std::vector<int> SyncedRounds(vfs::SimVfs& vfs, FsyncService& service, Wal& w, int rounds) {
  std::vector<int> out;
  const std::string path = vfs::JoinPath(w.dir(), FileName(w.file_id()));
  for (int i = 1; i <= rounds; ++i) {
    uint64_t seq = LastSeq(vfs);
    service.RunOnce();
    if (OpsSince(vfs, seq, vfs::OpKind::kSync, path) > 0) out.push_back(i);
  }
  return out;
}

TEST_F(FsyncServiceTest, RunOnceAdvancesTheSequence) {
  EXPECT_EQ(service.seq(), 0);
  service.RunOnce();
  service.RunOnce();
  EXPECT_EQ(service.seq(), 2);
  EXPECT_EQ(service.registered(), 0u);
}

TEST_F(FsyncServiceTest, APeriodOf3000MsSyncsEveryThirdRound) {
  auto w = WalWithRecord(vfs, service, kDir, Level::kFsync, 3000);
  ASSERT_NE(w, nullptr);
  service.RunOnce();
  service.RunOnce();
  EXPECT_EQ(w->synced_version(), 0u);
  service.RunOnce();
  EXPECT_EQ(w->synced_version(), 1u);
  ASSERT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
  service.RunOnce();
  service.RunOnce();
  EXPECT_EQ(w->synced_version(), 1u);
  service.RunOnce();
  EXPECT_EQ(w->synced_version(), 2u);
  EXPECT_EQ(SyncedRounds(vfs, service, *w, 9), (std::vector<int>{3, 6, 9}));  // rounds 7..15: seq 9, 12, 15
}

TEST_F(FsyncServiceTest, APeriodUnderTwoSecondsSyncsEveryRound) {
  for (int32_t period : {1, 10, 999, 1000, 1999}) {
    SCOPED_TRACE(period);
    SimWal sim;
    auto w = WalWithRecord(sim.vfs, sim.service, kDir, Level::kFsync, period);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(SyncedRounds(sim.vfs, sim.service, *w, 3), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(w->synced_version(), 1u);
  }
}

TEST_F(FsyncServiceTest, RoundsLeaveAWalWithPeriodZeroOrALevelBelowFsyncAlone) {
  struct Case {
    Level level;
    int32_t period;
  };
  for (Case c : {Case{Level::kFsync, 0}, Case{Level::kWrite, 1000}, Case{Level::kNoLog, 1000}}) {
    SCOPED_TRACE(std::string(LevelName(c.level)) + " " + std::to_string(c.period));
    SimWal sim;
    auto w = sim.OpenRenewed(Options(sim.service, false, c.level, c.period));
    ASSERT_NE(w, nullptr);
    w->Write(1, 1, "a").IgnoreError();
    EXPECT_EQ(SyncedRounds(sim.vfs, sim.service, *w, 4), std::vector<int>{});
    EXPECT_EQ(w->synced_version(), 0u);
  }
}

TEST_F(FsyncServiceTest, ARoundSkipsAWalWithNoFileOpen) {
  auto w = OpenWal(Options(service, false, Level::kFsync, 1000));
  ASSERT_NE(w, nullptr);
  uint64_t seq = LastSeq(vfs);
  service.RunOnce();
  EXPECT_EQ(OpsSince(vfs, seq, vfs::OpKind::kSync), 0u);
}

TEST_F(FsyncServiceTest, TwoWalsOnOneServiceAreEachSyncedOnTheirOwnPeriod) {
  auto fast = WalWithRecord(vfs, service, "/fast", Level::kFsync, 1000);
  auto slow = WalWithRecord(vfs, service, "/slow", Level::kFsync, 2000);
  ASSERT_NE(fast, nullptr);
  ASSERT_NE(slow, nullptr);
  EXPECT_EQ(service.registered(), 2u);
  service.RunOnce();
  EXPECT_EQ(fast->synced_version(), 1u);
  EXPECT_EQ(slow->synced_version(), 0u);
  service.RunOnce();
  EXPECT_EQ(slow->synced_version(), 1u);
  ASSERT_EQ(*fast->Write(1, 2, "b"), WriteOutcome::kWritten);
  ASSERT_EQ(*slow->Write(1, 2, "b"), WriteOutcome::kWritten);
  service.RunOnce();  // seq 3
  EXPECT_EQ(fast->synced_version(), 2u);
  EXPECT_EQ(slow->synced_version(), 1u);
}

TEST_F(FsyncServiceTest, AlterChangesThePeriodTheRoundsUse) {
  auto w = WalWithRecord(vfs, service, kDir, Level::kFsync, 0);
  ASSERT_NE(w, nullptr);
  service.RunOnce();
  EXPECT_EQ(w->synced_version(), 0u);
  ASSERT_OK(w->Alter(WalConfig{Level::kFsync, 1000}));
  service.RunOnce();
  EXPECT_EQ(w->synced_version(), 1u);
  ASSERT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
  ASSERT_OK(w->Alter(WalConfig{Level::kWrite, 1000}));
  service.RunOnce();
  EXPECT_EQ(w->synced_version(), 1u);
}

TEST_F(FsyncServiceTest, CloseUnregistersTheWal) {
  auto a = OpenWal(Options(service), "/a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(service.registered(), 1u);
  {
    auto b = OpenWal(Options(service), "/b");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(service.registered(), 2u);
  }  // the destructor closes
  ASSERT_EQ(service.registered(), 1u);  // ASSERT: a round over a destroyed WAL would be UB
  ASSERT_OK(a->Close());
  ASSERT_EQ(service.registered(), 0u);
  ASSERT_OK(a->Close());
  EXPECT_EQ(service.registered(), 0u);
  service.RunOnce();  // nothing left to sync
}

TEST_F(FsyncServiceTest, FaithfulDropsAnFsyncErrorOfARound) {
  auto w = WalWithRecord(vfs, service, kDir, Level::kFsync, 1000);
  ASSERT_NE(w, nullptr);
  vfs.SetFaultPlan(Plan("sync /wal/wal1 nth=1 errno=EIO"));
  service.RunOnce();
  EXPECT_EQ(w->dropped_errors(), 1u);
  EXPECT_EQ(w->synced_version(), 1u);
  EXPECT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
  service.RunOnce();
  EXPECT_EQ(w->synced_version(), 2u);
}

TEST_F(FsyncServiceTest, StrictKeepsAnFsyncErrorOfARoundAndRefusesLaterWrites) {
  auto w = WalWithRecord(vfs, service, kDir, Level::kFsync, 1000, true);
  ASSERT_NE(w, nullptr);
  vfs.SetFaultPlan(Plan("sync /wal/wal1 nth=1 errno=EIO"));
  service.RunOnce();
  EXPECT_EQ(w->dropped_errors(), 0u);
  EXPECT_EQ(w->synced_version(), 0u);
  EXPECT_CODE(w->Write(1, 2, "b"), Code::kIOError);
  EXPECT_CODE(w->Fsync(true), Code::kIOError);
  uint64_t seq = LastSeq(vfs);
  service.RunOnce();  // a poisoned WAL is not synced again
  EXPECT_EQ(OpsSince(vfs, seq, vfs::OpKind::kSync), 0u);
  EXPECT_EQ(w->synced_version(), 0u);
}

TEST_F(FsyncServiceTest, ThreadModeSyncsInTheBackground) {
  DurableDir(vfs);
  FsyncService threaded(FsyncService::Mode::kThread, std::chrono::milliseconds(5));
  auto w = OpenRenewed(Options(threaded, true, Level::kFsync, 10));
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
  EXPECT_TRUE(Eventually([&] { return w->synced_version() == 1; })) << "synced " << w->synced_version();
  ASSERT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
  EXPECT_TRUE(Eventually([&] { return w->synced_version() == 2; })) << "synced " << w->synced_version();
  EXPECT_GE(threaded.seq(), 2);
  // Nobody called Fsync: the thread's rounds made both records durable.
  ASSERT_OK(w->Close());
  EXPECT_EQ(RestoredVersions(*Crash(vfs), true), (std::vector<uint64_t>{1, 2}));
}

TEST_F(FsyncServiceTest, ThreadModeLeavesAWalWithoutAPeriodAlone) {
  FsyncService threaded(FsyncService::Mode::kThread, std::chrono::milliseconds(1));
  auto w = OpenRenewed(Options(threaded, false, Level::kFsync, 0));
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
  // Wait for rounds to pass, not for time.
  ASSERT_TRUE(Eventually([&] { return threaded.seq() >= 5; }));
  EXPECT_EQ(w->synced_version(), 0u);
}

TEST_F(FsyncServiceTest, ThreadModeStopsWhenDestroyed) {
  auto threaded = std::make_unique<FsyncService>(FsyncService::Mode::kThread, std::chrono::hours(1));
  auto start = std::chrono::steady_clock::now();
  threaded.reset();  // must not wait out the hour
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

}  // namespace
}  // namespace walcrash::tdengine
