#!/usr/bin/env python3
"""Markdown tables of a `hardy harden --sweep` result (docs/results-hardening.md).

  scripts/harden_report.py sweep.json [--target-reduction 0.2]

Prints, per scheme and budget, the MAC overhead, critical-SDC rate per injected fault (95%
interval) and expected critical failures per inference for every selection (random: mean and
range over the seeds), then the equal-overhead view: for each scheme and selection, the smallest
MAC overhead measured whose critical failures per inference are at least --target-reduction below
the unprotected model's. Only the standard library (json, argparse)."""
import argparse
import json
import sys
from collections import defaultdict


def main():
    p = argparse.ArgumentParser()
    p.add_argument("sweep")
    p.add_argument("--target-reduction", type=float, default=0.2)
    a = p.parse_args()
    try:
        with open(a.sweep) as f:
            d = json.load(f)
        rows = d["rows"]
    except (OSError, ValueError, KeyError) as e:
        print(f"error: {a.sweep}: {e}", file=sys.stderr)
        return 2
    base = d["unprotected"]
    base_pi = base["critical_per_inference"]
    ev = d["evaluation"]
    print(f"Unprotected: critical-SDC rate {100 * base['critical_sdc_rate']:.3f}% "
          f"[{100 * base['ci95'][0]:.3f}, {100 * base['ci95'][1]:.3f}] over {base['faults']} faults, "
          f"{base_pi:.3e} critical failures per inference at {d['bit_fault_rate']:g} per bit "
          f"({base['site_bits']} {ev['target']} bits); {ev['images']} evaluation images from "
          f"{ev['offset']}.")
    if "unprotectable_nvf_share" in d:
        print(f"Share of the NVF held by pooling / non-MAC outputs (unprotectable): "
              f"{100 * d['unprotectable_nvf_share']:.1f}%.")
    print()
    selects = []
    for r in rows:
        if r["select"] != "none" and r["select"] not in selects:
            selects.append(r["select"])
    groups = defaultdict(list)
    for r in rows:
        groups[(r["scheme"], r["budget_text"], r["select"])].append(r)
    schemes = list(dict.fromkeys(r["scheme"] for r in rows))
    budgets = list(dict.fromkeys(r["budget_text"] for r in rows if r["select"] != "none"))
    header = "| scheme | budget | MACs + | gates + (range over selections) |" + "".join(f" {s} |" for s in selects)
    print("Critical-SDC rate per injected fault, % [95% interval]; below it critical failures per "
          "inference relative to the unprotected model (1.00 = no change; random: mean of the "
          "seeds, [min, max]).")
    print()
    print(header)
    print("|" + "---|" * (4 + len(selects)))
    for s in schemes:
        for b in budgets:
            cells = []
            macs = None
            gates = []
            for sel in selects:
                g = groups.get((s, b, sel), [])
                if not g:
                    cells.append("")
                    continue
                macs = g[0]["mac_overhead"]
                gates += [r["gate_overhead"] for r in g]
                rates = [r["critical_sdc_rate"] for r in g]
                rel = [r["critical_per_inference"] / base_pi for r in g]
                if len(g) == 1:
                    r = g[0]
                    cells.append(f"{100 * r['critical_sdc_rate']:.3f} [{100 * r['ci95'][0]:.3f}, "
                                 f"{100 * r['ci95'][1]:.3f}]<br>{rel[0]:.2f}")
                else:
                    cells.append(f"{100 * sum(rates) / len(rates):.3f} [{100 * min(rates):.3f}, "
                                 f"{100 * max(rates):.3f}]<br>{sum(rel) / len(rel):.2f} "
                                 f"[{min(rel):.2f}, {max(rel):.2f}]")
            not_identical = any(not r["fault_free"]["bit_identical"]
                                for sel in selects for r in groups.get((s, b, sel), []))
            mark = " ≠" if not_identical else ""
            print(f"| {s}{mark} | {b} | {100 * macs:.1f}% | {100 * min(gates):.3f}–"
                  f"{100 * max(gates):.3f}% |" +
                  "".join(f" {c} |" for c in cells))
    print()
    print("≠: not bit-identical fault-free (split-half). Parameters + per row are in the JSON.")
    print()
    goal = (1 - a.target_reduction) * base_pi
    print(f"Smallest MAC overhead measured with critical failures per inference at most "
          f"{1 - a.target_reduction:.2f}× the unprotected model's (point estimate; random: mean "
          f"of the seeds; — = not reached at any budget):")
    print()
    print("| scheme |" + "".join(f" {s} |" for s in selects))
    print("|---|" + "---|" * len(selects))
    for s in schemes:
        cells = []
        for sel in selects:
            best = None
            for b in budgets:
                g = groups.get((s, b, sel), [])
                if not g:
                    continue
                pi = sum(r["critical_per_inference"] for r in g) / len(g)
                if pi <= goal and (best is None or g[0]["mac_overhead"] < best):
                    best = g[0]["mac_overhead"]
            cells.append("—" if best is None else f"{100 * best:.1f}%")
        print(f"| {s} |" + "".join(f" {c} |" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
