/* rnnpoolc runtime: reductions over the channels of each pixel (max, min, requantised mean),
 * a global average pool accumulated a band of rows at a time, and elementwise max / min of
 * two int8 tensors with their own parameters. */
#include "rp_internal.h"

RP_API void rp_reduce_channels_s8(const rp_reduce_channels_params *p, const int8_t *in,
                                  int8_t *out, int32_t pixels) {
  const int32_t n = p->channels;
  int32_t px, c;
  for (px = 0; px < pixels; ++px, in += n) {
    int32_t v = in[0];
    if (p->op == RP_REDUCE_MEAN) {
      int32_t sum = 0;
      for (c = 0; c < n; ++c)
        sum += in[c] - p->in_zp;
      v = rp_clamp(p->out_zp + rp_requant_inline(sum, p->mult, p->shift), -128, 127);
    } else if (p->op == RP_REDUCE_MAX) {
      for (c = 1; c < n; ++c)
        v = rp_max(v, in[c]);
    } else {
      for (c = 1; c < n; ++c)
        v = rp_min(v, in[c]);
    }
    out[px] = (int8_t)v;
  }
}

RP_API void rp_global_avgpool_rows_s8(const rp_global_avgpool_params *p, const int8_t *in,
                                      int32_t *acc, int32_t pixels, int32_t start) {
  const int32_t n = p->channels;
  int32_t px, c;
  if (start)
    for (c = 0; c < n; ++c)
      acc[c] = 0;
  for (px = 0; px < pixels; ++px, in += n)
    for (c = 0; c < n; ++c)
      acc[c] += (int32_t)in[c] - p->in_zp;
}

RP_API void rp_global_avgpool_finish_s8(const rp_global_avgpool_params *p, const int32_t *acc,
                                        int8_t *out) {
  int32_t c;
  for (c = 0; c < p->channels; ++c)
    out[c] =
        (int8_t)rp_clamp(rp_requant_inline(acc[c], p->mult, p->shift) + p->out_zp, -128, 127);
}

RP_API void rp_minmax_s8(const rp_minmax_params *p, const int8_t *in1, const int8_t *in2,
                         int8_t *out, int32_t n) {
  const int8_t *t1 = p->table1, *t2 = p->table2;
  int32_t i;
  if (p->is_min) {
    for (i = 0; i < n; ++i)
      out[i] = (int8_t)rp_min(t1[(uint8_t)(in1[i] + 128)], t2[(uint8_t)(in2[i] + 128)]);
  } else {
    for (i = 0; i < n; ++i)
      out[i] = (int8_t)rp_max(t1[(uint8_t)(in1[i] + 128)], t2[(uint8_t)(in2[i] + 128)]);
  }
}
