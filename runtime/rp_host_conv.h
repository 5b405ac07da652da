/* rnnpoolc runtime, host builds only: int8 convolution paths that LLVM's loop vectoriser
 * turns into SIMD code. rp_conv.c includes this file when RP_HOST_SIMD is defined, which
 * only the LLVM backend's host bitcode does (targets/llvm/CMakeLists.txt); the Cortex-M4
 * bitcode, the C backend's code and the interpreter keep the portable and DSP paths.
 *
 * Every path computes the portable path's exact integer sums (the quantiser bounds every
 * accumulator below 2^31, whatever the order of the additions) and requantises them as
 * rp_conv_output does, so the bytes are the same (tests/unit/llvm/HostKernelsTest.cpp).
 *
 * The shapes:
 * - groups == 1 with weights the host object packs (rp_host_pack.h: fields of at most
 *   RP_HOST_PACK_MAX_N values): the outer-product form, 8 pixels x 16 channels of int32
 *   sums in vector registers (rp_host_conv_t_s8);
 * - groups == 1 with longer fields (OHWI weights): the receptive fields of RP_HOST_PIX
 *   output pixels are gathered once as int16 (x - in_zp, 0 outside the tensor), then every
 *   RP_HOST_OCH output channels (weights widened to int16 once per call, a chunk of channels
 *   at a time) run RP_HOST_PIX x RP_HOST_OCH int32 sums over the field, two values per step
 *   (x[i] w[i] + x[i+1] w[i+1]: on x86 one PMADDWD per eight pairs);
 * - depthwise: each output pixel's channels accumulate in vectors of 16 int32 sums, one tap
 *   at a time;
 * - requantisation of a pixel's channels as one loop (rp_out_s8's branch-free form, a
 *   64-bit multiply and per-channel shifts) when every shift allows it.
 * The buffers are on the stack (about 130 KB): a host thread's stack, never a board's. */
#ifndef RNNPOOLC_RP_HOST_CONV_H
#define RNNPOOLC_RP_HOST_CONV_H

#include "rp_host_pack.h"

#define RP_HOST_PIX 4     /* output pixels per pass */
#define RP_HOST_OCH 2     /* output channels per pass */
#define RP_HOST_MAX_N 4096 /* receptive field values per pixel (int16 on the stack) */
#define RP_HOST_MAX_C 2048 /* output channels of a pixel (int32 sums on the stack) */
#define RP_HOST_WBUF 32768 /* weights widened to int16 at a time (64 KB on the stack) */
#define RP_HOST_CHUNK_CH 512 /* output channels a pass of the outer form runs at most */

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

/* A conv whose weights the host object packs (rp_host_pack.h: groups == 1, a field of at
 * most RP_HOST_PACK_MAX_N values): the outer-product form, as rp_f32_host_conv_t's. The
 * region's pixels, row after row, go 8 at a time with their fields gathered as int32
 * x - in_zp, against a block of 16 output channels: 8 x 16 int32 sums stay in registers,
 * each field value one load of the block's 16 packed weights (widened) and eight
 * multiply-adds by a broadcast value; a pixel's 16 sums are then requantised together. */
typedef int32_t rp_v16i __attribute__((vector_size(64)));
typedef int8_t rp_v16b __attribute__((vector_size(16)));

/* Eight pixels' fields x[j] against a block of packed weights wt, from the biases: channel
 * k of pixel j in acc[j][k]. */
static inline void rp_host_mk8x16_s8(const int32_t *const x[8], const int8_t *wt,
                                     const int32_t bias[16], int32_t n, int32_t acc[8][16]) {
  rp_v16i b, a0, a1, a2, a3, a4, a5, a6, a7;
  const int32_t *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3], *x4 = x[4], *x5 = x[5],
                *x6 = x[6], *x7 = x[7];
  int32_t i;
  memcpy(&b, bias, sizeof b);
  a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
  for (i = 0; i < n; ++i, wt += 16) {
    rp_v16b wb;
    rp_v16i w;
    memcpy(&wb, wt, sizeof wb);
    w = __builtin_convertvector(wb, rp_v16i);
    a0 += x0[i] * w, a1 += x1[i] * w, a2 += x2[i] * w, a3 += x3[i] * w;
    a4 += x4[i] * w, a5 += x5[i] * w, a6 += x6[i] * w, a7 += x7[i] * w;
  }
  memcpy(acc[0], &a0, sizeof a0), memcpy(acc[1], &a1, sizeof a1);
  memcpy(acc[2], &a2, sizeof a2), memcpy(acc[3], &a3, sizeof a3);
  memcpy(acc[4], &a4, sizeof a4), memcpy(acc[5], &a5, sizeof a5);
  memcpy(acc[6], &a6, sizeof a6), memcpy(acc[7], &a7, sizeof a7);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define RP_HOST_HAS_VNNI 1
