#!/usr/bin/env python3
"""Does NVF measured on one set of images predict the vulnerability on other, unseen images?

Reads two `hardy nvf` results of the same model on disjoint image sets (JSON and per-neuron CSV,
e.g. images 0-999 and 1000-1999). Since the analysis equals exhaustive injection neuron by
neuron (tests/analysis/nvf_test.cpp, bench/compare_nvf_injection.py), the second set's NVF is the
injection result on unseen images. Prints per fault model: model VF on both sets, the largest
per-layer LVF difference, the Spearman rank correlation of the per-neuron NVF and the overlap of
the two top-10% rankings.
"""
import argparse
import csv
import json
import sys


def ranks(values):
    """Average ranks (ties share the mean of their positions), 1-based."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va > 0 and vb > 0 else float("nan")


def top(values, share):
    k = max(1, int(round(len(values) * share)))
    # Ties at the cut are broken by neuron index, the same way for both sets.
    return set(sorted(range(len(values)), key=lambda i: (-values[i], i))[:k])


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("first", help="JSON of the first set (its CSV is JSON.csv or --csv-first)")
    ap.add_argument("second")
    ap.add_argument("--csv-first")
    ap.add_argument("--csv-second")
    ap.add_argument("--top", type=float, default=0.10)
    a = ap.parse_args()
    try:
        ja, jb = json.load(open(a.first)), json.load(open(a.second))
        rows_a = list(csv.DictReader(open(a.csv_first or a.first.replace(".json", ".csv"))))
        rows_b = list(csv.DictReader(open(a.csv_second or a.second.replace(".json", ".csv"))))
        if len(rows_a) != len(rows_b):
            fail("the two results have different neurons")
        if ja.get("fault_models") != jb.get("fault_models"):
            fail("the two results have different fault models")
        for m in ja["fault_models"]:
            for r in rows_a + rows_b:
                float(r["nvf_" + m])
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail(f"cannot read the two results: {e}")
    print("| fault | model VF (first) | model VF (second) | max LVF diff | Spearman | top-"
          f"{a.top:.0%} overlap |")
    print("|---|---:|---:|---:|---:|---:|")
    for m in ja["fault_models"]:
        na = [float(r["nvf_" + m]) for r in rows_a]
        nb = [float(r["nvf_" + m]) for r in rows_b]
        lvf = max(abs(x["vf"][m] - y["vf"][m]) for x, y in zip(ja["per_layer"], jb["per_layer"]))
        ta, tb = top(na, a.top), top(nb, a.top)
        print(f"| {m} | {100 * ja['model_vf'][m]:.4f}% | {100 * jb['model_vf'][m]:.4f}% | "
              f"{100 * lvf:.4f} pts | {spearman(na, nb):.4f} | {100 * len(ta & tb) / len(ta):.1f}% |")


if __name__ == "__main__":
    main()
