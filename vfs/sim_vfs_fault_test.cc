// SimVfs faults: FaultPlan effects (F2), Linux fsync-failure semantics (F1),
// capacity (F3), one test per fault kind.
#include <cerrno>

#include <gtest/gtest.h>

#include "vfs/sim_vfs.h"
#include "vfs/vfs_test_util.h"

namespace walcrash::vfs {
namespace {

using testing::Contents;
using testing::MustOpen;
using testing::Names;
using testing::Plan;
using testing::StrictImage;
using testing::SyncDir;
using testing::WriteDurably;

TEST(SimVfsFaultTest, TheNthPreallocateOfATmpFileFailsWithENOSPCAndChangesNothing) {
  SimVfs vfs;
  vfs.SetFaultPlan(Plan("preallocate *.tmp nth=3 errno=ENOSPC"));
  auto tmp = MustOpen(vfs, "/0.tmp", kWrite | kCreate);
  auto wal = MustOpen(vfs, "/0.wal", kWrite | kCreate);
  ASSERT_OK(wal->Preallocate(0, 100, PreallocateMode::kExtend));  // not a .tmp: not counted
  ASSERT_OK(tmp->Preallocate(0, 100, PreallocateMode::kExtend));
  ASSERT_OK(tmp->Preallocate(0, 200, PreallocateMode::kExtend));
  Status third = tmp->Preallocate(0, 300, PreallocateMode::kExtend);
  EXPECT_EQ(third.code(), Code::kNoSpace);
  EXPECT_EQ(third.error_number(), ENOSPC);
  EXPECT_EQ(third.path(), "/0.tmp");
  EXPECT_EQ(*tmp->Size(), 200u);
  EXPECT_OK(tmp->Preallocate(0, 300, PreallocateMode::kExtend));  // nth fires once
  EXPECT_EQ(vfs.fault_plan().fired(0), 1u);
}

TEST(SimVfsFaultTest, PreallocateCanFailAsNotSupported) {
  SimVfs vfs;
  vfs.SetFaultPlan(Plan("preallocate * errno=EOPNOTSUPP"));
  auto f = MustOpen(vfs, "/a", kWrite | kCreate);
  EXPECT_CODE(f->Preallocate(0, 4096, PreallocateMode::kKeepSize), Code::kNotSupported);
}

TEST(SimVfsFaultTest, AFailedWriteHasNoEffect) {
  SimVfs vfs;
  WriteDurably(vfs, "/a", "base");
  vfs.SetFaultPlan(Plan("append /a errno=EIO"));
  auto f = MustOpen(vfs, "/a", kWrite);
  Status s = f->Append(AsBytes("more"));
  EXPECT_EQ(s.code(), Code::kIOError);
  EXPECT_EQ(s.error_number(), EIO);
  EXPECT_EQ(Contents(vfs, "/a"), "base");
  EXPECT_TRUE(vfs.PendingOperations().empty());
}

TEST(SimVfsFaultTest, AShortWriteStoresAPrefixThenFails) {
  SimVfs vfs;
  WriteDurably(vfs, "/a", "");
  vfs.SetFaultPlan(Plan("write /a effect=short-write short=3 errno=ENOSPC"));
  auto f = MustOpen(vfs, "/a", kWrite);
  EXPECT_CODE(f->WriteAt(0, AsBytes("abcdefgh")), Code::kNoSpace);
  EXPECT_EQ(Contents(vfs, "/a"), "abc");
  // The stored prefix is an ordinary pending write: a crash may keep it.
  ASSERT_EQ(vfs.PendingOperations().size(), 1u);
  EXPECT_EQ(vfs.PendingOperations()[0].detail, "@0+3");
}

TEST(SimVfsFaultTest, AShortWriteWithoutALengthStoresHalf) {
  SimVfs vfs;
  vfs.SetFaultPlan(Plan("append * effect=short-write"));
  auto f = MustOpen(vfs, "/a", kWrite | kCreate);
  EXPECT_CODE(f->Append(AsBytes("abcdefgh")), Code::kIOError);
  EXPECT_EQ(Contents(vfs, "/a"), "abcd");
}

TEST(SimVfsFaultTest, ErrorAfterEffectTakesEffectThenReportsTheError) {
  SimVfs vfs;
  WriteDurably(vfs, "/a.tmp", "x");
  vfs.SetFaultPlan(Plan("rename * effect=after errno=EIO"));
  EXPECT_CODE(vfs.Rename("/a.tmp", "/a"), Code::kIOError);
  EXPECT_EQ(Names(vfs, "/"), std::vector<std::string>{"a"});
  vfs.SetFaultPlan(Plan("dirsync * effect=after"));
  auto dir = vfs.OpenDirectory("/");
  EXPECT_CODE((*dir)->Sync(), Code::kIOError);
  EXPECT_EQ(Names(*StrictImage(vfs), "/"), std::vector<std::string>{"a"});  // it was made durable
}

// Found by fuzz_crash_schedule: the handle of an open that failed after its
// effect was closed while SimVfs held its own mutex, which deadlocked.
TEST(SimVfsFaultTest, AnOpenThatFailsAfterItsEffectCreatesTheFileAndHandsOutNoHandle) {
  SimVfs vfs;
  vfs.SetFaultPlan(Plan("open * effect=after errno=EIO"));
  EXPECT_CODE(vfs.Open("/a", kWrite | kCreate).status(), Code::kIOError);
  vfs.SetFaultPlan(Plan("opendir * effect=after errno=EIO"));
  EXPECT_CODE(vfs.OpenDirectory("/").status(), Code::kIOError);
  vfs.SetFaultPlan(FaultPlan());
  EXPECT_EQ(Names(vfs, "/"), std::vector<std::string>{"a"});
  // No handle was left open: the file can be unlinked and its inode freed,
  // and an exclusive lock is free.
  auto file = MustOpen(vfs, "/a", kWrite);
  EXPECT_TRUE(file->TryLock().ok());
  EXPECT_TRUE(vfs.Unlink("/a").ok());
}

TEST(SimVfsFaultTest, AFailedRenameLeavesBothNamesAsTheyWere) {
  SimVfs vfs;
  WriteDurably(vfs, "/a.tmp", "x");
  vfs.SetFaultPlan(Plan("rename *.tmp errno=EIO"));
  EXPECT_CODE(vfs.Rename("/a.tmp", "/a"), Code::kIOError);
  EXPECT_EQ(Names(vfs, "/"), std::vector<std::string>{"a.tmp"});
}

TEST(SimVfsFaultTest, OpenCreateAndLockCanFail) {
  SimVfs vfs;
  vfs.SetFaultPlan(Plan("open *.wal errno=EACCES\nlock * errno=EWOULDBLOCK"));
  EXPECT_CODE(vfs.Open("/x.wal", kWrite | kCreate), Code::kPermissionDenied);
  EXPECT_FALSE(*vfs.Exists("/x.wal"));
  auto f = MustOpen(vfs, "/x.lock", kWrite | kCreate);
  EXPECT_CODE(f->TryLock(), Code::kLocked);
}

// --- F1: fsync failure, Linux semantics ------------------------------------------

TEST(SimVfsFsyncFailureTest, AFailedSyncDropsTheUnsyncedDataForGood) {
  SimVfs vfs;
  WriteDurably(vfs, "/log", "durable;");
  auto f = MustOpen(vfs, "/log", kRead | kWrite);
  ASSERT_OK(f->Append(AsBytes("lost;")));
  vfs.SetFaultPlan(Plan("sync /log nth=1 errno=EIO"));
  Status s = f->Sync();
  EXPECT_EQ(s.code(), Code::kIOError);
  EXPECT_EQ(s.error_number(), EIO);
  // The process still reads it (pages marked clean, not invalidated)...
  EXPECT_EQ(Contents(vfs, "/log"), "durable;lost;");
  // ...the error is reported once: the next sync succeeds without it.
  ASSERT_OK(f->Append(AsBytes("later;")));
  ASSERT_OK(f->Sync());
  std::string on_disk = Contents(*StrictImage(vfs), "/log");
  EXPECT_EQ(on_disk, std::string("durable;") + std::string(5, '\0') + "later;");
  // No crash image of any model brings the dropped data back.
  for (const auto& spec : vfs.EnumerateCrashImages({.model = PersistenceModel::kSubset})) {
    EXPECT_EQ(Contents(*vfs.CrashImage(spec).value(), "/log").find("lost"), std::string::npos)
        << spec.ToString();
  }
  EXPECT_NE(vfs.TraceText().find("dropped 1 unsynced operations"), std::string::npos);
}

// A sync of many pending bytes shares the live bytes with the durable state
// (SimVfs::State::SyncFile); after a failed sync dropped data, the live bytes
// are no longer what is durable, and a later large sync must not bring the
// dropped data back.
TEST(SimVfsFsyncFailureTest, DroppedDataStaysLostThroughALaterLargeSync) {
  SimVfs vfs;
  WriteDurably(vfs, "/log", "durable;");
  auto f = MustOpen(vfs, "/log", kRead | kWrite);
  ASSERT_OK(f->Append(AsBytes(std::string(100 * 1024, 'L'))));
  vfs.SetFaultPlan(Plan("sync /log nth=1 errno=EIO"));
  EXPECT_CODE(f->Sync(), Code::kIOError);
  const std::string later(200 * 1024, 'K');
  ASSERT_OK(f->Append(AsBytes(later)));
  ASSERT_OK(f->Sync());
  EXPECT_EQ(Contents(*StrictImage(vfs), "/log"), "durable;" + std::string(100 * 1024, '\0') + later);
}

TEST(SimVfsCrashTest, ALargeSyncMakesDurableExactlyWhatTheFileHolds) {
  SimVfs vfs;
  WriteDurably(vfs, "/log", "head;");
  auto f = MustOpen(vfs, "/log", kRead | kWrite);
  std::string expected = "head;";
  // Writes, an overwrite, a truncate and an extension, all pending at once.
  for (int i = 0; i < 40; ++i) {
    const std::string chunk(4096, static_cast<char>('a' + i % 26));
    ASSERT_OK(f->Append(AsBytes(chunk)));
    expected += chunk;
  }
  ASSERT_OK(f->WriteAt(100, AsBytes("overwritten")));
  expected.replace(100, 11, "overwritten");
  ASSERT_OK(f->Truncate(150000));
  expected.resize(150000);
  ASSERT_OK(f->Preallocate(0, 200000, PreallocateMode::kExtend));
  expected.resize(200000, '\0');
  ASSERT_OK(f->Sync());
  EXPECT_TRUE(vfs.PendingOperations().empty());
  EXPECT_EQ(Contents(*StrictImage(vfs), "/log"), expected);
  // And the live file and the durable one stay independent afterwards.
  ASSERT_OK(f->WriteAt(0, AsBytes("HEAD")));
  EXPECT_EQ(Contents(*StrictImage(vfs), "/log"), expected);
}

TEST(SimVfsFsyncFailureTest, ADataSyncFailureDropsTheSameWay) {
  SimVfs vfs;
  WriteDurably(vfs, "/log", "");
  auto f = MustOpen(vfs, "/log", kWrite);
  ASSERT_OK(f->Append(AsBytes("x")));
  vfs.SetFaultPlan(Plan("datasync * errno=EIO nth=1"));
  EXPECT_CODE(f->DataSync(), Code::kIOError);
  EXPECT_TRUE(vfs.PendingOperations().empty());
  ASSERT_OK(f->DataSync());
  EXPECT_EQ(Contents(*StrictImage(vfs), "/log"), "");
}

TEST(SimVfsFsyncFailureTest, AFailedSyncOfOneFileKeepsOtherFilesPending) {
  SimVfs vfs;
  WriteDurably(vfs, "/a", "");
  WriteDurably(vfs, "/b", "");
  auto a = MustOpen(vfs, "/a", kWrite);
  auto b = MustOpen(vfs, "/b", kWrite);
  ASSERT_OK(a->Append(AsBytes("A")));
  ASSERT_OK(b->Append(AsBytes("B")));
  vfs.SetFaultPlan(Plan("sync /a errno=EIO"));
  EXPECT_CODE(a->Sync(), Code::kIOError);
  ASSERT_OK(b->Sync());
  EXPECT_EQ(Contents(*StrictImage(vfs), "/b"), "B");
}

TEST(SimVfsFsyncFailureTest, AFailedDirectorySyncMakesNothingDurableAndDropsNothing) {
  SimVfs vfs;
  auto f = MustOpen(vfs, "/new", kWrite | kCreate);
  vfs.SetFaultPlan(Plan("dirsync / nth=1"));
  auto dir = vfs.OpenDirectory("/");
  EXPECT_CODE((*dir)->Sync(), Code::kIOError);
  EXPECT_FALSE(*StrictImage(vfs)->Exists("/new"));
  ASSERT_OK((*dir)->Sync());
  EXPECT_TRUE(*StrictImage(vfs)->Exists("/new"));
}

// --- probabilistic rules ------------------------------------------------------------

TEST(SimVfsFaultTest, ProbabilisticRulesAreReplayableFromTheirSeed) {
  auto run = [](uint64_t seed) {
    SimVfs vfs;
    FaultRule rule = FaultRule::Parse("append * errno=EIO").value();
    rule.probability = 0.3;
    rule.seed = seed;
    vfs.SetFaultPlan(FaultPlan({rule}));
    auto f = MustOpen(vfs, "/a", kWrite | kCreate);
    std::string pattern;
    for (int i = 0; i < 64; ++i) pattern += f->Append(AsBytes("x")).ok() ? '.' : 'X';
    return pattern;
  };
  std::string a = run(42);
  EXPECT_EQ(a, run(42));
  EXPECT_NE(a, run(43));
  EXPECT_NE(a.find('X'), std::string::npos);
  EXPECT_NE(a.find('.'), std::string::npos);
}

// --- F3: capacity ---------------------------------------------------------------------

TEST(SimVfsCapacityTest, AWriteThatDoesNotFitStoresWhatFitsThenFailsWithNoSpace) {
  SimVfs vfs(SimVfsOptions{.capacity_bytes = 10});
  auto f = MustOpen(vfs, "/a", kWrite | kCreate);
  ASSERT_OK(f->Append(AsBytes("123456")));
  Status s = f->Append(AsBytes("789abc"));
  EXPECT_EQ(s.code(), Code::kNoSpace);
  EXPECT_EQ(s.error_number(), ENOSPC);
  EXPECT_EQ(Contents(vfs, "/a"), "123456789a");
  EXPECT_EQ(vfs.used_bytes(), 10u);
  EXPECT_CODE(f->Append(AsBytes("x")), Code::kNoSpace);
}

TEST(SimVfsCapacityTest, PreallocatedSpaceAlwaysTakesWrites) {
  SimVfs vfs(SimVfsOptions{.capacity_bytes = 100});
  auto f = MustOpen(vfs, "/a", kWrite | kCreate);
  ASSERT_OK(f->Preallocate(0, 80, PreallocateMode::kKeepSize));
  auto g = MustOpen(vfs, "/b", kWrite | kCreate);
  EXPECT_CODE(g->Preallocate(0, 40, PreallocateMode::kKeepSize), Code::kNoSpace);
  ASSERT_OK(g->Append(AsBytes(std::string(20, 'g'))));
  EXPECT_CODE(g->Append(AsBytes("!")), Code::kNoSpace);
  EXPECT_OK(f->Append(AsBytes(std::string(80, 'f'))));  // into its reserved space
}

TEST(SimVfsCapacityTest, UnlinkingAClosedFileFreesItsSpace) {
  SimVfs vfs(SimVfsOptions{.capacity_bytes = 10});
  auto f = MustOpen(vfs, "/a", kWrite | kCreate);
  ASSERT_OK(f->Append(AsBytes(std::string(10, 'a'))));
  ASSERT_OK(vfs.Unlink("/a"));
  EXPECT_EQ(vfs.used_bytes(), 10u);  // still open
  ASSERT_OK(f->Close());
  EXPECT_EQ(vfs.used_bytes(), 0u);
  auto g = MustOpen(vfs, "/b", kWrite | kCreate);
  EXPECT_OK(g->Append(AsBytes(std::string(10, 'b'))));
}

TEST(SimVfsCapacityTest, ATruncateThatDoesNotFitFailsAndChangesNothing) {
  SimVfs vfs(SimVfsOptions{.capacity_bytes = 10});
  auto f = MustOpen(vfs, "/a", kWrite | kCreate);
  EXPECT_CODE(f->Truncate(11), Code::kNoSpace);
  EXPECT_EQ(*f->Size(), 0u);
  EXPECT_OK(f->Truncate(10));
}

TEST(SimVfsLimitsTest, OffsetsPastTheMaximumFileSizeFailWithEFBIG) {
  SimVfs vfs(SimVfsOptions{.max_file_size = 1u << 20});
  auto f = MustOpen(vfs, "/a", kWrite | kCreate);
  Status s = f->WriteAt(1u << 20, AsBytes("x"));
  EXPECT_EQ(s.error_number(), EFBIG);
  EXPECT_EQ(*f->Size(), 0u);
}

}  // namespace
}  // namespace walcrash::vfs
