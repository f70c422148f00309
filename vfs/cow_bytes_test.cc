#include "vfs/cow_bytes.h"

#include <string>

#include <gtest/gtest.h>

#include "vfs/vfs.h"

namespace walcrash::vfs {
namespace {

std::string Str(const CowBytes& b) {
  std::string out(b.size(), '?');
  b.Read(0, {reinterpret_cast<std::byte*>(out.data()), out.size()});
  return out;
}

constexpr size_t kChunk = CowBytes::kChunkSize;
constexpr size_t kMid = CowBytes::kChunkSize * CowBytes::kLeafChunks * CowBytes::kMidLeaves;

TEST(CowBytesTest, WritesGrowTheSizeAndGapsReadAsZeros) {
  CowBytes b;
  b.Write(3, AsBytes("xy"));
  EXPECT_EQ(Str(b), std::string("\0\0\0xy", 5));
  b.Write(kChunk - 1, AsBytes("AB"));  // straddles a chunk boundary
  EXPECT_EQ(b.size(), kChunk + 1);
  EXPECT_EQ(Str(b).substr(kChunk - 1), "AB");
}

TEST(CowBytesTest, ACopyIsIndependentOfTheOriginal) {
  CowBytes a;
  a.Write(0, AsBytes(std::string(3 * kChunk, 'a')));
  CowBytes b = a;
  b.Write(kChunk, AsBytes("B"));
  EXPECT_EQ(Str(a), std::string(3 * kChunk, 'a'));
  EXPECT_EQ(Str(b)[kChunk], 'B');
  a.Resize(1);
  EXPECT_EQ(b.size(), 3 * kChunk);
}

TEST(CowBytesTest, ShrinkingThenGrowingReadsZerosWhereTheCutWas) {
  CowBytes b;
  b.Write(0, AsBytes("abcdef"));
  b.Resize(2);
  b.Resize(6);
  EXPECT_EQ(Str(b), std::string("ab\0\0\0\0", 6));
}

TEST(CowBytesTest, ZeroClearsARangeAndWholeZeroChunksHoldNoMemory) {
  CowBytes b;
  b.Write(0, AsBytes(std::string(2 * kChunk, 'x')));
  EXPECT_EQ(b.ResidentBytes(), 2 * kChunk);
  b.Zero(0, kChunk);
  EXPECT_EQ(b.ResidentBytes(), kChunk);
  b.Zero(kChunk + 1, 2);
  EXPECT_EQ(Str(b).substr(kChunk, 4), std::string("x\0\0x", 4));
  CowBytes hole;
  hole.Resize(64ull * 1024 * 1024);
  EXPECT_EQ(hole.ResidentBytes(), 0u);
}

TEST(CowBytesTest, EqualContentsHaveEqualFingerprintsWhateverTheirHistory) {
  CowBytes a, b;
  a.Write(0, AsBytes("hello"));
  b.Write(0, AsBytes("hellX"));
  EXPECT_NE(a.Fingerprint(), b.Fingerprint());
  EXPECT_FALSE(a == b);
  b.Write(4, AsBytes("o"));
  EXPECT_EQ(a.Fingerprint(), b.Fingerprint());
  EXPECT_TRUE(a == b);
  CowBytes c;
  c.Write(0, AsBytes("hello, world"));
  c.Resize(5);  // the cut tail must not leak into the fingerprint
  EXPECT_EQ(a.Fingerprint(), c.Fingerprint());
  CowBytes z1, z2;
  z1.Resize(10);
  z2.Write(0, AsBytes(std::string(10, '\0')));
  EXPECT_EQ(z1.Fingerprint(), z2.Fingerprint());
  EXPECT_TRUE(z1 == z2);
  CowBytes shorter;
  shorter.Resize(9);
  EXPECT_NE(z1.Fingerprint(), shorter.Fingerprint());
}

// The bytes one leaf of chunk pointers covers.
constexpr uint64_t kLeaf = CowBytes::kLeafChunks * kChunk;

TEST(CowBytesTest, WritesAcrossLeafBoundariesReadBackAndCopiesStayIndependent) {
  CowBytes a;
  a.Write(kLeaf - 2, AsBytes("ABCD"));  // straddles the first leaf boundary
  a.Write(3 * kLeaf + 5, AsBytes("far"));
  CowBytes b = a;
  b.Write(kLeaf, AsBytes("x"));
  b.Write(5 * kLeaf, AsBytes("grown"));
  EXPECT_EQ(Str(a).substr(kLeaf - 2, 4), "ABCD");
  EXPECT_EQ(Str(a).substr(3 * kLeaf + 5, 3), "far");
  EXPECT_EQ(a.size(), 3 * kLeaf + 8);
  EXPECT_EQ(Str(b).substr(kLeaf - 2, 4), "ABxD");
  EXPECT_EQ(Str(b).substr(5 * kLeaf, 5), "grown");
  EXPECT_EQ(a.ResidentBytes(), 3 * kChunk);
}

TEST(CowBytesTest, ShrinkingAcrossLeavesForgetsTheCutChunksForGood) {
  CowBytes a;
  a.Write(0, AsBytes(std::string(2 * kLeaf + 100, 'a')));
  CowBytes keep = a;
  a.Resize(kLeaf + 7);
  EXPECT_EQ(a.ResidentBytes(), kLeaf + kChunk);
  a.Resize(3 * kLeaf);
  std::string s = Str(a);
  EXPECT_EQ(s.substr(0, kLeaf + 7), std::string(kLeaf + 7, 'a'));
  EXPECT_EQ(s.substr(kLeaf + 7), std::string(3 * kLeaf - kLeaf - 7, '\0'));
  EXPECT_EQ(Str(keep), std::string(2 * kLeaf + 100, 'a'));  // the copy kept its data
  CowBytes fresh;
  fresh.Write(0, AsBytes(std::string(kLeaf + 7, 'a')));
  fresh.Resize(3 * kLeaf);
  EXPECT_TRUE(a == fresh);
  EXPECT_EQ(a.Fingerprint(), fresh.Fingerprint());
}

TEST(CowBytesTest, ACachedChunkHashIsRefreshedAfterAWrite) {
  CowBytes a;
  a.Write(0, AsBytes("one"));
  uint64_t before = a.Fingerprint();
  a.Write(0, AsBytes("two"));
  EXPECT_NE(a.Fingerprint(), before);
}

// The fingerprint caches (per 4 KiB block, per leaf, per file) never go
// stale: after any change to a copy of a large file that shares every cache
// with the original, its fingerprint equals that of the same bytes built from
// scratch, and the untouched original keeps its own.
void CheckCachedFingerprintsFollowChanges(uint64_t size) {
  std::string content(size, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 7) & 0xff);
  CowBytes original;
  original.Write(0, AsBytes(content));
  const uint64_t original_print = original.Fingerprint();
  struct Change {
    uint64_t offset;
    std::string bytes;
    uint64_t resize;  // 0: none
  };
  const uint64_t last = size - 50;  // in the last, partial leaf
  const Change changes[] = {
      {0, "a", 0},                           // the first block of the first leaf
      {5 * kChunk + 4096, "b", 0},           // the second block of a chunk in a full leaf
      {17 * kChunk - 1, "cd", 0},            // across two chunks of the second leaf
      {last, "e", 0},                        // the partial last leaf
      {0, "", 32 * kChunk},                  // shrink to exactly two leaves
      {0, "", size + 3 * kChunk},            // grow with zeros
      {size + 10, std::string(5000, 'f'), 0},  // grow by writing past the end
      {size / 2, "g", 0},                    // the middle
  };
  for (const Change& change : changes) {
    CowBytes copy = original;
    std::string expected = content;
    if (change.resize != 0) {
      copy.Resize(change.resize);
      expected.resize(change.resize, '\0');
    } else {
      copy.Write(change.offset, AsBytes(change.bytes));
      if (expected.size() < change.offset + change.bytes.size()) expected.resize(change.offset + change.bytes.size(), '\0');
      expected.replace(change.offset, change.bytes.size(), change.bytes);
    }
    CowBytes fresh;
    fresh.Write(0, AsBytes(expected));
    EXPECT_EQ(copy.Fingerprint(), fresh.Fingerprint()) << "change at " << change.offset;
    EXPECT_EQ(copy.Fingerprint(), fresh.Fingerprint()) << "cached, change at " << change.offset;
    EXPECT_NE(copy.Fingerprint(), original_print) << "change at " << change.offset;
    EXPECT_EQ(original.Fingerprint(), original_print);
  }
}

TEST(CowBytesTest, CachedFingerprintsOfACopyFollowEveryChangeAndMatchAFreshBuild) {
  CheckCachedFingerprintsFollowChanges(40 * kChunk + 123);  // two full leaves and a partial third
}

// The same across mids (4 MiB each): two full mids, a partial third.
TEST(CowBytesTest, CachedFingerprintsFollowChangesAcrossMids) {
  CheckCachedFingerprintsFollowChanges(2 * kMid + 5 * CowBytes::kLeafChunks * kChunk + 3 * kChunk + 77);
}

TEST(CowBytesTest, ShrinkingAcrossMidsForgetsTheCutLeavesAndGrowingReadsZeros) {
  CowBytes b;
  b.Write(0, AsBytes(std::string(2 * kMid + kChunk, 'x')));
  const uint64_t cut = kMid / 2 + 100;
  b.Resize(cut);
  EXPECT_EQ(b.ResidentBytes(), (cut + kChunk - 1) / kChunk * kChunk);
  b.Resize(2 * kMid);
  EXPECT_EQ(Str(b).substr(cut - 1, 3), std::string("x\0\0", 3));
  EXPECT_EQ(Str(b).find('x', cut), std::string::npos);
  CowBytes fresh;
  fresh.Write(0, AsBytes(std::string(cut, 'x')));
  fresh.Resize(2 * kMid);
  EXPECT_EQ(b.Fingerprint(), fresh.Fingerprint());
  EXPECT_TRUE(b == fresh);
}

TEST(CowBytesTest, WritingZerosOverDataFingerprintsLikeAHole) {
  CowBytes a;
  a.Write(0, AsBytes(std::string(3 * kChunk, 'x')));
  a.Fingerprint();  // fill the caches
  a.Zero(kChunk, kChunk);      // a whole chunk: dropped
  a.Zero(10, 100);             // part of a chunk: written
  CowBytes b;
  b.Write(0, AsBytes(std::string(3 * kChunk, 'x')));
  b.Write(10, AsBytes(std::string(100, '\0')));
  b.Write(kChunk, AsBytes(std::string(kChunk, '\0')));
  EXPECT_EQ(a.Fingerprint(), b.Fingerprint());
  EXPECT_TRUE(a == b);
}

}  // namespace
}  // namespace walcrash::vfs
