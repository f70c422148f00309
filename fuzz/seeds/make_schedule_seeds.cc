// fuzz_make_schedule_seeds OUTDIR [COUNT]
//
// Writes the seed corpus of fuzz_crash_schedule: COUNT (default 48) crash
// schedules built from the harness's seeded workload generator (the same
// workloads `walcrash explore` runs, cut to the format's 64 operations),
// spread over the three persistence models, both sector sizes, every
// starting policy, a fault plan in one of four, a media fault in one of four
// strict ones, and crash points over the whole run. Deterministic: the same
// COUNT gives the same files, named by a hash of their bytes.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "common/splitmix.h"
#include "harness/crash_schedule.h"

namespace {

uint64_t HashBytes(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s OUTDIR [COUNT]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const unsigned long count = argc == 3 ? std::strtoul(argv[2], nullptr, 10) : 48;
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", out.c_str(), ec.message().c_str());
    return 2;
  }
  using walcrash::harness::CrashSchedule;
  for (unsigned long i = 0; i < count; ++i) {
    uint64_t rng = 0x5eed0000 + i;
    walcrash::harness::WorkloadProfile profile;
    profile.ops = 12 + walcrash::SplitMix64(rng) % 40;
    profile.max_entry_bytes = 2040;
    profile.segment_size_bytes = uint64_t{1024} << (i % 4);
    CrashSchedule s;
    s.workload = walcrash::harness::GenerateWorkload(walcrash::SplitMix64(rng), profile);
    // The format has no nolog level: keep the generator's other policies.
    s.model = static_cast<walcrash::vfs::PersistenceModel>(i % 3);
    s.sector_size = i % 5 == 4 ? 4096 : 512;
    s.media_fault = s.model == walcrash::vfs::PersistenceModel::kStrict && i % 4 == 0;
    s.crash_point = static_cast<uint16_t>(walcrash::SplitMix64(rng));
    if (i % 4 == 1) {
      s.fault_selector = static_cast<uint8_t>(192 + walcrash::SplitMix64(rng) % 64);
      s.fault_nth = static_cast<uint8_t>(walcrash::SplitMix64(rng));
    }
    const size_t choices = 4 + walcrash::SplitMix64(rng) % 60;
    for (size_t c = 0; c < choices; ++c) s.choices.push_back(static_cast<uint8_t>(walcrash::SplitMix64(rng)));
    const std::string bytes = walcrash::harness::EncodeCrashSchedule(s);
    const std::filesystem::path file = out / fmt::format("seed-{:016x}", HashBytes(bytes));
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) {
      std::fprintf(stderr, "%s: cannot write\n", file.c_str());
      return 2;
    }
  }
  std::printf("wrote %lu seeds to %s\n", count, out.c_str());
  return 0;
}
