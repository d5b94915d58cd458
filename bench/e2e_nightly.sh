#!/usr/bin/env bash
# End-to-end nightly benchmark: generate N news-length documents (default 1,000,000, ~3 GB of
# JSONL) with planted near-duplicates and retellings, run `retold dedup` on them with a state
# directory, and report wall time per stage, peak memory and how many planted copies were found.
#
#   bench/e2e_nightly.sh [BUILD_DIR] [DOCS] [WORK_DIR] [extra retold dedup options...]
#   bench/e2e_nightly.sh build-cli 1000000 /tmp/retold_e2e
#
# Targets (issue 5): 1M documents within 5 minutes, peak memory within 8 GiB, on 2 cores.
set -euo pipefail

BUILD=${1:-build}
DOCS=${2:-1000000}
WORK=${3:-/tmp/retold_e2e}
shift $(( $# < 3 ? $# : 3 ))
RETOLD="$BUILD/tools/retold"
GEN="$BUILD/bench/e2e_nightly_gen"
for b in "$RETOLD" "$GEN"; do
  [[ -x "$b" ]] || { echo "missing $b: build targets retold_cli and e2e_nightly_gen first" >&2; exit 2; }
done
mkdir -p "$WORK"
CORPUS="$WORK/corpus_$DOCS.jsonl"
TRUTH="$WORK/corpus_$DOCS.truth.tsv"

if [[ ! -s "$CORPUS" || ! -s "$TRUTH" ]]; then
  echo "== generating $DOCS documents into $CORPUS"
  /usr/bin/time -f "generation: %e s, peak %M KiB" "$GEN" --docs "$DOCS" --out "$CORPUS" --truth "$TRUTH"
fi
ls -l "$CORPUS"

rm -rf "$WORK/state"
echo "== retold dedup ($(nproc) cores)"
CMD=("$RETOLD" dedup "$CORPUS" --state "$WORK/state" -o "$WORK/clusters.jsonl" --min-members 2
     --summary "$WORK/summary.json" --log-interval 15 "$@")
echo "${CMD[*]}"
/usr/bin/time -v "${CMD[@]}" 2> "$WORK/stderr.log" || { tail -20 "$WORK/stderr.log"; exit 1; }
grep -E "^retold" "$WORK/stderr.log" | tail -3 || true

/usr/bin/python3 - "$WORK/summary.json" "$WORK/stderr.log" "$WORK/clusters.jsonl" "$TRUTH" <<'EOF'
import json, re, sys
summary = json.load(open(sys.argv[1]))
log = open(sys.argv[2]).read()
def grab(pattern):
    m = re.search(pattern, log)
    return m.group(1) if m else "?"
print("\n== result")
print(f"documents read      {summary['documents_read']:,}  added {summary['documents_added']:,}  "
      f"skipped {summary['skipped']['total']:,}")
print(f"new stories         {summary['new_stories']:,}  retellings {summary['retellings']:,}")
print("time per stage (s):")
for k, v in summary["stage_seconds"].items():
    print(f"  {k:16s} {v:10.2f}")
if "add_stage_seconds" in summary:
    print("inside add_batch (s):")
    for k, v in summary["add_stage_seconds"].items():
        print(f"  {k:16s} {v:10.2f}")
wall = grab(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)")
rss_kib = int(grab(r"Maximum resident set size \(kbytes\): (\d+)") or 0)
print(f"wall clock          {wall}")
print(f"peak RSS            {rss_kib / 1048576:.2f} GiB ({rss_kib:,} KiB)")
user_s = grab(r"User time \(seconds\): (\S+)")
sys_s = grab(r"System time \(seconds\): (\S+)")
print(f"user / system CPU   {user_s} s / {sys_s} s")
total = summary["stage_seconds"]["total"]
print(f"throughput          {summary['documents_read'] / max(total, 1e-9):,.0f} docs/s")
print(f"targets             time {'OK' if total <= 300 else 'MISSED'} ({total:.0f} s of 300), "
      f"memory {'OK' if rss_kib <= 8 * 1048576 else 'MISSED'}")

# Planted copies found: a near-duplicate (-n) or retelling (-r) counts when it shares its
# original's (-o0) cluster. Originals of different stories sharing a cluster are false merges.
cluster = {}
for line in open(sys.argv[3]):
    c = json.loads(line)
    for m in c["members"]:
        cluster[m["id"]] = c["cluster_id"]
found = {"n": [0, 0], "r": [0, 0]}
merged_originals = 0
seen = {}
for line in open(sys.argv[4]):
    doc, story = line.rstrip("\n").split("\t")
    kind = doc.split("-")[1][0]
    if kind == "o":
        c = cluster.get(doc)
        if c is not None:
            merged_originals += c in seen
            seen[c] = story
        continue
    orig = f"s{story}-o0"
    found[kind][1] += 1
    found[kind][0] += cluster.get(doc) is not None and cluster.get(doc) == cluster.get(orig)
for k, name in (("n", "near-duplicates"), ("r", "retellings")):
    f, t = found[k]
    print(f"{name:19s} {f:,} of {t:,} joined their original ({100 * f / max(t, 1):.1f}%)")
print(f"false merges        {merged_originals:,} originals share a cluster with another story's original")
EOF
