#include "fuzz/directory_image.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "common/byte_reader.h"
#include "engine/crc32c.h"
#include "engine/etcd/record_io.h"
#include "engine/etcd/wal_name.h"
#include "engine/etcd/walpb.h"

namespace walcrash::fuzz {

namespace {

using etcd::Record;
using etcd::RecordType;
using namespace image_codec;  // NOLINT: the shared pieces of the image formats

constexpr size_t kMaxRecords = 255;
constexpr size_t kMaxU16 = 0xffff;

enum NameKind : uint8_t { kNextSegment = 0, kSegment = 1, kNearValid = 2, kTemp = 3, kBroken = 4, kOther = 5,
                          kOtherWal = 6 };
enum ContentKind : uint8_t { kRaw = 0, kRecords = 1, kDirectory = 2, kCopy = 3 };
enum RecordKind : uint8_t { kEntry = 0, kNextEntry = 1, kHardState = 2, kMetadata = 3, kCrc = 4, kSnapshot = 5,
                            kOtherRecord = 6, kOverwrite = 7 };
constexpr uint8_t kCrcOffByOne = 8;
constexpr uint8_t kUnpadded = 16;

// What decoding one entry depends on from the entries before it.
struct DecodeState {
  uint64_t budget_left = kMaxImageBytes;
  bool have_seq = false;
  uint64_t last_seq = 0;  // of the last name of kind 0, 1 or 7
  uint32_t chain = 0;     // R after the last records-kind entry
  uint64_t last_index = 0, last_term = 0;  // the last entry a records-kind entry made
};

std::string NearValidName(uint8_t form, uint64_t seq, uint64_t index) {
  switch (form % 8) {
    case 0: return fmt::format("{:016X}-{:016X}.wal", seq, index);
    case 1: return fmt::format("{:x}-{:x}.wal", seq, index);
    case 2: return fmt::format("0{:016x}-{:016x}.wal", seq, index);
    case 3: return fmt::format("{:016x}_{:016x}.wal", seq, index);
    case 4: return fmt::format("{:016x}-{:016x}.WAL", seq, index);
    case 5: return fmt::format("{:016x}-{:016x}.wa", seq, index);
    case 6: return fmt::format("{:016x}-{:016x}.wal.wal", seq, index);
    default: return fmt::format("{:016x}{:016x}.wal", seq, index);
  }
}

std::string DecodeName(ByteReader& in, uint8_t kind, DecodeState& st) {
  switch (kind) {
    case kSegment: {
      const uint64_t seq = in.U64();
      const uint64_t index = in.U64();
      st.have_seq = true;
      st.last_seq = seq;
      return etcd::WalName(seq, index);
    }
    case kNearValid: {
      const uint8_t form = in.Byte();
      const uint64_t seq = in.U64();
      const uint64_t index = in.U64();
      return NearValidName(form, seq, index);
    }
    case kTemp: return fmt::format("{}.tmp", in.Byte());
    case kBroken: {
      const uint64_t seq = in.U64();
      const uint64_t index = in.U64();
      return etcd::WalName(seq, index) + ".broken";
    }
    case kOther: return DecodeOtherName(in, kMaxOtherNameBytes);
    case kOtherWal: return DecodeOtherName(in, kMaxOtherNameBytes) + ".wal";
    default: {  // kNextSegment, 7
      const uint64_t seq = st.have_seq ? st.last_seq + 1 : 0;
      st.have_seq = true;
      st.last_seq = seq;
      return etcd::WalName(seq, in.U64());
    }
  }
}

std::string Data(ByteReader& in) {
  const std::span<const uint8_t> b = in.Bytes(in.U16());
  return std::string(b.begin(), b.end());
}
std::optional<std::string> OptionalData(ByteReader& in) {
  const uint16_t length = in.U16();
  if (length == 0) return std::nullopt;
  const std::span<const uint8_t> b = in.Bytes(length - 1u);
  return std::string(b.begin(), b.end());
}

void PutData(std::string& out, std::string_view data) {
  PutU16(out, data.size());
  out.append(data);
}
void PutOptionalData(std::string& out, const std::optional<std::string>& data) {
  if (!data) {
    PutU16(out, 0);
    return;
  }
  PutU16(out, data->size() + 1);
  out.append(*data);
}

uint64_t LoadU64(std::string_view bytes, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(bytes[at + i])} << (8 * i);
  return v;
}

uint32_t Extend(uint32_t crc, const std::optional<std::string>& data) {
  if (!data) return crc;
  return crc32c::Update(crc, {reinterpret_cast<const std::byte*>(data->data()), data->size()});
}

void Frame(std::string& out, const Record& r, bool unpadded) { out += FramedRecord(r, unpadded); }

std::string ZeroFill(ByteReader& in, size_t budget) {
  const size_t zeros = std::min<size_t>(size_t{in.U16()} * kZeroFillUnit, budget);
  return std::string(zeros, '\0');
}

std::string DecodeRecords(ByteReader& in, DecodeState& st) {
  const uint8_t header = in.Byte();
  uint32_t crc = (header & 1) != 0 ? st.chain : in.U32();
  const uint8_t count = in.Byte();
  std::string out;
  for (unsigned i = 0; i < count && out.size() < st.budget_left; ++i) {
    const uint8_t t = in.Byte();
    Record r;
    switch (t & 7) {
      case kEntry:
      case kNextEntry:
      case kOverwrite: {
        etcd::Entry e;
        if ((t & 7) == kEntry) {
          e.type = in.Byte();
          e.term = in.U64();
          e.index = in.U64();
        } else if ((t & 7) == kNextEntry) {
          e.term = st.last_term;
          e.index = st.last_index + 1;
        } else {
          const uint64_t back = in.Byte() % 8u;
          e.term = st.last_term + 1;
          e.index = st.last_index >= back ? st.last_index - back : 0;
        }
        e.data = Data(in);
        st.last_index = e.index;
        st.last_term = e.term;
        r.type = static_cast<int64_t>(RecordType::kEntry);
        r.data = etcd::EncodeEntry(e);
        break;
      }
      case kHardState: {
        etcd::HardState s;
        s.term = in.U64();
        s.vote = in.U64();
        s.commit = in.U64();
        r.type = static_cast<int64_t>(RecordType::kState);
        r.data = etcd::EncodeHardState(s);
        break;
      }
      case kMetadata:
        r.type = static_cast<int64_t>(RecordType::kMetadata);
        r.data = Data(in);
        break;
      case kCrc: r.type = static_cast<int64_t>(RecordType::kCrc); break;
      case kSnapshot: {
        etcd::SnapshotRecord s;
        s.index = in.U64();
        s.term = in.U64();
        s.conf_state = OptionalData(in);
        r.type = static_cast<int64_t>(RecordType::kSnapshot);
        r.data = etcd::EncodeSnapshot(s);
        break;
      }
      default:  // kOtherRecord
        r.type = static_cast<int64_t>(in.U64());
        r.data = OptionalData(in);
        break;
    }
    if (r.type != static_cast<int64_t>(RecordType::kCrc)) crc = Extend(crc, r.data);
    r.crc = (t & kCrcOffByOne) != 0 ? crc ^ 1u : crc;
    Frame(out, r, (t & kUnpadded) != 0);
  }
  st.chain = crc;
  AppendTail(in, out, st.budget_left);
  out += ZeroFill(in, st.budget_left - out.size());
  return out;
}

// Decodes one entry (its name may be taken: the caller drops it then).
ImageEntry DecodeEntry(ByteReader& in, DecodeState& st, const std::vector<ImageEntry>& before) {
  const uint8_t k = in.Byte();
  ImageEntry e;
  e.name = DecodeName(in, k & 7, st);
  switch ((k >> 3) & 3) {
    case kRaw: {
      const uint32_t length = in.U32();
      const std::span<const uint8_t> b = in.Bytes(std::min<uint64_t>(length, st.budget_left));
      e.contents.assign(b.begin(), b.end());
      e.contents += ZeroFill(in, st.budget_left - e.contents.size());
      break;
    }
    case kRecords: e.contents = DecodeRecords(in, st); break;
    case kDirectory: e.directory = true; break;
    default: e.contents = DecodeCopy(in, before, st.budget_left); break;  // kCopy
  }
  return e;
}

// --- encoding ---------------------------------------------------------------------

// Candidate name encodings (name kind, then its bytes), best first.
Candidates NameCandidates(std::string_view name, const DecodeState& st) {
  Candidates out;
  auto segment = etcd::ParseWalName(name);
  if (segment.ok() && etcd::WalName(segment->seq, segment->index) == name) {
    const uint64_t next = st.have_seq ? st.last_seq + 1 : 0;
    std::string b;
    if (segment->seq == next) {
      PutU64(b, segment->index);
      out.emplace_back(kNextSegment, b);
      b.clear();
    }
    PutU64(b, segment->seq);
    PutU64(b, segment->index);
    out.emplace_back(kSegment, b);
  }
  if (name.ends_with(".tmp")) {
    std::string_view digits = name.substr(0, name.size() - 4);
    for (unsigned v = 0; v < 256; ++v) {
      if (digits == fmt::format("{}", v)) out.emplace_back(kTemp, std::string(1, static_cast<char>(v)));
    }
  }
  if (name.ends_with(".broken")) {
    std::string_view wal = name.substr(0, name.size() - 7);
    auto parsed = etcd::ParseWalName(wal);
    if (parsed.ok() && etcd::WalName(parsed->seq, parsed->index) == wal) {
      std::string b;
      PutU64(b, parsed->seq);
      PutU64(b, parsed->index);
      out.emplace_back(kBroken, b);
    }
  }
  if (name.ends_with(".wal") && name.size() > 4) {
    out.emplace_back(kOtherWal, EncodeOtherName(name.substr(0, name.size() - 4), kMaxOtherNameBytes));
  }
  out.emplace_back(kOther, EncodeOtherName(name, kMaxOtherNameBytes));  // exact when it fits; the lossy fallback otherwise
  return out;
}

// The records kind for `contents`, if they are etcd records (then a tail and
// zeros): the bytes after K and the name, which the caller verifies by
// decoding them.
std::optional<std::string> RecordsCandidate(std::string_view contents, const DecodeState& st) {
  size_t zeros = 0;
  while (zeros < contents.size() && contents[contents.size() - 1 - zeros] == '\0') ++zeros;
  const size_t fill = std::min(zeros / kZeroFillUnit, kMaxU16);
  const std::string_view body = contents.substr(0, contents.size() - fill * kZeroFillUnit);

  std::string records;
  uint32_t crc = st.chain;
  std::optional<uint32_t> start;  // an explicit starting R
  uint64_t last_index = st.last_index, last_term = st.last_term;
  size_t count = 0, at = 0;
  while (count < kMaxRecords && at + etcd::kFrameSizeBytes <= body.size()) {
    const uint64_t len_field = LoadU64(body, at);
    if (len_field == 0) break;
    const uint64_t n = len_field & ~(uint64_t{0xff} << 56);
    const uint64_t top = len_field >> 56;
    const uint64_t pad = (8 - n % 8) % 8;
    bool unpadded = false;
    uint64_t frame_pad = 0;
    if (top == 0) {
      unpadded = pad != 0;
    } else if (pad != 0 && top == (0x80 | pad)) {
      frame_pad = pad;
    } else {
      break;
    }
    const size_t room = body.size() - at - etcd::kFrameSizeBytes;
    if (n > room || frame_pad > room - n) break;
    const size_t from = at + etcd::kFrameSizeBytes;
    const std::string_view rec_bytes = body.substr(from, static_cast<size_t>(n));
    const std::string_view pad_bytes = body.substr(from + static_cast<size_t>(n), static_cast<size_t>(frame_pad));
    if (pad_bytes.find_first_not_of('\0') != std::string_view::npos) break;
    auto rec = etcd::DecodeRecord(rec_bytes);
    if (!rec.ok() || etcd::EncodeRecord(*rec) != rec_bytes) break;

    const bool is_crc = rec->type == static_cast<int64_t>(RecordType::kCrc) && !rec->data;
    if (count == 0 && is_crc && rec->crc != st.chain) {
      start = rec->crc;  // the chain starts where this segment says
      crc = rec->crc;
    }
    const uint32_t expected = rec->type == static_cast<int64_t>(RecordType::kCrc) ? crc : Extend(crc, rec->data);
    uint8_t t = unpadded ? kUnpadded : 0;
    if (rec->crc == (expected ^ 1u)) {
      t |= kCrcOffByOne;
    } else if (rec->crc != expected) {
      break;
    }
    std::string fields;
    const std::string& data = rec->data ? *rec->data : std::string();
    auto other = [&] {
      if (rec->data && rec->data->size() >= kMaxU16) return false;
      t |= kOtherRecord;
      PutU64(fields, static_cast<uint64_t>(rec->type));
      PutOptionalData(fields, rec->data);
      return true;
    };
    bool ok = true;
    switch (rec->type) {
      case static_cast<int64_t>(RecordType::kEntry): {
        auto e = etcd::DecodeEntry(data);
        if (rec->data && e.ok() && etcd::EncodeEntry(*e) == data && e->data.size() <= kMaxU16 && e->type >= 0 && e->type < 256) {
          if (e->type == 0 && e->index == last_index + 1 && e->term == last_term) {
            t |= kNextEntry;
          } else if (e->type == 0 && e->term == last_term + 1 && e->index <= last_index &&
                     last_index - e->index < 8) {
            t |= kOverwrite;
            fields.push_back(static_cast<char>(last_index - e->index));
          } else {
            t |= kEntry;
            fields.push_back(static_cast<char>(e->type));
            PutU64(fields, e->term);
            PutU64(fields, e->index);
          }
          PutData(fields, e->data);
          last_index = e->index;
          last_term = e->term;
        } else {
          ok = other();
        }
        break;
      }
      case static_cast<int64_t>(RecordType::kState): {
        auto s = etcd::DecodeHardState(data);
        if (rec->data && s.ok() && etcd::EncodeHardState(*s) == data) {
          t |= kHardState;
          PutU64(fields, s->term);
          PutU64(fields, s->vote);
          PutU64(fields, s->commit);
        } else {
          ok = other();
        }
        break;
      }
      case static_cast<int64_t>(RecordType::kMetadata):
        if (rec->data && data.size() <= kMaxU16) {
          t |= kMetadata;
          PutData(fields, data);
        } else {
          ok = other();
        }
        break;
      case static_cast<int64_t>(RecordType::kSnapshot): {
        auto s = etcd::DecodeSnapshot(data);
        if (rec->data && s.ok() && etcd::EncodeSnapshot(*s) == data && (!s->conf_state || s->conf_state->size() < kMaxU16)) {
          t |= kSnapshot;
          PutU64(fields, s->index);
          PutU64(fields, s->term);
          PutOptionalData(fields, s->conf_state);
        } else {
          ok = other();
        }
        break;
      }
      default:
        if (is_crc) {
          t |= kCrc;
        } else {
          ok = other();
        }
        break;
    }
    if (!ok) break;
    if (rec->type != static_cast<int64_t>(RecordType::kCrc)) crc = expected;
    records.push_back(static_cast<char>(t));
    records += fields;
    ++count;
    at = from + static_cast<size_t>(n + frame_pad);
  }
  const std::string_view tail = body.substr(at);
  if (tail.size() > kMaxU16) return std::nullopt;
  std::string out(1, start ? '\0' : '\1');
  if (start) PutU32(out, *start);
  out.push_back(static_cast<char>(count));
  out += records;
  PutData(out, tail);
  PutU16(out, fill);
  return out;
}

std::string RawCandidate(std::string_view contents, uint64_t budget) {
  contents = contents.substr(0, static_cast<size_t>(std::min<uint64_t>(contents.size(), budget)));
  size_t zeros = 0;
  while (zeros < contents.size() && contents[contents.size() - 1 - zeros] == '\0') ++zeros;
  const size_t fill = std::min(zeros / kZeroFillUnit, kMaxU16);
  const size_t explicit_bytes = contents.size() - fill * kZeroFillUnit;
  std::string out;
  PutU32(out, static_cast<uint32_t>(std::min<size_t>(explicit_bytes, UINT32_MAX)));
  out.append(contents.substr(0, explicit_bytes));
  PutU16(out, fill);
  return out;
}

// Candidate content encodings (content kind, then its bytes), best first.
Candidates ContentCandidates(const ImageEntry& entry, const DecodeState& st, const std::vector<ImageEntry>& before) {
  return ContentCandidatesFor(
      entry, before, kDirectory, kCopy, kRecords, kRaw, [&] { return RecordsCandidate(entry.contents, st); },
      [&] { return RawCandidate(entry.contents, st.budget_left); });
}

}  // namespace

