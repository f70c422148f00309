#include "engine/etcd/wal.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "engine/etcd/file_pipeline.h"
#include "engine/etcd/record_io.h"
#include "engine/etcd/wal_name.h"

namespace walcrash::etcd {

// --- options -------------------------------------------------------------------

std::string_view WalLevelName(WalLevel level) {
  switch (level) {
    case WalLevel::kNoLog: return "nolog";
    case WalLevel::kWrite: return "write";
    case WalLevel::kFsync: return "fsync";
  }
  return "?";
}

namespace {
struct BugSwitch {
  std::string_view name;
  bool KnownBugs::*field;
};
constexpr BugSwitch kBugSwitches[] = {
    {"no_dir_fsync_after_cut", &KnownBugs::no_dir_fsync_after_cut},
    {"no_tmp_fsync_before_rename", &KnownBugs::no_tmp_fsync_before_rename},
    {"crc_not_chained_into_new_segment", &KnownBugs::crc_not_chained_into_new_segment},
    {"torn_tail_as_corruption", &KnownBugs::torn_tail_as_corruption},
    {"corruption_as_torn_tail", &KnownBugs::corruption_as_torn_tail},
    {"no_tail_zeroing", &KnownBugs::no_tail_zeroing},
    {"create_not_atomic", &KnownBugs::create_not_atomic},
    {"ack_before_fsync", &KnownBugs::ack_before_fsync},
    {"no_tmp_dir_fsync_in_create", &KnownBugs::no_tmp_dir_fsync_in_create},
};
}  // namespace

bool KnownBugs::any() const {
  return std::any_of(std::begin(kBugSwitches), std::end(kBugSwitches), [&](const BugSwitch& b) { return this->*b.field; });
}

std::string KnownBugs::ToString() const {
  std::string out;
  for (const BugSwitch& b : kBugSwitches) {
    if (this->*b.field) out += out.empty() ? std::string(b.name) : "," + std::string(b.name);
  }
  return out.empty() ? "none" : out;
}

Status KnownBugs::Set(std::string_view name, bool on) {
  for (const BugSwitch& b : kBugSwitches) {
    if (b.name == name) {
      this->*b.field = on;
      return {};
    }
  }
  return Status(Code::kInvalidArgument, "", fmt::format("unknown known-bug switch '{}'", name));
}

std::vector<std::string_view> KnownBugs::Names() {
  std::vector<std::string_view> out;
  for (const BugSwitch& b : kBugSwitches) out.push_back(b.name);
  return out;
}

Status WalOptions::Validate() const {
  if (segment_size_bytes < 1024) {
    return Status(Code::kInvalidArgument, "", fmt::format("segment size {} is below 1 KiB", segment_size_bytes));
  }
  if (segment_size_bytes > (uint64_t{1} << 40)) {
    return Status(Code::kInvalidArgument, "", fmt::format("segment size {} is above 1 TiB", segment_size_bytes));
  }
  if (fsync_period.count() < 0 || fsync_period > std::chrono::hours(1)) {
    return Status(Code::kInvalidArgument, "",
                  fmt::format("fsync period {} ms is outside [0, 1 hour]", fsync_period.count()));
  }
  if (bugs.torn_tail_as_corruption && bugs.corruption_as_torn_tail) {
    return Status(Code::kInvalidArgument, "", "torn_tail_as_corruption and corruption_as_torn_tail exclude each other");
  }
  return {};
}

// --- helpers ---------------------------------------------------------------------

namespace {

DecoderPolicy PolicyOf(const WalOptions& o) {
  return {o.bugs.torn_tail_as_corruption, o.bugs.corruption_as_torn_tail};
}

bool IsRecord(const RecordView& r, RecordType t) { return r.type == static_cast<int64_t>(t); }

Result<std::vector<std::string>> WalNames(vfs::Vfs& vfs, const std::string& dir) {
  WALCRASH_ASSIGN_OR_RETURN(std::vector<std::string> names, vfs.List(dir));
  std::vector<std::string> wal = FilterWalNames(names);
  if (wal.empty()) return MakeError(WalError::kFileNotFound, dir);
  return wal;
}

struct Selection {
  std::vector<std::string> names;  // from the first one needed
};

Result<Selection> SelectWalFiles(vfs::Vfs& vfs, const std::string& dir, uint64_t snap_index) {
  WALCRASH_ASSIGN_OR_RETURN(std::vector<std::string> names, WalNames(vfs, dir));
  auto at = SearchIndex(names, snap_index);
  if (!at) {
    return MakeError(WalError::kFileNotFound, dir,
                     fmt::format("no file matches the snapshot index '{}'", snap_index));
  }
  Selection sel{{names.begin() + static_cast<std::ptrdiff_t>(*at), names.end()}};
  if (!IsValidSeq(sel.names)) {
    return MakeError(WalError::kSequence, dir, fmt::format("starting from {}", sel.names.front()));
  }
  return sel;
}

// Opens the selected segments: locked read-write for writing, read-only
// otherwise.
Result<std::vector<LockedFile>> OpenWalFiles(vfs::Vfs& vfs, const std::string& dir, const Selection& sel,
                                             bool write) {
  std::vector<LockedFile> files;
  for (const std::string& name : sel.names) {
    std::string path = vfs::JoinPath(dir, name);
    auto file = write ? vfs.OpenLocked(path, vfs::kRead | vfs::kWrite, vfs::Vfs::LockWait::kTry)
                      : vfs.Open(path, vfs::kRead);
    if (!file.ok()) {
      for (auto& f : files) f.file->Close().IgnoreError();  // the open error is the one to report
      if (file.error().code() == Code::kLocked) return MakeError(WalError::kLocked, path);
      return file.error();
    }
    files.push_back({std::move(file).value(), std::move(path)});
  }
  return files;
}

Result<std::vector<Decoder::Segment>> SegmentsOf(const std::vector<LockedFile>& files) {
  std::vector<Decoder::Segment> segments;
  for (const LockedFile& f : files) {
    WALCRASH_ASSIGN_OR_RETURN(uint64_t size, f.file->Size());
    segments.push_back({f.file.get(), size, f.path});
  }
  return segments;
}

void CloseAll(std::vector<LockedFile>& files, Status* status) {
  for (auto& f : files) {
    if (f.file) status->Update(f.file->Close());
  }
  files.clear();
}

// Walks the records of a read-only scan, checking the CRC records the way
// ReadAll does; `visit` sees every other record. Stops at EOF or a torn tail
// (read-mode rules) and returns other errors.
template <typename Visit>
Status ScanReadOnly(Decoder& decoder, Visit visit) {
  RecordView rec;
  for (;;) {
    auto next = decoder.DecodeView(rec);
    if (!next.ok()) {
      if (WalErrorOf(next.error()) == WalError::kUnexpectedEOF) return {};
      return next.error();
    }
    if (!*next) return {};
    if (IsRecord(rec, RecordType::kCrc)) {
      WALCRASH_RETURN_IF_ERROR(decoder.ChainCrcRecord(rec.crc));
      continue;
    }
    WALCRASH_RETURN_IF_ERROR(visit(rec));
  }
}

Status MkdirAll(vfs::Vfs& vfs, std::string_view path) {
  if (path.empty() || path == "/") return {};
  WALCRASH_ASSIGN_OR_RETURN(bool exists, vfs.Exists(path));
  if (exists) return {};
  WALCRASH_RETURN_IF_ERROR(MkdirAll(vfs, vfs::ParentPath(path)));
  Status s = vfs.Mkdir(path);
  return s.code() == Code::kExists ? Status() : s;
}

std::string ParentOf(const std::string& dir) {
  std::string_view parent = vfs::ParentPath(dir);
  return parent.empty() ? "." : std::string(parent);
}

Status SyncDirectory(vfs::Vfs& vfs, const std::string& path) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::Directory> d, vfs.OpenDirectory(path));
  Status s = d->Sync();
  s.Update(d->Close());
  return s;
}

