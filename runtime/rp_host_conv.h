/* rnnpoolc runtime, host builds only: int8 convolution paths that LLVM's loop vectoriser
 * turns into SIMD code. rp_conv.c includes this file when RP_HOST_SIMD is defined, which
 * only the LLVM backend's host bitcode does (targets/llvm/CMakeLists.txt); the Cortex-M4
 * bitcode, the C backend's code and the interpreter keep the portable and DSP paths.
 *
 * Every path computes the portable path's exact integer sums (the quantiser bounds every
 * accumulator below 2^31, whatever the order of the additions) and requantises them as
 * rp_conv_output does, so the bytes are the same (tests/unit/llvm/HostKernelsTest.cpp).
 *
 * The shapes the vectoriser needs:
 * - groups == 1 (pointwise, and any window through a gather): the receptive fields of
 *   RP_HOST_PIX output pixels are gathered once as int16 (x - in_zp, 0 outside the tensor),
 *   then every RP_HOST_OCH output channels (weights widened to int16 once per call, a chunk
 *   of channels at a time) run RP_HOST_PIX x RP_HOST_OCH int32 sums over the field, two
 *   values per step (x[i] w[i] + x[i+1] w[i+1]: on x86 one PMADDWD per
 *   eight pairs), whose vector accumulators stay in registers;
 * - depthwise: each output pixel's channels accumulate in an int32 row, one tap at a time,
 *   vectorised along the channels;
 * - requantisation of a pixel's channels as one loop (rp_out_s8's branch-free form, a
 *   64-bit multiply and per-channel shifts) when every shift allows it.
 * The buffers are on the stack (about 130 KB): a host thread's stack, never a board's. */
#ifndef RNNPOOLC_RP_HOST_CONV_H
#define RNNPOOLC_RP_HOST_CONV_H

#define RP_HOST_PIX 4     /* output pixels per pass */
#define RP_HOST_OCH 2     /* output channels per pass */
#define RP_HOST_MAX_N 4096 /* receptive field values per pixel (int16 on the stack) */
#define RP_HOST_MAX_C 2048 /* output channels of a pixel (int32 sums on the stack) */
#define RP_HOST_WBUF 32768 /* weights widened to int16 at a time (64 KB on the stack) */
#define RP_HOST_DW_CHUNK 64 /* depthwise channels summed in registers together */

/* Output pixel (oy, ox)'s receptive field in weight order (OHWI's HWI) as int16 x - in_zp
 * into col; taps outside the tensor are 0, as (zp - zp) * w of a skipped tap. */
static void rp_host_gather_s8(const rp_conv_params *p, const rp_view *in, int32_t oy,
                              int32_t ox, int16_t *col) {
  const int32_t cin = p->in_c, zp = p->in_zp;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  int32_t ky, kx, i;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dil_h;
    for (kx = 0; kx < p->k_w; ++kx, col += cin) {
      const int32_t ix = ix0 + kx * p->dil_w;
      const int8_t *x;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
        for (i = 0; i < cin; ++i)
          col[i] = 0;
        continue;
      }
      x = rp_view_pixel(in, iy, ix, cin);
      for (i = 0; i < cin; ++i)
        col[i] = (int16_t)((int32_t)x[i] - zp);
    }
  }
}

/* The n-value dot products of four gathered pixels (c0 .. c3) with two weight rows (w0,
 * w1, widened to int16): a[2 j + k] = sum_i c_j[i] * w_k[i]. Two values per step, so that
 * the vectorised loop multiplies and adds adjacent int16 pairs (with int8 weights LLVM
 * widens the products to 32 bits instead). */
