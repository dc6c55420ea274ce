#!/usr/bin/env python3
"""Markdown table of the bit vulnerability factor over a whole model, from `hardy nvf` JSON files:
per fault model and bit, the critical faults of every layer at that bit over those layers' faults
at that bit (double flips counted under the pair's higher bit). Standard library only."""
import argparse
import json


def model_bvf(doc):
    """{fault model: [BVF of bit 0..7]} summed over layers (None where the bit has no faults)."""
    out = {}
    for model in doc["fault_models"]:
        critical, faults = [0] * 8, [0] * 8
        for row in doc["per_bit"]:
            b = row["bit"]
            if model not in row["critical"]:
                continue  # no double flip has bit 0 as its higher bit
            n = faults_per_bit(doc, row["layer"], model, b)
            c = row["critical"][model]
            if n and abs(c / n - row["vf"][model]) > 1e-12:
                raise SystemExit(f"error: {row['layer']} bit {b}: faults do not match the vf")
            critical[b] += c
            faults[b] += n
        out[model] = [critical[b] / faults[b] if faults[b] > 0 else None for b in range(8)]
    return out


def faults_per_bit(doc, layer, model, bit):
    """A layer's faults at one bit: one per neuron and image, or `bit` pairs for double flips."""
    neurons = next(l["neurons"] for l in doc["per_layer"] if l["layer"] == layer)
    per_neuron = bit if model == "bitflip2" else 1
    return neurons * doc["images"] * per_neuron


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results", nargs="+", help="hardy nvf JSON files")
    a = ap.parse_args()
    print("| model | images | fault | " + " | ".join(f"bit {b}" for b in range(8)) + " |")
    print("|---|---:|---|" + "---:|" * 8)
    for path in a.results:
        doc = json.load(open(path))
        name = next(iter(doc["provenance"]["inputs"])).split("/")[-1]
        for model, bvf in model_bvf(doc).items():
            cells = ["–" if v is None else f"{100 * v:.4f}%" for v in bvf]
            print(f"| {name} | {doc['images']} | {model} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
