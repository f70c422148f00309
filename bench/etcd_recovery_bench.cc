// Reading and repairing the etcd-compatible WAL (engine/etcd/wal.h), and the
// latency of a cut: the Engine rows of "Benchmarks against peers" that
// etcd_wal_bench (Save throughput) does not cover. Target from the issue:
// recovery decodes at least 1 GB/s, so a 64 MB log recovers in under 64 ms.
//
//   BM_EtcdReadAll/<posix|sim>/entry_bytes:E/write_mode:W/fresh_heap:H
//       Recovery of a log holding 64 MB (64*1000*1000 bytes, rounded up to
//       whole entries) of entry payload in entries of E bytes (100, 1000,
//       64 KiB), with etcd's default 64 MB segments: the log spans two
//       segments for 100 B and 1000 B entries (its records are 28% / 3%
//       larger than the payload), one for 64 KiB entries (a Save cuts only
//       once the flushed offset has reached the segment size, as in etcd, so
//       the last Save ends 60 KB past it). One iteration:
//         write_mode:1  Wal::Open at snapshot {0,0}, ReadAll, Close: etcd's
//                       restart (ReadAll also zeroes the tail past the last
//                       record and starts the file pipeline, whose 64 MB
//                       temp file Close waits for and removes; Close syncs);
//         write_mode:0  Wal::OpenForRead, ReadAll, Close (no locks, no tail
//                       zeroing, no pipeline: decoding only).
//         fresh_heap:1  the entries land on never-touched pages, as in a
//                       process that has just started (malloc_trim before
//                       each iteration; the first touches are minor faults);
//         fresh_heap:0  on the memory the last result was freed from
//                       (decoding without the page faults).
//       write_mode:1/fresh_heap:1 is the restart the target is about;
//       write_mode:0/fresh_heap:0 is the decoder's own speed.
//       The log is built once per (backend, entry size), outside the timed
//       region; the result is checked and freed outside it too. On PosixVfs
//       (working disk) the page cache holds the log from the start (it was
//       just written), so the figure is decoding and the engine's syscalls,
//       not the disk. On SimVfs it is the engine's CPU cost.
//       Counters: bytes_per_second of entry payload, entries_per_s,
//       ns_per_entry; open_ms, readall_ms, close_ms (each part, mean per
//       iteration; the Time column is their sum, in ms); minor_faults per
//       iteration; log_MB (bytes of records on disk) and segments.
//   BM_EtcdCut/<posix_fallocate|posix_zerofill|sim>
//       Cut latency: the wall time of the one Save that crosses the segment
//       size and so cuts (truncate and sync the old tail, take the pipeline's
//       temp file, write CRC/METADATA, sync, rename, fsync the directory,
//       reopen, ask the pipeline for the next file). Segments of 1 MiB, Saves
//       of 64 entries of 1000 B (level kFsync: each Save fdatasyncs), so about
//       every 16th Save cuts; a Save that added a segment (LockedSegments
//       grew) is a cut. Manual time: only the cutting Saves count; the others
//       are timed apart as save_ms (cut_overhead_ms = Time - save_ms).
//       posix_*: PosixVfs on the working disk, background_threads true as in
//       etcd: the next temp file is made on the pipeline's thread while the
//       WAL works; the ~15 synced Saves between two cuts give it time to be
//       ready (were it not, the cut's wait for it is in the figure, as it is
//       in etcd). _fallocate / _zerofill: PreallocMode.
//       sim: SimVfs, background_threads false (the harness's configuration,
//       deterministic): the engine's CPU cost of a cut, which here includes
//       making the next temp file inline.
//       The WAL is recreated every 32 cuts, outside the measured time.
//   BM_EtcdRepair/payload_MB:M
//       etcd's Repair of a one-segment WAL holding M MB (16, 64) of payload in
//       1000 B entries, whose last record is torn the way a crash tears a
//       write into a preallocated segment: the last 600 bytes of its entry
//       data (and so its last sector chunk) read as zeros. Repair decodes the
//       segment, copies it whole to "<segment>.broken", truncates it at the
//       last valid record and fsyncs it. Before each iteration (paused) the
//       torn tail is restored byte for byte, the preallocation re-extended and
//       synced, and the .broken copy removed. PosixVfs on the working disk,
//       page cache warm. Counters: bytes_per_second of segment file processed
//       (its preallocated size), segment_MB; Time is ms per repair.
//
// Every Status is checked (bench::Must): an unexpected error aborts. Payloads
// are deterministic (byte i is i & 0xff, as etcd's benchmark).
#include <benchmark/benchmark.h>
#include <malloc.h>  // malloc_trim (glibc)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_disk.h"
#include "bench/bench_util.h"
#include "engine/etcd/wal.h"
#include "vfs/posix_vfs.h"
#include "vfs/sim_vfs.h"
#include "vfs/vfs.h"

