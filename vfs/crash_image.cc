#include "vfs/crash_image.h"

#include <charconv>

#include <fmt/format.h>

namespace walcrash::vfs {
namespace {

template <typename Int>
bool ParseInt(std::string_view s, Int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

Status BadSpec(std::string_view text, std::string_view why) {
  return Status(Code::kInvalidArgument, "", fmt::format("crash image '{}': {}", text, why));
}

}  // namespace

std::string_view PersistenceModelName(PersistenceModel model) {
  switch (model) {
    case PersistenceModel::kStrict: return "strict";
    case PersistenceModel::kPrefix: return "prefix";
    case PersistenceModel::kSubset: return "subset";
  }
  return "?";
}

Result<PersistenceModel> ParsePersistenceModel(std::string_view name) {
  for (auto m : {PersistenceModel::kStrict, PersistenceModel::kPrefix, PersistenceModel::kSubset}) {
    if (PersistenceModelName(m) == name) return m;
  }
  return Status(Code::kInvalidArgument, "",
                fmt::format("unknown persistence model '{}' (strict, prefix, subset)", name));
}

std::string_view TearFillName(TearFill fill) {
  switch (fill) {
    case TearFill::kOld: return "old";
    case TearFill::kZeros: return "zeros";
    case TearFill::kGarbage: return "garbage";
  }
  return "?";
}

std::string CrashImageSpec::ToString() const {
  if (survivors.empty()) return "none";
  std::string out;
  for (const Survivor& s : survivors) {
    if (!out.empty()) out += ' ';
    out += fmt::format("#{}", s.seq);
    switch (s.mode) {
      case Survivor::Mode::kWhole: break;
      case Survivor::Mode::kRenameLink: out += ":link"; break;
      case Survivor::Mode::kTornWrite:
        out += fmt::format(":tear={}/{}:{}", s.kept_pieces, s.pieces, TearFillName(s.fill));
        if (s.fill == TearFill::kGarbage) out += fmt::format("={}", s.garbage_seed);
        break;
    }
  }
  return out;
}

Result<CrashImageSpec> CrashImageSpec::Parse(std::string_view text) {
  CrashImageSpec spec;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    std::string_view word = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (word.empty()) continue;
    if (word == "none") continue;
    if (word.front() != '#') return BadSpec(text, fmt::format("'{}' does not start with '#'", word));
    word.remove_prefix(1);
    size_t colon = word.find(':');
    Survivor s;
    if (!ParseInt(word.substr(0, colon), s.seq)) return BadSpec(text, "bad sequence number");
    if (colon != std::string_view::npos) {
      std::string_view mode = word.substr(colon + 1);
      if (mode == "link") {
        s.mode = Survivor::Mode::kRenameLink;
      } else if (mode.starts_with("tear=")) {
        s.mode = Survivor::Mode::kTornWrite;
        mode.remove_prefix(5);
        size_t slash = mode.find('/');
        size_t fill_colon = mode.find(':');
        if (slash == std::string_view::npos || fill_colon == std::string_view::npos ||
            fill_colon < slash || !ParseInt(mode.substr(0, slash), s.kept_pieces) ||
            !ParseInt(mode.substr(slash + 1, fill_colon - slash - 1), s.pieces)) {
          return BadSpec(text, fmt::format("bad tear '{}' (want tear=K/N:fill)", mode));
        }
        std::string_view fill = mode.substr(fill_colon + 1);
        if (fill == "old") {
          s.fill = TearFill::kOld;
        } else if (fill == "zeros") {
          s.fill = TearFill::kZeros;
        } else if (fill.starts_with("garbage=") && ParseInt(fill.substr(8), s.garbage_seed)) {
          s.fill = TearFill::kGarbage;
        } else {
          return BadSpec(text, fmt::format("bad fill '{}' (old, zeros, garbage=SEED)", fill));
        }
        int64_t kept = s.kept_pieces < 0 ? -int64_t{s.kept_pieces} : int64_t{s.kept_pieces};
        if (kept == 0 || kept >= int64_t{s.pieces}) {
          return BadSpec(text, "a tear keeps at least one piece and loses at least one");
        }
      } else {
        return BadSpec(text, fmt::format("unknown survivor mode '{}'", mode));
      }
    }
    if (!spec.survivors.empty() && spec.survivors.back().seq >= s.seq) {
      return BadSpec(text, "survivors must be in ascending order, each once");
    }
    spec.survivors.push_back(s);
  }
  return spec;
}

}  // namespace walcrash::vfs