// `bytes` rounded up to whole 8-byte frames.
uint64_t WholeFrames(uint64_t bytes) { return (bytes + kFrameSizeBytes - 1) / kFrameSizeBytes * kFrameSizeBytes; }

// The size a new segment file is preallocated to: the segment size in whole
// frames. Records are frame-aligned, so the zeros after the last one are
// then a whole number of frames: a zero length field ends the segment, never
// 1-7 bytes the decoder would take for a torn frame header (unexpected EOF,
// after a clean Close). Unchanged for sizes that are multiples of 8 (etcd's
// 64,000,000 and every default).
uint64_t PreallocBytes(const WalOptions& o) { return WholeFrames(o.segment_size_bytes); }

Status ZeroToEnd(vfs::File& file, uint64_t offset) {
  WALCRASH_ASSIGN_OR_RETURN(uint64_t length, file.Size());
  WALCRASH_RETURN_IF_ERROR(file.Truncate(offset));
  if (length <= offset) return {};
  // Keep the blocks allocated (and the size) as etcd's ZeroToEnd does, in
  // whole frames past `offset` (see PreallocBytes): a tail of another length
  // (not written by this engine) would leave appends a torn-looking remainder.
  return PreallocateSegment(file, offset + WholeFrames(length - offset), PreallocMode::kFallocate);
}

}  // namespace

// --- the WAL ---------------------------------------------------------------------

struct Wal::Impl {
  Impl(vfs::Vfs& v, std::string d, WalOptions o) : vfs(v), dir(std::move(d)), options(std::move(o)) {}

  vfs::Vfs& vfs;
  std::string dir;
  WalOptions options;
  bool write_mode = true;

