#include "engine/tdengine/fsync_service.h"

#include <algorithm>
#include <cassert>
#include <climits>

#include "engine/tdengine/wal.h"

namespace walcrash::tdengine {

FsyncService::FsyncService(Mode mode, std::chrono::milliseconds refresh) : mode_(mode), refresh_(refresh) {
  if (mode_ == Mode::kThread) thread_ = std::thread([this] { ThreadMain(); });
}

FsyncService::~FsyncService() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    assert(wals_.empty() && "a WAL outlives its fsync service");
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

FsyncService& FsyncService::Shared() {
  static FsyncService service(Mode::kThread);
  return service;
}

void FsyncService::RunOnce() {
  std::lock_guard<std::mutex> lock(mutex_);
  // walUpdateSeq: the sequence wraps to 1, never 0 (counted unsigned here:
  // TDengine's signed overflow is undefined).
  seq_ = seq_ == INT32_MAX ? 1 : seq_ + 1;
  for (Wal* wal : wals_) wal->FsyncForService(seq_);
}

int32_t FsyncService::seq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seq_;
}

size_t FsyncService::registered() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wals_.size();
}

void FsyncService::Register(Wal* wal) {
  std::lock_guard<std::mutex> lock(mutex_);
  wals_.push_back(wal);
}

void FsyncService::Unregister(Wal* wal) {
  std::lock_guard<std::mutex> lock(mutex_);
  wals_.erase(std::remove(wals_.begin(), wals_.end(), wal), wals_.end());
}

void FsyncService::ThreadMain() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    // The sleep of walUpdateSeq; a stop request cuts it short.
    if (wake_.wait_for(lock, refresh_, [this] { return stop_; })) break;
    lock.unlock();
    RunOnce();
    lock.lock();
  }
}

}  // namespace walcrash::tdengine
