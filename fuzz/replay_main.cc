// The plain replay driver: runs a fuzz target's LLVMFuzzerTestOneInput on
// files, without libFuzzer, so it builds with g++ too and runs under ctest
// (label fuzz-regression) and under any sanitizer preset.
//
//   <target>_replay [--expect-findings] PATH...
//
// Each PATH is a file or a directory (read recursively, in name order; hidden
// files and README files are skipped). The empty input runs first. Without
// --expect-findings the run passes when no input is a finding; with it, when
// every input (but the empty one) is — the form for saved findings of a
// known-bug switch, which must keep failing while the switch is on.
// Exit: 0 pass, 1 fail, 2 usage or I/O error.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fuzz/finding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

bool Skipped(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.empty() || name[0] == '.' || name.rfind("README", 0) == 0;
}

// The files under `path`, sorted; false (with a message) when it cannot be read.
bool Collect(const fs::path& path, std::vector<fs::path>& out) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    out.push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) {
    std::fprintf(stderr, "replay: %s: no such file or directory\n", path.c_str());
    return false;
  }
  std::vector<fs::path> found;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (Skipped(it->path())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) found.push_back(it->path());
  }
  if (ec) {
    std::fprintf(stderr, "replay: %s: %s\n", path.c_str(), ec.message().c_str());
    return false;
  }
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
  return true;
}

struct Outcome {
  bool finding = false;
  std::string message;
};

Outcome RunOne(const std::string& bytes) {
  try {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    return {};
  } catch (const walcrash::fuzz::FindingError& e) {
    return {true, e.what()};
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool expect_findings = false;
  std::vector<fs::path> files;
  const char* self = argc > 0 ? argv[0] : "replay";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--expect-findings") {
      expect_findings = true;
    } else if (arg.rfind("-", 0) == 0) {
      std::fprintf(stderr, "usage: %s [--expect-findings] PATH...\nunknown option %s\n", self, argv[i]);
      return 2;
    } else if (!Collect(arg, files)) {
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s [--expect-findings] PATH...\nno input files\n", self);
    return 2;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  walcrash::fuzz::ThrowFindings(true);

  const auto start = std::chrono::steady_clock::now();
  int failures = 0;
  // The empty input runs first: every target must take it. Under
  // --expect-findings it may be a finding too (a bug in creating a WAL shows
  // on any input), but it does not count as one of the expected.
  if (Outcome empty = RunOne(""); empty.finding) {
    std::printf("%s (empty input): %s\n", expect_findings ? "finding" : "FINDING", empty.message.c_str());
    if (!expect_findings) ++failures;
  }
  size_t findings = 0, bytes_total = 0;
  double slowest = 0;
  std::string slowest_file;
  for (const fs::path& file : files) {
    std::error_code size_error;
    const uintmax_t size = fs::file_size(file, size_error);
    std::string bytes(size_error ? 0 : size, '\0');
    std::ifstream in(file, std::ios::binary);
    if (size_error || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
      std::fprintf(stderr, "replay: %s: cannot read\n", file.c_str());
      return 2;
    }
    bytes_total += bytes.size();
    const auto t0 = std::chrono::steady_clock::now();
    Outcome outcome = RunOne(bytes);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (seconds > slowest) {
      slowest = seconds;
      slowest_file = file.string();
    }
    if (outcome.finding) {
      ++findings;
      std::printf("%s %s: %s\n", expect_findings ? "finding" : "FINDING", file.c_str(), outcome.message.c_str());
      if (!expect_findings) ++failures;
    } else if (expect_findings) {
      std::printf("NO FINDING %s: expected one\n", file.c_str());
      ++failures;
    }
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("replayed %zu inputs (%zu bytes) in %.2f s, slowest %.3f s (%s): %zu findings%s\n", files.size(),
              bytes_total, total, slowest, slowest_file.c_str(), findings,
              expect_findings ? " (expected one per input)" : "");
  return failures == 0 ? 0 : 1;
}
