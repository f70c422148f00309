// When Save syncs: etcd's MustSync rule (wal-spec.md §2 "Writing") and the
// TDengine-style levels of wal.h (kNoLog, kWrite, kFsync with a period), with
// the durable watermark durable() checked against SimVfs's strict crash image.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/etcd/wal.h"
#include "engine/etcd/wal_test_util.h"
#include "vfs/sim_vfs.h"

namespace walcrash::etcd {
namespace {

using namespace testing;  // NOLINT: the WAL test helpers

WalOptions Level(WalLevel level, std::chrono::milliseconds period = std::chrono::milliseconds(0),
                 bool background = false) {
  WalOptions o = Small();
  o.level = level;
  o.fsync_period = period;
  o.background_threads = background;
  return o;
}

// What a crash right now leaves: the entries and state ReadAll finds in the
// strict image (only synced data survives).
ReadResult Survivors(const vfs::SimVfs& vfs, const WalOptions& o) {
  auto image = Strict(vfs);
  if (!image) return {};
  auto r = MustOpenForRead(*image, {}, o);
  if (!r) return {};
  return MustReadAll(*r);
}

size_t WritesSince(const vfs::SimVfs& vfs, uint64_t seq) {
  return CountOps(TraceSince(vfs, seq), vfs::OpKind::kWrite);
}
size_t SyncsSince(const vfs::SimVfs& vfs, uint64_t seq) {
  auto t = TraceSince(vfs, seq);
  return CountOps(t, vfs::OpKind::kDataSync) + CountOps(t, vfs::OpKind::kSync);
}

TEST(WalLevelTest, NamesTheLevels) {
  EXPECT_EQ(WalLevelName(WalLevel::kNoLog), "nolog");
  EXPECT_EQ(WalLevelName(WalLevel::kWrite), "write");
  EXPECT_EQ(WalLevelName(WalLevel::kFsync), "fsync");
}

// --- kFsync, no period: etcd ------------------------------------------------------

TEST(WalMustSyncTest, ASaveWithEntriesSyncsAndMovesTheWatermarkToTheLastEntry) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->Save({}, Ents(1, 4)));
  EXPECT_EQ(SyncsSince(vfs, seq), 1u);
  EXPECT_EQ(w->durable().last_index, 4u);
  EXPECT_TRUE(PendingSegmentWrites(vfs).empty());
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 4));
}

TEST(WalMustSyncTest, ATermOrVoteChangeSyncsWithoutEntries) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  for (HardState hs : {HardState{1, 0, 0}, HardState{1, 2, 0}, HardState{2, 2, 0}}) {
    uint64_t seq = LastSeq(vfs);
    ASSERT_OK(w->Save(hs, {}));
    EXPECT_EQ(SyncsSince(vfs, seq), 1u) << hs.term << "/" << hs.vote;
    EXPECT_EQ(w->durable().state, hs);
    EXPECT_EQ(Survivors(vfs, o).state, hs);
  }
}

TEST(WalMustSyncTest, ACommitOnlyChangeNeitherSyncsNorWrites) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 0}, Ents(1, 2)));
  DurableMark before = w->durable();
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->Save(HardState{1, 1, 2}, {}));
  EXPECT_EQ(SyncsSince(vfs, seq), 0u);
  EXPECT_EQ(WritesSince(vfs, seq), 0u);  // it sits in the page buffer
  EXPECT_EQ(w->durable().syncs, before.syncs);
  EXPECT_EQ(w->durable().state, (HardState{1, 1, 0}));
  EXPECT_EQ(Survivors(vfs, o).state, (HardState{1, 1, 0}));
  // The next sync takes it along.
  ASSERT_OK(w->Save({}, One(3)));
  EXPECT_EQ(w->durable().state, (HardState{1, 1, 2}));
  EXPECT_EQ(Survivors(vfs, o).state, (HardState{1, 1, 2}));
}