  mutable std::mutex mu;
  SnapshotRecord start;
  std::string metadata;
  HardState state;
  uint64_t enti = 0;
  uint64_t snap_index = 0;  // the newest snapshot record written or read
  std::unique_ptr<Decoder> decoder;
  std::vector<LockedFile> locks;     // write mode: locked segments, the tail last
  std::vector<LockedFile> readers;   // read mode: open until ReadAll ends
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<vfs::Directory> dir_file;
  std::unique_ptr<FilePipeline> pipeline;
  // The durable watermark has a lock of its own: durable() may be called
  // while `mu` is held by a call that is inside a VFS call (a harness
  // observing every VFS call asks for it there).
  mutable std::mutex mark_mu;
  DurableMark mark;  // guarded by mark_mu; written under mu too
  bool unsynced = false;  // written since the last sync
  bool closed = false;
  Status failed;          // a failed sync or write: the WAL refuses more writes

  // Periodic syncer (kFsync with a period, background threads).
  std::thread syncer;
  std::condition_variable syncer_cv;
  bool stop_syncer = false;

  vfs::File& tail() { return *locks.back().file; }

  Status Usable(std::string_view op) const {
    if (closed) return MakeError(WalError::kClosed, dir, op);
    if (!failed.ok()) return failed.Annotate(fmt::format("{}: the WAL failed earlier", op));
    if (!write_mode) return Status(Code::kInvalidArgument, dir, fmt::format("{}: WAL opened for reading", op));
    if (!encoder) return Status(Code::kInvalidArgument, dir, fmt::format("{}: ReadAll must come first", op));
    return {};
  }

  // Keeps the first failure: after a failed write or sync nothing the WAL
  // says about durability can be trusted, so it stops taking writes.
  Status Fail(Status s) {
    if (!s.ok()) failed.Update(s);
    return s;
  }

  bool periodic() const { return options.level == WalLevel::kFsync && options.fsync_period.count() > 0; }

  // Flushes the page buffer and, unless `force` is false and the level or a
  // period says not to, fdatasyncs the tail. REQUIRES: mu.
  Status SyncLocked(bool force) {
    if (!encoder) return {};
    if (Status s = encoder->Flush(); !s.ok()) return Fail(s);
    bool fsync = force || (options.level == WalLevel::kFsync && !periodic());
    if (!fsync) {
      unsynced = true;
      return {};
    }
    if (Status s = tail().DataSync(); !s.ok()) return Fail(s);
    unsynced = false;
    SetMark(enti, state, true);
    return {};
  }

  void SetMark(uint64_t last_index, const HardState& s, bool synced) {
    std::lock_guard lock(mark_mu);
    mark = DurableMark{last_index, s, snap_index, mark.syncs + (synced ? 1 : 0)};
  }

  Status Encode(RecordType type, std::optional<std::string_view> data) {
    return Fail(encoder->Encode(type, data));
  }

  Status SaveState(const HardState& s) {
    if (s.empty()) return {};
    state = s;
    return Encode(RecordType::kState, EncodeHardState(s));
  }

  Status Cut();
  void StartBackground();
  void StartSyncer();  // REQUIRES: mu (the thread it starts waits for it)
};

Status Wal::Impl::Cut() {
  // Close the old tail: cut it at the file offset (an early cut leaves no
  // preallocated waste) and sync it.
  uint64_t off = encoder->file_offset();
  if (Status s = tail().Truncate(off); !s.ok()) return Fail(s);
  WALCRASH_RETURN_IF_ERROR(SyncLocked(true));

  WALCRASH_ASSIGN_OR_RETURN(SegmentName last, ParseWalName(vfs::BaseName(locks.back().path)));
  std::string final_path = vfs::JoinPath(dir, WalName(last.seq + 1, enti + 1));
  auto next = pipeline->Open();
  if (!next.ok()) return Fail(next.error());
  std::string tmp_path = next->path;
  locks.push_back(std::move(next).value());

  uint32_t prev_crc = options.bugs.crc_not_chained_into_new_segment ? 0 : encoder->crc();
  encoder = std::make_unique<Encoder>(&tail(), 0, prev_crc);
  WALCRASH_RETURN_IF_ERROR(Encode(RecordType::kCrc, std::nullopt));  // carries prev_crc
  WALCRASH_RETURN_IF_ERROR(Encode(RecordType::kMetadata, metadata));
  WALCRASH_RETURN_IF_ERROR(SaveState(state));
  if (options.bugs.no_tmp_fsync_before_rename) {
    if (Status s = encoder->Flush(); !s.ok()) return Fail(s);
  } else {
    WALCRASH_RETURN_IF_ERROR(SyncLocked(true));
  }
  off = encoder->file_offset();
  if (Status s = vfs.Rename(tmp_path, final_path); !s.ok()) return Fail(s);
  if (!options.bugs.no_dir_fsync_after_cut) {
    if (Status s = dir_file->Sync(); !s.ok()) return Fail(s);
  }
  // Reopen under the final name, so the lock and the name agree.
  Status closed_tmp = locks.back().file->Close();
  if (!closed_tmp.ok()) return Fail(closed_tmp);
  auto reopened = vfs.OpenLocked(final_path, vfs::kWrite, vfs::Vfs::LockWait::kTry);
  if (!reopened.ok()) return Fail(reopened.error());
  locks.back() = LockedFile{std::move(reopened).value(), final_path};
  encoder = std::make_unique<Encoder>(&tail(), off, encoder->crc());
  return Fail(pipeline->Prepare());
}

