#!/usr/bin/python3
"""bench/peer_optuna.py: clcnn's oracles against Optuna on the same objectives and budgets.

Branin (2-d) and Hartmann-6 (6-d), the standard functions on their standard boxes, minimized;
regret = best value found - the true minimum. Each search runs with seeds 0..SEEDS-1 and the
table shows the median regret over seeds (and the interquartile range) after 10, 20... trials,
side by side: clcnn random, clcnn bayesian (Gaussian process), Optuna random, Optuna TPE (both
Optuna samplers at their defaults; TPE starts with 10 random trials, clcnn's GP with
max(5, 2d+1)). Then the CPU time one ask takes after 100 trials, in both.

clcnn's numbers come from bench/oracle/oracle_compare.c (the clcnn-oracle-compare binary, beside
clcnn in the build folder). Optuna comes from Debian's python3-optuna:

    /usr/bin/python3 bench/peer_optuna.py --compare build/clcnn-oracle-compare
"""
import argparse
import csv
import io
import math
import statistics
import subprocess
import time

import numpy as np
import optuna

BRANIN_MIN = 0.39788735772973816
HARTMANN6_MIN = -3.3223680114155147


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    u = x[1] - b * x[0] ** 2 + c * x[0] - 6
    return u * u + 10 * (1 - t) * math.cos(x[0]) + 10


_ALPHA = [1.0, 1.2, 3.0, 3.2]
_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
      [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
      [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    f = 0.0
    for i in range(4):
        s = sum(_A[i][j] * (x[j] - 1e-4 * _P[i][j]) ** 2 for j in range(6))
        f -= _ALPHA[i] * math.exp(-s)
    return f


PROBLEMS = {
    "branin": (branin, [(-5, 10), (0, 15)], BRANIN_MIN),
    "hartmann6": (hartmann6, [(0, 1)] * 6, HARTMANN6_MIN),
}


def optuna_values(problem, sampler_name, seed, budget):
    """Every evaluation of one Optuna search, in order."""
    f, box, _ = PROBLEMS[problem]
    if sampler_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    values = []
    for _ in range(budget):
        trial = study.ask()
        x = [trial.suggest_float(f"x{j}", lo, hi) for j, (lo, hi) in enumerate(box)]
        y = f(x)
        study.tell(trial, y)
        values.append(y)
    return values


def clcnn_values(compare, seeds, budgets):
    """{(problem, algorithm, seed): [values in order]} from clcnn-oracle-compare."""
    out = subprocess.run([compare, "regret", str(seeds), str(budgets["branin"]),
                          str(budgets["hartmann6"])], check=True, capture_output=True, text=True)
    runs = {}
    for row in csv.DictReader(io.StringIO(out.stdout)):
        key = (row["problem"], row["algorithm"], int(row["seed"]))
        runs.setdefault(key, []).append(float(row["value"]))
    return runs


def regret_after(values, n, fmin):
    return min(values[:n]) - fmin


def summarize(runs_by_method, problem, checkpoints):
    fmin = PROBLEMS[problem][2]
    rows = []
    for n in checkpoints:
        cells = []
        for runs in runs_by_method:
            r = [regret_after(v, n, fmin) for v in runs]
            q = np.percentile(r, [25, 75])
            cells.append(f"{statistics.median(r):.4g} [{q[0]:.3g}, {q[1]:.3g}]")
        rows.append((n, cells))
    return rows


def optuna_ask_ms(problem, trials):
    """Mean CPU time of the last 5 asks of a TPE search of `trials` trials."""
    f, box, _ = PROBLEMS[problem]
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=1))
    times = []
    for _ in range(trials):
        t0 = time.process_time()
        trial = study.ask()
        x = [trial.suggest_float(f"x{j}", lo, hi) for j, (lo, hi) in enumerate(box)]
        times.append((time.process_time() - t0) * 1e3)  # TPE samples inside suggest_*
        study.tell(trial, f(x))
    return sum(times[-5:]) / 5


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", default="build/clcnn-oracle-compare", help="clcnn-oracle-compare binary")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget-branin", type=int, default=30)
    ap.add_argument("--budget-hartmann", type=int, default=60)
    ap.add_argument("--ask-trials", type=int, default=100)
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    budgets = {"branin": args.budget_branin, "hartmann6": args.budget_hartmann}
    seeds = range(args.seeds)
    ours = clcnn_values(args.compare, args.seeds, budgets)
    header = ["clcnn random", "clcnn bayesian", "optuna random", "optuna TPE"]
    print(f"Median simple regret over {args.seeds} seeds [25th, 75th percentile] (lower is better); "
          f"optuna {optuna.__version__}")
    for problem, budget in budgets.items():
        runs = [[ours[(problem, "random", s)] for s in seeds],
                [ours[(problem, "bayesian", s)] for s in seeds],
                [optuna_values(problem, "random", s, budget) for s in seeds],
                [optuna_values(problem, "tpe", s, budget) for s in seeds]]
        checkpoints = sorted({n for n in range(10, budget + 1, 10)} | {budget})
        print(f"\n{problem} (budget {budget})")
        print(f"{'trials':>6}  " + "  ".join(f"{h:>30}" for h in header))
        for n, cells in summarize(runs, problem, checkpoints):
            print(f"{n:>6}  " + "  ".join(f"{c:>30}" for c in cells))
    out = subprocess.run([args.compare, "ask-time", str(args.ask_trials)], check=True,
                         capture_output=True, text=True)
    ours_ms = {row["problem"]: float(row["ask_ms"]) for row in csv.DictReader(io.StringIO(out.stdout))}
    print(f"\nCPU time of one ask after {args.ask_trials} trials (ms, mean of the last 5)")
    print(f"{'problem':>10}  {'clcnn bayesian':>14}  {'optuna TPE':>10}")
    for problem in PROBLEMS:
        print(f"{problem:>10}  {ours_ms[problem]:>14.1f}  {optuna_ask_ms(problem, args.ask_trials):>10.1f}")


if __name__ == "__main__":
    main()