RP_INLINE void rp_host_dot_4x2_s8(const int16_t *restrict c0, const int16_t *restrict c1,
                                  const int16_t *restrict c2, const int16_t *restrict c3,
                                  const int16_t *restrict w0, const int16_t *restrict w1,
                                  int32_t n, int32_t *restrict a) {
  /* The sums as an array: with eight scalars LLVM 19 de-interleaves the pairs and
   * multiplies in 32 bits. */
  int32_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t i;
  const int32_t even = n & ~1;
  for (i = 0; i < even; i += 2) {
    const int32_t u0 = w0[i], u1 = w0[i + 1], v0 = w1[i], v1 = w1[i + 1];
    const int32_t x0 = c0[i], y0 = c0[i + 1], x1 = c1[i], y1 = c1[i + 1];
    const int32_t x2 = c2[i], y2 = c2[i + 1], x3 = c3[i], y3 = c3[i + 1];
    s[0] += x0 * u0 + y0 * u1;
    s[1] += x0 * v0 + y0 * v1;
    s[2] += x1 * u0 + y1 * u1;
    s[3] += x1 * v0 + y1 * v1;
    s[4] += x2 * u0 + y2 * u1;
    s[5] += x2 * v0 + y2 * v1;
    s[6] += x3 * u0 + y3 * u1;
    s[7] += x3 * v0 + y3 * v1;
  }
  if (n & 1) {
    const int32_t u = w0[even], v = w1[even];
    s[0] += c0[even] * u;
    s[1] += c0[even] * v;
    s[2] += c1[even] * u;
    s[3] += c1[even] * v;
    s[4] += c2[even] * u;
    s[5] += c2[even] * v;
    s[6] += c3[even] * u;
    s[7] += c3[even] * v;
  }
  for (i = 0; i < 8; ++i)
    a[i] = s[i];
}

/* Channels [o0, o1) of one output pixel from their int32 sums (acc[o - o0]): with `fast`
 * (every shift in rp_out_s8's common case, rp_common_shifts) one branch-free loop that the
 * vectoriser takes, else rp_conv_output per channel. */
static void rp_host_requant_row(const rp_conv_params *p, const int32_t *restrict acc,
                                int32_t o0, int32_t o1, int8_t *restrict dst, int32_t fast) {
  const int32_t zp = p->out_zp, zp1 = 2 * zp + 1, lo = p->act_min, hi = p->act_max;
  const int32_t *restrict mult = p->mult, *restrict shift = p->shift;
  int32_t o;
  if (fast) {
    for (o = o0; o < o1; ++o)
      dst[o] = rp_out_s8(acc[o - o0], mult[o], shift[o], zp, zp1, lo, hi, /*full=*/0,
                         /*fast=*/1);
    return;
  }
  for (o = o0; o < o1; ++o)
    dst[o] = rp_conv_output(p, acc[o - o0], o);
}

/* groups == 1, receptive field of at most RP_HOST_MAX_N values, at most RP_HOST_MAX_C
 * output channels (the caller's condition). The output channels in chunks whose weights,
 * widened to int16, fill at most RP_HOST_WBUF values (once per call); per chunk the
 * region's rows RP_HOST_PIX pixels at a time (the last pass of a row repeats its last
 * pixel), RP_HOST_OCH channels per dot product. */
static RP_NOINLINE void rp_host_conv_s8(const rp_conv_params *p, const rp_view *in,
                                        rp_view *out, const rp_region *region) {
  int16_t col[RP_HOST_PIX][RP_HOST_MAX_N];
  int16_t wbuf[RP_HOST_WBUF];
  int32_t acc[RP_HOST_PIX][RP_HOST_MAX_C];
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c;
  const int32_t fast = rp_common_shifts(p->shift, cout);
  const int32_t per = n > RP_HOST_WBUF / 2 ? 2 : (RP_HOST_WBUF / n) & ~1;
  int32_t oy, ox, o, o0, j, i;
  if (n > RP_HOST_MAX_N || cout > RP_HOST_MAX_C) /* the caller's condition */
    return;
  for (o0 = 0; o0 < cout; o0 += per) {
    const int32_t o1 = rp_min(cout, o0 + per);
    const int8_t *restrict w = p->weights + o0 * n;
    for (i = 0; i < (o1 - o0) * n; ++i)
      wbuf[i] = w[i];
    for (oy = region->row0; oy < region->row1; ++oy)
      for (ox = region->col0; ox < region->col1; ox += RP_HOST_PIX) {
        const int32_t np = rp_min(RP_HOST_PIX, region->col1 - ox);
        const int16_t *c[RP_HOST_PIX];
        for (j = 0; j < RP_HOST_PIX; ++j) {
          if (j < np)
            rp_host_gather_s8(p, in, oy, ox + j, col[j]);
          c[j] = col[j < np ? j : np - 1];
        }
        for (o = o0; o < o1; o += RP_HOST_OCH) {
          const int32_t q = o + 1 < o1 ? o + 1 : o;
          int32_t a[2 * RP_HOST_PIX];
          rp_host_dot_4x2_s8(c[0], c[1], c[2], c[3], wbuf + (o - o0) * n, wbuf + (q - o0) * n,
                             n, a);
          for (j = 0; j < RP_HOST_PIX; ++j) {
            acc[j][o - o0] = p->bias[o] + a[2 * j];
            acc[j][q - o0] = p->bias[q] + a[2 * j + 1];
          }
        }
        for (j = 0; j < np; ++j)
          rp_host_requant_row(p, acc[j], o0, o1, rp_view_pixel(out, oy, ox + j, cout), fast);
      }
  }
}

