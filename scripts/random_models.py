#!/usr/bin/python3
"""Random small PyTorch networks exported to ONNX, for differential tests of hardy's engines.

Each model is drawn from a seed: a stem convolution, then two to four random blocks (plain,
strided, dilated, grouped or depthwise convolutions with or without BatchNorm; ReLU, ReLU6 or no
activation; max and average pooling with padding, ceil_mode and counted padding; explicit F.pad;
residual Adds; channel Concats; from seed 200 on also element-wise minima and maxima of two
branches), then a head (GlobalAveragePool or Flatten, one or two Linear layers, sometimes a
Softmax), with 2 to 10 classes. Half are trained for a few hundred steps on Fashion-MNIST
(realistic top-1 margins), the others for an eighth of that (small margins: the hard cases of a
top-1 comparison). Seeds below 200 draw the same models as before the Min/Max blocks.

The models are not meant to be accurate; they exercise the importer, the int8 rules and every
propagation path on architectures nobody tuned hardy for. `scripts/fuzz_nvf.sh` runs the NVF
analysis against exhaustive injection on them.

Usage (Debian's python3-torch is only visible to /usr/bin/python3):
  /usr/bin/python3 scripts/random_models.py --out DIR [--count N] [--first-seed S]
Writes DIR/random_<seed>.onnx and DIR/random_<seed>.txt (the architecture drawn).
Deterministic for a seed (one torch thread).
"""

import argparse
import os
import random
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
from train import DEFAULT_FMNIST_DIR, load_split  # noqa: E402  (the zoo's IDX reader)


def act(kind, x):
    if kind == "relu":
        return F.relu(x)
    if kind == "relu6":
        return torch.clamp(x, 0, 6)
    return x


class ConvUnit(nn.Module):
    """Conv (+ BatchNorm) + activation, with an explicit F.pad in front when asked."""

    def __init__(self, rng, c_in, c_out, size, describe, same=False):
        """same: stride 1 and the padding that keeps the size (residual and concat branches)."""
        super().__init__()
        k = rng.choice([1, 3, 3, 5]) if size >= 7 else rng.choice([1, 3])
        kw = rng.choice([k, k, 1]) if k > 1 else 1
        dil = 2 if (k == 3 and kw == 3 and size >= 10 and rng.random() < 0.2) else 1
        stride = 2 if (not same and size >= 10 and rng.random() < (0.6 if c_in == 1 else 0.3)) else 1
        groups = 1
        if c_in == c_out and c_in > 1 and rng.random() < 0.25:
            groups = c_in  # depthwise
        elif c_in % 2 == 0 and c_out % 2 == 0 and rng.random() < 0.2:
            groups = 2
        pad_h = (k - 1) // 2 * dil
        if not same:
            pad_h = rng.choice([0, pad_h, pad_h])
        pad_w = (kw - 1) // 2 * dil if (same or pad_h) else 0
        self.explicit_pad = (pad_h > 0 or pad_w > 0) and rng.random() < 0.25
        self.pads = (pad_w, pad_w, pad_h, pad_h)  # F.pad order: left, right, top, bottom
        padding = 0 if self.explicit_pad else (pad_h, pad_w)
        self.conv = nn.Conv2d(c_in, c_out, (k, kw), stride=stride, padding=padding, dilation=dil,
                              groups=groups, bias=rng.random() < 0.7)
        self.bn = nn.BatchNorm2d(c_out) if rng.random() < 0.4 else None
        if self.bn is not None:  # non-trivial running statistics for the importer to fold
            with torch.no_grad():
                self.bn.running_mean.uniform_(-0.2, 0.2)
                self.bn.running_var.uniform_(0.5, 2.0)
                self.bn.weight.uniform_(0.5, 1.5)
                self.bn.bias.uniform_(-0.2, 0.2)
        self.kind = rng.choice(["relu", "relu", "relu6", "none"])
        describe.append(f"conv {c_in}->{c_out} k=({k},{kw}) s={stride} d={dil} g={groups} "
                        f"pad={'F.pad' if self.explicit_pad else 'attr'} {self.pads} "
                        f"bn={self.bn is not None} act={self.kind}")

    def forward(self, x):
        if self.explicit_pad:
            x = F.pad(x, self.pads)
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return act(self.kind, x)


