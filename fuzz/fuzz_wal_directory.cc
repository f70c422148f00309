// fuzz_wal_directory — any bytes as a WAL directory (fuzz/directory_image.h),
// read through the engine's whole read side as a restarting etcd server
// would, each answer held to a reference model of etcd's semantics
// (wal-spec.md §2-3) built here from the records one decoder reads.
//
// The image goes into a SimVfs at /wal. Then, with background threads off:
//   Exist                 true exactly when some name ends with ".wal"
//   ValidSnapshotEntries  the snapshot records of every segment whose index
//                         is at most the last hard state's commit, or the
//                         error a read-only scan meets first
//   Verify(snap)          the last hard state, or the scan's first error
//                         (metadata conflict, snapshot mismatch, ..., snapshot
//                         not found)
//   OpenForRead + ReadAll read mode: a torn tail ends the read; the entries,
//                         hard state and metadata etcd's ReadAll returns, with
//                         its error
//   Open + ReadAll        write mode: everything must decode; on unexpected
//                         EOF, Close, Repair (checked: it keeps a .broken copy
//                         and cuts the last segment at its last good record,
//                         touches nothing else, and a second Repair changes
//                         nothing) and Open + ReadAll once more, as
//                         harness/etcd_adapter.cc recovers
// The file selection (segments from the last whose first index is at most
// the snapshot's, contiguous sequence numbers) is modelled too, and so is
// what each open fails with.
//
// After a successful write-mode ReadAll (a recovery) the result must also be
// internally consistent: entries contiguous from snapshot index + 1; the
// selected segments decode to their clean end with an intact CRC chain
// (recomputed here: CRC-32C over every non-CRC record's data, each CRC record
// carrying the running value); the hard state is the last one recorded; a
// read-mode ReadAll and Verify agree with it; and an append (one entry and a
// hard state, cutting a segment when the image's segment size says so)
// followed by Close reads back as the recovered log plus that entry.
//
// A finding is a disagreement with the model or a broken invariant above; a
// clean error for a bad directory is the expected outcome.
//
// WALCRASH_FUZZ_BUGS (comma-separated KnownBugs names) runs the engine with
// those known-bug switches on, to show the target finds them (the read-side
// ones: torn_tail_as_corruption, corruption_as_torn_tail, no_tail_zeroing,
// crc_not_chained_into_new_segment); unset, the correct engine, which must
// never give a finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "engine/crc32c.h"
#include "engine/etcd/errors.h"
#include "engine/etcd/record_io.h"
#include "engine/etcd/wal.h"
#include "engine/etcd/wal_name.h"
#include "engine/etcd/walpb.h"
#include "fuzz/directory_image.h"
#include "fuzz/finding.h"
#include "vfs/sim_vfs.h"

