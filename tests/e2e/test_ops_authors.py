#!/usr/bin/python3
"""Single-op tests for the kernels the RNNPool authors' detectors need (issue 11): Pad in
the constant, edge and reflect modes with odd pads (row bands, tiles forced by a RAM
budget, a streamed input), ReduceMax / ReduceMin / ReduceMean over channels (S3FD's
max-out background), elementwise Max / Min of two maps with their own scales, Slice along
channels with a step (2 and -2), Transpose + Reshape + Concat of detection heads into
[1, anchors, k] outputs (relabelled in place, and copies where the layout needs one),
and Softmax over the last axis of [1, anchors, 2].

For each case, on one input, with 4 more calibration inputs:
  - fixed point vs the float interpreter (`rnnpoolc run --board host --fixed`): the largest
    error in output steps is within the case's bound: 0.5 (+ float slack) where the output
    only moves or picks input bytes (the input's own rounding), 4 where convolutions round
    before and after the op (as test_qemu_zoo's conv nets);
  - the int8 build in QEMU (mps2-an386) equals the host fixed-point interpreter byte for
    byte (host_match), for every flag set of the case (--stream-input, --ram-budget tiles,
    checked in plan.json, and where the plan computes a Pad or an Add in place over its
    input: tiles of constant and edge Pads, a residual Add in tiles, a Pad of the input);
  - the --float build in QEMU equals the host float interpreter within 1e-4 of the output
    range (host_match of `run --float`).
Forms without a kernel (Max of three inputs, a reduction or a strided slice along rows)
must fail to compile in both builds with status 2, one error line naming the node, and no
output directory.

  test_ops_authors.py RNNPOOLC WORKDIR [NAME...]
"""
import json
import os
import re
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The onnx.helper model builder the codegen_graphs test uses (same directory).
from test_codegen_graphs import node, onnx_graph  # noqa: E402

STEP = re.compile(r"fixed-point (\S+): max \|fixed - float\| \S+ \((\S+) output steps of \S+\)")


