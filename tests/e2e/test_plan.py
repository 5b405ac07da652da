#!/usr/bin/python3
"""Memory plan test on whole models exported by tools/models: for each model, with the input
frame resident and streamed, `rnnpoolc plan --json --svg` must write a plan whose summary
beats (or equals) the layer-by-layer baseline, and `rnnpoolc run --plan` (the plan executed
region by region from its arena in the float interpreter) must give exactly the bytes of
`rnnpoolc run`. A RAM budget nothing meets must be a one-line error with exit status 2.

The report against plan.json: the printed ratio is the baseline peak over the arena; the SVG
parses as XML, renders with rsvg-convert (Debian librsvg2-bin) to a PNG of its stated size,
and its figures (arena, live peak step, baseline, the address axis's top, one hover title
per buffer naming its tensor, per-op bars peaking at the baseline) are plan.json's.
`rnnpoolc plan --json` writes what `rnnpoolc compile` writes to plan.json, byte for byte
(int8, streamed and float; two small models). MobileNetV2 at 224x224 streamed hands rows
from region to region, and runs so in the plan executor and in QEMU (check_hand_off).

  test_plan.py RNNPOOLC WORKDIR
"""
import json
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT = os.path.join(HERE, "..", "..", "tools", "models", "export.py")
MODELS = ["small_cnn", "branchy", "mobilenet_v2", "rnnpool_face", "rpool_face_m4"]
SUMMARY_KEYS = ["peak_ram_bytes", "arena_bytes", "peak_step", "baseline_peak_ram_bytes", "macs",
                "baseline_macs", "weights_bytes", "baseline_over_arena"]


def run(args):
    return subprocess.run(args, capture_output=True, text=True)


SVG = "{http://www.w3.org/2000/svg}"


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def check_text(stdout, summary):
    ratio = summary["baseline_peak_ram_bytes"] / summary["arena_bytes"]
    if abs(summary["baseline_over_arena"] - ratio) > 1e-6 * ratio:
        return "baseline_over_arena %s is not %s" % (summary["baseline_over_arena"], ratio)
    want = "%.2f times less RAM than layer-by-layer" % ratio
    if want not in stdout:
        return "the summary lacks '%s'" % want
    if "{:,} bytes".format(summary["arena_bytes"]) not in stdout.split("\narena ")[-1]:
        return "the summary's arena line is not %d bytes" % summary["arena_bytes"]
    return None


def check_svg(path, plan):
    """The picture against plan.json; None when it agrees."""
    summary = plan["summary"]
    root = ET.parse(path).getroot()
    want = {"data-arena-bytes": summary["arena_bytes"], "data-peak-step": summary["peak_step"],
            "data-peak-bytes": summary["peak_ram_bytes"],
            "data-baseline-bytes": summary["baseline_peak_ram_bytes"],
            "data-steps": len(plan["steps"])}
    for key, value in want.items():
        if root.get(key) != str(value):
            return "svg %s is %s, plan.json says %s" % (key, root.get(key), value)
    arena_kib = "%.1f" % (summary["arena_bytes"] / 1024.0)
    top = [t.text for t in root.iter(SVG + "text") if t.get("class") == "yarena"]
    if top != [arena_kib]:
        return "the address axis ends at %s KiB, not the arena's %s" % (top, arena_kib)
    peaks = [g.get("data-step") for g in root.iter(SVG + "g") if g.get("class") == "peak"]
    if peaks != [str(summary["peak_step"])]:
        return "the peak is marked at %s, not step %d" % (peaks, summary["peak_step"])
    titles = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") == "buffer":
            titles.setdefault(int(g.get("data-buffer")), g.find(SVG + "title").text)
    for i, b in enumerate(plan["buffers"]):
        if not titles.get(i, "").startswith(b["tensor"] + " ("):
            return "buffer %d (%s) has no hover title: %r" % (i, b["tensor"], titles.get(i))
    ops = [g for g in root.iter(SVG + "g") if g.get("class") == "op"]
    baseline = max(int(g.get("data-baseline-bytes")) for g in ops)
    most = max(int(g.get("data-plan-bytes")) for g in ops)
    if baseline != summary["baseline_peak_ram_bytes"] or most > summary["peak_ram_bytes"]:
        return "per-op bars peak at %d / %d, plan.json at %d / %d" % (
            most, baseline, summary["peak_ram_bytes"], summary["baseline_peak_ram_bytes"])
    png = path[:-4] + ".png"
    r = run(["rsvg-convert", path, "-o", png])
    if r.returncode != 0:
        return "rsvg-convert failed: " + r.stderr.strip()
    size = png_size(png)
    if size != (int(root.get("width")), int(root.get("height"))):
        return "the PNG is %s, the SVG says %sx%s" % (size, root.get("width"), root.get("height"))
    return None


