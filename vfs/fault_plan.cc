#include "vfs/fault_plan.h"

#include <fnmatch.h>

#include <cerrno>
#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "common/text.h"
#include "vfs/cow_bytes.h"
#include "vfs/vfs.h"

namespace walcrash::vfs {
namespace {

constexpr std::pair<int, std::string_view> kErrnoNames[] = {
    {EIO, "EIO"},       {ENOSPC, "ENOSPC"},   {EDQUOT, "EDQUOT"},       {EOPNOTSUPP, "EOPNOTSUPP"},
    {EACCES, "EACCES"}, {EPERM, "EPERM"},     {EROFS, "EROFS"},         {ENOENT, "ENOENT"},
    {EEXIST, "EEXIST"}, {EINVAL, "EINVAL"},   {EWOULDBLOCK, "EWOULDBLOCK"}, {EBADF, "EBADF"},
    {EINTR, "EINTR"},   {EFBIG, "EFBIG"},     {EMFILE, "EMFILE"},       {ENOTDIR, "ENOTDIR"},
    {EISDIR, "EISDIR"}, {ENOTEMPTY, "ENOTEMPTY"}, {EXDEV, "EXDEV"},     {EBUSY, "EBUSY"},
};

std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

Status BadRule(std::string_view text, std::string_view why) {
  return Status(Code::kInvalidArgument, "", fmt::format("fault rule '{}': {}", text, why));
}

}  // namespace

std::optional<int> ParseErrno(std::string_view text) {
  for (const auto& [number, name] : kErrnoNames) {
    if (name == text) return number;
  }
  auto n = ParseU64(text);
  if (n && *n > 0 && *n < 4096) return static_cast<int>(*n);
  return std::nullopt;
}

std::string ErrnoName(int error_number) {
  for (const auto& [number, name] : kErrnoNames) {
    if (number == error_number) return std::string(name);
  }
  return std::to_string(error_number);
}

std::string_view FaultEffectName(FaultEffect effect) {
  switch (effect) {
    case FaultEffect::kFail: return "fail";
    case FaultEffect::kShortWrite: return "short-write";
    case FaultEffect::kErrorAfterEffect: return "after";
  }
  return "?";
}

std::string FaultRule::ToString() const {
  std::string out = fmt::format("{} {}", op ? OpKindName(*op) : "*", path_glob);
  if (nth != 0) out += fmt::format(" nth={}", nth);
  if (nth != 0 && count != 1) out += count == 0 ? " count=all" : fmt::format(" count={}", count);
  if (probability < 1.0) out += fmt::format(" p={} seed={}", probability, seed);
  if (effect != FaultEffect::kFail) out += fmt::format(" effect={}", FaultEffectName(effect));
  out += fmt::format(" errno={}", ErrnoName(error_number));
  if (effect == FaultEffect::kShortWrite && short_write_bytes != 0) {
    out += fmt::format(" short={}", short_write_bytes);
  }
  return out;
}

Result<FaultRule> FaultRule::Parse(std::string_view text) {
  std::vector<std::string_view> words = SplitWords(text);
  if (words.size() < 2) return BadRule(text, "expected '<op|*> <glob> [key=value ...]'");
  FaultRule rule;
  if (words[0] != "*") {
    rule.op = ParseOpKind(words[0]);
    if (!rule.op) return BadRule(text, fmt::format("unknown operation '{}'", words[0]));
  }
  rule.path_glob = std::string(words[1]);
  for (size_t i = 2; i < words.size(); ++i) {
    std::string_view word = words[i];
    size_t eq = word.find('=');
    if (eq == std::string_view::npos) return BadRule(text, fmt::format("'{}' is not key=value", word));
    std::string_view key = word.substr(0, eq);
    std::string_view value = word.substr(eq + 1);
    auto number = ParseU64(value);
    if (key == "nth" && number) {
      rule.nth = *number;
    } else if (key == "count" && (number || value == "all")) {
      rule.count = number ? *number : 0;
    } else if (key == "seed" && number) {
      rule.seed = *number;
    } else if (key == "short" && number) {
      rule.short_write_bytes = *number;
    } else if (key == "p") {
      double p = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
      if (ec != std::errc() || end != value.data() + value.size() || p < 0.0 || p > 1.0) {
        return BadRule(text, fmt::format("p must be in [0,1], got '{}'", value));
      }
      rule.probability = p;
    } else if (key == "effect") {
      if (value == "fail") rule.effect = FaultEffect::kFail;
      else if (value == "short-write") rule.effect = FaultEffect::kShortWrite;
      else if (value == "after") rule.effect = FaultEffect::kErrorAfterEffect;
      else return BadRule(text, fmt::format("unknown effect '{}'", value));
    } else if (key == "errno") {
      auto e = ParseErrno(value);
      if (!e) return BadRule(text, fmt::format("unknown errno '{}'", value));
      rule.error_number = *e;
    } else {
      return BadRule(text, fmt::format("unknown or malformed key '{}'", word));
    }
  }
  return rule;
}

Result<FaultPlan> FaultPlan::Parse(std::string_view text) {
  FaultPlan plan;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    if (SplitWords(line).empty()) continue;
    auto rule = FaultRule::Parse(line);
    if (!rule.ok()) return rule.error().Annotate(fmt::format("line {}", line_number));
    plan.Add(std::move(rule).value());
  }
  return plan;
}

std::string FaultPlan::ToString() const {
  std::string out;
  for (const FaultRule& rule : rules_) {
    out += rule.ToString();
    out += '\n';
  }
  return out;
}

std::optional<FaultDecision> FaultPlan::Check(OpKind op, std::string_view path) {
  if (rules_.empty()) return std::nullopt;
  state_.resize(rules_.size());
  std::optional<FaultDecision> decision;
  std::string path_z(path);  // fnmatch needs NUL-terminated strings
  for (size_t i = 0; i < rules_.size(); ++i) {
    const FaultRule& rule = rules_[i];
    if (rule.op && *rule.op != op) continue;
    if (fnmatch(rule.path_glob.c_str(), path_z.c_str(), 0) != 0) continue;
    RuleState& st = state_[i];
    uint64_t match_number = ++st.matches;
    uint64_t per_path = ++st.matches_per_path[path_z];
    if (decision) continue;  // still counted, so later rules' nth stay exact
    bool in_window = rule.nth == 0 ||
                     (match_number >= rule.nth && (rule.count == 0 || match_number < rule.nth + rule.count));
    if (!in_window) continue;
    if (rule.probability < 1.0) {
      uint64_t h = HashCombine(HashCombine(rule.seed, HashBytes(AsBytes(path_z), 0x5eed)), per_path);
      double draw = static_cast<double>(h >> 11) * 0x1.0p-53;
      if (draw >= rule.probability) continue;
    }
    ++st.fired;
    decision = FaultDecision{rule.effect, rule.error_number, rule.short_write_bytes, i};
  }
  return decision;
}

uint64_t FaultPlan::fired(size_t rule_index) const {
  return rule_index < state_.size() ? state_[rule_index].fired : 0;
}

}  // namespace walcrash::vfs
