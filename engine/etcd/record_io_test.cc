// Frames, the page writer, the encoder and the decoder (record_io.h):
// etcd's record_test.go (TestReadRecord, TestWriteRecord), the frame rules of
// wal-spec.md §1, the decoder limits of §2 and the PageWriter tests.
#include "engine/etcd/record_io.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/crc32c.h"
#include "engine/etcd/wal_test_util.h"
#include "vfs/sim_vfs.h"

namespace walcrash::etcd {
namespace {

using testing::HasWalError;
using testing::Hex;
using testing::Unhex;
using testing::LengthPastEndVector;

std::string LenField(uint64_t v) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &v, 8);
  return out;
}

// A decoder over files holding `contents`, one segment each.
class Files {
 public:
  explicit Files(const std::vector<std::string>& contents, DecoderPolicy policy = {}) {
    std::vector<Decoder::Segment> segments;
    for (size_t i = 0; i < contents.size(); ++i) {
      std::string path = "/seg" + std::to_string(i);
      EXPECT_OK(vfs::WriteWholeFile(vfs_, path, contents[i]));
      auto f = vfs_.Open(path, vfs::kRead);
      EXPECT_TRUE(f.ok());
      files_.push_back(std::move(f).value());
      segments.push_back({files_.back().get(), contents[i].size(), path});
    }
    decoder_ = std::make_unique<Decoder>(std::move(segments), policy);
  }
  Decoder& decoder() { return *decoder_; }
  // Decodes one record (handling CRC records as ReadAll does).
  Result<bool> Next(Record& rec) {
    auto r = decoder_->Decode(rec);
    if (r.ok() && *r && rec.type == static_cast<int64_t>(RecordType::kCrc)) decoder_->UpdateCrc(rec.crc);
    return r;
  }

 private:
  vfs::SimVfs vfs_;
  std::vector<std::unique_ptr<vfs::File>> files_;
  std::unique_ptr<Decoder> decoder_;
};

// Encodes `records` from `prev_crc` into a fresh file and returns its bytes.
std::string EncodeAll(std::vector<Record> records, uint32_t prev_crc = 0, uint32_t* crc_out = nullptr) {
  vfs::SimVfs vfs;
  auto f = vfs.Open("/enc", vfs::kRead | vfs::kWrite | vfs::kCreate);
  EXPECT_TRUE(f.ok());
  Encoder enc(f->get(), 0, prev_crc);
  for (Record& r : records) EXPECT_OK(enc.Encode(r));
  EXPECT_OK(enc.Flush());
  if (crc_out) *crc_out = enc.crc();
  return *vfs::ReadWholeFile(vfs, "/enc");
}

Record Rec(RecordType t, std::optional<std::string> data) { return Record{static_cast<int64_t>(t), 0, std::move(data)}; }
Record CrcRec(uint32_t crc) { return Record{static_cast<int64_t>(RecordType::kCrc), crc, std::nullopt}; }

// record_test.go's vector: a legacy unpadded frame (lenField 14, top byte 0).
const std::string kInfoData = Unhex("08effd02");
const std::string kInfoRecord = Unhex("0e00000000000000" "0801" "1099b5e4d003" "1a04") + kInfoData;

// --- frame sizes -------------------------------------------------------------------

TEST(FrameSizeTest, PadsToEightBytesAndFlagsThePadInTheTopByte) {
  for (uint64_t n = 0; n <= 64; ++n) {
    uint64_t pad = 99;
    uint64_t len_field = EncodeFrameSize(n, &pad);
    EXPECT_EQ(pad, (8 - n % 8) % 8) << n;
    EXPECT_EQ((n + pad) % 8, 0u) << n;
    EXPECT_EQ(len_field & 0x00ffffffffffffffull, n) << n;
    EXPECT_EQ(len_field >> 56, pad == 0 ? 0u : (0x80u | pad)) << n;
  }
}

TEST(FrameSizeTest, MatchesTheLengthFieldsOfTheGoldenVector) {
  uint64_t pad = 0;
  EXPECT_EQ(EncodeFrameSize(4, &pad), 0x8400000000000004ull);   // CRC record
  EXPECT_EQ(pad, 4u);
  EXPECT_EQ(EncodeFrameSize(18, &pad), 0x8600000000000012ull);  // META "somedata"
  EXPECT_EQ(pad, 6u);
  EXPECT_EQ(EncodeFrameSize(14, &pad), 0x820000000000000eull);  // SNAP {0,0}
  EXPECT_EQ(pad, 2u);
  EXPECT_EQ(EncodeFrameSize(16, &pad), 16u);
  EXPECT_EQ(pad, 0u);
}

