#!/usr/bin/python3
"""hardy fault injection vs a PyTorchFI-style hook baseline: same model, images and threads, one run.

PyTorch baseline (the way hook-based injectors such as PyTorchFI work):
  * the float ONNX model is rebuilt in PyTorch (nn.Conv2d / nn.Linear modules for Conv, Gemm and
    MatMul(+Add), Linear computed by oneDNN since Debian's torch has only the reference BLAS; the
    other ops with torch.nn.functional); its logits are checked against the
    float64 numpy ONNX interpreter of models/train.py and models/golden/<name>.json;
  * per-layer ranges (the max |value| of every conv/linear output) are calibrated once on training
    images, as PyTorchFI's `random_neuron_single_bit_inj_batched(pfi, layer_ranges)` expects;
  * for every batch: fresh fault locations, one per image (layer weighted by its output size, so a
    neuron is uniform over all conv/linear outputs, bit uniform 0-7), a deep copy of the model with
    forward hooks on its conv/linear modules (PyTorchFI's declare_neuron_fi does the same), one
    batched forward pass under torch.no_grad(). The hook takes each faulty value, quantizes it to
    int8 with the layer's scale (max / 128, truncation, as PyTorchFI's 8-bit view), flips the bit,
    dequantizes and writes it back, one fault at a time as PyTorchFI does; top-1 changes against
    the fault-free prediction are counted;
  * timed over --faults faults (after a warm-up) at batch 64 and 1000; the faster counts.
  A second, vectorized hook (all faults of a batch in a few tensor ops; stronger than PyTorchFI)
  is timed too and shown for information; the ratio uses the PyTorchFI-style hook.

hardy: `hardy inject --target neurons --fault bitflip --mode exhaustive` on the first --images test
images with the same thread count; `faults_per_second` from its JSON.

Every measurement also shows faults per CPU-second (for information: less sensitive to other load
on a shared machine; hardy's includes its model load, calibration and golden runs).
Prints a table and, last, `ratio: X` = hardy faults/s / PyTorch faults/s (the minimum over the
thread counts). Needs python3-torch and python3-onnx (scripts/setup.sh --zoo); exit 77 without.
"""
import argparse
import bisect
import copy
import gzip
import importlib.util
import json
import os
import random
import resource
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"compare_pytorch_fi: {e.name} is not installed (scripts/setup.sh --zoo installs "
          "python3-torch and python3-onnx; run with /usr/bin/python3)", file=sys.stderr)
    sys.exit(77)


# ---------------------------------------------------------------------------- data

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def dataset_dir(name):
    """Where hardy looks (src/data/dataset.cpp): $HARDY_DATA_DIR/<name>, else the Debian package."""
    if os.environ.get("HARDY_DATA_DIR"):
        return os.path.join(os.environ["HARDY_DATA_DIR"], name)
    if name == "fashion-mnist":
        return "/usr/share/datasets/fashion-mnist"
    return os.path.join(ROOT, "data", "mnist")


def load_images(directory, prefix):
    for suffix in (".gz", ""):
        path = os.path.join(directory, f"{prefix}-images-idx3-ubyte{suffix}")
        if os.path.exists(path):
            x = read_idx(path)
            return torch.from_numpy(x.reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255.0))
    raise SystemExit(f"error: {directory}/{prefix}-images-idx3-ubyte(.gz) not found")


# ---------------------------------------------------------------------------- ONNX -> PyTorch

class DnnLinear(torch.nn.Linear):
    """nn.Linear computed by oneDNN (as a 1x1 convolution). Debian's python3-torch links the
    reference BLAS (BLAS_INFO=generic), whose addmm is ~10x slower than oneDNN on these machines;
    a baseline on that path would be slower than PyTorchFI on a normal MKL build."""

    def forward(self, x):
        n = x.shape[0]
        w = self.weight.view(self.out_features, self.in_features, 1, 1)
        return F.conv2d(x.reshape(n, self.in_features, 1, 1), w, self.bias).view(n, self.out_features)


