#!/usr/bin/python3
"""Pre-quantised (QDQ) ONNX models keep their own scales: models written with onnx.helper
in the form onnxruntime's quantize_static gives them (QuantizeLinear / DequantizeLinear
around Conv+Relu, MaxPool, Add, Gemm; per-channel int8 weights, int32 biases; uint8 or int8
activations) must compile with the model's input and output parameters in model.h and no
calibration warning, run in fixed point within one output step of the float interpreter of
the QDQ graph and of a numpy evaluation of it, match the host bit for bit in QEMU, and bad
QDQ parameters must give one error line and exit status 2.

  test_qdq_models.py RNNPOOLC WORKDIR
"""
import json
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
RNG = np.random.default_rng(7)


# ---- numpy float ops (NCHW, batch 1) ------------------------------------------------------

def conv(x, w, b, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    o, _, kh, kw = w.shape
    h, wd = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    y = np.zeros((1, o, h, wd), np.float32)
    for i in range(h):
        for j in range(wd):
            patch = x[0, :, i:i + kh, j:j + kw]
            y[0, :, i, j] = np.tensordot(w, patch, axes=([1, 2, 3], [0, 1, 2]))
    return y + b.reshape(1, -1, 1, 1)


def maxpool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def quantize(x, s, zp, dtype):
    info = np.iinfo(dtype)
    return np.clip(np.rint(np.float32(x) / np.float32(s)) + zp, info.min, info.max).astype(dtype)


def dequantize(q, s, zp):
    return ((q.astype(np.float32) - np.float32(zp)) * np.float32(s)).astype(np.float32)


# ---- numpy evaluation of an ONNX graph of the ops used here -------------------------------

def evaluate(model, x):
    g = model.graph
    env = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    env[g.input[0].name] = x
    for n in g.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        i = [env[name] for name in n.input]
        if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            axis = a.get("axis", 1)
            s, zp = i[1], i[2]
            shape = [1] * i[0].ndim
            if s.ndim == 1:
                shape[axis] = -1
            s, zp = s.reshape(shape), zp.reshape(shape)
            y = quantize(i[0], s, zp, i[2].dtype.type) if n.op_type == "QuantizeLinear" \
                else dequantize(i[0], s, zp)
        elif n.op_type == "Conv":
            y = conv(i[0], i[1], i[2], a.get("pads", [0])[0])
        elif n.op_type == "Relu":
            y = np.maximum(i[0], 0)
        elif n.op_type == "MaxPool":
            y = maxpool(i[0])
        elif n.op_type == "Add":
            y = i[0] + i[1]
        elif n.op_type == "Flatten":
            y = i[0].reshape(1, -1)
        elif n.op_type == "Gemm":
            y = i[0] @ i[1].T + i[2]
        else:
            raise AssertionError("evaluate: no numpy op for " + n.op_type)
        env[n.output[0]] = y if n.op_type == "QuantizeLinear" else y.astype(np.float32)
    return env[g.output[0].name]


# ---- QDQ models in onnxruntime's form -----------------------------------------------------

class QdqBuilder:
    """Builds a QDQ graph the way quantize_static writes it: every activation T is followed
    by Q(T) -> DQ, weights are int8 initializers -> DQ (per channel on axis 0), biases int32
    initializers -> DQ at in_scale * w_scale. Activation parameters come from the float
    ranges over calibration inputs, in uint8 (zp in [0, 255]) or int8."""

    def __init__(self, act_type):
        self.act = act_type
        self.nodes, self.inits, self.scales = [], [], {}

    def params(self, values):
        lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
        s = np.float32((hi - lo) / 255.0)
        info = np.iinfo(self.act)
        zp = int(np.clip(round(info.min - lo / s), info.min, info.max))
        return s, zp

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def qdq(self, t, values, same_as=None, params=None):
        """Q -> DQ after tensor t (float values over the calibration set); returns the DQ
        output name and the fake-quantised values."""
        s, zp = params or (self.scales[same_as] if same_as else self.params(values))
        tag = "%s_%d" % (t, len(self.nodes))
        sn = self.init(tag + "_scale", np.array(s, np.float32))
        zn = self.init(tag + "_zero_point", np.array(zp, self.act))
        self.nodes.append(helper.make_node("QuantizeLinear", [t, sn, zn], [tag + "_QuantizeLinear_Output"],
                                           name=tag + "_QuantizeLinear"))
        out = tag + "_DequantizeLinear_Output"
        self.nodes.append(helper.make_node("DequantizeLinear", [tag + "_QuantizeLinear_Output", sn, zn],
                                           [out], name=tag + "_DequantizeLinear"))
        self.scales[out] = (s, zp)
        return out, dequantize(quantize(values, s, zp, self.act), s, zp)

    def weights(self, name, w, b, x_name, per_channel=True):
        """int8 weights -> DQ, int32 bias -> DQ; returns the DQ outputs and dequantised values."""
        axes = tuple(range(1, w.ndim))
        m = np.abs(w).max(axis=axes) if per_channel else np.array(np.abs(w).max())
        ws = (np.maximum(m, 1e-8) / 127).astype(np.float32)
        shape = (-1,) + (1,) * (w.ndim - 1)
        wq = np.clip(np.rint(w / ws.reshape(shape if per_channel else ())), -127, 127).astype(np.int8)
        xs = self.scales[x_name][0]
        bs = (np.float32(xs) * ws).astype(np.float32) * np.ones(w.shape[0], np.float32)
        bq = np.rint(b / bs).astype(np.int32)
        wz = np.zeros(ws.shape, np.int8)
        self.init(name + "_w_quantized", wq)
        self.init(name + "_w_scale", ws)
        self.init(name + "_w_zero_point", wz)
        self.init(name + "_b_quantized", bq)
        self.init(name + "_b_scale", bs)
        self.init(name + "_b_zero_point", np.zeros(bs.shape, np.int32))
        kw = {"axis": 0} if per_channel else {}
        self.nodes.append(helper.make_node(
            "DequantizeLinear", [name + "_w_quantized", name + "_w_scale", name + "_w_zero_point"],
            [name + "_w_dq"], name=name + "_w_DequantizeLinear", **kw))
        self.nodes.append(helper.make_node(
            "DequantizeLinear", [name + "_b_quantized", name + "_b_scale", name + "_b_zero_point"],
            [name + "_b_dq"], name=name + "_b_DequantizeLinear", axis=0))
        wd = (wq.astype(np.float32) * ws.reshape(shape if per_channel else ())).astype(np.float32)
        return name + "_w_dq", name + "_b_dq", wd, (bq * bs).astype(np.float32)

    def node(self, op, inputs, output, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def model(self, x_shape, y_shape, output):
        self.nodes[-1].output[0] = "output"  # the final DequantizeLinear names the graph output
        graph = helper.make_graph(self.nodes, "qdq", [helper.make_tensor_value_info("input", F, x_shape)],
                                  [helper.make_tensor_value_info("output", F, y_shape)], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="onnxruntime.quantization")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def build(act_type, unfused_relu, requant):
    """Conv+Relu -> MaxPool -> Conv -> Add(pool, conv) -> Flatten -> Gemm, quantised. With
    `unfused_relu` the Conv output gets its own Q/DQ before the Relu; with `requant` a
    DQ -> Q pair with new parameters sits between the Relu and the MaxPool, and the MaxPool
    output gets parameters of its own."""
    b = QdqBuilder(act_type)
    calib = RNG.uniform(-1, 1, (8, 1, 3, 8, 8)).astype(np.float32)
    w1, b1 = RNG.normal(0, 0.4, (8, 3, 3, 3)).astype(np.float32), RNG.normal(0, 0.1, 8).astype(np.float32)
    w2, b2 = RNG.normal(0, 0.3, (8, 8, 3, 3)).astype(np.float32), RNG.normal(0, 0.1, 8).astype(np.float32)
    w3, b3 = RNG.normal(0, 0.2, (10, 128)).astype(np.float32), RNG.normal(0, 0.1, 10).astype(np.float32)
    x = np.concatenate(calib)  # every calibration sample, for ranges
    t, v = b.qdq("input", x)
    w, bb, wd, bd = b.weights("conv1", w1, b1, t)
    c = np.concatenate([conv(v[k:k + 1], wd, bd, 1) for k in range(len(v))])
    if unfused_relu:
        t, c = b.qdq(b.node("Conv", [t, w, bb], "conv1_out", pads=[1, 1, 1, 1]), c)
        t = b.node("Relu", [t], "relu1_out")
    else:
        t = b.node("Relu", [b.node("Conv", [t, w, bb], "conv1_out", pads=[1, 1, 1, 1])], "relu1_out")
    t, v = b.qdq(t, np.maximum(c, 0))
    # Requantisation factors are kept away from ratios of small integers: there ONNX's
    # ties-to-even and the runtime's ties-away rounding would differ by design.
    if requant:
        s, zp = b.scales[t]
        t, v = b.qdq(t, v, params=(np.float32(s * 1.37), zp))
    p = np.concatenate([maxpool(v[k:k + 1]) for k in range(len(v))])
    pool = b.node("MaxPool", [t], "pool_out", kernel_shape=[2, 2], strides=[2, 2])
    s, zp = b.scales[t]
    t_pool, p = b.qdq(pool, p, params=(np.float32(s * 0.8713), zp + 3) if requant else (s, zp))
    w, bb, wd, bd = b.weights("conv2", w2, b2, t_pool)
    c2 = np.concatenate([conv(p[k:k + 1], wd, bd, 1) for k in range(len(p))])
    t_c2, c2 = b.qdq(b.node("Conv", [t_pool, w, bb], "conv2_out", pads=[1, 1, 1, 1]), c2)
    t, a = b.qdq(b.node("Add", [t_pool, t_c2], "add_out"), p + c2)
    t, a = b.qdq(b.node("Flatten", [t], "flat_out", axis=1), a.reshape(len(a), -1), same_as=t)
    w, bb, wd, bd = b.weights("fc", w3, b3, t)
    t, _ = b.qdq(b.node("Gemm", [t, w, bb], "fc_out", transB=1), a @ wd.T + bd)
    return b.model([1, 3, 8, 8], [1, 10], t), b.scales[t], b.scales["input_0_DequantizeLinear_Output"]


# ---- checks --------------------------------------------------------------------------------

def rnnpoolc(tool, *args):
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=900)


def header_define(text, name):
    m = re.search(r"#define %s (\S+)" % name, text)
    return m.group(1).rstrip("f") if m else None


def main(tool, work):
    os.makedirs(work, exist_ok=True)
    failures = []

    def check(name, cond, detail=""):
        print("%s: %s%s" % ("ok" if cond else "FAIL", name, (" (%s)" % detail) if detail else ""))
        if not cond:
            failures.append(name)

    variants = [("uint8", np.uint8, False, False), ("int8", np.int8, True, True)]
    for label, act, unfused, requant in variants:
        model, (ys, yzp), (xs, xzp) = build(act, unfused, requant)
        path = os.path.join(work, "qdq_%s.onnx" % label)
        onnx.save(model, path)
        x = RNG.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
        xin = os.path.join(work, "x_%s.npy" % label)
        np.save(xin, x)
        shift = 128 if act == np.uint8 else 0

        out = os.path.join(work, "out_%s" % label)
        p = rnnpoolc(tool, "compile", path, "-o", out)
        check("%s: compile" % label, p.returncode == 0, p.stderr.strip())
        if p.returncode != 0:
            continue
        check("%s: no calibration warning" % label, "SYNTHETIC" not in p.stderr, p.stderr.strip())
        text = open(os.path.join(out, "model.h")).read()
        for kind, s, zp in (("INPUT0", xs, xzp), ("OUTPUT0", ys, yzp)):
            got_s = header_define(text, "MODEL_%s_SCALE" % kind)
            got_zp = header_define(text, "MODEL_%s_ZERO_POINT" % kind)
            check("%s: model.h %s scale is the model's" % (label, kind),
                  got_s is not None and np.float32(float(got_s)) == np.float32(s), "%s vs %r" % (got_s, s))
            check("%s: model.h %s zero point is the model's (int8)" % (label, kind),
                  got_zp is not None and int(got_zp) == zp - shift, "%s vs %d" % (got_zp, zp - shift))

        ref = evaluate(model, x)
        float_out = os.path.join(work, "float_%s.npy" % label)
        fixed_out = os.path.join(work, "fixed_%s.npy" % label)
        p = rnnpoolc(tool, "run", path, "--input", xin, "--board", "host", "--output", float_out)
        check("%s: run float interpreter" % label, p.returncode == 0, p.stderr.strip())
        p = rnnpoolc(tool, "run", path, "--input", xin, "--board", "host", "--fixed",
                     "--output", fixed_out)
        check("%s: run fixed point" % label, p.returncode == 0, p.stderr.strip())
        check("%s: fixed point without calibration warning" % label, "SYNTHETIC" not in p.stderr)
        if p.returncode == 0:
            flt, fix = np.load(float_out), np.load(fixed_out)
            step = float(ys)
            d_float = float(np.abs(flt - ref).max()) / step
            d_fixed = float(np.abs(fix - flt).max()) / step
            d_numpy = float(np.abs(fix - ref).max()) / step
            print("%s: steps: float interpreter vs numpy %.3f, fixed vs float %.3f, fixed vs "
                  "numpy %.3f" % (label, d_float, d_fixed, d_numpy))
            check("%s: float interpreter == numpy QDQ evaluation within 1 step" % label, d_float <= 1.001)
            check("%s: fixed point within 1 step of the float interpreter" % label, d_fixed <= 1.001)
            check("%s: fixed point within 1 step of numpy" % label, d_numpy <= 1.001)
            check("%s: outputs are not trivial" % label, float(np.abs(ref).max()) > 4 * step)

        p = rnnpoolc(tool, "run", path, "--input", xin, "--board", "mps2-an386", "--json")
        check("%s: QEMU run" % label, p.returncode == 0, p.stderr.strip()[-400:])
        if p.returncode == 0:
            check("%s: QEMU == host fixed point" % label, json.loads(p.stdout)["host_match"])

    partly_quantised(tool, work, check)
    bad_cases(tool, work, check)
    return 1 if failures else 0


def partly_quantised(tool, work, check):
    """Without the Q/DQ pair after the second Conv, that tensor needs a calibrated range:
    without --calib the warning comes back; with it, fixed point stays close to float."""
    model, (ys, _), _ = build(np.uint8, False, False)
    q = next(n for n in model.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == "conv2_out")
    dq = next(n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] == q.output[0])
    for n in model.graph.node:
        for k, name in enumerate(n.input):
            if name == dq.output[0]:
                n.input[k] = "conv2_out"
    model.graph.node.remove(q)
    model.graph.node.remove(dq)
    path = os.path.join(work, "qdq_partial.onnx")
    onnx.save(model, path)
    x = RNG.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
    xin = os.path.join(work, "x_partial.npy")
    np.save(xin, x)
    p = rnnpoolc(tool, "compile", path, "-o", os.path.join(work, "out_partial"))
    check("partial: compile", p.returncode == 0, p.stderr.strip())
    check("partial: calibration warning without --calib", "SYNTHETIC" in p.stderr)
    calib = os.path.join(work, "calib_partial.npy")
    np.save(calib, RNG.uniform(-1, 1, (16, 3, 8, 8)).astype(np.float32))
    fixed_out = os.path.join(work, "fixed_partial.npy")
    p = rnnpoolc(tool, "run", path, "--input", xin, "--fixed", "--calib", calib, "--output", fixed_out)
    check("partial: run fixed point with --calib", p.returncode == 0 and "SYNTHETIC" not in p.stderr,
          p.stderr.strip())
    if p.returncode == 0:
        d = float(np.abs(np.load(fixed_out) - evaluate(model, x)).max()) / float(ys)
        print("partial: fixed vs numpy %.3f output steps" % d)
        # conv2_out now takes one int8 rounding more than the QDQ graph gives it.
        check("partial: fixed point within 3 steps of numpy", d <= 3.001)


