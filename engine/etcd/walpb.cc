#include "engine/etcd/walpb.h"

#include <initializer_list>

#include <fmt/format.h>

namespace walcrash::etcd {
namespace {

// --- encoding ---------------------------------------------------------------

// Writes v's varint at `out` (up to 10 bytes); returns the count.
size_t PutVarint(char* out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<char>(v);
  return n;
}

size_t PutVarintField(char* out, uint32_t field, uint64_t v) {
  size_t n = PutVarint(out, uint64_t{field} << 3);  // wire type 0
  return n + PutVarint(out + n, v);
}

// A bytes field's key and length, not its bytes.
size_t PutBytesHead(char* out, uint32_t field, uint64_t length) {
  size_t n = PutVarint(out, (uint64_t{field} << 3) | 2);
  return n + PutVarint(out + n, length);
}

void PutVarintField(std::string& out, uint32_t field, uint64_t v) {
  char bytes[20];
  out.append(bytes, PutVarintField(bytes, field, v));
}

void PutBytesField(std::string& out, uint32_t field, std::string_view bytes) {
  char head[20];
  out.append(head, PutBytesHead(head, field, bytes.size()));
  out.append(bytes);
}

// --- decoding ---------------------------------------------------------------

enum class VarintRead : unsigned char { kOk, kEof, kOverflow };

// Reads the varint at in[pos], advancing pos: at most 10 bytes, the bits past
// 64 dropped (as protobuf does).
VarintRead ReadVarint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return VarintRead::kEof;
    auto b = static_cast<uint8_t>(in[pos++]);
    v |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) return VarintRead::kOk;
  }
  return VarintRead::kOverflow;
}

// Walks the fields of one message; every read is bounds-checked.
class FieldReader {
 public:
  FieldReader(std::string_view bytes, std::string_view message) : in_(bytes), message_(message) {}

  bool done() const { return pos_ == in_.size(); }

  // Reads the next key; returns an error on a malformed one.
  Status Next(uint32_t& field, uint32_t& wire) {
    uint64_t key = 0;
    WALCRASH_RETURN_IF_ERROR(Varint(key));
    field = static_cast<uint32_t>(key >> 3);
    wire = static_cast<uint32_t>(key & 7);
    if (field == 0 || key >> 3 > 0x1fffffff) return Bad(fmt::format("illegal tag {} (wire type {})", field, wire));
    return {};
  }

  Status Varint(uint64_t& v) {
    switch (ReadVarint(in_, pos_, v)) {
      case VarintRead::kOk: return {};
      case VarintRead::kEof: return Bad("unexpected EOF");
      case VarintRead::kOverflow: return Bad("integer overflow");
    }
    return Bad("integer overflow");
  }

  Status Bytes(std::string_view& out) {
    uint64_t len = 0;
    WALCRASH_RETURN_IF_ERROR(Varint(len));
    if (len > in_.size() - pos_) return Bad("unexpected EOF");
    out = in_.substr(pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return {};
  }

  Status Skip(uint32_t wire) {
    switch (wire) {
      case 0: {
        uint64_t ignored = 0;
        return Varint(ignored);
      }
      case 1: return Advance(8);
      case 2: {
        std::string_view ignored;
        return Bytes(ignored);
      }
      case 5: return Advance(4);
      default: return Bad(fmt::format("illegal wire type {}", wire));
    }
  }

  Status Bad(std::string_view what) const {
    return Status(Code::kCorruption, "", fmt::format("proto: {}: {}", message_, what));
  }

  Status Expect(uint32_t wire, uint32_t want, uint32_t field) const {
    if (wire == want) return {};
    return Bad(fmt::format("wrong wire type {} for field {}", wire, field));
  }

 private:
  Status Advance(size_t n) {
    if (n > in_.size() - pos_) return Bad("unexpected EOF");
    pos_ += n;
    return {};
  }

  std::string_view in_;
  std::string_view message_;
  size_t pos_ = 0;
};

// Decodes a message whose fields 1..N have the wire types `wires` (0 varint,
// 2 bytes): `on_varint(field, value)` and `on_bytes(field, bytes)` see them.
// A known field with another wire type is an error, as gogoproto's generated
// code makes it; unknown fields are skipped.
template <typename OnVarint, typename OnBytes>
Status DecodeFields(std::string_view bytes, std::string_view message, std::initializer_list<uint32_t> wires,
                    OnVarint on_varint, OnBytes on_bytes) {
  FieldReader r(bytes, message);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    WALCRASH_RETURN_IF_ERROR(r.Next(field, wire));
    if (field > wires.size()) {
      WALCRASH_RETURN_IF_ERROR(r.Skip(wire));
      continue;
    }
    uint32_t want = *(wires.begin() + (field - 1));
    if (wire != want) return r.Bad(fmt::format("wrong wireType = {} for field {}", wire, field));
    if (wire == 0) {
      uint64_t v = 0;
      WALCRASH_RETURN_IF_ERROR(r.Varint(v));
      on_varint(field, v);
    } else {
      std::string_view b;
      WALCRASH_RETURN_IF_ERROR(r.Bytes(b));
      on_bytes(field, b);
    }
  }
  return {};
}

