// CrashSchedule — any byte string read as one crash case: the input format
// of fuzz_crash_schedule, shared with the CLI so that a fuzz input replays
// (`walcrash replay`) and becomes a reproducer file (`walcrash fuzz-to-repro`).
//
// Every byte string decodes (ByteReader reads zeros past the end), so
// libFuzzer's mutations always yield a valid case, and small changes to the
// bytes make small changes to the case. Format, version 1:
//
//   byte 0     flags: bits 0-1 persistence model (0 strict, 1 prefix,
//              2 subset, 3 prefix); bit 2 sector size 4096 (else 512);
//              bit 3 a media fault (strict images only); bits 4-6 the
//              starting sync policy (see kPolicies in the .cc: fsync, write,
//              fsync with a period); bit 7 reserved
//   byte 1     etcd: segment size: 1024 << (byte % 5), 1 KiB to 16 KiB;
//              tdengine: the adapter's renew-bytes: 512 << (byte % 6), 512 B
//              to 8 KiB, or 0 (never renew on size) when byte % 6 is 5
//   bytes 2-3  the crash point, little-endian, taken modulo (the number of
//              crash-relevant calls the workload makes + 1): the last value
//              is the end of the workload
//   bytes 4-5  the fault plan of the live run: none when byte 4 < 192, else
//              one rule whose operation, effect and errno come from byte 4
//              and whose nth matching call from byte 5
//   byte 6     C, the number of choice bytes at the end of the input
//   then       operations, 3 bytes each ([kind a b], kind % 16 picks save,
//              overwrite, commit, elect, snapshot, sync, tick, release,
//              reopen or a policy change), at most kMaxScheduleOps, up to the
//              choice bytes; a create comes first, implicitly. For an engine
//              that cannot take an overwrite or a snapshot (engine_traits.h:
//              tdengine), those kinds decode as saves of the same operands
//              (kind 0's reading of [a b]), so every input is a valid case
//   last C     choice bytes, read at the crash: which pending operations
//              survive (prefix: a 16-bit count modulo the pending ones +
//              1, then a byte whose bit 0 tears the next one; subset: one
//              byte per operation, bit 0 survives, bit 1 tears), how a
//              write or rename tears (one byte: kept side and count, fill),
//              then the media fault (which checksummed range, where, which
//              bit)
//
// The engine, its known-bug switches and its other options are not in the
// bytes (a fuzzer must not turn a bug on, nor switch engines): they come from
// CrashScheduleOptions. fuzz_crash_schedule runs etcd with the switches in
// WALCRASH_FUZZ_BUGS; fuzz_crash_schedule_tdengine runs tdengine with the
// options in WALCRASH_FUZZ_TDENGINE_OPTIONS ("strict=on", "keep=on,strict=on";
// none: the faithful engine). The CLI has --engine, --bug and --option.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_reader.h"
#include "common/status.h"
#include "harness/reproducer.h"
#include "harness/workload.h"
#include "vfs/crash_image.h"
#include "vfs/sim_vfs.h"

namespace walcrash::harness {

inline constexpr size_t kMaxScheduleOps = 64;

struct CrashScheduleOptions {
  std::string engine = "etcd";  // "etcd" or "tdengine"
  std::string bugs;             // comma-separated known-bug switches, "" for none
  // More engine options, as workload options (tdengine: "strict", "keep").
  // Byte 1's option (segment-size, renew-bytes) and "bugs" come from the
  // bytes and `bugs`: set here, they are overridden.
  std::map<std::string, std::string> engine_options;
};

// "strict=on,keep=on" (',' or ' ' between pairs; "" or "none": no option) as
// a map for CrashScheduleOptions::engine_options; InvalidArgument names a
// pair without '=', a key given twice, or a key the bytes or `bugs` set
// (segment-size, renew-bytes, bugs).
Result<std::map<std::string, std::string>> ParseEngineOptions(std::string_view text);

struct CrashSchedule {
  Workload workload;  // create first; options: segment-size or renew-bytes (bugs, engine options)
  uint32_t sector_size = 512;
  uint8_t fault_selector = 0;  // byte 4
  uint8_t fault_nth = 0;       // byte 5
  uint16_t crash_point = 0;
  vfs::PersistenceModel model = vfs::PersistenceModel::kStrict;
  bool media_fault = false;
  std::vector<uint8_t> choices;

  // The fault plan bytes 4-5 stand for, as FaultPlan text ("" for none).
  std::string FaultPlanText() const;
  friend bool operator==(const CrashSchedule&, const CrashSchedule&) = default;
};

CrashSchedule DecodeCrashSchedule(std::span<const uint8_t> bytes, const CrashScheduleOptions& options = {});

// Bytes that decode to the schedule nearest `schedule` the format can hold:
// Decode(Encode(s)) == s for every decoded s. Other schedules (a generated
// workload, say) lose what the format cannot express: sizes are rounded,
// operations past kMaxScheduleOps and options other than segment-size
// (etcd) or renew-bytes (tdengine) are dropped, the segment size becomes the
// nearest power of two in range, renew-bytes the nearest value of the format.
// The engine is not in the bytes: decode with the schedule's own.
std::string EncodeCrashSchedule(const CrashSchedule& schedule);

// The crash image the choice bytes pick among `pending` under `model`.
vfs::CrashImageSpec ChooseCrashImage(vfs::PersistenceModel model, const std::vector<vfs::PendingOperation>& pending,
                                     ByteReader& choices);

// Runs the schedule to its crash point, builds the image its choices pick,
// and checks it with every oracle: the result is a complete reproducer, with
// the verdict (oracle "" when every oracle holds). Errors are usage errors
// only (an unknown bug switch, say); a finding is not an error.
Result<Reproducer> ResolveCrashSchedule(const CrashSchedule& schedule);

}  // namespace walcrash::harness
