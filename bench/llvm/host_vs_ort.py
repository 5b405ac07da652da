#!/usr/bin/python3
"""Host speed: `rnnpoolc run --native` (the LLVM backend's host object), int8 and float32,
against onnxruntime (npm onnxruntime-node, float32), one thread each, median of N inferences
after a warm-up (the best of three interleaved rounds), on torchvision MobileNetV2-1.0 at
224, the RNNPool face detector, MobileNetV2-RNNPool and small_cnn. Printed, never asserted.

  host_vs_ort.py RNNPOOLC WORKDIR [RUNS]

onnxruntime-node is installed on first use (`npm install --ignore-scripts`: its CPU library
ships in the package) into WORKDIR/ort, outside the repository. The rnnpoolc figures time
model_quantize_input + model_run (int8: the float input in, int8 outputs in the arena) and
model_run on the float input (--float); the onnxruntime figure times session.run on the
float input. A ratio is onnxruntime's time over rnnpoolc's (above 1: rnnpoolc is faster).
Each rnnpoolc run also checks its outputs against the interpreter (int8 byte for byte,
float within tolerance); a run that fails says why instead of a figure.
"""
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPORT = os.path.join(ROOT, "tools", "models", "export.py")
ROUNDS = 3
MODELS = [("MobileNetV2-1.0 224", "mobilenet_v2_224"), ("face detector (rpool_face_m4)",
          "rpool_face_m4"), ("MobileNetV2-RNNPool 224", "mobilenet_v2_rnnpool"),
          ("small_cnn", "small_cnn")]

ORT_SCRIPT = r"""
const ort = require('onnxruntime-node');
const fs = require('fs');
(async () => {
  const [model, input, shape, runs] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {intraOpNumThreads: 1,
      interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'});
  const buf = fs.readFileSync(input);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data,
      shape.split('x').map(Number))};
  await session.run(feeds);
  const ms = [];
  for (let i = 0; i < Number(runs); ++i) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const m = ms.length >> 1;
  console.log(ms.length % 2 ? ms[m] : (ms[m - 1] + ms[m]) / 2);
})();
"""


def ensure_ort(work):
    ort = os.path.join(work, "ort")
    if not os.path.isdir(os.path.join(ort, "node_modules", "onnxruntime-node")):
        os.makedirs(ort, exist_ok=True)
        subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund",
                        "onnxruntime-node"], cwd=ort, check=True, capture_output=True)
    with open(os.path.join(ort, "time.js"), "w") as f:
        f.write(ORT_SCRIPT)
    return ort


def time_rnnpoolc(rnnpoolc, model, x, runs, float_build):
    """(median ms, note): the note is empty when the run matched the interpreter."""
    args = [rnnpoolc, "run", model, "--input", x, "--native", "--repeat", str(runs)]
    args += ["--float"] if float_build else ["--calib", x]
    p = subprocess.run(args, capture_output=True, text=True)
    m = re.search(r"median ([0-9.]+) ms", p.stdout)
    ok = "byte for byte: yes" in p.stdout or "float interpreter: yes" in p.stdout
    if m and ok:
        return float(m.group(1)), ""
    why = (p.stderr.strip().splitlines() or p.stdout.strip().splitlines() or ["?"])[-1]
    return float("nan"), " (%s: %s)" % ("float" if float_build else "int8", why[:80])


def main():
    rnnpoolc, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    os.makedirs(work, exist_ok=True)
    ort = ensure_ort(work)
    print("%-30s %10s %12s %9s %12s %9s" % ("model", "ort f32 ms", "rnnpoolc f32", "ort/f32",
                                             "rnnpoolc int8", "ort/int8"))
    for title, name in MODELS:
        d = os.path.join(work, name)
        model = os.path.join(d, name + ".onnx")
        if not os.path.exists(model):
            subprocess.run([sys.executable, EXPORT, name, "-o", d], check=True,
                           capture_output=True)
        x = np.load(os.path.join(d, "input.npy")).astype(np.float32)
        raw = os.path.join(d, "input.bin")
        x.tofile(raw)
        npy = os.path.join(d, "input.npy")
        # ROUNDS rounds of the three, interleaved, each figure the best of its rounds'
        # medians: a shared machine's load drifts over seconds, and interleaving keeps a
        # slow spell from landing on one side of a ratio only.
        ort_ms = f32 = i8 = float("inf")
        f32_note = i8_note = ""
        for _ in range(ROUNDS):
            p = subprocess.run(["node", os.path.join(ort, "time.js"), model, raw,
                                "x".join(map(str, x.shape)), str(runs)], capture_output=True,
                               text=True, cwd=ort)
            ort_ms = min(ort_ms, float(p.stdout.strip()) if p.returncode == 0 else float("nan"))
            ms, f32_note = time_rnnpoolc(rnnpoolc, model, npy, runs, float_build=True)
            f32 = min(f32, ms)
            ms, i8_note = time_rnnpoolc(rnnpoolc, model, npy, runs, float_build=False)
            i8 = min(i8, ms)
        print("%-30s %10.3f %12.3f %9.2f %12.3f %9.2f%s%s" % (
            title, ort_ms, f32, ort_ms / f32, i8, ort_ms / i8, f32_note, i8_note), flush=True)


if __name__ == "__main__":
    main()
