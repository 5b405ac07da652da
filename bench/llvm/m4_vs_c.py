#!/usr/bin/python3
"""Cortex-M4: instructions per inference (QEMU mps2-an386, -icount) and flash of the LLVM
backend's model.o against the C backend's build of the same plan (arm-none-eabi-gcc -O2),
for the examples and the zoo models; both checked byte for byte against the host. Printed,
never asserted.

  m4_vs_c.py RNNPOOLC WORKDIR [NAME,NAME...]   (only those models)
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPORT = os.path.join(ROOT, "tools", "models", "export.py")
ZOO = ["small_cnn", "mobilenet_v2_blocks", "rnnpool_small", "mobilenet_v2", "branchy",
       "rnnpool_face", "conv_net", "inverted_residual", "rnnpool_classifier"]


def models(work):
    fashion = os.path.join(ROOT, "examples", "fashion_rnnpool")
    yield ("examples/fashion_rnnpool", os.path.join(fashion, "model.onnx"),
           os.path.join(fashion, "image_0.npy"), ["--calib", fashion])
    for name in ZOO:
        d = os.path.join(work, name)
        model = os.path.join(d, name + ".onnx")
        if not os.path.exists(model):
            subprocess.run([sys.executable, EXPORT, name, "-o", d], check=True,
                           capture_output=True)
        x = os.path.join(d, "input.npy")
        yield (name, model, x, ["--calib", x])


def main():
    rnnpoolc, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(work, exist_ok=True)
    print("%-26s %14s %14s %7s %10s %10s %7s %s" % ("model", "LLVM instr", "C instr",
                                                  "LLVM/C", "LLVM flash", "C flash",
                                                  "ratio", "match"))
    only = sys.argv[3].split(",") if len(sys.argv) > 3 else None
    for name, model, x, extra in models(work):
        if only and name not in only:
            continue
        p = subprocess.run([rnnpoolc, "run", model, "--input", x, "--board", "mps2-an386",
                            "--backend", "llvm", "--json"] + extra, capture_output=True,
                           text=True, timeout=3600)
        if p.returncode != 0:
            print("%-26s %s" % (name, (p.stderr.strip().splitlines() or ["?"])[-1][:100]))
            continue
        r = json.loads(p.stdout)
        print("%-26s %14d %14d %7.3f %10d %10d %7.3f %s" % (
            name, r["instructions"], r["c_instructions"],
            r["instructions"] / r["c_instructions"], r["flash_bytes"], r["c_flash_bytes"],
            r["flash_bytes"] / r["c_flash_bytes"],
            "yes" if r["host_match"] and r["c_host_match"] else "NO"), flush=True)


if __name__ == "__main__":
    main()
