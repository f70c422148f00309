#include "harness/crash_schedule.h"

#include <array>

#include <gtest/gtest.h>

#include "common/splitmix.h"
#include "harness/replay.h"
#include "harness/workload_runner.h"

namespace walcrash::harness {
namespace {

std::string RandomBytes(uint64_t seed, size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(SplitMix64(seed));
  return out;
}

std::span<const uint8_t> Span(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// The case fuzz_crash_schedule found first with the no-directory-fsync
// switch: a save that cuts a segment, then the end of the workload.
CrashSchedule CutThenCrashAtTheEnd() {
  CrashSchedule s = DecodeCrashSchedule({});
  s.workload.options["segment-size"] = "1024";
  Op save;
  save.kind = OpKind::kSave;
  save.entries = 10;
  save.size = 152;
  save.commit = 1;
  s.workload.ops.push_back(save);
  Op elect;
  elect.kind = OpKind::kElect;
  s.workload.ops.push_back(elect);
  save.entries = 4;
  save.size = 520;
  save.commit = 3;
  s.workload.ops.push_back(save);
  return s;
}

// The crash point is taken modulo (calls + 1): `calls` is the end.
void CrashAtTheEnd(CrashSchedule& s) {
  WorkloadRunner dry(s.workload, RunOptions{});
  EXPECT_TRUE(dry.Run().ok());
  s.crash_point = static_cast<uint16_t>(dry.calls_done());
}

TEST(CrashSchedule, TheEmptyInputIsACreateCrashedAtItsStart) {
  CrashSchedule s = DecodeCrashSchedule({});
  ASSERT_EQ(s.workload.ops.size(), 1u);
  EXPECT_EQ(s.workload.ops[0].kind, OpKind::kCreate);
  EXPECT_EQ(s.model, vfs::PersistenceModel::kStrict);
  EXPECT_EQ(s.FaultPlanText(), "");
  auto r = ResolveCrashSchedule(s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->crash_after_calls, 0u);
  EXPECT_EQ(r->verdict.oracle, "");
}

TEST(CrashSchedule, AnyBytesDecodeToAValidBoundedWorkloadThatRuns) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const std::string bytes = RandomBytes(seed, static_cast<size_t>(Mix64(seed) % 400));
    CrashSchedule s = DecodeCrashSchedule(Span(bytes));
    EXPECT_TRUE(s.workload.Validate().ok()) << s.workload.ToText();
    EXPECT_LE(s.workload.ops.size(), kMaxScheduleOps + 1);
    EXPECT_TRUE(vfs::FaultPlan::Parse(s.FaultPlanText()).ok()) << s.FaultPlanText();
    auto r = ResolveCrashSchedule(s);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->verdict.oracle, "") << "seed " << seed << ": " << r->verdict.message;
  }
}

TEST(CrashSchedule, EncodeInvertsDecode) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const std::string bytes = RandomBytes(seed, static_cast<size_t>(Mix64(seed) % 300));
    CrashSchedule s = DecodeCrashSchedule(Span(bytes));
    const std::string encoded = EncodeCrashSchedule(s);
    const CrashSchedule back = DecodeCrashSchedule(Span(encoded));
    EXPECT_EQ(back.workload.ToText(), s.workload.ToText()) << "seed " << seed;
    EXPECT_TRUE(back == s) << "seed " << seed;
  }
}

TEST(CrashSchedule, EncodingAGeneratedWorkloadKeepsItsShapeWithinTheFormat) {
  WorkloadProfile profile;
  profile.ops = 30;
  profile.max_entry_bytes = 2040;
  CrashSchedule s;
  s.workload = GenerateWorkload(7, profile);
  CrashSchedule back = DecodeCrashSchedule(Span(EncodeCrashSchedule(s)));
  ASSERT_EQ(back.workload.ops.size(), s.workload.ops.size());
  for (size_t i = 0; i < s.workload.ops.size(); ++i) {
    EXPECT_EQ(back.workload.ops[i].kind, s.workload.ops[i].kind) << i;
  }
  EXPECT_EQ(back.workload.options.at("segment-size"), "4096");
}

TEST(CrashSchedule, TheKnownBugSwitchComesFromTheOptionsNeverFromTheBytes) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::string bytes = RandomBytes(seed, 200);
    EXPECT_EQ(DecodeCrashSchedule(Span(bytes)).workload.options.count("bugs"), 0u);
  }
  CrashScheduleOptions with_bug;
  with_bug.bugs = "no_tail_zeroing";
  EXPECT_EQ(DecodeCrashSchedule({}, with_bug).workload.options.at("bugs"), "no_tail_zeroing");
}

