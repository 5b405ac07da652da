#!/usr/bin/python3
"""The LLVM backend through the CLI (about 100 s; three QEMU comparisons are most of it).

  test_llvm_backend.py RNNPOOLC WORKDIR

For the examples and two zoo models (exported by tools/models/export.py):
  - `rnnpoolc run MODEL --native` (the host object, run in process) reports a byte-for-byte
    match with the host fixed-point interpreter;
  - the C backend's host build and the LLVM backend's host model.o, each linked by cc with the
    same harness, write the same output bytes, and those dequantised are the values of
    `rnnpoolc run --fixed` (the interpreter);
  - model.o (host and cortex-m4) defines exactly the model.h API and nothing else global;
  - model.ll (--emit-llvm) passes `opt-19 -passes=verify` when opt-19 is installed;
  - the float build: `run --native --float` (and streamed) is within the float tolerance of
    the float interpreter, and `compile --float --backend llvm` writes a model.o that
    exports exactly the model.h API, for the host and for Cortex-M4;
  - two more zoo models (MobileNetV2 blocks) through the host kernel paths: `run --native`
    byte for byte (for this CPU, and for one without AVX-512 VNNI, whose int8 kernels take
    the portable vectors), `run --native --float` within tolerance (for this CPU and for
    baseline x86-64).
In QEMU, `run --board ... --backend llvm --json` matches the host byte for byte, as does the
C build of the same plan run beside it (one plain model, one streamed on netduinoplus2, and
MobileNetV2's blocks, whose tiles compute expansions inside their depthwise convs), and
the float build of the LLVM backend and of C match the host float interpreter.
And the error cases: one `error:` line, exit status 2, nothing written.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")
EXPORT = os.path.join(ROOT, "tools", "models", "export.py")
ZOO = ["branchy", "rnnpool_small"]
# Zoo models whose convolutions (pointwise, depthwise, stride 2, odd widths) take the host
# kernel paths of the host bitcode (RP_HOST_SIMD): --native int8 and float only (~6 s).
NATIVE_ZOO = ["inverted_residual", "mobilenet_v2_blocks"]

HARNESS = r"""
#include "model.h"
#include <stdio.h>
#include <stdlib.h>

static unsigned char arena[MODEL_ARENA_BYTES] __attribute__((aligned(16)));