TEST(WalMustSyncTest, SyncSyncsWhatTheBufferHolds) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 0}, One(1)));
  ASSERT_OK(w->Save(HardState{1, 1, 1}, {}));
  uint64_t syncs = w->durable().syncs;
  ASSERT_OK(w->Sync());
  EXPECT_EQ(w->durable().syncs, syncs + 1);
  EXPECT_EQ(w->durable().state, (HardState{1, 1, 1}));
  EXPECT_EQ(Survivors(vfs, o).state, (HardState{1, 1, 1}));
}

TEST(WalMustSyncTest, AFailedSyncFailsTheSaveAndTheWalStopsTakingWrites) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 0, 0}, One(1)));
  DurableMark before = w->durable();
  vfs.SetFaultPlan(Plan("datasync *.wal errno=EIO"));
  EXPECT_CODE(w->Save({}, One(2)), Code::kIOError);
  vfs.SetFaultPlan({});
  EXPECT_EQ(w->durable().last_index, before.last_index);
  EXPECT_FALSE(w->Save({}, One(3)).ok());  // no retry can make a dropped write durable (sim_vfs.h F1)
  EXPECT_FALSE(w->Sync().ok());
}

// --- kWrite -------------------------------------------------------------------------

TEST(WalWriteLevelTest, SaveWritesToTheFileButNeverSyncs) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kWrite);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  DurableMark before = w->durable();
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 3)));
  EXPECT_EQ(SyncsSince(vfs, seq), 0u);
  EXPECT_FALSE(PendingSegmentWrites(vfs).empty());
  EXPECT_EQ(w->durable().last_index, before.last_index);
  EXPECT_EQ(w->durable().syncs, before.syncs);
  EXPECT_TRUE(Survivors(vfs, o).entries.empty());
}

TEST(WalWriteLevelTest, SyncMakesItDurableAndMovesTheWatermark) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kWrite);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 3)));
  ASSERT_OK(w->Sync());
  EXPECT_TRUE(PendingSegmentWrites(vfs).empty());
  EXPECT_EQ(w->durable().last_index, 3u);
  EXPECT_EQ(w->durable().state, (HardState{1, 1, 1}));
  ReadResult r = Survivors(vfs, o);
  EXPECT_EQ(Indexes(r.entries), Range(1, 3));
  EXPECT_EQ(r.state, (HardState{1, 1, 1}));
}

// wal.h: at kWrite "Save writes to the file (page buffer flushed)" — also a
// Save that etcd's MustSync would not sync.
TEST(WalWriteLevelTest, ASaveWithoutMustSyncAlsoReachesTheFile) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kWrite);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 0}, One(1)));
  ASSERT_OK(w->Sync());
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, {}));  // commit only
  EXPECT_EQ(WritesSince(vfs, seq), 1u);
  EXPECT_EQ(SyncsSince(vfs, seq), 0u);
}

TEST(WalWriteLevelTest, SaveSnapshotAndCloseSync) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kWrite);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 2)));
  ASSERT_OK(w->SaveSnapshot(SnapshotRecord{}));
  EXPECT_EQ(w->durable().last_index, 2u);
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 2));
  ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(3, 4)));
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 2));
  ASSERT_OK(w->Close());
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 4));
}

TEST(WalWriteLevelTest, RunPeriodicSyncDoesNothingWithoutAPeriod) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kWrite);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 2)));
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->RunPeriodicSync());
  EXPECT_EQ(SyncsSince(vfs, seq), 0u);
  EXPECT_FALSE(PendingSegmentWrites(vfs).empty());
}

// --- kNoLog --------------------------------------------------------------------------

