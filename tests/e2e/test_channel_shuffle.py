#!/usr/bin/python3
"""ShuffleNet's channel shuffle through every build (about 15 s, half of it the QEMU runs).

  test_channel_shuffle.py RNNPOOLC WORKDIR [NAME...]

Small models exported from PyTorch (opset 13) write the shuffle the three ways users do:
torchvision's x.view(n, g, c // g, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)
(its shapes come from x.size(), so the export has Shape/Gather/Concat chains), the
x.reshape(n, g, -1, h, w).permute(0, 2, 1, 3, 4).reshape(n, -1, h, w) form with constant
shapes, and torch.flatten(..., 1, 2) for the last step. For each case:
  - canonicalisation turns every shuffle into one ChannelShuffle node (`inspect`: the ops
    line counts them, and no Transpose is left);
  - the float interpreter (`run`) equals PyTorch within 1e-4 of the output range;
  - the planned float execution (`run --plan`, and with --stream-input) equals `run` byte
    for byte;
  - fixed point vs the float interpreter (`run --fixed`) within 4 output steps (convolutions
    round before and after the shuffle, as test_qemu_zoo's conv nets);
  - the LLVM backend on the host (`run --native`, and with --stream-input) matches the host
    fixed-point interpreter byte for byte, and `run --native --float` (and streamed) the
    float interpreter within its tolerance;
  - the generated C in QEMU (`run --board mps2-an386 --json`) equals the host fixed point
    byte for byte (host_match), and the --float build the host float interpreter;
  - where the case names them, the plan of `compile --stream-input` runs a shuffle (and
    ShuffleNetV2's channel Slices and Concat) in row bands (plan.json), so the per-pixel
    kernels are called on bands of rows; that case also runs streamed in QEMU.
A near miss (a transpose of the last two dims between the same reshapes) is no shuffle: it
must fail to compile in both builds exactly as before the pass, with status 2, one error
line naming the Transpose, and no output directory.
"""
import json
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The reshape forms read x.shape as Python ints on purpose (constant shapes in the export).
warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)

STEP = re.compile(r"fixed-point (\S+): max \|fixed - float\| \S+ \((\S+) output steps of \S+\)")


