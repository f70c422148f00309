#include "engine/etcd/record_io.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "engine/crc32c.h"
#include "engine/etcd/errors.h"

namespace walcrash::etcd {
namespace {

std::span<const std::byte> AsSpan(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

constexpr size_t kReadAhead = 1 << 20;

}  // namespace

uint64_t EncodeFrameSize(uint64_t data_bytes, uint64_t* pad_bytes) {
  uint64_t len_field = data_bytes;
  *pad_bytes = (8 - (data_bytes % 8)) % 8;
  if (*pad_bytes != 0) len_field |= (0x80 | *pad_bytes) << 56;
  return len_field;
}

void DecodeFrameSize(uint64_t len_field, uint64_t* rec_bytes, uint64_t* pad_bytes) {
  *rec_bytes = len_field & ~(uint64_t{0xff} << 56);
  *pad_bytes = (len_field >> 63) != 0 ? (len_field >> 56) & 0x7 : 0;
}

// --- PageWriter ---------------------------------------------------------------

PageWriter::PageWriter(vfs::File* file, uint64_t offset)
    : file_(file), file_offset_(offset), page_offset_(static_cast<size_t>(offset % kPageBytes)) {
  buffered_.reserve(kPageWriterBufferBytes);
}

Status PageWriter::WriteThrough(std::string_view bytes) {
  WALCRASH_RETURN_IF_ERROR(file_->WriteAt(file_offset_, AsSpan(bytes)));
  file_offset_ += bytes.size();
  return {};
}

Status PageWriter::Write(std::string_view p) {
  if (p.size() + buffered_.size() <= kPageWriterBufferBytes) {
    buffered_.append(p);
    return {};
  }
  // Complete the slack page in the buffer so what follows is page-aligned.
  size_t slack = kPageBytes - ((page_offset_ + buffered_.size()) % kPageBytes);
  if (slack != kPageBytes) {
    if (slack > p.size()) {
      buffered_.append(p);
      return {};
    }
    buffered_.append(p.substr(0, slack));
    p.remove_prefix(slack);
  }
  WALCRASH_RETURN_IF_ERROR(Flush());
  if (p.size() > kPageBytes) {  // whole pages go straight to the file
    size_t whole = p.size() / kPageBytes * kPageBytes;
    WALCRASH_RETURN_IF_ERROR(WriteThrough(p.substr(0, whole)));
    p.remove_prefix(whole);
  }
  return Write(p);  // the tail fits in the emptied buffer: no further recursion
}

Status PageWriter::Flush() {
  if (buffered_.empty()) return {};
  Status s = WriteThrough(buffered_);
  // etcd advances its page offset even when the write failed.
  page_offset_ = (page_offset_ + buffered_.size()) % kPageBytes;
  buffered_.clear();
  return s;
}

// --- Encoder ----------------------------------------------------------------------

Encoder::Encoder(vfs::File* file, uint64_t offset, uint32_t prev_crc)
    : file_(file), writer_(file, offset), crc_(prev_crc) {}

Status Encoder::Encode(Record& record) {
  if (record.data) crc_ = crc32c::Update(crc_, AsSpan(*record.data));
  record.crc = crc_;
  std::string body = EncodeRecord(record);
  uint64_t pad = 0;
  uint64_t len_field = EncodeFrameSize(body.size(), &pad);
  std::string frame(kFrameSizeBytes, '\0');
  std::memcpy(frame.data(), &len_field, 8);  // little-endian host
  frame += body;
  frame.append(static_cast<size_t>(pad), '\0');
  return writer_.Write(frame);
}

// --- Decoder ----------------------------------------------------------------------

Decoder::Decoder(std::vector<Segment> segments, DecoderPolicy policy)
    : segments_(std::move(segments)), policy_(policy) {}

Status Decoder::UnexpectedEOF(std::string_view detail) const {
  std::string path = current_ < segments_.size() ? segments_[current_].name : std::string();
  return MakeError(WalError::kUnexpectedEOF, path, detail);
}

// Reads up to n bytes at `offset` of the current segment (bounded by its size
// at open) into `out`; short_read is set when fewer than n were available.
Status Decoder::ReadAt(uint64_t offset, std::string& out, size_t n, bool& short_read) {
  const Segment& seg = segments_[current_];
  uint64_t available = offset < seg.size ? seg.size - offset : 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(n, available));
  short_read = want < n;
  out.resize(want);
  size_t done = 0;
  while (done < want) {
    uint64_t pos = offset + done;
    if (pos < buffer_offset_ || pos >= buffer_offset_ + buffer_.size()) {
      // Refill the read-ahead window at pos.
      size_t fill = static_cast<size_t>(std::min<uint64_t>(kReadAhead, seg.size - pos));
      buffer_.resize(fill);
      auto got = seg.file->ReadAt(pos, {reinterpret_cast<std::byte*>(buffer_.data()), fill});
      if (!got.ok()) return got.error();
      buffer_.resize(*got);
      buffer_offset_ = pos;
      if (*got == 0) {  // the file shrank under us
        out.resize(done);
        short_read = true;
        return {};
      }
    }
    size_t from = static_cast<size_t>(pos - buffer_offset_);
    size_t take = std::min(want - done, buffer_.size() - from);
    std::memcpy(out.data() + done, buffer_.data() + from, take);
    done += take;
  }
  return {};
}

bool Decoder::IsTornEntry(const std::string& data) const {
  if (policy_.torn_tail_as_corruption) return false;
  if (policy_.corruption_as_torn_tail) return true;
  if (current_ + 1 != segments_.size()) return false;  // only the last segment can have a torn tail
  // Split at absolute sector boundaries; a sector chunk of all zeros is a
  // sector that never reached the disk.
  uint64_t file_offset = last_valid_offset_ + kFrameSizeBytes;
  size_t at = 0;
  while (at < data.size()) {
    size_t chunk = static_cast<size_t>(kMinSectorSize - (file_offset % kMinSectorSize));
    chunk = std::min(chunk, data.size() - at);
    bool zero = std::all_of(data.begin() + static_cast<std::ptrdiff_t>(at),
                            data.begin() + static_cast<std::ptrdiff_t>(at + chunk), [](char c) { return c == 0; });
    if (zero) return true;
    file_offset += chunk;
    at += chunk;
  }
  return false;
}

Status Decoder::ChainCrcRecord(const Record& crc_record) {
  if (crc_ != 0 && crc_ != crc_record.crc) {
    std::string path = current_ < segments_.size() ? segments_[current_].name : std::string();
    return MakeError(WalError::kCrcMismatch, std::move(path));
  }
  crc_ = crc_record.crc;
  return {};
}

Result<bool> Decoder::Decode(Record& record) {
  // Bounded: each turn either returns or moves to the next segment.
  while (current_ < segments_.size()) {
    std::string header;
    bool short_read = false;
    WALCRASH_RETURN_IF_ERROR(ReadAt(last_valid_offset_, header, kFrameSizeBytes, short_read));
    uint64_t len_field = 0;
    if (!header.empty() && short_read) {
      return UnexpectedEOF(fmt::format("{} trailing bytes at offset {}", header.size(), last_valid_offset_));
    }
    if (!header.empty()) std::memcpy(&len_field, header.data(), 8);
    if (header.empty() || len_field == 0) {
      // End of this segment (or of its preallocated space): on to the next.
      ++current_;
      if (current_ == segments_.size()) return false;
      last_valid_offset_ = 0;
      buffer_.clear();
      buffer_offset_ = 0;
      continue;
    }
    uint64_t rec_bytes = 0, pad_bytes = 0;
    DecodeFrameSize(len_field, &rec_bytes, &pad_bytes);
    const Segment& seg = segments_[current_];
    // etcd 3.5.5+: a record must fit in what is left of the file.
    uint64_t left = seg.size > last_valid_offset_ + pad_bytes ? seg.size - last_valid_offset_ - pad_bytes : 0;
    if (rec_bytes > left) {
      return UnexpectedEOF(fmt::format(
          "[wal] max entry size limit exceeded when reading {}, recBytes: {}, fileSize({}) - offset({}) - "
          "padBytes({}) = entryLimit({})",
          seg.name, rec_bytes, seg.size, last_valid_offset_, pad_bytes, left));
    }
    std::string data;
    WALCRASH_RETURN_IF_ERROR(ReadAt(last_valid_offset_ + kFrameSizeBytes, data,
                                    static_cast<size_t>(rec_bytes + pad_bytes), short_read));
    if (short_read) return UnexpectedEOF(fmt::format("short record at offset {}", last_valid_offset_));
    auto decoded = DecodeRecord(std::string_view(data).substr(0, static_cast<size_t>(rec_bytes)));
    if (!decoded.ok()) {
      if (IsTornEntry(data)) return UnexpectedEOF(fmt::format("torn record at offset {}", last_valid_offset_));
      return MakeError(WalError::kBadRecord, seg.name,
                       fmt::format("at offset {}: {}", last_valid_offset_, decoded.error().message()));
    }
    record = std::move(decoded).value();
    if (record.type != static_cast<int64_t>(RecordType::kCrc)) {
      uint32_t crc = crc_;
      if (record.data) crc = crc32c::Update(crc, AsSpan(*record.data));
      if (crc != record.crc) {
        if (IsTornEntry(data)) return UnexpectedEOF(fmt::format("torn record at offset {}", last_valid_offset_));
        return MakeError(WalError::kRecordCrcMismatch, seg.name,
                         fmt::format("record at offset {} carries {:08x}, chain gives {:08x}", last_valid_offset_,
                                     record.crc, crc))
            .WithSubcode(static_cast<uint16_t>(WalError::kRecordCrcMismatch));
      }
      crc_ = crc;
    }
    last_valid_offset_ += kFrameSizeBytes + rec_bytes + pad_bytes;
    return true;
  }
  return false;
}

}  // namespace walcrash::etcd
