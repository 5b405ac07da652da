/* Declarations of the host-path kernels built by rp_hostsimd.c and rp_hostsimd_f32.c. */
#ifndef RNNPOOLC_RP_HOSTSIMD_H
#define RNNPOOLC_RP_HOSTSIMD_H

#include "rnnpoolc_runtime.h"
#include "rnnpoolc_runtime_f32.h"

#ifdef __cplusplus
extern "C" {
#endif

void rp_hostsimd_conv_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                         const rp_region *region);
void rp_hostsimd_conv_in_place_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                  const rp_region *region, int8_t *scratch, int32_t chunk);
void rp_hostsimd_rnnpool_s8(const rp_rnnpool_params *p, const rp_view *in, rp_view *out,
                            const rp_region *region, void *scratch, int32_t reuse);
void rp_hostsimd_conv_f32(const rp_conv_f32_params *p, const rp_view_f32 *in, rp_view_f32 *out,
                          const rp_region_f32 *region);
void rp_hostsimd_rnnpool_f32(const rp_rnnpool_f32_params *p, const rp_view_f32 *in,
                             rp_view_f32 *out, const rp_region_f32 *region, void *scratch,
                             int32_t reuse);
/* The receptive field the host paths take (proof that they were compiled in). */
int32_t rp_hostsimd_max_field(void);
/* Whether the int8 outer form runs its AVX-512 VNNI kernel here. */
int32_t rp_hostsimd_vnni(void);
/* Whether the float outer form runs two blocks of 16 channels at once here (AVX-512). */
int32_t rp_hostsimd_avx512(void);
int32_t rp_hostsimd_max_field_f32(void);

#ifdef __cplusplus
}
#endif

#endif