class OnnxNet(torch.nn.Module):
    """The float ONNX graph as PyTorch: Conv/Gemm/MatMul(+Add) are modules (hookable), the rest
    torch.nn.functional. `injectable` lists the conv/linear modules in graph order."""

    def __init__(self, proto):
        super().__init__()
        g = proto.graph
        init = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.input_name, self.output_name = g.input[0].name, g.output[0].name
        consumers = {}
        for n in g.node:
            for i in n.input:
                consumers.setdefault(i, []).append(n)
        self.steps = []  # (kind, inputs, output, payload)
        self.injectable = torch.nn.ModuleList()
        self.injectable_names = []
        self.consts = init
        fused_adds = set()
        for n in g.node:
            a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
            op = n.op_type
            if id(n) in fused_adds:
                continue
            if op == "Conv":
                w = init[n.input[1]]
                b = init[n.input[2]] if len(n.input) > 2 and n.input[2] else None
                p = list(a.get("pads", [0, 0, 0, 0]))
                sym = p[0] == p[2] and p[1] == p[3]
                m = torch.nn.Conv2d(w.shape[1] * a.get("group", 1), w.shape[0], tuple(w.shape[2:]),
                                    stride=tuple(a.get("strides", [1, 1])),
                                    padding=(p[0], p[1]) if sym else 0,
                                    dilation=tuple(a.get("dilations", [1, 1])),
                                    groups=a.get("group", 1), bias=b is not None)
                m.weight.data.copy_(w)
                if b is not None:
                    m.bias.data.copy_(b)
                pre_pad = None if sym else (p[1], p[3], p[0], p[2])
                self._add_module_step(m, n.name or n.output[0], n.input[0], n.output[0], pre_pad)
            elif op in ("Gemm", "MatMul") and n.input[1] in init:
                alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
                if op == "Gemm" and a.get("transA", 0):
                    raise SystemExit("error: Gemm with transA is not supported by this comparison")
                w = init[n.input[1]]
                w = w if (op == "Gemm" and a.get("transB", 0)) else w.t()
                b, out = None, n.output[0]
                if op == "Gemm" and len(n.input) > 2 and n.input[2]:
                    b = beta * init[n.input[2]]
                elif op == "MatMul":  # MatMul followed by Add of a constant vector = one Linear
                    cs = consumers.get(out, [])
                    if len(cs) == 1 and cs[0].op_type == "Add":
                        other = [i for i in cs[0].input if i != out]
                        if len(other) == 1 and other[0] in init and init[other[0]].dim() == 1:
                            b, out = init[other[0]], cs[0].output[0]
                            fused_adds.add(id(cs[0]))
                m = DnnLinear(w.shape[1], w.shape[0], bias=b is not None)
                m.weight.data.copy_(alpha * w)
                if b is not None:
                    m.bias.data.copy_(b.reshape(-1))
                self._add_module_step(m, n.name or out, n.input[0], out, None)
            else:
                self.steps.append(("fn", list(n.input), n.output[0], (op, a)))

    def _add_module_step(self, module, name, inp, out, pre_pad):
        self.steps.append(("mod", [inp], out, (len(self.injectable), pre_pad)))
        self.injectable.append(module)
        self.injectable_names.append(name)

    def forward(self, x):
        env = dict(self.consts)
        env[self.input_name] = x
        for kind, ins, out, payload in self.steps:
            if kind == "mod":
                idx, pre_pad = payload
                xin = env[ins[0]]
                if pre_pad is not None:
                    xin = F.pad(xin, pre_pad)
                if isinstance(self.injectable[idx], DnnLinear) and xin.dim() > 2:
                    xin = torch.flatten(xin, 1)
                env[out] = self.injectable[idx](xin)
                continue
            op, a = payload
            i = [env[name] if name else None for name in ins]
            if op == "Relu":
                y = F.relu(i[0])
            elif op == "Clip":
                lo = i[1].item() if len(i) > 1 and i[1] is not None else a.get("min", float("-inf"))
                hi = i[2].item() if len(i) > 2 and i[2] is not None else a.get("max", float("inf"))
                y = torch.clamp(i[0], lo, hi)
            elif op in ("MaxPool", "AveragePool"):
                p = a.get("pads", [0, 0, 0, 0])
                k = a["kernel_shape"]
                s = a.get("strides", [1, 1])
                if op == "MaxPool":
                    y = F.max_pool2d(i[0], k, s, (p[0], p[1]))
                else:
                    y = F.avg_pool2d(i[0], k, s, (p[0], p[1]),
                                     count_include_pad=bool(a.get("count_include_pad", 0)))
            elif op == "GlobalAveragePool":
                y = F.adaptive_avg_pool2d(i[0], 1)
            elif op in ("Flatten", "Reshape"):
                y = torch.flatten(i[0], 1)
            elif op == "Add":
                y = i[0] + i[1]
            elif op == "Gemm":
                bmat = i[1].t() if a.get("transB", 0) else i[1]
                y = a.get("alpha", 1.0) * (i[0] @ bmat)
                if len(i) > 2 and i[2] is not None:
                    y = y + a.get("beta", 1.0) * i[2]
            elif op == "MatMul":
                y = i[0] @ i[1]
            elif op == "BatchNormalization":
                y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op in ("Identity", "Dropout"):
                y = i[0]
            else:
                raise SystemExit(f"error: ONNX op {op} is not supported by this comparison")
            env[out] = y
        return env[self.output_name]


