#include "harness/image_check.h"

#include "harness/engine_traits.h"

#include <charconv>

#include <fmt/format.h>

#include "harness/call_hook_vfs.h"

namespace walcrash::harness {

namespace {

const vfs::CrashImageSpec kStrict{};

Violation Make(std::string_view oracle, std::string message) { return Violation{std::string(oracle), std::move(message)}; }

// What recovery may do with this image: with possible corruption a clean
// error is acceptable.
std::optional<Violation> CheckOutcome(const Result<RecoveredLog>& recovered, bool may_corrupt, std::string_view what) {
  if (recovered.ok() || may_corrupt) return std::nullopt;
  return Make(kOracleRecoveryOutcome,
              fmt::format("{} failed although the crash could not corrupt anything (crash-only faults): {}", what,
                          recovered.status().ToString()));
}

// A recovery that failed on a broken CRC chain or a half-made segment is
// named by that structure check (not by junk past the tail: that is what
// recovery failed on, whatever the cause).
std::optional<Violation> NamedByStructure(const WalUnderTest& wal, vfs::Vfs& image, const std::string& failure) {
  std::vector<Violation> structure = wal.CheckStructure(image);
  if (structure.empty() || structure.front().oracle == kOracleCleanTail) return std::nullopt;
  return Make(structure.front().oracle, structure.front().message + "; " + failure);
}

}  // namespace

std::string MediaFault::ToString() const { return fmt::format("flip {}@{}^{:02x}", path, offset, mask); }

Result<MediaFault> MediaFault::Parse(std::string_view text) {
  auto bad = [&] {
    return Status(Code::kInvalidArgument, "", fmt::format("media fault '{}': expected 'flip PATH@OFFSET^HEXMASK'", text));
  };
  if (!text.starts_with("flip ")) return bad();
  std::string_view rest = text.substr(5);
  size_t at = rest.rfind('@');
  size_t caret = rest.rfind('^');
  if (at == std::string_view::npos || caret == std::string_view::npos || caret < at || at == 0) return bad();
  MediaFault m;
  m.path = std::string(rest.substr(0, at));
  std::string_view off = rest.substr(at + 1, caret - at - 1), mask = rest.substr(caret + 1);
  unsigned mask_value = 0;
  if (std::from_chars(off.data(), off.data() + off.size(), m.offset).ptr != off.data() + off.size() || off.empty()) return bad();
  if (std::from_chars(mask.data(), mask.data() + mask.size(), mask_value, 16).ptr != mask.data() + mask.size() ||
      mask.empty() || mask_value == 0 || mask_value > 0xff) {
    return bad();
  }
  m.mask = static_cast<uint8_t>(mask_value);
  return m;
}

bool MayCorrupt(const vfs::CrashImageSpec& spec) {
  for (const vfs::Survivor& s : spec.survivors) {
    if (s.mode == vfs::Survivor::Mode::kTornWrite && s.fill == vfs::TearFill::kGarbage) return true;
  }
  return false;
}

Result<std::unique_ptr<vfs::SimVfs>> BuildImage(const vfs::SimVfs& crashed, const vfs::CrashImageSpec& spec,
                                                const std::optional<MediaFault>& media) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::SimVfs> image, crashed.CrashImage(spec));
  if (media) {
    WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file, image->Open(media->path, vfs::kRead | vfs::kWrite));
    std::byte b{};
    WALCRASH_ASSIGN_OR_RETURN(size_t got, file->ReadAt(media->offset, {&b, 1}));
    if (got != 1) {
      return Status(Code::kInvalidArgument, media->path, fmt::format("media fault: offset {} is past the end", media->offset));
    }
    b ^= static_cast<std::byte>(media->mask);
    WALCRASH_RETURN_IF_ERROR(file->WriteAt(media->offset, {&b, 1}));
    WALCRASH_RETURN_IF_ERROR(file->Sync());
    WALCRASH_RETURN_IF_ERROR(file->Close());
  }
  return image;
}