/* Whether the CPU a host object is compiled for has AVX-512 VNNI (and BW): the LLVM backend
 * sets this constant when it compiles a model (LlvmCompile.cpp), so that the branches on it
 * fold and a CPU without them never meets the instructions; the tests' copy of the kernels
 * sets it as their compiler's target allows. */
extern const int32_t rp_host_vnni;

/* rp_host_mk8x16_s8 through AVX-512 VNNI: x[j] are int16 fields (x - in_zp) with a 0 after
 * the last value, and each pair of field values is one VPDPWSSD per pixel against the two
 * packed weight rows interleaved and widened to int16 (32 products of 16 channels): the same
 * int32 sums, two products per lane and step. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static inline __m512i
rp_host_vnni_rows(const int8_t *wt, int32_t i, int32_t n) {
  /* Field values i and i + 1 of a block's 16 channels as 16 int16 pairs. */
  const __m128i w0 = _mm_loadu_si128((const __m128i *)(const void *)wt);
  const __m128i w1 = i + 1 < n ? _mm_loadu_si128((const __m128i *)(const void *)(wt + 16))
                               : _mm_setzero_si128(); /* an odd field's last value alone */
  return _mm512_cvtepi8_epi16(
      _mm256_set_m128i(_mm_unpackhi_epi8(w0, w1), _mm_unpacklo_epi8(w0, w1)));
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
rp_host_mk8x16_vnni(const int16_t *const x[8], const int8_t *wt, const int32_t bias[16],
                    int32_t n, int32_t acc[8][16]) {
  __m512i a[8];
  int32_t i, j;
  const __m512i b = _mm512_loadu_si512((const void *)bias);
  for (j = 0; j < 8; ++j)
    a[j] = b;
  for (i = 0; i < n; i += 2, wt += 32) {
    const __m512i w = rp_host_vnni_rows(wt, i, n);
    for (j = 0; j < 8; ++j) {
      int32_t pair;
      memcpy(&pair, x[j] + i, sizeof pair);
      a[j] = _mm512_dpwssd_epi32(a[j], _mm512_set1_epi32(pair), w);
    }
  }
  for (j = 0; j < 8; ++j)
    _mm512_storeu_si512((void *)acc[j], a[j]);
}

/* rp_host_mk8x16_vnni over two blocks at once, wt0 and wt1 (channels k and 16 + k of
 * acc[j]): 16 sums in registers, each pixel's pair broadcast once for both. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
rp_host_mk8x32_vnni(const int16_t *const x[8], const int8_t *wt0, const int8_t *wt1,
                    const int32_t bias[32], int32_t n, int32_t acc[8][32]) {
  __m512i a[8][2];
  int32_t i, j;
  const __m512i b0 = _mm512_loadu_si512((const void *)bias);
  const __m512i b1 = _mm512_loadu_si512((const void *)(bias + 16));
  for (j = 0; j < 8; ++j)
    a[j][0] = b0, a[j][1] = b1;
  for (i = 0; i < n; i += 2, wt0 += 32, wt1 += 32) {
    const __m512i w0 = rp_host_vnni_rows(wt0, i, n), w1 = rp_host_vnni_rows(wt1, i, n);
    for (j = 0; j < 8; ++j) {
      int32_t pair;
      __m512i v;
      memcpy(&pair, x[j] + i, sizeof pair);
      v = _mm512_set1_epi32(pair);
      a[j][0] = _mm512_dpwssd_epi32(a[j][0], v, w0);
      a[j][1] = _mm512_dpwssd_epi32(a[j][1], v, w1);
    }
  }
  for (j = 0; j < 8; ++j) {
    _mm512_storeu_si512((void *)acc[j], a[j][0]);
    _mm512_storeu_si512((void *)(acc[j] + 16), a[j][1]);
  }
}
#else
#define RP_HOST_HAS_VNNI 0
#endif

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

/* The output channels a pass of the region's pixels runs: a multiple of 16 whose packed
 * weights (at most 32 KB) stay in the L2 cache while the pixels go by 8 at a time. */
