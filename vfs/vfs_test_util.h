// Test helpers shared by the vfs tests (test-only; not part of walcrash::vfs).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

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

}  // namespace walcrash::vfs::testing
