#!/usr/bin/python3
"""Structure-aware fuzzing of the rnnpoolc command line: writes ONNX mutants of the seed
corpus (tests/fuzz/mutators.py) and checks the CLI contract on each.

  mutate.py RNNPOOLC SEEDS_DIR WORK_DIR [--count N | --seconds S]
            [--commands inspect,plan,run,compile] [--seed K] [--timeout T] [--jobs J]

For each mutant and command (inspect, plan, run, compile, with their output flags) the
contract is: exit status 0; or status 2 with exactly one "error: MUTANT: ..." line on
stderr (other lines only "note:" or "warning:") and nothing written (no --json, --svg,
--output file, no -o directory, no temporary left). Anything else is a finding: another
status, a signal, a sanitizer report, a timeout, an error line that does not name the file.
Findings are saved as WORK_DIR/findings/SIG-K.onnx (+ .txt: the command, status, what the
mutator did, the end of stderr), one directory entry per distinct signature (its first
three examples). Prints a summary; exits 1 when there was a finding.
"""
import argparse
import collections
import hashlib
import itertools
import math
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutators  # noqa: E402

COMMANDS = ("inspect", "plan", "run", "compile")
# The rnnpoolc of the sanitizer build reports through these; memory is capped so that a
# model asking for terabytes fails (as it would with operator new) rather than swap.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=3072:"
                    "hard_rss_limit_mb=3072:handle_abort=1:print_summary=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
SANITIZER = re.compile(r"(ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY: )")


def load_seeds(corpus):
    seeds = []
    for name in sorted(os.listdir(os.path.join(corpus, "models"))):
        if name.endswith(".onnx"):
            path = os.path.join(corpus, "models", name)
            try:
                model = onnx.load(path)
            except Exception:  # noqa: BLE001  (a seed libFuzzer wrote may not parse)
                continue
            npy = os.path.join(corpus, "inputs", name[:-5] + ".npy")
            seeds.append((name, model, npy if os.path.exists(npy) else None))
    if not seeds:
        sys.exit("mutate.py: no .onnx seeds in %s/models" % corpus)
    return seeds


def make_mutant(seeds, rng):
    """(bytes, seed input .npy or None, description) of one mutant."""
    # Half from whole models (examples, zoo, RNNPool), which reach quantisation and codegen;
    # half from all seeds (mostly the one-node conformance cases).
    models = [s for s in seeds if not s[0].startswith("node_")]
    name, seed, npy = rng.choice(models if models and rng.random() < 0.5 else seeds)
    model = onnx.ModelProto()
    model.CopyFrom(seed)
    steps = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        mutation = rng.choice(mutators.MUTATIONS)
        try:
            steps.append("%s: %s" % (mutation.__name__, mutation(model, rng)))
        except (ValueError, TypeError, IndexError) as e:  # protobuf refused the value
            steps.append("%s: refused (%s)" % (mutation.__name__, str(e)[:60]))
    data = model.SerializeToString()
    if rng.random() < 0.08:
        data, what = mutators.byte_mutation(data, rng)
        steps.append(what)
    return data, npy, "%s; %s" % (name, "; ".join(steps))


def command_line(rnnpoolc, command, mutant, npy, rng):
    """argv for `command` on the mutant, and the outputs it may write."""
    d = os.path.dirname(mutant)
    if command == "inspect":
        return [rnnpoolc, "inspect", mutant] + rng.choice([[], ["--json"], ["--ir"]]), []
    if command == "plan":
        outs = [os.path.join(d, "plan.json"), os.path.join(d, "plan.svg")]
        flags = rng.choice([[], ["--stream-input"], ["--float"], ["--ram-budget", "4K"]])
        return [rnnpoolc, "plan", mutant, "--json", outs[0], "--svg", outs[1]] + flags, outs
    if command == "run":
        out = os.path.join(d, "out.npy")
        flags = rng.choice([[], ["--fixed"], ["--plan"], ["--fixed", "--stream-input"]])
        return [rnnpoolc, "run", mutant, "--input", npy, "--output", out] + flags, [out]
    out = os.path.join(d, "out")
    flags = rng.choice([[], [], ["--float"], ["--stream-input"], ["--ram-budget", "2K"]])
    return [rnnpoolc, "compile", mutant, "-o", out] + flags, [out]