static inline int32_t rp_host_chunk(int32_t n) {
  const int32_t per = (32768 / n) & ~15;
  return per < 16 ? 16 : per > RP_HOST_CHUNK_CH ? RP_HOST_CHUNK_CH : per;
}

static RP_NOINLINE void rp_host_conv_t_s8(const rp_conv_params *p, const rp_view *in,
                                          rp_view *out, const rp_region *region) {
  int32_t col[8][RP_HOST_PACK_MAX_N], bias[RP_HOST_CHUNK_CH];
#if RP_HOST_HAS_VNNI
  int16_t col16[8][RP_HOST_PACK_MAX_N + 2];
  const int16_t *x16[8];
#endif
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c, per = rp_host_chunk(n);
  const int32_t fast = rp_common_shifts(p->shift, cout);
  const int32_t total = (region->row1 - region->row0) * (region->col1 - region->col0);
  int32_t base, j, k, o, o0;
  if (n > RP_HOST_PACK_MAX_N || total <= 0) /* the caller's condition */
    return;
  for (o0 = 0; o0 < cout; o0 += per) {
    const int32_t o1 = rp_min(cout, o0 + per);
    int32_t oy = region->row0, ox = region->col0; /* pixel `base` */
    for (k = 0; k < per; ++k) /* lanes past the last channel repeat its bias */
      bias[k] = p->bias[rp_min(o0 + k, cout - 1)];
    for (base = 0; base < total; base += 8) {
      const int32_t np = rp_min(8, total - base);
      const int32_t *x[8];
      int8_t *d[8];
      int32_t acc[8][16];
#if RP_HOST_HAS_VNNI
      if (rp_host_vnni) {
        for (j = 0; j < np; ++j) {
          rp_host_gather_s8(p, in, oy, ox, col16[j]);
          col16[j][n] = 0; /* an odd field's pair partner */
          x16[j] = col16[j];
          d[j] = rp_view_pixel(out, oy, ox, cout);
          if (++ox == region->col1)
            ox = region->col0, ++oy;
        }
        for (; j < 8; ++j)
          x16[j] = x16[np - 1];
        for (o = o0; o + 32 <= o1; o += 32) {
          int32_t acc2[8][32];
          rp_host_mk8x32_vnni(x16, p->weights + (int64_t)o * n,
                              p->weights + (int64_t)(o + 16) * n, bias + (o - o0), n, acc2);
          for (j = 0; j < np; ++j)
            rp_host_requant_row(p, acc2[j], o, o + 32, d[j], fast);
        }
        for (; o < o1; o += 16) {
          rp_host_mk8x16_vnni(x16, p->weights + (int64_t)o * n, bias + (o - o0), n, acc);
          for (j = 0; j < np; ++j)
            rp_host_requant_row(p, acc[j], o, rp_min(o + 16, o1), d[j], fast);
        }
        continue;
      }
#endif
      for (j = 0; j < np; ++j) {
        rp_host_gather32_s8(p, in, oy, ox, col[j]);
        x[j] = col[j];
        d[j] = rp_view_pixel(out, oy, ox, cout);
        if (++ox == region->col1)
          ox = region->col0, ++oy;
      }
      for (; j < 8; ++j) /* the last pass repeats its last pixel */
        x[j] = x[np - 1];
      for (o = o0; o + 16 <= o1; o += 16) {
        rp_host_mk8x16_s8(x, p->weights + (int64_t)o * n, bias + (o - o0), n, acc);
        for (j = 0; j < np; ++j)
          rp_host_requant_row(p, acc[j], o, o + 16, d[j], fast);
      }
      if (o < o1) { /* the last block, part full */
        rp_host_mk8x16_s8(x, p->weights + (int64_t)o * n, bias + (o - o0), n, acc);
        for (j = 0; j < np; ++j)
          rp_host_requant_row(p, acc[j], o, o1, d[j], fast);
      }
    }
  }
}

