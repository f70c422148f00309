// fuzz_vfs_differential — SimVfs against PosixVfs, call by call.
//
// Each input decodes to a program of Vfs calls (fuzz/vfs_program.h): opens
// with every flag combination into a few handle slots, reads, writes,
// appends, truncates, preallocations, syncs, locks, directory handles,
// renames, unlinks, mkdir/rmdir, listings and stats, over a namespace of
// sixteen colliding paths. The program runs on a fresh SimVfs and on a
// PosixVfs rooted in a fresh mkdtemp directory under $TMPDIR (or /tmp),
// removed afterwards. sim_vfs.h promises that SimVfs shows the process what
// Linux would; PosixVfs is Linux (ext4 on the machines we fuzz on). Any
// observable difference is a finding.
//
// Compared, for every call:
//   - whether it ran (a call on an empty handle slot runs on neither side);
//   - success or failure, the Code (common/status.h) and the errno: both
//     backends promise the same Code for the same misuse (vfs.h), and the
//     errno is what a caller would switch on next;
//   - what it returned: the bytes ReadAt/Read gave (count and contents), the
//     size, the sorted names of List, the kind and size of Stat.
// Compared after the program: the whole tree under the root (every name,
// kind, size and file contents, walked with List/Stat/ReadWholeFile), and
// through every handle still in a slot its size and contents (an unlinked
// file is reachable only that way).
//
// Not compared, deliberately:
//   - error message text and the Status path: PosixVfs names paths under its
//     temporary root and words errors after the syscall, SimVfs after the
//     call; neither is part of the contract.
//   - durability (what a crash would leave): a live Linux process cannot see
//     it; sim_vfs_crash_test.cc pins the crash model instead.
//   - allocated space (st_blocks, kKeepSize preallocation past the size):
//     the Vfs interface does not show it, and SimVfs models it only for its
//     capacity bound (F3), which this target leaves unlimited.
//   - a kKeepSize Preallocate that PosixVfs answers with NotSupported: a
//     filesystem without fallocate says so, SimVfs always can; the call
//     changes nothing visible on either side, so the run goes on.
//   - handle paths (File::path()): each backend's own spelling.
// Not generated, deliberately (see vfs_program.h):
//   - "." and ".." components: SimVfs resolves paths lexically (vfs.h), so
//     "a/.." is the root even when "a" is a file, where Linux says ENOTDIR.
//   - removing or renaming the root itself: the PosixVfs root is a temporary
//     directory, not "/" (Linux answers EBUSY for "/"; for our directory it
//     would remove it). The Machine refuses those calls on both sides.
//   - a blocking Lock on a lock another handle holds: one thread would wait
//     for ever on both backends; "lock" tries first (vfs_program.h).
//   - faults, capacity and max_file_size limits: SimVfs-only knobs.
//
// A finding names the first call whose outcome differs (or the first entry
// of the final tree), both outcomes, and the program up to that call.
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "fuzz/finding.h"
#include "fuzz/vfs_program.h"
#include "vfs/posix_vfs.h"
#include "vfs/sim_vfs.h"

namespace {

using walcrash::Code;
using walcrash::fuzz::Call;
using walcrash::fuzz::Machine;
using walcrash::fuzz::Observation;
using walcrash::fuzz::Op;
using walcrash::fuzz::Outcome;
using walcrash::fuzz::Program;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object goes, exceptions included (the replay driver throws
// findings).
class TempDir {
 public:
  TempDir() {
    const std::string base = walcrash::fuzz::EnvOr("TMPDIR", "/tmp");
    std::string pattern = (base.empty() ? std::string("/tmp") : base) + "/walcrash-vfs-diff-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) {
      // Not a finding: the machine cannot run the target at all.
      std::fprintf(stderr, "fuzz_vfs_differential: mkdtemp %s: %s\n", pattern.c_str(), std::strerror(errno));
      std::abort();
    }
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ignored;  // nothing to do about a leftover directory
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

walcrash::vfs::PosixVfs& Posix() {
  static walcrash::vfs::PosixVfs posix;  // stateless; built once (it initialises libfiu)
  return posix;
}

// Where two values differ, for the message: reads are bytes, so say where.
std::string ValueDifference(const std::string& sim, const std::string& posix) {
  size_t i = 0;
  while (i < sim.size() && i < posix.size() && sim[i] == posix[i]) ++i;
  if (i == sim.size() && i == posix.size()) return "";
  auto byte = [](const std::string& s, size_t at) {
    return at < s.size() ? fmt::format("{:#04x}", static_cast<unsigned char>(s[at])) : std::string("end");
  };
  return fmt::format(" [{} vs {} bytes; first difference at byte {}: sim {}, posix {}]", sim.size(),
                     posix.size(), i, byte(sim, i), byte(posix, i));
}

// The outcome PosixVfs gives where the filesystem cannot do what SimVfs
// always can, and which changes nothing visible (see the file comment).
bool UnsupportedOnThisFilesystem(const Call& call, const Outcome& posix) {
  return call.op == Op::kPreallocate && call.mode == walcrash::vfs::PreallocateMode::kKeepSize &&
         posix.code == Code::kNotSupported;
}

// "" when the outcomes agree on everything compared, else why not.
std::string Difference(const Outcome& sim, const Outcome& posix) {
  if (sim.ran != posix.ran || sim.code != posix.code || sim.error_number != posix.error_number ||
      sim.value != posix.value) {
    return fmt::format("sim {}, posix {}{}", sim.Summary(), posix.Summary(), ValueDifference(sim.value, posix.value));
  }
  return "";
}

std::string ProgramPrefix(const Program& program, size_t through) {
  Program prefix;
  prefix.calls.assign(program.calls.begin(),
                      program.calls.begin() + static_cast<std::ptrdiff_t>(std::min(through + 1, program.calls.size())));
  return walcrash::fuzz::ProgramText(prefix);
}

// Runs `program` on both backends; the first difference, if any.
std::optional<std::string> RunBoth(const Program& program) {
  TempDir dir;  // declared first: removed after both machines closed their handles
  walcrash::vfs::SimVfs sim;
  Machine on_sim(sim, "/");
  Machine on_posix(Posix(), dir.path());
  for (size_t i = 0; i < program.calls.size(); ++i) {
    const Call& call = program.calls[i];
    const Outcome a = on_sim.Run(call);
    const Outcome b = on_posix.Run(call);
    if (UnsupportedOnThisFilesystem(call, b)) continue;
    if (std::string why = Difference(a, b); !why.empty()) {
      return fmt::format("vfs differential: call {} ({}): {}\nprogram:\n{}", i, walcrash::fuzz::CallText(call), why,
                         ProgramPrefix(program, i));
    }
  }
  const std::vector<Observation> a = on_sim.Observe();
  const std::vector<Observation> b = on_posix.Observe();
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string what_a = i < a.size() ? a[i].what : "(nothing)";
    const std::string what_b = i < b.size() ? b[i].what : "(nothing)";
    std::string why = what_a != what_b ? fmt::format("sim has {}, posix has {}", what_a, what_b)
                                       : Difference(a[i].outcome, b[i].outcome);
    if (!why.empty()) {
      return fmt::format("vfs differential: after the program, {}: {}\nprogram:\n{}", what_a, why,
                         walcrash::fuzz::ProgramText(program));
    }
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Program program = walcrash::fuzz::DecodeProgram(std::span<const uint8_t>(data, size));
  // Reported after RunBoth returned, so the temporary directory is gone even
  // when libFuzzer's abort follows.
  if (std::optional<std::string> finding = RunBoth(program)) walcrash::fuzz::ReportFinding(*finding);
  return 0;
}