TEST(CrashSchedule, FindsTheMissingDirectoryFsyncAndPassesTheCorrectEngine) {
  CrashSchedule s = CutThenCrashAtTheEnd();
  CrashAtTheEnd(s);
  auto correct = ResolveCrashSchedule(s);
  ASSERT_TRUE(correct.ok()) << correct.status().ToString();
  EXPECT_EQ(correct->verdict.oracle, "") << correct->verdict.message;

  s.workload.options["bugs"] = "no_dir_fsync_after_cut";
  CrashAtTheEnd(s);  // one directory fsync fewer
  auto buggy = ResolveCrashSchedule(s);
  ASSERT_TRUE(buggy.ok());
  EXPECT_EQ(buggy->verdict.oracle, "durability") << buggy->verdict.message;
  // The reproducer it resolves to replays to the same verdict, and the same
  // schedule resolves to the same reproducer every time.
  auto replay = Replay(*buggy);
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->SameVerdictAs(*buggy)) << replay->ToText();
  auto again = ResolveCrashSchedule(s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToJson(), buggy->ToJson());
}

TEST(CrashSchedule, AnUnknownSwitchIsAUsageErrorNamingIt) {
  CrashScheduleOptions options;
  options.bugs = "no_such_bug";
  auto r = ResolveCrashSchedule(DecodeCrashSchedule({}, options));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("no_such_bug"), std::string::npos) << r.status().ToString();
}

CrashScheduleOptions Tdengine(std::string options = "") {
  CrashScheduleOptions o;
  o.engine = "tdengine";
  o.engine_options = ParseEngineOptions(options).value();
  return o;
}

TEST(CrashSchedule, TdengineDecodesOverwritesAndSnapshotsAsSavesAndByteOneAsRenewBytes) {
  // [overwrite a b], [overwrite a b], [snapshot a b]: kind 0's saves for tdengine.
  const std::string bytes{0, 0, 0, 0, 0, 0, 0, 6, 5, 4, 7, 2, 3, 10, 9, 1};
  const CrashSchedule etcd = DecodeCrashSchedule(Span(bytes));
  ASSERT_EQ(etcd.workload.ops.size(), 4u);
  EXPECT_EQ(etcd.workload.ops[1].kind, OpKind::kOverwrite);
  EXPECT_EQ(etcd.workload.ops[3].kind, OpKind::kSnapshot);
  const CrashSchedule td = DecodeCrashSchedule(Span(bytes), Tdengine());
  ASSERT_EQ(td.workload.ops.size(), 4u);
  const std::string saves{0, 0, 0, 0, 0, 0, 0, 0, 5, 4, 0, 2, 3, 0, 9, 1};
  EXPECT_EQ(td.workload.ops, DecodeCrashSchedule(Span(saves), Tdengine()).workload.ops);
  EXPECT_EQ(td.workload.engine, "tdengine");
  EXPECT_EQ(td.workload.options.count("segment-size"), 0u);
  const std::array<std::string, 6> renew = {"512", "1024", "2048", "4096", "8192", "0"};
  for (uint8_t b = 0; b < 12; ++b) {
    const std::string header{0, static_cast<char>(b)};
    EXPECT_EQ(DecodeCrashSchedule(Span(header), Tdengine()).workload.options.at("renew-bytes"), renew[b % 6]);
  }
}

TEST(CrashSchedule, TdengineEngineOptionsComeFromTheOptions) {
  const CrashSchedule s = DecodeCrashSchedule({}, Tdengine("strict=on,keep=on"));
  EXPECT_EQ(s.workload.options.at("strict"), "on");
  EXPECT_EQ(s.workload.options.at("keep"), "on");
  EXPECT_EQ(s.workload.options.count("bugs"), 0u);
  EXPECT_TRUE(ParseEngineOptions("").value().empty());
  EXPECT_TRUE(ParseEngineOptions("none").value().empty());
  EXPECT_EQ(ParseEngineOptions(" strict=on  keep=off ").value().size(), 2u);
  EXPECT_FALSE(ParseEngineOptions("strict").ok());
  EXPECT_FALSE(ParseEngineOptions("=on").ok());
  EXPECT_FALSE(ParseEngineOptions("strict=on,strict=off").ok());
  EXPECT_FALSE(ParseEngineOptions("bugs=no_tail_zeroing").ok());
  EXPECT_FALSE(ParseEngineOptions("renew-bytes=64").ok());
  auto bad = ResolveCrashSchedule(DecodeCrashSchedule({}, Tdengine("no-such=1")));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("no-such"), std::string::npos) << bad.status().ToString();
}

