// fuzz_make_schedule_seeds [--engine etcd|tdengine] OUTDIR [COUNT]
//
// Writes the seed corpus of fuzz_crash_schedule (--engine etcd, the default)
// or of fuzz_crash_schedule_tdengine (--engine tdengine): COUNT (default 48)
// crash schedules built from the harness's seeded workload generator (the
// same workloads `walcrash explore --engine E` runs, cut to the format's 64
// operations; for tdengine, with no overwrite or snapshot), spread over the
// three persistence models, both sector sizes, every starting policy, a fault
// plan in one of four, a media fault in one of four strict ones, and crash
// points over the whole run; etcd's segment sizes 1 to 8 KiB, tdengine's
// renew-bytes 512 B to 8 KiB or never. Deterministic: the same engine and
// COUNT give the same files, named by a hash of their bytes (the etcd corpus
// is the one this generator wrote before it knew tdengine).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/splitmix.h"
#include "fuzz/seeds/seed_writer.h"
#include "harness/crash_schedule.h"

int main(int argc, char** argv) {
  std::string engine = "etcd";
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--engine" && i + 1 < argc) {
      engine = argv[++i];
    } else {
      args.emplace_back(argv[i]);
    }
  }
  if (args.empty() || args.size() > 2 || (engine != "etcd" && engine != "tdengine")) {
    std::fprintf(stderr, "usage: %s [--engine etcd|tdengine] OUTDIR [COUNT]\n", argv[0]);
    return 2;
  }
  const bool tdengine = engine == "tdengine";
  const std::filesystem::path out = args[0];
  const unsigned long count = args.size() == 2 ? std::strtoul(args[1].c_str(), nullptr, 10) : 48;
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", out.c_str(), ec.message().c_str());
    return 2;
  }
  using walcrash::harness::CrashSchedule;
  for (unsigned long i = 0; i < count; ++i) {
    uint64_t rng = (tdengine ? 0x7d000000 : 0x5eed0000) + i;
    walcrash::harness::WorkloadProfile profile;
    profile.engine = engine;
    profile.ops = 12 + walcrash::SplitMix64(rng) % 40;
    profile.max_entry_bytes = 2040;
    // etcd: the segment size; tdengine: renew-bytes (0: never renew on size).
    profile.segment_size_bytes = tdengine ? (i % 6 == 5 ? 0 : uint64_t{512} << (i % 6)) : uint64_t{1024} << (i % 4);
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
    const std::filesystem::path file = out / walcrash::fuzz::seeds::SeedName(bytes);
    if (!walcrash::fuzz::seeds::WriteSeedFile(file, bytes)) {
      std::fprintf(stderr, "%s: cannot write\n", file.c_str());
      return 2;
    }
  }
  std::printf("wrote %lu seeds to %s\n", count, out.c_str());
  return 0;
}
