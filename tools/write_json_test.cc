#include "tools/write_json.h"

#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/etcd/wal_name.h"
#include "tools/inspect_json.h"
#include "tools/scratch_dir.h"
#include "vfs/posix_vfs.h"

namespace walcrash::cli {
namespace {

std::string ErrorOf(std::string_view text) {
  auto spec = ParseWalSpecText(text, "in.json");
  return spec.ok() ? std::string("(no error)") : spec.error().ToString();
}

constexpr std::string_view kHead = R"("metadata_b64": "bWV0YQ==", "hardstate_term_vote_commit": [2, 1, 3])";

std::string Doc(std::string_view entries, std::string_view extra = "") {
  return fmt::format(R"({{{}, "entries": [{}]{}}})", kHead, entries, extra);
}

std::string E(uint64_t index, uint64_t term, std::string_view data_b64 = "") {
  return fmt::format(R"({{"index": {}, "term": {}, "type": 0, "data_b64": "{}"}})", index, term, data_b64);
}

TEST(WalSpec, ParsesInspectSchema) {
  auto spec = ParseWalSpecText(Doc(E(1, 1, "YQ==") + "," + E(2, 1)), "in.json");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->metadata, "meta");
  EXPECT_EQ(spec->state, (etcd::HardState{2, 1, 3}));
  ASSERT_EQ(spec->entries.size(), 2u);
  EXPECT_EQ(spec->entries[0].data, "a");
  EXPECT_EQ(spec->entries[1].data, "");
  EXPECT_TRUE(spec->snapshots.empty());
}

TEST(WalSpec, ReportsMissingFieldsBadBase64AndBadJsonByName) {
  EXPECT_NE(ErrorOf("{").find("in.json: not valid JSON"), std::string::npos) << ErrorOf("{");
  EXPECT_NE(ErrorOf("[]").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"entries": []})").find("missing field \"metadata_b64\""), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"metadata_b64": "", "entries": []})").find("missing field \"hardstate_term_vote_commit\""),
            std::string::npos);
  EXPECT_NE(ErrorOf(fmt::format("{{{}}}", kHead)).find("missing field \"entries\""), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"metadata_b64": "a*==", "hardstate_term_vote_commit": [0,0,0], "entries": []})")
                .find("metadata_b64: bad base64 at offset 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"metadata_b64": "", "hardstate_term_vote_commit": [0,0], "entries": []})")
                .find("expected [term, vote, commit]"),
            std::string::npos);
  std::string bad_data = ErrorOf(Doc(E(1, 1, "YQ=")));
  EXPECT_NE(bad_data.find("entries[0].data_b64: bad base64"), std::string::npos) << bad_data;
  std::string no_term = ErrorOf(Doc(R"({"index": 1, "type": 0, "data_b64": ""})"));
  EXPECT_NE(no_term.find("entries[0]: missing field \"term\""), std::string::npos) << no_term;
  std::string negative = ErrorOf(Doc(R"({"index": -1, "term": 1, "type": 0, "data_b64": ""})"));
  EXPECT_NE(negative.find("entries[0].index: -1 is negative"), std::string::npos) << negative;
  std::string text = ErrorOf(Doc(R"({"index": "1", "term": 1, "type": 0, "data_b64": ""})"));
  EXPECT_NE(text.find("expected an unsigned integer, got string"), std::string::npos) << text;
}

