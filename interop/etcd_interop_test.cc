// The etcd engine against WAL directories real etcd (3.4.23) wrote:
// shared/interop/etcd-3.4/<case>/{wal/, expected.json} (see that folder's
// README.md). For every case, every read listed in expected.json (both modes,
// every snapshot) is run with the very code `walcrash inspect --json` runs
// (tools/inspect_json.h) and compared field by field; so is the directory
// listing, and, where the case has them, etcd's Repair result and the reads
// after it (on a copy). The shared directory must exist: a missing one fails.
//
// Each read is also run through the walcrash binary (WALCRASH_BIN): what
// `walcrash inspect DIR --json --mode M --snapshot-index I --snapshot-term T`
// prints must equal the expected.json object exactly.
//
// WALCRASH_SHARED_INTEROP_DIR is ${PROJECT_SOURCE_DIR}/../shared/interop.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/etcd/wal.h"
#include "tools/inspect_json.h"
#include "tools/scratch_dir.h"
#include "tools/testing/subprocess.h"
#include "vfs/posix_vfs.h"

#ifndef WALCRASH_SHARED_INTEROP_DIR
#error "WALCRASH_SHARED_INTEROP_DIR must name shared/interop (interop/CMakeLists.txt sets it)"
#endif

namespace walcrash::interop {
namespace {

namespace fs = std::filesystem;
using cli::ReadMode;
using nlohmann::json;

const fs::path kEtcdCases = fs::path(WALCRASH_SHARED_INTEROP_DIR) / "etcd-3.4";

// The cases this test was written against; any other case directory found is
// checked too (EveryCaseDirectory).
const std::vector<std::string> kKnownCases = {"single-segment", "multi-segment", "torn-tail", "crc-mismatch"};

::testing::AssertionResult SharedDirPresent() {
  std::error_code ec;
  if (!fs::is_directory(kEtcdCases, ec)) {
    return ::testing::AssertionFailure()
           << "the shared etcd interop cases are missing: " << kEtcdCases.string()
           << " is not a directory (it lives beside the repository, in ../shared/interop; the interop tests "
              "cannot pass without it)";
  }
  return ::testing::AssertionSuccess();
}

json ReadJsonFile(const fs::path& p) {
  std::ifstream in(p);
  if (!in) {
    ADD_FAILURE() << "cannot open " << p;
    return json();
  }
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    ADD_FAILURE() << p << ": " << e.what();
    return json();
  }
}

// Names and contents of the regular files in `dir`, to show a read did not
// change the directory it read.
std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out[entry.path().filename().string()] = ss.str();
  }
  return out;
}

// Compares one read, field by field, with a precise message for the first
// difference in the entries.
void ExpectSameRead(const json& want, const json& got) {
  for (const char* key : {"mode", "snapshot_index", "snapshot_term", "metadata_b64", "hardstate_term_vote_commit",
                          "error"}) {
    ASSERT_TRUE(want.contains(key)) << "expected.json read lacks \"" << key << "\"";
    ASSERT_TRUE(got.contains(key)) << "inspect's object lacks \"" << key << "\"";
    EXPECT_EQ(want[key], got[key]) << "field \"" << key << "\"";
  }
  const json& we = want.at("entries");
  const json& ge = got.at("entries");
  EXPECT_EQ(we.size(), ge.size()) << "number of entries";
  for (size_t i = 0; i < std::min(we.size(), ge.size()); ++i) {
    for (const char* key : {"index", "term", "type", "data_b64"}) {
      if (we[i].at(key) != ge[i].at(key)) {
        ADD_FAILURE() << "entries[" << i << "]." << key << ": etcd " << we[i].at(key) << ", engine " << ge[i].at(key);
        return;
      }
    }
  }
  // Nothing more, nothing less: the same keys as etcd's object.
  std::set<std::string> want_keys, got_keys;
  for (const auto& [k, v] : want.items()) want_keys.insert(k);
  for (const auto& [k, v] : got.items()) got_keys.insert(k);
  EXPECT_EQ(want_keys, got_keys);
}