void Wal::Impl::StartBackground() {
  pipeline = std::make_unique<FilePipeline>(vfs, dir, PreallocBytes(options), options.prealloc,
                                            options.background_threads);
  StartSyncer();
}

void Wal::Impl::StartSyncer() {
  if (!options.background_threads || !periodic() || syncer.joinable()) return;
  syncer = std::thread([this] {
    std::unique_lock lock(mu);
    // One sync per period until Close; bounded by the WAL's lifetime. When
    // SetSyncPolicy turns the period off, the thread sleeps until it is
    // turned on again or the WAL closes.
    while (!stop_syncer) {
      if (!periodic()) {
        syncer_cv.wait(lock, [&] { return stop_syncer || periodic(); });
        continue;
      }
      syncer_cv.wait_for(lock, options.fsync_period, [&] { return stop_syncer; });
      if (stop_syncer || closed) break;
      if (periodic() && unsynced && failed.ok()) SyncLocked(true).IgnoreError();  // a failure is kept in `failed`
    }
  });
}

Wal::Wal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Wal::~Wal() {
  if (!impl_->closed) Close().IgnoreError();  // contract: a destructor's close error is lost
}

Result<std::unique_ptr<Wal>> Wal::Create(vfs::Vfs& vfs, std::string dir, std::string metadata, WalOptions options) {
  WALCRASH_RETURN_IF_ERROR(options.Validate());
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (Exist(vfs, dir)) return MakeError(WalError::kExist, dir);
  auto impl = std::make_unique<Impl>(vfs, dir, options);
  const bool atomic = !options.bugs.create_not_atomic;
  // Build in "<dir>.tmp" and rename it into place, so a crash never leaves a
  // half-made WAL under the real name.
  std::string build_dir = atomic ? dir + ".tmp" : dir;
  if (atomic) WALCRASH_RETURN_IF_ERROR(vfs.RemoveAll(build_dir));  // a stale one from a crash
  WALCRASH_RETURN_IF_ERROR(MkdirAll(vfs, build_dir));
  std::string name = WalName(0, 0);
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file,
                            vfs.OpenLocked(vfs::JoinPath(build_dir, name), vfs::kWrite | vfs::kCreate,
                                           vfs::Vfs::LockWait::kTry));
  WALCRASH_RETURN_IF_ERROR(PreallocateSegment(*file, PreallocBytes(options), options.prealloc));
  impl->locks.push_back({std::move(file), vfs::JoinPath(dir, name)});
  impl->metadata = metadata;
  impl->encoder = std::make_unique<Encoder>(&impl->tail(), 0, 0);
  WALCRASH_RETURN_IF_ERROR(impl->Encode(RecordType::kCrc, std::nullopt));
  WALCRASH_RETURN_IF_ERROR(impl->Encode(RecordType::kMetadata, metadata));
  WALCRASH_RETURN_IF_ERROR(impl->Encode(RecordType::kSnapshot, EncodeSnapshot(SnapshotRecord{})));
  WALCRASH_RETURN_IF_ERROR(impl->SyncLocked(true));
  if (atomic) {
    if (!options.bugs.no_tmp_dir_fsync_in_create) WALCRASH_RETURN_IF_ERROR(SyncDirectory(vfs, build_dir));
    WALCRASH_RETURN_IF_ERROR(vfs.RemoveAll(dir));
    WALCRASH_RETURN_IF_ERROR(vfs.Rename(build_dir, dir));
  }
  Status after = [&]() -> Status {
    WALCRASH_ASSIGN_OR_RETURN(impl->dir_file, vfs.OpenDirectory(dir));
    return SyncDirectory(vfs, ParentOf(dir));
  }();
  if (!after.ok()) {
    // etcd renames a WAL it could not finish to "<dir>.broken.<time>"; the
    // first free "<dir>.broken[.N]" keeps runs reproducible.
    impl->locks.clear();
    impl->dir_file.reset();
    for (int n = 0; n < 1000; ++n) {
      std::string broken = n == 0 ? dir + ".broken" : fmt::format("{}.broken.{}", dir, n);
      auto exists = vfs.Exists(broken);
      if (exists.ok() && !*exists) {
        vfs.Rename(dir, broken).IgnoreError();  // best effort; `after` is the error to report
        break;
      }
    }
    return after;
  }
  impl->StartBackground();
  WALCRASH_RETURN_IF_ERROR(impl->pipeline->Prepare());
  return std::unique_ptr<Wal>(new Wal(std::move(impl)));
}

