#!/usr/bin/python3
"""Trains a small Fashion-MNIST classifier with an RNNPoolLayer and exports it for rnnpoolc.

  train_fashion_mnist.py [--epochs 3] [--seed 0] [--images 8] [--threads 2]
                         [--data /usr/share/datasets/fashion-mnist]
                         [-o examples/fashion_rnnpool]

Model (input [1, 1, 28, 28], pixels scaled to [0, 1]):
  Conv 1->8 3x3 stride 2 pad 1 + BatchNorm + ReLU     -> [8, 14, 14]
  RNNPoolLayer patch 4x4 stride 2, hidden (8, 8)       -> [32, 6, 6]
  Conv 32->32 3x3 stride 2 pad 1 + BatchNorm + ReLU    -> [32, 3, 3]
  Flatten + Linear 288->10                             -> logits [1, 10]

Trains on CPU (Adam, a few minutes), evaluates float top-1 accuracy on the 10k test set,
and writes into the output directory: model.onnx (the RNNPool layer as one ai.rnnpoolc
RNNPool node, tools/rnnpool/README.md), image_K.npy (float32 [1, 1, 28, 28]) for the
first --images test images, labels.txt ("image_K.npy LABEL CLASS-NAME" per line) and
accuracy.json (float accuracy, epochs, seed). Data: Debian's dataset-fashion-mnist.
"""
import argparse
import collections
import gzip
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "rnnpool"))
import export as E  # noqa: E402
import rnnpool as R  # noqa: E402

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot")
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An IDX file (gzip) as a numpy array: uint8 images [N, 28, 28] or labels [N]."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(data_dir, split):
    """(images float32 [N, 1, 28, 28] in [0, 1], labels int64 [N]) of 'train' or 't10k'."""
    images = read_idx(os.path.join(data_dir, "%s-images-idx3-ubyte.gz" % split))
    labels = read_idx(os.path.join(data_dir, "%s-labels-idx1-ubyte.gz" % split))
    return (images.astype(np.float32)[:, None] / 255.0), labels.astype(np.int64)


def build_model():
    layers = collections.OrderedDict()
    layers["conv1"] = nn.Conv2d(1, 8, 3, stride=2, padding=1)
    layers["bn1"] = nn.BatchNorm2d(8)
    layers["relu1"] = nn.ReLU()
    layers["rnnpool"] = R.RNNPoolLayer(8, patch=(4, 4), stride=(2, 2), hidden=(8, 8))
    layers["conv2"] = nn.Conv2d(32, 32, 3, stride=2, padding=1)
    layers["bn2"] = nn.BatchNorm2d(32)
    layers["relu2"] = nn.ReLU()
    layers["flatten"] = nn.Flatten()
    layers["fc"] = nn.Linear(32 * 3 * 3, 10)
    return nn.Sequential(layers)


def accuracy(model, images, labels, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            logits = model(torch.from_numpy(images[i:i + batch]))
            correct += int((logits.argmax(1).numpy() == labels[i:i + batch]).sum())
    return correct / len(images)


def train(model, images, labels, epochs, batch=128, lr=3e-3, log=print):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(images) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        order = np.random.permutation(len(images))
        start, total = time.time(), 0.0
        for i in range(0, len(images), batch):
            idx = order[i:i + batch]
            x, y = torch.from_numpy(images[idx]), torch.from_numpy(labels[idx])
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        log("epoch %d: loss %.4f (%.0f s)" % (epoch + 1, total / len(images), time.time() - start))


def write_outputs(out_dir, model, test_images, test_labels, n_images, info):
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    x = torch.from_numpy(test_images[:1])
    proto = E.export(model, x, "node", opset=13)
    onnx.checker.check_model(proto)
    onnx.save(proto, os.path.join(out_dir, "model.onnx"))
    lines = []
    for k in range(n_images):
        name = "image_%d.npy" % k
        np.save(os.path.join(out_dir, name), test_images[k:k + 1])
        lines.append("%s %d %s\n" % (name, test_labels[k], CLASSES[test_labels[k]]))
    with open(os.path.join(out_dir, "labels.txt"), "w") as f:
        f.writelines(lines)
    with open(os.path.join(out_dir, "accuracy.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--images", type=int, default=8, help="test images to bundle")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--train-limit", type=int, default=0, help="use only N training images")
    p.add_argument("-o", "--output", default=os.path.join(HERE, "..", "examples",
                                                          "fashion_rnnpool"))
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    if args.train_limit:
        train_x, train_y = train_x[:args.train_limit], train_y[:args.train_limit]
    model = build_model()
    train(model, train_x, train_y, args.epochs)
    acc = accuracy(model, test_x, test_y)
    print("float test accuracy: %.2f%% (%d images)" % (100 * acc, len(test_x)))
    info = dict(float_top1=round(acc, 4), test_images=len(test_x), epochs=args.epochs,
                seed=args.seed, train_images=len(train_x))
    write_outputs(args.output, model, test_x, test_y, args.images, info)
    print("wrote %s" % os.path.abspath(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
