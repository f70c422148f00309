// fuzz_make_vfs_seeds OUTDIR
//
// Writes the seed corpus of fuzz_vfs_differential: programs (in the text of
// fuzz/vfs_program.h) that exercise every call kind and the collisions where
// a filesystem double usually goes wrong: rename over an existing file, of a
// directory, onto an ancestor or into its own subdirectory; unlink of an open
// file then I/O through the handle; rmdir of a non-empty directory; opens
// through a file, through a missing directory, of a directory, exclusive
// creates of what exists; truncate up and down; writes past the end leaving
// holes; preallocation then size; trailing slashes; locks between handles;
// calls on closed handles. Deterministic: files are named by a hash of their
// bytes, so a rerun rewrites the same files.
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/seeds/seed_writer.h"
#include "fuzz/vfs_program.h"

namespace {

struct Seed {
  const char* name;  // what it exercises (for the listing only)
  const char* text;
};

const std::vector<Seed>& Seeds() {
  static const std::vector<Seed> seeds = {
      {"every file call",
       "open h0 r|w|create /a; write h0 @0+100 seed 1; read h0 @0+100; readnext h0 +50; append h0 +20 seed 2;"
       "size h0; truncate h0 to 60; prealloc h0 @0+200 keep; prealloc h0 @100+200 extend; size h0;"
       "sync h0; datasync h0; trylock h0; lock h0; unlock h0; close h0; stat /a"},
      {"every path call",
       "mkdir /d; mkdir /d/e; open h0 w|create /d/a; close h0; list /d; stat /d; stat /d/a; rename /d/a /d/b;"
       "list /d; unlink /d/b; rmdir /d/e; list /d; rmdir /d; list /"},
      {"directory handles",
       "mkdir /d; opendir g0 /d; open h0 w|create /d/a; dirsync g0; opendir g1 /; dirsync g1; dirclose g0;"
       "dirsync g0; dirclose g0; opendir g0 /d/a; opendir g1 /e"},
      {"rename over an existing file",
       "open h0 r|w|create /a; append h0 +10 seed 1; open h1 r|w|create /b; append h1 +20 seed 2;"
       "rename /a /b; stat /a; stat /b; read h0 @0+30; read h1 @0+30; open h2 r /b; read h2 @0+30"},
      {"rename a directory with contents",
       "mkdir /d; mkdir /d/e; open h0 w|create /d/e/a; append h0 +5 seed 3; opendir g0 /d/e; rename /d /c;"
       "list /c; stat /d/e/a; dirsync g0; mkdir /d; rename /c /d; list /d"},
      {"rename a directory over an empty and a non-empty directory",
       "mkdir /d; mkdir /e; mkdir /c; rename /d /e; list /; mkdir /d; open h0 w|create /d/a; rename /e /d;"
       "rename /d /e; list /e; rename /c /e; list /"},
      {"rename a directory over a file and a file over a directory",
       "mkdir /d; open h0 w|create /a; rename /d /a; rename /a /d; rename /d /b; stat /b"},
      {"rename onto an ancestor and into a subdirectory",
       "mkdir /d; mkdir /d/e; open h0 w|create /d/a; rename /d /d/e/a; rename /d /d/b; rename /d/a /d;"
       "rename /d/e/a /d; rename /d/e /d/e/; rename /d/e /d; list /d"},
      {"rename to itself and of missing files",
       "open h0 w|create /a; rename /a /a; rename /b /c; rename /e/x /a; rename /a /e/x; rename /a /a/x;"
       "mkdir /d; rename /d /d/; rename /d/ /e; list /"},
      {"unlink an open file then use the handle",
       "open h0 r|w|create /a; append h0 +100 seed 4; unlink /a; stat /a; read h0 @50+100; write h0 @200+10 seed 5;"
       "size h0; sync h0; open h1 r|w|create /a; size h1; trylock h0; trylock h1"},
      {"rmdir non-empty, of a file, of a missing directory",
       "mkdir /d; open h0 w|create /d/a; rmdir /d; rmdir /d/a; rmdir /e; rmdir /d/a/x; unlink /d/a; rmdir /d;"
       "rmdir /d; stat /d"},
      {"open through a file and through a missing directory",
       "open h0 w|create /a; open h1 r /a/x; open h1 w|create /a/x; mkdir /a/x; stat /a/x; list /a/x;"
       "open h2 r /e/x; open h2 w|create /e/x; mkdir /e/x; stat /e/x; list /e; unlink /a/x; rename /a/x /b"},
      {"exclusive create of what exists",
       "open h0 w|create|excl /a; open h1 w|create|excl /a; mkdir /d; open h1 r|create|excl /d;"
       "open h1 w|create|excl /d/a; open h2 r|create|excl /d/a; open h3 r|create|excl /"},
      {"open a directory",
       "mkdir /d; open h0 r /d; open h0 w /d; open h0 r|w|create /d; open h0 r /; open h0 w|trunc /d;"
       "open h0 r /d/; opendir g0 /d/"},
      {"invalid open flags",
       "open h0 trunc /a; open h0 r|trunc /a; open h0 r|append /a; open h0 w|excl /a; open h0 0 /a;"
       "open h0 r|w|create /a; open h1 r|trunc /a; size h0"},
      {"truncate up and down",
       "open h0 r|w|create /a; write h0 @0+300 seed 6; truncate h0 to 100; read h0 @0+300; truncate h0 to 5000;"
       "read h0 @90+20; size h0; truncate h0 to 0; size h0; truncate h0 to 36864; size h0"},
      {"write past the end leaving a hole",
       "open h0 r|w|create /a; write h0 @0+10 seed 7; write h0 @8000+100 seed 8; read h0 @0+4096;"
       "read h0 @7990+200; size h0; write h0 @16380+10 seed 9; read h0 @16370+30; write h0 @32768+4096 seed 10;"
       "size h0"},
      {"preallocate then size",
       "open h0 r|w|create /a; prealloc h0 @0+4096 keep; size h0; read h0 @0+10; prealloc h0 @4096+4096 extend;"
       "size h0; read h0 @4000+200; prealloc h0 @0+10 extend; size h0; prealloc h0 @0+0 keep;"
       "prealloc h0 @0+0 extend; append h0 +10 seed 11; size h0"},
      {"append handles",
       "open h0 w|create|append /a; append h0 +10 seed 12; write h0 @0+5 seed 13; open h1 r|w /a;"
       "write h1 @100+5 seed 14; append h0 +7 seed 15; size h1; read h1 @0+200; truncate h0 to 3; append h0 +2 seed 1"},
      {"read-only and write-only handles",
       "open h0 w|create /a; append h0 +10 seed 16; read h0 @0+10; readnext h0 +10; open h1 r /a; write h1 @0+1 seed 1;"
       "append h1 +1 seed 1; truncate h1 to 0; prealloc h1 @0+10 extend; sync h1; datasync h1; read h1 @0+10"},
      {"the read cursor",
       "open h0 r|w|create /a; append h0 +100 seed 17; readnext h0 +30; readnext h0 +30; write h0 @0+10 seed 1;"
       "readnext h0 +30; readnext h0 +30; truncate h0 to 50; readnext h0 +10; append h0 +100 seed 2; readnext h0 +200"},
      {"open with truncate while another handle reads",
       "open h0 r|w|create /a; append h0 +500 seed 18; open h1 r /a; readnext h1 +100; open h2 w|trunc /a;"
       "size h1; read h1 @0+10; readnext h1 +10; append h2 +50 seed 19; readnext h1 +100"},
      {"locks between handles",
       "open h0 r|w|create /a; open h1 r /a; open h2 w /a; trylock h0; trylock h1; lock h2; unlock h1; trylock h1;"
       "unlock h0; trylock h1; lock h2; close h1; lock h2; open h2 r /a; trylock h0"},
      {"locks follow the inode, not the name",
       "open h0 r|w|create /a; trylock h0; rename /a /b; open h1 r /b; trylock h1; open h2 w|create /a; trylock h2;"
       "unlink /b; trylock h1; close h0; trylock h1"},
      {"closed handles",
       "open h0 r|w|create /a; close h0; read h0 @0+1; readnext h0 +1; write h0 @0+1 seed 1; append h0 +1 seed 1;"
       "size h0; truncate h0 to 1; prealloc h0 @0+1 keep; sync h0; datasync h0; trylock h0; lock h0; unlock h0;"
       "close h0; opendir g0 /; dirclose g0; dirsync g0; dirclose g0"},
      {"empty slots",
       "read h1 @0+1; size h2; close h3; dirsync g1; open h1 r /c; size h1"},
      {"trailing slashes on files",
       "open h0 w|create /a; stat /a/; list /a/; open h1 r /a/; opendir g0 /a/; unlink /a/; rmdir /a/;"
       "rename /a/ /b; rename /a /c; rename /c /a/; mkdir /a/"},
      {"trailing slashes on missing names",
       "open h0 w|create /a/; stat /a; mkdir /d/; stat /d; open h1 w|create /d/e/; mkdir /d/e/; rmdir /d/e/;"
       "mkdir /d/e; rename /d/e /d/; rename /d/e/ /c"},
      {"trailing slashes on directories",
       "mkdir /d; mkdir /d/e; list /d/; stat /d/e/; opendir g0 /d/e/; rename /d/e/ /d/b; rename /d/b /d/e/; rmdir /d/e/;"
       "rmdir /d/"},
      {"files of two chunks",
       "open h0 r|w|create /a; write h0 @16000+4096 seed 20; write h0 @32768+4096 seed 21; read h0 @16380+4096;"
       "truncate h0 to 16390; read h0 @16000+4096; prealloc h0 @16384+4096 extend; read h0 @16380+100"},
      {"a deep tree",
       "mkdir /d; mkdir /d/e; open h0 w|create /d/e/a; mkdir /e; open h1 w|create /e/x; open h2 w|create /d/a;"
       "open h3 w|create /d/b; append h3 +40 seed 22; list /d; list /d/e; stat /d/e/a; rmdir /d/e; unlink /d/e/a;"
       "rmdir /d/e; list /d"},
      {"the root",
       "stat /; list /; open h0 r /; open h0 w|create /; mkdir /; unlink /; opendir g0 /; dirsync g0; rmdir /;"
       "rename / /a; rename /a /"},
      {"replace a file while it is open and locked",
       "open h0 r|w|create /a; append h0 +30 seed 23; trylock h0; open h1 w|create /b; append h1 +3 seed 24;"
       "rename /b /a; open h2 r /a; trylock h2; read h2 @0+30; read h0 @0+30; size h0"},
      {"directory handle on a removed directory",
       "mkdir /d; opendir g0 /d; rmdir /d; dirsync g0; mkdir /d; dirsync g0; dirclose g0"},
      {"create in a directory renamed away",
       "mkdir /d; open h0 w|create /d/a; rename /d /e; open h1 w|create /d/a; open h1 w|create /e/x; list /e;"
       "append h0 +5 seed 25; list /e; stat /e/x"},
      {"unlink and recreate under the same name",
       "open h0 r|w|create /a; append h0 +10 seed 26; unlink /a; open h1 r|w|create|excl /a; append h1 +3 seed 27;"
       "read h0 @0+20; read h1 @0+20; unlink /a; unlink /a"},
      {"mkdir collisions",
       "mkdir /d; mkdir /d; open h0 w|create /a; mkdir /a; mkdir /a/x; mkdir /e/x; mkdir /d/a; mkdir /d/a/x; list /d"},
      {"rmdir and unlink of the wrong kind",
       "mkdir /d; open h0 w|create /a; unlink /d; rmdir /a; unlink /d/a; rmdir /d/a; unlink /e/x; rmdir /a/x"},
      {"sync everything",
       "open h0 r|w|create /a; append h0 +4096 seed 28; sync h0; datasync h0; opendir g0 /; dirsync g0; mkdir /d;"
       "rename /a /d/a; opendir g1 /d; dirsync g1; dirsync g0; sync h0"},
      {"zero-length writes",
       "open h0 r|w|create /a; write h0 @5000+0 seed 1; append h0 +0 seed 1; size h0; read h0 @0+0; readnext h0 +0"},
      {"many handles on one file",
       "open h0 r|w|create /a; open h1 r|w /a; open h2 r /a; open h3 w|append /a; append h3 +10 seed 29;"
       "write h1 @3+4 seed 30; read h2 @0+20; truncate h0 to 2; read h2 @0+20; append h3 +5 seed 31; read h0 @0+20"},
      {"reopen a slot",
       "open h0 r|w|create /a; trylock h0; open h0 r /a; open h1 r|w /a; trylock h1; open h1 r /b; trylock h0"},
  };
  return seeds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", out.c_str(), ec.message().c_str());
    return 2;
  }
  size_t written = 0;
  for (const Seed& seed : Seeds()) {
    auto program = walcrash::fuzz::ParseProgram(seed.text);
    if (!program.ok()) {
      std::fprintf(stderr, "seed \"%s\": %s\n", seed.name, program.status().ToString().c_str());
      return 2;
    }
    const std::vector<uint8_t> bytes = walcrash::fuzz::EncodeProgram(*program);
    if (walcrash::fuzz::DecodeProgram(bytes) != *program) {
      std::fprintf(stderr, "seed \"%s\": does not decode to itself\n", seed.name);
      return 2;
    }
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const std::filesystem::path file = out / walcrash::fuzz::seeds::SeedName(text);
    if (!walcrash::fuzz::seeds::WriteSeedFile(file, text)) {
      std::fprintf(stderr, "%s: cannot write\n", file.c_str());
      return 2;
    }
    std::printf("%s  %s (%zu calls)\n", file.filename().c_str(), seed.name, program->calls.size());
    ++written;
  }
  std::printf("wrote %zu seeds to %s\n", written, out.c_str());
  return 0;
}
