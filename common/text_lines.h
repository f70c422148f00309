// Splitting text into lines, for every line-based format walcrash reads
// (workloads, scenarios, fault plans): '\n' ends a line, a final line without
// one still counts, and a trailing '\n' adds no empty line. Views point into
// `text`, which must outlive them.
#pragma once

#include <string_view>
#include <vector>

namespace walcrash {

inline std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return lines;
}

}  // namespace walcrash
