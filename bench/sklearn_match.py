#!/usr/bin/python3
"""scikit-learn TF-IDF + cosine baseline for the relevance benchmark.

Usage: python3 bench/sklearn_match.py --participants P.jsonl --needs N.jsonl --top K --out R.jsonl

Writes one JSON line per need, {"need", "matches": [{"participant", "score"}, ...]}, best first,
in the needs file's order, and prints one JSON object with the timings on stdout.
Exit 3 means scikit-learn is not installed (the benchmark reports the baseline as missing).
"""
import os

# The benchmark compares single-threaded rankers; pin BLAS/OpenMP before numpy loads so that
# "threads": 1 in the report is true rather than hopeful.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse
import json
import sys
import time

try:
    import numpy as np
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel
except ImportError as e:
    sys.stderr.write(f"sklearn_match: scikit-learn is not available to {sys.executable} ({e}); "
                     "install it with `apt-get install python3-sklearn` (Debian) and run with "
                     "/usr/bin/python3\n")
    sys.exit(3)

# Needs per similarity block: a dense block is BLOCK x participants float64 (~35 MB for 17k
# participants), so memory stays flat however many needs there are.
BLOCK = 256


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def top_k(row, k):
    """Indices of the k best scores, best first, ties to the lower index.

    argpartition alone picks arbitrarily among scores equal to the k-th, so it is only used to
    find the k-th score; everything at least that good is then sorted exactly."""
    kth = row[np.argpartition(-row, k - 1)[k - 1]]
    cand = np.flatnonzero(row >= kth)
    return cand[np.lexsort((cand, -row[cand]))[:k]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--participants", required=True)
    ap.add_argument("--needs", required=True)
    ap.add_argument("--top", type=int, default=100)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    t0 = time.perf_counter()
    participants = read_jsonl(args.participants)
    needs = read_jsonl(args.needs)
    # Same text the engine sees: a company's profile is its name, description and offers.
    docs = [" ".join([p.get("name") or "", p.get("description") or "", *(p.get("offers") or [])])
            for p in participants]
    queries = [f"{n.get('title') or ''} {n.get('description') or ''}" for n in needs]
    k = max(0, min(args.top, len(participants)))

    t1 = time.perf_counter()
    vec = TfidfVectorizer(sublinear_tf=True, strip_accents="unicode", lowercase=True)
    P = vec.fit_transform(docs)  # rows are L2-normalised, so a dot product is the cosine
    t2 = time.perf_counter()

    Q = vec.transform(queries)
    lines = []
    for start in range(0, len(needs), BLOCK):
        S = linear_kernel(Q[start:start + BLOCK], P)  # dense block of cosines
        for i, row in enumerate(S):
            best = top_k(row, k) if k else []
            lines.append(json.dumps({
                "need": needs[start + i]["id"],
                "matches": [{"participant": participants[j]["id"], "score": float(row[j])}
                            for j in best]}))
    t3 = time.perf_counter()

    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))
    t4 = time.perf_counter()

    ms = lambda a, b: round((b - a) * 1000, 1)
    print(json.dumps({"tool": "scikit-learn", "sklearn_version": sklearn.__version__,
                      "participants": len(participants), "needs": len(needs),
                      "fit_ms": ms(t1, t2), "rank_ms": ms(t2, t3), "total_ms": ms(t0, t4),
                      "threads": 1}))


if __name__ == "__main__":
    main()
