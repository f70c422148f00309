#include "vfs/posix_vfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "vfs/fault_points.h"
#include "vfs/op_kind.h"

namespace walcrash::vfs {
namespace {

constexpr uint64_t kMaxOffset = static_cast<uint64_t>(std::numeric_limits<off_t>::max());

// The one place errno becomes a Status. Callers read errno into `error_number`
// right after the failing syscall, before anything else can clobber it.
Status ErrnoStatus(int error_number, std::string_view path, std::string what) {
  return Status::FromErrno(error_number, std::string(path), std::move(what));
}

// Calls `syscall` until it does not fail with EINTR; returns its last result.
template <typename F>
auto RetryOnEintr(F&& syscall) {
  for (;;) {
    auto r = syscall();
    if (r == -1 && errno == EINTR) continue;
    return r;
  }
}

Status FaultPoint(OpKind op, std::string_view path) {
  return CheckFaultPoint(Backend::kPosix, op, path);
}

// A path for the kernel; NUL would silently cut it short.
Status CheckPath(std::string_view path, std::string_view op) {
  if (path.find('\0') != std::string_view::npos) {
    return Status(Code::kInvalidArgument, std::string(path),
                  fmt::format("{}: path contains NUL", op), EINVAL);
  }
  return {};
}

// An offset or size the kernel can take as off_t.
Status CheckOffset(std::string_view path, uint64_t value, std::string_view what) {
  if (value > kMaxOffset) {
    return Status(Code::kInvalidArgument, std::string(path),
                  fmt::format("{}: {} does not fit in off_t", what, value), EINVAL);
  }
  return {};
}

// InvalidArgument (EBADF) once a handle's descriptor is closed.
Status CheckDescriptorOpen(int fd, const std::string& path, std::string_view op) {
  if (fd < 0) return Status(Code::kInvalidArgument, path, fmt::format("{}: handle is closed", op), EBADF);
  return {};
}

// Closes `fd` once and marks it closed. Not retried: on Linux the descriptor
// is released even when close(2) fails (EINTR included), and a retry could
// close a descriptor another thread has just been given.
Status CloseDescriptor(int& fd, const std::string& path, std::string_view what) {
  WALCRASH_RETURN_IF_ERROR(CheckDescriptorOpen(fd, path, what));
  if (::close(std::exchange(fd, -1)) != 0) {
    const int err = errno;
    if (err != EINTR) return ErrnoStatus(err, path, std::string(what));
  }
  return {};
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path, OpenFlags flags)
      : fd_(fd), path_(std::move(path)), flags_(flags) {}

  ~PosixFile() override {
    if (fd_ >= 0) {
      // The contract: an error from an implicit close is lost.
      (void)::close(fd_);
    }
  }

  const std::string& path() const override { return path_; }

