// CowBytes — a file's bytes as copy-on-write chunks.
//
// SimVfs keeps three views of a file (what the process sees, what is durable,
// and what each crash image holds); copying a CowBytes copies one pointer.
// Chunks (16 KiB) hang off leaves of 16 chunk pointers (256 KiB), leaves off
// mids of 16 leaf pointers (4 MiB), mids off a table (one pointer per 4 MiB).
// A write to a copy clones the chunks it touches, their leaves and mids, and
// once the table: 16 + 16 + a pointer per 4 MiB (16 for etcd's 64 MB
// segment), so an image costs what the crash changes, never a copy of the
// data, and no more for a 64 MiB file than for a 1 MiB one. Chunks never written (holes,
// preallocated space, a file grown by truncate) hold no memory and read as
// zeros.
//
// Fingerprints are cached at every level (a chunk's 4 KiB blocks, a leaf, a
// mid, the table) and cleared on the way down to a change, so fingerprinting
// an image rehashes the blocks its crash wrote and refolds the path to them.
//
// Invariant: bytes past size() inside the last chunk are zero, so equal
// contents have equal fingerprints.
//
// Threading: a CowBytes object is not thread-safe, but copies may be used from
// different threads: shared chunks are immutable until a writer owns them
// alone.
#pragma once

#include <array>
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
  static constexpr size_t kLeafChunks = 16;  // chunk pointers per leaf
  static constexpr size_t kMidLeaves = 16;   // leaf pointers per mid
  // A chunk's hash is kept per block of 4 KiB: a write clears the hashes of
  // the blocks it touches, and a clone keeps the others, so fingerprinting a
  // crash image rehashes what the crash wrote, not whole chunks.
  static constexpr size_t kHashBlocks = 4;
  static constexpr size_t kHashBlockSize = kChunkSize / kHashBlocks;

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
    // 0 = not computed.
    mutable std::atomic<uint64_t> block_hash[kHashBlocks] = {};
    Chunk() = default;
    Chunk(const Chunk& other);
    // Clears the hashes of the blocks [within, within+length) touches.
    void Touch(size_t within, size_t length);
    // Computes the missing hashes of the blocks that range does not touch.
    void HashBlocksOutside(size_t within, size_t length) const;
  };
  // A copy is made only to be changed, so it starts without a hash.
  struct Leaf {
    std::array<std::shared_ptr<Chunk>, kLeafChunks> chunks;  // null chunk = all zeros
    // The fold of its chunks' hashes (a full leaf only); 0 = not computed.
    // Cleared whenever the owner changes a chunk under it.
    mutable std::atomic<uint64_t> hash{0};
    Leaf() = default;
    Leaf(const Leaf& other) : chunks(other.chunks) {}
  };
  struct Mid {
    std::array<std::shared_ptr<Leaf>, kMidLeaves> leaves;  // null leaf = all zeros
    mutable std::atomic<uint64_t> hash{0};                  // as Leaf::hash
    Mid() = default;
    Mid(const Mid& other) : leaves(other.leaves) {}
  };
  // Invariant: no chunk at or past the size's last chunk is held.
  struct Table {
    std::vector<std::shared_ptr<Mid>> mids;  // null mid = all zeros
    // The fold of the whole file's chunk hashes (for the size the owner had
    // when it was computed; every change of size or bytes goes through
    // MutableTable, which clears it). 0 = not computed. So an image that
    // shares a file untouched fingerprints it in O(1), whatever its size.
    mutable std::atomic<uint64_t> hash{0};
    Table() = default;
    Table(const Table& other) : mids(other.mids) {}  // about to be changed: no hash
  };

  size_t chunk_count() const { return static_cast<size_t>((size_ + kChunkSize - 1) / kChunkSize); }
  const Chunk* ChunkAt(size_t index) const;
  // The table owned alone, its cached hash cleared (the caller changes it).
  Table& MutableTable();
  // The slot of chunk `index`, its leaf, mid and the table owned alone.
  std::shared_ptr<Chunk>& MutableSlot(size_t index);
  // Chunk `index` owned alone, its hashes of [within, within+length) cleared
  // for the write the caller is about to make there.
  Chunk& MutableChunk(size_t index, size_t within, size_t length);
  static uint64_t ChunkHash(const Chunk* chunk);
  static uint64_t LeafHash(const Leaf* leaf);
  static uint64_t MidHash(const Mid* mid);

  std::shared_ptr<Table> table_;
  uint64_t size_ = 0;
};

// A fast non-cryptographic 64-bit hash (for fingerprints and dedupe).
uint64_t HashBytes(std::span<const std::byte> bytes, uint64_t seed);
uint64_t HashCombine(uint64_t a, uint64_t b);

}  // namespace walcrash::vfs
