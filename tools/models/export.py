#!/usr/bin/python3
"""Exports a model of tools/models/zoo.py or tools/models/authors.py (the RNNPool authors'
models, re-created) to ONNX, with a random input and PyTorch's output.

  export.py MODEL -o DIR [--opset 13] [--dynamic-batch] [--no-constant-folding]
            [--keep-batchnorm]

writes DIR/MODEL.onnx, DIR/input.npy and DIR/expected_K.npy (one per output). The export
goes through tools/rnnpool/torch_export.py, so models that fold with a 1x1 kernel (F.fold,
as the authors' RNNPool layers do) export too.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rnnpool"))
import authors  # noqa: E402
import torch_export  # noqa: E402
import zoo  # noqa: E402

MODELS = {**zoo.MODELS, **authors.MODELS}


def export_model(name, out_dir, opset=13, dynamic_batch=False, constant_folding=True,
                 keep_batchnorm=False):
    """Writes out_dir/NAME.onnx, input.npy and expected_K.npy; returns the .onnx path."""
    module, shape = MODELS[name]()
    gen = torch.Generator().manual_seed(123)
    x = torch.rand(shape, generator=gen) * 2 - 1
    with torch.no_grad():
        outputs = module(x)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name + ".onnx")
    names = ["output_%d" % k for k in range(len(outputs))]
    dynamic = {"input": {0: "N"}, **{n: {0: "N"} for n in names}} if dynamic_batch else None
    torch_export.export(module, x, path, opset_version=opset, input_names=["input"],
                        output_names=names, dynamic_axes=dynamic,
                        do_constant_folding=constant_folding,
                        training=(torch.onnx.TrainingMode.PRESERVE if keep_batchnorm
                                  else torch.onnx.TrainingMode.EVAL))
    np.save(os.path.join(out_dir, "input.npy"), x.numpy())
    for k, y in enumerate(outputs):
        np.save(os.path.join(out_dir, "expected_%d.npy" % k), y.numpy())
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("-o", "--out-dir", required=True)
    parser.add_argument("--opset", type=int, default=13)
    parser.add_argument("--dynamic-batch", action="store_true",
                        help="export the batch dim as symbolic")
    parser.add_argument("--no-constant-folding", action="store_true",
                        help="keep PyTorch's shape plumbing in the graph")
    parser.add_argument("--keep-batchnorm", action="store_true",
                        help="export BatchNormalization nodes instead of folding them")
    args = parser.parse_args()
    export_model(args.model, args.out_dir, args.opset, args.dynamic_batch,
                 not args.no_constant_folding, args.keep_batchnorm)


if __name__ == "__main__":
    main()
