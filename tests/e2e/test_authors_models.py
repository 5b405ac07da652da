#!/usr/bin/python3
"""The RNNPool authors' models, end to end: re-creations of RPool_Face_M4,
RPool_Face_QVGA_monochrome and a two-RNNPool Visual Wake Words MobileNetV2
(tools/models/authors.py, written as the authors wrote them: nn.Unfold, RNNPool on every
patch, F.fold with a 1x1 kernel, replicate padding, L2Norm with expand_as, max-out
background, NHWC-flattened heads; the VWW model ends with an RNNPool over its 7x7 map
returning [N, 4*h2]), each exported by tools/models/export.py through the fold helper
(tools/rnnpool/torch_export.py) at opsets 11, 13 and 17 (the M4 detector also with the
authors' per-patch cat / unbind batching, at opset 13).

  test_authors_models.py RNNPOOLC WORKDIR [NAME_SUBSTRING]

For every model and opset:
  - the export succeeds (PyTorch alone cannot export F.fold);
  - `inspect --json`: every RNNPool layer recognised (the expected count, no near miss),
    the broadcast L2Norm scales kept small (parameters below the expected bound), and the
    `backends` lists present;
  - `run --board host` (float interpreter) matches PyTorch within 1e-5 of the output range
    on every output.
At FIXED_OPSET, the fixed-point build on the model's board:
  - a model of PENDING must fail with exactly one error line (exit 2) ending in its
    expected text, and `inspect` must list that same node for the int8 backend; the test
    fails when it starts to compile, so that it moves out of PENDING;
  - any other model: `run --board BOARD --calib DIR --json --output Q` reports host_match
    (QEMU == host fixed point, byte for byte) and Q equals `run --board host --fixed`'s
    outputs; fixed point vs the float interpreter within the bounds below, in output
    steps (documented in docs/numbers.md; the face detectors' L2Norm'd heads amplify the
    input's own rounding like the zoo's branchy model).
Also: `run --board ... --output FILE` on a model with two outputs writes FILE_0, FILE_1;
a missing fixed-point kernel suggests --float only where the float build has the op, and
`inspect` lists what each backend cannot compile.
"""
import json
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPORT = os.path.join(ROOT, "tools", "models", "export.py")
OPSETS = (11, 13, 17)
FIXED_OPSET = 13
CALIB = 4
FLOAT_TOLERANCE = 1e-5
STEP = re.compile(r"fixed-point (\S+): max \|fixed - float\| \S+ \(\S+ output steps of (\S+)\)")


class Authors:
    """One model of tools/models/authors.py: how many RNNPool layers it has, an upper bound
    on its parameter count (broadcast constants kept small), its board, and the fixed-point
    error bound in output steps (the p99 over all output values, and the max)."""

    def __init__(self, name, rnnpools, max_params, board, p99_steps, max_steps,
                 opsets=OPSETS, streamed=False):
        self.name, self.rnnpools, self.max_params, self.board = name, rnnpools, max_params, board
        self.p99_steps, self.max_steps, self.opsets = p99_steps, max_steps, opsets
        self.streamed = streamed  # also two frames streamed in one QEMU run


MODELS = [
    # On netduinoplus2 (128 KB of SRAM) since regions span the heads: a 115,552-byte arena.
    Authors("rpool_face_m4", 1, 60000, "netduinoplus2", 8.0, 16.0),
    # The same with the authors' own per-patch cat / unbind and stack / split (3,043 nodes
    # become one RNNPool): recognition and float only, the canonical graph is the same.
    Authors("rpool_face_m4_unbind", 1, 60000, None, 0, 0, opsets=(13,)),
    # On netduinoplus2 since the swap of the RNNPool output's halves (a channel Split and
    # Concat, run whole: 144,768 B) folds into the next conv's weights: a 93,120-byte arena.
    Authors("rpool_face_qvga_mono", 1, 110000, "netduinoplus2", 8.0, 16.0),
    # The authors' own configuration at 320x240 (ten blocks of expansion 6, 2.3 G MACs): its
    # flat outputs' concatenation is one row of 48,000 columns (steps' regions are int32),
    # and its 481,632-byte arena needs the larger board. One opset: 3.3 G instructions.
    Authors("rpool_face_qvga", 1, 1200000, "mps2-an386", 8.0, 16.0, opsets=(13,)),
    # The authors' RPool_Face_C at 320x240: the RNNPool on RGB, fifteen blocks down to a 2x3
    # map, heads of 5x5 / 1x1 / 3x3 over up to 320 channels (windows of 3 x 3 x 160 and more
    # once overran the Cortex-M4 conv's column buffer).
    Authors("rpool_face_c", 1, 1800000, "mps2-an386", 8.0, 16.0, opsets=(13,)),
    # RPool_Face_Quant's structure: a source (and heads of stride 2) before the RNNPool,
    # five stages down to a 2x3 map; streamed too.
    Authors("rpool_face_quant", 1, 200000, "mps2-an386", 8.0, 16.0, opsets=(13,),
            streamed=True),
    # Its RNNPool patch grid stops 4 input rows short of the bottom: streamed, model_run()
    # must still ask for those rows, or the second frame starts inside the first.
    Authors("vww_rnnpool", 2, 40000, "netduinoplus2", 4.0, 6.0, streamed=True),
]

