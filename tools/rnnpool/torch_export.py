#!/usr/bin/python3
"""torch.onnx.export for RNNPool models written the way the RNNPool authors wrote them.

EdgeML's RNNPool models cut patches with nn.Unfold, run RNNPool on every patch and put
the pooled vectors back on a grid with `F.fold(x, kernel_size=(1, 1), output_size=...)`.
PyTorch 1.13 cannot export `F.fold` / `nn.Fold` (`aten::col2im`) at any opset, so a plain
torch.onnx.export of these models fails with "Exporting the operator 'aten::col2im' to
ONNX opset version N is not supported". A fold with a 1x1 kernel, stride 1 and no padding
only reshapes [N, C, Ho*Wo] to [N, C, Ho, Wo]; `export()` registers an ONNX symbolic that
writes it as that Reshape (registered once per process, for every opset; it stays
registered), so the modules export unchanged. Any other fold is refused with a message
saying so.

Python:
    import torch_export
    torch_export.export(model, x, "model.onnx", opset_version=13)   # as torch.onnx.export

    torch_export.register_fold_symbolic()    # or before your own torch.onnx.export call
    torch.onnx.export(model, x, "model.onnx", opset_version=13)

CLI (a model built by a Python function, optionally with trained weights):
    torch_export.py FILE.py:FUNCTION --input-shape 1x1x240x320 -o model.onnx
                    [--opset 13] [--state-dict weights.pth] [--seed 0]

FUNCTION returns an nn.Module, or (nn.Module, input shape). The CLI writes model.onnx,
model_input.npy (seeded uniform in [-1, 1)) and model_expected_K.npy (PyTorch's outputs,
one per output). Exit status 2 on bad arguments or a model it cannot export.
"""
import argparse
import importlib.util
import os
import sys
import warnings

import numpy as np
import torch
from torch.onnx import symbolic_helper

_COL2IM = "aten::col2im"
_FIRST_OPSET = 7  # a symbolic registered here serves every later opset


class FoldExportError(ValueError):
    """A fold that is not a reshape (kernel, stride or padding other than 1x1, 1, 0)."""


def _ints(value, what):
    got = symbolic_helper._maybe_get_const(value, "is")
    if isinstance(got, torch.Tensor):
        got = got.tolist()
    if not isinstance(got, (list, tuple)):
        return None
    return [int(v) for v in got]


def _col2im_symbolic(g, x, output_size, kernel_size, dilation, padding, stride):
    """aten::col2im (F.fold) with a 1x1 kernel, stride 1 and no padding: Reshape
    [N, C, Ho*Wo] -> [N, C, Ho, Wo]. Dilation does not matter for a 1x1 kernel."""
    kernel = _ints(kernel_size, "kernel_size")
    pads = _ints(padding, "padding")
    strides = _ints(stride, "stride")
    if kernel != [1, 1] or pads != [0, 0] or strides != [1, 1]:
        raise FoldExportError(
            "F.fold / nn.Fold with kernel_size %s, stride %s, padding %s cannot be exported: "
            "ONNX before opset 18 has no Col2Im, and only a fold with a 1x1 kernel, stride 1 "
            "and no padding (a reshape) is written as a Reshape; use such a fold or a "
            "reshape" % (kernel, strides, pads))
    size = _ints(output_size, "output_size")
    if size is not None:
        shape = g.op("Constant", value_t=torch.tensor([0, -1] + size, dtype=torch.int64))
    else:  # output_size computed in the graph: [0, -1] ++ output_size
        head = g.op("Constant", value_t=torch.tensor([0, -1], dtype=torch.int64))
        tail = g.op("Cast", output_size, to_i=symbolic_helper.cast_pytorch_to_onnx["Long"])
        shape = g.op("Concat", head, tail, axis_i=0)
    return g.op("Reshape", x, shape)


def register_fold_symbolic():
    """From now on torch.onnx.export writes a 1x1-kernel F.fold as a Reshape. (Not undone
    afterwards: torch 1.13's unregister_custom_op_symbolic leaves an empty entry that
    breaks the next export of the op.)"""
    torch.onnx.register_custom_op_symbolic(_COL2IM, _col2im_symbolic, _FIRST_OPSET)


def export(model, args, f, opset_version=13, **kwargs):
    """torch.onnx.export(model, args, f, opset_version=..., **kwargs) with 1x1-kernel folds
    written as Reshape. Raises FoldExportError for a fold that is not a reshape."""
    register_fold_symbolic()
    torch.onnx.export(model, args, f, opset_version=opset_version, **kwargs)


# ---------------------------------------------------------------------------- CLI --
def parse_shape(text):
    try:
        dims = [int(d) for d in text.lower().split("x")]
    except ValueError:
        dims = []
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError("expected dims like 1x1x240x320, got %r" % text)
    return dims


def load_builder(spec):
    """FILE.py:FUNCTION -> the function."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path.endswith(".py") or not os.path.isfile(path):
        raise ValueError("expected FILE.py:FUNCTION with an existing FILE.py, got %r" % spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    module_spec = importlib.util.spec_from_file_location("user_model", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    if not callable(getattr(module, name, None)):
        raise ValueError("%s has no function %r" % (path, name))
    return getattr(module, name)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="FILE.py:FUNCTION returning an nn.Module or (module, shape)")
    p.add_argument("--input-shape", type=parse_shape, help="e.g. 1x1x240x320")
    p.add_argument("--state-dict", help="load these weights (torch.save of a state_dict)")
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--seed", type=int, default=0, help="seed of the random input")
    p.add_argument("-o", "--output", required=True, help="model.onnx")
    args = p.parse_args(argv)
    try:
        built = load_builder(args.model)()
        model, shape = built if isinstance(built, tuple) else (built, None)
        shape = args.input_shape or shape
        if shape is None:
            raise ValueError("the model's input shape is unknown: pass --input-shape")
        if args.state_dict:
            model.load_state_dict(torch.load(args.state_dict, map_location="cpu"))
        model.eval()
        gen = torch.Generator().manual_seed(args.seed)
        x = torch.rand(tuple(shape), generator=gen) * 2 - 1
        with torch.no_grad():
            outputs = model(x)
        outputs = (outputs,) if isinstance(outputs, torch.Tensor) else tuple(outputs)
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        names = ["output_%d" % k for k in range(len(outputs))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            export(model, x, args.output, opset_version=args.opset, input_names=["input"],
                   output_names=names)
    except (ValueError, FileNotFoundError) as e:
        p.error(str(e))
    stem = os.path.splitext(args.output)[0]
    np.save(stem + "_input.npy", x.numpy())
    for k, y in enumerate(outputs):
        np.save(stem + "_expected_%d.npy" % k, y.numpy())
    return 0


if __name__ == "__main__":
    sys.exit(main())
