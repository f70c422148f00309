// Oracles: the named checks a crash image must pass.
//
// Each oracle is a named check with a message that says what it saw; a
// finding names the first oracle that failed, in this order:
//   engine-crash         the WAL under test died (signal) while recovering
//                        (only seen with isolation: otherwise it takes the
//                        harness with it)
//   live-run             an operation failed although no fault was injected,
//                        or a clean reopen read back something else than
//                        what was acknowledged
//   recovery-outcome     recovery failed although the crash could not have
//                        corrupted anything (no garbage-filled tear, no
//                        media fault): under crash-only faults a WAL must
//                        recover, directly or after its own repair
//   crc-chain            the segments do not form an unbroken CRC chain
//   cut-atomicity        a half-made segment passes for a real one
//   clean-tail           stale bytes remain past the recovered tail
//   durability           something the WAL claimed durable before the crash
//                        is not recovered
//   no-phantom           what is recovered is no state the model could have
//                        been in between the durable point and the crash: an
//                        invented, reordered or mixed record
//   recovery-idempotent  recovering the recovered directory again reads
//                        something else
//   write-after-recovery entries written and synced after recovery are not
//                        all recovered after the next crash
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "harness/model.h"
#include "harness/wal_under_test.h"

namespace walcrash::harness {

inline constexpr std::string_view kOracleEngineCrash = "engine-crash";
inline constexpr std::string_view kOracleLiveRun = "live-run";
inline constexpr std::string_view kOracleRecoveryOutcome = "recovery-outcome";
inline constexpr std::string_view kOracleCrcChain = "crc-chain";
inline constexpr std::string_view kOracleCutAtomicity = "cut-atomicity";
inline constexpr std::string_view kOracleCleanTail = "clean-tail";
inline constexpr std::string_view kOracleDurability = "durability";
inline constexpr std::string_view kOracleNoPhantom = "no-phantom";
inline constexpr std::string_view kOracleIdempotent = "recovery-idempotent";
inline constexpr std::string_view kOracleWriteAfterRecovery = "write-after-recovery";

std::vector<std::string_view> OracleNames();

// Where the crash fell, in model terms.
struct CrashWindow {
  size_t current_op = 0;       // the operation running (or the last one, at the end)
  DurabilityClaim claim;       // what the WAL claimed at the crash
  std::optional<size_t> durable_length;  // the stream prefix the claim promises (nullopt: claims the impossible)
  size_t issued = 0;           // records issued so far

  std::string ToString(const RaftLogModel& model) const;
};

CrashWindow WindowAt(const RaftLogModel& model, size_t current_op, const DurabilityClaim& claim);

// durability and no-phantom: is `recovered` a state the model could be in
// within the window? The message names the operations concerned.
std::optional<Violation> CheckAgainstModel(const RaftLogModel& model, const CrashWindow& window,
                                           const RecoveredLog& recovered);
// The same for a caller that has recovered.Digest() already (payloads are
// hashed once per recovery, not once per oracle).
std::optional<Violation> CheckAgainstModel(const RaftLogModel& model, const CrashWindow& window,
                                           const RecoveredLog& recovered, uint64_t digest);
// The same by digest only (no message): true when it passes.
bool PassesByDigest(const RaftLogModel& model, const CrashWindow& window, uint64_t digest);

}  // namespace walcrash::harness
