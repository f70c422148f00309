#include "fuzz/tdengine_directory_image.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tdengine/wal_head.h"
#include "engine/tdengine/wal_name.h"
#include "fuzz/image_test_util.h"
#include "vfs/sim_vfs.h"

namespace walcrash::fuzz {
namespace {

namespace td = walcrash::tdengine;

TdDirectoryImage Decode(std::string_view bytes) {
  return DecodeTdDirectoryImage({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

using testing::RandomBytes;

std::vector<std::string> Garbage() { return testing::GarbageInputs('\x01'); }

TEST(TdDirectoryImage, TheEmptyInputIsAnEmptyDirectory) {
  const TdDirectoryImage image = Decode("");
  EXPECT_TRUE(image.entries.empty());
  EXPECT_FALSE(image.keep);
  EXPECT_EQ(EncodeTdDirectoryImage(image), std::string("\0\0", 2));
}

TEST(TdDirectoryImage, AnyBytesDecodeWithinBoundsToNamesAFileSystemTakes) {
  for (const std::string& bytes : Garbage()) {
    const TdDirectoryImage image = Decode(bytes);
    EXPECT_LE(image.entries.size(), kMaxTdImageEntries);
    EXPECT_LE(image.total_bytes(), kMaxTdImageBytes);
    std::set<std::string> names;
    for (const ImageEntry& e : image.entries) {
      EXPECT_FALSE(e.name.empty());
      EXPECT_EQ(e.name.find('/'), std::string::npos) << e.name;
      EXPECT_EQ(e.name.find('\0'), std::string::npos);
      EXPECT_NE(e.name, ".");
      EXPECT_NE(e.name, "..");
      EXPECT_TRUE(names.insert(e.name).second) << e.name;
      if (e.directory) {
        EXPECT_TRUE(e.contents.empty());
      }
    }
    vfs::SimVfs fs;
    EXPECT_TRUE(WriteDirectoryImage(fs, "/wal", image.AsDirectoryImage()).ok());
  }
}

TEST(TdDirectoryImage, EncodeInvertsDecode) {
  for (const std::string& bytes : Garbage()) {
    const TdDirectoryImage image = Decode(bytes);
    const TdDirectoryImage back = Decode(EncodeTdDirectoryImage(image));
    EXPECT_TRUE(back == image) << image.entries.size() << " entries, " << image.total_bytes() << " bytes";
    for (size_t i = 0; i < image.entries.size() && i < back.entries.size() && !(back == image); ++i) {
      if (back.entries[i] == image.entries[i]) continue;
      ADD_FAILURE() << "entry " << i << " " << image.entries[i].name << " (" << image.entries[i].contents.size()
                    << " bytes) comes back as " << back.entries[i].name << " (" << back.entries[i].contents.size()
                    << " bytes)";
      break;
    }
  }
}

TEST(TdDirectoryImage, RecordsEncodeAsRecords) {
  TdDirectoryImage image;
  std::string wal1 = td::EncodeRecord(3, 1, TdPatternBody(100, 1)) + td::EncodeRecord(3, 2, "abc", 0) +
                     td::EncodeRecord(-1, 9, TdPatternBody(0, 9), 1) + td::EncodeRecord(3, 10, "x", 5) + "tail";
  image.entries.push_back({"wal1", false, wal1});
  image.entries.push_back({"wal2", false, td::EncodeRecord(3, 11, TdPatternBody(3000, 11)) + std::string(1024, '\0')});
  const std::string bytes = EncodeTdDirectoryImage(image);
  EXPECT_TRUE(Decode(bytes) == image);
  // Compact: pattern bodies and next versions cost a few bytes per record.
  EXPECT_LT(bytes.size(), 100u);
}

TEST(TdDirectoryImage, DamageIsWhatTheFormatSays) {
  // One entry: next file (wal1), records kind, 1 record: sver 2, damage
  // kind 5 (bad checksum, bit 3), body of 4 input bytes.
  std::string bytes{1, 0, 0x00, 1, static_cast<char>(5 << 2), 4, 0, 'a', 'b', 'c', 'd', 3};
  bytes += std::string{0, 0, 0};  // no tail, no zeros
  const TdDirectoryImage image = Decode(bytes);
  ASSERT_EQ(image.entries.size(), 1u);
  EXPECT_EQ(image.entries[0].name, "wal1");
  std::string want = td::EncodeRecord(3, 1, "abcd");
  want[20] = static_cast<char>(want[20] ^ 0x08);
  EXPECT_EQ(image.entries[0].contents, want);
}

TEST(TdDirectoryImage, NearValidNamesReadAsTheHeaderSays) {
  EXPECT_EQ(td::ParseIdLikeTDengine(TdNearValidName(0, 7)), 7);   // wal07
  EXPECT_EQ(td::ParseIdLikeTDengine(TdNearValidName(1, 3)), 3);   // wal3x
  EXPECT_EQ(td::ParseIdLikeTDengine(TdNearValidName(2, 1)), -1);  // wal-1
  EXPECT_EQ(td::ParseIdLikeTDengine(TdNearValidName(3, 0)), 0);   // walx
  EXPECT_EQ(td::ParseIdLikeTDengine(TdNearValidName(9, 0)), INT64_MAX);
  EXPECT_EQ(td::ParseIdLikeTDengine(TdNearValidName(10, 0)), INT64_MIN);
  EXPECT_EQ(td::ParseIdLikeTDengine(TdNearValidName(11, 5)), 1'000'000'000'000'000'005);
  EXPECT_EQ(td::FileName(1'000'000'000'000'000'005), TdNearValidName(11, 5));
  EXPECT_FALSE(td::ParseIdLikeTDengine(TdNearValidName(7, 2)).has_value());  // WAL2
}

}  // namespace
}  // namespace walcrash::fuzz
