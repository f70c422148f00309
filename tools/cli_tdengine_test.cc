// `walcrash inspect --engine tdengine DIR`: what TDengine's walRestore
// replays from a directory the TDengine engine wrote through PosixVfs, in
// text and --json, on damaged copies (a torn tail, a corrupted record, a
// name only TDengine takes for a WAL file), and its exit codes; DIR is never
// changed.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/tdengine/fsync_service.h"
#include "engine/tdengine/wal.h"
#include "engine/tdengine/wal_head.h"
#include "tools/scratch_dir.h"
#include "tools/testing/subprocess.h"
#include "vfs/posix_vfs.h"

namespace walcrash::cli {
namespace {

using testing::ProcessResult;
using testing::ReadFileOrEmpty;
using testing::Walcrash;
using testing::WriteFile;

// Versions 1..3 go to wal1, 4..5 to wal2; body "rec<v>", msgType 3.
constexpr int8_t kMsgType = 3;
std::string Body(uint64_t v) { return fmt::format("rec{}", v); }
// The bytes of record v (sver 2), as walWrite writes them.
std::string Record(uint64_t v) { return tdengine::EncodeRecord(kMsgType, v, Body(v)); }

class CliTdengine : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ScratchDir::Make("cli-tdengine-test");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    scratch_ = std::make_unique<ScratchDir>(std::move(s).value());
  }
  std::string Path(std::string_view name) const { return scratch_->path() + "/" + std::string(name); }

  // A WAL written by the engine on the real filesystem: wal1 with versions
  // 1..3, wal2 with 4..5.
  void WriteWal(const std::string& dir) {
    vfs::PosixVfs vfs;
    tdengine::FsyncService service(tdengine::FsyncService::Mode::kManual);
    tdengine::WalOptions options;
    options.fsync_service = &service;
    auto wal = tdengine::Wal::Open(vfs, dir, options);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    for (uint64_t v = 1; v <= 5; ++v) {
      if (v == 1 || v == 4) {
        ASSERT_TRUE((*wal)->Renew().ok());
      }
      auto written = (*wal)->Write(kMsgType, v, Body(v));
      ASSERT_TRUE(written.ok()) << written.status().ToString();
      ASSERT_EQ(*written, tdengine::WriteOutcome::kWritten);
      ASSERT_TRUE((*wal)->Fsync(true).ok());
    }
    ASSERT_TRUE((*wal)->Close().ok());
    ASSERT_EQ(ReadFileOrEmpty(dir + "/wal1"), Record(1) + Record(2) + Record(3));
    ASSERT_EQ(ReadFileOrEmpty(dir + "/wal2"), Record(4) + Record(5));
  }

  std::unique_ptr<ScratchDir> scratch_;
};

nlohmann::json ParseJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
  return j;
}

std::vector<uint64_t> JsonVersions(const nlohmann::json& j) {
  std::vector<uint64_t> out;
  if (!j.contains("records") || !j["records"].is_array()) return out;
  for (const auto& r : j["records"]) out.push_back(r.value("version", uint64_t{0}));
  return out;
}

bool Has(const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; }

