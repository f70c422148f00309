// Cutting segments and the file pipeline: etcd's TestCut, TestSaveWithCut,
// TestFilePipeline* and the cut() steps of wal-spec.md §2 ("truncate and sync
// the old tail; write CRC, META, STATE into the pipeline's file; sync, rename,
// fsync the directory").
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/etcd/file_pipeline.h"
#include "engine/etcd/wal.h"
#include "engine/etcd/wal_test_util.h"
#include "vfs/sim_vfs.h"

namespace walcrash::etcd {
namespace {

using namespace testing;  // NOLINT: the WAL test helpers
using vfs::testing::Names;

const std::string kConfState = Unhex("08f494ff07");

constexpr int64_t kCrcType = static_cast<int64_t>(RecordType::kCrc);
constexpr int64_t kMetaType = static_cast<int64_t>(RecordType::kMetadata);
constexpr int64_t kStateType = static_cast<int64_t>(RecordType::kState);

std::string Tail(const Wal& w) {
  auto locks = w.LockedSegments();
  return locks.empty() ? std::string() : locks.back();
}

// TestCut: Save then cut gives (1,1); an entry then cut gives (2,2); the new
// segment holds the last hard state, synced before Close.
TEST(WalCutTest, NamesNewSegmentsAfterTheLastIndexAndCarriesTheHardStateOver) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  HardState state{1, 0, 0};
  ASSERT_OK(w->Save(state, {}));
  EXPECT_EQ(Tail(*w), SegPath(1, 1));
  ASSERT_OK(w->Save({}, One(1, "\x01")));
  SnapshotRecord snap{2, 1, kConfState};
  ASSERT_OK(w->SaveSnapshot(snap));
  EXPECT_EQ(Tail(*w), SegPath(2, 2));

  // Read the last segment alone, from a crash image taken before Close.
  auto image = Strict(vfs);
  ASSERT_NE(image, nullptr);
  auto r = MustOpenForRead(*image, snap, o);
  ASSERT_NE(r, nullptr);
  ReadResult got = MustReadAll(*r);
  EXPECT_EQ(got.state, state);
}

// TestSaveWithCut: 2 KiB segments and 500-byte entries.
TEST(WalCutTest, SaveCutsOnceTheFlushedOffsetReachesTheSegmentSize) {
  vfs::SimVfs vfs;
  WalOptions o = Small(2 * 1024);
  std::string big(500, '\0');
  std::string("Hello World!!").copy(big.data(), 13);
  HardState state{1, 0, 0};
  uint64_t index = 0;
  {
    auto w = MustCreate(vfs, "metadata", o);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(state, {}));
    for (uint64_t total = 0; total < o.segment_size_bytes; total += 500) {
      ASSERT_OK(w->Save(state, One(index, big)));
      ++index;
    }
    ASSERT_OK(w->Close());
  }
  auto w = MustOpen(vfs, {}, o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Tail(*w), SegPath(1, index));
  ReadResult r = MustReadAll(*w);
  EXPECT_EQ(r.state, state);
  EXPECT_EQ(r.entries.size(), o.segment_size_bytes / 500);
  for (const Entry& e : r.entries) EXPECT_EQ(e.data, big) << e.index;
}

TEST(WalCutTest, TheNewSegmentStartsWithTheChainedCrcTheMetadataAndTheHardState) {
  vfs::SimVfs vfs;
  WalOptions o = Small(2 * 1024);
  auto w = MustCreate(vfs, "meta", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{3, 2, 1}, One(1, std::string(3000, 'x'))));  // past the segment size
  ASSERT_OK(w->Save(HardState{3, 2, 1}, {}));                               // so this one cuts
  ASSERT_EQ(WalFiles(vfs), (std::vector<std::string>{WalName(0, 0), WalName(1, 2)}));
  Scan seg0 = ScanFile(vfs, SegPath(0, 0));
  ASSERT_TRUE(seg0.end.ok()) << seg0.end.ToString();
  Scan seg1 = ScanFile(vfs, SegPath(1, 2));
  ASSERT_TRUE(seg1.end.ok()) << seg1.end.ToString();
  ASSERT_EQ(Types(seg1), (std::vector<int64_t>{kCrcType, kMetaType, kStateType}));
  EXPECT_EQ(seg1.records[0].crc, seg0.crc);
  EXPECT_EQ(seg1.records[1].data, std::optional<std::string>("meta"));
  EXPECT_EQ(*DecodeHardState(*seg1.records[2].data), (HardState{3, 2, 1}));
  // One decoder over both follows the chain.
  Scan both = ScanFiles(vfs, {SegPath(0, 0), SegPath(1, 2)});
  EXPECT_TRUE(both.end.ok()) << both.end.ToString();
}

