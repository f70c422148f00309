#include "scenarios/scenario.h"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "common/text.h"
#include "harness/call_hook_vfs.h"
#include "harness/oracles.h"
#include "harness/wal_under_test.h"
#include "harness/workload_runner.h"
#include "vfs/crash_image.h"
#include "vfs/fault_plan.h"
#include "vfs/posix_vfs.h"
#include "vfs/vfs.h"

namespace walcrash::scenarios {

namespace {

// Scenarios are small and hand-picked, so every image of a chosen crash point
// is checked: this bound is only a guard against a runaway enumeration.
constexpr size_t kScenarioImagesPerPoint = 100000;
constexpr size_t kScenarioSamplesPerPoint = 16;

constexpr std::string_view kCorrect = "correct";
constexpr std::string_view kPass = "pass";
constexpr std::string_view kOption = "option";
// A scenario file may come with CRLF line ends.
constexpr std::string_view kBlanks = " \t\r";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> ParseCount(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// A filter on a kind the explorer never crashes before (call_hook_vfs.h)
// would silently match nothing.
std::string CrashPointKinds() {
  std::vector<std::string_view> names;
  for (size_t i = 0; i < vfs::kOpKindNames.size(); ++i) {
    if (harness::IsCrashPointKind(static_cast<vfs::OpKind>(i))) names.push_back(vfs::kOpKindNames[i]);
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

// The workload one expectation runs: its switch or its options set.
harness::Workload WithOptions(harness::Workload workload, const Expectation& e) {
  if (!e.bug.empty()) workload.options["bugs"] = e.bug;
  for (const auto& [key, value] : e.options) workload.options[key] = value;
  return workload;
}

// The directives are parsed one line at a time; what needs the whole file
// (the engine, for the bug names and the expectations' options; the
// operation count, for crash op=N) is checked once the workload is known.
class ScenarioParser {
 public:
  explicit ScenarioParser(std::string name) { scenario_.name = std::move(name); }

  Result<Scenario> Parse(std::string_view text) {
    scenario_.explore.max_images_per_point = kScenarioImagesPerPoint;
    scenario_.explore.samples_per_point = kScenarioSamplesPerPoint;
    // Directive lines become blank lines of the workload text, so the line
    // numbers Workload::Parse reports are the file's.
    std::string workload_text;
    const std::vector<std::string_view> lines = SplitLines(text);
    for (size_t i = 0; i < lines.size(); ++i) {
      const size_t line_no = i + 1;
      std::string_view raw = lines[i];
      auto directive = Directive(raw, line_no);
      if (!directive.ok()) return directive.status();
      if (!*directive) workload_text.append(raw);
      workload_text.push_back('\n');
    }
    auto workload = harness::Workload::Parse(workload_text);
    // Its messages already say "line N: workload: ..." (or "workload: ...").
    if (!workload.ok()) return Error(std::string(workload.status().message()));
    scenario_.workload = std::move(workload).value();
    WALCRASH_RETURN_IF_ERROR(CheckWhole());
    return std::move(scenario_);
  }

 private:
  Status Error(std::string message) const {
    return Status(Code::kInvalidArgument, scenario_.name, std::move(message));
  }
  Status ErrorAt(size_t line_no, std::string_view message) const {
    return Error(fmt::format("line {}: {}", line_no, message));
  }

  // True when the line was a directive (or a comment), false when it belongs
  // to the workload.
  Result<bool> Directive(std::string_view raw, size_t line_no) {
    std::vector<std::string_view> head = SplitWords(raw, kBlanks);
    if (head.empty() || head.front().starts_with('#')) return true;
    const std::string_view keyword = head.front();
    // A title or a note is prose: '#' there is an issue number, not a comment.
    if (keyword == "scenario" || keyword == "note") {
      std::string_view rest = Trim(Trim(raw).substr(keyword.size()));
      if (rest.empty()) return ErrorAt(line_no, fmt::format("'{}' needs text", keyword));
      if (keyword == "note") {
        scenario_.notes.emplace_back(rest);
        return true;
      }
      if (!scenario_.title.empty()) return ErrorAt(line_no, "a second 'scenario' title (one per file)");
      scenario_.title = std::string(rest);
      return true;
    }
    std::string_view line = raw.substr(0, raw.find('#'));
    std::vector<std::string_view> words = SplitWords(line, kBlanks);
    std::vector<std::string_view> args(words.begin() + 1, words.end());
    Status s;
    if (keyword == "expect") {
      s = Expect(args, line_no);
    } else if (keyword == "crash") {
      s = Crash(args, line_no);
    } else if (keyword == "models") {
      s = Models(args, line_no);
    } else if (keyword == "fault") {
      s = Fault(Trim(line).substr(keyword.size()), line_no);
    } else if (keyword == "check") {
      s = Check(args, line_no);
    } else if (keyword == "limit") {
      s = Number(args, line_no, "limit", 1, [&](uint64_t n) { scenario_.explore.max_images_per_point = n; });
    } else if (keyword == "seed") {
      s = Number(args, line_no, "seed", 0, [&](uint64_t n) { scenario_.explore.seed = n; });
    } else {
      return false;
    }
    if (!s.ok()) return s;
    return true;
  }

  Status Expect(const std::vector<std::string_view>& args, size_t line_no) {
    Expectation e;
    std::string_view verdict;
    if (!args.empty() && args[0] == kOption) {
      if (args.size() != 3) {
        return ErrorAt(line_no, "'expect option' takes KEY=VALUE[,KEY=VALUE] (no blanks), then 'pass' or an oracle");
      }
      WALCRASH_RETURN_IF_ERROR(OptionList(args[1], line_no, e.options));
      verdict = args[2];
    } else {
      if (args.size() != 2) {
        return ErrorAt(line_no,
                       "'expect' takes two words: 'correct' or a known-bug switch, then 'pass' or an oracle "
                       "(or 'option KEY=VALUE[,KEY=VALUE]' before the verdict)");
      }
      if (args[0] != kCorrect) e.bug = std::string(args[0]);
      verdict = args[1];
    }
    if (verdict != kPass) {
      std::vector<std::string_view> oracles = harness::OracleNames();
      if (std::find(oracles.begin(), oracles.end(), verdict) == oracles.end()) {
        return ErrorAt(line_no, fmt::format("unknown oracle '{}' (pass, {})", verdict, fmt::join(oracles, ", ")));
      }
      e.oracle = std::string(verdict);
    }
    for (const Expectation& other : scenario_.expectations) {
      if (other.bug == e.bug && other.options == e.options) {
        return ErrorAt(line_no, fmt::format("a second expectation for '{}'", e.RunName()));
      }
    }
    scenario_.expectations.push_back(std::move(e));
    expectation_lines_.push_back(line_no);
    return {};
  }

  // "strict=on,keep=on": each KEY=VALUE once; not "bugs" (a switch is
  // expected with 'expect BUG', one per run). Whether the engine takes them
  // is checked once the workload is known.
  Status OptionList(std::string_view list, size_t line_no, std::map<std::string, std::string>& out) {
    for (std::string_view item : SplitWords(list, ",")) {
      size_t eq = item.find('=');
      std::string_view key = item.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
      if (eq == std::string_view::npos || key.empty() || value.empty()) {
        return ErrorAt(line_no, fmt::format("expect option: '{}' is not KEY=VALUE", item));
      }
      if (key == "bugs") {
        return ErrorAt(line_no,
                       "expect option: 'bugs' is not an option here: expect a known-bug switch with 'expect BUG'");
      }
      if (!out.emplace(std::string(key), std::string(value)).second) {
        return ErrorAt(line_no, fmt::format("expect option: '{}' twice", key));
      }
    }
    if (out.empty()) return ErrorAt(line_no, "expect option: no KEY=VALUE");
    return {};
  }

  Status Crash(const std::vector<std::string_view>& args, size_t line_no) {
    if (crash_line_ != 0) return ErrorAt(line_no, fmt::format("a second 'crash' line (the first is line {})", crash_line_));
    crash_line_ = line_no;
    harness::CrashPointFilter& filter = scenario_.explore.filter;
    if (args.size() == 1 && args[0] == "end") {
      // The filter has no "calls: none" switch; a glob no path matches
      // (paths are never empty) leaves only the end of the workload.
      filter.path_glob = "";
      filter.include_end = true;
      return {};
    }
    if (args.empty()) return ErrorAt(line_no, "'crash' takes 'end', or one or more of op=N call=KIND path=GLOB");
    bool narrows_calls = false;
    for (std::string_view arg : args) {
      size_t eq = arg.find('=');
      std::string_view key = arg.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view() : arg.substr(eq + 1);
      if (eq == std::string_view::npos || value.empty()) {
        return ErrorAt(line_no, fmt::format("crash: '{}' is not key=value (op=N, call=KIND, path=GLOB, or 'end' alone)", arg));
      }
      if (key == "op") {
        std::optional<uint64_t> op = ParseCount(value);
        if (!op || *op == 0) return ErrorAt(line_no, fmt::format("crash: op={} is not an operation number (1 is create)", value));
        filter.op = *op;
      } else if (key == "call") {
        std::optional<vfs::OpKind> kind = vfs::ParseOpKind(value);
        if (!kind || !harness::IsCrashPointKind(*kind)) {
          return ErrorAt(line_no, fmt::format("crash: call={} is not a kind of call the explorer crashes before ({})",
                                              value, CrashPointKinds()));
        }
        filter.call = *kind;
        narrows_calls = true;
      } else if (key == "path") {
        filter.path_glob = std::string(value);
        narrows_calls = true;
      } else {
        return ErrorAt(line_no, fmt::format("crash: unknown option '{}' (op, call, path, or 'end' alone)", key));
      }
    }
    // The end of the workload is no call: a filter on the call's kind or path
    // means the calls only.
    filter.include_end = !narrows_calls;
    return {};
  }

  Status Models(const std::vector<std::string_view>& args, size_t line_no) {
    if (models_line_ != 0) return ErrorAt(line_no, fmt::format("a second 'models' line (the first is line {})", models_line_));
    models_line_ = line_no;
    if (args.empty()) return ErrorAt(line_no, "'models' takes one or more of strict, prefix, subset");
    std::vector<vfs::PersistenceModel> models;
    for (std::string_view arg : args) {
      auto model = vfs::ParsePersistenceModel(arg);
      if (!model.ok()) return ErrorAt(line_no, fmt::format("models: '{}' is not strict, prefix or subset", arg));
      if (std::find(models.begin(), models.end(), *model) != models.end()) {
        return ErrorAt(line_no, fmt::format("models: '{}' twice", arg));
      }
      models.push_back(*model);
    }
    scenario_.explore.models = std::move(models);
    return {};
  }

  Status Fault(std::string_view rule_text, size_t line_no) {
    rule_text = Trim(rule_text);
    if (rule_text.empty()) return ErrorAt(line_no, "'fault' takes a fault rule: OP GLOB [nth=N] [errno=E] ...");
    auto rule = vfs::FaultRule::Parse(rule_text);
    if (!rule.ok()) return ErrorAt(line_no, fmt::format("fault: {}", rule.status().message()));
    scenario_.explore.fault_plan.Add(*rule);
    return {};
  }

  Status Check(const std::vector<std::string_view>& args, size_t line_no) {
    if (args.empty()) {
      return ErrorAt(line_no, "'check' takes one or more of recovery-crashes, media-faults, no-write-after-recovery, every-sync");
    }
    for (std::string_view arg : args) {
      if (arg == "recovery-crashes") {
        scenario_.explore.check.recovery_crashes = true;
      } else if (arg == "media-faults") {
        scenario_.explore.media_faults = true;
      } else if (arg == "no-write-after-recovery") {
        scenario_.explore.check.write_after_recovery = false;
      } else if (arg == "every-sync") {
        scenario_.explore.points = harness::CrashPointMode::kEverySync;
      } else {
        return ErrorAt(line_no, fmt::format("check: unknown flag '{}' (recovery-crashes, media-faults, "
                                            "no-write-after-recovery, every-sync)",
                                            arg));
      }
    }
    return {};
  }

  template <typename Set>
  Status Number(const std::vector<std::string_view>& args, size_t line_no, std::string_view what, uint64_t min, Set set) {
    std::optional<uint64_t> n = args.size() == 1 ? ParseCount(args[0]) : std::nullopt;
    if (!n || *n < min) return ErrorAt(line_no, fmt::format("'{}' takes one number, at least {}", what, min));
    set(*n);
    return {};
  }

  Status CheckWhole() {
    if (scenario_.title.empty()) return Error("no 'scenario TITLE' line");
    if (scenario_.expectations.empty()) {
      return Error(
          "no expectation: add 'expect correct pass' and 'expect BUG ORACLE' or 'expect option KEY=VALUE ORACLE' lines");
    }
    const harness::Workload& w = scenario_.workload;
    if (w.options.contains("bugs")) {
      return Error("the workload sets 'option bugs': the expectations choose the known-bug switch, one per run");
    }
    const std::vector<std::string> bugs = harness::KnownBugNames(w.engine);
    for (size_t i = 0; i < scenario_.expectations.size(); ++i) {
      const Expectation& e = scenario_.expectations[i];
      if (!e.bug.empty() && std::find(bugs.begin(), bugs.end(), e.bug) == bugs.end()) {
        std::vector<std::string> choices{std::string(kCorrect)};
        choices.insert(choices.end(), bugs.begin(), bugs.end());
        choices.push_back(fmt::format("{} KEY=VALUE", kOption));
        return ErrorAt(expectation_lines_[i], fmt::format("'{}' is no known-bug switch of engine {} ({})", e.bug,
                                                          w.engine, fmt::join(choices, ", ")));
      }
      if (e.options.empty()) continue;
      for (const auto& option : e.options) {
        auto set = w.options.find(option.first);
        if (set != w.options.end()) {
          return ErrorAt(expectation_lines_[i],
                         fmt::format("expect option: the workload sets option '{}' already (to '{}'); "
                                     "set it in one place",
                                     set->first, set->second));
        }
      }
      if (Status s = harness::ValidateEngineConfig(harness::EngineConfigOf(WithOptions(w, e))); !s.ok()) {
        return ErrorAt(expectation_lines_[i], fmt::format("expect option: {}", s.message()));
      }
    }
    if (Status s = harness::ValidateEngineConfig(harness::EngineConfigOf(w)); !s.ok()) {
      return Error(fmt::format("workload: {}", s.message()));
    }
    if (scenario_.explore.filter.op > w.ops.size()) {
      return ErrorAt(crash_line_, fmt::format("crash: op={} but the workload has {} operations",
                                              scenario_.explore.filter.op, w.ops.size()));
    }
    return {};
  }

  Scenario scenario_;
  std::vector<size_t> expectation_lines_;  // parallel to scenario_.expectations
  size_t crash_line_ = 0;
  size_t models_line_ = 0;
};

std::string StemOf(std::string_view path) {
  std::string_view base = vfs::BaseName(path);
  size_t dot = base.rfind('.');
  return std::string(dot == std::string_view::npos || dot == 0 ? base : base.substr(0, dot));
}

std::string Counts(const harness::ExploreReport& report) {
  return fmt::format("{} crash points, {} images checked, {} recovered, {:.2f} s", report.crash_points,
                     report.images_checked, report.images_recovered, report.seconds);
}

}  // namespace

std::string Expectation::RunName() const {
  std::vector<std::string> parts;
  if (!bug.empty()) parts.push_back(bug);
  if (!options.empty()) {
    std::vector<std::string> kvs;
    for (const auto& [key, value] : options) kvs.push_back(fmt::format("{}={}", key, value));
    parts.push_back(fmt::format("{} {}", kOption, fmt::join(kvs, ",")));
  }
  if (parts.empty()) return std::string(kCorrect);
  return fmt::format("{}", fmt::join(parts, " "));
}

std::string Expectation::ToString() const {
  return fmt::format("{}: {}", RunName(), oracle.empty() ? kPass : std::string_view(oracle));
}

Result<Scenario> Scenario::Parse(std::string_view text, std::string name) {
  ScenarioParser parser(std::move(name));
  return parser.Parse(text);
}

Result<std::vector<ScenarioOutcome>> RunScenario(const Scenario& scenario) {
  std::vector<ScenarioOutcome> outcomes;
  for (const Expectation& expected : scenario.expectations) {
    const harness::Workload workload = WithOptions(scenario.workload, expected);
    harness::ExploreOptions options = scenario.explore;
    // Any finding settles an expected oracle; an expected pass needs them all
    // counted, so a failure is reported with everything it hit.
    options.stop_at_first = !expected.oracle.empty();
    auto explored = harness::Explore(workload, options);
    if (!explored.ok()) return explored.status().Annotate(fmt::format("{} ({})", scenario.name, expected.ToString()));
    const harness::ExploreReport& report = *explored;

    ScenarioOutcome outcome;
    outcome.expected = expected;
    if (!report.reproducers.empty()) outcome.reproducer = report.reproducers.front();
    if (report.crash_points == 0) {
      // A window that never opens would pass vacuously.
      outcome.detail = "the crash filter matched no crash point: nothing was checked";
    } else if (report.findings == 0) {
      outcome.met = expected.oracle.empty();
      outcome.detail = fmt::format("no finding ({})", Counts(report));
    } else {
      std::string found = outcome.reproducer ? outcome.reproducer->verdict.oracle : std::string("?");
      outcome.met = !expected.oracle.empty() && found == expected.oracle;
      std::vector<std::string> by_oracle;
      for (const auto& [oracle, n] : report.findings_by_oracle) by_oracle.push_back(fmt::format("{} {}", oracle, n));
      outcome.detail = fmt::format("{}: {} [{} finding(s): {}; {}]", found,
                                   outcome.reproducer ? outcome.reproducer->verdict.message : std::string("(no reproducer)"),
                                   report.findings, fmt::join(by_oracle, ", "), Counts(report));
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

Result<Scenario> LoadScenario(const std::string& path) {
  vfs::PosixVfs host;
  auto text = vfs::ReadWholeFile(host, path);
  if (!text.ok()) return text.status();
  auto scenario = Scenario::Parse(*text, StemOf(path));
  if (!scenario.ok()) return Status(scenario.error().code(), path, std::string(scenario.error().message()));
  return scenario;
}

}  // namespace walcrash::scenarios
