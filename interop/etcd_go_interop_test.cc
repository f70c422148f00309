// The other direction: WALs the engine writes (through PosixVfs, into scratch
// directories) are read by real etcd — etcd 3.4's own wal package, through
// the Go program etcd_reader/ — and what etcd read is compared with what was
// written and with what our own `walcrash inspect --json` prints.
//
// The WALs: several 16 KiB segments, snapshot records, a raft suffix
// overwritten by a higher term, empty and non-empty entry data, conf-change
// entry types, hard states; a WAL reopened and appended to; the `write`
// command's output; a freshly created WAL; a torn tail (and etcd's Repair of
// it); a corrupted record in a middle segment.
//
// ETCD_READER_BIN is built by the ctest interop.etcd_reader_build (a fixture
// these tests require); WALCRASH_BIN is the CLI.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/etcd/record_io.h"
#include "engine/etcd/wal.h"
#include "engine/etcd/wal_name.h"
#include "tools/base64.h"
#include "tools/inspect_json.h"
#include "tools/scratch_dir.h"
#include "tools/testing/subprocess.h"
#include "tools/write_json.h"
#include "vfs/posix_vfs.h"

#ifndef ETCD_READER_BIN
#error "ETCD_READER_BIN must name the Go etcd reader (interop/CMakeLists.txt sets it)"
#endif

namespace walcrash::interop {
namespace {

namespace fs = std::filesystem;
using cli::ReadMode;
using cli::WalSpec;
using nlohmann::json;

constexpr uint64_t kSegmentSize = 16 * 1024;
constexpr ReadMode kModes[] = {ReadMode::kRead, ReadMode::kWrite};

struct Snap {
  uint64_t index = 0;
  uint64_t term = 0;
};

::testing::AssertionResult ReaderBuilt() {
  std::error_code ec;
  if (!fs::is_regular_file(ETCD_READER_BIN, ec)) {
    return ::testing::AssertionFailure()
           << "the Go etcd reader is not built at " << ETCD_READER_BIN
           << ": the ctest interop.etcd_reader_build builds it (ctest -L interop runs it first); it needs "
              "Debian's golang-go and golang-etcd-server-dev, which ci/setup installs";
  }
  return ::testing::AssertionSuccess();
}

// What etcd 3.4 returned, as an expected.json "reads" object.
json EtcdRead(const std::string& dir, ReadMode mode, Snap snap, bool repair = false) {
  std::vector<std::string> argv = {ETCD_READER_BIN, "-dir", dir, "-mode", std::string(cli::ReadModeName(mode)),
                                   "-snapshot-index", std::to_string(snap.index), "-snapshot-term",
                                   std::to_string(snap.term)};
  if (repair) argv.emplace_back("-repair");
  testing::ProcessResult r = testing::RunProcess(argv);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.exit_code, 0) << "etcd_reader failed: " << r.err;
  try {
    return json::parse(r.out);
  } catch (const json::exception& e) {
    ADD_FAILURE() << "etcd_reader printed no JSON (" << e.what() << "): " << r.out << r.err;
    return json();
  }
}

// What the engine returns, through inspect --json's code.
json EngineRead(const std::string& dir, ReadMode mode, Snap snap) {
  vfs::PosixVfs vfs;
  auto report = cli::InspectWal(vfs, dir, cli::ReadRequest{mode, snap.index, snap.term});
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  if (!report.ok()) return json();
  return json::parse(cli::DumpJson(cli::ReadReportToJson(*report)));
}

// What the walcrash binary prints.
json CliRead(const std::string& dir, ReadMode mode, Snap snap) {
  testing::ProcessResult r = testing::RunProcess(
      {WALCRASH_BIN, "inspect", dir, "--json", "--mode", std::string(cli::ReadModeName(mode)), "--snapshot-index",
       std::to_string(snap.index), "--snapshot-term", std::to_string(snap.term)});
  EXPECT_TRUE(r.error.empty()) << r.error;
  try {
    json j = json::parse(r.out);
    EXPECT_EQ(r.exit_code, j.at("error") == "" ? 0 : 1) << r.err;
    return j;
  } catch (const json::exception& e) {
    ADD_FAILURE() << "walcrash inspect printed no JSON (" << e.what() << "): " << r.out << r.err;
    return json();
  }
}

// The read etcd should return for a WAL written from `spec`, when it succeeds.
json ModelRead(const WalSpec& spec, ReadMode mode, Snap snap) {
  cli::ReadReport report;
  report.request = cli::ReadRequest{mode, snap.index, snap.term};
  report.metadata = spec.metadata;
  report.state = spec.state;
  report.entries = cli::ExpectedEntries(spec, snap.index);
  return json::parse(cli::DumpJson(cli::ReadReportToJson(report)));
}

std::string Describe(const json& j) {
  if (!j.is_object() || !j.contains("entries")) return j.dump();
  return fmt::format("error \"{}\", {} entries, hard state {}, metadata {}", j.value("error", "?"),
                     j["entries"].size(), j.value("hardstate_term_vote_commit", json()).dump(),
                     j.value("metadata_b64", ""));
}

// Field by field, naming the first differing entry. One known difference
// between etcd releases: with ErrSliceOutOfRange, etcd main (and the engine)
// return the contiguous entries read so far, etcd 3.4 (the reader here)
// returns none; then only the leading entries ours has are compared with
// what 3.4 returned for the same read without the jump (nothing), so the
// entries are left to the model comparison.
void ExpectSame(const json& etcd, const json& ours_in, std::string_view who) {
  ASSERT_TRUE(etcd.is_object() && ours_in.is_object()) << who;
  json ours = ours_in;
  if (etcd.value("error", "") == "wal: slice bounds out of range" && etcd.at("entries").empty()) {
    ours["entries"] = json::array();
  }
  for (const char* key : {"mode", "snapshot_index", "snapshot_term", "metadata_b64", "hardstate_term_vote_commit",
                          "error"}) {
    EXPECT_EQ(etcd.value(key, json()), ours.value(key, json())) << who << ": field " << key;
  }
  const json& a = etcd.at("entries");
  const json& b = ours.at("entries");
  EXPECT_EQ(a.size(), b.size()) << who << ": number of entries";
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) {
      ADD_FAILURE() << who << ": entries[" << i << "]: etcd " << a[i].dump() << ", ours " << b[i].dump();
      break;
    }
  }
  if (etcd != ours) ADD_FAILURE() << who << " differs from etcd:\n  etcd: " << Describe(etcd) << "\n  ours: " << Describe(ours);
}