TEST(WalCutTest, WithAnEmptyHardStateTheNewSegmentHoldsOnlyCrcAndMetadata) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save({}, One(1)));
  Scan seg1 = ScanFile(vfs, SegPath(1, 2));
  ASSERT_TRUE(seg1.end.ok());
  EXPECT_EQ(Types(seg1), (std::vector<int64_t>{kCrcType, kMetaType}));
}

// wal-spec.md §4: "cut makes the new name durable with a directory fsync
// before the first append".
TEST(WalCutTest, ACutMakesTheNewSegmentNameDurableBeforeAppending) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  uint64_t before = LastSeq(vfs);
  ASSERT_OK(w->Save(HardState{1, 0, 0}, Ents(1, 3)));  // cuts to 1-4
  auto image = Strict(vfs);
  ASSERT_NE(image, nullptr);
  EXPECT_EQ(WalFiles(*image), (std::vector<std::string>{WalName(0, 0), WalName(1, 4)}));
  auto r = MustOpenForRead(*image, {}, o);
  ASSERT_NE(r, nullptr);
  ReadResult got = MustReadAll(*r);
  EXPECT_EQ(Indexes(got.entries), Range(1, 3));
  EXPECT_EQ(got.state, (HardState{1, 0, 0}));

  // In the trace: the header is synced, renamed into place, and the
  // directory is fsynced, before anything else is written.
  auto trace = TraceSince(vfs, before);
  size_t rename = trace.size(), dirsync = trace.size(), tmp_sync = trace.size();
  for (size_t i = 0; i < trace.size(); ++i) {
    const auto& e = trace[i];
    if (e.op == vfs::OpKind::kRename && e.detail.find(WalName(1, 4)) != std::string::npos) rename = i;
    if (rename == trace.size() && e.op == vfs::OpKind::kDataSync && e.path.ends_with(".tmp")) tmp_sync = i;
    if (rename < i && dirsync == trace.size() && e.op == vfs::OpKind::kDirSync && e.path == "/wal") dirsync = i;
  }
  ASSERT_LT(rename, trace.size()) << vfs.TraceText();
  ASSERT_LT(dirsync, trace.size()) << vfs.TraceText();
  EXPECT_LT(tmp_sync, rename) << vfs.TraceText();
  for (size_t i = rename; i < dirsync; ++i) {
    EXPECT_NE(trace[i].op, vfs::OpKind::kWrite) << trace[i].ToString();
  }
}

TEST(WalCutTest, ACutSyncsTheOldTailEvenAtLevelWrite) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  o.level = WalLevel::kWrite;
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 0, 0}, Ents(1, 5)));  // cuts
  EXPECT_TRUE(PendingSegmentWrites(vfs).empty());
  EXPECT_EQ(w->durable().last_index, 5u);
  auto image = Strict(vfs);
  ASSERT_NE(image, nullptr);
  auto r = MustOpenForRead(*image, {}, o);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(Indexes(MustReadAll(*r).entries), Range(1, 5));
}

TEST(WalCutTest, TheOldTailIsTruncatedAtItsLastRecord) {
  vfs::SimVfs vfs;
  WalOptions o = Small(2 * 1024);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 0, 0}, One(1, std::string(2100, 'x'))));
  ASSERT_OK(w->Save(HardState{1, 0, 0}, One(2, "y")));  // cuts; entry 2 still goes to segment 0
  ASSERT_EQ(WalFiles(vfs).size(), 2u);
  Scan seg0 = ScanFile(vfs, SegPath(0, 0));
  ASSERT_TRUE(seg0.end.ok());
  EXPECT_EQ(EntriesOf(seg0).back().index, 2u);
  EXPECT_EQ(vfs.Stat(SegPath(0, 0))->size, seg0.last_offset);
}