TEST_F(CliTdengine, WrittenDirectoryReadsBackWithItsVersions) {
  const std::string dir = Path("wal");
  ASSERT_NO_FATAL_FAILURE(WriteWal(dir));

  ProcessResult r = Walcrash({"inspect", "--engine", "tdengine", dir});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "TDengine WAL " + dir)) << r.out;
  EXPECT_TRUE(Has(r.out, "wal1: 3 records, versions 1 to 3")) << r.out;
  EXPECT_TRUE(Has(r.out, "wal2: 2 records, versions 4 to 5")) << r.out;
  EXPECT_TRUE(Has(r.out, "notes:      none")) << r.out;
  EXPECT_TRUE(Has(r.out, "version:    5")) << r.out;
  EXPECT_TRUE(Has(r.out, "error:      none")) << r.out;
  EXPECT_FALSE(Has(r.out, "offset")) << "no --entries: no record lines\n" << r.out;

  ProcessResult entries = Walcrash({"inspect", dir, "--engine", "tdengine", "--entries"});
  ASSERT_EQ(entries.exit_code, 0) << entries.err;
  const uint64_t second = Record(1).size();
  for (std::string_view want : {std::string_view("msgType    3"), std::string_view("\"rec5\""),
                                std::string_view("sver 2")}) {
    EXPECT_TRUE(Has(entries.out, want)) << want << "\n" << entries.out;
  }
  EXPECT_TRUE(Has(entries.out, fmt::format("wal1  offset {:>10}  version {:>10}", second, 2))) << entries.out;

  ProcessResult json = Walcrash({"inspect", dir, "--engine", "tdengine", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json j = ParseJson(json.out);
  EXPECT_EQ(j.value("engine", ""), "tdengine");
  EXPECT_EQ(j.value("dir", ""), dir);
  EXPECT_EQ(j.value("strict", true), false);
  EXPECT_EQ(JsonVersions(j), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(j.value("version", uint64_t{0}), 5u);
  EXPECT_TRUE(j["error"].is_null()) << json.out;
  EXPECT_TRUE(j["notes"].is_array() && j["notes"].empty()) << json.out;
  ASSERT_EQ(j["files"].size(), 2u) << json.out;
  EXPECT_EQ(j["files"][0]["name"], "wal1");
  EXPECT_EQ(j["files"][0]["size"], Record(1).size() + Record(2).size() + Record(3).size());
  EXPECT_EQ(j["files"][0]["tdengine_id"], 1);
  EXPECT_EQ(j["files"][0]["strict_id"], 1);
  ASSERT_EQ(j["records"].size(), 5u);
  const nlohmann::json& rec = j["records"][1];
  EXPECT_EQ(rec["file"], "wal1");
  EXPECT_EQ(rec["offset"], second);
  EXPECT_EQ(rec["msg_type"], kMsgType);
  EXPECT_EQ(rec["sver"], 2);
  EXPECT_EQ(rec["len"], Body(2).size());
  EXPECT_EQ(j["records"][3]["file"], "wal2");
  EXPECT_EQ(j["records"][3]["offset"], 0);

  ProcessResult strict = Walcrash({"inspect", dir, "--engine", "tdengine", "--strict", "--json"});
  ASSERT_EQ(strict.exit_code, 0) << strict.out << strict.err;
  nlohmann::json s = ParseJson(strict.out);
  EXPECT_EQ(s.value("strict", false), true);
  EXPECT_EQ(JsonVersions(s), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(CliTdengine, TornTailIsReportedButTheDirectoryIsNotChanged) {
  const std::string dir = Path("wal");
  ASSERT_NO_FATAL_FAILURE(WriteWal(dir));
  // Half a head of version 6 at the end of wal2: walRestore truncates it.
  const std::string intact = ReadFileOrEmpty(dir + "/wal2");
  const std::string torn = intact + Record(6).substr(0, 10);
  WriteFile(dir + "/wal2", torn);

  ProcessResult r = Walcrash({"inspect", dir, "--engine", "tdengine"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, fmt::format("wal2: truncated at {} after a short head", intact.size()))) << r.out;
  EXPECT_TRUE(Has(r.out, "version:    5")) << r.out;
  EXPECT_EQ(ReadFileOrEmpty(dir + "/wal2"), torn) << "inspect changed " << dir << "/wal2";

  ProcessResult json = Walcrash({"inspect", dir, "--engine", "tdengine", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json j = ParseJson(json.out);
  ASSERT_EQ(j["notes"].size(), 1u) << json.out;
  EXPECT_TRUE(Has(j["notes"][0].get<std::string>(), "truncated")) << json.out;
  EXPECT_EQ(JsonVersions(j), (std::vector<uint64_t>{1, 2, 3, 4, 5}));

  ProcessResult strict = Walcrash({"inspect", dir, "--engine", "tdengine", "--strict"});
  EXPECT_EQ(strict.exit_code, 0) << strict.out << strict.err;
  EXPECT_TRUE(Has(strict.out, fmt::format("wal2: truncated a torn tail at {}", intact.size()))) << strict.out;
  EXPECT_EQ(ReadFileOrEmpty(dir + "/wal2"), torn) << "inspect --strict changed " << dir << "/wal2";
  EXPECT_EQ(ReadFileOrEmpty(dir + "/wal1"), Record(1) + Record(2) + Record(3));
}

TEST_F(CliTdengine, CorruptedRecordMidFileIsScannedPastOrRefusedWithStrict) {
  const std::string dir = Path("wal");
  ASSERT_NO_FATAL_FAILURE(WriteWal(dir));
  // Flip a body byte of version 2 (in the middle of wal1).
  std::string wal1 = ReadFileOrEmpty(dir + "/wal1");
  const uint64_t at2 = Record(1).size();
  const uint64_t at3 = at2 + Record(2).size();
  wal1[at2 + tdengine::kHeadBytes + 1] ^= 0x40;
  WriteFile(dir + "/wal1", wal1);

  ProcessResult r = Walcrash({"inspect", dir, "--engine", "tdengine"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, fmt::format("wal1: a bad checksum at {}, resumed at a record found at {}", at2, at3)))
      << r.out;
  EXPECT_TRUE(Has(r.out, "wal1: 2 records, versions 1 to 3")) << r.out;
  EXPECT_TRUE(Has(r.out, "error:      none")) << r.out;
  ProcessResult json = Walcrash({"inspect", dir, "--engine", "tdengine", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(JsonVersions(ParseJson(json.out)), (std::vector<uint64_t>{1, 3, 4, 5}));

  const std::string file = dir + "/wal1";
  ProcessResult strict = Walcrash({"inspect", dir, "--engine", "tdengine", "--strict"});
  EXPECT_EQ(strict.exit_code, 1) << strict.out << strict.err;
  EXPECT_TRUE(Has(strict.out, "error:      Corruption")) << strict.out;
  EXPECT_TRUE(Has(strict.out, file)) << strict.out;
  EXPECT_TRUE(Has(strict.out, fmt::format("offset {}", at2))) << strict.out;
  EXPECT_TRUE(Has(strict.out, "wal1: 1 record, versions 1 to 1; Restore failed here")) << strict.out;
  EXPECT_TRUE(Has(strict.out, "wal2: 0 records; not read")) << strict.out;

  ProcessResult strict_json = Walcrash({"inspect", dir, "--engine", "tdengine", "--strict", "--json"});
  EXPECT_EQ(strict_json.exit_code, 1) << strict_json.err;
  nlohmann::json j = ParseJson(strict_json.out);
  ASSERT_TRUE(j["error"].is_string()) << strict_json.out;
  EXPECT_TRUE(Has(j["error"].get<std::string>(), file)) << strict_json.out;
  EXPECT_TRUE(Has(j["error"].get<std::string>(), fmt::format("offset {}", at2))) << strict_json.out;
  EXPECT_EQ(JsonVersions(j), (std::vector<uint64_t>{1}));
  EXPECT_TRUE(Has(strict_json.err, file)) << strict_json.err;
  EXPECT_EQ(ReadFileOrEmpty(file), wal1) << "inspect changed " << file;
}

TEST_F(CliTdengine, NameOnlyTDengineTakesForAWalFile) {
  const std::string dir = Path("wal");
  ASSERT_NO_FATAL_FAILURE(WriteWal(dir));
  std::filesystem::remove(dir + "/wal2");
  WriteFile(dir + "/wal3x", Record(9));
  WriteFile(dir + "/notes.txt", "not a wal");

  ProcessResult r = Walcrash({"inspect", dir, "--engine", "tdengine"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "TDengine: WAL file 3 (it opens wal3); strict: not a WAL file")) << r.out;
  EXPECT_TRUE(Has(r.out, "not a WAL file")) << r.out;
  // TDengine opens wal3, which is not there: it skips it.
  EXPECT_TRUE(Has(r.out, "wal3: skipped: NotFound")) << r.out;
  EXPECT_TRUE(Has(r.out, "wal3: 0 records; skipped (see notes)")) << r.out;

  ProcessResult json = Walcrash({"inspect", dir, "--engine", "tdengine", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json j = ParseJson(json.out);
  ASSERT_EQ(j["files"].size(), 3u) << json.out;
  const nlohmann::json& notes = j["files"][0];
  EXPECT_EQ(notes["name"], "notes.txt");
  EXPECT_TRUE(notes["tdengine_id"].is_null());
  const nlohmann::json& odd = j["files"][2];
  EXPECT_EQ(odd["name"], "wal3x");
  EXPECT_EQ(odd["tdengine_id"], 3);
  EXPECT_TRUE(odd["strict_id"].is_null()) << json.out;

  ProcessResult strict = Walcrash({"inspect", dir, "--engine", "tdengine", "--strict", "--json"});
  EXPECT_EQ(strict.exit_code, 0) << strict.out << strict.err;
  nlohmann::json s = ParseJson(strict.out);
  EXPECT_EQ(JsonVersions(s), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(s["notes"].empty()) << strict.out;
}

TEST_F(CliTdengine, MissingDirectoryIsAProblemNamedClearly) {
  ProcessResult r = Walcrash({"inspect", Path("missing"), "--engine", "tdengine"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Has(r.err, Path("missing") + ": no such directory")) << r.err;
  WriteFile(Path("plain"), "hello");
  ProcessResult plain = Walcrash({"inspect", Path("plain"), "--engine", "tdengine", "--json"});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_TRUE(Has(plain.err, Path("plain") + ": not a directory")) << plain.err;
  EXPECT_TRUE(Has(plain.err, "wal<id> files")) << plain.err;
}

TEST_F(CliTdengine, UnreadableFileIsAProblemNamedClearly) {
  const std::string dir = Path("wal");
  ASSERT_NO_FATAL_FAILURE(WriteWal(dir));
  std::filesystem::permissions(dir + "/wal2", std::filesystem::perms::none);
  std::vector<std::string> argv;
  if (::geteuid() == 0) {
    // Root reads any file: run as nobody (as cli_exit_test does).
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/setpriv")) << "running as root needs setpriv (util-linux)";
    std::filesystem::permissions(scratch_->path(), std::filesystem::perms::owner_all |
                                                       std::filesystem::perms::group_exec |
                                                       std::filesystem::perms::others_exec);
    argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  }
  argv.insert(argv.end(), {WALCRASH_BIN, "inspect", dir, "--engine", "tdengine"});
  ProcessResult r = testing::RunProcess(argv);
  std::filesystem::permissions(dir + "/wal2", std::filesystem::perms::owner_all);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.err, dir + "/wal2: cannot copy it")) << r.err;
  EXPECT_TRUE(Has(r.err, "PermissionDenied")) << r.err;
}

TEST_F(CliTdengine, EmptyDirectoryRestoresNothing) {
  std::filesystem::create_directory(Path("empty"));
  ProcessResult r = Walcrash({"inspect", Path("empty"), "--engine", "tdengine", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = ParseJson(r.out);
  EXPECT_TRUE(j["records"].empty());
  EXPECT_EQ(j.value("version", uint64_t{1}), 0u);
}

TEST_F(CliTdengine, OptionsOfTheOtherEngineAreUsageErrors) {
  std::filesystem::create_directory(Path("d"));
  ProcessResult strict_etcd = Walcrash({"inspect", Path("d"), "--strict"});
  EXPECT_EQ(strict_etcd.exit_code, 2);
  EXPECT_TRUE(Has(strict_etcd.err, "--strict")) << strict_etcd.err;
  EXPECT_EQ(Walcrash({"inspect", Path("d"), "--engine", "etcd", "--strict"}).exit_code, 2);
  EXPECT_EQ(Walcrash({"inspect", Path("d"), "--engine", "nosuch"}).exit_code, 2);
  for (std::vector<std::string> extra : {std::vector<std::string>{"--snapshot-index", "1"},
                                         std::vector<std::string>{"--snapshot-term", "0"},
                                         std::vector<std::string>{"--mode", "write"}}) {
    std::vector<std::string> args = {"inspect", Path("d"), "--engine", "tdengine"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Walcrash(args);
    EXPECT_EQ(r.exit_code, 2) << extra[0];
    EXPECT_TRUE(Has(r.err, extra[0])) << r.err;
  }
}

}  // namespace
}  // namespace walcrash::cli
