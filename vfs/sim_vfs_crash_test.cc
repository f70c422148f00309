// SimVfs crash images: persistence models C1–C3, torn writes C4, torn
// renames C5, distinct named images C6 (sim_vfs.h).
#include <set>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "common/splitmix.h"
#include "vfs/sim_vfs.h"
#include "vfs/vfs_test_util.h"

namespace walcrash::vfs {
namespace {

using testing::Contents;
using testing::MustOpen;
using testing::Names;
using testing::SyncDir;
using testing::WriteDurably;

std::unique_ptr<SimVfs> Image(const SimVfs& vfs, std::string_view spec_text) {
  auto spec = CrashImageSpec::Parse(spec_text);
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  auto image = vfs.CrashImage(*spec);
  EXPECT_TRUE(image.ok()) << image.status().ToString();
  return image.ok() ? std::move(image).value() : nullptr;
}

// Contents of /log in every image enumerated under `options`.
std::set<std::string> LogContents(const SimVfs& vfs, const CrashEnumerationOptions& options) {
  std::set<std::string> out;
  vfs.ForEachCrashImage(options, [&](const CrashImageSpec& spec) {
    auto image = vfs.CrashImage(spec);
    EXPECT_TRUE(image.ok());
    out.insert(Contents(**image, "/log"));
    return true;
  });
  return out;
}

CrashEnumerationOptions Whole(PersistenceModel model) {
  CrashEnumerationOptions o;
  o.model = model;
  o.tear_writes = false;
  o.tear_renames = false;
  return o;
}

// Three unsynced appends after a synced "S".
class CrashModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteDurably(vfs_, "/log", "S");
    log_ = MustOpen(vfs_, "/log", kWrite);
    for (const char* r : {"a", "b", "c"}) ASSERT_OK(log_->Append(AsBytes(r)));
    ASSERT_EQ(vfs_.PendingOperations().size(), 3u);
  }
  SimVfs vfs_;
  std::unique_ptr<File> log_;
};

TEST_F(CrashModelTest, StrictKeepsOnlyWhatWasSynced) {
  EXPECT_EQ(LogContents(vfs_, Whole(PersistenceModel::kStrict)), (std::set<std::string>{"S"}));
}

TEST_F(CrashModelTest, PrefixKeepsPendingOperationsInIssueOrderUpToAPoint) {
  EXPECT_EQ(LogContents(vfs_, Whole(PersistenceModel::kPrefix)),
            (std::set<std::string>{"S", "Sa", "Sab", "Sabc"}));
}

TEST_F(CrashModelTest, SubsetKeepsAnySubsetLeavingHolesWhereWritesWereLost) {
  std::set<std::string> got = LogContents(vfs_, Whole(PersistenceModel::kSubset));
  const std::string z(1, '\0');
  std::set<std::string> want = {"S", "Sa", "S" + z + "b", "S" + z + z + "c", "Sab", "Sa" + z + "c",
                                "S" + z + "bc", "Sabc"};
  EXPECT_EQ(got, want);
}

TEST_F(CrashModelTest, TheCrashedSimVfsIsUntouchedByTakingImages) {
  auto before = vfs_.PendingOperations();
  LogContents(vfs_, CrashEnumerationOptions{.model = PersistenceModel::kSubset});
  EXPECT_EQ(vfs_.PendingOperations().size(), before.size());
  EXPECT_EQ(Contents(vfs_, "/log"), "Sabc");
}

TEST_F(CrashModelTest, EnumerationStopsAtItsBoundAndWhenTheVisitorSaysSo) {
  CrashEnumerationOptions o{.model = PersistenceModel::kSubset, .max_images = 3};
  EXPECT_EQ(vfs_.EnumerateCrashImages(o).size(), 3u);
  size_t seen = 0;
  vfs_.ForEachCrashImage(Whole(PersistenceModel::kSubset), [&](const CrashImageSpec&) { return ++seen < 2; });
  EXPECT_EQ(seen, 2u);
}

TEST_F(CrashModelTest, EveryEnumeratedImageIsDistinctAndRecreatedFromItsName) {
  CrashEnumerationOptions o{.model = PersistenceModel::kSubset, .max_images = 500};
  std::set<uint64_t> prints;
  for (const CrashImageSpec& spec : vfs_.EnumerateCrashImages(o)) {
    auto parsed = CrashImageSpec::Parse(spec.ToString());
    ASSERT_TRUE(parsed.ok()) << spec.ToString();
    EXPECT_EQ(*parsed, spec);
    auto a = vfs_.CrashImageFingerprint(spec);
    auto b = vfs_.CrashImageFingerprint(*parsed);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, *b);
    EXPECT_TRUE(prints.insert(*a).second) << "duplicate image " << spec.ToString();
    EXPECT_EQ(Contents(*vfs_.CrashImage(spec).value(), "/log"),
              Contents(*vfs_.CrashImage(*parsed).value(), "/log"));
  }
}