TEST(WalCutTest, TheNewSegmentIsPreallocatedToTheSegmentSize) {
  for (PreallocMode mode : {PreallocMode::kFallocate, PreallocMode::kZeroFill}) {
    vfs::SimVfs vfs;
    WalOptions o = Small(4 * 1024);
    o.prealloc = mode;
    auto w = MustCreate(vfs, "m", o);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(vfs.Stat(SegPath(0, 0))->size, o.segment_size_bytes);
    ASSERT_OK(w->Save(HardState{1, 0, 0}, One(1, std::string(5000, 'x'))));
    ASSERT_OK(w->Save(HardState{1, 0, 1}, {}));  // cuts
    ASSERT_EQ(WalFiles(vfs).size(), 2u);
    EXPECT_EQ(vfs.Stat(SegPath(1, 2))->size, o.segment_size_bytes);
  }
}

TEST(WalCutTest, ASnapshotAboveTheLastEntryNamesTheNextSegmentAfterIt) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save({}, One(1)));  // 1-2
  ASSERT_OK(w->SaveSnapshot(SnapshotRecord{10, 1, kConfState}));
  ASSERT_OK(w->Save(HardState{1, 0, 0}, {}));
  EXPECT_EQ(Tail(*w), SegPath(2, 11));
}

TEST(WalCutTest, ThePipelinesTmpFileBecomesTheNewSegmentAndTheNextIsMadeReady) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Names(vfs, "/wal"), (std::vector<std::string>{"0.tmp", WalName(0, 0)}));
  ASSERT_OK(w->Save({}, One(1)));
  EXPECT_EQ(Names(vfs, "/wal"), (std::vector<std::string>{WalName(0, 0), WalName(1, 2), "1.tmp"}));
  ASSERT_OK(w->Save({}, One(2)));
  EXPECT_EQ(Names(vfs, "/wal"), (std::vector<std::string>{"0.tmp", WalName(0, 0), WalName(1, 2), WalName(2, 3)}));
  // The new tail is locked under its final name.
  EXPECT_EQ(Tail(*w), SegPath(2, 3));
  EXPECT_CODE(vfs.OpenLocked(SegPath(2, 3), vfs::kRead, vfs::Vfs::LockWait::kTry), Code::kLocked);
}

TEST(WalCutTest, AReopenedWalCutsWithTheChainItRead) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  {
    auto w = MustCreate(vfs, CuttingMetadata(o), o);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save({}, One(1)));
  }
  {
    auto w = MustReopen(vfs, nullptr, o);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{1, 0, 0}, Ents(2, 3)));  // cuts
    ASSERT_OK(w->Save({}, One(4)));                      // cuts
  }
  EXPECT_EQ(WalFiles(vfs).size(), 4u);
  ReadResult r;
  auto w = MustReopen(vfs, &r, o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Indexes(r.entries), Range(1, 4));
  EXPECT_TRUE(Verify(vfs, "/wal", {}, o).ok());
}

TEST(WalCutTest, ManyCutsWithTheBackgroundPipelineKeepEveryEntry) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  o.background_threads = true;
  {
    auto w = MustCreate(vfs, CuttingMetadata(o), o);
    ASSERT_NE(w, nullptr);
    for (uint64_t i = 1; i <= 20; ++i) ASSERT_OK(w->Save(HardState{1, 0, i - 1}, One(i, "e")));
    EXPECT_EQ(w->LockedSegments().size(), 21u);
    ASSERT_OK(w->Close());
  }
  EXPECT_EQ(WalFiles(vfs).size(), 21u);
  ReadResult r;
  auto w = MustReopen(vfs, &r, o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Indexes(r.entries), Range(1, 20));
  EXPECT_EQ(r.state, (HardState{1, 0, 19}));
}

