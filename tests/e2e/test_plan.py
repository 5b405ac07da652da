#!/usr/bin/python3
"""Memory plan test on whole models exported by tools/models: for each model, with the input
frame resident and streamed, `rnnpoolc plan --json --svg` must write a plan whose summary
beats (or equals) the layer-by-layer baseline, and `rnnpoolc run --plan` (the plan executed
region by region from its arena in the float interpreter) must give exactly the bytes of
`rnnpoolc run`. A RAM budget nothing meets must be a one-line error with exit status 2.

  test_plan.py RNNPOOLC WORKDIR
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT = os.path.join(HERE, "..", "..", "tools", "models", "export.py")
MODELS = ["small_cnn", "branchy", "mobilenet_v2", "rnnpool_face"]
SUMMARY_KEYS = ["peak_ram_bytes", "baseline_peak_ram_bytes", "macs", "baseline_macs",
                "weights_bytes"]


def run(args):
    return subprocess.run(args, capture_output=True, text=True)


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
    summary = json.load(open(plan_json))["summary"]
    missing = [k for k in SUMMARY_KEYS if k not in summary]
    if missing:
        return "summary lacks %s" % missing
    if summary["peak_ram_bytes"] > summary["baseline_peak_ram_bytes"]:
        return "peak %d above the baseline %d" % (summary["peak_ram_bytes"],
                                                  summary["baseline_peak_ram_bytes"])
    if summary["macs"] > summary["baseline_macs"] * 1.10 + 1:
        return "MACs %d more than 10%% over %d" % (summary["macs"], summary["baseline_macs"])
    if not open(plan_svg).read().startswith("<svg"):
        return "the SVG is not an SVG"
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
    return "ok (peak %d, baseline %d, %.2fx less)" % (
        summary["peak_ram_bytes"], summary["baseline_peak_ram_bytes"],
        summary["baseline_peak_ram_bytes"] / max(1, summary["peak_ram_bytes"]))


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
    verdict = check_budget_error(rnnpoolc, workdir)
    failed += not verdict.startswith("ok")
    print("%-4s budget error  %s" % ("ok" if verdict.startswith("ok") else "FAIL", verdict))
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
