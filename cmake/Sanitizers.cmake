# Applies WALCRASH_SANITIZE to every target (ours and the tests), so a preset
# selects ASan+UBSan or TSan once.
if(WALCRASH_SANITIZE)
  list(JOIN WALCRASH_SANITIZE "," _walcrash_san)
  add_compile_options(-fsanitize=${_walcrash_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_walcrash_san})
endif()
if(WALCRASH_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "WALCRASH_BUILD_FUZZ needs clang (libFuzzer)")
  endif()
  # Instrument everything for coverage; fuzz targets link the driver themselves.
  # OSS-Fuzz passes its own instrumentation in CFLAGS/CXXFLAGS (and an engine
  # that may not be libFuzzer): ci/oss-fuzz/build.sh turns this off.
  option(WALCRASH_FUZZ_INSTRUMENT "Compile with -fsanitize=fuzzer-no-link" ON)
  if(WALCRASH_FUZZ_INSTRUMENT)
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
endif()
