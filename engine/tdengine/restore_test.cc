// Restore (file_restore.h, Wal::Restore): the order of replay, what happens
// at a damaged tail or in the middle of a file, faithful read for read with
// TDengine 2.6's walRestoreWalFile, and the strict reader's refusals.
#include "engine/tdengine/file_restore.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tdengine/tdengine_test_util.h"
#include "vfs/sim_vfs.h"

namespace walcrash::tdengine {
namespace {

using namespace testing;  // NOLINT: the TDengine test helpers

using V = std::vector<uint64_t>;

const char* ModeName(bool strict) { return strict ? "strict" : "faithful"; }

// Records of one size (32 bytes): record i (1-based) is at (i - 1) * 32.
constexpr uint64_t kR = kHeadBytes + 8;
std::string Fixed(uint64_t v) {
  std::string body = "rec-" + std::to_string(1000 + v);  // 8 bytes
  return Rec(v, body);
}
std::string FixedRun(uint64_t from, uint64_t to) {
  std::string out;
  for (uint64_t v = from; v <= to; ++v) out += Fixed(v);
  return out;
}

struct Outcome {
  Status status;
  std::vector<Replayed> records;
  RestoreReport report;
  uint64_t version = 0;
  uint64_t synced_version = 0;
  size_t dropped_errors = 0;
};

// A fresh WAL over `vfs` restores everything; Outcome says how it went.
Outcome RunRestore(vfs::Vfs& vfs, bool strict) {
  FsyncService service(FsyncService::Mode::kManual);
  Outcome out;
  auto w = Wal::Open(vfs, std::string(kDir), Options(service, strict));
  if (!w.ok()) {
    out.status = w.status();
    return out;
  }
  auto r = (*w)->Restore(Collector(out.records));
  if (r.ok()) {
    out.report = std::move(r).value();
  } else {
    out.status = r.status();
  }
  out.version = (*w)->version();
  out.synced_version = (*w)->synced_version();
  out.dropped_errors = (*w)->dropped_errors();
  (*w)->Close().IgnoreError();
  return out;
}

bool AnyNoteHas(const RestoreReport& report, std::string_view text) {
  for (const std::string& note : report.notes) {
    if (note.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string Notes(const RestoreReport& report) {
  std::string out;
  for (const std::string& note : report.notes) out += note + "\n";
  return out;
}

using WalFiles = std::vector<std::pair<int64_t, std::string>>;

// /wal (durable) holding `files`, each written durably.
void MakeWalDir(vfs::SimVfs& vfs, const WalFiles& files) {
  DurableDir(vfs);
  for (const auto& [id, bytes] : files) WriteDurably(vfs, WalPath(id), bytes);
}

// MakeWalDir, then RunRestore: `files` as a fresh WAL restores them.
Outcome RestoreDir(vfs::SimVfs& vfs, const WalFiles& files, bool strict) {
  MakeWalDir(vfs, files);
  return RunRestore(vfs, strict);
}

// --- order and versions -----------------------------------------------------------

TEST(RestoreTest, RecordsAreReplayedInFileIdOrderThenOffsetOrder) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    // Listed by name the files come as wal10, wal2, wal9; replay goes by id.
    Outcome o = RestoreDir(
        vfs, {{2, Rec(1, "a") + Rec(2, "bb")}, {9, Rec(3, "ccc") + Rec(4, "dddd")}, {10, Rec(5, "eeeee")}}, strict);
    ASSERT_OK(o.status);
    ASSERT_EQ(o.records.size(), 5u);
    struct Want {
      int64_t file_id;
      uint64_t offset;
      uint64_t version;
      std::string body;
    };
    const std::vector<Want> want = {{2, 0, 1, "a"}, {2, 25, 2, "bb"}, {9, 0, 3, "ccc"}, {9, 27, 4, "dddd"},
                                    {10, 0, 5, "eeeee"}};
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(o.records[i].file_id, want[i].file_id) << i;
      EXPECT_EQ(o.records[i].offset, want[i].offset) << i;
      EXPECT_EQ(o.records[i].version, want[i].version) << i;
      EXPECT_EQ(o.records[i].body, want[i].body) << i;
      EXPECT_EQ(o.records[i].msg_type, 1) << i;
      EXPECT_EQ(o.records[i].sver, kCurrentSver) << i;
    }
    EXPECT_EQ(o.report.files, 3u);
    EXPECT_EQ(o.report.records, 5u);
    EXPECT_TRUE(o.report.notes.empty()) << Notes(o.report);
  }
}

TEST(RestoreTest, TheVersionAfterRestoreIsTheLastReplayedRecordsAndIsSynced) {
  vfs::SimVfs vfs;
  Outcome o = RestoreDir(vfs, {{1, Rec(3, "a") + Rec(8, "b")}}, false);
  ASSERT_OK(o.status);
  EXPECT_EQ(o.version, 8u);
  EXPECT_EQ(o.synced_version, 8u);
}

TEST(RestoreTest, FaithfulTakesALowerVersionFromALaterFileAndStrictKeepsTheHighest) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    Outcome o = RestoreDir(vfs, {{1, Rec(10, "a") + Rec(11, "b")}, {2, Rec(5, "c")}}, strict);
    ASSERT_OK(o.status);
    EXPECT_EQ(Versions(o.records), (V{10, 11, 5}));
    EXPECT_EQ(o.version, strict ? 11u : 5u);
  }
}

