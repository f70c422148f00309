#include "engine/tdengine/file_restore.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "engine/tdengine/damage.h"
#include "engine/tdengine/wal_name.h"

namespace walcrash::tdengine {
namespace {

// read(2) and lseek(2) on one file, through a read-ahead window. A read
// error surfaces at the read that needed the window holding the bad bytes,
// which may be a few records before the read TDengine would have failed at.
class Cursor {
 public:
  Cursor(vfs::File& file, uint64_t size) : file_(file), size_(size) {}

  void Seek(uint64_t pos) { pos_ = pos; }
  uint64_t pos() const { return pos_; }
  // What a read from here can return at most.
  uint64_t remaining() const { return pos_ < size_ ? size_ - pos_ : 0; }

  Result<size_t> Read(std::span<std::byte> dst) {
    size_t done = 0;
    while (done < dst.size()) {
      if (pos_ < window_start_ || pos_ >= window_start_ + window_.size()) {
        // Never more than the file holds: a length field does not size memory.
        WALCRASH_RETURN_IF_ERROR(Fill(static_cast<size_t>(std::min<uint64_t>(
            std::max(dst.size() - done, kWindow), remaining()))));
        if (window_.empty()) break;  // end of file
      }
      size_t at = static_cast<size_t>(pos_ - window_start_);
      size_t n = std::min(dst.size() - done, window_.size() - at);
      std::copy_n(window_.data() + at, n, dst.data() + done);
      done += n;
      pos_ += n;
    }
    return done;
  }

 private:
  static constexpr size_t kWindow = 64 * 1024;

  Status Fill(size_t want) {
    window_.resize(want);
    WALCRASH_ASSIGN_OR_RETURN(size_t n, file_.ReadAt(pos_, window_));
    window_.resize(n);
    window_start_ = pos_;
    return Status::Ok();
  }

  vfs::File& file_;
  const uint64_t size_;
  uint64_t pos_ = 0;
  uint64_t window_start_ = 0;
  std::vector<std::byte> window_;
};

std::span<const std::byte> Prefix(const std::vector<std::byte>& body, int32_t len) {
  return {body.data(), static_cast<size_t>(len)};
}

// walRestoreWalFile with WAL_CHECKSUM_WHOLE, read for read.
class FaithfulReader {
 public:
  FaithfulReader(vfs::File& file, uint64_t file_size, int64_t file_id,
                 const std::function<void(const RestoredRecord&)>& apply, FileRestore& progress)
      : file_(file), cursor_(file, file_size), file_id_(file_id), apply_(apply), progress_(progress) {}

  Status Run(uint64_t file_size) {
    // Each pass moves `offset_` forward or ends; the bound only guards that.
    for (uint64_t pass = 0; pass <= 2 * file_size + 2; ++pass) {
      WALCRASH_ASSIGN_OR_RETURN(size_t n, cursor_.Read(head_buf_));
      if (n == 0) return Status::Ok();
      if (n < kHeadBytes) {
        Truncate("a short head");
        return Status::Ok();
      }
      WalHead head = DecodeHead(head_buf_);
      if ((head.sver == 0 && !HeadChecksumValid(head)) || head.sver < 0 || head.sver > kMaxSver) {
        WALCRASH_ASSIGN_OR_RETURN(bool found, Scan("a bad head"));
        if (!found) return NothingFound("a bad head");
        head = DecodeHead(head_buf_);
      }
      if (head.len < 0 || static_cast<size_t>(head.len) > kMaxBodyBytes) {
        WALCRASH_ASSIGN_OR_RETURN(bool found, Scan("a length out of range"));
        if (!found) return NothingFound("a length out of range");
        head = DecodeHead(head_buf_);
      }
      if (head.len < 0) {
        // Only a sver-0 record found by the scan gets here: read(2) with a
        // huge count, undefined in TDengine (a buffer overrun at best).
        return Status(Code::kCorruption, file_.path(),
                      fmt::format("tdengine: record at {} found by scanning has length {}", offset_, head.len));
      }
      WALCRASH_ASSIGN_OR_RETURN(size_t got, ReadBody(head.len));
      if (got < static_cast<size_t>(head.len)) {
        progress_.notes.push_back(fmt::format("{}: skipped a short body at {} ({} of {} bytes)",
                                              FileName(file_id_), offset_, got, head.len));
        offset_ += kHeadBytes;
        continue;
      }
      if (head.sver >= 1 && !WholeChecksumValid(head, Prefix(body_, head.len))) {
        WALCRASH_ASSIGN_OR_RETURN(bool found, Scan("a bad checksum"));
        if (!found) return NothingFound("a bad checksum");
        head = DecodeHead(head_buf_);
      }
      if (head.len < 0 || static_cast<size_t>(head.len) > kMaxBodyBytes) {
        // A sver-0 record found by the third scan, whose length TDengine's
        // replay would read past its buffer with.
        return Overrun(head.len);
      }
      const uint64_t at = offset_;
      offset_ += kHeadBytes + static_cast<uint64_t>(head.len);
      GrowBody(head.len);  // a sver-0 record found by the third scan replays whatever the buffer holds
      progress_.records++;
      progress_.any_version = true;
      progress_.last_version = head.version;
      apply_(RestoredRecord{file_id_, at, head, Prefix(body_, head.len)});
    }
    return Status(Code::kCorruption, file_.path(), "tdengine: restore did not reach the end of the file");
  }