// A Vfs over a SimVfs that holds the rename of the first cut's "0.tmp" until
// that path is opened a second time (by the pipeline thread) or 500 ms pass,
// so a pipeline that reopens the file a cut is still writing shows it on
// every run instead of on an unlucky schedule.
class GateVfs final : public vfs::Vfs {
 public:
  explicit GateVfs(vfs::SimVfs& base) : base_(base) {}
  std::string_view name() const override { return base_.name(); }
  Result<std::unique_ptr<vfs::File>> Open(std::string_view path, vfs::OpenFlags flags) override {
    auto f = base_.Open(path, flags);
    std::lock_guard lock(mu_);
    ++opens_[std::string(path)];
    cv_.notify_all();
    return f;
  }
  Result<std::unique_ptr<vfs::Directory>> OpenDirectory(std::string_view path) override {
    return base_.OpenDirectory(path);
  }
  Status Rename(std::string_view from, std::string_view to) override {
    if (from == "/wal/0.tmp") {
      std::unique_lock lock(mu_);
      if (!gated_) {
        gated_ = true;
        cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return opens_[std::string(from)] >= 2; });
      }
    }
    return base_.Rename(from, to);
  }
  Status Unlink(std::string_view path) override { return base_.Unlink(path); }
  Status Mkdir(std::string_view path) override { return base_.Mkdir(path); }
  Status Rmdir(std::string_view path) override { return base_.Rmdir(path); }
  Result<std::vector<std::string>> List(std::string_view path) override { return base_.List(path); }
  Result<vfs::FileInfo> Stat(std::string_view path) override { return base_.Stat(path); }

 private:
  vfs::SimVfs& base_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> opens_;
  bool gated_ = false;
};

// etcd's pipeline allocates the next file only once the previous one was
// taken, and names it count%2 "so this file isn't the same as the one last
// published": the file a cut is writing is never opened again until it has
// been renamed away.
TEST(WalCutTest, TheBackgroundPipelineNeverReopensTheFileACutIsStillWriting) {
  vfs::SimVfs sim;
  GateVfs vfs(sim);
  WalOptions o = Small(1024);
  o.background_threads = true;
  {
    auto w = MustCreate(vfs, CuttingMetadata(o), o);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{1, 0, 0}, One(1)));  // cuts through 0.tmp to 1-2
    Scan seg1 = ScanFile(sim, SegPath(1, 2));
    EXPECT_TRUE(seg1.end.ok()) << seg1.end.ToString();
    EXPECT_EQ(Types(seg1), (std::vector<int64_t>{kCrcType, kMetaType, kStateType}));
    // The pipeline still works: two more cuts need two more files.
    EXPECT_OK(w->Save(HardState{1, 0, 0}, One(2)));
    EXPECT_OK(w->Save(HardState{1, 0, 0}, One(3)));
    EXPECT_OK(w->Close());
  }
  ReadResult r;
  auto w = MustReopen(sim, &r, o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Indexes(r.entries), Range(1, 3));
}

// --- cut failures ---------------------------------------------------------------------

// The inline pipeline prepares the next file right after a cut: the ENOSPC
// surfaces from the Save that cut.
TEST(WalCutTest, APreallocationFailureFailsTheSaveCleanlyWithTheInlinePipeline) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  const std::string meta = CuttingMetadata(o);
  {
    auto w = MustCreate(vfs, meta, o);  // 0.tmp is ready
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{1, 0, 0}, One(1)));  // 1-2, prepares 1.tmp
    vfs.SetFaultPlan(Plan("preallocate *.tmp errno=ENOSPC"));
    EXPECT_CODE(w->Save(HardState{1, 0, 0}, One(2)), Code::kNoSpace);
    // The WAL refuses writes after the failure.
    EXPECT_FALSE(w->Save(HardState{1, 0, 0}, One(3)).ok());
    ASSERT_OK(w->Close());
  }
  vfs.SetFaultPlan({});
  ReadResult r;
  auto w = MustReopen(vfs, &r, o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(r.metadata, meta);
  EXPECT_EQ(Indexes(r.entries), Range(1, 2));
  EXPECT_OK(w->Save({}, One(3)));
}