# Models whose fixed-point build does not compile yet: name -> the end of the expected one-line
# error of `rnnpoolc run --board`. When a model starts to compile, this test fails: remove its
# line here. Every model of this test compiles today.
PENDING = {}


def run(cmd, timeout=900):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def export_model(name, out_dir, opset=13):
    """tools/models/export.py's export_model, in this process (torch is imported once for
    all the exports)."""
    import warnings
    sys.path.insert(0, os.path.dirname(EXPORT))
    import export as models_export
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return models_export.export_model(name, out_dir, opset)
    except Exception as e:  # an export failure is a test failure, with its message
        raise AssertionError("export failed: %s: %s" % (type(e).__name__, e))


def export(model, opset, out_dir):
    export_model(model.name, out_dir, opset)
    expected = sorted(f for f in os.listdir(out_dir) if f.startswith("expected_"))
    return (os.path.join(out_dir, model.name + ".onnx"), os.path.join(out_dir, "input.npy"),
            [np.load(os.path.join(out_dir, f)) for f in expected])


def outputs_of(path, count):
    """The files `--output path` writes for `count` outputs."""
    if count == 1:
        return [np.load(path)]
    stem, ext = os.path.splitext(path)
    return [np.load("%s_%d%s" % (stem, k, ext)) for k in range(count)]


def write_calibration(out_dir, x):
    calib = os.path.join(out_dir, "calib")
    os.makedirs(calib, exist_ok=True)
    rng = np.random.default_rng(7)
    np.save(os.path.join(calib, "sample_00.npy"), x)
    for k in range(1, CALIB):
        np.save(os.path.join(calib, "sample_%02d.npy" % k),
                (rng.random(x.shape) * 2 - 1).astype(np.float32))
    return calib


