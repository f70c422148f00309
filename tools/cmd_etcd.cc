// The commands on etcd WAL directories (the engine in engine/etcd/), on the
// real filesystem (PosixVfs):
//
//   inspect DIR [--engine etcd] [--snapshot-index I --snapshot-term T] [--mode read|write] [--json] [--entries]
//   inspect DIR --engine tdengine [--strict] [--json] [--entries]
//       What etcd's ReadAll returns. --json prints one object in the schema
//       of an expected.json "reads" element (inspect_json.h). --mode write
//       opens a copy (the directory is never changed). With --engine
//       tdengine [--strict]: what TDengine's walRestore replays
//       (cmd_tdengine.h); --strict, --snapshot-* and --mode write belong to
//       one engine each (a usage error with the other).
//   dump DIR
//       Every record of every *.wal segment, in name order, like
//       etcd-dump-logs: offset, type, data length, CRC and whether the CRC
//       chain holds. A decode error is printed and ends that segment.
//   verify DIR [--snapshot-index I --snapshot-term T]
//       etcd's wal.Verify: metadata, CRC chain, snapshot; prints the last
//       hard state.
//   repair DIR
//       etcd's wal.Repair: cuts a torn tail off the last segment (keeping a
//       copy in <segment>.broken). CHANGES DIR.
//   write DIR --from FILE.json [--segment-size BYTES] [--batch N]
//       A new WAL from a JSON description (write_json.h).
//
// Exit codes: 0 ok; 1 the WAL has a problem, or the input is bad (missing
// directory, permission denied, unreadable JSON, ...), always with a message
// naming what and where; 2 usage errors (CLI11).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "engine/etcd/errors.h"
#include "engine/etcd/record_io.h"
#include "engine/etcd/wal.h"
#include "engine/etcd/wal_name.h"
#include "engine/etcd/walpb.h"
#include "tools/base64.h"
#include "tools/cmd_tdengine.h"
#include "tools/commands.h"
#include "tools/inspect_json.h"
#include "tools/wal_dir_check.h"
#include "tools/write_json.h"
#include "vfs/posix_vfs.h"
#include "vfs/vfs.h"

