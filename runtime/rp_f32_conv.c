/* rnnpoolc runtime, float build: convolution (general, depthwise, pointwise) and max /
 * average pooling over HWC views. Taps outside the tensor are padding (0) and are skipped. */
#include "rp_f32_internal.h"

/* sum_{i<n} x[i] * w[i] added to acc. */
static inline float rp_dot_f32(const float *x, const float *w, int32_t n, float acc) {
  int32_t i;
  for (i = 0; i < n; ++i)
    acc += x[i] * w[i];
  return acc;
}

/* Channels of a depthwise output pixel accumulated together (on the stack). */
#define RP_F32_DW_CHUNK 64

/* Channels c0 .. c0 + n - 1 of output pixel (oy, ox): acc in registers when n is a
 * constant (the full chunks), so each tap is one multiply-add per vector of channels. */
static inline void rp_dw_chunk_f32(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                   int32_t oy, int32_t ox, int32_t c0, int32_t n, float *dst) {
  const int32_t c = p->in_c;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  float acc[RP_F32_DW_CHUNK];
  int32_t ch, ky, kx;
  for (ch = 0; ch < n; ++ch)
    acc[ch] = p->bias[c0 + ch];
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dil_h;
    if (iy < 0 || iy >= p->in_h)
      continue;
    for (kx = 0; kx < p->k_w; ++kx) {
      const int32_t ix = ix0 + kx * p->dil_w;
      const float *x, *w;
      if (ix < 0 || ix >= p->in_w)
        continue;
      x = rp_view_pixel_f32(in, iy, ix, c) + c0;
      w = p->weights + (ky * p->k_w + kx) * c + c0;
      for (ch = 0; ch < n; ++ch)
        acc[ch] += x[ch] * w[ch];
    }
  }
  rp_act_run_f32(&p->act, acc, dst + c0, n);
}

#if defined(RP_HOST_SIMD)
#include "rp_f32_host_conv.h"
#endif

RP_F32_API float rp_act_apply_f32(const rp_act_f32 *act, float x) {
  return rp_act_inline_f32(act, x);
}

RP_F32_API void rp_conv_general_f32(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                    rp_view_f32 *out, const rp_region_f32 *region) {
  const int32_t cin = p->in_c / p->groups, cout = p->out_c / p->groups;
  const int32_t taps = p->k_h * p->k_w * cin;
  int32_t oy, ox, o, ky, kx;
#if defined(RP_HOST_SIMD)
  if (rp_host_packs(p->groups, p->k_h, p->k_w, p->in_c)) {
    rp_f32_host_conv_t(p, in, out, region);
    return;
  }
  if (p->groups == 1 && taps <= RP_F32_HOST_MAX_N) {
    rp_f32_host_conv(p, in, out, region);
    return;
  }
#endif
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      float *dst = rp_view_pixel_f32(out, oy, ox, p->out_c);
      int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
      for (o = 0; o < p->out_c; ++o) {
        const float *w = p->weights + o * taps;
        int32_t g0 = (o / cout) * cin;
        float acc = p->bias[o];
        for (ky = 0; ky < p->k_h; ++ky) {
          int32_t iy = iy0 + ky * p->dil_h;
          if (iy < 0 || iy >= p->in_h)
            continue;
          for (kx = 0; kx < p->k_w; ++kx) {
            int32_t ix = ix0 + kx * p->dil_w;
            if (ix < 0 || ix >= p->in_w)
              continue;
            acc = rp_dot_f32(rp_view_pixel_f32(in, iy, ix, p->in_c) + g0,
                             w + (ky * p->k_w + kx) * cin, cin, acc);
          }
        }
        dst[o] = rp_act_inline_f32(&p->act, acc);
      }
    }
}

RP_F32_API void rp_conv_depthwise_f32(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                      rp_view_f32 *out, const rp_region_f32 *region) {
  const int32_t c = p->in_c;
  int32_t oy, ox, c0;
#if defined(RP_HOST_SIMD)
  if (rp_f32_host_depthwise(p, in, out, region))
    return;
#endif
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      float *dst = rp_view_pixel_f32(out, oy, ox, c);
      for (c0 = 0; c0 + RP_F32_DW_CHUNK <= c; c0 += RP_F32_DW_CHUNK)
        rp_dw_chunk_f32(p, in, oy, ox, c0, RP_F32_DW_CHUNK, dst);
      if (c0 < c)
        rp_dw_chunk_f32(p, in, oy, ox, c0, c - c0, dst);
    }
}