TEST(RestoreTest, RestorePassesOverTheOpenFile) {
  SimWal sim;
  ASSERT_OK(sim.vfs.Mkdir(kDir));
  PutFile(sim.vfs, WalPath(1), Rec(1, "old"));
  auto w = sim.OpenRenewed();  // wal2
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(*w->Write(1, 2, "new"), WriteOutcome::kWritten);
  EXPECT_EQ(Versions(MustRestore(*w)), V{1});
}

TEST(RestoreTest, RestoreFileReplaysOneFileAndReportsItsLastVersion) {
  vfs::SimVfs vfs;
  MakeWalDir(vfs, {{4, Rec(6, "x") + Rec(7, "yy", 2, 0) + Rec(9, "zzz", 3, 1)}});
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    std::vector<Replayed> got;
    FileRestore progress;
    ASSERT_OK(RestoreFile(vfs, WalPath(4), 4, strict, true, Collector(got), progress));
    EXPECT_EQ(progress.records, 3u);
    EXPECT_TRUE(progress.any_version);
    EXPECT_EQ(progress.last_version, 9u);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[1].sver, 0);  // every sver 0..2 is read
    EXPECT_EQ(got[1].body, "yy");
    EXPECT_EQ(got[2].sver, 1);
    EXPECT_EQ(got[2].file_id, 4);
  }
}

// --- a damaged tail ---------------------------------------------------------------

TEST(RestoreTest, AShortHeadAtTheTailIsTruncatedAndSynced) {
  const std::string good = Rec(1, "a") + Rec(2, "bb");
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    Outcome o = RestoreDir(vfs, {{1, good + Rec(3, "ccc").substr(0, 10)}}, strict);
    ASSERT_OK(o.status);
    EXPECT_EQ(Versions(o.records), (V{1, 2}));
    EXPECT_EQ(FileSize(vfs, WalPath(1)), good.size());
    EXPECT_TRUE(AnyNoteHas(o.report, strict ? "truncated a torn tail at 51" : "truncated at 51 after a short head"))
        << Notes(o.report);
    // The truncation was synced: a crash now keeps the shorter file.
    auto image = Crash(vfs);
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(FileSize(*image, WalPath(1)), good.size());
  }
}

TEST(RestoreTest, FaithfulSkipsAShortBodyWithoutTruncatingAndStrictTruncatesIt) {
  const std::string good = Rec(1, "a") + Rec(2, "bb");
  const std::string file = good + Rec(3, "a longer body").substr(0, kHeadBytes + 5);
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    Outcome o = RestoreDir(vfs, {{1, file}}, strict);
    ASSERT_OK(o.status);
    EXPECT_EQ(Versions(o.records), (V{1, 2}));
    EXPECT_EQ(o.version, 2u);
    EXPECT_EQ(FileSize(vfs, WalPath(1)), strict ? good.size() : file.size());
    if (!strict) {
      EXPECT_TRUE(AnyNoteHas(o.report, "skipped a short body at 51")) << Notes(o.report);
    }
  }
}

