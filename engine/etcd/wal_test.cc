// The WAL's API (wal.h) against etcd's wal_test.go and wal-spec.md §2:
// Create, Open/OpenForRead, ReadAll's rules, Save/SaveSnapshot basics,
// ReleaseLockTo, Close, Verify, ValidSnapshotEntries and Exist. Cuts, repair,
// sync policies and the known-bug switches have files of their own.
#include "engine/etcd/wal.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/etcd/wal_test_util.h"
#include "vfs/posix_vfs.h"
#include "vfs/sim_vfs.h"

namespace walcrash::etcd {
namespace {

using namespace testing;  // NOLINT: the WAL test helpers
using vfs::testing::Names;
using vfs::testing::WriteDurably;

// raftpb.ConfState{Voters: [0x00ffca74]}, as etcd's tests use.
const std::string kConfState = Unhex("08f494ff07");

SnapshotRecord Snap(uint64_t index, uint64_t term) { return SnapshotRecord{index, term, kConfState}; }

// Appends `rec` after the last valid record of `path`, chaining the CRC.
void AppendRecord(vfs::Vfs& vfs, const std::string& path, Record rec) {
  Scan scan = ScanFile(vfs, path);
  ASSERT_TRUE(scan.end.ok()) << scan.end.ToString();
  auto f = vfs.Open(path, vfs::kWrite);
  ASSERT_TRUE(f.ok());
  Encoder enc(f->get(), scan.last_offset, scan.crc);
  ASSERT_OK(enc.Encode(rec));
  ASSERT_OK(enc.Flush());
  ASSERT_OK((*f)->Close());
}

// --- Create ---------------------------------------------------------------------

// TestNew and wal-spec.md §1 "Golden vector", with etcd's 64,000,000-byte
// segments.
TEST(WalCreateTest, WritesEtcdsGoldenBytesFollowedByZerosToTheSegmentSize) {
  vfs::SimVfs vfs;
  WalOptions o;
  o.background_threads = false;
  ASSERT_EQ(o.segment_size_bytes, 64'000'000u);
  auto w = MustCreate(vfs, "somedata", o);
  ASSERT_NE(w, nullptr);
  const std::string golden = Unhex(
      "0400000000000084" "0804100000000000"
      "1200000000000086" "08011085d4fda0071a08736f6d6564617461" "000000000000"
      "0e00000000000082" "08051080db81c1011a0408001000" "0000");
  std::string path = SegPath(0, 0);
  auto f = vfs.Open(path, vfs::kRead);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*(*f)->Size(), 64'000'000u);
  std::string chunk(1 << 20, '\0');
  uint64_t nonzero_past_header = 0;
  for (uint64_t at = 0; at < 64'000'000u;) {
    auto got = (*f)->ReadAt(at, {reinterpret_cast<std::byte*>(chunk.data()), chunk.size()});
    ASSERT_TRUE(got.ok() && *got > 0);
    size_t from = 0;
    if (at == 0) {
      EXPECT_EQ(Hex(chunk.substr(0, golden.size())), Hex(golden));
      from = golden.size();
    }
    for (size_t i = from; i < *got; ++i) nonzero_past_header += chunk[i] != 0 ? 1u : 0u;
    at += *got;
  }
  EXPECT_EQ(nonzero_past_header, 0u);
  ASSERT_OK((*f)->Close());
  ASSERT_OK(w->Close());
}

TEST(WalCreateTest, NamesTheFirstSegmentZeroZeroAndLocksIt) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(WalFiles(vfs), (std::vector<std::string>{"0000000000000000-0000000000000000.wal"}));
  EXPECT_EQ(w->LockedSegments(), (std::vector<std::string>{SegPath(0, 0)}));
  auto other = vfs.OpenLocked(SegPath(0, 0), vfs::kRead, vfs::Vfs::LockWait::kTry);
  EXPECT_CODE(other, Code::kLocked);
  EXPECT_EQ(w->dir(), "/wal");
}

TEST(WalCreateTest, ReturnsAWalReadyToAppend) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 3, "x")));
  ASSERT_OK(w->Close());
  ReadResult r;
  auto again = MustReopen(vfs, &r);
  EXPECT_EQ(r.metadata, "m");
  EXPECT_EQ(r.state, (HardState{1, 1, 1}));
  EXPECT_EQ(r.entries, Ents(1, 3, "x"));
}

// TestCreateFailFromPollutedDir: etcd's Exist looks for any "*.wal" file.
TEST(WalCreateTest, FailsWithExistOnADirectoryHoldingAnyDotWalFile) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/wal"));
  WriteDurably(vfs, "/wal/test.wal", "data");
  auto w = Wal::Create(vfs, "/wal", "data", Small());
  EXPECT_WAL_ERROR(w, WalError::kExist);
  EXPECT_EQ(vfs::testing::Contents(vfs, "/wal/test.wal"), "data");
}

// TestNewForInitedDir.
TEST(WalCreateTest, FailsWithExistOnAnInitializedDirectory) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/wal"));
  WriteDurably(vfs, SegPath(0, 0), "");
  auto w = Wal::Create(vfs, "/wal", "", Small());
  EXPECT_WAL_ERROR(w, WalError::kExist);
  EXPECT_CODE(w, Code::kExists);
}

TEST(WalCreateTest, FailsWithExistOnADirectoryWithAWal) {
  vfs::SimVfs vfs;
  ASSERT_NE(MustCreate(vfs, "a"), nullptr);
  auto second = Wal::Create(vfs, "/wal", "b", Small());
  EXPECT_WAL_ERROR(second, WalError::kExist);
}

// TestRestartCreateWal: a "<dir>.tmp" left by an interrupted Create is
// removed.
TEST(WalCreateTest, RemovesAStaleTmpDirectoryLeftByAnInterruptedCreate) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/wal.tmp"));
  WriteDurably(vfs, "/wal.tmp/test", "");
  WriteDurably(vfs, "/wal.tmp/" + WalName(0, 0), "stale");
  auto w = MustCreate(vfs, "abc");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Close());
  EXPECT_FALSE(*vfs.Exists("/wal.tmp"));
  EXPECT_EQ(Names(vfs, "/wal"), (std::vector<std::string>{WalName(0, 0)}));
  auto r = MustOpenForRead(vfs);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(MustReadAll(*r).metadata, "abc");
}

