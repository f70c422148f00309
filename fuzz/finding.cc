#include "fuzz/finding.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace walcrash::fuzz {

namespace {
std::atomic<bool> throw_findings{false};
}  // namespace

void ThrowFindings(bool on) { throw_findings = on; }

void ReportFinding(std::string_view what) {
  if (throw_findings) throw FindingError(std::string(what));
  std::fprintf(stderr, "walcrash finding: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

std::string EnvOr(const char* name, std::string_view fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string(fallback);
}

}  // namespace walcrash::fuzz
