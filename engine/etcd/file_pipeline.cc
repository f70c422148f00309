#include "engine/etcd/file_pipeline.h"

#include <fmt/format.h>

namespace walcrash::etcd {

Status PreallocateSegment(vfs::File& file, uint64_t size, PreallocMode mode) {
  if (size == 0) return {};
  if (mode == PreallocMode::kZeroFill) {
    WALCRASH_ASSIGN_OR_RETURN(uint64_t have, file.Size());
    static const std::string zeros(1 << 20, '\0');
    for (uint64_t at = have; at < size;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), size - at));
      WALCRASH_RETURN_IF_ERROR(file.WriteAt(at, vfs::AsBytes(std::string_view(zeros).substr(0, n))));
      at += n;
    }
    return file.DataSync();
  }
  Status s = file.Preallocate(0, size, vfs::PreallocateMode::kExtend);
  if (s.code() == Code::kNotSupported) {
    // etcd's preallocExtendTrunc: grow the size the slow way.
    WALCRASH_ASSIGN_OR_RETURN(uint64_t have, file.Size());
    if (size > have) return file.Truncate(size);
    return {};
  }
  return s;
}

FilePipeline::FilePipeline(vfs::Vfs& vfs, std::string dir, uint64_t size, PreallocMode mode, bool background)
    : vfs_(vfs), dir_(std::move(dir)), size_(size), mode_(mode), background_(background) {
  if (background_) thread_ = std::thread([this] { Run(); });
}

FilePipeline::~FilePipeline() { Close().IgnoreError(); }  // the WAL closes it first and reports errors

Result<LockedFile> FilePipeline::Alloc() {
  // count % 2, so the file is never the one handed out last.
  std::string path = vfs::JoinPath(dir_, fmt::format("{}.tmp", count_ % 2));
  // A leftover "<n>.tmp" is never reused: a crash inside a cut's rename can
  // leave it as a second name of the segment it became (ALICE's link step),
  // and cutting that file would destroy the segment. Drop the name and make a
  // new file. (etcd reuses it: its lock then fails and so does the next cut.)
  if (Status gone = vfs_.Unlink(path); !gone.ok() && gone.code() != Code::kNotFound) {
    return gone.Annotate("file pipeline: removing a leftover temp file");
  }
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file,
                            vfs_.OpenLocked(path, vfs::kWrite | vfs::kCreate | vfs::kExclusive,
                                            vfs::Vfs::LockWait::kTry));
  Status s = file->Truncate(0);
  if (s.ok()) s = PreallocateSegment(*file, size_, mode_);
  if (!s.ok()) {
    file->Close().IgnoreError();  // the preallocation error is the one to report
    return s.Annotate("file pipeline");
  }
  ++count_;
  return LockedFile{std::move(file), std::move(path)};
}

void FilePipeline::Run() {
  // One file ahead, never two: the next file is made only once the previous
  // one was taken, so "<n%2>.tmp" is never the name of the file a cut is
  // still working on. Bounded by the cuts the WAL makes.
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !ready_.has_value() || stopping_; });
      if (stopping_) return;
    }
    Result<LockedFile> next = Alloc();
    std::unique_lock lock(mu_);
    if (!next.ok()) {
      error_ = next.error();
      stopped_ = true;
      cv_.notify_all();
      return;
    }
    if (stopping_) {
      lock.unlock();
      next->file->Close().IgnoreError();            // being discarded
      vfs_.Unlink(next->path).IgnoreError();        // etcd removes it too; a leftover is harmless
      return;
    }
    ready_ = std::move(next).value();
    cv_.notify_all();
  }
}

Status FilePipeline::Prepare() {
  if (background_) return {};
  std::lock_guard lock(mu_);
  if (ready_ || stopped_) return error_;
  auto next = Alloc();
  if (!next.ok()) return next.error();
  ready_ = std::move(next).value();
  return {};
}

Status FilePipeline::WaitLocked(std::unique_lock<std::mutex>& lock) {
  cv_.wait(lock, [&] { return ready_.has_value() || stopped_; });
  if (ready_) return {};
  if (!error_.ok()) return error_;
  return Status(Code::kInvalidArgument, dir_, "file pipeline is closed");
}

Status FilePipeline::WaitUntilReady() {
  if (!background_) WALCRASH_RETURN_IF_ERROR(Prepare());
  std::unique_lock lock(mu_);
  return WaitLocked(lock);
}

Result<LockedFile> FilePipeline::Open() {
  if (!background_) WALCRASH_RETURN_IF_ERROR(Prepare());
  std::unique_lock lock(mu_);
  WALCRASH_RETURN_IF_ERROR(WaitLocked(lock));
  LockedFile out = std::move(*ready_);
  ready_.reset();
  cv_.notify_all();
  return out;
}

Status FilePipeline::Close() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return {};
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  stopped_ = true;
  Status s;
  if (ready_) {
    s.Update(ready_->file->Close());
    s.Update(vfs_.Unlink(ready_->path));
    ready_.reset();
  }
  return s;
}

}  // namespace walcrash::etcd