RP_F32_API void rp_conv_pointwise_f32(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                      rp_view_f32 *out, const rp_region_f32 *region) {
  int32_t oy, ox, o;
#if defined(RP_HOST_SIMD)
  if (rp_host_packs(1, 1, 1, p->in_c)) {
    rp_f32_host_conv_t(p, in, out, region);
    return;
  }
  if (p->in_c <= RP_F32_HOST_MAX_N) {
    rp_f32_host_conv(p, in, out, region);
    return;
  }
#endif
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      const float *x = rp_view_pixel_f32(in, oy, ox, p->in_c);
      float *dst = rp_view_pixel_f32(out, oy, ox, p->out_c);
      for (o = 0; o < p->out_c; ++o)
        dst[o] = rp_act_inline_f32(
            &p->act, rp_dot_f32(x, p->weights + o * p->in_c, p->in_c, p->bias[o]));
    }
}

RP_F32_API void rp_conv_f32(const rp_conv_f32_params *p, const rp_view_f32 *in,
                            rp_view_f32 *out, const rp_region_f32 *region) {
  if (p->groups == 1 && p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
      p->pad_top == 0 && p->pad_left == 0 && p->in_h == p->out_h && p->in_w == p->out_w)
    rp_conv_pointwise_f32(p, in, out, region);
  else if (p->groups > 1 && p->groups == p->in_c && p->groups == p->out_c)
    rp_conv_depthwise_f32(p, in, out, region);
  else
    rp_conv_general_f32(p, in, out, region);
}

/* The pooling window of output (oy, ox) clipped to the tensor, and its padded size. */
typedef struct {
  int32_t y0, y1, x0, x1, padded;
} rp_window_f32;

static inline rp_window_f32 rp_pool_window_f32(const rp_pool_f32_params *p, int32_t oy,
                                               int32_t ox) {
  rp_window_f32 w;
  int32_t ys = oy * p->stride_h - p->pad_top, xs = ox * p->stride_w - p->pad_left;
  int32_t ph = rp_f32_imin(ys + p->k_h, p->in_h + p->pad_bottom) - ys;
  int32_t pw = rp_f32_imin(xs + p->k_w, p->in_w + p->pad_right) - xs;
  w.y0 = rp_f32_imax(ys, 0);
  w.y1 = rp_f32_imin(ys + p->k_h, p->in_h);
  w.x0 = rp_f32_imax(xs, 0);
  w.x1 = rp_f32_imin(xs + p->k_w, p->in_w);
  w.padded = ph * pw;
  return w;
}

RP_F32_API void rp_maxpool_f32(const rp_pool_f32_params *p, const rp_view_f32 *in,
                               rp_view_f32 *out, const rp_region_f32 *region) {
  int32_t oy, ox, y, x, c;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      rp_window_f32 w = rp_pool_window_f32(p, oy, ox);
      float *dst = rp_view_pixel_f32(out, oy, ox, p->channels);
      for (c = 0; c < p->channels; ++c)
        dst[c] = -INFINITY;
      for (y = w.y0; y < w.y1; ++y)
        for (x = w.x0; x < w.x1; ++x) {
          const float *src = rp_view_pixel_f32(in, y, x, p->channels);
          for (c = 0; c < p->channels; ++c)
            if (src[c] > dst[c] || src[c] != src[c])
              dst[c] = src[c];
        }
    }
}

RP_F32_API void rp_avgpool_f32(const rp_pool_f32_params *p, const rp_view_f32 *in,
                               rp_view_f32 *out, const rp_region_f32 *region) {
  int32_t oy, ox, y, x, c;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      rp_window_f32 w = rp_pool_window_f32(p, oy, ox);
      int32_t count = p->count_include_pad ? w.padded : (w.y1 - w.y0) * (w.x1 - w.x0);
      float *dst = rp_view_pixel_f32(out, oy, ox, p->channels);
      for (c = 0; c < p->channels; ++c)
        dst[c] = 0.0f;
      for (y = w.y0; y < w.y1; ++y)
        for (x = w.x0; x < w.x1; ++x) {
          const float *src = rp_view_pixel_f32(in, y, x, p->channels);
          for (c = 0; c < p->channels; ++c)
            dst[c] += src[c];
        }
      for (c = 0; c < p->channels; ++c)
        dst[c] /= (float)count;
    }
}
