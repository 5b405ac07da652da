#!/usr/bin/python3
"""The demo's QEMU part: the bundled Fashion-MNIST test images through the generated
fixed-point C on a Cortex-M4 board, in one QEMU run, as a table of label, prediction and
instructions per inference. Writes WORK_DIR/result.json for tools/demo_summary.py.

  demo_fashion.py RNNPOOLC EXAMPLE_DIR WORK_DIR [BOARD]

EXAMPLE_DIR holds model.onnx, image_K.npy and labels.txt ("image_K.npy LABEL CLASS").
"""
import json
import os
import subprocess
import sys

import numpy as np

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot"]


def main(rnnpoolc, example, work, board="mps2-an386"):
    os.makedirs(work, exist_ok=True)
    labels = {}
    for line in open(os.path.join(example, "labels.txt")):
        name, label = line.split()[:2]
        labels[name] = int(label)
    names = sorted(labels, key=lambda n: int(n.split("_")[1].split(".")[0]))
    batch = np.concatenate([np.load(os.path.join(example, n)) for n in names])
    batch_path = os.path.join(work, "images.npy")
    out_path = os.path.join(work, "logits.npy")
    np.save(batch_path, batch.astype(np.float32))
    run = subprocess.run([rnnpoolc, "run", os.path.join(example, "model.onnx"), "--input",
                          batch_path, "--board", board, "--calib", example, "--output",
                          out_path, "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        return run.returncode
    report = json.loads(run.stdout)
    predicted = np.load(out_path).argmax(1)
    print("%-12s %-12s %-12s %s" % ("image", "label", "predicted", "instructions per inference"))
    for name, pred, instr in zip(names, predicted, report["instructions_per_inference"]):
        mark = "" if pred == labels[name] else "  (wrong)"
        print("%-12s %-12s %-12s %s%s" % (name, CLASSES[labels[name]], CLASSES[pred],
                                          "{:,}".format(instr), mark))
    correct = sum(int(p == labels[n]) for n, p in zip(names, predicted))
    print("%d of %d images right on %s; flash %s bytes, RAM %s bytes (arena %s bytes); "
          "QEMU == host fixed point byte for byte: %s" %
          (correct, len(names), board, "{:,}".format(report["flash_bytes"]),
           "{:,}".format(report["ram_bytes"]), "{:,}".format(report["arena_bytes"]),
           "yes" if report["host_match"] else "NO"))
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump({"correct": correct, "images": len(names), "board": board,
                   "instructions": report["instructions"], "ram_bytes": report["ram_bytes"],
                   "flash_bytes": report["flash_bytes"], "host_match": report["host_match"]},
                  f)
    return 0 if report["host_match"] else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
