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

/* Depthwise (groups == in_c == out_c), at most RP_HOST_MAX_C channels (the caller's
 * condition): each output pixel's channels accumulate along the channels, tap by tap. */
static RP_NOINLINE void rp_host_depthwise_s8(const rp_conv_params *p, const rp_view *in,
                                             rp_view *out, const rp_region *region) {
  int32_t acc[RP_HOST_MAX_C];
  const int32_t c = p->in_c, zp = p->in_zp, fast = rp_common_shifts(p->shift, c);
  int32_t oy, ox, ky, kx, ch;
  if (c > RP_HOST_MAX_C) /* the caller's condition */
    return;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
      int32_t *restrict a = acc;
      for (ch = 0; ch < c; ++ch)
        a[ch] = p->bias[ch];
      for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dil_h;
        if (iy < 0 || iy >= p->in_h)
          continue;
        for (kx = 0; kx < p->k_w; ++kx) {
          const int32_t ix = ix0 + kx * p->dil_w;
          const int8_t *restrict x, *restrict w;
          if (ix < 0 || ix >= p->in_w)
            continue;
          x = rp_view_pixel(in, iy, ix, c);
          w = p->weights + (ky * p->k_w + kx) * c;
          for (ch = 0; ch < c; ++ch)
            a[ch] += ((int32_t)x[ch] - zp) * (int32_t)w[ch];
        }
      }
      rp_host_requant_row(p, acc, 0, c, rp_view_pixel(out, oy, ox, c), fast);
    }
}

#endif /* RNNPOOLC_RP_HOST_CONV_H */
