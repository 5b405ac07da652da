/* rnnpoolc runtime: data movement without arithmetic for int8 tensors: byte copies, padding
 * in the constant, edge and reflect modes (views and regions, so row bands and tiles),
 * channel slices with any step, channel shuffles and permuted copies (Transpose). */
#include "rp_internal.h"

RP_API void rp_copy_s8(const int8_t *in, int8_t *out, int32_t n) {
  if (n > 0 && in != out)
    memmove(out, in, (size_t)n);
}

RP_API int32_t rp_pad_source(int32_t i, int32_t n, int32_t mode) {
  int32_t period, m;
  if (i >= 0 && i < n)
    return i;
  if (mode == RP_PAD_CONSTANT || n <= 0)
    return -1;
  if (mode == RP_PAD_EDGE)
    return i < 0 ? 0 : n - 1;
  if (n == 1)
    return 0;
  /* Reflect: mirror without repeating the border, periodically for wide pads. */
  period = 2 * (n - 1);
  m = i % period;
  if (m < 0)
    m += period;
  return m < n ? m : period - m;
}

RP_API void rp_pad_mode_s8(const rp_pad_mode_params *p, const rp_view *in, rp_view *out,
                           const rp_region *region) {
  /* In an order that lets the output lie over its input in the constant and edge modes
   * (rp_pad_first_first; see rnnpoolc_runtime.h). */
  const int32_t c_n = p->channels, rows = region->row1 - region->row0,
                cols = region->col1 - region->col0;
  const int forward =
      rp_pad_first_first(in, out, region, p->pad_top, p->pad_left, p->in_h, p->in_w, c_n);
  int32_t k, j;
  for (k = 0; k < rows; ++k) {
    const int32_t oy = forward ? region->row0 + k : region->row1 - 1 - k;
    const int32_t iy = rp_pad_source(oy - p->pad_top, p->in_h, p->mode);
    for (j = 0; j < cols; ++j) {
      const int32_t ox = forward ? region->col0 + j : region->col1 - 1 - j;
      const int32_t ix = rp_pad_source(ox - p->pad_left, p->in_w, p->mode);
      int8_t *dst = rp_view_pixel(out, oy, ox, c_n);
      if (iy >= 0 && ix >= 0)
        memmove(dst, rp_view_pixel(in, iy, ix, c_n), (size_t)c_n);
      else
        memset(dst, (int8_t)p->value, (size_t)c_n);
    }
  }
}

RP_API void rp_channel_step_s8(const rp_channel_step_params *p, const int8_t *in, int8_t *out,
                               int32_t pixels) {
  int32_t px, c;
  for (px = 0; px < pixels; ++px) {
    const int8_t *src = in + px * p->in_channels + p->first;
    for (c = 0; c < p->channels; ++c)
      *out++ = src[c * p->step];
  }
}

RP_API void rp_channel_shuffle_s8(const rp_channel_shuffle_params *p, const int8_t *in,
                                  int8_t *out, int32_t pixels) {
  const int32_t per_group = p->channels / p->groups;
  int32_t px, i, j;
  for (px = 0; px < pixels; ++px) {
    const int8_t *src = in + px * p->channels;
    for (i = 0; i < per_group; ++i)
      for (j = 0; j < p->groups; ++j)
        *out++ = src[j * per_group + i];
  }
}

RP_API void rp_permute_s8(const rp_permute_params *p, const int8_t *in, int8_t *out) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2) {
        const int8_t *src =
            in + i0 * p->in_stride[0] + i1 * p->in_stride[1] + i2 * p->in_stride[2];
        for (i3 = 0; i3 < p->dims[3]; ++i3)
          *out++ = src[i3 * p->in_stride[3]];
      }
}