namespace {

namespace etcd = walcrash::etcd;
namespace vfs = walcrash::vfs;
using walcrash::Code;
using walcrash::Status;
using etcd::Record;
using etcd::RecordType;
using etcd::WalError;
using etcd::WalErrorOf;

constexpr std::string_view kDir = "/wal";

bool Is(const Record& r, RecordType t) { return r.type == static_cast<int64_t>(t); }

// The kind of an outcome: OK, an etcd error, or a plain VFS error by code.
std::string KindOf(const Status& s) {
  if (s.ok()) return "OK";
  if (WalErrorOf(s) != WalError::kNone) return std::string(etcd::WalErrorText(WalErrorOf(s)));
  return std::string(walcrash::CodeName(s.code()));
}

Status Expected(WalError e) { return e == WalError::kNone ? Status() : etcd::MakeError(e); }

std::string Describe(const etcd::ReadResult& r) {
  std::string entries;
  for (const etcd::Entry& e : r.entries) {
    if (entries.size() > 200) {
      entries += " ...";
      break;
    }
    entries += fmt::format(" {}/{}", e.index, e.term);
  }
  return fmt::format("metadata {} bytes, hard state {}/{}/{}, {} entries [{} ]", r.metadata.size(), r.state.term,
                     r.state.vote, r.state.commit, r.entries.size(), entries);
}

bool SameResult(const etcd::ReadResult& a, const etcd::ReadResult& b) {
  return a.metadata == b.metadata && a.state == b.state && a.entries == b.entries;
}

// --- the directory as the model sees it --------------------------------------------

struct Listing {
  std::vector<std::string> wal;       // strict segment names, sorted
  std::set<std::string> directories;  // names that are directories
  std::set<std::string> names;        // every name
};

Listing List(vfs::Vfs& v) {
  Listing out;
  auto names = v.List(kDir);
  WALCRASH_FUZZ_CHECK(names.ok(), "listing {} failed: {}", kDir, names.status().ToString());
  for (const std::string& n : *names) {
    out.names.insert(n);
    auto info = v.Stat(vfs::JoinPath(kDir, n));
    WALCRASH_FUZZ_CHECK(info.ok(), "stat of {} failed: {}", n, info.status().ToString());
    if (info->kind == vfs::FileKind::kDirectory) out.directories.insert(n);
    auto parsed = etcd::ParseWalName(n);
    if (parsed.ok() && etcd::WalName(parsed->seq, parsed->index) == n) out.wal.push_back(n);
  }
  std::sort(out.wal.begin(), out.wal.end());
  return out;
}

uint64_t FirstIndex(std::string_view name) { return etcd::ParseWalName(name).value().index; }
uint64_t Seq(std::string_view name) { return etcd::ParseWalName(name).value().seq; }

// The segments Open/Verify read from `snap_index`, or the error they fail with.
struct Selection {
  Status error;
  std::vector<std::string> names;
};

Selection Select(const Listing& l, uint64_t snap_index) {
  Selection s;
  if (l.wal.empty()) return {Expected(WalError::kFileNotFound), {}};
  size_t at = l.wal.size();
  for (size_t i = 0; i < l.wal.size(); ++i) {
    if (FirstIndex(l.wal[i]) <= snap_index) at = i;  // names sort by seq; the last one that fits
  }
  if (at == l.wal.size()) return {Expected(WalError::kFileNotFound), {}};
  s.names.assign(l.wal.begin() + static_cast<std::ptrdiff_t>(at), l.wal.end());
  // etcd's isValidSeq: each seq is the previous plus one, unchecked while the previous is 0.
  for (size_t i = 1; i < s.names.size(); ++i) {
    const uint64_t prev = Seq(s.names[i - 1]);
    if (prev != 0 && Seq(s.names[i]) != prev + 1) return {Expected(WalError::kSequence), {}};
  }
  return s;
}

// The first of `names` that cannot be opened as a file: a directory.
Status OpenError(const Listing& l, const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    if (l.directories.contains(n)) return Status(Code::kIsDirectory, n, "a directory");
  }
  return {};
}

bool SameKind(const Status& got, const Status& want) { return KindOf(got) == KindOf(want); }

// --- one decoder over segments, with the CRC chain recomputed -------------------------

struct Walk {
  std::vector<Record> records;  // every record read before the end (CRC records included)
  Status end;                   // OK at the clean end; the decoder's error; kCrcMismatch for the chain
  uint64_t stop_offset = 0;     // the decoder's last_offset() at the end
  std::string Summary() const { return fmt::format("{} records, then {}", records.size(), KindOf(end)); }
};

Walk WalkSegments(vfs::Vfs& v, const std::vector<std::string>& names, std::string_view what) {
  Walk walk;
  std::vector<std::unique_ptr<vfs::File>> files;
  std::vector<etcd::Decoder::Segment> segments;
  for (const std::string& n : names) {
    const std::string path = vfs::JoinPath(kDir, n);
    auto file = v.Open(path, vfs::kRead);
    WALCRASH_FUZZ_CHECK(file.ok(), "{}: opening {} failed: {}", what, n, file.status().ToString());
    auto size = (*file)->Size();
    WALCRASH_FUZZ_CHECK(size.ok(), "{}: size of {}: {}", what, n, size.status().ToString());
    segments.push_back({file->get(), *size, path});
    files.push_back(std::move(file).value());
  }
  etcd::Decoder d(std::move(segments));
  uint32_t running = 0;
  for (;;) {
    Record rec;
    auto next = d.Decode(rec);
    if (!next.ok()) {
      walk.end = next.error();
      break;
    }
    if (!*next) break;
    if (Is(rec, RecordType::kCrc)) {
      if (running != 0 && rec.crc != running) {
        walk.end = etcd::MakeError(WalError::kCrcMismatch);
        break;
      }
      running = rec.crc;
      WALCRASH_FUZZ_CHECK(d.ChainCrcRecord(rec).ok(), "{}: ChainCrcRecord refused a CRC record that holds", what);
    } else {
      if (rec.data) running = walcrash::crc32c::Update(running, vfs::AsBytes(*rec.data));
      WALCRASH_FUZZ_CHECK(rec.crc == running,
                          "{}: the decoder returned a record (type {}) carrying CRC {:08x}; the chain gives {:08x}",
                          what, rec.type, rec.crc, running);
    }
    walk.records.push_back(std::move(rec));
  }
  walk.stop_offset = d.last_offset();
  for (auto& f : files) f->Close().IgnoreError();  // read-only
  return walk;
}

