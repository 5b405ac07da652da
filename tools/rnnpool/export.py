#!/usr/bin/python3
"""Exports an RNNPool model to ONNX in one of the three encodings rnnpoolc recognises.

  export.py --encoding {function,flat,node} --input-shape 1x4x16x16 --patch 8 8
            --stride 4 4 --hidden 16 16 [--rank-w R] [--rank-u R] [--gate NL]
            [--update NL] [--style functional|inplace] [--extraction unfold|slice]
            [--opset 13] [--seed 0] [--near-miss none|unidirectional|relu-update|unshared]
            [--near-miss-first-only] [--conv-before [--conv-channels K]] [--two-layers]
            [--function-builder auto|torch|manual] -o model.onnx

writes model.onnx, model_input.npy (seeded random input in [-1, 1)) and
model_expected.npy (PyTorch's output). See README.md for the encodings.
Exit status 2 on bad arguments.
"""
import argparse
import collections
import copy
import io
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rnnpool as R  # noqa: E402

NODE_DOMAIN = "ai.rnnpoolc"
FUNCTION_DOMAIN = "ai.rnnpoolc.local"
FUNCTION_NAME = "RNNPoolLayer"
_MARKER_DOMAIN = "rnnpoolc_marker"
NEAR_MISSES = ("none", "unidirectional", "relu-update", "unshared")


# ---------------------------------------------------------------------------- model --
def build_model(input_shape, patch, stride, hidden, rank_w=None, rank_u=None,
                gate="sigmoid", update="tanh", style="functional", extraction="unfold",
                near_miss="none", near_miss_first_only=False, conv_before=False,
                conv_channels=4, two_layers=False, seed=0):
    """Returns (model in eval mode, input tensor). The RNNPool layers are the children
    named rnnpool0 (and rnnpool1 with two_layers)."""
    if near_miss not in NEAR_MISSES:
        raise ValueError("near_miss must be one of %s" % (NEAR_MISSES,))
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    n, c, h, w = input_shape
    layers = collections.OrderedDict()
    if conv_before:
        layers["conv"] = nn.Conv2d(c, conv_channels, 3, stride=2, padding=1)
        layers["relu"] = nn.ReLU()
        c, h, w = conv_channels, (h + 1) // 2, (w + 1) // 2

    def rnnpool_layer(in_ch, p, s, first):
        miss = near_miss if (first or not near_miss_first_only) else "none"
        layer = R.RNNPoolLayer(
            in_ch, p, s, hidden, w_ranks=(rank_w, rank_w), u_ranks=(rank_u, rank_u),
            nonlinearities=(gate, "relu" if miss == "relu-update" else update),
            style=style, extraction=extraction,
            bidirectional=(miss != "unidirectional"), shared_rnn2=(miss != "unshared"))
        R.randomize_(layer, gen)
        return layer

    first = rnnpool_layer(c, patch, stride, True)
    layers["rnnpool0"] = first
    if two_layers:
        ho, wo = first.output_hw(h, w)
        mid = 8
        layers["mid_conv"] = nn.Conv2d(first.out_channels, mid, 1)
        layers["mid_relu"] = nn.ReLU()
        layers["rnnpool1"] = rnnpool_layer(mid, (min(2, ho), min(2, wo)), (1, 1), False)
    model = nn.Sequential(layers).eval()
    x = torch.rand(input_shape, generator=gen) * 2 - 1
    return model, x


def rnnpool_layers(model):
    return [(name, m) for name, m in model.named_modules() if isinstance(m, R.RNNPoolLayer)]


def layer_weights(layer):
    """(role, parameter) in the input order of the encodings: RNN1's weights, RNN2's
    weights, then (near miss "unshared" only) the backward RNN2's. Per cell: W (or W1,
    W2), U (or U1, U2), bias_gate, bias_update, zeta, nu."""
    out = []
    cells = [("rnn1", layer.pool.rnn1), ("rnn2", layer.pool.rnn2)]
    if hasattr(layer.pool, "rnn2_reverse"):
        cells.append(("rnn2_reverse", layer.pool.rnn2_reverse))
    for cname, cell in cells:
        for pname in cell.weight_names():
            out.append(("%s.%s" % (cname, pname), getattr(cell, pname)))
    return out


# ----------------------------------------------------------- marker (placeholder) op --
_MARKED = []