namespace {

// Step 5: crash right after recovery, recover again, write, crash, recover.
// `first_entries` are first.EntryDigests(), which the caller computed already.
std::optional<Violation> CheckAfterRecovery(vfs::SimVfs& recovered_image, const RecoveredLog& first,
                                            const std::vector<uint64_t>& first_entries, const EngineConfig& engine) {
  auto again_image = recovered_image.CrashImage(kStrict);
  if (!again_image.ok()) return Make(kOracleIdempotent, "cannot build the image: " + again_image.status().ToString());
  auto again = MakeWalUnderTest(**again_image, engine);
  if (!again.ok()) return Make(kOracleIdempotent, again.status().ToString());
  auto second = (*again)->Recover();
  if (!second.ok()) {
    return Make(kOracleIdempotent, fmt::format("recovering the recovered directory failed: {} (the first recovery "
                                               "read {})",
                                               second.status().ToString(), first.Summary()));
  }
  if (second->Digest() != first.Digest(first_entries)) {
    return Make(kOracleIdempotent, fmt::format("the second recovery read {}; the first read {}; {}", second->Summary(),
                                               first.Summary(), second->DiffFrom(first)));
  }
  // Write after recovery: three entries of sizes that land frames at
  // different offsets, and a hard state; then sync.
  WalUnderTest& wal = **again;
  RecoveredLog created;  // when recovery found no WAL: the one made here
  if (!first.exists) {
    created.exists = true;
    created.metadata = "walcrash-after-recovery";
    if (Status s = wal.Create(created.metadata); !s.ok()) {
      return Make(kOracleWriteAfterRecovery, "creating a WAL where recovery found none failed: " + s.ToString());
    }
  }
  const RecoveredLog& before = first.exists ? first : created;
  uint64_t last = before.entries.empty() ? before.snapshot.index : before.entries.back().index;
  uint64_t term = std::max<uint64_t>({before.state.term, before.entries.empty() ? 0 : before.entries.back().term,
                                      before.snapshot.term, 1});
  std::vector<LogEntry> entries;
  const uint32_t sizes[] = {700, 1, 1300};
  for (uint32_t i = 0; i < 3; ++i) entries.push_back(LogEntry{last + 1 + i, term, EntryPayload(last + 1 + i, term, sizes[i])});
  HardState state{term, before.state.vote, before.state.commit};
  Status s = wal.SetSyncPolicy(SyncPolicy{});
  s.Update(wal.Save(state, entries));
  s.Update(wal.Sync());
  if (!s.ok()) return Make(kOracleWriteAfterRecovery, "the recovered WAL refused a write: " + s.ToString());
  // The expected log is `before` plus the entries and the state: compared by
  // digest, so the (possibly large) log is neither copied nor rehashed.
  std::vector<uint64_t> expected_entries = first.exists ? first_entries : std::vector<uint64_t>{};
  for (const LogEntry& e : entries) expected_entries.push_back(EntryDigest(e));
  // A WAL without hard-state records reads back none.
  const HardState expected_state = TraitsOf(engine.engine).hard_state ? state : HardState{};
  const uint64_t expected_digest =
      LogDigest(true, before.metadata, before.snapshot, expected_state, expected_entries);
  auto third_image = (*again_image)->CrashImage(kStrict);
  if (!third_image.ok()) return Make(kOracleWriteAfterRecovery, third_image.status().ToString());
  auto third = MakeWalUnderTest(**third_image, engine);
  if (!third.ok()) return Make(kOracleWriteAfterRecovery, third.status().ToString());
  auto read = (*third)->Recover();
  if (!read.ok()) {
    std::string what = fmt::format("after writing {} entries on the recovered WAL and a crash, recovery failed: {}",
                                   entries.size(), read.status().ToString());
    if (auto named = NamedByStructure(**third, **third_image, what)) return named;
    return Make(kOracleWriteAfterRecovery, what);
  }
  if (read->Digest() != expected_digest) {
    RecoveredLog expected = before;  // only now, to say what differs
    for (LogEntry& e : entries) expected.entries.push_back(std::move(e));
    expected.state = expected_state;
    return Make(kOracleWriteAfterRecovery,
                fmt::format("after writing 3 entries on the recovered WAL, syncing and crashing, recovery read {}; "
                            "expected {}; {}",
                            read->Summary(), expected.Summary(), read->DiffFrom(expected)));
  }
  return std::nullopt;
}

// Step 6 for one image of the recovering SimVfs.
std::optional<Violation> CheckRecoveryCrashImage(const vfs::SimVfs& recovering, const vfs::CrashImageSpec& spec,
                                                 bool may_corrupt, const EngineConfig& engine,
                                                 const RaftLogModel& model, const CrashWindow& window) {
  auto image = recovering.CrashImage(spec);
  if (!image.ok()) return Make(kOracleRecoveryOutcome, "cannot build the image: " + image.status().ToString());
  auto wal = MakeWalUnderTest(**image, engine);
  if (!wal.ok()) return Make(kOracleRecoveryOutcome, wal.status().ToString());
  auto read = (*wal)->Recover();
  if (auto v = CheckOutcome(read, may_corrupt, "recovery after a crash during recovery")) return v;
  if (!read.ok()) return std::nullopt;
  if (auto v = CheckAgainstModel(model, window, *read)) {
    v->message = "after a crash during recovery: " + v->message;
    return v;
  }
  return std::nullopt;
}

}  // namespace

