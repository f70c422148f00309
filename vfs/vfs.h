// vfs::Vfs — the one filesystem interface every engine does its I/O through.
//
// Two backends implement it: PosixVfs (real syscalls) and SimVfs (in memory,
// crash-aware; see sim_vfs.h for its crash model). Both give the same
// observable results for the same calls (pinned by the differential property
// test), so an engine tested on SimVfs behaves the same on disk.
//
// Paths. Strings with '/' separators. PosixVfs passes them to the kernel as
// they are; SimVfs resolves them lexically from its root "/" (a relative path
// is taken from "/"). Names may not contain NUL.
//
// Errors. Every call returns a Status or Result<T>; errors carry a Code, the
// errno, the path and what was attempted. Both backends report the same Code
// for the same misuse (opening a directory as a file is IsDirectory, a write
// through a read-only handle is InvalidArgument with EBADF, ...).
//
// Durability, in the words of POSIX and Linux (SimVfs makes each rule exact):
//   - File data and size reach stable storage only through File::Sync or
//     File::DataSync of that file (both make data and size durable).
//   - A directory entry (create, unlink, rename, mkdir, rmdir) reaches stable
//     storage only through Directory::Sync of the directory that holds it.
//     A file whose entry was never synced can vanish in a crash even if its
//     data was synced.
//   - Nothing else is promised. Close does not sync.
//
// Ownership and threading. Handles (File, Directory) are move-only
// unique_ptrs; the Vfs must outlive every handle it returned. A Vfs may be
// called from several threads at once. One handle must not be used by two
// threads at once (REQUIRES: external synchronization per handle).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace walcrash::vfs {

using Bytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