TEST(CrashSchedule, TdengineEncodeInvertsDecode) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const std::string bytes = RandomBytes(seed, static_cast<size_t>(Mix64(seed) % 300));
    const CrashSchedule s = DecodeCrashSchedule(Span(bytes), Tdengine("strict=on"));
    EXPECT_TRUE(s.workload.Validate().ok()) << s.workload.ToText();
    const CrashSchedule back = DecodeCrashSchedule(Span(EncodeCrashSchedule(s)), Tdengine("strict=on"));
    EXPECT_EQ(back.workload.ToText(), s.workload.ToText()) << "seed " << seed;
    EXPECT_TRUE(back == s) << "seed " << seed;
  }
  WorkloadProfile profile;
  profile.engine = "tdengine";
  profile.ops = 30;
  profile.segment_size_bytes = 2048;
  CrashSchedule s;
  s.workload = GenerateWorkload(7, profile);
  const CrashSchedule back = DecodeCrashSchedule(Span(EncodeCrashSchedule(s)), Tdengine());
  ASSERT_EQ(back.workload.ops.size(), s.workload.ops.size());
  for (size_t i = 0; i < s.workload.ops.size(); ++i) EXPECT_EQ(back.workload.ops[i].kind, s.workload.ops[i].kind) << i;
  EXPECT_EQ(back.workload.options.at("renew-bytes"), "2048");
}

TEST(CrashSchedule, AnyBytesRunOnTheStrictTdengineEngineWithoutAFinding) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const std::string bytes = RandomBytes(seed, static_cast<size_t>(Mix64(seed) % 400));
    auto r = ResolveCrashSchedule(DecodeCrashSchedule(Span(bytes), Tdengine("strict=on")));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->verdict.oracle, "") << "seed " << seed << ": " << r->verdict.message;
  }
}

std::vector<vfs::PendingOperation> Pending() {
  return {
      vfs::PendingOperation{1, vfs::OpKind::kOpen, "/w/a", "create", 0, false},
      vfs::PendingOperation{2, vfs::OpKind::kWrite, "/w/a", "@0+2048", 4, false},
      vfs::PendingOperation{3, vfs::OpKind::kRename, "/w/a", "-> /w/b", 0, true},
      vfs::PendingOperation{4, vfs::OpKind::kWrite, "/w/b", "@2048+100", 1, false},
  };
}

vfs::CrashImageSpec Choose(vfs::PersistenceModel model, const std::vector<uint8_t>& choices) {
  ByteReader in(choices);
  return ChooseCrashImage(model, Pending(), in);
}

TEST(ChooseCrashImage, StrictKeepsNothingWhateverTheChoices) {
  EXPECT_EQ(Choose(vfs::PersistenceModel::kStrict, {0xff, 0xff, 0xff}).ToString(), "none");
}

TEST(ChooseCrashImage, PrefixKeepsACountOfOperationsInIssueOrderThenMaybeTearsTheNext) {
  EXPECT_EQ(Choose(vfs::PersistenceModel::kPrefix, {2, 0, 0}).ToString(), "#1 #2");
  EXPECT_EQ(Choose(vfs::PersistenceModel::kPrefix, {7, 0, 0}).ToString(), "#1 #2");  // 7 % 5
  EXPECT_EQ(Choose(vfs::PersistenceModel::kPrefix, {1, 0, 1, 0x08}).ToString(), "#1 #2:tear=2/4:old");
  EXPECT_EQ(Choose(vfs::PersistenceModel::kPrefix, {2, 0, 1, 0}).ToString(), "#1 #2 #3:link");
  // The last operation cannot tear (one piece): it is simply lost.
  EXPECT_EQ(Choose(vfs::PersistenceModel::kPrefix, {3, 0, 1, 0}).ToString(), "#1 #2 #3");
}

TEST(ChooseCrashImage, SubsetTakesOneByteAPerOperationAndAnotherForATear) {
  EXPECT_EQ(Choose(vfs::PersistenceModel::kSubset, {1, 0, 1, 0}).ToString(), "#1 #3");
  EXPECT_EQ(Choose(vfs::PersistenceModel::kSubset, {0, 3, 0x05, 0, 1}).ToString(), "#2:tear=-1/4:zeros #4");
  // Past the end of the choices every operation is lost.
  EXPECT_EQ(Choose(vfs::PersistenceModel::kSubset, {}).ToString(), "none");
}

}  // namespace
}  // namespace walcrash::harness
