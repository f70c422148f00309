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

namespace {
// The hash of one block of a chunk; never 0, which means "not computed".
uint64_t BlockHash(const std::byte* block, size_t size) { return HashBytes({block, size}, 0) | 1; }

uint64_t ZeroBlockHash() {
  static const uint64_t hash = [] {
    static const std::byte zeros[CowBytes::kHashBlockSize] = {};
    return BlockHash(zeros, CowBytes::kHashBlockSize);
  }();
  return hash;
}
}  // namespace

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

CowBytes::Chunk::Chunk(const Chunk& other) {
  std::memcpy(bytes, other.bytes, kChunkSize);
  for (size_t b = 0; b < kHashBlocks; ++b) {
    block_hash[b].store(other.block_hash[b].load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
}

void CowBytes::Chunk::Touch(size_t within, size_t length) {
  if (length == 0) return;
  for (size_t b = within / kHashBlockSize, last = (within + length - 1) / kHashBlockSize; b <= last; ++b) {
    block_hash[b].store(0, std::memory_order_relaxed);
  }
}

void CowBytes::Chunk::HashBlocksOutside(size_t within, size_t length) const {
  for (size_t b = 0; b < kHashBlocks; ++b) {
    const size_t begin = b * kHashBlockSize;
    const bool touched = length != 0 && within < begin + kHashBlockSize && begin < within + length;
    if (touched || block_hash[b].load(std::memory_order_relaxed) != 0) continue;
    block_hash[b].store(BlockHash(bytes + begin, kHashBlockSize), std::memory_order_relaxed);
  }
}

namespace {
// `node` owned alone (made if null, copied if shared), its cached hash
// cleared: the caller changes something under it.
template <typename Node>
Node& OwnAlone(std::shared_ptr<Node>& node) {
  if (!node) {
    node = std::make_shared<Node>();
  } else if (node.use_count() > 1) {
    node = std::make_shared<Node>(*node);
  }
  node->hash.store(0, std::memory_order_relaxed);
  return *node;
}
}  // namespace

CowBytes::Table& CowBytes::MutableTable() { return OwnAlone(table_); }

const CowBytes::Chunk* CowBytes::ChunkAt(size_t index) const {
  const size_t leaf_index = index / kLeafChunks;
  if (!table_ || leaf_index / kMidLeaves >= table_->mids.size()) return nullptr;
  const Mid* mid = table_->mids[leaf_index / kMidLeaves].get();
  const Leaf* leaf = mid ? mid->leaves[leaf_index % kMidLeaves].get() : nullptr;
  return leaf ? leaf->chunks[index % kLeafChunks].get() : nullptr;
}

std::shared_ptr<CowBytes::Chunk>& CowBytes::MutableSlot(size_t index) {
  Table& table = MutableTable();
  const size_t leaf_index = index / kLeafChunks;
  assert(leaf_index / kMidLeaves < table.mids.size());
  Mid& mid = OwnAlone(table.mids[leaf_index / kMidLeaves]);
  Leaf& leaf = OwnAlone(mid.leaves[leaf_index % kMidLeaves]);
  return leaf.chunks[index % kLeafChunks];
}

CowBytes::Chunk& CowBytes::MutableChunk(size_t index, size_t within, size_t length) {
  std::shared_ptr<Chunk>& chunk = MutableSlot(index);
  if (!chunk) {
    chunk = std::make_shared<Chunk>();
    // A new chunk is all zeros: the blocks not written keep the zero hash.
    for (auto& block : chunk->block_hash) block.store(ZeroBlockHash(), std::memory_order_relaxed);
  } else if (chunk.use_count() > 1) {
    // Hash the blocks this write leaves alone in the shared original first:
    // the clone inherits the hashes, and so does every other clone of it
    // (each crash image of the same durable state), instead of each
    // rehashing them on its own.
    chunk->HashBlocksOutside(within, length);
    chunk = std::make_shared<Chunk>(*chunk);
  }
  chunk->Touch(within, length);
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
  const size_t mids = (leaves + kMidLeaves - 1) / kMidLeaves;
  if (size < size_) {
    // Keep the invariants: nothing held past the new last chunk, and the cut
    // tail of the last kept chunk reads zero.
    for (size_t i = chunks; i < std::min(old_chunks, leaves * kLeafChunks); ++i) {
      if (ChunkAt(i)) MutableSlot(i).reset();
    }
    const size_t old_leaves = (old_chunks + kLeafChunks - 1) / kLeafChunks;
    for (size_t l = leaves; l < std::min(old_leaves, mids * kMidLeaves); ++l) {
      std::shared_ptr<Mid>& mid = MutableTable().mids[l / kMidLeaves];
      if (mid && mid->leaves[l % kMidLeaves]) OwnAlone(mid).leaves[l % kMidLeaves].reset();
    }
    MutableTable().mids.resize(mids);
    size_t within = static_cast<size_t>(size % kChunkSize);
    if (within != 0 && ChunkAt(chunks - 1)) {
      Chunk& last = MutableChunk(chunks - 1, within, kChunkSize - within);
      std::memset(last.bytes + within, 0, kChunkSize - within);
    }
  } else {
    MutableTable().mids.resize(mids);  // new mids are null: zeros
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
    std::memcpy(MutableChunk(index, within, take).bytes + within, src.data() + done, take);
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
        std::memset(MutableChunk(index, within, take).bytes + within, 0, take);
      }
    }
    pos += take;
  }
}

