#include "engine/etcd/errors.h"

#include <fmt/format.h>

namespace walcrash::etcd {

std::string_view WalErrorText(WalError e) {
  switch (e) {
    case WalError::kNone: return "";
    case WalError::kUnexpectedEOF: return "unexpected EOF";
    case WalError::kRecordCrcMismatch: return "walpb: crc mismatch";
    case WalError::kCrcMismatch: return "wal: crc mismatch";
    case WalError::kMetadataConflict: return "wal: conflicting metadata found";
    case WalError::kFileNotFound: return "wal: file not found";
    case WalError::kSnapshotMismatch: return "wal: snapshot mismatch";
    case WalError::kSnapshotNotFound: return "wal: snapshot not found";
    case WalError::kSliceOutOfRange: return "wal: slice bounds out of range";
    case WalError::kDecoderNotFound: return "wal: decoder not found";
    case WalError::kExist: return "file exists";
    case WalError::kLocked: return "fileutil: file already locked";
    case WalError::kBadRecord: return "wal: bad record";
    case WalError::kBadName: return "wal: bad wal name";
    case WalError::kSequence: return "wal: file sequence numbers do not increase continuously";
    case WalError::kClosed: return "wal: closed";
  }
  return "wal: unknown error";
}

namespace {
Code CodeFor(WalError e) {
  switch (e) {
    case WalError::kFileNotFound:
    case WalError::kSnapshotNotFound: return Code::kNotFound;
    case WalError::kExist: return Code::kExists;
    case WalError::kLocked: return Code::kLocked;
    case WalError::kDecoderNotFound:
    case WalError::kClosed:
    case WalError::kBadName: return Code::kInvalidArgument;
    default: return Code::kCorruption;
  }
}
}  // namespace

Status MakeError(WalError e, std::string path, std::string_view detail) {
  std::string message(WalErrorText(e));
  if (!detail.empty()) message = fmt::format("{}: {}", message, detail);
  return Status(CodeFor(e), std::move(path), std::move(message)).WithSubcode(static_cast<uint16_t>(e));
}

}  // namespace walcrash::etcd
