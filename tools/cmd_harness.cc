// The crash-consistency harness from the command line:
//
//   explore [--engine etcd|tdengine] [--workload FILE | --seed N --ops K] [--model M ...] [--bug NAME ...]
//           [--option KEY=VALUE ...]
//           [--budget SECONDS] [--json REPORT] [--out DIR] [--every-sync] [--max-images N]
//           [--samples N] [--faults FILE_OR_TEXT] [--media-faults] [--recovery-crashes]
//           [--shard i/n] [--isolate] [--segment-size BYTES] [--no-minimize]
//       Explores a workload (or the default campaign) at every crash point,
//       checks every crash image against the oracles, writes one minimised
//       reproducer per failing oracle to --out and replays each to be sure.
//   replay FILE [--quiet] [--as auto|reproducer|scenario|fuzz] [--bug NAME ...]
//          [--engine etcd|tdengine] [--option KEY=VALUE ...]
//       A reproducer (JSON): replays it and says whether the verdict is the
//       recorded one. A scenario file: runs it and checks its expectations.
//       A fuzz_crash_schedule input (a crash file): resolves it into the case
//       it stands for and replays that, with the same trace and verdict; an
//       input of fuzz_crash_schedule_tdengine with --engine tdengine (implied
//       for a file under a fuzz_crash_schedule_tdengine directory), its
//       options from --option or, as the target, $WALCRASH_FUZZ_TDENGINE_OPTIONS.
//   fuzz-to-repro IN OUT [--bug NAME ...] [--engine etcd|tdengine] [--option KEY=VALUE ...]
//       Writes the reproducer file a fuzz_crash_schedule input stands for.
//   mutants [--budget SECONDS] [--cases N] [--json FILE] [--out DIR] [--quick]
//       Every known-bug switch through the explorer and the RapidCheck state
//       machine; then the correct engine through both.
//
// Exit codes: explore: 0 no finding, 1 findings (reproducers written) or an
// internal error, 2 a usage error (every option value is checked, the
// workload file read and parsed, before anything runs). replay: 0 the
// verdict is the recorded one (every expectation met, for a scenario), 1 it
// differs, or FILE is missing or not a reproducer or scenario (named in the
// message, as the etcd commands name a bad input), 2 usage; for a fuzz
// input, 0 every oracle holds, 1 a finding. mutants: 0 every
// switch killed and the correct engine clean, 1 otherwise, 2 usage.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/text.h"
#include "harness/campaign.h"
#include "harness/crash_schedule.h"
#include "harness/explorer.h"
#include "harness/minimizer.h"
#include "harness/oracles.h"
#include "harness/replay.h"
#include "harness/reproducer.h"
#include "harness/wal_under_test.h"
#include "harness/workload.h"
#include "properties/wal_state_machine.h"
#include "scenarios/scenario.h"
#include "tools/commands.h"
#include "vfs/crash_image.h"
#include "vfs/fault_plan.h"
#include "vfs/posix_vfs.h"
#include "vfs/vfs.h"

namespace walcrash::cli {
namespace {

using harness::ExploreOptions;
using harness::ExploreReport;
using harness::Reproducer;
using harness::Workload;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double PerSecond(uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

// Errors go to stderr, after what stdout already holds.
void PrintError(std::string_view command, std::string_view message) {
  std::fflush(stdout);
  fmt::print(stderr, "walcrash {}: {}\n", command, message);
}

// "path: what is wrong", naming the file once.
std::string FileProblem(const std::string& path, const Status& status) {
  if (status.path() == path) {
    std::string out = fmt::format("{}: {}", path, status.message());
    if (status.error_number() != 0) out += fmt::format(" ({})", std::strerror(status.error_number()));
    return out;
  }
  return fmt::format("{}: {}", path, status.ToString());
}

// A whole input file from the real filesystem; the error names the file and
// what is wrong with it in a few words.
Result<std::string> ReadInputFile(const std::string& path) {
  vfs::PosixVfs host;
  auto info = host.Stat(path);
  if (!info.ok()) {
    const Status& s = info.error();
    if (s.code() == Code::kNotFound) return Status(Code::kNotFound, path, fmt::format("{}: no such file", path));
    if (s.code() == Code::kPermissionDenied) {
      return Status(Code::kPermissionDenied, path, fmt::format("{}: permission denied", path));
    }
    return Status(s.code(), path, FileProblem(path, s));
  }
  if (info->kind == vfs::FileKind::kDirectory) {
    return Status(Code::kIsDirectory, path, fmt::format("{}: a directory, not a file", path));
  }
  auto text = vfs::ReadWholeFile(host, path);
  if (!text.ok()) {
    if (text.error().code() == Code::kPermissionDenied) {
      return Status(Code::kPermissionDenied, path, fmt::format("{}: permission denied", path));
    }
    return Status(text.error().code(), path, FileProblem(path, text.error()));
  }
  return text;
}

// The message of an error made by ReadInputFile (already "path: ...").
std::string InputProblem(const Status& s) { return std::string(s.message()); }

Status WriteOutputFile(const std::string& path, std::string_view contents) {
  vfs::PosixVfs host;
  Status s = vfs::WriteWholeFile(host, path, contents);
  if (!s.ok()) return Status(s.code(), path, FileProblem(path, s));
  return {};
}

// --json FILE: its directory must exist, so the run does not end in an error
// it could have reported up front.
Status CheckOutputPath(const std::string& path, std::string_view option) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(parent, ec)) {
    return Status(Code::kNotFound, path, fmt::format("{} {}: the directory {} does not exist", option, path,
                                                     parent.string()));
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Status(Code::kIsDirectory, path, fmt::format("{} {}: a directory, not a file", option, path));
  }
  return {};
}

Status MakeDirectories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(Code::kIOError, dir, fmt::format("{}: cannot create the directory: {}", dir, ec.message()));
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status(Code::kNotDirectory, dir, fmt::format("{}: not a directory", dir));
  }
  return {};
}

// --faults takes a file when one exists at that path, else rule text in
// which ';' also separates rules (as vfs-demo's).
Result<vfs::FaultPlan> LoadFaultPlan(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    auto text = ReadInputFile(arg);
    if (!text.ok()) return text.status();
    auto plan = vfs::FaultPlan::Parse(*text);
    if (!plan.ok()) return Status(plan.error().code(), arg, fmt::format("{}: {}", arg, plan.error().message()));
    return plan;
  }
  std::string text = arg;
  std::replace(text.begin(), text.end(), ';', '\n');
  auto plan = vfs::FaultPlan::Parse(text);
  if (!plan.ok()) return Status(plan.error().code(), "", fmt::format("--faults: {}", plan.error().message()));
  return plan;
}

// "i/n" with 0 <= i < n.
Result<std::pair<uint32_t, uint32_t>> ParseShard(std::string_view text) {
  auto bad = [&] {
    return Status(Code::kInvalidArgument, "", fmt::format("--shard '{}': expected i/n with 0 <= i < n, e.g. 0/4", text));
  };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  auto number = [](std::string_view s) -> std::optional<uint32_t> {
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
  };
  auto i = number(text.substr(0, slash));
  auto n = number(text.substr(slash + 1));
  if (!i || !n || *n == 0 || *i >= *n) return bad();
  return std::pair<uint32_t, uint32_t>{*i, *n};
}

std::vector<std::string> SplitCommas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& value : values) {
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      std::string part = value.substr(start, comma - start);
      if (!part.empty() && std::find(out.begin(), out.end(), part) == out.end()) out.push_back(part);
      start = comma + 1;
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  return fmt::format("{}", fmt::join(parts, sep));
}

