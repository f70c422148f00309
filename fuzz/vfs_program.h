// VfsProgram — a short program of vfs::Vfs calls read out of any bytes (the
// input format of fuzz_vfs_differential), and a Machine that runs one on one
// backend, recording what every call returned.
//
// Programs are dense and bounded: every byte string decodes (ByteReader reads
// zeros past the end), to at most kMaxCalls calls, whose writes store at most
// kMaxWriteBytes in all, at offsets up to kMaxOffset, so files stay small.
// DecodeProgram(EncodeProgram(p)) == p for every decoded p, and likewise
// ParseProgram(ProgramText(p)) == p, so seeds are written as text.
//
// Format: calls one after another until the input ends, each an opcode byte
// (taken modulo kOpCount, in the order of enum Op) and then its operands:
//
//   open       slot, flags, path     flags: bits 0-5 vfs::OpenFlags; with
//                                    bit 7 clear, combinations ValidateOpenFlags
//                                    rejects are repaired (trunc/append need
//                                    write, excl needs create, read when
//                                    neither), so most opens are valid; with
//                                    bit 7 set the bits are used as they are
//   close size sync datasync trylock lock unlock      slot
//                                    lock runs TryLock first: when that says
//                                    Locked, the blocking Lock is not called
//                                    (one thread would wait for ever) and the
//                                    outcome is that Locked; else it is Lock's
//   read       slot, offset u16, length u16    ReadAt (compares bytes)
//   readnext   slot, length u16                Read from the handle's cursor
//   write      slot, offset u16, length u16, seed
//   append     slot, length u16, seed
//   truncate   slot, size u16
//   prealloc   slot, mode (bit 0: 1 extend, 0 keep size), offset u16, length u16
//   opendir    dir slot, path
//   dirsync dirclose                            dir slot
//   rename     path, path
//   unlink mkdir rmdir list stat               path
//
// A slot byte is taken modulo kFileSlots (file handles h0-h3) or kDirSlots
// (directory handles g0-g1); a path byte modulo kPathCount (kPaths below);
// u16 values are little-endian, modulo their bound + 1 (offsets kMaxOffset,
// lengths kMaxLength, sizes kMaxSize). A write's length is cut to what is left
// of kMaxWriteBytes. Written bytes are a pattern of the seed that is never
// zero, so a hole or a lost write shows.
//
// Handles: open and opendir first destroy the slot's previous handle (its
// destructor closes it); close keeps the closed handle in its slot, so later
// calls exercise the closed-handle errors. A call on a slot that never held
// a handle (or whose open failed) is not run ("no handle").
//
// Threading: none; values and a single-threaded Machine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "vfs/vfs.h"

