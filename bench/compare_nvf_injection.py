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


def run(cmd, out, resumable):
    """Runs a hardy command writing `out`; in a work directory a finished `out` is reused and an
    interrupted one resumed. Returns whether it ran in one go (its seconds are then its whole)."""
    if resumable and os.path.exists(out):
        return not json.load(open(out)).get("resumed", False)
    if resumable:
        cmd = cmd + ["--resume"]
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
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
    a = ap.parse_args()
    kinds = a.faults.split(",")
    if not kinds or any(k not in KINDS for k in kinds):
        sys.exit(f"error: --faults takes a list of {', '.join(KINDS)}")
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
            sys.exit(f"error: nvf and injection disagree on {k}: "
                     f"{j['critical'][k]} vs {injected[k][0]} critical")
    print(f"nvf ({','.join(kinds)}) critical {', '.join(str(j['critical'][k]) for k in kinds)}  "
          f"{j['seconds']:8.1f} s  (bytes: {j['decided_by_bounds']:,} by bounds, "
          f"{j['simulated']:,} simulated)")
    print("critical counts equal for every fault model and neuron")
    print(f"injection {seconds:.1f} s, analysis {j['seconds']:.1f} s")
    if whole:
        print(f"ratio: {seconds / j['seconds']:.2f}")
    else:
        print("(a run was resumed: its seconds are its last sitting's, so no ratio)")


if __name__ == "__main__":
    main()
