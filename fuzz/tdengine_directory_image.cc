#include "fuzz/tdengine_directory_image.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "common/byte_reader.h"
#include "engine/tdengine/wal_head.h"
#include "engine/tdengine/wal_name.h"
#include "vfs/vfs.h"

namespace walcrash::fuzz {

namespace {

namespace td = walcrash::tdengine;
using namespace image_codec;  // NOLINT: the shared pieces of the image formats

constexpr size_t kMaxRecords = 255;
constexpr size_t kMaxU16 = 0xffff;
constexpr size_t kZeroUnit = 512;
constexpr size_t kMaxZeroUnits = 255;
constexpr uint16_t kPatternBody = 0x8000;
constexpr size_t kMaxBodyField = 0x7fff;
constexpr int8_t kSubmit = 3;
constexpr size_t kNearValidForms = 12;

enum NameKind : uint8_t { kNextFile = 0, kFile = 1, kNearValid = 2, kOther = 3, kOtherWal = 4 };
enum ContentKind : uint8_t { kRecords = 0, kRaw = 1, kDirectory = 2, kCopy = 3 };
enum Damage : uint8_t { kNone = 0, kTorn = 1, kFlipped = 2, kLyingLength = 3, kBadLength = 4, kBadChecksum = 5,
                        kGarbageFirst = 6, kLostWrite = 7 };
constexpr uint8_t kExplicitVersion = 0x20;
constexpr uint8_t kExplicitMsgType = 0x40;

struct DecodeState {
  uint64_t budget_left = kMaxTdImageBytes;
  bool have_id = false;
  int64_t last_id = 0;        // of the last name of kind 0, 1 or 5-7
  uint64_t last_version = 0;  // of the last record a records-kind entry wrote
};

int64_t NextId(const DecodeState& st) {
  return st.have_id ? static_cast<int64_t>((static_cast<uint64_t>(st.last_id) + 1) & INT64_MAX) : 1;
}

std::string DecodeName(ByteReader& in, uint8_t kind, DecodeState& st) {
  switch (kind) {
    case kFile: {
      st.last_id = static_cast<int64_t>(in.U64() & INT64_MAX);
      st.have_id = true;
      return td::FileName(st.last_id);
    }
    case kNearValid: {
      const uint8_t form = in.Byte();
      return TdNearValidName(form, in.Byte());
    }
    case kOther: return DecodeOtherName(in, kMaxTdOtherNameBytes);
    case kOtherWal: return std::string(td::kFilePrefix) + DecodeOtherName(in, kMaxTdOtherNameBytes);
    default: {  // kNextFile, 5-7
      st.last_id = NextId(st);
      st.have_id = true;
      return td::FileName(st.last_id);
    }
  }
}

int8_t SverOf(uint8_t t, ByteReader& in) {
  switch (t & 3) {
    case 0: return 2;
    case 1: return 1;
    case 2: return 0;
    default: return static_cast<int8_t>(in.Byte());
  }
}

void StoreU32(std::string& rec, size_t at, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) rec[at + i] = static_cast<char>(static_cast<uint8_t>(v >> (8 * i)));
}

td::WalHead HeadOf(std::string_view rec) {
  std::array<std::byte, td::kHeadBytes> bytes{};
  std::memcpy(bytes.data(), rec.data(), td::kHeadBytes);
  return td::DecodeHead(bytes);
}

// One record, damaged as T says; `room` bounds the body.
std::string DecodeRecord(ByteReader& in, DecodeState& st, size_t room) {
  const uint8_t t = in.Byte();
  const int8_t sver = SverOf(t, in);
  const uint64_t version = (t & kExplicitVersion) != 0 ? in.U64() : st.last_version + 1;
  const int8_t msg_type = (t & kExplicitMsgType) != 0 ? static_cast<int8_t>(in.Byte()) : kSubmit;
  const uint16_t length = in.U16();
  std::string body;
  if ((length & kPatternBody) != 0) {
    body = TdPatternBody(std::min<size_t>(length & kMaxBodyField, room), version);
  } else {
    const std::span<const uint8_t> b = in.Bytes(std::min<size_t>(length, room));
    body.assign(b.begin(), b.end());
  }
  st.last_version = version;
  std::string rec = td::EncodeRecord(msg_type, version, body, sver);
  switch ((t >> 2) & 7) {
    case kTorn: rec.resize(in.U16() % rec.size()); break;
    case kFlipped: {
      const size_t at = in.U16() % rec.size();
      const uint8_t mask = in.Byte();
      rec[at] = static_cast<char>(static_cast<uint8_t>(rec[at]) ^ (mask == 0 ? 1 : mask));
      break;
    }
    case kLyingLength: {
      td::WalHead head = HeadOf(rec);
      head.len = static_cast<int32_t>(in.U32());
      head.cksum = td::RecordChecksum(head, vfs::AsBytes(body));
      const td::HeadBytes bytes = td::EncodeHead(head);
      std::memcpy(rec.data(), bytes.data(), td::kHeadBytes);
      break;
    }
    case kBadLength: StoreU32(rec, 4, in.U32()); break;
    case kBadChecksum: StoreU32(rec, 20, HeadOf(rec).cksum ^ (1u << (in.Byte() % 32))); break;
    case kGarbageFirst: {
      const std::span<const uint8_t> g = in.Bytes(in.Byte());
      rec.insert(0, std::string(g.begin(), g.end()));
      break;
    }
    case kLostWrite: {
      const size_t from = in.U16() % rec.size();
      std::fill(rec.begin() + static_cast<std::ptrdiff_t>(from), rec.end(), '\0');
      break;
    }
    default: break;  // kNone
  }
  return rec;
}

std::string ZeroFill(ByteReader& in, size_t budget) {
  return std::string(std::min<size_t>(size_t{in.Byte()} * kZeroUnit, budget), '\0');
}

std::string DecodeRecords(ByteReader& in, DecodeState& st) {
  const uint8_t count = in.Byte();
  std::string out;
  for (unsigned i = 0; i < count && out.size() < st.budget_left; ++i) {
    out += DecodeRecord(in, st, st.budget_left - out.size());
  }
  AppendTail(in, out, st.budget_left);
  out += ZeroFill(in, st.budget_left - out.size());
  return out;
}

ImageEntry DecodeEntry(ByteReader& in, DecodeState& st, const std::vector<ImageEntry>& before) {
  const uint8_t k = in.Byte();
  ImageEntry e;
  e.name = DecodeName(in, k & 7, st);
  switch ((k >> 3) & 3) {
    case kRecords: e.contents = DecodeRecords(in, st); break;
    case kRaw: {
      const std::span<const uint8_t> b = in.Bytes(std::min<size_t>(in.U16(), st.budget_left));
      e.contents.assign(b.begin(), b.end());
      e.contents += ZeroFill(in, st.budget_left - e.contents.size());
      break;
    }
    case kDirectory: e.directory = true; break;
    default: e.contents = DecodeCopy(in, before, st.budget_left); break;  // kCopy
  }
  return e;
}

// --- encoding ---------------------------------------------------------------------

bool OtherNameExact(std::string_view name) {
  return !name.empty() && name.size() <= kMaxTdOtherNameBytes &&
         std::all_of(name.begin(), name.end(), InNameAlphabet) &&
         name.find_first_not_of('.') != std::string_view::npos;
}

// Candidate name encodings (name kind, then its bytes), best first.
Candidates NameCandidates(std::string_view name, const DecodeState& st) {
  Candidates out;
  if (std::optional<int64_t> id = td::ParseIdLikeTDengine(name); id && *id >= 0 && td::FileName(*id) == name) {
    if (*id == NextId(st)) out.emplace_back(kNextFile, "");
    std::string b;
    PutU64(b, static_cast<uint64_t>(*id));
    out.emplace_back(kFile, b);
  }
  for (unsigned form = 0; form < kNearValidForms; ++form) {
    for (unsigned i = 0; i < 256; ++i) {
      if (TdNearValidName(static_cast<uint8_t>(form), static_cast<uint8_t>(i)) == name) {
        out.emplace_back(kNearValid, std::string{static_cast<char>(form), static_cast<char>(i)});
      }
    }
  }
  if (name.starts_with(td::kFilePrefix) && OtherNameExact(name.substr(td::kFilePrefix.size()))) {
    out.emplace_back(kOtherWal, EncodeOtherName(name.substr(td::kFilePrefix.size()), kMaxTdOtherNameBytes));
  }
  out.emplace_back(kOther, EncodeOtherName(name, kMaxTdOtherNameBytes));  // exact when it fits; the lossy fallback otherwise
  return out;
}

// Trailing zero units of `contents` (at most kMaxZeroUnits), as the fill.
size_t ZeroUnits(std::string_view contents) {
  size_t zeros = 0;
  while (zeros < contents.size() && contents[contents.size() - 1 - zeros] == '\0') ++zeros;
  return std::min(zeros / kZeroUnit, kMaxZeroUnits);
}

// The records kind for `contents`: the undamaged records it starts with,
// then a tail and zeros. The caller verifies it by decoding.
std::optional<std::string> RecordsCandidate(std::string_view contents, const DecodeState& st) {
  const size_t fill = ZeroUnits(contents);
  const std::string_view body_part = contents.substr(0, contents.size() - fill * kZeroUnit);
  std::string records;
  uint64_t last_version = st.last_version;
  size_t count = 0, at = 0;
  while (count < kMaxRecords && body_part.size() - at >= td::kHeadBytes) {
    const td::WalHead head = HeadOf(body_part.substr(at));
    if (head.len < 0 || static_cast<size_t>(head.len) > kMaxBodyField ||
        body_part.size() - at - td::kHeadBytes < static_cast<size_t>(head.len)) {
      break;
    }
    const std::string_view body = body_part.substr(at + td::kHeadBytes, static_cast<size_t>(head.len));
    const size_t size = td::kHeadBytes + body.size();
    if (td::EncodeRecord(head.msg_type, head.version, body, head.sver) != body_part.substr(at, size)) break;
    uint8_t t = 0;
    std::string fields;
    switch (head.sver) {
      case 2: break;
      case 1: t |= 1; break;
      case 0: t |= 2; break;
      default: t |= 3; fields.push_back(static_cast<char>(head.sver)); break;
    }
    if (head.version != last_version + 1) {
      t |= kExplicitVersion;
      PutU64(fields, head.version);
    }
    if (head.msg_type != kSubmit) {
      t |= kExplicitMsgType;
      fields.push_back(static_cast<char>(head.msg_type));
    }
    if (body == TdPatternBody(body.size(), head.version)) {
      PutU16(fields, body.size() | kPatternBody);
    } else {
      PutU16(fields, body.size());
      fields.append(body);
    }
    records.push_back(static_cast<char>(t));
    records += fields;
    last_version = head.version;
    ++count;
    at += size;
  }
  const std::string_view tail = body_part.substr(at);
  if (tail.size() > kMaxU16) return std::nullopt;
  std::string out(1, static_cast<char>(count));
  out += records;
  PutU16(out, tail.size());
  out.append(tail);
  out.push_back(static_cast<char>(fill));
  return out;
}

std::string RawCandidate(std::string_view contents) {
  const size_t fill = ZeroUnits(contents);
  const size_t explicit_bytes = std::min(contents.size() - fill * kZeroUnit, kMaxU16);
  std::string out;
  PutU16(out, explicit_bytes);
  out.append(contents.substr(0, explicit_bytes));
  out.push_back(static_cast<char>(fill));
  return out;
}

Candidates ContentCandidates(const ImageEntry& entry, const DecodeState& st, const std::vector<ImageEntry>& before) {
  return ContentCandidatesFor(
      entry, before, kDirectory, kCopy, kRecords, kRaw, [&] { return RecordsCandidate(entry.contents, st); },
      [&] { return RawCandidate(entry.contents); });
}

}  // namespace