class _MarkerFn(torch.autograd.Function):
    """Stands in for an RNNPoolLayer during torch.onnx.export: computes the layer, and
    exports as one rnnpoolc_marker::Layer node that post-processing replaces."""

    @staticmethod
    def forward(ctx, x, index):
        state = torch._C._get_tracing_state()   # compute the layer untraced
        torch._C._set_tracing_state(None)
        try:
            with torch.no_grad():
                return _MARKED[index][0](x)
        finally:
            torch._C._set_tracing_state(state)

    @staticmethod
    def symbolic(g, x, index):
        out = g.op(_MARKER_DOMAIN + "::Layer", x, index_i=index)
        out.setType(torch._C.TensorType.create_from_tensor(_MARKED[index][1]))
        return out


class _Marked(nn.Module):
    def __init__(self, index):
        super().__init__()
        self.index = index

    def forward(self, x):
        return _MarkerFn.apply(x, self.index)


def _export_with_markers(model, x, opset):
    """Exports model (an nn.Sequential, as build_model makes) with every RNNPoolLayer
    child replaced by a marker node. Returns (ModelProto, [(name, layer, input shape)]
    in marker index order)."""
    if not isinstance(model, nn.Sequential):
        raise ValueError("the node and manual function encodings need an nn.Sequential")
    layers = rnnpool_layers(model)
    seen = {}
    hooks = [m.register_forward_hook(
        lambda mod, inp, out, name=name: seen.__setitem__(name, (tuple(inp[0].shape), out)))
        for name, m in layers]
    with torch.no_grad():
        model(x)
    for hk in hooks:
        hk.remove()
    del _MARKED[:]
    marked = collections.OrderedDict()
    for name, m in model.named_children():
        if isinstance(m, R.RNNPoolLayer):
            marked[name] = _Marked(len(_MARKED))
            _MARKED.append((m, seen[name][1]))
        else:
            marked[name] = m
    if len(_MARKED) != len(layers):
        raise ValueError("RNNPoolLayers must be direct children of the model")
    with torch.no_grad():
        proto = _torch_export(nn.Sequential(marked).eval(), x, opset,
                              custom_opsets={_MARKER_DOMAIN: 1})
    return proto, [(name, m, seen[name][0]) for name, m in layers]


def _torch_export(module, args, opset, input_names=("input",), output_names=("output",),
                  **kw):
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, f, opset_version=opset,
                          input_names=list(input_names), output_names=list(output_names),
                          **kw)
    return onnx.load_from_string(f.getvalue())


def _replace_markers(proto, make):
    """Replaces each marker node by the nodes make(index, node) returns, and records
    the marker output's type (torch leaves it unknown)."""
    nodes = []
    for node in proto.graph.node:
        if node.domain == _MARKER_DOMAIN:
            index = [a.i for a in node.attribute if a.name == "index"][0]
            nodes.extend(make(index, node))
            _set_value_type(proto.graph, node.output[0], _MARKED[index][1])
        else:
            nodes.append(node)
    del proto.graph.node[:]
    proto.graph.node.extend(nodes)
    keep = [o for o in proto.opset_import if o.domain != _MARKER_DOMAIN]
    del proto.opset_import[:]
    proto.opset_import.extend(keep)


def _set_value_type(graph, name, example):
    vi = helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, list(example.shape))
    for coll in (graph.output, graph.value_info):
        for v in coll:
            if v.name == name:
                v.CopyFrom(vi)
                return
    graph.value_info.append(vi)


def _set_opset(proto, domain, version):
    for o in proto.opset_import:
        if o.domain == domain:
            o.version = version
            return
    proto.opset_import.append(helper.make_opsetid(domain, version))


def _add_initializer(proto, name, tensor):
    proto.graph.initializer.append(
        numpy_helper.from_array(tensor.detach().numpy().astype(np.float32), name))


# --------------------------------------------------------------------- encodings --
def export_flat(model, x, opset):
    return _torch_export(model, x, opset)


def node_attributes(layer):
    """The attributes of the ai.rnnpoolc RNNPool node for layer (see README.md)."""
    pool = layer.pool
    if not pool.bidirectional or not pool.shared_rnn2:
        raise ValueError("the node encoding is RNNPool only: a unidirectional or unshared "
                         "RNN2 (near miss) cannot be encoded as an RNNPool node")
    rnn1, rnn2 = pool.rnn1, pool.rnn2
    if (rnn1.gate_nonlinearity, rnn1.update_nonlinearity) != \
            (rnn2.gate_nonlinearity, rnn2.update_nonlinearity):
        raise ValueError("the node encoding needs the same nonlinearities in RNN1 and RNN2")
    return dict(patch=list(layer.patch), stride=list(layer.stride), hidden=list(layer.hidden),
                gate_nonlinearity=rnn1.gate_nonlinearity,
                update_nonlinearity=rnn1.update_nonlinearity,
                rank_w1=rnn1.w_rank or 0, rank_u1=rnn1.u_rank or 0,
                rank_w2=rnn2.w_rank or 0, rank_u2=rnn2.u_rank or 0)


