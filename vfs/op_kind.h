// OpKind — every operation a Vfs backend performs, named once.
//
// The name is used three ways: in traces, in FaultPlan rules, and in the
// libfiu fault point "walcrash/vfs/<backend>/<name>" that every call of both
// backends checks (see fault_points.h and the README's list).
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace walcrash::vfs {

enum class OpKind : unsigned char {
  kOpen,
  kClose,
  kRead,         // File::ReadAt and File::Read
  kWrite,        // File::WriteAt
  kAppend,       // File::Append
  kSize,
  kTruncate,
  kPreallocate,
  kSync,         // File::Sync
  kDataSync,     // File::DataSync
  kLock,         // File::Lock and File::TryLock
  kUnlock,
  kOpenDir,
  kDirSync,      // Directory::Sync
  kRename,
  kUnlink,
  kMkdir,
  kRmdir,
  kList,
  kStat,
};
inline constexpr int kOpKindCount = 20;

constexpr std::array<std::string_view, kOpKindCount> kOpKindNames = {
    "open",     "close", "read", "write",  "append",  "size",  "truncate",
    "preallocate", "sync", "datasync", "lock", "unlock", "opendir", "dirsync",
    "rename",   "unlink", "mkdir", "rmdir", "list", "stat"};

constexpr std::string_view OpKindName(OpKind op) {
  return kOpKindNames[static_cast<size_t>(op)];
}
std::optional<OpKind> ParseOpKind(std::string_view name);

// Operations that change what a crash could leave behind.
constexpr bool IsMutating(OpKind op) {
  switch (op) {
    case OpKind::kWrite: case OpKind::kAppend: case OpKind::kTruncate:
    case OpKind::kPreallocate: case OpKind::kRename: case OpKind::kUnlink:
    case OpKind::kMkdir: case OpKind::kRmdir: case OpKind::kOpen:
      return true;
    default:
      return false;
  }
}

}  // namespace walcrash::vfs
