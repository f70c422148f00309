#include "engine/tdengine/wal_name.h"

#include <cctype>
#include <limits>

#include <fmt/format.h>

namespace walcrash::tdengine {

std::string FileName(int64_t id) { return fmt::format("{}{}", kFilePrefix, id); }

std::optional<int64_t> ParseIdLikeTDengine(std::string_view name) {
  if (!name.starts_with(kFilePrefix)) return std::nullopt;
  // strtoll's grammar: leading white space, an optional sign, digits; no
  // digits read as 0; out of range saturates.
  std::string_view s = name.substr(kFilePrefix.size());
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  // Accumulate toward the sign so INT64_MIN is reachable.
  int64_t value = 0;
  bool saturated = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    int digit = s[i] - '0';
    if (saturated) continue;
    if (negative) {
      if (value < (std::numeric_limits<int64_t>::min() + digit) / 10) {
        value = std::numeric_limits<int64_t>::min();
        saturated = true;
      } else {
        value = value * 10 - digit;
      }
    } else if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) {
      value = std::numeric_limits<int64_t>::max();
      saturated = true;
    } else {
      value = value * 10 + digit;
    }
  }
  return value;
}

std::optional<int64_t> ParseCanonicalId(std::string_view name) {
  if (!name.starts_with(kFilePrefix)) return std::nullopt;
  std::string_view digits = name.substr(kFilePrefix.size());
  if (digits.empty() || digits.size() > 19) return std::nullopt;  // INT64_MAX has 19 digits
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    int digit = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) return std::nullopt;  // past INT64_MAX
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace walcrash::tdengine