TEST(RestoreTest, ATornTailOfZerosInTheNewestFileIsTruncated) {
  const std::string good = FixedRun(1, 3);
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    Outcome o = RestoreDir(vfs, {{1, FixedRun(1, 2)}, {2, good + std::string(100, '\0')}}, strict);
    ASSERT_OK(o.status);
    EXPECT_EQ(Versions(o.records), (V{1, 2, 1, 2, 3}));
    EXPECT_EQ(FileSize(vfs, WalPath(2)), good.size());
    auto image = Crash(vfs);
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(FileSize(*image, WalPath(2)), good.size());
  }
}

TEST(RestoreTest, StrictRefusesATornTailInAFileThatIsNotTheNewest) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    Outcome o = RestoreDir(vfs, {{1, Fixed(1) + std::string(100, '\0')}, {2, Fixed(2)}}, strict);
    if (strict) {
      EXPECT_EQ(o.status.code(), Code::kCorruption) << o.status.ToString();
      EXPECT_EQ(o.status.path(), WalPath(1));
      EXPECT_EQ(FileSize(vfs, WalPath(1)), kR + 100);  // left as it was
    } else {
      ASSERT_OK(o.status);
      EXPECT_EQ(Versions(o.records), (V{1, 2}));
      EXPECT_EQ(FileSize(vfs, WalPath(1)), kR);
    }
  }
}

TEST(RestoreTest, StrictTruncatesRecordsWrittenAfterASectorThatNeverReachedTheDisk) {
  // Three 624-byte records; the second one's bytes in sector 2 ([1024, 1248))
  // are zeros: a write that never reached the disk. The third is intact.
  const std::string body1(600, 'a'), body2(600, 'b'), body3(600, 'c');
  std::string file = Rec(1, body1) + Rec(2, body2) + Rec(3, body3);
  ASSERT_EQ(file.size(), 3u * 624);
  std::memset(file.data() + 1024, 0, 1248 - 1024);
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    Outcome o = RestoreDir(vfs, {{1, file}}, strict);
    ASSERT_OK(o.status);
    // Faithful resumes at the third record; strict cannot trust anything
    // written after the unsynced one, and cuts there.
    EXPECT_EQ(Versions(o.records), strict ? V{1} : (V{1, 3}));
    EXPECT_EQ(FileSize(vfs, WalPath(1)), strict ? 624u : file.size());
  }
}

TEST(RestoreTest, ADamagedButWholeLastRecordIsTruncatedByFaithfulAndCorruptionToStrict) {
  // No zeros, no short read: the bytes of a record that reached the disk
  // whole changed. TDengine's scan finds nothing after it and truncates.
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    MakeWalDir(vfs, {{1, FixedRun(1, 4)}});
    FlipByte(vfs, WalPath(1), 3 * kR + kHeadBytes + 2);  // record 4's body
    Outcome o = RunRestore(vfs, strict);
    EXPECT_EQ(Versions(o.records), (V{1, 2, 3}));
    if (strict) {
      EXPECT_EQ(o.status.code(), Code::kCorruption) << o.status.ToString();
      EXPECT_EQ(o.status.path(), WalPath(1));
      EXPECT_NE(o.status.message().find("offset 96"), std::string_view::npos) << o.status.ToString();
      EXPECT_EQ(FileSize(vfs, WalPath(1)), 4 * kR);
    } else {
      ASSERT_OK(o.status);
      EXPECT_EQ(FileSize(vfs, WalPath(1)), 3 * kR);
    }
  }
}

// --- damage in the middle ----------------------------------------------------------

