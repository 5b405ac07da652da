#!/usr/bin/python3
"""Plans a fixed corpus with two rnnpoolc binaries, a baseline and a new one, and prints per
model and mode (int8 with the frame resident, --float, --stream-input) the user CPU time of
each `rnnpoolc plan` and their ratio, and the arena and live peak of each plan.

  bench/plan/speed.py BASE_RNNPOOLC NEW_RNNPOOLC [--models DIR] [--extra DIR ...]
                      [--only NAME ...] [--repeat N] [--changes]

The corpus: the three bench/plan models and every zoo and authors' model of tools/models
(exported into --models DIR, kept so reruns skip the export; a temporary directory if not
given), plus every .onnx file of each --extra directory (e.g. the fuzzing seed corpus of
tests/fuzz/make_corpus.py), whose models may fail to plan in both binaries alike.

Without --changes the new planner must make the same plans: every `plan --json` output must
be byte-identical to the baseline's, else exit status 1. With --changes plans may differ,
but no arena may grow: a growth is flagged and gives exit status 1. --repeat N takes the
least time of N runs of each binary (planning times on a loaded machine are noisy)."""
import argparse
import filecmp
import glob
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# bench/plan/zoo.py (model names and their export), loaded by path: it imports
# tools/models/zoo.py as `zoo` itself.
_spec = importlib.util.spec_from_file_location("bench_zoo", os.path.join(TOP, "bench", "plan",
                                                                          "zoo.py"))
zoo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(zoo)

MODES = {"int8": [], "float": ["--float"], "stream": ["--stream-input"]}


def plan(rnnpoolc, onnx, flags, out, repeat):
    """Plans `onnx`; returns (user seconds, the least of `repeat` runs; summary or None)."""
    best = None
    ok = True
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        done = subprocess.run([rnnpoolc, "plan", onnx, *flags, "--json", out],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
        best = seconds if best is None else min(best, seconds)
        ok = done.returncode == 0
    if not ok:
        if os.path.exists(out):
            os.remove(out)
        return best, None
    return best, json.load(open(out))["summary"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("new")
    parser.add_argument("--models")
    parser.add_argument("--extra", nargs="*", default=[])
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--changes", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        models = args.models or work
        corpus = [(name, zoo.export(name, models)) for name in args.only or zoo.model_names()]
        for extra in args.extra:
            corpus += [(os.path.splitext(os.path.basename(f))[0], f)
                       for f in sorted(glob.glob(os.path.join(extra, "*.onnx")))]
        print("%-24s %-6s %8s %8s %6s %10s %10s %10s %10s %7s" %
              ("model", "mode", "base_s", "new_s", "x", "base_arena", "new_arena", "new_peak",
               "change", "over_pk"))
        failed, total = [], [0.0, 0.0]
        for name, onnx in corpus:
            for mode, flags in MODES.items():
                a, b = os.path.join(work, "base.json"), os.path.join(work, "new.json")
                ta, sa = plan(args.base, onnx, flags, a, args.repeat)
                tb, sb = plan(args.new, onnx, flags, b, args.repeat)
                total[0] += ta
                total[1] += tb
                if sa is None and sb is None:
                    continue  # a seed neither plans (an unsupported op, say)
                line = "%-24s %-6s %8.2f %8.2f %6.2f" % (name[:24], mode, ta, tb,
                                                         ta / max(tb, 1e-3))
                if sa is None or sb is None:
                    failed.append("%s %s: only one binary plans it" % (name, mode))
                    print(line + "  (only one binary plans it)", flush=True)
                    continue
                grow = sb["arena_bytes"] - sa["arena_bytes"]
                line += " %10d %10d %10d %+9.2f%% %+6.1f%%" % (
                    sa["arena_bytes"], sb["arena_bytes"], sb["peak_ram_bytes"],
                    100.0 * grow / max(1, sa["arena_bytes"]),
                    100.0 * (sb["arena_bytes"] - sb["peak_ram_bytes"]) /
                    max(1, sb["peak_ram_bytes"]))
                if not args.changes and not filecmp.cmp(a, b, shallow=False):
                    failed.append("%s %s: the plans differ" % (name, mode))
                    line += "  PLANS DIFFER"
                if grow > 0:
                    failed.append("%s %s: the arena grew by %d B" % (name, mode, grow))
                    line += "  ARENA GREW"
                print(line, flush=True)
        print("%-24s %-6s %8.2f %8.2f %6.2f" % ("total", "", total[0], total[1],
                                                total[0] / max(total[1], 1e-3)))
        for f in failed:
            print("error: " + f)
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
