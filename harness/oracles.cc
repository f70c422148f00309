#include "harness/oracles.h"

#include <fmt/format.h>

namespace walcrash::harness {

std::vector<std::string_view> OracleNames() {
  return {kOracleEngineCrash, kOracleLiveRun,    kOracleRecoveryOutcome, kOracleCrcChain,   kOracleCutAtomicity,
          kOracleCleanTail,   kOracleDurability, kOracleNoPhantom,       kOracleIdempotent, kOracleWriteAfterRecovery};
}

CrashWindow WindowAt(const RaftLogModel& model, size_t current_op, const DurabilityClaim& claim) {
  return CrashWindow{current_op, claim, model.DurableLength(claim, current_op), model.issued()};
}

std::string CrashWindow::ToString(const RaftLogModel& model) const {
  std::string durable = durable_length ? fmt::format("{} records (through operation {})", *durable_length,
                                                     *durable_length == 0 ? 0 : model.OpAt(*durable_length) + 1)
                                       : std::string("nothing the model reached");
  return fmt::format("crash in operation {}; claimed durable: {}; durable prefix {}; issued {} records",
                     current_op + 1, claim.ToString(), durable, issued);
}

bool PassesByDigest(const RaftLogModel& model, const CrashWindow& window, uint64_t digest) {
  if (!window.durable_length) return false;
  for (size_t length : model.PrefixesWithDigest(digest)) {
    if (length >= *window.durable_length && length <= window.issued) return true;
  }
  return false;
}

std::optional<Violation> CheckAgainstModel(const RaftLogModel& model, const CrashWindow& window,
                                           const RecoveredLog& recovered) {
  return CheckAgainstModel(model, window, recovered, recovered.Digest());
}

std::optional<Violation> CheckAgainstModel(const RaftLogModel& model, const CrashWindow& window,
                                           const RecoveredLog& recovered, uint64_t digest) {
  if (!window.durable_length) {
    return Violation{std::string(kOracleDurability),
                     fmt::format("the WAL claimed {} durable, a state no acknowledged operation up to operation {} "
                                 "reached",
                                 window.claim.ToString(), window.current_op + 1)};
  }
  if (PassesByDigest(model, window, digest)) return std::nullopt;
  // Which prefix, if any, it is.
  std::optional<size_t> match;
  for (size_t length : model.PrefixesWithDigest(digest)) {
    if (length <= window.issued) match = length;
  }
  if (match) {
    const size_t durable = *window.durable_length;
    const RecoveredLog expected = model.Read(durable);
    return Violation{
        std::string(kOracleDurability),
        fmt::format("lost acknowledged data: recovered the log as of operation {} ({}), but the WAL had claimed "
                    "operation {} durable ({}); {}",
                    *match == 0 ? 0 : model.OpAt(*match) + 1, recovered.Summary(),
                    durable == 0 ? 0 : model.OpAt(durable) + 1, window.claim.ToString(), recovered.DiffFrom(expected))};
  }
  // Nothing the model could have been in: compare with the nearest bound.
  const RecoveredLog latest = model.Read(window.issued);
  return Violation{std::string(kOracleNoPhantom),
                   fmt::format("recovered a log no prefix of the issued records gives: {}; against everything "
                               "issued: {}",
                               recovered.Summary(), recovered.DiffFrom(latest))};
}

}  // namespace walcrash::harness
