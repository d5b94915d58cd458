#!/usr/bin/python3
"""Lexical deduplication end to end: retold against datasketch and against its own signatures.

    bench/e2e_lexical_vs_datasketch.py BUILD_DIR [--docs 20000] [--work /tmp/retold_vs_ds]
                                       [--runs 5] [--datasketch-src DIR] [--baseline-build DIR]

On one generated corpus (bench/e2e_nightly_gen, 300-900 word news-like documents with planted
copies) it runs, in turn and RUNS times each:
  retold     `retold dedup CORPUS --embedding none --threads 1 -o none`: read, normalize, strip
             boilerplate, shingle, sign, LSH, evidence sketch, verify, cluster;
  signature  BUILD_DIR/bench/e2e_signature_only CORPUS --no-boilerplate: read, normalize, word
             5-grams, 128 one-permutation values; nothing else (the issue's signature-only cost);
  signature+strip  the same with boilerplate stripping, as the deduplicator normalizes;
  datasketch the same corpus through datasketch from its source tree: lower-cased word 5-grams,
             MinHash(num_perm=128).update_batch, MinHashLSH(num_perm=128, params=(50, 2), the
             banding retold uses) query then insert per document, one thread;
(and, with --baseline-build, that build's `retold dedup` too, for a before/after ratio) and
prints, from the operating system's accounting of each finished process (user + system CPU
seconds, children included), the median of each and the median of the per-round ratios.

datasketch is not a dependency: fetch its source (github.com/ekzhu/datasketch) and pass the
checkout, or a bare git directory of it, with --datasketch-src or DATASKETCH_SRC. It needs numpy
and scipy (Debian: python3-numpy python3-scipy). Without it the datasketch rows are skipped with
a message and the two retold rows still run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile


def cpu_seconds(cmd, stdout=subprocess.DEVNULL):
    """Runs cmd to completion; its user + system CPU seconds (children included) and exit code."""
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}):\n{err[-2000:]}")
    return usage.ru_utime + usage.ru_stime


def datasketch_tree(src, work):
    """A directory holding the datasketch package, or None (with the reason printed)."""
    if not src:
        print("datasketch: skipped (no --datasketch-src or DATASKETCH_SRC given)")
        return None
    if os.path.isfile(os.path.join(src, "datasketch", "__init__.py")):
        return src
    git_dir = src if os.path.isfile(os.path.join(src, "HEAD")) else os.path.join(src, ".git")
    if os.path.isfile(os.path.join(git_dir, "HEAD")):
        out = os.path.join(work, "datasketch_src")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        archive = subprocess.run(["git", "--git-dir", git_dir, "archive", "HEAD", "datasketch"],
                                 stdout=subprocess.PIPE, check=False)
        if archive.returncode == 0:
            subprocess.run(["tar", "-x", "-C", out], input=archive.stdout, check=True)
            if os.path.isfile(os.path.join(out, "datasketch", "__init__.py")):
                return out
    print(f"datasketch: skipped (no datasketch source at {src})")
    return None


def datasketch_worker(corpus, tree, bands, rows):
    """The datasketch end-to-end run (a separate process, timed from outside)."""
    sys.path.insert(0, tree)
    from datasketch import MinHash, MinHashLSH  # noqa: E402  (from the fetched source)
    lsh = MinHashLSH(num_perm=128, params=(bands, rows))
    docs = pairs = 0
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            text = (rec.get("title", "") + "\n\n" + rec["text"]).lower()
            words = text.split()
            grams = [" ".join(words[i:i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))]
            m = MinHash(num_perm=128)
            m.update_batch(grams)
            pairs += len(lsh.query(m))
            lsh.insert(rec["id"], m, check_duplication=False)
            docs += 1
    print(f"datasketch: {docs} documents, {pairs} candidate pairs")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--datasketch-worker":
        datasketch_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--work", default="/tmp/retold_vs_ds")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--datasketch-src", default=os.environ.get("DATASKETCH_SRC", ""))
    ap.add_argument("--baseline-build", default="",
                    help="another build directory whose `retold dedup` runs in the same rounds (before/after)")
    args = ap.parse_args()

    retold = os.path.join(args.build_dir, "tools", "retold")
    gen = os.path.join(args.build_dir, "bench", "e2e_nightly_gen")
    sig = os.path.join(args.build_dir, "bench", "e2e_signature_only")
    for b in (retold, gen, sig):
        if not os.access(b, os.X_OK):
            sys.exit(f"missing {b}: build retold_cli, e2e_nightly_gen and e2e_signature_only first")
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, f"corpus_{args.docs}.jsonl")
    if not os.path.isfile(corpus):
        subprocess.run([gen, "--docs", str(args.docs), "--out", corpus,
                        "--truth", os.path.join(args.work, f"corpus_{args.docs}.truth.tsv")], check=True)

    cmds = {
        "retold": [retold, "dedup", corpus, "--embedding", "none", "--threads", "1", "-o", "none"],
        "signature": [sig, corpus, "--no-boilerplate"],
        "signature+strip": [sig, corpus],
    }
    if args.baseline_build:
        base = os.path.join(args.baseline_build, "tools", "retold")
        if not os.access(base, os.X_OK):
            sys.exit(f"missing {base}")
        cmds["baseline"] = [base] + cmds["retold"][1:]
    tree = datasketch_tree(args.datasketch_src, args.work)
    if tree:
        probe = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {tree!r}); "
                                "import numpy, scipy, datasketch"], capture_output=True, text=True)
        if probe.returncode != 0:
            print("datasketch: skipped (cannot import it: " + probe.stderr.strip().splitlines()[-1] + ")")
        else:
            cmds["datasketch"] = [sys.executable, os.path.abspath(__file__), "--datasketch-worker",
                                  corpus, tree, "50", "2"]

    times = {k: [] for k in cmds}
    for _ in range(args.runs):  # interleaved, so drift in the machine's speed hits all alike
        for name, cmd in cmds.items():
            times[name].append(cpu_seconds(cmd))

    print(f"\n{args.docs} documents, {args.runs} runs each, CPU seconds (user + system) per process")
    print(f"{'':16s} {'median':>9s} {'min':>9s} {'max':>9s} {'us/doc':>9s}")
    for name, t in times.items():
        med = statistics.median(t)
        print(f"{name:16s} {med:9.3f} {min(t):9.3f} {max(t):9.3f} {1e6 * med / args.docs:9.1f}")
    print("\nratios (median of the per-round ratios)")

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    print(f"  retold / signature-only    {ratio('retold', 'signature'):7.2f}x")
    print(f"  retold / signature+strip   {ratio('retold', 'signature+strip'):7.2f}x")
    if "baseline" in times:
        print(f"  baseline retold / retold   {ratio('baseline', 'retold'):7.2f}x")
    if "datasketch" in times:
        print(f"  datasketch / retold        {ratio('datasketch', 'retold'):7.2f}x")
        print(f"  datasketch / signature     {ratio('datasketch', 'signature'):7.2f}x")


if __name__ == "__main__":
    main()