// The layout etcd (gogoproto) writes: the known fields in order, each once.
// Decoding that layout needs no per-field dispatch; anything else (another
// order, unknown fields, a malformed varint) makes a step return false and the
// caller falls back to DecodeFields, which decides and explains.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view bytes) : in_(bytes) {}
  bool done() const { return pos_ == in_.size(); }
  // The field with this one-byte key next? (Leaves the position alone if not.)
  bool At(uint8_t key) const { return pos_ < in_.size() && static_cast<uint8_t>(in_[pos_]) == key; }
  bool Varint(uint8_t key, uint64_t& v) {
    if (!At(key)) return false;
    ++pos_;
    return ReadVarint(in_, pos_, v) == VarintRead::kOk;
  }
  bool Bytes(uint8_t key, std::string_view& out) {
    uint64_t length = 0;
    if (!Varint(key, length) || length > in_.size() - pos_) return false;
    out = in_.substr(pos_, static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return true;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

size_t EncodeRecordHead(int64_t type, uint32_t crc, std::optional<uint64_t> data_bytes, char* out) {
  size_t n = PutVarintField(out, 1, static_cast<uint64_t>(type));
  n += PutVarintField(out + n, 2, crc);
  if (data_bytes) n += PutBytesHead(out + n, 3, *data_bytes);
  return n;
}

size_t EncodeEntryHead(const Entry& e, char* out) {
  size_t n = PutVarintField(out, 1, static_cast<uint64_t>(static_cast<int64_t>(e.type)));
  n += PutVarintField(out + n, 2, e.term);
  n += PutVarintField(out + n, 3, e.index);
  if (!e.data.empty()) n += PutBytesHead(out + n, 4, e.data.size());  // nil Data is absent
  return n;
}

void AppendRecord(std::string& out, int64_t type, uint32_t crc, std::optional<std::string_view> data) {
  char head[kMaxHeadBytes];
  out.append(head, EncodeRecordHead(type, crc, data ? std::optional<uint64_t>(data->size()) : std::nullopt, head));
  if (data) out.append(*data);
}

void AppendEntry(std::string& out, const Entry& e) {
  char head[kMaxHeadBytes];
  out.append(head, EncodeEntryHead(e, head));
  out.append(e.data);
}

std::string EncodeRecord(const Record& r) {
  std::string out;
  AppendRecord(out, r.type, r.crc, r.data);
  return out;
}

std::string EncodeEntry(const Entry& e) {
  std::string out;
  AppendEntry(out, e);
  return out;
}

std::string EncodeHardState(const HardState& s) {
  std::string out;
  PutVarintField(out, 1, s.term);
  PutVarintField(out, 2, s.vote);
  PutVarintField(out, 3, s.commit);
  return out;
}

std::string EncodeSnapshot(const SnapshotRecord& s) {
  std::string out;
  PutVarintField(out, 1, s.index);
  PutVarintField(out, 2, s.term);
  if (s.conf_state) PutBytesField(out, 3, *s.conf_state);
  return out;
}

Result<RecordView> DecodeRecordView(std::string_view bytes) {
  RecordView r;
  {
    CanonicalReader c(bytes);
    uint64_t type = 0, crc = 0;
    std::string_view data;
    if (c.Varint(0x08, type) && c.Varint(0x10, crc)) {
      r.type = static_cast<int64_t>(type);
      r.crc = static_cast<uint32_t>(crc);
      if (c.done()) return r;
      if (c.Bytes(0x1a, data) && c.done()) {
        r.data = data;
        return r;
      }
    }
    r = RecordView{};
  }
  Status s = DecodeFields(
      bytes, "walpb.Record", {0, 0, 2},
      [&](uint32_t f, uint64_t v) {
        if (f == 1) r.type = static_cast<int64_t>(v);
        else r.crc = static_cast<uint32_t>(v);
      },
      [&](uint32_t, std::string_view b) { r.data = b; });
  if (!s.ok()) return s;
  return r;
}

Record ToRecord(const RecordView& view) {
  Record r{view.type, view.crc, std::nullopt};
  if (view.data) r.data.emplace(*view.data);
  return r;
}

Result<Record> DecodeRecord(std::string_view bytes) {
  WALCRASH_ASSIGN_OR_RETURN(RecordView view, DecodeRecordView(bytes));
  return ToRecord(view);
}

Result<Entry> DecodeEntry(std::string_view bytes) {
  Entry e;
  {
    CanonicalReader c(bytes);
    uint64_t type = 0;
    std::string_view data;
    if (c.Varint(0x08, type) && c.Varint(0x10, e.term) && c.Varint(0x18, e.index)) {
      e.type = static_cast<int32_t>(type);
      if (c.done()) return e;
      if (c.Bytes(0x22, data) && c.done()) {
        e.data.assign(data);
        return e;
      }
    }
    e = Entry{};
  }
  Status s = DecodeFields(
      bytes, "raftpb.Entry", {0, 0, 0, 2},
      [&](uint32_t f, uint64_t v) {
        if (f == 1) e.type = static_cast<int32_t>(v);
        else if (f == 2) e.term = v;
        else e.index = v;
      },
      [&](uint32_t, std::string_view b) { e.data = std::string(b); });
  if (!s.ok()) return s;
  return e;
}

Result<HardState> DecodeHardState(std::string_view bytes) {
  HardState h;
  Status s = DecodeFields(
      bytes, "raftpb.HardState", {0, 0, 0},
      [&](uint32_t f, uint64_t v) {
        if (f == 1) h.term = v;
        else if (f == 2) h.vote = v;
        else h.commit = v;
      },
      [](uint32_t, std::string_view) {});
  if (!s.ok()) return s;
  return h;
}

Result<SnapshotRecord> DecodeSnapshot(std::string_view bytes) {
  SnapshotRecord snap;
  Status s = DecodeFields(
      bytes, "walpb.Snapshot", {0, 0, 2},
      [&](uint32_t f, uint64_t v) {
        if (f == 1) snap.index = v;
        else snap.term = v;
      },
      [&](uint32_t, std::string_view b) { snap.conf_state = std::string(b); });
  if (!s.ok()) return s;
  return snap;
}

}  // namespace walcrash::etcd