 private:
  // read(2) of `len` body bytes into the body buffer, as far as the file
  // goes. A length beyond TDengine's buffer, with the bytes there to read,
  // would overrun it: an error here. REQUIRES: len >= 0.
  Result<size_t> ReadBody(int32_t len) {
    const uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(len), cursor_.remaining());
    if (n > kMaxBodyBytes) return Overrun(len);
    GrowBody(static_cast<int32_t>(n));
    return cursor_.Read({body_.data(), static_cast<size_t>(n)});
  }

  Status Overrun(int32_t len) const {
    return Status(Code::kCorruption, file_.path(),
                  fmt::format("tdengine: a record near offset {} has length {}, past TDengine's {}-byte buffer (its "
                              "restore would overrun it)",
                              offset_, len, kMaxRecordBytes));
  }

  void GrowBody(int32_t len) {
    if (len > 0 && body_.size() < static_cast<size_t>(len)) body_.resize(static_cast<size_t>(len));
  }

  // walFtruncate: truncate at the record offset and fsync; errors are logged.
  void Truncate(std::string_view why) {
    Status s = file_.Truncate(offset_);
    s.Update(file_.Sync());
    progress_.notes.push_back(fmt::format("{}: truncated at {} after {}{}", FileName(file_id_), offset_, why,
                                          s.ok() ? "" : fmt::format(" (failed, ignored: {})", s.ToString())));
  }

  // walSkipCorruptedRecord; on nothing found, truncates as the caller does.
  // true: resumed at a record; false: nothing found, the file truncated at
  // the record offset; an error: a candidate TDengine would overrun its
  // buffer with (nothing truncated).
  Result<bool> Scan(std::string_view why) {
    uint64_t pos = offset_;
    for (;;) {  // every pass moves pos forward; reads at the end return 0
      ++pos;
      cursor_.Seek(pos);
      Result<size_t> n = cursor_.Read(head_buf_);
      if (!n.ok() || *n == 0) break;  // tfRead <= 0: corrupted
      WalHead head = DecodeHead(head_buf_);
      if (head.signature != kSignature) continue;
      if (head.sver == 0 && HeadChecksumValid(head)) return Found(pos, why);
      if (head.sver >= 1) {
        if (head.len < 0) continue;  // see the header: not a record here
        Result<size_t> got = ReadBody(head.len);
        if (!got.ok() && got.status().code() == Code::kCorruption) return got.status();
        if (!got.ok() || *got < static_cast<size_t>(head.len)) break;
        if (WholeChecksumValid(head, Prefix(body_, head.len))) return Found(pos, why);
      }
    }
    Truncate(fmt::format("{} with no record found past it", why));
    return false;
  }

  // walSkipCorruptedRecord failed: walRestoreWalFile returns
  // TSDB_CODE_WAL_FILE_CORRUPTED, and walRestore does not count the file
  // (with keep and no file counted, it renews wal0 from offset 0).
  Status NothingFound(std::string_view why) const {
    return Status(Code::kCorruption, file_.path(),
                  fmt::format("tdengine: {} at {} and no record found past it (truncated there)", why, offset_));
  }

  bool Found(uint64_t pos, std::string_view why) {
    progress_.notes.push_back(
        fmt::format("{}: {} at {}, resumed at a record found at {}", FileName(file_id_), why, offset_, pos));
    offset_ = pos;
    return true;
  }

