#!/usr/bin/env bash
# Memory-plan benchmark: for each model, the layer-by-layer (TFLite Micro-style) baseline
# peak, rnnpoolc's live peak and arena (what the firmware allocates) with the input frame
# resident and streamed (s_), the baseline/arena ratio, the MAC overhead and the planning
# time. int8
# activations. Published reference points:
#   MobileNetV2-1.0 224x224: MCUNetV2 1372 kB layer-by-layer, 172 kB patch-based (~+10% MACs)
#   RNNPool-Face-M4 320x240: 188 KB (RNNPool paper);  MobileNetV2-RNNPool 224: 0.24 MB
#   bench/plan/run.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --build "$build" --target rnnpoolc > /dev/null
printf '%-22s %10s %10s %10s %6s %7s %6s %10s %10s %6s %7s %6s\n' model baseline_B peak_B \
  arena_B ratio MACs+% time_s s_peak_B s_arena_B ratio MACs+% time_s
for model in mobilenet_v2_224 rnnpool_face mobilenet_v2_rnnpool; do
  /usr/bin/python3 "$top/tools/models/export.py" "$model" -o "$work/$model" > /dev/null 2>&1
  onnx="$work/$model/$model.onnx"
  start=$(date +%s.%N)
  "$build/rnnpoolc" plan "$onnx" --json "$work/frame.json" > /dev/null
  end=$(date +%s.%N)
  "$build/rnnpoolc" plan "$onnx" --stream-input --json "$work/stream.json" > /dev/null
  send=$(date +%s.%N)
  /usr/bin/python3 - "$model" "$work/frame.json" "$work/stream.json" "$start" "$end" "$send" \
    <<'PY'
import json, sys
model, frame, stream, start, end, send = sys.argv[1:]
f = json.load(open(frame))["summary"]
s = json.load(open(stream))["summary"]
over = lambda d: 100.0 * (d["macs"] - d["baseline_macs"]) / d["baseline_macs"]
base = f["baseline_peak_ram_bytes"]
print("%-22s %10d %10d %10d %6.2f %7.1f %6.2f %10d %10d %6.2f %7.1f %6.2f" % (
    model, base, f["peak_ram_bytes"], f["arena_bytes"], base / f["arena_bytes"], over(f),
    float(end) - float(start), s["peak_ram_bytes"], s["arena_bytes"], base / s["arena_bytes"],
    over(s), float(send) - float(end)))
PY
done
