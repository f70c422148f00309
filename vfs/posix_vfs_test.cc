#include "vfs/posix_vfs.h"

#include <fiu-control.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace walcrash::vfs {
namespace {

using namespace std::chrono_literals;

MutableBytes AsMutable(std::string& s) {
  return {reinterpret_cast<std::byte*>(s.data()), s.size()};
}

// A fresh directory under $TMPDIR (or /tmp) per test, removed afterwards.
class PosixVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
    std::string pattern = JoinPath(base, "walcrash-posix-vfs-XXXXXX");
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    ASSERT_NE(::mkdtemp(buf.data()), nullptr) << "mkdtemp " << pattern << " errno " << errno;
    dir_ = buf.data();
  }

  void TearDown() override {
    if (dir_.empty()) return;
    Status s = vfs_.RemoveAll(dir_);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  std::string P(std::string_view name) const { return JoinPath(dir_, name); }

  void Write(std::string_view name, std::string_view contents) {
    ASSERT_TRUE(WriteWholeFile(vfs_, P(name), contents).ok());
  }

  std::string Read(std::string_view name) {
    auto r = ReadWholeFile(vfs_, P(name));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::string("<error>");
  }

  std::unique_ptr<File> OpenOk(std::string_view name, OpenFlags flags) {
    auto r = vfs_.Open(P(name), flags);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  bool Exists(std::string_view name) {
    auto r = vfs_.Exists(P(name));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }

  PosixVfs vfs_;
  std::string dir_;
};

TEST_F(PosixVfsTest, NameIsPosix) { EXPECT_EQ(vfs_.name(), "posix"); }

// --- Open flags ---

TEST_F(PosixVfsTest, OpenMissingWithoutCreateIsNotFound) {
  auto r = vfs_.Open(P("missing"), kRead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  EXPECT_EQ(r.error().error_number(), ENOENT);
  EXPECT_EQ(r.error().path(), P("missing"));
}

TEST_F(PosixVfsTest, CreateMakesEmptyFile) {
  auto f = OpenOk("new", kWrite | kCreate);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->path(), P("new"));
  auto size = f->Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 0u);
  ASSERT_TRUE(f->Close().ok());
  auto info = vfs_.Stat(P("new"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(*info, (FileInfo{0, FileKind::kRegular}));
}

TEST_F(PosixVfsTest, ExclusiveCreateOfExistingFileIsExists) {
  Write("f", "abc");
  auto r = vfs_.Open(P("f"), kWrite | kCreate | kExclusive);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kExists);
  EXPECT_EQ(Read("f"), "abc");
}

TEST_F(PosixVfsTest, ExclusiveCreateOfMissingFileSucceeds) {
  auto f = OpenOk("f", kWrite | kCreate | kExclusive);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->Close().ok());
  EXPECT_TRUE(Exists("f"));
}

TEST_F(PosixVfsTest, OpenWithoutTruncateKeepsContents) {
  Write("f", "hello");
  auto f = OpenOk("f", kRead | kWrite | kCreate);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->WriteAt(0, AsBytes("J")).ok());
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), "Jello");
}

TEST_F(PosixVfsTest, TruncateOnOpenEmptiesFile) {
  Write("f", "hello");
  auto f = OpenOk("f", kWrite | kTruncate);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), "");
}

TEST_F(PosixVfsTest, InvalidOpenFlagsAreInvalidArgument) {
  Write("f", "x");
  for (OpenFlags flags : {static_cast<OpenFlags>(0), kRead | kTruncate, kRead | kAppend,
                          kWrite | kExclusive}) {
    auto r = vfs_.Open(P("f"), flags);
    ASSERT_FALSE(r.ok()) << "flags " << static_cast<unsigned>(flags);
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  }
  EXPECT_EQ(Read("f"), "x");
}

TEST_F(PosixVfsTest, OpenDirectoryAsFileIsIsDirectory) {
  ASSERT_TRUE(vfs_.Mkdir(P("d")).ok());
  for (OpenFlags flags : {kRead, kWrite, kRead | kWrite, kRead | kCreate, kWrite | kCreate}) {
    auto r = vfs_.Open(P("d"), flags);
    ASSERT_FALSE(r.ok()) << "flags " << static_cast<unsigned>(flags);
    EXPECT_EQ(r.error().code(), Code::kIsDirectory) << r.error().ToString();
    EXPECT_EQ(r.error().error_number(), EISDIR);
    EXPECT_EQ(r.error().path(), P("d"));
  }
}