// etcd's read of `dir` against the model (when given), the engine's and the
// CLI's.
void CheckRead(const std::string& dir, ReadMode mode, Snap snap, const WalSpec* model, bool cli = true) {
  SCOPED_TRACE(fmt::format("{} mode at snapshot {{index {}, term {}}}", cli::ReadModeName(mode), snap.index, snap.term));
  json etcd = EtcdRead(dir, mode, snap);
  if (model) ExpectSame(etcd, ModelRead(*model, mode, snap), "what was written");
  ExpectSame(etcd, EngineRead(dir, mode, snap), "the engine (inspect's code)");
  if (cli) ExpectSame(etcd, CliRead(dir, mode, snap), "walcrash inspect --json");
}

std::string RandomData(std::mt19937& rng, size_t max_len) {
  size_t len = std::uniform_int_distribution<size_t>(0, max_len)(rng);
  if (len % 5 == 0) len = 0;  // plenty of empty entries
  std::string s(len, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::vector<std::string> WalFiles(const std::string& dir) {
  vfs::PosixVfs vfs;
  auto names = vfs.List(dir);
  EXPECT_TRUE(names.ok()) << names.status().ToString();
  return names.ok() ? etcd::FilterWalNames(*names) : std::vector<std::string>();
}

// The engine's options for writing here: the file pipeline inline, as the
// harness and `walcrash write` run it.
etcd::WalOptions InlineOptions() {
  etcd::WalOptions options;
  options.background_threads = false;
  return options;
}

class EtcdReadsEngineWal : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ReaderBuilt());
    auto s = cli::ScratchDir::Make("go-interop");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    scratch_ = std::make_unique<cli::ScratchDir>(std::move(s).value());
    dir_ = scratch_->path() + "/wal";
  }

  // Saves `entries` in batches of 1..8, each batch with `state` when
  // `state_every_batch`, and records them in the model.
  void SaveEntries(etcd::Wal& wal, std::mt19937& rng, uint64_t from, uint64_t to, uint64_t term,
                   etcd::HardState state) {
    std::vector<etcd::Entry> batch;
    for (uint64_t i = from; i <= to; ++i) {
      etcd::Entry e{term, i, i % 7 == 0 ? 1 : 0, RandomData(rng, 420)};
      batch.push_back(e);
      spec_.entries.push_back(e);
      if (batch.size() >= std::uniform_int_distribution<size_t>(1, 8)(rng) || i == to) {
        etcd::HardState hs = state;
        hs.commit = std::min(state.commit, batch.back().index);
        Status saved = wal.Save(hs, batch);
        ASSERT_TRUE(saved.ok()) << "Save of " << batch.front().index << ".." << batch.back().index << ": "
                                << saved.ToString();
        if (!hs.empty()) spec_.state = hs;
        batch.clear();
      }
    }
  }

  void SaveSnapshot(etcd::Wal& wal, Snap s) {
    // An empty raftpb.ConfState: etcd 3.5+ requires one past index 0.
    Status saved = wal.SaveSnapshot(etcd::SnapshotRecord{s.index, s.term, std::string()});
    ASSERT_TRUE(saved.ok()) << "SaveSnapshot: " << saved.ToString();
    spec_.snapshots.push_back({s.index, s.term, std::string()});
  }

  // The main WAL: 16 KiB segments; 1..150 at term 1, a snapshot {60,1},
  // 120..260 at term 2 overwriting 120..150, a snapshot {200,2}, 261..300 at
  // term 3; hard states along the way.
  void WriteMainWal(etcd::WalOptions options = InlineOptions()) {
    vfs::PosixVfs vfs;
    options.segment_size_bytes = kSegmentSize;
    spec_.metadata = std::string("walcrash-go-interop\x00\x01\xff", 22);
    auto wal = etcd::Wal::Create(vfs, dir_, spec_.metadata, options);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    std::mt19937 rng(20240611);
    SaveEntries(**wal, rng, 1, 150, 1, {1, 1, 140});
    SaveSnapshot(**wal, {60, 1});
    SaveEntries(**wal, rng, 120, 260, 2, {2, 3, 250});
    SaveSnapshot(**wal, {200, 2});
    SaveEntries(**wal, rng, 261, 300, 3, {3, 2, 295});
    ASSERT_TRUE((*wal)->Close().ok());
  }

  WalSpec spec_;
  std::unique_ptr<cli::ScratchDir> scratch_;
  std::string dir_;
};

