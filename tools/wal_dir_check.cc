#include "tools/wal_dir_check.h"

#include <vector>

#include <fmt/format.h>

namespace walcrash::cli {

Status CheckWalDir(vfs::Vfs& vfs, const std::string& dir, std::string_view holds) {
  auto info = vfs.Stat(dir);
  if (!info.ok()) {
    const Status& s = info.error();
    if (s.code() == Code::kNotFound) return Status(Code::kNotFound, dir, fmt::format("{}: no such directory", dir));
    if (s.code() == Code::kNotDirectory) {
      return Status(Code::kNotDirectory, dir, fmt::format("{}: a parent of it is not a directory", dir));
    }
    if (s.code() == Code::kPermissionDenied) {
      return Status(Code::kPermissionDenied, dir, fmt::format("{}: permission denied (stat)", dir));
    }
    return s;
  }
  if (info->kind != vfs::FileKind::kDirectory) {
    return Status(Code::kNotDirectory, dir,
                  fmt::format("{}: not a directory (a {}; give the WAL directory, which holds {})", dir,
                              vfs::FileKindName(info->kind), holds));
  }
  auto names = vfs.List(dir);
  if (!names.ok()) {
    if (names.error().code() == Code::kPermissionDenied) {
      return Status(Code::kPermissionDenied, dir, fmt::format("{}: permission denied (cannot list it)", dir));
    }
    return names.error();
  }
  return {};
}

}  // namespace walcrash::cli
