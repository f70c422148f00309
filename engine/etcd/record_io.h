// Frames on disk, and the encoder and decoder that write and read them.
//
//   +----------------------+--------------------------+-----------+
//   | lenField: u64 LE     | walpb.Record (n bytes)   | pad zeros |
//   +----------------------+--------------------------+-----------+
//   lenField = n | (pad ? (0x80 | pad) << 56 : 0),  pad = (8 - n % 8) % 8
//
// Legacy unpadded frames (top byte 0) decode. A lenField of 0, or the end of
// the file at a frame boundary, ends a segment (preallocated space reads as
// zeros); 1–7 trailing bytes are a short read (unexpected EOF).
//
// CRC chain: the encoder and decoder keep a running CRC-32C R. Every record
// but a CRC record extends R with its data and carries R; a CRC record carries
// R without changing it. The encoder of a new segment starts from the previous
// segment's R.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/etcd/walpb.h"
#include "vfs/vfs.h"

namespace walcrash::etcd {

inline constexpr size_t kFrameSizeBytes = 8;
inline constexpr uint64_t kMinSectorSize = 512;
inline constexpr size_t kPageBytes = 4096;
inline constexpr size_t kPageWriterBufferBytes = 128 * 1024;

uint64_t EncodeFrameSize(uint64_t data_bytes, uint64_t* pad_bytes);
void DecodeFrameSize(uint64_t len_field, uint64_t* rec_bytes, uint64_t* pad_bytes);

// etcd's PageWriter: buffers writes and hands the file whole pages aligned to
// file offsets, so a torn write can only tear at sector boundaries. Data is
// in the file (not durable) after Flush, or when the buffer overflows.
class PageWriter {
 public:
  // Writes go to `file` from `offset` (the current end of valid data).
  PageWriter(vfs::File* file, uint64_t offset);
  Status Write(std::string_view bytes);
  // Writes the parts one after another, exactly as Write(their
  // concatenation) would, file calls included; when they fit in the buffer
  // (the common case) without concatenating them first.
  Status Write(std::initializer_list<std::string_view> parts);
  Status Flush();
  // The file offset the flushed data reaches (etcd's "OS file offset").
  uint64_t file_offset() const { return file_offset_; }
  size_t buffered() const { return buffered_.size(); }

 private:
  Status WriteThrough(std::string_view bytes);
  vfs::File* file_;
  uint64_t file_offset_;
  size_t page_offset_;  // (file offset of the buffer's start) % kPageBytes
  std::string buffered_;
  std::string joined_;  // reused: parts joined when they overflow the buffer
};

class Encoder {
 public:
  Encoder(vfs::File* file, uint64_t offset, uint32_t prev_crc);
  // Sets record.crc (chaining) and buffers its frame.
  Status Encode(Record& record);
  // The same without a Record: frames `data` (nullopt: a CRC record, which
  // carries the running CRC without extending it) as a record of `type`.
  Status Encode(RecordType type, std::optional<std::string_view> data);
  // An entry record. The hot path of Save: the entry's head and the frame's
  // head are built on the stack and go to the page buffer with the caller's
  // data, so a steady stream of entries allocates and copies nothing else.
  Status EncodeEntry(const Entry& entry);
  Status Flush() { return writer_.Flush(); }
  uint32_t crc() const { return crc_; }
  uint64_t file_offset() const { return writer_.file_offset(); }
  vfs::File* file() const { return file_; }

 private:
  vfs::File* file_;
  // Frames a record whose data (when has_data) is data_head then data, and
  // whose CRC is already in crc_.
  Status WriteFrame(RecordType type, bool has_data, std::string_view data_head, std::string_view data);

  PageWriter writer_;
  uint32_t crc_;
};

// How the decoder tells a torn tail from corruption; the two known-bug
// switches of WalOptions flip it.
struct DecoderPolicy {
  bool torn_tail_as_corruption = false;  // never call a tail torn
  bool corruption_as_torn_tail = false;  // call every bad record torn
};

// Reads records from a sequence of segment files, as etcd's decoder does.
class Decoder {
 public:
  struct Segment {
    vfs::File* file;  // not owned; read with ReadAt
    uint64_t size;    // at open (bounds every record, so no length field can make it allocate more)
    std::string name;
  };
  Decoder(std::vector<Segment> segments, DecoderPolicy policy = {});

  // Decodes the next record: true with `record` set, false at the clean end
  // of the last segment, or an error: kUnexpectedEOF for a short or torn
  // tail, kRecordCrcMismatch, kBadRecord.
  Result<bool> Decode(Record& record);
  // The same without copying: record.data points into the decoder's
  // read-ahead buffer and is valid until the next call.
  Result<bool> DecodeView(RecordView& record);

  uint32_t crc() const { return crc_; }
  void UpdateCrc(uint32_t prev_crc) { crc_ = prev_crc; }
  // A CRC record (each segment's head) must carry the running CRC, unless
  // that is 0 (a fresh decoder has nothing to check it against); then it
  // becomes the running CRC. kCrcMismatch, naming the segment, otherwise.
  Status ChainCrcRecord(uint32_t carried_crc);
  Status ChainCrcRecord(const Record& crc_record) { return ChainCrcRecord(crc_record.crc); }
  // The offset just past the last valid record in the current segment.
  uint64_t last_offset() const { return last_valid_offset_; }
  // Index into segments of the one being read (size() once all are done).
  size_t segment_index() const { return current_; }

 private:
  // Up to n bytes at `offset` of the current segment (fewer at its end, as
  // bounded by its size at open), from the read-ahead buffer, refilled when
  // the range is not in it. Valid until the next call.
  Result<std::string_view> Window(uint64_t offset, size_t n);
  bool IsTornEntry(std::string_view data) const;
  Status UnexpectedEOF(std::string_view detail) const;

  std::vector<Segment> segments_;
  DecoderPolicy policy_;
  size_t current_ = 0;
  uint64_t last_valid_offset_ = 0;
  uint32_t crc_ = 0;
  std::string buffer_;  // read-ahead of the current segment
  uint64_t buffer_offset_ = 0;
};

}  // namespace walcrash::etcd