// --- the models --------------------------------------------------------------------

struct ReadModel {
  Status error;  // the kind ReadAll returns
  etcd::ReadResult out;
  bool match = false;
};

// etcd's ReadAll over the records of the selected segments.
ReadModel ModelReadAll(const Walk& walk, const etcd::SnapshotRecord& snap, bool write) {
  ReadModel m;
  bool have_metadata = false;
  auto fail = [&](WalError e) {
    m.error = Expected(e);
    m.out = etcd::ReadResult{};
    return m;
  };
  for (const Record& rec : walk.records) {
    const std::string data = rec.data.value_or("");
    switch (static_cast<RecordType>(rec.type)) {
      case RecordType::kEntry: {
        auto e = etcd::DecodeEntry(data);
        if (!e.ok()) return fail(WalError::kBadRecord);
        if (e->index > snap.index) {
          const uint64_t offset = e->index - snap.index - 1;
          if (offset > m.out.entries.size()) {
            m.error = Expected(WalError::kSliceOutOfRange);
            m.out.metadata.clear();  // the hard state and the entries so far stay
            return m;
          }
          m.out.entries.resize(static_cast<size_t>(offset));
          m.out.entries.push_back(*e);
        }
        break;
      }
      case RecordType::kState: {
        auto s = etcd::DecodeHardState(data);
        if (!s.ok()) return fail(WalError::kBadRecord);
        m.out.state = *s;
        break;
      }
      case RecordType::kMetadata:
        if (have_metadata && m.out.metadata != data) return fail(WalError::kMetadataConflict);
        m.out.metadata = data;
        have_metadata = true;
        break;
      case RecordType::kCrc: break;  // the walk checked the chain
      case RecordType::kSnapshot: {
        auto s = etcd::DecodeSnapshot(data);
        if (!s.ok()) return fail(WalError::kBadRecord);
        if (s->index == snap.index) {
          if (s->term != snap.term) return fail(WalError::kSnapshotMismatch);
          m.match = true;
        }
        break;
      }
      default: return fail(WalError::kBadRecord);
    }
  }
  if (!walk.end.ok() && (write || WalErrorOf(walk.end) != WalError::kUnexpectedEOF)) {
    return fail(WalErrorOf(walk.end));
  }
  if (!write && !m.match) m.error = Expected(WalError::kSnapshotNotFound);
  return m;
}

struct VerifyModel {
  Status error;
  etcd::HardState state;
};

// etcd's Verify: a read-only scan (a torn tail ends it) of the selected segments.
VerifyModel ModelVerify(const Walk& walk, const etcd::SnapshotRecord& snap) {
  VerifyModel m;
  std::optional<std::string> metadata;
  bool match = false;
  for (const Record& rec : walk.records) {
    const std::string data = rec.data.value_or("");
    switch (static_cast<RecordType>(rec.type)) {
      case RecordType::kMetadata:
        if (metadata && *metadata != data) return {Expected(WalError::kMetadataConflict), {}};
        metadata = data;
        break;
      case RecordType::kSnapshot: {
        auto s = etcd::DecodeSnapshot(data);
        if (!s.ok()) return {Expected(WalError::kBadRecord), {}};
        if (s->index == snap.index) {
          if (s->term != snap.term) return {Expected(WalError::kSnapshotMismatch), {}};
          match = true;
        }
        break;
      }
      case RecordType::kState: {
        auto s = etcd::DecodeHardState(data);
        if (!s.ok()) return {Expected(WalError::kBadRecord), {}};
        m.state = *s;
        break;
      }
      case RecordType::kEntry:
      case RecordType::kCrc: break;
      default: return {Expected(WalError::kBadRecord), {}};
    }
  }
  if (!walk.end.ok() && WalErrorOf(walk.end) != WalError::kUnexpectedEOF) return {walk.end, {}};
  if (!match) return {Expected(WalError::kSnapshotNotFound), {}};
  return m;
}

