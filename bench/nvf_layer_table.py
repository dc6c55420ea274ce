#!/usr/bin/env python3
"""Per-layer vulnerability summed over several `hardy nvf` results of one model on disjoint image
ranges (the parts of a long comparison, e.g. bench/compare_nvf_injection.py --work DIR).

Prints a Markdown table: per layer its neurons, the LVF per fault model (critical faults over the
layer's faults on all the parts' images), the bytes simulated and the bound passes, then the
model VF row. Refuses results of different models, fault models or overlapping image ranges.

    bench/nvf_layer_table.py part1.json part2.json ...
"""
import json
import sys


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def main(paths):
    if not paths:
        fail("usage: nvf_layer_table.py NVF.json [NVF.json ...]")
    parts = []
    for p in paths:
        try:
            with open(p) as f:
                parts.append(json.load(f))
        except (OSError, ValueError) as e:
            fail(f"{p}: {e}")
    first = parts[0]
    kinds = first["fault_models"]
    ranges = []
    for p, d in zip(paths, parts):
        if d["fault_models"] != kinds:
            fail(f"{p}: fault models {d['fault_models']} differ from {kinds}")
        if d["provenance"]["model_fingerprint"] != first["provenance"]["model_fingerprint"]:
            fail(f"{p}: another model than {paths[0]}")
        ranges.append((d["image_offset"], d["image_offset"] + d["images"], p))
    ranges.sort()
    for (a0, a1, pa), (b0, b1, pb) in zip(ranges, ranges[1:]):
        if b0 < a1:
            fail(f"{pa} and {pb} overlap (images {a0}-{a1 - 1} and {b0}-{b1 - 1})")
    images = sum(d["images"] for d in parts)
    # Faults per neuron and image of each fault model, from the first part's totals.
    per_neuron = {k: first["faults"][k] // (first["neurons"] * first["images"]) for k in kinds}
    layers = {}
    for d in parts:
        for row in d["per_layer"]:
            acc = layers.setdefault(row["layer"], {"neurons": row["neurons"], "simulated": 0,
                                                   "bound_passes": 0,
                                                   "critical": {k: 0 for k in kinds}})
            acc["simulated"] += row["simulated"]
            acc["bound_passes"] += row["bound_passes"]
            for k in kinds:
                acc["critical"][k] += row["critical"][k]
    print("| layer | neurons | " + " | ".join(kinds) + " | bytes simulated | bound passes |")
    print("|---|---:|" + "---:|" * len(kinds) + "---:|---:|")
    total = {"neurons": 0, "simulated": 0, "bound_passes": 0, "critical": {k: 0 for k in kinds}}
    for name, acc in layers.items():
        vf = [acc["critical"][k] / (acc["neurons"] * images * per_neuron[k]) for k in kinds]
        print(f"| {name} | {acc['neurons']:,} | " + " | ".join(f"{v:.4%}" for v in vf) +
              f" | {acc['simulated']:,} | {acc['bound_passes']:,} |")
        total["neurons"] += acc["neurons"]
        total["simulated"] += acc["simulated"]
        total["bound_passes"] += acc["bound_passes"]
        for k in kinds:
            total["critical"][k] += acc["critical"][k]
    vf = [total["critical"][k] / (total["neurons"] * images * per_neuron[k]) for k in kinds]
    print(f"| **model VF** | {total['neurons']:,} | " + " | ".join(f"**{v:.4%}**" for v in vf) +
          f" | {total['simulated']:,} | {total['bound_passes']:,} |")


if __name__ == "__main__":
    main(sys.argv[1:])