namespace {
Result<std::unique_ptr<Wal::Impl>> OpenAtIndex(vfs::Vfs& vfs, std::string dir, const SnapshotRecord& snap,
                                                const WalOptions& options, bool write) {
  WALCRASH_RETURN_IF_ERROR(options.Validate());
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  WALCRASH_ASSIGN_OR_RETURN(Selection sel, SelectWalFiles(vfs, dir, snap.index));
  WALCRASH_ASSIGN_OR_RETURN(std::vector<LockedFile> files, OpenWalFiles(vfs, dir, sel, write));
  auto impl = std::make_unique<Wal::Impl>(vfs, dir, options);
  impl->write_mode = write;
  impl->start = snap;
  auto segments = SegmentsOf(files);
  if (!segments.ok()) {
    Status ignored;
    CloseAll(files, &ignored);
    return segments.error();
  }
  impl->decoder = std::make_unique<Decoder>(std::move(segments).value(), PolicyOf(options));
  (write ? impl->locks : impl->readers) = std::move(files);
  if (write) {
    WALCRASH_ASSIGN_OR_RETURN(impl->dir_file, vfs.OpenDirectory(dir));
  }
  return impl;
}
}  // namespace

Result<std::unique_ptr<Wal>> Wal::Open(vfs::Vfs& vfs, std::string dir, SnapshotRecord snap, WalOptions options) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, OpenAtIndex(vfs, std::move(dir), snap, options, true));
  return std::unique_ptr<Wal>(new Wal(std::move(impl)));
}

Result<std::unique_ptr<Wal>> Wal::OpenForRead(vfs::Vfs& vfs, std::string dir, SnapshotRecord snap,
                                              WalOptions options) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, OpenAtIndex(vfs, std::move(dir), snap, options, false));
  return std::unique_ptr<Wal>(new Wal(std::move(impl)));
}

Result<ReadResult> Wal::ReadAll() {
  ReadResult out;
  WALCRASH_RETURN_IF_ERROR(ReadAll(&out));
  return out;
}

Status Wal::ReadAll(ReadResult* read) {
  Impl& w = *impl_;
  std::lock_guard lock(w.mu);
  ReadResult& out = *read;
  out = ReadResult{};
  if (w.closed) return MakeError(WalError::kClosed, w.dir, "ReadAll");
  if (!w.decoder) return MakeError(WalError::kDecoderNotFound, w.dir);
  Decoder& decoder = *w.decoder;
  bool have_metadata = false;
  bool match = false;
  RecordView rec;
  Status err;
  // etcd's state.Reset(): an error returns nothing with it.
  auto fail = [&](Status s) -> Status {
    w.decoder.reset();
    out = ReadResult{};
    return s;
  };
  for (;;) {
    auto next = decoder.DecodeView(rec);
    if (!next.ok()) {
      err = next.error();
      break;
    }
    if (!*next) break;  // EOF
    switch (static_cast<RecordType>(rec.type)) {
      case RecordType::kEntry: {
        auto e = DecodeEntry(rec.data.value_or(""));
        if (!e.ok()) return fail(MakeError(WalError::kBadRecord, w.dir, e.error().message()));
        if (e->index > w.start.index) {
          uint64_t offset = e->index - w.start.index - 1;
          if (offset > out.entries.size()) {
            // etcd main returns the hard state and the contiguous entries
            // read so far (no metadata).
            Status s = MakeError(WalError::kSliceOutOfRange, w.dir,
                                 fmt::format("snapshot[Index: {}, Term: {}], current entry[Index: {}, Term: {}], "
                                             "len(ents): {}",
                                             w.start.index, w.start.term, e->index, e->term, out.entries.size()));
            w.decoder.reset();
            out.metadata.clear();
            return s;
          }
          out.entries.resize(static_cast<size_t>(offset));  // a later entry overrides the suffix
          out.entries.push_back(std::move(e).value());
        }
        w.enti = e->index;
        break;
      }
      case RecordType::kState: {
        auto s = DecodeHardState(rec.data.value_or(""));
        if (!s.ok()) return fail(MakeError(WalError::kBadRecord, w.dir, s.error().message()));
        out.state = *s;
        break;
      }
      case RecordType::kMetadata:
        if (have_metadata && out.metadata != rec.data.value_or("")) return fail(MakeError(WalError::kMetadataConflict, w.dir));
        out.metadata = rec.data.value_or("");
        have_metadata = true;
        break;
      case RecordType::kCrc:
        if (Status s = decoder.ChainCrcRecord(rec.crc); !s.ok()) return fail(s);
        break;
      case RecordType::kSnapshot: {
        auto snap = DecodeSnapshot(rec.data.value_or(""));
        if (!snap.ok()) return fail(MakeError(WalError::kBadRecord, w.dir, snap.error().message()));
        if (snap->index == w.start.index) {
          if (snap->term != w.start.term) return fail(MakeError(WalError::kSnapshotMismatch, w.dir));
          match = true;
        }
        w.snap_index = snap->index;
        break;
      }
      default:
        return fail(MakeError(WalError::kBadRecord, w.dir, fmt::format("unexpected block type {}", rec.type)));
    }
  }
  if (!w.write_mode) {
    // Read mode need not read everything: a torn last record ends it.
    if (!err.ok() && WalErrorOf(err) != WalError::kUnexpectedEOF) return fail(err);
  } else {
    // Write mode must read everything before it appends.
    if (!err.ok()) return fail(err);
    // A zero record may hide non-zero bytes of a torn write behind it; zero
    // them, or a later overwrite of some (not all) would read as corruption.
    if (!w.options.bugs.no_tail_zeroing) {
      if (Status s = ZeroToEnd(w.tail(), decoder.last_offset()); !s.ok()) return fail(s);
    }
  }
  Status result;
  if (!match) result = MakeError(WalError::kSnapshotNotFound, w.dir);
  w.metadata = out.metadata;
  w.start = SnapshotRecord{};
  if (w.write_mode) {
    // Chain the encoder's CRC with the decoder's; etcd loses the
    // snapshot-not-found error here, and so do we (wal-spec.md §2).
    w.encoder = std::make_unique<Encoder>(&w.tail(), decoder.last_offset(), decoder.crc());
    w.state = out.state;
    w.SetMark(w.enti, out.state, false);
    result = Status();
    w.StartBackground();
    if (Status s = w.pipeline->Prepare(); !s.ok()) return fail(s);
  } else {
    Status ignored;
    CloseAll(w.readers, &ignored);
  }
  w.decoder.reset();
  return result;  // read mode: snapshot-not-found comes with the data
}

