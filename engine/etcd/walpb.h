// etcd's WAL messages and their protobuf (proto2, gogoproto) wire encoding,
// byte for byte as etcd writes them, with a small codec of our own.
//
//   walpb.Record   { int64 type = 1; uint32 crc = 2; bytes data = 3; }
//   raftpb.Entry   { EntryType Type = 1; uint64 Term = 2; uint64 Index = 3; bytes Data = 4; }
//   raftpb.HardState { uint64 term = 1; uint64 vote = 2; uint64 commit = 3; }
//   walpb.Snapshot { uint64 index = 1; uint64 term = 2; ConfState conf_state = 3; }
//
// gogoproto's non-nullable scalars are always written, zero or not; bytes
// fields are written when present. Decoding accepts fields in any order,
// skips unknown fields, rejects a known field with the wrong wire type (as
// gogoproto does), and rejects truncated or malformed input with a clear
// error, never reading past the buffer (lengths are checked before use).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace walcrash::etcd {

enum class RecordType : int64_t {
  kMetadata = 1,
  kEntry = 2,
  kState = 3,
  kCrc = 4,
  kSnapshot = 5,
};

struct Record {
  int64_t type = 0;
  uint32_t crc = 0;
  std::optional<std::string> data;  // nullopt: the field is absent (CRC records)

  friend bool operator==(const Record&, const Record&) = default;
};

struct Entry {
  uint64_t term = 0;
  uint64_t index = 0;
  int32_t type = 0;  // 0 normal, 1 conf change, 2 conf change v2
  std::string data;  // written only when non-empty (etcd writes nil Data as absent)

  friend bool operator==(const Entry&, const Entry&) = default;
};

struct HardState {
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;

  bool empty() const { return term == 0 && vote == 0 && commit == 0; }
  friend bool operator==(const HardState&, const HardState&) = default;
};

struct SnapshotRecord {  // walpb.Snapshot
  uint64_t index = 0;
  uint64_t term = 0;
  std::optional<std::string> conf_state;  // raw raftpb.ConfState bytes (etcd 3.5+)

  friend bool operator==(const SnapshotRecord&, const SnapshotRecord&) = default;
};

std::string EncodeRecord(const Record& r);
std::string EncodeEntry(const Entry& e);
// The same bytes appended to `out`, so a hot path can reuse one buffer
// instead of allocating a string per message.
void AppendRecord(std::string& out, int64_t type, uint32_t crc, std::optional<std::string_view> data);
void AppendEntry(std::string& out, const Entry& e);

// The encodings up to their data bytes, written to `out` (which must hold
// kMaxHeadBytes); return the count. A message is its head then its data, so
// the encoder can frame an entry without copying it into a message first.
inline constexpr size_t kMaxHeadBytes = 48;
size_t EncodeEntryHead(const Entry& e, char* out);
// walpb.Record with `data_bytes` of data (nullopt: no data field).
size_t EncodeRecordHead(int64_t type, uint32_t crc, std::optional<uint64_t> data_bytes, char* out);
std::string EncodeHardState(const HardState& s);
std::string EncodeSnapshot(const SnapshotRecord& s);

// Errors are Code::kCorruption with a message naming the message type and the
// problem ("proto: walpb.Record: unexpected EOF").
Result<Record> DecodeRecord(std::string_view bytes);
// A walpb.Record whose data still points into the bytes it was decoded from
// (valid as long as they are): the decoder's copy-free path.
struct RecordView {
  int64_t type = 0;
  uint32_t crc = 0;
  std::optional<std::string_view> data;
};
Result<RecordView> DecodeRecordView(std::string_view bytes);
// An owning copy of a view.
Record ToRecord(const RecordView& view);
Result<Entry> DecodeEntry(std::string_view bytes);
Result<HardState> DecodeHardState(std::string_view bytes);
Result<SnapshotRecord> DecodeSnapshot(std::string_view bytes);

}  // namespace walcrash::etcd
