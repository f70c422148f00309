// fuzz_make_wal_seeds OUT_RECORD_DECODER OUT_WAL_DIRECTORY [INTEROP_DIR]
//
// Writes the seed corpora of fuzz_record_decoder (one segment file per seed)
// and fuzz_wal_directory (DirectoryImage bytes, fuzz/directory_image.h):
//   - every WAL directory etcd 3.4 wrote under INTEROP_DIR (default: the
//     repository's ../shared/interop/etcd-3.4), each case a directory seed
//     (at snapshot 0 and at its newest valid snapshot) and each of its
//     segments a record-decoder seed;
//   - WALs the engine writes on a SimVfs: small and large entries, hard
//     states, snapshots, a raft overwrite, several segment cuts; as
//     directories, also with a stray temp file, with Repair's ".broken"
//     backup, with a torn tail, with a corrupt middle segment, with names
//     that are near-valid or not segment names at all, and at a snapshot
//     that does not match; their segments as record-decoder seeds;
//   - damaged segments: cut inside a record, a flipped bit, a zeroed sector,
//     a huge length field, trailing bytes, legacy unpadded frames, a CRC
//     record that breaks the chain.
// Deterministic: the same inputs give the same files, named "seed-<hash>" by
// a hash of their bytes. Earlier "seed-*" files in the output directories
// that this run does not write are removed.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/splitmix.h"
#include "engine/crc32c.h"
#include "engine/etcd/record_io.h"
#include "engine/etcd/wal.h"
#include "engine/etcd/wal_name.h"
#include "engine/etcd/walpb.h"
#include "fuzz/directory_image.h"
#include "fuzz/seeds/seed_writer.h"
#include "vfs/sim_vfs.h"

namespace {

namespace fs = std::filesystem;
namespace etcd = walcrash::etcd;
namespace vfs = walcrash::vfs;
using walcrash::Status;
using walcrash::fuzz::DirectoryImage;
using walcrash::fuzz::ImageEntry;

constexpr std::string_view kProgram = "fuzz_make_wal_seeds";
constexpr std::string_view kDir = "/wal";
// raftpb.ConfState{Voters: [1, 2, 3]}, as the harness's snapshots carry.
const std::string kConfState("\x08\x01\x08\x02\x08\x03", 6);

[[noreturn]] void Die(std::string_view what) { walcrash::fuzz::seeds::Die(kProgram, what); }
void Must(const Status& s, std::string_view what) { walcrash::fuzz::seeds::Must(kProgram, s, what); }

using Corpus = walcrash::fuzz::seeds::SeedCorpus;

std::string ReadHostFile(const fs::path& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) Die(fmt::format("{}: {}", path.string(), ec.message()));
  std::string bytes(static_cast<size_t>(size), '\0');
  std::ifstream in(path, std::ios::binary);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) Die(fmt::format("{}: cannot read", path.string()));
  return bytes;
}

// Deterministic entry payloads.
std::string Payload(uint64_t& rng, size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(walcrash::SplitMix64(rng));
  return out;
}

etcd::WalOptions Options(uint64_t segment_bytes) {
  etcd::WalOptions o;
  o.segment_size_bytes = segment_bytes;
  o.background_threads = false;
  return o;
}

std::unique_ptr<etcd::Wal> MustCreate(vfs::Vfs& v, std::string_view metadata, const etcd::WalOptions& o) {
  auto w = etcd::Wal::Create(v, std::string(kDir), std::string(metadata), o);
  if (!w.ok()) Die(fmt::format("Create: {}", w.status().ToString()));
  return std::move(w).value();
}

// Saves entries [from, to] of `size` bytes at `term`, committing `commit`.
void SaveRange(etcd::Wal& w, uint64_t from, uint64_t to, uint64_t term, uint64_t commit, size_t size, uint64_t& rng) {
  for (uint64_t i = from; i <= to; ++i) {
    std::vector<etcd::Entry> ents{etcd::Entry{term, i, 0, Payload(rng, size + static_cast<size_t>(i % 7) * 13)}};
    Must(w.Save(etcd::HardState{term, 1, std::min(commit, i)}, ents), "Save");
  }
}

