#include "vfs/fault_plan.h"

#include <cerrno>

#include <gtest/gtest.h>

#include "vfs/vfs_test_util.h"

namespace walcrash::vfs {
namespace {

TEST(FaultPlanTest, RulesRoundTripThroughTheirTextForm) {
  for (std::string_view text : {"preallocate *.tmp nth=3 errno=ENOSPC", "* * errno=EIO",
                                "sync /wal/*.wal nth=2 count=all errno=EIO",
                                "write *.wal p=0.25 seed=7 effect=short-write errno=ENOSPC short=100",
                                "rename * effect=after errno=EIO"}) {
    auto rule = FaultRule::Parse(text);
    ASSERT_TRUE(rule.ok()) << rule.status().ToString();
    EXPECT_EQ(rule->ToString(), text);
  }
}

TEST(FaultPlanTest, MalformedRulesAreRejectedWithTheirLine) {
  for (std::string_view bad : {"", "sync", "fsync * errno=EIO", "sync * errno=EBOGUS", "sync * p=1.5",
                               "sync * nth=x", "sync * effect=explode", "sync * frobnicate"}) {
    EXPECT_CODE(FaultRule::Parse(bad), Code::kInvalidArgument) << bad;
  }
  auto plan = FaultPlan::Parse("# comment\nsync * errno=EIO\n\nbogus line here\n");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("line 4"), std::string::npos) << plan.error().ToString();
}

TEST(FaultPlanTest, GlobsMatchWholePathsAcrossDirectories) {
  FaultPlan plan = FaultPlan::Parse("write *.wal errno=EIO").value();
  EXPECT_TRUE(plan.Check(OpKind::kWrite, "/data/wal/0000-0000.wal").has_value());
  EXPECT_FALSE(plan.Check(OpKind::kWrite, "/data/wal/0.tmp").has_value());
  EXPECT_FALSE(plan.Check(OpKind::kAppend, "/data/wal/0.wal").has_value());
}

TEST(FaultPlanTest, NthAndCountSelectAWindowOfMatchingCalls) {
  FaultPlan plan = FaultPlan::Parse("sync * nth=2 count=2").value();
  std::string fired;
  for (int i = 0; i < 5; ++i) fired += plan.Check(OpKind::kSync, "/a") ? 'X' : '.';
  EXPECT_EQ(fired, ".XX..");
  FaultPlan forever = FaultPlan::Parse("sync * nth=4 count=all").value();
  fired.clear();
  for (int i = 0; i < 6; ++i) fired += forever.Check(OpKind::kSync, "/a") ? 'X' : '.';
  EXPECT_EQ(fired, "...XXX");
}

TEST(FaultPlanTest, TheFirstFiringRuleDecidesAndEveryMatchingRuleCounts) {
  FaultPlan plan = FaultPlan::Parse("sync * nth=1 errno=EIO\nsync * nth=2 errno=ENOSPC").value();
  auto first = plan.Check(OpKind::kSync, "/a");
  auto second = plan.Check(OpKind::kSync, "/a");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->error_number, EIO);
  EXPECT_EQ(second->error_number, ENOSPC);
  EXPECT_EQ(plan.fired(0), 1u);
  EXPECT_EQ(plan.fired(1), 1u);
}

TEST(FaultPlanTest, ProbabilityDrawsDependOnThePathNotTheInterleaving) {
  FaultPlan a = FaultPlan::Parse("write * p=0.5 seed=9").value();
  FaultPlan b = FaultPlan::Parse("write * p=0.5 seed=9").value();
  std::string on_x_alone, on_x_interleaved;
  for (int i = 0; i < 32; ++i) on_x_alone += a.Check(OpKind::kWrite, "/x") ? 'X' : '.';
  for (int i = 0; i < 32; ++i) {
    b.Check(OpKind::kWrite, "/y").has_value();
    on_x_interleaved += b.Check(OpKind::kWrite, "/x") ? 'X' : '.';
  }
  EXPECT_EQ(on_x_alone, on_x_interleaved);
}

TEST(FaultPlanTest, ErrnoNamesParseAndPrint) {
  EXPECT_EQ(ParseErrno("ENOSPC"), ENOSPC);
  EXPECT_EQ(ParseErrno("5"), 5);
  EXPECT_EQ(ParseErrno("EWHAT"), std::nullopt);
  EXPECT_EQ(ErrnoName(EIO), "EIO");
  EXPECT_EQ(ErrnoName(999), "999");
}

}  // namespace
}  // namespace walcrash::vfs
