// fuzz_make_tdengine_wal_seeds OUT_DIR
//
// Writes the seed corpus of fuzz_wal_directory_tdengine
// (TdDirectoryImage bytes, fuzz/tdengine_directory_image.h):
//   - WAL directories engine/tdengine writes on a SimVfs (one file, several
//     renewed files, keep's single wal0; bodies from empty to several
//     sectors), and records of every sver (0, 1, 2) and message type;
//   - the same damaged: a torn tail of the newest file (in a head, in a
//     body), a write that never reached the disk (zeros), a flipped byte in
//     an older file, a flipped reserved head byte, a bad checksum or a bad
//     length with records after it
//     (the faithful reader's holes), garbage with a valid-looking signature
//     and huge length, sver-0 heads with valid head checksums and negative or
//     huge lengths, an unknown sver;
//   - names: near-valid ones (wal007 beside wal7, wal3x, wal-1, walx, wal,
//     WAL2, a 19-digit id), other files, a directory named as a WAL file,
//     versions that go down.
// Every image is checked to encode exactly (Decode(Encode(x)) == x).
// Deterministic: the same build gives the same files, named "seed-<hash>" by
// a hash of their bytes. Earlier "seed-*" files in OUT_DIR that this run does
// not write are removed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "engine/tdengine/fsync_service.h"
#include "engine/tdengine/wal.h"
#include "engine/tdengine/wal_head.h"
#include "engine/tdengine/wal_name.h"
#include "fuzz/tdengine_directory_image.h"
#include "fuzz/seeds/seed_writer.h"
#include "vfs/sim_vfs.h"

namespace {

namespace fs = std::filesystem;
namespace td = walcrash::tdengine;
namespace vfs = walcrash::vfs;
using walcrash::Status;
using walcrash::fuzz::ImageEntry;
using walcrash::fuzz::TdDirectoryImage;

constexpr std::string_view kProgram = "fuzz_make_tdengine_wal_seeds";
constexpr std::string_view kDir = "/wal";

[[noreturn]] void Die(std::string_view what) { walcrash::fuzz::seeds::Die(kProgram, what); }
void Must(const Status& s, std::string_view what) { walcrash::fuzz::seeds::Must(kProgram, s, what); }

class Corpus : public walcrash::fuzz::seeds::SeedCorpus {
 public:
  explicit Corpus(fs::path dir) : SeedCorpus(std::move(dir), kProgram) {}