TEST(WalSpec, IndexesFollowRaftRules) {
  // Contiguous, and overwrites above the snapshot, are fine.
  EXPECT_EQ(ErrorOf(Doc(E(1, 1) + "," + E(2, 1) + "," + E(3, 1) + "," + E(2, 2) + "," + E(3, 2))), "(no error)");
  // A gap is not.
  std::string gap = ErrorOf(Doc(E(1, 1) + "," + E(3, 1)));
  EXPECT_NE(gap.find("entries[1]: index 3 leaves a gap after index 1"), std::string::npos) << gap;
  // The first entry is 1 unless a snapshot comes first.
  EXPECT_NE(ErrorOf(Doc(E(5, 1))).find("gap"), std::string::npos);
  EXPECT_EQ(ErrorOf(Doc(E(5, 1), R"(, "snapshots": [{"index": 4, "term": 1}])")), "(no error)");
  EXPECT_NE(ErrorOf(Doc(E(0, 1))).find("index 0"), std::string::npos);
  // An overwrite may not reach the snapshot.
  std::string below = ErrorOf(Doc(E(1, 1) + "," + E(2, 1) + "," + E(3, 1) + "," + E(2, 2),
                                  R"(, "snapshots": [{"index": 2, "term": 1}])"));
  EXPECT_NE(below.find("entries[3]: index 2 overwrites at or below the snapshot at index 2"), std::string::npos)
      << below;
  // Snapshot indexes never decrease.
  std::string order = ErrorOf(Doc(E(1, 1), R"(, "snapshots": [{"index": 1, "term": 1}, {"index": 0, "term": 0}])"));
  EXPECT_NE(order.find("snapshots[1]: index 0 is below the previous snapshot's 1"), std::string::npos) << order;
}

TEST(WalSpec, InspectOutputAtASnapshotCarriesThatSnapshot) {
  auto spec = ParseWalSpecText(
      fmt::format(R"({{"mode": "read", "snapshot_index": 60, "snapshot_term": 2, {}, "entries": [{}], "error": ""}})",
                  kHead, E(61, 2)),
      "in.json");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->snapshots.size(), 1u);
  EXPECT_EQ(spec->snapshots[0].index, 60u);
  EXPECT_EQ(spec->snapshots[0].term, 2u);
}

TEST(WalSpec, ExpectedEntriesAppliesOverwrites) {
  WalSpec spec;
  for (uint64_t i = 1; i <= 5; ++i) spec.entries.push_back({1, i, 0, "a"});
  spec.entries.push_back({2, 3, 0, "b"});
  auto all = ExpectedEntries(spec, 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.back(), (etcd::Entry{2, 3, 0, "b"}));
  auto from2 = ExpectedEntries(spec, 2);
  ASSERT_EQ(from2.size(), 1u);
  EXPECT_EQ(from2[0].index, 3u);
}

TEST(WriteWal, WritesWhatInspectReadsBack) {
  vfs::PosixVfs vfs;
  auto scratch = ScratchDir::Make("write-test");
  ASSERT_TRUE(scratch.ok());
  std::string dir = scratch->path() + "/wal";
  WalSpec spec;
  spec.metadata = "m";
  spec.state = {3, 1, 40};
  for (uint64_t i = 1; i <= 30; ++i) spec.entries.push_back({1, i, 0, std::string(i * 37, 'x')});
  for (uint64_t i = 25; i <= 45; ++i) spec.entries.push_back({3, i, i % 2 == 0 ? 1 : 0, i % 3 == 0 ? "" : "y"});
  spec.snapshots = {{10, 1, std::string()}, {20, 1, std::string()}};  // empty ConfStates
  auto summary = WriteWal(vfs, dir, spec, WriteOptions{1024, 4});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->snapshots, 2u);
  EXPECT_GT(etcd::FilterWalNames(summary->files).size(), 2u) << "1 KiB segments should cut";
  for (ReadMode mode : {ReadMode::kRead, ReadMode::kWrite}) {
    for (auto [index, term] : {std::pair<uint64_t, uint64_t>{0, 0}, {10, 1}, {20, 1}}) {
      auto report = InspectWal(vfs, dir, ReadRequest{mode, index, term});
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      EXPECT_TRUE(report->error.ok()) << report->error.ToString();
      EXPECT_EQ(report->metadata, "m");
      EXPECT_EQ(report->state, spec.state);
      EXPECT_EQ(report->entries, ExpectedEntries(spec, index)) << ReadModeName(mode) << " at " << index;
    }
  }
  // A second write into the same directory is refused by Create.
  auto again = WriteWal(vfs, dir, spec, WriteOptions{1024, 4});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(etcd::WalErrorOf(again.error()), etcd::WalError::kExist);
}

}  // namespace
}  // namespace walcrash::cli
