// CowBytes — a file's bytes as copy-on-write chunks.
//
// SimVfs keeps three views of a file (what the process sees, what is durable,
// and what each crash image holds); copying a CowBytes copies one pointer.
// A write to a copy clones the chunks it touches and, once, the chunk table
// (one pointer per 16 KiB: 4096 pointers for a 64 MiB file), so an image
// costs what the crash changes plus that table, never a copy of the data. Chunks never written (holes, preallocated space, a file
// grown by truncate) hold no memory and read as zeros.
//
// Invariant: bytes past size() inside the last chunk are zero, so equal
// contents have equal fingerprints.
//
// Threading: a CowBytes object is not thread-safe, but copies may be used from
// different threads: shared chunks are immutable until a writer owns them
// alone.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace walcrash::vfs {

class CowBytes {
 public:
  static constexpr size_t kChunkSize = 16 * 1024;

  CowBytes() = default;

  uint64_t size() const { return size_; }

  // Copies up to dst.size() bytes from `offset`; returns the count (short at
  // the end, 0 past it).
  size_t Read(uint64_t offset, std::span<std::byte> dst) const;
  // Writes `src` at `offset`, growing the size if needed (a gap reads zeros).
  void Write(uint64_t offset, std::span<const std::byte> src);
  // Fills [offset, offset+length) with zeros, growing the size if needed.
  void Zero(uint64_t offset, uint64_t length);
  // Sets the size; a grown part reads zeros, a cut part is forgotten.
  void Resize(uint64_t size);

  // A 64-bit hash of the contents (size included). Chunk hashes are cached, so
  // fingerprinting a copy that shares most chunks is cheap.
  uint64_t Fingerprint() const;

  // Bytes of chunk memory this object references (shared chunks included).
  uint64_t ResidentBytes() const;

  friend bool operator==(const CowBytes& a, const CowBytes& b);

 private:
  struct Chunk {
    std::byte bytes[kChunkSize] = {};
    // 0 = not computed; cleared whenever the owner writes to the chunk.
    mutable std::atomic<uint64_t> hash{0};
    Chunk() = default;
    Chunk(const Chunk& other);
  };
  using Table = std::vector<std::shared_ptr<Chunk>>;  // null chunk = all zeros

  Table& MutableTable();
  Chunk& MutableChunk(size_t index);
  static uint64_t ChunkHash(const Chunk* chunk);

  std::shared_ptr<Table> table_;
  uint64_t size_ = 0;
};

// A fast non-cryptographic 64-bit hash (for fingerprints and dedupe).
uint64_t HashBytes(std::span<const std::byte> bytes, uint64_t seed);
uint64_t HashCombine(uint64_t a, uint64_t b);

}  // namespace walcrash::vfs
