// VfsProgram: the byte format (dense, bounded, round trip), its text form,
// and the Machine on both backends.
#include "fuzz/vfs_program.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "common/splitmix.h"
#include "vfs/posix_vfs.h"
#include "vfs/sim_vfs.h"

namespace walcrash::fuzz {
namespace {

std::vector<uint8_t> RandomBytes(uint64_t seed, size_t size) {
  std::vector<uint8_t> out(size);
  for (auto& b : out) b = static_cast<uint8_t>(SplitMix64(seed) & 0xff);
  return out;
}

// The bytes a write of `length` bytes with `seed` stores, as text.
std::string Data(uint8_t seed, uint32_t length) {
  Call c;
  c.op = Op::kWriteAt;
  c.length = length;
  c.seed = seed;
  const std::vector<std::byte> data = WriteData(c);
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

Program MustParse(std::string_view text) {
  auto program = ParseProgram(text);
  EXPECT_TRUE(program.ok()) << program.status().ToString();
  return program.ok() ? *program : Program{};
}

// --- the byte format -----------------------------------------------------------

TEST(VfsProgramTest, DecodedProgramsRoundTripThroughBytesAndText) {
  for (uint64_t seed = 0; seed < 500; ++seed) {
    const Program p = DecodeProgram(RandomBytes(seed, static_cast<size_t>(seed % 400)));
    EXPECT_EQ(DecodeProgram(EncodeProgram(p)), p) << ProgramText(p);
    auto parsed = ParseProgram(ProgramText(p));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << ProgramText(p);
    EXPECT_EQ(*parsed, p) << ProgramText(p);
  }
}

TEST(VfsProgramTest, EveryOpDecodesFromItsOpcode) {
  for (size_t op = 0; op < kOpCount; ++op) {
    const std::vector<uint8_t> bytes = {static_cast<uint8_t>(op)};
    const Program p = DecodeProgram(bytes);
    ASSERT_EQ(p.calls.size(), 1u);
    EXPECT_EQ(static_cast<size_t>(p.calls[0].op), op);
    // The opcode wraps around.
    const std::vector<uint8_t> wrapped = {static_cast<uint8_t>(op + kOpCount)};
    EXPECT_EQ(DecodeProgram(wrapped), p);
  }
}

TEST(VfsProgramTest, DecodingIsBounded) {
  for (uint8_t fill : {uint8_t{0x00}, uint8_t{0x04}, uint8_t{0x05}, uint8_t{0xff}}) {
    const std::vector<uint8_t> bytes(100000, fill);
    const Program p = DecodeProgram(bytes);
    EXPECT_EQ(p.calls.size(), kMaxCalls);
  }
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const Program p = DecodeProgram(RandomBytes(seed, 2000));
    ASSERT_LE(p.calls.size(), kMaxCalls);
    uint64_t written = 0;
    for (const Call& c : p.calls) {
      EXPECT_LT(c.path, kPathCount);
      EXPECT_LT(c.path2, kPathCount);
      EXPECT_LE(c.length, kMaxLength);
      EXPECT_LE(c.offset, c.op == Op::kTruncate ? kMaxSize : kMaxOffset);
      EXPECT_LT(c.slot, c.op >= Op::kOpenDir && c.op <= Op::kDirClose ? kDirSlots : kFileSlots);
      if (c.op == Op::kWriteAt || c.op == Op::kAppend) written += c.length;
    }
    EXPECT_LE(written, kMaxWriteBytes);
  }
}

TEST(VfsProgramTest, WritesPastTheBudgetAreCutToWhatIsLeft) {
  // Five appends of 4096 bytes: the budget (16 KiB) holds four.
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 5; ++i) bytes.insert(bytes.end(), {static_cast<uint8_t>(Op::kAppend), 0, 0x00, 0x10, 7});
  const Program p = DecodeProgram(bytes);
  ASSERT_EQ(p.calls.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(p.calls[static_cast<size_t>(i)].length, 4096u);
  EXPECT_EQ(p.calls[4].length, 0u);
}

TEST(VfsProgramTest, GarbageAndTruncatedInputsDecode) {
  EXPECT_TRUE(DecodeProgram({}).calls.empty());
  // A write cut after its opcode: its operands read as zeros.
  const std::vector<uint8_t> cut = {static_cast<uint8_t>(Op::kWriteAt)};
  const Program p = DecodeProgram(cut);
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(CallText(p.calls[0]), "write h0 @0+0 seed 0");
  EXPECT_EQ(EncodeProgram(p).size(), 7u);  // written out in full
}

TEST(VfsProgramTest, OpenFlagsAreRepairedUnlessRaw) {
  for (unsigned byte = 0; byte < 0x80; ++byte) {
    const std::vector<uint8_t> bytes = {static_cast<uint8_t>(Op::kOpen), 0, static_cast<uint8_t>(byte), 1};
    const Call c = DecodeProgram(bytes).calls.at(0);
    EXPECT_TRUE(vfs::ValidateOpenFlags(c.flags, "a").ok()) << byte << ": " << CallText(c);
  }
  const std::vector<uint8_t> raw = {static_cast<uint8_t>(Op::kOpen), 0, 0x80 | vfs::kTruncate, 1};
  const Program p = DecodeProgram(raw);
  EXPECT_EQ(p.calls.at(0).flags, vfs::kTruncate);  // invalid, kept: the open must fail on both sides
  EXPECT_EQ(DecodeProgram(EncodeProgram(p)), p);
}

TEST(VfsProgramTest, TextNamesEveryOperandAndRejectsWhatIsNotACall) {
  const Program p = MustParse(
      "0: open h1 r|w|create|excl /d/a   # comment\n"
      "write h1 @4096+100 seed 7; append h1 +5 seed 0\n"
      "prealloc h1 @0+4096 extend\n"
      "truncate h1 to 36864\n"
      "opendir g1 /d/; rename /a /d/e/");
  ASSERT_EQ(p.calls.size(), 7u);
  EXPECT_EQ(CallText(p.calls[0]), "open h1 r|w|create|excl /d/a");
  EXPECT_EQ(p.calls[1].offset, 4096u);
  EXPECT_EQ(p.calls[1].seed, 7);
  EXPECT_EQ(p.calls[3].mode, vfs::PreallocateMode::kExtend);
  EXPECT_EQ(CallText(p.calls[5]), "opendir g1 /d/");
  EXPECT_EQ(CallText(p.calls[6]), "rename /a /d/e/");
  EXPECT_EQ(ProgramText(p).substr(0, 33), "0: open h1 r|w|create|excl /d/a\n1");
  for (const char* bad : {"open h4 r /a", "open h0 r /zz", "write h0 @32769+1 seed 0", "read h0 @0+4097",
                          "truncate h0 to 36865", "opendir h0 /d", "close h0 extra", "frobnicate /a",
                          "prealloc h0 @0+1 sideways", "open h0 r|x /a"}) {
    EXPECT_FALSE(ParseProgram(bad).ok()) << bad;
  }
  std::string too_many;
  for (size_t i = 0; i <= kMaxCalls; ++i) too_many += "stat /a\n";
  EXPECT_FALSE(ParseProgram(too_many).ok());
  EXPECT_FALSE(ParseProgram("append h0 +4096 seed 1;append h0 +4096 seed 1;append h0 +4096 seed 1;"
                            "append h0 +4096 seed 1;append h0 +1 seed 1")
                   .ok());  // past the write budget
}

TEST(VfsProgramTest, WrittenBytesAreNeverZero) {
  for (unsigned seed = 0; seed < 256; ++seed) {
    Call c;
    c.op = Op::kWriteAt;
    c.length = 600;
    c.seed = static_cast<uint8_t>(seed);
    for (std::byte b : WriteData(c)) ASSERT_NE(b, std::byte{0});
  }
}

// --- the Machine on both backends -----------------------------------------------

// A fresh directory under $TMPDIR (or /tmp), removed afterwards.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/walcrash-vfs-program-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Trace {
  std::vector<Outcome> outcomes;
  std::vector<Observation> observed;
};

Trace RunOn(vfs::Vfs& vfs, const std::string& root, const Program& p) {
  Machine m(vfs, root);
  Trace r;
  for (const Call& c : p.calls) r.outcomes.push_back(m.Run(c));
  r.observed = m.Observe();
  return r;
}

// Runs `text` on a SimVfs and on a PosixVfs; expects every outcome and the
// final observations equal; returns the SimVfs run for further checks.
Trace ExpectSameOnBothBackends(std::string_view text) {
  const Program p = MustParse(text);
  TempDir dir;
  EXPECT_FALSE(dir.path().empty());
  vfs::SimVfs sim;
  vfs::PosixVfs posix;
  Trace a = RunOn(sim, "/", p);
  Trace b = RunOn(posix, dir.path(), p);
  EXPECT_EQ(a.outcomes.size(), b.outcomes.size());
  for (size_t i = 0; i < a.outcomes.size() && i < b.outcomes.size(); ++i) {
    const Outcome& x = a.outcomes[i];
    const Outcome& y = b.outcomes[i];
    EXPECT_TRUE(x.ran == y.ran && x.code == y.code && x.error_number == y.error_number && x.value == y.value)
        << i << ": " << CallText(p.calls[i]) << ": sim " << x.Summary() << ", posix " << y.Summary();
  }
  EXPECT_EQ(a.observed.size(), b.observed.size());
  for (size_t i = 0; i < a.observed.size() && i < b.observed.size(); ++i) {
    EXPECT_EQ(a.observed[i].what, b.observed[i].what);
    EXPECT_EQ(a.observed[i].outcome.value, b.observed[i].outcome.value) << a.observed[i].what;
    EXPECT_EQ(a.observed[i].outcome.code, b.observed[i].outcome.code) << a.observed[i].what;
  }
  return a;
}

TEST(VfsProgramMachineTest, WritesReadsAndHolesAgree) {
  Trace r = ExpectSameOnBothBackends(
      "open h0 r|w|create /a\n"
      "write h0 @10+5 seed 3\n"
      "read h0 @0+20\n"
      "append h0 +3 seed 9\n"
      "size h0\n"
      "readnext h0 +8\n"
      "readnext h0 +100\n"
      "truncate h0 to 4\n"
      "prealloc h0 @0+100 extend\n"
      "prealloc h0 @0+4096 keep\n"
      "size h0\n");
  ASSERT_EQ(r.outcomes.size(), 11u);
  EXPECT_EQ(r.outcomes[2].value, std::string(10, '\0') + Data(3, 5));
  EXPECT_EQ(r.outcomes[4].value, "18");
  EXPECT_EQ(r.outcomes[5].value.size(), 8u);
  EXPECT_EQ(r.outcomes[6].value.size(), 10u);  // the cursor was at 8 of 18
  EXPECT_EQ(r.outcomes[10].value, "100");
}

TEST(VfsProgramMachineTest, NamespaceCollisionsAgree) {
  Trace r = ExpectSameOnBothBackends(
      "open h0 w|create /a\n"
      "open h1 w|create|excl /a\n"  // Exists
      "mkdir /d\n"
      "mkdir /d/e\n"
      "rmdir /d\n"                  // NotEmpty
      "open h2 r /a/x\n"            // through a file: NotDirectory
      "open h2 r /e/x\n"            // through a missing directory: NotFound
      "rename /a /d/b\n"
      "rename /d/b /d/e\n"          // a file over a directory: IsDirectory
      "unlink /d\n"                 // IsDirectory
      "list /d\n"
      "stat /d/b\n"
      "rmdir /\n");                 // refused by the Machine on both sides
  ASSERT_EQ(r.outcomes.size(), 13u);
  EXPECT_EQ(r.outcomes[1].code, Code::kExists);
  EXPECT_EQ(r.outcomes[4].code, Code::kNotEmpty);
  EXPECT_EQ(r.outcomes[5].code, Code::kNotDirectory);
  EXPECT_EQ(r.outcomes[6].code, Code::kNotFound);
  EXPECT_EQ(r.outcomes[8].code, Code::kIsDirectory);
  EXPECT_EQ(r.outcomes[9].code, Code::kIsDirectory);
  EXPECT_EQ(r.outcomes[10].value, "b/e");
  EXPECT_EQ(r.outcomes[11].value, "file 0");
  EXPECT_FALSE(r.outcomes[12].ran);
}

TEST(VfsProgramMachineTest, HandlesOfUnlinkedFilesLocksAndClosedHandlesAgree) {
  Trace r = ExpectSameOnBothBackends(
      "open h0 r|w|create /b\n"
      "append h0 +100 seed 1\n"
      "open h1 r /b\n"
      "trylock h0\n"
      "trylock h1\n"   // Locked: another handle holds it
      "lock h1\n"      // would block: not called, Locked
      "unlink /b\n"
      "read h1 @90+20\n"
      "close h0\n"
      "lock h1\n"      // free now
      "close h0\n"     // closed twice: InvalidArgument
      "size h3\n"      // never opened: not run
      "opendir g0 /\n"
      "dirsync g0\n"
      "sync h1\n");
  ASSERT_EQ(r.outcomes.size(), 15u);
  EXPECT_EQ(r.outcomes[4].code, Code::kLocked);
  EXPECT_EQ(r.outcomes[5].code, Code::kLocked);
  EXPECT_EQ(r.outcomes[7].value.size(), 10u);
  EXPECT_EQ(r.outcomes[9].code, Code::kOk);
  EXPECT_EQ(r.outcomes[10].code, Code::kInvalidArgument);
  EXPECT_FALSE(r.outcomes[11].ran);
  // The final observation reads the unlinked file through h1.
  bool saw_h1 = false;
  for (const Observation& o : r.observed) {
    if (o.what == "h1 contents") {
      saw_h1 = true;
      EXPECT_EQ(o.outcome.value.size(), 100u);
    }
  }
  EXPECT_TRUE(saw_h1);
}

TEST(VfsProgramMachineTest, ObserveWalksTheTreeInNameOrder) {
  vfs::SimVfs sim;
  Machine m(sim, "/");
  for (const char* line : {"mkdir /d", "mkdir /d/e", "open h0 w|create /d/e/a", "append h0 +3 seed 0",
                           "open h1 w|create /c"}) {
    ASSERT_TRUE(m.Run(MustParse(line).calls.at(0)).code == Code::kOk) << line;
  }
  std::vector<std::string> what;
  for (const Observation& o : m.Observe()) what.push_back(o.what);
  EXPECT_EQ(what, (std::vector<std::string>{"/", "/c", "/d", "/d/e", "/d/e/a", "h0 size", "h0 contents",
                                            "h1 size", "h1 contents"}));
}

}  // namespace
}  // namespace walcrash::fuzz
