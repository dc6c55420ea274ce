#!/usr/bin/python3
"""Training speed of the Diehl & Cook network: hardy vs Brian2, measured in one run.

For N = 100 and 400 it trains
  - hardy: `hardy snn train --neurons N --images K --label-images 0` (1 thread; training is
    sequential) and reads samples_per_second from its JSON;
  - Brian2 2.5 with C++ standalone code generation (set_device('cpp_standalone'), 1 thread, its
    fastest target here) on the first S images of the same dataset: the same equations and
    parameters (bench/snn/diehl_cook_brian2.py), Poisson input (PoissonGroup driven by a
    TimedArray of the images' rates), STDP, adaptive threshold, 350 ms presentation + 150 ms
    rest per sample, and the weight normalisation before every sample (C++ inserted between
    runs). The Brian2 timing covers the simulation loop and normalisation (inserted timer), not
    compilation or start-up. Brian2 omits the re-presentation rule (it would need a decision
    between runs): hardy re-presents samples with < 5 spikes and still counts them once, so the
    comparison favours Brian2 (the script also prints the ratio per presentation).
Prints one line per size and, last, `ratio: X` with X = hardy samples/s / Brian2 samples/s at
N400.

usage: compare_brian2_speed.py [--hardy build/hardy] [--dataset fashion-mnist] [--images 3000]
                               [--brian-samples 40] [--work /tmp/hardy_snn_speed]
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def dataset_images(name, count):
    root = os.environ.get("HARDY_DATA_DIR")
    d = os.path.join(root, name) if root else (
        "/usr/share/datasets/fashion-mnist" if name == "fashion-mnist"
        else os.path.join(REPO, "data", "mnist"))
    path = os.path.join(d, "train-images-idx3-ubyte")
    opener = gzip.open if os.path.exists(path + ".gz") else open
    with opener(path + (".gz" if os.path.exists(path + ".gz") else ""), "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784)[:count]


def hardy_speed(hardy, dataset, n, images, work):
    out_json = os.path.join(work, f"hardy_n{n}.json")
    cmd = [hardy, "snn", "train", "--dataset", dataset, "--neurons", str(n), "--images",
           str(images), "--label-images", "0", "--out", os.path.join(work, f"hardy_n{n}.snn"),
           "--json", out_json]
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    j = json.load(open(out_json))
    return j["samples_per_second"], j["presentations"] / j["samples"]


def brian2_speed(dataset, n, samples, work):
    warnings.filterwarnings("ignore")
    import brian2
    from brian2 import (PoissonGroup, TimedArray, Network, defaultclock, device, set_device,
                        prefs, ms, Hz)
    import diehl_cook_brian2 as dc
    brian2.device.reinit()
    brian2.device.activate()
    directory = os.path.join(work, f"brian2_n{n}")
    set_device("cpp_standalone", directory=directory, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = 0
    defaultclock.dt = 0.5 * ms
    params = dict(dc.DEFAULTS)
    images = dataset_images(dataset, samples)
    present = round(float(params["time.presentation_ms"]) / 50)
    rest = round(float(params["time.rest_ms"]) / 50)
    rates = []
    for im in images:
        r = im.astype(np.float64) / 255.0 * float(params["input.max_rate_hz"])
        rates += [r] * present + [np.zeros(784)] * rest
    image_rates = TimedArray(np.array(rates) * Hz, dt=50 * ms, name="image_rates")
    src = PoissonGroup(784, rates="image_rates(t, i)", name="input")
    objs, exc, inh, syn = dc.build(params, src, n, learn=True)
    rng = np.random.default_rng(1)
    syn.w = (rng.random(784 * n) + float(params["stdp.init_w_offset"])) * float(
        params["stdp.init_w_scale"])
    net = Network(src, *objs)
    w = "brian::" + device.get_array_name(syn.variables["w"], access_data=False)
    post = "brian::" + device.get_array_name(syn.variables["_synaptic_post"], access_data=False)
    norm = float(params["stdp.norm_sum"])
    normalise = f"""
    {{
      std::vector<double> sums({n}, 0.0);
      for (size_t k = 0; k < {w}.size(); ++k) sums[{post}[k]] += {w}[k];
      for (size_t k = 0; k < {w}.size(); ++k) {w}[k] *= {norm} / sums[{post}[k]];
    }}"""
    prefs.codegen.cpp.headers += ["<chrono>", "<fstream>"]
    device.insert_code("main", "auto hardy_t0 = std::chrono::steady_clock::now();")
    for _ in range(samples):
        device.insert_code("main", normalise)
        net.run((present + rest) * 50 * ms)
    device.insert_code("main", """
    {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - hardy_t0).count();
      std::ofstream("hardy_brian2_seconds.txt") << s << std::endl;
    }""")
    t0 = time.time()
    device.build(directory=directory, compile=True, run=False)
    compile_s = time.time() - t0
    device.run(directory, with_output=False, run_args=[])
    seconds = float(open(os.path.join(directory, "hardy_brian2_seconds.txt")).read())
    device.reinit()
    return samples / seconds, compile_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hardy", default=os.path.join(REPO, "build", "hardy"))
    ap.add_argument("--dataset", default="fashion-mnist")
    ap.add_argument("--images", type=int, default=3000, help="hardy training images per size")
    ap.add_argument("--brian-samples", type=int, default=40, help="Brian2 samples per size")
    ap.add_argument("--work", default="/tmp/hardy_snn_speed")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    print(f"Diehl & Cook STDP training on {a.dataset}, 1 thread each "
          f"(hardy: {a.images} images; Brian2 2.5 cpp_standalone: {a.brian_samples} images)")
    ratio = None
    for n in (100, 400):
        h, pres = hardy_speed(a.hardy, a.dataset, n, a.images, a.work)
        b, compile_s = brian2_speed(a.dataset, n, a.brian_samples, a.work)
        ratio = h / b
        print(f"N{n}: hardy {h:.1f} samples/s ({pres:.3f} presentations/sample, "
              f"{h * pres:.1f} presentations/s), Brian2 {b:.2f} samples/s = presentations/s "
              f"(compiled in {compile_s:.0f} s); hardy/Brian2: {ratio:.1f}x in samples/s, "
              f"{h * pres / b:.1f}x in presentations/s", flush=True)
    print(f"ratio: {ratio:.1f}")


if __name__ == "__main__":
    main()
