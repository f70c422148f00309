// FilePipeline — keeps the next segment file ready, as etcd's filePipeline:
// a locked, preallocated "<n%2>.tmp" in the WAL directory, so a cut never
// waits for preallocation.
//
// Unlike etcd it never reuses a temp file: it removes the name and creates a
// new file (exclusively). A temp file left by a crash in the middle of a cut
// may hold an old header that a shorter new header would not fully cover
// (stale bytes after it would read as a corrupt record), or, after a crash
// inside the rename, be a second name of the segment it became (ALICE's link
// step): reusing it would cut that segment. It stays one file ahead, as
// etcd's: the next file is made only after the previous one was taken, so a
// name is never reused while a cut still works on the file under it.
//
// Preallocation falls back to ftruncate when the filesystem says
// NotSupported (etcd's Preallocate). kZeroFill writes zeros and syncs them,
// so appends into the segment never change its allocation.
//
// Threading: with `background` the next file is made on a thread of its own
// while the WAL works (etcd's behaviour); without it, Prepare() makes it
// inline at the points the WAL chooses (deterministic I/O order for the
// harness). Open and Close are called by the WAL under its mutex.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/status.h"
#include "engine/etcd/wal.h"
#include "vfs/vfs.h"

namespace walcrash::etcd {

struct LockedFile {
  std::unique_ptr<vfs::File> file;
  std::string path;
};

// Reserves [0, size) of `file` per `mode` (kExtend semantics: the size
// becomes `size`).
Status PreallocateSegment(vfs::File& file, uint64_t size, PreallocMode mode);

class FilePipeline {
 public:
  FilePipeline(vfs::Vfs& vfs, std::string dir, uint64_t size, PreallocMode mode, bool background);
  ~FilePipeline();
  FilePipeline(const FilePipeline&) = delete;
  FilePipeline& operator=(const FilePipeline&) = delete;

  // Inline mode: makes the next file now if none is ready. No-op in
  // background mode.
  Status Prepare();
  // The next file (waits for it in background mode), or the error that
  // stopped the pipeline.
  Result<LockedFile> Open();
  // Blocks until the next file is ready (background mode; inline mode makes
  // it now), or returns the error that stopped the pipeline.
  Status WaitUntilReady();
  // Stops the pipeline and removes the file it had ready.
  Status Close();

 private:
  Result<LockedFile> Alloc();
  void Run();
  // Waits for a ready file or the stop; REQUIRES: `lock` holds mu_.
  Status WaitLocked(std::unique_lock<std::mutex>& lock);

  vfs::Vfs& vfs_;
  std::string dir_;
  uint64_t size_;
  PreallocMode mode_;
  bool background_;
  uint64_t count_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<LockedFile> ready_;
  Status error_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace walcrash::etcd
