#!/usr/bin/env bash
# Attributes the CPU time of a running (or to-be-run) `retold dedup` to pipeline stages by
# sampling it with perf and grouping the sampled functions (self time) by stage.
#
#   bench/e2e_stage_profile.sh PID [SECONDS]        # sample a running process
#   bench/e2e_stage_profile.sh -- retold dedup ...  # run a command under perf
set -euo pipefail
OUT=$(mktemp /tmp/retold_perf.XXXXXX)
if [[ "${1:-}" == "--" ]]; then
  shift
  perf record -F 199 -o "$OUT" -- "$@" > /dev/null
else
  perf record -F 199 -o "$OUT" -p "$1" -- sleep "${2:-60}" > /dev/null 2>&1 || true
fi
perf report -i "$OUT" --no-children --sort symbol --stdio 2>/dev/null | /usr/bin/python3 -c '
import re, sys
stages = [
    ("vector index: Eigen GEMM (IVF k-means / cell assignment)", r"Eigen::internal::(gebp|gemm)"),
    ("vector index: FAISS (flat/IVF scans, quantizer)", r"faiss::|fvec_|knn_|sgemm|blas|omp|GOMP"),
    ("vector index (retold side, k-means)", r"vector_index|kmeans"),
    ("embedding (TF-IDF)", r"tfidf|embed|extract_into"),
    ("normalize / boilerplate", r"normaliz|boilerplate|utf8proc|utf8"),
    ("shingles", r"shingle"),
    ("minhash", r"minhash|signat|kernel"),
    ("LSH", r"lsh"),
    ("candidates / verify / cluster", r"candidates|insert|score|cluster|leader|within_window"),
    ("JSON parse / input", r"simdjson|record_reader|parse_json|line_source|inflate|gz"),
    ("state save / load", r"state_file|XXH64|byte_writer|byte_reader|persist|save|load"),
    ("memcpy / malloc / kernel", r"mem(cpy|move|set)|malloc|free|_int_|\[k\]|page"),
]
tot = {}
other = {}
for line in sys.stdin:
    m = re.match(r"\s+([\d.]+)%\s+(\[.\])\s+(.*)", line)
    if not m:
        continue
    pct, kind, sym = float(m.group(1)), m.group(2), m.group(3).strip()
    key = sym if kind != "[k]" else "[k] " + sym
    for name, rx in stages:
        if re.search(rx, key, re.I):
            tot[name] = tot.get(name, 0) + pct
            break
    else:
        tot["other"] = tot.get("other", 0) + pct
        other[sym] = other.get(sym, 0) + pct
print("share of sampled CPU time by stage (self time):")
for name, pct in sorted(tot.items(), key=lambda x: -x[1]):
    print(f"  {pct:6.2f}%  {name}")
top = sorted(other.items(), key=lambda x: -x[1])[:8]
if top:
    print("largest unattributed symbols:")
    for s, p in top:
        print(f"  {p:6.2f}%  {s[:110]}")
'
rm -f "$OUT"