  // Encodes `image`, which must encode exactly, and writes it.
  void Add(const TdDirectoryImage& image, std::string_view what) {
    const std::string bytes = walcrash::fuzz::EncodeTdDirectoryImage(image);
    const TdDirectoryImage back =
        walcrash::fuzz::DecodeTdDirectoryImage({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
    if (!(back == image)) Die(fmt::format("{}: the image does not encode exactly", what));
    SeedCorpus::Add(bytes);
  }
};

// A directory the engine writes: one file per element of `files` (a Renew
// each; with keep, wal0 only), records of the given body sizes, versions
// from 1, pattern bodies.
TdDirectoryImage EngineWritten(const std::vector<std::vector<size_t>>& files, bool keep = false) {
  vfs::SimVfs fs;
  td::FsyncService service(td::FsyncService::Mode::kManual);
  td::WalOptions options;
  options.keep = keep;
  options.strict = true;
  options.fsync_service = &service;
  auto wal = td::Wal::Open(fs, std::string(kDir), options);
  Must(wal.status(), "Open");
  uint64_t version = 0;
  for (const std::vector<size_t>& bodies : files) {
    Must((*wal)->Renew(), "Renew");
    for (size_t size : bodies) {
      ++version;
      auto written = (*wal)->Write(3, version, walcrash::fuzz::TdPatternBody(size, version));
      Must(written.status(), "Write");
      if (*written != td::WriteOutcome::kWritten) Die("Write: not written");
    }
    Must((*wal)->Fsync(true), "Fsync");
  }
  Must((*wal)->Close(), "Close");
  auto read = walcrash::fuzz::ReadDirectoryImage(fs, kDir);
  Must(read.status(), "ReadDirectoryImage");
  TdDirectoryImage image;
  image.entries = std::move(read->entries);
  image.keep = keep;
  return image;
}

std::string Rec(uint64_t version, size_t size, int8_t sver = td::kCurrentSver, int8_t msg_type = 3) {
  return td::EncodeRecord(msg_type, version, walcrash::fuzz::TdPatternBody(size, version), sver);
}

ImageEntry File(std::string name, std::string contents) { return ImageEntry{std::move(name), false, std::move(contents)}; }
ImageEntry Dir(std::string name) { return ImageEntry{std::move(name), true, ""}; }

TdDirectoryImage Image(std::vector<ImageEntry> entries, bool keep = false) {
  TdDirectoryImage image;
  image.entries = std::move(entries);
  image.keep = keep;
  return image;
}

std::string& Contents(TdDirectoryImage& image, std::string_view name) {
  for (ImageEntry& e : image.entries) {
    if (e.name == name) return e.contents;
  }
  Die(fmt::format("no entry {}", name));
}

void SetU32(std::string& s, size_t at, uint32_t v) { std::memcpy(s.data() + at, &v, 4); }

// A head alone: signature, sver, len, version, with the sver-0 head checksum
// when `head_checksum` (else cksum 0).
std::string Head(int8_t sver, int32_t len, uint64_t version, bool head_checksum) {
  td::WalHead head;
  head.msg_type = 3;
  head.sver = sver;
  head.len = len;
  head.version = version;
  head.cksum = 0;
  if (head_checksum) {
    td::WalHead zero = head;
    zero.sver = 0;
    head.cksum = td::RecordChecksum(zero, {});
  }
  const td::HeadBytes bytes = td::EncodeHead(head);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void AddValid(Corpus& c) {
  c.Add(Image({}), "empty directory");
  c.Add(Image({}, true), "empty directory, keep");
  c.Add(Image({File("wal1", "")}), "one empty file");
  c.Add(EngineWritten({{0, 8, 100, 600, 2000}}), "one file");
  c.Add(EngineWritten({{50, 50}, {700, 10}, {1200, 300, 5}}), "three files");
  c.Add(EngineWritten({{8}, {}, {8}}), "an empty file between two");
  c.Add(EngineWritten({{100, 200, 300, 1000}}, true), "keep");
  c.Add(EngineWritten({std::vector<size_t>(40, 16)}), "many small records");
  c.Add(Image({File("wal1", Rec(1, 10, 0) + Rec(2, 10, 1) + Rec(3, 10, 2) + Rec(4, 0, 0, -7) + Rec(5, 30, 1, 0))}),
        "every sver");
  c.Add(Image({File("wal0", Rec(1, 20)), File("wal1", Rec(2, 20)), File("wal2", Rec(3, 20))}), "wal0 without keep");
  c.Add(Image({File("wal1", Rec(10, 8) + Rec(5, 8) + Rec(7, 8)), File("wal2", Rec(3, 8))}), "versions go down");
}

void AddDamaged(Corpus& c) {
  TdDirectoryImage three = EngineWritten({{50, 50}, {700, 10}, {1200, 300, 5}});
  const std::string newest = Contents(three, "wal3");
  const size_t last = newest.size() - (td::kHeadBytes + 5);  // the last record's offset
  {
    TdDirectoryImage x = three;
    Contents(x, "wal3").resize(last + 10);
    c.Add(x, "torn tail in a head");
  }
  {
    TdDirectoryImage x = three;
    Contents(x, "wal3").resize(newest.size() - 3);
    c.Add(x, "torn tail in a body");
  }
  {
    TdDirectoryImage x = three;
    std::string& s = Contents(x, "wal3");
    const size_t mid = td::kHeadBytes + 1200 + td::kHeadBytes + 100;  // inside the second record's body
    std::fill(s.begin() + static_cast<std::ptrdiff_t>(mid), s.end(), '\0');
    s += std::string(512, '\0');
    c.Add(x, "lost write: zeros to the end");
  }
  {
    TdDirectoryImage x = three;
    std::string& s = Contents(x, "wal3");
    // The second record never reached the disk, the third did.
    const size_t second = td::kHeadBytes + 1200;
    std::fill(s.begin() + static_cast<std::ptrdiff_t>(second),
              s.begin() + static_cast<std::ptrdiff_t>(second + td::kHeadBytes + 300), '\0');
    c.Add(x, "lost write with a record after it");
  }
  {
    TdDirectoryImage x = three;
    Contents(x, "wal2")[td::kHeadBytes + 100] ^= 0x10;
    c.Add(x, "flipped body byte in an older file");
  }
  {
    TdDirectoryImage x = three;
    Contents(x, "wal3")[8] ^= 0x01;
    c.Add(x, "flipped version byte in the newest file");
  }
  {
    TdDirectoryImage x = three;
    Contents(x, "wal3")[4] ^= 0x40;
    c.Add(x, "flipped length byte in the newest file");
  }
  {
    TdDirectoryImage x = three;
    Contents(x, "wal3")[2] ^= 0x01;  // TDengine's checksum covers the reserved bytes too
    c.Add(x, "flipped reserved byte in the newest file");
  }
  {
    std::string s = Rec(1, 40, 0) + Rec(2, 40, 0);
    s[64 + 3] ^= 0x20;  // a sver-0 head checksum covers them as well
    c.Add(Image({File("wal1", s)}), "flipped reserved byte in a sver-0 head");
  }
  {
    std::string s = Rec(1, 40) + Rec(2, 40) + Rec(3, 40);
    SetU32(s, 64 + 20, 0xdeadbeef);  // the second record's checksum
    c.Add(Image({File("wal1", s), File("wal2", Rec(4, 40))}), "bad checksum with records after it");
  }
  {
    std::string s = Rec(1, 40) + Rec(2, 40) + Rec(3, 40) + Rec(4, 40);
    SetU32(s, 64 + 4, 400);  // the second record's length runs into the others
    c.Add(Image({File("wal1", s)}), "bad length with records after it");
  }
  {
    std::string s = Rec(1, 40) + Head(2, 0x7fffffff, 2, false) + Rec(3, 40);
    c.Add(Image({File("wal1", s)}), "huge length with a signature");
  }
  {
    std::string s = Rec(1, 40) + Head(0, -5, 2, true) + Rec(3, 40);
    c.Add(Image({File("wal1", s)}), "sver-0 head with a valid head checksum and a negative length");
  }
  {
    std::string s = Rec(1, 40) + Head(0, 0x100000, 2, true) + Rec(3, 40) + Rec(4, 40);
    c.Add(Image({File("wal1", s)}), "sver-0 head with a valid head checksum and a long length");
  }
  {
    std::string s = Rec(1, 40) + Rec(2, 40, 3) + Rec(3, 40);
    c.Add(Image({File("wal1", s)}), "unknown sver");
  }
  {
    std::string garbage(200, '\x5a');
    garbage.replace(40, 24, Head(2, 20, 9, false));
    c.Add(Image({File("wal1", Rec(1, 40) + garbage)}), "garbage tail with a signature");
  }
  {
    std::string s = Rec(1, 40) + Rec(2, 40);
    s.resize(s.size() - 20);
    c.Add(Image({File("wal1", s), File("wal2", Rec(3, 40))}), "a short body in an older file");
  }
}

void AddNames(Corpus& c) {
  c.Add(Image({File("wal7", Rec(1, 30)), File("wal007", Rec(1, 30)), File("wal3x", Rec(2, 30)),
               File("wal-1", Rec(3, 30)), File("walx", Rec(4, 30))}),
        "near-valid names");
  c.Add(Image({File("wal", Rec(1, 30)), File("WAL2", Rec(2, 30)), File("wal1", Rec(3, 30)),
               File("notes.txt", "not a WAL"), File("wal+4", Rec(4, 30))}),
        "more near-valid names");
  c.Add(Image({File("wal1", Rec(1, 30)), Dir("wal5")}), "a directory named as a WAL file");
  c.Add(Image({File("wal1", Rec(1, 30)), Dir("wal-2"), Dir("x"), File("wal99999999999999999999", Rec(2, 30))}),
        "a saturating id");
  c.Add(Image({File("wal1", Rec(1, 30)), File("wal1000000000000000007", Rec(2, 30))}), "a 19-digit id");
  c.Add(Image({File("wal2", Rec(5, 30)), File("wal02", Rec(6, 30)), File("wal 3", Rec(7, 30)),
               File("wal3.tmp", Rec(8, 30))}),
        "ids spelled twice");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  Corpus corpus(argv[1]);
  AddValid(corpus);
  AddDamaged(corpus);
  AddNames(corpus);
  corpus.Finish();
  return 0;
}