def export_node(model, x, opset):
    proto, layers = _export_with_markers(model, x, opset)

    def make(index, marker):
        name, layer, _ = layers[index]
        inputs = [marker.input[0]]
        for role, p in layer_weights(layer):
            inputs.append("%s.%s" % (name, role))
            _add_initializer(proto, inputs[-1], p)
        return [helper.make_node("RNNPool", inputs, list(marker.output), name=name,
                                 domain=NODE_DOMAIN, **node_attributes(layer))]

    _replace_markers(proto, make)
    _set_opset(proto, NODE_DOMAIN, 1)
    return proto


def _function_body(layer, in_shape, opset):
    """The flat standard-op graph of one layer, exported with its weights as graph
    inputs: (nodes, formal input names; the output is "Y"). Initializers (folded constants) become
    Constant nodes."""
    layer = copy.deepcopy(layer)
    weights = layer_weights(layer)
    if len(weights) != len(list(layer.parameters())):
        raise AssertionError("layer_weights does not cover the parameters")
    # The weights become plain tensor attributes, set from the graph inputs each call.
    slots = []
    for role, _ in weights:
        cname, pname = role.split(".")
        cell = getattr(layer.pool, cname)
        del cell._parameters[pname]
        slots.append((cell, pname))

    class WithWeights(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, xin, *ws):
            for (cell, pname), w in zip(slots, ws):
                setattr(cell, pname, w)
            return self.layer(xin)

    xin = torch.zeros(in_shape)
    formal = ["X"] + [role for role, _ in weights]
    proto = _torch_export(WithWeights().eval(), (xin,) + tuple(p.detach() for _, p in weights),
                          opset, input_names=formal, output_names=["Y"])
    nodes = [helper.make_node("Constant", [], [t.name], value=t) for t in proto.graph.initializer]
    nodes += list(proto.graph.node)
    used = {i for nd in nodes for i in nd.input}
    if "X" not in used:
        raise AssertionError("function body does not read X")
    return nodes, formal


def export_function_manual(model, x, opset):
    """Encoding 1 built with the onnx helper API (any opset; IR version 8)."""
    proto, layers = _export_with_markers(model, x, opset)
    functions = []          # (FunctionProto, body key)

    def make(index, marker):
        name, layer, in_shape = layers[index]
        nodes, formal = _function_body(layer, in_shape, opset)
        key = b"".join(nd.SerializeToString() for nd in nodes)
        fname = None
        for fn, k in functions:
            if k == key:
                fname = fn.name
        if fname is None:
            fname = FUNCTION_NAME if not functions else "%s.%d" % (FUNCTION_NAME, len(functions))
            functions.append((helper.make_function(
                FUNCTION_DOMAIN, fname, formal, ["Y"], nodes,
                [helper.make_opsetid("", opset)], []), key))
        inputs = [marker.input[0]]
        for role, p in layer_weights(layer):
            inputs.append("%s.%s" % (name, role))
            _add_initializer(proto, inputs[-1], p)
        return [helper.make_node(fname, inputs, list(marker.output), name=name,
                                 domain=FUNCTION_DOMAIN)]

    _replace_markers(proto, make)
    proto.functions.extend(fn for fn, _ in functions)
    _set_opset(proto, FUNCTION_DOMAIN, 1)
    proto.ir_version = max(proto.ir_version, 8)
    return proto


