#include "harness/explorer.h"

#include <fnmatch.h>

#include <chrono>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "common/splitmix.h"

#include "harness/isolation.h"
#include "harness/oracles.h"
#include "harness/workload_runner.h"

namespace walcrash::harness {

namespace {

uint64_t HashText(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

// What an image's recovery gave, for reuse at later crash points.
struct CachedOutcome {
  bool recovered = false;  // else: an acceptable error
  uint64_t digest = 0;
};

// An ImageVerdict over a pipe: "P" pass, or "V\n<oracle>\n<calls>\n<spec>\n<message>".
std::string EncodeVerdict(const ImageVerdict& v) {
  if (!v.violation) return fmt::format("P\n{}\n{}\n{}", v.recovered ? 1 : 0, v.digest, v.image_only ? 1 : 0);
  return fmt::format("V\n{}\n{}\n{}\n{}", v.violation->oracle, v.recovery_crash ? v.recovery_crash->calls : ~0ull,
                     v.recovery_crash ? v.recovery_crash->image.ToString() : "-", v.violation->message);
}

ImageVerdict DecodeVerdict(const std::string& text) {
  ImageVerdict v;
  auto next = [&, pos = size_t{0}](bool rest = false) mutable {
    if (pos > text.size()) return std::string();
    size_t nl = rest ? std::string::npos : text.find('\n', pos);
    std::string out = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
    return out;
  };
  std::string tag = next();
  if (tag == "P") {
    v.recovered = next() == "1";
    v.digest = std::stoull("0" + next());
    return v;
  }
  Violation violation;
  violation.oracle = next();
  std::string calls = next();
  std::string spec = next();
  violation.message = next(true);
  if (calls != std::to_string(~0ull)) {
    auto parsed = vfs::CrashImageSpec::Parse(spec);
    if (parsed.ok()) v.recovery_crash = RecoveryCrash{std::stoull(calls), *parsed};
  }
  v.violation = violation;
  return v;
}

class Explorer {
 public:
  Explorer(const Workload& workload, const ExploreOptions& options) : workload_(workload), options_(options) {}

  Result<ExploreReport> Run() {
    start_ = Clock::now();
    RunOptions run;
    run.sector_size = options_.sector_size;
    run.fault_plan = options_.fault_plan;
    if (options_.progress) {
      WALCRASH_ASSIGN_OR_RETURN(points_total_, CountCalls(workload_, options_));
      ++points_total_;  // the end
    }
    WorkloadRunner runner(workload_, run, [&](const PendingCall& call) { AtCrashPoint(call.calls_done, &call); });
    runner_ = &runner;
    WALCRASH_RETURN_IF_ERROR(runner.Run());
    AtCrashPoint(runner.calls_done(), nullptr);
    if (runner.live_violation()) {
      Reproducer r = Base(runner.calls_done(), nullptr);
      r.kind = Reproducer::Kind::kLiveRun;
      Record(*runner.live_violation(), r);
    }
    runner_ = nullptr;
    report_.seconds = Seconds();
    return report_;
  }

 private:
  using Clock = std::chrono::steady_clock;

  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  bool Stopped() {
    if (report_.stopped_at_first) return true;
    if (options_.budget_seconds > 0 && Seconds() > options_.budget_seconds) {
      report_.budget_exhausted = true;
      return true;
    }
    return false;
  }

  Reproducer Base(uint64_t calls, const PendingCall* call) const {
    Reproducer r;
    r.workload = workload_;
    r.sector_size = options_.sector_size;
    r.fault_plan = options_.fault_plan.ToString();
    r.seed = options_.seed;
    r.crash_after_calls = calls;
    r.crash_call = call ? "before " + call->ToString() : "at the end of the workload";
    r.write_after_recovery = options_.check.write_after_recovery;
    return r;
  }

  void Record(const Violation& v, Reproducer r) {
    if (!options_.only_oracle.empty() && v.oracle != options_.only_oracle) return;
    ++report_.findings;
    uint64_t& count = report_.findings_by_oracle[v.oracle];
    ++count;
    if (report_.seconds_to_first_finding < 0) report_.seconds_to_first_finding = Seconds();
    if (count <= options_.max_reproducers_per_oracle) {
      r.verdict = v;
      report_.reproducers.push_back(std::move(r));
    }
    if (options_.stop_at_first) report_.stopped_at_first = true;
  }

  void AtCrashPoint(uint64_t calls, const PendingCall* call) {
    if (Stopped()) return;
    if (options_.points == CrashPointMode::kEverySync && call && !call->is_sync) return;
    if (!options_.filter.Matches(call, runner_->current_op())) return;
    if (calls % options_.shard_count != options_.shard_index) return;
    ++report_.crash_points;
    const vfs::SimVfs& sim = runner_->sim();
    const CrashWindow window = runner_->Window();
    for (vfs::PersistenceModel model : options_.models) {
      const vfs::CrashEnumerationOptions eo = EnumerationOptions(options_, model);
      size_t visited = sim.ForEachCrashImage(eo, [&](const vfs::CrashImageSpec& spec) {
        Check(calls, call, model, spec, std::nullopt, window);
        return !Stopped();
      });
      if (model == vfs::PersistenceModel::kSubset && visited >= eo.max_images) {
        for (size_t i = 0; i < options_.samples_per_point && !Stopped(); ++i) {
          vfs::CrashImageSpec spec = sim.SampleCrashImage(eo, Mix64(options_.seed ^ Mix64(calls * 1000003 + i)));
          Check(calls, call, model, spec, std::nullopt, window);
        }
      }
      if (Stopped()) break;
    }
    if (options_.media_faults && !Stopped()) MediaFaults(calls, call, window);
    if (options_.progress) {
      options_.progress(ExploreProgress{++points_done_, points_total_, report_.images_checked, report_.findings, Seconds()});
    }
  }

  void MediaFaults(uint64_t calls, const PendingCall* call, const CrashWindow& window) {
    const vfs::SimVfs& sim = runner_->sim();
    const vfs::CrashImageSpec strict;
    auto image = sim.CrashImage(strict);
    if (!image.ok()) return;
    auto wal = MakeWalUnderTest(**image, runner_->engine_config());
    if (!wal.ok()) return;
    std::vector<ChecksummedRange> ranges = (*wal)->ChecksummedRanges(**image);
    // The last two records: the durable tail, where a torn-tail rule applies.
    size_t from = ranges.size() > 2 ? ranges.size() - 2 : 0;
    for (size_t i = from; i < ranges.size() && !Stopped(); ++i) {
      MediaFault fault{ranges[i].path, ranges[i].offset + ranges[i].length / 2, 0x01};
      Check(calls, call, vfs::PersistenceModel::kStrict, strict, fault, window);
    }
  }

  void Check(uint64_t calls, const PendingCall* call, vfs::PersistenceModel model, const vfs::CrashImageSpec& spec,
             const std::optional<MediaFault>& media, const CrashWindow& window) {
    ++report_.images_checked;
    const vfs::SimVfs& sim = runner_->sim();
    const bool cacheable = !options_.check.recovery_crashes;
    uint64_t key = 0;
    if (cacheable) {
      auto fingerprint = sim.CrashImageFingerprint(spec);
      if (fingerprint.ok()) {
        key = Mix64(*fingerprint ^ (media ? HashText(media->ToString()) : 0));
        auto it = cache_.find(key);
        if (it != cache_.end()) {
          if (!it->second.recovered || PassesByDigest(runner_->model(), window, it->second.digest)) return;
        }
      }
    }
    ++report_.images_recovered;
    ImageVerdict verdict = Judge(spec, media, window);
    if (cacheable && key != 0 && (!verdict.violation || !verdict.image_only) && (verdict.recovered || !verdict.violation)) {
      cache_[key] = CachedOutcome{verdict.recovered, verdict.digest};
    }
    if (!verdict.violation) return;
    Reproducer r = Base(calls, call);
    r.model = model;
    r.image = spec;
    r.media_fault = media;
    r.recovery_crash = verdict.recovery_crash;
    Record(*verdict.violation, std::move(r));
  }

  ImageVerdict Judge(const vfs::CrashImageSpec& spec, const std::optional<MediaFault>& media,
                     const CrashWindow& window) {
    auto body = [&] {
      return CheckImage(runner_->sim(), spec, media, runner_->engine_config(), runner_->model(), window, options_.check);
    };
    if (!options_.isolate) return body();
    auto isolated = RunIsolated([&] { return EncodeVerdict(body()); }, options_.isolate_timeout_seconds);
    ImageVerdict v;
    if (!isolated.ok()) {
      v.violation = Violation{std::string(kOracleEngineCrash), "cannot isolate: " + isolated.status().ToString()};
      return v;
    }
    if (isolated->died) {
      v.violation = Violation{std::string(kOracleEngineCrash),
                              fmt::format("recovering this image killed the WAL under test: {}", isolated->how)};
      v.image_only = true;
      return v;
    }
    return DecodeVerdict(isolated->output);
  }

  const Workload& workload_;
  const ExploreOptions& options_;
  WorkloadRunner* runner_ = nullptr;
  ExploreReport report_;
  std::unordered_map<uint64_t, CachedOutcome> cache_;
  Clock::time_point start_;
  uint64_t points_done_ = 0;
  uint64_t points_total_ = 0;
};

}  // namespace

bool CrashPointFilter::Matches(const PendingCall* call_or_end, size_t current_op) const {
  if (call_or_end == nullptr) return include_end && (op == 0 || op == current_op + 1);
  if (op != 0 && op != current_op + 1) return false;
  if (call && *call != call_or_end->op) return false;
  return fnmatch(path_glob.c_str(), call_or_end->path.c_str(), 0) == 0;
}

void ExploreReport::Merge(const ExploreReport& other) {
  if (other.seconds_to_first_finding >= 0 && seconds_to_first_finding < 0) {
    seconds_to_first_finding = seconds + other.seconds_to_first_finding;
  }
  crash_points += other.crash_points;
  images_checked += other.images_checked;
  images_recovered += other.images_recovered;
  findings += other.findings;
  for (const auto& [oracle, n] : other.findings_by_oracle) findings_by_oracle[oracle] += n;
  reproducers.insert(reproducers.end(), other.reproducers.begin(), other.reproducers.end());
  seconds += other.seconds;
  budget_exhausted = budget_exhausted || other.budget_exhausted;
  stopped_at_first = stopped_at_first || other.stopped_at_first;
}

Result<uint64_t> CountCalls(const Workload& workload, const ExploreOptions& options) {
  RunOptions run;
  run.sector_size = options.sector_size;
  run.fault_plan = options.fault_plan;
  WorkloadRunner runner(workload, run);
  WALCRASH_RETURN_IF_ERROR(runner.Run());
  return runner.calls_done();
}

vfs::CrashEnumerationOptions EnumerationOptions(const ExploreOptions& options, vfs::PersistenceModel model) {
  vfs::CrashEnumerationOptions eo;
  eo.model = model;
  eo.max_images = options.max_images_per_point;
  eo.tear_writes = options.tear_writes;
  eo.tear_fills = options.tear_fills;
  eo.tear_renames = options.tear_renames;
  eo.garbage_seed = Mix64(options.seed);
  return eo;
}

Result<ExploreReport> Explore(const Workload& workload, const ExploreOptions& options) {
  WALCRASH_RETURN_IF_ERROR(workload.Validate());
  WALCRASH_RETURN_IF_ERROR(ValidateEngineConfig(EngineConfigOf(workload)));
  if (options.shard_count == 0 || options.shard_index >= options.shard_count) {
    return Status(Code::kInvalidArgument, "",
                  fmt::format("shard {}/{}: need 0 <= i < n", options.shard_index, options.shard_count));
  }
  if (options.models.empty()) return Status(Code::kInvalidArgument, "", "explore: no persistence model chosen");
  Explorer explorer(workload, options);
  return explorer.Run();
}

}  // namespace walcrash::harness
