#!/usr/bin/env python3
"""Cross-check hardy's DRAM energy against DRAMPower (legacy branch `develop`) on the same traces.

DRAMPower is not shipped or downloaded here: build it yourself from its public source
(github.com/tukl-msd/DRAMPower, branch develop: `make drampower`) and pass the binary:

  bench/dram/crosscheck_drampower.py --hardy build/hardy --drampower /path/to/drampower [--update]

Every command trace in bench/dram/traces/ is evaluated by both tools with the matching memspec of
data/dram/ (DRAMPower ignores hardy's extra keys); the DDR3L mapped trace is also compared at
1.05 V, DRAMPower reading a copy of the memspec with VDD and every current scaled by 1.05/1.35.
Prints a markdown table of DRAMPower's and hardy's totals and their ratio; exits 1 if any pair
differs by more than 1%. --update rewrites bench/dram/drampower_goldens.json (DRAMPower's
numbers, which tests/dram/drampower_golden_test.cpp checks hardy against in CI).
Without a DRAMPower binary it prints why and exits 77 (CTest's skip code).
"""
import argparse
import json
import os
import re
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
FIELDS = {  # DRAMPower's print label -> hardy's JSON key
    "ACT Cmd Energy": "act_pj",
    "PRE Cmd Energy": "pre_pj",
    "RD Cmd Energy": "read_pj",
    "WR Cmd Energy": "write_pj",
    "ACT Stdby Energy": "act_standby_pj",
    "PRE Stdby Energy": "pre_standby_pj",
    "Auto-Refresh Energy": "refresh_pj",
    "Total Trace Energy": "total_pj",
}


def drampower_energy(binary, memspec, trace):
    out = subprocess.run([binary, "-m", memspec, "-c", trace], check=True, capture_output=True,
                         text=True).stdout
    result = {}
    for label, key in FIELDS.items():
        m = re.search(re.escape(label) + r":\s*([-0-9.eE+]+) pJ", out)
        if not m:
            sys.exit(f"error: DRAMPower output has no '{label}' line for {trace}")
        result[key] = float(m.group(1))
    m = re.search(r"Total Trace Length \(clock cycles\):\s*(\d+)", out)
    result["cycles"] = int(m.group(1)) if m else None
    return result


def hardy_energy(binary, memspec, trace, voltage, tmp):
    out = os.path.join(tmp, "hardy.json")
    cmd = [binary, "dram", "energy", "--memspec", memspec, "--trace", trace, "--json", out]
    if voltage:
        cmd += ["--voltage", str(voltage)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        j = json.load(f)
    e = j["result"]["energy"]
    return {k: e[k] for k in FIELDS.values()} | {"cycles": j["result"]["cycles"]}


def scaled_memspec(src, voltage, dst):
    with open(src) as f:
        doc = json.load(f)
    k = voltage / doc["mempowerspec"]["vdd1"]
    for key, v in doc["mempowerspec"].items():
        if key.startswith("idd") or key.startswith("vdd"):
            doc["mempowerspec"][key] = v * k
    with open(dst, "w") as f:
        json.dump(doc, f)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hardy", required=True)
    p.add_argument("--drampower", default=os.environ.get("DRAMPOWER", ""))
    p.add_argument("--update", action="store_true", help="rewrite drampower_goldens.json")
    args = p.parse_args()
    if not args.drampower or not os.access(args.drampower, os.X_OK):
        print("skipped: no DRAMPower binary (pass --drampower or set DRAMPOWER; build it from "
              "github.com/tukl-msd/DRAMPower branch develop with `make drampower`)")
        return 77
    cases = []
    for short, name in MEMSPECS.items():
        for trace in ("stream", "conflicts", "mix", "mapped"):
            cases.append((short, name, trace, None))
    cases.append(("ddr3l", MEMSPECS["ddr3l"], "mapped", 1.05))
    goldens, worst = [], 0.0
    print("| memspec | trace | V | DRAMPower total (pJ) | hardy total (pJ) | hardy / DRAMPower |")
    print("|---|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for short, name, trace, voltage in cases:
            spec = os.path.join(ROOT, "data", "dram", name)
            trace_path = os.path.join(HERE, "traces", f"{short}_{trace}.trace")
            dp_spec = spec
            if voltage:
                dp_spec = os.path.join(tmp, f"{short}_{voltage}.json")
                scaled_memspec(spec, voltage, dp_spec)
            dp = drampower_energy(args.drampower, dp_spec, trace_path)
            hd = hardy_energy(args.hardy, spec, trace_path, voltage, tmp)
            ratio = hd["total_pj"] / dp["total_pj"]
            worst = max(worst, abs(ratio - 1))
            v = voltage or "nominal"
            print(f"| {name} | {trace} | {v} | {dp['total_pj']:,.2f} | {hd['total_pj']:,.2f} | "
                  f"{ratio:.6f} |")
            goldens.append({"memspec": name, "trace": f"{short}_{trace}.trace",
                            "vdd_v": voltage, "drampower": dp})
    print(f"\nlargest difference {worst * 100:.4f}% (limit 1%)")
    if args.update:
        with open(os.path.join(HERE, "drampower_goldens.json"), "w") as f:
            json.dump({"drampower": "tukl-msd/DRAMPower develop 0b971fd, built with make",
                       "unit": "pJ", "cases": goldens}, f, indent=2)
            f.write("\n")
    return 1 if worst > 0.01 else 0


if __name__ == "__main__":
    sys.exit(main())
