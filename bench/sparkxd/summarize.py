#!/usr/bin/env python3
"""Prints the tables of docs/results-sparkxd.md from the JSON files bench/sparkxd/runs.sh wrote.

    bench/sparkxd/summarize.py OUT
"""
import glob
import json
import os
import sys


def pct(x):
    return "-" if x is None else f"{100 * x:.2f}"


def sci(x):
    return "-" if x is None else ("0" if x == 0 else f"{x:.2g}")


def load(out):
    files = {}
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        with open(path) as f:
            j = json.load(f)
        if j.get("command") == "sparkxd":
            files[os.path.basename(path)[:-5]] = j
    return files


def name_of(row):
    n = row["network"]
    if n["kind"] == "int8":
        return "int8 LeNet-5"
    return f"N{n['neurons']}"


def curves(files):
    print("## Accuracy vs BER (mean % [95% CI] over the error maps, mean flipped bits)\n")
    for key, j in files.items():
        if not (key.startswith("fm_tuned_") or key.startswith("mnist_")):
            continue
        for row in j["sizes"]:
            n = row["network"]
            base, fat = row["tolerance"]["baseline"], row["tolerance"]["fat"]
            print(f"### {n['dataset']} N{n['neurons']} {n['weight_format']} "
                  f"({n['config'].split('/')[-1]}): error-free {pct(base['clean_accuracy'])}% "
                  f"without FAT, {pct(fat['clean_accuracy'])}% with FAT; "
                  f"BER_max {sci(row['ber_max'])} / {sci(row['ber_max_fat'])} (FAT)\n")
            print("| BER | flips | without FAT | with FAT |")
            print("|---:|---:|---|---|")
            for p, q in zip(base["points"], fat["points"]):
                flips = sum(p["flips"]) / len(p["flips"])
                print(f"| {p['ber']:.3g} | {flips:.0f} | {pct(p['accuracy_mean'])} "
                      f"[{pct(p['accuracy_ci95'][0])}, {pct(p['accuracy_ci95'][1])}] | "
                      f"{pct(q['accuracy_mean'])} [{pct(q['accuracy_ci95'][0])}, "
                      f"{pct(q['accuracy_ci95'][1])}] |")
            print()


def table(files):
    print("## Per-size table (energy = DRAM energy of one inference's weight reads)\n")
    print("| run | curve | network | weights | baseline acc % | FAT acc % | BER_max | BER_max FAT "
          "| deployed | V | E nominal µJ | E SparkXD µJ | saving (voltage + mapping) | "
          "no spatial variation: V, saving | acc at V % [CI] | same V, baseline mapping % |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|---|---:|")
    savings = {}
    for key, j in files.items():
        if not (key.startswith("table_") or key.startswith("int8_")):
            continue
        curve = j["settings"]["ber_curve"]["name"]
        cfg = "original" if "original" in key else ("int8" if key.startswith("int8") else "tuned")
        for row in j["sizes"]:
            n = row["network"]
            ci = row["accuracy_at_voltage_ci95"]
            nv = row["no_spatial_variation"]
            savings.setdefault((cfg, curve), []).append(row["saving"])
            print(f"| {cfg} | {curve} | {name_of(row)} | {n['weight_format']} "
                  f"{n['weight_bytes'] / 1024:.0f} KiB | {pct(row['baseline_accuracy'])} | "
                  f"{pct(row['fat_accuracy'])} | {sci(row['ber_max'])} | {sci(row['ber_max_fat'])} | "
                  f"{row['deployed']} | {row['voltage_v']:.3f} | "
                  f"{row['energy_nominal_j'] * 1e6:.2f} | {row['energy_sparkxd_j'] * 1e6:.2f} | "
                  f"{100 * row['saving']:.1f}% ({100 * row['voltage_saving']:.1f} + "
                  f"{100 * row['mapping_saving']:.1f}) | {nv['voltage_v']:.3f} V, "
                  f"{100 * nv['saving']:.1f}% | {pct(row['accuracy_at_voltage'])} "
                  f"[{pct(ci[0]) if ci else '-'}, {pct(ci[1]) if ci else '-'}] | "
                  f"{pct(row.get('accuracy_at_voltage_baseline_mapping'))} |")
    print()
    print("| configuration | curve | networks | mean saving |")
    print("|---|---|---:|---:|")
    for (cfg, curve), s in sorted(savings.items()):
        print(f"| {cfg} | {curve} | {len(s)} | {100 * sum(s) / len(s):.1f}% |")
    print()


def sensitivity(files):
    print("## Sensitivity to the weak-region spread (σ_bank = σ_subarray = σ)\n")
    print("| run | curve | network | BER_max used | σ | V (SparkXD) | usable regions | V (baseline mapping) | saving (voltage + mapping) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|")
    for key, j in files.items():
        if not (key.startswith("table_") or key.startswith("int8_")):
            continue
        curve = j["settings"]["ber_curve"]["name"]
        for row in j["sizes"]:
            used = row["deployment"]["plan"]["ber_max"]
            for s in row["spread_sensitivity"]:
                print(f"| {key} | {curve} | {name_of(row)} | {sci(used)} | {s['sigma']:g} | "
                      f"{s['voltage_v']:.3f} | {s['usable_regions']} | {s['baseline_voltage_v']:.3f} | "
                      f"{100 * s['saving']:.1f}% ({100 * s['voltage_saving']:.1f} + "
                      f"{100 * s['mapping_saving']:.1f}) |")
    print()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    files = load(sys.argv[1])
    curves(files)
    table(files)
    sensitivity(files)


if __name__ == "__main__":
    main()