std::string FramedRecord(const etcd::Record& r, bool unpadded) {
  const std::string body = etcd::EncodeRecord(r);
  uint64_t pad = 0;
  uint64_t len_field = etcd::EncodeFrameSize(body.size(), &pad);
  if (unpadded) {
    len_field = body.size();
    pad = 0;
  }
  std::string out;
  PutU64(out, len_field);
  out += body;
  out.append(static_cast<size_t>(pad), '\0');
  return out;
}

uint64_t DirectoryImage::total_bytes() const { return TotalBytes(entries); }

DirectoryImage DecodeDirectoryImage(std::span<const uint8_t> bytes) {
  ByteReader in(bytes);
  DirectoryImage image;
  const size_t count = in.Byte() % (kMaxImageEntries + 1);
  image.append_segment_bytes = kAppendSegmentBytes[in.Byte() & 3];
  image.snapshot_index = in.U64();
  image.snapshot_term = in.U64();
  DecodeState st;
  for (size_t i = 0; i < count; ++i) Accept(image.entries, st.budget_left, DecodeEntry(in, st, image.entries));
  return image;
}

std::string EncodeDirectoryImage(const DirectoryImage& image) {
  size_t emitted = 0;
  const std::string body = EncodeEntries<DecodeState>(image.entries, kMaxImageEntries, DecodeEntry, NameCandidates,
                                                      ContentCandidates, &emitted);
  std::string out;
  out.push_back(static_cast<char>(emitted));
  const auto size_code = std::find(kAppendSegmentBytes.begin(), kAppendSegmentBytes.end(), image.append_segment_bytes);
  out.push_back(static_cast<char>(size_code == kAppendSegmentBytes.end() ? 0 : size_code - kAppendSegmentBytes.begin()));
  PutU64(out, image.snapshot_index);
  PutU64(out, image.snapshot_term);
  return out + body;
}

