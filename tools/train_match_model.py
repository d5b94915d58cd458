#!/usr/bin/env python3
"""Fits retold's match model (include/retold/verify.hpp: match_model) on the training parts of
the labelled data and writes its coefficients to src/verify/match_model_coefficients.inc.

    build/bench/eval/retold_eval --data ../shared/data --dump-features /tmp/evidence.csv
    /usr/bin/python3 tools/train_match_model.py /tmp/evidence.csv [--out src/verify/match_model_coefficients.inc]

The CSV holds the evidence of every labelled pair, computed by the library's own code
(bench/eval/match_eval.cpp); only rows whose split is "train" are read for fitting:
MSRP 70% (seeded split), STS-B train (label score / 5, a soft target), SemEval-2022 originals of
one half (by a seeded hash of pair_id): only its dissimilar pairs (Overall >= 3) as negatives and
edited copies of its articles as positives, COUNTER odd pairs (derived 1, non-derived 0) with their
hard negatives and edited copies. The "test" rows are never read here.

Model: logistic regression on each feature times (1 - short_text) and times short_text (an
article part and a sentence part, so that sentences and articles can weigh the evidence
differently; chosen by cross-validated log-loss inside the training rows against the features
alone), the weights of agreement features constrained to be >= 0 (more agreement never lowers the
probability), fitted by Newton's method with an L2 penalty on standardized features; each dataset carries the
same total weight. The penalty is chosen by 5-fold cross-validation inside the training rows
(mean log-loss, datasets weighted equally). The default threshold maximizes F0.5 (precision
counted twice as much as recall) on the out-of-fold probabilities of the English news pairs of the
training part (MSRP train).

Only numpy (Debian python3-numpy); deterministic (fixed fold assignment).
"""
import argparse
import csv
import sys

import numpy as np

DATASETS = ("msrp", "sts", "semeval", "counter")


