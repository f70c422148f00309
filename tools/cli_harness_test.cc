// `walcrash explore` and `walcrash replay` as a user runs them: exit codes,
// the files they write, and the messages on bad input. Small cases only
// (seconds each); `walcrash mutants` has its own test (cli_mutants_test.cc).
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tools/scratch_dir.h"
#include "tools/testing/subprocess.h"

namespace walcrash::cli {
namespace {

using testing::ProcessResult;
using testing::ReadFileOrEmpty;
using testing::RunProcess;
using testing::Walcrash;
using testing::WriteFile;

// A generated workload on which the cut bug (etcd #6368) is found.
constexpr const char* kCutBugSeed = "2";


nlohmann::json ParseJsonFile(const std::string& path) {
  return nlohmann::json::parse(ReadFileOrEmpty(path), nullptr, /*allow_exceptions=*/false);
}

class CliHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ScratchDir::Make("cli-harness-test");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    scratch_ = std::make_unique<ScratchDir>(std::move(s).value());
  }
  std::string Path(std::string_view name) const { return scratch_->path() + "/" + std::string(name); }
  std::unique_ptr<ScratchDir> scratch_;
};

TEST_F(CliHarness, ExploreOnTheCorrectEngineFindsNothing) {
  ProcessResult r = Walcrash({"explore", "--seed", "3", "--ops", "12", "--max-images", "8", "--samples", "1",
                              "--json", Path("report.json"), "--out", Path("out")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("walcrash explore: no finding"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("images checked"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("\033["), std::string::npos) << "a progress bar on a non-terminal: " << r.err;
  // Nothing to write: the findings directory is not even created.
  EXPECT_FALSE(std::filesystem::exists(Path("out")));

  nlohmann::json j = ParseJsonFile(Path("report.json"));
  ASSERT_FALSE(j.is_discarded()) << ReadFileOrEmpty(Path("report.json"));
  EXPECT_EQ(j["command"], "explore");
  EXPECT_EQ(j["findings"], 0);
  EXPECT_GT(j["crash_points"].get<uint64_t>(), 10u);
  EXPECT_GE(j["images_checked"].get<uint64_t>(), j["images_recovered"].get<uint64_t>());
  EXPECT_EQ(j["stopped_by_budget"], false);
  EXPECT_TRUE(j["reproducers"].is_array() && j["reproducers"].empty());
  EXPECT_EQ(j["options"]["source"], "generated");
  EXPECT_EQ(j["options"]["models"], nlohmann::json({"strict", "prefix", "subset"}));
}

TEST_F(CliHarness, ExploreFindsTheCutBugAndItsReproducerReplays) {
  ProcessResult r = Walcrash({"explore", "--bug", "no_dir_fsync_after_cut", "--seed", kCutBugSeed, "--ops", "30",
                              "--model", "prefix", "--json", Path("report.json"), "--out", Path("out")});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("finding(s)"), std::string::npos) << r.out;
  nlohmann::json j = ParseJsonFile(Path("report.json"));
  ASSERT_FALSE(j.is_discarded());
  EXPECT_GT(j["findings"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["options"]["bugs"], nlohmann::json({"no_dir_fsync_after_cut"}));
  ASSERT_FALSE(j["reproducers"].empty()) << j.dump(2);
  for (const nlohmann::json& rep : j["reproducers"]) {
    std::string path = rep["path"];
    std::string oracle = rep["oracle"];
    EXPECT_EQ(std::filesystem::path(path).parent_path(), std::filesystem::path(Path("out")));
    EXPECT_NE(r.out.find(path), std::string::npos) << "the summary names each reproducer";
    EXPECT_TRUE(rep["replays_same_verdict"].get<bool>());
    ProcessResult replay = Walcrash({"replay", path});
    EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
    EXPECT_NE(replay.out.find(oracle), std::string::npos) << replay.out;
    EXPECT_NE(replay.out.find("== VFS trace up to the crash"), std::string::npos) << replay.out;
    EXPECT_NE(replay.out.find("replay: same verdict as recorded (" + oracle + ")"), std::string::npos) << replay.out;
    ProcessResult quiet = Walcrash({"replay", "--quiet", path});
    EXPECT_EQ(quiet.exit_code, 0);
    EXPECT_EQ(quiet.out.find("== VFS trace"), std::string::npos) << quiet.out;
  }
  // The cut bug loses a segment's name: the durability oracle sees it.
  EXPECT_TRUE(j["findings_by_oracle"].contains("durability")) << j.dump(2);
}

TEST_F(CliHarness, ReplaySaysWhenTheVerdictDiffers) {
  ProcessResult r = Walcrash({"explore", "--bug", "no_dir_fsync_after_cut", "--seed", kCutBugSeed, "--ops", "30",
                              "--model", "prefix", "--no-minimize", "--out", Path("out")});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(Path("out"))) files.push_back(entry.path().string());
  ASSERT_FALSE(files.empty());
  nlohmann::json rep = ParseJsonFile(files.front());
  ASSERT_TRUE(rep.is_object());
  // The same case recorded as a pass: the replay now fails, so it differs.
  rep["oracle"] = "";
  rep["message"] = "";
  WriteFile(Path("edited.json"), rep.dump(2));
  ProcessResult replay = Walcrash({"replay", Path("edited.json")});
  EXPECT_EQ(replay.exit_code, 1) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("DIFFERS"), std::string::npos) << replay.out;
}

TEST_F(CliHarness, ExploreReadsAWorkloadFile) {
  WriteFile(Path("w.txt"),
            "# a cut or two on the correct engine\n"
            "engine etcd\noption segment-size 4096\ncreate\n"
            "save entries=3 size=700\nsave entries=3 size=700 commit=2\nsync\nsave entries=2 size=100\n");
  ProcessResult r = Walcrash({"explore", "--workload", Path("w.txt"), "--model", "strict", "--model", "prefix",
                              "--max-images", "8"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("models            strict prefix"), std::string::npos) << r.out;

  WriteFile(Path("w.json"), R"({"engine": "etcd", "options": {"segment-size": 4096},
                                "ops": ["create", "save entries=2 size=10", "sync"]})");
  ProcessResult j = Walcrash({"explore", "--workload", Path("w.json"), "--model", "all", "--max-images", "4"});
  EXPECT_EQ(j.exit_code, 0) << j.out << j.err;
}

TEST_F(CliHarness, UsageErrorsExitTwoBeforeAnythingRuns) {
  struct Case {
    std::vector<std::string> args;
    std::string message;  // part of what stderr must say
  };
  WriteFile(Path("bad-workload.txt"), "create\nfly entries=3\n");
  std::vector<Case> cases = {
      {{"explore", "--bug", "no_such_bug"}, "no_such_bug"},
      {{"explore", "--bug", "no_dir_fsync_after_cut,nope"}, "nope"},
      {{"explore", "--shard", "2/2"}, "--shard"},
      {{"explore", "--shard", "x"}, "--shard"},
      {{"explore", "--shard", "0/0"}, "--shard"},
      {{"explore", "--model", "sideways"}, "sideways"},
      {{"explore", "--engine", "leveldb"}, "leveldb"},
      {{"explore", "--workload", Path("missing.txt")}, Path("missing.txt") + ": no such file"},
      {{"explore", "--workload", Path("bad-workload.txt")}, Path("bad-workload.txt")},
      {{"explore", "--workload", Path("bad-workload.txt"), "--seed", "3"}, "excludes"},
      {{"explore", "--faults", "explode *.wal"}, "--faults"},
      {{"explore", "--ops", "0"}, "--ops"},
      {{"explore", "--json", Path("no-dir/r.json")}, "does not exist"},
      {{"replay"}, "FILE"},
      {{"mutants", "--cases", "0"}, "--cases"},
  };
  for (const Case& c : cases) {
    ProcessResult r = Walcrash(c.args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(c.args) << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << ::testing::PrintToString(c.args) << "\n" << r.err;
    EXPECT_EQ(r.out.find("walcrash explore: "), std::string::npos) << "it ran: " << r.out;
  }
}

TEST_F(CliHarness, ReplayOfABadFileNamesItAndExitsOne) {
  std::string junk;
  for (int i = 0; i < 3000; ++i) junk += static_cast<char>((i * 7919 + 13) & 0xff);
  WriteFile(Path("garbage.bin"), junk);
  WriteFile(Path("broken.json"), "{ \"kind\": ");
  WriteFile(Path("other.json"), R"({"hello": "world"})");
  WriteFile(Path("bad-workload.json"), R"({"workload": ["create", "fly"], "crash_after_calls": 3})");
  std::filesystem::create_directory(Path("a-dir"));
  for (std::string name : {"garbage.bin", "broken.json", "other.json", "bad-workload.json", "missing.json", "a-dir"}) {
    ProcessResult r = Walcrash({"replay", Path(name)});
    EXPECT_EQ(r.exit_code, 1) << name << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(Path(name)), std::string::npos) << name << ": " << r.err;
  }
  EXPECT_NE(Walcrash({"replay", Path("missing.json")}).err.find("no such file"), std::string::npos);
  EXPECT_NE(Walcrash({"replay", Path("broken.json")}).err.find("not valid JSON"), std::string::npos);
  EXPECT_NE(Walcrash({"replay", Path("other.json")}).err.find("not a reproducer"), std::string::npos);
  EXPECT_NE(Walcrash({"replay", Path("garbage.bin")}).err.find("binary data"), std::string::npos);
  // Text that is no scenario: the parser's complaint, with the file's name.
  WriteFile(Path("notes.txt"), "hello world\n");
  ProcessResult text = Walcrash({"replay", Path("notes.txt")});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.err.find(Path("notes.txt")), std::string::npos) << text.err;
}

