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
 *   sums in vector registers (rp_host_conv_t_s8); on a CPU with AVX-512 VNNI the weights
 *   come in quads and the fields as u8 x + 128, one VPDPBUSD per four field values, 8
 *   pixels x 32 channels, requantised in registers (rp_host_conv_vnni_s8);
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

/* The output channels a pass of the region's pixels runs: a multiple of 16 whose packed
 * weights (at most 32 KB) stay in the L2 cache while the pixels go by 8 at a time. */
static inline int32_t rp_host_chunk(int32_t n) {
  const int32_t per = (32768 / n) & ~15;
  return per < 16 ? 16 : per > RP_HOST_CHUNK_CH ? RP_HOST_CHUNK_CH : per;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define RP_HOST_HAS_VNNI 1
/* Whether the CPU a host object is compiled for has AVX-512 VNNI (and BW): the LLVM backend
 * sets this constant when it compiles a model (LlvmCompile.cpp), so that the branches on it
 * fold and a CPU without them never meets the instructions; the tests' copy of the kernels
 * sets it as their compiler's target allows. */
extern const int32_t rp_host_vnni;

#define RP_HOST_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

/* cin bytes from x to `to` as u8 x + 128 (x ^ 0x80), 64 at a time. */
RP_HOST_VNNI static inline void rp_host_flip_u8(const int8_t *x, uint8_t *to, int32_t cin) {
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  int32_t i;
  for (i = 0; i < cin; i += 64) {
    const __mmask64 m = cin - i >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (cin - i)) - 1;
    const __m512i v = _mm512_maskz_loadu_epi8(m, (const void *)(x + i));
    _mm512_mask_storeu_epi8((void *)(to + i), m, _mm512_xor_si512(v, flip));
  }
}

/* Pixel (oy, ox)'s receptive field as u8 x + 128, then 0 up to a whole quad; taps outside
 * the tensor are in_zp + 128, which the biases of rp_host_conv_vnni_s8 take off again, as
 * (zp - zp) * w of a skipped tap. */
RP_HOST_VNNI static void rp_host_gather_u8(const rp_conv_params *p, const rp_view *in,
                                           int32_t oy, int32_t ox, uint8_t *col) {
  const int32_t cin = p->in_c, span = p->k_w * cin, n = p->k_h * span;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  /* whether a window row's taps are all inside the tensor and side by side */
  const int32_t whole = p->dil_w == 1 && ix0 >= 0 && ix0 + p->k_w <= p->in_w;
  const uint8_t pad = (uint8_t)(p->in_zp + 128);
  uint8_t *to = col;
  int32_t ky, kx, i;
  for (ky = 0; ky < p->k_h; ++ky, to += span) {
    const int32_t iy = iy0 + ky * p->dil_h;
    const int8_t *row;
    if (iy < 0 || iy >= p->in_h) {
      memset(to, pad, (size_t)span);
      continue;
    }
    row = rp_view_pixel(in, iy, in->col0, cin); /* the ring resolved once per row */
    if (whole) {
      rp_host_flip_u8(row + (ix0 - in->col0) * cin, to, span);
      continue;
    }
    for (kx = 0; kx < p->k_w; ++kx) {
      const int32_t ix = ix0 + kx * p->dil_w;
      if (ix < 0 || ix >= p->in_w)
        memset(to + kx * cin, pad, (size_t)cin);
      else
        rp_host_flip_u8(row + (ix - in->col0) * cin, to + kx * cin, cin);
    }
  }
  for (i = n; i % 4; ++i)
    col[i] = 0;
}

/* rp_out_s8's fast form (rp_requant_hi) for a block of 16 channels, as 64-bit lanes: the
 * even channels' multipliers (m, whose odd halves the multiply ignores) and the odd ones'
 * (m_odd), hc 2^32 (h) and 32 + k (s) for each, and the clamp. */
typedef struct {
  __m512i m, m_odd, h_even, h_odd, s_even, s_odd, lo, hi;
} rp_host_rq16;

