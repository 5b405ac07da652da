"""A small NumPy evaluator for the ONNX graphs export.py writes (there is no onnxruntime
here). It knows the standard ops those graphs use, model-local functions (with
ref_attr_name attributes, as torch's export_modules_as_functions writes them) and the
ai.rnnpoolc RNNPool node, which it evaluates from the spec in README.md independently of
rnnpool.py. Not a general ONNX runtime: float32/int64 tensors, static shapes.

  run(model_proto, {input_name: array}) -> [output arrays]
"""
import numpy as np
from onnx import helper, numpy_helper


def _attrs(node, outer=None):
    out = {}
    for a in node.attribute:
        if a.ref_attr_name:
            if outer is not None and a.ref_attr_name in outer:
                out[a.name] = outer[a.ref_attr_name]
            continue
        out[a.name] = helper.get_attribute_value(a)
        if isinstance(out[a.name], bytes):
            out[a.name] = out[a.name].decode()
    return out


def _sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(x.dtype)


def _nl(a, name):
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-a))
    if name == "tanh":
        return np.tanh(a)
    if name == "quantSigm":
        return np.clip((a + 1.0) / 2.0, 0.0, 1.0)
    if name == "quantTanh":
        return np.clip(a, -1.0, 1.0)
    if name == "relu":
        return np.maximum(a, 0.0)
    raise ValueError("unknown nonlinearity %r" % name)


def rnnpool_node(x, weights, at):
    """The ai.rnnpoolc RNNPool node, straight from the README spec (float64 inside)."""
    r, c = at["patch"]
    sh, sw = at["stride"]
    h1, h2 = at["hidden"]
    gate, update = at.get("gate_nonlinearity", "sigmoid"), at.get("update_nonlinearity", "tanh")
    ws = [w.astype(np.float64) for w in weights]

    def take_cell(rank_w, rank_u):
        W = ws.pop(0)
        if rank_w:
            W = W @ ws.pop(0)
        U = ws.pop(0)
        if rank_u:
            U = U @ ws.pop(0)
        bz, bh, zeta, nu = (ws.pop(0).reshape(-1) for _ in range(4))
        return W, U, bz, bh, 1 / (1 + np.exp(-zeta[0])), 1 / (1 + np.exp(-nu[0]))

    cell1 = take_cell(at.get("rank_w1", 0), at.get("rank_u1", 0))
    cell2 = take_cell(at.get("rank_w2", 0), at.get("rank_u2", 0))
    assert not ws, "too many RNNPool inputs"

    def sweep(cell, seq, hid):               # seq [T, B, in] -> final state [B, hid]
        W, U, bz, bh, zeta, nu = cell
        h = np.zeros((seq.shape[1], hid))
        for xt in seq:
            pre = xt @ W + h @ U
            z = _nl(pre + bz, gate)
            h = z * h + (zeta * (1 - z) + nu) * _nl(pre + bh, update)
        return h

    n, k, hh, ww = x.shape
    ho, wo = (hh - r) // sh + 1, (ww - c) // sw + 1
    y = np.zeros((n, 4 * h2, ho, wo))
    for i in range(ho):
        for j in range(wo):
            p = x[:, :, i * sh:i * sh + r, j * sw:j * sw + c].astype(np.float64)  # [n,k,r,c]
            rows = sweep(cell1, p.transpose(3, 2, 0, 1).reshape(c, r * n, k), h1)
            cols = sweep(cell1, p.transpose(2, 3, 0, 1).reshape(r, c * n, k), h1)
            rows, cols = rows.reshape(r, n, h1), cols.reshape(c, n, h1)
            y[:, :, i, j] = np.concatenate(
                [sweep(cell2, rows, h2), sweep(cell2, rows[::-1], h2),
                 sweep(cell2, cols, h2), sweep(cell2, cols[::-1], h2)], axis=1)
    return y.astype(np.float32)


def _axes(node_inputs, at, idx):
    if len(node_inputs) > idx and node_inputs[idx] is not None:
        return [int(a) for a in node_inputs[idx]]
    return at.get("axes")