def check_fixed(rnnpoolc, model, onnx_path, x_path, count, out_dir, check, int8_gaps):
    """The fixed-point part, at one opset. int8_gaps: inspect's int8 C problems."""
    calib = write_calibration(out_dir, np.load(x_path))
    q = os.path.join(out_dir, "qemu.npy")
    p = run([rnnpoolc, "run", onnx_path, "--input", x_path, "--board", model.board, "--calib",
             calib, "--json", "--output", q], timeout=1800)
    lines = [l for l in p.stderr.splitlines() if l.strip() and not l.startswith("warning")]
    if model.name in PENDING:
        want = PENDING[model.name]
        ok = p.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and \
            lines[0].endswith(want)
        check("%s: fixed point not yet: one error line ending in %r" % (model.name, want), ok,
              "exit %d: %s" % (p.returncode, p.stderr.strip()[-600:]))
        check("%s: inspect lists that problem for int8 C, with %d more" % (
            model.name, max(0, len(int8_gaps) - 1)),
            ok and any(gap in lines[0] for gap in int8_gaps), "int8 gaps: %s" % int8_gaps)
        return
    check("%s: inspect lists no int8 C problem" % model.name, not int8_gaps, str(int8_gaps))
    if p.returncode != 0:
        check("%s: runs on %s" % (model.name, model.board), False, p.stderr.strip()[-600:])
        return
    report = json.loads(p.stdout)
    check("%s: QEMU %s == host fixed point, byte for byte (%d instructions)" % (
        model.name, model.board, report["instructions"]), report["host_match"])
    if model.streamed:
        x = np.load(x_path)
        frames = os.path.join(out_dir, "two_frames.npy")
        np.save(frames, np.concatenate([x, x[:, :, ::-1]]).astype(np.float32))
        p = run([rnnpoolc, "run", onnx_path, "--input", frames, "--board", model.board,
                 "--calib", calib, "--stream-input", "--json"], timeout=1800)
        ok = p.returncode == 0 and json.loads(p.stdout)
        check("%s: two frames streamed in one QEMU run == host fixed point" % model.name,
              ok and ok["inferences"] == 2 and ok["host_match"], p.stderr.strip()[-600:])
    f = os.path.join(out_dir, "fixed.npy")
    p = run([rnnpoolc, "run", onnx_path, "--input", x_path, "--board", "host", "--fixed",
             "--calib", calib, "--output", f])
    if p.returncode != 0:
        check("%s: runs in host fixed point" % model.name, False, p.stderr.strip())
        return
    steps = [float(m.group(2)) for m in STEP.finditer(p.stdout)]
    fixed, qemu = outputs_of(f, count), outputs_of(q, count)
    check("%s: the QEMU output files == host fixed point" % model.name,
          all(np.array_equal(a, b) for a, b in zip(fixed, qemu)))
    g = os.path.join(out_dir, "float.npy")
    run([rnnpoolc, "run", onnx_path, "--input", x_path, "--board", "host", "--output", g])
    for k, (fx, fl) in enumerate(zip(fixed, outputs_of(g, count))):
        err = np.abs(fx.astype(np.float64) - fl) / steps[k]
        p99, worst = float(np.percentile(err, 99)), float(err.max())
        check("%s: output %d fixed vs float p99 %.2f <= %.1f, max %.2f <= %.1f output steps" % (
            model.name, k, p99, model.p99_steps, worst, model.max_steps),
            p99 <= model.p99_steps and worst <= model.max_steps)


def check_model(rnnpoolc, model, opset, work, check):
    out_dir = os.path.join(work, "%s_opset%d" % (model.name, opset))
    os.makedirs(out_dir, exist_ok=True)
    tag = "%s opset %d" % (model.name, opset)
    try:
        onnx_path, x_path, expected = export(model, opset, out_dir)
    except AssertionError as e:
        check("%s: exports through the fold helper" % tag, False, str(e))
        return
    p = run([rnnpoolc, "inspect", onnx_path, "--json"])
    if p.returncode != 0:
        check("%s: inspect" % tag, False, p.stderr.strip())
        return
    info = json.loads(p.stdout)
    check("%s: %d RNNPool layer(s) recognised, no near miss" % (tag, model.rnnpools),
          len(info["rnnpool"]) == model.rnnpools and not info["near_misses"],
          "rnnpool %s, near misses %s" % ([r["name"] for r in info["rnnpool"]],
                                          info["near_misses"]))
    check("%s: %d parameters <= %d (broadcast constants kept small)" % (
        tag, info["params"], model.max_params), info["params"] <= model.max_params)
    gaps = info.get("backends", {})
    check("%s: inspect lists both backends" % tag, set(gaps) == {"int8", "float"})
    out = os.path.join(out_dir, "host.npy")
    p = run([rnnpoolc, "run", onnx_path, "--input", x_path, "--board", "host", "--output", out])
    if p.returncode != 0:
        check("%s: host float run" % tag, False, p.stderr.strip())
        return
    got = outputs_of(out, len(expected))
    for k, (y, want) in enumerate(zip(got, expected)):
        err = float(np.abs(y.astype(np.float64) - want).max()) / max(1.0, float(np.abs(want).max()))
        check("%s: output %d %s, host float vs PyTorch %.2g <= %g" % (
            tag, k, list(want.shape), err, FLOAT_TOLERANCE),
            y.shape == want.shape and err <= FLOAT_TOLERANCE)
    if opset == FIXED_OPSET and model.board:
        check_fixed(rnnpoolc, model, onnx_path, x_path, len(expected), out_dir, check,
                    [g["error"] for g in gaps.get("int8", [])])


