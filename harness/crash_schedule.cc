#include "harness/crash_schedule.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <map>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "harness/engine_traits.h"
#include "harness/image_check.h"
#include "harness/workload_runner.h"

namespace walcrash::harness {

namespace {

// The starting policies flags bits 4-6 select; a policy op picks among them too.
const std::array<SyncPolicy, 8> kPolicies = {{
    {SyncLevel::kFsync, 0}, {SyncLevel::kFsync, 0}, {SyncLevel::kFsync, 0}, {SyncLevel::kFsync, 0},
    {SyncLevel::kFsync, 0}, {SyncLevel::kWrite, 0}, {SyncLevel::kFsync, 5}, {SyncLevel::kFsync, 50},
}};

uint8_t PolicyCode(const SyncPolicy& policy) {
  for (size_t i = 0; i < kPolicies.size(); ++i) {
    if (kPolicies[i] == policy) return static_cast<uint8_t>(i);
  }
  if (policy.level == SyncLevel::kWrite) return 5;
  if (policy.level == SyncLevel::kFsync && policy.period_ms > 0) return policy.period_ms < 20 ? 6 : 7;
  return 0;  // nolog is not in the format: fsync is the nearest safe policy
}

// The operations and effects a fault rule can name.
constexpr std::array<std::string_view, 8> kFaultOps = {"write", "append", "datasync", "sync",
                                                      "preallocate", "rename", "dirsync", "open"};
constexpr std::array<std::string_view, 3> kFaultEffects = {"fail", "short-write", "after"};
constexpr uint8_t kFaultFirstSelector = 192;

constexpr uint32_t kSizeStep = 8;  // entry payloads are multiples of 8 bytes, up to 2040

// Byte 1: etcd's segment size, 1024 << (byte % 5); tdengine's renew-bytes,
// 512 << (byte % 6), or 0 (never renew on size) for byte % 6 == 5.
constexpr uint8_t kSegmentSizeCodes = 5;
constexpr uint8_t kRenewCodes = 6;
constexpr uint8_t kRenewNever = 5;

bool IsTdengine(std::string_view engine) { return engine == "tdengine"; }

std::string ByteOneOption(std::string_view engine) { return IsTdengine(engine) ? "renew-bytes" : "segment-size"; }

uint64_t DecodeByteOne(std::string_view engine, uint8_t b) {
  if (!IsTdengine(engine)) return uint64_t{1024} << (b % kSegmentSizeCodes);
  const uint8_t code = b % kRenewCodes;
  return code == kRenewNever ? 0 : uint64_t{512} << code;
}

// The nearest byte-1 code for an option value (exact for decoded ones).
uint8_t EncodeByteOne(std::string_view engine, const std::map<std::string, std::string>& options) {
  const auto it = options.find(ByteOneOption(engine));
  if (!IsTdengine(engine)) {
    uint64_t segment = it == options.end() ? 4096 : std::strtoull(it->second.c_str(), nullptr, 10);
    segment = std::clamp<uint64_t>(segment, 1024, 16384);
    return static_cast<uint8_t>(std::bit_width(segment) - 1 - 10);
  }
  uint64_t renew = it == options.end() ? 0 : std::strtoull(it->second.c_str(), nullptr, 10);
  if (renew == 0) return kRenewNever;
  renew = std::clamp<uint64_t>(renew, 512, 8192);
  return static_cast<uint8_t>(std::bit_width(renew) - 1 - 9);
}

uint8_t SizeCode(uint32_t size) { return static_cast<uint8_t>(std::min<uint32_t>((size + kSizeStep / 2) / kSizeStep, 255)); }

// Decodes one [kind a b] operation; kinds the engine cannot take read as
// kind 0 (a save of the same operands).
Op DecodeOp(uint8_t kind, uint8_t a, uint8_t b, const EngineTraits& traits) {
  Op op;
  unsigned k = kind % 16u;
  if (((k == 6 || k == 7) && !traits.overwrite) || (k == 10 && !traits.snapshots)) k = 0;
  switch (k) {
    case 0: case 1: case 2: case 3: case 4:
      op.kind = OpKind::kSave;
      op.entries = 1u + a % 4u;
      op.commit = (a >> 2) % 4u;
      op.size = b * kSizeStep;
      break;
    case 5:  // many small entries
      op.kind = OpKind::kSave;
      op.entries = 1u + a % 16u;
      op.commit = (a >> 4) % 4u;
      op.size = b;
      break;
    case 6: case 7:
      op.kind = OpKind::kOverwrite;
      op.back = 1u + a % 4u;
      op.entries = 1u + (a >> 2) % 4u;
      op.size = b * kSizeStep;
      break;
    case 8: op.kind = OpKind::kCommit; op.commit = 1u + a % 4u; break;
    case 9: op.kind = OpKind::kElect; break;
    case 10: op.kind = OpKind::kSnapshot; break;
    case 11: op.kind = OpKind::kSync; break;
    case 12: op.kind = OpKind::kTick; break;
    case 13: op.kind = OpKind::kRelease; break;
    case 14: op.kind = OpKind::kReopen; break;
    default: op.kind = OpKind::kPolicy; op.policy = kPolicies[a % kPolicies.size()]; break;
  }
  return op;
}

// The nearest [kind a b] for an operation (exact for decoded ones).
std::array<uint8_t, 3> EncodeOp(const Op& op) {
  auto u8 = [](uint32_t v) { return static_cast<uint8_t>(v); };
  switch (op.kind) {
    case OpKind::kSave: {
      uint32_t entries = std::clamp<uint32_t>(op.entries, 1, 16);
      if (entries <= 4 && op.size % kSizeStep == 0 && op.size <= 255 * kSizeStep) {
        return {0, u8((entries - 1) | (std::min<uint32_t>(op.commit, 3) << 2)), SizeCode(op.size)};
      }
      if (op.size <= 255) {
        return {5, u8((entries - 1) | (std::min<uint32_t>(op.commit, 3) << 4)), u8(op.size)};
      }
      return {0, u8((std::min<uint32_t>(entries, 4) - 1) | (std::min<uint32_t>(op.commit, 3) << 2)), SizeCode(op.size)};
    }
    case OpKind::kOverwrite:
      return {6, u8((std::clamp<uint32_t>(op.back, 1, 4) - 1) | ((std::clamp<uint32_t>(op.entries, 1, 4) - 1) << 2)),
              SizeCode(op.size)};
    case OpKind::kCommit: return {8, u8(std::clamp<uint32_t>(op.commit, 1, 4) - 1), 0};
    case OpKind::kElect: return {9, 0, 0};
    case OpKind::kSnapshot: return {10, 0, 0};
    case OpKind::kSync: return {11, 0, 0};
    case OpKind::kTick: return {12, 0, 0};
    case OpKind::kRelease: return {13, 0, 0};
    case OpKind::kReopen: return {14, 0, 0};
    case OpKind::kPolicy: return {15, PolicyCode(op.policy), 0};
    case OpKind::kCreate: break;
  }
  return {11, 0, 0};
}

// A survivor for a pending operation that tears, from one choice byte: the
// kept side and count, and the fill of the lost part. nullopt when the
// operation cannot tear.
std::optional<vfs::Survivor> TornSurvivor(const vfs::PendingOperation& op, uint8_t choice) {
  if (op.file_rename) return vfs::Survivor{op.seq, vfs::Survivor::Mode::kRenameLink, 0, 0, vfs::TearFill::kZeros, 0};
  if (op.pieces < 2) return std::nullopt;
  static constexpr std::array<vfs::TearFill, 3> kFills = {vfs::TearFill::kOld, vfs::TearFill::kZeros,
                                                          vfs::TearFill::kGarbage};
  const int32_t kept = static_cast<int32_t>(1 + (choice >> 3) % (op.pieces - 1));
  return vfs::Survivor{op.seq, vfs::Survivor::Mode::kTornWrite, (choice & 4) != 0 ? -kept : kept, op.pieces,
                       kFills[(choice & 3) % kFills.size()], choice};
}

}  // namespace

Result<std::map<std::string, std::string>> ParseEngineOptions(std::string_view text) {
  std::map<std::string, std::string> out;
  if (text == "none") return out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find_first_of(", \t", start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status(Code::kInvalidArgument, "", fmt::format("engine option '{}': expected KEY=VALUE", pair));
    }
    const std::string_view key = pair.substr(0, eq);
    if (key == "segment-size" || key == "renew-bytes" || key == "bugs") {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("engine option '{}': set by the input's bytes (segment-size, renew-bytes) or by the "
                                "known-bug switches (bugs), not here",
                                key));
    }
    if (!out.emplace(std::string(key), std::string(pair.substr(eq + 1))).second) {
      return Status(Code::kInvalidArgument, "",
                    fmt::format("engine option '{}' is given twice", pair.substr(0, eq)));
    }
  }
  return out;
}

