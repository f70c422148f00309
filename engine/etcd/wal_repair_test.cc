// Torn tails and Repair: etcd's repair_test.go (TestRepairTruncate,
// TestRepairWriteTearLast, TestRepairWriteTearMiddle, TestRepairFailDeleteDir)
// and TestOpenOnTornWrite; wal-spec.md §3 (recovery rules).
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/etcd/wal.h"
#include "engine/etcd/wal_test_util.h"
#include "vfs/sim_vfs.h"

namespace walcrash::etcd {
namespace {

using namespace testing;  // NOLINT: the WAL test helpers
using vfs::testing::Names;

// Large enough that every scenario stays in segment 0, as with etcd's 64 MB.
WalOptions RepairOptions() { return Small(64 * 1024); }

std::vector<std::vector<Entry>> MakeEnts(uint64_t n, const std::string& data = "") {
  std::vector<std::vector<Entry>> out;
  for (uint64_t i = 1; i <= n; ++i) out.push_back({Entry{0, i, 0, data}});
  return out;
}

using Corrupt = std::function<void(vfs::SimVfs&, const std::string& last, uint64_t offset)>;

// etcd's testRepair: save, break the tail, see ReadAll fail with unexpected
// EOF, repair, read `expected` entries back, append ten more and read them.
void TestRepair(const std::vector<std::vector<Entry>>& ents, const Corrupt& corrupt, size_t expected) {
  vfs::SimVfs vfs;
  WalOptions o = RepairOptions();
  {
    auto w = MustCreate(vfs, "", o);
    ASSERT_NE(w, nullptr);
    for (const auto& es : ents) ASSERT_OK(w->Save({}, es));
    ASSERT_OK(w->Close());
  }
  std::string last = LastSegment(vfs);
  ASSERT_EQ(last, SegPath(0, 0));
  Scan scan = ScanFile(vfs, last);
  ASSERT_TRUE(scan.end.ok()) << scan.end.ToString();
  corrupt(vfs, last, scan.last_offset);
  {
    auto w = MustOpen(vfs, {}, o);
    ASSERT_NE(w, nullptr);
    EXPECT_WAL_ERROR(w->ReadAll(), WalError::kUnexpectedEOF);
    ASSERT_OK(w->Close());
  }
  std::string broken_before = ReadFile(vfs, last);
  Status why;
  ASSERT_TRUE(Repair(vfs, "/wal", o, &why)) << why.ToString();
  EXPECT_TRUE(why.ok());
  EXPECT_EQ(ReadFile(vfs, last + ".broken"), broken_before);
  {
    ReadResult r;
    auto w = MustReopen(vfs, &r, o);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(r.entries.size(), expected);
    for (uint64_t i = 1; i <= 10; ++i) ASSERT_OK(w->Save({}, One(expected + i)));
    ASSERT_OK(w->Close());
  }
  ReadResult r;
  auto w = MustReopen(vfs, &r, o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Indexes(r.entries), Range(1, expected + 10));
}

// TestRepairTruncate.
TEST(WalRepairTest, ATruncatedLastRecordIsCutOffAndTheLogAppendsAfterIt) {
  TestRepair(MakeEnts(10),
             [](vfs::SimVfs& vfs, const std::string& last, uint64_t offset) { TruncateFile(vfs, last, offset - 4); },
             9);
}

// TestRepairWriteTearLast: the last sectors of the file never reached disk.
TEST(WalRepairTest, ATornWriteOverTheLastSectorsKeepsTheRecordsBeforeTheTear) {
  TestRepair(MakeEnts(50),
             [](vfs::SimVfs& vfs, const std::string& last, uint64_t offset) {
               ASSERT_GT(offset, 1024u);  // 512 would align with the last record
               TruncateFile(vfs, last, 1024);
               TruncateFile(vfs, last, offset);
             },
             40);
}

// TestRepairWriteTearMiddle: a zero sector in the middle of the second
// record.
TEST(WalRepairTest, ATornSectorInsideARecordCutsTheLogBeforeThatRecord) {
  std::string dat(4096, '\0');
  for (size_t i = 0; i < dat.size(); ++i) dat[i] = static_cast<char>(i);
  TestRepair(MakeEnts(5, dat),
             [](vfs::SimVfs& vfs, const std::string& last, uint64_t) { ZeroRange(vfs, last, 4096 + 512, 512); }, 1);
}

// TestRepairFailDeleteDir.
TEST(WalRepairTest, FailsWhenTheDirectoryIsGone) {
  vfs::SimVfs vfs;
  WalOptions o = Small(1024);
  {
    auto w = MustCreate(vfs, "", o);
    ASSERT_NE(w, nullptr);
    for (const auto& es : MakeEnts(50)) ASSERT_OK(w->Save({}, es));
  }
  TruncateFile(vfs, LastSegment(vfs), 20);
  {
    auto w = MustOpen(vfs, {}, o);
    ASSERT_NE(w, nullptr);
    EXPECT_WAL_ERROR(w->ReadAll(), WalError::kUnexpectedEOF);
  }
  ASSERT_OK(vfs.RemoveAll("/wal"));
  Status why;
  EXPECT_FALSE(Repair(vfs, "/wal", o, &why));
  EXPECT_FALSE(why.ok());
}

TEST(WalRepairTest, ACleanLogNeedsNoRepairAndGetsNoBackup) {
  vfs::SimVfs vfs;
  WalOptions o = RepairOptions();
  {
    auto w = MustCreate(vfs, "m", o);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{1, 0, 1}, Ents(1, 5)));
  }
  std::string before = ReadFile(vfs, SegPath(0, 0));
  Status why = Status(Code::kIOError, "", "not reset");
  EXPECT_TRUE(Repair(vfs, "/wal", o, &why));
  EXPECT_TRUE(why.ok()) << why.ToString();
  EXPECT_EQ(Names(vfs, "/wal"), (std::vector<std::string>{WalName(0, 0)}));
  EXPECT_EQ(ReadFile(vfs, SegPath(0, 0)), before);
}