// Checks every switch name against the engine's known bugs.
Status CheckBugNames(const std::string& engine, const std::vector<std::string>& bugs) {
  std::vector<std::string> known = harness::KnownBugNames(engine);
  for (const std::string& bug : bugs) {
    if (std::find(known.begin(), known.end(), bug) == known.end()) {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("--bug {}: engine {} has no such known-bug switch (it has: {})", bug, engine,
                                known.empty() ? std::string("none") : Join(known, ", ")));
    }
  }
  return {};
}

std::string ModelsText(const std::vector<vfs::PersistenceModel>& models) {
  std::vector<std::string> names;
  for (vfs::PersistenceModel m : models) names.emplace_back(vfs::PersistenceModelName(m));
  return Join(names, " ");
}

// --- the progress bar ----------------------------------------------------------------

// One line on stderr, redrawn at most ten times a second; only on a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  ~ProgressBar() { Clear(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const { return enabled_; }

  // `total` 0: unknown (no bar, only the counts).
  void Show(std::string_view label, uint64_t done, uint64_t total, uint64_t images, uint64_t findings,
            double seconds, bool force = false) {
    if (!enabled_) return;
    Clock::time_point now = Clock::now();
    if (!force && drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    std::string counts = fmt::format(" {}/{} points, {} images ({:.0f}/s), {} finding{}", done,
                                     total == 0 ? std::string("?") : std::to_string(total), images,
                                     PerSecond(images, seconds), findings, findings == 1 ? "" : "s");
    size_t width = Width();
    std::string line(label);
    if (total > 0) {
      constexpr size_t kBar = 12;
      size_t filled = static_cast<size_t>(static_cast<double>(kBar) * static_cast<double>(std::min(done, total)) /
                                          static_cast<double>(total));
      line += fmt::format(" [{}{}]", std::string(filled, '#'), std::string(kBar - filled, '.'));
    }
    line += counts;
    if (line.size() >= width) line.resize(width - 1);
    fmt::print(stderr, "\r{}\033[K", line);
    std::fflush(stderr);
    drawn_ = true;
  }

  void Text(std::string_view text) {
    if (!enabled_) return;
    std::string line(text);
    size_t width = Width();
    if (line.size() >= width) line.resize(width - 1);
    fmt::print(stderr, "\r{}\033[K", line);
    std::fflush(stderr);
    drawn_ = true;
  }

  void Clear() {
    if (!enabled_ || !drawn_) return;
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }

 private:
  static size_t Width() {
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col;
    return 80;
  }

  bool enabled_;
  bool drawn_ = false;
  Clock::time_point last_{};
};

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) != 0; }

// --- running a campaign --------------------------------------------------------------

struct CampaignRun {
  ExploreReport report;
  size_t workloads_run = 0;
  size_t workloads_skipped = 0;  // the budget was spent before they started
  double seconds = 0;            // wall clock, everything included
};

// The crash points shard i/n checks among those before `calls` calls and the end.
uint64_t ShardPoints(uint64_t calls, uint32_t index, uint32_t count) {
  if (index > calls) return 0;
  return (calls - index) / count + 1;
}

// Explores the workloads in turn. A budget covers them all: each workload
// gets an equal share of what remains, so time a fast one leaves unused goes
// to the next. Stops after the first finding when the options say so.
Result<CampaignRun> RunCampaign(const std::vector<Workload>& workloads, const ExploreOptions& base,
                                double budget_seconds, ProgressBar& bar, std::string_view label) {
  CampaignRun run;
  Clock::time_point start = Clock::now();
  uint64_t total_points = 0;
  if (bar.enabled() && base.points == harness::CrashPointMode::kEveryCall && base.filter.op == 0 &&
      !base.filter.call && base.filter.path_glob == "*") {
    for (const Workload& w : workloads) {
      WALCRASH_ASSIGN_OR_RETURN(uint64_t calls, harness::CountCalls(w, base));
      total_points += ShardPoints(calls, base.shard_index, base.shard_count);
    }
  }
  for (size_t i = 0; i < workloads.size(); ++i) {
    ExploreOptions options = base;
    if (budget_seconds > 0) {
      double remaining = budget_seconds - SecondsSince(start);
      if (remaining <= 0) {
        run.workloads_skipped = workloads.size() - i;
        run.report.budget_exhausted = true;
        break;
      }
      options.budget_seconds = remaining / static_cast<double>(workloads.size() - i);
    }
    if (bar.enabled()) {
      const ExploreReport before = run.report;
      std::string workload_label = workloads.size() > 1
                                       ? fmt::format("{} {}/{}", label, i + 1, workloads.size())
                                       : std::string(label);
      options.progress = [&bar, before, start, total_points, workload_label](const harness::ExploreProgress& p) {
        bar.Show(workload_label, before.crash_points + p.points_done, total_points,
                 before.images_checked + p.images_checked, before.findings + p.findings, SecondsSince(start));
      };
    }
    auto explored = harness::Explore(workloads[i], options);
    if (!explored.ok()) {
      bar.Clear();
      return explored.status().Annotate(fmt::format("workload {}", i + 1));
    }
    run.report.Merge(*explored);
    ++run.workloads_run;
    if (run.report.stopped_at_first) break;
  }
  bar.Clear();
  run.seconds = SecondsSince(start);
  return run;
}

// The first reproducer of each oracle, in the order they were found.
std::vector<Reproducer> FirstPerOracle(const std::vector<Reproducer>& all) {
  std::vector<Reproducer> out;
  std::set<std::string> seen;
  for (const Reproducer& r : all) {
    if (seen.insert(r.verdict.oracle).second) out.push_back(r);
  }
  return out;
}

// "<dir>/<stem>-<n>.json" for the smallest n >= 1 not taken, so earlier
// findings in the same directory are kept.
std::string FreeName(const std::string& dir, const std::string& stem) {
  for (unsigned n = 1;; ++n) {
    std::string path = (std::filesystem::path(dir) / fmt::format("{}-{}.json", stem, n)).string();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return path;
  }
}

// Reads a written reproducer back and replays it: the verdict must be the one
// it records. The text of the problem when not.
std::optional<std::string> CheckReplaysTheSame(const std::string& path) {
  auto text = ReadInputFile(path);
  if (!text.ok()) return InputProblem(text.error());
  auto reproducer = Reproducer::FromJson(*text);
  if (!reproducer.ok()) return FileProblem(path, reproducer.error());
  auto replay = harness::Replay(*reproducer);
  if (!replay.ok()) return FileProblem(path, replay.error());
  if (replay->SameVerdictAs(*reproducer)) return std::nullopt;
  return fmt::format("{}: replays to {} but records {}: {}", path,
                     replay->verdict ? fmt::format("{}: {}", replay->verdict->oracle, replay->verdict->message)
                                     : std::string("a pass"),
                     reproducer->verdict.oracle, reproducer->verdict.message);
}

std::string VerdictText(const harness::Violation& v) {
  return v.oracle.empty() ? std::string("PASS") : fmt::format("FAIL {}: {}", v.oracle, v.message);
}

std::string Shorten(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max - 3)) + "...";
}

// --- explore -------------------------------------------------------------------------

constexpr double kMinimizeSecondsPerCase = 20;
constexpr size_t kMinimizeAttempts = 300;

struct ExploreCliOptions {
  std::string engine = "etcd";
  std::string workload_file;
  uint64_t seed = 1;
  size_t ops = 40;
  std::vector<std::string> models;
  std::vector<std::string> bugs;
  double budget = 0;
  std::string json;
  std::string out = "walcrash-findings";
  bool every_sync = false;
  size_t max_images = 48;
  size_t samples = 4;
  std::string faults;
  bool media_faults = false;
  bool recovery_crashes = false;
  std::string shard = "0/1";
  bool isolate = false;
  uint64_t segment_size = 0;
  bool no_minimize = false;
  std::vector<std::string> engine_options;  // KEY=VALUE

