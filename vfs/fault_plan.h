// FaultPlan — deterministic, data-driven faults on SimVfs calls.
//
// A plan is a list of rules. Each call is checked against the rules in order;
// the first rule that fires decides the call's fate. A rule matches an
// operation kind (or any), a path glob (fnmatch(3) without FNM_PATHNAME, so
// "*.wal" matches "/data/wal/0000-0000.wal"), and fires on the nth matching
// call, on a run of calls from the nth, or with a probability drawn from its
// seed. The draw depends only on (seed, path, how many matching calls that
// path has seen), so it is the same whatever the interleaving across paths.
//
// Effects (what SimVfs does when a rule fires; see sim_vfs.h for sync):
//   fail        the call fails with `error_number` before it takes any effect
//   short-write a write or append stores only its first `short_write_bytes`
//               (half when 0), then fails with `error_number`
//   after       "error after effect": the call takes full effect, then
//               reports `error_number`
// A sync or datasync that fails (effect fail or short-write, or its libfiu
// point) follows Linux: the file's unsynced writes are dropped from the
// durable path and will never be made durable by a later sync (sim_vfs.h F1).
// With effect "after" the sync makes them durable, then reports the error.
//
// Text form, one rule per line (for scenario files and the CLI):
//   <op|*> <glob> [nth=N] [count=N|count=all] [p=0.25] [seed=N]
//                 [effect=fail|short-write|after] [errno=EIO|ENOSPC|...|N]
//                 [short=N]
//   e.g. "preallocate *.tmp nth=3 errno=ENOSPC" — the 3rd preallocate of a
//   .tmp file fails with ENOSPC.
//
// Threading: SimVfs calls Check under its own mutex.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "vfs/op_kind.h"

namespace walcrash::vfs {

enum class FaultEffect : unsigned char { kFail, kShortWrite, kErrorAfterEffect };
std::string_view FaultEffectName(FaultEffect effect);

struct FaultRule {
  std::optional<OpKind> op;      // nullopt = any operation
  std::string path_glob = "*";
  uint64_t nth = 0;              // 1-based; 0 = every matching call
  uint64_t count = 1;            // with nth: calls that fire from the nth on; 0 = all
  double probability = 1.0;      // chance that an otherwise firing call fires
  uint64_t seed = 0;
  FaultEffect effect = FaultEffect::kFail;
  int error_number = 5;          // EIO
  uint64_t short_write_bytes = 0;

  std::string ToString() const;
  static Result<FaultRule> Parse(std::string_view text);
};

// What a fired rule tells the backend to do.
struct FaultDecision {
  FaultEffect effect;
  int error_number;
  uint64_t short_write_bytes;
  size_t rule_index;
};

class FaultPlan {
 public:
  FaultPlan() = default;
  explicit FaultPlan(std::vector<FaultRule> rules) : rules_(std::move(rules)) {}

  // One rule per non-empty line; '#' starts a comment.
  static Result<FaultPlan> Parse(std::string_view text);
  std::string ToString() const;

  void Add(FaultRule rule) { rules_.push_back(std::move(rule)); }
  const std::vector<FaultRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }

  // Counts the call against every matching rule and returns the decision of
  // the first that fires.
  std::optional<FaultDecision> Check(OpKind op, std::string_view path);

  // How many times each rule has fired so far.
  uint64_t fired(size_t rule_index) const;

 private:
  struct RuleState {
    uint64_t matches = 0;
    uint64_t fired = 0;
    std::map<std::string, uint64_t, std::less<>> matches_per_path;
  };
  std::vector<FaultRule> rules_;
  std::vector<RuleState> state_;
};

// "EIO" -> 5, "28" -> 28; nullopt when unknown.
std::optional<int> ParseErrno(std::string_view text);
// 5 -> "EIO"; numbers without a name print as digits.
std::string ErrnoName(int error_number);

}  // namespace walcrash::vfs