struct SnapshotsModel {
  Status error;
  std::vector<etcd::SnapshotRecord> snaps;
};

// etcd's ValidSnapshotEntries: a read-only scan of every segment.
SnapshotsModel ModelSnapshots(const Walk& walk) {
  SnapshotsModel m;
  etcd::HardState state;
  for (const Record& rec : walk.records) {
    const std::string data = rec.data.value_or("");
    if (Is(rec, RecordType::kSnapshot)) {
      auto s = etcd::DecodeSnapshot(data);
      if (!s.ok()) return {Expected(WalError::kBadRecord), {}};
      m.snaps.push_back(*s);
    } else if (Is(rec, RecordType::kState)) {
      auto s = etcd::DecodeHardState(data);
      if (!s.ok()) return {Expected(WalError::kBadRecord), {}};
      state = *s;
    }
  }
  if (!walk.end.ok() && WalErrorOf(walk.end) != WalError::kUnexpectedEOF) return {walk.end, {}};
  std::erase_if(m.snaps, [&](const etcd::SnapshotRecord& s) { return s.index > state.commit; });
  return m;
}

// --- the run -----------------------------------------------------------------------

using Files = std::map<std::string, walcrash::fuzz::ImageEntry>;

Files Contents(vfs::Vfs& v) {
  auto image = walcrash::fuzz::ReadDirectoryImage(v, kDir);
  WALCRASH_FUZZ_CHECK(image.ok(), "reading {} back failed: {}", kDir, image.status().ToString());
  Files out;
  for (walcrash::fuzz::ImageEntry& e : image->entries) out[e.name] = std::move(e);
  return out;
}

// A directory where the file pipeline makes its temp file: it cannot.
bool TempIsDirectory(const Listing& l) { return l.directories.contains("0.tmp") || l.directories.contains("1.tmp"); }

void CheckContiguous(const etcd::ReadResult& r, const etcd::SnapshotRecord& snap, std::string_view what) {
  for (size_t i = 0; i < r.entries.size(); ++i) {
    WALCRASH_FUZZ_CHECK(r.entries[i].index > snap.index && r.entries[i].index - snap.index - 1 == i,
                        "{}: entry {} of ReadAll's result has index {}; the snapshot is at {}: {}", what, i,
                        r.entries[i].index, snap.index, Describe(r));
  }
}

struct Context {
  vfs::SimVfs& fs;
  etcd::SnapshotRecord snap;
  etcd::WalOptions options;
};

// What opening fails with, as the model sees the directory.
Status WantOpen(const Listing& l, const Selection& sel) {
  if (!sel.error.ok()) return sel.error;
  return OpenError(l, sel.names);
}

void CheckExist(Context& c, const walcrash::fuzz::DirectoryImage& image) {
  const bool want = std::any_of(image.entries.begin(), image.entries.end(),
                                [](const walcrash::fuzz::ImageEntry& e) { return e.name.ends_with(".wal"); });
  WALCRASH_FUZZ_CHECK(etcd::Exist(c.fs, std::string(kDir)) == want, "Exist says {}; a name ending \".wal\" {}",
                      !want, want ? "is there" : "is not there");
}

void CheckSnapshots(Context& c) {
  const Listing l = List(c.fs);
  SnapshotsModel m;
  if (l.wal.empty()) {
    m.error = Expected(WalError::kFileNotFound);
  } else if (Status open = OpenError(l, l.wal); !open.ok()) {
    m.error = open;
  } else {
    m = ModelSnapshots(WalkSegments(c.fs, l.wal, "ValidSnapshotEntries"));
  }
  auto got = etcd::ValidSnapshotEntries(c.fs, std::string(kDir), c.options);
  WALCRASH_FUZZ_CHECK(SameKind(got.status(), m.error), "ValidSnapshotEntries: {}; the model says {}",
                      got.status().ToString(), KindOf(m.error));
  if (got.ok()) {
    WALCRASH_FUZZ_CHECK(*got == m.snaps, "ValidSnapshotEntries: {} snapshots; the model has {}", got->size(),
                        m.snaps.size());
  }
}

