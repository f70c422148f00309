#!/usr/bin/env python3
"""One table from the benchmark outputs of a ci/bench run (stdlib only).

Usage: bench/report.py --out REPORT.json [--go ETCD_GO_OUTPUT.txt] BENCH.json...

Reads Google Benchmark JSON files (etcd_wal_bench, floor_bench and the peers
leveldb_log_bench, sqlite_wal_bench; others are ignored) and, optionally, the
text output of etcd's `go test -bench . go.etcd.io/etcd/wal`. Prints one
table, in nanoseconds per entry (lower is better), and writes it as JSON.

Rows are etcd's workloads (entries of 100 B / 1000 B, B entries per sync) and
the unsynced 1 KiB append. Columns:
  walcrash      BM_EtcdSave (fallocate, as etcd) / BM_EtcdAppendUnsynced
  zero-fill     BM_EtcdSaveZeroFill (segments pre-zeroed)
  etcd          BenchmarkWrite<E>Entry{WithoutBatch,Batch<B>} (ns/op = ns/entry)
  LevelDB       BM_LevelDbWrite sync=1 (synced rows) / sync=0 (unsynced rows)
  SQLite        BM_SqliteWal synchronous=FULL / NORMAL
  floor         the fastest BM_FloorSync space (append, fallocate, zeroed) /
                BM_FloorBufferedWrite for the unsynced rows
  vs etcd, vs floor   walcrash's entries/s divided by theirs (> 1: walcrash
                is faster; against the floor it is at most ~1)
Where a benchmark was repeated, the median is used.
"""

import argparse
import json
import re
import statistics
import sys

SIZES = (100, 1000)
BATCHES = (1, 10, 100, 500, 1000)
APPEND_BATCHES = (1, 100)

NAME_RE = re.compile(r"^(BM_\w+)((?:/[^/]+)*)$")
GO_RE = re.compile(r"^BenchmarkWrite(\d+)Entry(WithoutBatch|Batch(\d+))(?:-\d+)?\s+(\d+)\s+([\d.]+) ns/op")


def parse_name(name):
    """BM_X/capture/k:v/k:v -> ("BM_X", "capture" or None, {k: int(v)})."""
    m = NAME_RE.match(name)
    if not m:
        return None
    family, rest = m.group(1), m.group(2)
    capture, args = None, {}
    for part in rest.split("/")[1:]:
        if ":" in part:
            key, _, value = part.partition(":")
            try:
                args[key] = int(value)
            except ValueError:
                return None
        elif part in ("real_time", "process_time", "manual_time"):
            continue
        elif capture is None:
            capture = part
        else:
            return None
    return family, capture, args