class Block(nn.Module):
    """One random block; `shape(c, size)` gives its output channels and size."""

    def __init__(self, rng, c_in, size, describe, extremum):
        super().__init__()
        self.c_in = c_in
        choices = ["conv", "conv", "pool", "residual", "concat"] + (["extremum"] if extremum else [])
        self.kind = rng.choice(choices)
        c_out = rng.choice([4, 6, 8, 12])
        if self.kind == "conv":
            self.a = ConvUnit(rng, c_in, c_out, size, describe)
        elif self.kind == "pool":
            self.max = rng.random() < 0.5
            self.k = rng.choice([2, 3])
            self.stride = rng.choice([1, 2, 2]) if size >= 8 else 1
            self.pad = rng.choice([0, 0, 1]) if self.k == 3 else 0
            self.ceil = rng.random() < 0.3
            self.count_pad = (not self.max) and self.pad > 0 and not self.ceil and rng.random() < 0.5
            # An explicit F.pad before a max pool of a non-negative input (folded or kept as op).
            self.fpad = self.max and rng.random() < 0.2
            describe.append(f"{'max' if self.max else 'avg'}pool k={self.k} s={self.stride} "
                            f"pad={self.pad} ceil={self.ceil} count_include_pad={self.count_pad} "
                            f"fpad={self.fpad}")
        elif self.kind == "residual":
            describe.append("residual {")
            self.a = ConvUnit(rng, c_in, c_in, size, describe, same=True)
            self.b = ConvUnit(rng, c_in, c_in, size, describe, same=True)
            self.after = rng.choice(["relu", "none"])
            describe.append(f"}} + shortcut, act={self.after}")
        elif self.kind == "extremum":
            self.max = rng.random() < 0.5
            describe.append(f"{'maximum' if self.max else 'minimum'} {{")
            self.a = ConvUnit(rng, c_in, c_out, size, describe, same=True)
            self.b = ConvUnit(rng, c_in, c_out, size, describe, same=True)
            describe.append("}")
        else:
            describe.append("concat {")
            self.a = ConvUnit(rng, c_in, rng.choice([4, 6]), size, describe, same=True)
            self.b = ConvUnit(rng, c_in, rng.choice([2, 4]), size, describe, same=True)
            describe.append("}")

    def forward(self, x):
        if self.kind == "conv":
            return self.a(x)
        if self.kind == "pool":
            if self.max:
                if self.fpad:
                    x = F.pad(F.relu(x), (0, 1, 0, 1))
                return F.max_pool2d(x, self.k, self.stride, self.pad, ceil_mode=self.ceil)
            return F.avg_pool2d(x, self.k, self.stride, self.pad, ceil_mode=self.ceil,
                                count_include_pad=self.count_pad)
        if self.kind == "residual":
            return act(self.after, x + self.b(self.a(x)))
        if self.kind == "extremum":
            return (torch.maximum if self.max else torch.minimum)(self.a(x), self.b(x))
        return torch.cat([self.a(x), self.b(x)], 1)


class RandomNet(nn.Module):
    def __init__(self, seed):
        super().__init__()
        rng = random.Random(seed)
        self.describe = [f"seed {seed}"]
        self.normalize = rng.random() < 0.3
        if self.normalize:
            self.describe.append("input normalisation (x - 0.286) / 0.353")
        self.c_in = 1
        self.stem = ConvUnit(rng, 1, rng.choice([4, 6, 8]), 28, self.describe)
        blocks = []
        x = torch.zeros(1, 1, 28, 28)
        with torch.no_grad():
            x = self.stem(x)
            for _ in range(rng.randint(2, 4)):
                if x.shape[2] < 4:
                    break
                lines = len(self.describe)
                b = Block(rng, x.shape[1], x.shape[2], self.describe, extremum=seed >= 200)
                y = b(x)
                if y.shape[2] < 2:  # too small for a head: the block is dropped
                    del self.describe[lines:]
                    break
                blocks.append(b)
                x = y
        self.blocks = nn.ModuleList(blocks)
        self.gap = rng.random() < 0.35
        self.classes = rng.choice([10, 10, 3, 2])
        flat = x.shape[1] if self.gap else x.numel()
        self.hidden = nn.Linear(flat, rng.choice([16, 32])) if rng.random() < 0.5 else None
        self.hidden_act = rng.choice(["relu", "relu6"])
        width = self.hidden.out_features if self.hidden is not None else flat
        self.fc = nn.Linear(width, self.classes)
        self.softmax = rng.random() < 0.2
        self.view_head = rng.random() < 0.5
        self.describe.append(
            f"head: {'GAP' if self.gap else 'flatten'} ({flat}) "
            f"{'-> ' + str(width) + ' ' + self.hidden_act if self.hidden is not None else ''} "
            f"-> {self.classes} classes{' softmax' if self.softmax else ''}")

    def forward(self, x):
        if self.normalize:
            x = (x - 0.286) / 0.353
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        if self.gap:
            x = F.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1) if self.view_head else torch.flatten(x, 1)
        if self.hidden is not None:
            x = act(self.hidden_act, self.hidden(x))
        x = self.fc(x)
        return torch.softmax(x, dim=1) if self.softmax else x


def train(net, seed, steps):
    x, y = load_split(DEFAULT_FMNIST_DIR, "train")
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    net.train()
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (64,), generator=g)
        out = net(x[idx])
        logits = torch.log(out + 1e-9) if net.softmax else out
        loss = F.cross_entropy(logits, y[idx] % net.classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--train-steps", type=int, default=300)
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for seed in range(args.first_seed, args.first_seed + args.count):
        torch.manual_seed(seed)
        net = RandomNet(seed)
        steps = args.train_steps if seed % 2 == 0 else args.train_steps // 8
        train(net, seed, steps)
        net.describe.append(f"trained {steps} steps")
        path = os.path.join(args.out, f"random_{seed}.onnx")
        axes = {"input": {0: "N"}, "logits": {0: "N"}} if seed % 3 else None
        torch.onnx.export(net, torch.zeros(1, 1, 28, 28), path, input_names=["input"],
                          output_names=["logits"], dynamic_axes=axes,
                          opset_version=[11, 13, 13, 17][seed % 4])
        with open(os.path.join(args.out, f"random_{seed}.txt"), "w") as f:
            f.write("\n".join(net.describe) + "\n")
        print(f"{path}: " + "; ".join(net.describe[1:]), flush=True)


if __name__ == "__main__":
    main()
