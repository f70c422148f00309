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

A second table checks the issue's targets: the Save ratios above (the better
of walcrash's two preallocation modes), unsynced appends, the explorer's
images/s (explorer_bench), ReadAll of a 64 MB log (etcd_recovery_bench) and
CRC-32C (crc32c_bench). A target whose benchmark did not run reads "not run".
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


def read_json(path):
    """A Google Benchmark JSON file, or None (with a warning naming it) when it
    is empty or not JSON: a suite whose filter matched nothing writes nothing."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"report: skipping {path}: {e}\n")
        return None


def load_gbench(paths):
    """{(family, capture, frozenset(args)): ns_per_entry} and the contexts."""
    samples, medians, contexts = {}, {}, {}
    for path in paths:
        doc = read_json(path)
        if doc is None:
            continue
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


def load_counters(paths):
    """{run_name: {field: median}} of every benchmark in the files (times in ns)."""
    samples = {}
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    for path in paths:
        doc = read_json(path) or {}
        for b in doc.get("benchmarks", []):
            if b.get("error_occurred") or b.get("run_type") == "aggregate":
                continue
            fields = {k: float(v) for k, v in b.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            unit = scale.get(b.get("time_unit", "ns"), 1.0)
            for key in ("real_time", "cpu_time"):
                if key in fields:
                    fields[key] *= unit
            per_name = samples.setdefault(b.get("run_name", b["name"]), {})
            for k, v in fields.items():
                per_name.setdefault(k, []).append(v)
    return {name: {k: statistics.median(v) for k, v in fields.items()} for name, fields in samples.items()}


def find(counters, pattern, field):
    """The field of the first benchmark whose run_name matches `pattern`."""
    rx = re.compile(pattern)
    for name in sorted(counters):
        if rx.search(name) and field in counters[name]:
            return counters[name][field]
    return None


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
        row["zero_fill_vs_etcd"] = ratio(row["walcrash_zero_fill"], row["etcd"])
        row["zero_fill_vs_floor"] = ratio(row["walcrash_zero_fill"], row["floor"])
    return rows


def best_ratio(row, other):
    values = [v for v in (row.get(f"walcrash_vs_{other}"), row.get(f"zero_fill_vs_{other}")) if v is not None]
    return max(values) if values else None


def build_targets(rows, counters):
    """[(target, measured text, met: True/False/None)] for the issue's targets."""
    def row(size, batch, synced=True, backend=None):
        for r in rows:
            if r["entry_bytes"] == size and r["batch"] == batch and r["synced"] == synced and \
                    (backend is None or backend in r["workload"]):
                return r
        return None

    def at_least(value, bound, text):
        if value is None:
            return ("not run", None)
        return (text.format(value), value >= bound)

    targets = []
    for size, batch, bound in ((100, 1000, 2.0), (100, 100, 1.5), (100, 1, 1.2), (1000, 1, 1.2)):
        r = row(size, batch)
        targets.append((f"save {size} B x{batch}: >= {bound}x etcd (better mode)",
                        *at_least(best_ratio(r, "etcd") if r else None, bound, "{:.2f}x")))
    for size in (100, 1000):
        r = row(size, 1)
        targets.append((f"save {size} B x1: within 10% of the floor",
                        *at_least(best_ratio(r, "floor") if r else None, 0.9, "{:.2f}x of the floor")))
    for batch in APPEND_BATCHES:
        rate = find(counters, rf"^BM_EtcdAppendUnsynced/sim/entry_bytes:1024/batch:{batch}/", "bytes_per_second")
        targets.append((f"unsynced 1 KiB x{batch} into SimVfs: >= 1 GB/s",
                        *at_least(rate / 1e9 if rate else None, 1.0, "{:.2f} GB/s")))
        r = row(1024, batch, synced=False, backend="PosixVfs")
        targets.append((f"unsynced 1 KiB x{batch} on PosixVfs: >= 80% of buffered pwrite",
                        *at_least(r["walcrash_vs_floor"] if r else None, 0.8, "{:.2f}x")))
    images = find(counters, r"^BM_DefaultCampaign/model:0/", "images_per_s")
    targets.append(("explorer, default campaign: >= 20,000 images/s per core",
                    *at_least(images, 20000, "{:,.0f} images/s")))
    readall = find(counters, r"^BM_EtcdReadAll/posix/entry_bytes:1000/write_mode:1/fresh_heap:1", "real_time")
    text, met = ("not run", None)
    if readall:  # ns for 64e6 payload bytes: bytes per ns = GB/s
        text, met = f"{readall / 1e6:.1f} ms ({64e6 / readall:.2f} GB/s)", readall < 64e6
    targets.append(("restart: ReadAll of a 64 MB log (1000 B entries) < 64 ms", text, met))
    single = find(counters, r"^BM_Crc32cSingleStream/4096$", "bytes_per_second")
    crc4k = find(counters, r"^BM_Crc32cUpdate/4096$", "bytes_per_second")
    text, met = ("not run", None)
    if single and crc4k:
        text, met = f"{crc4k / 1e9:.1f} GB/s vs single stream {single / 1e9:.1f} GB/s", crc4k >= 0.9 * single
    targets.append(("CRC-32C at 4 KiB: within 10% of the single-stream instruction", text, met))
    crc64k = find(counters, r"^BM_Crc32cUpdate/65536$", "bytes_per_second")
    targets.append(("CRC-32C at 64 KiB: three streams, ~21 GB/s", *at_least(crc64k / 1e9 if crc64k else None, 19.0,
                                                                               "{:.1f} GB/s")))
    return targets


def print_targets(targets, out):
    out.write("\ntargets (issue 6)\n")
    width = max(len(t[0]) for t in targets)
    for name, measured, met in targets:
        verdict = "-" if met is None else ("met" if met else "MISSED")
        out.write(f"  {name.ljust(width)}  {verdict:6}  {measured}\n")


def fmt_ns(value):
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}x"


def print_table(rows, out):
    header = ["workload", "walcrash", "zero-fill", "etcd", "LevelDB", "SQLite", "floor", "vs etcd", "vs floor",
              "zero-fill vs etcd", "zero-fill vs floor"]
    table = [header]
    for r in rows:
        floor = fmt_ns(r["floor"])
        if r["floor_mode"] and r["synced"]:
            floor += f" ({r['floor_mode']})"
        table.append([r["workload"], fmt_ns(r["walcrash"]), fmt_ns(r["walcrash_zero_fill"]), fmt_ns(r["etcd"]),
                      fmt_ns(r["leveldb"]), fmt_ns(r["sqlite"]), floor,
                      fmt_ratio(r["walcrash_vs_etcd"]), fmt_ratio(r["walcrash_vs_floor"]),
                      fmt_ratio(r["zero_fill_vs_etcd"]), fmt_ratio(r["zero_fill_vs_floor"])])
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
    targets = build_targets(rows, load_counters(args.inputs))
    print_targets(targets, sys.stdout)
    report = {
        "unit": "ns per entry (wall time)",
        "ratios": "walcrash entries/s divided by the other's (> 1: walcrash faster)",
        "walcrash": "BM_EtcdSave (PreallocMode::kFallocate); walcrash_zero_fill: BM_EtcdSaveZeroFill",
        "etcd_note": "etcd's benchmark syncs every batch+1 entries and counts protobuf bytes in MB/s",
        "bench_dirs": contexts,
        "sources": {"gbench": args.inputs, "etcd_go": args.go},
        "rows": rows,
        "targets": [{"target": t, "measured": m, "met": met} for t, m, met in targets],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
