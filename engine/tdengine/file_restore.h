// Replaying one WAL file (walRestoreWalFile and walSkipCorruptedRecord of
// TDengine 2.6), and the strict engine's version of it.
//
// TDengine's loop, which the faithful reader follows read by read:
//   - read a 24-byte head; end of file: done. A short head: truncate the file
//     at the current record offset, fsync, done.
//   - a head that is bad (sver 0 with a bad head checksum, or sver outside
//     0..2), then a length outside [0, kMaxBodyBytes]: scan for a record
//     (below); none: truncate at the record offset, fsync, and the file
//     counts as failed (TSDB_CODE_WAL_FILE_CORRUPTED: Corruption here).
//   - read `len` bytes of body. Short: skip the head (offset += 24) and go on
//     reading heads where the file cursor is: the body is not truncated.
//   - sver >= 1 and the whole checksum fails: scan; none: truncate, and the
//     file counts as failed.
//   - replay the record; the WAL's version becomes its version.
// The scan moves one byte at a time from the record offset + 1, reads a head
// there (a short read overwrites only part of the head buffer) and accepts a
// signature with, for sver 0, a valid head checksum, or for sver >= 1, `len`
// more bytes read and a valid whole checksum; a read that finds nothing, or
// a short body, ends the scan with nothing. After a bad head or length, the
// main loop goes on to read a body after the record the scan found, whose
// body the scan already read: that record is dropped (its checksum fails
// against the wrong bytes) and the next one is found by scanning again.
//
// Deviation, where TDengine's behaviour is undefined: a candidate with a
// negative length would make read(2) get a huge count and overrun the
// buffer; here it is not a record. A length past TDengine's buffer with the
// bytes there to read (TDengine would overrun its buffer), and a replayed
// record with such a length, end the file with Corruption. A length beyond
// the end of the file reads short, as in TDengine, and never sizes memory.

// The strict reader reads a record at a time; at the first record that does
// not check it looks for any later record that does, and asks damage.h
// whether the damage is a torn write or corruption. A torn record is cut off
// with everything after it (truncate, fsync) in the newest file: nothing
// written after a write that never reached the disk can have been synced.
// Corruption, or a tear in an older file, is an error naming file and offset.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/tdengine/wal.h"
#include "vfs/vfs.h"

namespace walcrash::tdengine {

struct FileRestore {
  size_t records = 0;
  bool any_version = false;
  uint64_t last_version = 0;  // the version of the last record replayed
  std::vector<std::string> notes;
};

// Replays `path` (file `file_id`) to `apply`. The faithful reader returns an
// error for a failed open or read and for a scan that found nothing
// (TDengine then counts the file as failed, keeping what it already
// replayed: `progress` holds that).
Status RestoreFile(vfs::Vfs& vfs, const std::string& path, int64_t file_id, bool strict, bool newest_file,
                   const std::function<void(const RestoredRecord&)>& apply, FileRestore& progress);

}  // namespace walcrash::tdengine