namespace walcrash::fuzz {

inline constexpr size_t kMaxCalls = 64;
inline constexpr size_t kFileSlots = 4;
inline constexpr size_t kDirSlots = 2;
inline constexpr uint32_t kMaxOffset = 32768;      // a write, read or preallocation starts here at most
inline constexpr uint32_t kMaxLength = 4096;       // one write, read or preallocation
inline constexpr uint32_t kMaxSize = kMaxOffset + kMaxLength;  // truncate's largest size
inline constexpr uint32_t kMaxWriteBytes = 16384;  // all writes and appends of a program

// The namespace: few names, so calls collide. Index 0 is the root; some paths
// lead through a missing directory ("e/x") or through what is usually a file
// ("a/x", "d/a/x"); some end in a slash ("d/", "a/"), which on Linux asks for
// a directory. No "." or ".." components (see fuzz_vfs_differential.cc).
inline constexpr size_t kPathCount = 16;
inline constexpr std::array<std::string_view, kPathCount> kPaths = {
    "",    "a",   "b",     "c",     "d",   "d/a", "d/b", "d/e",
    "d/e/a", "e", "e/x",   "a/x",   "d/a/x", "d/", "a/",  "d/e/",
};

enum class Op : uint8_t {
  kOpen, kClose, kReadAt, kRead, kWriteAt, kAppend, kSize, kTruncate, kPreallocate,
  kSync, kDataSync, kTryLock, kLock, kUnlock,
  kOpenDir, kDirSync, kDirClose,
  kRename, kUnlink, kMkdir, kRmdir, kList, kStat,
};
inline constexpr size_t kOpCount = static_cast<size_t>(Op::kStat) + 1;

// "open", "read", "readnext", ... (the words of CallText).
std::string_view OpName(Op op);

struct Call {
  Op op = Op::kStat;
  uint8_t slot = 0;   // file slot (h0-h3) or directory slot (g0-g1)
  uint8_t path = 0;   // index into kPaths
  uint8_t path2 = 0;  // rename's destination
  vfs::OpenFlags flags{};
  uint32_t offset = 0;  // read, write, preallocate; truncate: the new size
  uint32_t length = 0;  // read, write, append, preallocate
  uint8_t seed = 0;     // write, append: the data pattern
  vfs::PreallocateMode mode = vfs::PreallocateMode::kKeepSize;
  friend bool operator==(const Call&, const Call&) = default;
};

struct Program {
  std::vector<Call> calls;
  friend bool operator==(const Program&, const Program&) = default;
};

Program DecodeProgram(std::span<const uint8_t> bytes);
// Bytes that decode to `program` (for any program Decode returns). Fields a
// call's op does not use are not written.
std::vector<uint8_t> EncodeProgram(const Program& program);

// "write h1 @4096+100 seed 7", "rename /a /d/b", "open h0 r|w|create /d/a".
// Paths print as SimVfs spells them: "/" for the root.
std::string CallText(const Call& call);
// One line per call: "3: write h1 @4096+100 seed 7".
std::string ProgramText(const Program& program);
// Reads CallText lines (an "N:" prefix is optional; ';' also separates calls;
// '#' starts a comment). InvalidArgument names the first line it cannot read.
Result<Program> ParseProgram(std::string_view text);

// The bytes a write or append of `call` stores (never a zero byte).
std::vector<std::byte> WriteData(const Call& call);

// What one call returned on one backend. `value` is what a successful call
// produced (bytes read, a size, sorted names joined by '/', "file 12"); the
// message is the error's text, which names backend-specific paths.
struct Outcome {
  Code code = Code::kOk;
  int error_number = 0;
  std::string value;
  std::string message;
  bool ran = true;  // false: not run (no handle in the slot, or Machine refused it)

  // "OK 12", "NotFound (errno 2)", "not run: no handle".
  std::string Summary() const;
};

// One thing Observe() looked at: a path under the root ("/d/a") or an open
// handle ("h2"), and what reading it gave.
struct Observation {
  std::string what;
  Outcome outcome;
};

// Runs calls on one backend. Paths are spelled under `root`: for SimVfs "/",
// for PosixVfs the directory the run owns. REQUIRES: `vfs` outlives the
// Machine (its handles are destroyed with it).
class Machine {
 public:
  Machine(vfs::Vfs& vfs, std::string root);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // The path kPaths[index] spelled for this backend.
  std::string Spell(uint8_t index) const;

  // Runs one call. Refuses (ran = false) a call that would remove or rename
  // the root itself: under PosixVfs the root is a temporary directory the run
  // must keep, not the filesystem's "/".
  Outcome Run(const Call& call);

  // Everything the backend shows now: every entry under the root (kind and
  // size; a file's contents), depth-first in name order, then each file slot
  // holding a handle (its size and contents through the handle, which sees
  // an unlinked file too). Bounded by the namespace: depth 8, 256 entries.
  std::vector<Observation> Observe();

 private:
  Outcome FileCall(const Call& call);
  Outcome DirCall(const Call& call);
  Outcome PathCall(const Call& call);

  vfs::Vfs& vfs_;
  std::string root_;
  std::array<std::unique_ptr<vfs::File>, kFileSlots> files_;
  std::array<std::unique_ptr<vfs::Directory>, kDirSlots> dirs_;
};

}  // namespace walcrash::fuzz