/* Channels c0 .. c0 + 16 nv - 1 of output pixel ox's depthwise sums into acc, as nv vectors
 * of 16 (nv a constant: 4, or 1 after the last 64), which stay in registers across the
 * taps. row[ky] is the input row of window row ky at column in->col0, or NULL outside the
 * tensor. */
RP_INLINE void rp_host_dw_vec_s8(const rp_conv_params *p, const rp_view *in,
                               const int8_t *const *row, int32_t ox, int32_t c0, int32_t nv,
                               int32_t *acc) {
  const int32_t c = p->in_c, ix0 = ox * p->stride_w - p->pad_left;
  const rp_v16i zp = (rp_v16i){0} + p->in_zp;
  rp_v16i a[4];
  int32_t ky, kx, v;
  for (v = 0; v < nv; ++v)
    memcpy(&a[v], p->bias + c0 + 16 * v, sizeof a[v]);
  for (ky = 0; ky < p->k_h; ++ky) {
    if (!row[ky])
      continue;
    for (kx = 0; kx < p->k_w; ++kx) {
      const int32_t ix = ix0 + kx * p->dil_w;
      const int8_t *x, *w;
      if (ix < 0 || ix >= p->in_w)
        continue;
      x = row[ky] + (ix - in->col0) * c + c0;
      w = p->weights + (ky * p->k_w + kx) * c + c0;
      for (v = 0; v < nv; ++v) {
        rp_v16b xb, wb;
        rp_v16i xv;
        memcpy(&xb, x + 16 * v, sizeof xb);
        memcpy(&wb, w + 16 * v, sizeof wb);
        xv = __builtin_convertvector(xb, rp_v16i) - zp;
        a[v] += xv * __builtin_convertvector(wb, rp_v16i);
      }
    }
  }
  for (v = 0; v < nv; ++v)
    memcpy(acc + c0 + 16 * v, &a[v], sizeof a[v]);
}

/* rp_host_dw_vec_s8 for the four output pixels ox .. ox + 3 at once, every tap of theirs
 * inside the row (the caller's condition): each tap's weights are widened once for the four.
 * acc holds the four pixels' sums one after the other, c apart. */
RP_INLINE void rp_host_dw_vec4_s8(const rp_conv_params *p, const rp_view *in,
                                  const int8_t *const *row, int32_t ox, int32_t c0, int32_t nv,
                                  int32_t *acc) {
  const int32_t c = p->in_c, ix0 = ox * p->stride_w - p->pad_left;
  const int32_t step = p->stride_w * c; /* from one pixel's window to the next's */
  const rp_v16i zp = (rp_v16i){0} + p->in_zp;
  rp_v16i a[4][2];
  int32_t ky, kx, v, j;
  for (v = 0; v < nv; ++v) {
    memcpy(&a[0][v], p->bias + c0 + 16 * v, sizeof a[0][v]);
    a[1][v] = a[0][v], a[2][v] = a[0][v], a[3][v] = a[0][v];
  }
  for (ky = 0; ky < p->k_h; ++ky) {
    if (!row[ky])
      continue;
    for (kx = 0; kx < p->k_w; ++kx) {
      const int8_t *x = row[ky] + (ix0 + kx * p->dil_w - in->col0) * c + c0;
      const int8_t *w = p->weights + (ky * p->k_w + kx) * c + c0;
      for (v = 0; v < nv; ++v) {
        rp_v16b wb, xb;
        rp_v16i wv;
        memcpy(&wb, w + 16 * v, sizeof wb);
        wv = __builtin_convertvector(wb, rp_v16i);
        for (j = 0; j < 4; ++j) {
          memcpy(&xb, x + j * step + 16 * v, sizeof xb);
          a[j][v] += (__builtin_convertvector(xb, rp_v16i) - zp) * wv;
        }
      }
    }
  }
  for (j = 0; j < 4; ++j)
    for (v = 0; v < nv; ++v)
      memcpy(acc + j * c + c0 + 16 * v, &a[j][v], sizeof a[j][v]);
}

