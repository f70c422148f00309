// The known-bug switches (KnownBugs in wal.h; wal-spec.md §6): each one
// changes what the WAL does in the way its comment says, shown by running the
// same scenario with the switch off and on. Also the switch names and
// WalOptions::Validate.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/etcd/wal.h"
#include "engine/etcd/wal_test_util.h"
#include "vfs/sim_vfs.h"

namespace walcrash::etcd {
namespace {

using namespace testing;  // NOLINT: the WAL test helpers

constexpr int64_t kCrcType = static_cast<int64_t>(RecordType::kCrc);
constexpr int64_t kMetaType = static_cast<int64_t>(RecordType::kMetadata);
constexpr int64_t kStateType = static_cast<int64_t>(RecordType::kState);

WalOptions With(std::string_view bug, WalOptions o = Small()) {
  if (!bug.empty()) EXPECT_OK(o.bugs.Set(bug));
  return o;
}

// --- names and options ---------------------------------------------------------------

TEST(KnownBugsTest, NamesListsEverySwitchOnce) {
  EXPECT_EQ(KnownBugs::Names(),
            (std::vector<std::string_view>{"no_dir_fsync_after_cut", "no_tmp_fsync_before_rename",
                                           "crc_not_chained_into_new_segment", "torn_tail_as_corruption",
                                           "corruption_as_torn_tail", "no_tail_zeroing", "create_not_atomic",
                                           "ack_before_fsync", "no_tmp_dir_fsync_in_create"}));
}

TEST(KnownBugsTest, AllSwitchesAreOffByDefault) {
  KnownBugs bugs;
  EXPECT_FALSE(bugs.any());
  EXPECT_EQ(bugs.ToString(), "none");
  EXPECT_FALSE(WalOptions{}.bugs.any());
}

TEST(KnownBugsTest, SetTurnsOnExactlyTheNamedSwitch) {
  for (std::string_view name : KnownBugs::Names()) {
    KnownBugs bugs;
    ASSERT_OK(bugs.Set(name));
    EXPECT_TRUE(bugs.any()) << name;
    EXPECT_EQ(bugs.ToString(), name);
    ASSERT_OK(bugs.Set(name, false));
    EXPECT_FALSE(bugs.any()) << name;
  }
}

TEST(KnownBugsTest, SetRejectsAnUnknownName) {
  KnownBugs bugs;
  Status s = bugs.Set("no_such_bug");
  EXPECT_CODE(s, Code::kInvalidArgument);
  EXPECT_NE(s.message().find("no_such_bug"), std::string_view::npos);
  EXPECT_FALSE(bugs.any());
}

TEST(KnownBugsTest, ToStringJoinsTheSwitchesInNameOrder) {
  KnownBugs bugs;
  bugs.ack_before_fsync = true;
  bugs.no_dir_fsync_after_cut = true;
  EXPECT_EQ(bugs.ToString(), "no_dir_fsync_after_cut,ack_before_fsync");
}

TEST(WalOptionsTest, ValidateChecksSegmentSizePeriodAndExclusiveSwitches) {
  WalOptions o;
  EXPECT_OK(o.Validate());
  o.segment_size_bytes = 1023;
  EXPECT_CODE(o.Validate(), Code::kInvalidArgument);
  o.segment_size_bytes = 1024;
  EXPECT_OK(o.Validate());
  o.segment_size_bytes = (uint64_t{1} << 40) + 1;
  EXPECT_CODE(o.Validate(), Code::kInvalidArgument);
  o.segment_size_bytes = kDefaultSegmentSizeBytes;
  o.fsync_period = std::chrono::hours(1);
  EXPECT_OK(o.Validate());
  o.fsync_period = std::chrono::hours(1) + std::chrono::milliseconds(1);
  EXPECT_CODE(o.Validate(), Code::kInvalidArgument);
  o.fsync_period = std::chrono::milliseconds(-1);
  EXPECT_CODE(o.Validate(), Code::kInvalidArgument);
  o.fsync_period = std::chrono::milliseconds(0);
  o.bugs.torn_tail_as_corruption = true;
  EXPECT_OK(o.Validate());
  o.bugs.corruption_as_torn_tail = true;
  EXPECT_CODE(o.Validate(), Code::kInvalidArgument);
}

// --- each switch ---------------------------------------------------------------------

// A WAL whose every Save cuts, after Save(hs, entries 1..3) cut it to
// segment 1-4.
std::unique_ptr<Wal> CutOnce(vfs::SimVfs& vfs, const WalOptions& o) {
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  if (!w) return nullptr;
  EXPECT_OK(w->Save(HardState{1, 0, 0}, Ents(1, 3)));
  EXPECT_EQ(w->LockedSegments().back(), SegPath(1, 4));
  return w;
}

// #6368: the new segment's name is not durable after the cut.
TEST(KnownBugsTest, NoDirFsyncAfterCutLeavesTheNewSegmentOutOfTheStrictImage) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with no_dir_fsync_after_cut" : "without");
    vfs::SimVfs vfs;
    auto w = CutOnce(vfs, With(bug ? "no_dir_fsync_after_cut" : "", Small(1024)));
    ASSERT_NE(w, nullptr);
    auto image = Strict(vfs);
    ASSERT_NE(image, nullptr);
    if (bug) {
      EXPECT_EQ(WalFiles(*image), (std::vector<std::string>{WalName(0, 0)}));
    } else {
      EXPECT_EQ(WalFiles(*image), (std::vector<std::string>{WalName(0, 0), WalName(1, 4)}));
    }
  }
}

