#!/usr/bin/python3
"""Plans every model of tools/models (zoo and authors') with the input frame resident and
streamed, and prints the arena, the live peak and the planning time of each; given a second
rnnpoolc (e.g. a build of an earlier commit), prints its arenas beside them and the change,
so a planner change can be checked never to plan a model above what it did before.

  bench/plan/zoo.py RNNPOOLC [OLD_RNNPOOLC] [--models DIR] [--only NAME ...]

Models are exported into --models DIR (kept, so reruns skip the export) or a temporary
directory. Exit status 1 when OLD_RNNPOOLC is given and some arena grew."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tools", "models"))


def model_names():
    import authors  # noqa: E402 (after the path is set)
    import zoo
    names = sorted(set(zoo.MODELS) | set(authors.MODELS))
    # The unbind variant plans the same graph as rpool_face_m4 after recognition, but its
    # export takes minutes.
    return [n for n in names if not n.endswith("_unbind")]


def export(name, out):
    onnx = os.path.join(out, name, name + ".onnx")
    if not os.path.exists(onnx):
        subprocess.run([sys.executable, os.path.join(TOP, "tools", "models", "export.py"), name,
                        "-o", os.path.join(out, name)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return onnx


def plan(rnnpoolc, onnx, stream, work):
    out = os.path.join(work, "plan.json")
    args = [rnnpoolc, "plan", onnx, "--json", out] + (["--stream-input"] if stream else [])
    start = time.monotonic()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - start
    summary = json.load(open(out))["summary"]
    return summary["arena_bytes"], summary["peak_ram_bytes"], seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rnnpoolc")
    parser.add_argument("old", nargs="?")
    parser.add_argument("--models")
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        models = args.models or work
        grew = []
        print("%-22s %-6s %10s %10s %7s" % ("model", "input", "arena_B", "peak_B", "time_s") +
              (" %10s %8s" % ("old_B", "change") if args.old else ""))
        for name in args.only or model_names():
            onnx = export(name, models)
            for stream in (False, True):
                arena, peak, seconds = plan(args.rnnpoolc, onnx, stream, work)
                line = "%-22s %-6s %10d %10d %7.2f" % (name, "stream" if stream else "frame",
                                                       arena, peak, seconds)
                if args.old:
                    old = plan(args.old, onnx, stream, work)[0]
                    line += " %10d %+7.1f%%" % (old, 100.0 * (arena - old) / old)
                    if arena > old:
                        grew.append(name)
                print(line, flush=True)
        if grew:
            print("arena grew: " + ", ".join(grew))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
