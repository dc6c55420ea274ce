#!/usr/bin/python3
"""hardy model zoo: trains small fp32 CNNs/MLPs on (Fashion-)MNIST and exports ONNX.

Models (see models/README.md):
  lenet5_fmnist  LeNet-5 (ReLU, AveragePool)           Fashion-MNIST
  mlp_fmnist     MLP 784-256-128-10                     Fashion-MNIST
  vgg_fmnist     VGG-style CNN (ReLU6/Clip, MaxPool)    Fashion-MNIST
  resnet_fmnist  small ResNet (BN kept in ONNX, grouped + strided conv)  Fashion-MNIST
  lenet5_mnist   LeNet-5                                MNIST subset, 8k/2k (scripts/fetch_mnist.sh)

Input convention (all models): input "input", float32 [N,1,28,28] (dynamic N),
value = pixel / 255.0, no mean/std normalisation. Output "logits", float32
[N,10], raw logits (no softmax). ONNX opset 13.

For every model it also writes models/golden/<name>.json with the fp32 PyTorch
logits of the first 16 test images, and verifies the exported graph with
onnx.checker plus a small numpy reference evaluator (onnxruntime is not
available) against those logits.

Usage:
  /usr/bin/python3 models/train.py --all
  /usr/bin/python3 models/train.py --model lenet5_fmnist [--epochs N] [--seed S]

Runs on CPU only; deterministic for a given seed and thread count.
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
DEFAULT_MNIST_DIR = os.path.join(REPO_ROOT, "data", "mnist")
OPSET = 13
GOLDEN_COUNT = 16
ALLOWED_OPS = {
    "Conv", "Gemm", "MatMul", "Add", "Relu", "Clip", "MaxPool", "AveragePool",
    "GlobalAveragePool", "Flatten", "Reshape", "BatchNormalization",
}


# ----------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------

def read_idx(path):
    """Reads a (gzip-compressed) IDX file into a numpy uint8 array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX header")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {data[:4].hex()})")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    payload = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if payload.size != int(np.prod(dims)):
        raise ValueError(f"{path}: payload size {payload.size} does not match dims {dims}")
    return payload.reshape(dims)


def load_split(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (images.shape[0],):
        raise ValueError(f"{data_dir}/{prefix}: unexpected shapes {images.shape} {labels.shape}")
    # Input convention: pixel / 255.0 as float32, shape [N,1,28,28].
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255.0)).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


# ----------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------

class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        # count_include_pad=False: identical result (no padding), but torch 1.13
        # would otherwise export an explicit (all-zero) Pad node before AveragePool.
        self.pool1 = nn.AvgPool2d(2, count_include_pad=False)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.AvgPool2d(2, count_include_pad=False)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def relu6(x):
    return torch.clamp(x, 0.0, 6.0)


class VGGSmall(nn.Module):
    """conv16-conv16-maxpool-conv32-conv32-maxpool-fc128-fc10 (3x3, pad 1).

    ReLU6 after the first conv of each stage and the hidden fc; plain ReLU after
    the second conv of each stage. ReLU6 is written as clamp(x, 0, 6) so it
    exports as a single Clip (F.relu6 exports as Relu followed by Clip).
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.pool1 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv4 = nn.Conv2d(32, 32, 3, padding=1)
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = relu6(self.conv1(x))
        x = self.pool1(F.relu(self.conv2(x)))
        x = relu6(self.conv3(x))
        x = self.pool2(F.relu(self.conv4(x)))
        x = self.flatten(x)
        x = relu6(self.fc1(x))
        return self.fc2(x)


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN (+ identity or 1x1 strided conv-BN projection), Add, ReLU."""

    def __init__(self, cin, cout, stride=1, groups1=1, groups2=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, groups=groups1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, groups=groups2, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                nn.BatchNorm2d(cout),
            )
        else:
            self.proj = None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.proj is None else self.proj(x)
        return F.relu(out + shortcut)