// wal-spec.md §3 rule 4: a CRC mismatch that is not a tear is fatal.
TEST(WalRepairTest, RefusesRealCorruptionAndLeavesTheFileAlone) {
  vfs::SimVfs vfs;
  WalOptions o = RepairOptions();
  {
    auto w = MustCreate(vfs, "m", o);
    ASSERT_NE(w, nullptr);
    for (uint64_t i = 1; i <= 5; ++i) ASSERT_OK(w->Save({}, One(i, std::string(700, char('a' + i)))));
  }
  std::string path = SegPath(0, 0);
  Scan scan = ScanFile(vfs, path);
  ASSERT_TRUE(scan.end.ok());
  FlipByte(vfs, path, scan.ends[3] + 300);  // inside entry 2's data (entry 1 ends at ends[3])
  {
    auto w = MustOpen(vfs, {}, o);
    ASSERT_NE(w, nullptr);
    EXPECT_WAL_ERROR(w->ReadAll(), WalError::kRecordCrcMismatch);
  }
  std::string before = ReadFile(vfs, path);
  Status why;
  EXPECT_FALSE(Repair(vfs, "/wal", o, &why));
  EXPECT_WAL_ERROR(why, WalError::kRecordCrcMismatch);
  EXPECT_EQ(ReadFile(vfs, path), before);
  EXPECT_FALSE(*vfs.Exists(path + ".broken"));
}

// Repair decodes the last segment only; a tear-like zero sector elsewhere is
// corruption (wal-spec.md §3 rule 4) that Repair does not touch.
TEST(WalRepairTest, AZeroSectorInAnEarlierSegmentIsCorruptionRepairDoesNotTouch) {
  vfs::SimVfs vfs;
  WalOptions o = Small(4 * 1024);
  {
    auto w = MustCreate(vfs, "m", o);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->Save(HardState{1, 0, 0}, One(1, std::string(3000, 'x'))));
    ASSERT_OK(w->Save(HardState{1, 0, 0}, One(2, std::string(3000, 'y'))));
    ASSERT_OK(w->Save(HardState{1, 0, 1}, {}));  // past the segment size: cuts
  }
  ASSERT_EQ(WalFiles(vfs).size(), 2u);
  ZeroRange(vfs, SegPath(0, 0), 1024, 512);  // inside entry 1
  auto w = MustOpen(vfs, {}, o);
  ASSERT_NE(w, nullptr);
  EXPECT_WAL_ERROR(w->ReadAll(), WalError::kRecordCrcMismatch);
  ASSERT_OK(w->Close());
  EXPECT_TRUE(Repair(vfs, "/wal", o));  // the last segment is fine
  auto again = MustOpen(vfs, {}, o);
  ASSERT_NE(again, nullptr);
  EXPECT_WAL_ERROR(again->ReadAll(), WalError::kRecordCrcMismatch);
}

