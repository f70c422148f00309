// File names of TDengine 2.x's WAL: "wal<id>", the id in decimal.
//
// TDengine takes every directory entry that starts with "wal" for a WAL file
// and reads its id with atoll(name + 3): "wal12x" is file 12, "walx" and
// "wal" are file 0, "wal007" is file 7, "wal-3" is file -3, and an id beyond
// int64 saturates. It then opens the file by the name it builds from the id
// ("wal7"), not by the name it found. ParseIdLikeTDengine reproduces that;
// the strict engine accepts only the names it writes (ParseCanonicalId).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace walcrash::tdengine {

inline constexpr std::string_view kFilePrefix = "wal";

std::string FileName(int64_t id);
// nullopt when the name does not start with "wal"; else atoll's reading.
std::optional<int64_t> ParseIdLikeTDengine(std::string_view name);
// Only "wal" followed by a decimal id >= 0 with no leading zero (or "wal0").
std::optional<int64_t> ParseCanonicalId(std::string_view name);

}  // namespace walcrash::tdengine
