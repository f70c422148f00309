#include "harness/raft_log.h"

#include <fmt/format.h>

#include "common/splitmix.h"

namespace walcrash::harness {

namespace {

struct Digester {
  uint64_t h = 0x6a09e667f3bcc908ull;
  void Add(uint64_t v) { h = Mix64(h ^ v); }
  void Add(std::string_view s) {
    Add(s.size());
    uint64_t word = 0;
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      __builtin_memcpy(&word, s.data() + i, 8);
      Add(word);
    }
    word = 0;
    for (size_t k = 0; i < s.size(); ++i, ++k) word |= static_cast<uint64_t>(static_cast<unsigned char>(s[i])) << (8 * k);
    Add(word);
  }
};

}  // namespace

std::string HardState::ToString() const { return fmt::format("{{term {} vote {} commit {}}}", term, vote, commit); }

std::string DurabilityClaim::ToString() const {
  if (!created) return "nothing (the WAL is not created yet)";
  return fmt::format("the WAL, entries through {}, hard state {}, snapshot {}", last_index, state.ToString(),
                     snapshot_index);
}

std::string_view SyncLevelName(SyncLevel level) {
  switch (level) {
    case SyncLevel::kNoLog: return "nolog";
    case SyncLevel::kWrite: return "write";
    case SyncLevel::kFsync: return "fsync";
  }
  return "?";
}

uint64_t EntryDigest(const LogEntry& entry) {
  Digester d;
  d.Add(entry.index);
  d.Add(entry.term);
  d.Add(entry.data);
  return d.h;
}

uint64_t LogDigest(bool exists, std::string_view metadata, const SnapshotRef& snapshot, const HardState& state,
                   const std::vector<uint64_t>& entry_digests) {
  Digester d;
  d.Add(exists ? 1 : 0);
  if (!exists) return d.h;
  d.Add(metadata);
  d.Add(snapshot.index);
  d.Add(snapshot.term);
  d.Add(state.term);
  d.Add(state.vote);
  d.Add(state.commit);
  d.Add(entry_digests.size());
  for (uint64_t e : entry_digests) d.Add(e);
  return d.h;
}

std::vector<uint64_t> RecoveredLog::EntryDigests() const {
  std::vector<uint64_t> digests;
  digests.reserve(entries.size());
  for (const LogEntry& e : entries) digests.push_back(EntryDigest(e));
  return digests;
}

uint64_t RecoveredLog::Digest(const std::vector<uint64_t>& entry_digests) const {
  return LogDigest(exists, metadata, snapshot, state, entry_digests);
}

uint64_t RecoveredLog::Digest() const { return Digest(EntryDigests()); }

std::string RecoveredLog::Summary() const {
  if (!exists) return "no WAL";
  std::string range = entries.empty()
                          ? "no entries"
                          : fmt::format("entries {}..{} ({})", entries.front().index, entries.back().index, entries.size());
  return fmt::format("metadata '{}', snapshot {}/{}, state {}, {}", metadata, snapshot.index, snapshot.term,
                     state.ToString(), range);
}

std::string RecoveredLog::DiffFrom(const RecoveredLog& expected) const {
  if (exists != expected.exists) return exists ? "a WAL exists, expected none" : "no WAL, expected one";
  if (!exists) return "same";
  if (metadata != expected.metadata) return fmt::format("metadata '{}', expected '{}'", metadata, expected.metadata);
  if (snapshot != expected.snapshot) {
    return fmt::format("snapshot {}/{}, expected {}/{}", snapshot.index, snapshot.term, expected.snapshot.index,
                       expected.snapshot.term);
  }
  for (size_t i = 0; i < std::min(entries.size(), expected.entries.size()); ++i) {
    const LogEntry& a = entries[i];
    const LogEntry& b = expected.entries[i];
    if (a.index != b.index) return fmt::format("entry #{} has index {}, expected {}", i, a.index, b.index);
    if (a.term != b.term) return fmt::format("entry {} has term {}, expected {}", a.index, a.term, b.term);
    if (a.data != b.data) {
      return fmt::format("entry {} (term {}) holds other data ({} bytes, expected {})", a.index, a.term, a.data.size(),
                         b.data.size());
    }
  }
  if (entries.size() < expected.entries.size()) {
    return fmt::format("entries end at {}, expected through {}", entries.empty() ? snapshot.index : entries.back().index,
                       expected.entries.back().index);
  }
  if (entries.size() > expected.entries.size()) {
    return fmt::format("entries go on to {}, expected to end at {}", entries.back().index,
                       expected.entries.empty() ? expected.snapshot.index : expected.entries.back().index);
  }
  if (state != expected.state) return fmt::format("hard state {}, expected {}", state.ToString(), expected.state.ToString());
  return "same";
}

std::string EntryPayload(uint64_t index, uint64_t term, uint32_t size) {
  std::string out(size, '\0');
  uint64_t x = Mix64(index * 0x100000001b3ull ^ Mix64(term));
  for (uint32_t i = 0; i < size; ++i) {
    if (i % 8 == 0) x = Mix64(x);
    // Never 0: no sector of a payload reads as a hole.
    out[i] = static_cast<char>(static_cast<unsigned char>((x >> (8 * (i % 8))) | 1u));
  }
  return out;
}

}  // namespace walcrash::harness