ImageVerdict CheckImage(const vfs::SimVfs& crashed, const vfs::CrashImageSpec& spec,
                        const std::optional<MediaFault>& media, const EngineConfig& engine, const RaftLogModel& model,
                        const CrashWindow& window, const ImageCheckOptions& options) {
  ImageVerdict verdict;
  const bool may_corrupt = MayCorrupt(spec) || media.has_value();
  auto fail = [&](std::optional<Violation> v, bool image_only) {
    verdict.violation = std::move(v);
    verdict.image_only = image_only;
    return verdict;
  };

  if (!options.only_recovery_crash) {
    auto image = BuildImage(crashed, spec, media);
    if (!image.ok()) return fail(Make(kOracleRecoveryOutcome, "cannot build the image: " + image.status().ToString()), true);
    auto wal = MakeWalUnderTest(**image, engine);
    if (!wal.ok()) return fail(Make(kOracleRecoveryOutcome, wal.status().ToString()), true);
    auto read = (*wal)->Recover();
    if (auto v = CheckOutcome(read, may_corrupt, "recovery")) {
      if (auto named = NamedByStructure(**wal, **image, "recovery: " + read.status().ToString())) v = named;
      return fail(v, true);
    }
    if (!read.ok()) {
      verdict.summary = "error (corruption possible): " + read.status().ToString();
    } else {
      verdict.recovered = true;
      const std::vector<uint64_t> entry_digests = read->EntryDigests();
      verdict.digest = read->Digest(entry_digests);
      verdict.summary = read->Summary();
      if (read->exists) {
        auto structure = (*wal)->CheckStructure(**image);
        if (!structure.empty()) return fail(structure.front(), true);
      }
      if (auto v = CheckAgainstModel(model, window, *read, verdict.digest)) return fail(v, false);
      if (options.write_after_recovery) {
        if (auto v = CheckAfterRecovery(**image, *read, entry_digests, engine)) return fail(v, true);
      }
    }
  }

  if (options.recovery_crashes || options.only_recovery_crash) {
    auto image = BuildImage(crashed, spec, media);
    if (!image.ok()) return verdict;
    std::optional<Violation> found;
    std::optional<RecoveryCrash> where;
    CallHookVfs hooked(**image, [&](const PendingCall& call) {
      if (found) return;
      if (options.only_recovery_crash) {
        if (call.calls_done != options.only_recovery_crash->calls) return;
        found = CheckRecoveryCrashImage(**image, options.only_recovery_crash->image, may_corrupt, engine, model, window);
        if (found) where = options.only_recovery_crash;
        return;
      }
      for (vfs::PersistenceModel m : {vfs::PersistenceModel::kStrict, vfs::PersistenceModel::kPrefix}) {
        vfs::CrashEnumerationOptions eo;
        eo.model = m;
        eo.max_images = options.max_recovery_images;
        (*image)->ForEachCrashImage(eo, [&](const vfs::CrashImageSpec& s) {
          found = CheckRecoveryCrashImage(**image, s, may_corrupt, engine, model, window);
          if (found) where = RecoveryCrash{call.calls_done, s};
          return !found;
        });
        if (found) return;
      }
    });
    auto wal = MakeWalUnderTest(hooked, engine);
    if (wal.ok()) {
      auto ignored = (*wal)->Recover();  // its result was checked above; only its calls matter here
      (void)ignored;
      wal->reset();
    }
    if (found) {
      verdict.recovery_crash = where;
      return fail(found, false);
    }
  }
  return verdict;
}

}  // namespace walcrash::harness
