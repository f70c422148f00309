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

Status PageWriter::Write(std::initializer_list<std::string_view> parts) {
  size_t total = 0;
  for (std::string_view part : parts) total += part.size();
  if (total + buffered_.size() <= kPageWriterBufferBytes) {
    for (std::string_view part : parts) buffered_.append(part);
    return {};
  }
  joined_.clear();
  for (std::string_view part : parts) joined_.append(part);
  return Write(joined_);
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

Status Encoder::WriteFrame(RecordType type, bool has_data, std::string_view data_head, std::string_view data) {
  // Frame: the length field, the record (its head, then its data), zeros to
  // the next 8-byte boundary.
  const uint64_t data_bytes = data_head.size() + data.size();
  char head[kFrameSizeBytes + kMaxHeadBytes];
  const size_t head_bytes =
      EncodeRecordHead(static_cast<int64_t>(type), crc_, has_data ? std::optional(data_bytes) : std::nullopt,
                       head + kFrameSizeBytes);
  uint64_t pad = 0;
  const uint64_t len_field = EncodeFrameSize(head_bytes + data_bytes, &pad);
  std::memcpy(head, &len_field, kFrameSizeBytes);  // little-endian host
  static constexpr char kZeros[kFrameSizeBytes] = {};
  return writer_.Write({std::string_view(head, kFrameSizeBytes + head_bytes), data_head, data,
                        std::string_view(kZeros, static_cast<size_t>(pad))});
}

Status Encoder::Encode(RecordType type, std::optional<std::string_view> data) {
  if (!data) return WriteFrame(type, false, {}, {});
  crc_ = crc32c::Update(crc_, AsSpan(*data));
  return WriteFrame(type, true, {}, *data);
}

Status Encoder::Encode(Record& record) {
  Status s = Encode(static_cast<RecordType>(record.type),
                    record.data ? std::optional<std::string_view>(*record.data) : std::nullopt);
  record.crc = crc_;
  return s;
}

Status Encoder::EncodeEntry(const Entry& entry) {
  // The record's data is the entry's encoding: its head, then its data
  // bytes, taken from the caller's Entry without an intermediate copy.
  char head[kMaxHeadBytes];
  const std::string_view entry_head(head, EncodeEntryHead(entry, head));
  crc_ = crc32c::Update(crc_, AsSpan(entry_head));
  crc_ = crc32c::Update(crc_, AsSpan(entry.data));
  return WriteFrame(RecordType::kEntry, true, entry_head, entry.data);
}

// --- Decoder ----------------------------------------------------------------------

Decoder::Decoder(std::vector<Segment> segments, DecoderPolicy policy)
    : segments_(std::move(segments)), policy_(policy) {}

Status Decoder::UnexpectedEOF(std::string_view detail) const {
  std::string path = current_ < segments_.size() ? segments_[current_].name : std::string();
  return MakeError(WalError::kUnexpectedEOF, path, detail);
}

Result<std::string_view> Decoder::Window(uint64_t offset, size_t n) {
  const Segment& seg = segments_[current_];
  const uint64_t available = offset < seg.size ? seg.size - offset : 0;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(n, available));
  if (want == 0) return std::string_view();
  if (offset < buffer_offset_ || offset + want > buffer_offset_ + buffer_.size()) {
    // Refill at `offset`: at least the read-ahead, at most the rest of the
    // segment (so no length field can make it allocate beyond the file).
    const size_t fill = static_cast<size_t>(std::min<uint64_t>(std::max(kReadAhead, want), available));
    buffer_.resize(fill);
    buffer_offset_ = offset;
    size_t filled = 0;
    while (filled < fill) {  // bounded: each turn reads at least one byte or stops
      auto got = seg.file->ReadAt(offset + filled,
                                  {reinterpret_cast<std::byte*>(buffer_.data() + filled), fill - filled});
      if (!got.ok()) {
        buffer_.clear();
        return got.error();
      }
      if (*got == 0) break;  // the file shrank under us: a short read
      filled += *got;
    }
    buffer_.resize(filled);
  }
  const size_t from = static_cast<size_t>(offset - buffer_offset_);
  return std::string_view(buffer_).substr(from, std::min(want, buffer_.size() - from));
}

bool Decoder::IsTornEntry(std::string_view data) const {
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

Status Decoder::ChainCrcRecord(uint32_t carried_crc) {
  if (crc_ != 0 && crc_ != carried_crc) {
    std::string path = current_ < segments_.size() ? segments_[current_].name : std::string();
    return MakeError(WalError::kCrcMismatch, std::move(path));
  }
  crc_ = carried_crc;
  return {};
}

Result<bool> Decoder::Decode(Record& record) {
  RecordView view;
  WALCRASH_ASSIGN_OR_RETURN(bool more, DecodeView(view));
  if (more) record = ToRecord(view);
  return more;
}

Result<bool> Decoder::DecodeView(RecordView& record) {
  // Bounded: each turn either returns or moves to the next segment.
  while (current_ < segments_.size()) {
    WALCRASH_ASSIGN_OR_RETURN(std::string_view header, Window(last_valid_offset_, kFrameSizeBytes));
    uint64_t len_field = 0;
    if (!header.empty() && header.size() < kFrameSizeBytes) {
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
    const size_t frame_bytes = static_cast<size_t>(rec_bytes + pad_bytes);
    WALCRASH_ASSIGN_OR_RETURN(std::string_view data, Window(last_valid_offset_ + kFrameSizeBytes, frame_bytes));
    if (data.size() < frame_bytes) return UnexpectedEOF(fmt::format("short record at offset {}", last_valid_offset_));
    auto decoded = DecodeRecordView(data.substr(0, static_cast<size_t>(rec_bytes)));
    if (!decoded.ok()) {
      if (IsTornEntry(data)) return UnexpectedEOF(fmt::format("torn record at offset {}", last_valid_offset_));
      return MakeError(WalError::kBadRecord, seg.name,
                       fmt::format("at offset {}: {}", last_valid_offset_, decoded.error().message()));
    }
    record = *decoded;
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