namespace walcrash::etcd {
namespace {

using bench::Die;
using bench::Must;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMB = 1000 * 1000;  // etcd's MB (its segment size is 64*1000*1000)
using bench::kMiB;

enum class Backend : unsigned char { kSim, kPosix };

// Measurement only: the clock never decides what the benchmark does.
double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void Fail(std::string_view what, std::string message) {
  Die(what, Status(Code::kInvalidArgument, "", std::move(message)));
}

std::string Payload(size_t bytes) {
  std::string payload(bytes, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i & 0xff);
  return payload;
}

// A mean per iteration, for the counters that split an iteration's time.
benchmark::Counter MeanMs(double seconds) {
  return benchmark::Counter(seconds * 1e3, benchmark::Counter::kAvgIterations);
}

// A Vfs and a WAL directory on it: the working disk (bench_disk.h) or a fresh
// SimVfs. Removed when destroyed.
struct Store {
  Store(Backend backend, const std::string& name) {
    if (backend == Backend::kPosix) {
      fs = std::make_unique<vfs::PosixVfs>();
      root = bench::FreshDiskDir(name);
      label = bench::FilesystemName(root);
    } else {
      fs = std::make_unique<vfs::SimVfs>(vfs::SimVfsOptions{.trace_capacity = 0});
      root = "/" + name;
    }
    dir = root + "/wal";
  }
  ~Store() { Must(fs->RemoveAll(root), "clean"); }
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::unique_ptr<vfs::Vfs> fs;
  std::string root;
  std::string dir;
  std::string label;  // the filesystem on PosixVfs; empty on SimVfs
};

// The segment files of `dir`, oldest first (List sorts; names sort by sequence).
std::vector<std::string> Segments(vfs::Vfs& fs, const std::string& dir) {
  std::vector<std::string> names = Must(fs.List(dir), "list");
  std::erase_if(names, [](const std::string& n) { return !n.ends_with(".wal"); });
  return names;
}

// One past the last non-zero byte of the first `size` bytes of `file`: the
// end of the records in a segment whose preallocated tail reads as zeros
// (give or take the last record's 0-7 zero pad bytes).
uint64_t EndOfData(vfs::File& file, uint64_t size) {
  std::string chunk(kMiB, '\0');
  for (uint64_t end = size; end > 0;) {
    const uint64_t start = end > chunk.size() ? end - chunk.size() : 0;
    const auto want = static_cast<size_t>(end - start);
    const size_t got = Must(file.ReadAt(start, {reinterpret_cast<std::byte*>(chunk.data()), want}), "read tail");
    if (got != want) Fail("read tail", "short read of " + file.path());
    for (size_t i = want; i > 0; --i) {
      if (chunk[i - 1] != '\0') return start + i;
    }
    end = start;
  }
  Fail("read tail", file.path() + " holds only zeros");
}

// Bytes of records in the WAL: whole sizes of the cut segments (a cut
// truncates at the last record), the data end of the last (preallocated) one.
uint64_t LogBytes(vfs::Vfs& fs, const std::string& dir) {
  const std::vector<std::string> names = Segments(fs, dir);
  uint64_t bytes = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string path = vfs::JoinPath(dir, names[i]);
    const uint64_t size = Must(fs.Stat(path), "stat").size;
    if (i + 1 < names.size()) {
      bytes += size;
    } else {
      std::unique_ptr<vfs::File> file = Must(fs.Open(path, vfs::kRead), "open segment");
      bytes += EndOfData(*file, size);
      Must(file->Close(), "close segment");
    }
  }
  return bytes;
}

// Writes a WAL of `entries` entries (indexes 1..entries, term 1) of
// `entry_bytes` payload each, no hard state (as etcd's benchmark), in Saves of
// about 1 MiB at level kWrite (the cuts and Close sync), then closes it.
void BuildLog(vfs::Vfs& fs, const std::string& dir, WalOptions options, size_t entry_bytes, uint64_t entries) {
  options.level = WalLevel::kWrite;
  std::unique_ptr<Wal> wal = Must(Wal::Create(fs, dir, "somedata", options), "create");
  const std::string payload = Payload(entry_bytes);
  const size_t batch = std::max<size_t>(1, kMiB / entry_bytes);
  std::vector<Entry> buffer;
  buffer.reserve(batch);
  for (uint64_t index = 1; index <= entries;) {
    buffer.clear();
    for (; buffer.size() < batch && index <= entries; ++index) buffer.push_back(Entry{1, index, 0, payload});
    Must(wal->Save(HardState{}, buffer), "save");
  }
  Must(wal->Close(), "close");
}

// --- BM_EtcdReadAll -------------------------------------------------------------------

constexpr uint64_t kReadAllPayloadBytes = 64 * kMB;

// The last log built for BM_EtcdReadAll, kept for the rows that read the
// same one (the rows of an entry size run one after the other).
struct CachedLog {
  Backend backend = Backend::kSim;
  size_t entry_bytes = 0;
  std::unique_ptr<Store> store;
  uint64_t entries = 0;
  uint64_t log_bytes = 0;
  size_t segments = 0;
};

CachedLog& LogCache() {
  static CachedLog cache;
  return cache;
}

void ReleaseCachedLog() { LogCache() = CachedLog{}; }

const CachedLog& LogFor(Backend backend, size_t entry_bytes) {
  CachedLog& log = LogCache();
  if (log.store != nullptr && log.backend == backend && log.entry_bytes == entry_bytes) return log;
  ReleaseCachedLog();  // one log at a time: free the last one first
  log.backend = backend;
  log.entry_bytes = entry_bytes;
  log.store = std::make_unique<Store>(backend, "etcd-readall");
  log.entries = (kReadAllPayloadBytes + entry_bytes - 1) / entry_bytes;
  BuildLog(*log.store->fs, log.store->dir, WalOptions{}, entry_bytes, log.entries);
  log.log_bytes = LogBytes(*log.store->fs, log.store->dir);
  log.segments = Segments(*log.store->fs, log.store->dir).size();
  return log;
}

// The heap the next (timed) ReadAll allocates its entries from, once the
// last result was freed.
//   fresh: malloc_trim gives the freed pages back to the kernel, so the
//     entries land on pages touched for the first time, as in a process that
//     has just started to recover (each first touch is a minor page fault).
//   reused: the freed memory stays mapped and is reused (decoding without the
//     page faults). glibc keeps small freed chunks (100 B entries: ~640k) in
//     fast bins and merges them in the first malloc past the tcache sizes
//     (malloc_consolidate); one such malloc here keeps that out of the
//     timed region.
void PrepareHeap(bool fresh) {
  if (fresh) {
    malloc_trim(0);
    return;
  }
  void* large = std::malloc(4096);
  benchmark::DoNotOptimize(large);
  std::free(large);
}

uint64_t MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_minflt);
}

