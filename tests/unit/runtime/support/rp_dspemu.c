/* The runtime kernels that have DSP-extension loops, compiled once more with those loops
 * selected through portable models of the Armv7E-M instructions (RP_EMULATE_DSP) and
 * renamed rp_dspemu_*, so that a host test can compare their bytes with the portable
 * library's. */
#define RP_EMULATE_DSP 1
#define rp_conv_s8 rp_dspemu_conv_s8
#define rp_conv_general_s8 rp_dspemu_conv_general_s8
#define rp_conv_depthwise_s8 rp_dspemu_conv_depthwise_s8
#define rp_conv_pointwise_s8 rp_dspemu_conv_pointwise_s8
#define rp_conv_in_place_s8 rp_dspemu_conv_in_place_s8
#define rp_expand_dw_s8 rp_dspemu_expand_dw_s8
#define rp_expand_dw_rows_s8 rp_dspemu_expand_dw_rows_s8
#define rp_expand_dw_rows_scratch_bytes rp_dspemu_expand_dw_rows_scratch_bytes
#define rp_expand_dw_scratch_bytes rp_dspemu_expand_dw_scratch_bytes
#define rp_fc_s8 rp_dspemu_fc_s8
#define rp_maxpool_s8 rp_dspemu_maxpool_s8
#define rp_avgpool_s8 rp_dspemu_avgpool_s8
#define rp_global_avgpool_s8 rp_dspemu_global_avgpool_s8
#define rp_rnnpool_s8 rp_dspemu_rnnpool_s8
#define rp_rnnpool_scratch_bytes rp_dspemu_rnnpool_scratch_bytes
#define rp_fastgrnn_sweep_s8 rp_dspemu_fastgrnn_sweep_s8
#define rp_q15_nonlinearity rp_dspemu_q15_nonlinearity
#define rp_requantize rp_dspemu_requantize
#define rp_requant_s8 rp_dspemu_requant_s8
#define rp_quantize_f32_s8 rp_dspemu_quantize_f32_s8
#define rp_quantize_planes_f32_s8 rp_dspemu_quantize_planes_f32_s8
#define rp_dequantize_s8_f32 rp_dspemu_dequantize_s8_f32
#define rp_lut_s8 rp_dspemu_lut_s8
#define rp_add_s8 rp_dspemu_add_s8
#define rp_concat_s8 rp_dspemu_concat_s8
#define rp_concat_pixels_s8 rp_dspemu_concat_pixels_s8
#define rp_softmax_s8 rp_dspemu_softmax_s8
#define rp_isqrt64 rp_dspemu_isqrt64
#define rp_l2norm_s8 rp_dspemu_l2norm_s8
#define rp_mul_s8 rp_dspemu_mul_s8
#define rp_mul_channel_s8 rp_dspemu_mul_channel_s8
#define rp_mul_gate_s8 rp_dspemu_mul_gate_s8
#define rp_channel_slice_s8 rp_dspemu_channel_slice_s8
#define rp_pad_s8 rp_dspemu_pad_s8
#include "rp_eltwise.c"
#include "rp_norm.c"
#include "rp_conv.c"
#include "rp_fc_pool.c"
#include "rp_rnnpool.c"
#include "rp_dspemu.h"