// TestWalCleanup: a failure after the rename moves the directory aside
// (etcd: "<dir>.broken.<time>"; the engine: the first free "<dir>.broken[.N]").
TEST(WalCreateTest, MovesADirectoryItCouldNotFinishToBroken) {
  vfs::SimVfs vfs;
  vfs.SetFaultPlan(Plan("dirsync / errno=EIO"));  // the parent sync after the rename
  auto w = Wal::Create(vfs, "/wal", "m", Small());
  EXPECT_CODE(w, Code::kIOError);
  EXPECT_EQ(Names(vfs, "/"), (std::vector<std::string>{"wal.broken"}));
  EXPECT_EQ(WalFiles(vfs, "/wal.broken"), (std::vector<std::string>{WalName(0, 0)}));
  EXPECT_FALSE(Exist(vfs, "/wal"));
}

TEST(WalCreateTest, PicksTheNextFreeBrokenName) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/wal.broken"));
  vfs.SetFaultPlan(Plan("dirsync / errno=EIO"));
  EXPECT_CODE(Wal::Create(vfs, "/wal", "m", Small()), Code::kIOError);
  EXPECT_EQ(Names(vfs, "/"), (std::vector<std::string>{"wal.broken", "wal.broken.1"}));
}

// TestCreateFailFromNoSpaceLeft.
TEST(WalCreateTest, FailsWhenTheFirstSegmentCannotBePreallocated) {
  vfs::SimVfs vfs(vfs::SimVfsOptions{.capacity_bytes = 8 * 1024});
  auto w = Wal::Create(vfs, "/wal", "m", Small(16 * 1024));
  EXPECT_CODE(w, Code::kNoSpace);
  EXPECT_FALSE(Exist(vfs, "/wal"));
}

// TestRenameFail.
TEST(WalCreateTest, FailsWithoutAWalWhenTheRenameIntoPlaceFails) {
  vfs::SimVfs vfs;
  vfs.SetFaultPlan(Plan("rename /wal.tmp errno=EIO"));
  auto w = Wal::Create(vfs, "/wal", "m", Small());
  EXPECT_CODE(w, Code::kIOError);
  EXPECT_FALSE(Exist(vfs, "/wal"));
}

TEST(WalCreateTest, RejectsInvalidOptions) {
  vfs::SimVfs vfs;
  EXPECT_CODE(Wal::Create(vfs, "/wal", "m", Small(512)), Code::kInvalidArgument);
  EXPECT_FALSE(*vfs.Exists("/wal"));
  EXPECT_FALSE(*vfs.Exists("/wal.tmp"));
}

TEST(WalCreateTest, TrailingSlashesNameTheSameDirectory) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m", Small(), "/wal//");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dir(), "/wal");
  EXPECT_TRUE(Exist(vfs, "/wal"));
}

TEST(WalExistTest, SaysWhetherADirectoryHoldsSegments) {
  vfs::SimVfs vfs;
  EXPECT_FALSE(Exist(vfs, "/wal"));
  ASSERT_OK(vfs.Mkdir("/wal"));
  EXPECT_FALSE(Exist(vfs, "/wal"));
  WriteDurably(vfs, "/wal/0.tmp", "");
  EXPECT_FALSE(Exist(vfs, "/wal"));
  WriteDurably(vfs, SegPath(0, 0), "");
  EXPECT_TRUE(Exist(vfs, "/wal"));
}

// --- Open and OpenForRead ------------------------------------------------------------

// TestOpenAtIndex.
TEST(WalOpenTest, SelectsSegmentsFromTheOneHoldingTheSnapshotIndex) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/wal"));
  WriteDurably(vfs, SegPath(0, 0), "");
  {
    auto w = MustOpen(vfs);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->LockedSegments(), (std::vector<std::string>{SegPath(0, 0)}));
    ASSERT_OK(w->Close());
  }
  WriteDurably(vfs, SegPath(2, 10), "");
  {
    // [0-0, 2-a] passes isValidSeq (the check is skipped after seq 0).
    auto w = MustOpen(vfs, SnapshotRecord{5, 0, std::nullopt});
    ASSERT_NE(w, nullptr);
    auto locked = w->LockedSegments();
    ASSERT_FALSE(locked.empty());
    EXPECT_EQ(locked.back(), SegPath(2, 10));
    ASSERT_OK(w->Close());
  }
  {
    auto w = MustOpen(vfs, SnapshotRecord{10, 0, std::nullopt});
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->LockedSegments(), (std::vector<std::string>{SegPath(2, 10)}));
  }
}

TEST(WalOpenTest, AnEmptyDirectoryIsFileNotFound) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/empty"));
  EXPECT_WAL_ERROR(Wal::Open(vfs, "/empty", {}, Small()), WalError::kFileNotFound);
  EXPECT_WAL_ERROR(Wal::OpenForRead(vfs, "/empty", {}, Small()), WalError::kFileNotFound);
}

TEST(WalOpenTest, NoSegmentAtOrBelowTheSnapshotIndexIsFileNotFound) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/wal"));
  WriteDurably(vfs, SegPath(1, 10), "");
  auto w = Wal::Open(vfs, "/wal", SnapshotRecord{5, 1, std::nullopt}, Small());
  EXPECT_WAL_ERROR(w, WalError::kFileNotFound);
  EXPECT_NE(w.status().message().find("snapshot index"), std::string_view::npos) << w.status().ToString();
}

TEST(WalOpenTest, ASeqGapAfterTheSelectedSegmentIsASequenceError) {
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/wal"));
  WriteDurably(vfs, SegPath(1, 1), "");
  WriteDurably(vfs, SegPath(3, 5), "");
  EXPECT_WAL_ERROR(Wal::Open(vfs, "/wal", SnapshotRecord{1, 1, std::nullopt}, Small()), WalError::kSequence);
  EXPECT_WAL_ERROR(Wal::OpenForRead(vfs, "/wal", SnapshotRecord{1, 1, std::nullopt}, Small()), WalError::kSequence);
}

TEST(WalOpenTest, ASecondWriterIsLockedOutWhileOpenForReadWorksAlongside) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 0, 1}, Ents(1, 3)));
  EXPECT_WAL_ERROR(Wal::Open(vfs, "/wal", {}, Small()), WalError::kLocked);
  EXPECT_CODE(Wal::Open(vfs, "/wal", {}, Small()), Code::kLocked);
  auto reader = MustOpenForRead(vfs);
  ASSERT_NE(reader, nullptr);
  ReadResult r = MustReadAll(*reader);
  EXPECT_EQ(Indexes(r.entries), Range(1, 3));
  ASSERT_OK(reader->Close());
  ASSERT_OK(w->Close());
  // Close released the locks.
  auto again = MustOpen(vfs);
  ASSERT_NE(again, nullptr);
  EXPECT_WAL_ERROR(Wal::Open(vfs, "/wal", {}, Small()), WalError::kLocked);
}