void BM_EtcdReadAll(benchmark::State& state, Backend backend) {
  const auto entry_bytes = static_cast<size_t>(state.range(0));
  const bool write_mode = state.range(1) != 0;
  const bool fresh_heap = state.range(2) != 0;
  const CachedLog& log = LogFor(backend, entry_bytes);
  vfs::Vfs& fs = *log.store->fs;
  const std::string& dir = log.store->dir;
  if (!log.store->label.empty()) state.SetLabel(log.store->label);
  double open_s = 0, read_s = 0, close_s = 0;
  uint64_t faults = 0;
  ReadResult out;
  PrepareHeap(fresh_heap);
  for (auto _ : state) {
    const uint64_t faults_before = MinorFaults();
    Clock::time_point t = Clock::now();
    std::unique_ptr<Wal> wal =
        Must(write_mode ? Wal::Open(fs, dir, SnapshotRecord{}) : Wal::OpenForRead(fs, dir, SnapshotRecord{}), "open");
    open_s += SecondsSince(t);
    t = Clock::now();
    Must(wal->ReadAll(&out), "readall");
    read_s += SecondsSince(t);
    t = Clock::now();
    Must(wal->Close(), "close");
    close_s += SecondsSince(t);
    faults += MinorFaults() - faults_before;

    state.PauseTiming();
    if (out.entries.size() != log.entries || out.entries.back().index != log.entries ||
        out.entries.back().data.size() != entry_bytes) {
      Fail("readall", "read " + std::to_string(out.entries.size()) + " entries, wrote " + std::to_string(log.entries));
    }
    wal.reset();
    out = ReadResult{};  // freeing the entries is not recovery
    PrepareHeap(fresh_heap);
    state.ResumeTiming();
  }
  const double iterations = static_cast<double>(state.iterations());
  bench::SetEntryCounters(state, iterations * static_cast<double>(log.entries));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(log.entries * entry_bytes));
  state.counters["open_ms"] = MeanMs(open_s);
  state.counters["readall_ms"] = MeanMs(read_s);
  state.counters["close_ms"] = MeanMs(close_s);
  state.counters["minor_faults"] = benchmark::Counter(static_cast<double>(faults), benchmark::Counter::kAvgIterations);
  state.counters["log_MB"] = static_cast<double>(log.log_bytes) / static_cast<double>(kMB);
  state.counters["segments"] = static_cast<double>(log.segments);
}