TEST_F(PosixVfsTest, PathWithNulIsInvalidArgument) {
  std::string bad = P("a");
  bad.push_back('\0');
  bad += "b";
  auto r = vfs_.Open(bad, kWrite | kCreate);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(Exists("a"));
}

// --- Reads ---

TEST_F(PosixVfsTest, ReadAtIsShortAtEndOfFileAndZeroPastIt) {
  Write("f", "0123456789");
  auto f = OpenOk("f", kRead);
  ASSERT_NE(f, nullptr);
  std::string buf(4, '.');
  auto n = f->ReadAt(2, AsMutable(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(buf, "2345");
  buf.assign(4, '.');
  n = f->ReadAt(8, AsMutable(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(buf.substr(0, 2), "89");
  n = f->ReadAt(10, AsMutable(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  n = f->ReadAt(1000, AsMutable(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_F(PosixVfsTest, ReadAdvancesCursorFromStart) {
  Write("f", "abcdefg");
  auto f = OpenOk("f", kRead);
  ASSERT_NE(f, nullptr);
  std::string buf(3, '.');
  auto n = f->Read(AsMutable(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(buf, "abc");
  n = f->Read(AsMutable(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(buf, "def");
  // ReadAt does not move the cursor.
  n = f->ReadAt(0, AsMutable(buf));
  ASSERT_TRUE(n.ok());
  n = f->Read(AsMutable(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(buf[0], 'g');
  n = f->Read(AsMutable(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_F(PosixVfsTest, ReadOnWriteOnlyHandleIsInvalidArgument) {
  auto f = OpenOk("f", kWrite | kCreate);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->WriteAt(0, AsBytes("data")).ok());
  std::string buf(4, '.');
  auto n = f->ReadAt(0, AsMutable(buf));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(n.error().error_number(), EBADF);
  EXPECT_EQ(n.error().path(), P("f"));
  n = f->Read(AsMutable(buf));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(n.error().error_number(), EBADF);
}

// --- Writes ---

TEST_F(PosixVfsTest, WriteOnReadOnlyHandleIsInvalidArgument) {
  Write("f", "abc");
  auto f = OpenOk("f", kRead);
  ASSERT_NE(f, nullptr);
  for (Status s : {f->WriteAt(0, AsBytes("x")), f->Append(AsBytes("x")), f->Truncate(0),
                   f->Preallocate(0, 10, PreallocateMode::kExtend)}) {
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
    EXPECT_EQ(s.error_number(), EBADF);
  }
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), "abc");
}

TEST_F(PosixVfsTest, WriteAtPastEndLeavesGapReadingZeros) {
  auto f = OpenOk("f", kRead | kWrite | kCreate);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->WriteAt(0, AsBytes("ab")).ok());
  ASSERT_TRUE(f->WriteAt(6, AsBytes("cd")).ok());
  auto size = f->Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 8u);
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), std::string("ab\0\0\0\0cd", 8));
}

TEST_F(PosixVfsTest, WriteAtOverwritesInPlace) {
  Write("f", "aaaaaa");
  auto f = OpenOk("f", kWrite);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->WriteAt(2, AsBytes("bb")).ok());
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), "aabbaa");
}

TEST_F(PosixVfsTest, WriteAtOnAppendHandleIsInvalidArgument) {
  Write("f", "abc");
  auto f = OpenOk("f", kWrite | kAppend);
  ASSERT_NE(f, nullptr);
  Status s = f->WriteAt(0, AsBytes("x"));
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.error_number(), EINVAL);
  EXPECT_EQ(s.path(), P("f"));
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), "abc");
}

TEST_F(PosixVfsTest, AppendHandleWritesAtEnd) {
  Write("f", "abc");
  auto f = OpenOk("f", kWrite | kAppend);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Append(AsBytes("de")).ok());
  ASSERT_TRUE(f->Append(AsBytes("f")).ok());
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), "abcdef");
}

TEST_F(PosixVfsTest, AppendWithoutAppendFlagWritesAtEnd) {
  Write("f", "abc");
  auto f = OpenOk("f", kWrite);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Append(AsBytes("de")).ok());
  ASSERT_TRUE(f->WriteAt(0, AsBytes("A")).ok());
  ASSERT_TRUE(f->Append(AsBytes("f")).ok());
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), "Abcdef");
}

