// libfiu fault points on the simulated backend (the POSIX ones are tested in
// posix_vfs_test.cc).
#include "vfs/fault_points.h"

#include <fiu-control.h>

#include <cerrno>
#include <cstdint>

#include <gtest/gtest.h>

#include "vfs/sim_vfs.h"
#include "vfs/vfs_test_util.h"

namespace walcrash::vfs {
namespace {

using testing::MustOpen;

void* Errno(int e) { return reinterpret_cast<void*>(static_cast<intptr_t>(e)); }

TEST(FaultPointsTest, EveryOperationHasANamedPointPerBackend) {
  EXPECT_EQ(FaultPointName(Backend::kSim, OpKind::kSync), "walcrash/vfs/sim/sync");
  EXPECT_EQ(FaultPointName(Backend::kPosix, OpKind::kPreallocate), "walcrash/vfs/posix/preallocate");
  for (int op = 0; op < kOpKindCount; ++op) {
    auto kind = static_cast<OpKind>(op);
    EXPECT_EQ(ParseOpKind(OpKindName(kind)), kind);
  }
}

TEST(FaultPointsTest, AnEnabledSimSyncPointFailsOnceWithItsErrnoAndDropsUnsyncedData) {
  SimVfs vfs;
  testing::WriteDurably(vfs, "/a", "base;");
  auto f = MustOpen(vfs, "/a", kWrite);
  ASSERT_OK(f->Append(AsBytes("lost;")));
  ASSERT_EQ(fiu_enable("walcrash/vfs/sim/datasync", 1, Errno(ENOSPC), FIU_ONETIME), 0);
  Status s = f->DataSync();
  fiu_disable("walcrash/vfs/sim/datasync");
  EXPECT_EQ(s.code(), Code::kNoSpace);
  EXPECT_EQ(s.error_number(), ENOSPC);
  EXPECT_EQ(s.path(), "/a");
  EXPECT_OK(f->DataSync());
  EXPECT_NE(vfs.TraceText().find("libfiu"), std::string::npos);
  // A failed sync is a failed sync, whoever injected it (sim_vfs.h F1).
  EXPECT_EQ(testing::Contents(*testing::StrictImage(vfs), "/a"), "base;");
}

TEST(FaultPointsTest, AWildcardEnablesEveryPointOfABackend) {
  SimVfs vfs;
  ASSERT_EQ(fiu_enable("walcrash/vfs/sim/*", 1, nullptr, 0), 0);
  Status mk = vfs.Mkdir("/d");
  auto st = vfs.Stat("/");
  fiu_disable("walcrash/vfs/sim/*");
  EXPECT_EQ(mk.code(), Code::kIOError);
  EXPECT_EQ(mk.error_number(), EIO);
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(*vfs.Exists("/d"));
}

}  // namespace
}  // namespace walcrash::vfs
