#!/usr/bin/python3
"""Matching quality under the tuning protocol: the dev set, its owner halves, and each half alone.

Usage: /usr/bin/python3 bench/match_halves.py [--data DIR] [--incontra BIN] [--top K]

A change to the scorer is kept only when it gains on every split this prints, not on the whole
file alone (README, "Matching"). The owners (buying municipalities) are sorted by id and dealt
alternately to halves A and B. `full` ranks every need and is scored on all of them, `half_a`
and `half_b` score the same ranking on each half's needs; `alone_a` and `alone_b` rank only the
needs of one half (every participant still), so what is learned from the buyers (their contexts,
usual and local words) comes from the other buyers, as for municipalities not in the set.
Prints one JSON document: per split, its needs, recall@1/10/100 and MRR@100 (as
../shared/tools/score_ranking.py computes them). Progress goes to stderr.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def score(truth, ranking_path, keep):
    """recall@1/10/100 and MRR@100 over the needs `keep` accepts; a need not listed is a miss."""
    ranks = {}
    with open(ranking_path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ids = [m["participant"] for m in r["matches"]][:100]
            winner = truth.get(r["need"])
            ranks[r["need"]] = ids.index(winner) + 1 if winner in ids else None
    needs = [n for n in truth if keep(n)]
    found = [ranks.get(n) for n in needs]
    recall = lambda k: round(sum(1 for x in found if x and x <= k) / len(needs), 4)
    return {"needs": len(needs), "recall@1": recall(1), "recall@10": recall(10),
            "recall@100": recall(100),
            "mrr": round(sum(1 / x for x in found if x) / len(needs), 4)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data"),
                    help="the folder holding relevance-dev/ (default ../shared/data)")
    ap.add_argument("--incontra", default=os.path.join(HERE, "..", "build", "server", "incontra"))
    ap.add_argument("--top", type=int, default=100)
    args = ap.parse_args()
    dev = os.path.join(args.data, "relevance-dev")
    if not os.path.exists(os.path.join(dev, "truth.jsonl")):
        sys.stderr.write(f"match_halves: the relevance set is missing at {dev} (give --data)\n")
        sys.exit(2)
    if not os.access(args.incontra, os.X_OK):
        sys.stderr.write(f"match_halves: no incontra binary at {args.incontra} "
                         "(build first, or give --incontra)\n")
        sys.exit(2)

    with open(os.path.join(dev, "needs.jsonl"), encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    owner_of = {}
    for line in lines:
        need = json.loads(line)
        owner_of[need["id"]] = need.get("owner", "")
    half_of_owner = {o: "ab"[k % 2] for k, o in enumerate(sorted(set(owner_of.values())))}
    half = {n: half_of_owner[o] for n, o in owner_of.items()}
    with open(os.path.join(dev, "truth.jsonl"), encoding="utf-8") as f:
        truth = {t["need"]: t["participant"] for t in map(json.loads, f)}

    with tempfile.TemporaryDirectory(prefix="match_halves") as tmp:
        def rank(needs_path, name):
            out = os.path.join(tmp, name + ".jsonl")
            sys.stderr.write(f"match_halves: ranking {name}\n")
            subprocess.run([args.incontra, "match", "--participants",
                            os.path.join(dev, "participants.jsonl"), "--needs", needs_path,
                            "--top", str(args.top), "-o", out], check=True)
            return out

        full = rank(os.path.join(dev, "needs.jsonl"), "full")
        report = {"full": score(truth, full, lambda n: True),
                  "half_a": score(truth, full, lambda n: half.get(n) == "a"),
                  "half_b": score(truth, full, lambda n: half.get(n) == "b")}
        for h in "ab":
            path = os.path.join(tmp, f"needs_{h}.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(line for line in lines if half[json.loads(line)["id"]] == h)
            report["alone_" + h] = score(truth, rank(path, "alone_" + h),
                                         lambda n, h=h: half.get(n) == h)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
