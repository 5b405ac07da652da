#!/usr/bin/python3
"""torchvision's classifiers as a new user brings them: exported from PyTorch at their own
resolution (random weights; BatchNorm statistics made non-trivial) and compiled by
rnnpoolc in both builds. For each model prints whether `compile` succeeds (or its error),
the int8 and float arenas beside the layer-by-layer figure, the compile time, and the float
interpreter's largest error relative to PyTorch's output range at a small input.

  bench/models/torchvision_zoo.py RNNPOOLC [--models DIR] [--only NAME ...]

Models are exported into --models DIR (kept, so reruns skip the export) or a temporary
directory. Nothing is asserted: it is a survey of what holds on models written by others."""
import argparse
import os
import re
import subprocess
import tempfile
import time

import numpy as np
import torch
import torchvision.models as tvm

MODELS = ["mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
          "mnasnet0_5", "shufflenet_v2_x0_5", "squeezenet1_1", "resnet18", "resnet50",
          "regnet_x_400mf", "regnet_y_400mf", "googlenet", "inception_v3", "densenet121",
          "convnext_tiny"]


def build(name, seed=0):
    kw = {"aux_logits": False, "init_weights": True} if name in ("googlenet",
                                                                    "inception_v3") else {}
    torch.manual_seed(seed)
    model = getattr(tvm, name)(weights=None, **kw).eval()
    g = torch.Generator().manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2, generator=g)
            m.running_var.uniform_(0.5, 1.5, generator=g)
    return model


def export(name, size, out):
    path = os.path.join(out, "%s_%d.onnx" % (name, size))
    x_path = path[:-5] + "_input.npy"
    ref_path = path[:-5] + "_torch.npy"
    if not os.path.exists(path):
        model = build(name)
        x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(2)) * 2 - 1
        torch.onnx.export(model, x, path, opset_version=13)
        np.save(x_path, x.numpy())
        with torch.no_grad():
            np.save(ref_path, model(x).numpy())
    return path, x_path, ref_path


def compile_model(rnnpoolc, path, out, flags):
    start = time.time()
    p = subprocess.run([rnnpoolc, "compile", path, "-o", out, *flags], capture_output=True,
                       text=True, timeout=1800)
    seconds = time.time() - start
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "exit %d" % p.returncode
        return None, None, seconds, err
    m = re.search(r"arena (\d+) bytes \(layer by layer: (\d+)\)", p.stdout)
    return int(m.group(1)), int(m.group(2)), seconds, ""


def float_error(rnnpoolc, path, x_path, ref_path, work):
    out = os.path.join(work, "y.npy")
    p = subprocess.run([rnnpoolc, "run", path, "--input", x_path, "--output", out],
                       capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        return float("nan")
    y, ref = np.load(out), np.load(ref_path)
    return float(np.abs(y - ref).max() / max(1e-30, float(np.abs(ref).max())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rnnpoolc")
    ap.add_argument("--models", help="export directory (kept)")
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    names = args.only or MODELS
    with tempfile.TemporaryDirectory() as tmp:
        out = args.models or tmp
        os.makedirs(out, exist_ok=True)
        print("%-20s %10s %10s %7s %10s %10s %7s %10s  %s" % (
            "model", "int8_B", "lbl_B", "int8_s", "float_B", "lbl_B", "float_s", "f32_err",
            "error"), flush=True)
        for name in names:
            size = 299 if name == "inception_v3" else 224
            path, _, _ = export(name, size, out)
            a8, l8, t8, e8 = compile_model(args.rnnpoolc, path, os.path.join(tmp, "c8"), [])
            af, lf, tf, ef = compile_model(args.rnnpoolc, path, os.path.join(tmp, "cf"),
                                           ["--float"])
            small, x_path, ref_path = export(name, 160 if name == "inception_v3" else 96, out)
            err = float_error(args.rnnpoolc, small, x_path, ref_path, tmp)
            fmt = lambda v: "-" if v is None else str(v)  # noqa: E731
            print("%-20s %10s %10s %7.1f %10s %10s %7.1f %10.1e  %s" % (
                name, fmt(a8), fmt(l8), t8, fmt(af), fmt(lf), tf, err, e8 or ef), flush=True)


if __name__ == "__main__":
    main()
