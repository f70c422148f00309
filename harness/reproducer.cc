#include "harness/reproducer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/text.h"

namespace walcrash::harness {

namespace {

using nlohmann::json;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::string_view line : SplitLines(text)) {
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}

Status BadJson(std::string_view what) { return Status(Code::kInvalidArgument, "", fmt::format("reproducer: {}", what)); }

}  // namespace

std::string Reproducer::ToJson() const {
  json j;
  j["walcrash"] = version;
  j["kind"] = kind == Kind::kImage ? "image" : "live-run";
  j["workload"] = Lines(workload.ToText());
  j["sector_size"] = sector_size;
  j["fault_plan"] = fault_plan;
  j["seed"] = seed;
  j["crash_after_calls"] = crash_after_calls;
  j["crash_call"] = crash_call;
  j["model"] = std::string(vfs::PersistenceModelName(model));
  j["image"] = image.ToString();
  j["media_fault"] = media_fault ? json(media_fault->ToString()) : json(nullptr);
  if (recovery_crash) {
    j["recovery_crash"] = json{{"after_calls", recovery_crash->calls}, {"image", recovery_crash->image.ToString()}};
  } else {
    j["recovery_crash"] = nullptr;
  }
  j["write_after_recovery"] = write_after_recovery;
  j["oracle"] = verdict.oracle;
  j["message"] = verdict.message;
  return j.dump(2) + "\n";
}

Result<Reproducer> Reproducer::FromJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return BadJson("not a JSON object");
  Reproducer r;
  try {
    r.version = j.value("walcrash", std::string());
    std::string kind = j.value("kind", std::string("image"));
    if (kind == "image") {
      r.kind = Kind::kImage;
    } else if (kind == "live-run") {
      r.kind = Kind::kLiveRun;
    } else {
      return BadJson(fmt::format("kind '{}' is not image or live-run", kind));
    }
    if (!j.contains("workload") || !j["workload"].is_array()) return BadJson("'workload' must be an array of lines");
    std::string workload_text;
    for (const json& line : j["workload"]) workload_text += line.get<std::string>() + "\n";
    auto workload = Workload::Parse(workload_text);
    if (!workload.ok()) return workload.status().Annotate("reproducer workload");
    r.workload = *workload;
    r.sector_size = j.value("sector_size", 512u);
    if (r.sector_size == 0 || r.sector_size > (1u << 20)) return BadJson("sector_size out of range");
    r.fault_plan = j.value("fault_plan", std::string());
    r.seed = j.value("seed", uint64_t{0});
    r.crash_after_calls = j.at("crash_after_calls").get<uint64_t>();
    r.crash_call = j.value("crash_call", std::string());
    auto model = vfs::ParsePersistenceModel(j.value("model", std::string("strict")));
    if (!model.ok()) return model.status().Annotate("reproducer model");
    r.model = *model;
    auto image = vfs::CrashImageSpec::Parse(j.value("image", std::string("none")));
    if (!image.ok()) return image.status().Annotate("reproducer image");
    r.image = *image;
    if (j.contains("media_fault") && !j["media_fault"].is_null()) {
      auto media = MediaFault::Parse(j["media_fault"].get<std::string>());
      if (!media.ok()) return media.status();
      r.media_fault = *media;
    }
    if (j.contains("recovery_crash") && !j["recovery_crash"].is_null()) {
      const json& rc = j["recovery_crash"];
      auto spec = vfs::CrashImageSpec::Parse(rc.at("image").get<std::string>());
      if (!spec.ok()) return spec.status().Annotate("reproducer recovery_crash");
      r.recovery_crash = RecoveryCrash{rc.at("after_calls").get<uint64_t>(), *spec};
    }
    r.write_after_recovery = j.value("write_after_recovery", true);
    r.verdict.oracle = j.value("oracle", std::string());
    r.verdict.message = j.value("message", std::string());
  } catch (const json::exception& e) {
    return BadJson(e.what());
  }
  return r;
}

std::string WorkloadToJson(const Workload& workload) {
  json j;
  j["engine"] = workload.engine;
  j["options"] = workload.options;
  j["policy"] = fmt::format("level={} period={}", SyncLevelName(workload.policy.level), workload.policy.period_ms);
  std::vector<std::string> ops;
  for (const Op& op : workload.ops) ops.push_back(op.ToText());
  j["ops"] = ops;
  return j.dump(2) + "\n";
}

Result<Workload> WorkloadFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status(Code::kInvalidArgument, "", "workload JSON: not a JSON object");
  std::string as_text;
  try {
    as_text += "engine " + j.value("engine", std::string("etcd")) + "\n";
    if (j.contains("options")) {
      for (const auto& [key, value] : j["options"].items()) {
        as_text += "option " + key + " " + (value.is_string() ? value.get<std::string>() : value.dump()) + "\n";
      }
    }
    if (j.contains("policy")) as_text += "policy " + j["policy"].get<std::string>() + "\n";
    for (const json& op : j.at("ops")) as_text += op.get<std::string>() + "\n";
  } catch (const json::exception& e) {
    return Status(Code::kInvalidArgument, "", fmt::format("workload JSON: {}", e.what()));
  }
  return Workload::Parse(as_text);
}

Result<Workload> ParseWorkloadAnyForm(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return WorkloadFromJson(text);
  return Workload::Parse(text);
}

}  // namespace walcrash::harness
