#include "tools/cmd_tdengine.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/tdengine/fsync_service.h"
#include "engine/tdengine/wal.h"
#include "engine/tdengine/wal_head.h"
#include "engine/tdengine/wal_name.h"
#include "tools/commands.h"
#include "tools/inspect_json.h"
#include "tools/wal_dir_check.h"
#include "vfs/posix_vfs.h"
#include "vfs/sim_vfs.h"
#include "vfs/vfs.h"

namespace walcrash::cli {
namespace {

// Body bytes kept per record for --entries.
constexpr size_t kPreviewBytes = 32;

// Errors go to stderr, after what stdout already holds.
void PrintError(std::string_view message) {
  std::fflush(stdout);
  fmt::print(stderr, "walcrash inspect: {}\n", message);
}

// One entry of DIR, as listed.
struct SeenFile {
  std::string name;
  uint64_t size = 0;
  std::string kind;  // "file", "dir", "symlink" (to a regular file: copied), "other" (not copied)
  std::optional<int64_t> tdengine_id;  // ParseIdLikeTDengine
  std::optional<int64_t> strict_id;    // ParseCanonicalId
};

// One record Restore handed over.
struct Replayed {
  int64_t file_id = 0;
  uint64_t offset = 0;
  tdengine::WalHead head;
  std::string preview;  // the body's first kPreviewBytes bytes
};

struct TdengineReport {
  std::string copy_dir;  // DIR's absolute path: the copy's path in the SimVfs
  std::vector<SeenFile> files;
  std::vector<Replayed> records;
  std::vector<std::string> notes;
  uint64_t version = 0;  // the WAL's version after Restore
  Status error;          // what Open or Restore returned; OK when nothing
};

// Every directory from the root down to `dir` (absolute), in `sim`.
Status MakeDirs(vfs::Vfs& sim, const std::string& dir) {
  std::string at;
  for (size_t i = 0; i < dir.size();) {
    size_t slash = dir.find('/', i);
    if (slash == std::string::npos) slash = dir.size();
    if (slash > i) {
      at += "/" + dir.substr(i, slash - i);
      Status made = sim.Mkdir(at);
      if (!made.ok() && made.code() != Code::kExists) return made;
    }
    i = slash + 1;
  }
  return {};
}

// Copies the file `from` (on the real filesystem) to `to` in the SimVfs.
Result<uint64_t> CopyFile(vfs::Vfs& posix, const std::string& from, vfs::Vfs& sim, const std::string& to) {
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> in, posix.Open(from, vfs::kRead));
  WALCRASH_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> out, sim.Open(to, vfs::kWrite | vfs::kCreate | vfs::kExclusive));
  std::string chunk(1 << 20, '\0');
  uint64_t at = 0;
  for (;;) {
    WALCRASH_ASSIGN_OR_RETURN(size_t got, in->ReadAt(at, {reinterpret_cast<std::byte*>(chunk.data()), chunk.size()}));
    if (got == 0) break;
    WALCRASH_RETURN_IF_ERROR(out->WriteAt(at, vfs::AsBytes(std::string_view(chunk).substr(0, got))));
    at += got;
  }
  WALCRASH_RETURN_IF_ERROR(out->Close());
  WALCRASH_RETURN_IF_ERROR(in->Close());
  return at;
}

// Copies every regular file of `dir` (and the target of a symlink to one,
// which TDengine's open follows) into `sim` at `copy_dir`, under the same
// names; a subdirectory becomes an empty one (TDengine fails to open it as a
// file all the same). Returns what was seen. Errors name the file in `dir`.
Result<std::vector<SeenFile>> CopyIntoSim(vfs::Vfs& posix, const std::string& dir, vfs::Vfs& sim,
                                          const std::string& copy_dir) {
  if (Status s = MakeDirs(sim, copy_dir); !s.ok()) {
    return s.Annotate(fmt::format("making the in-memory copy of {}", dir));
  }
  WALCRASH_ASSIGN_OR_RETURN(std::vector<std::string> names, posix.List(dir));
  std::vector<SeenFile> seen;
  for (const std::string& name : names) {
    const std::string src = vfs::JoinPath(dir, name);
    const std::string dst = vfs::JoinPath(copy_dir, name);
    SeenFile f;
    f.name = name;
    f.tdengine_id = tdengine::ParseIdLikeTDengine(name);
    f.strict_id = tdengine::ParseCanonicalId(name);
    auto info = posix.Stat(src);
    if (!info.ok()) return info.error().Annotate("cannot stat it to copy it (the restore runs on a copy)");
    bool copy = info->kind == vfs::FileKind::kRegular;
    f.kind = std::string(vfs::FileKindName(info->kind));
    if (info->kind == vfs::FileKind::kOther) {
      std::error_code link_ec;
      std::error_code target_ec;
      const bool link = std::filesystem::is_symlink(std::filesystem::symlink_status(src, link_ec));
      const bool to_file = std::filesystem::is_regular_file(std::filesystem::status(src, target_ec));
      if (!link_ec && !target_ec && link && to_file) {
        f.kind = "symlink";
        copy = true;
      }
    }
    if (copy) {
      auto size = CopyFile(posix, src, sim, dst);
      if (!size.ok()) return size.error().Annotate("cannot copy it (the restore runs on a copy)");
      f.size = *size;
    } else if (info->kind == vfs::FileKind::kDirectory) {
      if (Status s = sim.Mkdir(dst); !s.ok()) {
        return s.Annotate(fmt::format("{}: cannot copy it (the restore runs on a copy)", src));
      }
    }
    seen.push_back(std::move(f));
  }
  return seen;
}

