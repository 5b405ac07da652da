/* rnnpoolc runtime, float build, host builds only: the convolution path that LLVM's loop
 * vectoriser turns into SIMD code (see rp_host_conv.h for the int8 twin). rp_f32_conv.c
 * includes this file when RP_HOST_SIMD is defined, which only the LLVM backend's host
 * bitcode does.
 *
 * groups == 1 (pointwise, and any window through a gather): the receptive fields of
 * RP_F32_HOST_PIX output pixels are gathered once (0 outside the tensor), then every two
 * output channels run eight sums over the field, vectorised along it. Vectorising a float
 * sum reorders its additions and lets them fuse with the multiplies, which clang allows
 * here only (`#pragma clang fp`, under clang): the results differ from the portable loop's
 * by rounding, within the float build's tolerance of the float interpreter. Depthwise
 * layers keep the portable loop, which the vectoriser takes along the channels as it is.
 * The buffers are on the stack (about 70 KB): a host thread's stack, never a board's. */
#ifndef RNNPOOLC_RP_F32_HOST_CONV_H
#define RNNPOOLC_RP_F32_HOST_CONV_H

#define RP_F32_HOST_PIX 4      /* output pixels per pass */
#define RP_F32_HOST_MAX_N 4096 /* receptive field values per pixel (on the stack) */
#define RP_F32_HOST_CHUNK 16384 /* weight values of the channels run over a region at a time */

/* Output pixel (oy, ox)'s receptive field in weight order (OHWI's HWI) into col; taps
 * outside the tensor are 0, as a skipped tap. */
static void rp_f32_host_gather(const rp_conv_f32_params *p, const rp_view_f32 *in, int32_t oy,
                               int32_t ox, float *col) {
  const int32_t cin = p->in_c;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  int32_t ky, kx, i;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dil_h;
    for (kx = 0; kx < p->k_w; ++kx, col += cin) {
      const int32_t ix = ix0 + kx * p->dil_w;
      const float *x;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
        for (i = 0; i < cin; ++i)
          col[i] = 0.0f;
        continue;
      }
      x = rp_view_pixel_f32(in, iy, ix, cin);
      for (i = 0; i < cin; ++i)
        col[i] = x[i];
    }
  }
}