Status Wal::Save(const HardState& st, const std::vector<Entry>& entries) {
  Impl& w = *impl_;
  std::lock_guard lock(w.mu);
  WALCRASH_RETURN_IF_ERROR(w.Usable("Save"));
  if (st.empty() && entries.empty()) return {};
  if (w.options.level == WalLevel::kNoLog) return {};  // TDengine: acknowledged, not written
  bool must_sync = !entries.empty() || st.vote != w.state.vote || st.term != w.state.term;
  for (const Entry& e : entries) {
    WALCRASH_RETURN_IF_ERROR(w.Fail(w.encoder->EncodeEntry(e)));
    w.enti = e.index;
  }
  WALCRASH_RETURN_IF_ERROR(w.SaveState(st));
  w.unsynced = true;  // buffered at least; the periodic syncer covers it too
  if (w.encoder->file_offset() < w.options.segment_size_bytes) {
    if (!must_sync) {
      // etcd keeps it in the page buffer; TDengine's write level (and its
      // fsync level with a period) write(2) every record at once.
      if (w.options.level == WalLevel::kWrite || w.periodic()) return w.Fail(w.encoder->Flush());
      return {};
    }
    if (w.options.bugs.ack_before_fsync) {
      // The bug: claim durability, leave the data in the page cache.
      if (Status s = w.encoder->Flush(); !s.ok()) return w.Fail(s);
      w.SetMark(w.enti, w.state, false);
      w.unsynced = true;
      return {};
    }
    return w.SyncLocked(false);
  }
  return w.Cut();
}

Status Wal::WaitForNextSegment() {
  Impl& w = *impl_;
  std::lock_guard lock(w.mu);
  WALCRASH_RETURN_IF_ERROR(w.Usable("WaitForNextSegment"));
  return w.pipeline->WaitUntilReady();
}

Status Wal::SaveSnapshot(const SnapshotRecord& snap) {
  Impl& w = *impl_;
  std::lock_guard lock(w.mu);
  WALCRASH_RETURN_IF_ERROR(w.Usable("SaveSnapshot"));
  if (snap.index > 0 && !snap.conf_state) {
    // etcd 3.5+'s ValidateSnapshotForWrite.
    return Status(Code::kInvalidArgument, w.dir,
                  fmt::format("wal: snapshot at index {} has no ConfState (required for index > 0)", snap.index));
  }
  if (w.options.level == WalLevel::kNoLog) return {};
  WALCRASH_RETURN_IF_ERROR(w.Encode(RecordType::kSnapshot, EncodeSnapshot(snap)));
  w.enti = std::max(w.enti, snap.index);
  w.snap_index = snap.index;
  return w.SyncLocked(true);
}

Status Wal::Sync() {
  Impl& w = *impl_;
  std::lock_guard lock(w.mu);
  WALCRASH_RETURN_IF_ERROR(w.Usable("Sync"));
  if (w.options.level == WalLevel::kNoLog) return {};
  return w.SyncLocked(true);
}

