// Peer: LevelDB 1.23 (Debian's libleveldb-dev), through its library, on the
// workloads of etcd_wal_bench. LevelDB's write path is a log append (its
// own 32 KiB-block log format) plus a memtable insert; with
// WriteOptions.sync = true each Write fdatasyncs the log.
//
//   BM_LevelDbWrite/sync:S/entry_bytes:E/batch:B
//       one DB::Write of a WriteBatch of B Puts (16-byte sequential keys,
//       values of E bytes); B = 1 is a plain DB::Put. S = 1: sync = true
//       (compare with BM_EtcdSave), S = 0: sync = false (compare with
//       BM_EtcdAppendUnsynced).
//
// The database is on the working disk (bench_disk.h), fresh per benchmark,
// default Options (4 MiB write buffer, Snappy if built in): memtable
// flushes and compactions run in LevelDB's background thread, as they
// would for a user. Counters as etcd_wal_bench.
#include <benchmark/benchmark.h>
#include <leveldb/db.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "bench/bench_disk.h"

namespace walcrash::bench {
namespace {

void Check(const leveldb::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "leveldb_log_bench: %s: %s\n", what, s.ToString().c_str());
  std::abort();
}

std::string Key(uint64_t n) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(n));
  return std::string(buf, 16);
}

void BM_LevelDbWrite(benchmark::State& state) {
  const bool sync = state.range(0) == 1;
  const auto entry_bytes = static_cast<size_t>(state.range(1));
  const auto batch = static_cast<size_t>(state.range(2));
  const std::string dir = FreshDiskDir("leveldb") + "/db";
  state.SetLabel(FilesystemName(DiskBenchDir()));

  leveldb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  leveldb::DB* raw = nullptr;
  Check(leveldb::DB::Open(options, dir, &raw), "open");
  std::unique_ptr<leveldb::DB> db(raw);

  std::string value(entry_bytes, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i & 0xff);
  leveldb::WriteOptions write_options;
  write_options.sync = sync;
  uint64_t n = 0;
  leveldb::WriteBatch wb;
  for (auto _ : state) {
    if (batch == 1) {
      Check(db->Put(write_options, Key(++n), value), "put");
      continue;
    }
    wb.Clear();
    for (size_t i = 0; i < batch; ++i) wb.Put(Key(++n), value);
    Check(db->Write(write_options, &wb), "write");
  }
  db.reset();
  Check(leveldb::DestroyDB(dir, leveldb::Options()), "destroy");
  SetEntryCounters(state, static_cast<double>(state.iterations()) * static_cast<double>(batch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(batch * entry_bytes));
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"sync", "entry_bytes", "batch"});
  for (int64_t sync : {1, 0}) {
    for (int64_t bytes : {100, 1000}) {
      for (int64_t batch : {1, 10, 100, 500, 1000}) b->Args({sync, bytes, batch});
    }
  }
  b->Args({0, 1024, 1});  // the unsynced-append row (1 KiB entries)
  b->Args({0, 1024, 100});
}

BENCHMARK(BM_LevelDbWrite)->Apply(Args)->UseRealTime();

}  // namespace
}  // namespace walcrash::bench

int main(int argc, char** argv) { return walcrash::bench::BenchMain(argc, argv); }
