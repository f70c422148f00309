# cmake -DWALCRASH=BIN -DREPRODUCER=FILE.json -DWORK_DIR=DIR -P tdengine_explore_strict.cmake
#
# Explores the workload of a TDengine reproducer (with its fault plan) under
# option strict=on, every model and media faults, and fails unless walcrash
# explore finds nothing (exit 0): the strict engine fixes what the reproducer
# shows the faithful one doing.
foreach(var WALCRASH REPRODUCER WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "tdengine_explore_strict.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${REPRODUCER}" json)
string(JSON lines LENGTH "${json}" workload)
if(lines EQUAL 0)
  message(FATAL_ERROR "${REPRODUCER}: an empty workload")
endif()
math(EXPR last "${lines} - 1")
set(workload "")
foreach(i RANGE ${last})
  string(JSON line GET "${json}" workload ${i})
  string(APPEND workload "${line}\n")
endforeach()
string(JSON fault_plan GET "${json}" fault_plan)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
file(WRITE "${WORK_DIR}/workload.txt" "${workload}")
set(args explore --engine tdengine --option strict=on --workload "${WORK_DIR}/workload.txt"
  --model all --media-faults --out "${WORK_DIR}/findings")
if(NOT fault_plan STREQUAL "")
  file(WRITE "${WORK_DIR}/faults.txt" "${fault_plan}")
  list(APPEND args --faults "${WORK_DIR}/faults.txt")
endif()

execute_process(COMMAND "${WALCRASH}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "walcrash explore --option strict=on on the workload of ${REPRODUCER} exited ${rc} "
                      "(0: no finding): the strict engine does not fix it")
endif()