TEST(WalNoLogLevelTest, SaveAcknowledgesAndWritesNothing) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kNoLog);
  {
    auto w = MustCreate(vfs, "m", o);
    ASSERT_NE(w, nullptr);
    DurableMark before = w->durable();
    uint64_t seq = LastSeq(vfs);
    ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 5)));
    ASSERT_OK(w->SaveSnapshot(SnapshotRecord{3, 1, std::string("\x08\x01")}));
    ASSERT_OK(w->Sync());
    ASSERT_OK(w->RunPeriodicSync());
    EXPECT_EQ(WritesSince(vfs, seq), 0u);
    EXPECT_EQ(SyncsSince(vfs, seq), 0u);
    EXPECT_EQ(w->durable().last_index, before.last_index);
    EXPECT_EQ(w->durable().syncs, before.syncs);
    ASSERT_OK(w->Close());
  }
  ReadResult r;
  auto w = MustReopen(vfs, &r, o);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_TRUE(r.state.empty());
}

// --- kFsync with a period ---------------------------------------------------------------

TEST(WalPeriodicSyncTest, SaveWritesWithoutSyncingAndRunPeriodicSyncSyncs) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync, std::chrono::milliseconds(100));
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  DurableMark before = w->durable();
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 3)));
  EXPECT_EQ(SyncsSince(vfs, seq), 0u);
  EXPECT_FALSE(PendingSegmentWrites(vfs).empty());
  EXPECT_EQ(w->durable().last_index, before.last_index);
  EXPECT_TRUE(Survivors(vfs, o).entries.empty());

  ASSERT_OK(w->RunPeriodicSync());
  EXPECT_TRUE(PendingSegmentWrites(vfs).empty());
  EXPECT_EQ(w->durable().last_index, 3u);
  EXPECT_EQ(w->durable().state, (HardState{1, 1, 1}));
  EXPECT_EQ(w->durable().syncs, before.syncs + 1);
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 3));
}

TEST(WalPeriodicSyncTest, ATickWithNothingWrittenDoesNotSync) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync, std::chrono::milliseconds(100));
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 3)));
  ASSERT_OK(w->RunPeriodicSync());
  uint64_t syncs = w->durable().syncs;
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->RunPeriodicSync());
  EXPECT_EQ(SyncsSince(vfs, seq), 0u);
  EXPECT_EQ(w->durable().syncs, syncs);
}

// wal.h: with a period, "Save writes without syncing and a background thread
// syncs every P" — a commit-only hard state too, not only what MustSync covers.
TEST(WalPeriodicSyncTest, TheNextTickAlsoSyncsACommitOnlyHardState) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync, std::chrono::milliseconds(100));
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 0}, Ents(1, 3)));
  ASSERT_OK(w->RunPeriodicSync());
  ASSERT_OK(w->Save(HardState{1, 1, 3}, {}));
  ASSERT_OK(w->RunPeriodicSync());
  EXPECT_EQ(w->durable().state, (HardState{1, 1, 3}));
  EXPECT_EQ(Survivors(vfs, o).state, (HardState{1, 1, 3}));
}

TEST(WalPeriodicSyncTest, ACutStillSyncsAtOnce) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync, std::chrono::milliseconds(100));
  o.segment_size_bytes = 1024;
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 3)));  // cuts
  EXPECT_EQ(w->durable().last_index, 3u);
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 3));
}

TEST(WalPeriodicSyncTest, TheBackgroundSyncerMovesTheWatermarkByItself) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync, std::chrono::milliseconds(5), /*background=*/true);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  for (uint64_t i = 1; i <= 20; ++i) ASSERT_OK(w->Save(HardState{1, 1, i - 1}, One(i, "data")));
  EXPECT_TRUE(Eventually([&] { return w->durable().last_index == 20; }))
      << "durable stayed at " << w->durable().last_index;
  // What the syncer synced survives a crash.
  DurableMark d = w->durable();
  EXPECT_EQ(d.state, (HardState{1, 1, 19}));
  ReadResult r = Survivors(vfs, o);
  EXPECT_EQ(Indexes(r.entries), Range(1, 20));
  ASSERT_OK(w->Close());  // stops the syncer
}

