#include "engine/etcd/wal_name.h"

#include <fmt/format.h>

#include "engine/etcd/errors.h"

namespace walcrash::etcd {
namespace {

// Parses hex digits; strict wants exactly 16 lowercase ones.
std::optional<uint64_t> ParseHex(std::string_view s, bool lenient) {
  if (s.empty() || s.size() > 16 || (!lenient && s.size() != 16)) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (lenient && c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace

std::string WalName(uint64_t seq, uint64_t index) { return fmt::format("{:016x}-{:016x}.wal", seq, index); }

Result<SegmentName> ParseWalName(std::string_view name, bool lenient) {
  if (!name.ends_with(".wal")) return MakeError(WalError::kBadName, std::string(name));
  size_t dash = name.find('-');
  if (dash == std::string_view::npos) return MakeError(WalError::kBadName, std::string(name));
  // Strict: the whole name is the format. Lenient (Go's Sscanf): the format
  // is matched from the start and whatever follows its ".wal" is ignored.
  size_t dot = lenient ? name.find(".wal", dash) : name.size() - 4;
  auto seq = ParseHex(name.substr(0, dash), lenient);
  auto index = ParseHex(name.substr(dash + 1, dot - dash - 1), lenient);
  if (!seq || !index) return MakeError(WalError::kBadName, std::string(name));
  return SegmentName{*seq, *index};
}

std::vector<std::string> FilterWalNames(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    if (ParseWalName(n).ok()) out.push_back(n);
  }
  return out;
}

bool IsValidSeq(const std::vector<std::string>& names) {
  uint64_t last = 0;
  for (const std::string& n : names) {
    uint64_t seq = ParseWalName(n).value().seq;
    if (last != 0 && last != seq - 1) return false;
    last = seq;
  }
  return true;
}

std::optional<size_t> SearchIndex(const std::vector<std::string>& names, uint64_t index) {
  for (size_t i = names.size(); i-- > 0;) {
    if (ParseWalName(names[i]).value().index <= index) return i;
  }
  return std::nullopt;
}

}  // namespace walcrash::etcd
