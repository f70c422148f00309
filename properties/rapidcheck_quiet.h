// RapidCheck's headers, included with the warnings walcrash turns into
// errors silenced (they are RapidCheck's, not ours). Every property file
// includes RapidCheck through this header; one that needs more of its
// headers (rapidcheck/gtest.h) wraps them in the same two macros.
#pragma once

#define WALCRASH_THIRD_PARTY_WARNINGS_OFF                      \
  _Pragma("GCC diagnostic push")                               \
  _Pragma("GCC diagnostic ignored \"-Wconversion\"")           \
  _Pragma("GCC diagnostic ignored \"-Wsign-conversion\"")      \
  _Pragma("GCC diagnostic ignored \"-Wold-style-cast\"")       \
  _Pragma("GCC diagnostic ignored \"-Wshadow\"")               \
  _Pragma("GCC diagnostic ignored \"-Wnull-dereference\"")     \
  _Pragma("GCC diagnostic ignored \"-Wdouble-promotion\"")     \
  _Pragma("GCC diagnostic ignored \"-Wpedantic\"")             \
  _Pragma("GCC diagnostic ignored \"-Wunused-parameter\"")     \
  _Pragma("GCC diagnostic ignored \"-Woverloaded-virtual\"")   \
  _Pragma("GCC diagnostic ignored \"-Wnon-virtual-dtor\"")
#define WALCRASH_THIRD_PARTY_WARNINGS_ON _Pragma("GCC diagnostic pop")

WALCRASH_THIRD_PARTY_WARNINGS_OFF
#include <rapidcheck.h>
#include <rapidcheck/state.h>
WALCRASH_THIRD_PARTY_WARNINGS_ON