  // Which were given.
  CLI::Option* engine_opt = nullptr;
  CLI::Option* seed_opt = nullptr;
  CLI::Option* ops_opt = nullptr;
  CLI::Option* segment_size_opt = nullptr;
};

// What explore will run, every option checked.
struct ExplorePlan {
  std::string description;  // "the default campaign (seed 1)"
  std::vector<Workload> workloads;
  ExploreOptions options;
  std::vector<std::string> bugs;
  std::string engine;
};

Result<ExplorePlan> PlanExplore(const ExploreCliOptions& o) {
  ExplorePlan plan;
  plan.engine = o.engine;
  std::vector<std::string> engines = harness::EngineNames();
  if (std::find(engines.begin(), engines.end(), o.engine) == engines.end()) {
    return Status(Code::kInvalidArgument, "",
                  fmt::format("--engine {}: no such engine (built in: {})", o.engine, Join(engines, ", ")));
  }
  plan.bugs = SplitCommas(o.bugs);
  const std::string bugs = Join(plan.bugs, ",");
  const bool generated = o.seed_opt->count() > 0 || o.ops_opt->count() > 0;
  harness::Campaign campaign = harness::DefaultCampaign(o.seed, bugs, o.engine);
  plan.options = campaign.options;
  plan.options.media_faults = false;
  if (!o.workload_file.empty()) {
    auto text = ReadInputFile(o.workload_file);
    if (!text.ok()) return Status(text.error().code(), o.workload_file, "--workload " + InputProblem(text.error()));
    auto workload = harness::ParseWorkloadAnyForm(*text);
    if (!workload.ok()) {
      return Status(Code::kInvalidArgument, o.workload_file,
                    fmt::format("--workload {}: not a valid workload: {}", o.workload_file, workload.error().message()));
    }
    if (o.engine_opt->count() > 0) {
      workload->engine = o.engine;
    } else {
      plan.engine = workload->engine;
    }
    plan.workloads.push_back(std::move(workload).value());
    plan.description = fmt::format("workload {}", o.workload_file);
  } else if (generated) {
    harness::WorkloadProfile profile;
    profile.engine = o.engine;
    profile.ops = o.ops;
    if (o.segment_size > 0) profile.segment_size_bytes = o.segment_size;
    Workload w = harness::GenerateWorkload(o.seed, profile);
    w.engine = o.engine;
    plan.workloads.push_back(std::move(w));
    plan.description = fmt::format("a generated workload (seed {}, {} operations)", o.seed, o.ops);
  } else {
    plan.workloads = std::move(campaign.workloads);
    for (Workload& w : plan.workloads) w.engine = o.engine;
    plan.options.media_faults = true;
    plan.description = fmt::format("the default campaign (seed {}, {} workloads of {} operations)", o.seed,
                                   plan.workloads.size(),
                                   plan.workloads.empty() ? size_t{0} : plan.workloads.front().ops.size());
  }
  WALCRASH_RETURN_IF_ERROR(CheckBugNames(plan.engine, plan.bugs));
  for (Workload& w : plan.workloads) {
    if (!plan.bugs.empty()) w.options["bugs"] = bugs;
    if (o.segment_size_opt->count() > 0) {
      w.options[w.engine == "tdengine" ? "renew-bytes" : "segment-size"] = std::to_string(o.segment_size);
    }
    for (const std::string& kv : o.engine_options) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Status(Code::kInvalidArgument, "", fmt::format("--option {}: expected KEY=VALUE", kv));
      }
      w.options[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (Status s = w.Validate(); !s.ok()) return Status(s.code(), "", fmt::format("the workload: {}", s.ToString()));
    harness::EngineConfig config;
    config.engine = w.engine;
    config.options = w.options;
    if (Status s = harness::ValidateEngineConfig(config); !s.ok()) {
      return Status(s.code(), "", fmt::format("engine options: {}", s.message()));
    }
  }

  if (!o.models.empty()) {
    std::set<std::string> names(o.models.begin(), o.models.end());
    plan.options.models.clear();
    for (vfs::PersistenceModel m :
         {vfs::PersistenceModel::kStrict, vfs::PersistenceModel::kPrefix, vfs::PersistenceModel::kSubset}) {
      if (names.count("all") || names.count(std::string(vfs::PersistenceModelName(m)))) plan.options.models.push_back(m);
    }
  }
  plan.options.seed = o.seed;
  plan.options.points = o.every_sync ? harness::CrashPointMode::kEverySync : harness::CrashPointMode::kEveryCall;
  plan.options.max_images_per_point = o.max_images;
  plan.options.samples_per_point = o.samples;
  if (o.media_faults) plan.options.media_faults = true;
  plan.options.check.recovery_crashes = o.recovery_crashes;
  plan.options.isolate = o.isolate;
  if (!o.faults.empty()) {
    WALCRASH_ASSIGN_OR_RETURN(plan.options.fault_plan, LoadFaultPlan(o.faults));
  }
  WALCRASH_ASSIGN_OR_RETURN(auto shard, ParseShard(o.shard));
  plan.options.shard_index = shard.first;
  plan.options.shard_count = shard.second;
  if (!o.json.empty()) WALCRASH_RETURN_IF_ERROR(CheckOutputPath(o.json, "--json"));
  std::error_code ec;
  if (std::filesystem::exists(o.out, ec) && !std::filesystem::is_directory(o.out, ec)) {
    return Status(Code::kNotDirectory, o.out, fmt::format("--out {}: exists and is not a directory", o.out));
  }
  return plan;
}

struct WrittenReproducer {
  std::string oracle;
  std::string message;
  std::string path;
  bool minimized = false;
  std::string minimize_note;  // "40 -> 6 operations, 3 -> 1 surviving operations", or why not
  std::optional<std::string> replay_problem;
};

// Minimises (unless told not to), writes and replays each reproducer.
Result<std::vector<WrittenReproducer>> WriteReproducers(const std::vector<Reproducer>& reproducers,
                                                        const ExplorePlan& plan, const ExploreCliOptions& o,
                                                        ProgressBar& bar) {
  std::vector<WrittenReproducer> written;
  if (reproducers.empty()) return written;
  WALCRASH_RETURN_IF_ERROR(MakeDirectories(o.out));
  for (const Reproducer& original : reproducers) {
    Reproducer chosen = original;
    WrittenReproducer w;
    if (o.no_minimize) {
      w.minimize_note = "not minimised (--no-minimize)";
    } else {
      bar.Text(fmt::format("minimising the {} reproducer ({} operations)...", original.verdict.oracle,
                           original.workload.ops.size()));
      harness::MinimizeOptions mo;
      mo.max_attempts = kMinimizeAttempts;
      mo.budget_seconds = kMinimizeSecondsPerCase;
      mo.explore = plan.options;
      mo.explore.shard_index = 0;
      mo.explore.shard_count = 1;
      mo.explore.progress = nullptr;
      auto minimized = harness::Minimize(original, mo);
      bar.Clear();
      if (minimized.ok()) {
        chosen = minimized->reproducer;
        w.minimized = true;
        w.minimize_note = fmt::format("minimised: {} -> {} operations, {} -> {} surviving pending operations",
                                      minimized->ops_before, minimized->ops_after, minimized->survivors_before,
                                      minimized->survivors_after);
      } else {
        w.minimize_note = fmt::format("not minimised ({})", minimized.error().message());
      }
    }
    w.oracle = chosen.verdict.oracle;
    w.message = chosen.verdict.message;
    w.path = FreeName(o.out, chosen.verdict.oracle);
    WALCRASH_RETURN_IF_ERROR(WriteOutputFile(w.path, chosen.ToJson()));
    w.replay_problem = CheckReplaysTheSame(w.path);
    written.push_back(std::move(w));
  }
  return written;
}

