// The TDengine 2.6 WAL (wal.h): opening, writing, renewing, the file id
// helpers, removing old files, Alter, and what is durable when — faithful,
// and with `strict`, checked against SimVfs's strict crash image.
#include "engine/tdengine/wal.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tdengine/tdengine_test_util.h"
#include "vfs/sim_vfs.h"

namespace walcrash::tdengine {
namespace {

using namespace testing;  // NOLINT: the TDengine test helpers

using Ids = std::optional<int64_t>;
std::vector<std::string> Files(vfs::Vfs& vfs) { return Names(vfs, kDir); }

Ids MustId(Result<std::optional<int64_t>> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Ids(-999);
}

// A WAL with options `o` over `sim`, in a /wal that was made durable first.
std::unique_ptr<Wal> OpenInDurableDir(SimWal& sim, const WalOptions& o) {
  DurableDir(sim.vfs);
  return sim.OpenWal(o);
}

// Writes version 1 ("one"), then version 2 ("two"), whose write to wal1 fails
// with EIO after 10 bytes.
void WriteOneThenFailTwoShort(vfs::SimVfs& vfs, Wal& w) {
  ASSERT_EQ(*w.Write(1, 1, "one"), WriteOutcome::kWritten);
  vfs.SetFaultPlan(Plan("write /wal/wal1 nth=1 effect=short-write short=10 errno=EIO"));
  EXPECT_CODE(w.Write(1, 2, "two"), Code::kIOError);
  vfs.SetFaultPlan({});
}

// Each suite but the enums' runs on a fresh SimVfs and manual FsyncService
// (SimWalTest); a test that loops over settings takes a fresh SimWal for each.

// --- names of the enums -------------------------------------------------------------

TEST(WalEnumTest, LevelsAndOutcomesHaveNames) {
  EXPECT_EQ(LevelName(Level::kNoLog), "nolog");
  EXPECT_EQ(LevelName(Level::kWrite), "write");
  EXPECT_EQ(LevelName(Level::kFsync), "fsync");
  EXPECT_EQ(WriteOutcomeName(WriteOutcome::kWritten), "written");
  EXPECT_NE(WriteOutcomeName(WriteOutcome::kIgnoredNoFile), WriteOutcomeName(WriteOutcome::kIgnoredNoLog));
  EXPECT_NE(WriteOutcomeName(WriteOutcome::kIgnoredStaleVersion), "?");
}

// --- Open ---------------------------------------------------------------------------

using WalOpenTest = SimWalTest;

TEST_F(WalOpenTest, OpenMakesTheDirectoryAndAnExistingOneIsFine) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(strict ? "strict" : "faithful");
    auto w = OpenWal(Options(service, strict));  // made the first time, there the second
    ASSERT_NE(w, nullptr);
    auto info = vfs.Stat(kDir);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->kind, vfs::FileKind::kDirectory);
    EXPECT_EQ(w->dir(), kDir);
    EXPECT_EQ(w->file_id(), -1);  // no file open yet
    EXPECT_TRUE(Files(vfs).empty());
  }
}

TEST_F(WalOpenTest, OpenTakesAFileInThePlaceOfTheDirectoryAsTDenginesMkdirDoesAndRenewFails) {
  // taosMkDir reads EEXIST as success, whatever the path holds.
  PutFile(vfs, kDir, "not a directory");
  auto w = OpenWal();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(service.registered(), 1u);
  EXPECT_FALSE(w->Renew().ok());
  EXPECT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kIgnoredNoFile);
  EXPECT_EQ(ReadFile(vfs, kDir), "not a directory");
  // Strict says what is there at once.
  WalOptions strict = Options(service);
  strict.strict = true;
  auto refused = Wal::Open(vfs, std::string(kDir), strict);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kNotDirectory);
  EXPECT_EQ(refused.status().path(), kDir);
}

TEST_F(WalOpenTest, OpenFailsWhenTheParentIsMissing) {
  EXPECT_FALSE(Wal::Open(vfs, "/no/such/wal", Options(service)).ok());
  EXPECT_EQ(service.registered(), 0u);
}