// etcd's own arrangement: the pipeline thread fails to make a next file, and
// the cut that finds no file ready reports it. (Which cut that is depends on
// how far ahead the thread had allocated when the fault began.)
TEST(WalCutTest, APreallocationFailureFailsALaterCutWithTheBackgroundPipeline) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  o.background_threads = true;
  uint64_t failed_at = 0;
  {
    auto w = MustCreate(vfs, CuttingMetadata(o), o);
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(Eventually([&] {
      auto st = vfs.Stat("/wal/0.tmp");
      return st.ok() && st->size == o.segment_size_bytes;
    }));
    vfs.SetFaultPlan(Plan("preallocate *.tmp errno=ENOSPC"));
    for (uint64_t i = 1; i <= 4 && failed_at == 0; ++i) {
      Status s = w->Save(HardState{1, 0, 0}, One(i));  // every Save cuts
      if (!s.ok()) {
        EXPECT_CODE(s, Code::kNoSpace);
        failed_at = i;
      }
    }
    ASSERT_GE(failed_at, 2u) << "0.tmp was ready: the first cut must succeed";
    ASSERT_LE(failed_at, 3u) << "no cut reported the failed preallocation";
    EXPECT_EQ(WalFiles(vfs).size(), failed_at);
    EXPECT_FALSE(w->Save(HardState{1, 0, 0}, One(failed_at + 1)).ok());
    ASSERT_OK(w->Close());
  }
  vfs.SetFaultPlan({});
  ReadResult r;
  auto w = MustReopen(vfs, &r, o);
  ASSERT_NE(w, nullptr);
  // The failing Save's entry was synced into the old tail before the cut
  // asked for a file.
  EXPECT_EQ(Indexes(r.entries), Range(1, failed_at));
}

// Preallocate's EOPNOTSUPP falls back to ftruncate (etcd's Preallocate).
TEST(WalCutTest, PreallocationFallsBackToTruncateWhenNotSupported) {
  vfs::SimVfs vfs;
  vfs.SetFaultPlan(Plan("preallocate * errno=EOPNOTSUPP"));
  WalOptions o = Small(2 * 1024);
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(vfs.Stat(SegPath(0, 0))->size, o.segment_size_bytes);
  EXPECT_EQ(vfs.Stat("/wal/0.tmp")->size, o.segment_size_bytes);
  auto trace = vfs.TraceEntries();
  bool truncated_tmp = false;
  for (const auto& e : trace) {
    if (e.op == vfs::OpKind::kTruncate && e.path == "/wal/0.tmp") truncated_tmp = true;
  }
  EXPECT_TRUE(truncated_tmp) << vfs.TraceText();
  ASSERT_OK(w->Save(HardState{1, 0, 0}, One(1, std::string(3000, 'x'))));
  ASSERT_OK(w->Save(HardState{1, 0, 1}, {}));  // cuts into the truncated-to-size file
  EXPECT_EQ(vfs.Stat(SegPath(1, 2))->size, o.segment_size_bytes);
  ASSERT_OK(w->Close());
  ReadResult r;
  auto again = MustReopen(vfs, &r, o);
  EXPECT_EQ(r.state, (HardState{1, 0, 1}));
  EXPECT_EQ(Indexes(r.entries), Range(1, 1));
}

TEST(WalCutTest, AFailedRenameFailsTheCutAndTheWalStopsTakingWrites) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  vfs.SetFaultPlan(Plan("rename /wal/*.tmp errno=EIO"));
  EXPECT_CODE(w->Save(HardState{1, 0, 0}, One(1)), Code::kIOError);
  EXPECT_FALSE(w->Save(HardState{1, 0, 0}, One(2)).ok());
  EXPECT_FALSE(w->Sync().ok());
  vfs.SetFaultPlan({});
  EXPECT_EQ(WalFiles(vfs), (std::vector<std::string>{WalName(0, 0)}));
}

// --- the file pipeline --------------------------------------------------------------