std::vector<std::string> Segments(vfs::Vfs& v) {
  auto names = v.List(kDir);
  if (!names.ok()) Die(names.status().ToString());
  return etcd::FilterWalNames(*names);
}

std::string ReadSim(vfs::Vfs& v, std::string_view name) {
  auto bytes = vfs::ReadWholeFile(v, vfs::JoinPath(kDir, name));
  if (!bytes.ok()) Die(bytes.status().ToString());
  return *bytes;
}

void WriteSim(vfs::Vfs& v, std::string_view name, std::string_view bytes) {
  Must(vfs::WriteWholeFile(v, vfs::JoinPath(kDir, name), bytes), "write");
}

// The offset where each record of a segment starts, and the end of the last.
std::vector<uint64_t> RecordStarts(std::string_view segment) {
  std::vector<uint64_t> out;
  uint64_t at = 0;
  while (at + 8 <= segment.size()) {
    uint64_t len_field = 0;
    std::memcpy(&len_field, segment.data() + at, 8);
    if (len_field == 0) break;
    uint64_t n = 0, pad = 0;
    etcd::DecodeFrameSize(len_field, &n, &pad);
    if (n + pad > segment.size() - at - 8) break;
    out.push_back(at);
    at += 8 + n + pad;
  }
  out.push_back(at);
  return out;
}

// The newest snapshot ValidSnapshotEntries accepts (as etcd's server opens).
etcd::SnapshotRecord NewestValidSnapshot(vfs::Vfs& v) {
  auto snaps = etcd::ValidSnapshotEntries(v, std::string(kDir), Options(1024));
  if (!snaps.ok() || snaps->empty()) return {};
  return etcd::SnapshotRecord{snaps->back().index, snaps->back().term, std::nullopt};
}

DirectoryImage ImageOf(vfs::Vfs& v, etcd::SnapshotRecord snap, uint64_t append_segment_bytes) {
  auto image = walcrash::fuzz::ReadDirectoryImage(v, kDir);
  if (!image.ok()) Die(image.status().ToString());
  image->snapshot_index = snap.index;
  image->snapshot_term = snap.term;
  image->append_segment_bytes = append_segment_bytes;
  if (image->entries.size() > walcrash::fuzz::kMaxImageEntries || image->total_bytes() > walcrash::fuzz::kMaxImageBytes) {
    Die(fmt::format("an engine-written image is out of the format: {} entries, {} bytes", image->entries.size(),
                    image->total_bytes()));
  }
  return *image;
}

