/* rnnpoolc runtime: fully connected layers and pooling (max, average, global average). */
#include "rp_internal.h"

#if RP_USE_DSP
/* The outputs of one input row from its int16 column, four outputs per pass over it;
 * `fast` (a constant at the call sites) says that every shift is in rp_out_s8's common case. */
RP_INLINE void rp_fc_row(const rp_fc_params *p, const int16_t *col, int8_t *y, int32_t fast) {
  const int32_t n = p->in_features, zp = p->out_zp, zp1 = 2 * zp + 1;
  const int32_t lo = p->act_min, hi = p->act_max;
  const int32_t *const bias = p->bias, *const mult = p->mult, *const shift = p->shift;
  int32_t o, r;
  for (o = 0; o + 4 <= p->out_features; o += 4) { /* four outputs share each column load */
    int32_t acc[4];
    for (r = 0; r < 4; ++r)
      acc[r] = bias[o + r];
    rp_dot_col_s8_x4(col, p->weights + o * n, n, acc);
    for (r = 0; r < 4; ++r)
      y[o + r] = rp_out_s8(acc[r], mult[o + r], shift[o + r], zp, zp1, lo, hi, 0, fast);
  }
  for (; o < p->out_features; ++o) {
    int32_t acc = rp_dot_col_s8(col, p->weights + o * n, n, bias[o]);
    y[o] = rp_out_s8(acc, mult[o], shift[o], zp, zp1, lo, hi, 0, fast);
  }
}
#endif

RP_API void rp_fc_s8(const rp_fc_params *p, const int8_t *in, int8_t *out) {
  int32_t m, o;
#if RP_USE_DSP
  if (p->in_features <= RP_COL_MAX) { /* the input row once as an int16 column */
    const int32_t n = p->in_features, n4 = n & ~3;
    const int32_t fast = rp_common_shifts(p->shift, p->out_features);
    const uint32_t off = rp_pack_offset(-p->in_zp);
    int16_t col[RP_COL_MAX];
    int32_t i;
    for (m = 0; m < p->rows; ++m) {
      const int8_t *x = in + m * n;
      int8_t *y = out + m * p->out_features;
      for (i = 0; i < n4; i += 4) { /* four values per load, already in lane order */
        const uint32_t xv = rp_load32(x + i);
        const uint32_t e02 = rp_sxtab16(off, xv), e13 = rp_sxtab16(off, rp_ror8(xv));
        memcpy(col + i, &e02, sizeof e02);
        memcpy(col + i + 2, &e13, sizeof e13);
      }
      for (; i < n; ++i)
        col[i] = (int16_t)((int32_t)x[i] - p->in_zp);
      if (fast)
        rp_fc_row(p, col, y, /*fast=*/1);
      else
        rp_fc_row(p, col, y, /*fast=*/0);
    }
    return;
  }
#endif
  for (m = 0; m < p->rows; ++m) {
    const int8_t *x = in + m * p->in_features;
    int8_t *y = out + m * p->out_features;
    for (o = 0; o < p->out_features; ++o) {
      int32_t acc = rp_dot_s8(x, p->weights + o * p->in_features, p->in_features, -p->in_zp,
                              p->bias[o]);
      int32_t v = rp_requant_inline(acc, p->mult[o], p->shift[o]) + p->out_zp;
      y[o] = (int8_t)rp_clamp(v, p->act_min, p->act_max);
    }
  }
}

/* The pooling window of output (oy, ox) clipped to the tensor: rows [y0, y1), cols [x0, x1). */
typedef struct {
  int32_t y0, y1, x0, x1, padded; /* padded: window size counting padding, not past the pad */
} rp_window;

static inline rp_window rp_pool_window(const rp_pool_params *p, int32_t oy, int32_t ox) {
  rp_window w;
  int32_t ys = oy * p->stride_h - p->pad_top, xs = ox * p->stride_w - p->pad_left;
  /* count_include_pad counts the window inside the padded tensor (ONNX), not ceil overhang. */
  int32_t ph = rp_min(ys + p->k_h, p->in_h + p->pad_bottom) - ys;
  int32_t pw = rp_min(xs + p->k_w, p->in_w + p->pad_right) - xs;
  w.y0 = rp_max(ys, 0);
  w.y1 = rp_min(ys + p->k_h, p->in_h);
  w.x0 = rp_max(xs, 0);
  w.x1 = rp_min(xs + p->k_w, p->in_w);
  w.padded = ph * pw;
  return w;
}

RP_API void rp_maxpool_s8(const rp_pool_params *p, const rp_view *in, rp_view *out,
                          const rp_region *region) {
  int32_t oy, ox, y, x, c;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      rp_window w = rp_pool_window(p, oy, ox);
      int8_t *dst = rp_view_pixel(out, oy, ox, p->channels);
      for (c = 0; c < p->channels; ++c)
        dst[c] = -128;
      for (y = w.y0; y < w.y1; ++y)
        for (x = w.x0; x < w.x1; ++x) {
          const int8_t *src = rp_view_pixel(in, y, x, p->channels);
          for (c = 0; c < p->channels; ++c)
            if (src[c] > dst[c])
              dst[c] = src[c];
        }
    }
}

RP_API void rp_avgpool_s8(const rp_pool_params *p, const rp_view *in, rp_view *out,
                          const rp_region *region) {
  int32_t oy, ox, y, x, c;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      rp_window w = rp_pool_window(p, oy, ox);
      int32_t inside = (w.y1 - w.y0) * (w.x1 - w.x0);
      int32_t count = p->count_include_pad ? w.padded : inside;
      int8_t *dst = rp_view_pixel(out, oy, ox, p->channels);
      if (count <= 0) { /* nothing to average (and no division by zero) */
        memset(dst, (int8_t)rp_clamp(p->zp, -128, 127), (size_t)p->channels);
        continue;
      }
      for (c = 0; c < p->channels; ++c) {
        /* Sum of (q - zp): padding contributes zero, as the real value 0 it stands for. */
        int32_t sum = 0, q;
        for (y = w.y0; y < w.y1; ++y)
          for (x = w.x0; x < w.x1; ++x)
            sum += (int32_t)rp_view_pixel(in, y, x, p->channels)[c] - p->zp;
        q = sum >= 0 ? (sum + count / 2) / count : -((-sum + count / 2) / count);
        dst[c] = (int8_t)rp_clamp(q + p->zp, -128, 127);
      }
    }
}

RP_API void rp_global_avgpool_s8(const rp_global_avgpool_params *p, const int8_t *in,
                                 int8_t *out) {
  const int32_t n = p->in_h * p->in_w;
  int32_t c, i;
  for (c = 0; c < p->channels; ++c) {
    int32_t sum = 0, v;
    for (i = 0; i < n; ++i)
      sum += (int32_t)in[i * p->channels + c] - p->in_zp;
    v = rp_requant_inline(sum, p->mult, p->shift) + p->out_zp;
    out[c] = (int8_t)rp_clamp(v, -128, 127);
  }
}
