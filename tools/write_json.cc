#include "tools/write_json.h"

#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "tools/base64.h"

namespace walcrash::cli {
namespace {

Status Invalid(std::string_view where, std::string_view what) {
  return Status(Code::kInvalidArgument, "", fmt::format("{}: {}", where, what));
}

std::string_view TypeName(const nlohmann::json& j) { return j.type_name(); }

Result<const nlohmann::json*> Field(const nlohmann::json& obj, std::string_view where, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return Invalid(where, fmt::format("missing field \"{}\"", name));
  return &*it;
}

Result<uint64_t> Unsigned(const nlohmann::json& j, std::string_view where) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer()) {  // a signed integer (as built in code): fine unless negative
    int64_t v = j.get<int64_t>();
    if (v < 0) return Invalid(where, fmt::format("{} is negative", v));
    return static_cast<uint64_t>(v);
  }
  return Invalid(where, fmt::format("expected an unsigned integer, got {} {}", TypeName(j), j.dump()));
}

Result<uint64_t> UnsignedField(const nlohmann::json& obj, std::string_view where, const char* name) {
  WALCRASH_ASSIGN_OR_RETURN(const nlohmann::json* j, Field(obj, where, name));
  return Unsigned(*j, fmt::format("{}.{}", where, name));
}

Result<std::string> Base64Field(const nlohmann::json& obj, std::string_view where, const char* name) {
  WALCRASH_ASSIGN_OR_RETURN(const nlohmann::json* j, Field(obj, where, name));
  std::string field = fmt::format("{}{}{}", where, where.empty() ? "" : ".", name);
  if (!j->is_string()) return Invalid(field, fmt::format("expected a base64 string, got {}", TypeName(*j)));
  auto bytes = Base64Decode(j->get_ref<const std::string&>());
  if (!bytes.ok()) return Invalid(field, bytes.error().message());
  return bytes;
}

Result<etcd::SnapshotRecord> ParseSnapshot(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) return Invalid(where, fmt::format("expected an object {{\"index\", \"term\"}}, got {}", TypeName(j)));
  etcd::SnapshotRecord s;
  WALCRASH_ASSIGN_OR_RETURN(s.index, UnsignedField(j, where, "index"));
  WALCRASH_ASSIGN_OR_RETURN(s.term, UnsignedField(j, where, "term"));
  // etcd 3.5+ wants a ConfState with every snapshot past 0: the raw
  // raftpb.ConfState bytes when given, else an empty ConfState.
  if (j.contains("conf_state_b64")) {
    WALCRASH_ASSIGN_OR_RETURN(s.conf_state, Base64Field(j, where, "conf_state_b64"));
  } else {
    s.conf_state = std::string();
  }
  return s;
}

// Walks the log in the order WriteWal saves it, calling on_entry(i) for
// entries[i] and on_snapshot(k) for snapshots[k]; checks the ordering rules.
template <typename OnEntry, typename OnSnapshot>
Status WalkLog(const WalSpec& spec, OnEntry on_entry, OnSnapshot on_snapshot) {
  uint64_t last = 0;   // the log's last index (an installed snapshot moves it)
  uint64_t floor = 0;  // the last snapshot's index
  size_t next_snap = 0;
  auto save_snapshot = [&](size_t k) -> Status {
    const etcd::SnapshotRecord& s = spec.snapshots[k];
    if (s.index < floor) {
      return Invalid(fmt::format("snapshots[{}]", k),
                     fmt::format("index {} is below the previous snapshot's {}", s.index, floor));
    }
    floor = s.index;
    last = std::max(last, s.index);
    return on_snapshot(k);
  };
  for (size_t i = 0; i < spec.entries.size(); ++i) {
    const etcd::Entry& e = spec.entries[i];
    while (next_snap < spec.snapshots.size() && spec.snapshots[next_snap].index < e.index) {
      WALCRASH_RETURN_IF_ERROR(save_snapshot(next_snap++));
    }
    std::string where = fmt::format("entries[{}]", i);
    if (e.index == 0) return Invalid(where, "index 0 (raft indexes start at 1)");
    if (e.index > last + 1) {
      return Invalid(where, fmt::format("index {} leaves a gap after index {} (the next is {}; a snapshot "
                                        "at or above {} would allow it)",
                                        e.index, last, last + 1, e.index - 1));
    }
    if (e.index <= floor) {
      return Invalid(where, fmt::format("index {} overwrites at or below the snapshot at index {} (a raft "
                                        "overwrite must stay above the last snapshot)",
                                        e.index, floor));
    }
    last = e.index;
    WALCRASH_RETURN_IF_ERROR(on_entry(i));
  }
  while (next_snap < spec.snapshots.size()) WALCRASH_RETURN_IF_ERROR(save_snapshot(next_snap++));
  return {};
}

}  // namespace