TEST_F(WalOpenTest, OpenRejectsOptionsOutsideTheirRanges) {
  WalOptions ok = Options(service);
  EXPECT_OK(ok.Validate());
  WalOptions o = ok;
  o.config.fsync_period_ms = -1;
  EXPECT_CODE(Wal::Open(vfs, "/a", o), Code::kInvalidArgument);
  o.config.fsync_period_ms = 3'600'001;
  EXPECT_CODE(Wal::Open(vfs, "/a", o), Code::kInvalidArgument);
  o.config.fsync_period_ms = 3'600'000;
  EXPECT_OK(o.Validate());
  o = ok;
  o.config.level = static_cast<Level>(3);
  EXPECT_CODE(Wal::Open(vfs, "/a", o), Code::kInvalidArgument);
  o = ok;
  o.old_files_to_keep = 0;
  EXPECT_CODE(Wal::Open(vfs, "/a", o), Code::kInvalidArgument);
  o.old_files_to_keep = 1001;
  EXPECT_CODE(Wal::Open(vfs, "/a", o), Code::kInvalidArgument);
  EXPECT_CODE(Wal::Open(vfs, "", ok), Code::kInvalidArgument);
  EXPECT_EQ(Names(vfs, "/"), std::vector<std::string>{});  // nothing was made
  EXPECT_EQ(service.registered(), 0u);
}

TEST_F(WalOpenTest, StrictOpenSyncsTheParentOfTheDirectoryItMadeAndFaithfulDoesNot) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(strict ? "strict" : "faithful");
    SimWal sim;
    auto w = sim.OpenWal(Options(sim.service, strict));
    ASSERT_NE(w, nullptr);
    auto image = Crash(sim.vfs);
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(*image->Exists(kDir), strict);
  }
}

// --- Write --------------------------------------------------------------------------

using WalWriteTest = SimWalTest;

TEST_F(WalWriteTest, AWriteWithNoFileOpenIsIgnoredAndWritesNothing) {
  auto w = OpenWal();
  ASSERT_NE(w, nullptr);
  uint64_t seq = LastSeq(vfs);
  auto r = w->Write(1, 1, "a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, WriteOutcome::kIgnoredNoFile);
  EXPECT_EQ(w->version(), 0u);
  EXPECT_TRUE(Files(vfs).empty());
  EXPECT_EQ(OpsSince(vfs, seq, vfs::OpKind::kWrite) + OpsSince(vfs, seq, vfs::OpKind::kAppend), 0u);
}

TEST_F(WalWriteTest, AWriteAtLevelNoLogIsIgnoredAndWritesNothing) {
  auto w = OpenRenewed(Options(service, false, Level::kNoLog));
  ASSERT_NE(w, nullptr);
  auto r = w->Write(1, 1, "a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, WriteOutcome::kIgnoredNoLog);
  EXPECT_EQ(w->version(), 0u);
  EXPECT_EQ(FileSize(vfs, WalPath(1)), 0u);
}

TEST_F(WalWriteTest, AWriteAtOrBelowTheCurrentVersionIsIgnoredAndWritesNothing) {
  auto w = OpenRenewed();
  ASSERT_NE(w, nullptr);
  // The version starts at 0, so version 0 itself is stale.
  EXPECT_EQ(*w->Write(1, 0, "zero"), WriteOutcome::kIgnoredStaleVersion);
  EXPECT_EQ(*w->Write(1, 5, "five"), WriteOutcome::kWritten);
  EXPECT_EQ(*w->Write(1, 5, "again"), WriteOutcome::kIgnoredStaleVersion);
  EXPECT_EQ(*w->Write(1, 3, "older"), WriteOutcome::kIgnoredStaleVersion);
  EXPECT_EQ(w->version(), 5u);
  EXPECT_EQ(Hex(ReadFile(vfs, WalPath(1))), Hex(Rec(5, "five")));
}

TEST_F(WalWriteTest, EachWriteAppendsItsEncodedRecordInOneWrite) {
  auto w = OpenRenewed();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->file_id(), 1);
  uint64_t seq = LastSeq(vfs);
  EXPECT_EQ(*w->Write(3, 1, "first"), WriteOutcome::kWritten);
  EXPECT_EQ(OpsSince(vfs, seq, vfs::OpKind::kWrite, WalPath(1)), 1u);
  EXPECT_EQ(*w->Write(-4, 7, ""), WriteOutcome::kWritten);
  EXPECT_EQ(*w->Write(5, 8, "third"), WriteOutcome::kWritten);
  EXPECT_EQ(OpsSince(vfs, seq, vfs::OpKind::kWrite, WalPath(1)), 3u);
  EXPECT_EQ(OpsSince(vfs, seq, vfs::OpKind::kSync), 0u);  // Write never syncs; the vnode calls Fsync
  EXPECT_EQ(Hex(ReadFile(vfs, WalPath(1))), Hex(Rec(1, "first", 3) + Rec(7, "", -4) + Rec(8, "third", 5)));
  EXPECT_EQ(w->version(), 8u);
}

TEST_F(WalWriteTest, FaithfulWritesABodyOverTheLimitThatRestoreThenRejects) {
  const std::string big(kMaxBodyBytes + 1, 'x');
  {
    auto w = OpenRenewed();
    ASSERT_NE(w, nullptr);
    ASSERT_EQ(*w->Write(1, 1, "small"), WriteOutcome::kWritten);
    auto r = w->Write(1, 2, big);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, WriteOutcome::kWritten);
    EXPECT_EQ(w->version(), 2u);
    EXPECT_EQ(FileSize(vfs, WalPath(1)), Rec(1, "small").size() + kHeadBytes + big.size());
  }
  // The acknowledged record does not come back.
  EXPECT_EQ(RestoredVersions(vfs), std::vector<uint64_t>{1});
}