TEST(KnownBugsTest, NoTmpFsyncBeforeRenameLeavesTheNewSegmentsHeaderUnsynced) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with no_tmp_fsync_before_rename" : "without");
    vfs::SimVfs vfs;
    auto w = CutOnce(vfs, With(bug ? "no_tmp_fsync_before_rename" : "", Small(1024)));
    ASSERT_NE(w, nullptr);
    auto image = Strict(vfs);
    ASSERT_NE(image, nullptr);
    ASSERT_EQ(WalFiles(*image).size(), 2u);  // the name is durable either way
    Scan seg1 = ScanFile(*image, SegPath(1, 4));
    EXPECT_TRUE(seg1.end.ok()) << seg1.end.ToString();
    if (bug) {
      EXPECT_TRUE(seg1.records.empty()) << "the header reached the disk";
    } else {
      EXPECT_EQ(Types(seg1), (std::vector<int64_t>{kCrcType, kMetaType, kStateType}));
    }
  }
}

// #11918-like.
TEST(KnownBugsTest, CrcNotChainedIntoNewSegmentMakesTheReopenedWalACrcMismatch) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with crc_not_chained_into_new_segment" : "without");
    vfs::SimVfs vfs;
    WalOptions o = With(bug ? "crc_not_chained_into_new_segment" : "", Small(1024));
    {
      auto w = CutOnce(vfs, o);
      ASSERT_NE(w, nullptr);
      ASSERT_OK(w->Save({}, One(4)));
    }
    auto w = MustOpen(vfs, {}, o);
    ASSERT_NE(w, nullptr);
    if (bug) {
      EXPECT_WAL_ERROR(w->ReadAll(), WalError::kCrcMismatch);
    } else {
      auto r = w->ReadAll();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(Indexes(r->entries), Range(1, 4));
    }
  }
}

// Five 4 KiB entries in one segment (RepairWriteTearMiddle's shape).
void SaveFiveBigEntries(vfs::SimVfs& vfs, const WalOptions& o) {
  std::string dat(4096, '\0');
  for (size_t i = 0; i < dat.size(); ++i) dat[i] = static_cast<char>(1 + i % 250);
  auto w = MustCreate(vfs, "", o);
  ASSERT_NE(w, nullptr);
  for (uint64_t i = 1; i <= 5; ++i) ASSERT_OK(w->Save({}, One(i, dat)));
  ASSERT_OK(w->Close());
}

