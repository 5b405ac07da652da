#!/usr/bin/python3
"""The demo's face detector: export a zoo model (tools/models/export.py MODEL, quietly),
write its plan as an HTML page, run it on a Cortex-M4 board in QEMU (int8, calibrated on its
own input) and print what it needs, each figure with its unit. Writes WORK_DIR/result.json
for tools/demo_summary.py.

  demo_face.py RNNPOOLC MODEL WORK_DIR [BOARD]
"""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT = os.path.join(HERE, "models", "export.py")
# The boards' memories as targets/qemu/Boards.cpp and their linker scripts give them.
BOARDS = {"netduinoplus2": {"flash": 1 << 20, "sram": 128 << 10},
          "mps2-an386": {"flash": 4 << 20, "sram": 4 << 20}}


def thousands(n):
    return "{:,}".format(n)


def share(part, whole, memory):
    return "%s of the %s bytes of %s (%d %%)" % (thousands(part), thousands(whole), memory,
                                                  round(100.0 * part / whole))


def quiet(args):
    """Runs a helper; its output is shown only when it fails."""
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(r.returncode)
    return r.stdout


def main(rnnpoolc, model, work, board="netduinoplus2"):
    quiet([sys.executable, EXPORT, model, "-o", work])
    onnx, inp = os.path.join(work, model + ".onnx"), os.path.join(work, "input.npy")
    page = os.path.join(work, "plan.html")
    quiet([rnnpoolc, "plan", onnx, "--html", page, "--summary"])
    report = json.loads(quiet([rnnpoolc, "run", onnx, "--input", inp, "--calib", inp,
                               "--board", board, "--json"]))
    memory = BOARDS[board]
    shape = np.load(inp).shape
    print("input  %s frame, %s values (one byte each in int8)" % (
        "x".join(str(d) for d in shape), thousands(int(np.prod(shape)))))
    other = report["ram_bytes"] - report["arena_bytes"] - report["stack_bytes"]
    print("RAM    %s: arena %s bytes, stack %s bytes, other %s bytes" % (
        share(report["ram_bytes"], memory["sram"], "SRAM"), thousands(report["arena_bytes"]),
        thousands(report["stack_bytes"]), thousands(other)))
    print("flash  %s: weights %s bytes" % (share(report["flash_bytes"], memory["flash"], "flash"),
                                           thousands(report["weights_bytes"])))
    print("time   %s instructions per inference (QEMU counts instructions, not cycles)" %
          thousands(report["instructions"]))
    print("QEMU == host fixed point byte for byte: %s" % ("yes" if report["host_match"] else "NO"))
    print("plan   %s (open it in a browser)" % page)
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump({"model": model, "board": board, "ram_bytes": report["ram_bytes"],
                   "sram_bytes": memory["sram"], "instructions": report["instructions"],
                   "host_match": report["host_match"]}, f)
    return 0 if report["host_match"] else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