Status Wal::RunPeriodicSync() {
  Impl& w = *impl_;
  std::lock_guard lock(w.mu);
  WALCRASH_RETURN_IF_ERROR(w.Usable("RunPeriodicSync"));
  if (!w.periodic() || !w.unsynced) return {};
  return w.SyncLocked(true);
}

Status Wal::SetSyncPolicy(WalLevel level, std::chrono::milliseconds fsync_period) {
  Impl& w = *impl_;
  {
    std::lock_guard lock(w.mu);
    if (w.closed) return MakeError(WalError::kClosed, w.dir, "SetSyncPolicy");
    WalOptions changed = w.options;
    changed.level = level;
    changed.fsync_period = fsync_period;
    WALCRASH_RETURN_IF_ERROR(changed.Validate());
    w.options.level = level;
    w.options.fsync_period = fsync_period;
    w.syncer_cv.notify_all();
    if (w.pipeline) w.StartSyncer();  // open for writing: the new policy may need the syncer
  }
  return {};
}

Status Wal::ReleaseLockTo(uint64_t index) {
  Impl& w = *impl_;
  std::lock_guard lock(w.mu);
  if (w.locks.empty()) return {};
  size_t smaller = w.locks.size() - 1;  // none found: keep only the last
  for (size_t i = 0; i < w.locks.size(); ++i) {
    WALCRASH_ASSIGN_OR_RETURN(SegmentName name, ParseWalName(vfs::BaseName(w.locks[i].path)));
    if (name.index >= index) {
      if (i == 0) return {};
      smaller = i - 1;
      break;
    }
  }
  if (smaller == 0) return {};
  Status s;
  for (size_t i = 0; i < smaller; ++i) s.Update(w.locks[i].file->Close());
  w.locks.erase(w.locks.begin(), w.locks.begin() + static_cast<std::ptrdiff_t>(smaller));
  return s;
}

Status Wal::Close() {
  Impl& w = *impl_;
  {
    std::lock_guard lock(w.mu);
    if (w.closed) return MakeError(WalError::kClosed, w.dir, "Close");
    w.stop_syncer = true;
    w.syncer_cv.notify_all();
  }
  if (w.syncer.joinable()) w.syncer.join();
  std::lock_guard lock(w.mu);
  Status s;
  if (w.pipeline) s.Update(w.pipeline->Close());
  if (w.encoder && w.failed.ok() && w.options.level != WalLevel::kNoLog) s.Update(w.SyncLocked(true));
  CloseAll(w.locks, &s);
  CloseAll(w.readers, &s);
  if (w.dir_file) s.Update(w.dir_file->Close());
  w.encoder.reset();
  w.decoder.reset();
  w.closed = true;
  return s;
}

DurableMark Wal::durable() const {
  std::lock_guard lock(impl_->mark_mu);
  return impl_->mark;
}

std::vector<std::string> Wal::LockedSegments() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& l : impl_->locks) out.push_back(l.path);
  return out;
}

const WalOptions& Wal::options() const { return impl_->options; }
const std::string& Wal::dir() const { return impl_->dir; }

// --- read-only tools ----------------------------------------------------------------

bool Exist(vfs::Vfs& vfs, const std::string& dir) {
  // etcd's Exist: any name with the extension ".wal", segment or not.
  auto names = vfs.List(dir);
  return names.ok() &&
         std::any_of(names->begin(), names->end(), [](const std::string& n) { return n.ends_with(".wal"); });
}

namespace {
// Opens the segments of `sel` read-only and runs `body` with a decoder over
// them; closes them after.
template <typename Body>
Status WithReadOnlyDecoder(vfs::Vfs& vfs, const std::string& dir, const Selection& sel, const WalOptions& options,
                           Body body) {
  WALCRASH_ASSIGN_OR_RETURN(std::vector<LockedFile> files, OpenWalFiles(vfs, dir, sel, false));
  Status s;
  auto segments = SegmentsOf(files);
  if (segments.ok()) {
    Decoder decoder(std::move(segments).value(), PolicyOf(options));
    s = body(decoder);
  } else {
    s = segments.error();
  }
  CloseAll(files, &s);
  return s;
}
}  // namespace