/* groups == 1 with a receptive field of at most RP_HOST_T_MAX_N values (the caller's
 * condition): the outer-product form, as rp_f32_host_conv_t's. The weights of 16 output
 * channels are widened to int32 and transposed once per call (value i of channel k at
 * wt[16 i + k]); the region's pixels, row after row, go 8 at a time with their fields
 * gathered as int32 x - in_zp; 8 x 16 int32 sums stay in registers, each field value one
 * load of 16 weights and eight multiply-adds by a broadcast value; a pixel's 16 sums are
 * then requantised together. */
#define RP_HOST_T_MAX_N 1024 /* 64 KB of transposed weights and 32 KB of fields */
typedef int32_t rp_v16i __attribute__((vector_size(64)));

/* Whether a layer of n field values takes the outer-product form over `region` (measured
 * as the float path's choice, rp_f32_host_outer). */
static inline int32_t rp_host_outer(int32_t n, const rp_region *region) {
  const int32_t pixels = (region->row1 - region->row0) * (region->col1 - region->col0);
  return n <= RP_HOST_T_MAX_N && pixels > 0 && (n < 64 || pixels >= 32);
}

/* Eight pixels' fields x[j] against the transposed weights wt, from the biases: channel k
 * of pixel j in acc[j][k]. */
static inline void rp_host_mk8x16_s8(const int32_t *const x[8], const int32_t *wt,
                                     const int32_t bias[16], int32_t n, int32_t acc[8][16]) {
  rp_v16i b, a0, a1, a2, a3, a4, a5, a6, a7;
  const int32_t *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3], *x4 = x[4], *x5 = x[5],
                *x6 = x[6], *x7 = x[7];
  int32_t i;
  memcpy(&b, bias, sizeof b);
  a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
  for (i = 0; i < n; ++i, wt += 16) {
    rp_v16i w;
    memcpy(&w, wt, sizeof w);
    a0 += x0[i] * w, a1 += x1[i] * w, a2 += x2[i] * w, a3 += x3[i] * w;
    a4 += x4[i] * w, a5 += x5[i] * w, a6 += x6[i] * w, a7 += x7[i] * w;
  }
  memcpy(acc[0], &a0, sizeof a0), memcpy(acc[1], &a1, sizeof a1);
  memcpy(acc[2], &a2, sizeof a2), memcpy(acc[3], &a3, sizeof a3);
  memcpy(acc[4], &a4, sizeof a4), memcpy(acc[5], &a5, sizeof a5);
  memcpy(acc[6], &a6, sizeof a6), memcpy(acc[7], &a7, sizeof a7);
}

/* Output pixel (oy, ox)'s receptive field as int32 x - in_zp (0 outside the tensor). */
static void rp_host_gather32_s8(const rp_conv_params *p, const rp_view *in, int32_t oy,
                                int32_t ox, int32_t *col) {
  const int32_t cin = p->in_c, zp = p->in_zp;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  int32_t ky, kx, i;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dil_h;
    for (kx = 0; kx < p->k_w; ++kx, col += cin) {
      const int32_t ix = ix0 + kx * p->dil_w;
      const int8_t *x;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
        for (i = 0; i < cin; ++i)
          col[i] = 0;
        continue;
      }
      x = rp_view_pixel(in, iy, ix, cin);
      for (i = 0; i < cin; ++i)
        col[i] = (int32_t)x[i] - zp;
    }
  }
}