Result<WalSpec> ParseWalSpec(const nlohmann::json& doc) {
  if (!doc.is_object()) return Invalid("document", fmt::format("expected a JSON object, got {}", TypeName(doc)));
  WalSpec spec;
  WALCRASH_ASSIGN_OR_RETURN(spec.metadata, Base64Field(doc, "", "metadata_b64"));

  WALCRASH_ASSIGN_OR_RETURN(const nlohmann::json* hs, Field(doc, "document", "hardstate_term_vote_commit"));
  if (!hs->is_array() || hs->size() != 3) {
    return Invalid("hardstate_term_vote_commit", fmt::format("expected [term, vote, commit], got {}", hs->dump()));
  }
  WALCRASH_ASSIGN_OR_RETURN(spec.state.term, Unsigned((*hs)[0], "hardstate_term_vote_commit[0] (term)"));
  WALCRASH_ASSIGN_OR_RETURN(spec.state.vote, Unsigned((*hs)[1], "hardstate_term_vote_commit[1] (vote)"));
  WALCRASH_ASSIGN_OR_RETURN(spec.state.commit, Unsigned((*hs)[2], "hardstate_term_vote_commit[2] (commit)"));

  WALCRASH_ASSIGN_OR_RETURN(const nlohmann::json* entries, Field(doc, "document", "entries"));
  if (!entries->is_array()) return Invalid("entries", fmt::format("expected an array, got {}", TypeName(*entries)));
  for (size_t i = 0; i < entries->size(); ++i) {
    const nlohmann::json& j = (*entries)[i];
    std::string where = fmt::format("entries[{}]", i);
    if (!j.is_object()) return Invalid(where, fmt::format("expected an object, got {}", TypeName(j)));
    etcd::Entry e;
    WALCRASH_ASSIGN_OR_RETURN(e.index, UnsignedField(j, where, "index"));
    WALCRASH_ASSIGN_OR_RETURN(e.term, UnsignedField(j, where, "term"));
    WALCRASH_ASSIGN_OR_RETURN(uint64_t type, UnsignedField(j, where, "type"));
    if (type > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      return Invalid(where + ".type", fmt::format("{} does not fit raftpb.EntryType (int32)", type));
    }
    e.type = static_cast<int32_t>(type);
    WALCRASH_ASSIGN_OR_RETURN(e.data, Base64Field(j, where, "data_b64"));
    spec.entries.push_back(std::move(e));
  }

  if (auto it = doc.find("snapshots"); it != doc.end()) {
    if (!it->is_array()) return Invalid("snapshots", fmt::format("expected an array, got {}", TypeName(*it)));
    for (size_t k = 0; k < it->size(); ++k) {
      WALCRASH_ASSIGN_OR_RETURN(etcd::SnapshotRecord s, ParseSnapshot((*it)[k], fmt::format("snapshots[{}]", k)));
      spec.snapshots.push_back(s);
    }
  } else if (auto idx = doc.find("snapshot_index"); idx != doc.end()) {
    // inspect's output for a read at a snapshot: the log starts after it.
    etcd::SnapshotRecord s;
    WALCRASH_ASSIGN_OR_RETURN(s.index, Unsigned(*idx, "snapshot_index"));
    if (auto term = doc.find("snapshot_term"); term != doc.end()) {
      WALCRASH_ASSIGN_OR_RETURN(s.term, Unsigned(*term, "snapshot_term"));
    }
    s.conf_state = std::string();  // an empty ConfState (see ParseSnapshot)
    if (s.index > 0) spec.snapshots.push_back(s);
  }
  WALCRASH_RETURN_IF_ERROR(WalkLog(spec, [](size_t) { return Status(); }, [](size_t) { return Status(); }));
  return spec;
}

