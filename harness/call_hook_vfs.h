// CallHookVfs — a Vfs that calls a hook before each call that can change what
// a crash leaves behind, then forwards the call to the Vfs it wraps.
//
// This is how the explorer stops a workload at every crash point: the hook
// runs with the wrapped SimVfs exactly as it is before the call (the call has
// not started), so a crash image taken there is a crash "just before" it.
// Crash-relevant calls: write, append, truncate, preallocate, open with
// create or truncate, rename, unlink, mkdir, rmdir, and every sync
// (file, data, directory). Reads, stats, locks and closes are forwarded
// without a hook: they change nothing a crash could see.
//
// Call numbering: the hook receives how many crash-relevant calls completed
// before this one; a crash point "after N calls" is the instant the hook sees
// N (or the end of the workload, when N is the total).
//
// Ownership: the wrapped Vfs outlives this one and every handle it returned.
// Threading: the hook runs on the calling thread; no lock of this class is
// held while it runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "vfs/op_kind.h"
#include "vfs/vfs.h"

namespace walcrash::harness {

// The kinds of call a crash point can come before (an open only when it
// creates or truncates): the mutating calls and the three syncs.
constexpr bool IsCrashPointKind(vfs::OpKind op) {
  return vfs::IsMutating(op) || op == vfs::OpKind::kSync || op == vfs::OpKind::kDataSync ||
         op == vfs::OpKind::kDirSync;
}

struct PendingCall {
  uint64_t calls_done = 0;  // crash-relevant calls completed before this one
  vfs::OpKind op = vfs::OpKind::kWrite;
  std::string path;
  bool is_sync = false;     // sync, datasync or dirsync
  std::string ToString() const;  // "call 12: datasync /wal/0000-0000.wal"
};

class CallHookVfs final : public vfs::Vfs {
 public:
  using Hook = std::function<void(const PendingCall&)>;
  CallHookVfs(vfs::Vfs& inner, Hook hook);

  std::string_view name() const override { return inner_.name(); }
  Result<std::unique_ptr<vfs::File>> Open(std::string_view path, vfs::OpenFlags flags) override;
  Result<std::unique_ptr<vfs::Directory>> OpenDirectory(std::string_view path) override;
  Status Rename(std::string_view from, std::string_view to) override;
  Status Unlink(std::string_view path) override;
  Status Mkdir(std::string_view path) override;
  Status Rmdir(std::string_view path) override;
  Result<std::vector<std::string>> List(std::string_view path) override;
  Result<vfs::FileInfo> Stat(std::string_view path) override;

  uint64_t calls_done() const { return calls_done_; }
  // From now on calls are forwarded without the hook (e.g. while the WAL
  // under test is torn down after the run).
  void DisableHook() { hook_ = nullptr; }
  // Before a crash-relevant call: runs the hook, then counts the call.
  void Before(vfs::OpKind op, std::string_view path);

 private:
  vfs::Vfs& inner_;
  Hook hook_;
  uint64_t calls_done_ = 0;
};

}  // namespace walcrash::harness