TEST_F(WalWriteTest, StrictRejectsABodyOverTheLimitAndWritesNothing) {
  auto w = OpenRenewed(Options(service, true));
  ASSERT_NE(w, nullptr);
  EXPECT_CODE(w->Write(1, 1, std::string(kMaxBodyBytes + 1, 'x')), Code::kInvalidArgument);
  EXPECT_EQ(w->version(), 0u);
  EXPECT_EQ(FileSize(vfs, WalPath(1)), 0u);
  // The limit itself fits, and restores.
  EXPECT_EQ(*w->Write(1, 1, std::string(kMaxBodyBytes, 'y')), WriteOutcome::kWritten);
  ASSERT_OK(w->Close());
  EXPECT_EQ(RestoredVersions(vfs, true), std::vector<uint64_t>{1});
}

TEST_F(WalWriteTest, FaithfulLeavesAFailedWritesPartialRecordAndWritesTheNextOneBehindIt) {
  auto w = OpenRenewed();
  ASSERT_NE(w, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteOneThenFailTwoShort(vfs, *w));
  EXPECT_EQ(w->version(), 1u);
  EXPECT_EQ(FileSize(vfs, WalPath(1)), Rec(1, "one").size() + 10);  // the partial record stays
  ASSERT_EQ(*w->Write(1, 3, "three"), WriteOutcome::kWritten);
  EXPECT_EQ(Hex(ReadFile(vfs, WalPath(1))), Hex(Rec(1, "one") + Rec(2, "two").substr(0, 10) + Rec(3, "three")));
}

TEST_F(WalWriteTest, StrictCutsAFailedWriteOffTheFile) {
  auto w = OpenRenewed(Options(service, true));
  ASSERT_NE(w, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteOneThenFailTwoShort(vfs, *w));
  EXPECT_EQ(w->version(), 1u);
  EXPECT_EQ(FileSize(vfs, WalPath(1)), Rec(1, "one").size());  // cut at once, not only overwritten later
  ASSERT_EQ(*w->Write(1, 3, "three"), WriteOutcome::kWritten);
  EXPECT_EQ(Hex(ReadFile(vfs, WalPath(1))), Hex(Rec(1, "one") + Rec(3, "three")));
}

// --- Renew and the file ids ------------------------------------------------------

using WalFileIdTest = SimWalTest;
using WalRenewTest = SimWalTest;

TEST_F(WalRenewTest, RenewCreatesWal1InAnEmptyDirectoryThenMaxPlusOne) {
  auto w = OpenRenewed();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->file_id(), 1);
  EXPECT_EQ(Files(vfs), std::vector<std::string>{"wal1"});
  ASSERT_OK(w->Renew());
  EXPECT_EQ(w->file_id(), 2);
  PutFile(vfs, WalPath(7), "");  // the max, not the current file, decides
  ASSERT_OK(w->Renew());
  EXPECT_EQ(w->file_id(), 8);
  EXPECT_EQ(Files(vfs), (std::vector<std::string>{"wal1", "wal2", "wal7", "wal8"}));
}

TEST_F(WalRenewTest, RenewWritesTheNewFileFromItsStartAndLeavesTheOldOneAsItIs) {
  auto w = OpenRenewed();
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
  ASSERT_OK(w->Renew());
  ASSERT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
  EXPECT_EQ(ReadFile(vfs, WalPath(1)), Rec(1, "a"));
  EXPECT_EQ(ReadFile(vfs, WalPath(2)), Rec(2, "b"));
}

TEST_F(WalRenewTest, RenewWithKeepUsesWal0) {
  WalOptions o = Options(service);
  o.keep = true;
  auto w = OpenWal(o);
  ASSERT_NE(w, nullptr);
  PutFile(vfs, WalPath(4), "");
  ASSERT_OK(w->Renew());
  EXPECT_EQ(w->file_id(), 0);
  EXPECT_EQ(Files(vfs), (std::vector<std::string>{"wal0", "wal4"}));
}