namespace walcrash::cli {
namespace {

// Errors go to stderr, after what stdout already holds.
void PrintError(std::string_view command, std::string_view message) {
  std::fflush(stdout);
  fmt::print(stderr, "walcrash {}: {}\n", command, message);
}

std::string Printable(std::string_view bytes, size_t max_chars = 48) {
  bool text = std::all_of(bytes.begin(), bytes.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
  std::string shown = text ? fmt::format("\"{}\"", bytes) : fmt::format("base64 {}", Base64Encode(bytes));
  if (shown.size() > max_chars) shown = shown.substr(0, max_chars) + "...";
  return shown;
}

std::string SnapshotText(uint64_t index, uint64_t term) { return fmt::format("{{index {}, term {}}}", index, term); }

// --- inspect ------------------------------------------------------------------------

struct InspectOptions {
  std::string dir;
  std::string engine = "etcd";
  bool strict = false;  // tdengine only
  uint64_t snapshot_index = 0;
  uint64_t snapshot_term = 0;
  std::string mode = "read";
  bool json = false;
  bool entries = false;
};

void PrintReadSummary(const InspectOptions& o, const ReadReport& r) {
  fmt::print("WAL {}: ReadAll in {} mode at snapshot {}{}\n", o.dir, ReadModeName(r.request.mode),
             SnapshotText(r.request.snapshot_index, r.request.snapshot_term),
             r.request.mode == ReadMode::kWrite ? " (on a copy)" : "");
  fmt::print("  metadata:   {} bytes{}{}\n", r.metadata.size(), r.metadata.empty() ? "" : ": ",
             r.metadata.empty() ? "" : Printable(r.metadata));
  fmt::print("  hard state: term {}, vote {}, commit {}\n", r.state.term, r.state.vote, r.state.commit);
  if (r.entries.empty()) {
    fmt::print("  entries:    0\n");
  } else {
    auto [min_term, max_term] = std::minmax_element(r.entries.begin(), r.entries.end(),
                                                    [](const etcd::Entry& a, const etcd::Entry& b) {
                                                      return a.term < b.term;
                                                    });
    uint64_t bytes = 0;
    for (const etcd::Entry& e : r.entries) bytes += e.data.size();
    fmt::print("  entries:    {} (first index {}, last index {}; terms {} to {}; {} data bytes)\n", r.entries.size(),
               r.entries.front().index, r.entries.back().index, min_term->term, max_term->term, bytes);
  }
  if (o.entries) {
    for (const etcd::Entry& e : r.entries) {
      fmt::print("    index {:>8}  term {:>6}  type {}  {:>7} B  {}\n", e.index, e.term, e.type, e.data.size(),
                 e.data.empty() ? "" : Printable(e.data, 40));
    }
  }
  if (r.error.ok()) {
    fmt::print("  error:      none\n");
  } else {
    fmt::print("  error:      {}\n", EtcdErrorText(r.error));
    fmt::print("              ({})\n", r.error.ToString());
  }
}

int RunInspect(const InspectOptions& o) {
  vfs::PosixVfs vfs;
  if (Status s = CheckWalDir(vfs, o.dir); !s.ok()) {
    PrintError("inspect", s.ToString());
    return kExitProblem;
  }
  auto mode = ParseReadMode(o.mode);
  if (!mode.ok()) {
    PrintError("inspect", mode.error().ToString());
    return kExitUsage;
  }
  auto report = InspectWal(vfs, o.dir, ReadRequest{*mode, o.snapshot_index, o.snapshot_term});
  if (!report.ok()) {
    PrintError("inspect", report.error().ToString());
    return kExitProblem;
  }
  if (o.json) {
    fmt::print("{}\n", DumpJson(ReadReportToJson(*report)));
    if (!report->error.ok()) PrintError("inspect", fmt::format("{}: {}", o.dir, report->error.ToString()));
  } else {
    PrintReadSummary(o, *report);
  }
  return report->error.ok() ? kExitOk : kExitProblem;
}

// `inspect` with --engine: etcd's (RunInspect) or TDengine's (cmd_tdengine.h),
// after rejecting the options of the other engine (usage errors).
int RunInspectCommand(const InspectOptions& o, const CLI::App& cmd) {
  if (o.engine == "tdengine") {
    for (const char* name : {"--snapshot-index", "--snapshot-term"}) {
      if (cmd.count(name) > 0) {
        PrintError("inspect", fmt::format("{} is an etcd option (the snapshot etcd opens at); TDengine's WAL has "
                                          "no snapshot to give (drop it, or use --engine etcd)",
                                          name));
        return kExitUsage;
      }
    }
    if (o.mode == "write") {
      PrintError("inspect", "--mode write is an etcd option (wal.Open on a copy); --engine tdengine always "
                            "restores a copy, as a restarting vnode would (drop it, or use --engine etcd)");
      return kExitUsage;
    }
    return RunTdengineInspect(TdengineInspectOptions{o.dir, o.strict, o.json, o.entries});
  }
  if (o.strict) {
    PrintError("inspect", "--strict is a TDengine option (the strict engine's restore); give --engine tdengine, "
                          "or drop it (etcd's reader has no strict mode)");
    return kExitUsage;
  }
  return RunInspect(o);
}

// --- dump -----------------------------------------------------------------------------

std::string_view RecordTypeName(int64_t type) {
  switch (type) {
    case static_cast<int64_t>(etcd::RecordType::kMetadata): return "metadata";
    case static_cast<int64_t>(etcd::RecordType::kEntry): return "entry";
    case static_cast<int64_t>(etcd::RecordType::kState): return "state";
    case static_cast<int64_t>(etcd::RecordType::kCrc): return "crc";
    case static_cast<int64_t>(etcd::RecordType::kSnapshot): return "snapshot";
    default: return "unknown";
  }
}

// What a record holds, in a few words; `bad` when etcd could not take it.
std::string RecordDetail(const etcd::Record& rec, bool& bad) {
  std::string_view data = rec.data ? std::string_view(*rec.data) : std::string_view();
  switch (rec.type) {
    case static_cast<int64_t>(etcd::RecordType::kMetadata): return Printable(data);
    case static_cast<int64_t>(etcd::RecordType::kEntry): {
      auto e = etcd::DecodeEntry(data);
      if (!e.ok()) {
        bad = true;
        return fmt::format("UNDECODABLE: {}", e.error().message());
      }
      return fmt::format("index {} term {} type {} data {} B", e->index, e->term, e->type, e->data.size());
    }
    case static_cast<int64_t>(etcd::RecordType::kState): {
      auto s = etcd::DecodeHardState(data);
      if (!s.ok()) {
        bad = true;
        return fmt::format("UNDECODABLE: {}", s.error().message());
      }
      return fmt::format("term {} vote {} commit {}", s->term, s->vote, s->commit);
    }
    case static_cast<int64_t>(etcd::RecordType::kSnapshot): {
      auto s = etcd::DecodeSnapshot(data);
      if (!s.ok()) {
        bad = true;
        return fmt::format("UNDECODABLE: {}", s.error().message());
      }
      return fmt::format("index {} term {}{}", s->index, s->term,
                         s->conf_state ? fmt::format(" conf_state {} B", s->conf_state->size()) : std::string());
    }
    case static_cast<int64_t>(etcd::RecordType::kCrc): return "";
    default:
      bad = true;
      return fmt::format("UNEXPECTED RECORD TYPE {} (etcd: \"unexpected block type {}\")", rec.type, rec.type);
  }
}

// Describes the bytes of `file` from `offset` to `size`: preallocated zeros,
// or where the first non-zero byte is (stale or torn data etcd never reads).
Result<std::string> DescribeTail(vfs::File& file, uint64_t offset, uint64_t size) {
  if (offset >= size) return std::string("the file ends there");
  std::string chunk(1 << 20, '\0');
  for (uint64_t at = offset; at < size;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - at));
    WALCRASH_ASSIGN_OR_RETURN(size_t got, file.ReadAt(at, {reinterpret_cast<std::byte*>(chunk.data()), want}));
    if (got == 0) break;
    for (size_t i = 0; i < got; ++i) {
      if (chunk[i] != 0) {
        return fmt::format("{} bytes follow; NOT all zero: the first non-zero byte is at offset {} (never read by etcd)",
                           size - offset, at + i);
      }
    }
    at += got;
  }
  return fmt::format("the remaining {} bytes are zeros (preallocated)", size - offset);
}

struct DumpTotals {
  size_t records = 0;
  size_t problems = 0;
};

struct DumpSegment {
  std::string name;
  std::string path;
  std::unique_ptr<vfs::File> file;
  uint64_t size = 0;
  Status open_error;
};

void PrintSegmentHeader(const DumpSegment& seg) {
  auto parsed = etcd::ParseWalName(seg.name);
  fmt::print("\nsegment {} ({} bytes{})\n", seg.name, seg.size,
             parsed.ok() ? fmt::format("; seq {}, first index {}", parsed->seq, parsed->index) : std::string());
  fmt::print("  {:>10}  {:<8}  {:>8}  {:<8}  {:<6}  {}\n", "offset", "type", "data len", "crc", "chain", "detail");
}

void PrintSegmentEnd(const DumpSegment& seg, uint64_t end) {
  auto tail = DescribeTail(*seg.file, end, seg.size);
  fmt::print("  {:>10}  end of records: {}\n", end,
             tail.ok() ? *tail : fmt::format("cannot read the rest: {}", tail.error().ToString()));
}

// Dumps segs[first, last) with one decoder, as etcd reads them (so the CRC
// chain runs across them, and only the last segment of the directory can
// have a torn tail). Returns where the next run starts: `last` when the run
// ended cleanly, else the segment after the one whose record failed.
size_t DumpRun(std::vector<DumpSegment>& segs, size_t first, size_t last, DumpTotals& totals) {
  std::vector<etcd::Decoder::Segment> run;
  for (size_t k = first; k < last; ++k) run.push_back({segs[k].file.get(), segs[k].size, segs[k].path});
  etcd::Decoder decoder(std::move(run));
  // A run after the first starts where the chain is unknown.
  const bool chain_known = first == 0;
  size_t cur = first;
  bool first_in_run = true;
  PrintSegmentHeader(segs[cur]);
  etcd::Record rec;
  for (;;) {
    uint64_t before = decoder.last_offset();
    auto next = decoder.Decode(rec);
    size_t now = first + decoder.segment_index();
    if (next.ok() && !*next) {  // the clean end of the run
      PrintSegmentEnd(segs[cur], before);
      for (size_t k = cur + 1; k < last; ++k) {
        PrintSegmentHeader(segs[k]);
        PrintSegmentEnd(segs[k], 0);
      }
      return last;
    }
    uint64_t offset = before;
    if (now != cur) {  // the decoder moved on to a later segment
      PrintSegmentEnd(segs[cur], before);
      for (size_t k = cur + 1; k < now; ++k) {
        PrintSegmentHeader(segs[k]);
        PrintSegmentEnd(segs[k], 0);
      }
      cur = now;
      PrintSegmentHeader(segs[cur]);
      offset = 0;
    }
    if (!next.ok()) {
      const Status& e = next.error();
      fmt::print("  {:>10}  DECODE ERROR: {}\n", decoder.last_offset(), EtcdErrorText(e));
      fmt::print("  {:>10}  ({})\n", "", e.ToString());
      fmt::print("  the rest of this segment is not read\n");
      ++totals.problems;
      return cur + 1;
    }
    ++totals.records;
    std::string chain_text = "ok";  // the decoder checked every other record against the chain
    if (rec.type == static_cast<int64_t>(etcd::RecordType::kCrc)) {
      uint32_t running = decoder.crc();
      if (first_in_run && !chain_known) {
        chain_text = "?";  // an earlier segment could not be read to its end
      } else if (running == 0) {
        chain_text = "start";  // etcd checks nothing against a zero running CRC
      } else if (running != rec.crc) {
        chain_text = fmt::format("BROKEN (the chain gives {:08x}: etcd's \"{}\")", running,
                                 etcd::WalErrorText(etcd::WalError::kCrcMismatch));
        ++totals.problems;
      }
      decoder.UpdateCrc(rec.crc);
    }
    first_in_run = false;
    bool bad = false;
    std::string detail = RecordDetail(rec, bad);
    if (bad) ++totals.problems;
    fmt::print("  {:>10}  {:<8}  {:>8}  {:08x}  {:<6}  {}\n", offset, RecordTypeName(rec.type),
               rec.data ? fmt::format("{}", rec.data->size()) : std::string("-"), rec.crc, chain_text, detail);
  }
}

int RunDump(const std::string& dir) {
  vfs::PosixVfs vfs;
  if (Status s = CheckWalDir(vfs, dir); !s.ok()) {
    PrintError("dump", s.ToString());
    return kExitProblem;
  }
  auto names = vfs.List(dir);
  if (!names.ok()) {
    PrintError("dump", names.error().ToString());
    return kExitProblem;
  }
  std::vector<std::string> wal_names = etcd::FilterWalNames(*names);
  std::vector<std::string> others;
  for (const std::string& name : *names) {
    if (!std::binary_search(wal_names.begin(), wal_names.end(), name)) others.push_back(name);
  }
  fmt::print("WAL {}: {} segment{}\n", dir, wal_names.size(), wal_names.size() == 1 ? "" : "s");
  if (!others.empty()) fmt::print("other entries (etcd ignores them): {}\n", fmt::join(others, ", "));
  if (wal_names.empty()) {
    PrintError("dump", fmt::format("{}: no *.wal segments (etcd: \"{}\")", dir,
                                   etcd::WalErrorText(etcd::WalError::kFileNotFound)));
    return kExitProblem;
  }
  if (!etcd::IsValidSeq(wal_names)) {
    fmt::print("note: the sequence numbers do not increase by one (etcd refuses to open such a run of files)\n");
  }
  std::vector<DumpSegment> segs;
  for (const std::string& name : wal_names) {
    DumpSegment seg;
    seg.name = name;
    seg.path = vfs::JoinPath(dir, name);
    auto file = vfs.Open(seg.path, vfs::kRead);
    if (file.ok()) {
      auto size = (*file)->Size();
      if (size.ok()) {
        seg.file = std::move(file).value();
        seg.size = *size;
      } else {
        seg.open_error = size.error();
      }
    } else {
      seg.open_error = file.error();
    }
    segs.push_back(std::move(seg));
  }
  DumpTotals totals;
  for (size_t i = 0; i < segs.size();) {
    if (!segs[i].open_error.ok()) {
      fmt::print("\nsegment {}: cannot read it: {}\n", segs[i].name, segs[i].open_error.ToString());
      ++totals.problems;
      ++i;
      continue;
    }
    size_t end = i;
    while (end < segs.size() && segs[end].open_error.ok()) ++end;
    i = DumpRun(segs, i, end, totals);
  }
  for (DumpSegment& seg : segs) {
    if (seg.file) seg.file->Close().IgnoreError();  // read-only: nothing to lose
  }
  fmt::print("\n{} records in {} segment{}; {}\n", totals.records, segs.size(), segs.size() == 1 ? "" : "s",
             totals.problems == 0 ? std::string("every record decodes and the CRC chain holds")
                                  : fmt::format("{} problem{} (see above)", totals.problems,
                                                totals.problems == 1 ? "" : "s"));
  return totals.problems == 0 ? kExitOk : kExitProblem;
}

// --- verify and repair ---------------------------------------------------------------

struct VerifyOptions {
  std::string dir;
  uint64_t snapshot_index = 0;
  uint64_t snapshot_term = 0;
};

int RunVerify(const VerifyOptions& o) {
  vfs::PosixVfs vfs;
  if (Status s = CheckWalDir(vfs, o.dir); !s.ok()) {
    PrintError("verify", s.ToString());
    return kExitProblem;
  }
  auto state = etcd::Verify(vfs, o.dir, etcd::SnapshotRecord{o.snapshot_index, o.snapshot_term, std::nullopt});
  if (!state.ok()) {
    fmt::print("WAL {}: verify at snapshot {} FAILED: {}\n", o.dir, SnapshotText(o.snapshot_index, o.snapshot_term),
               EtcdErrorText(state.error()));
    PrintError("verify", state.error().ToString());
    return kExitProblem;
  }
  fmt::print("WAL {}: verified at snapshot {}: metadata, CRC chain and snapshot hold\n", o.dir,
             SnapshotText(o.snapshot_index, o.snapshot_term));
  fmt::print("  hard state: term {}, vote {}, commit {}\n", state->term, state->vote, state->commit);
  return kExitOk;
}

int RunRepair(const std::string& dir) {
  vfs::PosixVfs vfs;
  if (Status s = CheckWalDir(vfs, dir); !s.ok()) {
    PrintError("repair", s.ToString());
    return kExitProblem;
  }
  // What the last segment was, to say what Repair did.
  std::optional<std::string> last;
  std::optional<uint64_t> size_before;
  if (auto names = vfs.List(dir); names.ok()) {
    std::vector<std::string> segments = etcd::FilterWalNames(*names);
    if (!segments.empty()) {
      last = vfs::JoinPath(dir, segments.back());
      if (auto info = vfs.Stat(*last); info.ok()) size_before = info->size;
    }
  }
  Status why;
  bool ok = etcd::Repair(vfs, dir, {}, &why);
  if (!ok) {
    fmt::print("WAL {}: cannot be repaired (etcd's Repair returns false): {}\n", dir,
               why.ok() ? std::string("no reason given") : EtcdErrorText(why));
    PrintError("repair", why.ok() ? std::string("Repair returned false") : why.ToString());
    return kExitProblem;
  }
  std::optional<uint64_t> size_after;
  if (last) {
    if (auto info = vfs.Stat(*last); info.ok()) size_after = info->size;
  }
  if (last && size_before && size_after && *size_after != *size_before) {
    fmt::print("WAL {}: repaired: {} cut from {} to {} bytes (a torn tail); the old file is kept in {}.broken\n", dir,
               vfs::BaseName(*last), *size_before, *size_after, vfs::BaseName(*last));
  } else {
    fmt::print("WAL {}: nothing to repair: the last segment{} ends cleanly\n", dir,
               last ? fmt::format(" ({})", vfs::BaseName(*last)) : std::string());
  }
  return kExitOk;
}

// --- write ------------------------------------------------------------------------------

struct WriteCmdOptions {
  std::string dir;
  std::string from;
  uint64_t segment_size = etcd::kDefaultSegmentSizeBytes;
  size_t batch = 8;
};

int RunWrite(const WriteCmdOptions& o) {
  vfs::PosixVfs vfs;
  auto text = vfs::ReadWholeFile(vfs, o.from);
  if (!text.ok()) {
    PrintError("write", fmt::format("cannot read the JSON file: {}", text.error().ToString()));
    return kExitProblem;
  }
  auto spec = ParseWalSpecText(*text, o.from);
  if (!spec.ok()) {
    PrintError("write", spec.error().ToString());
    return kExitProblem;
  }
  // Create replaces the directory it is given (etcd removes it and renames
  // "<dir>.tmp" into place), so refuse anything but a missing or empty one.
  auto exists = vfs.Exists(o.dir);
  if (!exists.ok()) {
    PrintError("write", exists.error().ToString());
    return kExitProblem;
  }
  if (*exists) {
    auto names = vfs.List(o.dir);
    if (!names.ok()) {
      PrintError("write", fmt::format("{}: exists and cannot be listed: {}", o.dir, names.error().ToString()));
      return kExitProblem;
    }
    if (!names->empty()) {
      PrintError("write", fmt::format("{}: exists and is not empty ({} entries); write makes a new WAL and never "
                                      "replaces a directory's contents",
                                      o.dir, names->size()));
      return kExitProblem;
    }
  }
  WriteOptions options;
  options.segment_size_bytes = o.segment_size;
  options.batch_entries = o.batch;
  auto summary = WriteWal(vfs, o.dir, *spec, options);
  if (!summary.ok()) {
    PrintError("write", fmt::format("writing the WAL in {}: {}", o.dir, summary.error().ToString()));
    return kExitProblem;
  }
  std::vector<std::string> segments = etcd::FilterWalNames(summary->files);
  fmt::print("WAL {}: wrote {} entries in {} saves, {} snapshot record{}, hard state term {} vote {} commit {}\n",
             o.dir, spec->entries.size(), summary->saves, summary->snapshots, summary->snapshots == 1 ? "" : "s",
             spec->state.term, spec->state.vote, spec->state.commit);
  fmt::print("  segments: {} ({})\n", segments.size(), fmt::join(segments, ", "));

  // Read it back as etcd would, from the last snapshot (entries after it are
  // contiguous, so the check never trips on an installed snapshot's gap).
  etcd::SnapshotRecord at;
  if (!spec->snapshots.empty()) at = spec->snapshots.back();
  auto report = InspectWal(vfs, o.dir, ReadRequest{ReadMode::kRead, at.index, at.term});
  std::vector<etcd::Entry> want = ExpectedEntries(*spec, at.index);
  if (!report.ok() || !report->error.ok() || report->entries != want || report->metadata != spec->metadata ||
      report->state != spec->state) {
    PrintError("write", fmt::format("reading the new WAL back at snapshot {} does not give what was written: {}",
                                    SnapshotText(at.index, at.term),
                                    !report.ok()            ? report.error().ToString()
                                    : !report->error.ok()   ? report->error.ToString()
                                                            : fmt::format("{} entries read, {} expected",
                                                                          report->entries.size(), want.size())));
    return kExitProblem;
  }
  fmt::print("  read back at snapshot {}: {} entries, as written\n", SnapshotText(at.index, at.term),
             report->entries.size());
  return kExitOk;
}

void AddSnapshotOptions(CLI::App* cmd, uint64_t& index, uint64_t& term) {
  cmd->add_option("--snapshot-index", index, "Index of the walpb.Snapshot to open at (default 0)");
  cmd->add_option("--snapshot-term", term, "Term of the walpb.Snapshot to open at (default 0)");
}

}  // namespace

