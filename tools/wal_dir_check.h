// The check every command that reads a WAL directory makes first (inspect,
// dump, verify, repair; etcd's and TDengine's): it must exist, be a
// directory and be listable.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "vfs/vfs.h"

namespace walcrash::cli {

// OK when `dir` is a listable directory; else a Status whose message names
// `dir` and what is wrong ("no such directory", "permission denied (stat)",
// "not a directory (a regular; give the WAL directory, which holds
// <holds>)", ...). `holds` says what a WAL directory holds, for that hint.
Status CheckWalDir(vfs::Vfs& vfs, const std::string& dir, std::string_view holds = "the *.wal segments");

}  // namespace walcrash::cli
