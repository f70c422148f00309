#include "harness/workload.h"

#include <gtest/gtest.h>

#include "harness/reproducer.h"

namespace walcrash::harness {
namespace {

TEST(Workload, TextFormRoundTrips) {
  Workload w = GenerateWorkload(7);
  auto parsed = Workload::Parse(w.ToText());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, w);
}

TEST(Workload, JsonFormRoundTrips) {
  Workload w = GenerateWorkload(11);
  auto parsed = WorkloadFromJson(WorkloadToJson(w));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, w);
  auto any = ParseWorkloadAnyForm("  " + WorkloadToJson(w));
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(*any, w);
}

TEST(Workload, SameSeedSameWorkloadOtherSeedOther) {
  EXPECT_EQ(GenerateWorkload(3), GenerateWorkload(3));
  EXPECT_NE(GenerateWorkload(3), GenerateWorkload(4));
}

TEST(Workload, GeneratedWorkloadsAreValidAndStartWithCreate) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Workload w = GenerateWorkload(seed);
    EXPECT_TRUE(w.Validate().ok()) << seed;
    EXPECT_EQ(w.ops.front().kind, OpKind::kCreate);
  }
}

TEST(Workload, HandWrittenTextParsesWithCommentsAndOptions) {
  auto w = Workload::Parse(
      "# a hand-written workload\n"
      "engine etcd\n"
      "option segment-size 2048\n"
      "policy level=write period=0\n"
      "create metadata=node-1\n"
      "save entries=3 size=100 commit=2   # three entries\n"
      "overwrite back=1 entries=2 size=8\n"
      "commit 1\nelect\nsnapshot\nsync\ntick\nrelease\nreopen\n"
      "policy level=fsync period=10\n");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->options.at("segment-size"), "2048");
  EXPECT_EQ(w->policy.level, SyncLevel::kWrite);
  ASSERT_EQ(w->ops.size(), 11u);
  EXPECT_EQ(w->ops[0].metadata, "node-1");
  EXPECT_EQ(w->ops[1].commit, 2u);
  EXPECT_EQ(w->ops[10].policy.period_ms, 10u);
}

TEST(Workload, BadInputIsRejectedWithTheLineAndTheReason) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"save entries=1 size=1\n", "first operation must be 'create'"},
      {"create\ncreate\n", "only comes first"},
      {"create\nsave entries=x size=1\n", "not a number"},
      {"create\nsave entries=0 size=1\n", "entries must be"},
      {"create\nsave entries=1 size=99999999\n", "out of range"},
      {"create\nfrobnicate\n", "unknown operation"},
      {"create\nsave entries=1 size=1 back=2\n", "takes no 'back'"},
      {"create\npolicy level=sometimes\n", "not nolog, write or fsync"},
      {"create\npolicy level=nolog\nreopen\n", "not modelled"},
      {"create\noption a b\n", "before the operations"},
      {"", "first operation must be 'create'"},
  };
  for (const Case& c : cases) {
    auto w = Workload::Parse(c.text);
    ASSERT_FALSE(w.ok()) << c.text;
    EXPECT_EQ(w.status().code(), Code::kInvalidArgument);
    EXPECT_NE(w.status().ToString().find(c.says), std::string::npos) << w.status().ToString();
  }
}

TEST(Workload, AnEngineIsNotAskedForWhatItCannotTake) {
  auto w = Workload::Parse("engine tdengine\ncreate\nsave entries=2 size=1\noverwrite back=1 entries=1 size=1\n");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Code::kInvalidArgument);
  EXPECT_NE(w.status().message().find("operation 3"), std::string_view::npos) << w.status().ToString();
  EXPECT_NE(w.status().message().find("tdengine"), std::string_view::npos) << w.status().ToString();
  EXPECT_FALSE(Workload::Parse("engine tdengine\ncreate\nsave entries=2 size=1 commit=2\nsnapshot\n").ok());
  EXPECT_TRUE(Workload::Parse("engine etcd\ncreate\nsave entries=2 size=1\noverwrite back=1 entries=1 size=1\n").ok());
  // A workload built in code is held to the same rule.
  Workload built = *Workload::Parse("engine tdengine\ncreate\n");
  built.ops.push_back(Op{OpKind::kSnapshot, 0, 0, 0, 0, "", SyncPolicy{}});
  EXPECT_EQ(built.Validate().code(), Code::kInvalidArgument);
}

TEST(Workload, GeneratedTdengineWorkloadsDrawOnlyWhatTheEngineTakes) {
  WorkloadProfile profile;
  profile.engine = "tdengine";
  profile.ops = 200;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Workload w = GenerateWorkload(seed, profile);
    EXPECT_EQ(w.engine, "tdengine");
    EXPECT_TRUE(w.options.contains("renew-bytes"));
    EXPECT_TRUE(w.Validate().ok()) << w.Validate().ToString();
    for (const Op& op : w.ops) {
      EXPECT_NE(op.kind, OpKind::kOverwrite);
      EXPECT_NE(op.kind, OpKind::kSnapshot);
    }
  }
}

}  // namespace
}  // namespace walcrash::harness
