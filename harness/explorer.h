// The explorer: runs a workload on SimVfs and, at every crash point, checks
// every crash image it is asked to.
//
// At each crash point (before every crash-relevant VFS call, or only before
// every sync, and at the end of the workload) it enumerates the distinct
// crash images under each persistence model asked for (bounded per point;
// for the subset model, seeded samples are added when the bound was hit),
// optionally adds media faults (a flipped byte in the durable checksummed
// records of the strict image), and checks each image (image_check.h).
//
// Cost control: an image's recovery depends only on the image, so its outcome
// is cached by the image's fingerprint (recovered digest, or an acceptable
// error); the window-dependent oracles are re-evaluated per crash point from
// the digest, and a failing one is re-checked in full for its message.
// `images_checked` counts every image judged; `images_recovered` the
// recoveries actually run.
//
// Determinism: the workload, the seed and the options decide everything
// checked; the wall clock only decides when a budget stops the run (reported
// as such). Sharding (shard i of n) takes the crash points whose number
// modulo n is i, so n machines cover a campaign exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/call_hook_vfs.h"
#include "harness/image_check.h"
#include "harness/reproducer.h"
#include "harness/workload.h"
#include "vfs/crash_image.h"
#include "vfs/fault_plan.h"

namespace walcrash::harness {

enum class CrashPointMode : unsigned char { kEveryCall, kEverySync };

// Narrows the crash points to a window of interest (scenarios): only during
// operation `op` (1-based; 0 = any), only before calls of kind `call`, only
// on paths matching `path_glob` (fnmatch, no FNM_PATHNAME), and whether the
// end of the workload counts.
struct CrashPointFilter {
  size_t op = 0;
  std::optional<vfs::OpKind> call;
  std::string path_glob = "*";
  bool include_end = true;

  bool Matches(const struct PendingCall* call_or_end, size_t current_op) const;
};

struct ExploreOptions {
  CrashPointMode points = CrashPointMode::kEveryCall;
  CrashPointFilter filter;
  std::vector<vfs::PersistenceModel> models = {vfs::PersistenceModel::kStrict, vfs::PersistenceModel::kPrefix,
                                               vfs::PersistenceModel::kSubset};
  size_t max_images_per_point = 64;  // per model
  size_t samples_per_point = 8;      // subset model, when the bound was hit
  bool tear_writes = true;
  std::vector<vfs::TearFill> tear_fills = {vfs::TearFill::kOld, vfs::TearFill::kZeros, vfs::TearFill::kGarbage};
  bool tear_renames = true;
  bool media_faults = false;         // flipped bytes in durable records (strict images)
  uint64_t seed = 1;
  uint32_t sector_size = 512;
  vfs::FaultPlan fault_plan;         // faults on the live run
  ImageCheckOptions check;           // write-after-recovery, crashes during recovery
  uint32_t shard_index = 0;
  uint32_t shard_count = 1;
  bool isolate = false;              // each image's check in a child process
  unsigned isolate_timeout_seconds = 60;
  bool stop_at_first = false;
  std::string only_oracle;           // "": every oracle; else findings of the others are ignored
  size_t max_reproducers_per_oracle = 1;
  double budget_seconds = 0;         // 0: no budget
  std::function<void(const struct ExploreProgress&)> progress;  // after each crash point
};

struct ExploreProgress {
  uint64_t points_done = 0;
  uint64_t points_total = 0;
  uint64_t images_checked = 0;
  uint64_t findings = 0;
  double seconds = 0;
};

struct ExploreReport {
  uint64_t crash_points = 0;
  uint64_t images_checked = 0;
  uint64_t images_recovered = 0;
  uint64_t findings = 0;                      // images (and live runs) that failed an oracle
  std::map<std::string, uint64_t> findings_by_oracle;
  std::vector<Reproducer> reproducers;        // the first per oracle (max_reproducers_per_oracle)
  double seconds = 0;
  double seconds_to_first_finding = -1;
  bool budget_exhausted = false;
  bool stopped_at_first = false;

  void Merge(const ExploreReport& other);
};

Result<ExploreReport> Explore(const Workload& workload, const ExploreOptions& options);

// How Explore enumerates the crash images of `model` at a crash point.
vfs::CrashEnumerationOptions EnumerationOptions(const ExploreOptions& options, vfs::PersistenceModel model);

// The number of crash-relevant calls the workload makes (a dry run).
Result<uint64_t> CountCalls(const Workload& workload, const ExploreOptions& options);

}  // namespace walcrash::harness
