#!/usr/bin/python3
"""Tests of the PyTorch RNNPool module and its ONNX exports.

  /usr/bin/python3 tools/rnnpool/test_rnnpool.py [-v]

(a) a slow per-patch, per-step, per-element reference in plain Python floats equals the
batched module (float64, 1e-6) on a grid of shapes; (b) every style x extraction
combination computes the same values; (c) every encoding exports, passes
onnx.checker, has the expected structure and computes PyTorch's output in onnx_eval;
(d) the node encoding's weights rebuild an identical module.
"""
import contextlib
import io
import itertools
import math
import os
import sys
import tempfile
import unittest
import warnings

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export as E  # noqa: E402
import onnx_eval  # noqa: E402
import rnnpool as R  # noqa: E402
import torch_export as TE  # noqa: E402

warnings.filterwarnings("ignore")
COMBOS = list(itertools.product(R.STYLES, R.EXTRACTIONS))


# ------------------------------------------------------------ slow reference --
def _nl(v, name):
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-v))
    if name == "tanh":
        return math.tanh(v)
    if name == "quantSigm":
        return min(max((v + 1.0) / 2.0, 0.0), 1.0)
    if name == "quantTanh":
        return min(max(v, -1.0), 1.0)
    if name == "relu":
        return max(v, 0.0)
    raise ValueError(name)


def _matrix(cell, name):
    """cell's W or U as a list of rows, multiplying out a low-rank pair by hand."""
    if hasattr(cell, name):
        return getattr(cell, name).detach().double().tolist()
    a = getattr(cell, name + "1").detach().double().tolist()
    b = getattr(cell, name + "2").detach().double().tolist()
    return [[sum(a[i][t] * b[t][j] for t in range(len(b))) for j in range(len(b[0]))]
            for i in range(len(a))]


class RefCell:
    def __init__(self, cell):
        self.W, self.U = _matrix(cell, "W"), _matrix(cell, "U")
        self.bz = cell.bias_gate.detach().double().reshape(-1).tolist()
        self.bh = cell.bias_update.detach().double().reshape(-1).tolist()
        self.zeta = 1.0 / (1.0 + math.exp(-float(cell.zeta)))
        self.nu = 1.0 / (1.0 + math.exp(-float(cell.nu)))
        self.gate, self.update = cell.gate_nonlinearity, cell.update_nonlinearity
        self.hid = len(self.bz)

    def step(self, x, h):
        out = []
        for j in range(self.hid):
            pre = 0.0
            for i, xi in enumerate(x):
                pre += xi * self.W[i][j]
            for i, hi in enumerate(h):
                pre += hi * self.U[i][j]
            z = _nl(pre + self.bz[j], self.gate)
            c = _nl(pre + self.bh[j], self.update)
            out.append(z * h[j] + (self.zeta * (1.0 - z) + self.nu) * c)
        return out

    def sweep(self, seq):
        h = [0.0] * self.hid
        for x in seq:
            h = self.step(x, h)
        return h


def reference_layer(layer, x):
    """RNNPoolLayer by the definition: one patch at a time, one step at a time."""
    pool = layer.pool
    rnn1, rnn2 = RefCell(pool.rnn1), RefCell(pool.rnn2)
    rnn2b = RefCell(pool.rnn2_reverse) if hasattr(pool, "rnn2_reverse") else rnn2
    (r, c), (sh, sw) = layer.patch, layer.stride
    n, k, hh, ww = x.shape
    ho, wo = (hh - r) // sh + 1, (ww - c) // sw + 1
    xs = x.detach().double().tolist()
    y = torch.zeros(n, pool.out_channels, ho, wo, dtype=torch.float64)
    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                def pix(a, bb):     # channel vector at patch row a, column bb
                    return [xs[b][ch][i * sh + a][j * sw + bb] for ch in range(k)]
                row_sum = [rnn1.sweep([pix(a, bb) for bb in range(c)]) for a in range(r)]
                col_sum = [rnn1.sweep([pix(a, bb) for a in range(r)]) for bb in range(c)]
                parts = [rnn2.sweep(row_sum)]
                if pool.bidirectional:
                    parts.append(rnn2b.sweep(row_sum[::-1]))
                parts.append(rnn2.sweep(col_sum))
                if pool.bidirectional:
                    parts.append(rnn2b.sweep(col_sum[::-1]))
                y[b, :, i, j] = torch.tensor(sum(parts, []), dtype=torch.float64)
    return y