  Result<size_t> ReadAt(uint64_t offset, MutableBytes dst) override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kRead, path_));
    WALCRASH_RETURN_IF_ERROR(CheckUsable("ReadAt", kRead, "reading"));
    WALCRASH_RETURN_IF_ERROR(CheckOffset(path_, offset, "pread offset"));
    size_t done = 0;
    while (done < dst.size()) {
      const size_t want = dst.size() - done;
      const off_t at = static_cast<off_t>(offset + done);
      ssize_t r = RetryOnEintr([&] { return ::pread(fd_, dst.data() + done, want, at); });
      if (r < 0) {
        const int err = errno;
        return ErrnoStatus(err, path_,
                           fmt::format("pread at {} len {}", offset + done, want));
      }
      if (r == 0) break;  // end of file
      done += static_cast<size_t>(r);
    }
    return done;
  }

  Result<size_t> Read(MutableBytes dst) override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kRead, path_));
    WALCRASH_RETURN_IF_ERROR(CheckUsable("Read", kRead, "reading"));
    size_t done = 0;
    while (done < dst.size()) {
      const size_t want = dst.size() - done;
      ssize_t r = RetryOnEintr([&] { return ::read(fd_, dst.data() + done, want); });
      if (r < 0) {
        const int err = errno;
        return ErrnoStatus(err, path_, fmt::format("read len {}", want));
      }
      if (r == 0) break;  // end of file
      done += static_cast<size_t>(r);
    }
    return done;
  }

  Status WriteAt(uint64_t offset, Bytes data) override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kWrite, path_));
    WALCRASH_RETURN_IF_ERROR(CheckUsable("WriteAt", kWrite, "writing"));
    if (flags_ & kAppend) {
      return Status(Code::kInvalidArgument, path_, "pwrite on an append handle", EINVAL);
    }
    WALCRASH_RETURN_IF_ERROR(CheckOffset(path_, offset, "pwrite offset"));
    return PwriteAll(offset, data);
  }

  Status Append(Bytes data) override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kAppend, path_));
    WALCRASH_RETURN_IF_ERROR(CheckUsable("Append", kWrite, "writing"));
    if (!(flags_ & kAppend)) {
      WALCRASH_ASSIGN_OR_RETURN(uint64_t size, FstatSize("append"));
      return PwriteAll(size, data);
    }
    // On an O_APPEND descriptor Linux's pwrite(2) writes at the end whatever
    // the offset, and unlike write(2) it leaves the Read cursor alone: writes
    // never move the cursor (vfs.h).
    return PwriteAll(0, data);
  }

  Result<uint64_t> Size() override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kSize, path_));
    WALCRASH_RETURN_IF_ERROR(CheckOpen("Size"));
    return FstatSize("size");
  }

  Status Truncate(uint64_t size) override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kTruncate, path_));
    WALCRASH_RETURN_IF_ERROR(CheckUsable("Truncate", kWrite, "writing"));
    WALCRASH_RETURN_IF_ERROR(CheckOffset(path_, size, "ftruncate size"));
    return Ftruncate(size, fmt::format("ftruncate to {}", size));
  }

  Status Preallocate(uint64_t offset, uint64_t length, PreallocateMode mode) override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kPreallocate, path_));
    WALCRASH_RETURN_IF_ERROR(CheckUsable("Preallocate", kWrite, "writing"));
    const bool keep = mode == PreallocateMode::kKeepSize;
    const std::string what = fmt::format("fallocate{} at {} len {}",
                                         keep ? " (keep size)" : "", offset, length);
    if (length == 0) {
      return Status(Code::kInvalidArgument, path_, what + ": length is 0", EINVAL);
    }
    if (offset > kMaxOffset || length > kMaxOffset - offset) {
      return Status(Code::kInvalidArgument, path_, what + ": end does not fit in off_t", EINVAL);
    }
    const int fmode = keep ? FALLOC_FL_KEEP_SIZE : 0;
    int r = RetryOnEintr([&] {
      return ::fallocate(fd_, fmode, static_cast<off_t>(offset), static_cast<off_t>(length));
    });
    if (r == 0) return {};
    const int err = errno;
    if (err != EOPNOTSUPP || keep) return ErrnoStatus(err, path_, what);
    // The filesystem cannot reserve space: grow the size so the range reads
    // as zeros, which is what kExtend promises to callers.
    WALCRASH_ASSIGN_OR_RETURN(uint64_t size, FstatSize(what + " (fallback)"));
    const uint64_t end = offset + length;
    if (end <= size) return {};
    return Ftruncate(end, fmt::format("{}: fallback ftruncate to {}", what, end));
  }

  Status Sync() override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kSync, path_));
    WALCRASH_RETURN_IF_ERROR(CheckOpen("Sync"));
    return CheckedCall([this] { return ::fsync(fd_); }, "fsync");
  }

  Status DataSync() override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kDataSync, path_));
    WALCRASH_RETURN_IF_ERROR(CheckOpen("DataSync"));
    return CheckedCall([this] { return ::fdatasync(fd_); }, "fdatasync");
  }

  Status TryLock() override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kLock, path_));
    WALCRASH_RETURN_IF_ERROR(CheckOpen("TryLock"));
    // EWOULDBLOCK (another handle holds it) maps to Locked.
    return CheckedCall([this] { return ::flock(fd_, LOCK_EX | LOCK_NB); },
                       "flock(LOCK_EX|LOCK_NB)");
  }

  Status Lock() override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kLock, path_));
    WALCRASH_RETURN_IF_ERROR(CheckOpen("Lock"));
    return CheckedCall([this] { return ::flock(fd_, LOCK_EX); }, "flock(LOCK_EX)");
  }

  Status Unlock() override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kUnlock, path_));
    WALCRASH_RETURN_IF_ERROR(CheckOpen("Unlock"));
    return CheckedCall([this] { return ::flock(fd_, LOCK_UN); }, "flock(LOCK_UN)");
  }

  Status Close() override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kClose, path_));
    return CloseDescriptor(fd_, path_, "close");
  }

 private:
  Status CheckOpen(std::string_view op) const { return CheckDescriptorOpen(fd_, path_, op); }

  // Open, and opened with `needed` (kRead or kWrite).
  Status CheckUsable(std::string_view op, OpenFlags needed, std::string_view purpose) const {
    WALCRASH_RETURN_IF_ERROR(CheckOpen(op));
    if (!(flags_ & needed)) {
      return Status(Code::kInvalidArgument, path_,
                    fmt::format("{}: handle not open for {}", op, purpose), EBADF);
    }
    return {};
  }

  // Runs a syscall returning 0 or -1 (retrying EINTR).
  template <typename F>
  Status CheckedCall(F&& syscall, std::string_view what) const {
    if (RetryOnEintr(std::forward<F>(syscall)) != 0) {
      const int err = errno;
      return ErrnoStatus(err, path_, std::string(what));
    }
    return {};
  }

  Result<uint64_t> FstatSize(std::string_view what) const {
    struct stat st {};
    if (RetryOnEintr([&] { return ::fstat(fd_, &st); }) != 0) {
      const int err = errno;
      return ErrnoStatus(err, path_, fmt::format("{}: fstat", what));
    }
    return static_cast<uint64_t>(st.st_size);
  }

  Status Ftruncate(uint64_t size, std::string what) const {
    if (RetryOnEintr([&] { return ::ftruncate(fd_, static_cast<off_t>(size)); }) != 0) {
      const int err = errno;
      return ErrnoStatus(err, path_, std::move(what));
    }
    return {};
  }

  // Writes all of `data` at `offset`; on error a prefix may have been written.
  Status PwriteAll(uint64_t offset, Bytes data) const {
    size_t done = 0;
    while (done < data.size()) {
      const size_t want = data.size() - done;
      const uint64_t at = offset + done;
      if (at > kMaxOffset) {
        return Status(Code::kInvalidArgument, path_,
                      fmt::format("pwrite at {}: offset does not fit in off_t", at), EINVAL);
      }
      ssize_t r = RetryOnEintr(
          [&] { return ::pwrite(fd_, data.data() + done, want, static_cast<off_t>(at)); });
      if (r < 0) {
        const int err = errno;
        return ErrnoStatus(err, path_,
                           fmt::format("pwrite at {} len {} after {} of {} bytes", at, want,
                                       done, data.size()));
      }
      if (r == 0) return ZeroWrite(fmt::format("pwrite at {}", at), done, data.size());
      done += static_cast<size_t>(r);
    }
    return {};
  }

  // A write that made no progress and set no errno: never seen on a regular
  // file, but looping on it would spin forever.
  Status ZeroWrite(std::string_view what, size_t done, size_t total) const {
    return Status(Code::kIOError, path_,
                  fmt::format("{}: wrote 0 bytes after {} of {}", what, done, total), EIO);
  }

  int fd_;
  std::string path_;
  OpenFlags flags_;
};

