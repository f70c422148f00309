// The walcrash binary's exit codes and messages on bad input: 0 ok, 1 a WAL
// or input problem (with a message naming what and where), 2 usage errors;
// never a crash.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools/scratch_dir.h"
#include "tools/testing/subprocess.h"

namespace walcrash::cli {
namespace {

using testing::ProcessResult;
using testing::RunProcess;
using testing::Walcrash;
using testing::WriteFile;


class CliExit : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ScratchDir::Make("cli-test");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    scratch_ = std::make_unique<ScratchDir>(std::move(s).value());
  }
  std::string Path(std::string_view name) const { return scratch_->path() + "/" + std::string(name); }
  std::unique_ptr<ScratchDir> scratch_;
};

TEST_F(CliExit, HelpAndVersionExitZero) {
  EXPECT_EQ(Walcrash({"--help"}).exit_code, 0);
  EXPECT_EQ(Walcrash({"inspect", "--help"}).exit_code, 0);
  ProcessResult v = Walcrash({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("walcrash "), std::string::npos);
}

TEST_F(CliExit, UsageErrorsExitTwo) {
  EXPECT_EQ(Walcrash({}).exit_code, 2);
  EXPECT_EQ(Walcrash({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(Walcrash({"inspect"}).exit_code, 2);  // DIR is required
  EXPECT_EQ(Walcrash({"inspect", "/tmp", "--mode", "sideways"}).exit_code, 2);
  EXPECT_EQ(Walcrash({"inspect", "/tmp", "--snapshot-index", "minus-one"}).exit_code, 2);
  EXPECT_EQ(Walcrash({"write", Path("w")}).exit_code, 2);  // --from is required
  EXPECT_EQ(Walcrash({"write", Path("w"), "--from", "x.json", "--segment-size", "12"}).exit_code, 2);
  EXPECT_EQ(Walcrash({"vfs-demo", "--model", "nope"}).exit_code, 2);
}

TEST_F(CliExit, MissingDirectoryIsAProblemNamedClearly) {
  for (std::string cmd : {"inspect", "dump", "verify", "repair"}) {
    ProcessResult r = Walcrash({cmd, Path("missing")});
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_NE(r.err.find(Path("missing") + ": no such directory"), std::string::npos) << cmd << ": " << r.err;
  }
}

TEST_F(CliExit, FileInsteadOfDirectory) {
  WriteFile(Path("plain"), "hello");
  for (std::string cmd : {"inspect", "dump", "verify", "repair"}) {
    ProcessResult r = Walcrash({cmd, Path("plain")});
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_NE(r.err.find("not a directory"), std::string::npos) << cmd << ": " << r.err;
  }
}

TEST_F(CliExit, EmptyDirectoryIsEtcdsFileNotFound) {
  std::filesystem::create_directory(Path("empty"));
  ProcessResult r = Walcrash({"inspect", Path("empty"), "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(R"("error": "wal: file not found")"), std::string::npos) << r.out;
  EXPECT_EQ(Walcrash({"dump", Path("empty")}).exit_code, 1);
  EXPECT_EQ(Walcrash({"verify", Path("empty")}).exit_code, 1);
  EXPECT_EQ(Walcrash({"repair", Path("empty")}).exit_code, 1);
}

TEST_F(CliExit, GarbageSegmentsAreReportedNotCrashedOn) {
  std::filesystem::create_directory(Path("garbage"));
  std::string junk;
  for (int i = 0; i < 5000; ++i) junk += static_cast<char>((i * 7919 + 13) & 0xff);
  WriteFile(Path("garbage/0000000000000000-0000000000000000.wal"), junk);
  // A length field claiming far more than the file holds.
  WriteFile(Path("garbage/0000000000000001-0000000000000001.wal"), std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8));
  for (std::string mode : {"read", "write"}) {
    ProcessResult r = Walcrash({"inspect", Path("garbage"), "--mode", mode, "--json"});
    EXPECT_EQ(r.exit_code, 1) << mode << r.err;
    EXPECT_NE(r.out.find("\"error\": \""), std::string::npos);
    EXPECT_EQ(r.out.find("\"error\": \"\""), std::string::npos) << r.out;
  }
  EXPECT_EQ(Walcrash({"dump", Path("garbage")}).exit_code, 1);
  EXPECT_EQ(Walcrash({"verify", Path("garbage")}).exit_code, 1);
}

TEST_F(CliExit, WriteRejectsBadJsonWithItsLocation) {
  WriteFile(Path("bad.json"), R"({"metadata_b64": "", "hardstate_term_vote_commit": [0,0,0], "entries": [{"index": 1}]})");
  ProcessResult r = Walcrash({"write", Path("w"), "--from", Path("bad.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("entries[0]: missing field \"term\""), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(Path("w")));

  ProcessResult missing = Walcrash({"write", Path("w"), "--from", Path("nope.json")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find(Path("nope.json")), std::string::npos) << missing.err;

  WriteFile(Path("notjson.json"), "{ nope");
  ProcessResult garbage = Walcrash({"write", Path("w"), "--from", Path("notjson.json")});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_NE(garbage.err.find("not valid JSON"), std::string::npos) << garbage.err;
}

TEST_F(CliExit, WriteThenInspectRoundTripsAndWriteRefusesANonEmptyDir) {
  WriteFile(Path("in.json"), R"({"metadata_b64": "bWV0YQ==", "hardstate_term_vote_commit": [1, 1, 2],
    "entries": [{"index": 1, "term": 1, "type": 0, "data_b64": "YQ=="},
                {"index": 2, "term": 1, "type": 1, "data_b64": ""}]})");
  ProcessResult w = Walcrash({"write", Path("w"), "--from", Path("in.json"), "--segment-size", "4096"});
  ASSERT_EQ(w.exit_code, 0) << w.out << w.err;
  ProcessResult r = Walcrash({"inspect", Path("w"), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("data_b64": "YQ==")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("error": "")"), std::string::npos) << r.out;
  EXPECT_EQ(Walcrash({"verify", Path("w")}).exit_code, 0);
  EXPECT_EQ(Walcrash({"dump", Path("w")}).exit_code, 0);
  EXPECT_EQ(Walcrash({"repair", Path("w")}).exit_code, 0);
  ProcessResult again = Walcrash({"write", Path("w"), "--from", Path("in.json")});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;
}

TEST_F(CliExit, UnreadableDirectoryIsPermissionDenied) {
  std::filesystem::create_directory(Path("locked"));
  std::filesystem::permissions(Path("locked"), std::filesystem::perms::none);
  std::vector<std::string> argv;
  if (::geteuid() == 0) {
    // Root reads any directory: run as nobody (the scratch dir must then be
    // traversable by others).
    // setpriv is util-linux's, which Debian marks essential: always there.
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/setpriv")) << "running as root needs setpriv (util-linux) to drop it";
    std::filesystem::permissions(scratch_->path(), std::filesystem::perms::owner_all |
                                                       std::filesystem::perms::group_exec |
                                                       std::filesystem::perms::others_exec);
    argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  }
  argv.insert(argv.end(), {WALCRASH_BIN, "inspect", Path("locked")});
  ProcessResult r = RunProcess(argv);
  std::filesystem::permissions(Path("locked"), std::filesystem::perms::owner_all);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(Path("locked") + ": permission denied"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace walcrash::cli
