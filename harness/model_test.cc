#include "harness/model.h"

#include <gtest/gtest.h>

#include "harness/engine_traits.h"

namespace walcrash::harness {
namespace {

Op Parse(const char* text) {
  auto op = Op::Parse(text);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  return op.ok() ? *op : Op{};
}

RaftLogModel ModelAfter(std::initializer_list<const char*> ops) {
  RaftLogModel m;
  for (const char* text : ops) {
    m.Begin(Parse(text));
    m.Acknowledge();
  }
  return m;
}

TEST(RaftLogModel, EmptyPrefixIsNoWalAndCreateGivesAnEmptyLog) {
  RaftLogModel m = ModelAfter({"create metadata=m"});
  EXPECT_FALSE(m.Read(0).exists);
  RecoveredLog log = m.Read(1);
  EXPECT_TRUE(log.exists);
  EXPECT_EQ(log.metadata, "m");
  EXPECT_TRUE(log.entries.empty());
}

TEST(RaftLogModel, SaveAppendsAtTheNextIndexAndAdvancesCommitWithinTheLog) {
  RaftLogModel m = ModelAfter({"create", "save entries=3 size=5 commit=9"});
  RecoveredLog log = m.Read(m.issued());
  ASSERT_EQ(log.entries.size(), 3u);
  EXPECT_EQ(log.entries[0].index, 1u);
  EXPECT_EQ(log.entries[2].index, 3u);
  EXPECT_EQ(log.entries[0].data, EntryPayload(1, 1, 5));
  EXPECT_EQ(log.state, (HardState{1, 1, 3}));  // commit clamped to the last index
}

TEST(RaftLogModel, SuffixOverwriteReplacesUncommittedEntriesWithANewTerm) {
  RaftLogModel m = ModelAfter({"create", "save entries=5 size=1 commit=2", "overwrite back=2 entries=1 size=1"});
  RecoveredLog log = m.Read(m.issued());
  ASSERT_EQ(log.entries.size(), 4u);  // 1..3 kept, 4 replaced, 5 gone
  EXPECT_EQ(log.entries[3].index, 4u);
  EXPECT_EQ(log.entries[3].term, 2u);
  EXPECT_EQ(log.state.term, 2u);
}

TEST(RaftLogModel, OverwriteNeverReachesTheCommittedPrefix) {
  RaftLogModel m = ModelAfter({"create", "save entries=3 size=1 commit=3", "overwrite back=3 entries=1 size=1"});
  RecoveredLog log = m.Read(m.issued());
  ASSERT_EQ(log.entries.size(), 4u);
  EXPECT_EQ(log.entries[2].term, 1u);
  EXPECT_EQ(log.entries[3].term, 2u);
}

TEST(RaftLogModel, SnapshotFiltersEntriesOnlyOnceCommitCoversIt) {
  RaftLogModel m = ModelAfter({"create", "save entries=4 size=1 commit=2", "snapshot"});
  RecoveredLog log = m.Read(m.issued());
  EXPECT_EQ(log.snapshot, (SnapshotRef{2, 1}));
  ASSERT_EQ(log.entries.size(), 2u);
  EXPECT_EQ(log.entries[0].index, 3u);
  // Before the snapshot record, reading starts at 0.
  EXPECT_EQ(m.Read(m.issued() - 1).snapshot, (SnapshotRef{0, 0}));
}

TEST(RaftLogModel, LastHardStateWins) {
  RaftLogModel m = ModelAfter({"create", "save entries=2 size=1", "commit 1", "elect"});
  EXPECT_EQ(m.Read(m.issued()).state, (HardState{2, 3, 1}));
}

TEST(RaftLogModel, DigestsFindEveryPrefixWithTheSameLog) {
  RaftLogModel m = ModelAfter({"create", "save entries=2 size=3", "sync", "commit 0"});
  // "commit 0" re-saves the same hard state: two prefixes give the same log.
  std::vector<size_t> same = m.PrefixesWithDigest(m.Read(m.issued()).Digest());
  EXPECT_EQ(same.size(), 2u);
  EXPECT_EQ(same.back(), m.issued());
}

TEST(RaftLogModel, AClaimMapsToTheLastOperationWhoseLogItDescribes) {
  RaftLogModel m = ModelAfter({"create", "save entries=2 size=1", "commit 1", "sync"});
  DurabilityClaim after_save{true, 2, HardState{1, 1, 0}};
  EXPECT_EQ(m.DurableLength(after_save, 3), m.op_end(1));
  DurabilityClaim after_sync{true, 2, HardState{1, 1, 1}};
  EXPECT_EQ(m.DurableLength(after_sync, 3), m.op_end(3));
  EXPECT_EQ(m.DurableLength(DurabilityClaim{}, 3), 0u);
  EXPECT_FALSE(m.DurableLength(DurabilityClaim{true, 9, HardState{7, 1, 0}}, 3).has_value());
}

// Found by the state-machine property (seed 3): overwrite entry 1 (dropping 2
// and 3), then save 2 again and snapshot at 2. etcd's ReadAll from the start
// would still return the stale entry 3 (skipped entries below the snapshot
// truncate nothing); from a later segment it would not. The model takes no
// snapshot there.
TEST(RaftLogModel, ASnapshotWhoseReadDependsOnSegmentLayoutIsNotTaken) {
  RaftLogModel m = ModelAfter({"create", "overwrite back=1 entries=2 size=0", "overwrite back=1 entries=2 size=1",
                               "overwrite back=3 entries=1 size=1", "commit 1", "save entries=1 size=0 commit=1"});
  ResolvedOp snap = m.Begin(Parse("snapshot"));
  EXPECT_TRUE(snap.noop);
  // Once entry 3 is written again, the snapshot is safe.
  m.Acknowledge();
  m.Begin(Parse("save entries=1 size=1"));
  m.Acknowledge();
  EXPECT_FALSE(m.Begin(Parse("snapshot")).noop);
}

TEST(RaftLogModel, AnEngineWithoutHardStateOrMetadataReadsBackNeither) {
  RaftLogModel m(TraitsOf("tdengine"));
  for (const char* text : {"create metadata=m", "save entries=2 size=3 commit=2", "elect", "save entries=1 size=1"}) {
    m.Begin(Parse(text));
    m.Acknowledge();
  }
  RecoveredLog log = m.Read(m.issued());
  EXPECT_EQ(log.metadata, "");
  EXPECT_TRUE(log.state.empty());
  ASSERT_EQ(log.entries.size(), 3u);
  EXPECT_EQ(log.entries[2].term, 2u);  // the election still moves the term entries carry
  EXPECT_EQ(m.issued(), 4u);           // create and three entries: no hard-state records
  EXPECT_TRUE(m.ClaimAfter(3).state.empty());
}

TEST(RaftLogModel, AClaimEndingInsideASaveCoversTheEntriesUpToIt) {
  RaftLogModel m(TraitsOf("tdengine"));
  for (const char* text : {"create", "save entries=2 size=1", "save entries=3 size=1"}) {
    m.Begin(Parse(text));
    m.Acknowledge();
  }
  // Stream: create, 1, 2 | 3, 4, 5. A claim of entry 4 ends at the record of 4.
  DurabilityClaim claim{true, 4, {}, 0};
  ASSERT_TRUE(m.DurableLength(claim, 2).has_value());
  EXPECT_EQ(*m.DurableLength(claim, 2), 5u);
  EXPECT_EQ(m.Read(5).entries.back().index, 4u);
  // Whole operations still map to their end.
  EXPECT_EQ(m.DurableLength(DurabilityClaim{true, 2, {}, 0}, 2), std::optional<size_t>(3));
  // An index nobody wrote is claimed from nothing.
  EXPECT_FALSE(m.DurableLength(DurabilityClaim{true, 9, {}, 0}, 2).has_value());
  // Nor may a claim reach into an operation that has not begun.
  EXPECT_FALSE(m.DurableLength(claim, 1).has_value());
}

}  // namespace
}  // namespace walcrash::harness