TEST(RestoreTest, FaithfulResumesAfterABadChecksumLosingOnlyThatRecord) {
  vfs::SimVfs vfs;
  MakeWalDir(vfs, {{1, FixedRun(1, 5)}});
  FlipByte(vfs, WalPath(1), kR + kHeadBytes + 3);  // record 2's body
  Outcome o = RunRestore(vfs, false);
  ASSERT_OK(o.status);
  EXPECT_EQ(Versions(o.records), (V{1, 3, 4, 5}));
  ASSERT_EQ(o.records.size(), 4u);
  EXPECT_EQ(o.records[1].offset, 2 * kR);
  EXPECT_EQ(o.records[1].body, "rec-1003");
  EXPECT_EQ(o.version, 5u);
  EXPECT_TRUE(AnyNoteHas(o.report, "a bad checksum at 32, resumed at a record found at 64")) << Notes(o.report);
  EXPECT_EQ(FileSize(vfs, WalPath(1)), 5 * kR);  // nothing truncated
}

TEST(RestoreTest, FaithfulDropsTheRecordTheScanFindsAfterABadSver) {
  // Record 2's sver becomes 7: a bad head. The scan finds record 3 and reads
  // its body; the main loop then reads record 3's body again from where the
  // scan left off (record 4's bytes), the checksum fails, and a second scan
  // finds record 4. Records 2 and 3 are lost.
  vfs::SimVfs vfs;
  MakeWalDir(vfs, {{1, FixedRun(1, 5)}});
  WriteAt(vfs, WalPath(1), kR + 1, std::string(1, '\x07'));
  Outcome o = RunRestore(vfs, false);
  ASSERT_OK(o.status);
  EXPECT_EQ(Versions(o.records), (V{1, 4, 5}));
  ASSERT_EQ(o.records.size(), 3u);
  EXPECT_EQ(o.records[1].offset, 3 * kR);
  EXPECT_EQ(o.records[1].body, "rec-1004");
  EXPECT_EQ(o.version, 5u);
}

TEST(RestoreTest, FaithfulLosesBothWhenTheRecordTheScanFindsAfterABadHeadIsTheLast) {
  vfs::SimVfs vfs;
  MakeWalDir(vfs, {{1, FixedRun(1, 4)}});
  WriteAt(vfs, WalPath(1), 2 * kR + 1, std::string(1, '\x07'));  // record 3
  Outcome o = RunRestore(vfs, false);
  ASSERT_OK(o.status);
  EXPECT_EQ(Versions(o.records), (V{1, 2}));
  EXPECT_EQ(FileSize(vfs, WalPath(1)), 4 * kR);  // the short body re-read is skipped, not truncated
}

TEST(RestoreTest, FaithfulDropsTheRecordTheScanFindsAfterALengthOutOfRange) {
  for (int32_t len : {static_cast<int32_t>(kMaxBodyBytes + 1), int32_t{-1}, INT32_MAX}) {
    SCOPED_TRACE(len);
    vfs::SimVfs vfs;
    MakeWalDir(vfs, {{1, FixedRun(1, 5)}});
    std::string bytes(4, '\0');
    std::memcpy(bytes.data(), &len, 4);
    WriteAt(vfs, WalPath(1), kR + 4, bytes);  // record 2's len
    Outcome o = RunRestore(vfs, false);
    ASSERT_OK(o.status);
    EXPECT_EQ(Versions(o.records), (V{1, 4, 5}));
    EXPECT_TRUE(AnyNoteHas(o.report, "a length out of range at 32")) << Notes(o.report);
  }
}