class PosixDirectory final : public Directory {
 public:
  PosixDirectory(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  ~PosixDirectory() override {
    if (fd_ >= 0) {
      // Same rule as files: an error from an implicit close is lost.
      (void)::close(fd_);
    }
  }

  const std::string& path() const override { return path_; }

  Status Sync() override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kDirSync, path_));
    WALCRASH_RETURN_IF_ERROR(CheckOpen("Sync"));
    if (RetryOnEintr([this] { return ::fsync(fd_); }) != 0) {
      const int err = errno;
      return ErrnoStatus(err, path_, "fsync (directory)");
    }
    return {};
  }

  Status Close() override {
    WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kClose, path_));
    return CloseDescriptor(fd_, path_, "close (directory)");
  }

 private:
  Status CheckOpen(std::string_view op) const { return CheckDescriptorOpen(fd_, path_, op); }

  int fd_;
  std::string path_;
};

int ToOpenFlags(OpenFlags flags) {
  int o = 0;
  const bool read = (flags & kRead) != 0;
  const bool write = (flags & kWrite) != 0;
  if (read && write) {
    o = O_RDWR;
  } else if (write) {
    o = O_WRONLY;
  } else {
    o = O_RDONLY;
  }
  if (flags & kCreate) o |= O_CREAT;
  if (flags & kExclusive) o |= O_EXCL;
  if (flags & kTruncate) o |= O_TRUNC;
  if (flags & kAppend) o |= O_APPEND;
  return o | O_CLOEXEC;
}

