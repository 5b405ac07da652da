#!/usr/bin/python3
"""Writes the fuzzing seed corpus: valid ONNX models that reach every stage of rnnpoolc.

  make_corpus.py OUT_DIR [--quick]

OUT_DIR/models/NAME.onnx for: the committed examples, small models of tools/models/zoo.py
(exported at opsets 9, 13 and 17, with BatchNorm kept, shape plumbing kept and a symbolic
batch), RNNPool layers in all three encodings (tools/rnnpool/export.py), and the ONNX node
conformance cases that rnnpoolc passes (those not in tests/conformance/expected_skips.txt).
Each seed also gets OUT_DIR/inputs/NAME.npy, an input for `rnnpoolc run` (the first graph input,
uniform in [-1, 1)), when its first input has a static float shape. Models over 64 KiB are
left out (libFuzzer's -max_len). --quick skips the node cases (which take ~20 s to collect).
Nothing is committed: the corpus is made at test time (docs/testing.md, "Fuzzing").
"""
import argparse
import contextlib
import importlib.util
import io
import os
import shutil
import sys
import warnings

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_BYTES = 64 * 1024

# (zoo model, opset, export flags); the zoo's big models (224x224, 320x240) stay out.
ZOO = [
    ("small_cnn", 13, ()), ("small_cnn", 9, ("--keep-batchnorm",)),
    ("small_cnn", 17, ("--no-constant-folding", "--dynamic-batch")),
    ("conv_net", 13, ()), ("inverted_residual", 13, ()), ("inverted_residual", 11, ("--keep-batchnorm",)),
    ("rnnpool_classifier", 13, ()), ("rnnpool_small", 13, ()), ("branchy", 13, ()),
    ("l2norm_small", 13, ()), ("l2norm_small", 17, ("--no-constant-folding",)),
]
# tools/rnnpool/export.py arguments (small layers: the flat encoding unrolls every step).
RNNPOOL = [
    ("rnnpool_node", ["--encoding", "node", "--input-shape", "1x2x8x8", "--patch", "4", "4",
                      "--stride", "4", "4", "--hidden", "4", "4"]),
    ("rnnpool_node_conv", ["--encoding", "node", "--input-shape", "1x1x12x12", "--patch", "4",
                           "4", "--stride", "2", "2", "--hidden", "4", "4", "--conv-before",
                           "--gate", "quantSigm", "--update", "quantTanh"]),
    ("rnnpool_function", ["--encoding", "function", "--input-shape", "1x2x6x6", "--patch", "3",
                          "3", "--stride", "3", "3", "--hidden", "3", "3"]),
    ("rnnpool_flat", ["--encoding", "flat", "--input-shape", "1x2x4x4", "--patch", "2", "2",
                      "--stride", "2", "2", "--hidden", "2", "2"]),
    ("rnnpool_flat_lowrank", ["--encoding", "flat", "--input-shape", "1x2x4x4", "--patch", "2",
                              "2", "--stride", "2", "2", "--hidden", "4", "2", "--rank-w", "1",
                              "--rank-u", "1"]),
    ("rnnpool_near_miss", ["--encoding", "flat", "--input-shape", "1x1x4x4", "--patch", "2", "2",
                           "--stride", "2", "2", "--hidden", "2", "2", "--near-miss",
                           "relu-update"]),
]


def input_for(model, path):
    """Saves PATH.npy: the model's first input, when it is float with a static shape."""
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    if not inputs or inputs[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        return
    dims = [d.dim_value if d.HasField("dim_value") else 1
            for d in inputs[0].type.tensor_type.shape.dim]
    if any(d <= 0 for d in dims) or int(np.prod(dims)) > 1 << 20:
        return
    rng = np.random.default_rng(len(path))
    name = os.path.basename(path)[:-5] + ".npy"
    np.save(os.path.join(os.path.dirname(os.path.dirname(path)), "inputs", name),
            (rng.random(dims) * 2 - 1).astype(np.float32))


def keep(out_dir, name, model):
    data = model.SerializeToString()
    if len(data) > MAX_BYTES:
        return False
    path = os.path.join(out_dir, "models", name + ".onnx")
    with open(path, "wb") as f:
        f.write(data)
    input_for(model, path)
    return True


def load_tool(name, path):
    """Imports a tools/ script as a module (both exporters are called export.py); its
    directory stays on sys.path for the imports it makes later (zoo.py imports rnnpool)."""
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def zoo_seeds(out_dir, tmp):
    sys.path.insert(0, os.path.join(ROOT, "tools", "rnnpool"))
    zoo_export = load_tool("zoo_export", os.path.join(ROOT, "tools", "models", "export.py"))
    for model, opset, flags in ZOO:
        sys.argv = ["export.py", model, "-o", tmp, "--opset", str(opset), *flags]
        with contextlib.redirect_stdout(io.StringIO()):
            zoo_export.main()
        name = "zoo_%s_op%d%s" % (model, opset, "".join(f.replace("-", "_") for f in flags))
        keep(out_dir, name, onnx.load(os.path.join(tmp, model + ".onnx")))
    rnnpool_export = load_tool("rnnpool_export",
                               os.path.join(ROOT, "tools", "rnnpool", "export.py"))
    for name, args in RNNPOOL:
        path = os.path.join(tmp, name + ".onnx")
        with contextlib.redirect_stdout(io.StringIO()):
            rnnpool_export.main(args + ["-o", path])
        keep(out_dir, name, onnx.load(path))


def node_seeds(out_dir):
    # onnx 1.12's generators use numpy aliases that numpy 1.24 removed.
    for alias, builtin in (("float", float), ("int", int), ("bool", bool), ("object", object)):
        if alias not in np.__dict__:
            setattr(np, alias, builtin)
    from onnx.backend.test.case import node  # noqa: E402
    skips = set()
    with open(os.path.join(ROOT, "tests", "conformance", "expected_skips.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                skips.add(line.split()[0])
    count = 0
    for case in node.collect_testcases(None):
        if case.name not in skips and keep(out_dir, "node_" + case.name[len("test_"):], case.model):
            count += 1
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--quick", action="store_true", help="no ONNX node cases")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    os.makedirs(os.path.join(args.out_dir, "models"), exist_ok=True)
    os.makedirs(os.path.join(args.out_dir, "inputs"), exist_ok=True)
    for example in ("small_cnn", "fashion_rnnpool"):
        keep(args.out_dir, "example_" + example,
             onnx.load(os.path.join(ROOT, "examples", example, "model.onnx")))
    tmp = os.path.join(args.out_dir, ".export")
    zoo_seeds(args.out_dir, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    if not args.quick:
        node_seeds(args.out_dir)
    seeds = os.listdir(os.path.join(args.out_dir, "models"))
    print("make_corpus: %d seed models in %s" % (len(seeds), args.out_dir))


if __name__ == "__main__":
    main()