static RP_NOINLINE void rp_host_conv_t_s8(const rp_conv_params *p, const rp_view *in,
                                          rp_view *out, const rp_region *region) {
  int32_t wt[16 * RP_HOST_T_MAX_N], col[8][RP_HOST_T_MAX_N];
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c;
  const int32_t fast = rp_common_shifts(p->shift, cout);
  const int32_t cols = region->col1 - region->col0;
  const int32_t total = (region->row1 - region->row0) * cols;
  int32_t base, i, j, k, o;
  if (n > RP_HOST_T_MAX_N || cols <= 0) /* the caller's condition */
    return;
  for (o = 0; o < cout; o += 16) {
    const int32_t nk = rp_min(16, cout - o);
    int32_t bias[16];
    for (k = 0; k < 16; ++k) { /* channels past the last repeat it */
      const int32_t q = o + (k < nk ? k : nk - 1);
      const int8_t *w = p->weights + q * n;
      for (i = 0; i < n; ++i)
        wt[16 * i + k] = w[i];
      bias[k] = p->bias[q];
    }
    for (base = 0; base < total; base += 8) {
      const int32_t np = rp_min(8, total - base);
      const int32_t *x[8];
      int8_t *d[8];
      int32_t acc[8][16];
      for (j = 0; j < 8; ++j) { /* the last pass repeats its last pixel */
        const int32_t q = base + (j < np ? j : np - 1);
        const int32_t oy = region->row0 + q / cols, ox = region->col0 + q % cols;
        if (j < np)
          rp_host_gather32_s8(p, in, oy, ox, col[j]);
        x[j] = col[j < np ? j : np - 1];
        d[j] = rp_view_pixel(out, oy, ox, cout);
      }
      rp_host_mk8x16_s8(x, wt, bias, n, acc);
      for (j = 0; j < np; ++j)
        rp_host_requant_row(p, acc[j], o, o + nk, d[j], fast);
    }
  }
}

/* Channels c0 .. c0 + n - 1 of output pixel (oy, ox)'s depthwise sums into acc (n a
 * constant for the full chunks, so that the sums stay in registers across the taps). */
static inline void rp_host_dw_chunk_s8(const rp_conv_params *p, const rp_view *in, int32_t oy,
                                       int32_t ox, int32_t c0, int32_t n, int32_t *acc) {
  const int32_t c = p->in_c, zp = p->in_zp;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  int32_t a[RP_HOST_DW_CHUNK];
  int32_t ky, kx, ch;
  for (ch = 0; ch < n; ++ch)
    a[ch] = p->bias[c0 + ch];
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dil_h;
    if (iy < 0 || iy >= p->in_h)
      continue;
    for (kx = 0; kx < p->k_w; ++kx) {
      const int32_t ix = ix0 + kx * p->dil_w;
      const int8_t *x, *w;
      if (ix < 0 || ix >= p->in_w)
        continue;
      x = rp_view_pixel(in, iy, ix, c) + c0;
      w = p->weights + (ky * p->k_w + kx) * c + c0;
      for (ch = 0; ch < n; ++ch)
        a[ch] += ((int32_t)x[ch] - zp) * (int32_t)w[ch];
    }
  }
  for (ch = 0; ch < n; ++ch)
    acc[c0 + ch] = a[ch];
}

/* Depthwise (groups == in_c == out_c), at most RP_HOST_MAX_C channels (the caller's
 * condition): each output pixel's channels accumulate along the channels, tap by tap, in
 * chunks of RP_HOST_DW_CHUNK, then are requantised as one row. */
static RP_NOINLINE void rp_host_depthwise_s8(const rp_conv_params *p, const rp_view *in,
                                             rp_view *out, const rp_region *region) {
  int32_t acc[RP_HOST_MAX_C];
  const int32_t c = p->in_c, fast = rp_common_shifts(p->shift, c);
  int32_t oy, ox, c0;
  if (c > RP_HOST_MAX_C) /* the caller's condition */
    return;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      for (c0 = 0; c0 + RP_HOST_DW_CHUNK <= c; c0 += RP_HOST_DW_CHUNK)
        rp_host_dw_chunk_s8(p, in, oy, ox, c0, RP_HOST_DW_CHUNK, acc);
      if (c0 < c)
        rp_host_dw_chunk_s8(p, in, oy, ox, c0, c - c0, acc);
      rp_host_requant_row(p, acc, 0, c, rp_view_pixel(out, oy, ox, c), fast);
    }
}

#endif /* RNNPOOLC_RP_HOST_CONV_H */