/* Channels o .. o + 15 of p (the last repeated past out_c), whose shifts are all in
 * rp_out_s8's fast range. */
RP_HOST_VNNI static void rp_host_rq16_of(const rp_conv_params *p, int32_t o, rp_host_rq16 *q) {
  int64_t h[2][8], sh[2][8];
  int32_t m[16], k;
  for (k = 0; k < 16; ++k) {
    const int32_t c = rp_min(o + k, p->out_c - 1), kk = -1 - p->shift[c];
    m[k] = p->mult[c];
    h[k & 1][k >> 1] = (int64_t)((2 * p->out_zp + 1) * ((int32_t)1 << (kk - 1))) * 4294967296;
    sh[k & 1][k >> 1] = 32 + kk;
  }
  q->m = _mm512_loadu_si512((const void *)m);
  q->m_odd = _mm512_srli_epi64(q->m, 32);
  q->h_even = _mm512_loadu_si512((const void *)h[0]);
  q->h_odd = _mm512_loadu_si512((const void *)h[1]);
  q->s_even = _mm512_loadu_si512((const void *)sh[0]);
  q->s_odd = _mm512_loadu_si512((const void *)sh[1]);
  q->lo = _mm512_set1_epi32(p->act_min);
  q->hi = _mm512_set1_epi32(p->act_max);
}

/* 16 int32 sums to int8 as rp_out_s8's fast form: floor((x m + hc 2^32 - [x < 0]) /
 * 2^(32 + k)) + the clamp, with [x m < 0] for [x < 0] (the same for m > 0; for m = 0 the
 * floor is of zp1 / 2, zp1 odd, either way). n of them stored at dst. */
RP_HOST_VNNI static inline void rp_host_rq16_store(__m512i x, const rp_host_rq16 *q,
                                                   int8_t *dst, int32_t n) {
  __m512i e = _mm512_mul_epi32(x, q->m);
  __m512i o = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), q->m_odd);
  __m512i v;
  e = _mm512_add_epi64(_mm512_add_epi64(e, q->h_even), _mm512_srai_epi64(e, 63));
  o = _mm512_add_epi64(_mm512_add_epi64(o, q->h_odd), _mm512_srai_epi64(o, 63));
  e = _mm512_srav_epi64(e, q->s_even);
  o = _mm512_srav_epi64(o, q->s_odd);
  v = _mm512_mask_blend_epi32(0xAAAA, e, _mm512_slli_epi64(o, 32));
  v = _mm512_min_epi32(_mm512_max_epi32(v, q->lo), q->hi);
  _mm512_mask_cvtepi32_storeu_epi8((void *)dst, (__mmask16)((1u << n) - 1), v);
}

/* rp_host_rq16_of for every block of 16 of p's out_c channels (at most RP_HOST_MAX_C), for a
 * call whose shifts are all in rp_out_s8's fast range. */
RP_HOST_VNNI static void rp_host_rq_table(const rp_conv_params *p, rp_host_rq16 *table) {
  int32_t o;
  for (o = 0; o < p->out_c; o += 16)
    rp_host_rq16_of(p, o, &table[o / 16]);
}

/* The out_c int32 sums of one output pixel (acc) to int8 at dst through a rp_host_rq_table. */
RP_HOST_VNNI static void rp_host_rq_pixel(const int32_t *acc, const rp_host_rq16 *table,
                                          int32_t c, int8_t *dst) {
  int32_t o;
  for (o = 0; o < c; o += 16) {
    const int32_t n = rp_min(16, c - o);
    rp_host_rq16_store(_mm512_maskz_loadu_epi32((__mmask16)((1u << n) - 1), acc + o),
                       &table[o / 16], dst + o, n);
  }
}

