#include "common/status.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace walcrash {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kNotFound: return "NotFound";
    case Code::kExists: return "Exists";
    case Code::kIOError: return "IOError";
    case Code::kNoSpace: return "NoSpace";
    case Code::kLocked: return "Locked";
    case Code::kCorruption: return "Corruption";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotSupported: return "NotSupported";
    case Code::kNotDirectory: return "NotDirectory";
    case Code::kIsDirectory: return "IsDirectory";
    case Code::kNotEmpty: return "NotEmpty";
    case Code::kPermissionDenied: return "PermissionDenied";
  }
  return "Unknown";
}

Status::Status(Code code, std::string path, std::string message, int error_number) {
  assert(code != Code::kOk && "use Status() for OK");
  rep_ = std::make_unique<Rep>(Rep{code, error_number, std::move(path), std::move(message), 0});
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

namespace {
Code CodeForErrno(int error_number) {
  switch (error_number) {
    case ENOENT: return Code::kNotFound;
    case EEXIST: return Code::kExists;
    case ENOSPC:
    case EDQUOT: return Code::kNoSpace;
    case EWOULDBLOCK: return Code::kLocked;  // == EAGAIN on Linux
    case EINVAL:
    case EBADF:
    case ENAMETOOLONG: return Code::kInvalidArgument;
    case EOPNOTSUPP: return Code::kNotSupported;  // == ENOTSUP on Linux
    case ENOTDIR: return Code::kNotDirectory;
    case EISDIR: return Code::kIsDirectory;
    case ENOTEMPTY: return Code::kNotEmpty;
    case EACCES:
    case EPERM:
    case EROFS: return Code::kPermissionDenied;
    default: return Code::kIOError;
  }
}
}  // namespace

Status Status::FromErrno(int error_number, std::string path, std::string operation) {
  return Status(CodeForErrno(error_number), std::move(path), std::move(operation), error_number);
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(CodeName(rep_->code));
  out += ": ";
  if (!rep_->path.empty()) {
    out += rep_->path;
    out += ": ";
  }
  out += rep_->message;
  if (rep_->error_number != 0) {
    out += fmt::format(" (errno {}, {})", rep_->error_number, std::strerror(rep_->error_number));
  }
  return out;
}

void Status::Update(const Status& other) {
  if (ok() && !other.ok()) *this = other;
}

Status Status::Annotate(std::string_view context) const {
  if (ok()) return {};
  Status out(rep_->code, rep_->path, fmt::format("{}: {}", context, rep_->message), rep_->error_number);
  out.rep_->subcode = rep_->subcode;
  return out;
}

Status Status::WithSubcode(uint16_t subcode) const {
  assert(!ok());
  Status out = *this;
  out.rep_->subcode = subcode;
  return out;
}

}  // namespace walcrash