TEST_F(EtcdReadsEngineWal, SegmentsSnapshotsOverwriteEmptyData) {
  ASSERT_NO_FATAL_FAILURE(WriteMainWal());
  EXPECT_GE(WalFiles(dir_).size(), 4u) << "16 KiB segments should have cut several times";
  bool empty = false, non_empty = false;
  for (const etcd::Entry& e : cli::ExpectedEntries(spec_, 0)) (e.data.empty() ? empty : non_empty) = true;
  EXPECT_TRUE(empty && non_empty);
  for (ReadMode mode : kModes) {
    for (Snap snap : {Snap{0, 0}, Snap{60, 1}, Snap{200, 2}}) CheckRead(dir_, mode, snap, &spec_);
  }
}

TEST_F(EtcdReadsEngineWal, SnapshotMismatchAndWriteModeNotFound) {
  ASSERT_NO_FATAL_FAILURE(WriteMainWal());
  for (ReadMode mode : kModes) {
    SCOPED_TRACE(cli::ReadModeName(mode));
    json etcd = EtcdRead(dir_, mode, {60, 9});
    EXPECT_EQ(etcd.at("error"), "wal: snapshot mismatch");
    CheckRead(dir_, mode, {60, 9}, nullptr);
  }
  // etcd's write mode loses ErrSnapshotNotFound (wal-spec.md §2) and returns
  // the entries after the index; the engine does the same.
  json etcd = EtcdRead(dir_, ReadMode::kWrite, {61, 1});
  EXPECT_EQ(etcd.at("error"), "");
  EXPECT_EQ(etcd.at("entries").size(), cli::ExpectedEntries(spec_, 61).size());
  CheckRead(dir_, ReadMode::kWrite, {61, 1}, nullptr);
}

