/* rnnpoolc runtime: int8 convolution over HWC views (general, depthwise, pointwise).
 * Padding is the input zero point, whose contribution (zp - zp) * w is zero, so taps that
 * fall outside the tensor are skipped. */
#include "rp_internal.h"

/* Requantises one accumulator of output channel o to int8 with the fused clamp. */
static inline int8_t rp_conv_output(const rp_conv_params *p, int32_t acc, int32_t o) {
  int32_t v = rp_requant_inline(acc, p->mult[o], p->shift[o]) + p->out_zp;
  return (int8_t)rp_clamp(v, p->act_min, p->act_max);
}

#if RP_USE_DSP
/* groups == 1 with the receptive field in one column: each output pixel's window is
 * gathered once as int16 (x - zp), then every four output channels are a run of SMLADs. */
static void rp_conv_columns_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                               const rp_region *region) {
  /* The tail loop starts at `quads`, not where the first loop stopped: with a single conv
   * call in a model, GCC propagates the params into this function and, for out_c % 4 == 0,
   * warned "iteration N invokes undefined behavior" about the empty tail loop (an error
   * under -Werror in generated code). */
  const int32_t cin = p->in_c, n = p->k_h * p->k_w * cin, quads = p->out_c & ~3;
  int16_t col[RP_COL_MAX];
  int32_t oy, ox, o, ky, kx, i;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      int8_t *dst = rp_view_pixel(out, oy, ox, p->out_c);
      int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left, k = 0;
      for (ky = 0; ky < p->k_h; ++ky)
        for (kx = 0; kx < p->k_w; ++kx, k += cin) {
          int32_t iy = iy0 + ky * p->dil_h, ix = ix0 + kx * p->dil_w;
          if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
            memset(col + k, 0, (size_t)cin * sizeof *col);
          } else {
            const int8_t *x = rp_view_pixel(in, iy, ix, cin);
            for (i = 0; i < cin; ++i)
              col[k + i] = (int16_t)((int32_t)x[i] - p->in_zp);
          }
        }
      rp_col_permute(col, n);
      for (o = 0; o < quads; o += 4) {
        int32_t acc[4];
        for (i = 0; i < 4; ++i)
          acc[i] = p->bias[o + i];
        rp_dot_col_s8_x4(col, p->weights + o * n, n, acc);
        for (i = 0; i < 4; ++i)
          dst[o + i] = rp_conv_output(p, acc[i], o + i);
      }
      for (o = quads; o < p->out_c; ++o)
        dst[o] = rp_conv_output(p, rp_dot_col_s8(col, p->weights + o * n, n, p->bias[o]), o);
    }
}
#endif

RP_API void rp_conv_general_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                               const rp_region *region) {
  const int32_t cin = p->in_c / p->groups, cout = p->out_c / p->groups;
  const int32_t taps = p->k_h * p->k_w * cin;
  int32_t oy, ox, o, ky, kx;
#if RP_USE_DSP
  if (p->groups == 1 && taps <= RP_COL_MAX) {
    rp_conv_columns_s8(p, in, out, region);
    return;
  }
#endif
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      int8_t *dst = rp_view_pixel(out, oy, ox, p->out_c);
      int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
      for (o = 0; o < p->out_c; ++o) {
        const int8_t *w = p->weights + o * taps;
        int32_t g0 = (o / cout) * cin, acc = p->bias[o];
        for (ky = 0; ky < p->k_h; ++ky) {
          int32_t iy = iy0 + ky * p->dil_h;
          if (iy < 0 || iy >= p->in_h)
            continue;
          for (kx = 0; kx < p->k_w; ++kx) {
            int32_t ix = ix0 + kx * p->dil_w;
            if (ix < 0 || ix >= p->in_w)
              continue;
            acc = rp_dot_s8(rp_view_pixel(in, iy, ix, p->in_c) + g0,
                            w + (ky * p->k_w + kx) * cin, cin, -p->in_zp, acc);
          }
        }
        dst[o] = rp_conv_output(p, acc, o);
      }
    }
}

/* Channels of a depthwise output pixel accumulated together (int32 on the stack). */
#define RP_DW_CHUNK 64

RP_API void rp_conv_depthwise_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                 const rp_region *region) {
  const int32_t c = p->in_c;
  int32_t acc[RP_DW_CHUNK];
  int32_t oy, ox, c0, ch, ky, kx;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      int8_t *dst = rp_view_pixel(out, oy, ox, c);
      int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
      for (c0 = 0; c0 < c; c0 += RP_DW_CHUNK) {
        const int32_t n = rp_min(RP_DW_CHUNK, c - c0);
        for (ch = 0; ch < n; ++ch)
          acc[ch] = p->bias[c0 + ch];
        for (ky = 0; ky < p->k_h; ++ky) {
          int32_t iy = iy0 + ky * p->dil_h;
          if (iy < 0 || iy >= p->in_h)
            continue;
          for (kx = 0; kx < p->k_w; ++kx) {
            int32_t ix = ix0 + kx * p->dil_w;
            const int8_t *x, *w;
            if (ix < 0 || ix >= p->in_w)
              continue;
            x = rp_view_pixel(in, iy, ix, c) + c0;
            w = p->weights + (ky * p->k_w + kx) * c + c0;
            for (ch = 0; ch < n; ++ch)
              acc[ch] += ((int32_t)x[ch] - p->in_zp) * (int32_t)w[ch];
          }
        }
        for (ch = 0; ch < n; ++ch)
          dst[c0 + ch] = rp_conv_output(p, acc[ch], c0 + ch);
      }
    }
}

RP_API void rp_conv_pointwise_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                 const rp_region *region) {
  int32_t oy, ox, o;
#if RP_USE_DSP
  if (p->in_c <= RP_COL_MAX) {
    rp_conv_columns_s8(p, in, out, region);
    return;
  }
#endif
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      const int8_t *x = rp_view_pixel(in, oy, ox, p->in_c);
      int8_t *dst = rp_view_pixel(out, oy, ox, p->out_c);
      for (o = 0; o < p->out_c; ++o) {
        int32_t acc = rp_dot_s8(x, p->weights + o * p->in_c, p->in_c, -p->in_zp, p->bias[o]);
        dst[o] = rp_conv_output(p, acc, o);
      }
    }
}

RP_API void rp_conv_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                       const rp_region *region) {
  if (p->groups == 1 && p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
      p->pad_top == 0 && p->pad_left == 0 && p->in_h == p->out_h && p->in_w == p->out_w)
    rp_conv_pointwise_s8(p, in, out, region);
  else if (p->groups > 1 && p->groups == p->in_c && p->groups == p->out_c)
    rp_conv_depthwise_s8(p, in, out, region);
  else
    rp_conv_general_s8(p, in, out, region);
}