// Runs a path syscall returning 0 or -1 (retrying EINTR).
template <typename F>
Status PathCall(std::string_view path, F&& syscall, std::string what) {
  if (RetryOnEintr(std::forward<F>(syscall)) != 0) {
    const int err = errno;
    return ErrnoStatus(err, path, std::move(what));
  }
  return {};
}

}  // namespace

PosixVfs::PosixVfs() { InitFaultPoints(); }

std::string_view PosixVfs::name() const { return "posix"; }

Result<std::unique_ptr<File>> PosixVfs::Open(std::string_view path, OpenFlags flags) {
  WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kOpen, path));
  WALCRASH_RETURN_IF_ERROR(ValidateOpenFlags(flags, path));
  WALCRASH_RETURN_IF_ERROR(CheckPath(path, "open"));
  std::string p(path);
  const int oflags = ToOpenFlags(flags);
  constexpr mode_t kMode = 0644;
  const int fd = RetryOnEintr([&] { return ::open(p.c_str(), oflags, kMode); });
  if (fd < 0) {
    const int err = errno;
    return ErrnoStatus(err, p, fmt::format("open (flags {:#x})", static_cast<unsigned>(flags)));
  }
  struct stat st {};
  if (RetryOnEintr([&] { return ::fstat(fd, &st); }) != 0) {
    const int err = errno;
    (void)::close(fd);  // the fstat error is the one worth reporting
    return ErrnoStatus(err, p, "open: fstat");
  }
  if (S_ISDIR(st.st_mode)) {
    (void)::close(fd);  // nothing was written through it
    return Status(Code::kIsDirectory, p, "open: is a directory", EISDIR);
  }
  return std::unique_ptr<File>(std::make_unique<PosixFile>(fd, std::move(p), flags));
}

Result<std::unique_ptr<Directory>> PosixVfs::OpenDirectory(std::string_view path) {
  WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kOpenDir, path));
  WALCRASH_RETURN_IF_ERROR(CheckPath(path, "opendir"));
  std::string p(path);
  const int fd =
      RetryOnEintr([&] { return ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) {
    const int err = errno;
    return ErrnoStatus(err, p, "open directory");
  }
  return std::unique_ptr<Directory>(std::make_unique<PosixDirectory>(fd, std::move(p)));
}

