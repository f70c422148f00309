// etcd's write-ahead log (go.etcd.io/etcd/server/wal), on vfs::Vfs.
//
// Byte-compatible with etcd: it reads WAL directories etcd wrote and etcd
// reads what it writes (record_io.h draws the frame; walpb.h the messages).
// All I/O goes through the Vfs it is given.
//
// Directory: segments "%016x-%016x.wal" (seq, first index; wal_name.h).
// Segment 0 starts CRC(0), METADATA, SNAPSHOT{0,0}; segment N starts
// CRC(R), METADATA, STATE (the last hard state, when not empty). Each segment
// is preallocated to options.segment_size_bytes (rounded up to whole 8-byte
// frames, so the zeros after the last record never end in a torn-looking
// 1-7 bytes); a Save that leaves the file offset at or past the segment size
// cuts a new segment.
//
// What is durable when (with the default options: level kFsync, period 0):
//   Create      the directory, segment 0 and its three records, when it returns
//               (built in "<dir>.tmp", which is fsynced, then renamed; the
//               parent directory is fsynced).
//   Save        entries then the hard state; fdatasync before returning when
//               there are entries or the term or vote changed (raft's
//               MustSync); otherwise they may sit in the user-space page
//               buffer. A Save that cuts syncs.
//   SaveSnapshot, Sync, Close   fdatasync before returning.
//   cut         the old tail is truncated and synced; the new segment is
//               written as a temp file, synced, renamed, and the directory
//               is fsynced before anything is appended to it.
// The durable watermark (durable()) says what the WAL has synced: the index
// of the last entry and the hard state covered by the last successful sync.
// A test holds the WAL to it: after any crash, everything up to it recovers.
//
// Sync policy (TDengine's WAL levels, seed 004):
//   kNoLog   Save acknowledges and writes nothing; nothing becomes durable.
//   kWrite   every Save writes to the file (page buffer flushed), never syncs;
//            only Sync, SaveSnapshot, cut and Close make data durable.
//   kFsync   period 0: as etcd (above). period P > 0: every Save writes to
//            the file without syncing and a background thread syncs every P
//            (if anything was written); the watermark moves when it does.
//
// Known-bug switches (WalOptions::bugs) reintroduce, one at a time, the
// historical defects of wal-spec.md §6, so the harness can prove it finds
// each. All are off by default.
//
// Threading: every method may be called from any thread (one mutex). The
// file pipeline and the periodic syncer run on background threads of their
// own. REQUIRES: the Vfs outlives the Wal.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/etcd/errors.h"
#include "engine/etcd/walpb.h"
#include "vfs/vfs.h"

namespace walcrash::etcd {

inline constexpr uint64_t kDefaultSegmentSizeBytes = 64 * 1000 * 1000;

enum class WalLevel : unsigned char { kNoLog, kWrite, kFsync };
std::string_view WalLevelName(WalLevel level);

// How a new segment's space is reserved.
enum class PreallocMode : unsigned char {
  kFallocate,  // fallocate(mode 0), falling back to ftruncate (etcd)
  kZeroFill,   // write zeros and sync, so later fdatasyncs need no metadata commit
};

struct KnownBugs {
  // etcd before v3.1 (#6368, the seed's own cut()): no fsync of the WAL
  // directory after renaming the new segment into place.
  bool no_dir_fsync_after_cut = false;
  // The new segment's header (CRC, METADATA, STATE) is not synced before the
  // rename, so the name can reach disk before the data.
  bool no_tmp_fsync_before_rename = false;
  // #11918-like: a new segment's encoder and CRC record start from 0 instead
  // of the previous segment's running CRC.
  bool crc_not_chained_into_new_segment = false;
  // Before #5230: a torn last record is reported as corruption (CRC mismatch)
  // instead of unexpected EOF, so Repair refuses it.
  bool torn_tail_as_corruption = false;
  // The opposite: any bad record, anywhere, is taken for a torn tail, so
  // Repair truncates real corruption (silent loss).
  bool corruption_as_torn_tail = false;
  // Before "zero out wal tail": no zeroing past the last valid record before
  // appending, so stale bytes of a torn write survive behind new records.
  bool no_tail_zeroing = false;
  // Before #5270: Create writes segment 0 in place, not in "<dir>.tmp" and
  // renamed, so a crash can leave a half-made WAL.
  bool create_not_atomic = false;
  // Save acknowledges (and moves the durable watermark) before it syncs.
  bool ack_before_fsync = false;
  // etcd's own Create as shipped: "<dir>.tmp" is never fsynced before its
  // rename, so segment 0's entry may not be durable (ext4's journal order
  // hides it; POSIX does not promise it).
  bool no_tmp_dir_fsync_in_create = false;

  bool any() const;
  std::string ToString() const;  // "no_dir_fsync_after_cut,ack_before_fsync" or "none"
  // Sets the switch named `name`; InvalidArgument for an unknown one.
  Status Set(std::string_view name, bool on = true);
  static std::vector<std::string_view> Names();
};

struct WalOptions {
  uint64_t segment_size_bytes = kDefaultSegmentSizeBytes;
  WalLevel level = WalLevel::kFsync;
  std::chrono::milliseconds fsync_period{0};  // kFsync only; 0 = sync in Save
  PreallocMode prealloc = PreallocMode::kFallocate;
  // true: the file pipeline and the periodic syncer run on threads, as in
  // etcd. false: the pipeline prepares the next segment inline (right after
  // Create/ReadAll and each cut) and nothing syncs by itself; the caller runs
  // the periodic sync with RunPeriodicSync(). The harness uses false, so the
  // order of VFS calls, and so every crash point, is deterministic.
  bool background_threads = true;
  KnownBugs bugs;