def make_layer(k, patch, stride, hidden, seed=0, **kw):
    torch.manual_seed(seed)
    layer = R.RNNPoolLayer(k, patch, stride, hidden, **kw)
    return R.randomize_(layer, torch.Generator().manual_seed(seed + 100)).eval()


# (in_shape, patch, stride, hidden, extra kwargs)
GRID = [
    ((1, 1, 8, 8), (4, 4), (4, 4), (3, 3), {}),                                   # k=1, tiling
    ((2, 3, 10, 12), (3, 5), (2, 3), (4, 2), {}),                      # rect, overlap, remainder
    ((1, 4, 9, 9), (4, 4), (2, 2), (5, 3), dict(w_ranks=(2, 2), u_ranks=(2, 3))),  # low rank
    ((1, 8, 5, 7), (2, 3), (2, 3), (2, 4), dict(w_ranks=(3, None), u_ranks=(None, 1))),
    ((1, 3, 6, 5), (6, 5), (1, 1), (3, 4), {}),                                  # one patch
    ((1, 4, 7, 9), (3, 2), (3, 4), (4, 4), dict(nonlinearities=("quantSigm", "quantTanh"))),
    ((1, 2, 5, 5), (3, 3), (1, 2), (3, 2), dict(nonlinearities=(("tanh", "sigmoid"),
                                                                ("relu", "quantTanh")))),
    ((1, 3, 6, 6), (3, 3), (3, 3), (3, 3), dict(nonlinearities=("quantTanh", "relu"))),
    ((1, 3, 6, 6), (3, 3), (3, 3), (3, 2), dict(bidirectional=False)),            # near misses
    ((1, 3, 6, 6), (3, 3), (3, 3), (3, 2), dict(shared_rnn2=False)),
]


class TestReference(unittest.TestCase):
    def test_grid_matches_reference(self):
        """(a) + (b): every combination equals the slow reference within 1e-6 (float64)."""
        for case, (shape, patch, stride, hidden, kw) in enumerate(GRID):
            x = torch.rand(shape, generator=torch.Generator().manual_seed(case),
                           dtype=torch.float64) * 4 - 2
            ref = None
            for style, extraction in COMBOS:
                layer = make_layer(shape[1], patch, stride, hidden, seed=case, style=style,
                                   extraction=extraction, **kw).double()
                if ref is None:
                    ref = reference_layer(layer, x)
                with torch.no_grad():
                    y = layer(x)
                with self.subTest(case=case, style=style, extraction=extraction):
                    self.assertEqual(tuple(y.shape), tuple(ref.shape))
                    self.assertLess(float((y - ref).abs().max()), 1e-6)

    def test_combinations_agree_float32(self):
        """(b) in float32: the four combinations give the same numbers."""
        x = torch.rand(2, 4, 16, 13, generator=torch.Generator().manual_seed(7)) * 2 - 1
        outs = []
        for style, extraction in COMBOS:
            layer = make_layer(4, (8, 6), (4, 3), (16, 8), seed=3, style=style,
                               extraction=extraction, w_ranks=(2, None))
            with torch.no_grad():
                outs.append(layer(x))
        for o in outs[1:]:
            self.assertLess(float((o - outs[0]).abs().max()), 1e-6)

    def test_output_order(self):
        """The four blocks are [fwd rows, bwd rows, fwd cols, bwd cols]: transposing a
        square patch and the weights-independent sweeps swaps rows and columns."""
        layer = make_layer(2, (3, 3), (3, 3), (3, 2), seed=5)
        x = torch.randn(1, 2, 3, 3)
        with torch.no_grad():
            y = layer(x).reshape(-1)
            yt = layer(x.transpose(2, 3)).reshape(-1)
        h2 = 2
        self.assertTrue(torch.allclose(y[:2 * h2], yt[2 * h2:], atol=1e-6))
        self.assertTrue(torch.allclose(y[2 * h2:], yt[:2 * h2], atol=1e-6))

    def test_gradients_flow(self):
        for style in R.STYLES:
            layer = make_layer(3, (4, 4), (2, 2), (4, 4), style=style).train()
            layer(torch.randn(1, 3, 8, 8)).sum().backward()
            self.assertTrue(all(p.grad is not None for p in layer.parameters()))

    def test_bad_input(self):
        layer = make_layer(3, (4, 4), (2, 2), (4, 4))
        with self.assertRaises(ValueError):
            layer(torch.randn(1, 3, 3, 8))


