// Test helpers shared by the vfs tests (test-only; not part of walcrash::vfs).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "vfs/fault_plan.h"
#include "vfs/sim_vfs.h"
#include "vfs/vfs.h"

namespace walcrash::vfs::testing {

#define ASSERT_OK(expr)                                      \
  do {                                                       \
    ::walcrash::Status assert_ok_status_ = (expr);           \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                      \
  do {                                                       \
    ::walcrash::Status expect_ok_status_ = (expr);           \
    EXPECT_TRUE(expect_ok_status_.ok()) << expect_ok_status_.ToString(); \
  } while (0)
// Expects `expr` (a Status or Result<T>) to fail with `code`; takes << like
// any EXPECT.
#define EXPECT_CODE(expr, code) EXPECT_PRED_FORMAT2(::walcrash::vfs::testing::HasCode, expr, code)

// The code and text of a Status or a Result<T>, for EXPECT_CODE.
inline Code CodeOf(const Status& s) { return s.code(); }
template <typename T>
Code CodeOf(const Result<T>& r) { return r.status().code(); }
inline std::string TextOf(const Status& s) { return s.ToString(); }
template <typename T>
std::string TextOf(const Result<T>& r) { return r.status().ToString(); }

template <typename T>
::testing::AssertionResult HasCode(const char* expr_text, const char*, const T& result, Code code) {
  if (CodeOf(result) == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr_text << " gave " << TextOf(result) << ", want "
                                       << CodeName(code);
}

// Opens (or fails the test).
inline std::unique_ptr<File> MustOpen(Vfs& vfs, std::string_view path, OpenFlags flags) {
  auto file = vfs.Open(path, flags);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(file).value() : nullptr;
}

// The file's contents, or "<missing>" when it does not exist, or
// "<error: ...>".
inline std::string Contents(Vfs& vfs, std::string_view path) {
  auto exists = vfs.Exists(path);
  if (!exists.ok()) return "<error: " + exists.error().ToString() + ">";
  if (!*exists) return "<missing>";
  auto data = ReadWholeFile(vfs, path);
  return data.ok() ? *data : "<error: " + data.error().ToString() + ">";
}

inline std::vector<std::string> Names(Vfs& vfs, std::string_view dir) {
  auto names = vfs.List(dir);
  return names.ok() ? *names : std::vector<std::string>{"<error: " + names.error().ToString() + ">"};
}

// Creates `path` with `contents`, syncs the file and its directory: durable.
inline void WriteDurably(Vfs& vfs, std::string_view path, std::string_view contents) {
  auto file = MustOpen(vfs, path, kWrite | kCreate | kTruncate);
  ASSERT_NE(file, nullptr);
  ASSERT_OK(file->Append(AsBytes(contents)));
  ASSERT_OK(file->Sync());
  ASSERT_OK(file->Close());
  auto dir = vfs.OpenDirectory(ParentPath(path).empty() ? "/" : ParentPath(path));
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  ASSERT_OK((*dir)->Sync());
  ASSERT_OK((*dir)->Close());
}

inline void SyncDir(Vfs& vfs, std::string_view path) {
  auto dir = vfs.OpenDirectory(path);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  ASSERT_OK((*dir)->Sync());
  ASSERT_OK((*dir)->Close());
}

// The image a crash leaves when only synced state survives.
inline std::unique_ptr<SimVfs> StrictImage(const SimVfs& vfs) {
  auto image = vfs.CrashImage(CrashImageSpec{});
  EXPECT_TRUE(image.ok()) << image.status().ToString();
  return image.ok() ? std::move(image).value() : nullptr;
}

// `bytes` in lowercase hex.
inline std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

// The plan `text` parses to (or fails the test and gives an empty plan).
inline FaultPlan Plan(std::string_view text) {
  auto plan = FaultPlan::Parse(text);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : FaultPlan();
}

// Polls `done` until it holds or `limit` passes.
inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

}  // namespace walcrash::vfs::testing
