#include "tools/inspect_json.h"

#include <memory>
#include <utility>

#include <fmt/format.h>

#include "engine/etcd/errors.h"
#include "tools/base64.h"
#include "tools/scratch_dir.h"

namespace walcrash::cli {

std::string_view ReadModeName(ReadMode mode) { return mode == ReadMode::kWrite ? "write" : "read"; }

Result<ReadMode> ParseReadMode(std::string_view name) {
  if (name == "read") return ReadMode::kRead;
  if (name == "write") return ReadMode::kWrite;
  return Status(Code::kInvalidArgument, "", fmt::format("mode '{}' is neither 'read' nor 'write'", name));
}

std::string EtcdErrorText(const Status& status) {
  if (status.ok()) return "";
  etcd::WalError e = etcd::WalErrorOf(status);
  if (e != etcd::WalError::kNone) return std::string(etcd::WalErrorText(e));
  return std::string(status.message());
}

namespace {

// One open and ReadAll, as etcd's reader does; the report's error is what
// either returned.
void OpenAndRead(vfs::Vfs& vfs, const std::string& dir, ReadReport& report) {
  etcd::SnapshotRecord snap{report.request.snapshot_index, report.request.snapshot_term, std::nullopt};
  etcd::WalOptions options;
  // No threads: the pipeline's next segment is prepared inline, so nothing
  // runs behind the read and the copy can be removed right after Close.
  options.background_threads = false;
  auto wal = report.request.mode == ReadMode::kWrite ? etcd::Wal::Open(vfs, dir, snap, options)
                                                     : etcd::Wal::OpenForRead(vfs, dir, snap, options);
  if (!wal.ok()) {
    report.error = wal.error();
    return;
  }
  // etcd returns data alongside some errors (snapshot not found in read
  // mode, slice out of range): report both, as etcd's reader does.
  etcd::ReadResult read;
  report.error = (*wal)->ReadAll(&read);
  report.metadata = std::move(read.metadata);
  report.state = read.state;
  report.entries = std::move(read.entries);
  // etcd's reader ignores Close's error too (it has what ReadAll returned).
  (*wal)->Close().IgnoreError();
}

// `s` with every mention of the scratch copy `from` replaced by `to` (the
// directory the user named), code, errno and WalError subcode kept.
Status RenameInStatus(const Status& s, std::string_view from, std::string_view to) {
  if (s.ok()) return s;
  auto replace = [&](std::string_view text) {
    std::string out;
    for (size_t at = 0;;) {
      size_t hit = text.find(from, at);
      if (hit == std::string_view::npos) {
        out.append(text.substr(at));
        return out;
      }
      out.append(text.substr(at, hit - at));
      out.append(to);
      at = hit + from.size();
    }
  };
  Status renamed(s.code(), replace(s.path()), replace(s.message()), s.error_number());
  return s.subcode() != 0 ? renamed.WithSubcode(s.subcode()) : renamed;
}

}  // namespace

Result<ReadReport> InspectWal(vfs::Vfs& vfs, const std::string& dir, const ReadRequest& request) {
  ReadReport report;
  report.request = request;
  if (request.mode == ReadMode::kRead) {
    OpenAndRead(vfs, dir, report);
    return report;
  }
  WALCRASH_ASSIGN_OR_RETURN(ScratchDir scratch, ScratchDir::Make("inspect"));
  std::string copy = vfs::JoinPath(scratch.path(), "wal");
  if (Status s = CopyDirFiles(vfs, dir, copy); !s.ok()) {
    return s.Annotate(fmt::format("copying {} to {} for a write-mode open", dir, copy));
  }
  OpenAndRead(vfs, copy, report);
  report.error = RenameInStatus(report.error, copy, dir);
  WALCRASH_RETURN_IF_ERROR(scratch.Remove());
  return report;
}

nlohmann::ordered_json ReadReportToJson(const ReadReport& report) {
  nlohmann::ordered_json j;
  j["mode"] = ReadModeName(report.request.mode);
  j["snapshot_index"] = report.request.snapshot_index;
  j["snapshot_term"] = report.request.snapshot_term;
  j["metadata_b64"] = Base64Encode(report.metadata);
  j["hardstate_term_vote_commit"] = {report.state.term, report.state.vote, report.state.commit};
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const etcd::Entry& e : report.entries) {
    nlohmann::ordered_json o;
    o["index"] = e.index;
    o["term"] = e.term;
    o["type"] = e.type;
    o["data_b64"] = Base64Encode(e.data);
    entries.push_back(std::move(o));
  }
  j["entries"] = std::move(entries);
  j["error"] = EtcdErrorText(report.error);
  return j;
}

std::string DumpJson(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace walcrash::cli