# ------------------------------------------------------------------- ONNX ---------
def histogram(proto):
    h = {}
    for n in getattr(proto, "graph", proto).node:      # a ModelProto or a FunctionProto
        h[n.op_type] = h.get(n.op_type, 0) + 1
    return h


def run_onnx(proto, x):
    return onnx_eval.run(proto, {proto.graph.input[0].name: np.asarray(x)})[0]


def assert_close(y, expected):
    """onnx_eval vs PyTorch float32 (the RNNPool node is evaluated in float64)."""
    assert y.shape == expected.shape, (y.shape, expected.shape)
    err = float(np.max(np.abs(y - expected) / (1e-5 + 1e-5 * np.abs(expected))))
    assert err <= 1.0, "onnx_eval differs from PyTorch: %g of the tolerance" % err


class TestExport(unittest.TestCase):
    def build(self, **kw):
        args = dict(input_shape=[1, 3, 9, 8], patch=(4, 3), stride=(2, 2), hidden=(4, 5),
                    seed=1)
        args.update(kw)
        model, x = E.build_model(**args)
        with torch.no_grad():
            return model, x, model(x).numpy()

    def test_flat_structure_and_values(self):
        """(c) flat: checker, expected ops per style/extraction, values, opsets 11/13/17."""
        for (style, extraction), opset in itertools.product(COMBOS, (11, 13, 17)):
            model, x, expected = self.build(style=style, extraction=extraction,
                                            gate="quantSigm", rank_w=2)
            proto = E.export(model, x, "flat", opset)
            onnx.checker.check_model(proto)
            h = histogram(proto)
            with self.subTest(style=style, extraction=extraction, opset=opset):
                for op in ("MatMul", "Sigmoid", "Tanh", "Clip", "Add", "Mul", "Sub"):
                    self.assertIn(op, h)
                self.assertNotIn("RNNPool", h)
                if style == "inplace":
                    self.assertIn("ScatterND", h)
                if extraction == "slice":
                    self.assertIn("Slice", h)
                else:
                    self.assertIn("Range", h)
                # (r + c) RNN1 steps + 4 sweeps of RNN2; gates only (zeta, nu add 4).
                self.assertEqual(h["Sigmoid"], 0 + 4)
                self.assertEqual(h["Clip"], (4 + 3) + 2 * 4 + 2 * 3)
                self.assertEqual(h["Tanh"], (4 + 3) + 2 * 4 + 2 * 3)
                assert_close(run_onnx(proto, x), expected)

    def test_function_encoding(self):
        """(c) function: one call node per layer, body = flat ops, both builders."""
        for builder, opset, two in (("manual", 13, False), ("manual", 11, True),
                                    ("torch", 15, False), ("torch", 17, True)):
            model, x, expected = self.build(conv_before=two, two_layers=two, rank_w=2,
                                            input_shape=[1, 1, 18, 16] if two else [1, 3, 9, 8])
            proto = E.export(model, x, "function", opset, builder)
            onnx.checker.check_model(proto)
            with self.subTest(builder=builder, opset=opset, two=two):
                calls = [n for n in proto.graph.node if n.domain == E.FUNCTION_DOMAIN]
                self.assertEqual(len(calls), 2 if two else 1)
                self.assertTrue(all(n.op_type.startswith(E.FUNCTION_NAME) for n in calls))
                names = {(f.domain, f.name) for f in proto.functions}
                self.assertIn((E.FUNCTION_DOMAIN, E.FUNCTION_NAME), names)
                inits = {t.name: list(t.dims) for t in proto.graph.initializer}
                layers = dict(E.rnnpool_layers(model))
                self.assertEqual(len(layers), len(calls))
                for n, layer in zip(calls, layers.values()):
                    self.assertIn((n.domain, n.op_type), names)
                    # X, then the weights in the node encoding's order
                    self.assertEqual([inits[i] for i in n.input[1:]],
                                     [list(p.shape) for _, p in E.layer_weights(layer)])
                self.assertEqual([o.name for o in proto.graph.output], ["output"])
                body = histogram(proto.functions[0])
                self.assertIn("MatMul", body)
                self.assertIn("Sigmoid", body)
                self.assertGreaterEqual(proto.ir_version, 8)
                assert_close(run_onnx(proto, x), expected)

    def node_of(self, proto):
        nodes = [n for n in proto.graph.node if n.domain == E.NODE_DOMAIN]
        self.assertTrue(nodes)
        return nodes

    def test_node_encoding(self):
        """(c) node: one ai.rnnpoolc RNNPool node, documented attributes and inputs."""
        model, x, expected = self.build(rank_w=2, rank_u=3, gate="quantSigm",
                                        update="quantTanh")
        proto = E.export(model, x, "node", 13)
        onnx.checker.check_model(proto)
        self.assertIn(("ai.rnnpoolc", 1), [(o.domain, o.version) for o in proto.opset_import])
        (node,) = self.node_of(proto)
        self.assertEqual(node.op_type, "RNNPool")
        at = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        self.assertEqual(at["patch"], [4, 3])
        self.assertEqual(at["stride"], [2, 2])
        self.assertEqual(at["hidden"], [4, 5])
        self.assertEqual(at["gate_nonlinearity"], b"quantSigm")
        self.assertEqual(at["update_nonlinearity"], b"quantTanh")
        self.assertEqual([at["rank_w1"], at["rank_u1"], at["rank_w2"], at["rank_u2"]],
                         [2, 3, 2, 3])
        inits = {t.name: t for t in proto.graph.initializer}
        shapes = [list(inits[i].dims) for i in node.input[1:]]
        self.assertEqual(shapes, [[3, 2], [2, 4], [4, 3], [3, 4], [1, 4], [1, 4], [1, 1], [1, 1],
                                  [4, 2], [2, 5], [5, 3], [3, 5], [1, 5], [1, 5], [1, 1], [1, 1]])
        assert_close(run_onnx(proto, x), expected)

    def test_node_round_trip(self):
        """(d) rebuild the layer from the node's attributes and initializers."""
        for style, extraction in COMBOS:
            model, x, expected = self.build(style=style, extraction=extraction, rank_u=2,
                                            conv_before=True, two_layers=True,
                                            input_shape=[1, 1, 20, 18])
            proto = E.export(model, x, "node", 13)
            inits = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
            rebuilt = dict(model.named_children())
            for node in self.node_of(proto):
                at = {a.name: helper.get_attribute_value(a) for a in node.attribute}
                nl = (at["gate_nonlinearity"].decode(), at["update_nonlinearity"].decode())
                k = inits[node.input[1]].shape[0]
                layer = R.RNNPoolLayer(
                    k, at["patch"], at["stride"], at["hidden"],
                    w_ranks=(at["rank_w1"] or None, at["rank_w2"] or None),
                    u_ranks=(at["rank_u1"] or None, at["rank_u2"] or None),
                    nonlinearities=nl, style=style, extraction=extraction).eval()
                params = [p for cell in (layer.pool.rnn1, layer.pool.rnn2)
                          for p in cell.weights()]
                self.assertEqual(len(params), len(node.input) - 1)
                with torch.no_grad():
                    for p, name in zip(params, node.input[1:]):
                        self.assertEqual(tuple(p.shape), inits[name].shape)
                        p.copy_(torch.from_numpy(np.array(inits[name])))
                rebuilt[node.name] = layer
            with torch.no_grad():
                y = torch.nn.Sequential(*rebuilt.values())(x).numpy()
            self.assertTrue(np.array_equal(y, expected))

    def test_near_misses(self):
        for miss in ("unidirectional", "relu-update", "unshared"):
            model, x, expected = self.build(near_miss=miss)
            for enc in ("flat", "function"):
                proto = E.export(model, x, enc, 13)
                onnx.checker.check_model(proto)
                assert_close(run_onnx(proto, x), expected)
            h = histogram(E.export(model, x, "flat", 13))
            if miss == "relu-update":
                self.assertIn("Relu", h)
                self.assertNotIn("Tanh", h)
            if miss == "unidirectional":
                self.assertEqual(expected.shape[1], 2 * 5)
            if miss in ("unidirectional", "unshared"):
                with self.assertRaises(ValueError):
                    E.export(model, x, "node", 13)

    def test_cli(self):
        with tempfile.TemporaryDirectory() as d:
            for enc in ("function", "flat", "node"):
                out = os.path.join(d, enc, "m.onnx")
                rc = E.main(["--encoding", enc, "--input-shape", "1x4x16x16", "--patch", "8",
                             "8", "--stride", "4", "4", "--hidden", "16", "16", "-o", out])
                self.assertEqual(rc, 0)
                proto = onnx.load(out)
                onnx.checker.check_model(proto)
                x = np.load(os.path.join(d, enc, "m_input.npy"))
                e = np.load(os.path.join(d, enc, "m_expected.npy"))
                self.assertEqual(e.shape, (1, 64, 3, 3))
                assert_close(run_onnx(proto, x), e)
            with contextlib.redirect_stderr(io.StringIO()):
                for bad in (["--encoding", "node", "--near-miss", "unshared"],
                            ["--encoding", "flat", "--input-shape", "1x4x4"],
                            ["--encoding", "flat", "--input-shape", "1x4x6x6"],
                            ["--encoding", "function", "--function-builder", "torch"]):
                    with self.assertRaises(SystemExit) as cm:
                        E.main(bad + ["-o", os.path.join(d, "bad.onnx")])
                    self.assertEqual(cm.exception.code, 2)
            self.assertFalse(os.path.exists(os.path.join(d, "bad.onnx")))