/* rp_host_mk8x16_s8 through AVX-512 VNNI over nb (1 or 2) blocks of quad-packed weights
 * (rp_host_pack.h; block b at wt + b * stride): x[j] are u8 fields (rp_host_gather_u8) of
 * n4 quads, each quad of a pixel broadcast once and one VPDPBUSD per block (64 products of
 * 16 channels). With rq (one per block), the sums of the first np pixels are requantised
 * into d[j] + o (nlast channels of the last block); else channel k of block b of pixel j is
 * stored in acc[j][16 b + k]. */
RP_HOST_VNNI __attribute__((always_inline)) static inline void
rp_host_mk8xb_vnni(const uint8_t *const x[8], const int8_t *wt, int64_t stride,
                   const int32_t *bias, int32_t n4, int32_t nb, const rp_host_rq16 *rq,
                   int8_t *const d[8], int32_t np, int32_t nlast, int32_t acc[8][32]) {
  __m512i a[8][2];
  int32_t i, j, b;
  for (b = 0; b < nb; ++b) {
    const __m512i v = _mm512_loadu_si512((const void *)(bias + 16 * b));
    for (j = 0; j < 8; ++j)
      a[j][b] = v;
  }
  for (i = 0; i < n4; ++i, wt += 64) {
    __m512i w[2];
    for (b = 0; b < nb; ++b)
      w[b] = _mm512_loadu_si512((const void *)(wt + b * stride));
    for (j = 0; j < 8; ++j) {
      int32_t quad;
      __m512i v;
      memcpy(&quad, x[j] + 4 * i, sizeof quad);
      v = _mm512_set1_epi32(quad);
      for (b = 0; b < nb; ++b)
        a[j][b] = _mm512_dpbusd_epi32(a[j][b], v, w[b]);
    }
  }
  if (rq) {
    for (b = 0; b < nb; ++b)
      for (j = 0; j < np; ++j)
        rp_host_rq16_store(a[j][b], rq + b, d[j] + 16 * b, b + 1 < nb ? 16 : nlast);
    return;
  }
  for (j = 0; j < 8; ++j)
    for (b = 0; b < nb; ++b)
      _mm512_storeu_si512((void *)(acc[j] + 16 * b), a[j][b]);
}

RP_HOST_VNNI static void rp_host_mk8x32_vnni(const uint8_t *const x[8], const int8_t *wt,
                                             int64_t stride, const int32_t *bias, int32_t n4,
                                             const rp_host_rq16 *rq, int8_t *const d[8],
                                             int32_t np, int32_t acc[8][32]) {
  rp_host_mk8xb_vnni(x, wt, stride, bias, n4, 2, rq, d, np, 16, acc);
}

RP_HOST_VNNI static void rp_host_mk8x16_vnni(const uint8_t *const x[8], const int8_t *wt,
                                             const int32_t *bias, int32_t n4,
                                             const rp_host_rq16 *rq, int8_t *const d[8],
                                             int32_t np, int32_t nlast, int32_t acc[8][32]) {
  rp_host_mk8xb_vnni(x, wt, 0, bias, n4, 1, rq, d, np, nlast, acc);
}

/* rp_host_conv_t_s8 on quad-packed weights: the fields as x + 128, so each sum is
 * sum((x + 128) w) + bias - (in_zp + 128) sum(w), the portable path's exact
 * sum((x - in_zp) w) + bias (the int32 lanes wrap on the way, never at the end). Where
 * every shift allows it, the sums are requantised in registers (rp_host_rq16_store). */
