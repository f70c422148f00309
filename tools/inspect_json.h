// What etcd's ReadAll returns for a WAL directory, as the object
// `walcrash inspect --json` prints and the interop tests compare: exactly the
// schema of an element of shared/interop/etcd-3.4/*/expected.json "reads":
//
//   { "mode": "read"|"write", "snapshot_index": I, "snapshot_term": T,
//     "metadata_b64": "...", "hardstate_term_vote_commit": [term, vote, commit],
//     "entries": [{"index": i, "term": t, "type": k, "data_b64": "..."}, ...],
//     "error": "etcd's error text, empty when none" }
//
// Like etcd, a failed open or ReadAll leaves metadata, hard state and entries
// empty (etcd's state.Reset()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/etcd/wal.h"
#include "vfs/vfs.h"

namespace walcrash::cli {

enum class ReadMode : unsigned char {
  kRead,   // etcd's wal.OpenForRead, then ReadAll
  kWrite,  // etcd's wal.Open, then ReadAll (on a copy; a restarting server's read)
};
std::string_view ReadModeName(ReadMode mode);  // "read", "write"
Result<ReadMode> ParseReadMode(std::string_view name);

struct ReadRequest {
  ReadMode mode = ReadMode::kRead;
  uint64_t snapshot_index = 0;
  uint64_t snapshot_term = 0;
};

struct ReadReport {
  ReadRequest request;
  std::string metadata;
  etcd::HardState state;
  std::vector<etcd::Entry> entries;
  Status error;  // what the open or ReadAll returned; OK when nothing
};

// etcd's text for an error of the engine: WalErrorText of its WalError
// subcode when it has one, else its message; "" for OK.
std::string EtcdErrorText(const Status& status);

// Opens `dir` as etcd would for `request` and runs ReadAll. Write mode works
// on a copy in a fresh scratch directory (ScratchDir: the real filesystem, so
// `vfs` must be a PosixVfs for it) and removes the copy after, so `dir` never
// changes (errors name `dir`, not the copy). The outer error is only for what
// kept the read from happening at all (the copy could not be made); the
// open's and ReadAll's errors are the report's.
Result<ReadReport> InspectWal(vfs::Vfs& vfs, const std::string& dir, const ReadRequest& request);

// The report as an expected.json "reads" element (keys in that file's order).
nlohmann::ordered_json ReadReportToJson(const ReadReport& report);

// The object as printed: two-space indent, invalid UTF-8 replaced (only an
// error text can hold any).
std::string DumpJson(const nlohmann::ordered_json& j);

}  // namespace walcrash::cli
