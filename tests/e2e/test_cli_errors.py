#!/usr/bin/python3
"""Bad input never crashes rnnpoolc: each case must exit with status 2, print exactly one
line "error: FILE: ..." naming the file (and the node, where there is one), and write
nothing. Bad flags (unknown, without a value, a bad number, two models or none) give one
"error: COMMAND: ..." line naming the flag, with status 2; --help exits 0.

  test_cli_errors.py RNNPOOLC WORKDIR
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def model(nodes, inputs, outputs, initializers=(), opset=13, check=False):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="tests")
    m.ir_version = 8
    if check:
        onnx.checker.check_model(m)
    return m


def vi(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def relu_model(shape=(1, 3, 4, 4)):
    return model([helper.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", shape)],
                 [vi("y", shape)])


def save(workdir, name, m):
    path = os.path.join(workdir, name)
    with open(path, "wb") as f:
        f.write(m if isinstance(m, bytes) else m.SerializeToString())
    return path


def cases(workdir):
    """Yields (label, argv after 'rnnpoolc', phrases the message must contain)."""
    good = save(workdir, "good.onnx", relu_model())
    yield "missing file", ["inspect", os.path.join(workdir, "nope.onnx")], ["nope.onnx"]
    yield "directory", ["inspect", workdir], [workdir]
    yield "not protobuf", ["inspect", save(workdir, "random.onnx", os.urandom(3000))], ["ONNX"]
    data = open(good, "rb").read()
    yield "truncated", ["inspect", save(workdir, "half.onnx", data[: len(data) // 2])], []
    yield "empty", ["inspect", save(workdir, "empty.onnx", b"")], []

    bad_attr = model([helper.make_node("Relu", ["x"], ["y"], name="r", bogus=3)],
                     [vi("x", [1, 3])], [vi("y", [1, 3])])
    yield "checker", ["inspect", save(workdir, "checker.onnx", bad_attr)], ["checker"]

    cycle = model([helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
                   helper.make_node("Relu", ["a"], ["b"], name="n2")],
                  [vi("x", [1, 3])], [vi("b", [1, 3])])
    yield "cycle", ["inspect", save(workdir, "cycle.onnx", cycle)], []

    undefined = model([helper.make_node("Add", ["x", "w"], ["y"], name="adder")],
                      [vi("x", [1, 3])], [vi("y", [1, 3])])
    yield "missing initializer", ["inspect", save(workdir, "undef.onnx", undefined)], ["w"]

    unsupported = model([helper.make_node("NonZero", ["x"], ["i"], name="nz1"),
                         helper.make_node("Det", ["x"], ["d"], name="det1"),
                         helper.make_node("NonZero", ["x"], ["j"], name="nz2")],
                        [vi("x", [3, 3])], [vi("i", None, TensorProto.INT64), vi("d", None),
                                            vi("j", None, TensorProto.INT64)])
    yield ("unsupported ops", ["inspect", save(workdir, "unsup.onnx", unsupported)],
           ["NonZero", "Det", "nz1", "nz2", "det1"])

    m = relu_model()
    m.opset_import[0].version = 18
    yield "opset too new", ["inspect", save(workdir, "opset18.onnx", m)], ["18", "opset"]

    mismatch = model([helper.make_node("Add", ["x", "w"], ["y"], name="adder")],
                     [vi("x", [1, 3])], [vi("y", [1, 3])],
                     [numpy_helper.from_array(np.ones((1, 4), np.float32), "w")])
    yield "shape mismatch", ["inspect", save(workdir, "mismatch.onnx", mismatch)], ["adder"]

    for label, dims in (("zero dim", [1, 0, 4]), ("negative dim", [1, -3, 4]),
                        ("overflowing dims", [1 << 40, 1 << 40, 1 << 40])):
        yield label, ["inspect", save(workdir, label.replace(" ", "_") + ".onnx",
                                      relu_model(dims))], []

    symbolic = relu_model(["N", 3, "H", 4])
    yield "symbolic dim", ["inspect", save(workdir, "symbolic.onnx", symbolic)], ["--input-shape"]

    pad = model([helper.make_node("Pad", ["x", "p"], ["y"], name="padder", mode="wrap")],
                [vi("x", [1, 3])], [vi("y", [1, 5])],
                [numpy_helper.from_array(np.array([0, 1, 0, 1], np.int64), "p")])
    yield "bad attribute value", ["inspect", save(workdir, "pad.onnx", pad)], ["padder", "wrap"]

    big = model([helper.make_node("ConstantOfShape", ["s"], ["y"], name="huge")],
                [], [vi("y", None)],
                [numpy_helper.from_array(np.array([1 << 20, 1 << 20, 1 << 20], np.int64), "s")])
    yield "huge constant", ["inspect", save(workdir, "huge.onnx", big)], ["huge"]

    ext = relu_model()
    w = numpy_helper.from_array(np.ones((1, 3, 4, 4), np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="../../etc/passwd")
    ext.graph.initializer.append(w)
    ext.graph.node[0].input[0] = "w"
    yield "external data traversal", ["inspect", save(workdir, "ext.onnx", ext)], ["directory"]

    wrong = os.path.join(workdir, "wrong_shape.npy")
    np.save(wrong, np.zeros((1, 3, 5, 5), np.float32))
    out = os.path.join(workdir, "must_not_exist.npy")
    yield ("input of the wrong shape", ["run", good, "--input", wrong, "--output", out],
           ["wrong_shape.npy", "1x3x4x4"])
    garbage = save(workdir, "garbage.npy", b"\x93NUMPY garbage")
    yield "malformed npy", ["run", good, "--input", garbage, "--output", out], ["garbage.npy"]
    yield "unknown option", ["inspect", good, "--frobnicate"], ["--frobnicate"]

    # compile: nothing is written when the options or the plan fail (out is the would-be DIR).
    fashion = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "examples", "fashion_rnnpool")
    fmodel = os.path.join(fashion, "model.onnx")
    yield ("compile: bad percentile", ["compile", fmodel, "-o", out, "--calib", fashion,
                                       "--calib-percentile", "40"], ["--calib-percentile"])
    yield ("compile: RAM budget too small", ["compile", fmodel, "-o", out, "--calib", fashion,
                                            "--ram-budget", "512"], ["512 bytes", "--ram-budget"])
    batch = os.path.join(workdir, "batch.npy")
    np.save(batch, np.zeros((3,) + np.load(os.path.join(fashion, "image_0.npy")).shape[1:],
                            np.float32))
    yield ("run --fixed: a batch file", ["run", fmodel, "--input", batch, "--fixed", "--calib",
                                         fashion, "--output", out],
           ["batch.npy", "batch of 3", "one at a time", "--board"])
    nan = os.path.join(workdir, "nan_calib.npy")
    image = np.load(os.path.join(fashion, "image_0.npy"))
    np.save(nan, np.full(image.shape, np.nan, np.float32))
    yield ("compile: NaN calibration data", ["compile", fmodel, "-o", out, "--calib", nan],
           ["nan_calib.npy", "NaN"])
    dynamic = model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv_in")],
                    [vi("x", [1, 3, 8, 8]), vi("w", [4, 3, 3, 3])], [vi("y", [1, 4, 6, 6])])
    dyn = save(workdir, "weights_input.onnx", dynamic)
    for extra in ([], ["--float"]):
        yield ("compile%s: weights as a graph input" % " ".join([""] + extra),
               ["compile", dyn, "-o", out] + extra, ["conv_in", "'w'", "initializers"])
    # A detection head's maps flattened and concatenated: refused with the export to use.
    flatcat = model([helper.make_node("Relu", ["x"], ["r"], name="act"),
                     helper.make_node("Reshape", ["r", "s1"], ["f1"], name="flat1"),
                     helper.make_node("Reshape", ["x", "s1"], ["f2"], name="flat2"),
                     helper.make_node("Concat", ["f1", "f2"], ["y"], name="heads", axis=2)],
                    [vi("x", [1, 3, 4, 4])], [vi("y", [1, 3, 32])],
                    [numpy_helper.from_array(np.array([1, 3, 16], np.int64), "s1")])
    flatcat = save(workdir, "flatcat.onnx", flatcat)
    flat_calib = os.path.join(workdir, "flatcat_calib.npy")
    np.save(flat_calib, np.random.RandomState(0).uniform(-1, 1, (2, 3, 4, 4)).astype(np.float32))
    for extra in (["--calib", flat_calib], ["--float"]):
        yield ("compile%s: flattened heads concatenated" % " ".join([""] + extra[:1]),
               ["compile", flatcat, "-o", out] + extra, ["heads", "permute(0, 2, 3, 1)"])
    two = model([helper.make_node("Add", ["a", "b"], ["y"], name="sum")],
                [vi("a", [1, 3, 4, 4]), vi("b", [1, 3, 4, 4])], [vi("y", [1, 3, 4, 4])])
    two = save(workdir, "two_inputs.onnx", two)
    cal = os.path.join(workdir, "two_calib.npy")
    np.save(cal, np.zeros((2, 3, 4, 4), np.float32))
    yield ("compile: one --calib for two inputs", ["compile", two, "-o", out, "--calib", cal],
           ["two_calib.npy", "'a', 'b'", "NAME=FILE|DIR"])
    yield ("compile: --calib for one of two inputs", ["compile", two, "-o", out, "--calib",
                                                     "a=" + cal], ["input 'b'"])
    # Flags (CLI11, one parser per subcommand): unknown, without a value, a bad number, a
    # second model, no model; the message names the flag or the command.
    for command in ("inspect", "plan", "run", "compile"):
        yield ("%s: unknown option" % command, [command, good, "--frobnicate"],
               ["--frobnicate", "rnnpoolc %s" % command])
        yield ("%s: two models" % command, [command, good, good], ["one model at a time"])
        yield "%s: no model" % command, [command], ["missing MODEL.onnx"]
        yield ("%s: flag without value" % command, [command, good, "--input-shape"],
               ["--input-shape needs a value"])
        yield ("%s: bad input shape" % command, [command, good, "--input-shape", "x=1xQ"],
               ["bad shape"])
    yield ("board: unknown option", ["run", good, "--board", "mps2-an386", "--frobnicate"],
           ["--frobnicate", "--board mps2-an386 --help"])
    yield ("board: bad timeout", ["run", good, "--board", "mps2-an386", "--input", wrong,
                                  "--timeout", "soon"], ["--timeout", "soon"])
    for command in ("plan", "compile"):
        yield ("%s: bad RAM budget" % command, [command, good, "-o", out, "--ram-budget", "lots"]
               if command == "compile" else [command, good, "--ram-budget", "lots"],
               ["--ram-budget", "lots"])
        yield ("%s: bad MAC overhead" % command,
               [command, good, "--mac-overhead=-5%"] + (["-o", out] if command == "compile"
                                                          else []), ["--mac-overhead", "-5%"])
    yield "compile: no output", ["compile", good], ["-o DIR"]
    yield ("run: output without value", ["run", good, "--input", wrong, "--output"],
           ["--output needs a value"])
    yield ("run board: a float build over its RAM budget", ["run", fmodel, "--input",
                                                            os.path.join(fashion, "image_0.npy"),
                                                            "--board", "mps2-an386", "--float",
                                                            "--stream-input", "--ram-budget",
                                                            "1K"],
           ["no plan fits in 1024 bytes"])


def main():
    rnnpoolc, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    failed = total = 0
    for label, argv, phrases in cases(workdir):
        total += 1
        r = subprocess.run([rnnpoolc] + argv, capture_output=True, text=True, timeout=120)
        lines = r.stderr.strip().splitlines()
        errors = [line for line in lines if not line.startswith("note: ")]
        problems = []
        if r.returncode != 2:
            problems.append("exit status %d" % r.returncode)
        if len(errors) != 1 or not errors[0].startswith("error: "):
            problems.append("stderr is not one error line: %r" % r.stderr[:300])
        for phrase in phrases:
            if phrase not in r.stderr:
                problems.append("message lacks %r" % phrase)
        if os.path.exists(os.path.join(workdir, "must_not_exist.npy")):
            problems.append("an output file was written")
        failed += bool(problems)
        print("%-4s %-26s %s" % ("FAIL" if problems else "ok", label,
                                 "; ".join(problems) if problems else (errors or [""])[0]))
    # --help prints the subcommand's help on stdout and exits 0, whatever follows it.
    for argv in (["inspect", "--help"], ["plan", "-h"], ["run", "--help"],
                 ["run", "--board", "mps2-an386", "--help"], ["compile", "--help"]):
        total += 1
        r = subprocess.run([rnnpoolc] + argv, capture_output=True, text=True, timeout=60)
        ok = r.returncode == 0 and r.stdout.startswith("usage: rnnpoolc ") and not r.stderr
        failed += not ok
        print("%-4s %-26s %s" % ("ok" if ok else "FAIL", " ".join(argv),
                                 "" if ok else "status %d, stderr %r" % (r.returncode,
                                                                         r.stderr[:200])))
    print("%d passed, %d failed" % (total - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