TEST(RestoreTest, StrictRefusesDamageInTheMiddleNamingThePathAndOffset) {
  struct Damage {
    const char* what;
    uint64_t offset;
    std::string bytes;
  };
  const int32_t too_long = static_cast<int32_t>(kMaxBodyBytes + 1);
  std::string len_bytes(4, '\0');
  std::memcpy(len_bytes.data(), &too_long, 4);
  for (const Damage& d : {Damage{"checksum", kR + kHeadBytes + 3, "X"}, Damage{"sver", kR + 1, "\x07"},
                          Damage{"len", kR + 4, len_bytes}}) {
    SCOPED_TRACE(d.what);
    vfs::SimVfs vfs;
    MakeWalDir(vfs, {{1, FixedRun(1, 5)}});
    WriteAt(vfs, WalPath(1), d.offset, d.bytes);
    const std::string before = ReadFile(vfs, WalPath(1));
    Outcome o = RunRestore(vfs, true);
    EXPECT_EQ(o.status.code(), Code::kCorruption) << o.status.ToString();
    EXPECT_EQ(o.status.path(), WalPath(1));
    EXPECT_NE(o.status.message().find("offset 32"), std::string_view::npos) << o.status.ToString();
    EXPECT_EQ(Versions(o.records), V{1});
    EXPECT_EQ(ReadFile(vfs, WalPath(1)), before);  // nothing cut
  }
}

TEST(RestoreTest, FaithfulReplaysGarbageThatHoldsAValidLookingSver0Head) {
  // Between records 1 and 2: 40 bytes of garbage, then a crafted head with
  // sver 0 and a valid head checksum, version 99, len 5, then 5 bytes. The
  // sver-0 checksum does not cover the body, so faithful replays invented data.
  WalHead forged;
  forged.msg_type = 9;
  forged.sver = 0;
  forged.len = 5;
  forged.version = 99;
  forged.cksum = RecordChecksum(forged, {});
  ASSERT_TRUE(HeadChecksumValid(forged));
  HeadBytes fh = EncodeHead(forged);
  const std::string garbage(40, '\xab');
  const std::string forged_bytes = std::string(reinterpret_cast<const char*>(fh.data()), fh.size()) + "EVIL!";
  const std::string file = Rec(1, "one") + garbage + forged_bytes + Rec(2, "two");
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    Outcome o = RestoreDir(vfs, {{1, file}}, strict);
    if (strict) {
      EXPECT_EQ(o.status.code(), Code::kCorruption) << o.status.ToString();
      EXPECT_NE(o.status.message().find("offset 27"), std::string_view::npos) << o.status.ToString();
      EXPECT_EQ(Versions(o.records), V{1});
      continue;
    }
    ASSERT_OK(o.status);
    ASSERT_EQ(Versions(o.records), (V{1, 99, 2}));
    EXPECT_EQ(o.records[1].body, "EVIL!");
    EXPECT_EQ(o.records[1].msg_type, 9);
    EXPECT_EQ(o.records[1].offset, 27u + 40u);
    EXPECT_EQ(o.version, 2u);
  }
}

// --- files that cannot be read -----------------------------------------------------

TEST(RestoreTest, AFileThatCannotBeOpenedIsSkippedByFaithfulAndAnErrorInStrict) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    MakeWalDir(vfs, {{1, Rec(1, "a")}, {7, Rec(2, "b")}});
    ASSERT_OK(vfs.Mkdir(WalPath(5)));  // a directory named wal5
    Outcome o = RunRestore(vfs, strict);
    if (strict) {
      EXPECT_EQ(o.status.code(), Code::kIsDirectory) << o.status.ToString();
      EXPECT_EQ(Versions(o.records), V{1});
    } else {
      ASSERT_OK(o.status);
      EXPECT_EQ(Versions(o.records), (V{1, 2}));
      EXPECT_EQ(o.report.files, 2u);
      EXPECT_EQ(o.dropped_errors, 1u);
      EXPECT_TRUE(AnyNoteHas(o.report, "wal5: skipped")) << Notes(o.report);
      EXPECT_EQ(o.version, 2u);
    }
  }
}

