#!/usr/bin/env python3
"""Markdown tables from `hardy inject` result files: one summary row per file, and with --layers /
--bits the per-layer and per-bit breakdown of each (standard library only)."""
import argparse
import json


def pct(x):
    return f"{100 * x:.4f}%"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results", nargs="+", help="hardy inject JSON files")
    ap.add_argument("--layers", action="store_true", help="per-layer tables")
    ap.add_argument("--bits", action="store_true", help="per-bit tables (all layers summed)")
    a = ap.parse_args()
    docs = [(path, json.load(open(path))) for path in a.results]
    print("| model | target | fault | mode | images | faults | masked | SDC-benign | SDC-critical "
          "| critical rate | 95% interval | seconds | faults/s |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for path, r in docs:
        c = r["campaign"]
        model = r["provenance"]["inputs"] if "provenance" in r else {}
        name = next(iter(model), path).split("/")[-1]
        print(f"| {name} | {c['target']} | {c['fault']} | {c['mode']} | {len(c['images'])} "
              f"| {r['faults']:,} | {r['masked']:,} | {r['sdc_benign']:,} | {r['sdc_critical']:,} "
              f"| {pct(r['critical_sdc_rate'])} | {pct(r['ci95'][0])} – {pct(r['ci95'][1])} "
              f"| {r['seconds']:.1f} | {r['faults_per_second']:,.0f} |")
    for path, r in docs:
        if a.layers:
            print(f"\n{path}: per layer\n\n| layer | faults | SDC-benign | SDC-critical | critical rate |")
            print("|---|---:|---:|---:|---:|")
            for row in r["per_layer"]:
                print(f"| {row['layer']} | {row['faults']:,} | {row['sdc_benign']:,} "
                      f"| {row['sdc_critical']:,} | {pct(row['critical_sdc_rate'])} |")
        if a.bits:
            bits = {}
            for row in r["per_bit"]:
                b = bits.setdefault(row["bit"], [0, 0, 0])
                b[0] += row["faults"]
                b[1] += row["sdc_benign"]
                b[2] += row["sdc_critical"]
            print(f"\n{path}: per bit\n\n| bit | faults | SDC-benign | SDC-critical | critical rate |")
            print("|---:|---:|---:|---:|---:|")
            for bit in sorted(bits):
                f, s, k = bits[bit]
                print(f"| {bit} | {f:,} | {s:,} | {k:,} | {pct(k / f if f else 0)} |")


if __name__ == "__main__":
    main()
