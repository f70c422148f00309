// Properties of the TDengine 2.6 WAL engine (engine/tdengine) and of its
// adapter (harness/tdengine_adapter.h), against the reference model
// (harness/model.h):
//
//   TdengineStateMachine  random save / sync / tick / policy / reopen
//     sequences on the strict engine (rc::state). After every command the
//     engine's version() is the model's last index; a reopen reads back
//     exactly the model's log; the claim (the adapter's Claim().last_index,
//     which is the engine's synced_version()) never exceeds what was written
//     and never goes backwards except through recovery.
//   TdengineCrashProperty  a generated tdengine workload explored at every
//     crash point, under every persistence model, with the explorer
//     (harness/explorer.h, the crash images and oracles the etcd properties
//     use): the strict engine gives no finding; the faithful engine (TDengine
//     as it is) fails the same property, and the search for a counterexample
//     is shown to find and shrink one.
//   TdengineRecordProperty / TdengineRestoreProperty  the record format
//     (round trip, single-bit flips) and Restore on a torn tail, strict and
//     faithful.
//
// Each property is deterministic for RapidCheck's seed (RC_PARAMS=seed=N);
// the faithful search uses a fixed seed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engine/tdengine/fsync_service.h"
#include "engine/tdengine/wal.h"
#include "engine/tdengine/wal_head.h"
#include "engine/tdengine/wal_name.h"
#include "harness/explorer.h"
#include "harness/model.h"
#include "harness/oracles.h"
#include "harness/reproducer.h"
#include "harness/tdengine_adapter.h"
#include "harness/wal_under_test.h"
#include "harness/workload.h"
#include "harness/workload_runner.h"
#include "properties/property.h"
#include "vfs/crash_image.h"
#include "vfs/sim_vfs.h"

// RapidCheck shows a drawn operation with showValue, found by ADL.
namespace walcrash::harness {
void showValue(const Op& op, std::ostream& os) { os << op.ToText(); }
}  // namespace walcrash::harness