std::string TdNearValidName(uint8_t form, uint8_t id) {
  switch (form % kNearValidForms) {
    case 0: return fmt::format("wal0{}", id);
    case 1: return fmt::format("wal{}x", id);
    case 2: return fmt::format("wal-{}", id);
    case 3: return "walx";
    case 4: return "wal";
    case 5: return fmt::format("wal+{}", id);
    case 6: return fmt::format("wal {}", id);
    case 7: return fmt::format("WAL{}", id);
    case 8: return fmt::format("wal{}.tmp", id);
    case 9: return "wal99999999999999999999";
    case 10: return "wal-99999999999999999999";
    default: return fmt::format("wal{}", uint64_t{1'000'000'000'000'000'000} + id);
  }
}

std::string TdPatternBody(size_t size, uint64_t version) {
  std::string body(size, '\0');
  for (size_t j = 0; j < size; ++j) body[j] = static_cast<char>(static_cast<uint8_t>(j * 31 + version));
  return body;
}

uint64_t TdDirectoryImage::total_bytes() const { return TotalBytes(entries); }

DirectoryImage TdDirectoryImage::AsDirectoryImage() const {
  DirectoryImage image;
  image.entries = entries;
  return image;
}

TdDirectoryImage DecodeTdDirectoryImage(std::span<const uint8_t> bytes) {
  ByteReader in(bytes);
  TdDirectoryImage image;
  const size_t count = in.Byte() % (kMaxTdImageEntries + 1);
  image.keep = (in.Byte() & 1) != 0;
  DecodeState st;
  for (size_t i = 0; i < count; ++i) Accept(image.entries, st.budget_left, DecodeEntry(in, st, image.entries));
  return image;
}

std::string EncodeTdDirectoryImage(const TdDirectoryImage& image) {
  size_t emitted = 0;
  const std::string body = EncodeEntries<DecodeState>(image.entries, kMaxTdImageEntries, DecodeEntry, NameCandidates,
                                                      ContentCandidates, &emitted);
  std::string out;
  out.push_back(static_cast<char>(emitted));
  out.push_back(static_cast<char>(image.keep ? 1 : 0));
  return out + body;
}

}  // namespace walcrash::fuzz
