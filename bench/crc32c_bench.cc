// CRC-32C throughput (issue 6): the portable slicing-by-8 tables, the single
// crc32-instruction chain, the three-stream path, and Update()'s dispatch
// between them, on buffers that stay in cache. bytes_per_second is the figure
// to read. The small sizes (64 B-2 KiB) show where three streams start to pay
// (internal::kThreeStreamMinBytes) and the cost of each chunk size.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include "engine/crc32c.h"
#include "engine/crc32c_internal.h"

namespace walcrash::crc32c {
namespace {

using UpdateFn = uint32_t (*)(uint32_t, std::span<const std::byte>);

std::vector<std::byte> Buffer(size_t n) {
  std::vector<std::byte> buf(n);
  uint64_t x = 0x9E3779B97F4A7C15u;  // fixed seed
  for (auto& b : buf) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::byte>(x);
  }
  return buf;
}

void Run(benchmark::State& state, UpdateFn fn, bool available) {
  if (!available) {
    state.SkipWithError("not supported on this CPU");
    return;
  }
  const auto size = static_cast<size_t>(state.range(0));
  const std::vector<std::byte> buf = Buffer(size);
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = fn(crc, buf);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Crc32cPortable(benchmark::State& state) { Run(state, &UpdatePortable, true); }
void BM_Crc32cSingleStream(benchmark::State& state) { Run(state, &UpdateHardware, HasHardware()); }
void BM_Crc32cThreeStream(benchmark::State& state) {
  Run(state, &internal::UpdateThreeStream, internal::HasThreeStream());
}
void BM_Crc32cUpdate(benchmark::State& state) { Run(state, &Update, true); }

void Sizes(benchmark::internal::Benchmark* b) {
  for (int64_t n : {100, 4096, 65536, 1 << 20}) b->Arg(n);
}
void ThresholdSizes(benchmark::internal::Benchmark* b) {
  for (int64_t n : {64, 80, 96, 128, 160, 192, 256, 384, 512, 768, 1024, 2048}) b->Arg(n);
}

BENCHMARK(BM_Crc32cPortable)->Apply(Sizes);
BENCHMARK(BM_Crc32cSingleStream)->Apply(Sizes)->Apply(ThresholdSizes);
BENCHMARK(BM_Crc32cThreeStream)->Apply(Sizes)->Apply(ThresholdSizes);
BENCHMARK(BM_Crc32cUpdate)->Apply(Sizes)->Apply(ThresholdSizes);

}  // namespace
}  // namespace walcrash::crc32c