void CheckVerify(Context& c, std::string_view what) {
  const Listing l = List(c.fs);
  const Selection sel = Select(l, c.snap.index);
  VerifyModel m;
  if (Status open = WantOpen(l, sel); !open.ok()) {
    m.error = open;
  } else {
    m = ModelVerify(WalkSegments(c.fs, sel.names, what), c.snap);
  }
  auto got = etcd::Verify(c.fs, std::string(kDir), c.snap, c.options);
  WALCRASH_FUZZ_CHECK(SameKind(got.status(), m.error), "{}: Verify gave {}; the model says {}", what,
                      got.status().ToString(), KindOf(m.error));
  if (got.ok()) {
    WALCRASH_FUZZ_CHECK(*got == m.state, "{}: Verify returned hard state {}/{}/{}; the last recorded is {}/{}/{}", what,
                        got->term, got->vote, got->commit, m.state.term, m.state.vote, m.state.commit);
  }
}

struct ReadOnly {
  bool opened = false;
  Status status;  // of OpenForRead, else of ReadAll
  etcd::ReadResult out;
  ReadModel model;
};

// OpenForRead + ReadAll, held to the model.
ReadOnly ReadMode(Context& c, std::string_view what) {
  ReadOnly r;
  const Listing l = List(c.fs);
  const Selection sel = Select(l, c.snap.index);
  const Status want_open = WantOpen(l, sel);
  auto w = etcd::Wal::OpenForRead(c.fs, std::string(kDir), c.snap, c.options);
  WALCRASH_FUZZ_CHECK(SameKind(w.status(), want_open), "{}: OpenForRead gave {}; the model says {}", what,
                      w.status().ToString(), KindOf(want_open));
  if (!w.ok()) {
    r.status = w.status();
    return r;
  }
  r.opened = true;
  r.model = ModelReadAll(WalkSegments(c.fs, sel.names, what), c.snap, false);
  r.status = (*w)->ReadAll(&r.out);
  WALCRASH_FUZZ_CHECK(SameKind(r.status, r.model.error) && SameResult(r.out, r.model.out),
                      "{}: ReadAll gave {} with {}; the model says {} with {}", what, KindOf(r.status),
                      Describe(r.out), KindOf(r.model.error), Describe(r.model.out));
  CheckContiguous(r.out, c.snap, what);
  Status closed = (*w)->Close();
  WALCRASH_FUZZ_CHECK(closed.ok(), "{}: closing a WAL opened for reading failed: {}", what, closed.ToString());
  return r;
}

struct WriteRead {
  std::unique_ptr<etcd::Wal> wal;  // open; ready to append when status is OK
  Status status;                   // of Open, else of ReadAll
  etcd::ReadResult out;
  ReadModel model;
  Selection selection;
  Listing listing;
};

// Open + ReadAll (write mode), held to the model.
WriteRead WriteMode(Context& c, std::string_view what) {
  WriteRead r;
  r.listing = List(c.fs);
  r.selection = Select(r.listing, c.snap.index);
  const Status want_open = WantOpen(r.listing, r.selection);
  auto w = etcd::Wal::Open(c.fs, std::string(kDir), c.snap, c.options);
  WALCRASH_FUZZ_CHECK(SameKind(w.status(), want_open), "{}: Open gave {}; the model says {}", what,
                      w.status().ToString(), KindOf(want_open));
  if (!w.ok()) {
    r.status = w.status();
    return r;
  }
  r.wal = std::move(w).value();
  r.model = ModelReadAll(WalkSegments(c.fs, r.selection.names, what), c.snap, true);
  r.status = r.wal->ReadAll(&r.out);
  if (r.model.error.ok() && !r.status.ok() && WalErrorOf(r.status) == WalError::kNone &&
      TempIsDirectory(r.listing)) {
    return r;  // the file pipeline could not make its temp file: a clean error
  }
  WALCRASH_FUZZ_CHECK(SameKind(r.status, r.model.error) && SameResult(r.out, r.model.out),
                      "{}: ReadAll gave {} with {}; the model says {} with {}", what, KindOf(r.status),
                      Describe(r.out), KindOf(r.model.error), Describe(r.model.out));
  CheckContiguous(r.out, c.snap, what);
  return r;
}

