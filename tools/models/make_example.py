#!/usr/bin/python3
"""Writes examples/small_cnn: the SmallCnn of zoo.py exported at opset 13, and the first
Fashion-MNIST test image (Debian's dataset-fashion-mnist) as its input.

Its weights are random: it shows the tool chain, not accuracy.
"""
import gzip
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import zoo  # noqa: E402

FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def first_image():
    with gzip.open(FASHION) as f:
        data = f.read()
    return np.frombuffer(data[16:16 + 28 * 28], np.uint8).reshape(1, 1, 28, 28) / 255.0


def main():
    out = os.path.join(HERE, "..", "..", "examples", "small_cnn")
    os.makedirs(out, exist_ok=True)
    module, _ = zoo.small_cnn()
    x = torch.tensor(first_image(), dtype=torch.float32)
    torch.onnx.export(module, x, os.path.join(out, "model.onnx"), opset_version=13,
                      input_names=["image"], output_names=["probabilities"])
    np.save(os.path.join(out, "input.npy"), x.numpy())


if __name__ == "__main__":
    main()