TEST(RestoreTest, ANameThatParsesToAMissingFileIsSkippedByFaithfulAndIgnoredByStrict) {
  // "wal3x" reads as file 3, which TDengine opens as "wal3": not there. Strict
  // takes only canonical names, so it is not a WAL file at all.
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    MakeWalDir(vfs, {{1, Rec(1, "a")}});
    WriteDurably(vfs, vfs::JoinPath(kDir, "wal3x"), Rec(2, "b"));
    Outcome o = RunRestore(vfs, strict);
    ASSERT_OK(o.status);
    EXPECT_EQ(Versions(o.records), V{1});
    EXPECT_EQ(o.report.files, 1u);
    EXPECT_EQ(o.dropped_errors, strict ? 0u : 1u);
    EXPECT_EQ(AnyNoteHas(o.report, "wal3: skipped"), !strict) << Notes(o.report);
  }
}

TEST(RestoreTest, FaithfulKeepsWhatAFileReplayedBeforeAReadErrorAndStrictFails) {
  for (bool strict : {false, true}) {
    SCOPED_TRACE(ModeName(strict));
    vfs::SimVfs vfs;
    MakeWalDir(vfs, {{1, Rec(1, "a") + Rec(2, "b")}, {2, Rec(3, "c")}});
    // Faithful reads wal1 in one window, then fails at the read that finds
    // its end; strict reads the file once, and that read fails.
    vfs.SetFaultPlan(Plan(strict ? "read /wal/wal1 nth=1 errno=EIO" : "read /wal/wal1 nth=2 errno=EIO"));
    Outcome o = RunRestore(vfs, strict);
    if (strict) {
      EXPECT_EQ(o.status.code(), Code::kIOError) << o.status.ToString();
      EXPECT_TRUE(o.records.empty());
    } else {
      ASSERT_OK(o.status);
      EXPECT_EQ(Versions(o.records), (V{1, 2, 3}));
      EXPECT_EQ(o.report.files, 1u);  // wal1 counts as skipped
      EXPECT_EQ(o.dropped_errors, 1u);
      EXPECT_TRUE(AnyNoteHas(o.report, "wal1: skipped")) << Notes(o.report);
    }
  }
}

TEST(RestoreTest, ALengthFieldNeverSizesMemoryBeyondTheFile) {
  // A bad record, then a head with a valid signature, sver 2 and a length
  // of 2 GiB: TDengine's scan reads that many bytes; the file has 18.
  vfs::SimVfs vfs;
  std::string head(kHeadBytes, '\0');
  WalHead h;
  h.len = INT32_MAX;
  HeadBytes bytes = EncodeHead(h);
  head.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  ASSERT_TRUE(vfs.Mkdir(kDir).ok());
  PutFile(vfs, WalPath(1), std::string(3, 'x') + head + "tail");
  for (bool strict : {false, true}) {
    std::vector<uint64_t> versions = RestoredVersions(vfs, strict);
    EXPECT_TRUE(versions.empty());
  }
}

TEST(RestoreTest, FaithfulStopsWithoutTruncatingWhereTDengineWouldOverrunItsBuffer) {
  // A bad head, then a candidate (signature, sver 2) whose length is one
  // byte past TDengine's buffer, with the bytes there: TDengine's scan would
  // read them into its 3 MiB + 40 buffer. The file is left as it is.
  vfs::SimVfs vfs;
  WalHead h;
  h.len = static_cast<int32_t>(kMaxBodyBytes + 1);
  HeadBytes candidate = EncodeHead(h);
  std::string file(5, 'x');
  file.append(reinterpret_cast<const char*>(candidate.data()), candidate.size());
  file.append(kMaxBodyBytes + 1, 'b');
  ASSERT_TRUE(vfs.Mkdir(kDir).ok());
  PutFile(vfs, WalPath(1), file);
  FsyncService service(FsyncService::Mode::kManual);
  auto w = MustOpen(vfs, Options(service));
  ASSERT_NE(w, nullptr);
  RestoreReport report;
  EXPECT_TRUE(MustRestore(*w, &report).empty());
  EXPECT_EQ(report.files, 0u);
  ASSERT_FALSE(report.notes.empty());
  EXPECT_NE(report.notes.back().find("overrun"), std::string::npos) << report.notes.back();
  EXPECT_EQ(FileSize(vfs, WalPath(1)), file.size());
  ASSERT_OK(w->Close());
}

}  // namespace
}  // namespace walcrash::tdengine
