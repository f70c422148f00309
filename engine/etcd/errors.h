// The errors of etcd's wal package, as Status values with etcd's own texts
// (what `walcrash inspect --json` prints and what the interop tests compare)
// and a subcode that keeps their identity.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace walcrash::etcd {

enum class WalError : uint16_t {
  kNone = 0,
  kUnexpectedEOF,     // "unexpected EOF" (io.ErrUnexpectedEOF: a torn or short tail)
  kRecordCrcMismatch, // "walpb: crc mismatch" (a record's CRC does not hold)
  kCrcMismatch,       // "wal: crc mismatch" (a segment's CRC record breaks the chain)
  kMetadataConflict,  // "wal: conflicting metadata found"
  kFileNotFound,      // "wal: file not found"
  kSnapshotMismatch,  // "wal: snapshot mismatch"
  kSnapshotNotFound,  // "wal: snapshot not found"
  kSliceOutOfRange,   // "wal: slice bounds out of range"
  kDecoderNotFound,   // "wal: decoder not found"
  kExist,             // "file exists" (os.ErrExist from Create)
  kLocked,            // "fileutil: file already locked"
  kBadRecord,         // an undecodable record or unknown record type
  kBadName,           // "wal: bad wal name"
  kSequence,          // seq numbers of the selected files do not increase by one
  kClosed,            // the WAL was closed
};

// etcd's text for `e` (the message of the Status MakeError builds).
std::string_view WalErrorText(WalError e);
// A Status for `e` on `path`; `detail` (if any) follows etcd's text after
// ": " as Go's fmt.Errorf("%w: ...") would put it.
Status MakeError(WalError e, std::string path = {}, std::string_view detail = {});
// The WalError a Status carries (kNone for OK or a plain VFS error).
inline WalError WalErrorOf(const Status& s) { return static_cast<WalError>(s.subcode()); }

}  // namespace walcrash::etcd
