#!/usr/bin/env bash
# The LLVM backend's benchmarks (printed, not asserted):
#   host: rnnpoolc run --native (float32 and int8) against onnxruntime-node (float32), one thread,
#         median of N after a warm-up (host_vs_ort.py; onnxruntime-node is installed with
#         npm into BUILD_DIR/bench-llvm/ort on first use, never into the repository);
#   m4:   instructions and flash of the LLVM model.o against the C build of the same plan
#         in QEMU mps2-an386 (m4_vs_c.py).
#   bench/llvm/run.sh [BUILD_DIR] [host|m4|all] [RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
which=${2:-all}
runs=${3:-20}
work=$build/bench-llvm
mkdir -p "$work"
cmake --build "$build" --target rnnpoolc > /dev/null
if [[ $which == host || $which == all ]]; then
  /usr/bin/python3 "$top/bench/llvm/host_vs_ort.py" "$build/rnnpoolc" "$work" "$runs"
fi
if [[ $which == m4 || $which == all ]]; then
  /usr/bin/python3 "$top/bench/llvm/m4_vs_c.py" "$build/rnnpoolc" "$work/m4"
fi