// The copy's path: DIR made absolute, lexically normal, without a trailing
// '/'. The SimVfs resolves paths lexically from its root, so this is the
// path its errors print: they name DIR's files.
std::string CopyPath(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dir, ec);
  if (ec) abs = std::filesystem::path("/") / dir;
  std::string out = abs.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// Copies DIR and restores the copy. The outer error is for what kept the
// restore from running at all (DIR unreadable, a file that cannot be copied);
// Open's and Restore's errors are the report's.
Result<TdengineReport> Inspect(const TdengineInspectOptions& o) {
  vfs::PosixVfs posix;
  WALCRASH_RETURN_IF_ERROR(CheckWalDir(posix, o.dir, "the wal<id> files"));
  TdengineReport report;
  report.copy_dir = CopyPath(o.dir);
  vfs::SimVfsOptions sim_options;
  sim_options.trace_capacity = 0;  // no trace: nothing here replays it
  vfs::SimVfs sim(sim_options);
  WALCRASH_ASSIGN_OR_RETURN(report.files, CopyIntoSim(posix, o.dir, sim, report.copy_dir));

  // The service outlives the WAL (it must have none registered when it dies).
  tdengine::FsyncService service(tdengine::FsyncService::Mode::kManual);
  tdengine::WalOptions options;
  options.strict = o.strict;
  options.fsync_service = &service;
  auto wal = tdengine::Wal::Open(sim, report.copy_dir, options);
  if (!wal.ok()) {
    report.error = wal.error();
    return report;
  }
  auto restored = (*wal)->Restore([&report](const tdengine::RestoredRecord& r) {
    const size_t keep = std::min(r.body.size(), kPreviewBytes);
    report.records.push_back(
        Replayed{r.file_id, r.offset, r.head, std::string(reinterpret_cast<const char*>(r.body.data()), keep)});
  });
  if (restored.ok()) {
    report.notes = std::move(restored->notes);
  } else {
    report.error = restored.error();
  }
  report.version = (*wal)->version();
  // The copy is thrown away: Close's error (it syncs nothing) changes no
  // record replayed.
  (*wal)->Close().IgnoreError();
  return report;
}

// How TDengine and the strict engine take a name.
std::string TakenAs(const SeenFile& f) {
  if (!f.tdengine_id) return "not a WAL file";
  const std::string opens = tdengine::FileName(*f.tdengine_id);
  if (f.strict_id) return fmt::format("WAL file {}", *f.strict_id);
  return fmt::format("TDengine: WAL file {}{}; strict: not a WAL file", *f.tdengine_id,
                     opens == f.name ? std::string() : fmt::format(" (it opens {})", opens));
}

// The body's first bytes, quoted, with C escapes for what is not printable;
// "..." when the body goes on.
std::string Preview(std::string_view prefix, int32_t len) {
  std::string out = "\"";
  for (char c : prefix) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  out += '"';
  if (len > 0 && static_cast<size_t>(len) > prefix.size()) out += "...";
  return out;
}

