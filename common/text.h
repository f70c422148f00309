// Splitting text into lines and words, for every line-based format walcrash
// reads (workloads, scenarios, fault plans). Views point into `text`, which
// must outlive them.
#pragma once

#include <algorithm>
#include <string_view>
#include <vector>

namespace walcrash {

// '\n' ends a line, a final line without one still counts, and a trailing
// '\n' adds no empty line.
inline std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return lines;
}

// The runs of characters between `separators` (no empty words).
inline std::vector<std::string_view> SplitWords(std::string_view text, std::string_view separators = " \t") {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    i = text.find_first_not_of(separators, i);
    if (i == std::string_view::npos) break;
    size_t end = std::min(text.find_first_of(separators, i), text.size());
    words.push_back(text.substr(i, end - i));
    i = end;
  }
  return words;
}

}  // namespace walcrash
