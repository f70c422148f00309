# Warnings every target of ours compiles with; errors in CI (WALCRASH_WERROR=ON).
add_library(walcrash_warnings INTERFACE)
target_compile_options(walcrash_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(WALCRASH_WERROR)
  target_compile_options(walcrash_warnings INTERFACE -Werror)
endif()
add_library(walcrash::warnings ALIAS walcrash_warnings)