def read(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = [row for row in r]
    feats = header[5:]
    meta = [(row[0], row[1], row[2], float(row[3]), float(row[4])) for row in rows]
    X = np.array([[float(v) for v in row[5:]] for row in rows], dtype=np.float64)
    return feats, meta, X


def fit(X, y, w, lam, monotone=None):
    """fit_free with the weights flagged in `monotone` constrained to >= 0 (an active set: a
    weight that comes out negative is fixed at 0 and the rest refitted, until none is)."""
    d = X.shape[1]
    free = np.ones(d, dtype=bool)
    while True:
        beta = np.zeros(d + 1)
        beta[np.r_[True, free]] = fit_free(X[:, free], y, w, lam)
        bad = (monotone if monotone is not None else np.zeros(d, dtype=bool)) & free & (beta[1:] < 0)
        if not bad.any():
            return beta
        free &= ~bad


def fit_free(X, y, w, lam, iters=50):
    """Weighted L2-penalized logistic regression with soft labels; X standardized, bias unpenalized."""
    n, d = X.shape
    A = np.hstack([np.ones((n, 1)), X])
    beta = np.zeros(d + 1)
    reg = np.full(d + 1, lam)
    reg[0] = 0.0
    for _ in range(iters):
        z = A @ beta
        p = 1.0 / (1.0 + np.exp(-z))
        g = A.T @ (w * (p - y)) + reg * beta
        H = (A * (w * p * (1 - p))[:, None]).T @ A + np.diag(reg) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(H, g)
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def predict(beta, X):
    return 1.0 / (1.0 + np.exp(-(beta[0] + X @ beta[1:])))


def logloss(p, y, w):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(np.sum(w * -(y * np.log(p) + (1 - y) * np.log(1 - p))) / np.sum(w))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("evidence_csv")
    ap.add_argument("--out", default="src/verify/match_model_coefficients.inc")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()

    feats, meta, X_all = read(args.evidence_csv)
    # SemEval-2022 rates whether two articles tell the same story, which includes follow-ups and
    # independent reports of one event: what COUNTER labels non-derived and retold must keep
    # apart. Only its clear negatives (Overall >= 3, dissimilar) and the edited copies of its
    # training articles are fitted on.
    def usable(m):
        if m[1] != "train":
            return False
        if m[0] == "semeval":
            return m[2] == "SYN" or m[4] >= 3.0
        return True

    meta = [(d, sp, g, 0.0 if (d == "semeval" and g != "SYN") else lab, raw) for d, sp, g, lab, raw in meta]
    train = np.array([usable(m) for m in meta])
    meta = [m for m, t in zip(meta, train) if t]
    X = X_all[train]
    short = X[:, feats.index("short_text")]
    X = np.hstack([X * (1 - short)[:, None], X * short[:, None]])
    # More agreement may never lower the probability: the weights of agreement features (in both
    # their article and sentence parts) are kept >= 0.
    agree = {"jaccard", "containment", "cosine", "cosine_z", "word_overlap", "word_containment",
             "bigram_containment", "numbers_agree", "names_agree", "title_overlap"}
    monotone = np.array([n in agree for n in feats] * 2)
    ds = np.array([m[0] for m in meta])
    y = np.array([m[3] for m in meta])
    # Each dataset weighs the same in total.
    w = np.zeros(len(meta))
    for d in DATASETS:
        sel = ds == d
        if sel.any():
            w[sel] = 1.0 / sel.sum()
    w *= len(meta) / w.sum()

    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd < 1e-9] = 1.0
    Z = (X - mu) / sd

    folds = np.arange(len(meta)) % args.folds
    rng = np.random.default_rng(11)
    rng.shuffle(folds)

    def oof(lam):
        p = np.zeros(len(meta))
        for k in range(args.folds):
            tr, te = folds != k, folds == k
            beta = fit(Z[tr], y[tr], w[tr], lam, monotone)
            p[te] = predict(beta, Z[te])
        return p

    best = None
    for lam in (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0):
        p = oof(lam)
        loss = logloss(p, y, w)
        print(f"lambda {lam:g}: cross-validated log-loss {loss:.4f}", file=sys.stderr)
        if best is None or loss < best[0]:
            best = (loss, lam, p)
    loss, lam, p_oof = best
    print(f"chosen lambda {lam:g} (log-loss {loss:.4f})", file=sys.stderr)

    # Threshold: F0.5 on the out-of-fold probabilities of English news training pairs.
    groups = np.array([m[2] for m in meta])
    raw = np.array([m[4] for m in meta])
    eng = ds == "msrp"
    truth = (raw > 0.5)[eng]
    pe = p_oof[eng]
    best_t, best_f = 0.5, -1.0
    for t in np.arange(0.05, 0.96, 0.01):
        pred = pe >= t
        tp = np.sum(pred & truth)
        fp = np.sum(pred & ~truth)
        fn = np.sum(~pred & truth)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f05 = 1.25 * prec * rec / (0.25 * prec + rec) if prec + rec else 0.0
        if f05 > best_f:
            best_f, best_t = f05, float(t)
    print(f"threshold {best_t:.2f}: out-of-fold F0.5 {best_f:.3f} on {int(eng.sum())} English news pairs", file=sys.stderr)
    for d in DATASETS:
        sel = ds == d
        if sel.any():
            acc = np.mean((p_oof[sel] >= best_t) == (y[sel] > 0.5))
            print(f"  out-of-fold accuracy on {d} train rows at the threshold: {acc:.3f}", file=sys.stderr)

    beta = fit(Z, y, w, lam, monotone)
    weights = beta[1:] / sd  # back to raw feature units: w_i (x_i - mu_i)
    with open(args.out, "w") as f:
        f.write("// Generated by tools/train_match_model.py from the training parts of ../shared/data:\n")
        f.write("//   build/bench/eval/retold_eval --data ../shared/data --dump-features /tmp/evidence.csv\n")
        f.write("//   /usr/bin/python3 tools/train_match_model.py /tmp/evidence.csv\n")
        f.write(f"// {len(meta)} training pairs; L2 lambda {lam:g} by {args.folds}-fold CV (log-loss {loss:.4f}).\n")
        f.write("// Do not edit by hand: rerun the commands above.\n")
        f.write(f"r.intercept = {beta[0]:.17g};\n")
        f.write(f"r.threshold = {best_t:.2f};\n")
        names = [f"{n} x (1 - short_text)" for n in feats] + [f"{n} x short_text" for n in feats]
        for i, name in enumerate(names):
            f.write(f"r.weights[{i}] = {weights[i]:.17g};  // {name}\n")
            f.write(f"r.means[{i}] = {mu[i]:.17g};\n")
    print(f"wrote {args.out}", file=sys.stderr)
    for name, wi, zi in zip([f"{n} (article)" for n in feats] + [f"{n} (sentence)" for n in feats], weights, beta[1:]):
        print(f"  {name:20s} weight {wi:+9.4f}  (per standard deviation {zi:+.3f})", file=sys.stderr)


if __name__ == "__main__":
    main()
