#!/usr/bin/python3
"""hardy int8 vs PyTorch fp32 inference speed on the same ONNX model, same images, same threads.

PyTorch runs the ONNX graph op by op with torch.nn.functional (batched, eval mode, no_grad);
hardy runs `hardy eval` (per-image int8, threads across images). Both are timed in this one run.
Prints both speeds and, last, `ratio: X` = hardy images/s ÷ PyTorch images/s.
Needs python3-torch and python3-onnx (scripts/setup.sh --zoo); run with /usr/bin/python3.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, 1, rows, cols)


class OnnxInTorch(torch.nn.Module):
    """Executes the float ONNX ops hardy supports with torch.nn.functional."""

    def __init__(self, model):
        super().__init__()
        self.graph = model.graph
        self.consts = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy())
                       for t in model.graph.initializer}

    def forward(self, x):
        env = dict(self.consts)
        env[self.graph.input[0].name] = x
        for n in self.graph.node:
            a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
            i = [env[name] if name else None for name in n.input]
            op = n.op_type
            if op == "Constant":
                y = torch.from_numpy(onnx.numpy_helper.to_array(a["value"]).copy())
            elif op == "Conv":
                p = a.get("pads", [0, 0, 0, 0])
                xin = F.pad(i[0], (p[1], p[3], p[0], p[2])) if p[0] != p[2] or p[1] != p[3] else i[0]
                y = F.conv2d(xin, i[1], i[2] if len(i) > 2 else None, a.get("strides", [1, 1]),
                             (p[0], p[1]) if p[0] == p[2] and p[1] == p[3] else 0, 1, a.get("group", 1))
            elif op == "Gemm":
                w = i[1].t() if a.get("transB", 0) else i[1]
                y = i[0] @ w + (i[2] if len(i) > 2 else 0)
            elif op == "MatMul":
                y = i[0] @ i[1]
            elif op == "Add":
                y = i[0] + i[1]
            elif op == "Relu":
                y = F.relu(i[0])
            elif op == "Clip":
                lo = i[1].item() if len(i) > 1 and i[1] is not None else a.get("min", float("-inf"))
                hi = i[2].item() if len(i) > 2 and i[2] is not None else a.get("max", float("inf"))
                y = torch.clamp(i[0], lo, hi)
            elif op in ("MaxPool", "AveragePool"):
                p = a.get("pads", [0, 0, 0, 0])
                fn = F.max_pool2d if op == "MaxPool" else F.avg_pool2d
                kw = {} if op == "MaxPool" else {"count_include_pad": bool(a.get("count_include_pad", 0))}
                y = fn(i[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]), (p[0], p[1]), **kw)
            elif op == "GlobalAveragePool":
                y = F.adaptive_avg_pool2d(i[0], 1)
            elif op in ("Flatten", "Reshape"):
                y = torch.flatten(i[0], 1)
            elif op == "BatchNormalization":
                y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op in ("Identity", "Dropout"):
                y = i[0]
            else:
                raise SystemExit(f"error: {op} not supported by this comparison")
            env[n.output[0]] = y
        return env[self.graph.output[0].name]


def torch_images_per_second(model, images, threads, batch):
    torch.set_num_threads(threads)
    net = OnnxInTorch(model).eval()
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    with torch.no_grad():
        for s in range(0, min(len(x), 10 * batch), batch):  # warm-up
            net(x[s:s + batch])
        start = time.perf_counter()
        for s in range(0, len(x), batch):
            net(x[s:s + batch])
        return len(x) / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "lenet5_fmnist.onnx"))
    ap.add_argument("--dataset", default="fashion-mnist")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--hardy", default=os.path.join(ROOT, "build", "hardy"))
    args = ap.parse_args()

    data_dir = ("/usr/share/datasets/fashion-mnist" if args.dataset == "fashion-mnist"
                else os.path.join(ROOT, "data", "mnist"))
    images = load_images(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"))
    model = onnx.load(args.model)

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "eval.json")
        subprocess.run([args.hardy, "eval", "--model", args.model, "--dataset", args.dataset,
                        "--threads", str(args.threads), "--json", out],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            hardy = json.load(f)
    torch_ips = torch_images_per_second(model, images, args.threads, args.batch)
    hardy_ips = hardy["int8_images_per_second"]
    print(f"model: {os.path.basename(args.model)}, {len(images)} images, {args.threads} thread(s)")
    print(f"pytorch {torch.__version__} fp32 batch {args.batch}: {torch_ips:.0f} images/s")
    print(f"hardy int8 ({hardy['isa']}): {hardy_ips:.0f} images/s, "
          f"int8 accuracy {100 * hardy['int8_accuracy']:.2f}%")
    print(f"ratio: {hardy_ips / torch_ips:.2f}")


if __name__ == "__main__":
    sys.exit(main())
