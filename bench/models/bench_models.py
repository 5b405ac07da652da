#!/usr/bin/python3
"""The body of bench/models/run.sh: exports the zoo models, runs every model's fixed-point
and float builds in QEMU with --profile, and prints one table row per model and one line
per RNNPool layer.

  bench_models.py RNNPOOLC WORKDIR
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPORT = os.path.join(ROOT, "tools", "models", "export.py")
BOARD = "mps2-an386"
# Zoo models (tools/models/zoo.py): small conv nets, MobileNetV2-style blocks at small
# resolutions, RNNPool models. Full MobileNetV2 at 64x64 has 3.5 M weights: its float build
# does not fit the board's 4 MB of flash, which the table reports.
ZOO = ["small_cnn", "mobilenet_v2_blocks", "rnnpool_small", "mobilenet_v2", "branchy",
       "rnnpool_face"]


def rnnpoolc(binary, *args, timeout=1800):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)


def first_error(p):
    lines = [l for l in p.stderr.splitlines() if l.startswith("error:")]
    return (lines[0] if lines else p.stderr.strip().splitlines()[-1])[len("error: "):]


def board_run(binary, model, x, extra):
    """The --profile --json summary of one build, or the reason it failed."""
    p = rnnpoolc(binary, "run", model, "--input", x, "--board", BOARD, "--profile", "--json",
                 *extra)
    if p.returncode != 0:
        return None, first_error(p)
    return json.loads(p.stdout), None


def models(work):
    """(name, model, input, fixed-point extra flags) for every model, exporting the zoo."""
    fashion = os.path.join(ROOT, "examples", "fashion_rnnpool")
    small = os.path.join(ROOT, "examples", "small_cnn")
    yield ("examples/small_cnn", os.path.join(small, "model.onnx"),
           os.path.join(small, "input.npy"), [])
    yield ("examples/fashion_rnnpool", os.path.join(fashion, "model.onnx"),
           os.path.join(fashion, "image_0.npy"), ["--calib", fashion])
    for name in ZOO:
        out = os.path.join(work, name)
        p = subprocess.run(["/usr/bin/python3", EXPORT, name, "-o", out], capture_output=True,
                           text=True)
        if p.returncode != 0:
            print("skip %s: export failed: %s" % (name, p.stderr.strip().splitlines()[-1]))
            continue
        yield "zoo/" + name, os.path.join(out, name + ".onnx"), os.path.join(out, "input.npy"), []


def main(binary, work):
    head = "%-26s %12s %12s %6s %10s %8s %8s" % ("model", "fixed_instr", "float_instr",
                                                  "ratio", "MACs", "fix/MAC", "flt/MAC")
    print(head)
    notes, ratios = [], []
    for name, model, x, extra in models(work):
        p = rnnpoolc(binary, "inspect", model, "--json")
        if p.returncode != 0:
            notes.append("skip %s: %s" % (name, first_error(p)))
            print("%-26s %12s" % (name, "skipped"))
            continue
        macs = json.loads(p.stdout)["macs"]
        fixed, fixed_why = board_run(binary, model, x, extra)
        flt, float_why = board_run(binary, model, x, ["--float"])
        if fixed is None and flt is None:
            notes.append("skip %s: fixed: %s" % (name, fixed_why))
            notes.append("skip %s: float: %s" % (name, float_why))
            print("%-26s %12s %12s" % (name, "skipped", "skipped"))
            continue
        fi = fixed["instructions"] if fixed else None
        fl = flt["instructions"] if flt else None
        ratio = fl / fi if fi and fl else None
        if ratio:
            ratios.append(ratio)
        cell = lambda v, fmt: (fmt % v) if v is not None else "-"
        print("%-26s %12s %12s %6s %10d %8s %8s" % (
            name, cell(fi, "%d"), cell(fl, "%d"), cell(ratio, "%.2f"), macs,
            cell(fi / macs if fi else None, "%.2f"), cell(fl / macs if fl else None, "%.2f")))
        if fixed_why:
            notes.append("%s: fixed-point build skipped: %s" % (name, fixed_why))
        if float_why:
            notes.append("%s: float build skipped: %s" % (name, float_why))
        for build, r in (("fixed", fixed), ("float", flt)):
            for layer in (r["profile"]["rnnpool"] if r else []):
                notes.append("%s: RNNPool '%s' (%s): %d patches, %.0f instructions per patch, "
                             "%.1f%% of the inference" % (
                                 name, layer["name"], build, layer["patches"],
                                 layer["instructions_per_patch"],
                                 100.0 * layer["instructions_per_patch"] * layer["patches"] /
                                 r["instructions"]))
    for note in notes:
        print(note.replace(work + "/", ""))
    if ratios:
        print("float / fixed instructions: min %.2f, max %.2f (aim: >= 3)" %
              (min(ratios), max(ratios)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
