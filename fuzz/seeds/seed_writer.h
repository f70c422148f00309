// The seed generators' output: files named "seed-<hash>" by a hash of their
// bytes (FNV-1a, 64 bits), and a corpus directory that a run rewrites
// (duplicates written once, stale seed files removed at the end).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "common/status.h"

namespace walcrash::fuzz::seeds {

inline uint64_t HashBytes(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

// "seed-<hash>" for `bytes`.
inline std::string SeedName(std::string_view bytes) { return fmt::format("seed-{:016x}", HashBytes(bytes)); }

// Writes `bytes` to `path` (created or truncated); false when it cannot.
inline bool WriteSeedFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(f);
}

// "<program>: <what>" on stderr, exit 2.
[[noreturn]] inline void Die(std::string_view program, std::string_view what) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(program.size()), program.data(), static_cast<int>(what.size()),
               what.data());
  std::exit(2);
}

inline void Must(std::string_view program, const Status& s, std::string_view what) {
  if (!s.ok()) Die(program, fmt::format("{}: {}", what, s.ToString()));
}

// A corpus being written: files by hash, stale ones removed at the end.
// Failures end the program (Die, as `program`).
class SeedCorpus {
 public:
  SeedCorpus(std::filesystem::path dir, std::string_view program) : dir_(std::move(dir)), program_(program) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) Die(program_, fmt::format("{}: {}", dir_.string(), ec.message()));
  }

  void Add(std::string_view bytes) {
    const std::string name = SeedName(bytes);
    if (!written_.insert(name).second) return;
    bytes_ += bytes.size();
    if (!WriteSeedFile(dir_ / name, bytes)) Die(program_, fmt::format("{}: cannot write", (dir_ / name).string()));
  }

  // Removes the seed files of earlier runs that this run did not write.
  void Finish() {
    size_t removed = 0;
    for (const std::filesystem::directory_entry& e : std::filesystem::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("seed-", 0) == 0 && name.size() == 21 && !written_.contains(name)) {
        std::filesystem::remove(e.path());
        ++removed;
      }
    }
    std::printf("%s: %zu seeds, %zu bytes (%zu stale removed)\n", dir_.c_str(), written_.size(), bytes_, removed);
  }

 private:
  std::filesystem::path dir_;
  std::string program_;
  std::set<std::string> written_;
  size_t bytes_ = 0;
};

}  // namespace walcrash::fuzz::seeds
