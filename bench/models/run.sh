#!/usr/bin/env bash
# Per-model instruction benchmark on mps2-an386 (QEMU, -icount): for each model, the
# instructions per inference of the fixed-point build and of the --float build of the same
# model, their ratio (float / fixed), instructions per MAC (MACs from `rnnpoolc inspect
# --json`), and for RNNPool layers the instructions per patch (run --profile). A model that
# does not compile (or does not fit the board) is skipped with the reason. The aim of the
# fixed-point backend: at least 3x fewer instructions than float.
#   bench/models/run.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --build "$build" --target rnnpoolc > /dev/null
/usr/bin/python3 "$top/bench/models/bench_models.py" "$build/rnnpoolc" "$work"