json ExploreOptionsJson(const ExploreCliOptions& o, const ExplorePlan& plan) {
  json j;
  j["engine"] = plan.engine;
  j["source"] = !o.workload_file.empty() ? "file" : (o.seed_opt->count() > 0 || o.ops_opt->count() > 0)
                                                        ? "generated"
                                                        : "default-campaign";
  j["workload_file"] = o.workload_file.empty() ? json(nullptr) : json(o.workload_file);
  j["seed"] = o.seed;
  j["ops"] = o.workload_file.empty() ? json(plan.workloads.empty() ? size_t{0} : plan.workloads.front().ops.size())
                                     : json(nullptr);
  std::vector<std::string> models;
  for (vfs::PersistenceModel m : plan.options.models) models.emplace_back(vfs::PersistenceModelName(m));
  j["models"] = models;
  j["bugs"] = plan.bugs;
  j["budget_seconds"] = o.budget;
  j["crash_points"] = o.every_sync ? "every-sync" : "every-call";
  j["max_images_per_point"] = o.max_images;
  j["samples_per_point"] = o.samples;
  j["faults"] = plan.options.fault_plan.ToString();
  j["media_faults"] = plan.options.media_faults;
  j["recovery_crashes"] = o.recovery_crashes;
  j["shard"] = fmt::format("{}/{}", plan.options.shard_index, plan.options.shard_count);
  j["isolate"] = o.isolate;
  j["segment_size"] = o.segment_size_opt->count() > 0 ? json(o.segment_size) : json(nullptr);
  j["minimize"] = !o.no_minimize;
  j["out"] = o.out;
  return j;
}

int RunExplore(const ExploreCliOptions& o) {
  auto planned = PlanExplore(o);
  if (!planned.ok()) {
    PrintError("explore", planned.error().message());
    return kExitUsage;
  }
  const ExplorePlan& plan = *planned;
  ProgressBar bar(StderrIsTerminal());
  auto ran = RunCampaign(plan.workloads, plan.options, o.budget, bar, "explore");
  if (!ran.ok()) {
    PrintError("explore", ran.error().ToString());
    return kExitProblem;
  }
  const CampaignRun& run = *ran;
  const ExploreReport& report = run.report;
  auto written = WriteReproducers(FirstPerOracle(report.reproducers), plan, o, bar);
  if (!written.ok()) {
    PrintError("explore", written.error().message());
    return kExitProblem;
  }

  // The summary: one screen.
  fmt::print("walcrash explore: {}, engine {}{}\n", plan.description, plan.engine,
             plan.bugs.empty() ? std::string() : fmt::format(" with {}", Join(plan.bugs, ", ")));
  std::vector<std::string> extras;
  if (plan.options.tear_writes) extras.emplace_back("torn writes");
  if (plan.options.tear_renames) extras.emplace_back("torn renames");
  if (plan.options.media_faults) extras.emplace_back("media faults");
  if (plan.options.check.recovery_crashes) extras.emplace_back("crashes during recovery");
  if (!plan.options.fault_plan.empty()) extras.emplace_back("fault plan");
  if (plan.options.isolate) extras.emplace_back("isolated");
  fmt::print("  models            {} ({})\n", ModelsText(plan.options.models), Join(extras, ", "));
  fmt::print("  crash points      {}{}{}\n", report.crash_points, o.every_sync ? " (before every sync, and the end)" : "",
             plan.options.shard_count > 1
                 ? fmt::format(" (shard {}/{})", plan.options.shard_index, plan.options.shard_count)
                 : std::string());
  fmt::print("  images checked    {} ({} recoveries run{})\n", report.images_checked, report.images_recovered,
             report.images_recovered < report.images_checked ? "; the others matched a recovery already run" : "");
  fmt::print("  images/s          {:.0f}\n", PerSecond(report.images_checked, run.seconds));
  fmt::print("  seconds           {:.1f}\n", run.seconds);
  if (report.findings == 0) {
    fmt::print("  findings          none\n");
  } else {
    std::vector<std::string> by_oracle;
    for (const auto& [oracle, n] : report.findings_by_oracle) by_oracle.push_back(fmt::format("{} {}", oracle, n));
    fmt::print("  findings          {} ({}); the first after {:.1f} s\n", report.findings, Join(by_oracle, ", "),
               report.seconds_to_first_finding);
  }
  if (o.budget <= 0) {
    fmt::print("  budget            none\n");
  } else if (report.budget_exhausted) {
    fmt::print("  budget            {:.0f} s: STOPPED the run before it was complete{}\n", o.budget,
               run.workloads_skipped > 0 ? fmt::format(" ({} workload(s) not started)", run.workloads_skipped)
                                         : std::string());
  } else {
    fmt::print("  budget            {:.0f} s: not reached\n", o.budget);
  }
  bool replay_mismatch = false;
  if (!written->empty()) {
    fmt::print("reproducers (walcrash replay FILE shows the case step by step):\n");
    for (const WrittenReproducer& w : *written) {
      fmt::print("  {}\n      {}: {}\n      {}\n", w.path, w.oracle, Shorten(w.message, 160), w.minimize_note);
      if (w.replay_problem) replay_mismatch = true;
    }
  }
  if (report.findings == 0) {
    fmt::print("walcrash explore: no finding\n");
  } else {
    fmt::print("walcrash explore: {} finding(s); {} reproducer(s) written to {}\n", report.findings, written->size(),
               o.out);
  }
  for (const WrittenReproducer& w : *written) {
    if (w.replay_problem) PrintError("explore", fmt::format("internal error: {}", *w.replay_problem));
  }

  if (!o.json.empty()) {
    json j;
    j["walcrash"] = WALCRASH_VERSION;
    j["command"] = "explore";
    j["options"] = ExploreOptionsJson(o, plan);
    j["workloads"] = plan.workloads.size();
    j["workloads_run"] = run.workloads_run;
    j["crash_points"] = report.crash_points;
    j["images_checked"] = report.images_checked;
    j["images_recovered"] = report.images_recovered;
    j["images_per_second"] = PerSecond(report.images_checked, run.seconds);
    j["seconds"] = run.seconds;
    j["findings"] = report.findings;
    j["findings_by_oracle"] = report.findings_by_oracle;
    j["seconds_to_first_finding"] =
        report.seconds_to_first_finding >= 0 ? json(report.seconds_to_first_finding) : json(nullptr);
    j["stopped_by_budget"] = report.budget_exhausted;
    json reps = json::array();
    for (const WrittenReproducer& w : *written) {
      reps.push_back({{"oracle", w.oracle},
                      {"message", w.message},
                      {"path", w.path},
                      {"minimized", w.minimized},
                      {"replays_same_verdict", !w.replay_problem.has_value()}});
    }
    j["reproducers"] = reps;
    if (Status s = WriteOutputFile(o.json, j.dump(2) + "\n"); !s.ok()) {
      PrintError("explore", s.message());
      return kExitProblem;
    }
  }
  if (replay_mismatch) return kExitProblem;
  return report.findings == 0 ? kExitOk : kExitProblem;
}

// --- replay --------------------------------------------------------------------------

