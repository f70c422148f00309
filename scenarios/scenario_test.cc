// The scenario format: what each directive sets, and that every mistake is
// rejected with its line number and the reason.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scenarios/scenario.h"

namespace walcrash::scenarios {
namespace {

const char* const kWorkload =
    "engine etcd\n"
    "option segment-size 2048\n"
    "create\n"
    "save entries=2 size=100\n"
    "save entries=1 size=900\n";

std::string WithWorkload(const std::string& directives) { return directives + kWorkload; }

// The error's text, or "" when the text parsed.
std::string ParseError(const std::string& text) {
  auto parsed = Scenario::Parse(text, "t");
  return parsed.ok() ? std::string() : parsed.status().ToString();
}

// A line a scenario rejects, and what its error says.
struct BadLine {
  std::string line;
  std::string says;
};

// Expects each case's line, set into a scenario by `text`, to fail parsing
// with an error that names `at` ("line N") and says what the case says.
void ExpectEachRejected(const std::vector<BadLine>& cases, const std::string& at,
                        const std::function<std::string(const std::string&)>& text) {
  for (const BadLine& c : cases) {
    std::string e = ParseError(text(c.line));
    EXPECT_NE(e.find(at), std::string::npos) << c.line << " -> " << e;
    EXPECT_NE(e.find(c.says), std::string::npos) << c.line << " -> " << e;
  }
}

TEST(ScenarioParse, ReadsEveryDirective) {
  auto s = Scenario::Parse(WithWorkload("# a comment\n"
                                        "scenario A crash inside a cut\n"
                                        "note etcd before v3.1 (#6368) did not fsync the directory.\n"
                                        "note second note\n"
                                        "expect correct pass\n"
                                        "expect no_dir_fsync_after_cut durability   # found by durability\n"
                                        "crash op=3 call=dirsync path=/wal\n"
                                        "models strict subset\n"
                                        "fault datasync *.wal nth=3 errno=EIO\n"
                                        "fault preallocate *.tmp nth=2 errno=ENOSPC\n"
                                        "check recovery-crashes media-faults no-write-after-recovery every-sync\n"
                                        "limit 50\n"
                                        "seed 7\n"),
                           "cut");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "cut");
  EXPECT_EQ(s->title, "A crash inside a cut");
  ASSERT_EQ(s->notes.size(), 2u);
  EXPECT_EQ(s->notes[0], "etcd before v3.1 (#6368) did not fsync the directory.");
  ASSERT_EQ(s->expectations.size(), 2u);
  EXPECT_EQ(s->expectations[0].ToString(), "correct: pass");
  EXPECT_EQ(s->expectations[1].ToString(), "no_dir_fsync_after_cut: durability");
  EXPECT_EQ(s->expectations[1].bug, "no_dir_fsync_after_cut");
  EXPECT_EQ(s->expectations[1].oracle, "durability");
  const harness::ExploreOptions& o = s->explore;
  EXPECT_EQ(o.filter.op, 3u);
  EXPECT_EQ(o.filter.call, vfs::OpKind::kDirSync);
  EXPECT_EQ(o.filter.path_glob, "/wal");
  EXPECT_FALSE(o.filter.include_end);
  EXPECT_EQ(o.models, (std::vector<vfs::PersistenceModel>{vfs::PersistenceModel::kStrict, vfs::PersistenceModel::kSubset}));
  ASSERT_EQ(o.fault_plan.rules().size(), 2u);
  EXPECT_EQ(o.fault_plan.rules()[1].op, vfs::OpKind::kPreallocate);
  EXPECT_EQ(o.fault_plan.rules()[1].nth, 2u);
  EXPECT_TRUE(o.check.recovery_crashes);
  EXPECT_TRUE(o.media_faults);
  EXPECT_FALSE(o.check.write_after_recovery);
  EXPECT_EQ(o.points, harness::CrashPointMode::kEverySync);
  EXPECT_EQ(o.max_images_per_point, 50u);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_EQ(s->workload.options.at("segment-size"), "2048");
  ASSERT_EQ(s->workload.ops.size(), 3u);
  EXPECT_EQ(s->workload.ops[2].size, 900u);
}

TEST(ScenarioParse, DefaultsCheckEveryImageOfEveryPointUnderEveryModel) {
  auto s = Scenario::Parse(WithWorkload("scenario t\nexpect correct pass\n"), "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->explore.max_images_per_point, 100000u);
  EXPECT_EQ(s->explore.samples_per_point, 16u);
  EXPECT_EQ(s->explore.models.size(), 3u);
  EXPECT_EQ(s->explore.filter.op, 0u);
  EXPECT_TRUE(s->explore.filter.include_end);
  EXPECT_TRUE(s->explore.fault_plan.empty());
  EXPECT_FALSE(s->explore.check.recovery_crashes);
  EXPECT_TRUE(s->explore.check.write_after_recovery);
}

TEST(ScenarioParse, CrashEndLeavesOnlyTheEndOfTheWorkload) {
  auto s = Scenario::Parse(WithWorkload("scenario t\nexpect correct pass\ncrash end\n"), "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  harness::PendingCall call;
  call.op = vfs::OpKind::kDataSync;
  call.path = "/wal/0000000000000000-0000000000000000.wal";
  EXPECT_FALSE(s->explore.filter.Matches(&call, 2));
  EXPECT_TRUE(s->explore.filter.Matches(nullptr, 2));
}

TEST(ScenarioParse, CrashOpAloneKeepsTheEndWhenItIsTheLastOperation) {
  auto s = Scenario::Parse(WithWorkload("scenario t\nexpect correct pass\ncrash op=3\n"), "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->explore.filter.include_end);
  EXPECT_TRUE(s->explore.filter.Matches(nullptr, 2));
  EXPECT_FALSE(s->explore.filter.Matches(nullptr, 1));
}

TEST(ScenarioParse, WorkloadErrorsNameTheFileLine) {
  std::string e = ParseError("scenario t\nexpect correct pass\ncreate\nsave entries=x size=1\n");
  EXPECT_NE(e.find("line 4"), std::string::npos) << e;
  EXPECT_NE(e.find("entries=x"), std::string::npos) << e;
  e = ParseError("scenario t\nexpect correct pass\ncreate\nfrobnicate\n");
  EXPECT_NE(e.find("line 4"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown operation 'frobnicate'"), std::string::npos) << e;
}

TEST(ScenarioParse, AWorkloadThatDoesNotValidateIsRejected) {
  std::string e = ParseError("scenario t\nexpect correct pass\nsave entries=1 size=1\n");
  EXPECT_NE(e.find("first operation must be 'create'"), std::string::npos) << e;
  e = ParseError("scenario t\nexpect correct pass\noption segment-size 10\ncreate\n");
  EXPECT_NE(e.find("segment"), std::string::npos) << e;
  e = ParseError("scenario t\nexpect correct pass\noption colour blue\ncreate\n");
  EXPECT_NE(e.find("colour"), std::string::npos) << e;
}

TEST(ScenarioParse, ExpectationsAreRequiredAndChecked) {
  std::string e = ParseError(WithWorkload("scenario t\n"));
  EXPECT_NE(e.find("no expectation"), std::string::npos) << e;
  e = ParseError(WithWorkload("scenario t\nexpect correct maybe\n"));
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown oracle 'maybe'"), std::string::npos) << e;
  e = ParseError(WithWorkload("scenario t\nexpect correct pass\nexpect no_such_bug durability\n"));
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("'no_such_bug' is no known-bug switch"), std::string::npos) << e;
  e = ParseError(WithWorkload("scenario t\nexpect correct pass\nexpect correct durability\n"));
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("second expectation"), std::string::npos) << e;
  e = ParseError(WithWorkload("scenario t\nexpect correct\n"));
  EXPECT_NE(e.find("two words"), std::string::npos) << e;
}

const char* const kTdengineWorkload =
    "engine tdengine\n"
    "policy level=fsync period=10\n"
    "create\n"
    "save entries=2 size=100\n"
    "tick\n"
    "save entries=1 size=100\n";

std::string WithTdengine(const std::string& directives) { return directives + kTdengineWorkload; }

TEST(ScenarioParse, ReadsOptionExpectations) {
  auto s = Scenario::Parse(WithTdengine("scenario t\n"
                                        "expect correct durability\n"
                                        "expect option strict=on pass   # the fixed engine\n"
                                        "expect option strict=on,keep=on pass\n"),
                           "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->expectations.size(), 3u);
  EXPECT_EQ(s->expectations[0].ToString(), "correct: durability");
  EXPECT_TRUE(s->expectations[0].options.empty());
  const Expectation& strict = s->expectations[1];
  EXPECT_EQ(strict.bug, "");
  EXPECT_EQ(strict.options, (std::map<std::string, std::string>{{"strict", "on"}}));
  EXPECT_EQ(strict.oracle, "");
  EXPECT_EQ(strict.ToString(), "option strict=on: pass");
  EXPECT_EQ(strict.RunName(), "option strict=on");
  // Keys in order, whatever order the file gives them in.
  EXPECT_EQ(s->expectations[2].options,
            (std::map<std::string, std::string>{{"keep", "on"}, {"strict", "on"}}));
  EXPECT_EQ(s->expectations[2].ToString(), "option keep=on,strict=on: pass");
  // The workload itself is untouched: the options are the expectation's.
  EXPECT_FALSE(s->workload.options.contains("strict"));
}

TEST(ScenarioParse, OptionExpectationsAreChecked) {
  const std::vector<BadLine> cases = {
      {"expect option pass", "'expect option' takes KEY=VALUE"},
      {"expect option strict=on", "'expect option' takes KEY=VALUE"},
      {"expect option strict=on keep=on pass", "'expect option' takes KEY=VALUE"},
      {"expect option strict pass", "'strict' is not KEY=VALUE"},
      {"expect option =on pass", "'=on' is not KEY=VALUE"},
      {"expect option strict= pass", "'strict=' is not KEY=VALUE"},
      {"expect option , pass", "no KEY=VALUE"},
      {"expect option strict=on,strict=off pass", "'strict' twice"},
      {"expect option bugs=ack_before_fsync durability", "'bugs' is not an option here"},
      {"expect option strict=on maybe", "unknown oracle 'maybe'"},
      // The engine's own checks, with the expectation's line.
      {"expect option strict=maybe pass", "'maybe' is not on or off"},
      {"expect option colour=blue pass", "no option 'colour'"},
  };
  ExpectEachRejected(cases, "line 2",
                     [](const std::string& line) { return WithTdengine("scenario t\n" + line + "\n"); });
  // One expectation per run: the same options twice, in any order.
  std::string e = ParseError(WithTdengine("scenario t\nexpect option keep=on,strict=on pass\n"
                                          "expect option strict=on,keep=on durability\n"));
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("a second expectation for 'option keep=on,strict=on'"), std::string::npos) << e;
  // An option the workload sets already.
  e = ParseError("scenario t\nexpect option keep=off pass\nengine tdengine\noption keep on\ncreate\n");
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  EXPECT_NE(e.find("the workload sets option 'keep' already"), std::string::npos) << e;
  // An option of another engine.
  e = ParseError(WithWorkload("scenario t\nexpect correct pass\nexpect option strict=on pass\n"));
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("strict"), std::string::npos) << e;
  // tdengine has no known-bug switch.
  e = ParseError(WithTdengine("scenario t\nexpect ack_before_fsync durability\n"));
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  EXPECT_NE(e.find("'ack_before_fsync' is no known-bug switch of engine tdengine (correct, option KEY=VALUE)"),
            std::string::npos)
      << e;
}

TEST(ScenarioParse, BugsInTheWorkloadAreRejected) {
  std::string e = ParseError("scenario t\nexpect correct pass\noption bugs ack_before_fsync\ncreate\n");
  EXPECT_NE(e.find("option bugs"), std::string::npos) << e;
}

TEST(ScenarioParse, ATitleIsRequiredOnce) {
  EXPECT_NE(ParseError(WithWorkload("expect correct pass\n")).find("no 'scenario TITLE'"), std::string::npos);
  std::string e = ParseError(WithWorkload("scenario a\nscenario b\nexpect correct pass\n"));
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  e = ParseError(WithWorkload("scenario\nexpect correct pass\n"));
  EXPECT_NE(e.find("line 1"), std::string::npos) << e;
}

TEST(ScenarioParse, BadDirectiveOptionsAreRejectedWithTheirLine) {
  const std::vector<BadLine> cases = {
      {"crash op=0", "not an operation number"},
      {"crash op=x", "not an operation number"},
      {"crash op=9", "the workload has 3 operations"},
      {"crash call=fsync", "call=fsync is not a kind"},
      {"crash call=read", "call=read is not a kind"},
      {"crash when=now", "unknown option 'when'"},
      {"crash later", "not key=value"},
      {"crash", "'crash' takes"},
      {"models strict maybe", "'maybe' is not strict"},
      {"models", "'models' takes"},
      {"models strict strict", "'strict' twice"},
      {"fault datasync", "fault:"},
      {"fault", "'fault' takes a fault rule"},
      {"check everything", "unknown flag 'everything'"},
      {"check", "'check' takes"},
      {"limit 0", "'limit' takes one number, at least 1"},
      {"limit many", "'limit' takes one number"},
      {"seed", "'seed' takes one number"},
  };
  ExpectEachRejected(cases, "line 3", [](const std::string& line) {
    return WithWorkload("scenario t\nexpect correct pass\n" + line + "\n");
  });
}

TEST(ScenarioParse, ASecondCrashOrModelsLineIsRejected) {
  std::string e = ParseError(WithWorkload("scenario t\nexpect correct pass\ncrash end\ncrash op=2\n"));
  EXPECT_NE(e.find("line 4"), std::string::npos) << e;
  EXPECT_NE(e.find("second 'crash'"), std::string::npos) << e;
  e = ParseError(WithWorkload("scenario t\nexpect correct pass\nmodels strict\nmodels prefix\n"));
  EXPECT_NE(e.find("second 'models'"), std::string::npos) << e;
}

TEST(ScenarioParse, ALoadErrorNamesTheFile) {
  auto s = LoadScenario("/nonexistent/dir/x.scenario");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().ToString().find("x.scenario"), std::string::npos) << s.status().ToString();
}

// A small end-to-end run: the correct engine passes op 3, a switch that
// acknowledges before it syncs is found, and a switch this workload never
// exercises (it makes no cut: 2 KiB segments, ~1.2 KiB written) is not.
TEST(RunScenario, JudgesEachExpectation) {
  auto s = Scenario::Parse(WithWorkload("scenario t\n"
                                        "expect correct pass\n"
                                        "expect ack_before_fsync durability\n"
                                        "expect no_dir_fsync_after_cut durability\n"
                                        "crash op=3\n"
                                        "models strict\n"),
                           "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto outcomes = RunScenario(*s);
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  ASSERT_EQ(outcomes->size(), 3u);
  EXPECT_TRUE((*outcomes)[0].met) << (*outcomes)[0].detail;
  EXPECT_FALSE((*outcomes)[0].reproducer.has_value());
  EXPECT_TRUE((*outcomes)[1].met) << (*outcomes)[1].detail;
  ASSERT_TRUE((*outcomes)[1].reproducer.has_value());
  EXPECT_EQ((*outcomes)[1].reproducer->verdict.oracle, "durability");
  EXPECT_EQ((*outcomes)[1].reproducer->workload.options.at("bugs"), "ack_before_fsync");
  EXPECT_FALSE((*outcomes)[2].met) << (*outcomes)[2].detail;
  EXPECT_NE((*outcomes)[2].detail.find("no finding"), std::string::npos) << (*outcomes)[2].detail;
}

// The options are set for their run only: the faithful engine claims what
// the failed fsync dropped, strict=on refuses op 4 instead, and an
// expectation that strict=on finds it is not met.
TEST(RunScenario, SetsTheOptionsOfEachExpectation) {
  auto s = Scenario::Parse(WithTdengine("scenario t\n"
                                        "expect correct durability\n"
                                        "expect option strict=on pass\n"
                                        "expect option strict=on,renew-bytes=64 durability\n"
                                        "fault sync */wal1 nth=1 errno=EIO\n"
                                        "crash op=4\n"),
                           "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto outcomes = RunScenario(*s);
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  ASSERT_EQ(outcomes->size(), 3u);
  EXPECT_TRUE((*outcomes)[0].met) << (*outcomes)[0].detail;
  ASSERT_TRUE((*outcomes)[0].reproducer.has_value());
  EXPECT_FALSE((*outcomes)[0].reproducer->workload.options.contains("strict"));
  EXPECT_TRUE((*outcomes)[1].met) << (*outcomes)[1].detail;
  EXPECT_FALSE((*outcomes)[2].met) << (*outcomes)[2].detail;
  EXPECT_EQ((*outcomes)[2].expected.ToString(), "option renew-bytes=64,strict=on: durability");
}

// A finding's reproducer carries the options, so it replays on its own.
TEST(RunScenario, AReproducerCarriesTheExpectationsOptions) {
  auto s = Scenario::Parse("scenario t\n"
                           "expect option keep=on write-after-recovery\n"
                           "crash end\n"
                           "engine tdengine\n"
                           "policy level=write\n"
                           "create\n"
                           "save entries=1 size=100\n",
                           "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto outcomes = RunScenario(*s);
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  ASSERT_EQ(outcomes->size(), 1u);
  EXPECT_TRUE((*outcomes)[0].met) << (*outcomes)[0].detail;
  ASSERT_TRUE((*outcomes)[0].reproducer.has_value());
  EXPECT_EQ((*outcomes)[0].reproducer->workload.options.at("keep"), "on");
}

TEST(RunScenario, AFindingByAnotherOracleIsNotMet) {
  auto s = Scenario::Parse(WithWorkload("scenario t\nexpect ack_before_fsync no-phantom\ncrash op=3\nmodels strict\n"), "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto outcomes = RunScenario(*s);
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  ASSERT_EQ(outcomes->size(), 1u);
  EXPECT_FALSE((*outcomes)[0].met);
  EXPECT_TRUE((*outcomes)[0].detail.starts_with("durability:")) << (*outcomes)[0].detail;
  ASSERT_TRUE((*outcomes)[0].reproducer.has_value());
}

TEST(RunScenario, AFilterThatMatchesNothingIsNotAPass) {
  auto s = Scenario::Parse(WithWorkload("scenario t\nexpect correct pass\ncrash path=/nowhere/*\n"), "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto outcomes = RunScenario(*s);
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  ASSERT_EQ(outcomes->size(), 1u);
  EXPECT_FALSE((*outcomes)[0].met);
  EXPECT_NE((*outcomes)[0].detail.find("matched no crash point"), std::string::npos) << (*outcomes)[0].detail;
}

}  // namespace
}  // namespace walcrash::scenarios
