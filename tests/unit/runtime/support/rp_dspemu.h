/* Declarations of the DSP-path kernels built by rp_dspemu.c (see there). */
#ifndef RNNPOOLC_RP_DSPEMU_H
#define RNNPOOLC_RP_DSPEMU_H

#include "rnnpoolc_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

void rp_dspemu_conv_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                       const rp_region *region);
void rp_dspemu_conv_in_place_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                const rp_region *region, int8_t *scratch, int32_t chunk);
void rp_dspemu_expand_dw_s8(const rp_conv_params *expand, const rp_conv_params *dw,
                            const rp_view *in, rp_view *out, const rp_region *region,
                            int8_t *scratch, int32_t group);
void rp_dspemu_expand_dw_rows_s8(const rp_conv_params *expand, const rp_conv_params *dw,
                                 const rp_view *in, rp_view *out, const rp_region *region,
                                 int8_t *scratch, int32_t group, int32_t carried);
void rp_dspemu_add_s8(const rp_add_params *p, const int8_t *in1, const int8_t *in2, int8_t *out,
                      int32_t n);
void rp_dspemu_concat_s8(const rp_concat_params *p, const int8_t *const *in, int8_t *out);
void rp_dspemu_concat_pixels_s8(const rp_concat_params *p, const int8_t *const *in, int8_t *out,
                                int32_t pixels);
void rp_dspemu_l2norm_s8(const rp_l2norm_params *p, const int8_t *in, int8_t *out,
                         int32_t pixels);
void rp_dspemu_mul_s8(const rp_mul_params *p, const int8_t *in1, const int8_t *in2, int8_t *out,
                      int32_t n);
void rp_dspemu_mul_gate_s8(const rp_mul_gate_params *p, const int8_t *in, const int8_t *gate,
                           int8_t *out, int32_t pixels);
void rp_dspemu_fc_s8(const rp_fc_params *p, const int8_t *in, int8_t *out);
void rp_dspemu_rnnpool_s8(const rp_rnnpool_params *p, const rp_view *in, rp_view *out,
                          const rp_region *region, void *scratch, int32_t reuse);

#ifdef __cplusplus
}
#endif

#endif