TEST_F(CrashModelTest, ASpecNamingAnOperationThatIsNotPendingIsRejected) {
  EXPECT_CODE(vfs_.CrashImage(*CrashImageSpec::Parse("#1")), Code::kInvalidArgument);
  uint64_t append = vfs_.PendingOperations()[0].seq;
  EXPECT_CODE(vfs_.CrashImage(*CrashImageSpec::Parse(fmt::format("#{}:link", append))),
              Code::kInvalidArgument);
  EXPECT_CODE(vfs_.CrashImage(*CrashImageSpec::Parse(fmt::format("#{}:tear=1/2:zeros", append))),
              Code::kInvalidArgument);  // a 1-byte write has one piece
}

TEST_F(CrashModelTest, SampledImagesAreDeterministicInTheSeed) {
  CrashEnumerationOptions o{.model = PersistenceModel::kSubset};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    EXPECT_EQ(vfs_.SampleCrashImage(o, seed), vfs_.SampleCrashImage(o, seed));
    EXPECT_TRUE(vfs_.CrashImage(vfs_.SampleCrashImage(o, seed)).ok());
  }
  EXPECT_EQ(vfs_.SampleCrashImage(Whole(PersistenceModel::kStrict), 7), CrashImageSpec{});
}

TEST(CrashSubsetTest, AWriteToAFileWhoseCreationWasLostIsLost) {
  SimVfs vfs;
  auto f = MustOpen(vfs, "/new", kWrite | kCreate);
  ASSERT_OK(f->Append(AsBytes("data")));
  auto pending = vfs.PendingOperations();  // create, write
  ASSERT_EQ(pending.size(), 2u);
  auto image = vfs.CrashImage(*CrashImageSpec::Parse(fmt::format("#{}", pending[1].seq)));
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(Contents(**image, "/new"), "<missing>");
  EXPECT_EQ(*vfs.CrashImageFingerprint(*CrashImageSpec::Parse(fmt::format("#{}", pending[1].seq))),
            *vfs.CrashImageFingerprint(CrashImageSpec{}));
}

// Truncates to 0 of a freshly created file change no image; the subset
// enumeration leaves them out, so they cannot use up its budget on
// duplicates and hide an image that needs several other survivors.
TEST(CrashSubsetTest, TruncatesOfAFreshFileToZeroDoNotHideImagesBehindTheBudget) {
  SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/d"));
  auto f = MustOpen(vfs, "/d/f", kWrite | kCreate);
  for (int i = 0; i < 20; ++i) ASSERT_OK(f->Truncate(0));
  ASSERT_OK(f->Append(AsBytes("data")));
  ASSERT_EQ(vfs.PendingOperations().size(), 23u);  // mkdir, create, 20 truncates, write
  CrashEnumerationOptions o;
  o.model = PersistenceModel::kSubset;
  o.max_images = 4;  // a budget of 4 * 64 candidates
  std::set<std::string> contents;
  vfs.ForEachCrashImage(o, [&](const CrashImageSpec& spec) {
    contents.insert(Contents(*vfs.CrashImage(spec).value(), "/d/f"));
    return true;
  });
  // No /d, /d without f, an empty f, f with its data: the last needs three survivors.
  EXPECT_EQ(contents, (std::set<std::string>{"<missing>", "", "data"}));
}

// A truncate to 0 of a file that holds data in some image is not inert.
TEST(CrashSubsetTest, ATruncateToZeroOfAWrittenFileIsEnumerated) {
  SimVfs vfs;
  auto f = MustOpen(vfs, "/f", kWrite | kCreate);
  ASSERT_OK(f->Append(AsBytes("data")));
  ASSERT_OK(f->Truncate(0));
  std::set<std::string> contents;
  for (const auto& spec : vfs.EnumerateCrashImages({.model = PersistenceModel::kSubset})) {
    contents.insert(Contents(*vfs.CrashImage(spec).value(), "/f"));
  }
  EXPECT_TRUE(contents.count("data"));
  EXPECT_TRUE(contents.count(""));
}

