#!/usr/bin/env python3
"""Condenses the CSV of `clcnn-oracle-compare regret` (or `mixed`) into the figures of
bench/RESULTS.md: per problem and algorithm, the seeds whose simple regret (best found - true
minimum) is within --tol at the final evaluation, the median and worst final regret, the median
regret at each --at checkpoint, and the median evaluations to reach --tol (over the seeds that do).

  clcnn-oracle-compare regret 60 40 80 bayesian hartmann6 | python3 bench/oracle/summarize.py
  clcnn-oracle-compare regret 60 40 80 bayesian branin | python3 bench/oracle/summarize.py --at 20,40
  clcnn-oracle-compare mixed 60 40 | python3 bench/oracle/summarize.py --at 20,40
"""
import argparse
import csv
import statistics
import sys

FMIN = {"branin": 0.39788735772973816, "hartmann6": -3.3223680114155147, "mixed": 0.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tol", type=float, default=0.01, help="regret counted as found (default 0.01)")
    ap.add_argument("--at", default="", help="extra checkpoints (evaluations), comma-separated")
    ap.add_argument("--per-seed", action="store_true", help="also print each seed's final regret")
    args = ap.parse_args()
    runs = {}  # (problem, algorithm) -> seed -> [values in trial order]
    for row in csv.DictReader(sys.stdin):
        key = (row.get("problem", "mixed"), row["algorithm"])
        runs.setdefault(key, {}).setdefault(int(row["seed"]), []).append(float(row["value"]))
    checkpoints = [int(c) for c in args.at.split(",") if c]
    for (problem, algorithm), seeds in sorted(runs.items()):
        fmin = FMIN[problem]
        final, to_tol, at = [], [], {c: [] for c in checkpoints}
        for seed in sorted(seeds):
            best, first = float("inf"), None
            for i, v in enumerate(seeds[seed]):
                best = min(best, v)
                if first is None and best - fmin <= args.tol:
                    first = i + 1
                if i + 1 in at:
                    at[i + 1].append(best - fmin)
            final.append(best - fmin)
            if first is not None:
                to_tol.append(first)
        n = len(final)
        line = (f"{problem} {algorithm}: {len(to_tol)}/{n} within {args.tol:g} after "
                f"{len(seeds[min(seeds)])}; final regret median {statistics.median(final):.3g} "
                f"worst {max(final):.3g}")
        if to_tol:
            line += f"; evaluations to {args.tol:g}: median {statistics.median(to_tol):g}"
        for c in checkpoints:
            if at[c]:
                line += f"; @{c} median {statistics.median(at[c]):.3g}"
        print(line)
        if args.per_seed:
            print("  " + " ".join(f"{r:.2g}" for r in final))


if __name__ == "__main__":
    main()