struct ReplayCliOptions {
  std::string file;
  bool quiet = false;
  std::string as = "auto";        // auto, reproducer, scenario, fuzz
  std::vector<std::string> bugs;  // fuzz inputs: the engine's switches (else $WALCRASH_FUZZ_BUGS)
  std::string engine;             // fuzz inputs: "" etcd, unless the path says tdengine
  std::vector<std::string> engine_options;  // fuzz inputs: KEY=VALUE (else the target's variable)
};

// The fuzz target directory whose inputs run the tdengine engine.
constexpr std::string_view kTdengineScheduleTarget = "fuzz_crash_schedule_tdengine";

// The engine a fuzz input runs on: --engine, else tdengine for a file under a
// fuzz_crash_schedule_tdengine directory (its corpus, its saved findings),
// else etcd.
std::string FuzzEngine(const std::string& path, const std::string& engine) {
  if (!engine.empty()) return engine;
  for (std::filesystem::path p = std::filesystem::path(path).parent_path(); !p.empty() && p != p.parent_path();
       p = p.parent_path()) {
    if (p.filename() == kTdengineScheduleTarget) return "tdengine";
  }
  return "etcd";
}

// The known-bug switches a fuzz input runs with: --bug, else (etcd) the
// variable the fuzz target reads, so that a crash file replays as it was found.
std::string FuzzBugs(const std::string& engine, const std::vector<std::string>& bugs) {
  if (!bugs.empty()) return Join(SplitCommas(bugs), ",");
  if (engine != "etcd") return std::string();  // fuzz_crash_schedule_tdengine does not read the variable
  const char* env = std::getenv("WALCRASH_FUZZ_BUGS");
  return env == nullptr || std::string_view(env) == "none" ? std::string() : std::string(env);
}

// The further engine options: --option, else (tdengine) the variable
// fuzz_crash_schedule_tdengine reads.
Result<std::map<std::string, std::string>> FuzzEngineOptions(const std::string& engine,
                                                             const std::vector<std::string>& given) {
  if (!given.empty()) {
    auto parsed = harness::ParseEngineOptions(Join(given, ","));
    if (!parsed.ok()) return Status(Code::kInvalidArgument, "", fmt::format("--option: {}", parsed.status().message()));
    return parsed;
  }
  if (engine != "tdengine") return std::map<std::string, std::string>();
  const char* env = std::getenv("WALCRASH_FUZZ_TDENGINE_OPTIONS");
  auto parsed = harness::ParseEngineOptions(env == nullptr ? "" : env);
  if (!parsed.ok()) {
    return Status(Code::kInvalidArgument, "",
                  fmt::format("WALCRASH_FUZZ_TDENGINE_OPTIONS={}: {}", env, parsed.status().message()));
  }
  return parsed;
}

// A fuzz_crash_schedule input (harness/crash_schedule.h), resolved into the
// reproducer it stands for (verdict included). Errors name the file.
Result<Reproducer> ReproducerOfFuzzInput(const std::string& path, const std::string& bytes,
                                         const std::vector<std::string>& bug_options, const std::string& engine,
                                         const std::vector<std::string>& engine_options) {
  harness::CrashScheduleOptions options;
  options.engine = FuzzEngine(path, engine);
  const std::vector<std::string> engines = harness::EngineNames();
  if (std::find(engines.begin(), engines.end(), options.engine) == engines.end()) {
    return Status(Code::kInvalidArgument, "",
                  fmt::format("--engine {}: no such engine (built in: {})", options.engine, Join(engines, ", ")));
  }
  options.bugs = FuzzBugs(options.engine, bug_options);
  WALCRASH_RETURN_IF_ERROR(CheckBugNames(options.engine, SplitCommas({options.bugs})));
  WALCRASH_ASSIGN_OR_RETURN(options.engine_options, FuzzEngineOptions(options.engine, engine_options));
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  auto resolved = harness::ResolveCrashSchedule(harness::DecodeCrashSchedule({data, bytes.size()}, options));
  if (!resolved.ok()) {
    return Status(resolved.error().code(), path, FileProblem(path, resolved.error()));
  }
  return resolved;
}

// libFuzzer's names for what it saves, and the target's corpus directory.
bool NamedLikeAFuzzInput(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string name = p.filename().string();
  for (std::string_view prefix : {"crash-", "timeout-", "oom-", "leak-", "slow-unit-", "seed-"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  const std::string dir = p.parent_path().filename().string();
  return dir == "fuzz_crash_schedule" || dir == kTdengineScheduleTarget;
}

// True when the bytes hold control characters no text file has (binary data).
bool LooksBinary(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7f;
  });
}

// Replays `r` and prints the case, the trace and the verdict. `recorded`:
// the verdict is the file's (a reproducer) rather than just computed (a
// fuzz input); the exit then says whether the replay agrees with it.
int ReplayAndPrint(const ReplayCliOptions& o, const Reproducer& r, bool recorded) {
  auto replay = harness::Replay(r);
  if (!replay.ok()) {
    PrintError("replay", fmt::format("{}: cannot replay: {}", o.file, replay.error().ToString()));
    return kExitProblem;
  }
  if (!o.quiet) {
    const bool etcd = r.workload.engine == "etcd";
    fmt::print("{} {}\n", recorded ? "Reproducer" : etcd ? "Fuzz input (fuzz_crash_schedule)"
                                                         : fmt::format("Fuzz input ({})", kTdengineScheduleTarget),
               o.file);
    if (!recorded && etcd) {
      auto bugs = r.workload.options.find("bugs");
      fmt::print("  engine {} with {}\n", r.workload.engine,
                 bugs == r.workload.options.end() ? std::string("no known-bug switch") : "switches " + bugs->second);
    } else if (!recorded) {
      std::vector<std::string> options;
      for (const auto& [key, value] : r.workload.options) options.push_back(fmt::format("{}={}", key, value));
      fmt::print("  engine {} with options {}\n", r.workload.engine, Join(options, " "));
    }
    if (!recorded) {
      fmt::print("  workload:\n");
      const std::string workload = r.workload.ToText();
      for (std::string_view line : SplitLines(workload)) fmt::print("    {}\n", line);
    }
    if (r.kind == Reproducer::Kind::kLiveRun) {
      fmt::print("  the finding is in the live run (no crash)\n");
    } else {
      fmt::print("  crash {} (after {} calls), {} model, image {}\n", r.crash_call, r.crash_after_calls,
                 vfs::PersistenceModelName(r.model), r.image.ToString());
      if (r.media_fault) fmt::print("  media fault: {}\n", r.media_fault->ToString());
      if (r.recovery_crash) {
        fmt::print("  crash during recovery after {} calls, image {}\n", r.recovery_crash->calls,
                   r.recovery_crash->image.ToString());
      }
    }
    if (!r.fault_plan.empty()) fmt::print("  fault plan: {}\n", r.fault_plan);
    if (recorded) fmt::print("  recorded verdict: {}\n", VerdictText(r.verdict));
    fmt::print("{}", replay->ToText());
  }
  const harness::Violation now = replay->verdict ? *replay->verdict : harness::Violation{};
  if (!recorded) {
    if (!replay->SameVerdictAs(r)) {
      PrintError("replay", fmt::format("{}: internal error: the input gave {} but its replay {}", o.file,
                                       VerdictText(r.verdict), VerdictText(now)));
      return kExitProblem;
    }
    fmt::print("replay: {}\n", now.oracle.empty() ? "pass: every oracle holds"
                                                   : fmt::format("FINDING {}: {}", now.oracle, now.message));
    return now.oracle.empty() ? kExitOk : kExitProblem;
  }
  if (replay->SameVerdictAs(r)) {
    fmt::print("replay: same verdict as recorded ({})\n", r.verdict.oracle.empty() ? "pass" : r.verdict.oracle);
    return kExitOk;
  }
  fmt::print("replay: the verdict DIFFERS from the recorded one\n  recorded: {}\n  now:      {}\n",
             VerdictText(r.verdict), VerdictText(now));
  return kExitProblem;
}

