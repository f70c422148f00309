// `walcrash inspect --engine tdengine DIR [--strict] [--json] [--entries]`:
// what TDengine 2.6's walRestore (engine/tdengine/wal.h) replays from a WAL
// directory of wal<id> files, without ever changing it.
//
// walRestore truncates files (a short head, a damaged tail), so it never runs
// on DIR: every regular file of DIR is copied into an in-memory SimVfs under
// the same path and names, and tdengine::Wal::Open + Restore run on the copy
// (a manual FsyncService: no thread; --strict: the strict engine). Messages
// and notes name DIR's files, as the copy has DIR's path.
//
// Printed: the directory, the files seen (name, size, which WAL id TDengine
// takes each for, ParseIdLikeTDengine, and the strict engine, ParseCanonicalId),
// the records replayed per file (count, first and last version), Restore's
// notes (truncations, skipped short bodies, scans, skipped files), the WAL's
// version after Restore, and the error ("none" when Restore succeeded).
// --entries lists every record (file, offset, version, msgType, sver, len,
// a printable prefix of the body). --json prints one object instead:
//
//   { "engine": "tdengine", "dir": DIR, "strict": bool,
//     "files": [{"name", "size", "kind", "tdengine_id": id|null, "strict_id": id|null}],
//     "records": [{"file", "offset", "version", "msg_type", "sver", "len"}],
//     "notes": ["..."], "version": V, "error": null | "text" }
//
// Exit codes: 0 Restore succeeded; 1 it failed, or DIR is not a readable
// directory (or a file in it cannot be read), with a message naming what and
// where.
#pragma once

#include <string>

namespace walcrash::cli {

struct TdengineInspectOptions {
  std::string dir;
  bool strict = false;   // the strict engine's Restore (wal.h), not TDengine's
  bool json = false;     // one JSON object instead of the summary
  bool entries = false;  // the summary lists every record
};

// Runs the inspection and prints it on stdout (errors on stderr); returns the
// exit code (kExitOk, kExitProblem).
int RunTdengineInspect(const TdengineInspectOptions& options);

}  // namespace walcrash::cli