TEST_F(PosixVfsTest, AppendSeesWritesFromOtherHandles) {
  auto a = OpenOk("f", kWrite | kCreate);
  auto b = OpenOk("f", kWrite | kAppend);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->Append(AsBytes("1")).ok());
  ASSERT_TRUE(b->Append(AsBytes("2")).ok());
  ASSERT_TRUE(a->Append(AsBytes("3")).ok());
  ASSERT_TRUE(a->Close().ok());
  ASSERT_TRUE(b->Close().ok());
  EXPECT_EQ(Read("f"), "123");
}

// --- Size, Truncate, Preallocate ---

TEST_F(PosixVfsTest, TruncateGrowsWithZerosAndShrinks) {
  Write("f", "abcdef");
  auto f = OpenOk("f", kRead | kWrite);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Truncate(3).ok());
  auto size = f->Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 3u);
  ASSERT_TRUE(f->Truncate(6).ok());
  size = f->Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 6u);
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), std::string("abc\0\0\0", 6));
}

TEST_F(PosixVfsTest, PreallocateKeepSizeDoesNotChangeSize) {
  Write("f", "abc");
  auto f = OpenOk("f", kRead | kWrite);
  ASSERT_NE(f, nullptr);
  Status s = f->Preallocate(0, 1 << 20, PreallocateMode::kKeepSize);
  if (s.code() == Code::kNotSupported) {
    GTEST_SKIP() << "filesystem lacks fallocate: " << s.ToString();
  }
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto size = f->Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 3u);
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), "abc");
}

TEST_F(PosixVfsTest, PreallocateExtendGrowsSizeWithZeros) {
  Write("f", "abc");
  auto f = OpenOk("f", kRead | kWrite);
  ASSERT_NE(f, nullptr);
  Status s = f->Preallocate(2, 8, PreallocateMode::kExtend);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto size = f->Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 10u);
  // A range inside the file leaves the size alone.
  ASSERT_TRUE(f->Preallocate(0, 4, PreallocateMode::kExtend).ok());
  size = f->Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 10u);
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), std::string("abc\0\0\0\0\0\0\0", 10));
}

TEST_F(PosixVfsTest, PreallocateZeroLengthIsInvalidArgument) {
  auto f = OpenOk("f", kWrite | kCreate);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->Preallocate(0, 0, PreallocateMode::kExtend).code(), Code::kInvalidArgument);
  EXPECT_EQ(f->Preallocate(0, 0, PreallocateMode::kKeepSize).code(), Code::kInvalidArgument);
}

// --- Sync ---

TEST_F(PosixVfsTest, SyncDataSyncAndDirectorySyncSucceed) {
  auto f = OpenOk("f", kWrite | kCreate);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Append(AsBytes("data")).ok());
  EXPECT_TRUE(f->Sync().ok());
  EXPECT_TRUE(f->DataSync().ok());
  EXPECT_TRUE(f->Close().ok());
  auto d = vfs_.OpenDirectory(dir_);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)->path(), dir_);
  EXPECT_TRUE((*d)->Sync().ok());
  EXPECT_TRUE((*d)->Close().ok());
}

TEST_F(PosixVfsTest, OpenDirectoryOnFileIsNotDirectory) {
  Write("f", "x");
  auto d = vfs_.OpenDirectory(P("f"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), Code::kNotDirectory);
  d = vfs_.OpenDirectory(P("missing"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), Code::kNotFound);
}

// --- Namespace ---

TEST_F(PosixVfsTest, RenameReplacesExistingFile) {
  Write("a", "new");
  Write("b", "old");
  ASSERT_TRUE(vfs_.Rename(P("a"), P("b")).ok());
  EXPECT_FALSE(Exists("a"));
  EXPECT_EQ(Read("b"), "new");
}

TEST_F(PosixVfsTest, RenameToItselfDoesNothing) {
  Write("a", "x");
  ASSERT_TRUE(vfs_.Rename(P("a"), P("a")).ok());
  EXPECT_EQ(Read("a"), "x");
}

TEST_F(PosixVfsTest, RenameMissingIsNotFound) {
  Status s = vfs_.Rename(P("missing"), P("b"));
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.path(), P("missing"));
}