int ReplayReproducer(const ReplayCliOptions& o, const std::string& text) {
  if (!json::accept(text)) {
    PrintError("replay", fmt::format("{}: not valid JSON (a reproducer file is a JSON object)", o.file));
    return kExitProblem;
  }
  auto reproducer = Reproducer::FromJson(text);
  if (!reproducer.ok()) {
    PrintError("replay", fmt::format("{}: not a reproducer file: {}", o.file, reproducer.error().message()));
    return kExitProblem;
  }
  return ReplayAndPrint(o, *reproducer, /*recorded=*/true);
}

int ReplayFuzzInput(const ReplayCliOptions& o, const std::string& bytes) {
  auto reproducer = ReproducerOfFuzzInput(o.file, bytes, o.bugs, o.engine, o.engine_options);
  if (!reproducer.ok()) {
    PrintError("replay", reproducer.error().message());
    return kExitProblem;
  }
  return ReplayAndPrint(o, *reproducer, /*recorded=*/false);
}

int ReplayScenario(const ReplayCliOptions& o) {
  auto loaded = scenarios::LoadScenario(o.file);
  if (!loaded.ok()) {
    PrintError("replay", fmt::format("{} (neither a reproducer, which is JSON, nor a valid scenario)",
                                     FileProblem(o.file, loaded.error())));
    return kExitProblem;
  }
  const scenarios::Scenario& scenario = *loaded;
  fmt::print("Scenario {}: {}\n", scenario.name, scenario.title);
  if (!o.quiet) {
    for (const std::string& note : scenario.notes) fmt::print("  {}\n", note);
  }
  auto outcomes = scenarios::RunScenario(scenario);
  if (!outcomes.ok()) {
    PrintError("replay", fmt::format("{}: cannot run the scenario: {}", o.file, outcomes.error().ToString()));
    return kExitProblem;
  }
  size_t met = 0;
  bool replay_failed = false;
  for (const scenarios::ScenarioOutcome& outcome : *outcomes) {
    if (outcome.met) ++met;
    fmt::print("expect {:<40} {}  {}\n", outcome.expected.ToString(), outcome.met ? "met    " : "NOT MET", outcome.detail);
    if (!outcome.reproducer || o.quiet) continue;
    auto replay = harness::Replay(*outcome.reproducer);
    if (!replay.ok()) {
      PrintError("replay", fmt::format("{}: cannot replay the finding of {}: {}", o.file, outcome.expected.ToString(),
                                       replay.error().ToString()));
      replay_failed = true;
      continue;
    }
    fmt::print("{}\n", replay->ToText());
  }
  fmt::print("replay: {}/{} expectations met\n", met, outcomes->size());
  return met == outcomes->size() && !replay_failed ? kExitOk : kExitProblem;
}

int RunReplay(const ReplayCliOptions& o) {
  auto text = ReadInputFile(o.file);
  if (!text.ok()) {
    PrintError("replay", InputProblem(text.error()));
    return kExitProblem;
  }
  if (o.as == "reproducer") return ReplayReproducer(o, *text);
  if (o.as == "scenario") return ReplayScenario(o);
  if (o.as == "fuzz") return ReplayFuzzInput(o, *text);
  // auto: JSON is a reproducer; files named as libFuzzer names what it saves
  // (or in a fuzz_crash_schedule[_tdengine] directory) are fuzz inputs; other text is a
  // scenario. Other binary data is an error, not a guess: any bytes decode
  // as a fuzz input, so a damaged reproducer would otherwise "replay".
  size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '{' && json::accept(*text)) return ReplayReproducer(o, *text);
  // --engine and --option are for fuzz inputs only: they say what this is.
  if (NamedLikeAFuzzInput(o.file) || !o.engine.empty() || !o.engine_options.empty()) return ReplayFuzzInput(o, *text);
  if (first != std::string::npos && (*text)[first] == '{') return ReplayReproducer(o, *text);
  if (LooksBinary(*text)) {
    PrintError("replay", fmt::format("{}: binary data, neither a reproducer (JSON) nor a scenario file (a "
                                     "fuzz_crash_schedule input? say so with --as fuzz)",
                                     o.file));
    return kExitProblem;
  }
  return ReplayScenario(o);
}

// --- fuzz-to-repro -------------------------------------------------------------------

struct FuzzToReproCliOptions {
  std::string in;
  std::string out;
  std::vector<std::string> bugs;
  std::string engine;
  std::vector<std::string> engine_options;
};

int RunFuzzToRepro(const FuzzToReproCliOptions& o) {
  auto bytes = ReadInputFile(o.in);
  if (!bytes.ok()) {
    PrintError("fuzz-to-repro", InputProblem(bytes.error()));
    return kExitUsage;
  }
  if (Status s = CheckOutputPath(o.out, "OUT"); !s.ok()) {
    PrintError("fuzz-to-repro", std::string(s.message()));
    return kExitUsage;
  }
  auto reproducer = ReproducerOfFuzzInput(o.in, *bytes, o.bugs, o.engine, o.engine_options);
  if (!reproducer.ok()) {
    PrintError("fuzz-to-repro", reproducer.error().message());
    return kExitUsage;
  }
  if (Status s = WriteOutputFile(o.out, reproducer->ToJson()); !s.ok()) {
    PrintError("fuzz-to-repro", std::string(s.message()));
    return kExitProblem;
  }
  fmt::print("wrote {}: {}\n  walcrash replay {} shows it step by step\n", o.out, VerdictText(reproducer->verdict),
             o.out);
  return kExitOk;
}

// --- mutants -------------------------------------------------------------------------

struct MutantsCliOptions {
  double budget = 60;
  int cases = 300;
  std::string json;
  std::string out = "walcrash-mutants";
  bool quick = false;
};

constexpr uint64_t kMutantsSeed = 1;

// The explorer's campaign for mutants: the default campaign, or in --quick a
// cheaper one (two workloads, fewer images per point).
harness::Campaign MutantsCampaign(const std::string& bugs, bool quick) {
  harness::Campaign c = harness::DefaultCampaign(kMutantsSeed, bugs);
  if (quick) {
    c.workloads.resize(std::min<size_t>(c.workloads.size(), 2));
    c.options.max_images_per_point = 12;
    c.options.samples_per_point = 2;
  }
  return c;
}

struct TechniqueOutcome {
  bool killed = false;     // found something
  std::string oracle;
  std::string message;
  std::string reproducer;  // path, "" when none
  double seconds = 0;
  uint64_t amount = 0;     // explorer: images checked; property: cases run
  bool stopped_by_budget = false;
  std::string reproduce;   // property: RC_PARAMS
  std::string error;       // the technique could not run
};

TechniqueOutcome ExplorerTechnique(const std::string& bugs, const MutantsCliOptions& o, ProgressBar& bar,
                                   const std::string& label) {
  TechniqueOutcome t;
  harness::Campaign campaign = MutantsCampaign(bugs, o.quick);
  campaign.options.stop_at_first = !bugs.empty();
  auto ran = RunCampaign(campaign.workloads, campaign.options, o.budget, bar, label);
  if (!ran.ok()) {
    t.error = ran.error().ToString();
    return t;
  }
  const ExploreReport& report = ran->report;
  t.amount = report.images_checked;
  t.seconds = report.seconds_to_first_finding >= 0 ? report.seconds_to_first_finding : ran->seconds;
  t.stopped_by_budget = report.budget_exhausted;
  if (report.findings == 0) return t;
  t.killed = true;
  if (!report.reproducers.empty()) {
    const Reproducer& r = report.reproducers.front();
    t.oracle = r.verdict.oracle;
    t.message = r.verdict.message;
    std::string stem = fmt::format("{}-explorer-{}", bugs.empty() ? std::string("correct") : bugs, t.oracle);
    std::string path = (std::filesystem::path(o.out) / (stem + ".json")).string();
    if (Status s = WriteOutputFile(path, r.ToJson()); !s.ok()) {
      t.error = std::string(s.message());
    } else {
      t.reproducer = path;
    }
  } else {
    t.oracle = report.findings_by_oracle.begin()->first;
  }
  return t;
}

