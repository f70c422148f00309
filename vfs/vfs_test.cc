// The backend-independent parts of vfs.h: flags, paths, helpers.
#include "vfs/vfs.h"

#include <gtest/gtest.h>

#include "vfs/sim_vfs.h"
#include "vfs/vfs_test_util.h"

namespace walcrash::vfs {
namespace {

TEST(VfsTest, OpenFlagsWithoutAMeaningAreRejected) {
  EXPECT_OK(ValidateOpenFlags(kRead, "/a"));
  EXPECT_OK(ValidateOpenFlags(kWrite | kCreate | kExclusive, "/a"));
  EXPECT_CODE(ValidateOpenFlags(OpenFlags{}, "/a"), Code::kInvalidArgument);
  EXPECT_CODE(ValidateOpenFlags(kRead | kTruncate, "/a"), Code::kInvalidArgument);
  EXPECT_CODE(ValidateOpenFlags(kRead | kAppend, "/a"), Code::kInvalidArgument);
  EXPECT_CODE(ValidateOpenFlags(kWrite | kExclusive, "/a"), Code::kInvalidArgument);
  EXPECT_EQ(ValidateOpenFlags(OpenFlags{}, "/a").path(), "/a");
}

TEST(VfsTest, PathHelpersSplitAndJoin) {
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
  EXPECT_EQ(JoinPath("/a/", "/b"), "/a/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
  EXPECT_EQ(ParentPath("/a/b"), "/a");
  EXPECT_EQ(ParentPath("/a"), "/");
  EXPECT_EQ(ParentPath("a"), "");
  EXPECT_EQ(BaseName("/a/b.wal"), "b.wal");
  EXPECT_EQ(BaseName("b"), "b");
}

TEST(VfsTest, RemoveAllRemovesANestedTree) {
  SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/t"));
  ASSERT_OK(vfs.Mkdir("/t/a"));
  ASSERT_OK(vfs.Mkdir("/t/a/b"));
  ASSERT_OK(WriteWholeFile(vfs, "/t/a/b/f", "x"));
  ASSERT_OK(WriteWholeFile(vfs, "/t/g", "y"));
  ASSERT_OK(vfs.RemoveAll("/t"));
  EXPECT_FALSE(*vfs.Exists("/t"));
  ASSERT_OK(WriteWholeFile(vfs, "/file", "z"));
  ASSERT_OK(vfs.RemoveAll("/file"));
  EXPECT_FALSE(*vfs.Exists("/file"));
}

TEST(VfsTest, RemoveAllStopsAtTheFirstError) {
  SimVfs vfs;
  ASSERT_OK(vfs.Mkdir("/t"));
  ASSERT_OK(WriteWholeFile(vfs, "/t/f", "x"));
  vfs.SetFaultPlan(FaultPlan::Parse("unlink * errno=EACCES").value());
  EXPECT_CODE(vfs.RemoveAll("/t"), Code::kPermissionDenied);
  vfs.SetFaultPlan({});
  EXPECT_TRUE(*vfs.Exists("/t/f"));
}

TEST(VfsTest, WholeFileHelpersRoundTrip) {
  SimVfs vfs;
  ASSERT_OK(WriteWholeFile(vfs, "/f", "first"));
  ASSERT_OK(WriteWholeFile(vfs, "/f", "2nd"));
  EXPECT_EQ(*ReadWholeFile(vfs, "/f"), "2nd");
  EXPECT_CODE(ReadWholeFile(vfs, "/none"), Code::kNotFound);
}

}  // namespace
}  // namespace walcrash::vfs
