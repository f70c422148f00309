// SimVfs: what the process sees, and the durability rules D1–D5 of sim_vfs.h.
#include "vfs/sim_vfs.h"

#include <thread>

#include <gtest/gtest.h>

#include "vfs/vfs_test_util.h"

namespace walcrash::vfs {
namespace {

using testing::Contents;
using testing::MustOpen;
using testing::Names;
using testing::StrictImage;
using testing::SyncDir;
using testing::WriteDurably;

class SimVfsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(vfs_.Mkdir("/d")); SyncDir(vfs_, "/"); }
  SimVfs vfs_;
};

// --- what the process sees ---------------------------------------------------

TEST_F(SimVfsTest, WritesAreVisibleAtOnceWithoutSync) {
  auto f = MustOpen(vfs_, "/d/a", kRead | kWrite | kCreate);
  ASSERT_OK(f->Append(AsBytes("hello")));
  ASSERT_OK(f->WriteAt(10, AsBytes("x")));
  EXPECT_EQ(Contents(vfs_, "/d/a"), std::string("hello\0\0\0\0\0x", 11));
  std::string buf(4, '?');
  auto n = f->ReadAt(3, {reinterpret_cast<std::byte*>(buf.data()), buf.size()});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(buf, std::string("lo\0\0", 4));
  EXPECT_EQ(*f->ReadAt(11, {reinterpret_cast<std::byte*>(buf.data()), buf.size()}), 0u);
}

TEST_F(SimVfsTest, SequentialReadAdvancesTheCursor) {
  WriteDurably(vfs_, "/d/a", "abcdef");
  auto f = MustOpen(vfs_, "/d/a", kRead);
  std::string buf(4, '?');
  EXPECT_EQ(*f->Read({reinterpret_cast<std::byte*>(buf.data()), 4}), 4u);
  EXPECT_EQ(buf, "abcd");
  EXPECT_EQ(*f->Read({reinterpret_cast<std::byte*>(buf.data()), 4}), 2u);
  EXPECT_EQ(buf.substr(0, 2), "ef");
  EXPECT_EQ(*f->Read({reinterpret_cast<std::byte*>(buf.data()), 4}), 0u);
}

TEST_F(SimVfsTest, OpenFlagsFollowPosix) {
  EXPECT_CODE(vfs_.Open("/d/none", kRead), Code::kNotFound);
  EXPECT_CODE(vfs_.Open("/missing/a", kWrite | kCreate), Code::kNotFound);
  WriteDurably(vfs_, "/d/a", "abc");
  EXPECT_CODE(vfs_.Open("/d/a", kWrite | kCreate | kExclusive), Code::kExists);
  EXPECT_CODE(vfs_.Open("/d/a/b", kRead), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Open("/d", kRead), Code::kIsDirectory);
  EXPECT_CODE(vfs_.Open("/d/a", kRead | kTruncate), Code::kInvalidArgument);
  EXPECT_CODE(vfs_.Open("/d/a", OpenFlags{}), Code::kInvalidArgument);
  auto t = MustOpen(vfs_, "/d/a", kWrite | kTruncate);
  EXPECT_EQ(*t->Size(), 0u);
  auto ap = MustOpen(vfs_, "/d/a", kWrite | kAppend);
  ASSERT_OK(ap->Append(AsBytes("xy")));
  EXPECT_CODE(ap->WriteAt(0, AsBytes("z")), Code::kInvalidArgument);
  auto ro = MustOpen(vfs_, "/d/a", kRead);
  EXPECT_CODE(ro->Append(AsBytes("z")), Code::kInvalidArgument);
  auto wo = MustOpen(vfs_, "/d/a", kWrite);
  std::byte b[1];
  EXPECT_CODE(wo->ReadAt(0, b), Code::kInvalidArgument);
}

