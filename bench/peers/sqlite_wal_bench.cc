// Peer: SQLite 3.40 (Debian's libsqlite3-dev) in WAL mode, on the workloads
// of etcd_wal_bench: a table log(idx INTEGER PRIMARY KEY, data BLOB), one
// prepared INSERT per record.
//
//   BM_SqliteWal/synchronous:S/entry_bytes:E/batch:B
//       one transaction (BEGIN ... COMMIT) of B INSERTs of E-byte blobs.
//       S is PRAGMA synchronous's own number: 2 = FULL (each commit syncs
//       the WAL file: compare with BM_EtcdSave), 1 = NORMAL (WAL mode syncs
//       only at checkpoints: compare with BM_EtcdAppendUnsynced).
//
// The database is on the working disk (bench_disk.h), fresh per benchmark;
// automatic checkpoints (every 1000 WAL pages) stay on, as a user has them.
// Counters as etcd_wal_bench.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/bench_disk.h"

namespace walcrash::bench {
namespace {

void Check(sqlite3* db, int rc, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  std::fprintf(stderr, "sqlite_wal_bench: %s: %s\n", what, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  std::abort();
}

void Exec(sqlite3* db, const std::string& sql) { Check(db, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), sql.c_str()); }

void BM_SqliteWal(benchmark::State& state) {
  const int64_t synchronous = state.range(0);
  const auto entry_bytes = static_cast<size_t>(state.range(1));
  const auto batch = static_cast<size_t>(state.range(2));
  const std::string path = FreshDiskDir("sqlite") + "/log.db";
  state.SetLabel(FilesystemName(DiskBenchDir()));

  sqlite3* db = nullptr;
  Check(db, sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), "open");
  Exec(db, "PRAGMA journal_mode=WAL");
  Exec(db, "PRAGMA synchronous=" + std::to_string(synchronous));
  Exec(db, "CREATE TABLE log(idx INTEGER PRIMARY KEY, data BLOB)");
  sqlite3_stmt* insert = nullptr;
  Check(db, sqlite3_prepare_v2(db, "INSERT INTO log(idx, data) VALUES(?, ?)", -1, &insert, nullptr), "prepare");
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  Check(db, sqlite3_prepare_v2(db, "BEGIN", -1, &begin, nullptr), "prepare");
  Check(db, sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr), "prepare");

  std::string value(entry_bytes, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i & 0xff);
  sqlite3_int64 n = 0;
  for (auto _ : state) {
    Check(db, sqlite3_step(begin), "begin");
    sqlite3_reset(begin);
    for (size_t i = 0; i < batch; ++i) {
      Check(db, sqlite3_bind_int64(insert, 1, ++n), "bind");
      Check(db, sqlite3_bind_blob(insert, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC), "bind");
      Check(db, sqlite3_step(insert), "insert");
      sqlite3_reset(insert);
    }
    Check(db, sqlite3_step(commit), "commit");
    sqlite3_reset(commit);
  }
  sqlite3_finalize(insert);
  sqlite3_finalize(begin);
  sqlite3_finalize(commit);
  Check(db, sqlite3_close(db), "close");
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  SetEntryCounters(state, static_cast<double>(state.iterations()) * static_cast<double>(batch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(batch * entry_bytes));
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"synchronous", "entry_bytes", "batch"});
  for (int64_t synchronous : {2, 1}) {
    for (int64_t bytes : {100, 1000}) {
      for (int64_t batch : {1, 10, 100, 500, 1000}) b->Args({synchronous, bytes, batch});
    }
  }
  b->Args({1, 1024, 1});  // the unsynced-append row (1 KiB entries)
  b->Args({1, 1024, 100});
}

BENCHMARK(BM_SqliteWal)->Apply(Args)->UseRealTime();

}  // namespace
}  // namespace walcrash::bench

int main(int argc, char** argv) { return walcrash::bench::BenchMain(argc, argv); }
