// ByteReader — reads structure out of arbitrary bytes (fuzz inputs).
//
// Every read succeeds: past the end, a read yields zeros (or a shorter span),
// so any byte string decodes into something. Bytes are taken from the front
// (the structure: headers, operations) or from the back (choices made later,
// at a crash), so that growing one part of an input does not shift the
// other. Front and back never overlap.
//
// Threading: none; a reader is a cursor over bytes it does not own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace walcrash {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes), end_(bytes.size()) {}

  size_t remaining() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }

  uint8_t Byte() { return begin_ < end_ ? bytes_[begin_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(Byte() | (Byte() << 8)); }
  uint32_t U32() { return static_cast<uint32_t>(U16() | (uint32_t{U16()} << 16)); }
  uint64_t U64() { return U32() | (uint64_t{U32()} << 32); }
  // Up to n bytes from the front.
  std::span<const uint8_t> Bytes(size_t n) {
    if (n > remaining()) n = remaining();
    std::span<const uint8_t> out = bytes_.subspan(begin_, n);
    begin_ += n;
    return out;
  }

  uint8_t BackByte() { return begin_ < end_ ? bytes_[--end_] : 0; }
  // Up to n bytes from the back, in their original order.
  std::span<const uint8_t> BackBytes(size_t n) {
    if (n > remaining()) n = remaining();
    end_ -= n;
    return bytes_.subspan(end_, n);
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t begin_ = 0;
  size_t end_;
};

}  // namespace walcrash