// In read mode etcd's ReadAll returns metadata, hard state and entries
// together with ErrSnapshotNotFound; so does the engine (and inspect).
TEST_F(EtcdReadsEngineWal, ReadModeSnapshotNotFoundKeepsTheData) {
  ASSERT_NO_FATAL_FAILURE(WriteMainWal());
  json etcd = EtcdRead(dir_, ReadMode::kRead, {61, 1});
  EXPECT_EQ(etcd.at("error"), "wal: snapshot not found");
  EXPECT_FALSE(etcd.at("entries").empty());
  CheckRead(dir_, ReadMode::kRead, {61, 1}, nullptr);
}

// ErrSliceOutOfRange comes with the hard state read so far (no state.Reset()
// on that path). etcd main also returns the contiguous entries read so far
// (etcd-io/etcd#19038); 3.4, the reader here, returns none. The engine
// follows main, so the entries are compared with what was written instead.
TEST_F(EtcdReadsEngineWal, SliceOutOfRangeKeepsTheHardStateReadSoFar) {
  vfs::PosixVfs vfs;
  auto wal = etcd::Wal::Create(vfs, dir_, "gap", InlineOptions());
  ASSERT_TRUE(wal.ok());
  std::vector<etcd::Entry> first = {{1, 1, 0, "a"}, {1, 2, 0, "b"}};
  ASSERT_TRUE((*wal)->Save({1, 1, 2}, first).ok());
  ASSERT_TRUE((*wal)->SaveSnapshot({10, 1, std::string()}).ok());  // an installed snapshot: the log jumps
  ASSERT_TRUE((*wal)->Save({1, 1, 11}, {{1, 11, 0, "c"}}).ok());
  ASSERT_TRUE((*wal)->Close().ok());
  json etcd = EtcdRead(dir_, ReadMode::kRead, {0, 0});
  EXPECT_EQ(etcd.at("error"), "wal: slice bounds out of range");
  EXPECT_EQ(etcd.at("hardstate_term_vote_commit"), json({1, 1, 2}));
  EXPECT_TRUE(etcd.at("entries").empty());
  json ours = EngineRead(dir_, ReadMode::kRead, {0, 0});
  EXPECT_EQ(ours.at("error"), etcd.at("error"));
  EXPECT_EQ(ours.at("hardstate_term_vote_commit"), etcd.at("hardstate_term_vote_commit"));
  EXPECT_EQ(ours.at("metadata_b64"), etcd.at("metadata_b64"));
  ASSERT_EQ(ours.at("entries").size(), 2u);
  EXPECT_EQ(ours.at("entries")[1].at("index"), 2);
}

// The background file pipeline (etcd's default) across many cuts: one file
// ahead at most, so a cut never finds its next temp name locked.
TEST_F(EtcdReadsEngineWal, BackgroundPipelineSurvivesManyCuts) {
  etcd::WalOptions options;
  options.background_threads = true;
  ASSERT_NO_FATAL_FAILURE(WriteMainWal(options));
  for (ReadMode mode : kModes) CheckRead(dir_, mode, {60, 1}, &spec_, /*cli=*/false);
}

TEST_F(EtcdReadsEngineWal, ReopenedAndAppendedAcrossCuts) {
  ASSERT_NO_FATAL_FAILURE(WriteMainWal());
  vfs::PosixVfs vfs;
  {
    etcd::WalOptions options = InlineOptions();
    options.segment_size_bytes = kSegmentSize;
    auto wal = etcd::Wal::Open(vfs, dir_, {200, 2, std::nullopt}, options);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    auto read = (*wal)->ReadAll();
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    ASSERT_EQ(read->entries.size(), 100u);
    std::mt19937 rng(99);
    // A new leader at term 4 overwrites from 290 on, then the log grows on.
    SaveEntries(**wal, rng, 290, 420, 4, {4, 1, 400});
    ASSERT_TRUE((*wal)->Close().ok());
  }
  EXPECT_GE(WalFiles(dir_).size(), 6u);
  for (ReadMode mode : kModes) {
    for (Snap snap : {Snap{0, 0}, Snap{200, 2}}) CheckRead(dir_, mode, snap, &spec_);
  }
}