TEST_F(CliHarness, ReplayRunsAScenarioFile) {
  WriteFile(Path("cut.scenario"),
            "scenario A synced Save into a segment whose name is not durable yet\n"
            "note etcd #6368: the new segment's name needs a directory fsync after the rename.\n"
            "expect correct pass\n"
            "expect no_dir_fsync_after_cut durability\n"
            "check every-sync\n"
            "engine etcd\n"
            "option segment-size 1024\n"
            "create\n"
            "save entries=2 size=300\n"
            "save entries=1 size=400\n"
            "save entries=1 size=100   # cuts\n"
            "save entries=1 size=100   # synced into the new segment\n");
  ProcessResult r = Walcrash({"replay", Path("cut.scenario")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2/2 expectations met"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== verdict"), std::string::npos) << "the finding's replay is shown: " << r.out;

  // The same file expecting the wrong oracle: not met, exit 1.
  std::string text = ReadFileOrEmpty(Path("cut.scenario"));
  text.replace(text.find("durability"), 10, "crc-chain");
  WriteFile(Path("wrong.scenario"), text);
  ProcessResult wrong = Walcrash({"replay", "--quiet", Path("wrong.scenario")});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out << wrong.err;
  EXPECT_NE(wrong.out.find("1/2 expectations met"), std::string::npos) << wrong.out;
}

