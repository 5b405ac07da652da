#!/usr/bin/python3
"""Whole models in QEMU: for every model of MODELS, generated C on its board equals the host
fixed-point interpreter byte for byte, and the fixed-point outputs stay within stated
numbers of output quantisation steps of the float interpreter. Models that do not compile in
fixed point yet (PENDING) must fail with their expected one-line error, so that the lists
are updated when they start working. Also checks the progress line on a terminal. Prints a
table of the errors.

  test_qemu_zoo.py RNNPOOLC WORKDIR [NAME_SUBSTRING]

For each model the test writes INPUTS seeded inputs uniform in [-1, 1), calibrates on them
and CALIB_EXTRA more (--calib DIR of .npy files), and runs
  rnnpoolc run MODEL --input BATCH --board BOARD --calib DIR --json --output Q
  rnnpoolc run MODEL --input X_b --board host --output F_b              (float interpreter)
  rnnpoolc run MODEL --input X_b --board host --fixed --calib DIR --output F2_b
  rnnpoolc run MODEL --input R_b --board host --output G_b    (float, input rounded to int8)
and asserts host_match, Q == F2 (the files, value for value), and bounds on
  total  = max |F2 - F| / output scale   (output steps; over all inputs)
  kernel = max |F2 - G| / output scale   (the kernels' arithmetic alone)
Classifiers also report argmax agreement (flips allowed only at near ties). The test inputs
are part of the calibration set on purpose: the bounds are about the arithmetic (rounding
in every layer), not about how well a few random inputs cover the ranges of unseen ones
(that is saturation, not a bug).
"""
import json
import os
import pty
import re
import select
import subprocess
import sys
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZOO_EXPORT = os.path.join(ROOT, "tools", "models", "export.py")
RNNPOOL_EXPORT = os.path.join(ROOT, "tools", "rnnpool", "export.py")
INPUTS = 4       # test inputs per model (one QEMU run over the batch)
CALIB_EXTRA = 4  # further calibration inputs

# Error bounds in output steps (one step = the output tensor's scale), each checked twice:
# "kernel" = fixed point against the float model on the input rounded to its int8 grid (the
# arithmetic of the kernels alone), "total" = against the float model on the raw input.
#  - Conv nets: each requantisation rounds to the nearest step (<= 0.5 step where it
#    happens) and an error of e steps in a layer's input reaches its output multiplied by
#    the layer's gain in step units, which is about 1 when every tensor's scale follows its
#    calibrated range. A chain of layers ends within ~2.5 steps (measured 0.5-2.3 up to
#    MobileNetV2's 52 layers); 4 steps leaves a factor of about two. The input's rounding
#    adds little here (the first conv averages it), so the total has the same bound.
#  - A lone RNNPool layer runs Q15 / Q12 internally (errors ~1e-4 per cell step) and rounds
#    once to int8 at its output: within ~1 step (measured 0.5-1.1); kernel bound 2. Its
#    output is sensitive to the input's own rounding, which the float model alone turns
#    into up to ~3.5 output steps (measured: the float model on the rounded input against
#    the raw one): total bound 6. A tanh gate (z in [-1, 1], so z * h can flip and grow the
#    state) amplifies it to ~9 steps: total bound 12. A wrong scale, a saturated state or a
#    wrong sweep would be off by far more.
#  - A softmax output has a fixed scale of 1/256 and squashes its input's errors.
CONV = dict(kernel_bound=4.0, total_bound=4.0)
POOL = dict(kernel_bound=2.0, total_bound=6.0)
POOL_TANH_GATE = dict(kernel_bound=2.0, total_bound=12.0)


class Model:
    """One model of the list: `export(dir)` writes it and returns (onnx path, input shape).
    Classifiers (outputs [1, classes]) also report argmax agreement."""

    def __init__(self, name, export, classifier, kernel_bound, total_bound,
                 board="mps2-an386"):
        self.name, self.export, self.classifier = name, export, classifier
        self.kernel_bound, self.total_bound, self.board = kernel_bound, total_bound, board


