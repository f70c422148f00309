// Save throughput of the etcd-compatible WAL (engine/etcd/wal.h).
//
//   Save/<backend>/<entry bytes>/<batch>/<fsync>
//     backend  0 = SimVfs (in memory: the engine's own CPU cost),
//              1 = PosixVfs in $WALCRASH_BENCH_DIR (default: bench/results/tmp
//                  under the working directory — a real disk, never tmpfs)
//     entries of 100 B, 1 KiB or 64 KiB; `batch` entries per Save
//     fsync   1 = level kFsync (each Save fdatasyncs, as etcd), 0 = kWrite
// Reported: time per Save, entries/s and payload bytes/s. Segments are
// 64 MB as in etcd, so cuts happen (and are measured) in long runs.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "engine/etcd/wal.h"
#include "vfs/posix_vfs.h"
#include "vfs/sim_vfs.h"

namespace walcrash::etcd {
namespace {

using bench::Must;

std::string PosixBenchDir() {
  const char* env = std::getenv("WALCRASH_BENCH_DIR");
  std::filesystem::path base = env != nullptr && *env != '\0' ? env : "bench/results/tmp";
  std::filesystem::create_directories(base);
  return (std::filesystem::absolute(base) / "etcd-wal").string();
}

void BM_Save(benchmark::State& state) {
  const bool posix = state.range(0) == 1;
  const size_t entry_bytes = static_cast<size_t>(state.range(1));
  const size_t batch = static_cast<size_t>(state.range(2));
  const bool fsync = state.range(3) == 1;

  std::unique_ptr<vfs::Vfs> fs;
  std::string dir;
  if (posix) {
    fs = std::make_unique<vfs::PosixVfs>();
    dir = PosixBenchDir();
  } else {
    fs = std::make_unique<vfs::SimVfs>(vfs::SimVfsOptions{.trace_capacity = 0});
    dir = "/wal";
  }
  Must(fs->RemoveAll(dir), "clean");
  WalOptions options;
  options.level = fsync ? WalLevel::kFsync : WalLevel::kWrite;
  auto wal = Must(Wal::Create(*fs, dir, "bench-metadata", options), "create");

  std::string payload(entry_bytes, 'x');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::vector<Entry> entries(batch);
  uint64_t index = 0;
  HardState hs{1, 1, 0};
  for (auto _ : state) {
    for (Entry& e : entries) {
      e = Entry{1, ++index, 0, payload};
    }
    hs.commit = index;
    Must(wal->Save(hs, entries), "save");
    if (!posix && index > (uint64_t{1} << 30) / entry_bytes) {
      // Keep the in-memory log bounded (about 1 GiB): start a new one untimed.
      state.PauseTiming();
      Must(wal->Close(), "close");
      wal.reset();
      Must(fs->RemoveAll(dir), "clean");
      wal = Must(Wal::Create(*fs, dir, "bench-metadata", options), "create");
      index = 0;
      state.ResumeTiming();
    }
  }
  Must(wal->Close(), "close");
  Must(fs->RemoveAll(dir), "clean");
  const auto saves = static_cast<double>(state.iterations());
  state.counters["entries/s"] = benchmark::Counter(saves * static_cast<double>(batch), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch * entry_bytes));
}

void SaveArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"posix", "bytes", "batch", "fsync"});
  for (int64_t backend : {0, 1}) {
    for (int64_t bytes : {100, 1024, 64 * 1024}) {
      for (int64_t batch : {1, 10, 100}) {
        for (int64_t fsync : {1, 0}) b->Args({backend, bytes, batch, fsync});
      }
    }
  }
}

BENCHMARK(BM_Save)->Apply(SaveArgs)->UseRealTime();

}  // namespace
}  // namespace walcrash::etcd
