#include "properties/wal_state_machine.h"

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "properties/rapidcheck_quiet.h"

#include "harness/image_check.h"
#include "harness/oracles.h"
#include "harness/replay.h"
#include "harness/reproducer.h"
#include "harness/wal_under_test.h"
#include "harness/workload.h"
#include "harness/workload_runner.h"
#include "vfs/crash_image.h"
#include "vfs/posix_vfs.h"
#include "vfs/sim_vfs.h"

namespace walcrash::prop {
namespace {

using harness::Op;
using harness::OpKind;
using harness::SyncLevel;
using harness::SyncPolicy;
using vfs::PersistenceModel;

// ---------------------------------------------------------------------------
// Draws.

// A value uniform in [lo, hi) whatever RapidCheck's size, shrinking towards
// lo. (gen::inRange scales its range with the size, so early cases would
// only ever see lo.)
template <typename T>
rc::Gen<T> Uniform(T lo, T hi) {
  return rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

// How a crash image is chosen. Strict: only what was synced. Prefix and
// subset: SimVfs::SampleCrashImage from `seed` (tears included). A media
// fault (strict images only) flips one bit of a record the WAL's checksums
// cover, `record_back` records from the end of the last segment.
struct CrashDraw {
  PersistenceModel model = PersistenceModel::kStrict;
  uint64_t seed = 0;
  bool media = false;
  uint32_t record_back = 0;
  uint32_t byte = 0;  // into the record's checksummed bytes (modulo their length)
  uint32_t bit = 0;

  std::string ToString() const {
    std::string out(vfs::PersistenceModelName(model));
    if (model != PersistenceModel::kStrict) out += fmt::format(" seed={}", seed);
    if (media) out += fmt::format(" media-fault(record -{} byte {} bit {})", record_back + 1, byte, bit);
    return out;
  }
};

CrashDraw DrawCrash() {
  CrashDraw d;
  constexpr PersistenceModel kModels[] = {PersistenceModel::kStrict, PersistenceModel::kPrefix,
                                         PersistenceModel::kSubset};
  d.model = kModels[*Uniform<size_t>(0, std::size(kModels))];
  if (d.model != PersistenceModel::kStrict) {
    d.seed = *rc::gen::noShrink(Uniform<uint64_t>(0, uint64_t{1} << 32));
  } else {
    // One strict crash in four carries a media fault.
    d.media = *Uniform<int>(0, 4) == 3;
    if (d.media) {
      d.record_back = *Uniform<uint32_t>(0, 3);
      d.byte = *Uniform<uint32_t>(0, 4096);
      d.bit = *Uniform<uint32_t>(0, 8);
    }
  }
  return d;
}

// A crash inside an operation: before its `at_call`-th crash-relevant VFS
// call (harness/call_hook_vfs.h); none when the operation makes fewer calls.
// (A save makes two, write and fdatasync; one that cuts a segment about a
// dozen; a reopen or the creation about ten.)
struct MidCrash {
  uint32_t at_call = 1;
  CrashDraw draw;
};

// One operation in six crashes part-way (shrinks towards none).
std::optional<MidCrash> DrawMidCrash() {
  if (*Uniform<int>(0, 6) != 5) return std::nullopt;
  MidCrash c;
  c.at_call = *Uniform<uint32_t>(1, 13);
  c.draw = DrawCrash();
  return c;
}

std::string MidCrashText(const std::optional<MidCrash>& c) {
  if (!c) return "";
  return fmt::format("  [crash before its call {}: {}]", c->at_call, c->draw.ToString());
}

// The sync policies the commands use (never nolog: a reopen there is not
// modelled, and nothing it does can be lost).
constexpr SyncPolicy kPolicies[] = {SyncPolicy{SyncLevel::kFsync, 0}, SyncPolicy{SyncLevel::kFsync, 10},
                                    SyncPolicy{SyncLevel::kWrite, 0}};

// What every case starts with, drawn once: the segment size, the starting
// sync policy, and whether the WAL's creation itself is crashed.
struct Setup {
  uint32_t segment_size = 4096;
  SyncPolicy policy;
  std::optional<MidCrash> create_crash;
};

Setup DrawSetup() {
  Setup s;
  s.segment_size = *Uniform<uint32_t>(1024, 4097);
  s.policy = kPolicies[*Uniform<size_t>(0, std::size(kPolicies))];
  s.create_crash = DrawMidCrash();
  return s;
}

// RapidCheck prints the counterexample's values with showValue (found by ADL).
void showValue(const Setup& s, std::ostream& os) {
  os << "engine etcd, option segment-size " << s.segment_size;
  if (!(s.policy == SyncPolicy{})) {
    Op policy;
    policy.kind = OpKind::kPolicy;
    policy.policy = s.policy;
    os << ", " << policy.ToText();
  }
  os << ", create" << MidCrashText(s.create_crash);
}

// ---------------------------------------------------------------------------
// The last failure: each failing case records what it ran, so after
// shrinking (and the replay of the shrunk case, see CheckWalStateMachine)
// this holds the minimal counterexample's crash.

struct Failure {
  harness::Reproducer reproducer;
  std::string text;  // the failing case's description (what RapidCheck reports)
};

thread_local std::optional<Failure> t_last_failure;
thread_local uint64_t t_seed = 0;  // RapidCheck's seed, for the reproducers

// Records the failure and fails the case with `text` as its description
// (thrown as RC_FAIL does, without RC_FAIL's source location and quoting, so
// the description is the text itself).
[[noreturn]] void Fail(harness::Reproducer r, std::string text) {
  t_last_failure = Failure{std::move(r), text};
  throw rc::detail::CaseResult(rc::detail::CaseResult::Type::Failure, std::move(text));
}

// ---------------------------------------------------------------------------
// The system under test: a WorkloadRunner stepping through the workload.

class Sut {
 public:
  Sut(const std::string& bugs, const Setup& setup) {
    harness::Workload w;
    w.engine = "etcd";
    w.options["segment-size"] = std::to_string(setup.segment_size);
    if (!bugs.empty()) w.options["bugs"] = bugs;
    w.policy = setup.policy;
    runner_ = std::make_unique<harness::WorkloadRunner>(std::move(w), harness::RunOptions{},
                                                        [this](const harness::PendingCall& call) { OnCall(call); });
    Status started = runner_->Start();
    if (!started.ok()) RC_FAIL("the runner did not start: " + started.ToString());
    Op create;
    create.kind = OpKind::kCreate;
    create.metadata = "state-machine";
    RunOp(create, setup.create_crash);
  }
  Sut(const Sut&) = delete;
  Sut& operator=(const Sut&) = delete;

  // Runs one operation (with a crash inside it, when drawn); fails the case
  // on a crash image that breaks an oracle, or on a live-run violation.
  void RunOp(const Op& op, const std::optional<MidCrash>& crash) {
    if (crash) armed_ = Armed{runner_->calls_done() + crash->at_call - 1, crash->draw};
    const bool ok = runner_->Step(op);
    armed_.reset();
    if (mid_failure_) {
      Failure f = std::move(*mid_failure_);
      mid_failure_.reset();
      Fail(std::move(f.reproducer), std::move(f.text));
    }
    if (const auto& live = runner_->live_violation()) {
      harness::Reproducer r;
      r.kind = harness::Reproducer::Kind::kLiveRun;
      r.workload = runner_->workload();
      r.seed = t_seed;
      r.crash_after_calls = runner_->calls_done();
      r.crash_call = "(no crash: the live run)";
      r.verdict = *live;
      Fail(std::move(r), fmt::format("{}: {}", live->oracle, live->message));
    }
    if (!ok) {
      // No fault plan: the runner reports a failed operation as live-run.
      RC_FAIL(fmt::format("operation '{}' failed: {}", op.ToText(), runner_->failure().ToString()));
    }
  }

  // A crash now, between operations.
  void CrashNow(const CrashDraw& draw) {
    std::optional<Failure> f = CheckCrash(draw, runner_->calls_done(),
                                          fmt::format("at the end of operation {}", runner_->current_op() + 1));
    if (f) Fail(std::move(f->reproducer), std::move(f->text));
  }

 private:
  struct Armed {
    uint64_t calls_done = 0;  // crash when the hook sees this many calls done
    CrashDraw draw;
  };

  void OnCall(const harness::PendingCall& call) {
    if (!armed_ || call.calls_done != armed_->calls_done || mid_failure_) return;
    const CrashDraw draw = armed_->draw;
    armed_.reset();
    mid_failure_ = CheckCrash(draw, call.calls_done, "before " + call.ToString());
  }

  // The media fault a draw names on the strict image, if the image has a
  // checksummed record to flip.
  std::optional<harness::MediaFault> MediaFaultOf(const CrashDraw& draw) const {
    if (!draw.media) return std::nullopt;
    auto image = runner_->sim().CrashImage(vfs::CrashImageSpec{});
    if (!image.ok()) return std::nullopt;
    auto wal = harness::MakeWalUnderTest(**image, runner_->engine_config());
    if (!wal.ok()) return std::nullopt;
    const std::vector<harness::ChecksummedRange> ranges = (*wal)->ChecksummedRanges(**image);
    if (ranges.empty()) return std::nullopt;
    const size_t back = std::min<size_t>(draw.record_back, ranges.size() - 1);
    const harness::ChecksummedRange& range = ranges[ranges.size() - 1 - back];
    if (range.length == 0) return std::nullopt;
    return harness::MediaFault{range.path, range.offset + draw.byte % range.length,
                               static_cast<uint8_t>(1u << (draw.bit % 8))};
  }

  // Checks one crash image of the SimVfs as it is now; the failure, if an
  // oracle breaks.
  std::optional<Failure> CheckCrash(const CrashDraw& draw, uint64_t calls_done, std::string crash_call) const {
    const vfs::SimVfs& sim = runner_->sim();
    vfs::CrashImageSpec spec;
    if (draw.model != PersistenceModel::kStrict) {
      vfs::CrashEnumerationOptions eo;
      eo.model = draw.model;
      spec = sim.SampleCrashImage(eo, draw.seed);
    }
    const std::optional<harness::MediaFault> media =
        draw.model == PersistenceModel::kStrict ? MediaFaultOf(draw) : std::nullopt;
    const harness::CrashWindow window = runner_->Window();
    const harness::ImageCheckOptions options;
    harness::ImageVerdict verdict =
        harness::CheckImage(sim, spec, media, runner_->engine_config(), runner_->model(), window, options);
    if (!verdict.violation) return std::nullopt;
    harness::Reproducer r;
    r.kind = harness::Reproducer::Kind::kImage;
    r.workload = runner_->workload();
    r.seed = t_seed;
    r.crash_after_calls = calls_done;
    r.crash_call = crash_call;
    r.model = draw.model;
    r.image = spec;
    r.media_fault = media;
    r.recovery_crash = verdict.recovery_crash;
    r.write_after_recovery = options.write_after_recovery;
    r.verdict = *verdict.violation;
    std::string text = fmt::format("crash {} after {} calls ({}), image '{}'{}: {}: {}", draw.ToString(), calls_done,
                                   crash_call, spec.ToString(), media ? ", " + media->ToString() : "",
                                   verdict.violation->oracle, verdict.violation->message);
    return Failure{std::move(r), std::move(text)};
  }

  std::unique_ptr<harness::WorkloadRunner> runner_;
  std::optional<Armed> armed_;
  std::optional<Failure> mid_failure_;
};

// ---------------------------------------------------------------------------
// The model RapidCheck generates against: just enough of the log's state to
// offer only operations that do something (a snapshot needs something newly
// committed, a release a snapshot, a tick a periodic policy, a policy change
// another policy). The reference model proper is the runner's.

struct WalModel {
  uint64_t last = 0;
  uint64_t commit = 0;
  uint64_t snapshot = 0;
  SyncPolicy policy;
};

using Command = rc::state::Command<WalModel, Sut>;
using CommandPtr = std::shared_ptr<const Command>;

void ApplyOp(const Op& op, WalModel& m) {
  switch (op.kind) {
    case OpKind::kSave:
      m.last += op.entries;
      m.commit = std::min(m.commit + op.commit, m.last);
      break;
    case OpKind::kOverwrite: {
      const uint64_t floor = std::max(m.commit, m.snapshot) + 1;
      uint64_t from = m.last + 1 >= op.back ? m.last + 1 - op.back : 0;
      from = std::max(from, floor);
      m.last = from + op.entries - 1;
      break;
    }
    case OpKind::kCommit: m.commit = std::min(m.commit + op.commit, m.last); break;
    case OpKind::kSnapshot:
      if (m.commit > m.snapshot) m.snapshot = m.commit;
      break;
    case OpKind::kPolicy: m.policy = op.policy; break;
    default: break;
  }
}

bool OpAllowed(const Op& op, const WalModel& m) {
  switch (op.kind) {
    case OpKind::kCreate: return false;  // the setup's
    case OpKind::kSnapshot: return m.commit > m.snapshot;
    case OpKind::kRelease: return m.snapshot > 0;
    case OpKind::kTick: return m.policy.level == SyncLevel::kFsync && m.policy.period_ms > 0;
    case OpKind::kPolicy: return !(op.policy == m.policy) && op.policy.level != SyncLevel::kNoLog;
    default: return true;
  }
}

class OpCommand final : public Command {
 public:
  OpCommand(Op op, std::optional<MidCrash> crash) : op_(std::move(op)), crash_(std::move(crash)) {}
  void checkPreconditions(const WalModel& m) const override { RC_PRE(OpAllowed(op_, m)); }
  void apply(WalModel& m) const override { ApplyOp(op_, m); }
  void run(const WalModel&, Sut& sut) const override { sut.RunOp(op_, crash_); }
  void show(std::ostream& os) const override { os << op_.ToText() << MidCrashText(crash_); }

 private:
  Op op_;
  std::optional<MidCrash> crash_;
};

class CrashCommand final : public Command {
 public:
  explicit CrashCommand(CrashDraw draw) : draw_(draw) {}
  void run(const WalModel&, Sut& sut) const override { sut.CrashNow(draw_); }
  void show(std::ostream& os) const override { os << "crash " << draw_.ToString(); }

 private:
  CrashDraw draw_;
};

// The next command for model state `m`.
rc::Gen<CommandPtr> GenCommand(const WalModel& m) {
  return rc::gen::exec([m]() -> CommandPtr {
    // Weights (of about 100): appends dominate; every operation the state
    // allows is offered; one command in seven is a crash.
    std::vector<std::pair<int, OpKind>> table = {
        {28, OpKind::kSave}, {6, OpKind::kOverwrite}, {8, OpKind::kCommit}, {4, OpKind::kElect},
        {6, OpKind::kSync},  {5, OpKind::kReopen},    {6, OpKind::kPolicy},
    };
    if (m.commit > m.snapshot) table.emplace_back(5, OpKind::kSnapshot);
    if (m.snapshot > 0) table.emplace_back(3, OpKind::kRelease);
    if (m.policy.period_ms > 0) table.emplace_back(6, OpKind::kTick);
    std::vector<OpKind> kinds;
    for (const auto& [weight, kind] : table) kinds.insert(kinds.end(), static_cast<size_t>(weight), kind);
    const size_t crash_weight = kinds.size() / 6;
    const size_t roll = *rc::gen::noShrink(Uniform<size_t>(0, kinds.size() + crash_weight));
    if (roll >= kinds.size()) return std::make_shared<CrashCommand>(DrawCrash());
    Op op;
    op.kind = kinds[roll];
    switch (op.kind) {
      case OpKind::kSave:
        op.entries = *Uniform<uint32_t>(1, 5);
        op.size = *Uniform<uint32_t>(0, 1501);
        op.commit = *Uniform<uint32_t>(0, 3);
        break;
      case OpKind::kOverwrite:
        op.back = *Uniform<uint32_t>(1, 4);
        op.entries = *Uniform<uint32_t>(1, 5);
        op.size = *Uniform<uint32_t>(0, 1501);
        break;
      case OpKind::kCommit: op.commit = *Uniform<uint32_t>(1, 4); break;
      case OpKind::kPolicy: {
        std::vector<SyncPolicy> others;
        for (const SyncPolicy& p : kPolicies) {
          if (!(p == m.policy)) others.push_back(p);
        }
        op.policy = others[*Uniform<size_t>(0, others.size())];
        break;
      }
      default: break;
    }
    return std::make_shared<OpCommand>(op, DrawMidCrash());
  });
}

// The property: one case is a setup and a command sequence.
void WalStateMachineProperty(const std::string& bugs) {
  const Setup setup = *rc::gen::exec(&DrawSetup);
  Sut sut(bugs, setup);
  WalModel initial;
  initial.policy = setup.policy;
  rc::state::check(initial, sut, &GenCommand);
}

// ---------------------------------------------------------------------------
// Running it.

class CountingListener final : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override { ++cases; }
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
  int cases = 0;  // cases tried while searching (shrinks not counted)
};

using ReproduceMap = std::unordered_map<std::string, rc::detail::Reproduce>;

rc::detail::TestResult RunProperty(const std::string& bugs, const rc::detail::TestMetadata& metadata,
                                   const rc::detail::TestParams& params, const ReproduceMap& reproduce,
                                   CountingListener& listener) {
  return rc::detail::checkTestable([bugs] { WalStateMachineProperty(bugs); }, metadata, params, listener, reproduce);
}

std::string MakeDirectory(const std::string& wanted) {
  if (wanted.empty()) {
    std::string templ = "/tmp/walcrash-state-machine-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) return "";
    return templ;
  }
  vfs::PosixVfs posix;
  // Each missing component, from the top.
  for (size_t at = wanted.find('/', 1);; at = wanted.find('/', at + 1)) {
    const std::string prefix = at == std::string::npos ? wanted : wanted.substr(0, at);
    auto exists = posix.Exists(prefix);
    if (!exists.ok()) return "";
    if (!*exists && !posix.Mkdir(prefix).ok()) return "";
    if (at == std::string::npos) break;
  }
  return wanted;
}

std::string FileNameFor(const std::string& bugs, const std::string& oracle) {
  std::string name = "wal-state-machine-" + (bugs.empty() ? std::string("correct") : bugs) + "-" + oracle + ".json";
  std::replace(name.begin(), name.end(), ',', '+');
  return name;
}

// "reproduce=..." out of a RapidCheck configuration string.
std::string ReproduceToken(const std::string& config) {
  const size_t at = config.find("reproduce=");
  if (at == std::string::npos) return config;
  const size_t end = config.find(' ', at);
  return config.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The shrunk counterexample as RapidCheck shows its values (the setup, then
// one command a line), indented.
std::string CounterexampleText(const rc::detail::Example& example) {
  std::string out = "shrunk counterexample:\n";
  for (const auto& [type, value] : example) {
    size_t from = 0;
    while (from < value.size()) {
      size_t nl = value.find('\n', from);
      if (nl == std::string::npos) nl = value.size();
      if (nl > from) out += "  " + value.substr(from, nl - from) + "\n";
      from = nl + 1;
    }
  }
  return out;
}

}  // namespace

StateMachineResult CheckWalStateMachine(const StateMachineOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  StateMachineResult result;

  rc::detail::TestMetadata metadata;
  metadata.id = "walcrash/wal-state-machine" + (options.bugs.empty() ? std::string() : "/" + options.bugs);
  metadata.description = metadata.id;

  // RC_PARAMS="reproduce=..." for this property (read now, not when
  // RapidCheck loaded its configuration): replay that case only. Checked
  // before RapidCheck loads its configuration, which exits the process on a
  // malformed RC_PARAMS.
  ReproduceMap reproduce;
  if (const char* env = std::getenv("RC_PARAMS"); env != nullptr) {
    try {
      rc::detail::Configuration given = rc::detail::configFromString(env);
      auto it = given.reproduce.find(metadata.id);
      if (it != given.reproduce.end()) reproduce.emplace(it->first, it->second);
    } catch (const std::exception& e) {  // ConfigurationException, or a bad reproduce string
      result.failed = true;
      result.oracle = "usage";
      result.message = std::string("RC_PARAMS: ") + e.what();
      result.seconds = elapsed();
      return result;
    }
  }

  const rc::detail::Configuration& global = rc::detail::configuration();  // loads (and prints) RapidCheck's seed
  rc::detail::TestParams params = global.testParams;
  params.maxSuccess = std::max(1, options.cases);
  if (options.seed != 0) params.seed = options.seed;
  t_seed = params.seed;

  t_last_failure.reset();
  CountingListener listener;
  const rc::detail::TestResult searched = RunProperty(options.bugs, metadata, params, reproduce, listener);
  result.cases_run = listener.cases;
  if (searched.is<rc::detail::SuccessResult>()) {
    result.seconds = elapsed();
    return result;
  }
  result.failed = true;
  rc::detail::FailureResult failure;
  if (!searched.match(failure)) {
    std::ostringstream ss;
    rc::detail::printResultMessage(searched, ss);
    result.oracle = "rapidcheck";
    result.message = ss.str();
    result.seconds = elapsed();
    return result;
  }
  result.cases_run = failure.numSuccess + 1;
  rc::detail::Configuration repro_config;
  repro_config.reproduce[metadata.id] = failure.reproduce;
  result.reproduce = ReproduceToken(rc::detail::configToMinimalString(repro_config));

  // Replay the shrunk case alone: what it records is the minimal failure.
  t_last_failure.reset();
  CountingListener replay_listener;
  const ReproduceMap just_this = repro_config.reproduce;
  const rc::detail::TestResult again = RunProperty(options.bugs, metadata, params, just_this, replay_listener);
  rc::detail::FailureResult again_failure;
  if (!again.match(again_failure) || again_failure.description != failure.description) {
    result.oracle = "rapidcheck";
    result.message = fmt::format("the shrunk case did not fail the same way when run again: {}\n(first: {})\n{}",
                                 again.is<rc::detail::FailureResult>() ? again_failure.description : "it passed",
                                 failure.description, CounterexampleText(failure.counterExample));
    result.seconds = elapsed();
    return result;
  }
  if (!t_last_failure || t_last_failure->text != again_failure.description) {
    // Not an oracle's finding (the runner did not start, or an operation
    // failed without a live-run verdict): RapidCheck's report is all there is.
    result.oracle = "rapidcheck";
    result.message = again_failure.description + "\n" + CounterexampleText(again_failure.counterExample);
    result.seconds = elapsed();
    return result;
  }
  Failure minimal = std::move(*t_last_failure);
  t_last_failure.reset();
  result.oracle = minimal.reproducer.verdict.oracle;
  result.message = minimal.reproducer.verdict.message + "\n" + CounterexampleText(again_failure.counterExample);

  // The reproducer file, and its replay.
  const std::string dir = MakeDirectory(options.reproducer_dir);
  if (dir.empty()) {
    result.message += fmt::format("\n(could not create the reproducer directory '{}')", options.reproducer_dir);
    result.seconds = elapsed();
    return result;
  }
  const std::string path = vfs::JoinPath(dir, FileNameFor(options.bugs, result.oracle));
  vfs::PosixVfs posix;
  Status written = vfs::WriteWholeFile(posix, path, minimal.reproducer.ToJson());
  if (!written.ok()) {
    result.message += "\n(could not write the reproducer: " + written.ToString() + ")";
    result.seconds = elapsed();
    return result;
  }
  result.reproducer_path = path;
  auto text = vfs::ReadWholeFile(posix, path);
  auto parsed = text.ok() ? harness::Reproducer::FromJson(*text) : Result<harness::Reproducer>(text.status());
  if (!parsed.ok()) {
    result.message += "\n(the reproducer does not read back: " + parsed.status().ToString() + ")";
  } else {
    auto replayed = harness::Replay(*parsed);
    if (!replayed.ok()) {
      result.message += "\n(the reproducer does not replay: " + replayed.status().ToString() + ")";
    } else if (!replayed->SameVerdictAs(*parsed)) {
      result.message += fmt::format("\n(the reproducer replays to another verdict: {})",
                                    replayed->verdict ? replayed->verdict->oracle + ": " + replayed->verdict->message
                                                      : std::string("PASS"));
    }
  }
  result.seconds = elapsed();
  return result;
}

}  // namespace walcrash::prop