TEST_F(EtcdReadsEngineWal, WriteCommandOutput) {
  // A JSON description with an overwrite, an installed snapshot (the log
  // jumps from 12 to 31) and a local snapshot; `walcrash write` makes the WAL.
  json doc;
  doc["metadata_b64"] = cli::Base64Encode("from-json");
  doc["hardstate_term_vote_commit"] = {5, 2, 38};
  std::mt19937 rng(5);
  json entries = json::array();
  auto add = [&](uint64_t from, uint64_t to, uint64_t term) {
    for (uint64_t i = from; i <= to; ++i) {
      std::string data = RandomData(rng, 6000);
      entries.push_back({{"index", i}, {"term", term}, {"type", i % 3 == 0 ? 2 : 0},
                         {"data_b64", cli::Base64Encode(data)}});
    }
  };
  add(1, 15, 1);
  add(10, 12, 2);  // overwrite 10..15 with 10..12
  add(31, 45, 5);  // after the installed snapshot {30, 4}
  doc["entries"] = entries;
  doc["snapshots"] = {{{"index", 5}, {"term", 1}}, {{"index", 30}, {"term", 4}}, {{"index", 40}, {"term", 5}}};
  std::string json_path = scratch_->path() + "/in.json";
  std::ofstream(json_path) << doc.dump(1);
  testing::ProcessResult w = testing::RunProcess(
      {WALCRASH_BIN, "write", dir_, "--from", json_path, "--segment-size", std::to_string(kSegmentSize), "--batch", "3"});
  ASSERT_EQ(w.exit_code, 0) << w.out << w.err;
  EXPECT_GE(WalFiles(dir_).size(), 3u);
  auto spec = cli::ParseWalSpec(doc);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  for (ReadMode mode : kModes) {
    for (Snap snap : {Snap{30, 4}, Snap{40, 5}}) CheckRead(dir_, mode, snap, &*spec);
    // From below the installed snapshot the jump 12 -> 31 is
    // ErrSliceOutOfRange, for etcd and for the engine (the hard state comes
    // after the jump here, so both report [0,0,0]).
    for (Snap snap : {Snap{0, 0}, Snap{5, 1}}) {
      json etcd = EtcdRead(dir_, mode, snap);
      EXPECT_EQ(etcd.at("error"), "wal: slice bounds out of range");
      CheckRead(dir_, mode, snap, nullptr);
    }
  }
}

TEST_F(EtcdReadsEngineWal, FreshlyCreatedWal) {
  vfs::PosixVfs vfs;
  spec_.metadata = "";
  {
    auto wal = etcd::Wal::Create(vfs, dir_, spec_.metadata, InlineOptions());
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    ASSERT_TRUE((*wal)->Close().ok());
  }
  EXPECT_EQ(WalFiles(dir_), std::vector<std::string>{etcd::WalName(0, 0)});
  for (ReadMode mode : kModes) CheckRead(dir_, mode, {0, 0}, &spec_);
}

struct RecordAt {
  uint64_t offset = 0;
  uint64_t length = 0;  // frame included
  int64_t type = 0;
};

// The records of the segment `path`, decoded on their own.
std::vector<RecordAt> Records(const std::string& path) {
  std::vector<RecordAt> out;
  vfs::PosixVfs vfs;
  auto file = vfs.Open(path, vfs::kRead);
  EXPECT_TRUE(file.ok());
  if (!file.ok()) return out;
  uint64_t size = *(*file)->Size();
  etcd::Decoder decoder({{file->get(), size, path}});
  etcd::Record rec;
  for (;;) {
    uint64_t at = decoder.last_offset();
    auto next = decoder.Decode(rec);
    if (!next.ok() || !*next) break;
    if (rec.type == static_cast<int64_t>(etcd::RecordType::kCrc)) decoder.UpdateCrc(rec.crc);
    out.push_back({at, decoder.last_offset() - at, rec.type});
  }
  return out;
}

// The last entry record of `path`.
RecordAt LastEntry(const std::string& path) {
  std::vector<RecordAt> records = Records(path);
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->type == static_cast<int64_t>(etcd::RecordType::kEntry)) return *it;
  }
  ADD_FAILURE() << path << " holds no entry record";
  return {};
}

void OverwriteBytes(const std::string& path, uint64_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good());
}