def check_board_outputs(rnnpoolc, work, check):
    """`run --board ... --output FILE` on a model with two outputs (the zoo's branchy, which
    compiles today) writes FILE_0 and FILE_1, as the host run does, equal to its bytes."""
    out_dir = os.path.join(work, "two_outputs")
    try:
        export_model("branchy", out_dir)
    except AssertionError as e:
        check("two outputs: export branchy", False, str(e))
        return
    onnx_path, x = os.path.join(out_dir, "branchy.onnx"), os.path.join(out_dir, "input.npy")
    q, f = os.path.join(out_dir, "q.npy"), os.path.join(out_dir, "f.npy")
    p = run([rnnpoolc, "run", onnx_path, "--input", x, "--board", "mps2-an386", "--calib", x,
             "--output", q])
    p2 = run([rnnpoolc, "run", onnx_path, "--input", x, "--board", "host", "--fixed", "--calib",
              x, "--output", f])
    try:
        ok = p.returncode == 0 and p2.returncode == 0 and not os.path.exists(q) and all(
            np.array_equal(a, b) for a, b in zip(outputs_of(q, 2), outputs_of(f, 2)))
    except FileNotFoundError:
        ok = False
    check("two outputs: run --board mps2-an386 --output q.npy writes q_0.npy and q_1.npy, "
          "equal to the host fixed-point outputs", ok, (p.stderr + p2.stderr).strip()[-600:])


def conv_then(op, path, arity=1, **attrs):
    """A Conv followed by one `op` node named 'the_op' reading the conv's output `arity`
    times, written with onnx.helper."""
    import onnx
    from onnx import TensorProto, helper
    w = np.random.default_rng(1).random((3, 3, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node(op, ["c"] * arity, ["y"], name="the_op", **attrs)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [helper.make_tensor("w", TensorProto.FLOAT, [3, 3, 3, 3], w.ravel())])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def check_hints(rnnpoolc, work, check):
    """A missing fixed-point kernel suggests --float only when the float build has the op;
    inspect lists what each backend cannot compile."""
    out_dir = os.path.join(work, "hints")
    os.makedirs(out_dir, exist_ok=True)
    x = os.path.join(out_dir, "x.npy")
    np.save(x, np.random.default_rng(2).random((1, 3, 4, 4)).astype(np.float32))
    cases = [("Sub", 2, "; use the float build (--float)", "compiles every node"),
             ("Sum", 3, "; the float build (--float) has no kernel for it either",
              "cannot compile yet (1 problem): node 'the_op' (Sum): has no float kernel")]
    for op, arity, hint, float_line in cases:
        path = os.path.join(out_dir, op + ".onnx")
        conv_then(op, path, arity)
        p = run([rnnpoolc, "compile", path, "-o", os.path.join(out_dir, op), "--calib", x])
        want = "error: %s: node 'the_op' (%s): has no fixed-point kernel yet%s" % (path, op, hint)
        check("%s: compile says %r" % (op, hint), p.returncode == 2 and
              p.stderr.strip().splitlines() == [want] and
              not os.path.exists(os.path.join(out_dir, op)), p.stderr.strip())
        p = run([rnnpoolc, "inspect", path])
        lines = {l[:11].strip(): l[11:] for l in p.stdout.splitlines()
                 if l.startswith(("int8 C", "float C"))}
        check("%s: inspect lists it for int8 C and %r for float C" % (op, float_line),
              lines.get("int8 C") == "cannot compile yet (1 problem): node 'the_op' (%s): has "
              "no fixed-point kernel yet" % op and
              lines.get("float C", "").startswith(float_line), str(lines))


def main(rnnpoolc, work, only=""):
    os.makedirs(work, exist_ok=True)
    failures = []

    def check(name, cond, detail=""):
        print("%s: %s%s" % ("ok" if cond else "FAIL", name,
                            (" (%s)" % detail) if detail and not cond else ""))
        sys.stdout.flush()
        if not cond:
            failures.append(name)

    for model in MODELS:
        if only not in model.name:
            continue
        for opset in model.opsets:
            check_model(rnnpoolc, model, opset, work, check)
    if not only:
        check_hints(rnnpoolc, work, check)
        check_board_outputs(rnnpoolc, work, check)
    for name in PENDING:
        check("pending %s is a model of this test" % name, name in [m.name for m in MODELS])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""))
