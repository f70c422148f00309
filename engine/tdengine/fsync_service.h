// FsyncService — the background fsync of TDengine 2.x's WAL (walMgmt.c:
// walThreadFunc, walUpdateSeq, walFsyncAll), shared by every WAL that uses it.
//
// Each round advances a sequence number and fsyncs the current file of every
// registered WAL whose level is fsync with a period P > 0 and for which
// seq % max(P / 1000, 1) == 0: a WAL with period 3000 ms is synced every third
// round, one with period 10 ms every round. TDengine sleeps WAL_REFRESH_MS
// (1000 ms) between rounds.
//
// Two modes:
//   kThread  a thread runs a round every `refresh` (TDengine's walInit); the
//            process-wide Shared() service is one.
//   kManual  no thread: the owner calls RunOnce(). The harness drives rounds
//            this way, so where a crash falls is decided by a seed, not by
//            the wall clock.
//
// What the fsync of a round makes durable is the WAL's business (Wal's
// synced_version()); the service only decides when.
//
// Threading: every method may be called from any thread. A round holds the
// service's lock while it syncs, so Register/Unregister wait for it; a WAL
// unregisters before it takes its own lock (lock order: service, then WAL).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace walcrash::tdengine {

class Wal;

class FsyncService {
 public:
  enum class Mode : unsigned char { kThread, kManual };
  static constexpr std::chrono::milliseconds kRefresh{1000};  // WAL_REFRESH_MS

  explicit FsyncService(Mode mode, std::chrono::milliseconds refresh = kRefresh);
  // kThread: stops the thread and joins it. REQUIRES: no WAL registered.
  ~FsyncService();
  FsyncService(const FsyncService&) = delete;
  FsyncService& operator=(const FsyncService&) = delete;

  // The process-wide service with its thread (started on first use).
  static FsyncService& Shared();

  // One round: the sequence advances, then every registered WAL that is due
  // is fsynced. Errors are the WAL's to keep (Wal::FsyncForService).
  void RunOnce();
  int32_t seq() const;
  size_t registered() const;

 private:
  friend class Wal;
  void Register(Wal* wal);
  void Unregister(Wal* wal);
  void ThreadMain();

  const Mode mode_;
  const std::chrono::milliseconds refresh_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Wal*> wals_;  // in registration order, as TDengine's ref set iterates
  int32_t seq_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace walcrash::tdengine