TEST(WalOpenTest, AnOpenThatFailsOnALockedSegmentHoldsNoLocks) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, CuttingMetadata(Small(1024)), Small(1024));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save({}, One(1)));  // cuts: 0-0, 1-2
  ASSERT_OK(w->ReleaseLockTo(5));  // keeps only the tail
  ASSERT_EQ(w->LockedSegments().size(), 1u);
  EXPECT_WAL_ERROR(Wal::Open(vfs, "/wal", {}, Small(1024)), WalError::kLocked);
  // The failed Open released segment 0 again.
  auto f = vfs.OpenLocked(SegPath(0, 0), vfs::kRead, vfs::Vfs::LockWait::kTry);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
}

// TestOpenForRead: reads every segment although the writer holds locks and
// released some of them.
TEST(WalOpenTest, OpenForReadReadsAllSegmentsWhileAWriterHoldsLocks) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_OK(w->Save({}, One(i)));
  ASSERT_OK(w->ReleaseLockTo(5));
  auto r = MustOpenForRead(vfs, {}, o);
  ASSERT_NE(r, nullptr);
  ReadResult got = MustReadAll(*r);
  ASSERT_FALSE(got.entries.empty());
  EXPECT_EQ(got.entries.back().index, 9u);
}

TEST(WalOpenTest, OpenRejectsInvalidOptions) {
  vfs::SimVfs vfs;
  ASSERT_NE(MustCreate(vfs, "m"), nullptr);
  WalOptions bad = Small();
  bad.fsync_period = std::chrono::hours(2);
  EXPECT_CODE(Wal::Open(vfs, "/wal", {}, bad), Code::kInvalidArgument);
}

// --- ReadAll ----------------------------------------------------------------------

// TestRecover, with entries just over the 10 MiB cap etcd 3.4.10–3.5.4 had.
TEST(WalReadAllTest, ReturnsTheMetadataTheLastHardStateAndEntriesLargerThanTenMiB) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "metadata");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->SaveSnapshot(SnapshotRecord{}));
  std::string data(10 * 1024 * 1024 + 3, '\0');
  std::mt19937_64 rng(42);
  for (char& c : data) c = static_cast<char>(rng());
  std::vector<Entry> ents = {Entry{1, 1, 0, data}, Entry{2, 2, 0, data}};
  ASSERT_OK(w->Save({}, ents));
  for (HardState s : {HardState{1, 1, 1}, HardState{2, 2, 2}}) ASSERT_OK(w->Save(s, {}));
  ASSERT_OK(w->Close());
  ReadResult r;
  auto again = MustReopen(vfs, &r);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(r.metadata, "metadata");
  EXPECT_TRUE(r.entries == ents) << "entries differ";
  EXPECT_EQ(r.state, (HardState{2, 2, 2}));  // only the latest state
}

TEST(WalReadAllTest, ALaterEntryWithALowerIndexOverridesTheSuffix) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 1, 0}, Ents(1, 5, "old")));
  ASSERT_OK(w->Save(HardState{2, 2, 0}, {Entry{2, 3, 0, "new3"}, Entry{2, 4, 0, "new4"}}));
  ASSERT_OK(w->Close());
  ReadResult r;
  auto again = MustReopen(vfs, &r);
  std::vector<Entry> want = Ents(1, 2, "old");
  want.push_back(Entry{2, 3, 0, "new3"});
  want.push_back(Entry{2, 4, 0, "new4"});
  EXPECT_EQ(r.entries, want);
  EXPECT_EQ(r.state, (HardState{2, 2, 0}));
}

TEST(WalReadAllTest, ReturnsOnlyEntriesAfterTheSnapshot) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save({}, Ents(1, 5)));
  ASSERT_OK(w->SaveSnapshot(Snap(3, 1)));
  ASSERT_OK(w->Save({}, Ents(6, 7)));
  ASSERT_OK(w->Close());
  ReadResult r;
  auto again = MustReopen(vfs, &r, Small(), SnapshotRecord{3, 1, std::nullopt});
  EXPECT_EQ(Indexes(r.entries), Range(4, 7));
}

// TestOpenAtUncommittedIndex.
TEST(WalReadAllTest, SucceedsAtTheInitialSnapshotWithAnEntryAtIndexZero) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->SaveSnapshot(SnapshotRecord{}));
  ASSERT_OK(w->Save({}, One(0)));
  ASSERT_OK(w->Close());
  auto again = MustOpen(vfs);
  ASSERT_NE(again, nullptr);
  EXPECT_OK(again->ReadAll().status());
}

TEST(WalReadAllTest, ASnapshotWithTheIndexButAnotherTermIsSnapshotMismatch) {
  vfs::SimVfs vfs;
  ASSERT_NE(MustCreate(vfs, "m"), nullptr);
  auto w = MustOpen(vfs, SnapshotRecord{0, 5, std::nullopt});
  ASSERT_NE(w, nullptr);
  EXPECT_WAL_ERROR(w->ReadAll(), WalError::kSnapshotMismatch);
  auto r = MustOpenForRead(vfs, SnapshotRecord{0, 5, std::nullopt});
  ASSERT_NE(r, nullptr);
  EXPECT_WAL_ERROR(r->ReadAll(), WalError::kSnapshotMismatch);
}

TEST(WalReadAllTest, AMissingSnapshotIsSnapshotNotFoundInReadMode) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "m");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save({}, Ents(1, 3)));
  }
  auto r = MustOpenForRead(vfs, SnapshotRecord{2, 1, std::nullopt});
  ASSERT_NE(r, nullptr);
  EXPECT_WAL_ERROR(r->ReadAll(), WalError::kSnapshotNotFound);
}

// wal-spec.md §2: etcd's write mode overwrites the error (PR #21369 unmerged).
TEST(WalReadAllTest, WriteModeLosesSnapshotNotFoundAsEtcdDoes) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "m");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save({}, Ents(1, 3)));
  }
  auto w = MustOpen(vfs, SnapshotRecord{2, 1, std::nullopt});
  ASSERT_NE(w, nullptr);
  auto r = w->ReadAll();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Indexes(r->entries), Range(3, 3));
  EXPECT_OK(w->Save({}, One(4)));
}

