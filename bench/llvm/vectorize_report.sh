#!/usr/bin/env bash
# Which loops of the host kernel paths (RP_HOST_SIMD: runtime/rp_host_conv.h,
# runtime/rp_f32_host_conv.h) LLVM's loop vectoriser takes: the int8 and float runtimes
# compiled as the host bitcode is (with this machine's CPU, as a host model.o is), with
# -Rpass=loop-vectorize and -Rpass-missed=loop-vectorize, the remarks on those files printed.
#   bench/llvm/vectorize_report.sh [CLANG]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
clang=${1:-clang-19}
for glue in rp_llvm_glue.c rp_llvm_glue_f32.c; do
  "$clang" -std=c99 -O3 -march=native -ffp-contract=off -DRP_HOST_SIMD=1 -I"$top/runtime" \
    -Rpass=loop-vectorize -Rpass-missed=loop-vectorize -c "$top/targets/llvm/$glue" \
    -o /dev/null 2>&1 | grep -E 'host_conv\.h:[0-9]+:[0-9]+: remark' | sed "s|$top/||" |
    sort -t: -k2,2n -u
done