class FoldUnfoldLayer(torch.nn.Module):
    """An RNNPool layer written as the RNNPool authors write it: nn.Unfold, the patches
    into the batch, RNNPool, then F.fold with a 1x1 kernel."""

    def __init__(self):
        super().__init__()
        self.pool = R.RNNPool(4, 4, 2, 5, 3)
        R.randomize_(self.pool, torch.Generator().manual_seed(3))

    def forward(self, x):
        n = x.shape[0]
        cols = torch.nn.functional.unfold(x, kernel_size=(4, 4), stride=(2, 2))
        patches = torch.cat(torch.unbind(cols, dim=2), dim=0).reshape(-1, 2, 4, 4)
        pooled = torch.stack(torch.split(self.pool(patches), n, dim=0), dim=2)
        return torch.nn.functional.fold(pooled, kernel_size=1, output_size=(3, 4))


class TestTorchExport(unittest.TestCase):
    """torch_export.py: a 1x1-kernel F.fold exports as a Reshape (torch cannot export
    aten::col2im at all), computes PyTorch's values, and any other fold is refused."""

    def test_fold_exports_as_reshape(self):
        model = FoldUnfoldLayer().eval()
        x = torch.rand(2, 2, 8, 10, generator=torch.Generator().manual_seed(4)) * 2 - 1
        with torch.no_grad():
            expected = model(x).numpy()
        self.assertEqual(expected.shape, (2, 4 * 3, 3, 4))
        for opset in (11, 13, 17):
            f = io.BytesIO()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                TE.export(model, x, f, opset_version=opset, input_names=["input"],
                          output_names=["output"])
            proto = onnx.load_from_string(f.getvalue())
            onnx.checker.check_model(proto)
            last = proto.graph.node[-1]
            self.assertEqual(last.op_type, "Reshape", "opset %d" % opset)
            assert_close(run_onnx(proto, x), expected)

    def test_other_folds_are_refused(self):
        class Fold(torch.nn.Module):
            def __init__(self, **kw):
                super().__init__()
                self.kw = kw

            def forward(self, x):
                return torch.nn.functional.fold(x, output_size=(4, 4), **self.kw)

        for kw, shape in ((dict(kernel_size=2), (1, 8, 9)),
                          (dict(kernel_size=1, stride=2), (1, 2, 4)),
                          (dict(kernel_size=1, padding=1), (1, 2, 36))):
            with self.assertRaises(TE.FoldExportError) as cm:
                TE.export(Fold(**kw), torch.rand(shape), io.BytesIO(), opset_version=13)
            self.assertIn("only a fold with a 1x1 kernel, stride 1 and no padding",
                          str(cm.exception))

    def test_cli(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "user_model.py")
            with open(src, "w") as f:
                f.write("import sys\nsys.path.insert(0, %r)\n" % os.path.dirname(
                    os.path.abspath(__file__)))
                f.write("import test_rnnpool\n\ndef build():\n"
                        "    return test_rnnpool.FoldUnfoldLayer(), (1, 2, 8, 10)\n")
            out = os.path.join(d, "out", "m.onnx")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.assertEqual(TE.main([src + ":build", "--opset", "11", "-o", out]), 0)
            x = np.load(os.path.join(d, "out", "m_input.npy"))
            e = np.load(os.path.join(d, "out", "m_expected_0.npy"))
            assert_close(run_onnx(onnx.load(out), torch.from_numpy(x)), e)
            with contextlib.redirect_stderr(io.StringIO()):
                for bad in ([src + ":missing"], [src], [os.path.join(d, "none.py:build")]):
                    with self.assertRaises(SystemExit) as cm:
                        TE.main(bad + ["-o", os.path.join(d, "bad.onnx")])
                    self.assertEqual(cm.exception.code, 2)
            self.assertFalse(os.path.exists(os.path.join(d, "bad.onnx")))


if __name__ == "__main__":
    unittest.main()