TEST_F(WalRenewTest, FaithfulRenewReadsNamesLikeTDengine) {
  ASSERT_OK(vfs.Mkdir(kDir));
  PutFile(vfs, vfs::JoinPath(kDir, "wal12x"), "");
  {
    auto w = OpenRenewed();
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->file_id(), 13);
  }
  {
    auto w = OpenRenewed(Options(service, true));
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->file_id(), 14);  // "wal12x" is no WAL file to strict; wal13 is
  }
}

TEST_F(WalFileIdTest, NextOldAndNewestFileFollowTDenginesHelpers) {
  ASSERT_OK(vfs.Mkdir(kDir));
  for (const char* name : {"wal1", "wal2", "wal5", "wal3x", "foo"}) PutFile(vfs, vfs::JoinPath(kDir, name), "");
  auto faithful = OpenWal();
  auto strict = OpenWal(Options(service, true));
  ASSERT_NE(faithful, nullptr);
  ASSERT_NE(strict, nullptr);
  // Faithful ids {1, 2, 3 ("wal3x"), 5}; strict {1, 2, 5}.
  for (Wal* w : {faithful.get(), strict.get()}) {
    SCOPED_TRACE(w->options().strict ? "strict" : "faithful");
    EXPECT_EQ(MustId(w->NewestFile()), Ids(5));
    EXPECT_EQ(MustId(w->NextFile(-1)), Ids(1));
    EXPECT_EQ(MustId(w->NextFile(1)), Ids(2));
    EXPECT_EQ(MustId(w->NextFile(5)), Ids());
    EXPECT_EQ(MustId(w->OldFile(5, 1)), Ids(1));
    EXPECT_EQ(MustId(w->OldFile(2, 1)), Ids(1));
    EXPECT_EQ(MustId(w->OldFile(1, 1)), Ids());  // nothing below
    EXPECT_EQ(MustId(w->OldFile(5, 4)), Ids());  // not enough below
  }
  EXPECT_EQ(MustId(faithful->NextFile(2)), Ids(3));
  EXPECT_EQ(MustId(strict->NextFile(2)), Ids(5));
  EXPECT_EQ(MustId(faithful->OldFile(5, 3)), Ids(1));  // three below 5
  EXPECT_EQ(MustId(strict->OldFile(5, 3)), Ids());     // two below 5
  EXPECT_EQ(MustId(strict->OldFile(5, 2)), Ids(1));
}

TEST_F(WalFileIdTest, AnEmptyDirectoryHasNoFiles) {
  auto w = OpenWal();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(MustId(w->NewestFile()), Ids());
  EXPECT_EQ(MustId(w->NextFile(-1)), Ids());
  EXPECT_EQ(MustId(w->OldFile(10, 1)), Ids());
}

TEST_F(WalFileIdTest, AnUnreadableDirectoryIsEmptyToFaithfulAndAnErrorToStrict) {
  auto faithful = OpenWal();
  auto strict = OpenWal(Options(service, true));
  ASSERT_NE(faithful, nullptr);
  ASSERT_NE(strict, nullptr);
  ASSERT_OK(vfs.Rmdir(kDir));
  EXPECT_EQ(MustId(faithful->NewestFile()), Ids());
  EXPECT_EQ(MustId(faithful->NextFile(-1)), Ids());
  EXPECT_CODE(strict->NewestFile(), Code::kNotFound);
  EXPECT_CODE(strict->NextFile(-1), Code::kNotFound);
  EXPECT_CODE(strict->OldFile(3, 1), Code::kNotFound);
}

// --- removing old files -----------------------------------------------------------

using WalRemoveTest = SimWalTest;

