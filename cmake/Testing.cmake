# walcrash_test(NAME SOURCES... LABEL label DEPS targets...)
# One gtest binary; every TEST becomes its own ctest case carrying LABEL.
function(walcrash_test name)
  cmake_parse_arguments(T "" "LABEL" "SOURCES;DEPS" ${ARGN})
  if(NOT T_LABEL)
    message(FATAL_ERROR "walcrash_test(${name}) needs a LABEL")
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gmock GTest::gtest_main walcrash::warnings)
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS ${T_LABEL}
    TEST_PREFIX "${T_LABEL}.")
endfunction()