TEST(WalReadAllTest, DifferentMetadataInALaterRecordIsAConflict) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "a");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save({}, Ents(1, 2)));
  }
  AppendRecord(vfs, SegPath(0, 0), Record{static_cast<int64_t>(RecordType::kMetadata), 0, std::string("b")});
  auto w = MustOpen(vfs);
  ASSERT_NE(w, nullptr);
  EXPECT_WAL_ERROR(w->ReadAll(), WalError::kMetadataConflict);
  EXPECT_WAL_ERROR(Verify(vfs, "/wal", {}, Small()), WalError::kMetadataConflict);
}

TEST(WalReadAllTest, TheSameMetadataAgainIsNoConflict) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "a");
    ASSERT_NE(w, nullptr);
  }
  AppendRecord(vfs, SegPath(0, 0), Record{static_cast<int64_t>(RecordType::kMetadata), 0, std::string("a")});
  auto w = MustOpen(vfs);
  ASSERT_NE(w, nullptr);
  EXPECT_OK(w->ReadAll().status());
}

// A segment's CRC record must carry the CRC the chain reached at the end of
// the previous segment.
TEST(WalReadAllTest, ASegmentWhoseCrcRecordBreaksTheChainIsAWalCrcMismatch) {
  for (bool right : {true, false}) {
    SCOPED_TRACE(right ? "right CRC" : "wrong CRC");
    vfs::SimVfs vfs;
    {
      auto w = MustCreate(vfs, "m");
      ASSERT_NE(w, nullptr);
      ASSERT_OK(w->Save(HardState{1, 0, 0}, Ents(1, 2)));
    }
    Scan seg0 = ScanFile(vfs, SegPath(0, 0));
    ASSERT_NE(seg0.crc, 0u);
    uint32_t crc = right ? seg0.crc : seg0.crc ^ 0x00010000u;
    auto f = vfs.Open(SegPath(1, 3), vfs::kWrite | vfs::kCreate);
    ASSERT_TRUE(f.ok());
    Encoder enc(f->get(), 0, crc);
    Record crc_rec{static_cast<int64_t>(RecordType::kCrc), crc, std::nullopt};
    ASSERT_OK(enc.Encode(crc_rec));
    Record meta{static_cast<int64_t>(RecordType::kMetadata), 0, std::string("m")};
    ASSERT_OK(enc.Encode(meta));
    ASSERT_OK(enc.Flush());
    ASSERT_OK((*f)->Close());
    auto w = MustOpen(vfs);
    ASSERT_NE(w, nullptr);
    if (right) {
      EXPECT_OK(w->ReadAll().status());
    } else {
      EXPECT_WAL_ERROR(w->ReadAll(), WalError::kCrcMismatch);
      EXPECT_WAL_ERROR(Verify(vfs, "/wal", {}, Small()), WalError::kCrcMismatch);
    }
  }
}

// TestOpenWithMaxIndex, and a gap in the indexes.
TEST(WalReadAllTest, AnEntryPastTheEndOfTheEntriesReadIsSliceOutOfRange) {
  for (uint64_t far : {uint64_t{5}, uint64_t{std::numeric_limits<int64_t>::max()}}) {
    vfs::SimVfs vfs;
    {
      auto w = MustCreate(vfs, "");
      ASSERT_NE(w, nullptr);
      ASSERT_OK(w->Save({}, Ents(1, 2)));
      ASSERT_OK(w->Save({}, One(far)));
    }
    auto w = MustOpen(vfs);
    ASSERT_NE(w, nullptr);
    EXPECT_WAL_ERROR(w->ReadAll(), WalError::kSliceOutOfRange) << far;
  }
}

// etcd main (#19038): the error comes with the hard state and the
// contiguous entries read so far, and no metadata.
TEST(WalReadAllTest, SliceOutOfRangeComesWithTheHardStateAndTheContiguousEntriesReadSoFar) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "m");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{2, 1, 1}, Ents(1, 3)));
    ASSERT_OK(w->Save({}, One(7)));
  }
  auto w = MustOpen(vfs);
  ASSERT_NE(w, nullptr);
  ReadResult out;
  EXPECT_WAL_ERROR(w->ReadAll(&out), WalError::kSliceOutOfRange);
  EXPECT_EQ(Indexes(out.entries), Range(1, 3));
  EXPECT_EQ(out.state, (HardState{2, 1, 1}));
  EXPECT_TRUE(out.metadata.empty());
}

TEST(WalReadAllTest, SnapshotNotFoundInReadModeComesWithEverythingRead) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "m");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{1, 0, 2}, Ents(1, 3)));
  }
  auto r = MustOpenForRead(vfs, SnapshotRecord{2, 1, std::nullopt});
  ASSERT_NE(r, nullptr);
  ReadResult out;
  EXPECT_WAL_ERROR(r->ReadAll(&out), WalError::kSnapshotNotFound);
  EXPECT_EQ(out.metadata, "m");
  EXPECT_EQ(out.state, (HardState{1, 0, 2}));
  EXPECT_EQ(Indexes(out.entries), Range(3, 3));
}

// etcd's state.Reset(): on the other errors nothing is returned.
TEST(WalReadAllTest, OtherErrorsComeWithNothing) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "a");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{1, 0, 1}, Ents(1, 2)));
  }
  AppendRecord(vfs, SegPath(0, 0), Record{static_cast<int64_t>(RecordType::kMetadata), 0, std::string("b")});
  auto w = MustOpen(vfs);
  ASSERT_NE(w, nullptr);
  ReadResult out;
  out.metadata = "stale";
  out.entries = Ents(9, 9);
  EXPECT_WAL_ERROR(w->ReadAll(&out), WalError::kMetadataConflict);
  EXPECT_TRUE(out.metadata.empty());
  EXPECT_TRUE(out.entries.empty());
  EXPECT_TRUE(out.state.empty());
}

TEST(WalReadAllTest, AnUnknownRecordTypeIsABadRecord) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "m");
    ASSERT_NE(w, nullptr);
  }
  AppendRecord(vfs, SegPath(0, 0), Record{9, 0, std::string("x")});
  auto w = MustOpen(vfs);
  ASSERT_NE(w, nullptr);
  auto r = w->ReadAll();
  EXPECT_WAL_ERROR(r, WalError::kBadRecord);
  EXPECT_NE(r.status().message().find("unexpected block type 9"), std::string_view::npos) << r.status().ToString();
}

// TestReadAllFail.
TEST(WalReadAllTest, ACreatedWalHasNoDecoder) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "metadata");
  ASSERT_NE(w, nullptr);
  EXPECT_WAL_ERROR(w->ReadAll(), WalError::kDecoderNotFound);
}