def load_gbench(paths):
    """{(family, capture, frozenset(args)): ns_per_entry} and the contexts."""
    samples, medians, contexts = {}, {}, {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        contexts[path] = {k: v for k, v in doc.get("context", {}).items() if k.startswith("bench_dir")}
        for b in doc.get("benchmarks", []):
            if "ns_per_entry" not in b or b.get("error_occurred"):
                continue
            base = b.get("run_name", b["name"])
            parsed = parse_name(base)
            if parsed is None:
                continue
            key = (parsed[0], parsed[1], frozenset(parsed[2].items()))
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    medians[key] = float(b["ns_per_entry"])
            else:
                samples.setdefault(key, []).append(float(b["ns_per_entry"]))
    result = {k: statistics.median(v) for k, v in samples.items()}
    result.update(medians)
    return result, contexts


def load_go(path):
    """{(entry_bytes, batch): median ns per entry} from go test -bench output."""
    samples = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = GO_RE.match(line.strip())
            if not m:
                continue
            size = int(m.group(1))
            batch = 1 if m.group(2) == "WithoutBatch" else int(m.group(3))
            samples.setdefault((size, batch), []).append(float(m.group(5)))
    return {k: statistics.median(v) for k, v in samples.items()}


def get(results, family, capture=None, **args):
    return results.get((family, capture, frozenset(args.items())))


def ratio(walcrash, other):
    if walcrash is None or other is None or walcrash <= 0:
        return None
    return other / walcrash


def build_rows(results, go):
    rows = []
    for size in SIZES:
        for batch in BATCHES:
            floors = {space: get(results, "BM_FloorSync", space, entry_bytes=size, batch=batch)
                      for space in ("append", "fallocate", "zeroed")}
            present = {k: v for k, v in floors.items() if v is not None}
            floor_mode = min(present, key=present.get) if present else None
            row = {
                "workload": f"save {size} B x{batch}, synced",
                "entry_bytes": size, "batch": batch, "synced": True,
                "walcrash": get(results, "BM_EtcdSave", entry_bytes=size, batch=batch),
                "walcrash_zero_fill": get(results, "BM_EtcdSaveZeroFill", entry_bytes=size, batch=batch),
                "etcd": go.get((size, batch)),
                "leveldb": get(results, "BM_LevelDbWrite", sync=1, entry_bytes=size, batch=batch),
                "sqlite": get(results, "BM_SqliteWal", synchronous=2, entry_bytes=size, batch=batch),
                "floor": present.get(floor_mode) if floor_mode else None,
                "floor_mode": floor_mode,
                "floor_by_space": floors,
            }
            rows.append(row)
    buffered = get(results, "BM_FloorBufferedWrite", entry_bytes=1024)
    for backend in ("posix", "sim"):
        for batch in APPEND_BATCHES:
            posix = backend == "posix"
            rows.append({
                "workload": f"append 1 KiB x{batch}, unsynced ({'PosixVfs' if posix else 'SimVfs'})",
                "entry_bytes": 1024, "batch": batch, "synced": False,
                "walcrash": get(results, "BM_EtcdAppendUnsynced", backend, entry_bytes=1024, batch=batch),
                "walcrash_zero_fill": None,
                "etcd": None,
                "leveldb": get(results, "BM_LevelDbWrite", sync=0, entry_bytes=1024, batch=batch) if posix else None,
                "sqlite": get(results, "BM_SqliteWal", synchronous=1, entry_bytes=1024, batch=batch) if posix else None,
                "floor": buffered if posix else None,
                "floor_mode": "buffered pwrite" if posix and buffered is not None else None,
                "floor_by_space": {},
            })
    for row in rows:
        row["walcrash_vs_etcd"] = ratio(row["walcrash"], row["etcd"])
        row["walcrash_vs_floor"] = ratio(row["walcrash"], row["floor"])
    return rows


def fmt_ns(value):
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}x"


def print_table(rows, out):
    header = ["workload", "walcrash", "zero-fill", "etcd", "LevelDB", "SQLite", "floor", "vs etcd", "vs floor"]
    table = [header]
    for r in rows:
        floor = fmt_ns(r["floor"])
        if r["floor_mode"] and r["synced"]:
            floor += f" ({r['floor_mode']})"
        table.append([r["workload"], fmt_ns(r["walcrash"]), fmt_ns(r["walcrash_zero_fill"]), fmt_ns(r["etcd"]),
                      fmt_ns(r["leveldb"]), fmt_ns(r["sqlite"]), floor,
                      fmt_ratio(r["walcrash_vs_etcd"]), fmt_ratio(r["walcrash_vs_floor"])])
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    out.write("ns per entry (lower is better); 'vs' columns: walcrash's entries/s over theirs (> 1: walcrash faster)\n")
    for i, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        out.write("  ".join(cells).rstrip() + "\n")
        if i == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where to write the table as JSON")
    parser.add_argument("--go", help="output of etcd's go test -bench (optional)")
    parser.add_argument("inputs", nargs="*", help="Google Benchmark JSON files")
    args = parser.parse_args(argv)

    results, contexts = load_gbench(args.inputs)
    go = load_go(args.go) if args.go else {}
    rows = build_rows(results, go)
    print_table(rows, sys.stdout)
    report = {
        "unit": "ns per entry (wall time)",
        "ratios": "walcrash entries/s divided by the other's (> 1: walcrash faster)",
        "walcrash": "BM_EtcdSave (PreallocMode::kFallocate); walcrash_zero_fill: BM_EtcdSaveZeroFill",
        "etcd_note": "etcd's benchmark syncs every batch+1 entries and counts protobuf bytes in MB/s",
        "bench_dirs": contexts,
        "sources": {"gbench": args.inputs, "etcd_go": args.go},
        "rows": rows,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