// Before #5230: a torn last record is corruption, and Repair refuses it.
TEST(KnownBugsTest, TornTailAsCorruptionReportsAZeroedTailAsACrcMismatchAndRepairRefuses) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with torn_tail_as_corruption" : "without");
    vfs::SimVfs vfs;
    WalOptions o = With(bug ? "torn_tail_as_corruption" : "", Small(64 * 1024));
    SaveFiveBigEntries(vfs, o);
    std::string path = SegPath(0, 0);
    Scan scan = ScanFile(vfs, path);
    ASSERT_TRUE(scan.end.ok());
    // The sectors of the last record past its first kilobyte never reached
    // the disk.
    uint64_t last_start = scan.ends[scan.ends.size() - 2];
    uint64_t from = (last_start + 1024) / 512 * 512;
    ZeroRange(vfs, path, from, scan.last_offset - from);
    {
      auto w = MustOpen(vfs, {}, o);
      ASSERT_NE(w, nullptr);
      EXPECT_WAL_ERROR(w->ReadAll(), bug ? WalError::kRecordCrcMismatch : WalError::kUnexpectedEOF);
    }
    Status why;
    EXPECT_EQ(Repair(vfs, "/wal", o, &why), !bug) << why.ToString();
    if (!bug) {
      ReadResult r;
      auto w = MustReopen(vfs, &r, o);
      EXPECT_EQ(Indexes(r.entries), Range(1, 4));
    }
  }
}

// The opposite bug: real corruption in the middle is taken for a torn tail,
// and Repair silently drops everything after it.
TEST(KnownBugsTest, CorruptionAsTornTailReportsAFlippedByteAsUnexpectedEOFAndRepairTruncates) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with corruption_as_torn_tail" : "without");
    vfs::SimVfs vfs;
    WalOptions o = With(bug ? "corruption_as_torn_tail" : "", Small(64 * 1024));
    SaveFiveBigEntries(vfs, o);
    std::string path = SegPath(0, 0);
    Scan scan = ScanFile(vfs, path);
    ASSERT_TRUE(scan.end.ok());
    FlipByte(vfs, path, scan.ends[3] + 2000);  // inside entry 2 of 5
    {
      auto w = MustOpen(vfs, {}, o);
      ASSERT_NE(w, nullptr);
      EXPECT_WAL_ERROR(w->ReadAll(), bug ? WalError::kUnexpectedEOF : WalError::kRecordCrcMismatch);
    }
    Status why;
    EXPECT_EQ(Repair(vfs, "/wal", o, &why), bug) << why.ToString();
    if (bug) {
      ReadResult r;
      auto w = MustReopen(vfs, &r, o);
      EXPECT_EQ(Indexes(r.entries), Range(1, 1));  // entries 2..5 silently lost
    }
  }
}

// Before "zero out wal tail": stale bytes behind a zero record survive
// ReadAll, and appends over part of them corrupt the log.
TEST(KnownBugsTest, NoTailZeroingLeavesStaleBytesPastTheLastValidRecord) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with no_tail_zeroing" : "without");
    vfs::SimVfs vfs;
    WalOptions o = With(bug ? "no_tail_zeroing" : "", Small(64 * 1024));
    {
      auto w = MustCreate(vfs, "", o);
      ASSERT_NE(w, nullptr);
      for (uint64_t i = 0; i < 40; ++i) ASSERT_OK(w->Save({}, One(i)));
    }
    std::string path = SegPath(0, 0);
    Scan scan = ScanFile(vfs, path);
    uint64_t end20 = scan.ends[3 + 20];
    ZeroRange(vfs, path, end20, scan.ends[3 + 21] - end20);  // entry 21 reads as the end
    {
      auto w = MustOpen(vfs, {}, o);
      ASSERT_NE(w, nullptr);
      ReadResult r = MustReadAll(*w);
      EXPECT_EQ(Indexes(r.entries), Range(1, 20));
      std::string after = ReadFile(vfs, path);
      bool stale = after.find_first_not_of('\0', end20) != std::string::npos;
      EXPECT_EQ(stale, bug);
      for (uint64_t i = 0; i < 5; ++i) ASSERT_OK(w->Save({}, One(20 + i, "new")));
    }
    auto w = MustOpen(vfs, {}, o);
    ASSERT_NE(w, nullptr);
    auto r = w->ReadAll();
    bool clean = r.ok() && r->entries.size() == 24;
    EXPECT_EQ(clean, !bug) << r.status().ToString();
  }
}

