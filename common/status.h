// Status and Result<T>: errors are values.
//
// A Status is either OK or an error carrying a Code, the errno that caused it
// (0 when none), the path it concerns (empty when none) and a message. OK costs
// one null pointer, so Status is cheap on the hot path (LevelDB's layout).
// Both types are [[nodiscard]]: dropping an error is a compile warning, and a
// deliberate drop is spelled IgnoreError() so it can be grepped for.
//
// Threading: values; no shared state.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace walcrash {

enum class Code : unsigned char {
  kOk = 0,
  kNotFound,         // ENOENT
  kExists,           // EEXIST
  kIOError,          // EIO and anything without a better code
  kNoSpace,          // ENOSPC, EDQUOT
  kLocked,           // EWOULDBLOCK on a lock held by another handle
  kCorruption,       // data read back is not what a writer could have written
  kInvalidArgument,  // EINVAL, EBADF, bad options, misuse of a handle
  kNotSupported,     // EOPNOTSUPP
  kNotDirectory,     // ENOTDIR
  kIsDirectory,      // EISDIR
  kNotEmpty,         // ENOTEMPTY
  kPermissionDenied, // EACCES, EPERM, EROFS
};

// "NotFound", "IOError", ...
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string path, std::string message, int error_number = 0);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status Ok() { return {}; }
  // Maps errno to the closest Code. `operation` says what was attempted
  // ("pwrite", "rename to /x"), and becomes the message.
  static Status FromErrno(int error_number, std::string path, std::string operation);

  bool ok() const { return rep_ == nullptr; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  int error_number() const { return rep_ ? rep_->error_number : 0; }
  std::string_view path() const { return rep_ ? std::string_view(rep_->path) : std::string_view(); }
  std::string_view message() const { return rep_ ? std::string_view(rep_->message) : std::string_view(); }
  // A domain-specific refinement of code() (an engine's own error kinds, such
  // as etcd's ErrUnexpectedEOF vs ErrCRCMismatch); 0 when none.
  uint16_t subcode() const { return rep_ ? rep_->subcode : 0; }
  // A copy carrying `subcode`. REQUIRES: !ok().
  Status WithSubcode(uint16_t subcode) const;

  // "IOError: /wal/0.wal: pwrite at 4096: injected fault (errno 5, Input/output error)"
  std::string ToString() const;

  // Keeps the first error: an OK status takes `other`, an error stays as it is.
  void Update(const Status& other);
  // Returns a copy whose message is prefixed with `context + ": "`.
  Status Annotate(std::string_view context) const;
  // Marks a deliberate drop.
  void IgnoreError() const {}

 private:
  struct Rep {
    Code code;
    int error_number;
    std::string path;
    std::string message;
    uint16_t subcode = 0;
  };
  std::unique_ptr<Rep> rep_;
};

// A value of T or an error Status (the std::expected vocabulary, so it can be
// swapped for std::expected at C++23).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    assert(!std::get<1>(v_).ok() && "Result built from an OK Status has no value");
  }

  bool ok() const { return v_.index() == 0; }
  bool has_value() const { return ok(); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error, or OK when there is a value.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }
  const Status& error() const { assert(!ok()); return std::get<1>(v_); }
  void IgnoreError() const {}

 private:
  std::variant<T, Status> v_;
};

}  // namespace walcrash

#define WALCRASH_CONCAT_INNER_(a, b) a##b
#define WALCRASH_CONCAT_(a, b) WALCRASH_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function if it is an error.
#define WALCRASH_RETURN_IF_ERROR(expr)                  \
  do {                                                  \
    ::walcrash::Status walcrash_status_ = (expr);       \
    if (!walcrash_status_.ok()) return walcrash_status_; \
  } while (0)

// `lhs = value of expr`, or returns its error from the enclosing function.
#define WALCRASH_ASSIGN_OR_RETURN(lhs, expr) \
  WALCRASH_ASSIGN_OR_RETURN_IMPL_(WALCRASH_CONCAT_(walcrash_result_, __LINE__), lhs, expr)
#define WALCRASH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.error();                    \
  lhs = std::move(tmp).value()
