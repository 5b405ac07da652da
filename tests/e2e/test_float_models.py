#!/usr/bin/python3
"""The float build (rnnpoolc compile/run --float): float C in QEMU equals the host float
interpreter within tolerance for small_cnn and the Fashion-MNIST RNNPool example (checked
here against `rnnpoolc run` on the host, independently of the board run's own check, and
against PyTorch for small_cnn), and for the RNNPool-Face-shaped zoo model; the generated C compiles with -Wall -Wextra -Werror
-pedantic under arm-none-eabi-gcc, gcc and clang; --profile accounts for the inference's
instructions node by node; bad combinations fail with one error line and write nothing.

  test_float_models.py RNNPOOLC WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FASHION = os.path.join(ROOT, "examples", "fashion_rnnpool")
SMALL = os.path.join(ROOT, "examples", "small_cnn")
EXPORT = os.path.join(ROOT, "tools", "models", "export.py")
WARN = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"]
ARM = ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
       "-mfpu=fpv4-sp-d16"]


def rnnpoolc(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=900)


def run_json(binary, *args):
    p = rnnpoolc(binary, "run", *args, "--json")
    if p.returncode != 0:
        raise AssertionError("rnnpoolc run %s failed: %s" % (" ".join(args), p.stderr))
    return json.loads(p.stdout)


def tolerance(reference):
    return 1e-4 * max(1.0, float(reference.max() - reference.min()))


def main(binary, work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    failures = []

    def check(name, cond):
        print("%s: %s" % ("ok" if cond else "FAIL", name))
        if not cond:
            failures.append(name)

    # Eight Fashion-MNIST test images in one QEMU run, and small_cnn's sample input.
    batch = os.path.join(work, "fashion8.npy")
    np.save(batch, np.concatenate([np.load(os.path.join(FASHION, "image_%d.npy" % k))
                                   for k in range(8)]))
    models = [("fashion", os.path.join(FASHION, "model.onnx"), batch, "input=8x1x28x28"),
              ("small_cnn", os.path.join(SMALL, "model.onnx"), os.path.join(SMALL, "input.npy"),
               None)]
    for name, model, x, batched in models:
        out = os.path.join(work, name + "_qemu.npy")
        r = run_json(binary, model, "--input", x, "--board", "mps2-an386", "--float",
                     "--output", out)
        check("%s: float build reported" % name, r["build"] == "float")
        check("%s: QEMU float == host float interpreter (rnnpoolc's check)" % name,
              r["host_match"] and r["max_abs_diff"] <= r["tolerance"])
        host = os.path.join(work, name + "_host.npy")
        p = rnnpoolc(binary, "run", model, "--input", x, "--output", host,
                     *(["--input-shape", batched] if batched else []))
        check("%s: host float run" % name, p.returncode == 0)
        want, got = np.load(host), np.load(out)
        diff = float(np.abs(want - got).max())
        print("%s: max |QEMU float - host float| = %.3g" % (name, diff))
        check("%s: QEMU float outputs == host float within 1e-4 of the range" % name,
              got.shape == want.shape and diff <= tolerance(want))
        check("%s: same argmax as the host for every image" % name,
              (got.argmax(-1) == want.argmax(-1)).all())
        check("%s: instructions, flash, RAM reported" % name,
              r["instructions"] > 0 and r["flash_bytes"] > r["weights_bytes"] > 0 and
              r["ram_bytes"] > r["arena_bytes"] > 0)
        fixed = run_json(binary, model, "--input", x, "--board", "mps2-an386")
        print("%s: instructions fixed %d, float %d (float / fixed %.2f)" %
              (name, fixed["instructions"], r["instructions"],
               r["instructions"] / fixed["instructions"]))

    # small_cnn from the model zoo, against PyTorch itself.
    zoo = os.path.join(work, "zoo_small_cnn")
    subprocess.run(["/usr/bin/python3", EXPORT, "small_cnn", "-o", zoo], check=True,
                   capture_output=True)
    out = os.path.join(work, "zoo_small_cnn_qemu.npy")
    run_json(binary, os.path.join(zoo, "small_cnn.onnx"), "--input",
             os.path.join(zoo, "input.npy"), "--board", "mps2-an386", "--float", "--output", out)
    torch_out = np.load(os.path.join(zoo, "expected_0.npy"))
    diff = float(np.abs(np.load(out) - torch_out).max())
    print("zoo small_cnn: max |QEMU float - PyTorch| = %.3g" % diff)
    check("zoo small_cnn: QEMU float == PyTorch within 1e-4 of the range",
          diff <= tolerance(torch_out))

    # RNNPool-Face-M4's shape (1,131 patches, h = 16, an L2-normalised head, three outputs).
    face = os.path.join(work, "zoo_rnnpool_face")
    subprocess.run(["/usr/bin/python3", EXPORT, "rnnpool_face", "-o", face], check=True,
                   capture_output=True)
    r = run_json(binary, os.path.join(face, "rnnpool_face.onnx"), "--input",
                 os.path.join(face, "input.npy"), "--board", "mps2-an386", "--float")
    check("zoo rnnpool_face: QEMU float == host float interpreter, three outputs",
          r["host_match"] and r["max_abs_diff"] <= r["tolerance"])

    # The emitted C compiles warning-free for the board and the host.
    for name, model, _, _ in models:
        out_dir = os.path.join(work, name + "_c")
        p = rnnpoolc(binary, "compile", model, "-o", out_dir, "--float")
        check("%s: compile --float" % name, p.returncode == 0 and "float32 build" in p.stdout)
        files = sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []
        check("%s: float runtime files only" % name,
              "rnnpoolc_runtime_f32_all.c" in files and "rp_conv.c" not in files)
        int8_dir = os.path.join(work, name + "_int8_c")
        p = rnnpoolc(binary, "compile", model, "-o", int8_dir)
        int8_files = sorted(os.listdir(int8_dir)) if os.path.isdir(int8_dir) else []
        check("%s: the int8 build ships no float runtime files" % name,
              "rp_conv.c" in int8_files and not any("f32" in f for f in int8_files))
        for cc in (ARM, ["gcc"], ["clang-19"]):
            for src in ("model.c", "model_weights.c"):
                p = subprocess.run(cc + WARN + [src, "-o", "/dev/null"], cwd=out_dir,
                                   capture_output=True, text=True)
                if p.returncode != 0:
                    print(p.stderr)
                check("%s: %s %s -Werror -pedantic" % (name, cc[0], src), p.returncode == 0)

    # --profile: every node accounted for, RNNPool per patch.
    r = run_json(binary, os.path.join(FASHION, "model.onnx"), "--input",
                 os.path.join(FASHION, "image_0.npy"), "--board", "mps2-an386", "--float",
                 "--profile")
    prof = r["profile"]
    check("profile: one entry per node", len(prof["nodes"]) == 5)
    check("profile: nodes add up to the inference (within 2%)",
          abs(prof["instructions"] - r["instructions"]) <= 0.02 * r["instructions"])
    check("profile: RNNPool has 6x6 patches", len(prof["rnnpool"]) == 1 and
          prof["rnnpool"][0]["patches"] == 36)
    check("profile: RNNPool dominates the fashion model",
          prof["kinds"]["rnnpool"] > 0.5 * r["instructions"])
    rf = run_json(binary, os.path.join(FASHION, "model.onnx"), "--input",
                  os.path.join(FASHION, "image_0.npy"), "--board", "mps2-an386", "--calib",
                  FASHION, "--profile")
    check("profile: fixed-point build too",
          abs(rf["profile"]["instructions"] - rf["instructions"]) <= 0.02 * rf["instructions"]
          and rf["profile"]["rnnpool"][0]["patches"] == 36)

    # Errors: exit status 2, one line, nothing written.
    out_dir = os.path.join(work, "never")
    p = rnnpoolc(binary, "compile", os.path.join(SMALL, "model.onnx"), "-o", out_dir, "--float",
                 "--calib", SMALL)
    check("error: --float with --calib", p.returncode == 2 and
          len(p.stderr.strip().splitlines()) == 1 and not os.path.exists(out_dir))
    three = helper.make_model(helper.make_graph(
        [helper.make_node("Sum", ["x", "x", "x"], ["y"], name="total")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])]),
        opset_imports=[helper.make_opsetid("", 13)])
    three.ir_version = 8
    path = os.path.join(work, "sum3.onnx")
    with open(path, "wb") as f:
        f.write(three.SerializeToString())
    p = rnnpoolc(binary, "compile", path, "-o", out_dir, "--float")
    lines = p.stderr.strip().splitlines()
    check("error: op without a float kernel names the node", p.returncode == 2 and
          len(lines) == 1 and "node 'total' (Sum)" in lines[0] and path in lines[0] and
          not os.path.exists(out_dir))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
