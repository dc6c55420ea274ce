#!/usr/bin/env python3
"""Every accuracy figure of docs/results-snn.md, reproduced: trains and tests each network of the
table with `hardy snn train` / `hardy snn eval` (both readouts: Diehl & Cook's vote and
proportion weighting) and prints the table (markdown) last.

Resumable: a run whose eval JSON exists is not run again (delete the directory to start over);
an interrupted run starts again from its beginning. Progress: one line per finished step, and
hardy's own progress bars on a terminal. Results are deterministic (same seed, data, parameters →
same network and accuracy for any thread count), so a rerun reproduces the numbers exactly.

usage: accuracy_runs.py [--hardy build/hardy] [--work build/snn-results] [--threads 2]
                        [--only NAME[,NAME...]]
Standard library only (no numpy): runs under any python3.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
C = os.path.join(REPO, "configs", "snn")

# name, dataset, neurons, epochs, seed, config (None: the original parameters)
RUNS = [
    ("fm400_original", "fashion-mnist", 400, 1, 1, None),
    ("fm400_tuned_s1", "fashion-mnist", 400, 1, 1, "fashion_mnist_tuned.yaml"),
    ("fm400_tuned_s2", "fashion-mnist", 400, 1, 2, "fashion_mnist_tuned.yaml"),
    ("fm400_tuned_s3", "fashion-mnist", 400, 1, 3, "fashion_mnist_tuned.yaml"),
    ("mn400_e1", "mnist", 400, 1, 1, None),
    ("mn400_e2", "mnist", 400, 2, 1, None),
    ("mn400_e3", "mnist", 400, 3, 1, None),
    ("mn100_e1", "mnist", 100, 1, 1, None),
    ("mn100_e2", "mnist", 100, 2, 1, None),
    ("mn100_e3", "mnist", 100, 3, 1, None),
    ("mn100_current", "mnist", 100, 1, 1, "bindsnet_current.yaml"),
]


def run(cmd):
    r = subprocess.run(cmd)
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited with {r.returncode}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hardy", default=os.path.join(REPO, "build", "hardy"))
    ap.add_argument("--work", default=os.path.join(REPO, "build", "snn-results"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated run names (default: all)")
    a = ap.parse_args()
    if not os.path.exists(a.hardy):
        sys.exit(f"error: {a.hardy} not found (build first: scripts/build.sh)")
    only = set(filter(None, a.only.split(",")))
    unknown = only - {r[0] for r in RUNS}
    if unknown:
        sys.exit(f"error: unknown run(s) {sorted(unknown)}; known: {[r[0] for r in RUNS]}")
    os.makedirs(a.work, exist_ok=True)
    todo = [r for r in RUNS if not only or r[0] in only]
    rows = []
    for k, (name, dataset, n, epochs, seed, config) in enumerate(todo, 1):
        base = os.path.join(a.work, name)
        if not os.path.exists(base + ".eval.json"):
            t0 = time.time()
            cmd = [a.hardy, "snn", "train", "--dataset", dataset, "--neurons", str(n), "--epochs",
                   str(epochs), "--seed", str(seed), "--threads", str(a.threads), "--out",
                   base + ".snn", "--json", base + ".train.json"]
            if config:
                cmd += ["--config", os.path.join(C, config)]
            run(cmd)
            run([a.hardy, "snn", "eval", "--net", base + ".snn", "--dataset", dataset,
                 "--threads", str(a.threads), "--readout", "proportion", "--json",
                 base + ".proportion.eval.json"])
            # Written last: its presence marks the run as done.
            run([a.hardy, "snn", "eval", "--net", base + ".snn", "--dataset", dataset,
                 "--threads", str(a.threads), "--json", base + ".eval.json"])
            print(f"[{k}/{len(todo)}] {name}: done in {time.time() - t0:.0f} s", flush=True)
        else:
            print(f"[{k}/{len(todo)}] {name}: already done", flush=True)
        tr = json.load(open(base + ".train.json"))
        ev = json.load(open(base + ".eval.json"))
        pr = json.load(open(base + ".proportion.eval.json"))
        rows.append((name, dataset, n, epochs, seed, config or "original", tr, ev, pr))
    print()
    print("| run | dataset | N | epochs | seed | parameters | training s | samples/s "
          "| presentations/sample | exc spikes/sample | labelling acc | test acc (vote) "
          "| test acc (proportion) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, dataset, n, epochs, seed, config, tr, ev, pr in rows:
        lab = tr.get("labelling") or {}
        print(f"| {name} | {dataset} | {n} | {epochs} | {seed} | {config} | {tr['seconds']:.1f} "
              f"| {tr['samples_per_second']:.0f} | {tr['presentations'] / tr['samples']:.3f} "
              f"| {tr['exc_spikes_per_sample']:.1f} | {100 * lab.get('accuracy', 0):.2f}% "
              f"| **{100 * ev['accuracy']:.2f}%** | {100 * pr['accuracy']:.2f}% |")


if __name__ == "__main__":
    main()