// Runs Repair and holds it to etcd's: on a torn tail of the last segment it
// keeps a copy (".broken") and cuts the segment at its last good record;
// true when nothing needed repair; false on anything else, changing nothing.
bool CheckRepair(Context& c) {
  const Files before = Contents(c.fs);
  const Listing l = List(c.fs);
  bool want = false;
  Files after = before;
  if (!l.wal.empty() && !l.directories.contains(l.wal.back())) {
    const std::string& last = l.wal.back();
    const Walk walk = WalkSegments(c.fs, {last}, "repair model");
    if (walk.end.ok()) {
      want = true;
    } else if (WalErrorOf(walk.end) == WalError::kUnexpectedEOF && !l.directories.contains(last + ".broken")) {
      want = true;
      const std::string& old = before.at(last).contents;
      after[last + ".broken"] = walcrash::fuzz::ImageEntry{last + ".broken", false, old};
      after[last].contents = old.substr(0, static_cast<size_t>(walk.stop_offset));
    }
  }
  Status why;
  const bool got = etcd::Repair(c.fs, std::string(kDir), c.options, &why);
  WALCRASH_FUZZ_CHECK(got == want, "Repair returned {} ({}); the model says {}", got, why.ToString(), want);
  WALCRASH_FUZZ_CHECK(Contents(c.fs) == after, "Repair {} the directory other than etcd's Repair would",
                      got ? "left" : "changed");
  if (got) {
    const bool again = etcd::Repair(c.fs, std::string(kDir), c.options, &why);
    WALCRASH_FUZZ_CHECK(again && Contents(c.fs) == after, "a second Repair returned {} ({}) or changed the directory",
                        again, why.ToString());
  }
  return got;
}

// A recovery succeeded: the result must be consistent with the directory,
// and an append must read back.
void CheckRecovered(Context& c, WriteRead& r) {
  const etcd::ReadResult& out = r.out;
  const Walk walk = WalkSegments(c.fs, r.selection.names, "recovered");
  WALCRASH_FUZZ_CHECK(walk.end.ok(), "recovery: ReadAll succeeded, but the selected segments read {}: {}",
                      walk.Summary(), walk.end.ToString());

  const Status want_read = Expected(r.model.match ? WalError::kNone : WalError::kSnapshotNotFound);
  const ReadOnly reread = ReadMode(c, "read after recovery");
  WALCRASH_FUZZ_CHECK(reread.opened && SameKind(reread.status, want_read) && SameResult(reread.out, out),
                      "recovery: a read-mode ReadAll gives {} with {}; the recovery read {}", KindOf(reread.status),
                      Describe(reread.out), Describe(out));
  auto verified = etcd::Verify(c.fs, std::string(kDir), c.snap, c.options);
  WALCRASH_FUZZ_CHECK(SameKind(verified.status(), want_read) && (!verified.ok() || *verified == out.state),
                      "recovery: Verify gives {}; the recovery read {}", verified.status().ToString(), Describe(out));

  // Append one entry and a hard state, close, read back.
  const uint64_t last = out.entries.empty() ? c.snap.index : out.entries.back().index;
  if (last >= UINT64_MAX - 1 || Seq(r.selection.names.back()) == UINT64_MAX) {
    r.wal->Close().IgnoreError();  // no room for one more entry or one more segment
    return;
  }
  const uint64_t term = std::max({uint64_t{1}, out.state.term, out.entries.empty() ? 0 : out.entries.back().term});
  const etcd::Entry entry{term, last + 1, 0, "walcrash fuzz append"};
  const etcd::HardState state{term, out.state.vote, out.state.commit};
  Status saved = r.wal->Save(state, {entry});
  Status closed = r.wal->Close();
  if (!saved.ok() || !closed.ok()) {
    WALCRASH_FUZZ_CHECK(TempIsDirectory(r.listing), "append after recovery: Save gave {}, Close gave {}",
                        saved.ToString(), closed.ToString());
    return;
  }
  etcd::ReadResult want = out;
  want.entries.push_back(entry);
  want.state = state;
  const ReadOnly back = ReadMode(c, "read after append");
  WALCRASH_FUZZ_CHECK(back.opened && SameKind(back.status, want_read) && SameResult(back.out, want),
                      "append after recovery: reading back gives {} with {}; want {} with {}", KindOf(back.status),
                      Describe(back.out), KindOf(want_read), Describe(want));
  const Listing l = List(c.fs);
  const Selection sel = Select(l, c.snap.index);
  WALCRASH_FUZZ_CHECK(sel.error.ok(), "append after recovery: the segments no longer select: {}",
                      sel.error.ToString());
  const Walk appended = WalkSegments(c.fs, sel.names, "appended");
  WALCRASH_FUZZ_CHECK(appended.end.ok(), "append after recovery: the segments read {}: {}", appended.Summary(),
                      appended.end.ToString());
}

