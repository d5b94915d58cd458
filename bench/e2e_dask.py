#!/usr/bin/env python3
"""End-to-end benchmark of retold.dask: documents/s with 1 and 2 Dask workers (a
distributed.LocalCluster of worker processes, one thread each) against the single-process
`retold dedup` on the same generated corpus, medians of a few runs, and where the time goes
(retold.dask's stage timings and shuffle volume).

    bench/e2e_dask.py BUILD_DIR [--docs 100000] [--runs 3] [--work /tmp/retold_dask]
                      [--config exact|default] [--blocksize 32MB]

BUILD_DIR holds libretold_c.so.1, tools/retold and bench/e2e_nightly_gen. --config exact is
embedding "none" with a 3-day window (the configuration in which the Dask stories equal one
process's); default is the library's default (built-in embedder, learned decision), where the
agreement with one process is measured and printed too. Needs Debian's python3-dask and
python3-distributed (bindings/python/setup.sh). The machine is shared: figures are medians, and
the ratios (Dask against the CLI of the same run) are the figures to quote.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu_seconds(who=resource.RUSAGE_SELF):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _cluster_cpu(client):
    """CPU seconds used so far by the worker processes and by this process (client + scheduler)."""
    return sum(client.run(_cpu_seconds).values()) + _cpu_seconds()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default="/tmp/retold_dask")
    ap.add_argument("--config", choices=["exact", "default"], default="exact")
    ap.add_argument("--blocksize", default="32MB", help="input partition size for dask.bag.read_text")
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()

    build = Path(args.build).resolve()
    os.environ["RETOLD_LIBRARY"] = str(build / "libretold_c.so.1")
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bindings" / "python")] +
                                               [p for p in [os.environ.get("PYTHONPATH")] if p])
    import dask.bag as db
    import distributed
    import retold
    import retold.dask as rdask

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / f"corpus_{args.docs}.jsonl"
    if not corpus.exists():
        subprocess.run([str(build / "bench" / "e2e_nightly_gen"), "--docs", str(args.docs), "--out", str(corpus),
                        "--truth", str(corpus.with_suffix(".truth.tsv"))], check=True)
    options = dict(embedding="none", time_window=3 * 86400) if args.config == "exact" else {}
    cli_flags = ["--embedding", "none", "--window-days", "3"] if args.config == "exact" else []
    print(f"corpus {corpus} ({corpus.stat().st_size / 1e6:.0f} MB, {args.docs} documents), "
          f"config {args.config}, {os.cpu_count()} cores, {args.runs} runs each")

    # single process: the CLI, as a nightly job runs it
    cli, cli_cpu = [], []
    for _ in range(args.runs):
        state = work / "state"
        subprocess.run(["rm", "-rf", str(state)], check=True)
        t, c = time.perf_counter(), _cpu_seconds(resource.RUSAGE_CHILDREN)
        subprocess.run([str(build / "tools" / "retold"), "dedup", str(corpus), "--state", str(state), "-o", "none",
                        "-q", *cli_flags], check=True)
        cli.append(time.perf_counter() - t)
        cli_cpu.append(_cpu_seconds(resource.RUSAGE_CHILDREN) - c)
    cli_median = statistics.median(cli)
    cli_cpu_median = statistics.median(cli_cpu)
    print(f"retold dedup (one process): median {cli_median:.1f} s = {args.docs / cli_median:,.0f} docs/s "
          f"(runs {', '.join(f'{x:.1f}' for x in cli)}); CPU {cli_cpu_median:.1f} core-s = "
          f"{1e6 * cli_cpu_median / args.docs:.0f} core-us/document")

    reference = None
    if args.config == "default":
        with open(corpus, encoding="utf-8") as f:
            docs = [json.loads(line) for line in f]
        with retold.Deduplicator(**options) as d:
            reference = {doc["id"]: r.cluster_id for doc, r in zip(docs, d.add_many(docs, batch_size=4096))}
        del docs

    for n in [int(x) for x in args.workers.split(",")]:
        times, cpus, stages, last = [], [], [], {}
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=50) as cluster, distributed.Client(cluster) as client:
            for _ in range(args.runs):
                stats = {}
                c = _cluster_cpu(client)
                t = time.perf_counter()
                bag = db.read_text(str(corpus), blocksize=args.blocksize).map(json.loads)
                result = rdask.deduplicate(bag, stats=stats, **options)
                frame = result.compute()
                times.append(time.perf_counter() - t)
                cpus.append(_cluster_cpu(client) - c)
                stages.append(stats["seconds"])
                last = stats
        med = statistics.median(times)
        print(f"\nretold.dask, {n} worker(s): median {med:.1f} s = {args.docs / med:,.0f} docs/s, "
              f"{cli_median / med:.2f}x the one-process CLI (runs {', '.join(f'{x:.1f}' for x in times)})")
        cpu = statistics.median(cpus)
        print(f"  CPU {cpu:.1f} core-s = {1e6 * cpu / args.docs:.0f} core-us/document "
              f"({cpu / cli_cpu_median:.2f}x the CLI's), workers + client + scheduler")
        print("  where the time goes (median s per stage):")
        for k in stages[0]:
            print(f"    {k:28s} {statistics.median(s[k] for s in stages):8.2f}")
        per_doc_blob = last["prepared_bytes"] / last["documents"]
        print(f"  prepared bytes {per_doc_blob:.0f}/document; band rows {last['band_rows'] / last['documents']:.0f}"
              f"/document (16 bytes each); edges {last['edges']:,}; component rounds {len(last['component_rounds'])}"
              f" {last['component_rounds']}; stories {last['stories']:,}")
        million = 1e6 / last["documents"]
        shuffled = (last["prepared_bytes"] + last["band_rows"] * 16 + last["edges"] * 16 * 2 *
                    (1 + len(last["component_rounds"]))) * million
        print(f"  shuffled per million documents: ~{shuffled / 1e9:.2f} GB (prepared blobs once to their component, "
              f"band rows once, edges both ways per component round)")
        if reference is not None:
            got = {r.id: r.story for r in frame.itertuples() if r.error is None}
            a = rdask.agreement(reference, got)
            print(f"  agreement with one process: identical stories {a['identical']:.4f}, pair precision "
                  f"{a['pair_precision']:.4f}, pair recall {a['pair_recall']:.4f}, ARI {a['ari']:.4f}")


if __name__ == "__main__":
    main()
