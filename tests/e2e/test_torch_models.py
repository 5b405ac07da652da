#!/usr/bin/python3
"""Whole-model test: PyTorch exports in several styles, run by `rnnpoolc run --board host`,
must match PyTorch's own outputs.

  test_torch_models.py RNNPOOLC WORKDIR
"""
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT = os.path.join(HERE, "..", "..", "tools", "models", "export.py")

# (model, export flags): the styles PyTorch users export in.
VARIANTS = [
    ("small_cnn", ["--opset", "13"]),
    ("small_cnn", ["--opset", "9", "--keep-batchnorm"]),
    ("small_cnn", ["--opset", "11", "--no-constant-folding", "--dynamic-batch"]),
    ("small_cnn", ["--opset", "17", "--keep-batchnorm", "--no-constant-folding"]),
    ("branchy", ["--opset", "13"]),
    ("branchy", ["--opset", "11", "--no-constant-folding"]),
    ("branchy", ["--opset", "17", "--dynamic-batch"]),
    ("mobilenet_v2", ["--opset", "13", "--keep-batchnorm", "--no-constant-folding"]),
    # Whole models around a flat-exported RNNPool layer (recognised and fused on import).
    ("rnnpool_face", ["--opset", "13"]),
    ("mobilenet_v2_rnnpool", ["--opset", "11", "--dynamic-batch"]),
]
TOLERANCE = 1e-4


def run_variant(rnnpoolc, workdir, model, flags):
    tag = model + "".join(f.replace("--", "_").replace("-", "_") for f in flags)
    out_dir = os.path.join(workdir, tag)
    subprocess.run([sys.executable, EXPORT, model, "-o", out_dir] + flags, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    expected = sorted(f for f in os.listdir(out_dir) if f.startswith("expected_"))
    out = os.path.join(out_dir, "actual.npy")
    result = subprocess.run([rnnpoolc, "run", os.path.join(out_dir, model + ".onnx"),
                             "--input", os.path.join(out_dir, "input.npy"), "--board", "host",
                             "--output", out], capture_output=True, text=True)
    if result.returncode != 0:
        return tag, None, result.stderr.strip()
    worst = 0.0
    for k, name in enumerate(expected):
        actual_path = out if len(expected) == 1 else os.path.join(out_dir, "actual_%d.npy" % k)
        want = np.load(os.path.join(out_dir, name))
        got = np.load(actual_path)
        if want.shape != got.shape:
            return tag, None, "output %d shape %s, expected %s" % (k, got.shape, want.shape)
        err = np.abs(got.astype(np.float64) - want) / (1.0 + np.abs(want))
        worst = max(worst, float(err.max()))
    return tag, worst, ""


def main():
    rnnpoolc, workdir = sys.argv[1], sys.argv[2]
    failed = 0
    for model, flags in VARIANTS:
        tag, worst, problem = run_variant(rnnpoolc, workdir, model, flags)
        ok = worst is not None and worst <= TOLERANCE
        failed += not ok
        detail = problem if worst is None else "max relative error %.2e" % worst
        print("%-4s %-60s %s" % ("ok" if ok else "FAIL", tag, detail))
    print("%d passed, %d failed" % (len(VARIANTS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