/* Channels c0 .. c - 1 (fewer than 16) of output pixel (oy, ox)'s depthwise sums into acc. */
static void rp_host_dw_rest_s8(const rp_conv_params *p, const rp_view *in, int32_t oy,
                               int32_t ox, int32_t c0, int32_t *acc) {
  const int32_t c = p->in_c, zp = p->in_zp;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  int32_t ky, kx, ch;
  for (ch = c0; ch < c; ++ch)
    acc[ch] = p->bias[ch];
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dil_h;
    if (iy < 0 || iy >= p->in_h)
      continue;
    for (kx = 0; kx < p->k_w; ++kx) {
      const int32_t ix = ix0 + kx * p->dil_w;
      const int8_t *x, *w;
      if (ix < 0 || ix >= p->in_w)
        continue;
      x = rp_view_pixel(in, iy, ix, c);
      w = p->weights + (ky * p->k_w + kx) * c;
      for (ch = c0; ch < c; ++ch)
        acc[ch] += ((int32_t)x[ch] - zp) * (int32_t)w[ch];
    }
  }
}

/* Window rows a depthwise pass resolves once per output row. */
#define RP_HOST_DW_KH 8

/* Depthwise (groups == in_c == out_c), at most RP_HOST_MAX_C channels and windows of at
 * most RP_HOST_DW_KH rows (the caller's condition): per output row the window's input rows
 * are resolved once (no ring division per tap); each output pixel's channels accumulate
 * tap by tap, 64 at a time, then 16 at a time, then the rest, and are requantised as one
 * row. */
static RP_NOINLINE void rp_host_depthwise_s8(const rp_conv_params *p, const rp_view *in,
                                             rp_view *out, const rp_region *region) {
  int32_t acc[4 * RP_HOST_MAX_C];
  const int8_t *row[RP_HOST_DW_KH];
  const int32_t c = p->in_c, fast = rp_common_shifts(p->shift, c);
  int32_t oy, ox, c0, ky;
  if (c > RP_HOST_MAX_C || p->k_h > RP_HOST_DW_KH) /* the caller's condition */
    return;
  for (oy = region->row0; oy < region->row1; ++oy) {
    for (ky = 0; ky < p->k_h; ++ky) {
      const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
      row[ky] = iy >= 0 && iy < p->in_h ? rp_view_pixel(in, iy, in->col0, c) : 0;
    }
    for (ox = region->col0; ox < region->col1; ++ox) {
      const int32_t first = ox * p->stride_w - p->pad_left; /* pixel ox's first tap */
      const int32_t last = (ox + 3) * p->stride_w - p->pad_left + (p->k_w - 1) * p->dil_w;
      if (ox + 4 <= region->col1 && first >= 0 && last < p->in_w && c >= 16) {
        /* four pixels inside the row: the channels in vectors, the rest one pixel at a time */
        int32_t j;
        for (c0 = 0; c0 + 32 <= c; c0 += 32)
          rp_host_dw_vec4_s8(p, in, row, ox, c0, 2, acc);
        for (; c0 + 16 <= c; c0 += 16)
          rp_host_dw_vec4_s8(p, in, row, ox, c0, 1, acc);
        for (j = 0; j < 4; ++j) {
          if (c0 < c)
            rp_host_dw_rest_s8(p, in, oy, ox + j, c0, acc + j * c);
          rp_host_requant_row(p, acc + j * c, 0, c, rp_view_pixel(out, oy, ox + j, c), fast);
        }
        ox += 3;
        continue;
      }
      for (c0 = 0; c0 + 64 <= c; c0 += 64)
        rp_host_dw_vec_s8(p, in, row, ox, c0, 4, acc);
      for (; c0 + 16 <= c; c0 += 16)
        rp_host_dw_vec_s8(p, in, row, ox, c0, 1, acc);
      if (c0 < c)
        rp_host_dw_rest_s8(p, in, oy, ox, c0, acc);
      rp_host_requant_row(p, acc, 0, c, rp_view_pixel(out, oy, ox, c), fast);
    }
  }
}

#endif /* RNNPOOLC_RP_HOST_CONV_H */