TEST(WalPeriodicSyncTest, CloseStopsTheSyncerPromptly) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync, std::chrono::minutes(30), /*background=*/true);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, One(1)));
  auto start = std::chrono::steady_clock::now();
  ASSERT_OK(w->Close());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 1));  // Close synced
}

// --- SetSyncPolicy (TDengine's walAlter) ------------------------------------------

TEST(WalSetSyncPolicyTest, FromFsyncToWriteSavesStopSyncingAndTheWatermarkStays) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 0}, One(1, "a")));
  ASSERT_OK(w->SetSyncPolicy(WalLevel::kWrite, std::chrono::milliseconds(0)));
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, One(2, "b")));
  EXPECT_EQ(SyncsSince(vfs, seq), 0u);
  EXPECT_EQ(w->durable().last_index, 1u);
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 1));
  ASSERT_OK(w->Sync());
  EXPECT_EQ(w->durable().last_index, 2u);
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 2));
}

TEST(WalSetSyncPolicyTest, FromWriteBackToFsyncTheNextSaveSyncsEverything) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kWrite);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 0}, One(1, "a")));
  ASSERT_OK(w->SetSyncPolicy(WalLevel::kFsync, std::chrono::milliseconds(0)));
  EXPECT_EQ(w->durable().last_index, 0u);  // changing the policy syncs nothing
  ASSERT_OK(w->Save(HardState{1, 1, 1}, One(2, "b")));
  EXPECT_EQ(w->durable().last_index, 2u);
  EXPECT_EQ(Indexes(Survivors(vfs, o).entries), Range(1, 2));
}

TEST(WalSetSyncPolicyTest, TurningOnAPeriodStartsTheBackgroundSyncer) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync, std::chrono::milliseconds(0), /*background=*/true);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->SetSyncPolicy(WalLevel::kFsync, std::chrono::milliseconds(5)));
  ASSERT_OK(w->Save(HardState{1, 1, 0}, One(1, "a")));
  EXPECT_TRUE(Eventually([&] { return w->durable().last_index == 1; }));
  // And turning it off again leaves the syncer asleep until Close.
  ASSERT_OK(w->SetSyncPolicy(WalLevel::kWrite, std::chrono::milliseconds(0)));
  ASSERT_OK(w->Save(HardState{1, 1, 1}, One(2, "b")));
  EXPECT_EQ(w->durable().last_index, 1u);
  ASSERT_OK(w->Close());
}

TEST(WalSetSyncPolicyTest, ABadPeriodOrAClosedWalIsRefused) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m", Level(WalLevel::kFsync));
  ASSERT_NE(w, nullptr);
  EXPECT_CODE(w->SetSyncPolicy(WalLevel::kFsync, std::chrono::hours(2)), Code::kInvalidArgument);
  EXPECT_EQ(w->options().fsync_period.count(), 0);  // unchanged
  ASSERT_OK(w->Close());
  EXPECT_FALSE(w->SetSyncPolicy(WalLevel::kWrite, std::chrono::milliseconds(0)).ok());
}

TEST(WalDurableMarkTest, CarriesTheNewestSnapshotRecordWrittenOrRead) {
  vfs::SimVfs vfs;
  WalOptions o = Level(WalLevel::kFsync);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->durable().snapshot_index, 0u);
  ASSERT_OK(w->Save(HardState{1, 1, 3}, Ents(1, 4)));
  ASSERT_OK(w->SaveSnapshot(SnapshotRecord{3, 1, std::string("\x08\x01", 2)}));
  EXPECT_EQ(w->durable().snapshot_index, 3u);
  ASSERT_OK(w->Close());
  ReadResult read;
  auto again = MustReopen(vfs, &read, o);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->durable().snapshot_index, 3u);
  EXPECT_EQ(again->durable().last_index, 4u);
}

}  // namespace
}  // namespace walcrash::etcd