TEST(FrameSizeTest, DecodeInvertsEncode) {
  for (uint64_t n : {0ull, 1ull, 7ull, 8ull, 9ull, 4095ull, 1ull << 40, (1ull << 56) - 1}) {
    uint64_t pad = 0, rec = 0, got_pad = 0;
    DecodeFrameSize(EncodeFrameSize(n, &pad), &rec, &got_pad);
    EXPECT_EQ(rec, n);
    EXPECT_EQ(got_pad, pad);
  }
}

TEST(FrameSizeTest, ALegacyUnpaddedFrameHasNoPadAndItsTopByteIsNotPartOfTheLength) {
  uint64_t rec = 0, pad = 0;
  DecodeFrameSize(14, &rec, &pad);
  EXPECT_EQ(rec, 14u);
  EXPECT_EQ(pad, 0u);
  // Without bit 63 the low bits of the top byte are not a pad count.
  DecodeFrameSize((uint64_t{0x05} << 56) | 10, &rec, &pad);
  EXPECT_EQ(rec, 10u);
  EXPECT_EQ(pad, 0u);
}

// --- TestReadRecord ---------------------------------------------------------------

TEST(RecordReadTest, TheFullVectorDecodesToItsRecordThenEOF) {
  Files files({kInfoRecord});
  Record rec;
  auto r = files.decoder().Decode(rec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(*r);
  EXPECT_EQ(rec.type, 1);
  EXPECT_EQ(rec.crc, crc32c::Value(kInfoData));
  EXPECT_EQ(rec.data, std::optional<std::string>(kInfoData));
  auto end = files.decoder().Decode(rec);
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  EXPECT_FALSE(*end);
  EXPECT_EQ(files.decoder().last_offset(), kInfoRecord.size());
}

TEST(RecordReadTest, EmptyInputIsEOF) {
  Files files({""});
  Record rec;
  auto r = files.decoder().Decode(rec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(*r);
}

TEST(RecordReadTest, TruncatedInputIsUnexpectedEOF) {
  for (size_t n : {size_t{14}, kInfoRecord.size() - kInfoData.size(), kInfoRecord.size() - 8, size_t{1},
                   size_t{7}, kInfoRecord.size() - 1}) {
    Files files({kInfoRecord.substr(0, n)});
    Record rec;
    EXPECT_WAL_ERROR(files.decoder().Decode(rec), WalError::kUnexpectedEOF) << n << " bytes";
  }
}

TEST(RecordReadTest, AFlippedDataByteIsAWalpbCrcMismatch) {
  std::string bad = kInfoRecord;
  bad.back() = 'a';
  Files files({bad});
  Record rec;
  auto r = files.decoder().Decode(rec);
  EXPECT_WAL_ERROR(r, WalError::kRecordCrcMismatch);
  EXPECT_EQ(r.status().message().substr(0, 19), "walpb: crc mismatch");
}

// --- TestWriteRecord --------------------------------------------------------------

TEST(RecordWriteTest, ARecordOfAnyTypeRoundTripsThroughEncoderAndDecoder) {
  std::string bytes = EncodeAll({Record{0xABCD, 0, std::string("Hello world!")}});
  Files files({bytes});
  Record rec;
  auto r = files.decoder().Decode(rec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(*r);
  EXPECT_EQ(rec.type, 0xABCD);
  EXPECT_EQ(rec.data, std::optional<std::string>("Hello world!"));
}

// --- the encoder ------------------------------------------------------------------

TEST(EncoderTest, WritesTheGoldenBytesOfANewSegmentZero) {
  std::string bytes = EncodeAll({CrcRec(0), Rec(RecordType::kMetadata, "somedata"),
                                 Rec(RecordType::kSnapshot, EncodeSnapshot(SnapshotRecord{}))});
  EXPECT_EQ(Hex(bytes),
            "0400000000000084" "0804100000000000"
            "1200000000000086" "08011085d4fda0071a08736f6d6564617461" "000000000000"
            "0e00000000000082" "08051080db81c1011a0408001000" "0000");
}

TEST(EncoderTest, ChainsTheCrcAcrossRecordsAndACrcRecordCarriesItUnchanged) {
  vfs::SimVfs vfs;
  auto f = vfs.Open("/enc", vfs::kRead | vfs::kWrite | vfs::kCreate);
  ASSERT_TRUE(f.ok());
  Encoder enc(f->get(), 0, 0x1234);
  Record crc = CrcRec(0);
  ASSERT_OK(enc.Encode(crc));
  EXPECT_EQ(crc.crc, 0x1234u);
  EXPECT_EQ(enc.crc(), 0x1234u);
  Record a = Rec(RecordType::kEntry, "a");
  ASSERT_OK(enc.Encode(a));
  EXPECT_EQ(a.crc, crc32c::Update(0x1234, vfs::AsBytes("a")));
  Record b = Rec(RecordType::kEntry, "bc");
  ASSERT_OK(enc.Encode(b));
  EXPECT_EQ(b.crc, crc32c::Update(a.crc, vfs::AsBytes("bc")));
  EXPECT_EQ(enc.crc(), b.crc);
  Record none = Rec(RecordType::kState, std::nullopt);  // no data: the chain does not move
  ASSERT_OK(enc.Encode(none));
  EXPECT_EQ(none.crc, b.crc);
}

TEST(EncoderTest, BuffersUntilFlushAndStartsAtTheGivenOffset) {
  vfs::SimVfs vfs;
  auto f = vfs.Open("/enc", vfs::kRead | vfs::kWrite | vfs::kCreate);
  ASSERT_TRUE(f.ok());
  ASSERT_OK((*f)->WriteAt(0, vfs::AsBytes(std::string(24, 'x'))));
  Encoder enc(f->get(), 24, 0);
  Record r = Rec(RecordType::kEntry, "data");
  ASSERT_OK(enc.Encode(r));
  EXPECT_EQ(*(*f)->Size(), 24u);
  EXPECT_EQ(enc.file_offset(), 24u);
  ASSERT_OK(enc.Flush());
  EXPECT_EQ(enc.file_offset(), 24u + 24u);
  std::string contents = *vfs::ReadWholeFile(vfs, "/enc");
  EXPECT_EQ(contents.substr(0, 24), std::string(24, 'x'));
  EXPECT_EQ(contents.size(), 48u);
}

// --- the decoder ------------------------------------------------------------------

TEST(DecoderTest, AZeroLengthFieldEndsASegmentAndDecodingGoesOnInTheNextWithTheChainedCrc) {
  uint32_t crc = 0;
  std::string a = EncodeAll({CrcRec(0), Rec(RecordType::kMetadata, "m"), Rec(RecordType::kEntry, "e1")}, 0, &crc);
  a += std::string(4096, '\0');  // preallocated space
  std::string b = EncodeAll({CrcRec(crc), Rec(RecordType::kMetadata, "m"), Rec(RecordType::kEntry, "e2")}, crc);
  Files files({a, b});
  std::vector<std::string> datas;
  Record rec;
  for (;;) {
    auto r = files.Next(rec);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (!*r) break;
    if (rec.type == static_cast<int64_t>(RecordType::kCrc)) {
      datas.push_back("crc");
      EXPECT_EQ(rec.crc, datas.size() == 1 ? 0u : crc);
    } else {
      datas.push_back(*rec.data);
    }
  }
  EXPECT_EQ(datas, (std::vector<std::string>{"crc", "m", "e1", "crc", "m", "e2"}));
  EXPECT_EQ(files.decoder().segment_index(), 2u);
}

TEST(DecoderTest, OneToSevenTrailingBytesAreUnexpectedEOF) {
  std::string good = EncodeAll({Rec(RecordType::kEntry, "x")});
  for (size_t n = 1; n <= 7; ++n) {
    for (char fill : {'\0', '\x11'}) {
      Files files({good + std::string(n, fill)});
      Record rec;
      auto first = files.decoder().Decode(rec);
      ASSERT_TRUE(first.ok() && *first);
      EXPECT_WAL_ERROR(files.decoder().Decode(rec), WalError::kUnexpectedEOF) << n << " trailing bytes";
    }
  }
}

TEST(DecoderTest, AHugeLengthFieldIsUnexpectedEOFWithoutAllocating) {
  for (uint64_t len_field : {uint64_t{1} << 55, (uint64_t{1} << 56) - 1, (uint64_t{0x87} << 56) | (uint64_t{1} << 55),
                             uint64_t{1} << 40, uint64_t{0x7fffffffffffffff}}) {
    std::string file = LenField(len_field) + std::string(100, 'x');
    Files files({file});
    Record rec;
    auto start = std::chrono::steady_clock::now();
    auto r = files.decoder().Decode(rec);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_WAL_ERROR(r, WalError::kUnexpectedEOF) << std::hex << len_field;
    EXPECT_LT(took, std::chrono::seconds(1));
  }
}


TEST(DecoderTest, ALastRecordLongerThanTheRestOfTheFileIsUnexpectedEOFAfterTheGoodOnes) {
  Files files({LengthPastEndVector()});
  std::vector<std::string> datas;
  Record rec;
  Status end;
  for (;;) {
    auto r = files.Next(rec);
    if (!r.ok()) {
      end = r.error();
      break;
    }
    ASSERT_TRUE(*r) << "reached EOF; want unexpected EOF";
    if (rec.type == static_cast<int64_t>(RecordType::kEntry)) {
      auto e = DecodeEntry(*rec.data);
      ASSERT_TRUE(e.ok());
      EXPECT_EQ(e->data, "waldata" + std::to_string(e->index));
      datas.push_back(e->data);
    }
  }
  EXPECT_WAL_ERROR(end, WalError::kUnexpectedEOF);
  EXPECT_EQ(datas, (std::vector<std::string>{"waldata1", "waldata2"}));
}

// A record whose bytes hold a whole zero sector is torn (it never fully
// reached the disk), but only in the last segment; elsewhere it is corruption.
std::string TwoBigRecords() {
  std::string data(2000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(1 + i % 200);
  return EncodeAll({Rec(RecordType::kEntry, data), Rec(RecordType::kEntry, data)});
}

TEST(DecoderTest, AZeroSectorInTheLastSegmentsRecordIsATornTail) {
  std::string file = TwoBigRecords();
  // The second record spans about [2024, 4048); zero the whole sector
  // [2560, 3072) inside its data.
  std::memset(file.data() + 2560, 0, 512);
  Files files({file});
  Record rec;
  ASSERT_TRUE(*files.decoder().Decode(rec));
  uint64_t first_end = files.decoder().last_offset();
  EXPECT_WAL_ERROR(files.decoder().Decode(rec), WalError::kUnexpectedEOF);
  EXPECT_EQ(files.decoder().last_offset(), first_end);
}

TEST(DecoderTest, TheSameZeroSectorInAnEarlierSegmentIsACrcMismatch) {
  std::string file = TwoBigRecords();
  std::memset(file.data() + 2560, 0, 512);
  Files files({file, ""});
  Record rec;
  ASSERT_TRUE(*files.decoder().Decode(rec));
  EXPECT_WAL_ERROR(files.decoder().Decode(rec), WalError::kRecordCrcMismatch);
}

TEST(DecoderTest, NonZeroGarbageInTheLastRecordIsACrcMismatchNotATear) {
  std::string file = TwoBigRecords();
  file[2600] ^= 0x40;
  Files files({file});
  Record rec;
  ASSERT_TRUE(*files.decoder().Decode(rec));
  EXPECT_WAL_ERROR(files.decoder().Decode(rec), WalError::kRecordCrcMismatch);
}

TEST(DecoderTest, AZeroChunkSmallerThanASectorIsNotATear) {
  // Zeros that do not cover a whole sector-aligned chunk of the record
  // ([2560, 3000) inside the sector [2560, 3072)) are corruption.
  std::string file = TwoBigRecords();
  std::memset(file.data() + 2560, 0, 440);
  Files files({file});
  Record rec;
  ASSERT_TRUE(*files.decoder().Decode(rec));
  EXPECT_WAL_ERROR(files.decoder().Decode(rec), WalError::kRecordCrcMismatch);
}

TEST(DecoderTest, TheTornTailAsCorruptionPolicyNeverCallsATear) {
  std::string file = TwoBigRecords();
  std::memset(file.data() + 2560, 0, 512);
  Files files({file}, DecoderPolicy{.torn_tail_as_corruption = true});
  Record rec;
  ASSERT_TRUE(*files.decoder().Decode(rec));
  EXPECT_WAL_ERROR(files.decoder().Decode(rec), WalError::kRecordCrcMismatch);
}

TEST(DecoderTest, TheCorruptionAsTornTailPolicyCallsEveryBadRecordATear) {
  std::string file = TwoBigRecords();
  file[2600] ^= 0x40;
  Files files({file, ""}, DecoderPolicy{.corruption_as_torn_tail = true});
  Record rec;
  ASSERT_TRUE(*files.decoder().Decode(rec));
  EXPECT_WAL_ERROR(files.decoder().Decode(rec), WalError::kUnexpectedEOF);
}

TEST(DecoderTest, AnUndecodableRecordIsABadRecordUnlessTorn) {
  std::string body = Unhex("0b0000000000000000");  // wire type 3: not a valid walpb.Record
  std::string file = LenField(body.size() | (uint64_t{0x87} << 56)) + body + std::string(7, '\0');
  Files files({file});
  Record rec;
  EXPECT_WAL_ERROR(files.decoder().Decode(rec), WalError::kBadRecord);
}

// --- the page writer ----------------------------------------------------------------

TEST(PageWriterTest, HoldsSmallWritesInItsBufferUntilFlush) {
  vfs::SimVfs vfs;
  auto f = vfs.Open("/p", vfs::kRead | vfs::kWrite | vfs::kCreate);
  ASSERT_TRUE(f.ok());
  PageWriter w(f->get(), 0);
  ASSERT_OK(w.Write(std::string(1000, 'a')));
  ASSERT_OK(w.Write(std::string(1000, 'b')));
  EXPECT_EQ(w.buffered(), 2000u);
  EXPECT_EQ(*(*f)->Size(), 0u);
  ASSERT_OK(w.Flush());
  EXPECT_EQ(w.buffered(), 0u);
  EXPECT_EQ(w.file_offset(), 2000u);
  EXPECT_EQ(*vfs::ReadWholeFile(vfs, "/p"), std::string(1000, 'a') + std::string(1000, 'b'));
}

TEST(PageWriterTest, AnOverflowingWriteHandsTheFileWholePagesAlignedToFileOffsets) {
  vfs::SimVfs vfs;
  auto f = vfs.Open("/p", vfs::kRead | vfs::kWrite | vfs::kCreate);
  ASSERT_TRUE(f.ok());
  ASSERT_OK((*f)->WriteAt(0, vfs::AsBytes(std::string(100, 'h'))));
  uint64_t before = testing::LastSeq(vfs);
  PageWriter w(f->get(), 100);
  std::string big;
  for (size_t i = 0; i < 200 * 1024; ++i) big.push_back(static_cast<char>('a' + i % 26));
  ASSERT_OK(w.Write(big));
  // Everything but a tail shorter than a page reached the file, ending on a
  // page boundary.
  EXPECT_LT(w.buffered(), kPageBytes);
  EXPECT_EQ(w.file_offset() % kPageBytes, 0u);
  auto writes = testing::TraceSince(vfs, before);
  ASSERT_FALSE(writes.empty());
  uint64_t expected_at = 100;
  for (const auto& e : writes) {
    ASSERT_EQ(e.op, vfs::OpKind::kWrite) << e.ToString();
    uint64_t at = 0, len = 0;
    ASSERT_EQ(std::sscanf(e.detail.c_str(), "@%lu+%lu", &at, &len), 2) << e.detail;
    EXPECT_EQ(at, expected_at) << e.ToString();
    EXPECT_EQ((at + len) % kPageBytes, 0u) << "a write ends mid-page: " << e.ToString();
    expected_at = at + len;
  }
  ASSERT_OK(w.Flush());
  EXPECT_EQ(*vfs::ReadWholeFile(vfs, "/p"), std::string(100, 'h') + big);
}

TEST(PageWriterTest, AWriteThatCannotCompleteTheSlackPageStaysBuffered) {
  vfs::SimVfs vfs;
  auto f = vfs.Open("/p", vfs::kRead | vfs::kWrite | vfs::kCreate);
  ASSERT_TRUE(f.ok());
  PageWriter w(f->get(), 10);
  // Fill the buffer to just under its limit, so that the buffered data ends
  // 1 byte into a page (10 + n = 32 pages + 1): the slack page then needs
  // 4095 more bytes, more than the next write brings.
  const size_t n = kPageWriterBufferBytes - 9;
  ASSERT_OK(w.Write(std::string(n, 'a')));
  uint64_t before = testing::LastSeq(vfs);
  ASSERT_OK(w.Write(std::string(200, 'b')));  // overflows the limit, cannot fill the slack page
  EXPECT_TRUE(testing::TraceSince(vfs, before).empty());
  EXPECT_EQ(w.buffered(), n + 200);
  ASSERT_OK(w.Flush());
  EXPECT_EQ(*vfs::ReadWholeFile(vfs, "/p"), std::string(10, '\0') + std::string(n, 'a') + std::string(200, 'b'));
}

}  // namespace
}  // namespace walcrash::etcd