  vfs::File& file_;
  Cursor cursor_;
  const int64_t file_id_;
  const std::function<void(const RestoredRecord&)>& apply_;
  FileRestore& progress_;
  uint64_t offset_ = 0;
  HeadBytes head_buf_{};          // pHead: a short read overwrites a prefix
  std::vector<std::byte> body_;   // pHead->cont: keeps what earlier reads left
};

// A record that checks in every way at `pos`, or nullopt.
std::optional<WalHead> ValidRecordAt(std::span<const std::byte> bytes, uint64_t pos) {
  if (pos > bytes.size() || bytes.size() - pos < kHeadBytes) return std::nullopt;
  WalHead head = DecodeHead(bytes.subspan(pos).first<kHeadBytes>());
  if (head.signature != kSignature || head.sver < 0 || head.sver > kMaxSver) return std::nullopt;
  if (head.len < 0 || static_cast<size_t>(head.len) > kMaxBodyBytes) return std::nullopt;
  if (bytes.size() - pos - kHeadBytes < static_cast<size_t>(head.len)) return std::nullopt;
  if (!ChecksumValid(head, bytes.subspan(pos + kHeadBytes, static_cast<size_t>(head.len)))) return std::nullopt;
  return head;
}

constexpr uint64_t kResyncBudgetBytes = uint64_t{1} << 30;

Status RestoreStrict(vfs::File& file, uint64_t size, int64_t file_id, bool newest_file,
                     const std::function<void(const RestoredRecord&)>& apply, FileRestore& progress) {
  std::vector<std::byte> data(size);
  WALCRASH_ASSIGN_OR_RETURN(size_t n, file.ReadAt(0, data));
  data.resize(n);
  std::span<const std::byte> bytes(data);
  uint64_t pos = 0;
  while (pos < bytes.size()) {
    if (std::optional<WalHead> head = ValidRecordAt(bytes, pos)) {
      progress.records++;
      progress.any_version = true;
      progress.last_version = std::max(progress.last_version, head->version);
      apply(RestoredRecord{file_id, pos, *head, bytes.subspan(pos + kHeadBytes, static_cast<size_t>(head->len))});
      pos += kHeadBytes + static_cast<uint64_t>(head->len);
      continue;
    }
    // The next record that checks. Garbage dense with signatures could make
    // this search checksum the file over and over: past a budget, give up.
    std::optional<uint64_t> next;
    uint64_t checksummed = 0;
    for (uint64_t q = pos + 1; q + kHeadBytes <= bytes.size(); ++q) {
      const WalHead candidate = DecodeHead(bytes.subspan(q).first<kHeadBytes>());
      if (candidate.signature != kSignature) continue;
      checksummed += kHeadBytes + static_cast<uint64_t>(std::max(candidate.len, 0));
      if (checksummed > kResyncBudgetBytes) {
        return Status(Code::kCorruption, file.path(),
                      fmt::format("tdengine: the record at offset {} does not check, and the search for a valid "
                                  "record after it gave up at offset {} (more than {} bytes of candidates)",
                                  pos, q, kResyncBudgetBytes));
      }
      if (ValidRecordAt(bytes, q)) {
        next = q;
        break;
      }
    }
    const bool torn = ClassifyDamage(bytes, pos, next) == Damage::kTorn;
    if (!torn) {
      return Status(Code::kCorruption, file.path(),
                    next ? fmt::format("tdengine: the record at offset {} does not check, and a valid record "
                                       "follows at {}",
                                       pos, *next)
                         : fmt::format("tdengine: the record at offset {} does not check, and it is whole (no "
                                       "sign of a write cut short)",
                                       pos));
    }
    if (!newest_file) {
      return Status(Code::kCorruption, file.path(),
                    fmt::format("tdengine: a torn record at offset {} in a file that is not the newest", pos));
    }
    WALCRASH_RETURN_IF_ERROR(file.Truncate(pos));
    WALCRASH_RETURN_IF_ERROR(file.Sync());
    progress.notes.push_back(fmt::format("{}: truncated a torn tail at {} ({} bytes){}", FileName(file_id), pos,
                                         bytes.size() - pos, next ? ", records written after it included" : ""));
    break;
  }
  return Status::Ok();
}

}  // namespace

Status RestoreFile(vfs::Vfs& vfs, const std::string& path, int64_t file_id, bool strict, bool newest_file,
                   const std::function<void(const RestoredRecord&)>& apply, FileRestore& progress) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file, vfs.Open(path, vfs::kRead | vfs::kWrite));
  WALCRASH_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  Status s = strict ? RestoreStrict(*file, size, file_id, newest_file, apply, progress)
                    : FaithfulReader(*file, size, file_id, apply, progress).Run(size);
  Status closed = file->Close();
  if (s.ok() && strict) return closed;
  return s;
}

}  // namespace walcrash::tdengine