TEST(WalReadAllTest, ASecondReadAllHasNoDecoder) {
  vfs::SimVfs vfs;
  ASSERT_NE(MustCreate(vfs, "m"), nullptr);
  auto w = MustOpen(vfs);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->ReadAll().status());
  EXPECT_WAL_ERROR(w->ReadAll(), WalError::kDecoderNotFound);
  auto r = MustOpenForRead(vfs);
  ASSERT_NE(r, nullptr);
  ASSERT_OK(r->ReadAll().status());
  EXPECT_WAL_ERROR(r->ReadAll(), WalError::kDecoderNotFound);
}

// TestLastRecordLengthExceedFileEnd: write mode reports the torn tail, read
// mode accepts it.
TEST(WalReadAllTest, ALastRecordLongerThanItsFileIsUnexpectedEOFInWriteModeOnly) {
  const std::string data = LengthPastEndVector();
  vfs::SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/wal"));
  WriteDurably(vfs, SegPath(0, 0), data);
  {
    auto w = MustOpen(vfs, SnapshotRecord{0, 0, std::nullopt});
    ASSERT_NE(w, nullptr);
    EXPECT_WAL_ERROR(w->ReadAll(), WalError::kUnexpectedEOF);
  }
  auto r = MustOpenForRead(vfs, SnapshotRecord{0, 0, std::nullopt});
  ASSERT_NE(r, nullptr);
  ReadResult got = MustReadAll(*r);
  EXPECT_EQ(Indexes(got.entries), Range(1, 2));
  EXPECT_EQ(got.entries[1].data, "waldata2");
}

TEST(WalReadAllTest, ReadAllAfterCloseIsClosed) {
  vfs::SimVfs vfs;
  ASSERT_NE(MustCreate(vfs, "m"), nullptr);
  auto w = MustOpen(vfs);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Close());
  EXPECT_WAL_ERROR(w->ReadAll(), WalError::kClosed);
}

// --- Save and SaveSnapshot -------------------------------------------------------------

TEST(WalSaveTest, AppendingBeforeReadAllIsRefused) {
  vfs::SimVfs vfs;
  ASSERT_NE(MustCreate(vfs, "m"), nullptr);
  auto w = MustOpen(vfs);
  ASSERT_NE(w, nullptr);
  EXPECT_CODE(w->Save(HardState{1, 0, 0}, One(1)), Code::kInvalidArgument);
  EXPECT_CODE(w->SaveSnapshot(Snap(1, 1)), Code::kInvalidArgument);
  ASSERT_OK(w->ReadAll().status());
  EXPECT_OK(w->Save(HardState{1, 0, 0}, One(1)));
}

TEST(WalSaveTest, AWalOpenedForReadingRefusesToAppend) {
  vfs::SimVfs vfs;
  ASSERT_NE(MustCreate(vfs, "m"), nullptr);
  auto r = MustOpenForRead(vfs);
  ASSERT_NE(r, nullptr);
  ASSERT_OK(r->ReadAll().status());
  EXPECT_CODE(r->Save(HardState{1, 0, 0}, One(1)), Code::kInvalidArgument);
  EXPECT_CODE(r->Sync(), Code::kInvalidArgument);
  EXPECT_TRUE(r->LockedSegments().empty());
}

TEST(WalSaveTest, AClosedWalRefusesEverything) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Close());
  EXPECT_WAL_ERROR(w->Save(HardState{1, 0, 0}, One(1)), WalError::kClosed);
  EXPECT_WAL_ERROR(w->SaveSnapshot(Snap(1, 1)), WalError::kClosed);
  EXPECT_WAL_ERROR(w->Sync(), WalError::kClosed);
  EXPECT_WAL_ERROR(w->Close(), WalError::kClosed);
}

// TestSaveEmpty.
TEST(WalSaveTest, AnEmptySaveWritesNothingAndDoesNotSync) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 0, 0}, One(1)));
  DurableMark before = w->durable();
  auto pending = vfs.PendingOperations().size();
  uint64_t seq = LastSeq(vfs);
  ASSERT_OK(w->Save(HardState{}, {}));
  EXPECT_TRUE(TraceSince(vfs, seq).empty());
  EXPECT_EQ(vfs.PendingOperations().size(), pending);
  EXPECT_EQ(w->durable().syncs, before.syncs);
}

TEST(WalSaveTest, DurableAfterASyncedSaveIsTheLastEntryAndTheHardState) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  uint64_t syncs = w->durable().syncs;
  ASSERT_OK(w->Save(HardState{3, 2, 4}, Ents(1, 7)));
  DurableMark d = w->durable();
  EXPECT_EQ(d.last_index, 7u);
  EXPECT_EQ(d.state, (HardState{3, 2, 4}));
  EXPECT_EQ(d.syncs, syncs + 1);
  EXPECT_TRUE(PendingSegmentWrites(vfs).empty());
  // What durable() promises survives a crash now.
  auto image = Strict(vfs);
  ASSERT_NE(image, nullptr);
  auto r = MustOpenForRead(*image);
  ASSERT_NE(r, nullptr);
  ReadResult got = MustReadAll(*r);
  EXPECT_EQ(Indexes(got.entries), Range(1, 7));
  EXPECT_EQ(got.state, (HardState{3, 2, 4}));
}

TEST(WalSaveTest, DurableAfterReopeningIsWhatReadAllFound) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "m");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{2, 1, 3}, Ents(1, 4)));
  }
  auto w = MustReopen(vfs);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->durable().last_index, 4u);
  EXPECT_EQ(w->durable().state, (HardState{2, 1, 3}));
}

TEST(WalSaveSnapshotTest, WritesASnapshotRecordAndSyncsIt) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save({}, Ents(1, 3)));
  uint64_t syncs = w->durable().syncs;
  ASSERT_OK(w->SaveSnapshot(Snap(10, 2)));
  EXPECT_EQ(w->durable().syncs, syncs + 1);
  EXPECT_EQ(w->durable().last_index, 10u);  // enti = max(enti, snap.index)
  auto image = Strict(vfs);
  ASSERT_NE(image, nullptr);
  auto r = MustOpenForRead(*image, SnapshotRecord{10, 2, std::nullopt});
  ASSERT_NE(r, nullptr);
  EXPECT_OK(r->ReadAll().status());
}

TEST(WalSaveSnapshotTest, AnOlderSnapshotDoesNotMoveTheLastIndexBack) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save({}, Ents(1, 8)));
  ASSERT_OK(w->SaveSnapshot(Snap(3, 1)));
  EXPECT_EQ(w->durable().last_index, 8u);
}

