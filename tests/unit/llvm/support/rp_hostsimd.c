/* The int8 convolution and RNNPool kernels compiled once more with the host paths that the
 * LLVM backend's host bitcode selects (RP_HOST_SIMD, runtime/rp_host_conv.h), renamed
 * rp_hostsimd_*, so that a test can compare their bytes with the portable library's. */
#define RP_HOST_SIMD 1
#define rp_conv_s8 rp_hostsimd_conv_s8
#define rp_conv_general_s8 rp_hostsimd_conv_general_s8
#define rp_conv_depthwise_s8 rp_hostsimd_conv_depthwise_s8
#define rp_conv_pointwise_s8 rp_hostsimd_conv_pointwise_s8
#define rp_conv_in_place_s8 rp_hostsimd_conv_in_place_s8
#define rp_expand_dw_s8 rp_hostsimd_expand_dw_s8
#define rp_expand_dw_scratch_bytes rp_hostsimd_expand_dw_scratch_bytes
#define rp_expand_dw_rows_s8 rp_hostsimd_expand_dw_rows_s8
#define rp_expand_dw_rows_scratch_bytes rp_hostsimd_expand_dw_rows_scratch_bytes
#define rp_q15_nonlinearity rp_hostsimd_q15_nonlinearity
#define rp_fastgrnn_sweep_s8 rp_hostsimd_fastgrnn_sweep_s8
#define rp_rnnpool_scratch_bytes rp_hostsimd_rnnpool_scratch_bytes
#define rp_rnnpool_s8 rp_hostsimd_rnnpool_s8
#include "rp_conv.c"
#include "rp_rnnpool.c"
#include "rp_hostsimd.h"

/* The VNNI path where this compiler's target has it (the normal build's clang
 * -march=native on such a CPU), else the portable vectors. */
#if RP_HOST_HAS_VNNI && defined(__AVX512VNNI__) && defined(__AVX512BW__)
const int32_t rp_host_vnni = 1;
#else
const int32_t rp_host_vnni = 0;
#endif

int32_t rp_hostsimd_vnni(void) {
  return rp_host_vnni;
}

int32_t rp_hostsimd_max_field(void) {
  return RP_HOST_MAX_N;
}
