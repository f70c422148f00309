// fuzz_canary — a target with a planted bug that libFuzzer must find fast.
//
// If the build lost its coverage instrumentation, or the driver stopped
// reporting findings, this target would run clean: ci/fuzz treats a clean
// canary run as a failure. The planted bug hides behind a 4-byte magic and a
// length check, which libFuzzer's comparison tracing solves in seconds, not by
// blind luck (2^-32 per input).
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/byte_reader.h"
#include "fuzz/finding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  walcrash::ByteReader in(std::span<const uint8_t>(data, size));
  if (in.U32() != 0x21'4c'41'57u) return 0;  // "WAL!"
  const uint8_t length = in.Byte();
  WALCRASH_FUZZ_CHECK(length < 0xf0 || in.remaining() < 4,
                      "canary: the planted bug (length byte {:#x} with {} bytes after it)", length, in.remaining());
  return 0;
}