def check(rnnpoolc, workdir, model, stream):
    out_dir = os.path.join(workdir, model)
    onnx = os.path.join(out_dir, model + ".onnx")
    if not os.path.exists(onnx):
        subprocess.run([sys.executable, EXPORT, model, "-o", out_dir], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    flags = ["--stream-input"] if stream else []
    tag = "stream" if stream else "frame"
    plan_json = os.path.join(out_dir, "plan_%s.json" % tag)
    plan_svg = os.path.join(out_dir, "plan_%s.svg" % tag)
    r = run([rnnpoolc, "plan", onnx, "--json", plan_json, "--svg", plan_svg] + flags)
    if r.returncode != 0:
        return "plan failed: " + r.stderr.strip()
    plan = json.load(open(plan_json))
    summary = plan["summary"]
    missing = [k for k in SUMMARY_KEYS if k not in summary]
    if missing:
        return "summary lacks %s" % missing
    if summary["peak_ram_bytes"] > summary["baseline_peak_ram_bytes"]:
        return "peak %d above the baseline %d" % (summary["peak_ram_bytes"],
                                                  summary["baseline_peak_ram_bytes"])
    if summary["macs"] > summary["baseline_macs"] * 1.10 + 1:
        return "MACs %d more than 10%% over %d" % (summary["macs"], summary["baseline_macs"])
    problem = check_text(r.stdout, summary) or check_svg(plan_svg, plan)
    if problem:
        return problem
    whole = os.path.join(out_dir, "whole_%s.npy" % tag)
    planned = os.path.join(out_dir, "planned_%s.npy" % tag)
    inp = os.path.join(out_dir, "input.npy")
    r1 = run([rnnpoolc, "run", onnx, "--input", inp, "--output", whole])
    r2 = run([rnnpoolc, "run", onnx, "--input", inp, "--plan", "--output", planned] + flags)
    if r1.returncode or r2.returncode:
        return "run failed: " + (r1.stderr + r2.stderr).strip()
    outs = sorted(f for f in os.listdir(out_dir) if f.startswith("whole_%s" % tag))
    for f in outs:
        a = open(os.path.join(out_dir, f), "rb").read()
        b = open(os.path.join(out_dir, f.replace("whole", "planned")), "rb").read()
        if a != b:
            return "%s: planned execution differs from whole-tensor execution" % f
    return "ok (arena %d B, live peak %d B, baseline %d B: %.2fx less)" % (
        summary["arena_bytes"], summary["peak_ram_bytes"], summary["baseline_peak_ram_bytes"],
        summary["baseline_peak_ram_bytes"] / summary["arena_bytes"])


def check_budget_error(rnnpoolc, workdir):
    onnx = os.path.join(workdir, "small_cnn", "small_cnn.onnx")
    out = os.path.join(workdir, "small_cnn", "never.json")
    r = run([rnnpoolc, "plan", onnx, "--ram-budget", "64", "--json", out])
    lines = r.stderr.strip().splitlines()
    if r.returncode != 2 or len(lines) != 1 or "no plan fits in 64 bytes" not in lines[0]:
        return "expected one 'no plan fits' line and exit 2, got %d: %r" % (r.returncode,
                                                                          r.stderr)
    if os.path.exists(out):
        return "a plan file was written despite the error"
    return "ok"


def check_same_as_compile(rnnpoolc, workdir, model, flags):
    """`rnnpoolc plan` prints the plan the firmware follows: its JSON is compile's plan.json,
    byte for byte (int8: the quantised graph, whose activation functions split out of convs
    add steps; the weights as emitted)."""
    out_dir = os.path.join(workdir, model)
    onnx = os.path.join(out_dir, model + ".onnx")
    planned = os.path.join(out_dir, "same_plan.json")
    compiled = os.path.join(out_dir, "same_compiled")
    r1 = run([rnnpoolc, "plan", onnx, "--json", planned] + flags)
    r2 = run([rnnpoolc, "compile", onnx, "-o", compiled] + flags)
    if r1.returncode or r2.returncode:
        return "plan or compile failed: " + (r1.stderr + r2.stderr).strip()
    a = open(planned).read()
    b = open(os.path.join(compiled, "plan.json")).read()
    if a != b:
        sa, sb = json.loads(a)["summary"], json.loads(b)["summary"]
        return "plan --json differs from compile's plan.json: %s" % {
            k: (sa[k], sb.get(k)) for k in sa if sa[k] != sb.get(k)}
    return "ok (arena %d B, %d steps)" % (json.loads(a)["summary"]["arena_bytes"],
                                         len(json.loads(a)["steps"]))


def check_hand_off(rnnpoolc, workdir):
    """MobileNetV2 at 224x224 streamed: its plan runs a stem of small tiles, not square,
    that hands its rows to the tiles and row bands after it (regions with hand_off), which
    the float plan executor
    and the generated C in QEMU (mps2-an386: its 4 MB of flash hold the 3.5 MB of weights)
    follow to the same bytes as whole-tensor execution and the host fixed point; the int8
    plan also runs depthwise convs in tiles over their inputs (alias_of), rings whose rows
    have lifetimes of their own and residual Adds over their inputs' rows."""
    model = "mobilenet_v2_224"
    out_dir = os.path.join(workdir, model)
    onnx, inp = os.path.join(out_dir, model + ".onnx"), os.path.join(out_dir, "input.npy")
    if not os.path.exists(onnx):
        subprocess.run([sys.executable, EXPORT, model, "-o", out_dir], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    plan_json = os.path.join(out_dir, "plan_stream.json")
    r = run([rnnpoolc, "plan", onnx, "--stream-input", "--json", plan_json])
    if r.returncode != 0:
        return "plan failed: " + r.stderr.strip()
    plan = json.load(open(plan_json))
    handing = [i for i, g in enumerate(plan["regions"]) if g["hand_off"]]
    if not handing:
        return "no region hands its output off"
    # Depthwise convs in tiles write their tile over their expansion's (alias_of).
    buffers = plan["buffers"]
    tiles_in_place = [s for s in plan["steps"] if s["op"] == "Conv" and s["region"] >= 0
                      and plan["regions"][s["region"]]["strategy"] == "tiles"
                      and buffers[s["outputs"][0]]["alias_of"] >= 0]
    if not tiles_in_place:
        return "no depthwise conv runs in place in its tiles"
    # Tiles taller than wide or wider than tall (Search::reshapeTiles), which the square
    # grids of the rounds do not reach: QEMU runs them too.
    shapes = [(g["tile_rows"], g["tile_cols"]) for g in plan["regions"]
              if g["strategy"] == "tiles"]
    if not any(rows != cols for rows, cols in shapes):
        return "no region runs in tiles that are not square: %s" % shapes
    # Rings whose rows reserve their slots only while they live, and residual Adds whose
    # rows take over their whole inputs' row by row: QEMU runs their offsets too.
    ring_rows = [b for b in buffers if b["kind"] == "ring" and "row_first_step" in b]
    rows_over = [b for b in buffers if b["alias_of"] >= 0 and "row_first_step" in b]
    if not ring_rows or not rows_over:
        return "no ring with row lifetimes (%d) or rows taken over (%d)" % (
            len(ring_rows), len(rows_over))
    whole, planned = os.path.join(out_dir, "whole.npy"), os.path.join(out_dir, "planned.npy")
    r1 = run([rnnpoolc, "run", onnx, "--input", inp, "--output", whole])
    r2 = run([rnnpoolc, "run", onnx, "--input", inp, "--plan", "--stream-input", "--output",
              planned])
    if r1.returncode or r2.returncode:
        return "run failed: " + (r1.stderr + r2.stderr).strip()
    if open(whole, "rb").read() != open(planned, "rb").read():
        return "planned execution differs from whole-tensor execution"
    r = run([rnnpoolc, "run", onnx, "--input", inp, "--calib", inp, "--board", "mps2-an386",
             "--stream-input"])
    if r.returncode != 0 or "host fixed-point interpreter byte for byte: yes" not in r.stdout:
        return "QEMU run differs or failed: " + (r.stdout + r.stderr).strip()[-400:]
    arena = "arena %d" % plan["summary"]["arena_bytes"]
    if arena not in r.stdout:
        return "the firmware's arena is not the plan's (%s): %s" % (arena, r.stdout[-300:])
    return ("ok (regions %s hand off, %d tile steps in place, %d rings with row lifetimes, "
            "%d buffers taking rows over; %s B; QEMU = host fixed point)" % (
                handing, len(tiles_in_place), len(ring_rows), len(rows_over), arena))


def main():
    rnnpoolc, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    failed = 0
    for model in MODELS:
        for stream in (False, True):
            verdict = check(rnnpoolc, workdir, model, stream)
            ok = verdict.startswith("ok")
            failed += not ok
            print("%-4s %-14s %-7s %s" % ("ok" if ok else "FAIL", model,
                                          "stream" if stream else "frame", verdict), flush=True)
    for model in ("small_cnn", "branchy"):
        for flags in ([], ["--stream-input"], ["--float"]):
            verdict = check_same_as_compile(rnnpoolc, workdir, model, flags)
            ok = verdict.startswith("ok")
            failed += not ok
            print("%-4s %-14s %-7s plan = compile: %s" % ("ok" if ok else "FAIL", model,
                                                           " ".join(flags) or "int8", verdict),
                  flush=True)
    verdict = check_hand_off(rnnpoolc, workdir)
    failed += not verdict.startswith("ok")
    print("%-4s hand-off     %s" % ("ok" if verdict.startswith("ok") else "FAIL", verdict),
          flush=True)
    verdict = check_budget_error(rnnpoolc, workdir)
    failed += not verdict.startswith("ok")
    print("%-4s budget error  %s" % ("ok" if verdict.startswith("ok") else "FAIL", verdict))
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