void AddEtcdCommands(CLI::App& app, std::vector<Command>& commands) {
  {
    auto o = std::make_shared<InspectOptions>();
    CLI::App* cmd = app.add_subcommand(
        "inspect",
        "What etcd's ReadAll returns for an etcd WAL directory: metadata, hard state, entries, error.\n"
        "--mode write opens a copy, as a restarting etcd server would (DIR is never changed).\n"
        "--engine tdengine: what TDengine's walRestore replays from DIR (run on an in-memory copy)");
    cmd->add_option("DIR", o->dir, "The WAL directory (holds the *.wal segments, or TDengine's wal<id> files)")
        ->required();
    cmd->add_option("--engine", o->engine, "Whose WAL DIR holds: etcd or tdengine")
        ->capture_default_str()
        ->check(CLI::IsMember({"etcd", "tdengine"}));
    AddSnapshotOptions(cmd, o->snapshot_index, o->snapshot_term);
    cmd->add_option("--mode", o->mode, "read (wal.OpenForRead) or write (wal.Open, on a copy); etcd only")
        ->capture_default_str()
        ->check(CLI::IsMember({"read", "write"}));
    cmd->add_flag("--strict", o->strict, "tdengine only: restore with the strict engine (wal.h), not TDengine's");
    cmd->add_flag("--json", o->json, "Print one JSON object in the schema of an expected.json \"reads\" element");
    cmd->add_flag("--entries", o->entries, "Also list every entry (without --json)");
    commands.push_back({cmd, [o, cmd] { return RunInspectCommand(*o, *cmd); }});
  }
  {
    auto dir = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "dump", "Every record of every *.wal segment: offset, type, data length, CRC, whether the CRC chain holds");
    cmd->add_option("DIR", *dir, "The WAL directory")->required();
    commands.push_back({cmd, [dir] { return RunDump(*dir); }});
  }
  {
    auto o = std::make_shared<VerifyOptions>();
    CLI::App* cmd = app.add_subcommand(
        "verify", "etcd's wal.Verify: metadata, CRC chain and snapshot hold; prints the last hard state");
    cmd->add_option("DIR", o->dir, "The WAL directory")->required();
    AddSnapshotOptions(cmd, o->snapshot_index, o->snapshot_term);
    commands.push_back({cmd, [o] { return RunVerify(*o); }});
  }
  {
    auto dir = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "repair",
        "etcd's wal.Repair: cut a torn tail off the last segment, keeping the old file as <segment>.broken.\n"
        "Changes DIR. Exit 0 where etcd returns true, 1 where it returns false");
    cmd->add_option("DIR", *dir, "The WAL directory")->required();
    commands.push_back({cmd, [dir] { return RunRepair(*dir); }});
  }
  {
    auto o = std::make_shared<WriteCmdOptions>();
    CLI::App* cmd = app.add_subcommand(
        "write",
        "Create an etcd WAL in DIR (missing or empty) from a JSON file in inspect --json's schema\n"
        "(metadata_b64, hardstate_term_vote_commit, entries; optional snapshots [{index, term}])");
    cmd->add_option("DIR", o->dir, "The WAL directory to create")->required();
    cmd->add_option("--from", o->from, "The JSON description")->required();
    cmd->add_option("--segment-size", o->segment_size, "Segment size in bytes (etcd: 64000000)")
        ->capture_default_str()
        ->check(CLI::Range(uint64_t{1024}, uint64_t{1} << 40));
    cmd->add_option("--batch", o->batch, "Entries per Save")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{1} << 20));
    commands.push_back({cmd, [o] { return RunWrite(*o); }});
  }
}

}  // namespace walcrash::cli
