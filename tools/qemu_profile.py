#!/usr/bin/python3
"""Instructions per function (and per instruction of one function) of a Cortex-M4 firmware
run in QEMU, counted from QEMU's own trace: every translated block's instructions
(-d in_asm) times its executions (-d exec, with chaining off so that each one is logged).

  tools/qemu_profile.py FIRMWARE.elf [--board mps2-an386] [--function NAME] [--top N]

FIRMWARE.elf is any firmware the project builds for QEMU: build/bench-kernels/firmware.elf
after bench_kernels, or the firmware.elf in the directory of `rnnpoolc run --keep`. The
run is the same as the project's (-icount shift=0, semihosting), so the total is the
firmware's instruction count; the trace is large (about 5 bytes per instruction run) and
is deleted afterwards. With --function, every instruction of that function is listed with
its count, which is how the depthwise figures of docs/numbers.md were taken apart.
"""
import argparse
import bisect
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile


def symbols(elf):
    out = subprocess.run(["arm-none-eabi-nm", "-n", elf], capture_output=True, text=True,
                         check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16) & ~1, parts[2]))
    return syms


def count(log):
    """Executions of each instruction address, and the disassembly of each."""
    blocks = {}  # QEMU's host address of a translated block -> its instruction addresses
    counts = collections.Counter()
    text = {}
    current = None
    insn = re.compile(r"0x([0-9a-f]+):\s+[0-9a-f ]+?\s{2,}(.*)")
    trace = re.compile(r"Trace \d+: (0x[0-9a-f]+) \[[0-9a-f]+/([0-9a-f]+)/")
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("IN:"):
                current = []
            elif line.startswith("Trace"):
                m = trace.match(line)
                if not m:
                    continue
                host, pc = m.group(1), int(m.group(2), 16)
                if current and current[0] == pc:  # the block just translated
                    blocks[host] = current
                current = None
                for a in blocks.get(host, [pc]):
                    counts[a] += 1
            elif current is not None:
                m = insn.match(line)
                if m:
                    a = int(m.group(1), 16)
                    current.append(a)
                    text[a] = m.group(2).strip()
    return counts, text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("firmware")
    ap.add_argument("--board", default="mps2-an386")
    ap.add_argument("--function", help="list this function's instructions with their counts")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "trace.log")
        # In the temporary directory: the firmware's semihosting writes its outputs there,
        # and reads its input from there (input.bin beside the firmware, when there is one).
        given = os.path.join(os.path.dirname(os.path.abspath(args.firmware)), "input.bin")
        if os.path.exists(given):
            shutil.copy(given, tmp)
        run = subprocess.run(
            ["qemu-system-arm", "-M", args.board, "-display", "none", "-monitor", "none",
             "-serial", "none", "-semihosting-config", "enable=on,target=native", "-icount",
             "shift=0", "-kernel", os.path.abspath(args.firmware), "-d",
             "in_asm,exec,nochain", "-D", log],
            capture_output=True, text=True, timeout=3600, cwd=tmp)
        if run.returncode != 0:
            sys.stderr.write(run.stderr)
            sys.exit(f"error: {args.firmware}: QEMU exited with status {run.returncode}")
        counts, text = count(log)
    syms = symbols(args.firmware)
    starts = [s[0] for s in syms]

    def function(addr):
        i = bisect.bisect_right(starts, addr) - 1
        return syms[i][1] if i >= 0 else "?"

    per = collections.Counter()
    for addr, n in counts.items():
        per[function(addr)] += n
    total = sum(per.values())
    print(f"{total} instructions")
    for name, n in per.most_common(args.top):
        print(f"{n:12d} {100.0 * n / total:5.1f} %  {name}")
    if args.function:
        print(f"\n{args.function}:")
        for addr in sorted(a for a in counts if function(a) == args.function):
            print(f"{addr:08x} {counts[addr]:10d}  {text.get(addr, '')}")


if __name__ == "__main__":
    main()