namespace walcrash::tdengine {
namespace {

using harness::Op;
using harness::OpKind;
using harness::SyncLevel;
using harness::SyncPolicy;

constexpr std::string_view kDir = "/wal";

// A value uniform in [lo, hi) whatever RapidCheck's size, shrinking towards
// lo (gen::inRange scales its range with the size).
template <typename T>
rc::Gen<T> Uniform(T lo, T hi) {
  return rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

// The sync policies the commands use: fsync 0 syncs every write, fsync 10
// every service round, fsync 3000 every third round (max(P / 1000, 1)), write
// only on a forced sync. Never nolog (a reopen there is not modelled).
constexpr SyncPolicy kPolicies[] = {SyncPolicy{SyncLevel::kFsync, 0}, SyncPolicy{SyncLevel::kFsync, 10},
                                    SyncPolicy{SyncLevel::kFsync, 3000}, SyncPolicy{SyncLevel::kWrite, 0}};

WalConfig ConfigOf(const SyncPolicy& p) {
  return WalConfig{p.level == SyncLevel::kWrite ? Level::kWrite : Level::kFsync, static_cast<int32_t>(p.period_ms)};
}

std::string PolicyText(const SyncPolicy& p) {
  Op op;
  op.kind = OpKind::kPolicy;
  op.policy = p;
  return op.ToText();
}

// Entry payload sizes: some empty, mostly small, some over several sectors.
rc::Gen<uint32_t> EntrySize() {
  return rc::gen::weightedOneOf<uint32_t>({{1, rc::gen::just<uint32_t>(0)},
                                           {3, Uniform<uint32_t>(1, 64)},
                                           {3, Uniform<uint32_t>(64, 512)},
                                           {3, Uniform<uint32_t>(512, 1501)}});
}

// ===========================================================================
// The stateful property.

struct StatefulSetup {
  uint64_t renew_bytes = 0;  // the adapter's renew-bytes (0: never renew on size)
  bool keep = false;
  SyncPolicy policy;
};

void showValue(const StatefulSetup& s, std::ostream& os) {
  os << fmt::format("engine tdengine, option strict on, option keep {}, option renew-bytes {}, {}",
                    s.keep ? "on" : "off", s.renew_bytes, PolicyText(s.policy));
}

StatefulSetup DrawStatefulSetup() {
  StatefulSetup s;
  s.renew_bytes = *rc::gen::weightedOneOf<uint64_t>(
      {{1, rc::gen::just<uint64_t>(0)}, {3, Uniform<uint64_t>(64, 4097)}});
  s.keep = *Uniform<int>(0, 5) == 4;
  s.policy = kPolicies[*Uniform<size_t>(0, std::size(kPolicies))];
  return s;
}

// The system under test: the adapter on a WorkloadRunner (its model, its
// claim, its own check that a reopen reads back the acknowledged log) and,
// in step with it, the strict engine itself on a SimVfs of its own, driven
// as the adapter drives it (a TDengine vnode: walWrite + walFsync(false) per
// entry, walRenew once renew-bytes were written, walFsyncAll on a tick,
// walFsync(true) + walClose, then walOpen + walRestore + walRenew on a
// reopen), so that its version() and synced_version() can be read.
class Sut {
 public:
  explicit Sut(const StatefulSetup& setup) : setup_(setup), policy_(setup.policy) {
    harness::Workload w;
    w.engine = "tdengine";
    w.options["strict"] = "on";
    w.options["keep"] = setup.keep ? "on" : "off";
    w.options["renew-bytes"] = std::to_string(setup.renew_bytes);
    w.policy = setup.policy;
    runner_ = std::make_unique<harness::WorkloadRunner>(std::move(w), harness::RunOptions{});
    Status started = runner_->Start();
    if (!started.ok()) RC_FAIL("the runner did not start: " + started.ToString());
    Op create;
    create.kind = OpKind::kCreate;
    Run(create);
  }
  Sut(const Sut&) = delete;
  Sut& operator=(const Sut&) = delete;

  void Run(const Op& op) {
    const size_t issued_before = runner_->model().issued();
    const bool ok = runner_->Step(op);
    if (const auto& live = runner_->live_violation()) {
      RC_FAIL(fmt::format("{}: {}\n{}", live->oracle, live->message, OpLog()));
    }
    if (!ok) RC_FAIL(fmt::format("'{}' failed: {}\n{}", op.ToText(), runner_->failure().ToString(), OpLog()));
    Mirror(op, issued_before);
    Check(op);
  }

 private:
  std::string OpLog() const {
    std::string out;
    for (const std::string& line : runner_->op_log()) out += line + "\n";
    return out;
  }

  WalOptions EngineOptions() {
    WalOptions o;
    o.config = ConfigOf(policy_);
    o.keep = setup_.keep;
    o.strict = true;
    o.fsync_service = &service_;
    return o;
  }

  void Must(const Status& s, std::string_view what) {
    if (!s.ok()) RC_FAIL(fmt::format("the engine's {} failed: {}\n{}", what, s.ToString(), OpLog()));
  }

  void Open() {
    auto wal = Wal::Open(fs_, std::string(kDir), EngineOptions());
    Must(wal.status(), "walOpen");
    wal_ = std::move(wal).value();
  }

  // The operation on the engine, as the adapter made it.
  void Mirror(const Op& op, size_t issued_before) {
    const harness::RaftLogModel& model = runner_->model();
    switch (op.kind) {
      case OpKind::kCreate:
        Open();
        Must(wal_->Renew(), "walRenew");
        break;
      case OpKind::kSave:
        for (size_t i = issued_before; i < model.issued(); ++i) {
          const harness::ModelRecord& rec = model.stream()[i];
          if (rec.kind != harness::ModelRecord::Kind::kEntry) continue;
          const std::string body = harness::TdengineEntryBody(rec.entry);
          auto outcome = wal_->Write(3, rec.entry.index, body);
          Must(outcome.status(), "walWrite");
          if (*outcome != WriteOutcome::kWritten) {
            RC_FAIL(fmt::format("the engine did not write entry {}: {}", rec.entry.index, WriteOutcomeName(*outcome)));
          }
          Must(wal_->Fsync(false), "walFsync(false)");
          written_since_renew_ += kHeadBytes + body.size();
        }
        if (!setup_.keep && setup_.renew_bytes != 0 && written_since_renew_ >= setup_.renew_bytes) {
          Must(wal_->Renew(), "walRenew");
          written_since_renew_ = 0;
        }
        break;
      case OpKind::kSync: Must(wal_->Fsync(true), "walFsync(true)"); break;
      case OpKind::kTick: service_.RunOnce(); break;
      case OpKind::kPolicy:
        policy_ = op.policy;
        Must(wal_->Alter(ConfigOf(op.policy)), "walAlter");
        break;
      case OpKind::kReopen: Reopen(); break;
      default: RC_FAIL("the stateful property draws no " + op.ToText());
    }
  }

  // Close, then recover: the engine must read back exactly the model's log.
  void Reopen() {
    Must(wal_->Fsync(true), "walFsync(true)");
    Must(wal_->Close(), "walClose");
    wal_.reset();
    Open();
    std::vector<harness::LogEntry> read;
    uint64_t applied = 0;
    std::string bad;
    auto restored = wal_->Restore([&](const RestoredRecord& r) {
      if (r.head.version <= applied) return;  // the vnode passes over an old version
      std::optional<harness::LogEntry> e = harness::TdengineEntryFromBody(r.head.version, r.body);
      if (!e) {
        bad = fmt::format("record {} has a {}-byte body", r.head.version, r.body.size());
        return;
      }
      applied = r.head.version;
      read.push_back(std::move(*e));
    });
    Must(restored.status(), "walRestore");
    if (!bad.empty()) RC_FAIL("reopen: " + bad);
    const harness::RaftLogModel& model = runner_->model();
    const std::vector<harness::LogEntry> expected = model.Read(model.issued()).entries;
    if (read != expected) {
      size_t i = 0;
      while (i < read.size() && i < expected.size() && read[i] == expected[i]) ++i;
      RC_FAIL(fmt::format("reopen: the engine read back {} entries, the model has {}; first difference at position "
                          "{}\n{}",
                          read.size(), expected.size(), i, OpLog()));
    }
    if (!setup_.keep) Must(wal_->Renew(), "walRenew");
    written_since_renew_ = 0;
  }

  void Check(const Op& op) {
    const harness::RaftLogModel& model = runner_->model();
    const uint64_t last = model.last_index();
    if (wal_->version() != last) {
      RC_FAIL(fmt::format("after '{}': the engine's version() is {}, the model's last index {}\n{}", op.ToText(),
                          wal_->version(), last, OpLog()));
    }
    const harness::DurabilityClaim claim = runner_->adapter().Claim();
    if (!claim.created) RC_FAIL("after '" + op.ToText() + "': the adapter claims no WAL");
    if (claim.last_index != wal_->synced_version()) {
      RC_FAIL(fmt::format("after '{}': the adapter claims {}, the engine's synced_version() is {}\n{}", op.ToText(),
                          claim.last_index, wal_->synced_version(), OpLog()));
    }
    if (claim.last_index > last) {
      RC_FAIL(fmt::format("after '{}': the claim {} is past the last entry written, {}\n{}", op.ToText(),
                          claim.last_index, last, OpLog()));
    }
    if (op.kind != OpKind::kReopen && claim.last_index < last_claim_) {
      RC_FAIL(fmt::format("after '{}': the claim went back from {} to {} without a recovery\n{}", op.ToText(),
                          last_claim_, claim.last_index, OpLog()));
    }
    // Where the claim must reach everything written: a forced fsync, a
    // reopen (Close syncs, Restore claims what it read), a save at fsync 0,
    // and a service round at fsync 10 (every round is due).
    const SyncPolicy policy = policy_;
    const bool all = op.kind == OpKind::kSync || op.kind == OpKind::kReopen ||
                     (op.kind == OpKind::kSave && policy == SyncPolicy{SyncLevel::kFsync, 0}) ||
                     (op.kind == OpKind::kTick && policy == SyncPolicy{SyncLevel::kFsync, 10});
    if (all && claim.last_index != last) {
      RC_FAIL(fmt::format("after '{}' ({}): the claim is {}, not the last entry written, {}\n{}", op.ToText(),
                          PolicyText(policy), claim.last_index, last, OpLog()));
    }
    last_claim_ = claim.last_index;
  }

  const StatefulSetup setup_;
  SyncPolicy policy_;  // the one in force (the model's starts at its default)
  std::unique_ptr<harness::WorkloadRunner> runner_;
  // The engine in step (the WAL is destroyed before its service and files).
  vfs::SimVfs fs_;
  FsyncService service_{FsyncService::Mode::kManual};
  std::unique_ptr<Wal> wal_;
  uint64_t written_since_renew_ = 0;
  uint64_t last_claim_ = 0;
};

// What RapidCheck generates against: the last index and the policy.
struct StatefulModel {
  uint64_t last = 0;
  SyncPolicy policy;
};

using Command = rc::state::Command<StatefulModel, Sut>;
using CommandPtr = std::shared_ptr<const Command>;

class OpCommand final : public Command {
 public:
  explicit OpCommand(Op op) : op_(std::move(op)) {}
  void checkPreconditions(const StatefulModel& m) const override {
    if (op_.kind == OpKind::kTick) RC_PRE(m.policy.level == SyncLevel::kFsync && m.policy.period_ms > 0);
    if (op_.kind == OpKind::kPolicy) RC_PRE(!(op_.policy == m.policy));
  }
  void apply(StatefulModel& m) const override {
    if (op_.kind == OpKind::kSave) m.last += op_.entries;
    if (op_.kind == OpKind::kPolicy) m.policy = op_.policy;
  }
  void run(const StatefulModel&, Sut& sut) const override { sut.Run(op_); }
  void show(std::ostream& os) const override { os << op_.ToText(); }

 private:
  Op op_;
};

rc::Gen<CommandPtr> GenCommand(const StatefulModel& m) {
  return rc::gen::exec([m]() -> CommandPtr {
    std::vector<std::pair<int, OpKind>> table = {
        {45, OpKind::kSave}, {12, OpKind::kSync}, {10, OpKind::kReopen}, {12, OpKind::kPolicy}};
    if (m.policy.level == SyncLevel::kFsync && m.policy.period_ms > 0) table.emplace_back(15, OpKind::kTick);
    std::vector<OpKind> kinds;
    for (const auto& [weight, kind] : table) kinds.insert(kinds.end(), static_cast<size_t>(weight), kind);
    Op op;
    op.kind = kinds[*rc::gen::noShrink(Uniform<size_t>(0, kinds.size()))];
    if (op.kind == OpKind::kSave) {
      op.entries = *Uniform<uint32_t>(1, 5);
      op.size = *EntrySize();
    } else if (op.kind == OpKind::kPolicy) {
      std::vector<SyncPolicy> others;
      for (const SyncPolicy& p : kPolicies) {
        if (!(p == m.policy)) others.push_back(p);
      }
      op.policy = others[*Uniform<size_t>(0, others.size())];
    }
    return std::make_shared<OpCommand>(op);
  });
}

WALCRASH_PROP(TdengineStateMachine, VersionIsTheModelsLastIndexReopenReadsTheModelsLogAndTheClaimIsSound, 100) {
  const StatefulSetup setup = *rc::gen::exec(&DrawStatefulSetup);
  Sut sut(setup);
  StatefulModel initial;
  initial.policy = setup.policy;
  rc::state::check(initial, sut, &GenCommand);
}

// ===========================================================================
// The crash property: a drawn workload, explored.

rc::Gen<Op> GenWorkloadOp() {
  auto simple = [](OpKind kind) {
    Op op;
    op.kind = kind;
    return rc::gen::just(op);
  };
  return rc::gen::weightedOneOf<Op>({
      {45, rc::gen::map(rc::gen::pair(Uniform<uint32_t>(1, 4), EntrySize()),
                        [](const std::pair<uint32_t, uint32_t>& p) {
                          Op op;
                          op.kind = OpKind::kSave;
                          op.entries = p.first;
                          op.size = p.second;
                          return op;
                        })},
      {12, simple(OpKind::kSync)},
      {12, simple(OpKind::kTick)},
      {10, simple(OpKind::kReopen)},
      {12, rc::gen::map(Uniform<size_t>(0, std::size(kPolicies)),
                        [](size_t i) {
                          Op op;
                          op.kind = OpKind::kPolicy;
                          op.policy = kPolicies[i];
                          return op;
                        })},
  });
}

harness::Workload DrawWorkload(bool strict) {
  harness::Workload w;
  w.engine = "tdengine";
  w.options["strict"] = strict ? "on" : "off";
  const uint64_t renew =
      *rc::gen::weightedOneOf<uint64_t>({{1, rc::gen::just<uint64_t>(0)}, {3, Uniform<uint64_t>(64, 2049)}});
  w.options["renew-bytes"] = std::to_string(renew);
  if (*Uniform<int>(0, 5) == 4) w.options["keep"] = "on";
  w.policy = kPolicies[*Uniform<size_t>(0, std::size(kPolicies))];
  Op create;
  create.kind = OpKind::kCreate;
  w.ops.push_back(create);
  const std::vector<Op> ops = *rc::gen::resize(20, rc::gen::container<std::vector<Op>>(GenWorkloadOp()));
  w.ops.insert(w.ops.end(), ops.begin(), ops.end());
  return w;
}

// Every crash point (before every crash-relevant call, and the end), every
// persistence model with torn writes, a bounded number of images per point.
// (GCC 12 at -O2 wrongly warns, -Wmaybe-uninitialized, about the
// initializer_lists behind the options' vectors where their constructor is
// inlined: built out of line, as crash_image_property_test.cc does.)
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
[[gnu::noinline]] harness::ExploreOptions CrashOptions(uint64_t seed, std::string_view only_oracle,
                                                      bool recovery_crashes, bool media_faults) {
  harness::ExploreOptions o;
  o.only_oracle = std::string(only_oracle);
  o.points = harness::CrashPointMode::kEveryCall;
  o.max_images_per_point = 32;
  o.samples_per_point = 4;
  o.check.recovery_crashes = recovery_crashes;
  o.media_faults = media_faults;
  o.seed = seed;
  o.stop_at_first = true;
  o.max_reproducers_per_oracle = 1;
  return o;
}
#pragma GCC diagnostic pop

std::string FindingText(const harness::ExploreReport& report) {
  if (report.reproducers.empty()) return fmt::format("{} finding(s), no reproducer", report.findings);
  const harness::Reproducer& r = report.reproducers.front();
  if (r.kind == harness::Reproducer::Kind::kLiveRun) {
    return fmt::format("{}: {} (the live run)", r.verdict.oracle, r.verdict.message);
  }
  return fmt::format("{}: {}\n  crash after {} calls ({}), {} image '{}'", r.verdict.oracle, r.verdict.message,
                     r.crash_after_calls, r.crash_call, vfs::PersistenceModelName(r.model), r.image.ToString());
}

// What the crash property explored, for the test's summary line.
struct CrashTotals {
  uint64_t workloads = 0;
  uint64_t crash_points = 0;
  uint64_t images_checked = 0;
  uint64_t images_recovered = 0;
};
thread_local CrashTotals t_totals;

// The property: whatever the crash point, persistence model and image, the
// recovered log lies between the claim at the crash and everything issued
// (and every other oracle passes): no finding. With `only_oracle`, findings
// of the other oracles are passed over.
void CrashProperty(bool strict, std::string_view only_oracle = "") {
  const harness::Workload w = DrawWorkload(strict);
  const uint64_t seed = *rc::gen::noShrink(Uniform<uint64_t>(1, uint64_t{1} << 32));
  // One workload in four also crashes its recoveries (at every call a
  // recovery makes: the strict engine truncates and fsyncs a torn tail);
  // one in four adds media faults (a flipped byte in a durable record of
  // the strict image: recovery may fail then, but never return a wrong log).
  const bool recovery_crashes = *Uniform<int>(0, 4) == 3;
  const bool media_faults = *Uniform<int>(0, 4) == 3;
  const Status valid = w.Validate();
  if (!valid.ok()) RC_FAIL("drawn workload is invalid: " + valid.ToString());
  auto report = harness::Explore(w, CrashOptions(seed, only_oracle, recovery_crashes, media_faults));
  if (!report.ok()) RC_FAIL("explore: " + report.status().ToString());
  t_totals.workloads++;
  t_totals.crash_points += report->crash_points;
  t_totals.images_checked += report->images_checked;
  t_totals.images_recovered += report->images_recovered;
  if (report->findings != 0) {
    RC_FAIL(fmt::format("{}\nexplorer seed {}, crashes during recovery {}, media faults {}\nworkload:\n{}",
                        FindingText(*report), seed, recovery_crashes ? "on" : "off", media_faults ? "on" : "off",
                        w.ToText()));
  }
}

TEST(TdengineCrashProperty, StrictEngineRecoversBetweenTheClaimAndEverythingIssued) {
  t_totals = CrashTotals{};
  prop::CheckProperty([] { CrashProperty(true); }, 100, /*min_cases=*/25);
  std::printf("strict: %llu workloads (cases and shrinks), %llu crash points, %llu images checked, %llu recovered\n",
              static_cast<unsigned long long>(t_totals.workloads),
              static_cast<unsigned long long>(t_totals.crash_points),
              static_cast<unsigned long long>(t_totals.images_checked),
              static_cast<unsigned long long>(t_totals.images_recovered));
}

// The same property on the faithful engine (TDengine 2.6 as it is) fails. A
// bounded search with a fixed seed must find a counterexample, so the
// property above can fail, and RapidCheck shrinks it; the test prints it.
// TDengine's walOpen makes the directory and walRenew creates each file
// without fsyncing the directory, and walRenew closes the old file without
// fsync, yet the next fsync of the new file moves the synced watermark over
// all of it: entries written and synced after a recovery vanish with the
// file's name (write-after-recovery), and entries the claim covers are lost
// (durability).
class QuietListener final : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

rc::detail::FailureResult SearchFaithfulCounterexample(std::string_view only_oracle) {
  rc::detail::TestMetadata metadata;
  metadata.id = fmt::format("TdengineCrashProperty/faithful/{}", only_oracle.empty() ? "any" : only_oracle);
  metadata.description = metadata.id;
  rc::detail::TestParams params;
  params.seed = 20220601;
  params.maxSuccess = 100;
  params.maxSize = 100;
  // Its own listener: RapidCheck's default one would list this expected
  // failure among the ones to reproduce at exit.
  QuietListener listener;
  const rc::detail::TestResult result =
      rc::detail::checkTestable([only_oracle] { CrashProperty(false, only_oracle); }, metadata, params, listener);
  rc::detail::FailureResult failure;
  failure.numSuccess = -1;
  if (!result.match(failure)) {
    ADD_FAILURE() << metadata.id << ": the faithful engine passed " << params.maxSuccess << " cases";
    return failure;
  }
  std::string example;
  for (const auto& [type, value] : failure.counterExample) example += "  " + value + "\n";
  std::printf("%s: counterexample after %d passing cases, shrunk in %zu steps:\n%s\nshrunk draws:\n%s\n",
              metadata.id.c_str(), failure.numSuccess, failure.reproduce.shrinkPath.size(),
              failure.description.c_str(), example.c_str());
  return failure;
}

TEST(TdengineCrashProperty, FaithfulEngineFailsTheSamePropertyACounterexampleIsFoundAndShrunk) {
  const rc::detail::FailureResult any = SearchFaithfulCounterexample("");
  ASSERT_GE(any.numSuccess, 0);
  EXPECT_TRUE(any.description.find(std::string(harness::kOracleWriteAfterRecovery) + ":") != std::string::npos ||
              any.description.find(std::string(harness::kOracleDurability) + ":") != std::string::npos)
      << any.description;
  // The claim itself broken: a durable claim that recovery does not honour.
  const rc::detail::FailureResult durability = SearchFaithfulCounterexample(harness::kOracleDurability);
  ASSERT_GE(durability.numSuccess, 0);
  EXPECT_NE(durability.description.find(std::string(harness::kOracleDurability) + ":"), std::string::npos)
      << durability.description;
}

// ===========================================================================
// The record format.

std::span<const std::byte> Bytes(std::string_view s) { return std::as_bytes(std::span<const char>(s.data(), s.size())); }

WalHead HeadOf(std::string_view record) {
  return DecodeHead(std::span<const std::byte, kHeadBytes>(Bytes(record).first<kHeadBytes>()));
}

std::string DrawBody(size_t max_bytes) {
  const size_t len = *Uniform<size_t>(0, max_bytes + 1);
  return *rc::gen::container<std::string>(len, rc::gen::arbitrary<char>());
}

WALCRASH_PROP(TdengineRecordProperty, DecodeHeadOfEncodeRecordRoundTripsAndTheChecksumHolds, 100) {
  const auto msg_type = *rc::gen::arbitrary<int8_t>();
  const auto version = *rc::gen::arbitrary<uint64_t>();
  const auto sver = *rc::gen::elementOf(std::vector<int8_t>{0, 1, 2});
  const std::string body = DrawBody(4096);
  const std::string record = EncodeRecord(msg_type, version, body, sver);
  RC_ASSERT(record.size() == kHeadBytes + body.size());
  const WalHead head = HeadOf(record);
  RC_ASSERT(head.msg_type == msg_type);
  RC_ASSERT(head.sver == sver);
  RC_ASSERT(head.len == static_cast<int32_t>(body.size()));
  RC_ASSERT(head.version == version);
  RC_ASSERT(head.signature == kSignature);
  RC_ASSERT(record.substr(kHeadBytes) == body);
  RC_ASSERT(record[2] == '\0' && record[3] == '\0');  // reserved
  const HeadBytes again = EncodeHead(head);
  RC_ASSERT(std::equal(again.begin(), again.end(), Bytes(record).begin()));
  RC_ASSERT(ChecksumValid(head, Bytes(body)));
  RC_ASSERT(head.cksum == RecordChecksum(head, Bytes(body)));
}

// A flipped bit anywhere in a record with sver >= 1 fails its checksum:
// CRC-32C over the whole head as stored (the reserved bytes included, cksum
// taken as zero) and the body detects every single-bit error. (A flip that
// turns sver 1 or 2 into 0 makes the reader check the head-only sum instead,
// which the stored whole-record sum fails as well.)
void CheckFlip(const std::string& record, const WalHead& original, size_t byte, int bit) {
  std::string flipped = record;
  flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << bit));
  const WalHead head = HeadOf(flipped);
  if (ChecksumValid(head, Bytes(std::string_view(flipped).substr(kHeadBytes)))) {
    RC_FAIL(fmt::format("a flip of byte {} bit {} of a {}-byte record ({}) still passes its checksum", byte, bit,
                        record.size(), HeadText(original)));
  }
}

WALCRASH_PROP(TdengineRecordProperty, AnySingleFlippedBitOfAChecksummedRecordFailsItsChecksum, 100) {
  const auto msg_type = *rc::gen::arbitrary<int8_t>();
  const auto version = *rc::gen::arbitrary<uint64_t>();
  const auto sver = *rc::gen::elementOf(std::vector<int8_t>{1, 2});
  const std::string body = DrawBody(4096);
  const std::string record = EncodeRecord(msg_type, version, body, sver);
  const WalHead original = HeadOf(record);
  // Every bit of the head, and one drawn bit anywhere in the record.
  for (size_t byte = 0; byte < kHeadBytes; ++byte) {
    for (int bit = 0; bit < 8; ++bit) CheckFlip(record, original, byte, bit);
  }
  const size_t byte = *Uniform<size_t>(0, record.size());
  const int bit = *Uniform<int>(0, 8);
  RC_TAG(byte < kHeadBytes ? "head" : "body");
  CheckFlip(record, original, byte, bit);
}

// ===========================================================================
// Restore on a torn tail.

struct Written {
  int8_t msg_type = 0;
  uint64_t version = 0;
  std::string body;
  uint64_t offset = 0;  // of the head in the file
  uint64_t end() const { return offset + kHeadBytes + body.size(); }
};

struct Replayed {
  int8_t msg_type = 0;
  uint64_t version = 0;
  std::string body;
  uint64_t offset = 0;
};

enum class Cut : unsigned char {
  kTruncated,   // the file ends at the cut
  kZeroFilled,  // zeros from the cut to the end (the size kept)
  kZeroHole,    // zeros from the cut to hole_end, the records after it kept
};

// A file of records with growing versions, written by the strict engine
// (level write: what walWrite writes, sver 2), and a cut in it.
struct TornFile {
  std::vector<Written> records;
  std::string bytes;  // as written
  uint64_t cut = 0;
  uint64_t hole_end = 0;  // kZeroHole
  Cut how = Cut::kTruncated;

