// Crash images: which pending operations a crash lets survive, and how.
//
// A SimVfs keeps a durable state plus the pending operations issued since the
// last barrier that covers them (sim_vfs.h). A crash image is that durable
// state with some pending operations applied on top, in issue order, some of
// them only in part. A CrashImageSpec names exactly which: it is what gets
// printed, stored in a reproducer, parsed back and applied again to get the
// very same image.
//
// Text form (CrashImageSpec::ToString / Parse), a space-separated list of
// survivors by their trace sequence number, "none" when nothing survives:
//   #12                     op 12 survives whole
//   #15:tear=2/3:zeros      write 15 keeps its first 2 of 3 sector pieces;
//                           the lost one reads as zeros
//   #15:tear=-1/3:old       keeps only its last piece; the lost ones keep
//                           their old contents (a hole past the old end)
//   #15:tear=1/3:garbage=7  lost pieces read as garbage drawn from seed 7
//   #17:link                rename 17 left both names (ALICE's link step)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace walcrash::vfs {

enum class PersistenceModel : unsigned char {
  kStrict,  // only what was synced survives
  kPrefix,  // pending operations survive in issue order up to a point
  kSubset,  // any subset survives (what cannot apply without a missing
            // predecessor has no effect: a write to a file whose creation was
            // lost is lost, a rename needs its source)
};
std::string_view PersistenceModelName(PersistenceModel model);
Result<PersistenceModel> ParsePersistenceModel(std::string_view name);

// What the lost sectors of a torn write read as.
enum class TearFill : unsigned char {
  kOld,      // their previous contents; past the old end of file, a hole
  kZeros,    // zeros
  kGarbage,  // bytes drawn from the tear's seed
};
std::string_view TearFillName(TearFill fill);

struct Survivor {
  enum class Mode : unsigned char {
    kWhole,      // the operation took full effect
    kTornWrite,  // a write kept only some of its sector pieces
    kRenameLink, // a rename left both the old and the new name (files only)
  };
  uint64_t seq = 0;
  Mode mode = Mode::kWhole;
  // kTornWrite: `kept_pieces` of `pieces` survive, the first ones when
  // kept_pieces > 0, the last ones when < 0 (0 < |kept_pieces| < pieces).
  int32_t kept_pieces = 0;
  uint32_t pieces = 0;
  TearFill fill = TearFill::kZeros;
  uint64_t garbage_seed = 0;

  friend bool operator==(const Survivor&, const Survivor&) = default;
};

struct CrashImageSpec {
  std::vector<Survivor> survivors;  // ascending seq

  std::string ToString() const;
  static Result<CrashImageSpec> Parse(std::string_view text);
  friend bool operator==(const CrashImageSpec&, const CrashImageSpec&) = default;
};

// Bounds for enumerating the crash images of one instant.
struct CrashEnumerationOptions {
  PersistenceModel model = PersistenceModel::kPrefix;
  size_t max_images = 1000;  // distinct images visited at most
  bool tear_writes = true;   // add images where one write is torn
  std::vector<TearFill> tear_fills = {TearFill::kOld, TearFill::kZeros, TearFill::kGarbage};
  // Split points tried per torn write, spread evenly over its pieces, each
  // both ways (first k kept, last k kept).
  uint32_t max_tear_points_per_write = 3;
  bool tear_renames = true;  // add images where one rename left both names
  uint64_t garbage_seed = 0x9a5b;
};

}  // namespace walcrash::vfs