class FilePipelineTest : public ::testing::TestWithParam<bool> {
 protected:
  bool background() const { return GetParam(); }
};

// TestFilePipeline.
TEST_P(FilePipelineTest, HandsOutLockedPreallocatedTmpFilesInTurn) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/d"));
  FilePipeline fp(vfs, "/d", 4096, PreallocMode::kFallocate, background());
  auto a = fp.Open();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->path, "/d/0.tmp");
  if (!background()) {
    EXPECT_EQ(*a->file->Size(), 4096u);  // (with a thread, see TheBackgroundPipelineNever...)
  }
  EXPECT_CODE(vfs.OpenLocked("/d/0.tmp", vfs::kRead, vfs::Vfs::LockWait::kTry), Code::kLocked);
  auto b = fp.Open();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->path, "/d/1.tmp");
  EXPECT_EQ(*b->file->Size(), 4096u);
  EXPECT_CODE(vfs.OpenLocked("/d/1.tmp", vfs::kRead, vfs::Vfs::LockWait::kTry), Code::kLocked);
  ASSERT_OK(a->file->Close());
  ASSERT_OK(b->file->Close());
  EXPECT_OK(fp.Close());
}

TEST_P(FilePipelineTest, CloseRemovesTheFileItHadReady) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/d"));
  FilePipeline fp(vfs, "/d", 4096, PreallocMode::kFallocate, background());
  ASSERT_OK(fp.Prepare());
  ASSERT_TRUE(Eventually([&] { return *vfs.Exists("/d/0.tmp"); }));
  ASSERT_OK(fp.Close());
  EXPECT_TRUE(Names(vfs, "/d").empty());
  EXPECT_FALSE(fp.Open().ok());  // closed
}

// TestFilePipelineFailPreallocate.
TEST_P(FilePipelineTest, APreallocationFailureIsReturnedByOpen) {
  vfs::SimVfs vfs(vfs::SimVfsOptions{.capacity_bytes = 1024});
  ASSERT_OK(vfs.Mkdir("/d"));
  FilePipeline fp(vfs, "/d", 4096, PreallocMode::kFallocate, background());
  auto f = fp.Open();
  EXPECT_CODE(f, Code::kNoSpace);
  EXPECT_FALSE(fp.Open().ok());
  EXPECT_OK(fp.Close());
}

// TestFilePipelineFailLockFile: the directory is gone. The error that
// stopped the pipeline is what waiting for it returns, too.
TEST_P(FilePipelineTest, AMissingDirectoryIsReturnedByOpenAndByWaitUntilReady) {
  vfs::SimVfs vfs;
  FilePipeline fp(vfs, "/gone", 4096, PreallocMode::kFallocate, background());
  EXPECT_CODE(fp.WaitUntilReady(), Code::kNotFound);
  EXPECT_CODE(fp.Open(), Code::kNotFound);
  EXPECT_OK(fp.Close());
}

// WaitUntilReady returns once the next file exists, fully preallocated: here
// zero-filled and synced, so nothing about it is pending any more.
TEST_P(FilePipelineTest, WaitUntilReadyReturnsWithTheNextFileZeroFilledAndSynced) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/d"));
  FilePipeline fp(vfs, "/d", 8192, PreallocMode::kZeroFill, background());
  ASSERT_OK(fp.WaitUntilReady());
  EXPECT_EQ(ReadFile(vfs, "/d/0.tmp"), std::string(8192, '\0'));
  for (const auto& p : vfs.PendingOperations()) {
    EXPECT_NE(p.op, vfs::OpKind::kWrite) << p.ToString();
  }
  ASSERT_OK(fp.Close());
  EXPECT_CODE(fp.WaitUntilReady(), Code::kInvalidArgument);  // closed: nothing will come
}

TEST(WalCutTest, WaitForNextSegmentReturnsWithTheNextSegmentPrepared) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  o.background_threads = true;
  o.prealloc = PreallocMode::kZeroFill;
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->WaitForNextSegment());
  auto tmp = vfs.Stat("/wal/0.tmp");
  ASSERT_TRUE(tmp.ok()) << tmp.error().ToString();
  EXPECT_EQ(tmp->size, 1024u);
  ASSERT_OK(w->Close());
  EXPECT_WAL_ERROR(w->WaitForNextSegment(), WalError::kClosed);
}