def zoo(name):
    """A model of tools/models/zoo.py, exported by tools/models/export.py."""
    def export(out_dir):
        subprocess.run([sys.executable, ZOO_EXPORT, name, "-o", out_dir], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return os.path.join(out_dir, name + ".onnx"), np.load(
            os.path.join(out_dir, "input.npy")).shape
    return export


def rnnpool(*flags, encoding="node"):
    """An RNNPool model written by tools/rnnpool/export.py with `flags`."""
    def export(out_dir):
        path = os.path.join(out_dir, "model.onnx")
        subprocess.run([sys.executable, RNNPOOL_EXPORT, "--encoding", encoding, "-o", path,
                        *flags], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return path, np.load(os.path.join(out_dir, "model_input.npy")).shape
    return export


def pool(gate, update, patch, stride, *more):
    return rnnpool("--gate", gate, "--update", update, "--patch", *map(str, patch),
                   "--stride", *map(str, stride), *more)


OVERLAP, DISJOINT = ((8, 8), (4, 4)), ((4, 4), (4, 4))

# The models that compile in fixed point today; extend freely.
MODELS = [
    Model("small_cnn", zoo("small_cnn"), True, **CONV),
    Model("conv_net", zoo("conv_net"), True, **CONV),
    Model("inverted_residual", zoo("inverted_residual"), True, **CONV),
    Model("mobilenet_v2_64", zoo("mobilenet_v2"), True, **CONV),
    Model("rnnpool_classifier", zoo("rnnpool_classifier"), True, **CONV),
    Model("l2norm_small", zoo("l2norm_small"), False, **CONV),
    Model("rnnpool_classifier netduinoplus2", zoo("rnnpool_classifier"), True,
          board="netduinoplus2", **CONV),
    Model("rnnpool sigmoid/tanh overlap", pool("sigmoid", "tanh", *OVERLAP), False, **POOL),
    Model("rnnpool sigmoid/tanh disjoint", pool("sigmoid", "tanh", *DISJOINT), False, **POOL),
    Model("rnnpool quantSigm/quantTanh overlap", pool("quantSigm", "quantTanh", *OVERLAP),
          False, **POOL),
    Model("rnnpool quantSigm/quantTanh disjoint", pool("quantSigm", "quantTanh", *DISJOINT),
          False, **POOL),
    Model("rnnpool sigmoid/quantTanh", pool("sigmoid", "quantTanh", *OVERLAP), False, **POOL),
    Model("rnnpool quantSigm/tanh", pool("quantSigm", "tanh", *DISJOINT), False, **POOL),
    Model("rnnpool tanh/tanh", pool("tanh", "tanh", *OVERLAP), False, **POOL_TANH_GATE),
    Model("rnnpool low rank sigmoid/tanh",
          pool("sigmoid", "tanh", *OVERLAP, "--rank-w", "2", "--rank-u", "4"), False, **POOL),
    Model("rnnpool low rank quantSigm/quantTanh",
          pool("quantSigm", "quantTanh", *DISJOINT, "--rank-w", "3", "--rank-u", "2"), False,
          **POOL),
    # Odd sizes everywhere: the DSP loops' pair tails, a dropped remainder, h1 != h2.
    Model("rnnpool odd sizes", rnnpool("--input-shape", "1x3x13x11", "--patch", "5", "3",
                                       "--stride", "3", "2", "--hidden", "7", "5"),
          False, **POOL),
    # RNNPool -> 1x1 conv 64 -> 8 -> RNNPool: a model with one conv, whose params GCC
    # propagates into the kernel (this once failed to build under -Werror).
    Model("rnnpool two layers sigmoid/quantTanh",
          rnnpool("--two-layers", "--gate", "sigmoid", "--update", "quantTanh"), False, **CONV),
    # Conv -> RNNPool -> conv -> RNNPool, in the flat encoding (recognised on import).
    Model("rnnpool conv + two layers (flat)",
          rnnpool("--conv-before", "--two-layers", "--input-shape", "1x2x32x32",
                  encoding="flat"), False, **CONV),
]

# Models that do not compile in fixed point yet: (name, export, the end of the expected
# one-line error, why). When one starts working, move it to MODELS.
PENDING = [
    # branchy, rnnpool_face and mobilenet_v2_rnnpool compile since the L2Norm, Mul, Split and
    # Pad kernels (tests/e2e/test_fixed_models.py runs them in QEMU).
]


def rnnpoolc_run(rnnpoolc, *args):
    p = subprocess.run([rnnpoolc, "run", *args], capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise AssertionError("rnnpoolc run %s failed: %s" % (" ".join(args), p.stderr.strip()))
    return p


def write_inputs(out_dir, shape, seed):
    """The test batch [INPUTS, ...], one file per test input, and the calibration dir."""
    rng = np.random.default_rng(seed)
    xs = (rng.random((INPUTS + CALIB_EXTRA,) + tuple(shape[1:])) * 2 - 1).astype(np.float32)
    calib = os.path.join(out_dir, "calib")
    os.makedirs(calib, exist_ok=True)
    for k, x in enumerate(xs):
        np.save(os.path.join(calib, "sample_%02d.npy" % k), x[None])
    singles = []
    for k in range(INPUTS):
        singles.append(os.path.join(out_dir, "x_%d.npy" % k))
        np.save(singles[-1], xs[k][None])
    batch = os.path.join(out_dir, "batch.npy")
    np.save(batch, xs[:INPUTS])
    return batch, singles, calib


STEP_LINE = re.compile(r"fixed-point \S+: max \|fixed - float\| \S+ \(\S+ output steps of (\S+)\)")


def input_quantisation(rnnpoolc, path, calib, out_dir):
    """(scale, zero point) of the model's int8 input, read from the header that
    `rnnpoolc compile` generates with the same calibration."""
    gen = os.path.join(out_dir, "gen")
    p = subprocess.run([rnnpoolc, "compile", path, "-o", gen, "--calib", calib],
                                capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError("rnnpoolc compile failed: %s" % p.stderr.strip())
    with open(os.path.join(gen, "model.h")) as f:
        header = f.read()
    scale = re.search(r"#define MODEL_INPUT0_SCALE (\S+)f", header).group(1)
    zp = re.search(r"#define MODEL_INPUT0_ZERO_POINT (\S+)", header).group(1)
    return float(scale), int(zp)


def round_input(x, scale, zp):
    """x rounded to the int8 grid of the input, as rp_quantize_f32_s8 does (round half away
    from zero, saturate), and back to float."""
    v = x.astype(np.float32) * np.float32(1.0 / scale)
    q = np.clip(np.trunc(v + np.where(v >= 0, 0.5, -0.5)) + zp, -128, 127)
    return (np.float32(scale) * (q - zp)).astype(np.float32)


def measure(rnnpoolc, model, out_dir, seed):
    """Runs one model on QEMU and on the host; returns a row of the report. Besides the
    error against the float model on the same input ("steps"), it measures the error against
    the float model on the input rounded to its int8 grid ("kernel steps"): that one is the
    arithmetic of the kernels alone; the difference is how much the model amplifies the
    input's own rounding, which no kernel can undo."""
    path, shape = model.export(out_dir)
    batch, singles, calib = write_inputs(out_dir, shape, seed)
    qemu_out = os.path.join(out_dir, "qemu.npy")
    p = rnnpoolc_run(rnnpoolc, path, "--input", batch, "--board", model.board, "--calib",
                     calib, "--json", "--output", qemu_out)
    report = json.loads(p.stdout)
    in_scale, in_zp = input_quantisation(rnnpoolc, path, calib, out_dir)
    floats, rounded, fixed, scale = [], [], [], None
    for k, x in enumerate(singles):
        f = os.path.join(out_dir, "float_%d.npy" % k)
        rnnpoolc_run(rnnpoolc, path, "--input", x, "--board", "host", "--output", f)
        xr = os.path.join(out_dir, "x_rounded_%d.npy" % k)
        np.save(xr, round_input(np.load(x), in_scale, in_zp))
        fr = os.path.join(out_dir, "float_rounded_%d.npy" % k)
        rnnpoolc_run(rnnpoolc, path, "--input", xr, "--board", "host", "--output", fr)
        f2 = os.path.join(out_dir, "fixed_%d.npy" % k)
        p = rnnpoolc_run(rnnpoolc, path, "--input", x, "--board", "host", "--fixed", "--calib",
                         calib, "--output", f2)
        steps = STEP_LINE.findall(p.stdout)
        if len(steps) != 1:
            raise AssertionError("expected one fixed-point error line, got: %s" % p.stdout)
        scale = float(steps[0])
        floats.append(np.load(f))
        rounded.append(np.load(fr))
        fixed.append(np.load(f2))
    floats, rounded, fixed = (np.concatenate(v).astype(np.float64)
                              for v in (floats, rounded, fixed))
    row = {"name": model.name, "inferences": report["inferences"],
           "host_match": report["host_match"], "instructions": report["instructions"],
           "qemu_equals_fixed": bool(np.array_equal(np.load(qemu_out), fixed)),
           "scale": scale, "steps": float(np.abs(fixed - floats).max() / scale),
           "kernel_steps": float(np.abs(fixed - rounded).max() / scale),
           "input_steps": float(np.abs(rounded - floats).max() / scale),
           "kernel_bound": model.kernel_bound, "total_bound": model.total_bound,
           "agree": None, "near_tie_only": True, "files": (path, batch, calib)}
    if model.classifier:
        want, got = floats.argmax(1), fixed.argmax(1)
        row["agree"] = int((want == got).sum())
        # A flip is allowed only where the float top two are closer than twice the error.
        top2 = np.sort(floats, axis=1)[:, -2:]
        margin = top2[:, 1] - top2[:, 0]
        worst = np.abs(fixed - floats).max()
        row["near_tie_only"] = bool(np.all((want == got) | (margin <= 2 * worst)))
    return row


def check_pending(rnnpoolc, name, export, expected, out_dir, seed):
    """A pending model must fail with exactly one error line ending in `expected`."""
    path, shape = export(out_dir)
    batch, _, calib = write_inputs(out_dir, shape, seed)
    p = subprocess.run([rnnpoolc, "run", path, "--input", batch, "--board", "mps2-an386",
                        "--calib", calib, "--json"], capture_output=True, text=True,
                       timeout=600)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    ok = p.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and \
        lines[0].endswith(expected)
    return ok, p.returncode, p.stderr.strip()


def progress_on_tty(rnnpoolc, path, batch, calib):
    """Runs a QEMU batch with stderr on a pseudo-terminal; returns what it printed there."""
    master, slave = pty.openpty()
    p = subprocess.Popen([rnnpoolc, "run", path, "--input", batch, "--board", "mps2-an386",
                          "--calib", calib, "--json"], stdout=subprocess.DEVNULL,
                         stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 600)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    p.wait(timeout=600)
    return p.returncode, seen.decode(errors="replace")


def main(rnnpoolc, work, only=""):
    os.makedirs(work, exist_ok=True)
    failures = []

    def check(name, cond, detail=""):
        print("%s: %s%s" % ("ok" if cond else "FAIL", name, (" (%s)" % detail) if detail else ""))
        sys.stdout.flush()
        if not cond:
            failures.append(name)

    rows = []
    for model in MODELS:
        seed = zlib.crc32(model.name.encode())  # stable when the list grows
        if only not in model.name:
            continue
        out_dir = os.path.join(work, re.sub(r"[^A-Za-z0-9]+", "_", model.name))
        os.makedirs(out_dir, exist_ok=True)
        try:
            row = measure(rnnpoolc, model, out_dir, seed)
        except (AssertionError, subprocess.SubprocessError, OSError) as e:
            check(model.name + ": runs", False, str(e))
            continue
        rows.append(row)
        check(model.name + ": %d inferences in QEMU" % INPUTS, row["inferences"] == INPUTS)
        check(model.name + ": QEMU == host fixed point, byte for byte", row["host_match"])
        check(model.name + ": QEMU output file == run --board host --fixed output",
              row["qemu_equals_fixed"])
        check(model.name + ": fixed vs float on the rounded input within %.1f output steps"
              % model.kernel_bound, row["kernel_steps"] <= model.kernel_bound,
              "%.2f steps" % row["kernel_steps"])
        check(model.name + ": fixed vs float within %.1f output steps" % model.total_bound,
              row["steps"] <= model.total_bound, "%.2f steps" % row["steps"])
        if model.classifier:
            check(model.name + ": argmax differs only at near ties", row["near_tie_only"],
                  "%d/%d agree" % (row["agree"], INPUTS))

    for name, export, expected, reason in PENDING:
        if only not in name:
            continue
        seed = zlib.crc32(name.encode())
        out_dir = os.path.join(work, "pending_" + name)
        os.makedirs(out_dir, exist_ok=True)
        ok, code, err = check_pending(rnnpoolc, name, export, expected, out_dir, seed)
        check("%s: not in fixed point yet (%s): fails with the expected error" % (name, reason),
              ok, "" if ok else "exit %d: %s" % (code, err))

    if rows:  # the progress line, on the first model's files
        path, batch, calib = rows[0]["files"]
        code, seen = progress_on_tty(rnnpoolc, path, batch, calib)
        wanted = ["calibrating %d/%d" % (INPUTS + CALIB_EXTRA, INPUTS + CALIB_EXTRA),
                  "QEMU mps2-an386: inference %d/%d" % (INPUTS, INPUTS),
                  "host fixed point: inference %d/%d" % (INPUTS, INPUTS)]
        missing = [w for w in wanted if w not in seen]
        check("progress: on a terminal, calibration, the QEMU batch and the host check count "
              "up", code == 0 and not missing, "" if not missing else
              "exit %d, missing %s in %r" % (code, missing, seen[-300:]))
        cleared = seen.endswith("\r\x1b[K")
        check("progress: the line is cleared at the end", cleared,
              "" if cleared else repr(seen[-40:]))
        p = rnnpoolc_run(rnnpoolc, path, "--input", batch, "--board", "mps2-an386", "--calib",
                         calib, "--json")
        check("progress: quiet when stderr is not a terminal", p.stderr == "", repr(p.stderr))

    print("\nerrors in output steps (total: fixed vs float on the input; kernel: fixed vs float "
          "on the input rounded to int8;\ninput: float on the rounded input vs float on the "
          "input)")
    print("%-38s %5s %5s %10s %12s %13s %13s %6s %s" % (
        "model", "infs", "match", "out scale", "instructions", "total/bound", "kernel/bound",
        "input", "argmax"))
    for r in rows:
        agree = "-" if r["agree"] is None else "%d/%d" % (r["agree"], INPUTS)
        print("%-38s %5d %5s %10.4g %12d %6.2f/%-6.1f %6.2f/%-6.1f %6.2f %s" % (
            r["name"], r["inferences"], "yes" if r["host_match"] else "NO", r["scale"],
            r["instructions"], r["steps"], r["total_bound"], r["kernel_steps"],
            r["kernel_bound"], r["input_steps"], agree))
    for name, _, _, reason in PENDING:
        if only in name:
            print("%-40s pending: %s" % (name, reason))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""))