int main(int argc, char **argv) {
  FILE *in = argc == 3 ? fopen(argv[1], "rb") : NULL, *out;
  int32_t k;
  if (!in)
    return 1;
  for (k = 0; k < MODEL_NUM_INPUTS; ++k) {
    const int32_t n = model_input_elems(k);
    float *x = malloc(sizeof(float) * (size_t)n);
    if (!x || fread(x, sizeof(float), (size_t)n, in) != (size_t)n)
      return 1;
    model_quantize_input(k, x, 0, n, arena);
    free(x);
  }
  fclose(in);
  model_run(arena);
  out = fopen(argv[2], "wb");
  for (k = 0; k < MODEL_NUM_OUTPUTS; ++k)
    fwrite(model_output(arena, k), 1, (size_t)model_output_bytes(k), out);
  return fclose(out) != 0;
}
"""

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def api(streamed):
    names = {"model_run", "model_quantize_pixels", "model_output", "model_input_elems",
             "model_output_bytes"}
    return names if streamed else names | {"model_quantize_input", "model_input"}


def defined_globals(nm, obj):
    out = run([nm, "-g", "--defined-only", obj]).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def header_quant(model_h, k):
    scale = zp = None
    for line in open(model_h):
        if line.startswith("#define MODEL_OUTPUT%d_SCALE " % k):
            scale = np.float32(float(line.split()[2].rstrip("f")))
        if line.startswith("#define MODEL_OUTPUT%d_ZERO_POINT " % k):
            zp = int(line.split()[2])
    return scale, zp


def host_models(rnnpoolc, work):
    models = [("small_cnn", os.path.join(EXAMPLES, "small_cnn", "model.onnx"),
               os.path.join(EXAMPLES, "small_cnn", "input.npy")),
              ("fashion_rnnpool", os.path.join(EXAMPLES, "fashion_rnnpool", "model.onnx"),
               os.path.join(EXAMPLES, "fashion_rnnpool", "image_3.npy"))]
    for name in ZOO:
        d = os.path.join(work, "zoo", name)
        subprocess.run([sys.executable, EXPORT, name, "-o", d], check=True,
                       capture_output=True)
        models.append((name, os.path.join(d, name + ".onnx"), os.path.join(d, "input.npy")))
    return models


def check_host(rnnpoolc, work, name, model, x):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    calib = ["--calib", x]
    r = run([rnnpoolc, "run", model, "--input", x, "--native", "--repeat", "3"] + calib)
    check(r.returncode == 0 and "byte for byte: yes" in r.stdout and
          "ms per inference" in r.stdout, "%s: run --native == fixed-point interpreter" % name)
    fixed = os.path.join(d, "fixed.npy")
    r = run([rnnpoolc, "run", model, "--input", x, "--fixed", "--output", fixed] + calib)
    check(r.returncode == 0, "%s: run --fixed" % name)
    outs = {}
    for backend in ("c", "llvm"):
        out = os.path.join(d, backend)
        r = run([rnnpoolc, "compile", model, "-o", out, "--target", "host", "--backend",
                 backend] + calib + (["--emit-llvm"] if backend == "llvm" else []))
        check(r.returncode == 0, "%s: compile --backend %s --target host" % (name, backend))
        with open(os.path.join(out, "harness.c"), "w") as f:
            f.write(HARNESS)
        sources = ["model.o"] if backend == "llvm" else ["model.c", "model_weights.c"]
        exe = os.path.join(out, "harness")
        r = run(["cc", "-std=c99", "-O1", "-I.", "-o", exe, "harness.c"] + sources, cwd=out)
        check(r.returncode == 0, "%s: the %s host build links with cc %s" % (name, backend,
                                                                            r.stderr[:300]))
        xin = os.path.join(out, "input.bin")
        np.load(x).astype(np.float32).tofile(xin)
        result = os.path.join(out, "output.bin")
        r = run([exe, xin, result])
        check(r.returncode == 0, "%s: the %s host build runs" % (name, backend))
        outs[backend] = open(result, "rb").read() if r.returncode == 0 else b""
    check(outs["c"] == outs["llvm"] and outs["c"],
          "%s: LLVM host model.o == C backend on the host, byte for byte" % name)
    # The bytes dequantised == the interpreter's outputs (one output compared in full).
    if not os.path.exists(fixed):
        fixed = os.path.join(d, "fixed_0.npy")  # several outputs: the first
    if os.path.exists(fixed):
        want = np.load(fixed).astype(np.float32)
        q = np.frombuffer(outs["llvm"][:want.size], dtype=np.int8).astype(np.int32)
        if want.ndim == 4:
            n, c, h, w = want.shape
            q = q.reshape(n, h, w, c).transpose(0, 3, 1, 2)
        scale, zp = header_quant(os.path.join(d, "llvm", "model.h"), 0)
        got = (scale * (q.reshape(want.shape) - zp).astype(np.float32)).astype(np.float32)
        check(np.array_equal(got, want), "%s: model.o's bytes are the interpreter's" % name)
    llvm = os.path.join(d, "llvm")
    check(defined_globals("nm", os.path.join(llvm, "model.o")) == api(False),
          "%s: host model.o exports exactly the model.h API" % name)
    opt = shutil.which("opt-19")
    if opt:
        r = run([opt, "-passes=verify", "-disable-output", os.path.join(llvm, "model.ll")])
        check(r.returncode == 0, "%s: model.ll passes opt-19 -passes=verify" % name)
    check_host_float(rnnpoolc, work, name, model, x)


def check_native(rnnpoolc, work):
    for name in NATIVE_ZOO:
        d = os.path.join(work, "zoo", name)
        subprocess.run([sys.executable, EXPORT, name, "-o", d], check=True,
                       capture_output=True)
        model, x = os.path.join(d, name + ".onnx"), os.path.join(d, "input.npy")
        r = run([rnnpoolc, "run", model, "--input", x, "--calib", x, "--native"])
        check(r.returncode == 0 and "byte for byte: yes" in r.stdout,
              "%s: run --native (host kernel paths) == fixed-point interpreter" % name)
        # A CPU with AVX-512 but not VNNI (the int8 outer form's portable vectors, whatever
        # this machine has), runnable on any x86-64 with AVX-512 (else baseline x86-64).
        cpu = "skylake-avx512" if "avx512f" in open("/proc/cpuinfo").read() else "x86-64"
        r = run([rnnpoolc, "run", model, "--input", x, "--calib", x, "--native", "--cpu", cpu])
        check(r.returncode == 0 and "byte for byte: yes" in r.stdout,
              "%s: run --native --cpu %s == fixed-point interpreter" % (name, cpu))
        r = run([rnnpoolc, "run", model, "--input", x, "--native", "--float"])
        check(r.returncode == 0 and "float interpreter: yes" in r.stdout,
              "%s: run --native --float (host kernel paths) == float interpreter within "
              "tolerance" % name)
        # Baseline x86-64 (no AVX-512: the float outer form one block of 16 at a time).
        r = run([rnnpoolc, "run", model, "--input", x, "--native", "--float", "--cpu", "x86-64"])
        check(r.returncode == 0 and "float interpreter: yes" in r.stdout,
              "%s: run --native --float --cpu x86-64 == float interpreter within tolerance" %
              name)
        if name == "mobilenet_v2_blocks":
            # The host is planned without recomputed tile halos unless asked; asked, its tiles
            # run natively too (the Cortex-M4 default, 10%, tiles this model).
            macs = {}
            for extra in ([], ["--mac-overhead", "10%"]):
                out = os.path.join(work, "zoo", name + "_host%d" % len(extra))
                r = run([rnnpoolc, "compile", model, "-o", out, "--backend", "llvm", "--target",
                         "host", "--calib", x] + extra)
                summary = json.load(open(os.path.join(out, "plan.json")))["summary"] \
                    if r.returncode == 0 else {}
                macs[bool(extra)] = (summary.get("macs", -1), summary.get("baseline_macs", 0))
            check(macs[False][0] == macs[False][1] and macs[True][0] > macs[True][1],
                  "%s: the host plan recomputes no halos by default, with --mac-overhead 10%% it "
                  "does (MACs %s)" % (name, macs))
            r = run([rnnpoolc, "run", model, "--input", x, "--calib", x, "--native",
                     "--mac-overhead", "10%"])
            check(r.returncode == 0 and "byte for byte: yes" in r.stdout,
                  "%s: run --native --mac-overhead 10%% (tiles) == fixed-point interpreter" % name)
            r = run([rnnpoolc, "run", model, "--input", x, "--native", "--float",
                     "--mac-overhead", "10%"])
            check(r.returncode == 0 and "float interpreter: yes" in r.stdout,
                  "%s: run --native --float --mac-overhead 10%% (tiles) == float interpreter "
                  "within tolerance" % name)


def check_host_float(rnnpoolc, work, name, model, x):
    for extra in ([], ["--stream-input"]):
        r = run([rnnpoolc, "run", model, "--input", x, "--native", "--float", "--repeat", "3"] +
                extra)
        check(r.returncode == 0 and "float interpreter: yes" in r.stdout and
              "ms per inference" in r.stdout,
              "%s: run --native --float%s == float interpreter within tolerance%s" %
              (name, " --stream-input" if extra else "",
               "" if r.returncode == 0 else ": " + r.stderr.strip()[-300:]))
    out = os.path.join(work, name, "llvm-float")
    r = run([rnnpoolc, "compile", model, "-o", out, "--target", "host", "--backend", "llvm",
             "--float"])
    check(r.returncode == 0 and "float32 build" in r.stdout,
          "%s: compile --float --backend llvm --target host" % name)
    check(defined_globals("nm", os.path.join(out, "model.o")) == api(False) and
          "#define MODEL_FLOAT 1" in open(os.path.join(out, "model.h")).read(),
          "%s: float host model.o exports exactly the model.h API of a float build" % name)


def check_cortex_m4(rnnpoolc, work):
    model = os.path.join(EXAMPLES, "small_cnn", "model.onnx")
    for streamed in (False, True):
        out = os.path.join(work, "m4-%s" % ("streamed" if streamed else "whole"))
        r = run([rnnpoolc, "compile", model, "-o", out, "--backend", "llvm", "--cpu",
                 "cortex-m4"] + (["--stream-input"] if streamed else []))
        check(r.returncode == 0, "cortex-m4 compile%s" % (" --stream-input" if streamed else ""))
        obj = os.path.join(out, "model.o")
        check(open(obj, "rb").read(20)[18:20] == b"\x28\x00", "cortex-m4 model.o is an ARM ELF")
        check(defined_globals("arm-none-eabi-nm", obj) == api(streamed),
              "cortex-m4 model.o exports exactly the model.h API (streamed: %s)" % streamed)
        check(sorted(os.listdir(out)) == ["model.h", "model.o", "plan.json", "plan.svg",
                                          "plan.txt"], "cortex-m4 output directory's files")
    out = os.path.join(work, "m4-float")
    r = run([rnnpoolc, "compile", model, "-o", out, "--backend", "llvm", "--float"])
    check(r.returncode == 0, "cortex-m4 compile --float")
    obj = os.path.join(out, "model.o")
    check(defined_globals("arm-none-eabi-nm", obj) == api(False),
          "cortex-m4 float model.o exports exactly the model.h API")


def check_qemu(rnnpoolc, work):
    cases = [("fashion_rnnpool", os.path.join(EXAMPLES, "fashion_rnnpool", "model.onnx"),
              os.path.join(EXAMPLES, "fashion_rnnpool", "image_5.npy"), "mps2-an386", []),
             ("small_cnn", os.path.join(EXAMPLES, "small_cnn", "model.onnx"),
              os.path.join(EXAMPLES, "small_cnn", "input.npy"), "netduinoplus2",
              ["--stream-input"])]
    # MobileNetV2's blocks (check_native exported them): a plan whose tiles compute the 1x1
    # expansions inside their depthwise convs' steps (rp_expand_dw_s8), and whose row bands
    # do too, carrying the rows their windows share (rp_expand_dw_rows_s8).
    d = os.path.join(work, "zoo", "mobilenet_v2_blocks")
    blocks = os.path.join(d, "mobilenet_v2_blocks.onnx")
    plan = os.path.join(work, "blocks_plan.json")
    r = run([rnnpoolc, "plan", blocks, "--json", plan])
    kinds = set(s.get("fuse_rows") for s in json.load(open(plan))["steps"]
                if "fuses" in s) if r.returncode == 0 else set()
    check(kinds == {False, True},
          "mobilenet_v2_blocks: the plan fuses expansions into depthwise tiles and row bands")
    cases.append(("mobilenet_v2_blocks", blocks, os.path.join(d, "input.npy"), "netduinoplus2",
                  []))
    for name, model, x, board, extra in cases:
        r = run([rnnpoolc, "run", model, "--input", x, "--board", board, "--backend", "llvm",
                 "--json"] + extra)
        ok = r.returncode == 0
        report = json.loads(r.stdout) if ok else {}
        check(ok and report.get("host_match") and report.get("c_host_match") and
              report.get("backend") == "llvm",
              "%s on %s%s: LLVM model.o and the C build == host byte for byte%s" %
              (name, board, " (streamed)" if extra else "",
               "" if ok else ": " + r.stderr.strip()[-300:]))
        if ok:
            print("      instructions LLVM %d, C %d; flash LLVM %d, C %d" %
                  (report["instructions"], report["c_instructions"], report["flash_bytes"],
                   report["c_flash_bytes"]))


def check_qemu_float(rnnpoolc):
    model = os.path.join(EXAMPLES, "fashion_rnnpool", "model.onnx")
    x = os.path.join(EXAMPLES, "fashion_rnnpool", "image_5.npy")
    r = run([rnnpoolc, "run", model, "--input", x, "--board", "mps2-an386", "--backend", "llvm",
             "--float", "--json"])
    ok = r.returncode == 0
    report = json.loads(r.stdout) if ok else {}
    check(ok and report.get("build") == "float" and report.get("host_match") and
          report.get("c_host_match") and report.get("max_abs_diff", 1) <= report["tolerance"],
          "fashion_rnnpool --float on mps2-an386: LLVM model.o and the C build == host float "
          "interpreter within tolerance%s" % ("" if ok else ": " + r.stderr.strip()[-300:]))
    if ok:
        print("      float: instructions LLVM %d, C %d; flash LLVM %d, C %d; max abs diff %.3g" %
              (report["instructions"], report["c_instructions"], report["flash_bytes"],
               report["c_flash_bytes"], report["max_abs_diff"]))


def check_errors(rnnpoolc, work):
    model = os.path.join(EXAMPLES, "small_cnn", "model.onnx")
    x = os.path.join(EXAMPLES, "small_cnn", "input.npy")
    out = os.path.join(work, "never")
    cases = [
        (["compile", model, "-o", out, "--backend", "llvm", "--cpu", "bogus"],
         "unknown --cpu 'bogus' for thumbv7em"),
        (["compile", model, "-o", out, "--backend", "llvm", "--target", "host", "--cpu",
          "cortex-m4"], "unknown --cpu 'cortex-m4' for x86_64"),
        (["run", model, "--input", x, "--float"], "--float on the host needs --native"),
        (["compile", model, "-o", out, "--backend", "wasm"], "unknown --backend 'wasm'"),
        (["compile", model, "-o", out, "--emit-llvm"], "--emit-llvm needs --backend llvm"),
        (["run", model, "--input", x, "--native", "--cpu", "bogus"], "unknown --cpu 'bogus'"),
        (["run", model, "--input", x, "--repeat", "3"], "--repeat needs --native"),
        (["run", model, "--input", x, "--mac-overhead", "5%"], "--mac-overhead needs --native"),
        (["run", model, "--input", x, "--native", "--repeat", "0"], "--repeat takes a count"),
        (["run", model, "--input", x, "--board", "mps2-an386", "--backend", "llvm",
          "--profile"], "--profile traces the C build"),
        (["compile", model, "-o", out, "--backend", "llvm", "--float", "--cpu", "bogus"],
         "unknown --cpu 'bogus' for thumbv7em"),
    ]
    for args, want in cases:
        r = run([rnnpoolc] + args)
        lines = [l for l in r.stderr.splitlines() if not l.startswith("warning:")]
        check(r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and
              want in lines[0] and not os.path.exists(out),
              "error: %s -> %r" % (" ".join(args[2:]), lines))


def main():
    rnnpoolc, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    check_errors(rnnpoolc, work)
    check_cortex_m4(rnnpoolc, work)
    for name, model, x in host_models(rnnpoolc, work):
        check_host(rnnpoolc, work, name, model, x)
    check_native(rnnpoolc, work)
    if "--no-qemu" not in sys.argv:
        check_qemu(rnnpoolc, work)
        check_qemu_float(rnnpoolc)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
