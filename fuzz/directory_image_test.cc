#include "fuzz/directory_image.h"

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/etcd/errors.h"
#include "engine/etcd/wal.h"
#include "engine/etcd/wal_name.h"
#include "fuzz/image_test_util.h"
#include "vfs/posix_vfs.h"
#include "vfs/sim_vfs.h"

namespace walcrash::fuzz {
namespace {

namespace fs = std::filesystem;

DirectoryImage Decode(std::string_view bytes) {
  return DecodeDirectoryImage({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

using testing::RandomBytes;

std::vector<std::string> Garbage() { return testing::GarbageInputs('\x09'); }

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
std::string Header(uint8_t count, uint64_t snap_index = 0, uint64_t snap_term = 0, uint8_t options = 0) {
  std::string out{static_cast<char>(count), static_cast<char>(options)};
  PutU64(out, snap_index);
  PutU64(out, snap_term);
  return out;
}
// An empty raw content: u32 length 0, u16 zero fill 0.
const std::string kEmptyRaw(6, '\0');

std::vector<std::string> Names(const DirectoryImage& image) {
  std::vector<std::string> out;
  for (const ImageEntry& e : image.entries) out.push_back(e.name);
  return out;
}

fs::path InteropDir() {
  if (const char* env = std::getenv("WALCRASH_SHARED_INTEROP_DIR")) return fs::path(env) / "etcd-3.4";
  // fuzz/directory_image_test.cc -> <repository>/../shared/interop
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared" / "interop" / "etcd-3.4";
}

TEST(DirectoryImageTest, EmptyBytesAreAnEmptyImageAtSnapshotZero) {
  const DirectoryImage image = Decode("");
  EXPECT_TRUE(image.entries.empty());
  EXPECT_EQ(image.snapshot_index, 0u);
  EXPECT_EQ(image.snapshot_term, 0u);
  EXPECT_EQ(image.append_segment_bytes, kAppendSegmentBytes[0]);
  EXPECT_EQ(Decode(EncodeDirectoryImage(image)), image);
}

TEST(DirectoryImageTest, EveryDecodedImageSurvivesItsEncoding) {
  size_t with_records = 0;
  for (const std::string& bytes : Garbage()) {
    const DirectoryImage image = Decode(bytes);
    const std::string encoded = EncodeDirectoryImage(image);
    ASSERT_EQ(Decode(encoded), image) << "input of " << bytes.size() << " bytes";
    // Encoding is a function of the image: encoding the decoded encoding changes nothing.
    EXPECT_EQ(EncodeDirectoryImage(Decode(encoded)), encoded);
    for (const ImageEntry& e : image.entries) with_records += e.contents.size() >= 8 ? 1u : 0u;
  }
  EXPECT_GT(with_records, 100u);  // the inputs reach contents, not only names
}

TEST(DirectoryImageTest, GarbageDecodesWithinBoundsToNamesAVfsTakes) {
  for (const std::string& bytes : Garbage()) {
    const DirectoryImage image = Decode(bytes);
    ASSERT_LE(image.entries.size(), kMaxImageEntries);
    ASSERT_LE(image.total_bytes(), kMaxImageBytes);
    EXPECT_TRUE(std::find(kAppendSegmentBytes.begin(), kAppendSegmentBytes.end(), image.append_segment_bytes) !=
                kAppendSegmentBytes.end());
    std::set<std::string> names;
    for (const ImageEntry& e : image.entries) {
      EXPECT_FALSE(e.name.empty());
      EXPECT_EQ(e.name.find('/'), std::string::npos) << e.name;
      EXPECT_EQ(e.name.find('\0'), std::string::npos) << e.name;
      EXPECT_NE(e.name, ".");
      EXPECT_NE(e.name, "..");
      EXPECT_LE(e.name.size(), kMaxOtherNameBytes + 4) << e.name;  // an other name and ".wal" is the longest
      EXPECT_TRUE(names.insert(e.name).second) << "duplicate " << e.name;
      if (e.directory) {
        EXPECT_TRUE(e.contents.empty());
      }
    }
    vfs::SimVfs sim;
    ASSERT_TRUE(WriteDirectoryImage(sim, "/a/wal", image).ok());
    auto back = ReadDirectoryImage(sim, "/a/wal");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    std::vector<std::string> want(names.begin(), names.end());
    EXPECT_EQ(Names(*back), want);  // listing order is sorted
  }
}

TEST(DirectoryImageTest, EachNameKindGivesItsName) {
  std::string b = Header(8, 0, 0, 2);
  b += '\x00';  // next segment: seq 0
  PutU64(b, 0x10);
  b += kEmptyRaw;
  b += '\x07';  // next segment (kind 7): seq 1
  PutU64(b, 0x20);
  b += kEmptyRaw;
  b += '\x01';  // explicit segment
  PutU64(b, 5);
  PutU64(b, 6);
  b += kEmptyRaw;
  b += '\x00';  // next segment after an explicit one: seq 6
  PutU64(b, 7);
  b += kEmptyRaw;
  b += '\x02';  // near-valid, form 1: short hex
  b += '\x01';
  PutU64(b, 0xa);
  PutU64(b, 0xb);
  b += kEmptyRaw;
  b += '\x03';  // temp
  b += '\x01';
  b += kEmptyRaw;
  b += '\x04';  // Repair's backup
  PutU64(b, 1);
  PutU64(b, 2);
  b += kEmptyRaw;
  b += '\x06';  // other, ending ".wal": 3 bytes, '/' mapped into the alphabet
  b += '\x02';
  b += "a/b";
  b += kEmptyRaw;
  const DirectoryImage image = Decode(b);
  EXPECT_EQ(Names(image), (std::vector<std::string>{
                              "0000000000000000-0000000000000010.wal", "0000000000000001-0000000000000020.wal",
                              "0000000000000005-0000000000000006.wal", "0000000000000006-0000000000000007.wal",
                              "a-b.wal", "1.tmp", "0000000000000001-0000000000000002.wal.broken", "avb.wal"}));
  EXPECT_EQ(image.append_segment_bytes, kAppendSegmentBytes[2]);
  EXPECT_EQ(Decode(EncodeDirectoryImage(image)), image);
}

TEST(DirectoryImageTest, ANameOfDotsOnlyIsNeverDotOrDotDot) {
  std::string b = Header(2);
  b += '\x05';
  b += '\x01';
  b += "..";
  b += kEmptyRaw;
  b += '\x05';
  b += '\x00';
  b += ".";
  b += kEmptyRaw;
  EXPECT_EQ(Names(Decode(b)), (std::vector<std::string>{"x.", "x"}));
}

TEST(DirectoryImageTest, ALaterEntryWhoseNameIsTakenIsDropped) {
  std::string b = Header(3);
  for (std::string_view contents : {"first", "other"}) {
    b += '\x01';
    PutU64(b, 1);
    PutU64(b, 1);
    b += std::string{5, 0, 0, 0};  // u32 length 5
    b += contents;
    PutU16(b, 0);
  }
  b += '\x13';  // temp "0.tmp" as a directory (content kind 2)
  b += '\x00';
  const DirectoryImage image = Decode(b);
  ASSERT_EQ(image.entries.size(), 2u);
  EXPECT_EQ(image.entries[0].contents, "first");
  EXPECT_EQ(image.entries[1], (ImageEntry{"0.tmp", true, ""}));
}

TEST(DirectoryImageTest, ContentsStopAtTheBudgetAndEntriesAtEight) {
  DirectoryImage big;
  for (int i = 0; i < 10; ++i) {
    big.entries.push_back(ImageEntry{etcd::WalName(static_cast<uint64_t>(i), 0), false, RandomBytes(
                                                                                          static_cast<uint64_t>(i), 100000)});
  }
  const DirectoryImage image = Decode(EncodeDirectoryImage(big));
  ASSERT_EQ(image.entries.size(), kMaxImageEntries);
  EXPECT_EQ(image.total_bytes(), kMaxImageBytes);
  EXPECT_EQ(image.entries[0], big.entries[0]);
  EXPECT_EQ(image.entries[1], big.entries[1]);
  EXPECT_EQ(image.entries[2].contents, big.entries[2].contents.substr(0, kMaxImageBytes - 200000));
  EXPECT_TRUE(image.entries[7].contents.empty());

  // A declared length past the budget is cut there too.
  std::string b = Header(1);
  b += '\x01';
  PutU64(b, 0);
  PutU64(b, 0);
  b += std::string("\xff\xff\xff\x7f", 4);
  b += std::string(kMaxImageBytes + 100, 'z');
  EXPECT_EQ(Decode(b).total_bytes(), kMaxImageBytes);
}

// Records kind: two segments, chained across the files.
std::string TwoChainedSegments(bool break_last_crc) {
  std::string b = Header(2, 0, 0);
  b += '\x08';  // next segment, records
  PutU64(b, 0);
  b += '\x01';  // the chain continues (from 0)
  b += '\x06';  // six records
  b += '\x04';  // CRC
  b += '\x03';  // metadata "m"
  PutU16(b, 1);
  b += 'm';
  b += '\x05';  // snapshot {0, 0}, no conf_state
  PutU64(b, 0);
  PutU64(b, 0);
  PutU16(b, 0);
  b += '\x00';  // entry: type 0, term 1, index 1, "a"
  b += '\x00';
  PutU64(b, 1);
  PutU64(b, 1);
  PutU16(b, 1);
  b += 'a';
  b += '\x11';  // next entry "bb", in a legacy unpadded frame
  PutU16(b, 2);
  b += "bb";
  b += '\x02';  // hard state {1, 1, 2}
  PutU64(b, 1);
  PutU64(b, 1);
  PutU64(b, 2);
  PutU16(b, 0);  // no tail
  PutU16(b, 2);  // 1 KiB of zeros
  b += '\x08';   // next segment (seq 1, first index 3), records
  PutU64(b, 3);
  b += '\x01';
  b += '\x03';
  b += '\x04';  // CRC: carries the running value of segment 0
  b += '\x03';
  PutU16(b, 1);
  b += 'm';
  b += break_last_crc ? '\x09' : '\x01';  // next entry "c" (its CRC off by one)
  PutU16(b, 1);
  b += 'c';
  PutU16(b, 0);
  PutU16(b, 1);
  return b;
}

TEST(DirectoryImageTest, TheRecordsKindWritesSegmentsTheEngineReads) {
  const DirectoryImage image = Decode(TwoChainedSegments(false));
  ASSERT_EQ(image.entries.size(), 2u);
  const std::string& first = image.entries[0].contents;
  ASSERT_GT(first.size(), 1024u);
  EXPECT_EQ(first.substr(first.size() - 1024), std::string(1024, '\0'));
  vfs::SimVfs sim;
  ASSERT_TRUE(WriteDirectoryImage(sim, "/wal", image).ok());
  etcd::WalOptions o;
  o.background_threads = false;
  auto w = etcd::Wal::OpenForRead(sim, "/wal", {}, o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto read = (*w)->ReadAll();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->metadata, "m");
  EXPECT_EQ(read->state, (etcd::HardState{1, 1, 2}));
  ASSERT_EQ(read->entries.size(), 3u);
  EXPECT_EQ(read->entries[0], (etcd::Entry{1, 1, 0, "a"}));
  EXPECT_EQ(read->entries[1], (etcd::Entry{1, 2, 0, "bb"}));
  EXPECT_EQ(read->entries[2], (etcd::Entry{1, 3, 0, "c"}));
  auto verified = etcd::Verify(sim, "/wal", {}, o);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, (etcd::HardState{1, 1, 2}));
  EXPECT_EQ(Decode(EncodeDirectoryImage(image)), image);
}

TEST(DirectoryImageTest, TheOffByOneBitBreaksTheRecordsCrc) {
  const DirectoryImage image = Decode(TwoChainedSegments(true));
  vfs::SimVfs sim;
  ASSERT_TRUE(WriteDirectoryImage(sim, "/wal", image).ok());
  etcd::WalOptions o;
  o.background_threads = false;
  auto w = etcd::Wal::Open(sim, "/wal", {}, o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto read = (*w)->ReadAll();
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(etcd::WalErrorOf(read.status()), etcd::WalError::kRecordCrcMismatch) << read.status().ToString();
}

TEST(DirectoryImageTest, EngineWrittenDirectoriesEncodeAsRecordsAndRoundTrip) {
  vfs::SimVfs sim;
  etcd::WalOptions o;
  o.background_threads = false;
  o.segment_size_bytes = 1024;
  auto w = etcd::Wal::Create(sim, "/wal", "meta", o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (uint64_t i = 1; i <= 30; ++i) {
    ASSERT_TRUE((*w)->Save({1, 1, i}, {etcd::Entry{1, i, 0, RandomBytes(i, 40)}}).ok());
  }
  ASSERT_TRUE((*w)->Close().ok());
  auto image = ReadDirectoryImage(sim, "/wal");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_GE(image->entries.size(), 3u);
  image->snapshot_index = 7;
  image->snapshot_term = 1;
  const std::string bytes = EncodeDirectoryImage(*image);
  EXPECT_EQ(Decode(bytes), *image);
  // Each segment is given as records (content kind 1) under a next-segment
  // name (kind 0): K is 0x08 for the first, after the 18-byte header.
  ASSERT_GT(bytes.size(), 18u);
  EXPECT_EQ(bytes[18], '\x08') << "the records kind was not used";
  EXPECT_LT(bytes.size(), image->total_bytes());
}

TEST(DirectoryImageTest, InteropCasesRoundTripAndReadBackAsOnDisk) {
  const fs::path root = InteropDir();
  ASSERT_TRUE(fs::is_directory(root)) << root << " is missing (set WALCRASH_SHARED_INTEROP_DIR)";
  size_t cases = 0;
  for (const fs::directory_entry& c : fs::directory_iterator(root)) {
    const fs::path wal = c.path() / "wal";
    if (!fs::is_directory(wal)) continue;
    ++cases;
    SCOPED_TRACE(c.path().filename().string());
    vfs::PosixVfs posix;
    auto image = ReadDirectoryImage(posix, wal.string());
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    ASSERT_LE(image->entries.size(), kMaxImageEntries);
    ASSERT_LE(image->total_bytes(), kMaxImageBytes);
    const std::string bytes = EncodeDirectoryImage(*image);
    const DirectoryImage back = Decode(bytes);
    ASSERT_EQ(back, *image);
    EXPECT_LT(bytes.size(), image->total_bytes()) << "zeros and records were not compressed";

    vfs::SimVfs sim;
    ASSERT_TRUE(WriteDirectoryImage(sim, "/wal", back).ok());
    etcd::WalOptions o;
    o.background_threads = false;
    auto on_disk = etcd::Wal::OpenForRead(posix, wal.string(), {}, o);
    auto in_sim = etcd::Wal::OpenForRead(sim, "/wal", {}, o);
    ASSERT_TRUE(on_disk.ok() && in_sim.ok());
    etcd::ReadResult disk_read, sim_read;
    const Status disk_status = (*on_disk)->ReadAll(&disk_read);
    const Status sim_status = (*in_sim)->ReadAll(&sim_read);
    EXPECT_EQ(sim_status.ok(), disk_status.ok()) << sim_status.ToString() << " vs " << disk_status.ToString();
    EXPECT_EQ(etcd::WalErrorOf(sim_status), etcd::WalErrorOf(disk_status));
    EXPECT_EQ(sim_read.metadata, disk_read.metadata);
    EXPECT_EQ(sim_read.state, disk_read.state);
    EXPECT_EQ(sim_read.entries, disk_read.entries);
    EXPECT_FALSE(disk_read.entries.empty() && disk_status.ok());
  }
  EXPECT_GE(cases, 4u);
}

}  // namespace
}  // namespace walcrash::fuzz
