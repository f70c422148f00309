#include "harness/workload_runner.h"

#include <fmt/format.h>

#include "harness/oracles.h"

namespace walcrash::harness {

EngineConfig EngineConfigOf(const Workload& workload) {
  EngineConfig c;
  c.engine = workload.engine;
  c.options = workload.options;
  c.policy = workload.policy;
  return c;
}

WorkloadRunner::WorkloadRunner(Workload workload, RunOptions options, Hook hook)
    : workload_(std::move(workload)),
      options_(std::move(options)),
      config_(EngineConfigOf(workload_)),
      model_(TraitsOf(workload_.engine)) {
  vfs::SimVfsOptions sim_options;
  sim_options.sector_size = options_.sector_size;
  sim_ = std::make_unique<vfs::SimVfs>(sim_options);
  if (!options_.fault_plan.empty()) sim_->SetFaultPlan(options_.fault_plan);
  hooked_ = std::make_unique<CallHookVfs>(*sim_, std::move(hook));
}

WorkloadRunner::~WorkloadRunner() {
  // The adapter's WAL closes in its destructor: that is no crash point.
  hooked_->DisableHook();
  adapter_.reset();
}

CrashWindow WorkloadRunner::Window() const {
  return WindowAt(model_, current_op(), adapter_ ? adapter_->Claim() : DurabilityClaim{});
}

Status WorkloadRunner::Apply(const ResolvedOp& r) {
  if (r.noop) return {};
  switch (r.op.kind) {
    case OpKind::kCreate: return adapter_->Create(r.op.metadata);
    case OpKind::kSave:
    case OpKind::kOverwrite:
    case OpKind::kCommit:
    case OpKind::kElect: return adapter_->Save(r.state, r.entries);
    case OpKind::kSnapshot: return adapter_->SaveSnapshot(r.snapshot);
    case OpKind::kSync: return adapter_->Sync();
    case OpKind::kTick: return adapter_->Tick();
    case OpKind::kRelease: return adapter_->Release(r.release_index);
    case OpKind::kPolicy: return adapter_->SetSyncPolicy(r.op.policy);
    case OpKind::kReopen: {
      WALCRASH_RETURN_IF_ERROR(adapter_->Close());
      auto read = adapter_->Recover();
      if (!read.ok()) return read.status().Annotate("reopen");
      // Close made everything durable: a clean reopen reads it all back.
      const RecoveredLog expected = model_.Read(model_.issued());
      if (read->Digest() != expected.Digest() && !live_violation_) {
        live_violation_ = Violation{std::string(kOracleLiveRun),
                                    fmt::format("operation {} (reopen) read back {}; acknowledged: {}; {}",
                                                current_op() + 1, read->Summary(), expected.Summary(),
                                                read->DiffFrom(expected))};
      }
      return {};
    }
  }
  return {};
}

Status WorkloadRunner::Start() {
  WALCRASH_RETURN_IF_ERROR(ValidateEngineConfig(config_));
  WALCRASH_ASSIGN_OR_RETURN(adapter_, MakeWalUnderTest(*hooked_, config_));
  return {};
}

bool WorkloadRunner::Step(const Op& op) {
  if (failed_op_ || live_violation_ || !adapter_) return false;
  const size_t i = model_.ops_begun();
  if (i >= workload_.ops.size() || !(workload_.ops[i] == op)) {
    workload_.ops.resize(i);
    workload_.ops.push_back(op);
  }
  ResolvedOp r = model_.Begin(op);
  Status s = Apply(r);
  op_log_.push_back(fmt::format("{:>4}  {}  {}", i + 1, r.ToText(), s.ok() ? "OK" : s.ToString()));
  if (!s.ok()) {
    failed_op_ = i;
    failure_ = s;
    if (options_.fault_plan.empty() && !live_violation_) {
      live_violation_ = Violation{std::string(kOracleLiveRun),
                                  fmt::format("operation {} ({}) failed with no fault injected: {}", i + 1,
                                              r.op.ToText(), s.ToString())};
    }
    return false;
  }
  model_.Acknowledge();
  return !live_violation_;
}

Status WorkloadRunner::Run() {
  WALCRASH_RETURN_IF_ERROR(workload_.Validate());
  WALCRASH_RETURN_IF_ERROR(Start());
  const std::vector<Op> ops = workload_.ops;
  for (const Op& op : ops) {
    if (!Step(op)) break;
  }
  return {};
}

}  // namespace walcrash::harness
