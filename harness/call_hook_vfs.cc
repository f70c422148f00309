#include "harness/call_hook_vfs.h"

#include <fmt/format.h>

namespace walcrash::harness {

std::string PendingCall::ToString() const {
  return fmt::format("call {}: {} {}", calls_done + 1, vfs::OpKindName(op), path);
}

namespace {

using vfs::OpKind;

class HookedFile final : public vfs::File {
 public:
  HookedFile(CallHookVfs& owner, std::unique_ptr<vfs::File> inner) : owner_(owner), inner_(std::move(inner)) {}

  const std::string& path() const override { return inner_->path(); }
  Result<size_t> ReadAt(uint64_t offset, vfs::MutableBytes dst) override { return inner_->ReadAt(offset, dst); }
  Result<size_t> Read(vfs::MutableBytes dst) override { return inner_->Read(dst); }
  Status WriteAt(uint64_t offset, vfs::Bytes data) override {
    owner_.Before(OpKind::kWrite, path());
    return inner_->WriteAt(offset, data);
  }
  Status Append(vfs::Bytes data) override {
    owner_.Before(OpKind::kAppend, path());
    return inner_->Append(data);
  }
  Result<uint64_t> Size() override { return inner_->Size(); }
  Status Truncate(uint64_t size) override {
    owner_.Before(OpKind::kTruncate, path());
    return inner_->Truncate(size);
  }
  Status Preallocate(uint64_t offset, uint64_t length, vfs::PreallocateMode mode) override {
    owner_.Before(OpKind::kPreallocate, path());
    return inner_->Preallocate(offset, length, mode);
  }
  Status Sync() override {
    owner_.Before(OpKind::kSync, path());
    return inner_->Sync();
  }
  Status DataSync() override {
    owner_.Before(OpKind::kDataSync, path());
    return inner_->DataSync();
  }
  Status TryLock() override { return inner_->TryLock(); }
  Status Lock() override { return inner_->Lock(); }
  Status Unlock() override { return inner_->Unlock(); }
  Status Close() override { return inner_->Close(); }

 private:
  CallHookVfs& owner_;
  std::unique_ptr<vfs::File> inner_;
};

class HookedDirectory final : public vfs::Directory {
 public:
  HookedDirectory(CallHookVfs& owner, std::unique_ptr<vfs::Directory> inner)
      : owner_(owner), inner_(std::move(inner)) {}
  const std::string& path() const override { return inner_->path(); }
  Status Sync() override {
    owner_.Before(OpKind::kDirSync, path());
    return inner_->Sync();
  }
  Status Close() override { return inner_->Close(); }

 private:
  CallHookVfs& owner_;
  std::unique_ptr<vfs::Directory> inner_;
};

}  // namespace

CallHookVfs::CallHookVfs(vfs::Vfs& inner, Hook hook) : inner_(inner), hook_(std::move(hook)) {}

void CallHookVfs::Before(vfs::OpKind op, std::string_view path) {
  if (hook_) {
    PendingCall call{calls_done_, op, std::string(path),
                     op == OpKind::kSync || op == OpKind::kDataSync || op == OpKind::kDirSync};
    hook_(call);
  }
  ++calls_done_;
}

Result<std::unique_ptr<vfs::File>> CallHookVfs::Open(std::string_view path, vfs::OpenFlags flags) {
  if ((flags & (vfs::kCreate | vfs::kTruncate)) != 0) Before(OpKind::kOpen, path);
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file, inner_.Open(path, flags));
  return std::unique_ptr<vfs::File>(std::make_unique<HookedFile>(*this, std::move(file)));
}

Result<std::unique_ptr<vfs::Directory>> CallHookVfs::OpenDirectory(std::string_view path) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::Directory> dir, inner_.OpenDirectory(path));
  return std::unique_ptr<vfs::Directory>(std::make_unique<HookedDirectory>(*this, std::move(dir)));
}

Status CallHookVfs::Rename(std::string_view from, std::string_view to) {
  Before(OpKind::kRename, from);
  return inner_.Rename(from, to);
}
Status CallHookVfs::Unlink(std::string_view path) {
  Before(OpKind::kUnlink, path);
  return inner_.Unlink(path);
}
Status CallHookVfs::Mkdir(std::string_view path) {
  Before(OpKind::kMkdir, path);
  return inner_.Mkdir(path);
}
Status CallHookVfs::Rmdir(std::string_view path) {
  Before(OpKind::kRmdir, path);
  return inner_.Rmdir(path);
}
Result<std::vector<std::string>> CallHookVfs::List(std::string_view path) { return inner_.List(path); }
Result<vfs::FileInfo> CallHookVfs::Stat(std::string_view path) { return inner_.Stat(path); }

}  // namespace walcrash::harness
