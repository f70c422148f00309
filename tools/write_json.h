// `walcrash write`: a WAL made with the engine from a JSON description in the
// schema `walcrash inspect --json` prints (so inspect's output can be written
// back and reads the same):
//
//   { "metadata_b64": "...",                         required
//     "hardstate_term_vote_commit": [term, vote, commit],   required
//     "entries": [{"index", "term", "type", "data_b64"}, ...],  required
//     "snapshots": [{"index", "term"}, ...] }        optional
//
// Other keys (mode, error, ...) are ignored. When "snapshots" is absent and
// "snapshot_index" is above 0 (inspect's output for a read at a snapshot),
// that snapshot {snapshot_index, snapshot_term} is the one snapshot.
//
// Order of the log. Entries are saved in the order given. Each entry's index
// is the previous one + 1, or a raft overwrite (a new leader truncating the
// suffix): at most the previous index and above the last snapshot saved.
// A snapshot is saved just before the first later entry whose index exceeds
// its own (so {60,2} comes after entry 60); one no entry follows is saved at
// the end. A snapshot ahead of the log (an installed snapshot) moves the log
// to its index: the next entry is snapshot.index + 1. Snapshot indexes must
// not decrease. The hard state is saved with the last batch of entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/etcd/wal.h"
#include "vfs/vfs.h"

namespace walcrash::cli {

struct WalSpec {
  std::string metadata;
  etcd::HardState state;
  std::vector<etcd::Entry> entries;
  std::vector<etcd::SnapshotRecord> snapshots;
};

// Checks and converts a parsed document. InvalidArgument naming the field
// ("entries[3].data_b64: bad base64 at offset 5: ...").
Result<WalSpec> ParseWalSpec(const nlohmann::json& doc);
// Parses JSON text first; `source` names it in errors (a file name).
Result<WalSpec> ParseWalSpecText(std::string_view text, std::string_view source);

// What ReadAll returns for `spec` when opened at {index, term} (applying
// raft's overwrite rule), for tests and `write`'s own check.
std::vector<etcd::Entry> ExpectedEntries(const WalSpec& spec, uint64_t snapshot_index);

struct WriteOptions {
  uint64_t segment_size_bytes = etcd::kDefaultSegmentSizeBytes;
  size_t batch_entries = 8;  // entries per Save
};

struct WriteSummary {
  size_t saves = 0;      // Save calls that wrote something
  size_t snapshots = 0;  // SaveSnapshot calls
  std::vector<std::string> files;  // the directory after Close
};

// Wal::Create(dir, metadata), the entries in batches (with the snapshots in
// place), the hard state, Close. `dir` must not hold a WAL (kExist).
Result<WriteSummary> WriteWal(vfs::Vfs& vfs, const std::string& dir, const WalSpec& spec,
                              const WriteOptions& options);

}  // namespace walcrash::cli
