# Every dependency comes from a Debian package (ci/setup installs them); nothing
# is vendored or downloaded.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
pkg_check_modules(LIBFIU REQUIRED IMPORTED_TARGET libfiu)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
if(WALCRASH_BUILD_TESTS)
  find_package(GTest REQUIRED)       # GTest::gtest, GTest::gmock
  find_package(rapidcheck REQUIRED)  # rapidcheck, rapidcheck_gtest
endif()
if(WALCRASH_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
