#include "harness/minimizer.h"

#include <chrono>

#include <fmt/format.h>

#include "harness/replay.h"

namespace walcrash::harness {

namespace {

class Minimizer {
 public:
  Minimizer(const MinimizeOptions& options) : options_(options), start_(std::chrono::steady_clock::now()) {}

  Result<MinimizeResult> Run(const Reproducer& failing) {
    WALCRASH_ASSIGN_OR_RETURN(ReplayResult first, Replay(failing));
    if (!first.verdict) {
      return Status(Code::kInvalidArgument, "", "minimize: the case does not fail (it replays to a pass)");
    }
    oracle_ = first.verdict->oracle;
    best_ = failing;
    best_.verdict = *first.verdict;
    MinimizeResult result;
    result.ops_before = failing.workload.ops.size();
    result.survivors_before = failing.image.survivors.size();
    for (bool progress = true; progress && Budget();) {
      progress = false;
      progress |= DropOperations();
      progress |= ShrinkPayloads();
    }
    DropSurvivors();
    // The verdict as the final case gives it (its message may name other
    // operations than the original's).
    WALCRASH_ASSIGN_OR_RETURN(ReplayResult last, Replay(best_));
    if (!last.verdict || last.verdict->oracle != oracle_) {
      return Status(Code::kInvalidArgument, "", "minimize: the minimised case no longer fails the same oracle (a nondeterministic WAL under test?)");
    }
    best_.verdict = *last.verdict;
    result.reproducer = best_;
    result.attempts = attempts_;
    result.ops_after = best_.workload.ops.size();
    result.survivors_after = best_.image.survivors.size();
    return result;
  }

 private:
  bool Budget() {
    if (attempts_ >= options_.max_attempts) return false;
    if (options_.budget_seconds > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() > options_.budget_seconds) {
      return false;
    }
    return true;
  }

  // Explores `workload` like the failing case was explored and returns the
  // first finding of the same oracle, if any.
  std::optional<Reproducer> Explore(const Workload& workload) {
    if (!Budget() || !workload.Validate().ok()) return std::nullopt;
    ++attempts_;
    ExploreOptions eo = options_.explore;
    eo.models = {best_.model};
    eo.sector_size = best_.sector_size;
    auto plan = vfs::FaultPlan::Parse(best_.fault_plan);
    if (!plan.ok()) return std::nullopt;
    eo.fault_plan = *plan;
    eo.check.write_after_recovery = best_.write_after_recovery;
    eo.check.recovery_crashes = best_.recovery_crash.has_value();
    eo.media_faults = best_.media_fault.has_value();
    eo.only_oracle = oracle_;
    eo.stop_at_first = true;
    eo.progress = nullptr;
    eo.budget_seconds = 0;
    auto report = harness::Explore(workload, eo);
    if (!report.ok() || report->reproducers.empty()) return std::nullopt;
    return report->reproducers.front();
  }

  // ddmin over operations: drop runs of halving length (never the create).
  bool DropOperations() {
    bool progress = false;
    for (size_t chunk = std::max<size_t>(best_.workload.ops.size() / 2, 1); chunk >= 1 && Budget(); chunk /= 2) {
      for (size_t at = 1; at < best_.workload.ops.size() && Budget();) {
        Workload candidate = best_.workload;
        size_t end = std::min(at + chunk, candidate.ops.size());
        candidate.ops.erase(candidate.ops.begin() + static_cast<std::ptrdiff_t>(at),
                            candidate.ops.begin() + static_cast<std::ptrdiff_t>(end));
        if (auto found = Explore(candidate)) {
          best_ = *found;
          progress = true;
        } else {
          at += chunk;
        }
      }
      if (chunk == 1) break;
    }
    return progress;
  }

  bool ShrinkPayloads() {
    bool progress = false;
    for (size_t i = 0; i < best_.workload.ops.size() && Budget(); ++i) {
      for (;;) {
        const Op& op = best_.workload.ops[i];
        if (op.kind != OpKind::kSave && op.kind != OpKind::kOverwrite) break;
        Workload candidate = best_.workload;
        Op& c = candidate.ops[i];
        if (c.size > 0) {
          c.size /= 2;
        } else if (c.entries > 1) {
          c.entries /= 2;
        } else {
          break;
        }
        auto found = Explore(candidate);
        if (!found) break;
        best_ = *found;
        progress = true;
      }
    }
    return progress;
  }

  // Same crash point, fewer survivors (or untorn ones).
  void DropSurvivors() {
    auto still_fails = [&](const Reproducer& candidate) {
      if (!Budget()) return false;
      ++attempts_;
      auto replay = Replay(candidate);
      return replay.ok() && replay->verdict && replay->verdict->oracle == oracle_;
    };
    for (size_t i = 0; i < best_.image.survivors.size() && Budget();) {
      Reproducer candidate = best_;
      candidate.image.survivors.erase(candidate.image.survivors.begin() + static_cast<std::ptrdiff_t>(i));
      if (still_fails(candidate)) {
        best_ = candidate;
        continue;
      }
      if (best_.image.survivors[i].mode != vfs::Survivor::Mode::kWhole) {
        candidate = best_;
        candidate.image.survivors[i] = vfs::Survivor{candidate.image.survivors[i].seq};
        if (still_fails(candidate)) best_ = candidate;
      }
      ++i;
    }
  }

  const MinimizeOptions& options_;
  std::chrono::steady_clock::time_point start_;
  std::string oracle_;
  Reproducer best_;
  size_t attempts_ = 0;
};

}  // namespace

Result<MinimizeResult> Minimize(const Reproducer& failing, const MinimizeOptions& options) {
  Minimizer minimizer(options);
  return minimizer.Run(failing);
}

}  // namespace walcrash::harness