TEST_F(PosixVfsTest, RenameDirectoryOverEmptyDirectoryReplacesIt) {
  ASSERT_TRUE(vfs_.Mkdir(P("a")).ok());
  Write("a/x", "1");
  ASSERT_TRUE(vfs_.Mkdir(P("b")).ok());
  ASSERT_TRUE(vfs_.Rename(P("a"), P("b")).ok());
  EXPECT_FALSE(Exists("a"));
  EXPECT_EQ(Read("b/x"), "1");
}

TEST_F(PosixVfsTest, RenameOverNonEmptyDirectoryIsNotEmpty) {
  ASSERT_TRUE(vfs_.Mkdir(P("a")).ok());
  ASSERT_TRUE(vfs_.Mkdir(P("b")).ok());
  Write("b/x", "1");
  Status s = vfs_.Rename(P("a"), P("b"));
  EXPECT_EQ(s.code(), Code::kNotEmpty) << s.ToString();
  EXPECT_TRUE(Exists("a"));
  EXPECT_EQ(Read("b/x"), "1");
}

// The reference for SimVfsTest.ATrailingSlashAsksForADirectoryAsOnLinux:
// Linux takes "name/" as a request for a directory.
TEST_F(PosixVfsTest, ATrailingSlashAsksForADirectory) {
  ASSERT_TRUE(vfs_.Mkdir(P("d")).ok());
  Write("d/a", "x");
  EXPECT_EQ(vfs_.Stat(P("d/a/")).status().code(), Code::kNotDirectory);
  EXPECT_EQ(vfs_.Open(P("d/a/"), kRead).status().code(), Code::kNotDirectory);
  EXPECT_EQ(vfs_.Unlink(P("d/a/")).code(), Code::kNotDirectory);
  EXPECT_EQ(vfs_.Rmdir(P("d/a/")).code(), Code::kNotDirectory);
  EXPECT_EQ(vfs_.Rename(P("d/a/"), P("d/b")).code(), Code::kNotDirectory);
  EXPECT_EQ(vfs_.Rename(P("d/a"), P("d/b/")).code(), Code::kNotDirectory);
  EXPECT_EQ(vfs_.Rename(P("d/a"), P("d/a/")).code(), Code::kNotDirectory);
  EXPECT_EQ(vfs_.Rename(P("d/none/"), P("d/b")).code(), Code::kNotFound);
  EXPECT_EQ(vfs_.Mkdir(P("d/a/")).code(), Code::kExists);
  EXPECT_EQ(vfs_.Open(P("d/a/"), kWrite | kCreate).status().code(), Code::kIsDirectory);
  EXPECT_EQ(vfs_.Open(P("d/a/"), kWrite | kCreate | kExclusive).status().code(), Code::kIsDirectory);
  EXPECT_EQ(vfs_.Open(P("d/new/"), kWrite | kCreate).status().code(), Code::kIsDirectory);
  EXPECT_EQ(vfs_.Unlink(P("d/new/")).code(), Code::kNotFound);
  EXPECT_FALSE(Exists("d/new"));
  EXPECT_EQ(Read("d/a"), "x");
  ASSERT_TRUE(vfs_.Mkdir(P("d/sub/")).ok());
  auto info = vfs_.Stat(P("d/sub/"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->kind, FileKind::kDirectory);
  EXPECT_EQ(vfs_.Open(P("d/sub/"), kRead).status().code(), Code::kIsDirectory);
  EXPECT_EQ(vfs_.Unlink(P("d/sub/")).code(), Code::kIsDirectory);
  ASSERT_TRUE(vfs_.Rename(P("d/sub/"), P("d/moved/")).ok());
  ASSERT_TRUE(vfs_.Rmdir(P("d/moved/")).ok());
  EXPECT_FALSE(Exists("d/moved"));
}

TEST_F(PosixVfsTest, UnlinkRemovesFile) {
  Write("f", "x");
  ASSERT_TRUE(vfs_.Unlink(P("f")).ok());
  EXPECT_FALSE(Exists("f"));
}

TEST_F(PosixVfsTest, UnlinkMissingIsNotFound) {
  Status s = vfs_.Unlink(P("missing"));
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.error_number(), ENOENT);
  EXPECT_EQ(s.path(), P("missing"));
}

