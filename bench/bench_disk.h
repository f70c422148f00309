// Where the benchmarks that touch a disk put their files, and which
// filesystem that is. Header-only and free of walcrash libraries, so the
// floor and the peers (bench/peers/) use it too.
//
// The directory is $WALCRASH_BENCH_DIR, or bench/results/tmp under the
// working directory (ci/bench runs from the repository root): the working
// disk. A sync on tmpfs costs ~2.5 µs and makes nothing durable, so a tmpfs
// directory is reported loudly (not refused: the figures are then labelled).
//
// BenchMain() replaces benchmark_main: it records the directory and its
// filesystem in the JSON "context" (bench_dir, bench_dir_filesystem) and on
// stderr before running the benchmarks.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/vfs.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace walcrash::bench {

// The base directory for on-disk benchmarks, created if missing (absolute).
inline std::filesystem::path DiskBenchDir() {
  const char* env = std::getenv("WALCRASH_BENCH_DIR");
  std::filesystem::path base = env != nullptr && *env != '\0' ? env : "bench/results/tmp";
  std::filesystem::create_directories(base);
  return std::filesystem::absolute(base);
}

// A fresh, empty subdirectory `name` of DiskBenchDir().
inline std::string FreshDiskDir(const std::string& name) {
  std::filesystem::path dir = DiskBenchDir() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// The filesystem type holding `path`, from statfs(2)'s f_type.
inline std::string FilesystemName(const std::filesystem::path& path) {
  struct statfs st {};
  if (statfs(path.c_str(), &st) != 0) return "unknown (statfs failed)";
  switch (static_cast<unsigned long>(st.f_type)) {
    case 0xEF53: return "ext4";  // also ext2/ext3: one magic
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x2FC12FC1: return "zfs";
    case 0xF2F52010: return "f2fs";
    case 0x794C7630: return "overlayfs";
    case 0x01021994: return "tmpfs (NOT DURABLE: syncs cost nothing here)";
    case 0x858458F6: return "ramfs (NOT DURABLE)";
    case 0x6969: return "nfs";
    default: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "unknown (f_type 0x%lx)", static_cast<unsigned long>(st.f_type));
      return buf;
    }
  }
}

// main() of every benchmark executable that writes to the disk.
inline int BenchMain(int argc, char** argv) {
  const std::filesystem::path dir = DiskBenchDir();
  const std::string fs = FilesystemName(dir);
  std::fprintf(stderr, "bench dir %s on %s\n", dir.c_str(), fs.c_str());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("bench_dir", dir.string());
  benchmark::AddCustomContext("bench_dir_filesystem", fs);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// Per-entry counters every Save-like benchmark reports, so the rows of the
// engine, the floor and the peers line up: ns_per_entry (wall time / entries)
// and entries_per_s. Call after the timed loop.
inline void SetEntryCounters(benchmark::State& state, double entries) {
  // kIsRate divides by the elapsed seconds; kInvert turns entries*1e-9/s
  // into ns per entry.
  state.counters["ns_per_entry"] =
      benchmark::Counter(entries * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["entries_per_s"] = benchmark::Counter(entries, benchmark::Counter::kIsRate);
}

}  // namespace walcrash::bench