def export_function_torch(model, x, opset):
    """Encoding 1 by torch.onnx.export(export_modules_as_functions=...) (opset >= 15),
    with the function's domain renamed to ai.rnnpoolc.local."""
    proto = _torch_export(model, x, opset, export_modules_as_functions={R.RNNPoolLayer})
    old = {fn.domain for fn in proto.functions if fn.name == FUNCTION_NAME}
    for fn in proto.functions:
        if fn.domain in old:
            fn.domain = FUNCTION_DOMAIN
        for nd in fn.node:
            if nd.domain in old:
                nd.domain = FUNCTION_DOMAIN
    for nd in proto.graph.node:
        if nd.domain in old:
            nd.domain = FUNCTION_DOMAIN
    for o in proto.opset_import:
        if o.domain in old:
            o.domain = FUNCTION_DOMAIN
    # With functions torch ignores output_names; name the output "output" as elsewhere.
    for out in proto.graph.output:
        if out.name != "output" and len(proto.graph.output) == 1:
            for nd in proto.graph.node:
                for coll in (nd.input, nd.output):
                    for i, v in enumerate(coll):
                        if v == out.name:
                            coll[i] = "output"
            out.name = "output"
    return proto


def export(model, x, encoding, opset=13, function_builder="auto"):
    if encoding == "flat":
        return export_flat(model, x, opset)
    if encoding == "node":
        return export_node(model, x, opset)
    if encoding == "function":
        if function_builder == "auto":
            function_builder = "torch" if opset >= 15 else "manual"
        if function_builder == "torch":
            return export_function_torch(model, x, opset)
        return export_function_manual(model, x, opset)
    raise ValueError("unknown encoding %r" % encoding)


# ---------------------------------------------------------------------------- CLI --
def parse_shape(text):
    try:
        dims = [int(d) for d in text.lower().split("x")]
    except ValueError:
        dims = []
    if len(dims) != 4 or min(dims) < 1:
        raise argparse.ArgumentTypeError("expected NxCxHxW, e.g. 1x4x16x16, got %r" % text)
    return dims


def make_parser():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoding", choices=("function", "flat", "node"), required=True)
    p.add_argument("--input-shape", type=parse_shape, default=[1, 4, 16, 16])
    p.add_argument("--patch", type=int, nargs=2, default=[8, 8], metavar=("R", "C"))
    p.add_argument("--stride", type=int, nargs=2, default=[4, 4], metavar=("SH", "SW"))
    p.add_argument("--hidden", type=int, nargs=2, default=[16, 16], metavar=("H1", "H2"))
    p.add_argument("--rank-w", type=int, default=None, help="low-rank W = W1·W2 (both RNNs)")
    p.add_argument("--rank-u", type=int, default=None, help="low-rank U = U1·U2 (both RNNs)")
    p.add_argument("--gate", choices=R.NONLINEARITIES, default="sigmoid")
    p.add_argument("--update", choices=R.NONLINEARITIES, default="tanh")
    p.add_argument("--style", choices=R.STYLES, default="functional")
    p.add_argument("--extraction", choices=R.EXTRACTIONS, default="unfold")
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--near-miss", choices=NEAR_MISSES, default="none")
    p.add_argument("--near-miss-first-only", action="store_true",
                   help="with --two-layers: only the first RNNPool layer is a near miss")
    p.add_argument("--conv-before", action="store_true",
                   help="Conv C->K 3x3 stride 2 pad 1 + ReLU before the RNNPool layer")
    p.add_argument("--conv-channels", type=int, default=4, help="K of --conv-before")
    p.add_argument("--two-layers", action="store_true",
                   help="RNNPool, Conv 1x1 -> 8 + ReLU, RNNPool (patch <= 2x2, stride 1)")
    p.add_argument("--function-builder", choices=("auto", "torch", "manual"), default="auto",
                   help="encoding function: torch's export_modules_as_functions (opset >= "
                        "15) or the onnx helper API; auto = torch if opset >= 15")
    p.add_argument("-o", "--output", required=True, help="model.onnx")
    return p


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.function_builder == "torch" and args.opset < 15:
        parser.error("--function-builder torch needs --opset 15 or later")
    try:
        model, x = build_model(
            args.input_shape, tuple(args.patch), tuple(args.stride), tuple(args.hidden),
            args.rank_w, args.rank_u, args.gate, args.update, args.style, args.extraction,
            args.near_miss, args.near_miss_first_only, args.conv_before, args.conv_channels,
            args.two_layers, args.seed)
        with torch.no_grad():
            expected = model(x)
        proto = export(model, x, args.encoding, args.opset, args.function_builder)
        onnx.checker.check_model(proto)
    except ValueError as e:
        parser.error(str(e))
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(proto, args.output)
    stem = os.path.splitext(args.output)[0]
    np.save(stem + "_input.npy", x.numpy())
    np.save(stem + "_expected.npy", expected.numpy())
    return 0


if __name__ == "__main__":
    sys.exit(main())
