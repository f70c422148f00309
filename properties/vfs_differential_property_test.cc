// Differential property: with no crash, SimVfs shows a process exactly what
// PosixVfs (the real kernel) shows it.
//
// A generated program of VFS calls over a tiny namespace (names collide,
// files become directories and back, handles outlive their names) runs on
// both backends side by side: SimVfs under "/root", PosixVfs under a fresh
// mkdtemp directory. After every call the outcomes must agree (ok-ness and
// Code, values returned, bytes read); at the end the whole trees must agree.
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "properties/vfs_commands.h"
#include "vfs/posix_vfs.h"
#include "vfs/sim_vfs.h"

namespace walcrash::vfs::prop {
namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = JoinPath(base != nullptr && *base != '\0' ? base : "/tmp", "walcrash-prop-XXXXXX");
    if (::mkdtemp(templ.data()) == nullptr) {
      RC_FAIL(fmt::format("mkdtemp({}): {}", templ, std::strerror(errno)));
    }
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);  // best effort; nothing to report to
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

WALCRASH_PROP(VfsDifferential, NoCrashSimMatchesPosix, 3000) {
  const Program program = *ProgramGen(Limits{});
  TempDir tmp;
  PosixVfs posix;
  SimVfs sim;
  RC_ASSERT(sim.Mkdir("/root").ok());
  // Declared after the Vfs objects: the runners (and their handles) go first.
  Runner on_sim(sim, "/root");
  Runner on_posix(posix, tmp.path());

  for (size_t i = 0; i < program.commands.size(); ++i) {
    const Command& c = program.commands[i];
    Outcome s = on_sim.Run(c);
    Outcome p = on_posix.Run(c);
    if (!(s == p)) {
      RC_FAIL(fmt::format("command #{} {}: sim {} but posix {}", i, Describe(c), ShowOutcome(s),
                          ShowOutcome(p)));
    }
  }

  auto sim_tree = WalkTree(sim, "/root");
  auto posix_tree = WalkTree(posix, tmp.path());
  RC_ASSERT(sim_tree.ok());
  RC_ASSERT(posix_tree.ok());
  std::string diff = TreeDiff(*sim_tree, *posix_tree, "sim", "posix");
  if (!diff.empty()) {
    RC_FAIL(fmt::format("final trees differ: {}\n    sim tree:{}\n    posix tree:{}", diff,
                        ShowTree(*sim_tree), ShowTree(*posix_tree)));
  }
}

}  // namespace
}  // namespace walcrash::vfs::prop