class ResNetSmall(nn.Module):
    """stem conv3x3(16)-BN-ReLU; block(16, s1); block(16->32, s2, 1x1 proj);
    block(32, s1, first conv grouped g=4); GlobalAveragePool; Linear 32->10."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.block1 = BasicBlock(16, 16, stride=1)
        self.block2 = BasicBlock(16, 32, stride=2)
        self.block3 = BasicBlock(32, 32, stride=1, groups1=4)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        x = self.block1(x)
        x = self.block2(x)
        x = self.block3(x)
        x = self.flatten(self.gap(x))
        return self.fc(x)


# name -> constructor, dataset, default epochs, Adam lr (cosine-decayed to 0 per step),
# weight decay, batch size, keep_bn (export with BatchNormalization nodes), arch summary.
MODELS = {
    "lenet5_fmnist": dict(ctor=LeNet5, dataset="fashion-mnist", epochs=20, lr=2e-3, wd=0.0, batch=64, keep_bn=False,
                          arch="Conv(1->6,5x5,p2)-ReLU-AvgPool2-Conv(6->16,5x5)-ReLU-AvgPool2-Flatten-FC400-120-ReLU-FC120-84-ReLU-FC84-10"),
    "mlp_fmnist": dict(ctor=MLP, dataset="fashion-mnist", epochs=15, lr=1e-3, wd=0.0, batch=128, keep_bn=False,
                       arch="Flatten-FC784-256-ReLU-FC256-128-ReLU-FC128-10"),
    "vgg_fmnist": dict(ctor=VGGSmall, dataset="fashion-mnist", epochs=10, lr=2e-3, wd=0.0, batch=64, keep_bn=False,
                       arch="Conv16-ReLU6-Conv16-ReLU-MaxPool-Conv32-ReLU6-Conv32-ReLU-MaxPool-Flatten-FC1568-128-ReLU6-FC128-10 (3x3,p1)"),
    "resnet_fmnist": dict(ctor=ResNetSmall, dataset="fashion-mnist", epochs=10, lr=2e-3, wd=0.0, batch=64, keep_bn=True,
                          arch="Conv16-BN-ReLU; BasicBlock16; BasicBlock16->32 s2 (1x1 s2 proj); BasicBlock32 (g=4 conv); GAP; FC32-10"),
    "lenet5_mnist": dict(ctor=LeNet5, dataset="mnist", epochs=40, lr=2e-3, wd=0.0, batch=64, keep_bn=False,
                         arch="LeNet-5 (as lenet5_fmnist)"),
}


# ----------------------------------------------------------------------------
# Training / evaluation
# ----------------------------------------------------------------------------

@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], batch):
        logits = model(x[i:i + batch])
        correct += int((logits.argmax(1) == y[i:i + batch]).sum())
    return correct / x.shape[0]


def train_model(name, cfg, x_tr, y_tr, x_te, y_te, epochs, seed):
    torch.manual_seed(seed)
    model = cfg["ctor"]()
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=cfg["wd"])
    batch = cfg["batch"]
    steps_per_epoch = math.ceil(x_tr.shape[0] / batch)
    total_steps = epochs * steps_per_epoch
    # Cosine decay of the learning rate from lr to 0 over all steps.
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1.0 + math.cos(math.pi * min(s, total_steps) / total_steps)))
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time()
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(x_tr.shape[0], generator=gen)
        loss_sum = 0.0
        for i in range(0, x_tr.shape[0], batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x_tr[idx]), y_tr[idx])
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss) * idx.shape[0]
        acc = evaluate(model, x_te, y_te)
        print(f"[{name}] epoch {epoch:2d}/{epochs} loss {loss_sum / x_tr.shape[0]:.4f} "
              f"test acc {acc * 100:.2f}% ({time.time() - t0:.0f}s)", flush=True)
    model.eval()
    return model, n_params, time.time() - t0


# ----------------------------------------------------------------------------
# ONNX export and checks
# ----------------------------------------------------------------------------

def constants_to_initializers(model_proto):
    """Turns Constant nodes (emitted e.g. for Clip min/max without constant folding)
    into graph initializers so the op set stays small."""
    graph = model_proto.graph
    keep = []
    for node in graph.node:
        if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
            tensor = onnx.TensorProto()
            tensor.CopyFrom(node.attribute[0].t)
            tensor.name = node.output[0]
            graph.initializer.append(tensor)
        else:
            keep.append(node)
    del graph.node[:]
    graph.node.extend(keep)


def identities_to_initializers(model_proto):
    """torch deduplicates initializers with identical contents and re-creates the
    duplicates with Identity nodes (seen with do_constant_folding=False). Replace
    each such Identity by a copy of the initializer, and bypass any other Identity."""
    graph = model_proto.graph
    inits = {t.name: t for t in graph.initializer}
    graph_outputs = {o.name for o in graph.output}
    rename = {}
    keep = []
    for node in graph.node:
        if node.op_type != "Identity":
            keep.append(node)
            continue
        src = rename.get(node.input[0], node.input[0])
        if src in inits:
            tensor = onnx.TensorProto()
            tensor.CopyFrom(inits[src])
            tensor.name = node.output[0]
            graph.initializer.append(tensor)
            inits[tensor.name] = tensor
        elif node.output[0] in graph_outputs:
            keep.append(node)
        else:
            rename[node.output[0]] = src
    for node in keep:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    del graph.node[:]
    graph.node.extend(keep)


def export_onnx(model, path, keep_bn):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    kwargs = dict(
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        opset_version=OPSET,
    )
    if keep_bn:
        # TrainingMode.EVAL would run the eval peephole pass that fuses BN into
        # the preceding Conv; PRESERVE (with the module in eval mode) keeps
        # BatchNormalization nodes with running statistics.
        kwargs.update(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    else:
        kwargs.update(training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True)
    torch.onnx.export(model, dummy, path, **kwargs)
    proto = onnx.load(path)
    constants_to_initializers(proto)
    identities_to_initializers(proto)
    proto.producer_name = "hardy models/train.py"
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    return proto


def _pads(node_attrs, nd=2):
    pads = node_attrs.get("pads", [0] * (2 * nd))
    return pads


def _conv(x, w, b, strides, pads, groups, dilations):
    if any(d != 1 for d in dilations):
        raise NotImplementedError("dilated conv")
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    sh, sw = strides
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    out = np.zeros((n, m, oh, ow), dtype=np.float64)
    mg = m // groups
    for g in range(groups):
        xg = x[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw].astype(np.float64)
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, wg[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def _pool(x, kernel, strides, pads, mode):
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    fill = -np.inf if mode == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])), constant_values=fill)
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    windows = [xp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
               for i in range(kh) for j in range(kw)]
    if mode == "max":
        return np.max(windows, axis=0)
    if any(pads):
        raise NotImplementedError("padded AveragePool")
    return np.mean(windows, axis=0)


def reference_eval(proto, x):
    """Minimal float64 numpy interpreter for the ops used by the zoo."""
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) if numpy_helper.to_array(t).dtype.kind == "f"
           else numpy_helper.to_array(t) for t in proto.graph.initializer}
    env[proto.graph.input[0].name] = x.astype(np.float64)
    for node in proto.graph.node:
        a = {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            w = ins[1]
            k = w.shape[2:]
            y = _conv(ins[0], w, ins[2] if len(ins) > 2 else None, a.get("strides", [1, 1]),
                      a.get("pads", [0, 0, 0, 0]), a.get("group", 1), a.get("dilations", [1, 1]))
            assert list(a.get("kernel_shape", k)) == list(k)
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.inf
            y = np.clip(ins[0], lo, hi)
        elif op == "MaxPool":
            y = _pool(ins[0], a["kernel_shape"], a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]), "max")
        elif op == "AveragePool":
            y = _pool(ins[0], a["kernel_shape"], a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]), "avg")
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Reshape":
            y = ins[0].reshape([ins[0].shape[i] if s == 0 else s for i, s in enumerate(ins[1].astype(np.int64))])
        elif op == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            B = ins[1].T if a.get("transB", 0) else ins[1]
            y = a.get("alpha", 1.0) * A @ B
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "BatchNormalization":
            xin, scale, bias, mean, var = ins[:5]
            shp = (1, -1, 1, 1)
            y = (xin - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + a.get("epsilon", 1e-5)) \
                * scale.reshape(shp) + bias.reshape(shp)
        else:
            raise NotImplementedError(f"reference_eval: op {op}")
        env[node.output[0]] = y
    return env[proto.graph.output[0].name]


def check_exported(proto, keep_bn, x_golden, torch_logits):
    graph = proto.graph
    inits = {t.name for t in graph.initializer}
    real_inputs = [i for i in graph.input if i.name not in inits]
    assert len(real_inputs) == 1 and real_inputs[0].name == "input", [i.name for i in real_inputs]
    assert len(graph.output) == 1 and graph.output[0].name == "logits"

    def dims(vi):
        return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]

    assert real_inputs[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    in_dims, out_dims = dims(real_inputs[0]), dims(graph.output[0])
    assert in_dims == ["N", 1, 28, 28], in_dims
    assert out_dims == ["N", 10], out_dims
    ops = sorted({n.op_type for n in graph.node})
    extra = set(ops) - ALLOWED_OPS
    assert not extra, f"unexpected ops {extra}"
    if keep_bn:
        assert "BatchNormalization" in ops, "BatchNormalization nodes were folded away"
    else:
        assert "BatchNormalization" not in ops
    ref = reference_eval(proto, x_golden.numpy())
    max_err = float(np.max(np.abs(ref - torch_logits.numpy().astype(np.float64))))
    assert max_err < 1e-3, f"ONNX reference evaluation differs from PyTorch by {max_err}"
    opset = [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")]
    assert opset == [OPSET], opset
    return ops, in_dims, out_dims, max_err


def format_golden(golden):
    """JSON with one logits row per line; floats are the float32 values printed
    with Python's shortest round-trip repr of the (exactly representable) double."""
    lines = ["{"]
    for key in ("model", "dataset", "split", "indices", "labels"):
        lines.append(f'  {json.dumps(key)}: {json.dumps(golden[key])},')
    rows = [json.dumps(row) for row in golden["logits"]]
    lines.append('  "logits": [')
    lines.extend(f"    {r}," for r in rows[:-1])
    lines.append(f"    {rows[-1]}")
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == golden
    return text