// The rows of one entry size in a row, so they share one built log: a
// restart (write mode, fresh heap), then reading only on a fresh heap and on
// a reused one.
void ReadAllArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"entry_bytes", "write_mode", "fresh_heap"});
  for (int64_t bytes : {100, 1000, 64 * 1024}) {
    b->Args({bytes, 1, 1});
    b->Args({bytes, 0, 1});
    b->Args({bytes, 0, 0});
  }
}

// --- BM_EtcdCut -----------------------------------------------------------------------

constexpr uint64_t kCutSegmentBytes = kMiB;
constexpr size_t kCutEntryBytes = 1000;
constexpr size_t kCutBatch = 64;
constexpr int kCutsPerWal = 32;

void BM_EtcdCut(benchmark::State& state, Backend backend, PreallocMode prealloc) {
  ReleaseCachedLog();
  WalOptions options;
  options.segment_size_bytes = kCutSegmentBytes;
  options.prealloc = prealloc;
  options.background_threads = backend == Backend::kPosix;
  Store store(backend, "etcd-cut");
  if (!store.label.empty()) state.SetLabel(store.label);
  const std::string payload = Payload(kCutEntryBytes);
  std::vector<Entry> batch(kCutBatch);
  std::unique_ptr<Wal> wal;
  uint64_t index = 0;
  size_t segments = 0;
  int cuts_in_wal = kCutsPerWal;  // create one on the first iteration
  double cut_s = 0, save_s = 0;
  uint64_t saves = 0;
  for (auto _ : state) {
    if (cuts_in_wal == kCutsPerWal) {  // bound the directory; not measured (manual time)
      if (wal != nullptr) Must(wal->Close(), "close");
      wal.reset();
      Must(store.fs->RemoveAll(store.dir), "clean");
      wal = Must(Wal::Create(*store.fs, store.dir, "somedata", options), "create");
      index = 0;
      segments = wal->LockedSegments().size();
      cuts_in_wal = 0;
    }
    for (;;) {
      for (Entry& e : batch) e = Entry{1, ++index, 0, payload};
      const Clock::time_point t = Clock::now();
      Must(wal->Save(HardState{}, batch), "save");
      const double seconds = SecondsSince(t);
      const size_t now = wal->LockedSegments().size();
      if (now > segments) {  // this Save cut
        segments = now;
        state.SetIterationTime(seconds);
        cut_s += seconds;
        break;
      }
      save_s += seconds;
      ++saves;
    }
    ++cuts_in_wal;
  }
  if (wal != nullptr) Must(wal->Close(), "close");
  if (state.iterations() == 0 || saves == 0) return;
  const double iterations = static_cast<double>(state.iterations());
  const double save_ms = save_s * 1e3 / static_cast<double>(saves);
  state.counters["save_ms"] = save_ms;
  state.counters["saves_per_cut"] = static_cast<double>(saves) / iterations + 1;
  state.counters["cut_overhead_ms"] = cut_s * 1e3 / iterations - save_ms;
}

