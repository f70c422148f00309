// Benchmarks of SimVfs: what a call, a sync, a directory cycle and a crash
// image cost, so the harness can budget how many workloads and crash images
// it explores per second.
//
//   Append/<bytes>/<trace>        File::Append (trace on, or trace_capacity=0)
//   WriteAt4KiBRandom             4 KiB pwrite at random aligned offsets of a 16 MiB file
//   AppendSync1KiB                Append 1 KiB + File::Sync, one pair per iteration
//   DirCycle                      create tmp + dir sync + rename over + dir sync
//   EnumeratePrefix/<pending>     ForEachCrashImage, prefix model, tears on, after
//                                 <pending> unsynced 1 KiB appends; images/s
//   CrashImage/<MiB>/<survivors>  CrashImage(spec) of a synced log of <MiB> MiB with
//                                 4 pending 1 KiB appends; survivors 0 = spec "none",
//                                 1 = all 4 appends survive (the image writes the file)
//   SampleSubset/<pending>        SampleCrashImage + CrashImage, subset model
//
// Every Status is checked: an unexpected error aborts with a message (Must).
// Workloads that grow (pending operations, file sizes, dead inodes) are reset
// outside the timed region before they grow large, so each figure is a steady
// state rather than a function of the iteration count.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vfs/crash_image.h"
#include "vfs/sim_vfs.h"
#include "vfs/vfs.h"
#include "bench/bench_util.h"

