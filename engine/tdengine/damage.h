// Damage — telling a torn write from corruption in a TDengine WAL file, for
// the strict engine's restore (file_restore.h).
//
// TDengine's format has no per-sector marks, so the evidence is the bytes:
//   - a write that never fully reached the disk leaves pieces of the record
//     (its overlap with a 512-byte sector) reading as zeros, or a record cut
//     short by the end of the file;
//   - a flipped bit leaves the record whole: the CRC-32C syndrome (the
//     computed checksum XOR the stored one) then points at exactly one bit,
//     found in O(8 * length) steps by running a one-bit error through the
//     CRC register, or the record checks once its length field is corrected.
// A one-bit explanation inside a zero piece is a tear; outside every zero
// piece it is corruption, even if some field of the record (a term's high
// bytes, the reserved bytes) happens to be zeros.
//
// Tears are taken to be whole sectors (a disk writes a 512-byte sector
// whole or not at all; SimVfs tears at sector pieces). Zeros from the middle
// of a sector piece to the end of the file are not a tear here: on such a
// disk they are indistinguishable from a flipped bit that zeroed the last
// byte, and reading them as a tear would silently drop a durable record.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace walcrash::tdengine {

enum class Damage : unsigned char { kTorn, kCorrupt };

// The damage at `pos` (where no valid record starts), given the next valid
// record at `next` (nullopt: none up to the end of `bytes`).
Damage ClassifyDamage(std::span<const std::byte> bytes, uint64_t pos, std::optional<uint64_t> next);

// The file offset of the one bit whose flip makes the record at `pos` check
// (head with its stored length, sver >= 1 checksum), or nullopt.
std::optional<uint64_t> SingleBitErrorAt(std::span<const std::byte> bytes, uint64_t pos);

}  // namespace walcrash::tdengine