std::string CrashSchedule::FaultPlanText() const {
  if (fault_selector < kFaultFirstSelector) return "";
  const unsigned v = fault_selector - kFaultFirstSelector;  // 0..63
  const std::string_view op = kFaultOps[v % kFaultOps.size()];
  const std::string_view effect = kFaultEffects[(v / kFaultOps.size()) % kFaultEffects.size()];
  const std::string_view error = v / 32 == 0 ? "EIO" : "ENOSPC";
  return fmt::format("{} * nth={} effect={} errno={}", op, 1 + fault_nth % 32, effect, error);
}

CrashSchedule DecodeCrashSchedule(std::span<const uint8_t> bytes, const CrashScheduleOptions& options) {
  ByteReader in(bytes);
  CrashSchedule s;
  const uint8_t flags = in.Byte();
  static constexpr std::array<vfs::PersistenceModel, 4> kModels = {
      vfs::PersistenceModel::kStrict, vfs::PersistenceModel::kPrefix, vfs::PersistenceModel::kSubset,
      vfs::PersistenceModel::kPrefix};
  s.model = kModels[flags & 3];
  s.sector_size = (flags & 4) != 0 ? 4096 : 512;
  s.media_fault = (flags & 8) != 0;
  s.workload.engine = options.engine;
  s.workload.policy = kPolicies[(flags >> 4) & 7];
  s.workload.options = options.engine_options;
  s.workload.options[ByteOneOption(options.engine)] = std::to_string(DecodeByteOne(options.engine, in.Byte()));
  if (!options.bugs.empty()) {
    s.workload.options["bugs"] = options.bugs;
  } else {
    s.workload.options.erase("bugs");
  }
  s.crash_point = in.U16();
  s.fault_selector = in.Byte();
  s.fault_nth = in.Byte();
  const size_t choice_count = in.Byte();
  std::span<const uint8_t> choices = in.BackBytes(choice_count);
  s.choices.assign(choices.begin(), choices.end());
  Op create;
  create.kind = OpKind::kCreate;
  create.metadata = "fuzz";
  s.workload.ops.push_back(create);
  const EngineTraits traits = TraitsOf(options.engine);
  while (in.remaining() >= 3 && s.workload.ops.size() <= kMaxScheduleOps) {
    const uint8_t kind = in.Byte(), a = in.Byte(), b = in.Byte();
    s.workload.ops.push_back(DecodeOp(kind, a, b, traits));
  }
  return s;
}

