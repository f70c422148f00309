// vfs::PosixVfs — the Vfs on the real filesystem, one syscall per operation.
//
// Every call goes straight to the kernel (open, pread, pwrite, fsync, ...)
// with paths passed as they are (relative paths resolve from the process's
// working directory). EINTR is retried. errno becomes a Status through
// Status::FromErrno, carrying the path and what was attempted
// ("pwrite at 4096 len 512"). Paths containing NUL are InvalidArgument.
//
// Fault points. Every operation first checks its libfiu point
// "walcrash/vfs/posix/<op>" (see fault_points.h); a fired point fails the
// call before any syscall is made.
//
// Durability is exactly what the kernel gives:
//   - File::Sync is fsync(2): the file's data and size are durable on OK.
//   - File::DataSync is fdatasync(2): the data, and the size when reading the
//     data needs it, are durable on OK.
//   - Directory::Sync is fsync(2) on the directory: entries created, removed
//     or renamed in it are durable on OK. A new file needs both its own Sync
//     and a Sync of its parent directory to survive a crash.
//   - Close, Rename, Unlink, Mkdir, Rmdir sync nothing. After a failed fsync
//     Linux may have dropped the dirty pages: do not trust a later Sync to
//     bring them back.
//
// Handles.
//   - Open maps OpenFlags to O_RDONLY / O_WRONLY / O_RDWR, O_CREAT, O_EXCL,
//     O_TRUNC, O_APPEND, always with O_CLOEXEC; new files get mode 0644.
//     Opening a directory is IsDirectory for any flags (Linux would let
//     O_RDONLY open it; we fstat and refuse).
//   - ReadAt and WriteAt are pread/pwrite loops and do not move the cursor.
//     Read is a read(2) loop from the descriptor's offset (the cursor).
//   - Append on a kAppend handle is a write(2) loop (O_APPEND: atomic with
//     respect to other appenders; it also moves the cursor to the end). On
//     any other handle it is fstat for the size, then pwrite there.
//   - Reading without kRead, writing/truncating/preallocating without kWrite
//     is InvalidArgument (EBADF); WriteAt on a kAppend handle is
//     InvalidArgument (EINVAL), since Linux would silently append.
//   - Preallocate is fallocate(2), mode FALLOC_FL_KEEP_SIZE for kKeepSize and
//     0 for kExtend. Where the filesystem answers EOPNOTSUPP, kExtend falls
//     back to ftruncate to grow the size to offset+length (when larger than
//     the size; no space is reserved), and kKeepSize returns NotSupported.
//     A length of 0 is InvalidArgument (EINVAL), as fallocate(2) says.
//   - Locks are flock(2) with LOCK_EX: owned by the open file description,
//     so two handles of one file conflict even inside one process. TryLock
//     is LOCK_NB (Locked when held elsewhere); Lock waits; Unlock is LOCK_UN;
//     Close releases the lock.
//   - Close calls close(2) once; any later call on the handle (Close
//     included) is InvalidArgument (EBADF). A handle destroyed without Close
//     closes its descriptor and drops any error.
//
// Namespace operations: Rename is rename(2) (EEXIST for a non-empty target
// directory is reported as NotEmpty, as Linux filesystems usually do), Unlink
// is unlink(2) (Linux says EISDIR for a directory: IsDirectory), Mkdir is
// mkdir(2) with mode 0755, Rmdir is rmdir(2), List is readdir (sorted, without
// "." and ".."), Stat is stat(2) (follows symlinks; a directory reports size
// 0 so results compare equal with SimVfs; neither file nor directory is
// kOther).
//
// Threading: the object holds no state after construction, so any number of
// threads may call it at once. A handle is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "vfs/vfs.h"

namespace walcrash::vfs {

class PosixVfs final : public Vfs {
 public:
  // Initialises libfiu (InitFaultPoints) so the fault points work.
  PosixVfs();
  ~PosixVfs() override = default;

  // "posix"
  std::string_view name() const override;

  Result<std::unique_ptr<File>> Open(std::string_view path, OpenFlags flags) override;
  // open(O_RDONLY | O_DIRECTORY | O_CLOEXEC); NotDirectory for a file.
  Result<std::unique_ptr<Directory>> OpenDirectory(std::string_view path) override;

  Status Rename(std::string_view from, std::string_view to) override;
  Status Unlink(std::string_view path) override;
  Status Mkdir(std::string_view path) override;
  Status Rmdir(std::string_view path) override;
  Result<std::vector<std::string>> List(std::string_view path) override;
  Result<FileInfo> Stat(std::string_view path) override;
};

}  // namespace walcrash::vfs