def op_counts(proto):
    counts = {}
    for n in proto.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return counts


# ----------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", choices=sorted(MODELS), help="model to train (repeatable)")
    p.add_argument("--all", action="store_true", help="train all models")
    p.add_argument("--epochs", type=int, help="override the per-model default number of epochs")
    p.add_argument("--seed", type=int, default=2023, help="torch seed (default 2023)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    p.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "models"),
                   help="where <name>.onnx and golden/<name>.json are written (default: models/)")
    p.add_argument("--data-dir", help="root containing fashion-mnist/ and mnist/ (overrides both below)")
    p.add_argument("--fmnist-dir", default=DEFAULT_FMNIST_DIR, help=f"Fashion-MNIST IDX dir (default {DEFAULT_FMNIST_DIR})")
    p.add_argument("--mnist-dir", default=DEFAULT_MNIST_DIR, help="MNIST-subset IDX dir (default data/mnist)")
    args = p.parse_args(argv)

    names = list(MODELS) if args.all else (args.model or [])
    if not names:
        p.error("give --model NAME or --all")
    if args.data_dir:
        args.fmnist_dir = os.path.join(args.data_dir, "fashion-mnist")
        args.mnist_dir = os.path.join(args.data_dir, "mnist")

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    os.makedirs(os.path.join(args.out_dir, "golden"), exist_ok=True)

    data_cache = {}
    summary = []
    t_all = time.time()
    for name in names:
        cfg = MODELS[name]
        ds = cfg["dataset"]
        if ds not in data_cache:
            d = args.fmnist_dir if ds == "fashion-mnist" else args.mnist_dir
            try:
                data_cache[ds] = load_split(d, "train") + load_split(d, "test")
            except (OSError, ValueError) as e:
                hint = " (run scripts/fetch_mnist.sh)" if ds == "mnist" else ""
                sys.exit(f"error: cannot load {ds} from {d}: {e}{hint}")
        x_tr, y_tr, x_te, y_te = data_cache[ds]
        epochs = args.epochs if args.epochs is not None else cfg["epochs"]
        print(f"[{name}] dataset {ds}: {x_tr.shape[0]} train / {x_te.shape[0]} test, {epochs} epochs, "
              f"seed {args.seed}, {args.threads} thread(s)", flush=True)

        model, n_params, train_s = train_model(name, cfg, x_tr, y_tr, x_te, y_te, epochs, args.seed)
        acc = evaluate(model, x_te, y_te)

        onnx_path = os.path.join(args.out_dir, f"{name}.onnx")
        proto = export_onnx(model, onnx_path, cfg["keep_bn"])

        x_golden = x_te[:GOLDEN_COUNT]
        with torch.no_grad():
            golden_logits = model(x_golden).float()
        ops, in_dims, out_dims, max_err = check_exported(proto, cfg["keep_bn"], x_golden, golden_logits)

        golden = {
            "model": f"{name}.onnx",
            "dataset": ds,
            "split": "test",
            "indices": list(range(GOLDEN_COUNT)),
            "labels": [int(v) for v in y_te[:GOLDEN_COUNT]],
            "logits": [[float(v) for v in row] for row in golden_logits.numpy().astype(np.float32)],
        }
        golden_path = os.path.join(args.out_dir, "golden", f"{name}.json")
        with open(golden_path, "w") as f:
            f.write(format_golden(golden))

        counts = op_counts(proto)
        print(f"[{name}] params {n_params}, fp32 test acc {acc * 100:.2f}%, train {train_s:.0f}s", flush=True)
        print(f"[{name}] wrote {onnx_path}: input {in_dims} -> logits {out_dims}, opset {OPSET}, "
              f"checker OK, numpy reference max |diff| {max_err:.2e}", flush=True)
        print(f"[{name}] ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())), flush=True)
        print(f"[{name}] wrote {golden_path}", flush=True)
        summary.append((name, ds, n_params, ", ".join(ops), epochs, args.seed, acc, train_s))

    print(f"\nTotal wall time {time.time() - t_all:.0f}s")
    print("| model | dataset | params | ops | epochs | seed | fp32 test acc | train time |")
    print("|---|---|---|---|---|---|---|---|")
    for name, ds, n_params, ops, epochs, seed, acc, train_s in summary:
        print(f"| {name} | {ds} | {n_params} | {ops} | {epochs} | {seed} | {acc * 100:.2f}% | {train_s:.0f}s |")


if __name__ == "__main__":
    main()