namespace walcrash::vfs {
namespace {

using bench::Die;
using bench::kKiB;
using bench::kMiB;
using bench::Must;


uint64_t NextRandom(uint64_t& state) {  // SplitMix64: deterministic, seeded
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::vector<std::byte> Payload(uint64_t size, uint64_t seed) {
  std::vector<std::byte> out(static_cast<size_t>(size));
  for (auto& b : out) b = static_cast<std::byte>(NextRandom(seed) & 0xff);
  return out;
}

size_t Arg(const benchmark::State& state, size_t index) {
  return static_cast<size_t>(state.range(index));
}

std::unique_ptr<File> Create(SimVfs& vfs, std::string_view path) {
  return Must(vfs.Open(path, kRead | kWrite | kCreate | kTruncate), "open");
}

void SyncDir(SimVfs& vfs, std::string_view path) {
  std::unique_ptr<Directory> dir = Must(vfs.OpenDirectory(path), "opendir");
  Must(dir->Sync(), "dirsync");
  Must(dir->Close(), "close dir");
}

// A fresh SimVfs holding /log, created and its entry made durable.
struct LogFixture {
  explicit LogFixture(SimVfsOptions options = {}) : vfs(std::make_unique<SimVfs>(options)) {
    file = Create(*vfs, "/log");
    SyncDir(*vfs, "/");
  }
  ~LogFixture() {
    if (file) Must(file->Close(), "close");
  }
  LogFixture(const LogFixture&) = delete;
  LogFixture& operator=(const LogFixture&) = delete;

  std::unique_ptr<SimVfs> vfs;
  std::unique_ptr<File> file;
};

// ---------------------------------------------------------------------------
void BM_Append(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  const bool trace = state.range(1) != 0;
  SimVfsOptions options;
  if (!trace) options.trace_capacity = 0;
  const std::vector<std::byte> payload = Payload(size, size);
  // Each append stays pending (and keeps a copy of its bytes) until a sync, so
  // the file is replaced after 64 MiB or 65536 appends, untimed.
  const uint64_t per_file = std::min<uint64_t>(1u << 16, 64 * kMiB / size);
  auto fixture = std::make_unique<LogFixture>(options);
  uint64_t appended = 0;
  for (auto _ : state) {
    Must(fixture->file->Append(payload), "append");
    if (++appended == per_file) {
      state.PauseTiming();
      fixture = std::make_unique<LogFixture>(options);
      appended = 0;
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(size));
  state.SetLabel(trace ? "trace on" : "trace_capacity=0");
}
BENCHMARK(BM_Append)
    ->ArgNames({"bytes", "trace"})
    ->ArgsProduct({{100, 1024, 64 * 1024}, {1, 0}});

void BM_WriteAt4KiBRandom(benchmark::State& state) {
  constexpr uint64_t kFileSize = 16 * kMiB;
  constexpr uint64_t kBlock = 4 * kKiB;
  constexpr uint64_t kSyncEvery = 4096;  // untimed sync, so pending stays bounded
  LogFixture fixture;
  const std::vector<std::byte> fill = Payload(kMiB, 7);
  for (uint64_t off = 0; off < kFileSize; off += kMiB) Must(fixture.file->WriteAt(off, fill), "fill");
  Must(fixture.file->Sync(), "sync");
  const std::vector<std::byte> block = Payload(kBlock, 8);
  uint64_t rng = 42;
  uint64_t since_sync = 0;
  for (auto _ : state) {
    uint64_t offset = (NextRandom(rng) % (kFileSize / kBlock)) * kBlock;
    Must(fixture.file->WriteAt(offset, block), "pwrite");
    if (++since_sync == kSyncEvery) {
      state.PauseTiming();
      Must(fixture.file->Sync(), "sync");
      since_sync = 0;
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kBlock));
  state.SetLabel("4 KiB-aligned offsets in 16 MiB");
}
BENCHMARK(BM_WriteAt4KiBRandom);

void BM_AppendSync1KiB(benchmark::State& state) {
  constexpr uint64_t kRecord = kKiB;
  constexpr uint64_t kPerFile = 64 * kMiB / kRecord;
  const std::vector<std::byte> record = Payload(kRecord, 3);
  auto fixture = std::make_unique<LogFixture>();
  uint64_t appended = 0;
  for (auto _ : state) {
    Must(fixture->file->Append(record), "append");
    Must(fixture->file->Sync(), "sync");
    if (++appended == kPerFile) {
      state.PauseTiming();
      fixture = std::make_unique<LogFixture>();
      appended = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kRecord));
}
BENCHMARK(BM_AppendSync1KiB);

// One atomic-replace cycle: create /d/seg.tmp, fsync /d, rename it over
// /d/seg, fsync /d. SimVfs keeps durable inodes that no entry names any more,
// so the tree is rebuilt every 65536 cycles, untimed.
void BM_DirCycle(benchmark::State& state) {
  constexpr uint64_t kPerTree = 1u << 16;
  auto make_tree = [] {
    auto vfs = std::make_unique<SimVfs>();
    Must(vfs->Mkdir("/d"), "mkdir");
    SyncDir(*vfs, "/");
    return vfs;
  };
  std::unique_ptr<SimVfs> vfs = make_tree();
  std::unique_ptr<Directory> dir = Must(vfs->OpenDirectory("/d"), "opendir");
  uint64_t cycles = 0;
  for (auto _ : state) {
    std::unique_ptr<File> tmp = Must(vfs->Open("/d/seg.tmp", kWrite | kCreate | kExclusive), "create");
    Must(tmp->Close(), "close");
    Must(dir->Sync(), "dirsync");
    Must(vfs->Rename("/d/seg.tmp", "/d/seg"), "rename");
    Must(dir->Sync(), "dirsync");
    if (++cycles == kPerTree) {
      state.PauseTiming();
      Must(dir->Close(), "close dir");
      vfs = make_tree();
      dir = Must(vfs->OpenDirectory("/d"), "opendir");
      cycles = 0;
      state.ResumeTiming();
    }
  }
  Must(dir->Close(), "close dir");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel("create+dirsync+rename+dirsync");
}
BENCHMARK(BM_DirCycle);

// ---------------------------------------------------------------------------
// /log with `pending` unsynced 1 KiB appends after a synced 64 KiB prefix.
// Each append is 2 sector pieces at 512 B, so each can tear: 1 split point,
// first or last piece kept, 3 fills = 6 torn variants.
std::unique_ptr<LogFixture> PendingAppends(size_t pending) {
  auto fixture = std::make_unique<LogFixture>();
  Must(fixture->file->Append(Payload(64 * kKiB, 1)), "append");
  Must(fixture->file->Sync(), "sync");
  const std::vector<std::byte> record = Payload(kKiB, 2);
  for (size_t i = 0; i < pending; ++i) Must(fixture->file->Append(record), "append");
  if (fixture->vfs->PendingOperations().size() != pending) {
    Die("setup", Status(Code::kInvalidArgument, "/log", "unexpected number of pending operations"));
  }
  return fixture;
}

void BM_EnumeratePrefix(benchmark::State& state) {
  const size_t pending = Arg(state, 0);
  std::unique_ptr<LogFixture> fixture = PendingAppends(pending);
  CrashEnumerationOptions options;
  options.model = PersistenceModel::kPrefix;
  options.tear_writes = true;
  options.max_images = 1u << 20;  // all of them
  size_t images = 0;
  size_t per_instant = 0;
  for (auto _ : state) {
    per_instant = fixture->vfs->ForEachCrashImage(options, [](const CrashImageSpec& spec) {
      benchmark::DoNotOptimize(spec.survivors.data());
      return true;
    });
    images += per_instant;
  }
  state.counters["images"] = benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
  state.counters["images_per_crash"] = static_cast<double>(per_instant);
}
BENCHMARK(BM_EnumeratePrefix)->ArgName("pending")->Arg(8)->Arg(64)->Arg(256)->Unit(benchmark::kMicrosecond);

// A synced log of `mib` MiB (entry durable) plus 4 pending 1 KiB appends.
void BM_CrashImage(benchmark::State& state) {
  const uint64_t mib = static_cast<uint64_t>(state.range(0));
  const bool survivors = state.range(1) != 0;
  constexpr size_t kPending = 4;
  LogFixture fixture;
  const std::vector<std::byte> chunk = Payload(kMiB, 5);
  for (uint64_t i = 0; i < mib; ++i) Must(fixture.file->Append(chunk), "append");
  Must(fixture.file->Sync(), "sync");
  const std::vector<std::byte> record = Payload(kKiB, 6);
  for (size_t i = 0; i < kPending; ++i) Must(fixture.file->Append(record), "append");

  CrashImageSpec spec;
  if (survivors) {
    for (const PendingOperation& op : fixture.vfs->PendingOperations()) {
      spec.survivors.push_back(Survivor{op.seq, Survivor::Mode::kWhole, 0, 0, TearFill::kZeros, 0});
    }
  }
  // Pair check: the image holds what the spec says, before anything is timed.
  {
    std::unique_ptr<SimVfs> image = Must(fixture.vfs->CrashImage(spec), "crash image");
    FileInfo info = Must(image->Stat("/log"), "stat image");
    uint64_t want = mib * kMiB + (survivors ? kPending * kKiB : 0);
    if (info.size != want) {
      Die("setup", Status(Code::kCorruption, "/log", "crash image has the wrong size"));
    }
  }
  for (auto _ : state) {
    std::unique_ptr<SimVfs> image = Must(fixture.vfs->CrashImage(spec), "crash image");
    benchmark::DoNotOptimize(image.get());
  }
  state.counters["durable_MiB"] = static_cast<double>(mib);
  state.SetLabel(spec.ToString() == "none" ? "spec none" : "4 appends survive");
}
BENCHMARK(BM_CrashImage)
    ->ArgNames({"MiB", "survivors"})
    ->ArgsProduct({{1, 16, 64}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

void BM_SampleSubset(benchmark::State& state) {
  const size_t pending = Arg(state, 0);
  std::unique_ptr<LogFixture> fixture = PendingAppends(pending);
  CrashEnumerationOptions options;
  options.model = PersistenceModel::kSubset;
  options.tear_writes = true;
  uint64_t seed = 1;
  for (auto _ : state) {
    CrashImageSpec spec = fixture->vfs->SampleCrashImage(options, seed++);
    std::unique_ptr<SimVfs> image = Must(fixture->vfs->CrashImage(spec), "crash image");
    benchmark::DoNotOptimize(image.get());
  }
  state.counters["images"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SampleSubset)->ArgName("pending")->Arg(8)->Arg(64)->Arg(256)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace walcrash::vfs