TEST_F(CliHarness, HelpListsTheHarnessCommands) {
  ProcessResult r = Walcrash({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (std::string cmd : {"explore", "replay", "mutants"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
    EXPECT_EQ(Walcrash({cmd, "--help"}).exit_code, 0) << cmd;
  }
}

// A fuzz_crash_schedule input libFuzzer saved with the switch on (committed
// under fuzz/regressions/fuzz_crash_schedule/no_dir_fsync_after_cut/).
std::string SavedFuzzFinding() {
  const std::filesystem::path dir =
      std::filesystem::path(WALCRASH_FUZZ_REGRESSIONS) / "fuzz_crash_schedule" / "no_dir_fsync_after_cut";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) return entry.path().string();
  return "";
}

TEST_F(CliHarness, ReplayOfAFuzzInputShowsTheCaseTheTraceAndTheFindingWithItsSwitch) {
  const std::string input = SavedFuzzFinding();
  ASSERT_FALSE(input.empty());
  ProcessResult r = Walcrash({"replay", "--bug", "no_dir_fsync_after_cut", input});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Fuzz input (fuzz_crash_schedule)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("switches no_dir_fsync_after_cut"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== VFS trace up to the crash"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replay: FINDING durability"), std::string::npos) << r.out;
}

TEST_F(CliHarness, ReplayOfTheSameFuzzInputOnTheCorrectEnginePasses) {
  ProcessResult r = Walcrash({"replay", "--quiet", SavedFuzzFinding()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("replay: pass: every oracle holds"), std::string::npos) << r.out;
}

TEST_F(CliHarness, FuzzToReproWritesAReproducerThatReplaysToTheSameVerdict) {
  ProcessResult r = Walcrash({"fuzz-to-repro", "--bug", "no_dir_fsync_after_cut", SavedFuzzFinding(), Path("r.json")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json j = ParseJsonFile(Path("r.json"));
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["oracle"], "durability");
  ProcessResult again = Walcrash({"replay", "--quiet", Path("r.json")});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("same verdict as recorded (durability)"), std::string::npos) << again.out;
}

TEST_F(CliHarness, AnyBytesReplayAsAFuzzInputWhenToldSo) {
  WriteFile(Path("notes.txt"), "these words are a crash schedule too\n");
  ProcessResult r = Walcrash({"replay", "--as", "fuzz", "--quiet", Path("notes.txt")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("replay: pass"), std::string::npos) << r.out;
}

TEST_F(CliHarness, FuzzToReproNamesAnUnknownSwitchAndAMissingInput) {
  ProcessResult bad_switch = Walcrash({"fuzz-to-repro", "--bug", "no_such_bug", SavedFuzzFinding(), Path("r.json")});
  EXPECT_EQ(bad_switch.exit_code, 2);
  EXPECT_NE(bad_switch.err.find("no_such_bug"), std::string::npos) << bad_switch.err;
  ProcessResult missing = Walcrash({"fuzz-to-repro", Path("absent"), Path("r.json")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("absent: no such file"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(Path("r.json")));
}

}  // namespace
}  // namespace walcrash::cli