def input_for(data, seed_npy, path):
    """Writes the run input: the mutant's first input if it is float with a small static
    shape, else the seed's input, else a scalar."""
    try:
        model = onnx.load_from_string(data)
        inits = {t.name for t in model.graph.initializer}
        vi = [i for i in model.graph.input if i.name not in inits][0]
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        if vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT and dims and \
                all(0 < d for d in dims) and int(np.prod(dims)) <= 1 << 16:
            np.save(path, np.linspace(-1, 1, int(np.prod(dims)), dtype=np.float32).reshape(dims))
            return
    except Exception:  # noqa: BLE001  (a mutant need not parse)
        pass
    if seed_npy:
        shutil.copyfile(seed_npy, path)
    else:
        np.save(path, np.zeros([1], np.float32))


def check(proc, files, outputs, workdir, before, timed_out):
    """None when the contract holds, else a short signature of the violation. The error
    line must name one of `files` (the model, or the input it was given)."""
    if timed_out:
        return "timeout"
    err = proc.stderr.decode("utf-8", "replace")
    m = SANITIZER.search(err)
    if m:
        lines = [l for l in err.splitlines() if l.startswith("SUMMARY:")]
        where = re.search(r"runtime error: .*", err)
        return (lines[0] if lines else where.group(0) if where else m.group(0))[:200]
    if proc.returncode < 0:
        return "signal %d" % -proc.returncode
    if proc.returncode == 0:
        return None
    if proc.returncode != 2:
        return "exit status %d" % proc.returncode
    errors = [l for l in err.splitlines() if l.startswith("error:")]
    others = [l for l in err.splitlines()
              if not l.startswith(("error:", "note:", "warning:")) and l.strip()]
    if len(errors) != 1:
        return "%d error lines" % len(errors)
    # The driver's last resort: an exception the libraries let through.
    for marker in ("internal error:", "out of memory:"):
        if marker in errors[0]:
            return errors[0][errors[0].index(marker):][:160]
    if not any(errors[0].startswith("error: %s: " % f) for f in files):
        return "error line does not name the file"
    if others:
        return "stray stderr line"
    written = [o for o in outputs if os.path.exists(o)]
    left = sorted(set(os.listdir(workdir)) - before)
    if written or left:
        return "status 2 but wrote %s" % (written + left)
    return None


def signature_key(command, what):
    """Groups findings: the command and the violation with numbers and addresses dropped."""
    what = re.sub(r"0x[0-9a-f]+|\d+", "N", what)
    return "%s-%s" % (command, hashlib.sha1(what.encode()).hexdigest()[:8])