uint64_t CowBytes::ChunkHash(const Chunk* chunk) {
  // A chunk's hash folds its block hashes; a null chunk hashes as the
  // explicit zero chunk does, so equal contents have equal hashes.
  const uint64_t zero_block = ZeroBlockHash();
  uint64_t h = Mix(kChunkSize);
  for (size_t b = 0; b < kHashBlocks; ++b) {
    uint64_t block = zero_block;
    if (chunk) {
      block = chunk->block_hash[b].load(std::memory_order_relaxed);
      if (block == 0) {
        block = BlockHash(chunk->bytes + b * kHashBlockSize, kHashBlockSize);
        chunk->block_hash[b].store(block, std::memory_order_relaxed);
      }
    }
    h = HashCombine(h, block);
  }
  return h;
}

namespace {
// The fold of `n` child hashes (never 0, which means "not computed").
template <typename ChildHash>
uint64_t FoldHashes(size_t n, ChildHash child) {
  uint64_t h = Mix(n);
  for (size_t i = 0; i < n; ++i) h = HashCombine(h, child(i));
  return h | 1;
}

// `cache`, or `compute()` stored in it.
template <typename Compute>
uint64_t Cached(std::atomic<uint64_t>& cache, Compute compute) {
  uint64_t h = cache.load(std::memory_order_relaxed);
  if (h == 0) {
    h = compute();
    cache.store(h, std::memory_order_relaxed);
  }
  return h;
}
}  // namespace

uint64_t CowBytes::LeafHash(const Leaf* leaf) {
  // A null leaf hashes as sixteen null chunks, so equal contents hash equal.
  static const uint64_t zero_leaf = FoldHashes(kLeafChunks, [](size_t) { return ChunkHash(nullptr); });
  if (!leaf) return zero_leaf;
  return Cached(leaf->hash, [&] {
    return FoldHashes(kLeafChunks, [&](size_t i) { return ChunkHash(leaf->chunks[i].get()); });
  });
}

uint64_t CowBytes::MidHash(const Mid* mid) {
  static const uint64_t zero_mid = FoldHashes(kMidLeaves, [](size_t) { return LeafHash(nullptr); });
  if (!mid) return zero_mid;
  return Cached(mid->hash, [&] {
    return FoldHashes(kMidLeaves, [&](size_t i) { return LeafHash(mid->leaves[i].get()); });
  });
}

uint64_t CowBytes::Fingerprint() const {
  // Whole mids and leaves by their cached hashes (so a large file costs one
  // combine per 4 MiB, and only what changed is refolded); the leaves of a
  // last, partial mid one by one, and the chunks of a last, partial leaf.
  if (table_) {
    if (uint64_t cached = table_->hash.load(std::memory_order_relaxed); cached != 0) return cached;
  }
  uint64_t h = Mix(size_ + 1);
  const size_t chunks = chunk_count();
  const size_t full_leaves = chunks / kLeafChunks;
  const size_t full_mids = full_leaves / kMidLeaves;
  auto mid_at = [&](size_t m) -> const Mid* { return table_ && m < table_->mids.size() ? table_->mids[m].get() : nullptr; };
  for (size_t m = 0; m < full_mids; ++m) h = HashCombine(h, MidHash(mid_at(m)));
  for (size_t l = full_mids * kMidLeaves; l < full_leaves; ++l) {
    const Mid* mid = mid_at(l / kMidLeaves);
    h = HashCombine(h, LeafHash(mid ? mid->leaves[l % kMidLeaves].get() : nullptr));
  }
  for (size_t i = full_leaves * kLeafChunks; i < chunks; ++i) h = HashCombine(h, ChunkHash(ChunkAt(i)));
  h |= 1;  // never 0, which means "not computed"
  if (table_) table_->hash.store(h, std::memory_order_relaxed);
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
