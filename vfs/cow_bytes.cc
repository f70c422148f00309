#include "vfs/cow_bytes.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace walcrash::vfs {

namespace {
constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}
}  // namespace

uint64_t HashCombine(uint64_t a, uint64_t b) { return Mix(a ^ (b + kMul + (a << 6) + (a >> 2))); }

uint64_t HashBytes(std::span<const std::byte> bytes, uint64_t seed) {
  uint64_t h = Mix(seed ^ (bytes.size() * kMul));
  size_t i = 0;
  // Four independent lanes keep the multiplier latency off the critical path.
  uint64_t lane[4] = {h, h ^ 1, h ^ 2, h ^ 3};
  for (; i + 32 <= bytes.size(); i += 32) {
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, bytes.data() + i + static_cast<size_t>(8 * l), 8);
      lane[l] = (lane[l] ^ w) * kMul;
      lane[l] ^= lane[l] >> 29;
    }
  }
  for (int l = 0; l < 4; ++l) h = HashCombine(h, lane[l]);
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = HashCombine(h, w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  return HashCombine(h, tail);
}

CowBytes::Chunk::Chunk(const Chunk& other) : hash(0) {
  std::memcpy(bytes, other.bytes, kChunkSize);
}

CowBytes::Table& CowBytes::MutableTable() {
  if (!table_) {
    table_ = std::make_shared<Table>();
  } else if (table_.use_count() > 1) {
    table_ = std::make_shared<Table>(*table_);
  }
  return *table_;
}

const CowBytes::Chunk* CowBytes::ChunkAt(size_t index) const {
  if (!table_ || index / kLeafChunks >= table_->size()) return nullptr;
  const Leaf* leaf = (*table_)[index / kLeafChunks].get();
  return leaf ? leaf->chunks[index % kLeafChunks].get() : nullptr;
}

std::shared_ptr<CowBytes::Chunk>& CowBytes::MutableSlot(size_t index) {
  Table& table = MutableTable();
  assert(index / kLeafChunks < table.size());
  std::shared_ptr<Leaf>& leaf = table[index / kLeafChunks];
  if (!leaf) {
    leaf = std::make_shared<Leaf>();
  } else if (leaf.use_count() > 1) {
    leaf = std::make_shared<Leaf>(*leaf);
  }
  return leaf->chunks[index % kLeafChunks];
}

CowBytes::Chunk& CowBytes::MutableChunk(size_t index) {
  std::shared_ptr<Chunk>& chunk = MutableSlot(index);
  if (!chunk) {
    chunk = std::make_shared<Chunk>();
  } else if (chunk.use_count() > 1) {
    chunk = std::make_shared<Chunk>(*chunk);
  }
  chunk->hash.store(0, std::memory_order_relaxed);
  return *chunk;
}

size_t CowBytes::Read(uint64_t offset, std::span<std::byte> dst) const {
  if (offset >= size_) return 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(dst.size(), size_ - offset));
  size_t done = 0;
  while (done < n) {
    uint64_t pos = offset + done;
    size_t index = static_cast<size_t>(pos / kChunkSize);
    size_t within = static_cast<size_t>(pos % kChunkSize);
    size_t take = std::min(n - done, kChunkSize - within);
    const Chunk* chunk = ChunkAt(index);
    if (chunk) {
      std::memcpy(dst.data() + done, chunk->bytes + within, take);
    } else {
      std::memset(dst.data() + done, 0, take);
    }
    done += take;
  }
  return n;
}

void CowBytes::Resize(uint64_t size) {
  if (size == size_) return;
  const size_t old_chunks = chunk_count();
  const size_t chunks = static_cast<size_t>((size + kChunkSize - 1) / kChunkSize);
  const size_t leaves = (chunks + kLeafChunks - 1) / kLeafChunks;
  if (size < size_) {
    // Keep the invariants: nothing held past the new last chunk, and the cut
    // tail of the last kept chunk reads zero.
    for (size_t i = chunks; i < std::min(old_chunks, leaves * kLeafChunks); ++i) {
      if (ChunkAt(i)) MutableSlot(i).reset();
    }
    MutableTable().resize(leaves);
    size_t within = static_cast<size_t>(size % kChunkSize);
    if (within != 0 && ChunkAt(chunks - 1)) {
      Chunk& last = MutableChunk(chunks - 1);
      std::memset(last.bytes + within, 0, kChunkSize - within);
    }
  } else {
    MutableTable().resize(leaves);  // new leaves are null: zeros
  }
  size_ = size;
}

void CowBytes::Write(uint64_t offset, std::span<const std::byte> src) {
  if (src.empty()) return;
  uint64_t end = offset + src.size();
  if (end > size_) Resize(end);
  size_t done = 0;
  while (done < src.size()) {
    uint64_t pos = offset + done;
    size_t index = static_cast<size_t>(pos / kChunkSize);
    size_t within = static_cast<size_t>(pos % kChunkSize);
    size_t take = std::min(src.size() - done, kChunkSize - within);
    std::memcpy(MutableChunk(index).bytes + within, src.data() + done, take);
    done += take;
  }
}

void CowBytes::Zero(uint64_t offset, uint64_t length) {
  if (length == 0) return;
  uint64_t end = offset + length;
  if (end > size_) Resize(end);
  uint64_t pos = offset;
  while (pos < end) {
    size_t index = static_cast<size_t>(pos / kChunkSize);
    size_t within = static_cast<size_t>(pos % kChunkSize);
    size_t take = static_cast<size_t>(std::min<uint64_t>(end - pos, kChunkSize - within));
    if (ChunkAt(index)) {
      if (take == kChunkSize) {
        MutableSlot(index).reset();  // a whole zero chunk needs no memory
      } else {
        std::memset(MutableChunk(index).bytes + within, 0, take);
      }
    }
    pos += take;
  }
}

uint64_t CowBytes::ChunkHash(const Chunk* chunk) {
  static const uint64_t zero_hash = [] {
    static const Chunk zeros;
    return HashBytes({zeros.bytes, kChunkSize}, 0) | 1;
  }();
  if (!chunk) return zero_hash;
  uint64_t h = chunk->hash.load(std::memory_order_relaxed);
  if (h == 0) {
    h = HashBytes({chunk->bytes, kChunkSize}, 0) | 1;  // never 0, which means "unset"
    chunk->hash.store(h, std::memory_order_relaxed);
  }
  return h;
}

uint64_t CowBytes::Fingerprint() const {
  uint64_t h = Mix(size_ + 1);
  for (size_t i = 0, n = chunk_count(); i < n; ++i) h = HashCombine(h, ChunkHash(ChunkAt(i)));
  return h;
}

uint64_t CowBytes::ResidentBytes() const {
  uint64_t n = 0;
  for (size_t i = 0, count = chunk_count(); i < count; ++i) n += ChunkAt(i) ? kChunkSize : 0;
  return n;
}

bool operator==(const CowBytes& a, const CowBytes& b) {
  if (a.size_ != b.size_) return false;
  if (a.table_ == b.table_) return true;
  static const CowBytes::Chunk zeros;
  for (size_t i = 0, n = a.chunk_count(); i < n; ++i) {
    const CowBytes::Chunk* x = a.ChunkAt(i);
    const CowBytes::Chunk* y = b.ChunkAt(i);
    if (x == y) continue;
    if (std::memcmp(x ? x->bytes : zeros.bytes, y ? y->bytes : zeros.bytes, CowBytes::kChunkSize) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace walcrash::vfs
