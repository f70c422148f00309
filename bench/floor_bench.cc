// The machine's floor: what the disk itself costs, with no WAL in the way.
// This is the only benchmark that calls POSIX directly (it is the floor, not
// an engine); every file is on the working disk (bench_disk.h).
//
//   BM_FloorSync/<space>/entry_bytes:E/batch:B
//       one pwrite of B*E bytes at the end of what was written so far, then
//       one fdatasync: the least any WAL can do to make a batch of B entries
//       of E bytes durable (a WAL that buffers a Save writes it once). The
//       shapes are etcd's (wal/wal_bench_test.go) and etcd_wal_bench's.
//       <space> is where the bytes land:
//         append     the file grows: every fdatasync commits a size change
//         fallocate  into a 64 MiB fallocate(2)d file (unwritten extents:
//                    every fdatasync commits their conversion), as etcd and
//                    the engine's default PreallocMode::kFallocate
//         zeroed     into a 64 MiB file written with zeros and synced first:
//                    data only, no metadata (PreallocMode::kZeroFill)
//       A file is recreated (untimed) when the next write would pass 64 MiB.
//   BM_FloorBufferedWrite/entry_bytes:1024
//       pwrite of 1 KiB at the end, no sync: the page cache's bandwidth, the
//       floor of an unsynced append (etcd_wal_bench's BM_EtcdAppendUnsynced).
//       The file is truncated (untimed) every 256 MiB.
//
// Counters as etcd_wal_bench: ns_per_entry, entries_per_s, bytes_per_second.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench_disk.h"

namespace walcrash::bench {
namespace {

enum class Space : unsigned char { kAppend, kFallocate, kZeroed };

constexpr uint64_t kFileBytes = uint64_t{64} << 20;
constexpr uint64_t kBufferedBytes = uint64_t{256} << 20;

[[noreturn]] void DieErrno(const char* what, const std::string& path) {
  std::fprintf(stderr, "floor_bench: %s %s: %s\n", what, path.c_str(), std::strerror(errno));
  std::abort();
}

void WriteAll(int fd, const char* data, size_t size, uint64_t offset, const std::string& path) {
  while (size > 0) {
    const ssize_t n = pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      DieErrno("pwrite", path);
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

void DataSync(int fd, const std::string& path) {
  if (fdatasync(fd) != 0) DieErrno("fdatasync", path);
}

// A file at `path` prepared for `space`, its entry made durable. Returns the fd.
int PrepareFile(const std::string& path, Space space) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) DieErrno("open", path);
  if (space == Space::kFallocate) {
    if (fallocate(fd, 0, 0, static_cast<off_t>(kFileBytes)) != 0) DieErrno("fallocate", path);
  } else if (space == Space::kZeroed) {
    const std::vector<char> zeros(size_t{1} << 20, '\0');
    for (uint64_t off = 0; off < kFileBytes; off += zeros.size()) WriteAll(fd, zeros.data(), zeros.size(), off, path);
  }
  if (fsync(fd) != 0) DieErrno("fsync", path);
  const std::string parent = path.substr(0, path.rfind('/'));
  const int dir = open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) DieErrno("open", parent);
  if (fsync(dir) != 0) DieErrno("fsync", parent);
  close(dir);
  return fd;
}

std::vector<char> Payload(size_t size) {
  std::vector<char> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(i & 0xff);
  return out;
}

void BM_FloorSync(benchmark::State& state, Space space) {
  const auto entry_bytes = static_cast<size_t>(state.range(0));
  const auto batch = static_cast<size_t>(state.range(1));
  const std::string path = FreshDiskDir("floor") + "/sync.dat";
  state.SetLabel(FilesystemName(path.substr(0, path.rfind('/'))));
  const std::vector<char> data = Payload(entry_bytes * batch);
  int fd = PrepareFile(path, space);
  uint64_t offset = 0;
  for (auto _ : state) {
    if (offset + data.size() > kFileBytes) {
      state.PauseTiming();
      close(fd);
      fd = PrepareFile(path, space);
      offset = 0;
      state.ResumeTiming();
    }
    WriteAll(fd, data.data(), data.size(), offset, path);
    DataSync(fd, path);
    offset += data.size();
  }
  close(fd);
  unlink(path.c_str());
  SetEntryCounters(state, static_cast<double>(state.iterations()) * static_cast<double>(batch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(data.size()));
}

void BM_FloorBufferedWrite(benchmark::State& state) {
  const auto entry_bytes = static_cast<size_t>(state.range(0));
  const std::string path = FreshDiskDir("floor") + "/buffered.dat";
  state.SetLabel(FilesystemName(path.substr(0, path.rfind('/'))));
  const std::vector<char> data = Payload(entry_bytes);
  const int fd = PrepareFile(path, Space::kAppend);
  uint64_t offset = 0;
  for (auto _ : state) {
    if (offset + data.size() > kBufferedBytes) {
      state.PauseTiming();
      if (ftruncate(fd, 0) != 0) DieErrno("ftruncate", path);
      offset = 0;
      state.ResumeTiming();
    }
    WriteAll(fd, data.data(), data.size(), offset, path);
    offset += data.size();
  }
  close(fd);
  unlink(path.c_str());
  SetEntryCounters(state, static_cast<double>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(entry_bytes));
}

void SyncArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"entry_bytes", "batch"});
  for (int64_t bytes : {100, 1000}) {
    for (int64_t batch : {1, 10, 100, 500, 1000}) b->Args({bytes, batch});
  }
}

BENCHMARK_CAPTURE(BM_FloorSync, append, Space::kAppend)->Apply(SyncArgs)->UseRealTime();
BENCHMARK_CAPTURE(BM_FloorSync, fallocate, Space::kFallocate)->Apply(SyncArgs)->UseRealTime();
BENCHMARK_CAPTURE(BM_FloorSync, zeroed, Space::kZeroed)->Apply(SyncArgs)->UseRealTime();
BENCHMARK(BM_FloorBufferedWrite)->ArgName("entry_bytes")->Arg(1024)->UseRealTime();

}  // namespace
}  // namespace walcrash::bench

int main(int argc, char** argv) { return walcrash::bench::BenchMain(argc, argv); }