// Views text as bytes (tests and tools write strings).
inline Bytes AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Open flags, combined with |. kRead and/or kWrite is required.
enum OpenFlags : unsigned {
  kRead = 1u << 0,
  kWrite = 1u << 1,
  kCreate = 1u << 2,     // create if missing (O_CREAT)
  kExclusive = 1u << 3,  // with kCreate: fail with Exists if present (O_EXCL)
  kTruncate = 1u << 4,   // set size to 0 on open; needs kWrite (O_TRUNC)
  kAppend = 1u << 5,     // every write goes to the end; needs kWrite (O_APPEND)
};
constexpr OpenFlags operator|(OpenFlags a, OpenFlags b) {
  return static_cast<OpenFlags>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
// "r|w|create|excl|trunc|append" for the flags set; "0" for none. Bits
// outside OpenFlags are not printed.
std::string OpenFlagsText(OpenFlags flags);
// Rejects combinations whose meaning POSIX leaves open (truncate or append
// without write, exclusive without create, neither read nor write).
Status ValidateOpenFlags(OpenFlags flags, std::string_view path);

enum class FileKind : unsigned char { kRegular, kDirectory, kOther };
std::string_view FileKindName(FileKind kind);

struct FileInfo {
  uint64_t size = 0;
  FileKind kind = FileKind::kRegular;
  friend bool operator==(const FileInfo&, const FileInfo&) = default;
};

enum class PreallocateMode : unsigned char {
  kKeepSize,  // reserve space only; the size does not change (FALLOC_FL_KEEP_SIZE)
  kExtend,    // reserve space and grow the size to offset+length, reading as zeros
};

class File {
 public:
  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  // Closes the handle if Close() was not called; an error from that close is
  // lost, so code that cares calls Close().
  virtual ~File() = default;

  // The path the handle was opened with.
  virtual const std::string& path() const = 0;

  // Reads up to dst.size() bytes at `offset`; returns how many were read
  // (fewer only at end of file, 0 at or past it). Needs kRead.
  virtual Result<size_t> ReadAt(uint64_t offset, MutableBytes dst) = 0;
  // Reads from the handle's cursor (starts at 0) and advances it. Only Read
  // moves the cursor; writes never do. Needs kRead.
  virtual Result<size_t> Read(MutableBytes dst) = 0;

  // Writes all of `data` at `offset`, growing the file (a gap reads as zeros).
  // On error a prefix of `data` may have been written (a short write, or
  // NoSpace part way). An empty write does nothing (it does not grow the
  // file). Needs kWrite; InvalidArgument on a kAppend handle (Linux would
  // silently append).
  virtual Status WriteAt(uint64_t offset, Bytes data) = 0;
  // Writes all of `data` at the current end of the file. Same error rule.
  virtual Status Append(Bytes data) = 0;

  virtual Result<uint64_t> Size() = 0;
  // Sets the size; a grown part reads as zeros. Needs kWrite.
  virtual Status Truncate(uint64_t size) = 0;
  // fallocate(2): reserves [offset, offset+length); length 0 is
  // InvalidArgument. NotSupported where the filesystem cannot; PosixVfs then
  // falls back to ftruncate for kExtend.
  virtual Status Preallocate(uint64_t offset, uint64_t length, PreallocateMode mode) = 0;

  // fsync(2): the file's data and size are durable when this returns OK.
  // On error, Linux semantics: the unsynced data may be lost for good, and a
  // later Sync can succeed without it. The error is reported once.
  virtual Status Sync() = 0;
  // fdatasync(2): the data, and the size when reading the data needs it, are
  // durable when this returns OK (other metadata, such as mtime, may not be).
  virtual Status DataSync() = 0;

  // Exclusive advisory lock held by this handle (flock(2) semantics: two
  // handles conflict even in one process). TryLock fails with Locked when
  // another handle holds it; Lock waits. Released by Unlock or Close.
  virtual Status TryLock() = 0;
  virtual Status Lock() = 0;
  virtual Status Unlock() = 0;

  // Releases the handle (and its lock). Further calls fail with
  // InvalidArgument. Close does not sync.
  virtual Status Close() = 0;
};

class Directory {
 public:
  Directory() = default;
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;
  virtual ~Directory() = default;

  virtual const std::string& path() const = 0;
  // fsync(2) on the directory: every entry created, removed or renamed in it
  // so far is durable when this returns OK.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class Vfs {
 public:
  Vfs() = default;
  Vfs(const Vfs&) = delete;
  Vfs& operator=(const Vfs&) = delete;
  virtual ~Vfs() = default;

  // "posix" or "sim": the backend's name in fault points and traces.
  virtual std::string_view name() const = 0;

  virtual Result<std::unique_ptr<File>> Open(std::string_view path, OpenFlags flags) = 0;
  virtual Result<std::unique_ptr<Directory>> OpenDirectory(std::string_view path) = 0;

  // rename(2): atomically replaces `to` if it exists (a file by a file, or a
  // directory by an empty directory). Renaming a path to itself does nothing.
  // Errors name `from` as their path and `to` in the message.
  virtual Status Rename(std::string_view from, std::string_view to) = 0;
  // Removes a file's entry (IsDirectory for a directory). Open handles keep
  // working on the unlinked file.
  virtual Status Unlink(std::string_view path) = 0;
  virtual Status Mkdir(std::string_view path) = 0;
  // Removes an empty directory (NotEmpty otherwise).
  virtual Status Rmdir(std::string_view path) = 0;
  // The names in a directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> List(std::string_view path) = 0;
  // Does not follow a final symlink (lstat): a symlink is FileKind::kOther.
  virtual Result<FileInfo> Stat(std::string_view path) = 0;

  // True when Stat succeeds; false when the path or a parent is missing or a
  // parent is not a directory; an error otherwise.
  Result<bool> Exists(std::string_view path);
  // Removes `path` and everything under it; OK when it does not exist.
  // Stops at the first error.
  Status RemoveAll(std::string_view path);
  // Opens `path` and takes its lock (try: fail with Locked at once; else wait).
  enum class LockWait : unsigned char { kTry, kBlock };
  Result<std::unique_ptr<File>> OpenLocked(std::string_view path, OpenFlags flags, LockWait wait);
};

// Joins two path pieces with exactly one '/'.
std::string JoinPath(std::string_view dir, std::string_view name);
// The part before the last '/' ("" for a bare name, "/" for "/x").
std::string_view ParentPath(std::string_view path);
// The part after the last '/'.
std::string_view BaseName(std::string_view path);

// Reads a whole file / writes a whole file (create or truncate), helpers for
// tools and tests. WriteWholeFile does not sync.
Result<std::string> ReadWholeFile(Vfs& vfs, std::string_view path);
Status WriteWholeFile(Vfs& vfs, std::string_view path, std::string_view contents);

}  // namespace walcrash::vfs