// Recovers as a restarting etcd server does (harness/etcd_adapter.cc).
void Recover(Context& c) {
  WriteRead first = WriteMode(c, "recovery");
  if (!first.wal) return;
  if (first.status.ok()) {
    CheckRecovered(c, first);
    return;
  }
  Status closed = first.wal->Close();
  WALCRASH_FUZZ_CHECK(closed.ok(), "recovery: Close after a failed ReadAll failed: {}", closed.ToString());
  first.wal.reset();
  const bool repaired = CheckRepair(c);
  if (!repaired || WalErrorOf(first.status) != WalError::kUnexpectedEOF) return;
  WriteRead second = WriteMode(c, "recovery after Repair");
  if (!second.wal) return;
  if (second.status.ok()) {
    CheckRecovered(c, second);
    return;
  }
  second.wal->Close().IgnoreError();  // the ReadAll error is the outcome
}

etcd::KnownBugs& Bugs() {
  static etcd::KnownBugs bugs;
  return bugs;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const std::string names = walcrash::fuzz::EnvOr("WALCRASH_FUZZ_BUGS");
  std::string_view rest = names == "none" ? std::string_view() : std::string_view(names);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    if (Status s = Bugs().Set(rest.substr(0, comma)); !s.ok()) {
      std::fprintf(stderr, "fuzz_wal_directory: WALCRASH_FUZZ_BUGS=%s: %s\n", names.c_str(), s.ToString().c_str());
      std::exit(2);
    }
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  etcd::WalOptions probe;
  probe.bugs = Bugs();
  if (Status s = probe.Validate(); !s.ok()) {
    std::fprintf(stderr, "fuzz_wal_directory: WALCRASH_FUZZ_BUGS=%s: %s\n", names.c_str(), s.ToString().c_str());
    std::exit(2);
  }
  if (Bugs().any()) std::fprintf(stderr, "fuzz_wal_directory: known-bug switches: %s\n", Bugs().ToString().c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const walcrash::fuzz::DirectoryImage image =
      walcrash::fuzz::DecodeDirectoryImage(std::span<const uint8_t>(data, size));
  WALCRASH_FUZZ_CHECK(image.entries.size() <= walcrash::fuzz::kMaxImageEntries &&
                          image.total_bytes() <= walcrash::fuzz::kMaxImageBytes,
                      "image decoder: {} entries, {} bytes: out of bounds", image.entries.size(), image.total_bytes());
  vfs::SimVfs fs;
  Status written = walcrash::fuzz::WriteDirectoryImage(fs, kDir, image);
  WALCRASH_FUZZ_CHECK(written.ok(), "image decoder: the image cannot be written: {}", written.ToString());

  etcd::WalOptions options;
  options.background_threads = false;
  options.segment_size_bytes = image.append_segment_bytes;
  options.bugs = Bugs();
  Context c{fs, etcd::SnapshotRecord{image.snapshot_index, image.snapshot_term, std::nullopt}, options};
  CheckExist(c, image);
  CheckSnapshots(c);
  CheckVerify(c, "Verify");
  ReadMode(c, "read");
  Recover(c);
  return 0;
}
