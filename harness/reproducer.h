// Reproducer files: a failing case, self-contained, as JSON.
//
// A reproducer holds everything needed to reach the same crash image again
// and the verdict it gave: the workload (its text form, line by line), the
// sector size and fault plan of the live run, the crash point (after how many
// crash-relevant VFS calls), the persistence model and the image spec
// (which pending operations survived, which were torn and how), the media
// fault and the crash during recovery if any, the seed of the campaign, the
// oracle that failed with its message, and the walcrash version. Replaying it
// (replay.h) gives the same verdict, byte for byte.
//
//   {
//     "walcrash": "0.1.0", "kind": "image",
//     "workload": ["engine etcd", "option segment-size 4096", "create", ...],
//     "sector_size": 512, "fault_plan": "", "seed": 1,
//     "crash_after_calls": 57, "crash_call": "call 58: datasync /wal/...",
//     "model": "prefix", "image": "#51 #53:tear=1/3:zeros",
//     "media_fault": null, "recovery_crash": null, "write_after_recovery": true,
//     "oracle": "durability", "message": "lost acknowledged data: ..."
//   }
// kind "live-run": the finding is in the live run itself (no image).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "harness/image_check.h"
#include "harness/wal_under_test.h"
#include "harness/workload.h"
#include "vfs/crash_image.h"

namespace walcrash::harness {

#ifndef WALCRASH_VERSION
#define WALCRASH_VERSION "0.1.0"
#endif

struct Reproducer {
  enum class Kind : unsigned char { kImage, kLiveRun };
  std::string version = WALCRASH_VERSION;
  Kind kind = Kind::kImage;
  Workload workload;
  uint32_t sector_size = 512;
  std::string fault_plan;  // FaultPlan text, "" for none
  uint64_t seed = 0;
  uint64_t crash_after_calls = 0;
  std::string crash_call;  // for people: the call the crash came before, or "the end of the workload"
  vfs::PersistenceModel model = vfs::PersistenceModel::kStrict;
  vfs::CrashImageSpec image;
  std::optional<MediaFault> media_fault;
  std::optional<RecoveryCrash> recovery_crash;
  bool write_after_recovery = true;
  Violation verdict;

  std::string ToJson() const;  // pretty-printed, ends with a newline
  static Result<Reproducer> FromJson(std::string_view text);
};

// A workload as JSON ({"engine", "options", "policy", "ops"}) and back; the
// reproducer uses the text lines, scenario and CLI users may use either.
std::string WorkloadToJson(const Workload& workload);
Result<Workload> WorkloadFromJson(std::string_view text);
// Text or JSON, by the first non-blank character.
Result<Workload> ParseWorkloadAnyForm(std::string_view text);

}  // namespace walcrash::harness