TechniqueOutcome PropertyTechnique(const std::string& bugs, const MutantsCliOptions& o, ProgressBar& bar,
                                   const std::string& label) {
  TechniqueOutcome t;
  bar.Text(fmt::format("{}: the RapidCheck state machine, up to {} cases...", label, o.cases));
  prop::StateMachineOptions options;
  options.bugs = bugs;
  options.cases = o.cases;
  options.seed = kMutantsSeed;
  options.reproducer_dir = o.out;
  prop::StateMachineResult result = prop::CheckWalStateMachine(options);
  bar.Clear();
  if (result.failed && result.oracle == "usage") {
    t.error = result.message;  // RC_PARAMS could not be read
    return t;
  }
  t.killed = result.failed;
  t.oracle = result.oracle;
  t.message = result.message;
  t.reproducer = result.reproducer_path;
  t.reproduce = result.reproduce;
  t.amount = static_cast<uint64_t>(std::max(result.cases_run, 0));
  t.seconds = result.seconds;
  return t;
}

std::string ExplorerCell(const TechniqueOutcome& t) {
  if (!t.error.empty()) return "ERROR";
  if (t.killed) return fmt::format("{}, {:.2f} s", t.oracle, t.seconds);
  return fmt::format("survived{} ({:.1f} s)", t.stopped_by_budget ? " the budget" : "", t.seconds);
}

std::string PropertyCell(const TechniqueOutcome& t) {
  if (!t.error.empty()) return "ERROR";
  if (t.killed) return fmt::format("{}, {} cases", t.oracle, t.amount);
  return fmt::format("survived ({} cases)", t.amount);
}

json TechniqueJson(const TechniqueOutcome& t, bool explorer) {
  json j;
  j["killed"] = t.killed;
  j["oracle"] = t.oracle.empty() ? json(nullptr) : json(t.oracle);
  j["message"] = t.message.empty() ? json(nullptr) : json(t.message);
  j["seconds"] = t.seconds;
  j[explorer ? "images_checked" : "cases"] = t.amount;
  if (explorer) j["stopped_by_budget"] = t.stopped_by_budget;
  if (!explorer) j["reproduce"] = t.reproduce.empty() ? json(nullptr) : json(t.reproduce);
  j["reproducer"] = t.reproducer.empty() ? json(nullptr) : json(t.reproducer);
  j["error"] = t.error.empty() ? json(nullptr) : json(t.error);
  return j;
}

int RunMutants(const MutantsCliOptions& o) {
  if (!o.json.empty()) {
    if (Status s = CheckOutputPath(o.json, "--json"); !s.ok()) {
      PrintError("mutants", s.message());
      return kExitUsage;
    }
  }
  if (Status s = MakeDirectories(o.out); !s.ok()) {
    PrintError("mutants", s.message());
    return kExitUsage;
  }
  ProgressBar bar(StderrIsTerminal());
  const std::vector<std::string> switches = harness::KnownBugNames("etcd");
  constexpr int kSwitch = 34, kExplorer = 34, kProperty = 34;
  fmt::print("walcrash mutants: {} known-bug switches of etcd{}; explorer budget {:.0f} s, property {} cases, seed {}\n",
             switches.size(), o.quick ? " (quick)" : "", o.budget, o.cases, kMutantsSeed);
  fmt::print("{:<{}} {:<{}} {:<{}} {}\n", "switch", kSwitch, "explorer (oracle, time)", kExplorer,
             "property (oracle, cases)", kProperty, "reproducer");
  std::fflush(stdout);
  json rows = json::array();
  size_t killed = 0;
  bool errors = false;
  for (const std::string& name : switches) {
    TechniqueOutcome e = ExplorerTechnique(name, o, bar, name);
    TechniqueOutcome p = PropertyTechnique(name, o, bar, name);
    bool dead = e.killed || p.killed;
    if (dead) ++killed;
    std::string reproducer = !e.reproducer.empty() ? e.reproducer : p.reproducer;
    fmt::print("{:<{}} {:<{}} {:<{}} {}\n", name, kSwitch, ExplorerCell(e), kExplorer, PropertyCell(p), kProperty,
               reproducer.empty() ? std::string("-") : reproducer);
    std::fflush(stdout);
    for (const TechniqueOutcome* t : {&e, &p}) {
      if (!t->error.empty()) {
        PrintError("mutants", fmt::format("{}: {}", name, t->error));
        errors = true;
      }
    }
    rows.push_back({{"switch", name},
                    {"killed", dead},
                    {"explorer", TechniqueJson(e, true)},
                    {"property", TechniqueJson(p, false)}});
  }
  TechniqueOutcome ce = ExplorerTechnique("", o, bar, "correct engine");
  TechniqueOutcome cp = PropertyTechnique("", o, bar, "correct engine");
  bool clean = !ce.killed && !cp.killed && ce.error.empty() && cp.error.empty();
  auto correct_cell = [](const TechniqueOutcome& t, bool explorer) {
    if (!t.error.empty()) return std::string("ERROR");
    if (t.killed) return fmt::format("FINDING {}", t.oracle);
    return explorer ? fmt::format("no finding ({} images, {:.1f} s{})", t.amount, t.seconds,
                                  t.stopped_by_budget ? ", budget" : "")
                    : fmt::format("no finding ({} cases)", t.amount);
  };
  std::string correct_reproducer = !ce.reproducer.empty() ? ce.reproducer : cp.reproducer;
  fmt::print("{:<{}} {:<{}} {:<{}} {}\n", "correct engine", kSwitch, correct_cell(ce, true), kExplorer,
             correct_cell(cp, false), kProperty, correct_reproducer.empty() ? std::string("-") : correct_reproducer);
  for (const TechniqueOutcome* t : {&ce, &cp}) {
    if (!t->error.empty()) {
      PrintError("mutants", fmt::format("correct engine: {}", t->error));
      errors = true;
    }
  }
  const bool ok = killed == switches.size() && clean && !errors;
  fmt::print("mutants: {}/{} switches killed; the correct engine: {}{}\n", killed, switches.size(),
             clean ? "no finding" : "FINDINGS", ok ? "" : " -- FAIL");

  if (!o.json.empty()) {
    json j;
    j["walcrash"] = WALCRASH_VERSION;
    j["command"] = "mutants";
    j["options"] = {{"budget_seconds", o.budget},
                    {"cases", o.cases},
                    {"quick", o.quick},
                    {"seed", kMutantsSeed},
                    {"out", o.out}};
    j["switches"] = rows;
    j["killed"] = killed;
    j["correct"] = {{"clean", clean}, {"explorer", TechniqueJson(ce, true)}, {"property", TechniqueJson(cp, false)}};
    j["ok"] = ok;
    if (Status s = WriteOutputFile(o.json, j.dump(2) + "\n"); !s.ok()) {
      PrintError("mutants", s.message());
      return kExitProblem;
    }
  }
  return ok ? kExitOk : kExitProblem;
}

}  // namespace