TEST(WalRepairTest, TheRepairIsDurable) {
  vfs::SimVfs vfs;
  WalOptions o = RepairOptions();
  {
    auto w = MustCreate(vfs, "", o);
    ASSERT_NE(w, nullptr);
    for (const auto& es : MakeEnts(10)) ASSERT_OK(w->Save({}, es));
  }
  std::string last = SegPath(0, 0);
  TruncateFile(vfs, last, ScanFile(vfs, last).last_offset - 4);
  ASSERT_TRUE(Repair(vfs, "/wal", o));
  auto image = Strict(vfs);
  ASSERT_NE(image, nullptr);
  ReadResult r;
  auto w = MustReopen(*image, &r, o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(r.entries.size(), 9u);
}

// A crash tore the last write (SimVfs crash model C4): the first sector
// reached the disk, the rest read as zeros. Repair cuts the torn record off.
TEST(WalRepairTest, RepairsATornWriteLeftByACrash) {
  vfs::SimVfs vfs;
  WalOptions o = RepairOptions();
  o.level = WalLevel::kWrite;  // Save writes without syncing
  auto w = MustCreate(vfs, "m", o);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->Save(HardState{1, 0, 0}, Ents(1, 3)));
  ASSERT_OK(w->Sync());
  ASSERT_OK(w->Save(HardState{1, 0, 0}, One(4, std::string(3000, 'z'))));
  auto pending = PendingSegmentWrites(vfs);
  ASSERT_EQ(pending.size(), 1u);
  unsigned long long at = 0, len = 0;
  ASSERT_EQ(std::sscanf(pending[0].detail.c_str(), "@%llu+%llu", &at, &len), 2) << pending[0].detail;
  uint32_t pieces = static_cast<uint32_t>((at + len + 511) / 512 - at / 512);
  ASSERT_GE(pieces, 3u);
  vfs::CrashImageSpec spec;
  spec.survivors.push_back(vfs::Survivor{pending[0].seq, vfs::Survivor::Mode::kTornWrite, 1, pieces,
                                         vfs::TearFill::kZeros, 0});
  auto image = vfs.CrashImage(spec);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  {
    auto broken = MustOpen(**image, {}, o);
    ASSERT_NE(broken, nullptr);
    EXPECT_WAL_ERROR(broken->ReadAll(), WalError::kUnexpectedEOF);
  }
  ASSERT_TRUE(Repair(**image, "/wal", o));
  ReadResult r;
  auto again = MustReopen(**image, &r, o);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Indexes(r.entries), Range(1, 3));
}

// TestOpenOnTornWrite: a zeroed record ends the log; the stale records
// behind it are zeroed before appending, so new, longer records over them
// read back without a CRC error.
TEST(WalTornWriteTest, AZeroedRecordEndsTheLogAndAppendsOverwriteTheStaleTailCleanly) {
  const uint64_t max_entries = 40, clobber = 20, overwrite = 5;
  vfs::SimVfs vfs;
  WalOptions o = RepairOptions();
  {
    auto w = MustCreate(vfs, "", o);
    ASSERT_NE(w, nullptr);
    for (uint64_t i = 0; i < max_entries; ++i) ASSERT_OK(w->Save({}, One(i)));
  }
  std::string path = SegPath(0, 0);
  Scan scan = ScanFile(vfs, path);
  ASSERT_TRUE(scan.end.ok());
  ASSERT_EQ(scan.records.size(), 3 + max_entries);  // CRC, META, SNAP, entries 0..39
  // offsets[i] = the end of entry i, as etcd's test records them.
  auto offsets = [&](uint64_t i) { return scan.ends[static_cast<size_t>(3 + i)]; };
  ZeroRange(vfs, path, offsets(clobber), offsets(clobber + 1) - offsets(clobber));
  {
    auto w = MustOpen(vfs, {}, o);
    ASSERT_NE(w, nullptr);
    ReadResult r = MustReadAll(*w);
    EXPECT_EQ(Indexes(r.entries), Range(1, clobber));
    for (uint64_t i = 0; i < overwrite; ++i) ASSERT_OK(w->Save({}, One(i + clobber, "new")));
  }
  auto r = MustOpenForRead(vfs, {}, o);
  ASSERT_NE(r, nullptr);
  auto got = r->ReadAll();
  ASSERT_TRUE(got.ok()) << "the old entries were likely never zeroed: " << got.status().ToString();
  EXPECT_EQ(got->entries.size(), (clobber - 1) + overwrite);
}

TEST(WalTornWriteTest, ReadAllInWriteModeZeroesEverythingPastTheLastValidRecord) {
  vfs::SimVfs vfs;
  WalOptions o = RepairOptions();
  {
    auto w = MustCreate(vfs, "", o);
    ASSERT_NE(w, nullptr);
    for (uint64_t i = 1; i <= 10; ++i) ASSERT_OK(w->Save({}, One(i)));
  }
  std::string path = SegPath(0, 0);
  Scan scan = ScanFile(vfs, path);
  ZeroRange(vfs, path, scan.ends[3 + 4], 8);  // the length field of entry 6
  uint64_t size_before = vfs.Stat(path)->size;
  auto w = MustOpen(vfs, {}, o);
  ASSERT_NE(w, nullptr);
  ReadResult r = MustReadAll(*w);
  EXPECT_EQ(Indexes(r.entries), Range(1, 5));
  std::string after = ReadFile(vfs, path);
  EXPECT_EQ(after.size(), size_before);  // the preallocated size is kept
  EXPECT_EQ(after.find_first_not_of('\0', scan.ends[3 + 4]), std::string::npos);
}

}  // namespace
}  // namespace walcrash::etcd
