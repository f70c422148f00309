#include "common/status.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace walcrash {
namespace {

TEST(StatusTest, DefaultIsOkAndCarriesNothing) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Code::kOk);
  EXPECT_EQ(s.error_number(), 0);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeErrnoPathAndMessage) {
  Status s = Status::FromErrno(ENOSPC, "/wal/0.tmp", "preallocate 64 MiB");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNoSpace);
  EXPECT_EQ(s.error_number(), ENOSPC);
  EXPECT_EQ(s.path(), "/wal/0.tmp");
  EXPECT_EQ(s.ToString(),
            "NoSpace: /wal/0.tmp: preallocate 64 MiB (errno 28, No space left on device)");
}

TEST(StatusTest, ErrnoMapsToTheClosestCode) {
  EXPECT_EQ(Status::FromErrno(ENOENT, "", "").code(), Code::kNotFound);
  EXPECT_EQ(Status::FromErrno(EEXIST, "", "").code(), Code::kExists);
  EXPECT_EQ(Status::FromErrno(EWOULDBLOCK, "", "").code(), Code::kLocked);
  EXPECT_EQ(Status::FromErrno(EOPNOTSUPP, "", "").code(), Code::kNotSupported);
  EXPECT_EQ(Status::FromErrno(ENOTEMPTY, "", "").code(), Code::kNotEmpty);
  EXPECT_EQ(Status::FromErrno(EACCES, "", "").code(), Code::kPermissionDenied);
  EXPECT_EQ(Status::FromErrno(EIO, "", "").code(), Code::kIOError);
}

TEST(StatusTest, UpdateKeepsTheFirstError) {
  Status s;
  s.Update(Status());
  EXPECT_TRUE(s.ok());
  s.Update(Status(Code::kIOError, "a", "first"));
  s.Update(Status(Code::kNoSpace, "b", "second"));
  EXPECT_EQ(s.code(), Code::kIOError);
  EXPECT_EQ(s.message(), "first");
}

TEST(StatusTest, CopiesAreDeepAndAnnotatePrefixesTheMessage) {
  Status a(Code::kCorruption, "/x", "bad crc", 0);
  Status b = a.Annotate("segment 3");
  EXPECT_EQ(a.message(), "bad crc");
  EXPECT_EQ(b.message(), "segment 3: bad crc");
  EXPECT_EQ(b.path(), "/x");
}

TEST(StatusTest, ASubcodeSurvivesCopiesAndAnnotation) {
  Status a = Status(Code::kCorruption, "/x", "unexpected EOF").WithSubcode(7);
  EXPECT_EQ(a.subcode(), 7);
  Status b = a;
  EXPECT_EQ(b.Annotate("segment 2").subcode(), 7);
  EXPECT_EQ(Status().subcode(), 0);
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status(Code::kInvalidArgument, "", "odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  int h = 0;
  WALCRASH_ASSIGN_OR_RETURN(h, Half(x));
  return Half(h);
}

TEST(ResultTest, HoldsAValueOrAnError) {
  auto r = Quarter(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
  EXPECT_TRUE(r.status().ok());
  auto e = Quarter(6);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace walcrash