std::string EncodeCrashSchedule(const CrashSchedule& s) {
  std::string out;
  auto put = [&](unsigned v) { out.push_back(static_cast<char>(static_cast<uint8_t>(v))); };
  unsigned model_bits = s.model == vfs::PersistenceModel::kStrict ? 0 : s.model == vfs::PersistenceModel::kPrefix ? 1 : 2;
  put(model_bits | (s.sector_size >= 4096 ? 4u : 0u) | (s.media_fault ? 8u : 0u) |
      (unsigned{PolicyCode(s.workload.policy)} << 4));
  put(EncodeByteOne(s.workload.engine, s.workload.options));
  put(s.crash_point & 0xffu);
  put(s.crash_point >> 8);
  put(s.fault_selector);
  put(s.fault_nth);
  const size_t choices = std::min<size_t>(s.choices.size(), 255);
  put(static_cast<unsigned>(choices));
  size_t ops = 0;
  for (const Op& op : s.workload.ops) {
    if (op.kind == OpKind::kCreate) continue;
    if (++ops > kMaxScheduleOps) break;
    for (uint8_t b : EncodeOp(op)) put(b);
  }
  out.append(s.choices.begin(), s.choices.begin() + static_cast<std::ptrdiff_t>(choices));
  return out;
}

vfs::CrashImageSpec ChooseCrashImage(vfs::PersistenceModel model, const std::vector<vfs::PendingOperation>& pending,
                                     ByteReader& choices) {
  vfs::CrashImageSpec spec;
  switch (model) {
    case vfs::PersistenceModel::kStrict:
      break;
    case vfs::PersistenceModel::kPrefix: {
      // How many survive whole, then whether the next one tears (bit 0), then how.
      const size_t whole = choices.U16() % (pending.size() + 1);
      for (size_t i = 0; i < whole; ++i) spec.survivors.push_back({pending[i].seq});
      if (whole < pending.size() && (choices.Byte() & 1) != 0) {
        if (auto torn = TornSurvivor(pending[whole], choices.Byte())) spec.survivors.push_back(*torn);
      }
      break;
    }
    case vfs::PersistenceModel::kSubset:
      // One byte per operation: bit 0 survives; bit 1 tears (then the next byte says how).
      for (const vfs::PendingOperation& op : pending) {
        const uint8_t c = choices.Byte();
        if ((c & 1) == 0) continue;
        std::optional<vfs::Survivor> torn;
        if ((c & 2) != 0) torn = TornSurvivor(op, choices.Byte());
        spec.survivors.push_back(torn ? *torn : vfs::Survivor{op.seq});
      }
      break;
  }
  return spec;
}