  std::string CutBytes() const {
    if (how == Cut::kTruncated) return bytes.substr(0, cut);
    const uint64_t end = how == Cut::kZeroHole ? hole_end : bytes.size();
    std::string out = bytes;
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(cut), out.begin() + static_cast<std::ptrdiff_t>(end), '\0');
    return out;
  }
  std::string Describe() const {
    std::string out = fmt::format("{} records (", records.size());
    for (const Written& w : records) out += fmt::format(" v{}@{}+{}", w.version, w.offset, w.body.size());
    out += fmt::format(" ), {} bytes, ", bytes.size());
    switch (how) {
      case Cut::kTruncated: return out + fmt::format("truncated at {}", cut);
      case Cut::kZeroFilled: return out + fmt::format("zero-filled from {}", cut);
      case Cut::kZeroHole: return out + fmt::format("zeros over [{}, {})", cut, hole_end);
    }
    return out;
  }
};

// `sector_aligned_zeros`: zeros start at a 512-byte boundary (what a write
// whose later sectors never reached a sector-atomic disk leaves), as a tail
// or as a hole of whole sectors with the records after it intact; else zeros
// from any byte to the end of the file.
TornFile DrawTornFile(bool sector_aligned_zeros) {
  TornFile t;
  const size_t n = *Uniform<size_t>(1, 13);
  uint64_t version = *Uniform<uint64_t>(1, 1000);
  vfs::SimVfs fs;
  FsyncService service(FsyncService::Mode::kManual);
  WalOptions o;
  o.config.level = Level::kWrite;
  o.strict = true;
  o.fsync_service = &service;
  auto wal = Wal::Open(fs, std::string(kDir), o);
  RC_ASSERT(wal.ok());
  RC_ASSERT((*wal)->Renew().ok());
  uint64_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    Written w;
    w.msg_type = *rc::gen::arbitrary<int8_t>();
    w.version = version;
    w.body = DrawBody(*rc::gen::elementOf(std::vector<size_t>{40, 700}));
    w.offset = offset;
    auto outcome = (*wal)->Write(w.msg_type, w.version, w.body);
    RC_ASSERT(outcome.ok());
    RC_ASSERT(*outcome == WriteOutcome::kWritten);
    offset = w.end();
    t.records.push_back(std::move(w));
    version += *Uniform<uint64_t>(1, 6);
  }
  RC_ASSERT((*wal)->Close().ok());
  auto bytes = vfs::ReadWholeFile(fs, vfs::JoinPath(kDir, FileName(1)));
  RC_ASSERT(bytes.ok());
  t.bytes = std::move(bytes).value();
  RC_ASSERT(t.bytes.size() == offset);
  t.how = *rc::gen::elementOf(sector_aligned_zeros ? std::vector<Cut>{Cut::kTruncated, Cut::kZeroFilled, Cut::kZeroHole}
                                                   : std::vector<Cut>{Cut::kTruncated, Cut::kZeroFilled});
  // Mostly inside the records, sometimes on a record boundary.
  std::vector<uint64_t> boundaries = {0};
  for (const Written& w : t.records) boundaries.push_back(w.end());
  t.cut = *rc::gen::weightedOneOf<uint64_t>(
      {{4, Uniform<uint64_t>(0, t.bytes.size() + 1)}, {1, rc::gen::elementOf(boundaries)}});
  if (t.how != Cut::kTruncated && sector_aligned_zeros) t.cut = t.cut / 512 * 512;
  if (t.how == Cut::kZeroHole) {
    t.hole_end = std::min<uint64_t>(t.bytes.size(), t.cut + 512 * *Uniform<uint64_t>(1, 4));
  }
  return t;
}

