#include "harness/replay.h"

#include <fmt/format.h>

#include "harness/oracles.h"
#include "harness/workload_runner.h"

namespace walcrash::harness {

namespace {

std::string Fate(const vfs::PendingOperation& op, const vfs::CrashImageSpec& spec) {
  for (const vfs::Survivor& s : spec.survivors) {
    if (s.seq != op.seq) continue;
    switch (s.mode) {
      case vfs::Survivor::Mode::kWhole: return "survived";
      case vfs::Survivor::Mode::kRenameLink: return "torn: both names survive (link step only)";
      case vfs::Survivor::Mode::kTornWrite:
        return fmt::format("torn: kept the {} {} of {} sectors, the rest read as {}",
                           s.kept_pieces > 0 ? "first" : "last", s.kept_pieces > 0 ? s.kept_pieces : -s.kept_pieces,
                           s.pieces, vfs::TearFillName(s.fill));
    }
  }
  return "lost";
}

}  // namespace

bool ReplayResult::SameVerdictAs(const Reproducer& r) const {
  if (!verdict) return r.verdict.oracle.empty();
  return verdict->oracle == r.verdict.oracle && verdict->message == r.verdict.message;
}

std::string ReplayResult::ToText() const {
  std::string out = "== operations (as the model resolved them)\n";
  for (const std::string& line : op_log) out += line + "\n";
  out += "== VFS trace up to the crash\n" + trace;
  if (!trace.empty() && trace.back() != '\n') out += "\n";
  out += "== pending operations at the crash, and their fate in this image\n";
  if (pending.empty()) out += "(none: everything was durable)\n";
  for (const std::string& line : pending) out += line + "\n";
  out += "== crash window\n" + window + "\n";
  out += "== recovered\n" + recovered + "\n";
  out += "== the model allows\n" + expected + "\n";
  out += "== verdict\n";
  out += verdict ? fmt::format("FAIL {}: {}\n", verdict->oracle, verdict->message) : "PASS: every oracle holds\n";
  return out;
}

Result<ReplayResult> Replay(const Reproducer& r) {
  WALCRASH_RETURN_IF_ERROR(r.workload.Validate());
  WALCRASH_RETURN_IF_ERROR(ValidateEngineConfig(EngineConfigOf(r.workload)));
  RunOptions run;
  run.sector_size = r.sector_size;
  WALCRASH_ASSIGN_OR_RETURN(run.fault_plan, vfs::FaultPlan::Parse(r.fault_plan));
  ImageCheckOptions check;
  check.write_after_recovery = r.write_after_recovery;
  check.only_recovery_crash = r.recovery_crash;
  ReplayResult result;
  WorkloadRunner* runner_ptr = nullptr;
  auto at_crash = [&] {
    WorkloadRunner& runner = *runner_ptr;
    result.crash_point_reached = true;
    const CrashWindow window = runner.Window();
    result.window = window.ToString(runner.model());
    result.trace = runner.sim().TraceText();
    for (const vfs::PendingOperation& op : runner.sim().PendingOperations()) {
      result.pending.push_back(fmt::format("{}  -> {}", op.ToString(), Fate(op, r.image)));
    }
    const RaftLogModel& model = runner.model();
    std::string durable = window.durable_length ? model.Read(*window.durable_length).Summary() : "(claim matches nothing)";
    result.expected = fmt::format("at least: {}\nat most:  {}", durable, model.Read(window.issued).Summary());
    if (r.media_fault) result.expected += "\nmedia fault: " + r.media_fault->ToString();
    ImageVerdict v = CheckImage(runner.sim(), r.image, r.media_fault, runner.engine_config(), model, window, check);
    result.verdict = v.violation;
    result.recovered = v.summary.empty() ? "(recovery did not complete: see the verdict)" : v.summary;
  };
  WorkloadRunner runner(r.workload, run, [&](const PendingCall& call) {
    if (r.kind == Reproducer::Kind::kImage && !result.crash_point_reached && call.calls_done == r.crash_after_calls) {
      at_crash();
    }
  });
  runner_ptr = &runner;
  WALCRASH_RETURN_IF_ERROR(runner.Run());
  result.op_log = runner.op_log();
  if (r.kind == Reproducer::Kind::kLiveRun) {
    result.crash_point_reached = true;
    result.trace = runner.sim().TraceText();
    result.window = "(the finding is in the live run)";
    result.recovered = "(no crash)";
    result.expected = fmt::format("the acknowledged log: {}", runner.model().Read(runner.model().issued()).Summary());
    result.verdict = runner.live_violation();
    return result;
  }
  if (!result.crash_point_reached) {
    if (runner.calls_done() != r.crash_after_calls) {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("the crash point (after {} calls) is never reached: the workload makes {}",
                                r.crash_after_calls, runner.calls_done()));
    }
    at_crash();
  }
  return result;
}

}  // namespace walcrash::harness
