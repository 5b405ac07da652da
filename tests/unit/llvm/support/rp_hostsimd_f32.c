/* The float convolution and RNNPool kernels compiled once more with the host paths that the
 * LLVM backend's host bitcode selects (RP_HOST_SIMD, runtime/rp_f32_host_conv.h and the
 * cells of rp_f32_rnnpool.c), renamed rp_hostsimd_*, so that a test can compare them with
 * the portable library's. */
#define RP_HOST_SIMD 1
#define rp_act_apply_f32 rp_hostsimd_act_apply_f32
#define rp_conv_f32 rp_hostsimd_conv_f32
#define rp_conv_general_f32 rp_hostsimd_conv_general_f32
#define rp_conv_depthwise_f32 rp_hostsimd_conv_depthwise_f32
#define rp_conv_pointwise_f32 rp_hostsimd_conv_pointwise_f32
#define rp_maxpool_f32 rp_hostsimd_maxpool_f32
#define rp_avgpool_f32 rp_hostsimd_avgpool_f32
#define rp_rnn_nonlinearity_f32 rp_hostsimd_rnn_nonlinearity_f32
#define rp_rnnpool_f32_scratch_bytes rp_hostsimd_rnnpool_f32_scratch_bytes
#define rp_rnnpool_f32 rp_hostsimd_rnnpool_f32
#include "rp_f32_conv.c"
#include "rp_f32_rnnpool.c"
#include "rp_hostsimd.h"

/* The AVX-512 path where this compiler's target has it (the normal build's clang
 * -march=native on such a CPU), else the one block at a time. */
#if defined(__AVX512F__)
const int32_t rp_host_avx512 = 1;
#else
const int32_t rp_host_avx512 = 0;
#endif

int32_t rp_hostsimd_avx512(void) {
  return rp_host_avx512;
}

int32_t rp_hostsimd_max_field_f32(void) {
  return RP_F32_HOST_MAX_N;
}