Result<HardState> Verify(vfs::Vfs& vfs, const std::string& dir, const SnapshotRecord& snap,
                         const WalOptions& options) {
  WALCRASH_ASSIGN_OR_RETURN(Selection sel, SelectWalFiles(vfs, dir, snap.index));
  HardState state;
  std::optional<std::string> metadata;
  bool match = false;
  Status s = WithReadOnlyDecoder(vfs, dir, sel, options, [&](Decoder& decoder) {
    return ScanReadOnly(decoder, [&](const RecordView& rec) -> Status {
      switch (static_cast<RecordType>(rec.type)) {
        case RecordType::kMetadata:
          if (metadata && *metadata != rec.data.value_or("")) return MakeError(WalError::kMetadataConflict, dir);
          metadata = rec.data.value_or("");
          return {};
        case RecordType::kSnapshot: {
          auto snap_rec = DecodeSnapshot(rec.data.value_or(""));
          if (!snap_rec.ok()) return MakeError(WalError::kBadRecord, dir, snap_rec.error().message());
          if (snap_rec->index == snap.index) {
            if (snap_rec->term != snap.term) return MakeError(WalError::kSnapshotMismatch, dir);
            match = true;
          }
          return {};
        }
        case RecordType::kEntry:
          return {};
        case RecordType::kState: {
          auto hs = DecodeHardState(rec.data.value_or(""));
          if (!hs.ok()) return MakeError(WalError::kBadRecord, dir, hs.error().message());
          state = *hs;
          return {};
        }
        default:
          return MakeError(WalError::kBadRecord, dir, fmt::format("unexpected block type {}", rec.type));
      }
    });
  });
  if (!s.ok()) return s;
  if (!match) return MakeError(WalError::kSnapshotNotFound, dir);
  return state;
}

Result<std::vector<SnapshotRecord>> ValidSnapshotEntries(vfs::Vfs& vfs, const std::string& dir,
                                                         const WalOptions& options) {
  WALCRASH_ASSIGN_OR_RETURN(std::vector<std::string> names, WalNames(vfs, dir));
  std::vector<SnapshotRecord> snaps;
  HardState state;
  Status s = WithReadOnlyDecoder(vfs, dir, Selection{names}, options, [&](Decoder& decoder) {
    return ScanReadOnly(decoder, [&](const RecordView& rec) -> Status {
      if (IsRecord(rec, RecordType::kSnapshot)) {
        auto snap = DecodeSnapshot(rec.data.value_or(""));
        if (!snap.ok()) return MakeError(WalError::kBadRecord, dir, snap.error().message());
        snaps.push_back(*snap);
      } else if (IsRecord(rec, RecordType::kState)) {
        auto hs = DecodeHardState(rec.data.value_or(""));
        if (!hs.ok()) return MakeError(WalError::kBadRecord, dir, hs.error().message());
        state = *hs;
      }
      return {};
    });
  });
  if (!s.ok()) return s;
  std::erase_if(snaps, [&](const SnapshotRecord& snap) { return snap.index > state.commit; });
  return snaps;
}

bool Repair(vfs::Vfs& vfs, const std::string& dir, const WalOptions& options, Status* why) {
  auto report = [&](Status s) {
    if (why) *why = std::move(s);
    return false;
  };
  auto names = WalNames(vfs, dir);
  if (!names.ok()) return report(names.error());
  std::string path = vfs::JoinPath(dir, names->back());
  auto file = vfs.OpenLocked(path, vfs::kRead | vfs::kWrite, vfs::Vfs::LockWait::kTry);
  if (!file.ok()) return report(file.error());
  auto size = (*file)->Size();
  if (!size.ok()) return report(size.error());
  Decoder decoder({{file->get(), *size, path}}, PolicyOf(options));
  RecordView rec;
  for (;;) {
    uint64_t last_offset = decoder.last_offset();
    auto next = decoder.DecodeView(rec);
    if (next.ok() && *next) {
      if (IsRecord(rec, RecordType::kCrc)) {
        if (Status s = decoder.ChainCrcRecord(rec.crc); !s.ok()) return report(s);
      }
      continue;
    }
    if (next.ok()) {  // EOF: nothing to repair
      Status closed = (*file)->Close();
      if (!closed.ok()) return report(closed);
      if (why) *why = Status();
      return true;
    }
    if (WalErrorOf(next.error()) != WalError::kUnexpectedEOF) return report(next.error());
    // A torn tail: keep a copy, cut the file at the last valid record.
    Status s = [&]() -> Status {
      WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> broken,
                                vfs.Open(path + ".broken", vfs::kWrite | vfs::kCreate | vfs::kTruncate));
      std::string chunk(1 << 20, '\0');
      for (uint64_t at = 0; at < *size;) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), *size - at));
        WALCRASH_ASSIGN_OR_RETURN(size_t got, (*file)->ReadAt(at, {reinterpret_cast<std::byte*>(chunk.data()), want}));
        if (got == 0) break;
        WALCRASH_RETURN_IF_ERROR(broken->WriteAt(at, vfs::AsBytes(std::string_view(chunk).substr(0, got))));
        at += got;
      }
      WALCRASH_RETURN_IF_ERROR(broken->Close());
      WALCRASH_RETURN_IF_ERROR((*file)->Truncate(last_offset));
      WALCRASH_RETURN_IF_ERROR((*file)->Sync());
      return (*file)->Close();
    }();
    if (!s.ok()) return report(s);
    if (why) *why = Status();
    return true;
  }
}

}  // namespace walcrash::etcd
