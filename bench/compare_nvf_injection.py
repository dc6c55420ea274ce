#!/usr/bin/env python3
"""The NVF analysis against the four exhaustive injection campaigns it replaces, in one run.

Runs `hardy inject --target neurons --mode exhaustive` for bitflip, bitflip2, stuck0 and stuck1 and
one `hardy nvf` (all four fault models) on the same model, images and thread count; checks that
the critical counts (per fault model and per neuron) are equal, and prints each time and, last,
`ratio: X` = the four campaigns' seconds over the analysis' seconds (both as the tools report them:
model import and calibration excluded).

With --work DIR the outputs are kept there and every run is resumable: an interrupted run continues
from its checkpoint (hardy's --resume), a finished one is reused, so a long comparison (the ResNet
on 200 images) can be spread over several sittings. The seconds of a resumed run are those of its
last sitting only, so the ratio is printed only when every run finished in one go.

With --record FILE an agreeing comparison appends one JSON line to FILE (model fingerprint, image
range, fault models, faults and critical faults per model, seconds, whether they are whole, the git
commit it was recorded at). `seconds_whole` is false when a run was resumed: its seconds are then
its last sitting's only (records written before the field existed say nothing either way).
Per-neuron counts are sums over images, so comparisons of disjoint image ranges that each agree
neuron by neuron add up to one that agrees on their union: `--totals FILE` checks the recorded
ranges of each model and fault model for overlaps and prints the images covered and the summed
counts. That is how a comparison too long for one sitting (the ResNet's double flips on 200
images) is done in parts.
"""
import argparse
import csv
import json
import os
import subprocess
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ["bitflip", "bitflip2", "stuck0", "stuck1"]


def fail(message):
    """Bad input or a disagreement: an `error:` line and exit code 2."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def run(cmd, out, resumable):
    """Runs a hardy command writing `out`; in a work directory a finished `out` is reused and an
    interrupted one resumed. Returns whether it ran in one go (its seconds are then its whole)."""
    if resumable and os.path.exists(out):
        return not json.load(open(out)).get("resumed", False)
    if resumable:
        cmd = cmd + ["--resume"]
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return not json.load(open(out)).get("resumed", False)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hardy", default=os.path.join(ROOT, "build", "hardy"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "lenet5_fmnist.onnx"))
    ap.add_argument("--dataset", default="fashion-mnist")
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--faults", default=",".join(KINDS),
                    help="fault models compared (default: all four)")
    ap.add_argument("--work", help="keep the outputs here and resume/reuse them (see above)")
    ap.add_argument("--record", help="append the agreeing comparison's counts to this file")
    ap.add_argument("--totals", help="only print the summed records of this file (see above)")
    a = ap.parse_args()
    if a.totals:
        totals(a.totals)
        return
    kinds = a.faults.split(",")
    if not kinds or any(k not in KINDS for k in kinds):
        fail(f"--faults takes a list of {', '.join(KINDS)}")
    common = ["--model", a.model, "--dataset", a.dataset, "--images", str(a.images),
              "--offset", str(a.offset), "--threads", str(a.threads)]
    tmp = a.work or tempfile.mkdtemp()
    os.makedirs(tmp, exist_ok=True)
    try:
        compare(a, kinds, common, tmp)
    finally:
        if not a.work:
            shutil.rmtree(tmp)


def compare(a, kinds, common, tmp):
    resumable = a.work is not None
    whole = True
    # Outputs named by everything that determines them, so one work directory holds many runs.
    tag = f"{os.path.basename(a.model)}_{a.dataset}_{a.offset}+{a.images}"
    injected, seconds = {}, 0.0
    for k in kinds:
        out = os.path.join(tmp, f"inject_{k}_{tag}.json")
        whole &= run([a.hardy, "inject", *common, "--target", "neurons", "--fault", k,
                      "--mode", "exhaustive", "--json", out, "--csv", out + ".csv"],
                     out, resumable)
        j = json.load(open(out))
        with open(out + ".csv") as f:
            injected[k] = (j["sdc_critical"], [int(r["sdc_critical"]) for r in csv.DictReader(f)])
        seconds += j["seconds"]
        print(f"inject {k:9s} {j['faults']:>12,} faults  critical {j['sdc_critical']:>9,}  "
              f"{j['seconds']:8.1f} s")
    out = os.path.join(tmp, f"nvf_{','.join(kinds)}_{tag}.json")
    whole &= run([a.hardy, "nvf", *common, "--faults", ",".join(kinds), "--json", out,
                  "--csv", out + ".csv"], out, resumable)
    j = json.load(open(out))
    with open(out + ".csv") as f:
        rows = list(csv.DictReader(f))
    for k in kinds:
        per_neuron = [int(r["critical_" + k]) for r in rows]
        if j["critical"][k] != injected[k][0] or per_neuron != injected[k][1]:
            fail(f"nvf and injection disagree on {k}: "
                     f"{j['critical'][k]} vs {injected[k][0]} critical")
    print(f"nvf ({','.join(kinds)}) critical {', '.join(str(j['critical'][k]) for k in kinds)}  "
          f"{j['seconds']:8.1f} s  (bytes: {j['decided_by_bounds']:,} by bounds, "
          f"{j['simulated']:,} simulated)")
    print("critical counts equal for every fault model and neuron")
    if a.record:
        record(a, kinds, j, seconds, whole)
    print(f"injection {seconds:.1f} s, analysis {j['seconds']:.1f} s")
    if whole:
        print(f"ratio: {seconds / j['seconds']:.2f}")
    else:
        print("(a run was resumed: its seconds are its last sitting's, so no ratio)")


def record(a, kinds, nvf, injection_seconds, whole):
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    line = {"model": os.path.basename(a.model),
            "fingerprint": nvf["provenance"]["model_fingerprint"], "dataset": a.dataset,
            "offset": a.offset, "images": a.images, "neurons": nvf["neurons"],
            "faults": {k: nvf["faults"][k] for k in kinds},
            "critical": {k: nvf["critical"][k] for k in kinds},
            "largest_difference": 0, "injection_seconds": round(injection_seconds, 1),
            "analysis_seconds": round(nvf["seconds"], 1), "threads": a.threads,
            "seconds_whole": whole, "recorded_at_commit": commit}
    with open(a.record, "a") as f:
        f.write(json.dumps(line) + "\n")


def totals(path):
    """Sums the records per (model fingerprint, dataset, fault model); exits with an error when two
    records of one of them share an image."""
    groups = {}
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    for n, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            r = json.loads(text)
            for k in r["critical"]:
                key = (r["model"], r["fingerprint"], r["dataset"], k)
                groups.setdefault(key, []).append(
                    (r["offset"], r["images"], r["faults"][k], r["critical"][k]))
        except (ValueError, KeyError, TypeError) as e:
            fail(f"{path}:{n}: not a comparison record ({e})")
    for (model, _, dataset, k), parts in sorted(groups.items()):
        parts.sort()
        for (o1, n1, _, _), (o2, _, _, _) in zip(parts, parts[1:]):
            if o1 + n1 > o2:
                fail(f"{path}: {model} {k}: image ranges {o1}+{n1} and {o2}+ overlap")
        images = sum(p[1] for p in parts)
        faults = sum(p[2] for p in parts)
        critical = sum(p[3] for p in parts)
        ranges = ", ".join(f"{o}-{o + n - 1}" for o, n, _, _ in parts)
        print(f"{model} {dataset} {k:9s} images {images:5d} ({ranges})  faults {faults:>13,}  "
              f"critical {critical:>10,}  VF {100.0 * critical / faults:.4f}%  largest difference 0")


if __name__ == "__main__":
    main()
