// libfiu fault points: every Vfs operation of both backends is a named point
// "walcrash/vfs/<backend>/<op>" (backend "posix" or "sim", op from OpKind).
//
// Enable one from a test with fiu_enable("walcrash/vfs/sim/sync", 1, ...) or
// from outside with `fiu-run -x -c 'enable name=walcrash/vfs/posix/*'` or
// `fiu-ctrl`. The failinfo pointer, when not null, is taken as the errno to
// report (cast from an integer: (void*)(intptr_t)ENOSPC); null means EIO.
// A fired point fails the call before it takes any effect.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "vfs/op_kind.h"

namespace walcrash::vfs {

enum class Backend : unsigned char { kPosix, kSim };

// "walcrash/vfs/posix/rename"
std::string FaultPointName(Backend backend, OpKind op);

// Initialises libfiu once per process (idempotent, thread-safe). When
// WALCRASH_FIU_FIFO is in the environment it also opens libfiu's remote
// control on the named pipes "<value>-<pid>.{in,out}", so that
//   fiu-ctrl -f <value> -c 'enable name=walcrash/vfs/posix/sync' <pid>
// turns points on in a running process. (Under fiu-run, its preload library
// opens the control itself; this variable is for processes started plainly.)
void InitFaultPoints();

// The error for `op` on `path` if its libfiu point is enabled and fires,
// else OK.
Status CheckFaultPoint(Backend backend, OpKind op, std::string_view path);

}  // namespace walcrash::vfs