TEST_F(WalRemoveTest, RemoveOneOldFileRemovesTheOldestFileBelowTheCurrentOne) {
  auto w = OpenWal();
  ASSERT_NE(w, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_OK(w->Renew());
  ASSERT_EQ(w->file_id(), 3);
  ASSERT_OK(w->RemoveOneOldFile());
  EXPECT_EQ(Files(vfs), (std::vector<std::string>{"wal2", "wal3"}));
  ASSERT_OK(w->RemoveOneOldFile());
  EXPECT_EQ(Files(vfs), (std::vector<std::string>{"wal3"}));
  ASSERT_OK(w->RemoveOneOldFile());  // nothing below the current file
  EXPECT_EQ(Files(vfs), (std::vector<std::string>{"wal3"}));
}

TEST_F(WalRemoveTest, RemoveOneOldFileNeedsOldFilesToKeepFilesBelowTheCurrentOne) {
  WalOptions o = Options(service);
  o.old_files_to_keep = 2;
  auto w = OpenWal(o);
  ASSERT_NE(w, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_OK(w->Renew());
  ASSERT_OK(w->RemoveOneOldFile());  // two below: the oldest goes
  EXPECT_EQ(Files(vfs), (std::vector<std::string>{"wal2", "wal3"}));
  ASSERT_OK(w->RemoveOneOldFile());  // one below: not enough
  EXPECT_EQ(Files(vfs), (std::vector<std::string>{"wal2", "wal3"}));
}

TEST_F(WalRemoveTest, RemoveOneOldFileDoesNothingWithoutAnOpenFileOrWithKeep) {
  ASSERT_OK(vfs.Mkdir(kDir));
  for (const char* name : {"wal-5", "wal-4", "wal1", "wal2"}) PutFile(vfs, vfs::JoinPath(kDir, name), "");
  const std::vector<std::string> all = Files(vfs);
  {
    auto w = OpenWal();  // no file open
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->RemoveOneOldFile());
    EXPECT_EQ(Files(vfs), all);
  }
  {
    WalOptions o = Options(service);
    o.keep = true;
    auto w = OpenWal(o);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Renew());  // wal0: wal-5 and wal-4 are below it
    ASSERT_OK(w->RemoveOneOldFile());
    EXPECT_EQ(vfs.Exists(WalPath(-5)).value(), true);
  }
  {
    // Without keep, the same directory loses wal-5 (the oldest below the current wal3).
    auto w = OpenRenewed();
    ASSERT_NE(w, nullptr);
    ASSERT_EQ(w->file_id(), 3);
    ASSERT_OK(w->RemoveOneOldFile());
    EXPECT_EQ(vfs.Exists(WalPath(-5)).value(), false);
  }
}

TEST_F(WalRemoveTest, RemoveAllOldFilesRemovesEveryWalFileAndClosesTheCurrentOne) {
  auto w = OpenWal();
  ASSERT_NE(w, nullptr);
  PutFile(vfs, vfs::JoinPath(kDir, "foo"), "");
  for (int i = 0; i < 3; ++i) ASSERT_OK(w->Renew());
  ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
  ASSERT_OK(w->RemoveAllOldFiles());
  EXPECT_EQ(Files(vfs), std::vector<std::string>{"foo"});
  EXPECT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kIgnoredNoFile);
  ASSERT_OK(w->Renew());
  EXPECT_EQ(w->file_id(), 1);
}

// --- Alter --------------------------------------------------------------------------

using WalAlterTest = SimWalTest;

TEST_F(WalAlterTest, AlterChangesTheLevelAtRunTime) {
  auto w = OpenRenewed();
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Alter(WalConfig{Level::kNoLog, 0}));
  EXPECT_EQ(w->config(), (WalConfig{Level::kNoLog, 0}));
  EXPECT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kIgnoredNoLog);
  ASSERT_OK(w->Alter(WalConfig{Level::kWrite, 0}));
  EXPECT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
  ASSERT_OK(w->Fsync(false));
  EXPECT_EQ(w->synced_version(), 0u);  // level write: no sync
  ASSERT_OK(w->Alter(WalConfig{Level::kFsync, 0}));
  ASSERT_OK(w->Fsync(false));
  EXPECT_EQ(w->synced_version(), 1u);
  ASSERT_OK(w->Alter(WalConfig{Level::kFsync, 2000}));
  EXPECT_EQ(w->config().fsync_period_ms, 2000);
  ASSERT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
  ASSERT_OK(w->Fsync(false));
  EXPECT_EQ(w->synced_version(), 1u);  // a period leaves it to the service
}

TEST_F(WalAlterTest, AlterRejectsAConfigOutsideItsRangesAndKeepsTheOldOne) {
  auto w = OpenWal(Options(service, false, Level::kWrite, 5));
  ASSERT_NE(w, nullptr);
  EXPECT_CODE(w->Alter(WalConfig{Level::kFsync, -1}), Code::kInvalidArgument);
  EXPECT_CODE(w->Alter(WalConfig{Level::kFsync, 3'600'001}), Code::kInvalidArgument);
  EXPECT_CODE(w->Alter(WalConfig{static_cast<Level>(7), 0}), Code::kInvalidArgument);
  EXPECT_EQ(w->config(), (WalConfig{Level::kWrite, 5}));
}

// --- Fsync and the synced watermark ----------------------------------------------

using WalFsyncTest = SimWalTest;

