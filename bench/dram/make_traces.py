#!/usr/bin/env python3
"""Writes the command traces hardy and DRAMPower are compared on (bench/dram/traces/).

For each shipped memspec, four access traces are simulated by `hardy dram energy` and the
commands it issues are written in DRAMPower's <cycle>,<command>,<bank> format:
  stream     2,000 sequential reads from address 0 (row-buffer hits, a miss per row/bank)
  conflicts  2,000 reads cycling over 8 banks and 2 rows per bank (every access a conflict)
  mix        2,000 reads and writes (30%) in random runs, with idle gaps of ~3 tREFI every
             250 accesses (refreshes and precharged standby)
  mapped     the int8 weights of models/lenet5_fmnist.onnx (61,470 bytes in 5 tensors) read once,
             one inference; for DDR3L mapped SparkXD-style at 1.05 V (vendor B median, tolerable
             BER 1e-7), for the others baseline
Usage: make_traces.py --hardy build/hardy   (deterministic: same traces every run)
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MEMSPECS = {
    "lpddr3": "MICRON_4Gb_LPDDR3-1600_32bit_A.json",
    "ddr3": "MICRON_1Gb_DDR3-1600_8bit_G.json",
    "ddr3l": "HARDY_2GB_DDR3L-1600_64bit_SODIMM.json",
}
LENET5 = os.path.join(ROOT, "models", "lenet5_fmnist.onnx")


def organisation(path):
    with open(path) as f:
        a = json.load(f)["memarchitecturespec"]
    burst = a["width"] * a["burstLength"] // 8
    return burst, a["nbrOfColumns"] // a["burstLength"], a["nbrOfBanks"]


def access_traces(spec_path):
    burst, bursts_per_row, banks = organisation(spec_path)
    with open(spec_path) as f:
        refi = json.load(f)["memtimingspec"]["REFI"]
    # Address of (row, bank, column burst) under the default order row,bank,column.
    addr = lambda row, bank, col: ((row * banks + bank) * bursts_per_row + col) * burst
    traces = {}
    traces["stream"] = [f"{i * burst:#x} R" for i in range(2000)]
    traces["conflicts"] = [f"{addr((i // banks) % 2, i % banks, 0):#x} R" for i in range(2000)]
    rng = random.Random(20240601)
    lines, cycle, a = [], 0, 0
    for i in range(2000):
        if i % 250 == 249:
            cycle += 3 * refi  # idle gap: the next access arrives later
        if rng.random() < 0.1:
            a = rng.randrange(0, 1 << 24) * burst
        op = "W" if rng.random() < 0.3 else "R"
        lines.append(f"{a:#x} {op} {cycle}")
        a += burst
    traces["mix"] = lines
    return traces


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hardy", required=True)
    args = p.parse_args()
    out_dir = os.path.join(HERE, "traces")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for short, name in MEMSPECS.items():
            spec = os.path.join(ROOT, "data", "dram", name)
            for trace, lines in access_traces(spec).items():
                acc = os.path.join(tmp, f"{short}_{trace}.access")
                with open(acc, "w") as f:
                    f.write("\n".join(lines) + "\n")
                out = os.path.join(out_dir, f"{short}_{trace}.trace")
                subprocess.run([args.hardy, "dram", "energy", "--memspec", spec, "--trace", acc,
                                "--write-commands", out], check=True, stdout=subprocess.DEVNULL)
            out = os.path.join(out_dir, f"{short}_mapped.trace")
            cmd = [args.hardy, "dram", "energy", "--memspec", spec, "--write-commands", out,
                   "--model", LENET5, "--calibration-images", "100"]
            if short == "ddr3l":
                cmd += ["--voltage", "1.05", "--vendor", "B", "--mapping", "sparkxd",
                        "--tolerable-ber", "1e-7"]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            print(f"wrote {short} traces", file=sys.stderr)


if __name__ == "__main__":
    main()