// The subset enumeration leaves out operations that cannot change an image
// (truncates of fresh files to 0) and subsets that hold an operation without
// the create it needs. Neither may lose an image: on random programs of file
// and directory operations, it finds exactly the distinct images that trying
// every subset of the pending operations finds.
TEST(CrashSubsetTest, PrunedEnumerationFindsEveryImageThatAllSubsetsGive) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    SimVfs vfs;
    uint64_t rng = seed;
    auto next = [&](uint64_t bound) { return SplitMix64(rng) % bound; };
    const std::string names[] = {"/a", "/b", "/d/x", "/d/y"};
    if (seed % 2 == 0) WriteDurably(vfs, "/a", "durable");  // a file with data on disk
    std::unique_ptr<File> open[4];
    for (int step = 0; step < 24 && vfs.PendingOperations().size() < 11; ++step) {
      const size_t k = next(4);
      const std::string& name = names[k];
      switch (next(8)) {
        case 0: vfs.Mkdir("/d").IgnoreError(); break;
        case 1: {
          auto f = vfs.Open(name, kWrite | kCreate);
          if (f.ok()) open[k] = std::move(f).value();
          break;
        }
        case 2:
        case 3:
          if (open[k]) open[k]->Append(AsBytes(std::string(1 + next(3), static_cast<char>('p' + step)))).IgnoreError();
          break;
        case 4:
          if (!open[k]) break;
          if (next(3) == 0) {
            open[k]->Preallocate(0, 2, PreallocateMode::kExtend).IgnoreError();
          } else {
            open[k]->Truncate(next(2) == 0 ? 0 : 1).IgnoreError();
          }
          break;
        case 5: vfs.Unlink(name).IgnoreError(); break;
        case 6: vfs.Rename(name, names[next(4)]).IgnoreError(); break;
        case 7:
          if (open[k] && next(3) == 0) open[k]->Sync().IgnoreError();
          break;
      }
    }
    const auto pending = vfs.PendingOperations();
    std::set<uint64_t> every_subset;
    for (uint64_t mask = 0; mask < (uint64_t{1} << pending.size()); ++mask) {
      CrashImageSpec spec;
      for (size_t i = 0; i < pending.size(); ++i) {
        if (mask >> i & 1) spec.survivors.push_back(Survivor{pending[i].seq, Survivor::Mode::kWhole, 0, 0, TearFill::kZeros, 0});
      }
      every_subset.insert(*vfs.CrashImageFingerprint(spec));
    }
    CrashEnumerationOptions o;
    o.model = PersistenceModel::kSubset;
    o.max_images = 1u << 20;
    o.tear_writes = false;
    o.tear_renames = false;
    std::set<uint64_t> enumerated;
    vfs.ForEachCrashImage(o, [&](const CrashImageSpec& spec) {
      enumerated.insert(*vfs.CrashImageFingerprint(spec));
      return true;
    });
    EXPECT_EQ(enumerated, every_subset) << "seed " << seed << ", " << pending.size() << " pending operations";
  }
}

TEST(CrashSubsetTest, ARenameNeedsItsSource) {
  SimVfs vfs;
  auto f = MustOpen(vfs, "/a.tmp", kWrite | kCreate);  // entry pending
  ASSERT_OK(f->Sync());
  ASSERT_OK(vfs.Rename("/a.tmp", "/a"));
  auto pending = vfs.PendingOperations();  // create, rename
  ASSERT_EQ(pending.size(), 2u);
  auto image = vfs.CrashImage(*CrashImageSpec::Parse(fmt::format("#{}", pending[1].seq)));
  EXPECT_EQ(Names(**image, "/"), std::vector<std::string>{});
}

// --- C4: torn writes -------------------------------------------------------------

class TornWriteTest : public ::testing::Test {
 protected:
  // A synced file of 4 sectors of 'o', then one pending write of 'N' over
  // [256, 256 + 3*512): pieces [256,512) [512,1024) [1024,1536) [1536,1792).
  void SetUp() override {
    WriteDurably(vfs_, "/log", std::string(2048, 'o'));
    log_ = MustOpen(vfs_, "/log", kWrite);
    ASSERT_OK(log_->WriteAt(256, AsBytes(std::string(1536, 'N'))));
    seq_ = vfs_.PendingOperations().back().seq;
  }
  std::string Torn(std::string_view tear) {
    return Contents(*Image(vfs_, fmt::format("#{}:tear={}", seq_, tear)), "/log");
  }
  SimVfs vfs_;
  std::unique_ptr<File> log_;
  uint64_t seq_ = 0;
};

TEST_F(TornWriteTest, PiecesFollowSectorBoundariesOfTheFile) {
  std::string got = Torn("1/4:old");
  EXPECT_EQ(got, std::string(256, 'o') + std::string(256, 'N') + std::string(1536, 'o'));
}