TEST_F(WalFsyncTest, FsyncWithoutForceSyncsOnlyAtLevelFsyncWithPeriodZero) {
  struct Case {
    Level level;
    int32_t period;
    bool syncs;
  };
  for (Case c : {Case{Level::kFsync, 0, true}, Case{Level::kFsync, 3000, false}, Case{Level::kWrite, 0, false},
                 Case{Level::kNoLog, 0, false}}) {
    SCOPED_TRACE(std::string(LevelName(c.level)) + " " + std::to_string(c.period));
    SimWal sim;
    auto w = sim.OpenRenewed(Options(sim.service, false, c.level, c.period));
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Write(1, 1, "a").status());
    uint64_t seq = LastSeq(sim.vfs);
    ASSERT_OK(w->Fsync(false));
    EXPECT_EQ(OpsSince(sim.vfs, seq, vfs::OpKind::kSync, WalPath(1)), c.syncs ? 1u : 0u);
    EXPECT_EQ(w->synced_version(), c.syncs && c.level != Level::kNoLog ? 1u : 0u);
  }
}

TEST_F(WalFsyncTest, ForcedFsyncAlwaysSyncsAndMovesTheWatermark) {
  for (Level level : {Level::kFsync, Level::kWrite}) {
    SCOPED_TRACE(LevelName(level));
    SimWal sim;
    auto w = OpenInDurableDir(sim, Options(sim.service, false, level, 3000));
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Renew());
    SyncDir(sim.vfs, kDir);
    ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
    ASSERT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
    ASSERT_OK(w->Fsync(false));
    EXPECT_EQ(w->synced_version(), 0u);
    EXPECT_EQ(RestoredVersions(*Crash(sim.vfs)), std::vector<uint64_t>{});
    ASSERT_OK(w->Fsync(true));
    EXPECT_EQ(w->synced_version(), 2u);
    EXPECT_EQ(RestoredVersions(*Crash(sim.vfs)), (std::vector<uint64_t>{1, 2}));
  }
}

TEST_F(WalFsyncTest, FsyncWithNoFileOpenDoesNothing) {
  auto w = OpenWal();
  ASSERT_NE(w, nullptr);
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->Fsync(true));
  EXPECT_EQ(OpsSince(vfs, seq, vfs::OpKind::kSync), 0u);
}

TEST_F(WalFsyncTest, FaithfulDropsAnFsyncErrorAndMovesTheWatermarkAnyway) {
  DurableDir(vfs);
  auto w = OpenRenewed();
  ASSERT_NE(w, nullptr);
  SyncDir(vfs, kDir);
  ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
  vfs.SetFaultPlan(Plan("sync /wal/wal1 nth=1 errno=EIO"));
  EXPECT_OK(w->Fsync(false));
  EXPECT_EQ(w->dropped_errors(), 1u);
  EXPECT_EQ(w->synced_version(), 1u);
  // The watermark claims a record the disk does not have (sim_vfs.h F1).
  EXPECT_EQ(RestoredVersions(*Crash(vfs)), std::vector<uint64_t>{});
  // And the WAL carries on.
  EXPECT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
  EXPECT_OK(w->Fsync(true));
  EXPECT_EQ(w->synced_version(), 2u);
}

TEST_F(WalFsyncTest, StrictReturnsAnFsyncErrorKeepsTheWatermarkAndRefusesLaterWrites) {
  auto w = OpenRenewed(Options(service, true));
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
  vfs.SetFaultPlan(Plan("sync /wal/wal1 nth=1 errno=EIO"));
  EXPECT_CODE(w->Fsync(false), Code::kIOError);
  vfs.SetFaultPlan({});
  EXPECT_EQ(w->dropped_errors(), 0u);
  EXPECT_EQ(w->synced_version(), 0u);
  EXPECT_CODE(w->Write(1, 2, "b"), Code::kIOError);
  EXPECT_CODE(w->Fsync(true), Code::kIOError);  // no later sync can bring it back
  EXPECT_CODE(w->Renew(), Code::kIOError);
  EXPECT_EQ(w->synced_version(), 0u);
  EXPECT_EQ(w->version(), 1u);
}

TEST_F(WalFsyncTest, CloseDoesNotSync) {
  DurableDir(vfs);
  auto w = OpenRenewed(Options(service, true));
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->Close());
  EXPECT_EQ(OpsSince(vfs, seq, vfs::OpKind::kSync), 0u);
  EXPECT_EQ(RestoredVersions(*Crash(vfs), true), std::vector<uint64_t>{});
}

// --- Renew and durability ---------------------------------------------------------