TEST_F(PosixVfsTest, UnlinkDirectoryIsIsDirectory) {
  ASSERT_TRUE(vfs_.Mkdir(P("d")).ok());
  Status s = vfs_.Unlink(P("d"));
  EXPECT_EQ(s.code(), Code::kIsDirectory) << s.ToString();
  EXPECT_TRUE(Exists("d"));
}

TEST_F(PosixVfsTest, UnlinkedFileStaysUsableThroughOpenHandle) {
  Write("f", "abc");
  auto f = OpenOk("f", kRead | kWrite);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(vfs_.Unlink(P("f")).ok());
  ASSERT_TRUE(f->Append(AsBytes("d")).ok());
  std::string buf(8, '.');
  auto n = f->ReadAt(0, AsMutable(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(buf.substr(0, *n), "abcd");
  EXPECT_TRUE(f->Close().ok());
  EXPECT_FALSE(Exists("f"));
}

TEST_F(PosixVfsTest, MkdirExistingIsExists) {
  ASSERT_TRUE(vfs_.Mkdir(P("d")).ok());
  EXPECT_EQ(vfs_.Mkdir(P("d")).code(), Code::kExists);
  Write("f", "x");
  EXPECT_EQ(vfs_.Mkdir(P("f")).code(), Code::kExists);
}

TEST_F(PosixVfsTest, MkdirUnderMissingParentIsNotFound) {
  EXPECT_EQ(vfs_.Mkdir(P("no/d")).code(), Code::kNotFound);
}

TEST_F(PosixVfsTest, RmdirRemovesEmptyDirectory) {
  ASSERT_TRUE(vfs_.Mkdir(P("d")).ok());
  ASSERT_TRUE(vfs_.Rmdir(P("d")).ok());
  EXPECT_FALSE(Exists("d"));
}

TEST_F(PosixVfsTest, RmdirNonEmptyIsNotEmpty) {
  ASSERT_TRUE(vfs_.Mkdir(P("d")).ok());
  Write("d/f", "x");
  Status s = vfs_.Rmdir(P("d"));
  EXPECT_EQ(s.code(), Code::kNotEmpty) << s.ToString();
  EXPECT_EQ(Read("d/f"), "x");
}

TEST_F(PosixVfsTest, RmdirOnFileIsNotDirectory) {
  Write("f", "x");
  EXPECT_EQ(vfs_.Rmdir(P("f")).code(), Code::kNotDirectory);
}

TEST_F(PosixVfsTest, ListIsSortedWithoutDots) {
  Write("b", "");
  Write("a", "");
  ASSERT_TRUE(vfs_.Mkdir(P("c")).ok());
  Write("A", "");
  Write("c/inner", "");
  auto names = vfs_.List(dir_);
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"A", "a", "b", "c"}));
}

