// WorkloadRunner — runs a workload against a fresh WAL on a SimVfs, keeping
// the reference model in step, and stops at every crash point.
//
// The WAL's Vfs is a CallHookVfs over the SimVfs: before every crash-relevant
// call (call_hook_vfs.h) the runner's hook sees the SimVfs as a crash there
// would find it, the model with the running operation's records issued, and
// the adapter (whose Claim() is the promise at that instant).
//
// An operation that fails is not acknowledged and ends the run (a WAL error
// is fatal to a server). If no fault was injected (no fault plan), that is a
// finding of its own (oracle live-run), as is a reopen that reads back
// anything but the acknowledged log.
//
// Threading: single-threaded; the engine runs without background threads.
// Ownership: the runner owns the SimVfs, the model and the adapter.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/call_hook_vfs.h"
#include "harness/model.h"
#include "harness/oracles.h"
#include "harness/wal_under_test.h"
#include "harness/workload.h"
#include "vfs/fault_plan.h"
#include "vfs/sim_vfs.h"

namespace walcrash::harness {

struct RunOptions {
  uint32_t sector_size = 512;
  vfs::FaultPlan fault_plan;  // on the live run only
};

class WorkloadRunner {
 public:
  using Hook = std::function<void(const PendingCall&)>;
  // The workload must be valid (Workload::Validate).
  WorkloadRunner(Workload workload, RunOptions options, Hook hook = nullptr);
  ~WorkloadRunner();

  // Runs every operation (or until one fails). Returns a usage error when the
  // engine config is wrong; a failing operation is not an error here (see
  // failed_op / live_violation).
  Status Run();

  // Step by step, for stateful properties: Start builds the adapter (the
  // workload's ops are not run); Step runs one more operation, appends it to
  // workload(), and returns false once an operation failed (then or before:
  // nothing more runs).
  Status Start();
  bool Step(const Op& op);

  vfs::SimVfs& sim() { return *sim_; }
  const RaftLogModel& model() const { return model_; }
  WalUnderTest& adapter() { return *adapter_; }
  const Workload& workload() const { return workload_; }
  const EngineConfig& engine_config() const { return config_; }
  // The operation running now (during the hook) or the last one begun.
  size_t current_op() const { return model_.ops_begun() == 0 ? 0 : model_.ops_begun() - 1; }
  uint64_t calls_done() const { return hooked_->calls_done(); }
  // The window a crash right now falls in.
  CrashWindow Window() const;

  std::optional<size_t> failed_op() const { return failed_op_; }
  const Status& failure() const { return failure_; }
  const std::optional<Violation>& live_violation() const { return live_violation_; }
  // One line per operation begun: "3  save entries=2 size=10: entries 4..5 term 1, state {...}  OK".
  const std::vector<std::string>& op_log() const { return op_log_; }

 private:
  Status Apply(const ResolvedOp& op);

  Workload workload_;
  RunOptions options_;
  EngineConfig config_;
  std::unique_ptr<vfs::SimVfs> sim_;
  std::unique_ptr<CallHookVfs> hooked_;
  RaftLogModel model_;
  std::unique_ptr<WalUnderTest> adapter_;
  std::optional<size_t> failed_op_;
  Status failure_;
  std::optional<Violation> live_violation_;
  std::vector<std::string> op_log_;
};

// The engine config a workload asks for.
EngineConfig EngineConfigOf(const Workload& workload);

}  // namespace walcrash::harness