// TestValidateSnapshot (etcd 3.5+'s ValidateSnapshotForWrite): a snapshot
// past index 0 must carry its ConfState.
TEST(WalSaveSnapshotTest, RejectsANonInitialSnapshotWithoutConfState) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  EXPECT_OK(w->SaveSnapshot(SnapshotRecord{}));
  EXPECT_FALSE(w->SaveSnapshot(SnapshotRecord{5, 3, std::nullopt}).ok());
  EXPECT_OK(w->SaveSnapshot(Snap(5, 3)));
}

// TestTailWriteNoSlackSpace: appends work when the tail has no preallocated
// space left after its last record.
TEST(WalSaveTest, AppendsToATailWithoutSlackSpace) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "metadata");
    ASSERT_NE(w, nullptr);
    for (uint64_t i = 1; i <= 5; ++i) ASSERT_OK(w->Save(HardState{1, 0, 0}, One(i, std::string(1, char(i)))));
  }
  TruncateFile(vfs, SegPath(0, 0), ScanFile(vfs, SegPath(0, 0)).last_offset);
  {
    ReadResult r;
    auto w = MustReopen(vfs, &r);
    ASSERT_NE(w, nullptr);
    ASSERT_EQ(r.entries.size(), 5u);
    for (uint64_t i = 6; i <= 10; ++i) ASSERT_OK(w->Save(HardState{1, 0, 0}, One(i, std::string(1, char(i)))));
  }
  ReadResult r;
  auto w = MustReopen(vfs, &r);
  EXPECT_EQ(Indexes(r.entries), Range(1, 10));
}

// Found by fuzz_wal_directory: a tail whose length past its last record is
// not a whole number of 8-byte frames (here one byte more) was zeroed and
// kept at that length; an append that ended 1-7 bytes before its end left
// a remainder the decoder reads as a torn frame header, so after a clean
// Close the next Open + ReadAll failed with unexpected EOF.
TEST(WalSaveTest, AnAppendIntoATailOfOddLengthLeavesNoTornLookingRemainder) {
  // The append writes the same bytes in both runs: the first measures where
  // they end, the second leaves exactly one byte after that.
  uint64_t append_end = 0;
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run == 0 ? "measuring" : "one byte of slack");
    vfs::SimVfs vfs;
    {
      auto w = MustCreate(vfs, "metadata");
      ASSERT_NE(w, nullptr);
      for (uint64_t i = 1; i <= 3; ++i) ASSERT_OK(w->Save(HardState{1, 0, i}, One(i, "data")));
    }
    const uint64_t records_end = ScanFile(vfs, SegPath(0, 0)).last_offset;
    TruncateFile(vfs, SegPath(0, 0), run == 0 ? records_end : append_end + 1);
    {
      ReadResult r;
      auto w = MustReopen(vfs, &r);
      ASSERT_NE(w, nullptr);
      ASSERT_EQ(r.entries.size(), 3u);
      ASSERT_OK(w->Save(HardState{1, 0, 4}, One(4, "more")));
      ASSERT_OK(w->Close());
    }
    if (run == 0) {
      append_end = ScanFile(vfs, SegPath(0, 0)).last_offset;
      ASSERT_GT(append_end, records_end);
      continue;
    }
    auto w = MustOpen(vfs);
    ASSERT_NE(w, nullptr);
    auto r = w->ReadAll();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Indexes(r->entries), Range(1, 4));
    EXPECT_EQ(r->state, (HardState{1, 0, 4}));
  }
}

// The same remainder from a segment size that is not a multiple of 8: a
// segment whose records end 1-7 bytes before its preallocated end (too
// early to cut) must still read to a clean end after Close.
TEST(WalSaveTest, ASegmentSizeOfOddLengthLeavesNoTornLookingRemainder) {
  auto save_all = [](Wal& w) {
    for (uint64_t i = 1; i <= 30; ++i) ASSERT_OK(w.Save(HardState{1, 0, i}, One(i, "0123456789")));
  };
  uint64_t records_end = 0;
  {
    vfs::SimVfs vfs;  // measure where the records end, with room to spare
    auto w = MustCreate(vfs, "metadata", Small(64 * 1024));
    ASSERT_NE(w, nullptr);
    save_all(*w);
    ASSERT_OK(w->Close());
    records_end = ScanFile(vfs, SegPath(0, 0)).last_offset;
    ASSERT_GT(records_end, 1024u);
  }
  for (uint64_t slack = 1; slack < 8; ++slack) {
    SCOPED_TRACE(slack);
    vfs::SimVfs vfs;
    auto w = MustCreate(vfs, "metadata", Small(records_end + slack));
    ASSERT_NE(w, nullptr);
    save_all(*w);
    ASSERT_OK(w->Close());
    ASSERT_EQ(WalFiles(vfs).size(), 1u) << "the records were to stay below the segment size";
    auto reopened = MustOpen(vfs, {}, Small(records_end + slack));
    ASSERT_NE(reopened, nullptr);
    auto r = reopened->ReadAll();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Indexes(r->entries), Range(1, 30));
  }
}

TEST(WalCloseTest, SyncsWhatSaveLeftInThePageBuffer) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 0, 0}, One(1)));
  ASSERT_OK(w->Save(HardState{1, 0, 1}, {}));  // commit only: no sync
  ASSERT_OK(w->Close());
  auto image = Strict(vfs);
  ASSERT_NE(image, nullptr);
  auto r = MustOpenForRead(*image);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(MustReadAll(*r).state, (HardState{1, 0, 1}));
}

TEST(WalCloseTest, RemovesThePipelinesTmpFile) {
  for (bool background : {false, true}) {
    SCOPED_TRACE(background ? "background pipeline" : "inline pipeline");
    vfs::SimVfs vfs;
    WalOptions o = Small();
    o.background_threads = background;
    auto w = MustCreate(vfs, "m", o);
    ASSERT_NE(w, nullptr);
    auto has_tmp = [&] {
      for (const auto& n : Names(vfs, "/wal")) {
        if (n.ends_with(".tmp")) return true;
      }
      return false;
    };
    ASSERT_TRUE(Eventually(has_tmp)) << "the pipeline never made its file";
    ASSERT_OK(w->Close());
    EXPECT_FALSE(has_tmp());
    EXPECT_EQ(Names(vfs, "/wal"), (std::vector<std::string>{WalName(0, 0)}));
  }
}

// --- ReleaseLockTo -----------------------------------------------------------------