TEST(WalRenewDurabilityTest, FaithfulRenewDoesNotSyncTheOldFileAndStrictDoes) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(strict ? "strict" : "faithful");
    SimWal sim;
    auto w = OpenInDurableDir(sim, Options(sim.service, strict));
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Renew());
    ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
    ASSERT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
    ASSERT_OK(w->Renew());
    EXPECT_EQ(w->synced_version(), strict ? 2u : 0u);
    SyncDir(sim.vfs, kDir);  // both names durable: only the file data is in question
    ASSERT_EQ(*w->Write(1, 3, "c"), WriteOutcome::kWritten);
    ASSERT_OK(w->Fsync(false));
    EXPECT_EQ(w->synced_version(), 3u);  // in both: faithfully, over records it never synced
    auto image = Crash(sim.vfs);
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(RestoredVersions(*image, strict), strict ? (std::vector<uint64_t>{1, 2, 3}) : std::vector<uint64_t>{3});
  }
}

TEST(WalRenewDurabilityTest, StrictRenewSyncsTheDirectorySoTheNewFileSurvivesACrash) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(strict ? "strict" : "faithful");
    SimWal sim;
    auto w = OpenInDurableDir(sim, Options(sim.service, strict));
    ASSERT_NE(w, nullptr);
    uint64_t seq = LastSeq(sim.vfs);
    ASSERT_OK(w->Renew());
    EXPECT_EQ(OpsSince(sim.vfs, seq, vfs::OpKind::kDirSync, kDir), strict ? 1u : 0u);
    ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
    ASSERT_OK(w->Fsync(false));
    EXPECT_EQ(w->synced_version(), 1u);
    auto image = Crash(sim.vfs);
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(*image->Exists(WalPath(1)), strict);
    EXPECT_EQ(RestoredVersions(*image, strict), strict ? std::vector<uint64_t>{1} : std::vector<uint64_t>{});
  }
}

// --- keep ---------------------------------------------------------------------------

using WalKeepTest = SimWalTest;

TEST_F(WalKeepTest, KeepModeAfterRestoreAppendsToWal0) {
  WalOptions o = Options(service);
  o.keep = true;
  {
    auto w = OpenWal(o);
    ASSERT_NE(w, nullptr);
    EXPECT_TRUE(MustRestore(*w).empty());  // no files: Restore renews wal0
    EXPECT_EQ(w->file_id(), 0);
    ASSERT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kWritten);
    ASSERT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kWritten);
    ASSERT_OK(w->Close());
  }
  {
    auto w = OpenWal(o);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(Versions(MustRestore(*w)), (std::vector<uint64_t>{1, 2}));
    EXPECT_EQ(w->file_id(), 0);
    EXPECT_EQ(w->version(), 2u);
    ASSERT_EQ(*w->Write(1, 3, "c"), WriteOutcome::kWritten);
    ASSERT_OK(w->Close());
  }
  EXPECT_EQ(Files(vfs), std::vector<std::string>{"wal0"});
  EXPECT_EQ(Hex(ReadFile(vfs, WalPath(0))), Hex(Rec(1, "a") + Rec(2, "b") + Rec(3, "c")));
}

TEST_F(WalKeepTest, WithoutKeepRestoreOpensNoFile) {
  ASSERT_OK(vfs.Mkdir(kDir));
  PutFile(vfs, WalPath(0), Rec(1, "a"));
  auto w = OpenWal();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Versions(MustRestore(*w)), std::vector<uint64_t>{1});
  EXPECT_EQ(w->file_id(), -1);
  EXPECT_EQ(*w->Write(1, 2, "b"), WriteOutcome::kIgnoredNoFile);
}

TEST_F(WalKeepTest, FaithfulKeepAppendsBehindAShortBodyThatStrictTruncates) {
  const std::string r1 = Rec(1, "first");
  const std::string partial = Rec(2, "second-record").substr(0, kHeadBytes + 6);
  for (bool strict : {false, true}) {
    SCOPED_TRACE(strict ? "strict" : "faithful");
    SimWal sim;
    ASSERT_OK(sim.vfs.Mkdir(kDir));
    PutFile(sim.vfs, WalPath(0), r1 + partial);
    WalOptions o = Options(sim.service, strict);
    o.keep = true;
    auto w = sim.OpenWal(o);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(Versions(MustRestore(*w)), std::vector<uint64_t>{1});
    ASSERT_EQ(*w->Write(1, 2, "again"), WriteOutcome::kWritten);
    EXPECT_EQ(Hex(ReadFile(sim.vfs, WalPath(0))), Hex(strict ? r1 + Rec(2, "again") : r1 + partial + Rec(2, "again")));
  }
}