Result<WalSpec> ParseWalSpecText(std::string_view text, std::string_view source) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status(Code::kInvalidArgument, std::string(source), fmt::format("not valid JSON: {}", e.what()));
  }
  auto spec = ParseWalSpec(doc);
  if (!spec.ok()) return Status(Code::kInvalidArgument, std::string(source), std::string(spec.error().message()));
  return spec;
}

std::vector<etcd::Entry> ExpectedEntries(const WalSpec& spec, uint64_t snapshot_index) {
  std::vector<etcd::Entry> out;
  for (const etcd::Entry& e : spec.entries) {
    if (e.index <= snapshot_index) continue;
    uint64_t up = e.index - snapshot_index - 1;
    if (up > out.size()) return {};  // etcd: ErrSliceOutOfRange (WalkLog keeps specs from it)
    out.resize(static_cast<size_t>(up));
    out.push_back(e);
  }
  return out;
}

Result<WriteSummary> WriteWal(vfs::Vfs& vfs, const std::string& dir, const WalSpec& spec,
                              const WriteOptions& options) {
  if (options.batch_entries == 0) return Status(Code::kInvalidArgument, "", "batch size 0");
  etcd::WalOptions wal_options;
  wal_options.segment_size_bytes = options.segment_size_bytes;
  wal_options.background_threads = false;
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<etcd::Wal> wal, etcd::Wal::Create(vfs, dir, spec.metadata, wal_options));
  WriteSummary summary;
  std::vector<etcd::Entry> batch;
  auto flush = [&](const etcd::HardState& state) -> Status {
    if (batch.empty() && state.empty()) return {};
    WALCRASH_RETURN_IF_ERROR(wal->Save(state, batch).Annotate(
        batch.empty() ? std::string("saving the hard state")
                      : fmt::format("saving entries {}..{}", batch.front().index, batch.back().index)));
    ++summary.saves;
    batch.clear();
    return {};
  };
  Status walked = WalkLog(
      spec,
      [&](size_t i) -> Status {
        batch.push_back(spec.entries[i]);
        if (batch.size() < options.batch_entries || i + 1 == spec.entries.size()) return {};
        return flush(etcd::HardState{});
      },
      [&](size_t k) -> Status {
        WALCRASH_RETURN_IF_ERROR(flush(etcd::HardState{}));
        const etcd::SnapshotRecord& s = spec.snapshots[k];
        WALCRASH_RETURN_IF_ERROR(
            wal->SaveSnapshot(s).Annotate(fmt::format("saving snapshot {{index {}, term {}}}", s.index, s.term)));
        ++summary.snapshots;
        return {};
      });
  // The hard state goes out last, with the last batch (snapshots after the
  // last entry have flushed that batch already: then it goes alone).
  if (walked.ok()) walked = flush(spec.state);
  Status closed = wal->Close();
  WALCRASH_RETURN_IF_ERROR(walked);
  WALCRASH_RETURN_IF_ERROR(closed.Annotate("closing the WAL"));
  WALCRASH_ASSIGN_OR_RETURN(summary.files, vfs.List(dir));
  return summary;
}

}  // namespace walcrash::cli
