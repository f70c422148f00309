#include "tools/scratch_dir.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace walcrash::cli {

Result<ScratchDir> ScratchDir::Make(std::string_view tag) {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string templ = (base / fmt::format("walcrash-{}-XXXXXX", tag)).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return Status::FromErrno(errno, templ, "mkdtemp");
  return ScratchDir(std::string(buf.data()));
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

ScratchDir& ScratchDir::operator=(ScratchDir&& other) noexcept {
  if (this != &other) {
    Remove().IgnoreError();  // the destructor's rule: a failed cleanup is not an error of the caller
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

ScratchDir::~ScratchDir() { Remove().IgnoreError(); }

Status ScratchDir::Remove() {
  if (path_.empty()) return {};
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  std::string path = std::move(path_);
  path_.clear();
  if (ec) return Status::FromErrno(ec.value(), path, "remove scratch directory");
  return {};
}

Status CopyDirFiles(vfs::Vfs& vfs, std::string_view from, std::string_view to) {
  WALCRASH_ASSIGN_OR_RETURN(std::vector<std::string> names, vfs.List(from));
  WALCRASH_RETURN_IF_ERROR(vfs.Mkdir(to));
  std::string chunk(1 << 20, '\0');
  for (const std::string& name : names) {
    std::string src = vfs::JoinPath(from, name);
    WALCRASH_ASSIGN_OR_RETURN(vfs::FileInfo info, vfs.Stat(src));
    if (info.kind != vfs::FileKind::kRegular) continue;
    WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> in, vfs.Open(src, vfs::kRead));
    std::string dst = vfs::JoinPath(to, name);
    WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> out,
                              vfs.Open(dst, vfs::kWrite | vfs::kCreate | vfs::kExclusive));
    for (uint64_t at = 0;;) {
      WALCRASH_ASSIGN_OR_RETURN(size_t got,
                                in->ReadAt(at, {reinterpret_cast<std::byte*>(chunk.data()), chunk.size()}));
      if (got == 0) break;
      WALCRASH_RETURN_IF_ERROR(out->WriteAt(at, vfs::AsBytes(std::string_view(chunk).substr(0, got))));
      at += got;
    }
    WALCRASH_RETURN_IF_ERROR(out->Close());
    WALCRASH_RETURN_IF_ERROR(in->Close());
  }
  return {};
}

}  // namespace walcrash::cli
