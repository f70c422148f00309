#include "vfs/fault_points.h"

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

#include <fmt/format.h>
#include <fiu.h>
#include <fiu-control.h>

namespace walcrash::vfs {
namespace {

constexpr std::string_view BackendName(Backend backend) {
  return backend == Backend::kPosix ? "posix" : "sim";
}

// The names, built once so a check costs one table lookup and fiu_fail.
struct PointNames {
  std::string names[2][kOpKindCount];
  PointNames() {
    for (int b = 0; b < 2; ++b) {
      for (int op = 0; op < kOpKindCount; ++op) {
        names[b][op] = fmt::format("walcrash/vfs/{}/{}", BackendName(static_cast<Backend>(b)),
                                   kOpKindNames[static_cast<size_t>(op)]);
      }
    }
  }
};

const PointNames& Names() {
  static const PointNames names;
  return names;
}

}  // namespace

std::optional<OpKind> ParseOpKind(std::string_view name) {
  for (int op = 0; op < kOpKindCount; ++op) {
    if (kOpKindNames[static_cast<size_t>(op)] == name) return static_cast<OpKind>(op);
  }
  return std::nullopt;
}

std::string FaultPointName(Backend backend, OpKind op) {
  return Names().names[static_cast<int>(backend)][static_cast<int>(op)];
}

void InitFaultPoints() {
  static std::once_flag once;
  std::call_once(once, [] {
    fiu_init(0);
    if (const char* fifo = std::getenv("WALCRASH_FIU_FIFO"); fifo != nullptr && *fifo != '\0') {
      if (fiu_rc_fifo(fifo) != 0) {
        std::fprintf(stderr, "walcrash: cannot open libfiu remote control at %s-%d: %s\n", fifo,
                     static_cast<int>(getpid()), std::strerror(errno));
      }
    }
  });
}

Status CheckFaultPoint(Backend backend, OpKind op, std::string_view path) {
  const std::string& point = Names().names[static_cast<int>(backend)][static_cast<int>(op)];
  if (fiu_fail(point.c_str()) == 0) return {};
  int error_number = static_cast<int>(reinterpret_cast<intptr_t>(fiu_failinfo()));
  if (error_number <= 0) error_number = EIO;
  return Status::FromErrno(error_number, std::string(path),
                           fmt::format("{}: libfiu fault point {}", OpKindName(op), point));
}

}  // namespace walcrash::vfs
