#!/usr/bin/env bash
# RNNPool recognition time on RNNPool-Face-M4-sized layers (320x240 mono frame after a
# stride-2 conv: a 160x120x4 map, 8x8 patches at stride 4, h1 = h2 = 16) in every flat
# export style and as a function. Prints node counts before/after and the time.
#   bench/fusion/run.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --build "$build" --target bench_fusion > /dev/null
models=()
for style in "flat functional unfold" "flat functional slice" "flat inplace unfold" \
             "flat inplace slice" "function functional unfold"; do
  set -- $style
  out="$work/face320x240_$1_$2_$3.onnx"
  /usr/bin/python3 "$top/tools/rnnpool/export.py" --encoding "$1" --style "$2" \
      --extraction "$3" --input-shape 1x1x240x320 --conv-before --conv-channels 4 \
      --patch 8 8 --stride 4 4 --hidden 16 16 -o "$out" > /dev/null
  models+=("$out")
done
"$build/bench/bench_fusion" "${models[@]}"