// Before #5270: segment 0 is written in place, so a Create that fails (or a
// crash) leaves a half-made WAL under the real name.
TEST(KnownBugsTest, CreateNotAtomicBuildsTheWalInPlaceWithoutADotTmpDirectory) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with create_not_atomic" : "without");
    vfs::SimVfs vfs;
    auto w = MustCreate(vfs, "m", With(bug ? "create_not_atomic" : ""));
    ASSERT_NE(w, nullptr);
    bool used_tmp_dir = false;
    for (const auto& e : vfs.TraceEntries()) {
      if ((e.op == vfs::OpKind::kMkdir || e.op == vfs::OpKind::kRename) && e.path == "/wal.tmp") used_tmp_dir = true;
    }
    EXPECT_EQ(used_tmp_dir, !bug) << vfs.TraceText();
  }
}

TEST(KnownBugsTest, CreateNotAtomicLeavesAHalfMadeWalWhenCreateFails) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with create_not_atomic" : "without");
    vfs::SimVfs vfs;
    vfs.SetFaultPlan(Plan("datasync *.wal errno=EIO"));  // segment 0's first sync
    auto w = Wal::Create(vfs, "/wal", "m", With(bug ? "create_not_atomic" : ""));
    EXPECT_CODE(w, Code::kIOError);
    EXPECT_EQ(Exist(vfs, "/wal"), bug);
  }
}

// Save acknowledges (and moves durable()) before the data is synced.
TEST(KnownBugsTest, AckBeforeFsyncMovesTheWatermarkPastWhatACrashKeeps) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with ack_before_fsync" : "without");
    vfs::SimVfs vfs;
    WalOptions o = With(bug ? "ack_before_fsync" : "");
    auto w = MustCreate(vfs, "m", o);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 3)));
    EXPECT_EQ(w->durable().last_index, 3u);
    auto image = Strict(vfs);
    ASSERT_NE(image, nullptr);
    auto r = MustOpenForRead(*image, {}, o);
    ASSERT_NE(r, nullptr);
    ReadResult got = MustReadAll(*r);
    if (bug) {
      EXPECT_TRUE(got.entries.empty());
    } else {
      EXPECT_EQ(Indexes(got.entries), Range(1, 3));
    }
  }
}

// etcd's Create as shipped: "<dir>.tmp" is never fsynced, so segment 0's
// directory entry may not be durable when Create returns.
TEST(KnownBugsTest, NoTmpDirFsyncInCreateLeavesSegmentZeroOutOfTheStrictImage) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "with no_tmp_dir_fsync_in_create" : "without");
    vfs::SimVfs vfs;
    WalOptions o = With(bug ? "no_tmp_dir_fsync_in_create" : "");
    auto w = MustCreate(vfs, "m", o);
    ASSERT_NE(w, nullptr);
    auto image = Strict(vfs);
    ASSERT_NE(image, nullptr);
    EXPECT_TRUE(*image->Exists("/wal"));  // the rename was made durable by the parent's fsync
    if (bug) {
      EXPECT_TRUE(WalFiles(*image).empty());
    } else {
      EXPECT_EQ(WalFiles(*image), (std::vector<std::string>{WalName(0, 0)}));
      auto r = MustOpenForRead(*image, {}, o);
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(MustReadAll(*r).metadata, "m");
    }
  }
}

}  // namespace
}  // namespace walcrash::etcd