namespace {
Status MakeDirs(vfs::Vfs& vfs, std::string_view path) {
  if (path.empty() || path == "/") return {};
  WALCRASH_ASSIGN_OR_RETURN(bool exists, vfs.Exists(path));
  if (exists) return {};
  WALCRASH_RETURN_IF_ERROR(MakeDirs(vfs, vfs::ParentPath(path)));
  return vfs.Mkdir(path);
}
}  // namespace

Status WriteDirectoryImage(vfs::Vfs& vfs, std::string_view dir, const DirectoryImage& image) {
  WALCRASH_RETURN_IF_ERROR(MakeDirs(vfs, dir));
  for (const ImageEntry& e : image.entries) {
    const std::string path = vfs::JoinPath(dir, e.name);
    if (e.directory) {
      WALCRASH_RETURN_IF_ERROR(vfs.Mkdir(path));
    } else {
      WALCRASH_RETURN_IF_ERROR(vfs::WriteWholeFile(vfs, path, e.contents));
    }
  }
  return {};
}

Result<DirectoryImage> ReadDirectoryImage(vfs::Vfs& vfs, std::string_view dir) {
  WALCRASH_ASSIGN_OR_RETURN(std::vector<std::string> names, vfs.List(dir));
  DirectoryImage image;
  for (const std::string& name : names) {
    const std::string path = vfs::JoinPath(dir, name);
    WALCRASH_ASSIGN_OR_RETURN(vfs::FileInfo info, vfs.Stat(path));
    if (info.kind == vfs::FileKind::kDirectory) {
      image.entries.push_back(ImageEntry{name, true, ""});
    } else if (info.kind == vfs::FileKind::kRegular) {
      WALCRASH_ASSIGN_OR_RETURN(std::string contents, vfs::ReadWholeFile(vfs, path));
      image.entries.push_back(ImageEntry{name, false, std::move(contents)});
    }
  }
  return image;
}