// --- BM_EtcdRepair --------------------------------------------------------------------

constexpr size_t kRepairEntryBytes = 1000;
// Zeroed at the end of the last entry's data (its payload ends in a non-zero
// byte): more than a sector, so the frame's last sector chunk, which ends at
// most 7 pad bytes later, reads as zeros and the decoder calls it torn.
constexpr uint64_t kTornBytes = 600;
constexpr uint64_t kSavedTailBytes = 4096;  // restored before each iteration (> the torn record)

// A torn last segment, and what puts it back after a Repair cut it.
struct TornSegment {
  std::string path;
  uint64_t file_size = 0;     // preallocated size, unchanged by the tear
  uint64_t tail_offset = 0;   // where `tail` starts: before the torn record
  std::string tail;           // bytes [tail_offset, end of the torn record)
  uint64_t repaired_size = 0; // size after Repair (the torn record's offset)
};

TornSegment Tear(vfs::Vfs& fs, const std::string& path) {
  std::unique_ptr<vfs::File> file = Must(fs.Open(path, vfs::kRead | vfs::kWrite), "open segment");
  TornSegment torn;
  torn.path = path;
  torn.file_size = Must(file->Size(), "size");
  const uint64_t end = EndOfData(*file, torn.file_size);  // the last entry's payload ends here
  if (end < kSavedTailBytes) Fail("tear", path + " is too short to tear");
  const std::string zeros(kTornBytes, '\0');
  Must(file->WriteAt(end - kTornBytes, vfs::AsBytes(zeros)), "tear");
  Must(file->Sync(), "sync torn");
  torn.tail_offset = end - kSavedTailBytes;
  torn.tail.assign(kSavedTailBytes, '\0');
  const size_t got =
      Must(file->ReadAt(torn.tail_offset, {reinterpret_cast<std::byte*>(torn.tail.data()), torn.tail.size()}), "read");
  if (got != torn.tail.size()) Fail("tear", "short read of " + path);
  Must(file->Close(), "close segment");
  return torn;
}