static RP_NOINLINE void rp_host_conv_vnni_s8(const rp_conv_params *p, const rp_view *in,
                                             rp_view *out, const rp_region *region) {
  uint8_t col[8][RP_HOST_PACK_MAX_N];
  int32_t bias[RP_HOST_CHUNK_CH];
  rp_host_rq16 rq[RP_HOST_CHUNK_CH / 16];
  const int32_t n = p->k_h * p->k_w * p->in_c, n4 = (n + 3) / 4, cout = p->out_c;
  const int32_t per = rp_host_chunk(n), fast = rp_common_shifts(p->shift, cout);
  const int32_t total = (region->row1 - region->row0) * (region->col1 - region->col0);
  const int64_t block = (int64_t)n4 * 64; /* bytes of a block of 16 channels */
  const int8_t *const sums = p->weights + (cout + 15) / 16 * block;
  int32_t base, j, k, o, o0;
  for (o0 = 0; o0 < cout; o0 += per) {
    const int32_t o1 = rp_min(cout, o0 + per);
    int32_t oy = region->row0, ox = region->col0; /* pixel `base` */
    for (k = 0; k < ((o1 - o0 + 15) & ~15); ++k) { /* past the last channel: its bias */
      const int32_t c = rp_min(o0 + k, cout - 1);
      int32_t sum;
      memcpy(&sum, sums + 4 * (int64_t)c, sizeof sum);
      /* modulo 2^32, as VPDPBUSD adds: the end sum is exact, whatever passes between */
      bias[k] = (int32_t)((uint32_t)p->bias[c] - (uint32_t)(p->in_zp + 128) * (uint32_t)sum);
    }
    if (fast)
      for (o = o0; o < o1; o += 16)
        rp_host_rq16_of(p, o, &rq[(o - o0) / 16]);
    for (base = 0; base < total; base += 8) {
      const int32_t np = rp_min(8, total - base);
      const uint8_t *x[8];
      int8_t *d[8];
      int32_t acc[8][32];
      for (j = 0; j < np; ++j) {
        rp_host_gather_u8(p, in, oy, ox, col[j]);
        x[j] = col[j];
        d[j] = rp_view_pixel(out, oy, ox, cout);
        if (++ox == region->col1)
          ox = region->col0, ++oy;
      }
      for (; j < 8; ++j) /* the last pass repeats its last pixel */
        x[j] = x[np - 1], d[j] = d[np - 1];
      for (o = o0; o + 32 <= o1; o += 32) {
        int8_t *const at[8] = {d[0] + o, d[1] + o, d[2] + o, d[3] + o,
                               d[4] + o, d[5] + o, d[6] + o, d[7] + o};
        rp_host_mk8x32_vnni(x, p->weights + o / 16 * block, block, bias + (o - o0), n4,
                            fast ? &rq[(o - o0) / 16] : 0, at, np, acc);
        if (!fast)
          for (j = 0; j < np; ++j)
            rp_host_requant_row(p, acc[j], o, o + 32, d[j], fast);
      }
      for (; o < o1; o += 16) {
        const int32_t m = rp_min(o + 16, o1);
        int8_t *const at[8] = {d[0] + o, d[1] + o, d[2] + o, d[3] + o,
                               d[4] + o, d[5] + o, d[6] + o, d[7] + o};
        rp_host_mk8x16_vnni(x, p->weights + o / 16 * block, bias + (o - o0), n4,
                            fast ? &rq[(o - o0) / 16] : 0, at, np, m - o, acc);
        if (!fast)
          for (j = 0; j < np; ++j)
            rp_host_requant_row(p, acc[j], o, m, d[j], fast);
      }
    }
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

static RP_NOINLINE void rp_host_conv_t_s8(const rp_conv_params *p, const rp_view *in,
                                          rp_view *out, const rp_region *region) {
  int32_t col[8][RP_HOST_PACK_MAX_N], bias[RP_HOST_CHUNK_CH];
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c, per = rp_host_chunk(n);
  const int32_t total = (region->row1 - region->row0) * (region->col1 - region->col0);
  int32_t fast, base, j, k, o, o0;
  if (n > RP_HOST_PACK_MAX_N || total <= 0) /* the caller's condition */
    return;
#if RP_HOST_HAS_VNNI
  if (rp_host_vnni) { /* the weights are packed in quads */
    rp_host_conv_vnni_s8(p, in, out, region);
    return;
  }
#endif
  fast = rp_common_shifts(p->shift, cout);
  for (o0 = 0; o0 < cout; o0 += per) {
    const int32_t o1 = rp_min(cout, o0 + per);
    int32_t oy = region->row0, ox = region->col0; /* pixel `base` */
    for (k = 0; k < ((o1 - o0 + 15) & ~15); ++k) /* past the last channel: its bias */
      bias[k] = p->bias[rp_min(o0 + k, cout - 1)];
    for (base = 0; base < total; base += 8) {
      const int32_t np = rp_min(8, total - base);
      const int32_t *x[8];
      int8_t *d[8];
      int32_t acc[8][16];
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
 * inside the row (the caller's condition): each tap's weights are widened once for the four;
 * with a window 3 wide at stride 1 (MobileNetV2's) each of a window row's six input columns
 * is widened once too. acc holds the four pixels' sums one after the other, c apart. */
RP_INLINE void rp_host_dw_vec4_s8(const rp_conv_params *p, const rp_view *in,
                                  const int8_t *const *row, int32_t ox, int32_t c0, int32_t nv,
                                  int32_t *acc) {
  const int32_t c = p->in_c, ix0 = ox * p->stride_w - p->pad_left;
  const int32_t step = p->stride_w * c; /* from one pixel's window to the next's */
  const rp_v16i zp = (rp_v16i){0} + p->in_zp;
  /* a window 3 wide at stride 1: the four pixels' taps of a window row read six columns */
  const int32_t three = p->k_w == 3 && p->stride_w == 1 && p->dil_w == 1;
  rp_v16i a[4][2];
  int32_t ky, kx, v, j;
  for (v = 0; v < nv; ++v) {
    memcpy(&a[0][v], p->bias + c0 + 16 * v, sizeof a[0][v]);
    a[1][v] = a[0][v], a[2][v] = a[0][v], a[3][v] = a[0][v];
  }
  for (ky = 0; ky < p->k_h; ++ky) {
    if (!row[ky])
      continue;
    if (three) { /* each of the six columns widened once */
      const int8_t *x = row[ky] + (ix0 - in->col0) * c + c0;
      const int8_t *w = p->weights + ky * 3 * c + c0;
      for (v = 0; v < nv; ++v) {
        rp_v16i xs[6], wv[3];
        rp_v16b b;
        for (kx = 0; kx < 6; ++kx) {
          memcpy(&b, x + kx * c + 16 * v, sizeof b);
          xs[kx] = __builtin_convertvector(b, rp_v16i) - zp;
        }
        for (kx = 0; kx < 3; ++kx) {
          memcpy(&b, w + kx * c + 16 * v, sizeof b);
          wv[kx] = __builtin_convertvector(b, rp_v16i);
        }
        for (j = 0; j < 4; ++j)
          a[j][v] += xs[j] * wv[0] + xs[j + 1] * wv[1] + xs[j + 2] * wv[2];
      }
      continue;
    }
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
#if RP_HOST_HAS_VNNI
  rp_host_rq16 table[RP_HOST_MAX_C / 16];
  const int32_t vector_rq = rp_host_vnni && fast; /* requantised through `table` */
#endif
  if (c > RP_HOST_MAX_C || p->k_h > RP_HOST_DW_KH) /* the caller's condition */
    return;
#if RP_HOST_HAS_VNNI
  if (vector_rq)
    rp_host_rq_table(p, table);
#define RP_HOST_DW_OUT(acc, dst)                                                               \
  (vector_rq ? rp_host_rq_pixel(acc, table, c, dst)                                            \
             : rp_host_requant_row(p, acc, 0, c, dst, fast))
#else
#define RP_HOST_DW_OUT(acc, dst) rp_host_requant_row(p, acc, 0, c, dst, fast)
#endif
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
          RP_HOST_DW_OUT(acc + j * c, rp_view_pixel(out, oy, ox + j, c));
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
      RP_HOST_DW_OUT(acc, rp_view_pixel(out, oy, ox, c));
    }
  }
#undef RP_HOST_DW_OUT
}

#endif /* RNNPOOLC_RP_HOST_CONV_H */
