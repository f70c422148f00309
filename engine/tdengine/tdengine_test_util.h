// Test helpers for the TDengine WAL engine's unit tests (test-only).
//
// Every test runs on SimVfs with its own FsyncService in kManual mode (no
// thread), so fsyncs happen only where the test says; the thread mode has
// its own tests in fsync_service_test.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tdengine/fsync_service.h"
#include "engine/tdengine/wal.h"
#include "engine/tdengine/wal_head.h"
#include "engine/tdengine/wal_name.h"
#include "vfs/fault_plan.h"
#include "vfs/sim_vfs.h"
#include "vfs/vfs.h"
#include "vfs/vfs_test_util.h"

namespace walcrash::tdengine::testing {

using vfs::testing::HasCode;
using vfs::testing::Names;
using vfs::testing::SyncDir;
using vfs::testing::WriteDurably;

inline constexpr std::string_view kDir = "/wal";

inline WalOptions Options(FsyncService& service, bool strict = false, Level level = Level::kFsync,
                          int32_t period_ms = 0) {
  WalOptions o;
  o.config.level = level;
  o.config.fsync_period_ms = period_ms;
  o.strict = strict;
  o.fsync_service = &service;
  return o;
}

inline std::unique_ptr<Wal> MustOpen(vfs::Vfs& vfs, const WalOptions& o, std::string_view dir = kDir) {
  auto w = Wal::Open(vfs, std::string(dir), o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(w).value() : nullptr;
}

// `dir` made and made durable, as a directory that has been there a while.
inline void DurableDir(vfs::SimVfs& vfs, std::string_view dir = kDir) {
  ASSERT_OK(vfs.Mkdir(dir));
  SyncDir(vfs, "/");
}

// A SimVfs and a manual FsyncService: what most tests run on, as a fixture
// (SimWalTest) or, where a loop wants a fresh pair each time, as a local.
// The service is declared after the SimVfs, so it dies first; every WAL over
// them must die before both. The WALs a test opens are locals of its body,
// so they do; a WAL member added here would have to be declared after
// `service`, since the service asserts that no WAL is registered when it dies.
struct SimWal {
  vfs::SimVfs vfs;
  FsyncService service{FsyncService::Mode::kManual};

  std::unique_ptr<Wal> OpenWal(const WalOptions& o, std::string_view dir = kDir) { return MustOpen(vfs, o, dir); }
  std::unique_ptr<Wal> OpenWal() { return OpenWal(Options(service)); }

  // Open, then Renew (wal1 in an empty directory); nullptr when either fails.
  std::unique_ptr<Wal> OpenRenewed(const WalOptions& o) {
    auto w = OpenWal(o);
    if (!w) return nullptr;
    Status renewed = w->Renew();
    EXPECT_TRUE(renewed.ok()) << renewed.ToString();
    return renewed.ok() ? std::move(w) : nullptr;
  }
  std::unique_ptr<Wal> OpenRenewed() { return OpenRenewed(Options(service)); }
};

class SimWalTest : public ::testing::Test, public SimWal {};

inline std::string WalPath(int64_t id, std::string_view dir = kDir) { return vfs::JoinPath(dir, FileName(id)); }

// The bytes walWrite writes for version `v` (msgType 1, sver 2).
inline std::string Rec(uint64_t v, std::string_view body, int8_t msg_type = 1, int8_t sver = kCurrentSver) {
  return EncodeRecord(msg_type, v, body, sver);
}

// One record Restore handed over, copied.
struct Replayed {
  int64_t file_id = 0;
  uint64_t offset = 0;
  uint64_t version = 0;
  int8_t msg_type = 0;
  int8_t sver = 0;
  std::string body;
};

inline std::function<void(const RestoredRecord&)> Collector(std::vector<Replayed>& out) {
  return [&out](const RestoredRecord& r) {
    out.push_back(Replayed{r.file_id, r.offset, r.head.version, r.head.msg_type, r.head.sver,
                           std::string(reinterpret_cast<const char*>(r.body.data()), r.body.size())});
  };
}

inline std::vector<Replayed> MustRestore(Wal& w, RestoreReport* report = nullptr) {
  std::vector<Replayed> out;
  auto r = w.Restore(Collector(out));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (r.ok() && report) *report = std::move(r).value();
  return out;
}

inline std::vector<uint64_t> Versions(const std::vector<Replayed>& records) {
  std::vector<uint64_t> out;
  for (const Replayed& r : records) out.push_back(r.version);
  return out;
}

// What a fresh WAL over `vfs` replays (its own manual service, closed after).
inline std::vector<uint64_t> RestoredVersions(vfs::Vfs& vfs, bool strict = false, std::string_view dir = kDir) {
  FsyncService service(FsyncService::Mode::kManual);
  auto w = MustOpen(vfs, Options(service, strict), dir);
  if (!w) return {};
  std::vector<uint64_t> out = Versions(MustRestore(*w));
  EXPECT_OK(w->Close());
  return out;
}

// --- raw file surgery -----------------------------------------------------------

inline std::string ReadFile(vfs::Vfs& vfs, std::string_view path) {
  auto data = vfs::ReadWholeFile(vfs, path);
  EXPECT_TRUE(data.ok()) << data.status().ToString();
  return data.ok() ? *data : std::string();
}

inline uint64_t FileSize(vfs::Vfs& vfs, std::string_view path) {
  auto info = vfs.Stat(path);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return info.ok() ? info->size : 0;
}

inline void PutFile(vfs::Vfs& vfs, std::string_view path, std::string_view bytes) {
  ASSERT_OK(vfs::WriteWholeFile(vfs, path, bytes));
}

inline void WriteAt(vfs::Vfs& vfs, std::string_view path, uint64_t offset, std::string_view bytes) {
  auto f = vfs.Open(path, vfs::kWrite);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_OK((*f)->WriteAt(offset, vfs::AsBytes(bytes)));
  ASSERT_OK((*f)->Close());
}

inline void FlipByte(vfs::Vfs& vfs, std::string_view path, uint64_t offset) {
  std::string data = ReadFile(vfs, path);
  ASSERT_LT(offset, data.size());
  WriteAt(vfs, path, offset, std::string(1, static_cast<char>(data[static_cast<size_t>(offset)] ^ 0x5a)));
}

using vfs::testing::Hex;

inline std::string ByteString(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// --- observing the VFS ------------------------------------------------------------

inline uint64_t LastSeq(const vfs::SimVfs& vfs) {
  auto t = vfs.TraceEntries();
  return t.empty() ? 0 : t.back().seq;
}

// Calls of `op` on `path` (any path when empty) since trace seq `seq`.
inline size_t OpsSince(const vfs::SimVfs& vfs, uint64_t seq, vfs::OpKind op, std::string_view path = "") {
  size_t n = 0;
  for (const auto& e : vfs.TraceEntries()) {
    if (e.seq > seq && e.op == op && (path.empty() || e.path == path)) ++n;
  }
  return n;
}

using vfs::testing::Plan;

inline std::unique_ptr<vfs::SimVfs> Crash(const vfs::SimVfs& vfs) { return vfs::testing::StrictImage(vfs); }

// Polls `done` until it holds or `limit` passes (10 s by default here).
inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  return vfs::testing::Eventually(done, limit);
}

}  // namespace walcrash::tdengine::testing
