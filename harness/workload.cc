#include "harness/workload.h"

#include "harness/engine_traits.h"

#include <charconv>
#include <random>

#include <fmt/format.h>

#include "common/text.h"

namespace walcrash::harness {

namespace {

constexpr std::string_view kOpNames[] = {"create", "save",   "overwrite", "commit", "elect",  "snapshot",
                                         "sync",   "tick",   "release",   "reopen", "policy"};

Status Bad(std::string_view line, std::string_view why) {
  return Status(Code::kInvalidArgument, "", fmt::format("workload: '{}': {}", line, why));
}

Result<uint32_t> ParseNumber(std::string_view line, std::string_view key, std::string_view value, uint32_t max) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
    return Bad(line, fmt::format("{}={} is not a number", key, value));
  }
  if (v > max) return Bad(line, fmt::format("{}={} is out of range (at most {})", key, value, max));
  return static_cast<uint32_t>(v);
}

Result<SyncLevel> ParseLevel(std::string_view line, std::string_view text) {
  if (text == "nolog") return SyncLevel::kNoLog;
  if (text == "write") return SyncLevel::kWrite;
  if (text == "fsync") return SyncLevel::kFsync;
  return Bad(line, fmt::format("level={} is not nolog, write or fsync", text));
}

Result<SyncPolicy> ParsePolicy(std::string_view line, const std::vector<std::string_view>& tokens) {
  SyncPolicy policy;
  for (size_t i = 1; i < tokens.size(); ++i) {
    std::string_view t = tokens[i];
    size_t eq = t.find('=');
    if (eq == std::string_view::npos) return Bad(line, fmt::format("'{}' is not key=value", t));
    std::string_view key = t.substr(0, eq), value = t.substr(eq + 1);
    if (key == "level") {
      WALCRASH_ASSIGN_OR_RETURN(policy.level, ParseLevel(line, value));
    } else if (key == "period") {
      WALCRASH_ASSIGN_OR_RETURN(policy.period_ms, ParseNumber(line, key, value, 3600 * 1000));
    } else {
      return Bad(line, fmt::format("unknown key '{}' (level, period)", key));
    }
  }
  return policy;
}

std::string PolicyText(const SyncPolicy& p) { return fmt::format("level={} period={}", SyncLevelName(p.level), p.period_ms); }

}  // namespace

std::string_view OpKindName(OpKind kind) { return kOpNames[static_cast<size_t>(kind)]; }

std::string Op::ToText() const {
  switch (kind) {
    case OpKind::kCreate: return metadata.empty() ? "create" : fmt::format("create metadata={}", metadata);
    case OpKind::kSave:
      return commit ? fmt::format("save entries={} size={} commit={}", entries, size, commit)
                    : fmt::format("save entries={} size={}", entries, size);
    case OpKind::kOverwrite: return fmt::format("overwrite back={} entries={} size={}", back, entries, size);
    case OpKind::kCommit: return fmt::format("commit {}", commit);
    case OpKind::kPolicy: return fmt::format("policy {}", PolicyText(policy));
    default: return std::string(OpKindName(kind));
  }
}

