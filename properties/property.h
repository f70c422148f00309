// Running RapidCheck properties under GoogleTest with a number of cases per
// property (WALCRASH_PROP), shared by every property test.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "properties/rapidcheck_quiet.h"

WALCRASH_THIRD_PARTY_WARNINGS_OFF
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
WALCRASH_THIRD_PARTY_WARNINGS_ON


namespace walcrash::prop {


// RC_GTEST_PROP with its own number of cases. RapidCheck's default of 100
// cases is too few for these properties to reach the rare interleavings
// they are about (a typical bug shows after several hundred cases), and the
// cases are cheap, so each property sets how many it runs. RC_PARAMS still
// rules: a max_success given there wins, and seeds and "reproduce" work as
// with RC_GTEST_PROP. Sanitizer builds, ten to fifty times slower, run an
// eighth of the cases (at least `min_cases`: RapidCheck's default 100, unless
// a property whose cases are costly asks for fewer).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr int kSanitizerSlowdown = 8;  // sanitizer builds run an eighth of the cases
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr int kSanitizerSlowdown = 8;
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif

template <typename Property>
void CheckProperty(Property&& property, int cases, int min_cases = 100) {
  cases = std::max(min_cases, cases / kSanitizerSlowdown);
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  const char* env = std::getenv("RC_PARAMS");
  if (env == nullptr || std::string_view(env).find("max_success") == std::string_view::npos) {
    params.maxSuccess = cases;
  }
  const auto result = rc::detail::checkTestable(std::forward<Property>(property), metadata, params);
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream ss;
    rc::detail::printResultMessage(result, ss);
    FAIL() << ss.str() << std::endl;
  }
}

}  // namespace walcrash::prop

#define WALCRASH_PROP(Suite, Name, cases)                                              \
  void walcrash_prop_##Suite##_##Name();                                               \
  TEST(Suite, Name) { ::walcrash::prop::CheckProperty(&walcrash_prop_##Suite##_##Name, cases); } \
  void walcrash_prop_##Suite##_##Name()