// TestReleaseLockTo: ten cuts after entries 0..9 give segments 0-0 .. 10-10.
TEST(WalReleaseLockToTest, KeepsTheSegmentBeforeTheFirstAtOrAboveTheIndex) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->ReleaseLockTo(10));  // nothing to release
  EXPECT_EQ(w->LockedSegments().size(), 1u);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_OK(w->Save({}, One(i)));
  ASSERT_EQ(w->LockedSegments().size(), 11u);

  ASSERT_OK(w->ReleaseLockTo(5));
  auto locks = w->LockedSegments();
  ASSERT_EQ(locks.size(), 7u);  // 4, 5, ..., 10
  for (size_t i = 0; i < locks.size(); ++i) {
    auto name = ParseWalName(vfs::BaseName(locks[i]));
    ASSERT_TRUE(name.ok());
    EXPECT_EQ(name->index, i + 4) << locks[i];
  }

  ASSERT_OK(w->ReleaseLockTo(15));
  EXPECT_EQ(w->LockedSegments(), (std::vector<std::string>{SegPath(10, 10)}));
}

TEST(WalReleaseLockToTest, ReleasedSegmentsCanBeLockedByAPurger) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_OK(w->Save({}, One(i)));
  ASSERT_OK(w->ReleaseLockTo(5));
  for (uint64_t i = 0; i <= 10; ++i) {
    auto f = vfs.OpenLocked(SegPath(i, i), vfs::kRead, vfs::Vfs::LockWait::kTry);
    if (i < 4) {
      EXPECT_TRUE(f.ok()) << i << ": " << f.status().ToString();
    } else {
      EXPECT_CODE(f, Code::kLocked) << i;
    }
  }
}

TEST(WalReleaseLockToTest, AnIndexAtOrBelowTheFirstSegmentReleasesNothing) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  for (uint64_t i = 0; i < 3; ++i) ASSERT_OK(w->Save({}, One(i)));
  ASSERT_OK(w->ReleaseLockTo(0));
  EXPECT_EQ(w->LockedSegments().size(), 4u);
  ASSERT_OK(w->ReleaseLockTo(1));  // the first at or above 1 is 1-1 at position 1: keeps 0 onward
  EXPECT_EQ(w->LockedSegments().size(), 4u);
  ASSERT_OK(w->ReleaseLockTo(2));  // 2-2 at position 2: releases 0-0
  EXPECT_EQ(w->LockedSegments().front(), SegPath(1, 1));
}

// --- recovery across cuts ------------------------------------------------------------

// TestRecoverAfterCut: with 4-4 gone, snapshots 0..4 fail on the seq gap,
// 5..9 recover.
TEST(WalRecoverTest, AMissingSegmentFailsEarlierSnapshotsAndLaterOnesRecover) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  const std::string meta = CuttingMetadata(o);
  {
    auto md = MustCreate(vfs, meta, o);
    ASSERT_NE(md, nullptr);
    for (uint64_t i = 0; i < 10; ++i) {
      ASSERT_OK(md->SaveSnapshot(Snap(i, 1)));
      ASSERT_OK(md->Save({}, One(i)));  // and cut
    }
  }
  ASSERT_OK(vfs.Unlink(SegPath(4, 4)));
  for (uint64_t i = 0; i < 10; ++i) {
    SCOPED_TRACE("snapshot " + std::to_string(i));
    auto w = Wal::Open(vfs, "/wal", SnapshotRecord{i, 1, std::nullopt}, o);
    if (i <= 4) {
      EXPECT_WAL_ERROR(w, WalError::kSequence);
      continue;
    }
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    auto r = (*w)->ReadAll();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->metadata, meta);
    EXPECT_EQ(Indexes(r->entries), i + 1 <= 9 ? Range(i + 1, 9) : std::vector<uint64_t>{});
  }
}

// --- Verify --------------------------------------------------------------------------

// TestVerify.
TEST(WalVerifyTest, ReturnsTheLastHardStateAndFailsOnAnEmptiedMiddleSegment) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  auto w = MustCreate(vfs, CuttingMetadata(o), o);
  ASSERT_NE(w, nullptr);
  for (uint64_t i = 0; i < 5; ++i) ASSERT_OK(w->Save({}, One(i, "waldata" + std::to_string(i + 1))));
  HardState hs{1, 3, 5};
  ASSERT_OK(w->Save(hs, {}));
  auto got = Verify(vfs, "/wal", {}, o);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, hs);
  auto files = WalFiles(vfs);
  ASSERT_GE(files.size(), 4u);
  TruncateFile(vfs, vfs::JoinPath("/wal", files[2]), 0);
  EXPECT_WAL_ERROR(Verify(vfs, "/wal", {}, o), WalError::kCrcMismatch);
}

TEST(WalVerifyTest, FailsOnAZeroedMiddleSegment) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  {
    auto w = MustCreate(vfs, CuttingMetadata(o), o);
    ASSERT_NE(w, nullptr);
    for (uint64_t i = 0; i < 5; ++i) ASSERT_OK(w->Save({}, One(i, "x")));
  }
  ASSERT_TRUE(Verify(vfs, "/wal", {}, o).ok());
  std::string middle = SegPath(2, 2);
  ZeroRange(vfs, middle, 0, ReadFile(vfs, middle).size());
  EXPECT_FALSE(Verify(vfs, "/wal", {}, o).ok());
}

TEST(WalVerifyTest, ReportsASnapshotThatIsMissingOrHasAnotherTerm) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "m");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->SaveSnapshot(Snap(3, 2)));
  }
  EXPECT_TRUE(Verify(vfs, "/wal", SnapshotRecord{3, 2, std::nullopt}, Small()).ok());
  EXPECT_WAL_ERROR(Verify(vfs, "/wal", SnapshotRecord{3, 1, std::nullopt}, Small()), WalError::kSnapshotMismatch);
  EXPECT_WAL_ERROR(Verify(vfs, "/wal", SnapshotRecord{4, 2, std::nullopt}, Small()), WalError::kSnapshotNotFound);
}

TEST(WalVerifyTest, WorksWhileAWriterHoldsTheLocks) {
  vfs::SimVfs vfs;
  auto w = MustCreate(vfs, "m");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{2, 1, 1}, One(1)));
  auto got = Verify(vfs, "/wal", {}, Small());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, (HardState{2, 1, 1}));
}

// --- ValidSnapshotEntries --------------------------------------------------------------

