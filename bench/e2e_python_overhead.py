#!/usr/bin/env python3
"""Overhead of a call through the Python binding, and through the C ABI, against the same call in C++.

    bench/e2e_python_overhead.py BUILD_DIR [--rounds N] [--repetitions N]

Runs BUILD_DIR/bench/bench_capi (Google Benchmark: the C++ calls and the same calls through
libretold_c.so.1 in one process) and times the same calls on the same state through Python: the
`retold` package (what users call) and raw ctypes on the C ABI (the floor any ctypes binding pays).
The sides alternate for --rounds rounds, so load from other processes hits all alike; each round
takes the median of --repetitions repetitions, and the table shows the median over rounds (ns per
call) and the median of the per-round ratios to C++. A benchmark, not a test: nothing is asserted.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from ctypes import byref, c_int32
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHORT_QUERY = "central bank raises its main interest rate by half a point citing inflation"


def synthetic_text(i):
    """Mirror of synthetic_text() in bench_capi.cpp."""
    x = (i + 1) * 2654435761 % 2147483648
    words = []
    for _ in range(80):
        x = (x * 1103515245 + 12345) % 2147483648
        words.append(f"w{x % 30000}")
    return " ".join(words)


def per_call_ns(fn, repetitions, min_time=0.2):
    """Median over repetitions of (time of a loop) / (calls in it), the loop sized to min_time."""
    n = 1
    while True:
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        dt = time.perf_counter_ns() - t0
        if dt >= min_time * 1e9 / 4 or n >= 1 << 24:
            break
        n *= 2
    n = max(1, int(n * (min_time * 1e9) / max(dt, 1)))
    samples = []
    for _ in range(repetitions):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter_ns() - t0) / n)
    return statistics.median(samples)


def cpp_medians(build, repetitions):
    exe = Path(build) / "bench" / "bench_capi"
    out = subprocess.run([str(exe), f"--benchmark_repetitions={repetitions}",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json",
                          "--benchmark_min_time=0.1"],
                         check=True, capture_output=True, text=True)
    res = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            unit = {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
            res[b["run_name"]] = b["real_time"] * unit
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repetitions", type=int, default=5)
    args = ap.parse_args()
    build = Path(args.build_dir).resolve()
    os.environ.setdefault("RETOLD_LIBRARY", str(build / "libretold_c.so.1"))
    sys.path.insert(0, str(HERE.parent / "bindings" / "python"))
    import retold
    from retold import _native as N

    d = retold.Deduplicator()
    for i in range(200):
        d.add(f"doc-{i}", synthetic_text(i), timestamp=i)
    stored = synthetic_text(7)
    lib, handle = N.lib, d._handle
    out = c_int32()
    id_bytes = b"doc-100"
    q_bytes = SHORT_QUERY.encode()

    def raw_contains():
        lib.retold_dedup_contains(handle, id_bytes, byref(out))

    def raw_query():
        m = N.MatchList()
        lib.retold_dedup_query(handle, q_bytes, len(q_bytes), None, byref(m))
        lib.retold_match_list_dispose(byref(m))

    names = ("contains", "query_short", "query_stored_text")
    python_calls = {"contains": lambda: d.contains("doc-100"),
                    "query_short": lambda: d.query(SHORT_QUERY),
                    "query_stored_text": lambda: d.query(stored)}
    raw_calls = {"contains": raw_contains, "query_short": raw_query}
    rounds = {k: {"cpp": [], "c": [], "c_ratio": [], "raw": [], "py": [], "ratio": []} for k in names}
    for _ in range(args.rounds):
        cpp = cpp_medians(build, args.repetitions)
        for k in names:
            c = cpp[f"BM_cpp_{k}"]
            p = per_call_ns(python_calls[k], args.repetitions, min_time=0.1)
            rounds[k]["cpp"].append(c)
            if f"BM_c_{k}" in cpp:
                rounds[k]["c"].append(cpp[f"BM_c_{k}"])
                rounds[k]["c_ratio"].append(cpp[f"BM_c_{k}"] / c)
            rounds[k]["py"].append(p)
            rounds[k]["ratio"].append(p / c)
            if k in raw_calls:
                rounds[k]["raw"].append(per_call_ns(raw_calls[k], args.repetitions, min_time=0.1))
    med = statistics.median
    print(f"retold {retold.library_version()}, Python {sys.version.split()[0]}, {args.rounds} rounds x "
          f"{args.repetitions} repetitions; ns per call (median over rounds)")
    print(f"{'call':<20}{'C++':>10}{'C ABI':>10}{'C/C++':>8}{'ctypes raw':>12}{'retold (py)':>13}"
          f"{'py/C++':>9}{'py-C++ ns':>11}")
    for k in names:
        r = rounds[k]
        c, p = med(r["cpp"]), med(r["py"])
        cabi = f"{med(r['c']):.0f}" if r["c"] else "-"
        cratio = f"{med(r['c_ratio']):.3f}" if r["c_ratio"] else "-"
        raw = f"{med(r['raw']):.0f}" if r["raw"] else "-"
        print(f"{k:<20}{c:>10.0f}{cabi:>10}{cratio:>8}{raw:>12}{p:>13.0f}{med(r['ratio']):>9.2f}{p - c:>11.0f}")
    d.close()


if __name__ == "__main__":
    main()