void AddImage(Corpus& corpus, const DirectoryImage& image) {
  const std::string bytes = walcrash::fuzz::EncodeDirectoryImage(image);
  const DirectoryImage back = walcrash::fuzz::DecodeDirectoryImage(
      {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  if (!(back == image)) Die("an image does not survive its encoding");
  corpus.Add(bytes);
}

// --- the interop cases ------------------------------------------------------------

void AddInterop(const fs::path& root, Corpus& records, Corpus& dirs) {
  std::vector<fs::path> cases;
  for (const fs::directory_entry& e : fs::directory_iterator(root)) {
    if (fs::is_directory(e.path() / "wal")) cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  if (cases.empty()) Die(fmt::format("{}: no interop cases (<case>/wal/)", root.string()));
  for (const fs::path& c : cases) {
    std::vector<fs::path> files;
    for (const fs::directory_entry& e : fs::directory_iterator(c / "wal")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    vfs::SimVfs sim;
    Must(sim.Mkdir(kDir), "mkdir");
    for (const fs::path& f : files) {
      const std::string bytes = ReadHostFile(f);
      records.Add(bytes);
      WriteSim(sim, f.filename().string(), bytes);
    }
    AddImage(dirs, ImageOf(sim, {}, walcrash::fuzz::kAppendSegmentBytes[0]));
    const etcd::SnapshotRecord snap = NewestValidSnapshot(sim);
    if (snap.index != 0) AddImage(dirs, ImageOf(sim, snap, walcrash::fuzz::kAppendSegmentBytes[2]));
  }
}

// --- engine-written WALs -------------------------------------------------------------

// One segment of small entries and hard states, closed cleanly.
void AddBasic(Corpus& records, Corpus& dirs) {
  vfs::SimVfs sim;
  uint64_t rng = 1;
  auto w = MustCreate(sim, "walcrash-seed-basic", Options(4096));
  SaveRange(*w, 1, 6, 1, 4, 24, rng);
  Must(w->Close(), "Close");
  for (const std::string& n : Segments(sim)) records.Add(ReadSim(sim, n));
  AddImage(dirs, ImageOf(sim, {}, walcrash::fuzz::kAppendSegmentBytes[1]));

  const std::string name = Segments(sim).back();
  std::string seg = ReadSim(sim, name);
  const std::vector<uint64_t> starts = RecordStarts(seg);
  const uint64_t last_end = starts.back();
  const uint64_t last_start = starts[starts.size() - 2];

  // Stale bytes of a torn write behind the zero length field that ends the
  // records: an append must not splice them in (etcd's "zero out wal tail").
  {
    vfs::SimVfs copy;
    Must(walcrash::fuzz::WriteDirectoryImage(copy, kDir, ImageOf(sim, {}, 4096)), "copy");
    std::string stale = seg;
    const std::string garbage = Payload(rng, 400);
    stale.replace(static_cast<size_t>(last_end + 8), garbage.size(), garbage);
    records.Add(stale);
    WriteSim(copy, name, stale);
    AddImage(dirs, ImageOf(copy, {}, walcrash::fuzz::kAppendSegmentBytes[0]));
  }

  // A torn tail: the last record's last sector never reached the disk.
  std::string torn = seg;
  const uint64_t sector = (last_end - 1) / 512 * 512;
  std::fill(torn.begin() + static_cast<std::ptrdiff_t>(std::max(sector, last_start + 8)),
            torn.begin() + static_cast<std::ptrdiff_t>(last_end), '\0');
  records.Add(torn);
  WriteSim(sim, name, torn);
  AddImage(dirs, ImageOf(sim, {}, walcrash::fuzz::kAppendSegmentBytes[0]));

  // Repaired: the segment cut at its last good record, the original kept as ".broken".
  Status why;
  if (!etcd::Repair(sim, std::string(kDir), Options(4096), &why)) Die(fmt::format("Repair: {}", why.ToString()));
  AddImage(dirs, ImageOf(sim, {}, walcrash::fuzz::kAppendSegmentBytes[3]));
}

// Many segments: cuts, a snapshot, a raft overwrite by a higher term.
void AddMulti(Corpus& records, Corpus& dirs) {
  vfs::SimVfs sim;
  uint64_t rng = 2;
  auto w = MustCreate(sim, "walcrash-seed-multi", Options(1024));
  SaveRange(*w, 1, 12, 1, 10, 90, rng);
  Must(w->SaveSnapshot(etcd::SnapshotRecord{10, 1, kConfState}), "SaveSnapshot");
  SaveRange(*w, 13, 18, 1, 16, 60, rng);
  SaveRange(*w, 15, 20, 2, 15, 40, rng);  // a new leader overwrites 15..18
  Must(w->Close(), "Close");
  const std::vector<std::string> segments = Segments(sim);
  for (const std::string& n : segments) records.Add(ReadSim(sim, n));
  const etcd::SnapshotRecord snap = NewestValidSnapshot(sim);
  AddImage(dirs, ImageOf(sim, {}, walcrash::fuzz::kAppendSegmentBytes[2]));
  AddImage(dirs, ImageOf(sim, snap, walcrash::fuzz::kAppendSegmentBytes[1]));

  // A snapshot that does not match what the WAL recorded.
  AddImage(dirs, ImageOf(sim, etcd::SnapshotRecord{snap.index, snap.term + 3, std::nullopt},
                         walcrash::fuzz::kAppendSegmentBytes[0]));

  // A stray temp file: a crash inside a cut left the next segment's header.
  {
    vfs::SimVfs copy;
    Must(walcrash::fuzz::WriteDirectoryImage(copy, kDir, ImageOf(sim, {}, 1024)), "copy");
    const std::string tail = ReadSim(sim, segments.back());
    WriteSim(copy, "0.tmp", tail.substr(0, RecordStarts(tail)[3]));
    WriteSim(copy, "1.tmp", "");
    AddImage(dirs, ImageOf(copy, snap, walcrash::fuzz::kAppendSegmentBytes[1]));
  }
  // A corrupt middle segment: one payload byte flipped.
  if (segments.size() >= 3) {
    vfs::SimVfs copy;
    Must(walcrash::fuzz::WriteDirectoryImage(copy, kDir, ImageOf(sim, {}, 1024)), "copy");
    std::string middle = ReadSim(sim, segments[1]);
    const std::vector<uint64_t> starts = RecordStarts(middle);
    uint64_t at = starts[starts.size() - 2] + 20;
    for (size_t i = starts.size() - 1; i-- > 0;) {
      if (starts[i + 1] - starts[i] > 60) {
        at = starts[i] + 40;  // inside an entry's payload
        break;
      }
    }
    middle[static_cast<size_t>(at)] = static_cast<char>(middle[static_cast<size_t>(at)] ^ 0x10);
    records.Add(middle);
    WriteSim(copy, segments[1], middle);
    AddImage(dirs, ImageOf(copy, {}, walcrash::fuzz::kAppendSegmentBytes[0]));
  }
  // Names: near-valid, lenient-only, Repair's backups, other files, a directory.
  {
    vfs::SimVfs copy;
    DirectoryImage image = ImageOf(sim, snap, walcrash::fuzz::kAppendSegmentBytes[2]);
    while (image.entries.size() > 3) image.entries.pop_back();
    const std::string first = image.entries.front().contents;
    image.entries.push_back(ImageEntry{"1-4.wal", false, first.substr(0, 512)});
    image.entries.push_back(ImageEntry{"00000000000000FF-0000000000000100.wal", false, ""});
    image.entries.push_back(ImageEntry{etcd::WalName(1, 0x20) + ".broken", false, first.substr(0, 300)});
    image.entries.push_back(ImageEntry{"snap", true, ""});
    image.entries.push_back(ImageEntry{"README", false, "not a segment"});
    AddImage(dirs, image);
  }
}

// Entries larger than a segment: every Save cuts.
void AddLarge(Corpus& records, Corpus& dirs) {
  vfs::SimVfs sim;
  uint64_t rng = 3;
  auto w = MustCreate(sim, "walcrash-seed-large", Options(16384));
  SaveRange(*w, 1, 1, 1, 0, 3000, rng);
  SaveRange(*w, 2, 2, 1, 1, 20000, rng);
  SaveRange(*w, 3, 5, 1, 4, 700, rng);
  Must(w->Close(), "Close");
  for (const std::string& n : Segments(sim)) records.Add(ReadSim(sim, n));
  AddImage(dirs, ImageOf(sim, {}, walcrash::fuzz::kAppendSegmentBytes[3]));
}

// Entries with a gap (the engine does not check indexes): ReadAll's slice
// out of range; and a directory with nothing but a temp file.
void AddOddities(Corpus& dirs) {
  vfs::SimVfs sim;
  uint64_t rng = 4;
  auto w = MustCreate(sim, "walcrash-seed-gap", Options(4096));
  SaveRange(*w, 1, 3, 1, 2, 16, rng);
  SaveRange(*w, 6, 7, 1, 6, 16, rng);
  Must(w->Close(), "Close");
  AddImage(dirs, ImageOf(sim, {}, walcrash::fuzz::kAppendSegmentBytes[2]));

  DirectoryImage only_tmp;
  only_tmp.entries.push_back(ImageEntry{"0.tmp", false, std::string(1024, '\0')});
  AddImage(dirs, only_tmp);
  AddImage(dirs, DirectoryImage{});
}

// --- damaged segments ------------------------------------------------------------


// A segment written by hand, each record chained: legacy unpadded frames,
// and a CRC record mid-file that carries a wrong value.
std::string HandWritten(bool unpadded, bool bad_crc_record) {
  uint32_t crc = 0;
  std::string out;
  auto add = [&](etcd::RecordType type, std::optional<std::string> data) {
    etcd::Record r{static_cast<int64_t>(type), 0, std::move(data)};
    if (type != etcd::RecordType::kCrc && r.data) {
      crc = walcrash::crc32c::Update(crc, vfs::AsBytes(*r.data));
    }
    r.crc = crc;
    out += walcrash::fuzz::FramedRecord(r, unpadded);
  };
  add(etcd::RecordType::kCrc, std::nullopt);
  add(etcd::RecordType::kMetadata, "hand");
  add(etcd::RecordType::kSnapshot, etcd::EncodeSnapshot({0, 0, std::nullopt}));
  for (uint64_t i = 1; i <= 3; ++i) add(etcd::RecordType::kEntry, etcd::EncodeEntry({1, i, 0, fmt::format("e{}", i)}));
  add(etcd::RecordType::kState, etcd::EncodeHardState({1, 1, 3}));
  if (bad_crc_record) {
    etcd::Record r{static_cast<int64_t>(etcd::RecordType::kCrc), crc ^ 0x5a5a5a5au, std::nullopt};
    out += walcrash::fuzz::FramedRecord(r, unpadded);
  }
  add(etcd::RecordType::kEntry, etcd::EncodeEntry({1, 4, 0, "e4"}));
  return out + std::string(64, '\0');
}

void AddDamaged(Corpus& records) {
  vfs::SimVfs sim;
  uint64_t rng = 5;
  auto w = MustCreate(sim, "walcrash-seed-damage", Options(4096));
  SaveRange(*w, 1, 8, 1, 6, 150, rng);
  Must(w->Close(), "Close");
  const std::string seg = ReadSim(sim, Segments(sim).front());
  const std::vector<uint64_t> starts = RecordStarts(seg);
  const uint64_t end = starts.back();
  const uint64_t mid = starts[starts.size() / 2];

  records.Add(seg.substr(0, static_cast<size_t>(mid + 13)));      // cut inside a record
  records.Add(seg.substr(0, static_cast<size_t>(end)));           // no preallocated tail
  records.Add(seg.substr(0, static_cast<size_t>(end)) + "\x01\x02\x03");  // trailing bytes
  // A CRC mismatch mid-file: a bit flipped in the payload of a middle entry.
  uint64_t big = mid;
  for (size_t i = starts.size() / 2; i + 1 < starts.size(); ++i) {
    if (starts[i + 1] - starts[i] > 100) {
      big = starts[i];
      break;
    }
  }
  std::string flipped = seg;
  flipped[static_cast<size_t>(big + 60)] = static_cast<char>(flipped[static_cast<size_t>(big + 60)] ^ 0x04);
  records.Add(flipped);
  std::string huge = seg;
  const uint64_t huge_len = 0x00ffffffffffff00ull;
  std::memcpy(huge.data() + mid, &huge_len, 8);
  records.Add(huge);                                              // a huge length field
  std::string sector = seg;
  const uint64_t last = starts[starts.size() - 2];
  std::fill(sector.begin() + static_cast<std::ptrdiff_t>(last + 8),
            sector.begin() + static_cast<std::ptrdiff_t>(std::min(end, (last + 8) / 512 * 512 + 512)), '\0');
  records.Add(sector);                                            // a zeroed sector in the last record
  records.Add(HandWritten(true, false));
  records.Add(HandWritten(false, true));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s OUT_RECORD_DECODER OUT_WAL_DIRECTORY [INTEROP_DIR]\n", argv[0]);
    return 2;
  }
  const fs::path interop = argc == 4 ? fs::path(argv[3])
                                     : fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() /
                                           "shared" / "interop" / "etcd-3.4";
  if (!fs::is_directory(interop)) Die(fmt::format("{}: no such directory (pass INTEROP_DIR)", interop.string()));
  Corpus records(argv[1], kProgram);
  Corpus dirs(argv[2], kProgram);
  AddInterop(interop, records, dirs);
  AddBasic(records, dirs);
  AddMulti(records, dirs);
  AddLarge(records, dirs);
  AddOddities(dirs);
  AddDamaged(records);
  records.Finish();
  dirs.Finish();
  return 0;
}
