#!/usr/bin/python3
"""rnnpoolc run --board in QEMU: generated C on both boards equals the host fixed-point
interpreter byte for byte (rnnpoolc checks every inference and reports host_match), and the
Fashion-MNIST example classifies 200 test images in one QEMU run (and 20 with a streamed
input). The RNNPool-Face-M4-shaped detector (320x240 mono) runs on netduinoplus2 within its
128 KB of SRAM, with the frame resident and streamed.

  test_qemu_models.py RNNPOOLC WORKDIR
"""
import gzip
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FASHION = os.path.join(ROOT, "examples", "fashion_rnnpool")
DATA = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def run(rnnpoolc, *args):
    p = subprocess.run([rnnpoolc, "run", *args, "--json"], capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise AssertionError("rnnpoolc run %s failed: %s" % (" ".join(args), p.stderr))
    return json.loads(p.stdout)


def main(rnnpoolc, work):
    os.makedirs(work, exist_ok=True)
    failures = []

    def check(name, cond):
        print("%s: %s" % ("ok" if cond else "FAIL", name))
        if not cond:
            failures.append(name)

    images = idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))[:200]
    labels = idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))[:200]
    batch = os.path.join(work, "fashion200.npy")
    np.save(batch, images.astype(np.float32)[:, None] / 255.0)
    out = os.path.join(work, "fashion200_out.npy")
    model = os.path.join(FASHION, "model.onnx")
    r = run(rnnpoolc, model, "--input", batch, "--board", "mps2-an386", "--calib", FASHION,
            "--output", out)
    check("fashion: 200 inferences in one QEMU run", r["inferences"] == 200)
    check("fashion: QEMU == host fixed point, 200 images", r["host_match"])
    acc = float((np.load(out).argmax(1) == labels).mean())
    print("fashion: QEMU top-1 on the first 200 test images: %.1f%%" % (100 * acc))
    check("fashion: QEMU top-1 >= 80%", acc >= 0.80)
    check("fashion: instructions, flash, RAM reported",
          r["instructions"] > 0 and r["flash_bytes"] > r["weights_bytes"] > 0 and
          r["ram_bytes"] > r["arena_bytes"] > 0)

    r = run(rnnpoolc, model, "--input", os.path.join(FASHION, "image_0.npy"), "--board",
            "netduinoplus2", "--calib", FASHION)
    check("fashion: netduinoplus2 == host fixed point", r["host_match"])
    check("fashion: netduinoplus2 RAM within 128 KB", r["ram_bytes"] < 128 * 1024)

    batch20 = os.path.join(work, "fashion20.npy")
    np.save(batch20, images[:20].astype(np.float32)[:, None] / 255.0)
    r = run(rnnpoolc, model, "--input", batch20, "--board", "mps2-an386", "--calib", FASHION,
            "--stream-input")
    check("fashion streamed: 20 inferences == host fixed point",
          r["inferences"] == 20 and r["host_match"])

    # The detector of the RNNPool paper's Table 9 shape: the plan (row bands, rows of the
    # frame reused once consumed, RNNPool's scratch) must fit the real board; layer by layer
    # it needs 283 KiB.
    face_dir = os.path.join(work, "face")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "models", "export.py"),
                    "rnnpool_face", "-o", face_dir], check=True, capture_output=True)
    face = os.path.join(face_dir, "rnnpool_face.onnx")
    face_input = os.path.join(face_dir, "input.npy")
    for extra, what in (((), "frame resident"), (("--stream-input",), "streamed input")):
        r = run(rnnpoolc, face, "--input", face_input, "--board", "netduinoplus2", "--calib",
                face_input, *extra)
        print("rnnpool_face on netduinoplus2, %s: RAM %d bytes (arena %d), %d instructions" %
              (what, r["ram_bytes"], r["arena_bytes"], r["instructions"]))
        check("rnnpool_face netduinoplus2 (%s) == host fixed point" % what, r["host_match"])
        check("rnnpool_face netduinoplus2 (%s): RAM within 128 KB" % what,
              r["ram_bytes"] < 128 * 1024)

    # --calib-percentile clips ranges: the logits' scale shrinks below the min/max one.
    def output_scale(*extra):
        out_dir = os.path.join(work, "pct" + "".join(extra).replace(".", "_"))
        subprocess.run([rnnpoolc, "compile", model, "-o", out_dir, "--calib", FASHION, *extra],
                       check=True, capture_output=True)
        for line in open(os.path.join(out_dir, "model.h")):
            if line.startswith("#define MODEL_OUTPUT0_SCALE"):
                return float(line.split()[2].rstrip("f"))
        raise AssertionError("model.h has no MODEL_OUTPUT0_SCALE")
    minmax, clipped = output_scale(), output_scale("--calib-percentile", "90")
    print("fashion output scale: min/max %.6g, 90th percentile %.6g" % (minmax, clipped))
    check("--calib-percentile narrows the output range", 0 < clipped < minmax)

    small = os.path.join(ROOT, "examples", "small_cnn")
    r = run(rnnpoolc, os.path.join(small, "model.onnx"), "--input",
            os.path.join(small, "input.npy"), "--board", "mps2-an386")
    check("small_cnn: QEMU == host fixed point", r["host_match"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