// The ids Restore visits, in its order: the names the engine takes (wal.cc's
// ListIds), from 0 up (walGetNextFile starts above -1).
std::vector<int64_t> RestoredIds(const std::vector<SeenFile>& files, bool strict) {
  std::vector<int64_t> ids;
  for (const SeenFile& f : files) {
    const std::optional<int64_t>& id = strict ? f.strict_id : f.tdengine_id;
    if (id && *id >= 0) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void PrintSummary(const TdengineInspectOptions& o, const TdengineReport& r) {
  fmt::print("TDengine WAL {}: walRestore, {}, on an in-memory copy (the directory is not changed)\n", o.dir,
             o.strict ? "strict engine" : "as TDengine 2.6 does it");
  fmt::print("  files:      {}\n", r.files.size());
  size_t width = 4;
  for (const SeenFile& f : r.files) width = std::max(width, f.name.size());
  for (const SeenFile& f : r.files) {
    const bool copied = f.kind == "file" || f.kind == "symlink";
    const std::string size = copied ? fmt::format("{} B", f.size) : f.kind;
    const std::string kind = f.kind == "symlink" ? " (a symlink: its target was copied)"
                             : f.kind == "dir"   ? " (a directory)"
                             : copied            ? ""
                                                 : " (not a regular file: not copied)";
    fmt::print("    {:<{}}  {:>12}  {}{}\n", f.name, width, size, TakenAs(f), kind);
  }

  std::map<int64_t, std::vector<const Replayed*>> by_file;
  for (const Replayed& rec : r.records) by_file[rec.file_id].push_back(&rec);
  const std::vector<int64_t> ids = RestoredIds(r.files, o.strict);
  fmt::print("  replayed:   {} record{} from {} of {} WAL file{}\n", r.records.size(),
             r.records.size() == 1 ? "" : "s", by_file.size(), ids.size(), ids.size() == 1 ? "" : "s");
  if (ids.empty()) {
    fmt::print("    (no name here is one {} takes for a WAL file: wal<id>)\n",
               o.strict ? "the strict engine" : "TDengine");
  }
  // The file a strict Restore failed in: its error names it.
  const std::string_view failed = r.error.path();
  bool stopped = false;
  for (int64_t id : ids) {
    const std::string name = tdengine::FileName(id);
    auto it = by_file.find(id);
    const size_t n = it == by_file.end() ? 0 : it->second.size();
    std::string line = fmt::format("    {}: {} record{}", name, n, n == 1 ? "" : "s");
    if (n > 0) {
      line += fmt::format(", versions {} to {}", it->second.front()->head.version, it->second.back()->head.version);
    }
    const std::string skipped = name + ": skipped:";
    if (stopped) {
      line += "; not read (Restore stopped before it)";
    } else if (!r.error.ok() && failed == vfs::JoinPath(r.copy_dir, name)) {
      line += "; Restore failed here (see error)";
      stopped = true;
    } else if (std::any_of(r.notes.begin(), r.notes.end(),
                           [&](const std::string& note) { return note.starts_with(skipped); })) {
      line += "; skipped (see notes)";
    }
    fmt::print("{}\n", line);
    if (o.entries && n > 0) {
      for (const Replayed* rec : it->second) {
        fmt::print("      {}  offset {:>10}  version {:>10}  msgType {:>4}  sver {}  len {:>8}  {}\n", name,
                   rec->offset, rec->head.version, rec->head.msg_type, rec->head.sver, rec->head.len,
                   Preview(rec->preview, rec->head.len));
      }
    }
  }
  // Records of a file no name maps to cannot happen (Restore reads by id);
  // list them anyway rather than drop them.
  for (const auto& [id, recs] : by_file) {
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
    fmt::print("    {}: {} record{}, versions {} to {}\n", tdengine::FileName(id), recs.size(),
               recs.size() == 1 ? "" : "s", recs.front()->head.version, recs.back()->head.version);
  }
  if (r.notes.empty()) {
    fmt::print("  notes:      none\n");
  } else {
    fmt::print("  notes:      {}\n", r.notes.size());
    for (const std::string& note : r.notes) fmt::print("    {}\n", note);
  }
  fmt::print("  version:    {}\n", r.version);
  if (r.error.ok()) {
    fmt::print("  error:      none\n");
  } else {
    fmt::print("  error:      {}\n", r.error.ToString());
  }
}

nlohmann::ordered_json ReportToJson(const TdengineInspectOptions& o, const TdengineReport& r) {
  nlohmann::ordered_json j;
  j["engine"] = "tdengine";
  j["dir"] = o.dir;
  j["strict"] = o.strict;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const SeenFile& f : r.files) {
    nlohmann::ordered_json e;
    e["name"] = f.name;
    e["size"] = f.size;
    e["kind"] = f.kind;
    e["tdengine_id"] = f.tdengine_id ? nlohmann::ordered_json(*f.tdengine_id) : nlohmann::ordered_json(nullptr);
    e["strict_id"] = f.strict_id ? nlohmann::ordered_json(*f.strict_id) : nlohmann::ordered_json(nullptr);
    files.push_back(std::move(e));
  }
  j["files"] = std::move(files);
  nlohmann::ordered_json records = nlohmann::ordered_json::array();
  for (const Replayed& rec : r.records) {
    nlohmann::ordered_json e;
    e["file"] = tdengine::FileName(rec.file_id);
    e["offset"] = rec.offset;
    e["version"] = rec.head.version;
    e["msg_type"] = rec.head.msg_type;
    e["sver"] = rec.head.sver;
    e["len"] = rec.head.len;
    records.push_back(std::move(e));
  }
  j["records"] = std::move(records);
  j["notes"] = r.notes;
  j["version"] = r.version;
  j["error"] = r.error.ok() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.error.ToString());
  return j;
}

}  // namespace

int RunTdengineInspect(const TdengineInspectOptions& options) {
  auto report = Inspect(options);
  if (!report.ok()) {
    PrintError(report.error().ToString());
    return kExitProblem;
  }
  if (options.json) {
    fmt::print("{}\n", DumpJson(ReportToJson(options, *report)));
    if (!report->error.ok()) PrintError(fmt::format("{}: {}", options.dir, report->error.ToString()));
  } else {
    PrintSummary(options, *report);
  }
  return report->error.ok() ? kExitOk : kExitProblem;
}

}  // namespace walcrash::cli