Status PosixVfs::Rename(std::string_view from, std::string_view to) {
  WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kRename, from));
  WALCRASH_RETURN_IF_ERROR(CheckPath(from, "rename"));
  WALCRASH_RETURN_IF_ERROR(CheckPath(to, "rename"));
  std::string f(from);
  std::string t(to);
  if (RetryOnEintr([&] { return ::renameat(AT_FDCWD, f.c_str(), AT_FDCWD, t.c_str()); }) != 0) {
    int err = errno;
    // POSIX allows EEXIST or ENOTEMPTY for a non-empty target directory; we
    // report one code on every filesystem.
    if (err == EEXIST) err = ENOTEMPTY;
    return ErrnoStatus(err, f, fmt::format("rename to {}", t));
  }
  return {};
}

Status PosixVfs::Unlink(std::string_view path) {
  WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kUnlink, path));
  WALCRASH_RETURN_IF_ERROR(CheckPath(path, "unlink"));
  std::string p(path);
  return PathCall(p, [&] { return ::unlink(p.c_str()); }, "unlink");
}

Status PosixVfs::Mkdir(std::string_view path) {
  WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kMkdir, path));
  WALCRASH_RETURN_IF_ERROR(CheckPath(path, "mkdir"));
  std::string p(path);
  constexpr mode_t kMode = 0755;
  return PathCall(p, [&] { return ::mkdir(p.c_str(), kMode); }, "mkdir");
}

Status PosixVfs::Rmdir(std::string_view path) {
  WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kRmdir, path));
  WALCRASH_RETURN_IF_ERROR(CheckPath(path, "rmdir"));
  std::string p(path);
  if (RetryOnEintr([&] { return ::rmdir(p.c_str()); }) != 0) {
    int err = errno;
    if (err == EEXIST) err = ENOTEMPTY;  // POSIX allows either for "not empty"
    return ErrnoStatus(err, p, "rmdir");
  }
  return {};
}

Result<std::vector<std::string>> PosixVfs::List(std::string_view path) {
  WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kList, path));
  WALCRASH_RETURN_IF_ERROR(CheckPath(path, "list"));
  std::string p(path);
  const int fd =
      RetryOnEintr([&] { return ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) {
    const int err = errno;
    return ErrnoStatus(err, p, "list: open directory");
  }
  DIR* dir = ::fdopendir(fd);  // owns fd from here on
  if (dir == nullptr) {
    const int err = errno;
    (void)::close(fd);  // the fdopendir error is the one worth reporting
    return ErrnoStatus(err, p, "list: fdopendir");
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      const int err = errno;
      if (err == 0) break;  // end of directory
      if (err == EINTR) continue;
      (void)::closedir(dir);  // the readdir error is the one worth reporting
      return ErrnoStatus(err, p, "list: readdir");
    }
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  if (::closedir(dir) != 0) {
    const int err = errno;
    return ErrnoStatus(err, p, "list: closedir");
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<FileInfo> PosixVfs::Stat(std::string_view path) {
  WALCRASH_RETURN_IF_ERROR(FaultPoint(OpKind::kStat, path));
  WALCRASH_RETURN_IF_ERROR(CheckPath(path, "stat"));
  std::string p(path);
  struct stat st {};
  if (RetryOnEintr([&] { return ::lstat(p.c_str(), &st); }) != 0) {
    const int err = errno;
    return ErrnoStatus(err, p, "stat");
  }
  FileInfo info;
  if (S_ISREG(st.st_mode)) {
    info.kind = FileKind::kRegular;
    info.size = static_cast<uint64_t>(st.st_size);
  } else if (S_ISDIR(st.st_mode)) {
    info.kind = FileKind::kDirectory;
    info.size = 0;  // the kernel's number is filesystem-specific; SimVfs says 0
  } else {
    // lstat: a symlink is kOther, never followed (RemoveAll must not walk
    // out of the tree through one).
    info.kind = FileKind::kOther;
    info.size = static_cast<uint64_t>(st.st_size);
  }
  return info;
}

}  // namespace walcrash::vfs
