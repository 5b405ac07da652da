/* rnnpoolc runtime, float build: data movement for float32 tensors: padding in the
 * constant, edge and reflect modes (views and regions), channel slices with any step,
 * channel shuffles and permuted copies (Transpose). The index rules are those of rp_shape.c. */
#include "rp_f32_internal.h"

/* The input index output index i (shifted by the padding before) reads, or -1 for the
 * constant: as rp_pad_source (rp_shape.c), which this build does not include. */
static int32_t rp_pad_source_f32(int32_t i, int32_t n, int32_t mode) {
  int32_t period, m;
  if (i >= 0 && i < n)
    return i;
  if (mode == 0 || n <= 0)
    return -1;
  if (mode == 1)
    return i < 0 ? 0 : n - 1;
  if (n == 1)
    return 0;
  period = 2 * (n - 1);
  m = i % period;
  if (m < 0)
    m += period;
  return m < n ? m : period - m;
}

/* Pixel (y, x)'s address as an integer (as rp_view_address in rp_internal.h). */
static uintptr_t rp_view_address_f32(const rp_view_f32 *v, int32_t y, int32_t x, int32_t c) {
  const int32_t row = v->ring_rows ? y % v->ring_rows : y - v->row0;
  return (uintptr_t)v->data +
         (uintptr_t)(intptr_t)((row * v->cols + (x - v->col0)) * c) * sizeof(float);
}

RP_F32_API void rp_pad_f32(const rp_pad_f32_params *p, const rp_view_f32 *in, rp_view_f32 *out,
                           const rp_region_f32 *region) {
  /* In an order that lets the output lie over its input in the constant and edge modes, as
   * rp_pad_mode_s8: first pixel first when the first pixel's source (clamped into the input)
   * lies after it in memory, else last pixel first. */
  const int32_t c_n = p->channels, rows = region->row1 - region->row0,
                cols = region->col1 - region->col0;
  const int forward =
      in->data && out->data &&
      rp_view_address_f32(out, region->row0, region->col0, c_n) <
          rp_view_address_f32(in, rp_pad_source_f32(region->row0 - p->pad_top, p->in_h, 1),
                              rp_pad_source_f32(region->col0 - p->pad_left, p->in_w, 1), c_n);
  int32_t k, j, c;
  for (k = 0; k < rows; ++k) {
    const int32_t oy = forward ? region->row0 + k : region->row1 - 1 - k;
    const int32_t iy = rp_pad_source_f32(oy - p->pad_top, p->in_h, p->mode);
    for (j = 0; j < cols; ++j) {
      const int32_t ox = forward ? region->col0 + j : region->col1 - 1 - j;
      const int32_t ix = rp_pad_source_f32(ox - p->pad_left, p->in_w, p->mode);
      float *dst = rp_view_pixel_f32(out, oy, ox, c_n);
      if (iy >= 0 && ix >= 0) {
        memmove(dst, rp_view_pixel_f32(in, iy, ix, c_n), (size_t)c_n * sizeof(float));
      } else {
        for (c = 0; c < c_n; ++c)
          dst[c] = p->value;
      }
    }
  }
}

RP_F32_API void rp_channel_step_f32(const rp_channel_step_f32_params *p, const float *in,
                                    float *out, int32_t pixels) {
  int32_t px, c;
  for (px = 0; px < pixels; ++px) {
    const float *src = in + px * p->in_channels + p->first;
    for (c = 0; c < p->channels; ++c)
      *out++ = src[c * p->step];
  }
}

RP_F32_API void rp_channel_shuffle_f32(const rp_channel_shuffle_f32_params *p, const float *in,
                                       float *out) {
  const int32_t per_group = p->channels / p->groups;
  int32_t px, i, j;
  for (px = 0; px < p->pixels; ++px) {
    const float *src = in + px * p->channels;
    for (i = 0; i < per_group; ++i)
      for (j = 0; j < p->groups; ++j)
        *out++ = src[j * per_group + i];
  }
}

RP_F32_API void rp_permute_f32(const rp_permute_f32_params *p, const float *in, float *out) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2) {
        const float *src =
            in + i0 * p->in_stride[0] + i1 * p->in_stride[1] + i2 * p->in_stride[2];
        for (i3 = 0; i3 < p->dims[3]; ++i3)
          *out++ = src[i3 * p->in_stride[3]];
      }
}
