#include "harness/model.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

namespace walcrash::harness {

std::string ResolvedOp::ToText() const {
  if (noop) return fmt::format("{} (nothing to do)", op.ToText());
  switch (op.kind) {
    case OpKind::kSave:
    case OpKind::kOverwrite:
      return fmt::format("{}: entries {}..{} term {}, state {}", op.ToText(), entries.front().index,
                         entries.back().index, entries.front().term, state.ToString());
    case OpKind::kCommit:
    case OpKind::kElect: return fmt::format("{}: state {}", op.ToText(), state.ToString());
    case OpKind::kSnapshot: return fmt::format("snapshot at {} term {}", snapshot.index, snapshot.term);
    case OpKind::kRelease: return fmt::format("release to {}", release_index);
    default: return op.ToText();
  }
}

RaftLogModel::RaftLogModel(EngineTraits traits) : traits_(traits) {
  digests_.push_back(RecoveredLog{}.Digest());
  by_digest_.emplace(digests_.back(), 0);
}

uint64_t RaftLogModel::TermAt(uint64_t index) const {
  if (index == 0 || index > entries_.size()) return 0;
  return entries_[index - 1].term;
}

void RaftLogModel::Issue(ModelRecord record) {
  stream_.push_back(std::move(record));
  RecoveredLog header;
  std::vector<uint64_t> entry_digests;
  ReadPrefix(stream_.size(), header, [&](const ModelRecord& r, size_t keep) {
    entry_digests.resize(keep);
    entry_digests.push_back(r.entry_digest);
  });
  uint64_t digest = LogDigest(header.exists, header.metadata, header.snapshot, header.state, entry_digests);
  digests_.push_back(digest);
  by_digest_.emplace(digest, stream_.size());
}

// etcd's reading of the first `length` records: ValidSnapshotEntries picks the
// snapshot, ReadAll the entries after it (suffix overwrites) and the last hard
// state. `visit(record, keep)` is called for each entry that lands in the
// result, after the first `keep` entries before it survive.
template <typename EntryVisitor>
void RaftLogModel::ReadPrefix(size_t length, RecoveredLog& header, EntryVisitor visit) const {
  assert(length <= stream_.size());
  header = RecoveredLog{};
  SnapshotRef snapshot;
  for (size_t i = 0; i < length; ++i) {
    const ModelRecord& r = stream_[i];
    switch (r.kind) {
      case ModelRecord::Kind::kCreate:
        header.exists = true;
        header.metadata = r.metadata;
        break;
      case ModelRecord::Kind::kState: header.state = r.state; break;
      default: break;
    }
  }
  for (size_t i = 0; i < length; ++i) {
    const ModelRecord& r = stream_[i];
    if (r.kind == ModelRecord::Kind::kSnapshot && r.snapshot.index <= header.state.commit) snapshot = r.snapshot;
  }
  header.snapshot = snapshot;
  [[maybe_unused]] size_t count = 0;  // checks the no-gap rule in debug builds
  for (size_t i = 0; i < length; ++i) {
    const ModelRecord& r = stream_[i];
    if (r.kind != ModelRecord::Kind::kEntry || r.entry.index <= snapshot.index) continue;
    size_t keep = static_cast<size_t>(r.entry.index - snapshot.index - 1);
    // Workloads never leave a gap (overwrites start at or below last+1).
    assert(keep <= count);
    count = keep + 1;
    visit(r, keep);
  }
}

bool RaftLogModel::ReadAllAgreesWithRaft(uint64_t snapshot_index) const {
  // etcd's ReadAll skips entries at or below the snapshot without letting
  // them truncate what follows, and starts at the segment that holds the
  // snapshot index: a stale entry above the snapshot that only an overwrite
  // below it removed comes back or not depending on where segments were cut.
  std::vector<const LogEntry*> read;
  for (const ModelRecord& r : stream_) {
    if (r.kind != ModelRecord::Kind::kEntry || r.entry.index <= snapshot_index) continue;
    size_t keep = static_cast<size_t>(r.entry.index - snapshot_index - 1);
    if (keep > read.size()) return false;
    read.resize(keep);
    read.push_back(&r.entry);
  }
  size_t first = static_cast<size_t>(std::min<uint64_t>(snapshot_index, entries_.size()));
  if (read.size() != entries_.size() - first) return false;
  for (size_t i = 0; i < read.size(); ++i) {
    if (read[i]->index != entries_[first + i].index || read[i]->term != entries_[first + i].term) return false;
  }
  return true;
}

RecoveredLog RaftLogModel::Read(size_t length) const {
  RecoveredLog out;
  std::vector<const LogEntry*> entries;
  ReadPrefix(length, out, [&](const ModelRecord& r, size_t keep) {
    entries.resize(keep);
    entries.push_back(&r.entry);
  });
  out.entries.reserve(entries.size());
  for (const LogEntry* e : entries) out.entries.push_back(*e);
  return out;
}

uint64_t RaftLogModel::ReadDigest(size_t length) const { return digests_[length]; }

std::vector<size_t> RaftLogModel::PrefixesWithDigest(uint64_t digest) const {
  std::vector<size_t> out;
  auto [begin, end] = by_digest_.equal_range(digest);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  std::sort(out.begin(), out.end());
  return out;
}

ResolvedOp RaftLogModel::Begin(const Op& op) {
  ResolvedOp r;
  r.op = op;
  auto append = [&](uint64_t from, uint64_t term, uint32_t count, uint32_t size) {
    entries_.resize(from - 1);
    for (uint32_t i = 0; i < count; ++i) {
      LogEntry e{from + i, term, EntryPayload(from + i, term, size)};
      entries_.push_back(e);
      r.entries.push_back(e);
    }
  };
  auto issue_entries_and_state = [&] {
    for (const LogEntry& e : r.entries) {
      ModelRecord rec;
      rec.kind = ModelRecord::Kind::kEntry;
      rec.entry = e;
      rec.entry_digest = EntryDigest(e);
      Issue(std::move(rec));
    }
    r.state = state_;
    if (!traits_.hard_state) return;
    ModelRecord rec;
    rec.kind = ModelRecord::Kind::kState;
    rec.state = state_;
    Issue(std::move(rec));
  };
  // The first hard state a server saves: term 1, voted for itself.
  auto first_term = [&] {
    if (state_.term == 0) state_ = HardState{1, 1, 0};
  };
  switch (op.kind) {
    case OpKind::kSave: case OpKind::kOverwrite: case OpKind::kCommit: case OpKind::kElect: first_term(); break;
    default: break;
  }
  switch (op.kind) {
    case OpKind::kCreate: {
      created_ = true;
      ModelRecord rec;
      rec.kind = ModelRecord::Kind::kCreate;
      if (traits_.metadata) rec.metadata = op.metadata;
      Issue(std::move(rec));
      break;
    }
    case OpKind::kSave:
      append(last_index() + 1, state_.term, op.entries, op.size);
      state_.commit = std::min(state_.commit + op.commit, last_index());
      issue_entries_and_state();
      break;
    case OpKind::kOverwrite: {
      // A new leader's entries replace an uncommitted suffix.
      uint64_t floor = std::max(state_.commit, snapshot_.index) + 1;
      uint64_t from = last_index() + 1 >= op.back ? last_index() + 1 - op.back : 0;
      from = std::max(from, floor);
      state_.term += 1;
      state_.vote = 1 + state_.term % 3;
      append(from, state_.term, op.entries, op.size);
      issue_entries_and_state();
      break;
    }
    case OpKind::kCommit:
      state_.commit = std::min(state_.commit + op.commit, last_index());
      issue_entries_and_state();
      break;
    case OpKind::kElect:
      state_.term += 1;
      state_.vote = 1 + state_.term % 3;
      issue_entries_and_state();
      break;
    case OpKind::kSnapshot: {
      if (state_.commit == 0 || state_.commit <= snapshot_.index || !ReadAllAgreesWithRaft(state_.commit)) {
        r.noop = true;
        break;
      }
      snapshot_ = SnapshotRef{state_.commit, TermAt(state_.commit)};
      r.snapshot = snapshot_;
      ModelRecord rec;
      rec.kind = ModelRecord::Kind::kSnapshot;
      rec.snapshot = snapshot_;
      Issue(std::move(rec));
      break;
    }
    case OpKind::kRelease: r.release_index = snapshot_.index; break;
    case OpKind::kPolicy: policy_ = op.policy; break;
    case OpKind::kSync:
    case OpKind::kTick:
    case OpKind::kReopen: break;
  }
  op_end_.push_back(stream_.size());
  claims_.push_back(DurabilityClaim{created_, last_index(), created_ && traits_.hard_state ? state_ : HardState{},
                                    snapshot_.index});
  return r;
}

void RaftLogModel::Acknowledge() {
  assert(acknowledged_ < op_end_.size());
  ++acknowledged_;
}

std::optional<size_t> RaftLogModel::DurableLength(const DurabilityClaim& claim, size_t current_op) const {
  if (!claim.created) return 0;
  if (claims_.empty()) return std::nullopt;
  // Equal claims come in one run of operations (terms, commits and
  // snapshots never go back). Operations in a run issue no record a reader
  // could tell apart (a hard state saved again), but the claim cannot say
  // which of them it covers: it promises the run's first.
  std::optional<size_t> first;
  for (size_t j = std::min(current_op, claims_.size() - 1) + 1; j-- > 0;) {
    if (claims_[j] == claim) {
      first = j;
    } else if (first) {
      break;
    }
  }
  if (first) return op_end_[*first];
  if (!traits_.per_entry_claims) return std::nullopt;
  // Part of an operation: the claim holds the state of the operation before
  // (its entries come first) and an entry index inside this one.
  for (size_t j = std::min(current_op, claims_.size() - 1) + 1; j-- > 0;) {
    const DurabilityClaim& before = j == 0 ? DurabilityClaim{} : claims_[j - 1];
    if (claim.state != before.state || claim.snapshot_index != before.snapshot_index) continue;
    for (size_t pos = j == 0 ? 0 : op_end_[j - 1]; pos < op_end_[j]; ++pos) {
      const ModelRecord& r = stream_[pos];
      if (r.kind == ModelRecord::Kind::kEntry && r.entry.index == claim.last_index) return pos + 1;
    }
  }
  return std::nullopt;
}

size_t RaftLogModel::OpAt(size_t length) const {
  auto it = std::lower_bound(op_end_.begin(), op_end_.end(), length);
  return static_cast<size_t>(it - op_end_.begin());
}

}  // namespace walcrash::harness