// Puts the torn segment back as Tear left it (synced) and removes the copy.
void Restore(vfs::Vfs& fs, const TornSegment& torn) {
  Must(fs.Unlink(torn.path + ".broken"), "remove .broken");
  std::unique_ptr<vfs::File> file = Must(fs.Open(torn.path, vfs::kWrite), "open segment");
  Must(file->WriteAt(torn.tail_offset, vfs::AsBytes(torn.tail)), "restore tail");
  Must(file->Preallocate(0, torn.file_size, vfs::PreallocateMode::kExtend), "re-preallocate");
  Must(file->Sync(), "sync restored");
  Must(file->Close(), "close segment");
}

void RepairOnce(vfs::Vfs& fs, const std::string& dir, const WalOptions& options) {
  Status why;
  if (!Repair(fs, dir, options, &why)) Die("repair", why);
}

void BM_EtcdRepair(benchmark::State& state) {
  ReleaseCachedLog();
  const uint64_t payload_bytes = static_cast<uint64_t>(state.range(0)) * kMB;
  const uint64_t entries = payload_bytes / kRepairEntryBytes;
  WalOptions options;
  // One segment: 1000 B entries take ~1032 B of records, so 1/16 more is room.
  options.segment_size_bytes = payload_bytes + payload_bytes / 16;
  Store store(Backend::kPosix, "etcd-repair");
  state.SetLabel(store.label);
  BuildLog(*store.fs, store.dir, options, kRepairEntryBytes, entries);
  const std::vector<std::string> names = Segments(*store.fs, store.dir);
  if (names.size() != 1) Fail("build", "expected one segment, got " + std::to_string(names.size()));
  TornSegment torn = Tear(*store.fs, vfs::JoinPath(store.dir, names[0]));

  // Once, unmeasured: Repair must cut exactly the torn record.
  RepairOnce(*store.fs, store.dir, options);
  torn.repaired_size = Must(store.fs->Stat(torn.path), "stat").size;
  if (torn.repaired_size <= torn.tail_offset || torn.repaired_size >= torn.file_size) {
    Fail("repair", "repaired size " + std::to_string(torn.repaired_size) + " is not the torn record's offset");
  }
  {
    std::unique_ptr<Wal> reader = Must(Wal::OpenForRead(*store.fs, store.dir, SnapshotRecord{}, options), "open");
    ReadResult read;
    Must(reader->ReadAll(&read), "readall repaired");
    Must(reader->Close(), "close");
    if (read.entries.size() != entries - 1) Fail("repair", "repaired WAL holds " + std::to_string(read.entries.size()));
  }
  Restore(*store.fs, torn);

  for (auto _ : state) {
    RepairOnce(*store.fs, store.dir, options);
    state.PauseTiming();
    const uint64_t size = Must(store.fs->Stat(torn.path), "stat").size;
    if (size != torn.repaired_size) Fail("repair", "did not cut the torn record: size " + std::to_string(size));
    Restore(*store.fs, torn);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(torn.file_size));
  state.counters["segment_MB"] = static_cast<double>(torn.file_size) / static_cast<double>(kMB);
}

BENCHMARK_CAPTURE(BM_EtcdReadAll, posix, Backend::kPosix)
    ->Apply(ReadAllArgs)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EtcdReadAll, sim, Backend::kSim)
    ->Apply(ReadAllArgs)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// Fixed cut counts: each cut comes with ~16 unmeasured Saves (synced ones on
// disk), so min_time on the measured cuts alone would run far too long.
BENCHMARK_CAPTURE(BM_EtcdCut, posix_fallocate, Backend::kPosix, PreallocMode::kFallocate)
    ->UseManualTime()
    ->Iterations(100)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EtcdCut, posix_zerofill, Backend::kPosix, PreallocMode::kZeroFill)
    ->UseManualTime()
    ->Iterations(100)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EtcdCut, sim, Backend::kSim, PreallocMode::kFallocate)
    ->UseManualTime()
    ->Iterations(1000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EtcdRepair)->ArgName("payload_MB")->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace walcrash::etcd

int main(int argc, char** argv) { return walcrash::bench::BenchMain(argc, argv); }