def check_logits(net, proto, model_path, images, dataset):
    """Max |PyTorch - ONNX| over a few images: against train.py's float64 numpy ONNX interpreter
    and the committed golden logits (PyTorch at export time) when present."""
    x = images[:8]
    with torch.no_grad():
        ours = net(x).double().numpy()
    lines, worst = [], 0.0
    spec = importlib.util.spec_from_file_location("hardy_zoo_train", os.path.join(ROOT, "models", "train.py"))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    ref = train.reference_eval(proto, x.numpy())
    d = float(np.abs(ours - ref).max())
    worst = max(worst, d)
    lines.append(f"vs ONNX graph (numpy float64 interpreter, {len(x)} images): max |diff| {d:.2e}")
    golden = os.path.join(ROOT, "models", "golden", os.path.basename(model_path).replace(".onnx", ".json"))
    gj = None
    if os.path.exists(golden):
        with open(golden) as f:
            gj = json.load(f)
    if gj is not None and gj.get("dataset") == dataset:
        gl = np.array(gj["logits"], dtype=np.float64)
        with torch.no_grad():
            ours_g = net(images[gj["indices"]]).double().numpy()
        d = float(np.abs(ours_g - gl).max())
        worst = max(worst, d)
        lines.append(f"vs models/golden logits ({len(gl)} images): max |diff| {d:.2e}")
    return worst, lines


# ---------------------------------------------------------------------------- injection