/* a[2 j + k] = sum_i c_j[i] * w_k[i] for four gathered pixels and two weight rows. */
static inline void rp_f32_host_dot_4x2(const float *restrict c0, const float *restrict c1,
                                       const float *restrict c2, const float *restrict c3,
                                       const float *restrict w0, const float *restrict w1,
                                       int32_t n, float *restrict a) {
#if defined(__clang__)
#pragma clang fp reassociate(on) contract(fast)
#endif
  float s[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  int32_t i;
  for (i = 0; i < n; ++i) {
    const float u = w0[i], v = w1[i];
    s[0] += c0[i] * u;
    s[1] += c0[i] * v;
    s[2] += c1[i] * u;
    s[3] += c1[i] * v;
    s[4] += c2[i] * u;
    s[5] += c2[i] * v;
    s[6] += c3[i] * u;
    s[7] += c3[i] * v;
  }
  for (i = 0; i < 8; ++i)
    a[i] = s[i];
}

/* groups == 1 and a receptive field of at most RP_F32_HOST_MAX_N values (the caller's
 * condition): the output channels in chunks of at most RP_F32_HOST_CHUNK weight values, so
 * that a chunk's weights stay in cache while the region's rows run RP_F32_HOST_PIX pixels
 * at a time (the last pass of a row repeats its last pixel), two channels per dot. */
static void rp_f32_host_conv(const rp_conv_f32_params *p, const rp_view_f32 *in,
                             rp_view_f32 *out, const rp_region_f32 *region) {
  float col[RP_F32_HOST_PIX][RP_F32_HOST_MAX_N];
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c;
  const int32_t per = n > RP_F32_HOST_CHUNK / 2 ? 2 : (RP_F32_HOST_CHUNK / n) & ~1;
  const float *const weights = p->weights, *const bias = p->bias;
  int32_t oy, ox, o, o0, j;
  if (n > RP_F32_HOST_MAX_N) /* the caller's condition */
    return;
  for (o0 = 0; o0 < cout; o0 += per) {
    const int32_t o1 = rp_f32_imin(cout, o0 + per);
    for (oy = region->row0; oy < region->row1; ++oy)
      for (ox = region->col0; ox < region->col1; ox += RP_F32_HOST_PIX) {
        const int32_t np = rp_f32_imin(RP_F32_HOST_PIX, region->col1 - ox);
        const float *c[RP_F32_HOST_PIX];
        float *d[RP_F32_HOST_PIX];
        for (j = 0; j < RP_F32_HOST_PIX; ++j) {
          if (j < np)
            rp_f32_host_gather(p, in, oy, ox + j, col[j]);
          c[j] = col[j < np ? j : np - 1];
          d[j] = rp_view_pixel_f32(out, oy, ox + (j < np ? j : np - 1), cout);
        }
        for (o = o0; o < o1; o += 2) {
          const int32_t q = o + 1 < o1 ? o + 1 : o;
          float a[2 * RP_F32_HOST_PIX];
          rp_f32_host_dot_4x2(c[0], c[1], c[2], c[3], weights + o * n, weights + q * n, n, a);
          for (j = 0; j < np; ++j) {
            d[j][o] = rp_act_inline_f32(&p->act, bias[o] + a[2 * j]);
            d[j][q] = rp_act_inline_f32(&p->act, bias[q] + a[2 * j + 1]);
          }
        }
      }
  }
}

/* groups == 1 with a receptive field of at most RP_F32_HOST_T_MAX_N values (the caller's
 * condition): the outer-product form. The weights of 16 output channels are transposed once
 * per call (value i of channel k at wt[16 i + k]); then the region's pixels, row after row,
 * go 8 at a time, keeping 8 x 16 sums in registers: per field value, one load of the 16
 * channels' weights and eight multiply-adds by a value broadcast from each pixel's field
 * (the input pixel itself for a 1x1 layer, else its field gathered). Each sum is one lane,
 * from the bias in field order as the portable loop adds (only the multiply-adds fuse),
 * and a pixel's 16 sums go out together through its activation. */
#define RP_F32_HOST_T_MAX_N 1024 /* 64 KB of transposed weights on the stack */
typedef float rp_v16f __attribute__((vector_size(64)));

/* Whether a layer of n field values takes the outer-product form over `region` rather than
 * the dot products: measured on MobileNetV2's 1x1 layers (AVX-512), the outer form runs
 * 1.3 to 3x faster with fields of fewer than 64 values or over 32 pixels and more, the
 * dot products up to 3x faster over fewer pixels (the weights' transposition is then paid
 * for few outputs) with long fields (no horizontal sums to amortise). */
static inline int32_t rp_f32_host_outer(int32_t n, const rp_region_f32 *region) {
  const int32_t pixels = (region->row1 - region->row0) * (region->col1 - region->col0);
  return n <= RP_F32_HOST_T_MAX_N && pixels > 0 && (n < 64 || pixels >= 32);
}

/* Eight pixels' fields x[j] (n values each) against the transposed weights wt, from the
 * biases: channel k of pixel j in acc[j][k]. */
static inline void rp_f32_host_mk8x16(const float *const x[8], const float *wt,
                                      const float bias[16], int32_t n, float acc[8][16]) {
#if defined(__clang__)
#pragma clang fp contract(fast)
#endif
  rp_v16f b, a0, a1, a2, a3, a4, a5, a6, a7;
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3], *x4 = x[4], *x5 = x[5],
              *x6 = x[6], *x7 = x[7];
  int32_t i;
  memcpy(&b, bias, sizeof b);
  a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
  for (i = 0; i < n; ++i, wt += 16) {
    rp_v16f w;
    memcpy(&w, wt, sizeof w);
    a0 += x0[i] * w, a1 += x1[i] * w, a2 += x2[i] * w, a3 += x3[i] * w;
    a4 += x4[i] * w, a5 += x5[i] * w, a6 += x6[i] * w, a7 += x7[i] * w;
  }
  memcpy(acc[0], &a0, sizeof a0), memcpy(acc[1], &a1, sizeof a1);
  memcpy(acc[2], &a2, sizeof a2), memcpy(acc[3], &a3, sizeof a3);
  memcpy(acc[4], &a4, sizeof a4), memcpy(acc[5], &a5, sizeof a5);
  memcpy(acc[6], &a6, sizeof a6), memcpy(acc[7], &a7, sizeof a7);
}

static void rp_f32_host_conv_t(const rp_conv_f32_params *p, const rp_view_f32 *in,
                               rp_view_f32 *out, const rp_region_f32 *region) {
  float wt[16 * RP_F32_HOST_T_MAX_N], col[8][RP_F32_HOST_T_MAX_N];
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c;
  const int32_t cols = region->col1 - region->col0;
  const int32_t total = (region->row1 - region->row0) * cols;
  /* A 1x1 layer without padding reads its input pixels where they are. */
  const int32_t direct = p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0;
  int32_t base, i, j, k, o;
  if (n > RP_F32_HOST_T_MAX_N || cols <= 0) /* the caller's condition */
    return;
  for (o = 0; o < cout; o += 16) {
    const int32_t nk = rp_f32_imin(16, cout - o);
    float bias[16];
    for (k = 0; k < 16; ++k) { /* channels past the last repeat it */
      const int32_t q = o + (k < nk ? k : nk - 1);
      const float *w = p->weights + q * n;
      for (i = 0; i < n; ++i)
        wt[16 * i + k] = w[i];
      bias[k] = p->bias[q];
    }
    for (base = 0; base < total; base += 8) {
      const int32_t np = rp_f32_imin(8, total - base);
      const float *x[8];
      float *d[8], acc[8][16];
      for (j = 0; j < 8; ++j) { /* the last pass repeats its last pixel */
        const int32_t q = base + (j < np ? j : np - 1);
        const int32_t oy = region->row0 + q / cols, ox = region->col0 + q % cols;
        if (direct) {
          x[j] = rp_view_pixel_f32(in, oy * p->stride_h, ox * p->stride_w, p->in_c);
        } else {
          if (j < np)
            rp_f32_host_gather(p, in, oy, ox, col[j]);
          x[j] = col[j < np ? j : np - 1];
        }
        d[j] = rp_view_pixel_f32(out, oy, ox, cout) + o;
      }
      rp_f32_host_mk8x16(x, wt, bias, n, acc);
      for (j = 0; j < np; ++j)
        rp_act_run_f32(&p->act, acc[j], d[j], nk);
    }
  }
}

#endif /* RNNPOOLC_RP_F32_HOST_CONV_H */