Result<Op> Op::Parse(std::string_view line) {
  std::vector<std::string_view> tokens = SplitWords(line);
  if (tokens.empty()) return Bad(line, "empty operation");
  Op op;
  size_t k = 0;
  for (; k < std::size(kOpNames); ++k) {
    if (tokens[0] == kOpNames[k]) break;
  }
  if (k == std::size(kOpNames)) return Bad(line, fmt::format("unknown operation '{}'", tokens[0]));
  op.kind = static_cast<OpKind>(k);
  if (op.kind == OpKind::kPolicy) {
    WALCRASH_ASSIGN_OR_RETURN(op.policy, ParsePolicy(line, tokens));
    return op;
  }
  if (op.kind == OpKind::kCommit) {
    if (tokens.size() != 2) return Bad(line, "commit takes one number (how far the commit index advances)");
    WALCRASH_ASSIGN_OR_RETURN(op.commit, ParseNumber(line, "commit", tokens[1], kMaxEntriesPerOp));
    return op;
  }
  for (size_t i = 1; i < tokens.size(); ++i) {
    std::string_view t = tokens[i];
    size_t eq = t.find('=');
    if (eq == std::string_view::npos) return Bad(line, fmt::format("'{}' is not key=value", t));
    std::string_view key = t.substr(0, eq), value = t.substr(eq + 1);
    const bool appends = op.kind == OpKind::kSave || op.kind == OpKind::kOverwrite;
    if (op.kind == OpKind::kCreate && key == "metadata") {
      op.metadata = std::string(value);
    } else if (appends && key == "entries") {
      WALCRASH_ASSIGN_OR_RETURN(op.entries, ParseNumber(line, key, value, kMaxEntriesPerOp));
    } else if (appends && key == "size") {
      WALCRASH_ASSIGN_OR_RETURN(op.size, ParseNumber(line, key, value, kMaxEntryBytes));
    } else if (op.kind == OpKind::kSave && key == "commit") {
      WALCRASH_ASSIGN_OR_RETURN(op.commit, ParseNumber(line, key, value, kMaxEntriesPerOp));
    } else if (op.kind == OpKind::kOverwrite && key == "back") {
      WALCRASH_ASSIGN_OR_RETURN(op.back, ParseNumber(line, key, value, kMaxEntriesPerOp));
    } else {
      return Bad(line, fmt::format("'{}' takes no '{}'", tokens[0], key));
    }
  }
  return op;
}

std::string Workload::ToText() const {
  std::string out = fmt::format("engine {}\n", engine);
  for (const auto& [key, value] : options) out += fmt::format("option {} {}\n", key, value);
  if (policy != SyncPolicy{}) out += fmt::format("policy {}\n", PolicyText(policy));
  for (const Op& op : ops) out += op.ToText() + "\n";
  return out;
}

Result<Workload> Workload::Parse(std::string_view text) {
  Workload w;
  const std::vector<std::string_view> lines = SplitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t line_no = i + 1;
    std::string_view line = lines[i].substr(0, lines[i].find('#'));
    std::vector<std::string_view> tokens = SplitWords(line);
    if (tokens.empty()) continue;
    auto at_line = [&](Status s) { return s.Annotate(fmt::format("line {}", line_no)); };
    if (tokens[0] == "engine") {
      if (tokens.size() != 2 || !w.ops.empty()) return at_line(Bad(line, "'engine NAME' comes once, before the operations"));
      w.engine = std::string(tokens[1]);
    } else if (tokens[0] == "option") {
      if (tokens.size() != 3 || !w.ops.empty()) return at_line(Bad(line, "'option KEY VALUE' comes before the operations"));
      w.options[std::string(tokens[1])] = std::string(tokens[2]);
    } else if (tokens[0] == "policy" && w.ops.empty()) {
      auto policy = ParsePolicy(line, tokens);
      if (!policy.ok()) return at_line(policy.status());
      w.policy = *policy;
    } else {
      auto op = Op::Parse(line);
      if (!op.ok()) return at_line(op.status());
      if (w.ops.size() >= kMaxOps) return at_line(Bad(line, fmt::format("more than {} operations", kMaxOps)));
      w.ops.push_back(*op);
    }
  }
  WALCRASH_RETURN_IF_ERROR(w.Validate());
  return w;
}