def conv(cin, cout, k=3, **kw):
    kw.setdefault("padding", (k - 1) // 2)
    return nn.Conv2d(cin, cout, k, **kw)


class PadConv(nn.Module):
    """A conv, then a Pad with odd pads (left 1, right 2, top 0, bottom 1) in one mode,
    then unpadded convs (one strided), so the pad sits inside a row-band or tiled region."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode
        self.a, self.b = conv(3, 8), conv(8, 16, padding=0, stride=2)
        self.c = conv(16, 4, k=1)

    def forward(self, x):
        a = F.relu(self.a(x))
        if self.mode == "constant":
            a = F.pad(a, (1, 2, 0, 1), value=0.25)
        else:
            a = F.pad(a, (1, 2, 0, 1), mode=self.mode)
        return self.c(F.relu(self.b(a)))


class PadDown(nn.Module):
    """A 4x downsampling chain with the Pad after its first conv: with --mac-overhead 200%
    and an 18 KB budget the planner runs the whole chain, Pad included, in tiles."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode
        self.a, self.b = conv(3, 16), conv(16, 32, stride=2, padding=0)
        self.c, self.d = conv(32, 32, stride=2, groups=32), conv(32, 8, k=1)

    def forward(self, x):
        a = F.pad(F.relu(self.a(x)), (1, 2, 0, 1), mode=self.mode)
        return self.d(F.relu(self.c(F.relu(self.b(a)))))


class ResidualDown(nn.Module):
    """PadDown's chain with a residual block inside (a 1x1 conv, a 3x3 conv, their sum):
    in tiles the sum takes over the 3x3 conv's tile, which holds its own tile exactly."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 16), conv(16, 32, stride=2, padding=0)
        self.c, self.d = conv(32, 32, k=1), conv(32, 32)
        self.e = conv(32, 8, k=1)

    def forward(self, x):
        y = F.relu(self.b(F.relu(self.a(x))))
        z = self.c(y)
        return self.e(F.relu(z + self.d(F.relu(z))))


class PadInput(nn.Module):
    """Edge padding of the input itself (the authors' fold then replicate-pad): the output
    is input bytes only."""

    def forward(self, x):
        return F.pad(x, (0, 1, 0, 1), mode="replicate")


class MaxOut(nn.Module):
    """S3FD's max-out background: conf[:, 0:3] reduced over channels, then concatenated
    with conf[:, 3:4]; ReduceMin and ReduceMean of the same slice as two more outputs."""

    def __init__(self):
        super().__init__()
        self.a, self.conf = conv(3, 8), conv(8, 4)

    def forward(self, x):
        conf = self.conf(F.relu(self.a(x)))
        top, _ = torch.max(conf[:, 0:3], dim=1, keepdim=True)
        low, _ = torch.min(conf[:, 0:3], dim=1, keepdim=True)
        return (torch.cat([top, conf[:, 3:4]], 1), low,
                torch.mean(conf[:, 0:3], dim=1, keepdim=True))


class ReduceInput(nn.Module):
    """ReduceMax and ReduceMin of the input over channels: input bytes only."""

    def forward(self, x):
        return torch.amax(x, dim=1, keepdim=True), torch.amin(x, dim=1, keepdim=True)


class MaxMin(nn.Module):
    """Elementwise Max and Min of two maps with different ranges, then a conv."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 6), conv(3, 6, k=1), conv(12, 4)

    def forward(self, x):
        a, b = self.a(x), 3 * self.b(x)
        return self.c(torch.cat([torch.maximum(a, b), torch.minimum(a, b)], 1))


class SliceStep(nn.Module):
    """Every second channel of a map (step 2) and the odd ones, into a conv each."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 9), conv(5, 4), conv(4, 4)

    def forward(self, x):
        a = F.relu(self.a(x))
        return self.b(a[:, 0::2]) + self.c(a[:, 1::2])


class Heads(nn.Module):
    """An S3FD-style head at two scales: loc and conf convs, permute(0, 2, 3, 1), loc
    flattened, concatenated and viewed as [1, N, 4] (S3FD's own code), conf viewed as
    [1, n, 2] per scale, concatenated, softmax over the last axis."""

    def __init__(self, anchors=2):
        super().__init__()
        self.a, self.b = conv(3, 8), conv(8, 8, stride=2)
        self.loc = nn.ModuleList([conv(8, anchors * 4), conv(8, anchors * 4)])
        self.conf = nn.ModuleList([conv(8, anchors * 2), conv(8, anchors * 2)])

    def forward(self, x):
        a = F.relu(self.a(x))
        maps = [a, F.relu(self.b(a))]
        loc = [l(m).permute(0, 2, 3, 1).contiguous() for l, m in zip(self.loc, maps)]
        conf = [c(m).permute(0, 2, 3, 1).contiguous().view(1, -1, 2)
                for c, m in zip(self.conf, maps)]
        loc = torch.cat([o.view(1, -1) for o in loc], 1).view(1, -1, 4)
        return loc, F.softmax(torch.cat(conf, 1), dim=-1)


class TransposeCopies(nn.Module):
    """Transposes that move bytes: H and W swapped before a conv, and a map returned in
    NHWC order as a model output; and a relabelled NCHW -> NHWC head whose map is itself a
    model output, so that the plan cannot run the relabelling in place (one copy)."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 4), conv(4, 3)

    def forward(self, x):
        a = F.relu(self.a(x))
        return (self.b(a.transpose(2, 3)), a.permute(0, 2, 3, 1), a,
                a.permute(0, 2, 3, 1).reshape(1, -1, 2))


def ints(*v):
    return np.array(v, dtype=np.int64)


# Slice with step -2 (channels 8, 6, 4, 2, 0 of 9) and ReduceMean without keepdims, a conv
# before both; the reduced [1, H, W] map is an output.
NEGATIVE_STEP = onnx_graph(
    [node("Conv", ["x", "w1", "b1"], ["a"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
     node("Slice", ["a", "st", "en", "ax", "sp"], ["s"]),
     node("Conv", ["s", "w2", "b2"], ["y"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
     node("ReduceMean", ["a"], ["m"], axes=[1], keepdims=0)],
    {"w1": [9, 3, 3, 3], "b1": [9], "w2": [4, 5, 3, 3], "b2": [4], "st": ints(-1),
     "en": ints(-100), "ax": ints(1), "sp": ints(-2)}, ["y", "m"])

# Forms without a kernel: (builder, input shape, expected error fragment of the int8 build,
# of the float build). Each must exit with status 2, one error line, and write nothing.
MAX3 = onnx_graph([node("Max", ["x", "x", "x"], ["y"])], {}, ["y"])
REDUCE_ROWS = onnx_graph([node("ReduceMax", ["x"], ["y"], axes=[2], keepdims=1)], {}, ["y"])
SLICE_ROWS = onnx_graph([node("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
                        {"st": ints(0), "en": ints(8), "ax": ints(2), "sp": ints(2)}, ["y"])
ERRORS = {
    "max_three_inputs": (MAX3, [1, 3, 4, 5], "(Max): the fixed-point Max takes two inputs",
                         "(Max): the C backend's Max takes two inputs"),
    "reduce_rows": (REDUCE_ROWS, [1, 3, 4, 5], "(ReduceMax): the fixed-point backend reduces "
                    "over one axis whose values are contiguous", "(ReduceMax): the C backend "
                    "reduces over the channels"),
    "slice_rows": (SLICE_ROWS, [1, 3, 8, 5], "(Slice): the fixed-point backend slices one axis",
                   "(Slice): the C backend slices one axis"),
}

TILES = ["--mac-overhead", "200%", "--ram-budget", "18K"]
BANDS = ("row-bands", "/Pad")
# name: (module or builder, input shape, fixed-point bound in output steps, flag sets for
# QEMU (each a list), and the (strategy, node name) region the plan of every flag set must
# run the op in, checked in plan.json ("in-place": its steps write over their input), a
# list of such, or None)
CASES = {
    "pad_constant": (lambda: PadConv("constant"), [1, 3, 15, 13], 4, [[], ["--stream-input"]],
                     BANDS),
    "pad_edge": (lambda: PadConv("replicate"), [1, 3, 15, 13], 4, [[], ["--stream-input"]],
                 BANDS),
    "pad_reflect": (lambda: PadConv("reflect"), [1, 3, 15, 13], 4, [[], ["--stream-input"]],
                    BANDS),
    "pad_constant_tiles": (lambda: PadDown("constant"), [1, 3, 32, 96], 4, [TILES],
                           [("tiles", "/Pad"), ("in-place", "/Pad")]),
    "pad_edge_tiles": (lambda: PadDown("replicate"), [1, 3, 32, 96], 4, [TILES],
                       [("tiles", "/Pad"), ("in-place", "/Pad")]),
    "pad_reflect_tiles": (lambda: PadDown("reflect"), [1, 3, 32, 96], 4, [TILES],
                          ("tiles", "/Pad")),
    "residual_tiles": (ResidualDown, [1, 3, 32, 96], 4, [TILES],
                       [("tiles", "/Add"), ("in-place", "/Add")]),
    # The padded input alone: its output over the input frame (the least RAM there is).
    "pad_input_edge": (PadInput, [1, 3, 9, 10], 0.5, [[], ["--stream-input"]],
                       ("in-place", "/Pad")),
    "max_out": (MaxOut, [1, 3, 12, 10], 4, [[]], None),
    "reduce_input": (ReduceInput, [1, 3, 7, 9], 0.5, [[]], None),
    "max_min": (MaxMin, [1, 3, 11, 9], 4, [[], ["--stream-input"]], None),
    "slice_step": (SliceStep, [1, 3, 10, 12], 4, [[]], None),
    "slice_negative_step": (NEGATIVE_STEP, [1, 3, 8, 7], 4, [[]], None),
    "heads": (Heads, [1, 3, 12, 16], 4, [[]], None),
    "transpose_copies": (TransposeCopies, [1, 3, 6, 9], 4, [[]], None),
}


def build(work, name):
    """Exports CASES[name] (or ERRORS[name]) to WORK/NAME/model.onnx with an input and
    calibration inputs."""
    make, shape = (CASES[name] if name in CASES else ERRORS[name])[:2]
    out_dir = os.path.join(work, name)
    os.makedirs(os.path.join(out_dir, "calib"), exist_ok=True)
    rng = np.random.RandomState(1)
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    np.save(os.path.join(out_dir, "input.npy"), x)
    np.save(os.path.join(out_dir, "calib", "0.npy"), x)  # the test input is in range
    for k in range(1, 5):
        np.save(os.path.join(out_dir, "calib", "%d.npy" % k),
                rng.uniform(-1, 1, shape).astype(np.float32))
    path = os.path.join(out_dir, "model.onnx")
    if getattr(make, "__name__", "") == "make":  # an onnx_graph builder
        make(path, shape)
        return out_dir, path
    torch.manual_seed(0)
    with torch.no_grad():
        torch.onnx.export(make().eval(), torch.from_numpy(x), path, opset_version=13)
    return out_dir, path


def rnnpoolc(exe, *args):
    p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr.strip()


def in_region(exe, out_dir, path, flags, region):
    """Does the plan of `rnnpoolc compile` with these flags run the node named region[1]
    in a region of strategy region[0]?"""
    c_dir = os.path.join(out_dir, "c")
    rc, _, _ = rnnpoolc(exe, "compile", path, "-o", c_dir, "--calib",
                        os.path.join(out_dir, "calib"), *flags)
    if rc != 0:
        return False
    with open(os.path.join(c_dir, "plan.json")) as f:
        plan = json.load(f)
    if region[0] == "in-place":  # the node's output takes over its input's buffer
        steps = [s for s in plan["steps"] if s.get("node") == region[1]]
        return bool(steps) and all(plan["buffers"][s["outputs"][0]]["alias_of"] >= 0
                                   for s in steps)
    return any(r["strategy"] == region[0] and region[1] in r["nodes"]
               for r in plan["regions"])


def check_case(exe, work, name):
    """Yields (ok, line) for every check of one case."""
    _, _, bound, flag_sets, region = CASES[name]
    out_dir, path = build(work, name)
    x, calib = os.path.join(out_dir, "input.npy"), os.path.join(out_dir, "calib")
    rc, out, err = rnnpoolc(exe, "run", path, "--input", x, "--board", "host", "--fixed",
                            "--calib", calib)
    if rc != 0:
        yield False, "%s: run --fixed: exit %d: %s" % (name, rc, err[-600:])
        return
    steps = [float(m.group(2)) for m in STEP.finditer(out)]
    worst = max(steps) if steps else float("nan")
    # 1e-3: the float interpreter and the dequantised output round differently in float32.
    yield (bool(steps) and worst <= bound + 1e-3,
           "%s: fixed vs float %s output steps (bound %g)" % (
               name, " ".join("%.3g" % s for s in steps), bound))
    for flags in flag_sets:
        tag = " ".join([name] + flags)
        for where in [region] if isinstance(region, tuple) else region or []:
            yield (in_region(exe, out_dir, path, flags, where),
                   "%s: the plan computes %s in place" % (tag, where[1])
                   if where[0] == "in-place" else
                   "%s: the plan runs %s in %s" % (tag, where[1], where[0]))
        rc, out, err = rnnpoolc(exe, "run", path, "--input", x, "--board", "mps2-an386",
                                "--json", "--calib", calib, *flags)
        if rc != 0:
            yield False, "%s: exit %d: %s" % (tag, rc, err[-600:])
            continue
        r = json.loads(out)
        yield r["host_match"], "%s: QEMU == host fixed point: %s (%d instructions)" % (
            tag, r["host_match"], r["instructions"])
    rc, out, err = rnnpoolc(exe, "run", path, "--input", x, "--board", "mps2-an386", "--json",
                            "--float")
    if rc != 0:
        yield False, "%s --float: exit %d: %s" % (name, rc, err[-600:])
        return
    r = json.loads(out)
    yield r["host_match"], "%s --float: QEMU vs host float max |diff| %.3g (tolerance %.3g)" % (
        name, r["max_abs_diff"], r["tolerance"])


def check_error(exe, work, name):
    """Yields (ok, line): `compile` of the int8 and of the float build fails with status 2,
    one error line holding the expected text, and no output directory."""
    out_dir, path = build(work, name)
    for flags, want in ((["--calib", os.path.join(out_dir, "calib")], ERRORS[name][2]),
                        (["--float"], ERRORS[name][3])):
        c_dir = os.path.join(out_dir, "c" + flags[0].replace("-", "_"))
        rc, _, err = rnnpoolc(exe, "compile", path, "-o", c_dir, *flags)
        ok = (rc == 2 and len(err.splitlines()) == 1 and want in err and
              not os.path.exists(c_dir))
        yield ok, "%s %s: expected error (%s)" % (name, flags[0], err)


def main(exe, work, names):
    os.makedirs(work, exist_ok=True)
    failures = []
    for name in names or list(CASES) + list(ERRORS):
        checks = check_case if name in CASES else check_error
        for ok, line in checks(exe, work, name):
            print("%-4s %s" % ("ok" if ok else "FAIL", line), flush=True)
            if not ok:
                failures.append(line)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
