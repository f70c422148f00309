#include "engine/tdengine/wal_head.h"

#include <bit>
#include <cassert>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "engine/crc32c.h"

namespace walcrash::tdengine {

// TDengine writes the struct as it lies in memory; the on-disk format is the
// little-endian one, which is what memcpy gives here.
static_assert(std::endian::native == std::endian::little, "the TDengine WAL format is little-endian");

namespace {

template <typename T>
void Store(HeadBytes& out, size_t at, T value) {
  std::memcpy(out.data() + at, &value, sizeof(T));
}

template <typename T>
T Load(std::span<const std::byte, kHeadBytes> in, size_t at) {
  T value;
  std::memcpy(&value, in.data() + at, sizeof(T));
  return value;
}

HeadBytes HeadWithZeroChecksum(const WalHead& head) {
  WalHead h = head;
  h.cksum = 0;
  return EncodeHead(h);
}

}  // namespace

HeadBytes EncodeHead(const WalHead& head) {
  HeadBytes out{};
  Store(out, 0, head.msg_type);
  Store(out, 1, head.sver);
  Store(out, 2, head.reserved);
  Store(out, 4, head.len);
  Store(out, 8, head.version);
  Store(out, 16, head.signature);
  Store(out, 20, head.cksum);
  return out;
}

WalHead DecodeHead(std::span<const std::byte, kHeadBytes> bytes) {
  WalHead h;
  h.msg_type = Load<int8_t>(bytes, 0);
  h.sver = Load<int8_t>(bytes, 1);
  h.reserved = Load<uint16_t>(bytes, 2);
  h.len = Load<int32_t>(bytes, 4);
  h.version = Load<uint64_t>(bytes, 8);
  h.signature = Load<uint32_t>(bytes, 16);
  h.cksum = Load<uint32_t>(bytes, 20);
  return h;
}

uint32_t RecordChecksum(const WalHead& head, std::span<const std::byte> body) {
  HeadBytes bytes = HeadWithZeroChecksum(head);
  if (head.sver == 0) return crc32c::Value(std::span<const std::byte>(bytes.data(), 20));
  return crc32c::Update(crc32c::Value(bytes), body);
}

bool HeadChecksumValid(const WalHead& head) {
  HeadBytes bytes = EncodeHead(head);
  return crc32c::Value(std::span<const std::byte>(bytes.data(), 20)) == head.cksum;
}

bool WholeChecksumValid(const WalHead& head, std::span<const std::byte> body) {
  return crc32c::Update(crc32c::Value(HeadWithZeroChecksum(head)), body) == head.cksum;
}

bool ChecksumValid(const WalHead& head, std::span<const std::byte> body) {
  return head.sver == 0 ? HeadChecksumValid(head) : WholeChecksumValid(head, body);
}

std::string EncodeRecord(int8_t msg_type, uint64_t version, std::string_view body, int8_t sver) {
  assert(body.size() <= INT32_MAX);
  WalHead head;
  head.msg_type = msg_type;
  head.sver = sver;
  head.len = static_cast<int32_t>(body.size());
  head.version = version;
  auto body_bytes = std::as_bytes(std::span<const char>(body.data(), body.size()));
  head.cksum = RecordChecksum(head, body_bytes);
  HeadBytes bytes = EncodeHead(head);
  std::string out(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  out.append(body);
  return out;
}

std::string HeadText(const WalHead& head) {
  return fmt::format("msgType {} sver {} reserved {} len {} version {} signature {:08x} cksum {:08x}", head.msg_type,
                     head.sver, head.reserved, head.len, head.version, head.signature, head.cksum);
}

}  // namespace walcrash::tdengine