TEST_F(SimVfsTest, NamespaceOperationsFollowPosix) {
  WriteDurably(vfs_, "/d/a", "1");
  ASSERT_OK(vfs_.Mkdir("/d/sub"));
  EXPECT_CODE(vfs_.Mkdir("/d/sub"), Code::kExists);
  EXPECT_CODE(vfs_.Unlink("/d/sub"), Code::kIsDirectory);
  EXPECT_CODE(vfs_.Unlink("/d/none"), Code::kNotFound);
  EXPECT_CODE(vfs_.Rmdir("/d/a"), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Rmdir("/d"), Code::kNotEmpty);
  EXPECT_CODE(vfs_.Rename("/d/a", "/d/sub"), Code::kIsDirectory);
  EXPECT_CODE(vfs_.Rename("/d/sub", "/d/a"), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Rename("/d", "/d/sub/x"), Code::kInvalidArgument);
  EXPECT_CODE(vfs_.Rename("/d/none", "/d/b"), Code::kNotFound);
  EXPECT_CODE(vfs_.List("/d/a"), Code::kNotDirectory);
  EXPECT_EQ(Names(vfs_, "/d"), (std::vector<std::string>{"a", "sub"}));
  EXPECT_OK(vfs_.Rename("/d/a", "/d/a"));  // itself: nothing happens
  ASSERT_OK(vfs_.Rename("/d/a", "/d/sub/b"));
  EXPECT_EQ(Names(vfs_, "/d/sub"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(*vfs_.Stat("/d/sub/b"), (FileInfo{1, FileKind::kRegular}));
  EXPECT_EQ(*vfs_.Stat("/d/sub"), (FileInfo{0, FileKind::kDirectory}));
  EXPECT_FALSE(*vfs_.Exists("/d/a"));
  EXPECT_FALSE(*vfs_.Exists("/d/sub/b/c"));
  ASSERT_OK(vfs_.RemoveAll("/d"));
  EXPECT_FALSE(*vfs_.Exists("/d"));
  EXPECT_OK(vfs_.RemoveAll("/d"));
}

TEST_F(SimVfsTest, PathsResolveLexicallyFromTheRoot) {
  WriteDurably(vfs_, "/d/a", "x");
  EXPECT_EQ(Contents(vfs_, "d/a"), "x");
  EXPECT_EQ(Contents(vfs_, "/d/./sub/../a"), "x");
  EXPECT_EQ(Contents(vfs_, "//d//a"), "x");
  EXPECT_CODE(vfs_.Stat(""), Code::kNotFound);
  EXPECT_CODE(vfs_.Stat(std::string(300, 'n')), Code::kInvalidArgument);
}

// Found by fuzz_vfs_differential (fuzz/corpus: "trailing slashes on files"):
// SimVfs used to drop a trailing slash, so "a/" opened, stat'ed, unlinked and
// renamed the file "a". Linux takes "name/" as a request for a directory;
// posix_vfs_test.cc pins the same table on the real filesystem.
TEST_F(SimVfsTest, ATrailingSlashAsksForADirectoryAsOnLinux) {
  WriteDurably(vfs_, "/d/a", "x");
  EXPECT_CODE(vfs_.Stat("/d/a/"), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Open("/d/a/", kRead), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Unlink("/d/a/"), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Rmdir("/d/a/"), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Rename("/d/a/", "/d/b"), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Rename("/d/a", "/d/b/"), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Rename("/d/a", "/d/a/"), Code::kNotDirectory);
  EXPECT_CODE(vfs_.Rename("/d/none/", "/d/b"), Code::kNotFound);
  // mkdir finds the name taken; a create is refused whatever the name holds.
  EXPECT_CODE(vfs_.Mkdir("/d/a/"), Code::kExists);
  EXPECT_CODE(vfs_.Open("/d/a/", kWrite | kCreate), Code::kIsDirectory);
  EXPECT_CODE(vfs_.Open("/d/a/", kWrite | kCreate | kExclusive), Code::kIsDirectory);
  EXPECT_CODE(vfs_.Open("/d/new/", kWrite | kCreate), Code::kIsDirectory);
  EXPECT_CODE(vfs_.Unlink("/d/new/"), Code::kNotFound);
  EXPECT_EQ(Names(vfs_, "/d"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Contents(vfs_, "/d/a"), "x");
  // A directory may carry the slash.
  ASSERT_OK(vfs_.Mkdir("/d/sub/"));
  EXPECT_EQ(*vfs_.Stat("/d/sub/"), (FileInfo{0, FileKind::kDirectory}));
  EXPECT_CODE(vfs_.Open("/d/sub/", kRead), Code::kIsDirectory);
  EXPECT_CODE(vfs_.Unlink("/d/sub/"), Code::kIsDirectory);
  ASSERT_OK(vfs_.Rename("/d/sub/", "/d/moved/"));
  ASSERT_OK(vfs_.Rmdir("/d/moved/"));
  EXPECT_EQ(Names(vfs_, "/d"), (std::vector<std::string>{"a"}));
}

TEST_F(SimVfsTest, AnUnlinkedFileStaysUsableThroughItsHandle) {
  auto f = MustOpen(vfs_, "/d/a", kRead | kWrite | kCreate);
  ASSERT_OK(vfs_.Unlink("/d/a"));
  ASSERT_OK(f->Append(AsBytes("still here")));
  EXPECT_EQ(*f->Size(), 10u);
  EXPECT_FALSE(*vfs_.Exists("/d/a"));
  ASSERT_OK(f->Close());
}

TEST_F(SimVfsTest, ClosedHandlesRefuseEveryCall) {
  auto f = MustOpen(vfs_, "/d/a", kRead | kWrite | kCreate);
  ASSERT_OK(f->Close());
  EXPECT_CODE(f->Append(AsBytes("x")), Code::kInvalidArgument);
  EXPECT_CODE(f->Sync(), Code::kInvalidArgument);
  EXPECT_CODE(f->Size(), Code::kInvalidArgument);
  EXPECT_CODE(f->Close(), Code::kInvalidArgument);
}

TEST_F(SimVfsTest, TruncateAndExtendingPreallocateReadAsZeros) {
  auto f = MustOpen(vfs_, "/d/a", kRead | kWrite | kCreate);
  ASSERT_OK(f->Append(AsBytes("abcdef")));
  ASSERT_OK(f->Truncate(3));
  ASSERT_OK(f->Truncate(5));
  EXPECT_EQ(Contents(vfs_, "/d/a"), std::string("abc\0\0", 5));
  ASSERT_OK(f->Preallocate(0, 100, PreallocateMode::kKeepSize));
  EXPECT_EQ(*f->Size(), 5u);
  ASSERT_OK(f->Preallocate(0, 8, PreallocateMode::kExtend));
  EXPECT_EQ(*f->Size(), 8u);
  EXPECT_CODE(f->Preallocate(0, 0, PreallocateMode::kExtend), Code::kInvalidArgument);
}

// --- locks ---------------------------------------------------------------------

TEST_F(SimVfsTest, TryLockConflictsBetweenHandlesAndCloseReleases) {
  auto a = MustOpen(vfs_, "/d/lock", kWrite | kCreate);
  auto b = MustOpen(vfs_, "/d/lock", kWrite);
  ASSERT_OK(a->TryLock());
  EXPECT_OK(a->TryLock());  // the holder may take it again
  EXPECT_CODE(b->TryLock(), Code::kLocked);
  ASSERT_OK(a->Close());
  EXPECT_OK(b->TryLock());
  EXPECT_CODE(vfs_.OpenLocked("/d/lock", kWrite, Vfs::LockWait::kTry), Code::kLocked);
  ASSERT_OK(b->Unlock());
  auto c = vfs_.OpenLocked("/d/lock", kWrite, Vfs::LockWait::kTry);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST_F(SimVfsTest, LockWaitsForTheHolderToUnlock) {
  auto a = MustOpen(vfs_, "/d/lock", kWrite | kCreate);
  auto b = MustOpen(vfs_, "/d/lock", kWrite);
  ASSERT_OK(a->Lock());
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    EXPECT_OK(b->Lock());
    acquired = true;
  });
  // The waiter cannot get it while `a` holds it: ask it the direct way.
  auto probe = MustOpen(vfs_, "/d/lock", kWrite);
  EXPECT_CODE(probe->TryLock(), Code::kLocked);
  EXPECT_FALSE(acquired.load());
  ASSERT_OK(a->Unlock());
  waiter.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_CODE(probe->TryLock(), Code::kLocked);  // now b holds it
}

// --- D1: file sync makes data and size durable ---------------------------------

TEST_F(SimVfsTest, UnsyncedWritesAreNotDurable) {
  WriteDurably(vfs_, "/d/a", "synced");
  auto f = MustOpen(vfs_, "/d/a", kWrite);
  ASSERT_OK(f->Append(AsBytes("+unsynced")));
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/a"), "synced");
}

TEST_F(SimVfsTest, SyncMakesDataAndSizeDurable) {
  WriteDurably(vfs_, "/d/a", "one");
  auto f = MustOpen(vfs_, "/d/a", kWrite);
  ASSERT_OK(f->Append(AsBytes("two")));
  ASSERT_OK(f->Sync());
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/a"), "onetwo");
  ASSERT_OK(f->Truncate(2));
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/a"), "onetwo");
  ASSERT_OK(f->Sync());
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/a"), "on");
}

TEST_F(SimVfsTest, DataSyncAlsoMakesTheGrownSizeDurable) {
  WriteDurably(vfs_, "/d/a", "");
  auto f = MustOpen(vfs_, "/d/a", kWrite);
  ASSERT_OK(f->WriteAt(4096, AsBytes("tail")));
  ASSERT_OK(f->DataSync());
  auto image = StrictImage(vfs_);
  EXPECT_EQ(*image->Stat("/d/a"), (FileInfo{4100, FileKind::kRegular}));
  EXPECT_EQ(Contents(*image, "/d/a").substr(4096), "tail");
}

TEST_F(SimVfsTest, SyncOfOneFileLeavesOtherFilesPending) {
  WriteDurably(vfs_, "/d/a", "");
  WriteDurably(vfs_, "/d/b", "");
  auto a = MustOpen(vfs_, "/d/a", kWrite);
  auto b = MustOpen(vfs_, "/d/b", kWrite);
  ASSERT_OK(a->Append(AsBytes("A")));
  ASSERT_OK(b->Append(AsBytes("B")));
  ASSERT_OK(a->Sync());
  auto image = StrictImage(vfs_);
  EXPECT_EQ(Contents(*image, "/d/a"), "A");
  EXPECT_EQ(Contents(*image, "/d/b"), "");
  ASSERT_EQ(vfs_.PendingOperations().size(), 1u);
  EXPECT_EQ(vfs_.PendingOperations()[0].path, "/d/b");
}

TEST_F(SimVfsTest, ExtendingPreallocateIsDurableOnSyncButKeepSizeIsNotAnOperation) {
  WriteDurably(vfs_, "/d/a", "");
  auto f = MustOpen(vfs_, "/d/a", kWrite);
  ASSERT_OK(f->Preallocate(0, 4096, PreallocateMode::kKeepSize));
  EXPECT_TRUE(vfs_.PendingOperations().empty());
  ASSERT_OK(f->Preallocate(0, 4096, PreallocateMode::kExtend));
  EXPECT_EQ(vfs_.PendingOperations().size(), 1u);
  EXPECT_EQ(*StrictImage(vfs_)->Stat("/d/a"), (FileInfo{0, FileKind::kRegular}));
  ASSERT_OK(f->Sync());
  EXPECT_EQ(*StrictImage(vfs_)->Stat("/d/a"), (FileInfo{4096, FileKind::kRegular}));
}

// --- D2/D3: directory entries need a directory sync ----------------------------

TEST_F(SimVfsTest, ASyncedFileWhoseEntryWasNeverSyncedIsGoneAfterACrash) {
  auto f = MustOpen(vfs_, "/d/new", kWrite | kCreate);
  ASSERT_OK(f->Append(AsBytes("data")));
  ASSERT_OK(f->Sync());
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/new"), "<missing>");
  SyncDir(vfs_, "/d");
  // The synced data was kept with the inode: the entry brings it back whole.
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/new"), "data");
}

TEST_F(SimVfsTest, DirectorySyncMakesTheEntryDurableButNotTheData) {
  auto f = MustOpen(vfs_, "/d/new", kWrite | kCreate);
  ASSERT_OK(f->Append(AsBytes("data")));
  SyncDir(vfs_, "/d");
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/new"), "");
}

TEST_F(SimVfsTest, UnlinkIsUndoneByACrashBeforeTheDirectorySync) {
  WriteDurably(vfs_, "/d/a", "keep");
  ASSERT_OK(vfs_.Unlink("/d/a"));
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/a"), "keep");
  SyncDir(vfs_, "/d");
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/a"), "<missing>");
}

TEST_F(SimVfsTest, RenameIsDurableOnlyAfterTheDirectorySync) {
  WriteDurably(vfs_, "/d/seg.tmp", "segment");
  ASSERT_OK(vfs_.Rename("/d/seg.tmp", "/d/seg.wal"));
  auto before = StrictImage(vfs_);
  EXPECT_EQ(Names(*before, "/d"), (std::vector<std::string>{"seg.tmp"}));
  SyncDir(vfs_, "/d");
  auto after = StrictImage(vfs_);
  EXPECT_EQ(Names(*after, "/d"), (std::vector<std::string>{"seg.wal"}));
  EXPECT_EQ(Contents(*after, "/d/seg.wal"), "segment");
}

TEST_F(SimVfsTest, SyncOfTheWrongDirectoryDoesNotMakeAnEntryDurable) {
  ASSERT_OK(vfs_.Mkdir("/e"));
  SyncDir(vfs_, "/");
  auto f = MustOpen(vfs_, "/d/a", kWrite | kCreate);
  ASSERT_OK(f->Sync());
  SyncDir(vfs_, "/e");
  SyncDir(vfs_, "/");
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/a"), "<missing>");
}

TEST_F(SimVfsTest, ANewDirectoryNeedsItsParentSynced) {
  ASSERT_OK(vfs_.Mkdir("/d/sub"));
  WriteDurably(vfs_, "/d/sub/f", "x");  // syncs /d/sub, not /d
  EXPECT_FALSE(*StrictImage(vfs_)->Exists("/d/sub"));
  SyncDir(vfs_, "/d");
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/sub/f"), "x");
}

TEST_F(SimVfsTest, ACrossDirectoryRenameBecomesDurableWhole) {
  ASSERT_OK(vfs_.Mkdir("/e"));
  SyncDir(vfs_, "/");
  WriteDurably(vfs_, "/d/a", "moving");
  ASSERT_OK(vfs_.Rename("/d/a", "/e/a"));
  SyncDir(vfs_, "/e");
  auto image = StrictImage(vfs_);
  EXPECT_EQ(Contents(*image, "/e/a"), "moving");
  EXPECT_EQ(Contents(*image, "/d/a"), "<missing>");
  EXPECT_TRUE(vfs_.PendingOperations().empty());
}

TEST_F(SimVfsTest, ACrossDirectoryRenameBringsEarlierEntriesOfTheOtherDirectory) {
  ASSERT_OK(vfs_.Mkdir("/e"));
  SyncDir(vfs_, "/");
  WriteDurably(vfs_, "/d/a", "A");
  auto f = MustOpen(vfs_, "/e/x", kWrite | kCreate);  // pending in /e, before the rename
  ASSERT_OK(vfs_.Rename("/d/a", "/e/a"));
  auto g = MustOpen(vfs_, "/e/y", kWrite | kCreate);  // pending in /e, after the rename
  SyncDir(vfs_, "/d");
  auto image = StrictImage(vfs_);
  EXPECT_EQ(Names(*image, "/e"), (std::vector<std::string>{"a", "x"}));
  EXPECT_EQ(Names(*image, "/d"), std::vector<std::string>{});
}

TEST_F(SimVfsTest, ADurableRmdirBringsTheRemovalsThatEmptiedTheDirectory) {
  ASSERT_OK(vfs_.Mkdir("/d/sub"));
  SyncDir(vfs_, "/d");
  WriteDurably(vfs_, "/d/sub/x", "x");
  ASSERT_OK(vfs_.Unlink("/d/sub/x"));  // pending in /d/sub
  ASSERT_OK(vfs_.Rmdir("/d/sub"));     // pending in /d
  SyncDir(vfs_, "/d");
  auto image = StrictImage(vfs_);
  EXPECT_FALSE(*image->Exists("/d/sub"));
  EXPECT_TRUE(vfs_.PendingOperations().empty());
}

TEST_F(SimVfsTest, RenamingOntoAnAncestorOfTheSourceIsNotEmpty) {
  WriteDurably(vfs_, "/d/x", "x");
  EXPECT_CODE(vfs_.Rename("/d/x", "/d"), Code::kNotEmpty);
  ASSERT_OK(vfs_.Mkdir("/d/sub"));
  EXPECT_CODE(vfs_.Rename("/d/sub", "/d"), Code::kNotEmpty);
}

// --- D4: nothing else is a barrier ---------------------------------------------

TEST_F(SimVfsTest, CloseAndReopenMakeNothingDurable) {
  WriteDurably(vfs_, "/d/a", "base");
  auto f = MustOpen(vfs_, "/d/a", kWrite);
  ASSERT_OK(f->Append(AsBytes("+more")));
  ASSERT_OK(f->Close());
  auto g = MustOpen(vfs_, "/d/a", kRead);
  ASSERT_OK(g->Close());
  EXPECT_EQ(Contents(*StrictImage(vfs_), "/d/a"), "base");
  EXPECT_EQ(vfs_.PendingOperations().size(), 1u);
}

// --- D5: the pending bound -----------------------------------------------------

TEST(SimVfsPendingBoundTest, PastTheBoundTheOldestOperationIsWrittenBack) {
  SimVfs vfs(SimVfsOptions{.max_pending_ops = 3});
  WriteDurably(vfs, "/a", "");
  auto f = MustOpen(vfs, "/a", kWrite);
  for (char c : std::string("12345")) ASSERT_OK(f->Append(AsBytes(std::string(1, c))));
  EXPECT_EQ(vfs.PendingOperations().size(), 3u);
  EXPECT_EQ(Contents(*StrictImage(vfs), "/a"), "12");
}

// --- images are independent -------------------------------------------------------

TEST_F(SimVfsTest, AnImageIsIndependentOfTheSimVfsThatCrashed) {
  WriteDurably(vfs_, "/d/a", "base");
  auto image = StrictImage(vfs_);
  auto f = MustOpen(*image, "/d/a", kWrite);
  ASSERT_OK(f->Append(AsBytes("+recovery")));
  ASSERT_OK(f->Sync());
  EXPECT_EQ(Contents(vfs_, "/d/a"), "base");
  EXPECT_EQ(Contents(*image, "/d/a"), "base+recovery");
  EXPECT_TRUE(image->PendingOperations().empty());
  EXPECT_TRUE(image->TraceEntries().size() > 0u);
}

// --- the trace -----------------------------------------------------------------

TEST_F(SimVfsTest, TheTraceRecordsEveryCallWithItsOutcome) {
  auto f = MustOpen(vfs_, "/d/a", kWrite | kCreate);
  ASSERT_OK(f->WriteAt(4096, AsBytes("abcd")));
  EXPECT_CODE(vfs_.Unlink("/d/none"), Code::kNotFound);
  std::vector<TraceEntry> trace = vfs_.TraceEntries();
  ASSERT_GE(trace.size(), 3u);
  const TraceEntry& write = trace[trace.size() - 2];
  EXPECT_EQ(write.op, OpKind::kWrite);
  EXPECT_EQ(write.path, "/d/a");
  EXPECT_EQ(write.detail, "@4096+4");
  EXPECT_EQ(trace.back().op, OpKind::kUnlink);
  EXPECT_EQ(trace.back().outcome, Code::kNotFound);
  EXPECT_EQ(trace.back().error_number, ENOENT);
  std::string text = vfs_.TraceText();
  EXPECT_NE(text.find("write"), std::string::npos);
  EXPECT_NE(text.find("NotFound ENOENT"), std::string::npos);
  // Pending operations carry the trace's sequence numbers.
  std::vector<PendingOperation> pending = vfs_.PendingOperations();
  EXPECT_EQ(pending.back().seq, write.seq);
}

TEST(SimVfsTraceTest, TheTraceIsBoundedAndCountsWhatItDropped) {
  SimVfs vfs(SimVfsOptions{.trace_capacity = 4});
  for (int i = 0; i < 10; ++i) EXPECT_CODE(vfs.Stat("/none"), Code::kNotFound);
  EXPECT_EQ(vfs.TraceEntries().size(), 4u);
  EXPECT_NE(vfs.TraceText().find("6 earlier calls not kept"), std::string::npos);
}

}  // namespace
}  // namespace walcrash::vfs