class Injector:
    """PyTorchFI-style campaign state: layer ranges, per-batch fault lists and the hooks."""

    def __init__(self, net, calib, bits=8):
        self.net, self.bits = net, bits
        shapes, maxima = {}, {}

        def probe(idx):
            def hook(_m, _i, out):
                shapes[idx] = tuple(out.shape[1:])
                mx = float(out.detach().abs().max())
                maxima[idx] = max(maxima.get(idx, 0.0), mx)
            return hook

        hs = [m.register_forward_hook(probe(k)) for k, m in enumerate(net.injectable)]
        with torch.no_grad():
            for s in range(0, len(calib), 1000):
                net(calib[s:s + 1000])
        for h in hs:
            h.remove()
        self.layer_shapes = [shapes[k] for k in range(len(net.injectable))]
        self.layer_sizes = [int(np.prod(s)) for s in self.layer_shapes]
        self.layer_max = [maxima[k] if maxima[k] > 0 else 1.0 for k in range(len(net.injectable))]
        self.cum = np.cumsum(self.layer_sizes)
        self.cum_list = [int(c) for c in self.cum]
        self.total = int(self.cum[-1])
        self.faults = None

    def draw(self, batch):
        """One fault per image: (image, layer, neuron index in the layer, bit)."""
        faults = [[] for _ in self.layer_sizes]
        cum = self.cum_list
        for b in range(batch):
            g = random.randrange(self.total)  # uniform over all conv/linear output neurons
            layer = bisect.bisect_right(cum, g)
            neuron = g - (cum[layer - 1] if layer else 0)
            idx = []
            for d in reversed(self.layer_shapes[layer]):
                neuron, r = divmod(neuron, d)
                idx.append(r)
            faults[layer].append((b, idx[::-1], random.randrange(self.bits)))
        return faults

    def draw_vectorized(self, batch, rng):
        g = rng.integers(0, self.total, batch)
        layer = np.searchsorted(self.cum, g, side="right")
        start = np.concatenate([[0], self.cum[:-1]])
        bit = rng.integers(0, self.bits, batch)
        out = []
        for k in range(len(self.layer_sizes)):
            sel = np.nonzero(layer == k)[0]
            out.append((torch.from_numpy(sel), torch.from_numpy(g[sel] - start[k]),
                        torch.from_numpy(bit[sel]).to(torch.int32)))
        return out

    def hook_scalar(self, k):
        """PyTorchFI's way: each fault of the batch handled on its own in Python."""
        mx, half = self.layer_max[k], float(2 ** (self.bits - 1))
        lo, hi, mod = -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1, 1 << self.bits

        def hook(_m, _i, out):
            for b, idx, bit in self.faults[k]:
                t = out[b]
                for i in idx:  # element access the way PyTorchFI indexes it
                    t = t[i]
                q = int(t / mx * half)  # truncation toward zero, as PyTorchFI's quantum
                q = min(max(q, lo), hi)
                u = (q % mod) ^ (1 << bit)  # two's complement byte, one bit flipped
                q = u - mod if u > hi else u
                t.copy_(torch.tensor(q * (mx / half), dtype=out.dtype))
            return out
        return hook

    def hook_vector(self, k):
        """Stronger than PyTorchFI: all faults of the batch in a few tensor ops."""
        mx, half = self.layer_max[k], float(2 ** (self.bits - 1))
        lo, hi, mod = -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1, 1 << self.bits

        def hook(_m, _i, out):
            rows, cols, bits = self.faults[k]
            if len(rows) == 0:
                return out
            flat = out.view(out.shape[0], -1)
            q = torch.clamp(torch.trunc(flat[rows, cols] / mx * half), lo, hi).to(torch.int32)
            u = torch.remainder(q, mod) ^ torch.bitwise_left_shift(torch.ones_like(bits), bits)
            q = torch.where(u > hi, u - mod, u)
            flat[rows, cols] = q.to(out.dtype) * (mx / half)
            return out
        return hook


def pytorch_faults_per_second(net, inj, images, golden_top1, batch, n_faults, style, seed):
    random.seed(seed)
    rng = np.random.default_rng(seed)
    n = len(images)
    state = {"pos": 0}

    def one_batch():
        s = state["pos"]
        if s + batch > n:
            s = 0
        state["pos"] = s + batch
        x = images[s:s + batch]
        # Fresh fault locations and a fresh corrupted model with hooks, per batch (declare_neuron_fi)
        inj.faults = inj.draw(len(x)) if style == "pytorchfi" else inj.draw_vectorized(len(x), rng)
        model = copy.deepcopy(net)
        make = inj.hook_scalar if style == "pytorchfi" else inj.hook_vector
        for k, m in enumerate(model.injectable):
            m.register_forward_hook(make(k))
        with torch.no_grad():
            y = model(x)
        return len(x), int((y.argmax(1) != golden_top1[s:s + batch]).sum())

    warm = 0
    while warm < min(2000, 4 * batch):  # warm-up
        warm += one_batch()[0]
    faults = critical = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    while faults < n_faults:
        f, c = one_batch()
        faults += f
        critical += c
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return faults / elapsed, faults, critical / faults, faults / cpu


