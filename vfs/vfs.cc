#include "vfs/vfs.h"

#include <cerrno>

#include <fmt/format.h>

namespace walcrash::vfs {

Status ValidateOpenFlags(OpenFlags flags, std::string_view path) {
  auto bad = [&](std::string_view why) {
    return Status(Code::kInvalidArgument, std::string(path), fmt::format("open: {}", why), EINVAL);
  };
  if ((flags & (kRead | kWrite)) == 0) return bad("flags need read or write");
  if ((flags & kTruncate) && !(flags & kWrite)) return bad("truncate needs write");
  if ((flags & kAppend) && !(flags & kWrite)) return bad("append needs write");
  if ((flags & kExclusive) && !(flags & kCreate)) return bad("exclusive needs create");
  return {};
}

std::string OpenFlagsText(OpenFlags flags) {
  std::string out;
  auto add = [&](unsigned bit, std::string_view name) {
    if ((flags & bit) == 0) return;
    if (!out.empty()) out += '|';
    out += name;
  };
  add(kRead, "r");
  add(kWrite, "w");
  add(kCreate, "create");
  add(kExclusive, "excl");
  add(kTruncate, "trunc");
  add(kAppend, "append");
  return out.empty() ? "0" : out;
}

std::string_view FileKindName(FileKind kind) {
  switch (kind) {
    case FileKind::kRegular: return "file";
    case FileKind::kDirectory: return "dir";
    case FileKind::kOther: return "other";
  }
  return "?";
}

Result<bool> Vfs::Exists(std::string_view path) {
  auto info = Stat(path);
  if (info.ok()) return true;
  Code code = info.error().code();
  if (code == Code::kNotFound || code == Code::kNotDirectory) return false;
  return info.error();
}

Status Vfs::RemoveAll(std::string_view path) {
  // Iterative depth-first walk with an explicit stack, bounded by the tree.
  struct Frame {
    std::string path;
    bool children_done;
  };
  auto root = Stat(path);
  if (!root.ok()) {
    Code code = root.error().code();
    return (code == Code::kNotFound || code == Code::kNotDirectory) ? Status() : root.error();
  }
  if (root->kind != FileKind::kDirectory) return Unlink(path);
  std::vector<Frame> stack{{std::string(path), false}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.children_done) {
      WALCRASH_RETURN_IF_ERROR(Rmdir(top.path));
      stack.pop_back();
      continue;
    }
    top.children_done = true;
    std::string dir = top.path;  // `top` may move when the stack grows
    WALCRASH_ASSIGN_OR_RETURN(std::vector<std::string> names, List(dir));
    for (const std::string& name : names) {
      std::string child = JoinPath(dir, name);
      WALCRASH_ASSIGN_OR_RETURN(FileInfo info, Stat(child));
      if (info.kind == FileKind::kDirectory) {
        stack.push_back({std::move(child), false});
      } else {
        WALCRASH_RETURN_IF_ERROR(Unlink(child));
      }
    }
  }
  return {};
}

Result<std::unique_ptr<File>> Vfs::OpenLocked(std::string_view path, OpenFlags flags,
                                              LockWait wait) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<File> file, Open(path, flags));
  Status locked = wait == LockWait::kTry ? file->TryLock() : file->Lock();
  if (!locked.ok()) {
    file->Close().IgnoreError();  // the lock error is the one worth reporting
    return locked;
  }
  return file;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  out += name;
  return out;
}

std::string_view ParentPath(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {};
  if (slash == 0) return path.substr(0, 1);
  return path.substr(0, slash);
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

Result<std::string> ReadWholeFile(Vfs& vfs, std::string_view path) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<File> file, vfs.Open(path, kRead));
  WALCRASH_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string out(size, '\0');
  WALCRASH_ASSIGN_OR_RETURN(
      size_t n, file->ReadAt(0, {reinterpret_cast<std::byte*>(out.data()), out.size()}));
  out.resize(n);
  WALCRASH_RETURN_IF_ERROR(file->Close());
  return out;
}

Status WriteWholeFile(Vfs& vfs, std::string_view path, std::string_view contents) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                            vfs.Open(path, kWrite | kCreate | kTruncate));
  Status s = file->WriteAt(0, AsBytes(contents));
  s.Update(file->Close());
  return s;
}

}  // namespace walcrash::vfs