void AddHarnessCommands(CLI::App& app, std::vector<Command>& commands) {
  // --- explore
  auto explore_ptr = std::make_shared<ExploreCliOptions>();
  ExploreCliOptions& e = *explore_ptr;
  CLI::App* explore = app.add_subcommand(
      "explore",
      "Run a workload (or, without --workload/--seed/--ops, the default campaign) on SimVfs, crash it at\n"
      "every crash-relevant call, check every crash image against the oracles, and write a minimised\n"
      "reproducer per failing oracle. Exit 0 no finding, 1 findings, 2 usage error");
  e.engine_opt = explore->add_option("--engine", e.engine, "The WAL under test")->capture_default_str();
  CLI::Option* workload_opt =
      explore->add_option("--workload", e.workload_file, "A workload file (text or JSON form, harness/workload.h)");
  e.seed_opt = explore->add_option("--seed", e.seed, "Explore one workload generated from this seed, instead of the default campaign")
                   ->capture_default_str();
  e.ops_opt = explore->add_option("--ops", e.ops, "Operations in the generated workload (implies one generated workload)")
                  ->capture_default_str()
                  ->check(CLI::Range(size_t{1}, harness::kMaxOps));
  workload_opt->excludes(e.seed_opt)->excludes(e.ops_opt);
  explore->add_option("--model", e.models, "Persistence model (repeatable): strict, prefix, subset or all")
      ->check(CLI::IsMember({"strict", "prefix", "subset", "all"}));
  explore->add_option("--bug", e.bugs, "Turn on a known-bug switch of the engine (repeatable, or comma-separated)");
  explore->add_option("--option", e.engine_options,
                      "An engine option KEY=VALUE (repeatable), e.g. strict=on or keep=on for tdengine");
  explore->add_option("--budget", e.budget, "Seconds for the whole run (0: none); the rest is left unexplored")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  explore->add_option("--json", e.json, "Write a machine-readable report to this file");
  explore->add_option("--out", e.out, "Directory for the reproducer files")->capture_default_str();
  explore->add_flag("--every-sync", e.every_sync, "Crash only before syncs (and at the end), not before every call");
  explore->add_option("--max-images", e.max_images, "Distinct crash images per crash point and model, at most")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1000000}));
  explore->add_option("--samples", e.samples, "Extra sampled subset-model images per point when the bound was hit")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{1000000}));
  explore->add_option("--faults", e.faults,
                      "FaultPlan rules for the live run: a file, or rule text with rules separated by newlines or ';'");
  explore->add_flag("--media-faults", e.media_faults,
                    "Also flip a byte in the durable checksummed records (on in the default campaign)");
  explore->add_flag("--recovery-crashes", e.recovery_crashes, "Also crash recovery itself, at every call it makes");
  explore->add_option("--shard", e.shard, "Explore only shard i of n (crash points numbered modulo n)")
      ->capture_default_str();
  explore->add_flag("--isolate", e.isolate, "Check each image in a child process (survives an engine crash)");
  e.segment_size_opt = explore->add_option("--segment-size", e.segment_size, "The engine's segment size in bytes")
                           ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  explore->add_flag("--no-minimize", e.no_minimize, "Write the reproducers as found, without minimising them");
  commands.push_back({explore, [explore_ptr] { return RunExplore(*explore_ptr); }});

  // --- replay
  auto replay_ptr = std::make_shared<ReplayCliOptions>();
  CLI::App* replay = app.add_subcommand(
      "replay",
      "Replay a reproducer file (JSON) or a fuzz_crash_schedule input and show why it fails, or run a\n"
      "scenario file and check its expectations. Exit 0 when the verdict is the recorded one (every\n"
      "expectation met; for a fuzz input, every oracle holds), 1 otherwise");
  replay->add_option("FILE", replay_ptr->file, "A reproducer (.json), a scenario file, or a fuzz_crash_schedule input")
      ->required();
  replay->add_flag("--quiet", replay_ptr->quiet, "Print only the verdicts, not the replay text");
  replay->add_option("--as", replay_ptr->as,
                     "What FILE is; auto: JSON is a reproducer, libFuzzer's file names (crash-..., or a file in\n"
                     "a fuzz_crash_schedule[_tdengine] directory) are fuzz inputs, other text is a scenario")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "reproducer", "scenario", "fuzz"}));
  replay->add_option("--bug", replay_ptr->bugs,
                     "A fuzz input: run the engine with this known-bug switch (repeatable; default: $WALCRASH_FUZZ_BUGS)");
  replay->add_option("--engine", replay_ptr->engine,
                     "A fuzz input: the engine it runs on (default: etcd; tdengine for a file under a\n"
                     "fuzz_crash_schedule_tdengine directory)");
  replay->add_option("--option", replay_ptr->engine_options,
                     "A fuzz input: an engine option KEY=VALUE (repeatable), e.g. strict=on for tdengine\n"
                     "(default: $WALCRASH_FUZZ_TDENGINE_OPTIONS for tdengine)");
  commands.push_back({replay, [replay_ptr] { return RunReplay(*replay_ptr); }});

  // --- fuzz-to-repro
  auto f2r_ptr = std::make_shared<FuzzToReproCliOptions>();
  CLI::App* f2r = app.add_subcommand(
      "fuzz-to-repro",
      "Turn a fuzz_crash_schedule(_tdengine) input (a crash file, a corpus entry) into a reproducer file\n"
      "(JSON) with its verdict. Exit 0 written, 1 cannot write, 2 usage (IN unreadable, unknown switch)");
  f2r->add_option("IN", f2r_ptr->in, "The fuzz input")->required();
  f2r->add_option("OUT", f2r_ptr->out, "The reproducer file to write")->required();
  f2r->add_option("--bug", f2r_ptr->bugs,
                  "Run the engine with this known-bug switch (repeatable; default: $WALCRASH_FUZZ_BUGS)");
  f2r->add_option("--engine", f2r_ptr->engine,
                  "The engine the input runs on (default: etcd; tdengine for a file under a\n"
                  "fuzz_crash_schedule_tdengine directory)");
  f2r->add_option("--option", f2r_ptr->engine_options,
                  "An engine option KEY=VALUE (repeatable), e.g. strict=on for tdengine\n"
                  "(default: $WALCRASH_FUZZ_TDENGINE_OPTIONS for tdengine)");
  commands.push_back({f2r, [f2r_ptr] { return RunFuzzToRepro(*f2r_ptr); }});

  // --- mutants
  auto mutants_ptr = std::make_shared<MutantsCliOptions>();
  MutantsCliOptions& m = *mutants_ptr;
  CLI::App* mutants = app.add_subcommand(
      "mutants",
      "Check that the harness kills every known-bug switch of the etcd engine (the explorer's default\n"
      "campaign, and the RapidCheck state machine), and finds nothing in the correct engine.\n"
      "Exit 0 when every switch is killed and the correct engine is clean, 1 otherwise");
  mutants->add_option("--budget", m.budget, "Explorer seconds per switch (and for the correct engine)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1e9));
  mutants->add_option("--cases", m.cases, "RapidCheck cases per switch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  mutants->add_option("--json", m.json, "Write the kill table as JSON to this file");
  mutants->add_option("--out", m.out, "Directory for the reproducers")->capture_default_str();
  mutants->add_flag("--quick", m.quick, "Smaller campaigns and at most 60 cases (for sanitizer builds)");
  commands.push_back({mutants, [mutants_ptr] {
                        MutantsCliOptions options = *mutants_ptr;
                        if (options.quick) options.cases = std::min(options.cases, 60);
                        return RunMutants(options);
                      }});
}

}  // namespace walcrash::cli