Result<Reproducer> ResolveCrashSchedule(const CrashSchedule& s) {
  Reproducer r;
  r.workload = s.workload;
  r.sector_size = s.sector_size;
  r.fault_plan = s.FaultPlanText();
  r.model = s.model;
  WALCRASH_RETURN_IF_ERROR(r.workload.Validate());
  WALCRASH_RETURN_IF_ERROR(ValidateEngineConfig(EngineConfigOf(r.workload)));
  RunOptions run;
  run.sector_size = s.sector_size;
  WALCRASH_ASSIGN_OR_RETURN(run.fault_plan, vfs::FaultPlan::Parse(r.fault_plan));

  uint64_t total = 0;
  {
    WorkloadRunner dry(r.workload, run);
    WALCRASH_RETURN_IF_ERROR(dry.Run());
    total = dry.calls_done();
  }
  r.crash_after_calls = s.crash_point % (total + 1);

  bool reached = false;
  WorkloadRunner* runner_ptr = nullptr;
  auto at_crash = [&](const PendingCall* call) {
    reached = true;
    WorkloadRunner& runner = *runner_ptr;
    r.crash_call = call ? "before " + call->ToString() : "at the end of the workload";
    ByteReader choices(s.choices);
    r.image = ChooseCrashImage(s.model, runner.sim().PendingOperations(), choices);
    if (s.media_fault && s.model == vfs::PersistenceModel::kStrict) {
      // A flipped byte in a durable record the WAL's checksums cover.
      auto image = runner.sim().CrashImage(r.image);
      if (image.ok()) {
        auto wal = MakeWalUnderTest(**image, runner.engine_config());
        if (wal.ok()) {
          std::vector<ChecksummedRange> ranges = (*wal)->ChecksummedRanges(**image);
          if (!ranges.empty()) {
            const ChecksummedRange& range = ranges[choices.Byte() % ranges.size()];
            const uint8_t where = choices.Byte();
            r.media_fault = MediaFault{range.path, range.offset + where % std::max<uint64_t>(range.length, 1),
                                       static_cast<uint8_t>(1u << (where >> 5))};
          }
        }
      }
    }
    const ImageCheckOptions check;
    ImageVerdict v = CheckImage(runner.sim(), r.image, r.media_fault, runner.engine_config(), runner.model(),
                                runner.Window(), check);
    if (v.violation) r.verdict = *v.violation;
  };
  WorkloadRunner runner(r.workload, run, [&](const PendingCall& call) {
    if (!reached && call.calls_done == r.crash_after_calls) at_crash(&call);
  });
  runner_ptr = &runner;
  WALCRASH_RETURN_IF_ERROR(runner.Run());
  if (!reached && runner.calls_done() == r.crash_after_calls) at_crash(nullptr);
  if (!reached) {
    return Status(Code::kInvalidArgument, "",
                  fmt::format("crash schedule: the run made {} calls, not the {} of its dry run (nondeterminism)",
                              runner.calls_done(), total));
  }
  if (r.verdict.oracle.empty() && runner.live_violation()) {
    r.kind = Reproducer::Kind::kLiveRun;
    r.crash_after_calls = runner.calls_done();
    r.crash_call = "at the end of the workload";
    r.image = {};
    r.media_fault.reset();
    r.verdict = *runner.live_violation();
  }
  return r;
}

}  // namespace walcrash::harness