struct RestoreOutcome {
  Status status;
  std::vector<Replayed> replayed;
  uint64_t size_after = 0;
  std::vector<std::string> notes;
};

RestoreOutcome RestoreCut(const TornFile& t, bool strict) {
  vfs::SimVfs fs;
  RC_ASSERT(fs.Mkdir(kDir).ok());
  const std::string path = vfs::JoinPath(kDir, FileName(1));
  RC_ASSERT(vfs::WriteWholeFile(fs, path, t.CutBytes()).ok());
  FsyncService service(FsyncService::Mode::kManual);
  WalOptions o;
  o.strict = strict;
  o.fsync_service = &service;
  auto wal = Wal::Open(fs, std::string(kDir), o);
  RC_ASSERT(wal.ok());
  RestoreOutcome out;
  auto report = (*wal)->Restore([&](const RestoredRecord& r) {
    out.replayed.push_back(Replayed{r.head.msg_type, r.head.version,
                                    std::string(reinterpret_cast<const char*>(r.body.data()), r.body.size()),
                                    r.offset});
  });
  out.status = report.status();
  if (report.ok()) out.notes = report->notes;
  RC_ASSERT((*wal)->Close().ok());
  auto info = fs.Stat(path);
  RC_ASSERT(info.ok());
  out.size_after = info->size;
  return out;
}

