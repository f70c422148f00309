// Base64 (RFC 4648 §4, the standard alphabet with '=' padding), as Go's
// encoding/base64.StdEncoding writes it: the encoding expected.json and
// `walcrash inspect --json` use for metadata and entry data.
//
// Decoding is strict about what a writer could have produced: the length must
// be a multiple of 4, only the alphabet may appear (no whitespace), and '='
// only as one or two final characters. Like Go's StdEncoding (and unlike its
// Strict mode) it ignores the unused low bits of the last symbol.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace walcrash::cli {

std::string Base64Encode(std::string_view bytes);

// InvalidArgument naming the first bad position ("bad base64 at offset 5:
// '*' is not in the alphabet") on malformed input.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace walcrash::cli
