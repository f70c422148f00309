// Scratch directories on the real filesystem, and copying a WAL directory
// into one: `walcrash inspect --mode write` and the interop tests open WALs
// in write mode only on such copies, so the directory they were given never
// changes.
#pragma once

#include <string>

#include "common/status.h"
#include "vfs/vfs.h"

namespace walcrash::cli {

// A fresh directory "<$TMPDIR or /tmp>/walcrash-<tag>-XXXXXX" (mkdtemp, mode
// 0700), removed with everything in it when the object dies.
class ScratchDir {
 public:
  static Result<ScratchDir> Make(std::string_view tag);
  ScratchDir(ScratchDir&& other) noexcept;
  ScratchDir& operator=(ScratchDir&& other) noexcept;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();

  const std::string& path() const { return path_; }
  // Removes it now; OK when already gone.
  Status Remove();

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Creates `to` (which must not exist) and copies every regular file of `from`
// into it, byte for byte, through `vfs` (new files get the Vfs's default
// mode, so a copy of a read-only directory is writable). Other entries
// (subdirectories, symlinks, devices) are skipped: a WAL directory holds
// only files. Errors name the file and what failed.
Status CopyDirFiles(vfs::Vfs& vfs, std::string_view from, std::string_view to);

}  // namespace walcrash::cli