// TestValidSnapshotEntries: snap4 is above the last committed index.
TEST(WalValidSnapshotEntriesTest, ExcludesSnapshotsAboveTheLastCommit) {
  vfs::SimVfs vfs;
  SnapshotRecord snap0{}, snap1 = Snap(1, 1), snap2 = Snap(2, 1), snap3 = Snap(3, 2), snap4 = Snap(4, 2);
  {
    auto w = MustCreate(vfs, "");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->SaveSnapshot(snap1));
    ASSERT_OK(w->Save(HardState{1, 0, 1}, {}));
    ASSERT_OK(w->SaveSnapshot(snap2));
    ASSERT_OK(w->SaveSnapshot(snap3));
    ASSERT_OK(w->Save(HardState{2, 0, 3}, {}));
    ASSERT_OK(w->SaveSnapshot(snap4));
  }
  auto snaps = ValidSnapshotEntries(vfs, "/wal", Small());
  ASSERT_TRUE(snaps.ok()) << snaps.status().ToString();
  EXPECT_EQ(*snaps, (std::vector<SnapshotRecord>{snap0, snap1, snap2, snap3}));
}

// TestValidSnapshotEntriesAfterPurgeWal.
TEST(WalValidSnapshotEntriesTest, WorksAfterTheFirstSegmentWasPurged) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  SnapshotRecord snap1 = Snap(1, 1), snap2 = Snap(2, 1), snap3 = Snap(3, 2);
  {
    auto w = MustCreate(vfs, CuttingMetadata(o), o);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->SaveSnapshot(snap1));
    ASSERT_OK(w->Save(HardState{1, 0, 1}, {}));  // cuts
    ASSERT_OK(w->SaveSnapshot(snap2));
    ASSERT_OK(w->SaveSnapshot(snap3));
    for (int i = 0; i < 8; ++i) ASSERT_OK(w->Save(HardState{2, 0, 3}, {}));
  }
  ASSERT_GT(WalFiles(vfs).size(), 2u);
  ASSERT_OK(vfs.Unlink(SegPath(0, 0)));
  auto snaps = ValidSnapshotEntries(vfs, "/wal", o);
  ASSERT_TRUE(snaps.ok()) << snaps.status().ToString();
  EXPECT_EQ(*snaps, (std::vector<SnapshotRecord>{snap2, snap3}));
}

TEST(WalValidSnapshotEntriesTest, AcceptsATornTailAndRejectsABrokenChain) {
  vfs::SimVfs vfs;
  {
    auto w = MustCreate(vfs, "m");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->SaveSnapshot(Snap(1, 1)));
    ASSERT_OK(w->Save(HardState{1, 0, 1}, One(2, std::string(600, 'e'))));
  }
  // Tear the last record: its second half never reached the disk.
  std::string path = SegPath(0, 0);
  Scan scan = ScanFile(vfs, path);
  ASSERT_TRUE(scan.end.ok());
  ZeroRange(vfs, path, 512, scan.last_offset - 512);
  auto snaps = ValidSnapshotEntries(vfs, "/wal", Small());
  ASSERT_TRUE(snaps.ok()) << snaps.status().ToString();
  EXPECT_EQ(snaps->size(), 1u);  // snap0 only: the state (commit 1) was after the tear
}

// --- on a real file system ---------------------------------------------------------------

// The same engine on PosixVfs in a fresh temp directory: real fallocate,
// flock locks across handles, rename and directory fsync.
class WalOnPosixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
    std::string pattern = vfs::JoinPath(base, "walcrash-etcd-wal-XXXXXX");
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    ASSERT_NE(::mkdtemp(buf.data()), nullptr) << "mkdtemp " << pattern << " errno " << errno;
    root_ = buf.data();
    dir_ = vfs::JoinPath(root_, "wal");
  }
  void TearDown() override {
    if (!root_.empty()) EXPECT_OK(vfs_.RemoveAll(root_));
  }
  vfs::PosixVfs vfs_;
  std::string root_, dir_;
};

TEST_F(WalOnPosixTest, CreatesTheGoldenSegmentLocksItAndReadsBackWhatItSaved) {
  WalOptions o = Small();
  {
    auto w = MustCreate(vfs_, "somedata", o, dir_);
    ASSERT_NE(w, nullptr);
    std::string seg = vfs::JoinPath(dir_, WalName(0, 0));
    std::string bytes = ReadFile(vfs_, seg);
    EXPECT_EQ(bytes.size(), o.segment_size_bytes);
    EXPECT_EQ(Hex(bytes.substr(0, 16)), "04000000000000840804100000000000");
    EXPECT_WAL_ERROR(Wal::Open(vfs_, dir_, {}, o), WalError::kLocked);
    ASSERT_OK(w->Save(HardState{1, 1, 1}, Ents(1, 3, "real")));
    ASSERT_OK(w->Save(HardState{1, 1, 2}, One(4, std::string(20000, 'b'))));
    ASSERT_OK(w->Save(HardState{1, 1, 3}, {}));  // past 16 KiB: cuts
    ASSERT_OK(w->Close());
  }
  EXPECT_EQ(WalFiles(vfs_, dir_).size(), 2u);
  for (const auto& n : Names(vfs_, dir_)) EXPECT_FALSE(n.ends_with(".tmp")) << n;
  auto w = MustOpen(vfs_, {}, o, dir_);
  ASSERT_NE(w, nullptr);
  auto r = w->ReadAll();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metadata, "somedata");
  EXPECT_EQ(Indexes(r->entries), Range(1, 4));
  EXPECT_EQ(r->state, (HardState{1, 1, 3}));
}

TEST_F(WalOnPosixTest, RepairsATruncatedTail) {
  WalOptions o = Small();
  {
    auto w = MustCreate(vfs_, "", o, dir_);
    ASSERT_NE(w, nullptr);
    for (uint64_t i = 1; i <= 10; ++i) ASSERT_OK(w->Save({}, One(i)));
  }
  std::string seg = vfs::JoinPath(dir_, WalName(0, 0));
  TruncateFile(vfs_, seg, ScanFile(vfs_, seg).last_offset - 4);
  {
    auto w = MustOpen(vfs_, {}, o, dir_);
    ASSERT_NE(w, nullptr);
    EXPECT_WAL_ERROR(w->ReadAll(), WalError::kUnexpectedEOF);
  }
  ASSERT_TRUE(Repair(vfs_, dir_, o));
  EXPECT_TRUE(*vfs_.Exists(seg + ".broken"));
  auto w = MustOpen(vfs_, {}, o, dir_);
  ASSERT_NE(w, nullptr);
  auto r = w->ReadAll();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Indexes(r->entries), Range(1, 9));
}

}  // namespace
}  // namespace walcrash::etcd