TEST_F(TornWriteTest, LostPiecesReadAsOldContentsZerosOrGarbage) {
  EXPECT_EQ(Torn("2/4:zeros"), std::string(256, 'o') + std::string(768, 'N') + std::string(768, '\0') +
                                   std::string(256, 'o'));
  EXPECT_EQ(Torn("-1/4:old"), std::string(1536, 'o') + std::string(256, 'N') + std::string(256, 'o'));
  std::string garbage = Torn("3/4:garbage=11");
  EXPECT_EQ(garbage.substr(0, 1536), std::string(256, 'o') + std::string(1280, 'N'));
  EXPECT_NE(garbage.substr(1536, 256), std::string(256, 'N'));
  EXPECT_NE(garbage.substr(1536, 256), std::string(256, 'o'));
  EXPECT_EQ(garbage, Torn("3/4:garbage=11"));   // seeded: the same every time
  EXPECT_NE(garbage, Torn("3/4:garbage=12"));
}

TEST(TornAppendTest, ATornAppendEndsAtItsLastKeptPieceOrCoversTheWholeWrite) {
  SimVfs vfs;
  WriteDurably(vfs, "/log", "");
  auto f = MustOpen(vfs, "/log", kWrite);
  ASSERT_OK(f->Append(AsBytes(std::string(1024, 'A'))));
  uint64_t seq = vfs.PendingOperations().back().seq;
  auto contents = [&](std::string_view tear) {
    return Contents(*Image(vfs, fmt::format("#{}:tear={}", seq, tear)), "/log");
  };
  EXPECT_EQ(contents("1/2:old"), std::string(512, 'A'));  // a short append
  EXPECT_EQ(contents("1/2:zeros"), std::string(512, 'A') + std::string(512, '\0'));
  EXPECT_EQ(contents("-1/2:old"), std::string(512, '\0') + std::string(512, 'A'));  // a hole
}

TEST(TornWriteSectorTest, TheSectorSizeIsAnOption) {
  SimVfs vfs(SimVfsOptions{.sector_size = 4096});
  WriteDurably(vfs, "/log", "");
  auto f = MustOpen(vfs, "/log", kWrite);
  ASSERT_OK(f->Append(AsBytes(std::string(8192, 'A'))));
  CrashEnumerationOptions o{.model = PersistenceModel::kPrefix, .tear_fills = {TearFill::kZeros}};
  std::set<std::string> got;
  for (const auto& spec : vfs.EnumerateCrashImages(o)) got.insert(spec.ToString());
  uint64_t seq = vfs.PendingOperations().back().seq;
  EXPECT_EQ(got, (std::set<std::string>{"none", fmt::format("#{}", seq), fmt::format("#{}:tear=1/2:zeros", seq),
                                        fmt::format("#{}:tear=-1/2:zeros", seq)}));
}

TEST(TornWriteEnumerationTest, PrefixTearsOnlyTheLastSurvivorAndSubsetTearsAny) {
  SimVfs vfs;
  WriteDurably(vfs, "/log", "");
  auto f = MustOpen(vfs, "/log", kWrite);
  ASSERT_OK(f->Append(AsBytes(std::string(1024, 'A'))));
  ASSERT_OK(f->Append(AsBytes(std::string(1024, 'B'))));
  auto pending = vfs.PendingOperations();
  CrashEnumerationOptions o{.model = PersistenceModel::kPrefix, .max_images = 10000,
                            .tear_fills = {TearFill::kOld}, .max_tear_points_per_write = 1};
  for (const auto& spec : vfs.EnumerateCrashImages(o)) {
    for (size_t i = 0; i + 1 < spec.survivors.size(); ++i) {
      EXPECT_EQ(spec.survivors[i].mode, Survivor::Mode::kWhole) << spec.ToString();
    }
  }
  o.model = PersistenceModel::kSubset;
  bool first_torn_with_second_whole = false;
  for (const auto& spec : vfs.EnumerateCrashImages(o)) {
    if (spec.survivors.size() == 2 && spec.survivors[0].mode == Survivor::Mode::kTornWrite) {
      first_torn_with_second_whole = true;
    }
  }
  EXPECT_TRUE(first_torn_with_second_whole);
}

// --- C5: torn renames --------------------------------------------------------------