// The records intact in the cut file: every record that ends before the cut,
// and (zero-filled) one the cut runs through whose cut-off bytes were zeros
// already, in order, up to the first damaged one.
std::vector<Written> IntactPrefix(const TornFile& t) {
  const std::string cut = t.CutBytes();
  std::vector<Written> out;
  for (const Written& w : t.records) {
    if (w.end() > cut.size() ||
        std::string_view(cut).substr(w.offset, w.end() - w.offset) !=
            std::string_view(t.bytes).substr(w.offset, w.end() - w.offset)) {
      break;
    }
    out.push_back(w);
  }
  return out;
}

bool Same(const Replayed& r, const Written& w) {
  return r.msg_type == w.msg_type && r.version == w.version && r.body == w.body;
}

std::string ReplayedText(const RestoreOutcome& o) {
  std::string out = o.status.ok() ? "OK" : o.status.ToString();
  out += ", replayed";
  for (const Replayed& r : o.replayed) out += fmt::format(" v{}@{}+{}", r.version, r.offset, r.body.size());
  out += fmt::format(", {} bytes after", o.size_after);
  for (const std::string& n : o.notes) out += "; " + n;
  return out;
}

void CheckStrictRestore(const TornFile& t) {
  const RestoreOutcome o = RestoreCut(t, true);
  const std::vector<Written> expected = IntactPrefix(t);
  const uint64_t end = expected.empty() ? 0 : expected.back().end();
  bool same = o.status.ok() && o.replayed.size() == expected.size() && o.size_after == end;
  for (size_t i = 0; same && i < expected.size(); ++i) same = Same(o.replayed[i], expected[i]);
  if (!same) {
    RC_FAIL(fmt::format("{}\nstrict restore: {}\nexpected the {} complete records before the cut, file cut to {}",
                        t.Describe(), ReplayedText(o), expected.size(), end));
  }
}