def shuffle_view(x, g):
    """torchvision's channel_shuffle (shapes through x.size())."""
    n, c, h, w = x.size()
    x = x.view(n, g, c // g, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(n, -1, h, w)


def shuffle_reshape(x, g):
    """reshape / permute / reshape with -1, shapes as Python ints (constants)."""
    n, c, h, w = (int(d) for d in x.shape)
    return x.reshape(n, g, -1, h, w).permute(0, 2, 1, 3, 4).reshape(n, -1, h, w)


def shuffle_flatten(x, g):
    """The last step as torch.flatten over the two channel dims."""
    n, c, h, w = (int(d) for d in x.shape)
    return torch.flatten(x.reshape(n, g, c // g, h, w).transpose(1, 2), 1, 2)


def conv_bn(cin, cout, k, stride=1, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU()) if relu else nn.Sequential(*layers)


class Unit(nn.Module):
    """A ShuffleNetV2 unit: stride 1 splits the channels in two (chunk) and transforms one
    half; stride 2 transforms both branches of the whole input; then concat and shuffle."""

    def __init__(self, cin, cout, stride, shuffle):
        super().__init__()
        self.stride, self.shuffle = stride, shuffle
        half = cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(conv_bn(cin, cin, 3, stride, cin, relu=False),
                                         conv_bn(cin, half, 1))
        b_in = cin if stride > 1 else half
        self.branch2 = nn.Sequential(conv_bn(b_in, half, 1),
                                     conv_bn(half, half, 3, stride, half, relu=False),
                                     conv_bn(half, half, 1))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return self.shuffle(out, 2)


class ShuffleBlock(nn.Module):
    """A stem, a stride-2 unit and a stride-1 unit (torchvision's shuffle), a stride-1 unit
    (the reshape form), global pooling and a classifier."""

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 16, 3)
        self.down = Unit(16, 32, 2, shuffle_view)
        self.same = Unit(32, 32, 1, shuffle_view)
        self.same2 = Unit(32, 32, 1, shuffle_reshape)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.same2(self.same(self.down(self.stem(x))))
        return self.fc(x.mean((2, 3)))


class GroupShuffle(nn.Module):
    """ShuffleNet v1's order: a grouped 1x1 conv, a shuffle (3 groups, flatten form), a
    depthwise 3x3, a shuffle (4 groups, reshape form), a 1x1 conv; two feature map outputs.
    Every op is spatial, so a streamed input runs the shuffles in row bands."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 24, 3, padding=1)
        self.b = nn.Conv2d(24, 24, 1, groups=3)
        self.dw = nn.Conv2d(24, 24, 3, padding=1, groups=24)
        self.c = nn.Conv2d(24, 8, 1)

    def forward(self, x):
        x = F.relu(self.a(x))
        x = shuffle_flatten(F.relu(self.b(x)), 3)
        y = shuffle_reshape(F.relu(self.dw(x)), 4)
        return self.c(y), y


class NotAShuffle(nn.Module):
    """The shuffle's reshapes around a transpose of the last two dims (of a square map)."""

    def forward(self, x):
        n, c, h, w = (int(d) for d in x.shape)
        y = F.relu(x).reshape(n, 2, c // 2, h, w).transpose(3, 4).reshape(n, c, h, w)
        return F.relu(y)


# name: (module, input shape, shuffles expected, the ops a streamed plan must run in row
# bands: the shuffle (its node keeps the Transpose's name), ShuffleNetV2's channel halves
# (Slice) and their Concat)
CASES = {
    "shufflenet_block": (ShuffleBlock, [1, 3, 16, 16], 3, ["Transpose", "Slice", "Concat"]),
    "group_shuffle": (GroupShuffle, [1, 3, 16, 12], 2, ["Transpose"]),
}
# name: (module, input shape, the int8 build's error, the float build's)
ERRORS = {
    "not_a_shuffle": (NotAShuffle, [1, 6, 5, 5],
                      "(Transpose): reads a flattened feature map",
                      "(Transpose): the C backend transposes tensors"),
}

failures = []
passed = []


def check(ok, what):
    print("%-4s %s" % ("ok" if ok else "FAIL", what), flush=True)
    (passed if ok else failures).append(what)


def rnnpoolc(exe, *args):
    p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr.strip()


def build(work, name, make, shape):
    """Exports the module to WORK/NAME/model.onnx with an input (the first of 5 calibration
    inputs); returns the directory, the model and PyTorch's outputs."""
    out_dir = os.path.join(work, name)
    os.makedirs(os.path.join(out_dir, "calib"), exist_ok=True)
    rng = np.random.RandomState(3)
    for k in range(5):
        np.save(os.path.join(out_dir, "calib", "%d.npy" % k),
                rng.uniform(-1, 1, shape).astype(np.float32))
    x = np.load(os.path.join(out_dir, "calib", "0.npy"))
    np.save(os.path.join(out_dir, "input.npy"), x)
    torch.manual_seed(0)
    module = make().eval()
    for m in module.modules():  # BatchNorm statistics that are not the identity
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    path = os.path.join(out_dir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(module, torch.from_numpy(x), path, opset_version=13)
        want = module(torch.from_numpy(x))
    want = [w.numpy() for w in (want if isinstance(want, tuple) else (want,))]
    return out_dir, path, want


def outputs(prefix, count):
    if count == 1:
        return [np.load(prefix + ".npy")]
    return [np.load("%s_%d.npy" % (prefix, k)) for k in range(count)]


def check_case(exe, work, name):
    make, shape, shuffles, banded = CASES[name]
    out_dir, path, want = build(work, name, make, shape)
    x, calib = os.path.join(out_dir, "input.npy"), os.path.join(out_dir, "calib")

    rc, out, err = rnnpoolc(exe, "inspect", path)
    ops = re.search(r"^ops\s+(.*)$", out, re.M)
    ops = ops.group(1) if ops else ""
    check(rc == 0 and "ChannelShuffle x%d" % shuffles in ops and "Transpose" not in ops,
          "%s: canonicalised to %d ChannelShuffle nodes (ops: %s)" % (name, shuffles, ops))

    rc, _, err = rnnpoolc(exe, "run", path, "--input", x, "--output",
                          os.path.join(out_dir, "float.npy"))
    if rc != 0:
        check(False, "%s: run: exit %d: %s" % (name, rc, err[-600:]))
        return
    got = outputs(os.path.join(out_dir, "float"), len(want))
    for k, (g, w) in enumerate(zip(got, want)):
        diff = float(np.abs(g - w).max())
        tol = 1e-4 * max(1.0, float(w.max() - w.min()))
        check(diff <= tol, "%s: output %d float interpreter vs PyTorch max |diff| %.3g "
              "(tolerance %.3g)" % (name, k, diff, tol))

    for flags in ([], ["--stream-input"]):
        plan_out = os.path.join(out_dir, "plan%s.npy" % "".join(f[1:3] for f in flags))
        rc, _, err = rnnpoolc(exe, "run", path, "--input", x, "--plan", "--output", plan_out,
                              *flags)
        same = rc == 0 and all(
            np.array_equal(a, b) for a, b in zip(outputs(plan_out[:-4], len(want)), got))
        check(same, "%s: run --plan %s== run, byte for byte" % (name, " ".join(flags) + " "
                                                                  if flags else ""))

    rc, out, err = rnnpoolc(exe, "run", path, "--input", x, "--fixed", "--calib", calib)
    steps = [float(m.group(2)) for m in STEP.finditer(out)]
    check(rc == 0 and len(steps) == len(want) and max(steps) <= 4 + 1e-3,
          "%s: fixed vs float %s output steps (bound 4)" % (
              name, " ".join("%.3g" % s for s in steps)))

    for flags in ([], ["--stream-input"]):
        rc, out, err = rnnpoolc(exe, "run", path, "--input", x, "--native", "--calib", calib,
                                *flags)
        check(rc == 0 and "byte for byte: yes" in out,
              "%s: run --native %s== host fixed point: %s" % (
                  name, " ".join(flags) + " " if flags else "",
                  (out + err).strip().splitlines()[0] if (out + err).strip() else rc))
    for flags in ([], ["--stream-input"]):
        rc, out, err = rnnpoolc(exe, "run", path, "--input", x, "--native", "--float", *flags)
        check(rc == 0 and "matches the host float interpreter: yes" in out,
              "%s: run --native --float %s: %s" % (
                  name, " ".join(flags),
                  (out + err).strip().splitlines()[0] if (out + err).strip() else rc))

    if banded:
        c_dir = os.path.join(out_dir, "streamed")
        rc, _, err = rnnpoolc(exe, "compile", path, "-o", c_dir, "--calib", calib,
                              "--stream-input")
        regions = []
        if rc == 0:
            with open(os.path.join(c_dir, "plan.json")) as f:
                regions = json.load(f)["regions"]
        for op in banded:
            check(any(r["strategy"] == "row-bands" and
                      any(op in n for n in r["nodes"]) for r in regions),
                  "%s: the streamed plan runs a %s in row bands" % (name, op))

    boards = [(["--calib", calib], "int8"), (["--float"], "float")]
    if banded:
        boards.append((["--calib", calib, "--stream-input"], "int8 --stream-input"))
    for flags, what in boards:
        rc, out, err = rnnpoolc(exe, "run", path, "--input", x, "--board", "mps2-an386",
                                "--json", *flags)
        if rc != 0:
            check(False, "%s %s: QEMU: exit %d: %s" % (name, what, rc, err[-600:]))
            continue
        r = json.loads(out)
        check(r["host_match"], "%s %s: QEMU == host: %s" % (name, what, r["host_match"]))


def check_error(exe, work, name):
    make, shape, int8_error, float_error = ERRORS[name]
    out_dir, path, _ = build(work, name, make, shape)
    for flags, want in ((["--calib", os.path.join(out_dir, "calib")], int8_error),
                        (["--float"], float_error)):
        c_dir = os.path.join(out_dir, "c" + flags[0].replace("-", "_"))
        rc, _, err = rnnpoolc(exe, "compile", path, "-o", c_dir, *flags)
        check(rc == 2 and len(err.splitlines()) == 1 and want in err and
              not os.path.exists(c_dir), "%s %s: expected error (%s)" % (name, flags[0], err))


def main(exe, work, names):
    os.makedirs(work, exist_ok=True)
    for name in names or list(CASES) + list(ERRORS):
        (check_case if name in CASES else check_error)(exe, work, name)
    print("%d passed, %d failed" % (len(passed), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