TEST(TornRenameTest, ARenameOverAnExistingFileSurfacesAsOldNewOrBothNamesNeverNeither) {
  SimVfs vfs;
  WriteDurably(vfs, "/b", "old b");
  WriteDurably(vfs, "/a", "new b");
  ASSERT_OK(vfs.Rename("/a", "/b"));
  std::set<std::string> outcomes;
  CrashEnumerationOptions o{.model = PersistenceModel::kSubset};
  for (const auto& spec : vfs.EnumerateCrashImages(o)) {
    auto image = vfs.CrashImage(spec).value();
    outcomes.insert("a=" + Contents(*image, "/a") + " b=" + Contents(*image, "/b"));
  }
  EXPECT_EQ(outcomes, (std::set<std::string>{"a=new b b=old b",       // not applied
                                             "a=<missing> b=new b",   // whole
                                             "a=new b b=new b"}));    // link step only
}

TEST(CrashFingerprintTest, ImagesThatDifferOnlyInASecondNameAreDistinct) {
  SimVfs vfs;
  WriteDurably(vfs, "/a", "A");
  WriteDurably(vfs, "/b", "B");
  WriteDurably(vfs, "/c", "C");
  ASSERT_OK(vfs.Rename("/c", "/a"));
  ASSERT_OK(vfs.Rename("/b", "/a"));
  auto pending = vfs.PendingOperations();
  ASSERT_EQ(pending.size(), 2u);
  // "c torn, b whole" leaves a=B, c=C; "c whole, b torn" leaves a=B, b=B.
  auto first = fmt::format("#{}:link #{}", pending[0].seq, pending[1].seq);
  auto second = fmt::format("#{} #{}:link", pending[0].seq, pending[1].seq);
  EXPECT_NE(*vfs.CrashImageFingerprint(*CrashImageSpec::Parse(first)),
            *vfs.CrashImageFingerprint(*CrashImageSpec::Parse(second)));
  // Same trees, however reached, have the same print.
  SimVfs other;
  WriteDurably(other, "/a", "B");
  WriteDurably(other, "/c", "C");
  EXPECT_EQ(*vfs.CrashImageFingerprint(*CrashImageSpec::Parse(first)),
            *other.CrashImageFingerprint(CrashImageSpec{}));
}

TEST(TornRenameTest, ADirectoryRenameIsNeverTorn) {
  SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/x"));
  SyncDir(vfs, "/");
  ASSERT_OK(vfs.Rename("/x", "/y"));
  for (const auto& spec : vfs.EnumerateCrashImages({.model = PersistenceModel::kSubset})) {
    for (const auto& s : spec.survivors) EXPECT_NE(s.mode, Survivor::Mode::kRenameLink);
  }
  uint64_t seq = vfs.PendingOperations().back().seq;
  EXPECT_CODE(vfs.CrashImage(*CrashImageSpec::Parse(fmt::format("#{}:link", seq))), Code::kInvalidArgument);
}

// --- the etcd #6368 window, end to end ------------------------------------------------

TEST(CrashScenarioTest, ACutWithoutADirectorySyncCanLoseTheSyncedSegment) {
  SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/wal"));
  SyncDir(vfs, "/");
  auto tmp = MustOpen(vfs, "/wal/0.tmp", kWrite | kCreate);
  ASSERT_OK(tmp->Append(AsBytes("records")));
  ASSERT_OK(tmp->Sync());
  ASSERT_OK(vfs.Rename("/wal/0.tmp", "/wal/0.wal"));
  // No directory sync: the strict image has neither name.
  auto strict = vfs.CrashImage(CrashImageSpec{}).value();
  EXPECT_EQ(Names(*strict, "/wal"), std::vector<std::string>{});
  // With the directory sync, the segment is durable under its final name.
  SyncDir(vfs, "/wal");
  auto fixed = vfs.CrashImage(CrashImageSpec{}).value();
  EXPECT_EQ(Names(*fixed, "/wal"), std::vector<std::string>{"0.wal"});
  EXPECT_EQ(Contents(*fixed, "/wal/0.wal"), "records");
}

// --- the spec text form ---------------------------------------------------------------

TEST(CrashImageSpecTest, TextRoundTripsAndRejectsMalformedSpecs) {
  for (std::string_view text : {"none", "#3", "#3 #7:link #9:tear=2/5:zeros", "#4:tear=-1/3:old",
                                "#4:tear=1/3:garbage=99"}) {
    auto spec = CrashImageSpec::Parse(text);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.status().ToString();
    EXPECT_EQ(spec->ToString(), text);
  }
  for (std::string_view bad : {"3", "#x", "#3 #2", "#3 #3", "#3:tear=0/3:old", "#3:tear=3/3:old",
                               "#3:tear=1/3:purple", "#3:bogus", "#3:tear=1:old"}) {
    EXPECT_CODE(CrashImageSpec::Parse(bad), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace walcrash::vfs