namespace image_codec {

namespace {
constexpr std::string_view kNameAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-";
static_assert(kNameAlphabet.size() == 64);
}  // namespace

void PutU16(std::string& out, size_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}
void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t TotalBytes(const std::vector<ImageEntry>& entries) {
  uint64_t total = 0;
  for (const ImageEntry& e : entries) total += e.contents.size();
  return total;
}

bool InNameAlphabet(char c) { return kNameAlphabet.find(c) != std::string_view::npos || c == '_'; }

std::string DecodeOtherName(ByteReader& in, size_t max_bytes) {
  const size_t length = 1 + in.Byte() % max_bytes;
  std::string name;
  for (uint8_t b : in.Bytes(length)) {
    const char c = static_cast<char>(b);
    name.push_back(InNameAlphabet(c) ? c : kNameAlphabet[b % kNameAlphabet.size()]);
  }
  if (name.empty()) name = "x";
  if (name.find_first_not_of('.') == std::string::npos) name[0] = 'x';  // never "." or ".."
  return name;
}

std::string EncodeOtherName(std::string_view name, size_t max_bytes) {
  const std::string_view kept = name.empty() ? std::string_view("x") : name.substr(0, max_bytes);
  std::string b(1, static_cast<char>(kept.size() - 1));
  b.append(kept);
  return b;
}

std::string DecodeCopy(ByteReader& in, const std::vector<ImageEntry>& before, uint64_t budget) {
  const uint8_t i = in.Byte();
  if (before.empty()) return "";
  const std::string& from = before[i % before.size()].contents;
  return from.substr(0, static_cast<size_t>(std::min<uint64_t>(from.size(), budget)));
}

void AppendTail(ByteReader& in, std::string& out, uint64_t budget) {
  if (out.size() > budget) out.resize(static_cast<size_t>(budget));
  const std::span<const uint8_t> tail = in.Bytes(std::min<size_t>(in.U16(), static_cast<size_t>(budget) - out.size()));
  out.append(tail.begin(), tail.end());
}

void Accept(std::vector<ImageEntry>& entries, uint64_t& budget_left, ImageEntry e) {
  if (std::any_of(entries.begin(), entries.end(), [&](const ImageEntry& x) { return x.name == e.name; })) return;
  budget_left -= std::min<uint64_t>(budget_left, e.contents.size());
  entries.push_back(std::move(e));
}

}  // namespace image_codec

}  // namespace walcrash::fuzz
