#!/usr/bin/python3
"""RNNPool custom-node test: models written by tools/rnnpool/export.py --encoding node over a
grid of configurations, run by `rnnpoolc run`, must match PyTorch's outputs within 1e-5, and
`rnnpoolc inspect --json` must report exactly one RNNPool with the right geometry.

  test_rnnpool_node.py RNNPOOLC WORKDIR
"""
import contextlib
import io
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "rnnpool"))
import export  # noqa: E402  (tools/rnnpool/export.py, called in-process: torch loads once)

TOLERANCE = 1e-5

# (name, input shape, patch, stride, hidden, extra export flags)
CASES = [
    ("square_overlap", "1x4x16x16", (8, 8), (4, 4), (16, 16), []),
    ("rect_patch_k3", "1x3x12x10", (6, 4), (3, 2), (8, 12), []),
    ("k1_nonoverlap_remainder", "1x1x9x11", (3, 3), (3, 3), (4, 6), []),
    ("k8_stride1", "1x8x6x7", (4, 4), (1, 1), (8, 4), []),
    ("rect_stride_remainder", "2x4x10x13", (4, 5), (2, 3), (6, 5), []),
    ("tall_patch", "1x2x7x9", (5, 2), (1, 4), (3, 7), []),
    ("low_rank_w", "1x4x12x12", (6, 6), (3, 3), (8, 8), ["--rank-w", "2"]),
    ("low_rank_u", "1x4x12x12", (6, 6), (6, 6), (8, 6), ["--rank-u", "3"]),
    ("low_rank_wu", "1x3x10x10", (4, 4), (3, 3), (8, 10), ["--rank-w", "2", "--rank-u", "4"]),
    ("quant_sigm_tanh", "1x4x12x12", (4, 4), (4, 4), (8, 8),
     ["--gate", "quantSigm", "--update", "quantTanh"]),
    ("tanh_gate_sigmoid_update", "1x3x8x8", (4, 4), (2, 2), (6, 6),
     ["--gate", "tanh", "--update", "sigmoid"]),
    ("quant_sigm_sigmoid", "1x1x6x6", (3, 3), (3, 3), (4, 4),
     ["--gate", "quantSigm", "--update", "sigmoid"]),
    ("conv_before", "1x3x18x18", (4, 4), (2, 2), (8, 8), ["--conv-before"]),
]


def run_case(rnnpoolc, workdir, name, shape, patch, stride, hidden, extra):
    model = os.path.join(workdir, name + ".onnx")
    args = ["--encoding", "node", "-o", model, "--input-shape", shape,
            "--patch", *map(str, patch), "--stride", *map(str, stride),
            "--hidden", *map(str, hidden)] + extra
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        export.main(args)
    stem = os.path.splitext(model)[0]
    out = stem + "_actual.npy"
    result = subprocess.run([rnnpoolc, "run", model, "--input", stem + "_input.npy",
                             "--output", out], capture_output=True, text=True)
    if result.returncode != 0:
        return "run failed: " + result.stderr.strip()
    actual, expected = np.load(out), np.load(stem + "_expected.npy")
    if actual.shape != expected.shape:
        return "shape %s, expected %s" % (actual.shape, expected.shape)
    err = float(np.max(np.abs(actual - expected)))
    if not err <= TOLERANCE:
        return "max abs error %.3g > %g" % (err, TOLERANCE)

    result = subprocess.run([rnnpoolc, "inspect", "--json", model], capture_output=True,
                            text=True)
    if result.returncode != 0:
        return "inspect failed: " + result.stderr.strip()
    doc = json.loads(result.stdout)
    pools = doc.get("rnnpool")
    if not isinstance(pools, list) or len(pools) != 1:
        return "inspect reports %r RNNPool entries, expected 1" % (pools,)
    got = pools[0]
    want = {"patch": list(patch), "stride": list(stride), "h1": hidden[0], "h2": hidden[1],
            "encoding": "node", "replaced_nodes": 1}
    for key, value in want.items():
        if got.get(key) != value:
            return "inspect %s = %r, expected %r" % (key, got.get(key), value)
    if doc.get("near_misses") != []:
        return "inspect near_misses = %r, expected []" % (doc.get("near_misses"),)
    return "ok (max abs error %.2g)" % err


def main():
    rnnpoolc, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    passed = failed = 0
    for case in CASES:
        try:
            verdict = run_case(rnnpoolc, workdir, *case)
        except (Exception, SystemExit) as e:  # an export failure is a failed case
            verdict = "error: %r" % (e,)
        ok = verdict.startswith("ok")
        passed += ok
        failed += not ok
        print("%-28s %s %s" % (case[0], "PASS" if ok else "FAIL", verdict))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