// --- Close --------------------------------------------------------------------------

using WalCloseTest = SimWalTest;

TEST_F(WalCloseTest, AClosedWalRefusesRenewAndRestoreAndIgnoresWrites) {
  auto w = OpenRenewed();
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Close());
  ASSERT_OK(w->Close());  // twice is fine
  EXPECT_CODE(w->Renew(), Code::kInvalidArgument);
  EXPECT_CODE(w->Restore([](const RestoredRecord&) {}), Code::kInvalidArgument);
  EXPECT_EQ(*w->Write(1, 1, "a"), WriteOutcome::kIgnoredNoFile);
}

TEST_F(WalKeepTest, StrictCutsAFailedAppendBackToTheEndOfWhatWasThereBeforeIt) {
  // After Restore, keep appends to wal0 (O_APPEND): the cut of a failed
  // append must keep the records that were already in the file.
  WalOptions o = Options(service, true);
  o.keep = true;
  {
    auto w = OpenWal(o);
    ASSERT_NE(w, nullptr);
    MustRestore(*w);
    ASSERT_EQ(*w->Write(1, 1, "one"), WriteOutcome::kWritten);
    ASSERT_OK(w->Close());
  }
  auto w = OpenWal(o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Versions(MustRestore(*w)), std::vector<uint64_t>{1});
  vfs.SetFaultPlan(Plan("append /wal/wal0 nth=1 effect=short-write short=10 errno=EIO"));
  EXPECT_CODE(w->Write(1, 2, "two"), Code::kIOError);
  vfs.SetFaultPlan({});
  EXPECT_EQ(Hex(ReadFile(vfs, WalPath(0))), Hex(Rec(1, "one")));
  ASSERT_EQ(*w->Write(1, 3, "three"), WriteOutcome::kWritten);
  EXPECT_EQ(Hex(ReadFile(vfs, WalPath(0))), Hex(Rec(1, "one") + Rec(3, "three")));
}

TEST_F(WalRenewTest, StrictRefusesToRenewPastTheLastFileIdAndFaithfulWrapsLikeTDengine) {
  auto strict = OpenWal(Options(service, true));
  ASSERT_NE(strict, nullptr);
  PutFile(vfs, WalPath(INT64_MAX), "");
  Status refused = strict->Renew();
  EXPECT_EQ(refused.code(), Code::kInvalidArgument) << refused.ToString();
  EXPECT_EQ(refused.path(), WalPath(INT64_MAX));
  EXPECT_EQ(*strict->Write(1, 1, "a"), WriteOutcome::kIgnoredNoFile);
  ASSERT_OK(strict->Close());
  auto faithful = OpenWal(Options(service));
  ASSERT_NE(faithful, nullptr);
  ASSERT_OK(faithful->Renew());
  EXPECT_EQ(faithful->file_id(), INT64_MIN);  // walGetNewFile's max + 1, wrapped
}

TEST_F(WalKeepTest, FaithfulRewritesWal0FromItsStartAfterATornTailAndStrictAppends) {
  // A torn head at the tail: the scan finds nothing, walRestoreWalFile
  // returns "corrupted", walRestore counts no file and, with keep, walRenew
  // opens wal0 without O_APPEND: the next record overwrites the first.
  for (bool strict : {false, true}) {
    SCOPED_TRACE(strict ? "strict" : "faithful");
    SimWal sim;
    WalOptions o = Options(sim.service, strict);
    o.keep = true;
    ASSERT_TRUE(sim.vfs.Mkdir(kDir).ok());
    PutFile(sim.vfs, WalPath(0), Rec(1, "one") + Rec(2, "two") + std::string(kHeadBytes, '\0'));
    auto w = sim.OpenWal(o);
    ASSERT_NE(w, nullptr);
    RestoreReport report;
    EXPECT_EQ(Versions(MustRestore(*w, &report)), (std::vector<uint64_t>{1, 2}));
    EXPECT_EQ(report.files, strict ? 1u : 0u);
    ASSERT_EQ(*w->Write(1, 3, "333"), WriteOutcome::kWritten);
    ASSERT_OK(w->Close());
    // Records 1 and 3 are the same size: faithful's record 3 lies exactly over record 1.
    const std::string expected = strict ? Rec(1, "one") + Rec(2, "two") + Rec(3, "333") : Rec(3, "333") + Rec(2, "two");
    EXPECT_EQ(Hex(ReadFile(sim.vfs, WalPath(0))), Hex(expected));
  }
}

}  // namespace
}  // namespace walcrash::tdengine