TEST_F(PosixVfsTest, ListOfEmptyDirectoryIsEmpty) {
  ASSERT_TRUE(vfs_.Mkdir(P("d")).ok());
  auto names = vfs_.List(P("d"));
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

TEST_F(PosixVfsTest, ListMissingIsNotFoundAndFileIsNotDirectory) {
  auto r = vfs_.List(P("missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  Write("f", "x");
  r = vfs_.List(P("f"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kNotDirectory);
}

TEST_F(PosixVfsTest, StatReportsKindsAndSizes) {
  Write("f", "12345");
  ASSERT_TRUE(vfs_.Mkdir(P("d")).ok());
  Write("d/x", "1");
  auto f = vfs_.Stat(P("f"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (FileInfo{5, FileKind::kRegular}));
  auto d = vfs_.Stat(P("d"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, (FileInfo{0, FileKind::kDirectory}));
  auto other = vfs_.Stat("/dev/null");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->kind, FileKind::kOther);
  auto missing = vfs_.Stat(P("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

TEST_F(PosixVfsTest, ExistsIsTrueForPresentAndFalseForMissing) {
  Write("f", "x");
  ASSERT_TRUE(vfs_.Mkdir(P("d")).ok());
  EXPECT_TRUE(Exists("f"));
  EXPECT_TRUE(Exists("d"));
  EXPECT_FALSE(Exists("missing"));
  EXPECT_FALSE(Exists("missing/child"));
}

TEST_F(PosixVfsTest, ExistsUnderFileComponentIsFalse) {
  Write("f", "x");
  EXPECT_FALSE(Exists("f/child"));
}

TEST_F(PosixVfsTest, RemoveAllRemovesTree) {
  ASSERT_TRUE(vfs_.Mkdir(P("t")).ok());
  ASSERT_TRUE(vfs_.Mkdir(P("t/a")).ok());
  ASSERT_TRUE(vfs_.Mkdir(P("t/a/b")).ok());
  ASSERT_TRUE(vfs_.Mkdir(P("t/empty")).ok());
  Write("t/f", "1");
  Write("t/a/g", "2");
  Write("t/a/b/h", "3");
  Write("keep", "k");
  ASSERT_TRUE(vfs_.RemoveAll(P("t")).ok());
  EXPECT_FALSE(Exists("t"));
  EXPECT_EQ(Read("keep"), "k");
  // A single file too.
  ASSERT_TRUE(vfs_.RemoveAll(P("keep")).ok());
  EXPECT_FALSE(Exists("keep"));
}

TEST_F(PosixVfsTest, RemoveAllOfMissingPathIsOk) {
  EXPECT_TRUE(vfs_.RemoveAll(P("missing")).ok());
  EXPECT_TRUE(vfs_.RemoveAll(P("missing/deeper")).ok());
}

// --- Locks ---

TEST_F(PosixVfsTest, TryLockConflictsBetweenHandlesAndCloseReleases) {
  Write("LOCK", "");
  auto a = OpenOk("LOCK", kRead | kWrite);
  auto b = OpenOk("LOCK", kRead | kWrite);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->TryLock().ok());
  Status s = b->TryLock();
  EXPECT_EQ(s.code(), Code::kLocked) << s.ToString();
  EXPECT_EQ(s.path(), P("LOCK"));
  ASSERT_TRUE(a->Close().ok());
  EXPECT_TRUE(b->TryLock().ok());
  EXPECT_TRUE(b->Close().ok());
}

TEST_F(PosixVfsTest, UnlockReleasesLockForOtherHandle) {
  Write("LOCK", "");
  auto a = OpenOk("LOCK", kRead);
  auto b = OpenOk("LOCK", kRead);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->Lock().ok());
  EXPECT_EQ(b->TryLock().code(), Code::kLocked);
  ASSERT_TRUE(a->Unlock().ok());
  EXPECT_TRUE(b->TryLock().ok());
  EXPECT_EQ(a->TryLock().code(), Code::kLocked);
}

TEST_F(PosixVfsTest, OpenLockedTryFailsWhileHeldAndSucceedsAfter) {
  auto holder = vfs_.OpenLocked(P("LOCK"), kWrite | kCreate, Vfs::LockWait::kTry);
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  auto second = vfs_.OpenLocked(P("LOCK"), kWrite | kCreate, Vfs::LockWait::kTry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), Code::kLocked);
  ASSERT_TRUE((*holder)->Close().ok());
  auto third = vfs_.OpenLocked(P("LOCK"), kWrite | kCreate, Vfs::LockWait::kBlock);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_TRUE((*third)->Close().ok());
}

TEST_F(PosixVfsTest, LockBlocksUntilOtherHandleUnlocks) {
  Write("LOCK", "");
  auto holder = OpenOk("LOCK", kRead | kWrite);
  auto waiter = OpenOk("LOCK", kRead | kWrite);
  ASSERT_NE(holder, nullptr);
  ASSERT_NE(waiter, nullptr);
  ASSERT_TRUE(holder->Lock().ok());

  std::atomic<bool> acquired{false};
  std::promise<Status> done;
  std::future<Status> result = done.get_future();
  std::thread thread([&] {
    Status s = waiter->Lock();
    acquired.store(true);
    done.set_value(std::move(s));
  });
  // The waiter must still be blocked while the holder keeps the lock.
  EXPECT_EQ(result.wait_for(100ms), std::future_status::timeout);
  EXPECT_FALSE(acquired.load());
  ASSERT_TRUE(holder->Unlock().ok());
  const bool ready = result.wait_for(10s) == std::future_status::ready;
  EXPECT_TRUE(ready) << "Lock did not return within 10s of Unlock";
  if (!ready) holder->Close().IgnoreError();  // last resort to unblock the thread
  thread.join();
  EXPECT_TRUE(result.get().ok());
  EXPECT_EQ(holder->TryLock().code(), Code::kLocked);
  EXPECT_TRUE(waiter->Unlock().ok());
}

// --- Closed handles ---

TEST_F(PosixVfsTest, OperationsOnClosedHandleAreInvalidArgument) {
  auto f = OpenOk("f", kRead | kWrite | kCreate);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Close().ok());
  std::string buf(4, '.');
  std::vector<Status> results;
  results.push_back(f->ReadAt(0, AsMutable(buf)).status());
  results.push_back(f->Read(AsMutable(buf)).status());
  results.push_back(f->WriteAt(0, AsBytes("x")));
  results.push_back(f->Append(AsBytes("x")));
  results.push_back(f->Size().status());
  results.push_back(f->Truncate(0));
  results.push_back(f->Preallocate(0, 1, PreallocateMode::kExtend));
  results.push_back(f->Sync());
  results.push_back(f->DataSync());
  results.push_back(f->TryLock());
  results.push_back(f->Lock());
  results.push_back(f->Unlock());
  results.push_back(f->Close());
  for (const Status& s : results) {
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
    EXPECT_EQ(s.error_number(), EBADF);
    EXPECT_EQ(s.path(), P("f"));
    EXPECT_NE(s.message().find("handle is closed"), std::string_view::npos) << s.ToString();
  }
}

TEST_F(PosixVfsTest, OperationsOnClosedDirectoryAreInvalidArgument) {
  auto d = vfs_.OpenDirectory(dir_);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->Close().ok());
  EXPECT_EQ((*d)->Sync().code(), Code::kInvalidArgument);
  EXPECT_EQ((*d)->Close().code(), Code::kInvalidArgument);
}

TEST_F(PosixVfsTest, DestroyingOpenHandleReleasesLock) {
  auto a = OpenOk("LOCK", kWrite | kCreate);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->TryLock().ok());
  a.reset();
  auto b = OpenOk("LOCK", kWrite);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->TryLock().ok());
}

// --- Helpers from vfs.h ---

TEST_F(PosixVfsTest, WholeFileRoundTrip) {
  std::string contents = "line one\nline two\n";
  contents.push_back('\0');
  contents += std::string(10000, 'z');
  ASSERT_TRUE(WriteWholeFile(vfs_, P("f"), contents).ok());
  EXPECT_EQ(Read("f"), contents);
  ASSERT_TRUE(WriteWholeFile(vfs_, P("f"), "short").ok());
  EXPECT_EQ(Read("f"), "short");
}

// --- libfiu fault points ---

TEST_F(PosixVfsTest, SyncFaultPointReportsNoSpaceOnce) {
  auto f = OpenOk("f", kWrite | kCreate);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Append(AsBytes("data")).ok());
  ASSERT_EQ(fiu_enable("walcrash/vfs/posix/sync", 1,
                       reinterpret_cast<void*>(static_cast<intptr_t>(ENOSPC)), FIU_ONETIME),
            0);
  Status s = f->Sync();
  Status again = f->Sync();
  fiu_disable("walcrash/vfs/posix/sync");
  EXPECT_EQ(s.code(), Code::kNoSpace) << s.ToString();
  EXPECT_EQ(s.error_number(), ENOSPC);
  EXPECT_EQ(s.path(), P("f"));
  EXPECT_TRUE(again.ok()) << again.ToString();
}

TEST_F(PosixVfsTest, RenameFaultPointFailsWithIOErrorAndDoesNotRename) {
  Write("a", "x");
  ASSERT_EQ(fiu_enable("walcrash/vfs/posix/rename", 1, nullptr, 0), 0);
  Status s = vfs_.Rename(P("a"), P("b"));
  fiu_disable("walcrash/vfs/posix/rename");
  EXPECT_EQ(s.code(), Code::kIOError) << s.ToString();
  EXPECT_EQ(s.error_number(), EIO);
  EXPECT_EQ(s.path(), P("a"));
  EXPECT_EQ(Read("a"), "x");
  EXPECT_FALSE(Exists("b"));
  EXPECT_TRUE(vfs_.Rename(P("a"), P("b")).ok());
  EXPECT_EQ(Read("b"), "x");
}

TEST_F(PosixVfsTest, FaultPointOfOtherBackendDoesNotFire) {
  Write("a", "x");
  ASSERT_EQ(fiu_enable("walcrash/vfs/sim/unlink", 1, nullptr, 0), 0);
  Status s = vfs_.Unlink(P("a"));
  fiu_disable("walcrash/vfs/sim/unlink");
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace
}  // namespace walcrash::vfs