  Status Validate() const;  // segment size >= 1 KiB, period <= 1 hour
};

// What ReadAll returns.
struct ReadResult {
  std::string metadata;
  HardState state;
  std::vector<Entry> entries;
};

// What the WAL has made durable (see the header comment).
struct DurableMark {
  uint64_t last_index = 0;  // entries up to this index were synced...
  HardState state;          // ...with this hard state
  uint64_t snapshot_index = 0;  // ...and snapshot records up to this one
  uint64_t syncs = 0;       // successful syncs so far
};

class Wal {
 public:
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Creates a WAL in `dir` (which must not hold *.wal files), ready to
  // append. ErrExist (WalError::kExist) when it already holds a WAL.
  static Result<std::unique_ptr<Wal>> Create(vfs::Vfs& vfs, std::string dir, std::string metadata,
                                             WalOptions options = {});
  // Opens at `snap` for appending: locks every selected segment (kLocked if
  // another handle holds one). Call ReadAll before Save.
  static Result<std::unique_ptr<Wal>> Open(vfs::Vfs& vfs, std::string dir, SnapshotRecord snap,
                                           WalOptions options = {});
  // Opens at `snap` for reading only (no locks taken; works while a writer
  // holds them). Only ReadAll and Close may be called.
  static Result<std::unique_ptr<Wal>> OpenForRead(vfs::Vfs& vfs, std::string dir, SnapshotRecord snap,
                                                  WalOptions options = {});

  // Reads everything after the snapshot, as etcd's ReadAll(): fills `out`
  // with what etcd returns and returns etcd's error. Errors: kSnapshotMismatch,
  // kSnapshotNotFound (read mode, with everything read in `out`; etcd's write
  // mode loses this error, and so does this one), kMetadataConflict,
  // kCrcMismatch, kRecordCrcMismatch, kSliceOutOfRange (with the hard state
  // and the contiguous entries read so far, as etcd main returns them),
  // kUnexpectedEOF (write mode: a torn tail; read mode accepts it),
  // kDecoderNotFound (called twice, or on a created WAL). On the other errors
  // `out` is empty (etcd's state.Reset()).
  // In write mode, zeroes the tail past the last valid record and readies
  // the WAL for appending.
  Status ReadAll(ReadResult* out);
  // The same, for callers that want the data only when there is no error.
  Result<ReadResult> ReadAll();

  Status Save(const HardState& state, const std::vector<Entry>& entries);
  // Appends a snapshot record and syncs. A snapshot past index 0 must carry
  // its ConfState (etcd 3.5+); InvalidArgument otherwise.
  Status SaveSnapshot(const SnapshotRecord& snap);
  Status Sync();
  // What the periodic syncer does on each tick: syncs if anything was written
  // since the last sync. (kFsync with a period; a no-op otherwise.)
  Status RunPeriodicSync();
  // TDengine's walAlter: changes the level and the fsync period from now on.
  // What was written and not synced stays unsynced until the next sync (the
  // watermark does not move). Starts the periodic syncer when the new policy
  // needs one (background threads).
  Status SetSyncPolicy(WalLevel level, std::chrono::milliseconds fsync_period);
  // Blocks until the file pipeline has the next segment ready (with
  // background_threads it is prepared on a thread of its own: with kZeroFill
  // that is writing and syncing a whole segment of zeros), or returns the
  // error that stopped it. For benchmarks and tests that want that I/O out of
  // what they measure; a WAL never needs to call it.
  Status WaitForNextSegment();
  // Releases the locks of segments that hold only entries below `index`
  // (keeping the one that holds index-1), so a purger may delete them.
  Status ReleaseLockTo(uint64_t index);
  Status Close();

  // Safe to call from any thread at any time, including from inside a VFS
  // call this WAL is making (it takes a lock of its own).
  DurableMark durable() const;
  // Paths of the segments this WAL holds locked, oldest first.
  std::vector<std::string> LockedSegments() const;
  const WalOptions& options() const;  // level and period change with SetSyncPolicy
  const std::string& dir() const;

  struct Impl;

 private:
  explicit Wal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Verifies the WAL from `snap`: metadata, CRC chain, snapshot match; returns
// the last hard state (etcd 3.5+'s Verify).
Result<HardState> Verify(vfs::Vfs& vfs, const std::string& dir, const SnapshotRecord& snap,
                         const WalOptions& options = {});

// The snapshot records whose index <= the last hard state's commit.
Result<std::vector<SnapshotRecord>> ValidSnapshotEntries(vfs::Vfs& vfs, const std::string& dir,
                                                         const WalOptions& options = {});

// etcd's Repair: decodes the last segment; on a torn tail copies it to
// "<name>.broken", truncates it at the last valid record and syncs: true.
// True when nothing needed repair; false when it cannot repair (corruption
// other than a torn tail, or an I/O error; `why` says which when given).
bool Repair(vfs::Vfs& vfs, const std::string& dir, const WalOptions& options = {}, Status* why = nullptr);

// True when `dir` holds at least one *.wal file.
bool Exist(vfs::Vfs& vfs, const std::string& dir);

}  // namespace walcrash::etcd
