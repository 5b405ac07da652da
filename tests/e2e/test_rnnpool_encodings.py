#!/usr/bin/python3
"""RNNPool encodings test. Each configuration of a grid is exported by tools/rnnpool/export.py
with the same seeded weights as the ai.rnnpoolc node, as a model-local function, and as flat
graphs in every style (functional / in-place state, unfold / slice patch extraction). For each
model `rnnpoolc inspect --json` must report exactly the expected RNNPool nodes with the right
geometry and encoding, `rnnpoolc run` must match PyTorch within 1e-5 (max abs), and every
encoding must give the same bytes as the node encoding. Near-miss models must fuse nothing,
name the reason, and still match PyTorch.

  test_rnnpool_encodings.py RNNPOOLC WORKDIR
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
import export  # noqa: E402
import onnx_eval  # noqa: E402  (NumPy evaluator: the oracle for hand-edited models)  (tools/rnnpool/export.py, called in-process: torch loads once)

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


# (encoding, extra export flags): every encoding and flat export style.
ENCODINGS = [
    ("node", []),
    ("function", []),
    ("flat", ["--style", "functional", "--extraction", "unfold"]),
    ("flat", ["--style", "functional", "--extraction", "slice"]),
    ("flat", ["--style", "inplace", "--extraction", "unfold"]),
    ("flat", ["--style", "inplace", "--extraction", "slice"]),
]

# (name, shape, patch, stride, hidden, flags, expected RNNPools, near-miss reason fragment)
SPECIAL = [
    ("two_layers", "1x3x12x12", (4, 4), (2, 2), (6, 6), ["--two-layers", "--conv-before"], 2,
     None),
    ("near_unidirectional", "1x2x8x8", (4, 4), (4, 4), (4, 4),
     ["--near-miss", "unidirectional"], 0, "only forward"),
    ("near_relu_update", "1x2x8x8", (4, 4), (4, 4), (4, 4), ["--near-miss", "relu-update"], 0,
     "Relu"),
    ("near_unshared", "1x2x8x8", (4, 4), (4, 4), (4, 4), ["--near-miss", "unshared"], 0,
     "share"),
    ("near_first_of_two", "1x3x12x12", (4, 4), (2, 2), (6, 6),
     ["--two-layers", "--near-miss", "relu-update", "--near-miss-first-only"], 1, "Relu"),
]


def export_model(path, encoding, flags, shape, patch, stride, hidden, extra):
    args = ["--encoding", encoding, "-o", path, "--input-shape", shape,
            "--patch", *map(str, patch), "--stride", *map(str, stride),
            "--hidden", *map(str, hidden)] + flags + extra
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        export.main(args)


def check_model(rnnpoolc, model, encoding, patch, stride, hidden, pools, reason):
    """Runs and inspects one exported model; returns (verdict, output array or None)."""
    stem = os.path.splitext(model)[0]
    out = stem + "_actual.npy"
    result = subprocess.run([rnnpoolc, "run", model, "--input", stem + "_input.npy",
                             "--output", out], capture_output=True, text=True)
    if result.returncode != 0:
        return "run failed: " + result.stderr.strip(), None
    actual, expected = np.load(out), np.load(stem + "_expected.npy")
    if actual.shape != expected.shape:
        return "shape %s, expected %s" % (actual.shape, expected.shape), None
    err = float(np.max(np.abs(actual - expected)))
    if not err <= TOLERANCE:
        return "max abs error %.3g > %g" % (err, TOLERANCE), None

    result = subprocess.run([rnnpoolc, "inspect", "--json", model], capture_output=True,
                            text=True)
    if result.returncode != 0:
        return "inspect failed: " + result.stderr.strip(), None
    doc = json.loads(result.stdout)
    found, misses = doc.get("rnnpool"), doc.get("near_misses")
    if not isinstance(found, list) or len(found) != pools:
        return "inspect reports %d RNNPool entries, expected %d (near misses: %r)" % (
            len(found or []), pools, misses), None
    for got in found:
        want = {"encoding": encoding}
        if pools == 1 and reason is None:
            want.update({"patch": list(patch), "stride": list(stride), "h1": hidden[0],
                         "h2": hidden[1]})
        for key, value in want.items():
            if got.get(key) != value:
                return "inspect %s = %r, expected %r" % (key, got.get(key), value), None
        if (encoding == "node") != (got.get("replaced_nodes") == 1):
            return "replaced_nodes = %r for encoding %s" % (got.get("replaced_nodes"),
                                                            encoding), None
    if reason is None and misses != []:
        return "unexpected near misses %r" % (misses,), None
    if reason is not None and encoding != "node":
        if not misses or not any(reason in m.get("reason", "") for m in misses):
            return "near misses %r do not mention %r" % (misses, reason), None
    return "ok (max abs error %.2g)" % err, actual


def run_config(rnnpoolc, workdir, name, shape, patch, stride, hidden, extra, pools, reason,
               encodings):
    """All encodings of one configuration; returns a list of (label, verdict)."""
    verdicts, reference = [], None
    for encoding, flags in encodings:
        if reason is not None and encoding == "node":
            continue  # a near miss has no custom-node form
        label = "%s/%s%s" % (name, encoding, "".join("/" + f for f in flags[1::2]))
        model = os.path.join(workdir, label.replace("/", "_") + ".onnx")
        try:
            export_model(model, encoding, flags, shape, patch, stride, hidden, extra)
            verdict, out = check_model(rnnpoolc, model, encoding, patch, stride, hidden,
                                       pools, reason)
        except (Exception, SystemExit) as e:  # an export failure is a failed case
            verdict, out = "error: %r" % (e,), None
        if out is not None and reason is None:
            if reference is None:
                reference = out
            elif not np.array_equal(out, reference):
                verdict = "output differs from the node encoding's by %.3g" % float(
                    np.max(np.abs(out - reference)))
        verdicts.append((label, verdict))
    return verdicts


def swapped_sweep_case(rnnpoolc, workdir):
    """A near miss no exporter writes: two RNN1 steps of a flat export read each other's
    columns, so a row is not swept left to right. Oracle: the NumPy evaluator."""
    import onnx
    model = os.path.join(workdir, "near_swapped_sweep.onnx")
    export_model(model, "flat", ["--style", "functional", "--extraction", "slice"], "1x2x8x8",
                 (4, 4), (4, 4), (4, 4), [])
    m = onnx.load(model)
    w1 = next(t.name for t in m.graph.initializer if t.name.endswith("rnn1.W"))
    steps = [n for n in m.graph.node if n.op_type == "MatMul" and n.input[1] == w1]
    steps[0].input[0], steps[1].input[0] = steps[1].input[0], steps[0].input[0]
    onnx.save(m, model)
    stem = os.path.splitext(model)[0]
    x = np.load(stem + "_input.npy")
    np.save(stem + "_expected.npy", onnx_eval.run(m, {m.graph.input[0].name: x})[0])
    verdict, _ = check_model(rnnpoolc, model, "flat", (4, 4), (4, 4), (4, 4), 0,
                             "does not walk a row")
    return [("near_swapped_sweep/flat", verdict)]


def main():
    rnnpoolc, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    configs = [case + (1, None) for case in CASES] + SPECIAL
    passed = failed = 0
    runs = [lambda c=c: run_config(rnnpoolc, workdir, *c, ENCODINGS) for c in configs]
    runs.append(lambda: swapped_sweep_case(rnnpoolc, workdir))
    for run in runs:
        for label, verdict in run():
            ok = verdict.startswith("ok")
            passed += ok
            failed += not ok
            print("%-48s %s %s" % (label, "PASS" if ok else "FAIL", verdict), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
