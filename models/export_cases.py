#!/usr/bin/python3
"""hardy import corpus: small PyTorch modules exported as users export them.

Each case uses patterns `torch.onnx.export` really writes (explicit F.pad, `x.view(x.size(0), -1)`
heads, input normalisation, channel concatenation, ceil_mode pooling, dilated convolutions,
Squeeze/Unsqueeze, Softmax/LogSoftmax outputs, opsets 11-17, fixed and dynamic batch), is trained
briefly on Fashion-MNIST and exported with `torch.onnx.export` defaults (constant folding on).
For each it writes models/import/<case>.onnx and models/import/golden/<case>.json: the exported
opset, the ONNX op types, PyTorch's outputs for the first 16 test images and PyTorch's accuracy on
the full test set (10,000 images) with the module the ONNX file was exported from.

Usage (Debian's python3-torch is only visible to /usr/bin/python3):
  /usr/bin/python3 models/export_cases.py [--case NAME] [--epochs E] [--seed S]

Deterministic for a seed and thread count (one torch thread).
"""

import argparse
import json
import math
import os
import sys
import time

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train import DEFAULT_FMNIST_DIR, load_split  # noqa: E402  (one IDX reader for both scripts)

OUT_DIR = os.path.join(HERE, "import")
GOLDEN_COUNT = 16
FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530


class PadResidual(nn.Module):
    """Residual blocks whose convolutions are padded by explicit F.pad (folded into the Conv),
    one Pad in front of a MaxPool (kept as an op), and a `view(x.size(0), -1)` head (dynamic
    batch: Shape -> Gather -> Unsqueeze -> Concat -> Reshape)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3)
        self.bn0 = nn.BatchNorm2d(16)
        self.c1 = nn.Conv2d(16, 16, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.c2 = nn.Conv2d(16, 16, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(F.pad(x, (1, 1, 1, 1)))))
        y = F.relu(self.bn1(self.c1(F.pad(x, (1, 1, 1, 1)))))
        y = self.bn2(self.c2(F.pad(y, [1, 1, 1, 1])))
        x = F.relu(x + y)
        x = F.max_pool2d(F.pad(x, (0, 1, 0, 1)), 2, ceil_mode=True)  # 28 -> 29 -> 15
        x = F.avg_pool2d(x, 2)  # 15 -> 7
        return self.fc(x.view(x.size(0), -1))


class Inception(nn.Module):
    """Inception-style block: 1x1, 3x3, dilated 3x3 and pooled branches concatenated along
    channels; MaxPool with ceil_mode; Softmax output; fixed batch 1."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, stride=2, padding=1)
        self.b1 = nn.Conv2d(8, 8, 1)
        self.b3 = nn.Conv2d(8, 8, 3, padding=1)
        self.bd = nn.Conv2d(8, 8, 3, padding=2, dilation=2)
        self.bp = nn.Conv2d(8, 8, 1)
        self.mix = nn.Conv2d(32, 24, 3, stride=2, padding=1)
        self.fc = nn.Linear(24 * 4 * 4, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))  # 28 -> 14
        p = self.bp(F.max_pool2d(x, 3, stride=1, padding=1))
        x = torch.cat([F.relu(self.b1(x)), F.relu(self.b3(x)), F.relu(self.bd(x)), F.relu(p)], 1)
        x = F.relu(self.mix(x))  # 14 -> 7
        x = F.max_pool2d(x, 2, ceil_mode=True)  # 7 -> 4
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)


