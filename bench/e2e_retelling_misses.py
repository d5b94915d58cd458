#!/usr/bin/env python3
"""Why planted retellings are missed: the decision, or candidate generation.

    RETOLD_LIBRARY=build/libretold_c.so.1 PYTHONPATH=bindings/python \\
        /usr/bin/python3 bench/e2e_retelling_misses.py CORPUS.jsonl [option=value ...] [--probe N]

CORPUS is a bench/e2e_nightly_gen corpus (ids "s<story>-o0" for originals, "-n<k>" near-duplicates,
"-r<k>" retellings). Every document is added in file order with the given Deduplicator options
(e.g. nprobe=64, vector_index=flat, scalar_quantization=True). For each retelling that did not
join its original's story it prints whether the decision would have accepted the pair
(explain(): the configured decision) and, for the first --probe of them (default 300), whether
the original was among the retelling's candidates at all (query() with rejected candidates: the
same LSH and vector candidates an add sees). Read-only with respect to the corpus; prints one
summary line per figure.
"""
import argparse
import json
import sys
import time

import retold


def parse_value(v):
    if v in ("True", "False"):
        return v == "True"
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("options", nargs="*", help="Deduplicator options as name=value")
    ap.add_argument("--probe", type=int, default=300, help="missed retellings whose candidates are checked")
    args = ap.parse_args()
    opts = {k: parse_value(v) for k, v in (o.split("=", 1) for o in args.options)}

    docs = [json.loads(line) for line in open(args.corpus, encoding="utf-8")]
    d = retold.Deduplicator(**opts)
    start = time.monotonic()
    d.add_many({"id": x["id"], "text": x["text"], "title": x.get("title", ""), "timestamp": x["timestamp"],
                "source": x.get("source", "")} for x in docs)
    added = time.monotonic() - start

    retellings = joined = would_accept = probed = not_candidate = 0
    for x in docs:
        doc = x["id"]
        if "-r" not in doc:
            continue
        retellings += 1
        original = doc.split("-")[0] + "-o0"
        if d.cluster_of(doc) == d.cluster_of(original):
            joined += 1
            continue
        would_accept += d.explain(original, doc).scores.accepted
        if probed < args.probe:
            probed += 1
            found = d.query(x.get("title", "") + "\n\n" + x["text"], top_k=100, include_rejected=True)
            not_candidate += original not in {m.id for m in found}
    print(f"options: {opts or 'defaults'}; {len(docs):,} documents added in {added:.1f} s")
    print(f"retellings joined their original's story: {joined:,} of {retellings:,} ({joined / max(retellings, 1):.1%})")
    print(f"missed, but the decision accepts the pair (explain()): {would_accept:,}")
    print(f"of {probed} missed retellings checked: original not among the candidates: {not_candidate}")


if __name__ == "__main__":
    sys.exit(main())