Status Workload::Validate() const {
  if (ops.empty() || ops.front().kind != OpKind::kCreate) {
    return Status(Code::kInvalidArgument, "", "workload: the first operation must be 'create'");
  }
  if (ops.size() > kMaxOps) return Status(Code::kInvalidArgument, "", fmt::format("workload: more than {} operations", kMaxOps));
  SyncPolicy current = policy;
  const EngineTraits traits = TraitsOf(engine);
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (i > 0 && op.kind == OpKind::kCreate) {
      return Status(Code::kInvalidArgument, "", fmt::format("workload: operation {}: 'create' only comes first", i + 1));
    }
    if ((op.kind == OpKind::kSave || op.kind == OpKind::kOverwrite) &&
        (op.entries == 0 || op.entries > kMaxEntriesPerOp || op.size > kMaxEntryBytes)) {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("workload: operation {} ('{}'): entries must be 1..{}, size at most {}", i + 1,
                                op.ToText(), kMaxEntriesPerOp, kMaxEntryBytes));
    }
    if ((op.kind == OpKind::kOverwrite && !traits.overwrite) || (op.kind == OpKind::kSnapshot && !traits.snapshots)) {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("workload: operation {}: engine '{}' cannot take '{}' ({})", i + 1, engine,
                                OpKindName(op.kind),
                                op.kind == OpKind::kOverwrite ? "its versions must grow" : "it keeps no snapshots"));
    }
    if (op.kind == OpKind::kPolicy) current = op.policy;
    if (op.kind == OpKind::kReopen && current.level == SyncLevel::kNoLog) {
      // Close makes nothing durable at level nolog, so what a reopen reads is
      // not the acknowledged log: the model cannot follow it.
      return Status(Code::kInvalidArgument, "",
                    fmt::format("workload: operation {}: 'reopen' at level nolog is not modelled", i + 1));
    }
  }
  return {};
}

Workload GenerateWorkload(uint64_t seed, const WorkloadProfile& profile) {
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  auto size = [&]() -> uint32_t {
    // Mostly small, some across several sectors, a few empty.
    switch (pick(8)) {
      case 0: return 0;
      case 1: case 2: return static_cast<uint32_t>(1 + pick(64));
      case 3: case 4: case 5: return static_cast<uint32_t>(64 + pick(448));
      default: return static_cast<uint32_t>(512 + pick(std::max<uint32_t>(profile.max_entry_bytes, 513) - 512));
    }
  };
  const EngineTraits traits = TraitsOf(profile.engine);
  Workload w;
  w.engine = profile.engine;
  // etcd cuts segments at this size; the TDengine adapter renews its file
  // (a vnode commit) once this much was written to it.
  w.options[profile.engine == "tdengine" ? "renew-bytes" : "segment-size"] = std::to_string(profile.segment_size_bytes);
  Op create;
  create.kind = OpKind::kCreate;
  create.metadata = fmt::format("seed-{}", seed);
  w.ops.push_back(create);
  SyncLevel level = SyncLevel::kFsync;
  const uint32_t max_entries = std::max<uint32_t>(profile.max_entries_per_save, 1);
  while (w.ops.size() < std::max<size_t>(profile.ops, 1)) {
    Op op;
    uint64_t roll = pick(100);
    if (roll < 45) {
      op.kind = OpKind::kSave;
      op.entries = static_cast<uint32_t>(1 + pick(max_entries));
      op.size = size();
      op.commit = static_cast<uint32_t>(pick(3));
    } else if (roll < 53) {
      op.kind = OpKind::kOverwrite;
      if (!traits.overwrite) continue;
      op.back = static_cast<uint32_t>(1 + pick(3));
      op.entries = static_cast<uint32_t>(1 + pick(max_entries));
      op.size = size();
    } else if (roll < 61) {
      op.kind = OpKind::kCommit;
      op.commit = static_cast<uint32_t>(1 + pick(3));
    } else if (roll < 65) {
      op.kind = OpKind::kElect;
    } else if (roll < 71) {
      if (!profile.snapshots || !traits.snapshots) continue;
      op.kind = OpKind::kSnapshot;
    } else if (roll < 77) {
      op.kind = OpKind::kSync;
    } else if (roll < 83) {
      op.kind = OpKind::kTick;
    } else if (roll < 88) {
      op.kind = OpKind::kRelease;
    } else if (roll < 93) {
      if (!profile.reopen) continue;
      op.kind = OpKind::kReopen;
    } else {
      if (!profile.policy_changes) continue;
      op.kind = OpKind::kPolicy;
      switch (pick(3)) {
        case 0: op.policy = SyncPolicy{SyncLevel::kFsync, 0}; break;
        case 1: op.policy = SyncPolicy{SyncLevel::kFsync, 10}; break;
        default: op.policy = SyncPolicy{SyncLevel::kWrite, 0}; break;
      }
      if (op.policy.level == level && op.policy.period_ms == 0) continue;
      level = op.policy.level;
    }
    w.ops.push_back(op);
  }
  return w;
}

}  // namespace walcrash::harness