def run_one(args, command, rng, seeds, rnnpoolc, run_dir):
    """Writes one mutant, runs `command` on it; (violation or None, argv, proc, mutant,
    description, timed out)."""
    data, seed_npy, description = make_mutant(seeds, rng)
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    mutant = os.path.join(run_dir, "mutant.onnx")
    with open(mutant, "wb") as f:
        f.write(data)
    npy = os.path.join(run_dir, "input.npy")
    input_for(data, seed_npy, npy)
    argv, outputs = command_line(rnnpoolc, command, mutant, npy, rng)
    before = set(os.listdir(run_dir))
    timed_out = False
    # The time limit is on CPU seconds, so that a loaded machine does not make findings:
    # past it the kernel stops rnnpoolc with SIGXCPU. The wall-clock limit, ten times as
    # long, only catches a process that waits without computing.
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, **SANITIZER_ENV), cwd=run_dir)
    cpu = int(math.ceil(args.timeout))
    try:
        resource.prlimit(proc.pid, resource.RLIMIT_CPU, (cpu, cpu + 5))
    except (ProcessLookupError, PermissionError):  # already gone
        pass
    try:
        _, stderr = proc.communicate(timeout=10 * args.timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        timed_out = True
    proc.stderr = stderr
    timed_out = timed_out or proc.returncode == -signal.SIGXCPU
    what = check(proc, [mutant, npy], outputs, run_dir, before, timed_out)
    return what, argv, proc, mutant, description, timed_out


def save_finding(found, findings_dir, run_dir, command, result):
    what, argv, proc, mutant, description, _ = result
    key = signature_key(command, what)
    examples = found.setdefault(key, [what, 0])
    examples[1] += 1
    if examples[1] > 3:
        return
    base = os.path.join(findings_dir, "%s-%d" % (key, examples[1]))
    shutil.copyfile(mutant, base + ".onnx")
    stderr = (proc.stderr or b"").decode("utf-8", "replace")
    with open(base + ".txt", "w") as f:
        f.write("command: %s\nfinding: %s\nmutant: %s\n\n%s\n" % (
            " ".join(a.replace(run_dir, "DIR") for a in argv[1:]), what, description,
            stderr[-4000:]))
    print("finding %s (%s): %s" % (key, command, what), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rnnpoolc")
    parser.add_argument("seeds")
    parser.add_argument("workdir")
    parser.add_argument("--count", type=int, default=0, help="mutants per command")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long")
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30, help="CPU seconds per command")
    parser.add_argument("--jobs", type=int, default=1, help="commands run at once")
    args = parser.parse_args()
    if not args.count and not args.seconds:
        parser.error("give --count or --seconds")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    commands = args.commands.split(",")
    seeds = load_seeds(args.seeds)
    rnnpoolc = os.path.abspath(args.rnnpoolc)
    findings_dir = os.path.join(args.workdir, "findings")
    os.makedirs(findings_dir, exist_ok=True)
    counts, statuses = collections.Counter(), collections.Counter()
    found = collections.OrderedDict()
    lock = threading.Lock()
    stop = threading.Event()
    start = time.time()
    runs = itertools.count()

    def worker(j):
        # Each worker its own random stream and directory: with --jobs 1 the campaign is
        # the one --seed gave before there were workers.
        rng = random.Random(args.seed if j == 0 else args.seed * 1000 + j)
        # Absolute: rnnpoolc runs in run_dir, and the paths it is given must still resolve.
        run_dir = os.path.join(os.path.abspath(args.workdir), "run" if j == 0 else "run%d" % j)
        while not stop.is_set():
            with lock:
                k = next(runs)
                if args.count and all(counts[c] >= args.count for c in commands):
                    return
            if args.seconds and time.time() - start > args.seconds:
                return
            command = commands[k % len(commands)]
            result = run_one(args, command, rng, seeds, rnnpoolc, run_dir)
            with lock:
                counts[command] += 1
                statuses["timeout" if result[5] else result[2].returncode] += 1
                if result[0] is not None:
                    save_finding(found, findings_dir, run_dir, command, result)
                done = sum(counts.values())
                if done % 500 == 0:
                    print("mutate.py: %d runs, %d findings, %.0f s" % (
                        done, len(found), time.time() - start), flush=True)

    # SIGTERM (or Ctrl-C) ends the campaign early, with the summary.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    threads = [threading.Thread(target=worker, args=(j,), daemon=True) for j in range(args.jobs)]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(0.5)
    except KeyboardInterrupt:
        stop.set()
        for t in threads:
            t.join()
    elapsed = time.time() - start
    total = sum(counts.values())
    print("mutate.py: %d runs in %.0f s (%.1f/s, %d at once): %s; exit statuses %s" % (
        total, elapsed, total / max(elapsed, 1e-9), args.jobs,
        ", ".join("%s %d" % (c, counts[c]) for c in commands),
        dict(sorted(statuses.items(), key=str))))
    print("mutate.py: %d distinct findings" % len(found))
    for key, (what, n) in found.items():
        print("  %s x%d: %s" % (key, n, what))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