// A torn tail: truncated at any byte (a file whose size was cut), or zeros
// from a sector boundary, to the end (a write whose later sectors never
// reached the disk) or over whole sectors with the records after them intact
// (a lost sector in the middle of what was written since the last sync).
// Strict Restore replays exactly the complete records before the damage and
// truncates the file at the end of the last one (nothing written after a lost
// sector can have been synced, so the records past it go too).
WALCRASH_PROP(TdengineRestoreProperty, StrictRestoreOfATornTailReplaysTheCompleteRecordsBeforeTheCutAndTruncatesThere,
              100) {
  CheckStrictRestore(DrawTornFile(/*sector_aligned_zeros=*/true));
}

// The same with zeros from any byte offset to the end of the file: a tail no
// sector-atomic disk leaves (the sector holding the cut keeps part of a
// record and has zeros after it). Here the strict engine may report
// Corruption rather than truncate: it calls damage a tear only on evidence,
// a whole zero sector piece of the damaged record or a record running past
// the end of the file (damage.h), and a record cut inside its head, or a
// small one inside one sector, shows neither. Shrunk counterexample: one
// record (msgType 0, version 1, empty body: 24 bytes) zero-filled from byte
// 2 gives "Corruption: the record at offset 0 does not check, and it is
// whole", where "truncate to 0 bytes, replay nothing" was asked. What holds:
// never a replayed record that is not one of the complete records before
// the cut; on success exactly those, the file cut after them; else
// Corruption.
WALCRASH_PROP(TdengineRestoreProperty, StrictRestoreOfAZeroFilledTailFromAnyByteNeverReplaysDamage, 100) {
  TornFile t = DrawTornFile(/*sector_aligned_zeros=*/false);
  t.how = Cut::kZeroFilled;
  const RestoreOutcome o = RestoreCut(t, true);
  const std::vector<Written> expected = IntactPrefix(t);
  RC_TAG(o.status.ok() ? "restored" : "corruption reported");
  RC_ASSERT(o.replayed.size() <= expected.size());
  for (size_t i = 0; i < o.replayed.size(); ++i) RC_ASSERT(Same(o.replayed[i], expected[i]));
  if (o.status.ok()) {
    RC_ASSERT(o.replayed.size() == expected.size());
    RC_ASSERT(o.size_after == (expected.empty() ? 0 : expected.back().end()));
  } else {
    RC_ASSERT(o.status.code() == Code::kCorruption);
  }
}

