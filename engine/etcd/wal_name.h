// Segment file names: "%016x-%016x.wal" (sequence, index of the first entry
// the segment may hold), as etcd names them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace walcrash::etcd {

struct SegmentName {
  uint64_t seq = 0;
  uint64_t index = 0;
  friend bool operator==(const SegmentName&, const SegmentName&) = default;
};

// "0000000000000001-000000000000004a.wal"
std::string WalName(uint64_t seq, uint64_t index);

// Parses a segment name. Strict by default: exactly 16 lowercase hex digits,
// '-', 16 digits, ".wal". `lenient` accepts what Go's Sscanf accepts
// (fewer digits, uppercase hex), which etcd does; walcrash reports such names.
Result<SegmentName> ParseWalName(std::string_view name, bool lenient = false);

// The names of `names` that parse (sorted as given: List returns sorted).
std::vector<std::string> FilterWalNames(const std::vector<std::string>& names);

// Each seq is the previous plus one (skipped while the previous is 0, as
// etcd does, which lets [0-0, 2-a] through). REQUIRES: names parse.
bool IsValidSeq(const std::vector<std::string>& names);

// The position of the last name whose first index <= index, if any.
std::optional<size_t> SearchIndex(const std::vector<std::string>& names, uint64_t index);

}  // namespace walcrash::etcd