// Runs one expected read on `dir` through inspect's code path.
void CheckRead(vfs::Vfs& vfs, const fs::path& dir, const json& want) {
  SCOPED_TRACE(fmt::format("{} mode at snapshot {{index {}, term {}}}", want.at("mode").get<std::string>(),
                           want.at("snapshot_index").get<uint64_t>(), want.at("snapshot_term").get<uint64_t>()));
  auto mode = cli::ParseReadMode(want.at("mode").get<std::string>());
  ASSERT_TRUE(mode.ok()) << mode.status().ToString();
  cli::ReadRequest request{*mode, want.at("snapshot_index").get<uint64_t>(), want.at("snapshot_term").get<uint64_t>()};
  auto report = cli::InspectWal(vfs, dir.string(), request);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // What inspect --json prints, parsed back (so the printed text is tested).
  json got = json::parse(cli::DumpJson(cli::ReadReportToJson(*report)));
  ExpectSameRead(want, got);

  // The CLI itself: the same object, and exit 1 exactly when it has an error.
  testing::ProcessResult cli = testing::RunProcess(
      {WALCRASH_BIN, "inspect", dir.string(), "--json", "--mode", want.at("mode").get<std::string>(),
       "--snapshot-index", std::to_string(request.snapshot_index), "--snapshot-term",
       std::to_string(request.snapshot_term)});
  ASSERT_TRUE(cli.error.empty()) << cli.error;
  EXPECT_EQ(cli.exit_code, want.at("error") == "" ? 0 : 1) << cli.err;
  try {
    EXPECT_EQ(json::parse(cli.out), want) << "walcrash inspect --json printed:\n" << cli.out;
  } catch (const json::exception& e) {
    ADD_FAILURE() << "walcrash inspect --json printed no JSON (" << e.what() << "): " << cli.out << cli.err;
  }
}

void CheckCase(const std::string& name) {
  ASSERT_TRUE(SharedDirPresent());
  SCOPED_TRACE("case " + name);
  fs::path case_dir = kEtcdCases / name;
  fs::path wal_dir = case_dir / "wal";
  ASSERT_TRUE(fs::is_directory(wal_dir)) << wal_dir << " is missing";
  json expected = ReadJsonFile(case_dir / "expected.json");
  ASSERT_TRUE(expected.is_object());
  vfs::PosixVfs vfs;
  const auto before = Snapshot(wal_dir);

  // The listing.
  auto names = vfs.List(wal_dir.string());
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(json(*names), expected.at("files")) << "directory listing";

  // Every read; both modes of each snapshot must be listed.
  ASSERT_TRUE(expected.at("reads").is_array());
  ASSERT_FALSE(expected.at("reads").empty());
  std::set<std::pair<uint64_t, uint64_t>> read_at, write_at;
  for (const json& want : expected.at("reads")) {
    CheckRead(vfs, wal_dir, want);
    auto snap = std::make_pair(want.at("snapshot_index").get<uint64_t>(), want.at("snapshot_term").get<uint64_t>());
    (want.at("mode") == "write" ? write_at : read_at).insert(snap);
  }
  EXPECT_EQ(read_at, write_at) << "expected.json should list both modes for every snapshot";

  // Repair on a copy, then the reads of the repaired copy.
  if (expected.contains("repair_result")) {
    auto scratch = cli::ScratchDir::Make("interop-repair");
    ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
    fs::path copy = fs::path(scratch->path()) / "wal";
    ASSERT_TRUE(cli::CopyDirFiles(vfs, wal_dir.string(), copy.string()).ok());
    Status why;
    bool repaired = etcd::Repair(vfs, copy.string(), {}, &why);
    EXPECT_EQ(repaired, expected.at("repair_result").get<bool>()) << "Repair: " << why.ToString();
    ASSERT_TRUE(expected.contains("reads_after_repair"));
    for (const json& want : expected.at("reads_after_repair")) {
      SCOPED_TRACE("after repair");
      CheckRead(vfs, copy, want);
    }
  }

  // Reading (write mode included) never changed the case's directory.
  EXPECT_TRUE(before == Snapshot(wal_dir)) << wal_dir << " changed";
}

TEST(EtcdInterop, SharedCasesArePresent) {
  ASSERT_TRUE(SharedDirPresent());
  for (const std::string& name : kKnownCases) {
    EXPECT_TRUE(fs::is_regular_file(kEtcdCases / name / "expected.json")) << name;
  }
}

TEST(EtcdInterop, SingleSegment) { CheckCase("single-segment"); }
TEST(EtcdInterop, MultiSegment) { CheckCase("multi-segment"); }
TEST(EtcdInterop, TornTail) { CheckCase("torn-tail"); }
TEST(EtcdInterop, CrcMismatch) { CheckCase("crc-mismatch"); }

// Cases added to shared/interop after this test was written.
TEST(EtcdInterop, EveryOtherCaseDirectory) {
  ASSERT_TRUE(SharedDirPresent());
  size_t cases = 0;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(kEtcdCases)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    ++cases;
    std::string name = dir.filename().string();
    if (std::find(kKnownCases.begin(), kKnownCases.end(), name) == kKnownCases.end()) CheckCase(name);
  }
  EXPECT_GE(cases, kKnownCases.size());
}

}  // namespace
}  // namespace walcrash::interop
