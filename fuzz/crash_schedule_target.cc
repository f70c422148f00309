#include "fuzz/crash_schedule_target.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "fuzz/finding.h"

namespace walcrash::fuzz {

namespace {

[[noreturn]] void UsageError(const CrashScheduleTarget& target, const std::string& what) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(target.name.size()), target.name.data(), what.c_str());
  std::exit(2);
}

std::string OptionsText(const std::map<std::string, std::string>& options) {
  std::string out;
  for (const auto& [key, value] : options) out += fmt::format("{}{}={}", out.empty() ? "" : ",", key, value);
  return out;
}

}  // namespace

harness::CrashScheduleOptions InitCrashScheduleTarget(const CrashScheduleTarget& target) {
  harness::CrashScheduleOptions options;
  options.engine = std::string(target.engine);
  std::string described;
  if (*target.bugs_variable != '\0') {
    options.bugs = EnvOr(target.bugs_variable);
    if (options.bugs == "none") options.bugs.clear();
    described = options.bugs.empty() ? "known-bug switches: none (the correct engine)"
                                     : "known-bug switches: " + options.bugs;
  }
  if (*target.options_variable != '\0') {
    const std::string text = EnvOr(target.options_variable, target.options_default);
    auto parsed = harness::ParseEngineOptions(text);
    if (!parsed.ok()) UsageError(target, fmt::format("{}={}: {}", target.options_variable, text, parsed.status().message()));
    options.engine_options = std::move(*parsed);
    described = options.engine_options.empty()
                    ? fmt::format("engine {} with no option (the faithful engine)", options.engine)
                    : fmt::format("engine {} with {}", options.engine, OptionsText(options.engine_options));
  }
  // A wrong switch or option is a usage error: say so once, before any input.
  auto checked = harness::ResolveCrashSchedule(harness::DecodeCrashSchedule({}, options));
  if (!checked.ok()) {
    std::string setting;
    for (const char* variable : {target.bugs_variable, target.options_variable}) {
      if (*variable == '\0') continue;
      setting += fmt::format("{}{}={}", setting.empty() ? "" : " ", variable,
                             EnvOr(variable, variable == target.options_variable ? target.options_default : ""));
    }
    UsageError(target, fmt::format("{}: {}", setting, checked.status().ToString()));
  }
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(target.name.size()), target.name.data(), described.c_str());
  return options;
}

void RunCrashScheduleInput(std::span<const uint8_t> bytes, const harness::CrashScheduleOptions& options) {
  const harness::CrashSchedule schedule = harness::DecodeCrashSchedule(bytes, options);
  auto resolved = harness::ResolveCrashSchedule(schedule);
  // Every input decodes to a valid case: an error here is the harness's own bug.
  WALCRASH_FUZZ_CHECK(resolved.ok(), "harness: the schedule does not run: {}", resolved.status().ToString());
  const harness::Violation& verdict = resolved->verdict;
  WALCRASH_FUZZ_CHECK(verdict.oracle.empty(), "{}: {} (crash {}, image {})", verdict.oracle, verdict.message,
                      resolved->crash_call, resolved->image.ToString());
}

}  // namespace walcrash::fuzz