def _op(op, ins, at, nout):
    if op in ("Add", "Sub", "Mul", "Div"):
        a, b = ins
        if op == "Div" and a.dtype.kind == "i":
            return [np.trunc(a / b).astype(a.dtype)]
        return [{"Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
                 "Div": np.divide}[op](a, b).astype(np.result_type(a, b))]
    if op == "MatMul":
        return [np.matmul(*ins)]
    if op == "Gemm":
        a, b = ins[0], ins[1]
        a = a.T if at.get("transA") else a
        b = b.T if at.get("transB") else b
        y = at.get("alpha", 1.0) * a @ b
        if len(ins) > 2:
            y = y + at.get("beta", 1.0) * ins[2]
        return [y.astype(np.float32)]
    if op == "Sigmoid":
        return [_sigmoid(ins[0])]
    if op == "Tanh":
        return [np.tanh(ins[0])]
    if op == "Relu":
        return [np.maximum(ins[0], 0).astype(ins[0].dtype)]
    if op == "Neg":
        return [-ins[0]]
    if op in ("Min", "Max"):
        f = np.minimum if op == "Min" else np.maximum
        y = ins[0]
        for v in ins[1:]:
            y = f(y, v)
        return [y]
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else at.get("min", -np.inf)
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else at.get("max", np.inf)
        return [np.clip(ins[0], lo, hi).astype(ins[0].dtype)]
    if op == "Identity":
        return [ins[0]]
    if op == "Cast":
        to = helper.tensor_dtype_to_np_dtype(at["to"])
        return [ins[0].astype(to)]
    if op == "Shape":
        return [np.array(ins[0].shape, dtype=np.int64)]
    if op == "Gather":
        return [np.take(ins[0], ins[1].astype(np.int64), axis=at.get("axis", 0))]
    if op == "Range":
        return [np.arange(ins[0], ins[1], ins[2]).astype(ins[0].dtype)]
    if op == "Unsqueeze":
        y = ins[0]
        axes = _axes(ins, at, 1)
        rank = y.ndim + len(axes)
        for a in sorted(a % rank for a in axes):
            y = np.expand_dims(y, a)
        return [y]
    if op == "Squeeze":
        axes = _axes(ins, at, 1)
        return [np.squeeze(ins[0], axis=tuple(axes) if axes is not None else None)]
    if op == "Concat":
        return [np.concatenate(ins, axis=at["axis"])]
    if op == "Reshape":
        shape = [int(s) for s in ins[1]]
        shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return [ins[0].reshape(shape)]
    if op == "Flatten":
        a = at.get("axis", 1)
        return [ins[0].reshape(int(np.prod(ins[0].shape[:a])), -1)]
    if op == "Transpose":
        return [np.transpose(ins[0], at.get("perm"))]
    if op == "Expand":
        return [ins[0] * np.ones([int(s) for s in ins[1]], dtype=ins[0].dtype)]
    if op == "ConstantOfShape":
        v = at.get("value")
        v = numpy_helper.to_array(v) if v is not None else np.zeros(1, np.float32)
        return [np.full([int(s) for s in ins[0]], v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Equal":
        return [np.equal(ins[0], ins[1])]
    if op == "Where":
        return [np.where(*ins)]
    if op == "Pad":
        x = ins[0]
        pads = [int(p) for p in (ins[1] if len(ins) > 1 else at["pads"])]
        value = ins[2].reshape(-1)[0] if len(ins) > 2 and ins[2] is not None \
            else at.get("value", 0.0)
        if at.get("mode", "constant") != "constant":
            raise NotImplementedError("Pad mode " + at["mode"])
        nd = x.ndim
        return [np.pad(x, [(pads[i], pads[i + nd]) for i in range(nd)], constant_values=value)]
    if op == "Split":
        axis = at.get("axis", 0)
        split = ins[1] if len(ins) > 1 and ins[1] is not None else at.get("split")
        if split is None:
            split = [ins[0].shape[axis] // nout] * nout
        points = np.cumsum([int(s) for s in split])[:-1]
        return np.split(ins[0], points, axis=axis)
    if op == "Slice":
        x = ins[0]
        if len(ins) > 1:
            starts, ends = ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        else:
            starts, ends = at["starts"], at["ends"]
            axes = at.get("axes", range(len(starts)))
            steps = [1] * len(starts)
        sl = [slice(None)] * x.ndim
        for s, e, a, st in zip(starts, ends, axes, steps):
            # Python's slice clamping is ONNX's (also for negative steps).
            sl[int(a)] = slice(int(s), int(e), int(st))
        return [x[tuple(sl)]]
    if op == "ScatterND":
        y = ins[0].copy()
        idx, upd = ins[1].astype(np.int64), ins[2]
        k = idx.shape[-1]
        flat_idx = idx.reshape(-1, k)
        flat_upd = upd.reshape((flat_idx.shape[0],) + y.shape[k:])
        for i, ix in enumerate(flat_idx):
            y[tuple(ix)] = flat_upd[i]
        return [y]
    if op == "Conv":
        return [_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, at)]
    if op == "BatchNormalization":
        x, s, b, m, v = ins[:5]
        sh = (1, -1) + (1,) * (x.ndim - 2)
        eps = at.get("epsilon", 1e-5)
        return [((x - m.reshape(sh)) / np.sqrt(v.reshape(sh) + eps) * s.reshape(sh)
                 + b.reshape(sh)).astype(np.float32)]
    raise NotImplementedError("onnx_eval: op %s" % op)


def _conv(x, w, b, at):
    if at.get("group", 1) != 1:
        raise NotImplementedError("grouped Conv")
    kh, kw = w.shape[2:]
    sh, sw = at.get("strides", [1, 1])
    dh, dw = at.get("dilations", [1, 1])
    pt, pl, pb, pr = at.get("pads", [0, 0, 0, 0])
    x = np.pad(x, [(0, 0), (0, 0), (pt, pb), (pl, pr)])
    n, c, hh, ww = x.shape
    ho = (hh - dh * (kh - 1) - 1) // sh + 1
    wo = (ww - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, w.shape[0], ho, wo), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                      j * dw:j * dw + sw * (wo - 1) + 1:sw]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def _run_nodes(nodes, env, functions, outer_attrs=None):
    for node in nodes:
        at = _attrs(node, outer_attrs)
        ins = [env[i] if i else None for i in node.input]
        key = (node.domain, node.op_type)
        if key in functions:
            fn = functions[key]
            inner = {f: v for f, v in zip(fn.input, ins)}
            fattrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            _run_nodes(fn.node, inner, functions, fattrs)
            outs = [inner[o] for o in fn.output]
        elif key == ("ai.rnnpoolc", "RNNPool"):
            outs = [rnnpool_node(ins[0], ins[1:], at)]
        elif node.domain not in ("", "ai.onnx"):
            raise NotImplementedError("onnx_eval: %s::%s" % key)
        elif node.op_type == "Constant":
            if "value" in at:
                outs = [numpy_helper.to_array(at["value"])]
            elif "value_float" in at:
                outs = [np.array(at["value_float"], dtype=np.float32)]
            elif "value_floats" in at:
                outs = [np.array(at["value_floats"], dtype=np.float32)]
            elif "value_int" in at:
                outs = [np.array(at["value_int"], dtype=np.int64)]
            elif "value_ints" in at:
                outs = [np.array(at["value_ints"], dtype=np.int64)]
            else:
                raise NotImplementedError("Constant without a value: %s" % node)
        else:
            outs = _op(node.op_type, ins, at, len(node.output))
        for name, v in zip(node.output, outs):
            if name:
                env[name] = np.asarray(v)


def run(model, feeds):
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    functions = {(f.domain, f.name): f for f in model.functions}
    _run_nodes(model.graph.node, env, functions)
    return [env[o.name] for o in model.graph.output]