def bad_cases(tool, work, check):
    """Bad QDQ parameters: one error line naming file and node, exit status 2, no output."""
    model, _, _ = build(np.uint8, False, False)

    def variant(name, edit, phrase):
        m = onnx.ModelProto()
        m.CopyFrom(model)
        node = edit(m)
        path = os.path.join(work, "bad_%s.onnx" % name.replace(" ", "_"))
        onnx.save(m, path)
        out = os.path.join(work, "bad_%s_out" % name.replace(" ", "_"))
        p = rnnpoolc(tool, "compile", path, "-o", out)
        lines = p.stderr.strip().splitlines()
        ok = (p.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: " + path) and
              ("'%s'" % node) in lines[0] and phrase in lines[0] and not os.path.exists(out))
        check("bad QDQ: %s" % name, ok, p.stderr.strip())

    def init(m, name):
        return next(t for t in m.graph.initializer if t.name == name)

    def zero_scale(m):
        q = next(n for n in m.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == "relu1_out")
        init(m, q.input[1]).CopyFrom(numpy_helper.from_array(np.array(0, np.float32), q.input[1]))
        return q.name

    def wrong_length(m):
        init(m, "conv1_w_scale").CopyFrom(numpy_helper.from_array(np.full(7, 0.01, np.float32), "conv1_w_scale"))
        init(m, "conv1_w_zero_point").CopyFrom(numpy_helper.from_array(np.zeros(7, np.int8), "conv1_w_zero_point"))
        return "conv1_w_DequantizeLinear"

    def int16_zero_point(m):
        init(m, "input_0_zero_point").CopyFrom(numpy_helper.from_array(np.array(3, np.int16), "input_0_zero_point"))
        return "input_0_QuantizeLinear"

    variant("zero scale", zero_scale, "positive")
    variant("scale of the wrong length", wrong_length, "7 values")
    variant("int16 zero point", int16_zero_point, "int16")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