// The faithful engine on the same torn files: what it replays is a
// subsequence of the records written (it never invents one). Not always the
// complete records before the cut: over a hole of zero sectors with records
// after it, TDengine's walSkipCorruptedRecord scans past the hole, the
// record it finds after a bad head is dropped (the main loop reads its body
// a second time, from past it, and the checksum fails), and the records after
// that one are replayed: the log comes back with a gap.
WALCRASH_PROP(TdengineRestoreProperty, FaithfulRestoreOfATornTailReplaysOnlyRecordsThatWereWritten, 100) {
  const TornFile t = DrawTornFile(/*sector_aligned_zeros=*/*rc::gen::arbitrary<bool>());
  const RestoreOutcome o = RestoreCut(t, false);
  RC_ASSERT(o.status.ok());
  size_t next = 0;
  for (const Replayed& r : o.replayed) {
    while (next < t.records.size() && !Same(r, t.records[next])) ++next;
    if (next == t.records.size()) {
      RC_FAIL(fmt::format("{}\nfaithful restore: {}\nreplayed v{} at {} ({} bytes), not a written record in order",
                          t.Describe(), ReplayedText(o), r.version, r.offset, r.body.size()));
    }
    ++next;
  }
  RC_TAG(o.replayed.size() == IntactPrefix(t).size() ? "the complete records" : "fewer");
}

}  // namespace
}  // namespace walcrash::tdengine