// A leftover temp file is never cut, even one another handle holds (after a
// crash inside a cut's rename it can be a second name of a live segment):
// its name is replaced by a new file and the old inode keeps its bytes.
TEST_P(FilePipelineTest, ALeftoverTmpFileIsReplacedNeverCut) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/d"));
  auto holder = vfs.OpenLocked("/d/0.tmp", vfs::kRead | vfs::kWrite | vfs::kCreate, vfs::Vfs::LockWait::kTry);
  ASSERT_TRUE(holder.ok());
  ASSERT_OK((*holder)->Append(vfs::AsBytes(std::string(100, 's'))));
  FilePipeline fp(vfs, "/d", 4096, PreallocMode::kFallocate, background());
  auto f = fp.Open();
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->path, "/d/0.tmp");
  EXPECT_EQ(ReadFile(vfs, "/d/0.tmp"), std::string(4096, '\0'));
  std::string old(100, '\0');
  auto got = (*holder)->ReadAt(0, {reinterpret_cast<std::byte*>(old.data()), old.size()});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(old, std::string(100, 's'));
  ASSERT_OK(f->file->Close());
  ASSERT_OK(fp.Close());
}

// A stale temp file from a crash mid-cut does not leak into the new one.
// (Inline: with a thread, the next allocation races with the reader of the
// file handed out.)
TEST(FilePipelineInlineTest, AStaleTmpFileIsReplacedByAnEmptyOne) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/d"));
  ASSERT_OK(vfs::WriteWholeFile(vfs, "/d/0.tmp", std::string(100, 's')));
  FilePipeline fp(vfs, "/d", 4096, PreallocMode::kFallocate, /*background=*/false);
  auto f = fp.Open();
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(ReadFile(vfs, "/d/0.tmp"), std::string(4096, '\0'));
  ASSERT_OK(f->file->Close());
  ASSERT_OK(fp.Close());
}

INSTANTIATE_TEST_SUITE_P(InlineAndBackground, FilePipelineTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? std::string("Background") : std::string("Inline");
                         });

TEST(PreallocateSegmentTest, ZeroFillWritesZerosAndSyncsThem) {
  vfs::SimVfs vfs;
  auto f = vfs.Open("/s", vfs::kRead | vfs::kWrite | vfs::kCreate);
  ASSERT_TRUE(f.ok());
  ASSERT_OK(PreallocateSegment(**f, 3 * 1024 * 1024 + 5, PreallocMode::kZeroFill));
  EXPECT_EQ(*(*f)->Size(), 3u * 1024 * 1024 + 5);
  for (const auto& p : vfs.PendingOperations()) {  // the zeros are synced; only the file's creation is pending
    EXPECT_NE(p.op, vfs::OpKind::kWrite) << p.ToString();
    EXPECT_NE(p.op, vfs::OpKind::kTruncate) << p.ToString();
    EXPECT_NE(p.op, vfs::OpKind::kPreallocate) << p.ToString();
  }
  bool wrote = false;
  for (const auto& e : vfs.TraceEntries()) wrote |= e.op == vfs::OpKind::kWrite;
  EXPECT_TRUE(wrote);
}

TEST(PreallocateSegmentTest, FallocateExtendsTheSizeWithoutWriting) {
  vfs::SimVfs vfs;
  auto f = vfs.Open("/s", vfs::kRead | vfs::kWrite | vfs::kCreate);
  ASSERT_TRUE(f.ok());
  ASSERT_OK(PreallocateSegment(**f, 8192, PreallocMode::kFallocate));
  EXPECT_EQ(*(*f)->Size(), 8192u);
  for (const auto& e : vfs.TraceEntries()) EXPECT_NE(e.op, vfs::OpKind::kWrite) << e.ToString();
}

}  // namespace
}  // namespace walcrash::etcd