TEST_F(EtcdReadsEngineWal, TornTailAndRepair) {
  vfs::PosixVfs vfs;
  spec_.metadata = "torn";
  {
    etcd::WalOptions options = InlineOptions();
    options.segment_size_bytes = 64 * 1024;
    auto wal = etcd::Wal::Create(vfs, dir_, spec_.metadata, options);
    ASSERT_TRUE(wal.ok());
    std::mt19937 rng(3);
    SaveEntries(**wal, rng, 1, 40, 1, {1, 1, 40});
    // A last entry big enough to span several 512-byte sectors.
    ASSERT_TRUE((*wal)->Save({}, {{1, 41, 0, std::string(2000, 'z')}}).ok());
    ASSERT_TRUE((*wal)->Close().ok());
  }
  std::string last = dir_ + "/" + WalFiles(dir_).back();
  std::vector<RecordAt> records = Records(last);
  ASSERT_FALSE(records.empty());
  auto [offset, length, type] = records.back();
  ASSERT_EQ(type, static_cast<int64_t>(etcd::RecordType::kEntry));
  ASSERT_GT(length, 1500u);
  // Zero the record from its last sector boundary on, as a torn write leaves it.
  uint64_t end = offset + length;
  uint64_t from = (end - 1) / 512 * 512;
  ASSERT_GT(from, offset + 8);
  ASSERT_NO_FATAL_FAILURE(OverwriteBytes(last, from, std::string(end - from, '\0')));

  json etcd_read = EtcdRead(dir_, ReadMode::kRead, {0, 0});
  EXPECT_EQ(etcd_read.at("error"), "");
  EXPECT_EQ(etcd_read.at("entries").size(), 40u) << "read mode stops before the torn entry";
  CheckRead(dir_, ReadMode::kRead, {0, 0}, nullptr);
  json etcd_write = EtcdRead(dir_, ReadMode::kWrite, {0, 0});
  EXPECT_EQ(etcd_write.at("error"), "unexpected EOF");
  CheckRead(dir_, ReadMode::kWrite, {0, 0}, nullptr);

  // etcd's Repair on a copy, then the reads; the engine's Repair on another.
  auto copy = cli::ScratchDir::Make("go-interop-repair");
  ASSERT_TRUE(copy.ok());
  std::string repaired = copy->path() + "/wal";
  ASSERT_TRUE(cli::CopyDirFiles(vfs, dir_, repaired).ok());
  Status why;
  ASSERT_TRUE(etcd::Repair(vfs, repaired, {}, &why)) << why.ToString();
  for (ReadMode mode : kModes) {
    json etcd = EtcdRead(dir_, mode, {0, 0}, /*repair=*/true);
    EXPECT_EQ(etcd.value("repair_result", false), true);
    etcd.erase("repair_result");
    EXPECT_EQ(etcd.at("error"), "");
    EXPECT_EQ(etcd.at("entries").size(), 40u);
    ExpectSame(etcd, EngineRead(repaired, mode, {0, 0}), "the engine after its Repair");
  }
  EXPECT_TRUE(fs::exists(repaired + "/" + WalFiles(dir_).back() + ".broken"));
}

TEST_F(EtcdReadsEngineWal, CorruptRecordInAMiddleSegment) {
  ASSERT_NO_FATAL_FAILURE(WriteMainWal());
  std::vector<std::string> files = WalFiles(dir_);
  ASSERT_GE(files.size(), 3u);
  std::string middle = dir_ + "/" + files[1];
  auto [offset, length, type] = LastEntry(middle);
  ASSERT_GT(length, 24u);
  // Flip a byte inside the record's body (past the 8-byte length field).
  std::string byte(1, '\0');
  {
    std::ifstream in(middle, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset + 12));
    in.read(byte.data(), 1);
  }
  byte[0] = static_cast<char>(byte[0] ^ 0x5a);
  ASSERT_NO_FATAL_FAILURE(OverwriteBytes(middle, offset + 12, byte));
  for (ReadMode mode : kModes) {
    json etcd = EtcdRead(dir_, mode, {0, 0});
    EXPECT_NE(etcd.at("error"), "") << "etcd should reject a corrupt record in a middle segment";
    CheckRead(dir_, mode, {0, 0}, nullptr);
  }
}

}  // namespace
}  // namespace walcrash::interop
