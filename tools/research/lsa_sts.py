#!/usr/bin/env python3
"""Research: does a corpus-fitted projection (truncated SVD, i.e. LSA) of the built-in embedder's
terms beat the sparse TF-IDF cosine on STS-B dev? (docs/evaluation.md, "Projection choice").

    /usr/bin/python3 tools/research/lsa_sts.py ../shared/data

Terms as the built-in embedder's (lower-cased words and the char 4-grams of " word "), sublinear
tf, idf from the texts of STS-B train and dev (no labels: what a deduplicator sees of its stream);
the SVD is fitted on the same texts. Prints Spearman x100 of the sparse cosine, of the LSA cosine at
several ranks, and of their mean. Needs numpy and scipy (Debian python3-numpy, python3-scipy).
"""
import re
import sys

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from scipy.stats import spearmanr


def read_sts(path):
    out = []
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 7:
            out.append((f[5], f[6], float(f[4])))
    return out


def terms(text):
    words = re.findall(r"\w+", text.lower())
    out = list(words)
    for w in words:
        p = " " + w + " "
        out += [p[i:i + 4] for i in range(len(p) - 3)]
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
    train = read_sts(f"{root}/stsbenchmark/sts-train.csv")
    dev = read_sts(f"{root}/stsbenchmark/sts-dev.csv")
    texts = sorted({t for a, b, _ in train + dev for t in (a, b)})
    vocab, df = {}, []
    for t in texts:
        for term in set(terms(t)):
            if term not in vocab:
                vocab[term] = len(vocab)
                df.append(0)
            df[vocab[term]] += 1
    idf = np.log(len(texts) / np.array(df, dtype=float)) + 1

    def matrix(docs):
        rows, cols, vals = [], [], []
        for i, t in enumerate(docs):
            counts = {}
            for term in terms(t):
                j = vocab.get(term)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=int)
            v = (1 + np.log(np.fromiter(counts.values(), dtype=float))) * idf[idx]
            v /= np.linalg.norm(v)
            rows += [i] * len(idx)
            cols += list(idx)
            vals += list(v)
        return sp.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)))

    corpus = matrix(texts)
    a, b = matrix([p[0] for p in dev]), matrix([p[1] for p in dev])
    gold = np.array([p[2] for p in dev])
    sparse_cos = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    print(f"{len(texts)} texts, {len(vocab)} terms")
    print(f"sparse cosine: {100 * spearmanr(sparse_cos, gold)[0]:.1f}")
    ranks = (64, 128, 256, 512)
    _, s, vt = svds(corpus, k=max(ranks))
    vt = vt[np.argsort(-s)]
    for k in ranks:
        pa, pb = a @ vt[:k].T, b @ vt[:k].T
        lsa = np.sum(pa * pb, axis=1) / (np.linalg.norm(pa, axis=1) * np.linalg.norm(pb, axis=1) + 1e-12)
        print(f"LSA rank {k}: {100 * spearmanr(lsa, gold)[0]:.1f}; mean with the sparse cosine: "
              f"{100 * spearmanr(0.5 * lsa + 0.5 * sparse_cos, gold)[0]:.1f}")


if __name__ == "__main__":
    main()