class NormalizedCnn(nn.Module):
    """Input normalisation (x - mean) / std before a padded Conv (kept as an affine op), a Mul by a
    constant after a Conv (folded), AvgPool with ceil_mode, GlobalAveragePool + Squeeze, per-channel
    Sub/Mul constants, LogSoftmax output; opset 11."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, 32, 3)
        self.register_buffer("shift", torch.linspace(-0.1, 0.1, 32).view(1, 32, 1, 1))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = (x - FMNIST_MEAN) / FMNIST_STD
        x = F.relu(self.c1(x) * 0.5)
        x = F.avg_pool2d(x, 3, stride=2, ceil_mode=True)  # 28 -> 14
        x = F.relu(self.c2(x))
        x = F.max_pool2d(x, 2, ceil_mode=True)  # 14 -> 7
        x = F.relu(self.c3(x - self.shift) * 2.0)  # 7 -> 5
        x = F.adaptive_avg_pool2d(x, 1).squeeze(3).squeeze(2)
        return F.log_softmax(self.fc(x), dim=1)


class ViewHead(nn.Module):
    """Normalised input folded into an unpadded first Conv, a Reshape to (C, H, W) and back,
    Unsqueeze/Squeeze, `x.view(x.size(0), -1)` head, opset 17."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 12, 5)
        self.c2 = nn.Conv2d(12, 24, 3, dilation=2)
        self.fc1 = nn.Linear(24 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = x * (1.0 / FMNIST_STD) - FMNIST_MEAN / FMNIST_STD
        x = F.max_pool2d(F.relu(self.c1(x)), 2)  # 28 -> 24 -> 12
        x = F.relu(self.c2(x))  # 12 -> 8
        x = F.max_pool2d(x, 2)  # 8 -> 4
        x = x.reshape(x.size(0), 24, 16).unsqueeze(1).view(x.size(0), 24, 4, 4)
        x = F.relu(self.fc1(x.view(x.size(0), -1)))
        return self.fc2(x)


class NormalizedMlp(nn.Module):
    """A flat-input MLP: Flatten, normalisation folded into the first Gemm, MatMul + Add (a Linear
    without Gemm), opset 12 (Squeeze/Unsqueeze axes as attributes)."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(784, 128) * 0.03)
        self.b1 = nn.Parameter(torch.zeros(128))
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = (torch.flatten(x, 1) - FMNIST_MEAN) / FMNIST_STD
        x = F.relu(x.unsqueeze(1).squeeze(1) @ self.w1 + self.b1)
        return self.fc2(x)


CASES = {
    "pad_residual": dict(ctor=PadResidual, opset=13, dynamic_batch=True),
    "inception_concat": dict(ctor=Inception, opset=14, dynamic_batch=False),
    "normalized_cnn": dict(ctor=NormalizedCnn, opset=11, dynamic_batch=True),
    "view_head": dict(ctor=ViewHead, opset=17, dynamic_batch=True),
    "normalized_mlp": dict(ctor=NormalizedMlp, opset=12, dynamic_batch=True),
}


def predict(model, x, batch=1000):
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, x.shape[0], batch)])


def train(model, x, y, epochs, seed, batch=64, lr=2e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    total = max(1, epochs * math.ceil(x.shape[0] / batch))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1.0 + math.cos(math.pi * min(s, total) / total)))
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            out = model(x[idx])
            # Softmax / LogSoftmax heads: train on log-probabilities either way.
            logp = out.clamp_min(1e-12).log() if isinstance(model, Inception) else \
                F.log_softmax(out, dim=1)
            F.nll_loss(logp, y[idx]).backward()
            opt.step()
            sched.step()
    model.eval()


def export_case(name, cfg, data, epochs, seed):
    x_tr, y_tr, x_te, y_te = data
    torch.manual_seed(seed)
    model = cfg["ctor"]()
    t0 = time.time()
    train(model, x_tr, y_tr, epochs, seed)
    path = os.path.join(OUT_DIR, name + ".onnx")
    example = x_te[:1]
    dynamic = {"input": {0: "N"}, "output": {0: "N"}} if cfg["dynamic_batch"] else None
    torch.onnx.export(model, example, path, opset_version=cfg["opset"], input_names=["input"],
                      output_names=["output"], dynamic_axes=dynamic)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    outputs = predict(model, x_te)
    accuracy = float((outputs.argmax(1) == y_te).float().mean())
    golden = {
        "model": name + ".onnx",
        "dataset": "fashion-mnist",
        "split": "test",
        "opset": cfg["opset"],
        "dynamic_batch": cfg["dynamic_batch"],
        "onnx_ops": sorted({n.op_type for n in proto.graph.node}),
        "indices": list(range(GOLDEN_COUNT)),
        "labels": [int(v) for v in y_te[:GOLDEN_COUNT]],
        "outputs": [[float(v) for v in row] for row in outputs[:GOLDEN_COUNT]],
        "test_images": int(x_te.shape[0]),
        "accuracy": accuracy,
        "epochs": epochs,
        "seed": seed,
    }
    with open(os.path.join(OUT_DIR, "golden", name + ".json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print(f"{name}: opset {cfg['opset']}, accuracy {accuracy * 100:.2f}%, "
          f"ops {' '.join(golden['onnx_ops'])} ({time.time() - t0:.0f} s)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data", default=DEFAULT_FMNIST_DIR)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(os.path.join(OUT_DIR, "golden"), exist_ok=True)
    data = load_split(args.data, "train") + load_split(args.data, "test")
    for name in args.case or sorted(CASES):
        export_case(name, CASES[name], data, args.epochs, args.seed)


if __name__ == "__main__":
    main()
