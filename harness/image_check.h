// Checking one crash image: recover it with a fresh adapter on its own
// SimVfs and run every oracle (oracles.h).
//
// Steps, each on an image of its own (recovery never runs on the SimVfs that
// crashed, nor twice on the same one):
//   1. Build the image from the crashed SimVfs and the spec; apply the media
//      fault, if any (one flipped byte the WAL's checksum covers, synced).
//   2. Recover (adapter.Recover). An error passes only when the image may
//      hold real corruption (a garbage-filled tear or a media fault);
//      otherwise recovery-outcome (or the oracle the adapter's structure
//      checks point at).
//   3. Structure checks on the recovered directory (crc-chain,
//      cut-atomicity, clean-tail).
//   4. durability / no-phantom against the model's crash window.
//   5. Crash right after recovery (strict image), recover again: the same
//      log (recovery-idempotent). Write three entries and a hard state on
//      that WAL, sync, crash (strict), recover: the log plus what was
//      written (write-after-recovery).
//   6. Optionally, crashes during recovery itself: the recovery of step 2 is
//      repeated on a fresh image under a CallHookVfs, and at every call it
//      makes, its strict and prefix images (bounded) are recovered and held
//      to the same window (durability, no-phantom, recovery-outcome).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "harness/model.h"
#include "harness/oracles.h"
#include "harness/wal_under_test.h"
#include "vfs/crash_image.h"
#include "vfs/sim_vfs.h"

namespace walcrash::harness {

// One flipped byte, applied to an image before recovery.
struct MediaFault {
  std::string path;
  uint64_t offset = 0;
  uint8_t mask = 0x01;

  std::string ToString() const;  // "flip /wal/x.wal@1234^01"
  static Result<MediaFault> Parse(std::string_view text);
  friend bool operator==(const MediaFault&, const MediaFault&) = default;
};

// A crash during recovery: after `calls` crash-relevant calls of the
// recovery, the image `image` of the recovering SimVfs.
struct RecoveryCrash {
  uint64_t calls = 0;
  vfs::CrashImageSpec image;
  friend bool operator==(const RecoveryCrash&, const RecoveryCrash&) = default;
};

struct ImageCheckOptions {
  bool write_after_recovery = true;
  bool recovery_crashes = false;
  size_t max_recovery_images = 8;  // per call of the recovery, per model
  // Replay: check only this crash during recovery (steps 2-5 are skipped).
  std::optional<RecoveryCrash> only_recovery_crash;
};

struct ImageVerdict {
  std::optional<Violation> violation;
  std::optional<RecoveryCrash> recovery_crash;  // where, when step 6 found it
  // What the first recovery gave: its digest and summary, or its error.
  bool recovered = false;
  uint64_t digest = 0;
  std::string summary;
  bool image_only = false;  // the violation does not depend on the window (steps 1-3, 5)
};

// True when the spec lets a write lose sectors to garbage.
bool MayCorrupt(const vfs::CrashImageSpec& spec);

ImageVerdict CheckImage(const vfs::SimVfs& crashed, const vfs::CrashImageSpec& spec,
                        const std::optional<MediaFault>& media, const EngineConfig& engine, const RaftLogModel& model,
                        const CrashWindow& window, const ImageCheckOptions& options);

// Builds the image the spec names, with the media fault applied.
Result<std::unique_ptr<vfs::SimVfs>> BuildImage(const vfs::SimVfs& crashed, const vfs::CrashImageSpec& spec,
                                                const std::optional<MediaFault>& media);

}  // namespace walcrash::harness
