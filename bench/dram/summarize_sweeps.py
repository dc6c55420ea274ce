#!/usr/bin/env python3
"""Markdown tables from the JSON files of bench/dram/lenet5_sweeps.sh (docs/results-dram.md).

Usage: bench/dram/summarize_sweeps.py OUT_DIR
"""
import glob
import json
import os
import sys


def pct(x):
    return f"{100 * x:.2f}"


def main():
    out = sys.argv[1]
    print("### Tolerance (uniform BER, no spatial variation, 5 error maps)\n")
    print("| BER | flips (mean) | accuracy % (mean) | 95% CI | min – max |")
    print("|---:|---:|---:|---|---|")
    files = sorted(glob.glob(os.path.join(out, "tolerance_*.json")),
                   key=lambda f: float(f.split("_")[-1][:-5]))
    clean = None
    for f in files:
        j = json.load(open(f))
        clean = j["clean_accuracy"]
        p = j["points"][0]
        lo, hi = p["accuracy_ci95"]
        print(f"| {p['chip_ber']:.0e} | {sum(p['flips']) / len(p['flips']):.0f} | "
              f"{pct(p['accuracy_mean'])} | [{pct(lo)}, {pct(hi)}] | "
              f"{pct(min(p['accuracies']))} – {pct(max(p['accuracies']))} |")
    if clean is not None:
        print(f"\nError-free int8 accuracy: {pct(clean)}%.\n")
    for name in ["A", "B", "C", "B7"]:
        runs = {}
        for mapping in ["baseline", "sparkxd"]:
            f = os.path.join(out, f"sweep_{name}_{mapping}.json")
            if os.path.exists(f):
                runs[mapping] = json.load(open(f))
        if not runs:
            continue
        any_run = next(iter(runs.values()))
        curve = any_run["config"]["ber_curve"]
        print(f"### {curve} (3 error maps per voltage; energy = one inference's weight reads)\n")
        print("| V | chip BER | baseline acc % [95% CI] | SparkXD acc % [95% CI] | SparkXD usable regions | "
              "weights' mean BER (base / SparkXD) | energy nJ (base / SparkXD) | saving |")
        print("|---:|---:|---|---|---:|---|---|---:|")
        pts = {m: {p["vdd_v"]: p for p in r["points"]} for m, r in runs.items()}
        for v in [p["vdd_v"] for p in any_run["points"]]:
            b = pts.get("baseline", {}).get(v)
            s = pts.get("sparkxd", {}).get(v)
            ref = b if b is not None else s
            if "note" in ref:
                print(f"| {v:.3f} | — | {ref['note']} | | | | | |")
                continue
            def acc(p):
                if p is None:
                    return "—"
                if "note" in p:
                    return "does not fit"
                lo, hi = p["accuracy_ci95"]
                return f"{pct(p['accuracy_mean'])} [{pct(lo)}, {pct(hi)}]"
            def ber(p):
                return "—" if p is None or "note" in p else f"{p['mean_weight_ber']:.1e}"
            def nj(p):
                return "—" if p is None or "note" in p else f"{p['energy']['total_pj'] / 1e3:.1f}"
            sat = " (sat.)" if ref.get("saturated") else ""
            usable = "—" if s is None or "note" in s else str(s["usable_regions"])
            print(f"| {v:.3f} | {ref['chip_ber']:.1e}{sat} | {acc(b)} | {acc(s)} | {usable} | "
                  f"{ber(b)} / {ber(s)} | {nj(b)} / {nj(s)} | {100 * ref['energy_saving']:.1f}% |")
        print(f"\nError-free accuracy {pct(any_run['clean_accuracy'])}%, reference energy "
              f"{any_run['reference_energy_pj'] / 1e3:.1f} nJ per inference (baseline, "
              f"{any_run['config']['nominal_vdd_v']} V).\n")
    models = sorted(glob.glob(os.path.join(out, "sweep_B7_model*.json")))
    if models:
        print("### B7, error models (baseline mapping, 10 maps: accuracy % mean [min – max], "
              "mean flips)\n")
        rows = [(json.load(open(f))["config"]["errors"]["name"], json.load(open(f)))
                for f in models]
        volts = [p["vdd_v"] for p in rows[0][1]["points"]]
        print("| model | " + " | ".join(f"{v:.3f} V" for v in volts) + " |")
        print("|---|" + "---|" * len(volts))
        for name, r in rows:
            cells = []
            for p in r["points"]:
                cells.append("—" if "note" in p else
                             f"{pct(p['accuracy_mean'])} [{pct(min(p['accuracies']))} – "
                             f"{pct(max(p['accuracies']))}], {sum(p['flips']) / len(p['flips']):.0f}")
            print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