def run_hardy(args, model, threads):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "fi.json")
        cmd = [args.hardy, "inject", "--model", model, "--dataset", args.dataset,
               "--images", str(args.images), "--target", "neurons", "--fault", "bitflip",
               "--mode", "exhaustive", "--threads", str(threads), "--json", out]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode != 0:
            raise SystemExit(f"error: {' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
        with open(out) as f:
            j = json.load(f)
    if not j.get("faults", 0) > 0 or not j.get("faults_per_second", 0) > 0:
        raise SystemExit(f"error: hardy reported faults={j.get('faults')} "
                         f"faults_per_second={j.get('faults_per_second')}")
    # CPU seconds of the whole process (model load, calibration and golden runs included)
    j["_cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return j


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "lenet5_fmnist.onnx"))
    ap.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "mnist"])
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--hardy", default=os.path.join(ROOT, "build", "hardy"))
    ap.add_argument("--images", type=int, default=200, help="test images for hardy's exhaustive campaign")
    ap.add_argument("--faults", type=int, default=30000, help="timed faults per PyTorch measurement")
    ap.add_argument("--batches", default="64,1000", help="PyTorch batch sizes to try")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t]
    batches = [int(b) for b in args.batches.split(",") if b]
    model_path = os.path.abspath(args.model)
    hardy = os.path.abspath(args.hardy)
    if not os.access(hardy, os.X_OK):
        raise SystemExit(f"error: {hardy} is not an executable (build hardy first)")
    args.hardy = hardy

    ddir = dataset_dir(args.dataset)
    test = load_images(ddir, "t10k")
    try:
        calib = load_images(ddir, "train")[:1000]
    except SystemExit:
        calib = test[:1000]
    proto = onnx.load(model_path)
    net = OnnxNet(proto).eval()
    torch.set_num_threads(1)
    worst, lines = check_logits(net, proto, model_path, test, args.dataset)
    print(f"model: {os.path.basename(model_path)}; PyTorch {torch.__version__} rebuild of the ONNX graph")
    for ln in lines:
        print(f"  logits check {ln}")
    if worst > 1e-4:
        raise SystemExit(f"error: PyTorch logits differ from ONNX by {worst:.2e} (> 1e-4)")
    print("  logits check: ok (within 1e-4)")

    inj = Injector(net, calib)
    with torch.no_grad():
        golden_top1 = torch.cat([net(test[s:s + 1000]).argmax(1) for s in range(0, len(test), 1000)])
    print("  injectable conv/linear outputs: " + ", ".join(
        f"{n} {s} (max {m:.3g})" for n, s, m in zip(net.injectable_names, inj.layer_sizes, inj.layer_max)))
    print(f"  PyTorch: {len(test)} test images cycled, {args.faults} timed faults per measurement; "
          f"hardy: exhaustive neuron bit flips over the first {args.images} test images")
    print()

    rows = []
    for t in threads:
        torch.set_num_threads(t)
        best = {}
        for style in ("pytorchfi", "vectorized"):
            for b in batches:
                fps, nf, crit, fpcpu = pytorch_faults_per_second(net, inj, test, golden_top1, b, args.faults,
                                                          style, args.seed)
                print(f"  [{t} thread(s)] PyTorch {style} hook, batch {b}: {fps:,.0f} faults/s "
                      f"({nf} faults, critical SDC {100 * crit:.2f}%; {fpcpu:,.0f} per CPU-second)", flush=True)
                if style not in best or fps > best[style][0]:
                    best[style] = (fps, b, fpcpu)
        j = run_hardy(args, model_path, t)
        print(f"  [{t} thread(s)] hardy: {j['faults_per_second']:,.0f} faults/s ({j['faults']} faults, "
              f"critical SDC {100 * j['critical_sdc_rate']:.2f}%; "
              f"{j['faults'] / j['_cpu_seconds']:,.0f} per CPU-second)", flush=True)
        rows.append((t, best, j))

    print()
    print("| model | threads | PyTorchFI-style faults/s (batch) | vectorized hook faults/s (batch) "
          "| hardy faults/s | hardy ÷ PyTorchFI-style | hardy ÷ vectorized |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    name = os.path.basename(model_path)
    ratios = []
    for t, best, j in rows:
        (pf, pb, _), (vf, vb, _) = best["pytorchfi"], best["vectorized"]
        h = j["faults_per_second"]
        print(f"| {name} | {t} | {pf:,.0f} ({pb}) | {vf:,.0f} ({vb}) | {h:,.0f} | {h / pf:,.0f}× | {h / vf:,.0f}× |")
        ratios.append((t, h / pf))
    print()
    if len(ratios) > 1:
        for t, r in ratios:
            print(f"ratio at {t} thread(s): {r:.1f}")
    print(f"ratio: {min(r for _, r in ratios):.1f}")


if __name__ == "__main__":
    sys.exit(main())
