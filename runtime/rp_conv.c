/* rnnpoolc runtime: int8 convolution over HWC views (general, depthwise, pointwise).
 * Padding is the input zero point, whose contribution (zp - zp) * w is zero, so taps that
 * fall outside the tensor are skipped. */
#include "rp_internal.h"
#include <stddef.h>

/* Requantises one accumulator of output channel o to int8 with the fused clamp. */
static inline int8_t rp_conv_output(const rp_conv_params *p, int32_t acc, int32_t o) {
  int32_t v = rp_requant_inline(acc, p->mult[o], p->shift[o]) + p->out_zp;
  return (int8_t)rp_clamp(v, p->act_min, p->act_max);
}

/* The portable loops: any groups, kernel, stride, dilation and padding; every output
 * channel of each pixel a dot product over its window. */
static void rp_conv_portable_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                const rp_region *region) {
  const int32_t cin = p->in_c / p->groups, cout = p->out_c / p->groups;
  const int32_t taps = p->k_h * p->k_w * cin;
  int32_t oy, ox, o, ky, kx;
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

#if defined(RP_HOST_SIMD)
#include "rp_host_conv.h"
#endif

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

#if RP_USE_DSP
/* Two output pixels at a time (groups == 1, receptive field of n <= RP_PAIR_MAX values): the
 * windows of pixels A and B are gathered once as int16 (x - zp) into one buffer of words,
 * interleaved by groups of four values: [A02 A13 B02 B13] per group (lane order, so that
 * SXTB16 of four int8 weights lines up), the n % 4 tail values apart. Then every two output
 * channels run four accumulators: one load and two SXTB16 of a weight word serve four
 * SMLADs, and the column words are loaded once per two channels. */
#define RP_PAIR_MAX 384 /* the buffer: RP_PAIR_MAX words, 1.5 KB of stack */

/* Copies n bytes (short runs: words, then bytes). */
static inline void rp_copy_run(int8_t *dst, const int8_t *src, int32_t n) {
  const int8_t *const end = src + (n & ~3); /* GCC and clang: four instructions a word */
  for (; src != end; src += 4, dst += 4) {
    const uint32_t v = rp_load32(src);
    memcpy(dst, &v, sizeof v);
  }
  for (n &= 3; n > 0; --n)
    *dst++ = *src++;
}

/* The window of the output pixel whose top-left tap is (iy0, ix0), its n = k_h * k_w * in_c
 * values in weight order (OHWI's HWI), as bytes in `win` (at least n bytes): the taps
 * outside the tensor hold the input zero point, which contributes (zp - zp) * w = 0.
 * Returns win. With dilation 1 along x each window row is one run of input bytes. */
static const int8_t *rp_gather_window(const rp_conv_params *p, const rp_view *in, int32_t iy0,
                                      int32_t ix0, int8_t *win) {
  const int32_t cin = p->in_c, kw = p->k_w, row = kw * cin;
  int32_t ky, kx, kx0 = 0, kx1 = kw;
  while (kx0 < kx1 && ix0 + kx0 * p->dil_w < 0)
    ++kx0;
  while (kx1 > kx0 && ix0 + (kx1 - 1) * p->dil_w >= p->in_w)
    --kx1;
  for (ky = 0; ky < p->k_h; ++ky, win += row) {
    const int32_t iy = iy0 + ky * p->dil_h;
    if (iy < 0 || iy >= p->in_h || kx0 == kx1) {
      memset(win, (int8_t)p->in_zp, (size_t)row);
      continue;
    }
    if (kx0 > 0)
      memset(win, (int8_t)p->in_zp, (size_t)(kx0 * cin));
    if (kx1 < kw)
      memset(win + kx1 * cin, (int8_t)p->in_zp, (size_t)((kw - kx1) * cin));
    if (p->dil_w == 1) {
      rp_copy_run(win + kx0 * cin, rp_view_pixel(in, iy, ix0 + kx0, cin), (kx1 - kx0) * cin);
      continue;
    }
    for (kx = kx0; kx < kx1; ++kx)
      rp_copy_run(win + kx * cin, rp_view_pixel(in, iy, ix0 + kx * p->dil_w, cin), cin);
  }
  return win - p->k_h * row;
}

/* rp_gather_lanes for any in_c: the window as bytes in order (rp_gather_window), converted
 * by words into every `stride`-th pair of words from dst, the n % 4 last values into tail.
 * Out of line, so that its byte buffer is on the stack only while it runs. */
static RP_NOINLINE void rp_gather_lanes_bytes(const rp_conv_params *p, const rp_view *in,
                                              int32_t iy0, int32_t ix0, uint32_t *dst,
                                              int32_t stride, int16_t *tail) {
  const int32_t n = p->k_h * p->k_w * p->in_c, groups = n >> 2;
  const uint32_t off = rp_pack_offset(-p->in_zp);
  int8_t win[RP_PAIR_MAX];
  const int8_t *w;
  int32_t k, i;
  if (n > RP_PAIR_MAX) /* the callers' condition */
    return;
  w = rp_gather_window(p, in, iy0, ix0, win);
  for (k = 0; k < groups; ++k, dst += stride) {
    const uint32_t xv = rp_load32(w + 4 * k);
    dst[0] = rp_sxtab16(off, xv);
    dst[1] = rp_sxtab16(off, rp_ror8(xv));
  }
  for (i = 0; i < (n & 3); ++i)
    tail[i] = (int16_t)((int32_t)w[4 * groups + i] - p->in_zp);
}

/* Fills lane `side` (0: A, 1: B, ...) of a buffer of `lanes` interleaved pixels (2 * lanes
 * words per group of four values) with output pixel (oy, ox)'s window. */
static void rp_gather_lanes(const rp_conv_params *p, const rp_view *in, int32_t oy, int32_t ox,
                            int32_t side, int32_t lanes, uint32_t *buf, int16_t *tail) {
  const int32_t cin = p->in_c;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  const uint32_t off = rp_pack_offset(-p->in_zp);
  const int32_t stride = 2 * lanes;
  int32_t ky, kx, i;
  if ((cin & 3) == 0) { /* whole groups per tap: straight from int8 words */
    uint32_t *dst = buf + 2 * side;
    for (ky = 0; ky < p->k_h; ++ky)
      for (kx = 0; kx < p->k_w; ++kx) {
        int32_t iy = iy0 + ky * p->dil_h, ix = ix0 + kx * p->dil_w;
        if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
          for (i = 0; i < cin; i += 4, dst += stride)
            dst[0] = dst[1] = 0;
        } else {
          const int8_t *x = rp_view_pixel(in, iy, ix, cin);
          for (i = 0; i < cin; i += 4, dst += stride) {
            uint32_t xv = rp_load32(x + i);
            dst[0] = rp_sxtab16(off, xv);
            dst[1] = rp_sxtab16(off, rp_ror8(xv));
          }
        }
      }
    return;
  }
  rp_gather_lanes_bytes(p, in, iy0, ix0, buf + 2 * side, stride, tail);
}

/* acc[0..1] (pixel A) and acc[2..3] (pixel B) of output channels o and o1 from the pair
 * buffer; w0 and w1 are the two channels' weight rows of n int8 values. */
static inline void rp_pair_dot(const uint32_t *buf, const int16_t *ta, const int16_t *tb,
                               const int8_t *w0, const int8_t *w1, int32_t n, int32_t *acc) {
  const uint32_t *c = buf;
  int32_t a0 = acc[0], a1 = acc[1], b0 = acc[2], b1 = acc[3], i, g = n >> 2;
#if defined(__ARM_FEATURE_DSP) && !defined(RP_NO_DSP) && defined(__GNUC__)
  if (g > 0) { /* the loop below as 18 instructions per group: two LDRDs for the columns */
    uint32_t A02, A13, B02, B13, t, e;
    const int32_t d = (int32_t)(w1 - w0);
    __asm__ volatile("1:\n\t"
                     "ldrd %[A02], %[A13], [%[c]], #16\n\t"
                     "ldrd %[B02], %[B13], [%[c], #-8]\n\t"
                     "ldr %[t], [%[w0], %[d]]\n\t"
                     "ldr %[e], [%[w0]], #4\n\t"
                     "subs %[g], %[g], #1\n\t"
                     "sxtb16 %[e], %[e]\n\t" /* e: channel o, lanes 0 and 2 */
                     "smlad %[a0], %[A02], %[e], %[a0]\n\t"
                     "smlad %[b0], %[B02], %[e], %[b0]\n\t"
                     "ldr %[e], [%[w0], #-4]\n\t"
                     "sxtb16 %[e], %[e], ror #8\n\t"
                     "smlad %[a0], %[A13], %[e], %[a0]\n\t"
                     "smlad %[b0], %[B13], %[e], %[b0]\n\t"
                     "sxtb16 %[e], %[t]\n\t" /* channel o1 */
                     "sxtb16 %[t], %[t], ror #8\n\t"
                     "smlad %[a1], %[A02], %[e], %[a1]\n\t"
                     "smlad %[b1], %[B02], %[e], %[b1]\n\t"
                     "smlad %[a1], %[A13], %[t], %[a1]\n\t"
                     "smlad %[b1], %[B13], %[t], %[b1]\n\t"
                     "bne 1b"
                     : [c] "+r"(c), [w0] "+r"(w0), [g] "+r"(g), [a0] "+r"(a0), [a1] "+r"(a1),
                       [b0] "+r"(b0), [b1] "+r"(b1), [A02] "=&r"(A02), [A13] "=&r"(A13),
                       [B02] "=&r"(B02), [B13] "=&r"(B13), [t] "=&r"(t), [e] "=&r"(e)
                     : [d] "r"(d)
                     : "cc", "memory");
    w1 = w0 + d;
  }
#else
  for (; g > 0; --g, c += 4, w0 += 4, w1 += 4) {
    const uint32_t A02 = c[0], A13 = c[1], B02 = c[2], B13 = c[3];
    uint32_t w = rp_load32(w0), e02 = rp_sxtb16(w), e13 = rp_sxtb16_ror8(w);
    a0 = rp_smlad(A02, e02, a0);
    a0 = rp_smlad(A13, e13, a0);
    b0 = rp_smlad(B02, e02, b0);
    b0 = rp_smlad(B13, e13, b0);
    w = rp_load32(w1);
    e02 = rp_sxtb16(w);
    e13 = rp_sxtb16_ror8(w);
    a1 = rp_smlad(A02, e02, a1);
    a1 = rp_smlad(A13, e13, a1);
    b1 = rp_smlad(B02, e02, b1);
    b1 = rp_smlad(B13, e13, b1);
  }
#endif
  for (i = 0; i < (n & 3); ++i) {
    a0 += (int32_t)ta[i] * w0[i];
    a1 += (int32_t)ta[i] * w1[i];
    b0 += (int32_t)tb[i] * w0[i];
    b1 += (int32_t)tb[i] * w1[i];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = b0;
  acc[3] = b1;
}

/* The outputs of pixels (oy, ox) and, when has_b, (oy, ox + 1). */
static RP_NOINLINE void rp_conv_pair_s8(const rp_conv_params *p, const rp_view *in,
                                        rp_view *out, int32_t oy, int32_t ox, int32_t has_b) {
  /* The params in locals: the int8 stores below may alias anything, so that fields read
   * through p would be reloaded after every store. */
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c, zp = p->out_zp;
  const int32_t lo = p->act_min, hi = p->act_max;
  const int32_t *const bias = p->bias, *const mult = p->mult, *const shift = p->shift;
  const int8_t *const weights = p->weights;
  uint32_t buf[RP_PAIR_MAX];
  int16_t ta[4], tb[4];
  int8_t *da = rp_view_pixel(out, oy, ox, cout), *db = has_b ? da + cout : da;
  int32_t o;
  if (n > RP_PAIR_MAX) /* as in rp_conv_small_s8 */
    return;
  rp_gather_lanes(p, in, oy, ox, 0, 2, buf, ta);
  rp_gather_lanes(p, in, oy, has_b ? ox + 1 : ox, 1, 2, buf, tb);
  for (o = 0; o < cout; o += 2) {
    const int32_t o1 = o + 1 < cout ? o + 1 : o;
    const int32_t m0 = mult[o], s0 = shift[o], m1 = mult[o1], s1 = shift[o1];
    int32_t acc[4];
    acc[0] = acc[2] = bias[o];
    acc[1] = acc[3] = bias[o1];
    rp_pair_dot(buf, ta, tb, weights + o * n, weights + o1 * n, n, acc);
    da[o] = (int8_t)rp_clamp(rp_requant_inline(acc[0], m0, s0) + zp, lo, hi);
    da[o1] = (int8_t)rp_clamp(rp_requant_inline(acc[1], m1, s1) + zp, lo, hi);
    if (has_b) {
      db[o] = (int8_t)rp_clamp(rp_requant_inline(acc[2], m0, s0) + zp, lo, hi);
      db[o1] = (int8_t)rp_clamp(rp_requant_inline(acc[3], m1, s1) + zp, lo, hi);
    }
  }
}

/* groups == 1, n <= RP_PAIR_MAX: the region's rows two pixels at a time. */
static void rp_conv_pairs_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                             const rp_region *region) {
  int32_t oy, ox;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ox += 2)
      rp_conv_pair_s8(p, in, out, oy, ox, ox + 1 < region->col1);
}
#endif

#if RP_USE_DSP
/* Four output pixels at a time (groups == 1, receptive field of n <= RP_QUAD_MAX values), for
 * pointwise and short-window convolutions: the windows of pixels A..D are gathered as for the
 * pairs, eight words per group of four values ([A02 A13 B02 B13 C02 C13 D02 D13]). Then each
 * output channel runs four accumulators: one load and two SXTB16 of a weight word serve
 * eight SMLADs, and the four outputs of a channel share its requantisation constants. */
#define RP_QUAD_MAX (RP_PAIR_MAX / 2) /* the same buffer of RP_PAIR_MAX words */

/* Whether rp_out_s8 may take its `full` and `fast` forms for a layer (and rp_quad_loop run
 * it): the clamp is [-128, 127] and every shift is in the common case that rp_requant_hi
 * handles. */
static int32_t rp_fast_outputs(const rp_conv_params *p) {
  return p->act_min == -128 && p->act_max == 127 && rp_common_shifts(p->shift, p->out_c);
}

/* acc[j] (pixel j of four) of one output channel from the quad buffer; w is the channel's
 * weight row of n int8 values; tails[j] holds pixel j's n % 4 last values. Returns w + n. */
RP_INLINE const int8_t *rp_quad_dot(const uint32_t *buf, const int16_t (*tails)[4],
                                    const int8_t *w, int32_t n, int32_t *acc) {
  const uint32_t *c = buf;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], i, g = n >> 2;
#if defined(__ARM_FEATURE_DSP) && !defined(RP_NO_DSP) && defined(__GNUC__)
  /* One group: 13 instructions for 16 MACs (two LDMs of pixels A, B and C, D into r8-r11,
   * which are clobbered rather than operands because LDM needs ascending registers). */
#define RP_QUAD_GROUP                                                                          \
  "ldr %[e], [%[w]], #4\n\t"                                                                   \
  "ldmia %[c]!, {r8, r9, r10, r11}\n\t"                                                        \
  "sxtb16 %[t], %[e]\n\t"                                                                      \
  "sxtb16 %[e], %[e], ror #8\n\t"                                                              \
  "smlad %[a0], r8, %[t], %[a0]\n\t"                                                           \
  "smlad %[a0], r9, %[e], %[a0]\n\t"                                                           \
  "smlad %[a1], r10, %[t], %[a1]\n\t"                                                          \
  "smlad %[a1], r11, %[e], %[a1]\n\t"                                                          \
  "ldmia %[c]!, {r8, r9, r10, r11}\n\t"                                                        \
  "smlad %[a2], r8, %[t], %[a2]\n\t"                                                           \
  "smlad %[a2], r9, %[e], %[a2]\n\t"                                                           \
  "smlad %[a3], r10, %[t], %[a3]\n\t"                                                          \
  "smlad %[a3], r11, %[e], %[a3]\n\t"
  uint32_t t, e;
  /* g odd: one group first; then two per iteration (LSRS leaves the odd bit in C and
   * Z = no pairs; the group's instructions set no flags). */
  __asm__ volatile("lsrs %[g], %[g], #1\n\t"
                   "bcc 2f\n\t" RP_QUAD_GROUP "2:\n\t"
                   "beq 3f\n\t"
                   "1:\n\t" RP_QUAD_GROUP RP_QUAD_GROUP "subs %[g], %[g], #1\n\t"
                   "bne 1b\n\t"
                   "3:"
                   : [c] "+r"(c), [w] "+r"(w), [g] "+r"(g), [a0] "+r"(a0), [a1] "+r"(a1),
                     [a2] "+r"(a2), [a3] "+r"(a3), [t] "=&r"(t), [e] "=&r"(e)
                   :
                   : "r8", "r9", "r10", "r11", "cc", "memory");
#undef RP_QUAD_GROUP
#else
  for (; g > 0; --g, c += 8, w += 4) {
    const uint32_t wv = rp_load32(w), e02 = rp_sxtb16(wv), e13 = rp_sxtb16_ror8(wv);
    a0 = rp_smlad(c[1], e13, rp_smlad(c[0], e02, a0));
    a1 = rp_smlad(c[3], e13, rp_smlad(c[2], e02, a1));
    a2 = rp_smlad(c[5], e13, rp_smlad(c[4], e02, a2));
    a3 = rp_smlad(c[7], e13, rp_smlad(c[6], e02, a3));
  }
#endif
  for (i = 0; i < (n & 3); ++i) {
    a0 += (int32_t)tails[0][i] * w[i];
    a1 += (int32_t)tails[1][i] * w[i];
    a2 += (int32_t)tails[2][i] * w[i];
    a3 += (int32_t)tails[3][i] * w[i];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  return w + (n & 3);
}

/* Stores the four outputs acc[0..3] of one channel (pixels d, d + cs, d + 2 cs, d + 3 cs)
 * for any shift: rp_requant_inline's general case, out of line. */
static RP_NOINLINE void rp_quad_store(const rp_conv_params *p, int32_t o, int8_t *d, int32_t a0,
                                      int32_t a1, int32_t a2, int32_t a3) {
  const int32_t acc[4] = {a0, a1, a2, a3}, m = p->mult[o], s = p->shift[o], cs = p->out_c;
  int32_t j;
  for (j = 0; j < 4; ++j)
    d[j * cs] =
        (int8_t)rp_clamp(rp_requant_inline(acc[j], m, s) + p->out_zp, p->act_min, p->act_max);
}

/* Stores the four outputs acc[0..3] of output channel o (multiplier m, shift s) at d, d + cs,
 * d + 2 cs, d + 3 cs; `full` (a constant at the call sites) says that the clamp is
 * [-128, 127], one SSAT. */
RP_INLINE void rp_quad_out(const rp_conv_params *p, int32_t o, int8_t *d, const int32_t *acc,
                           int32_t m, int32_t s, int32_t cs, int32_t zp1, int32_t lo, int32_t hi,
                           int32_t full) {
  if (RP_LIKELY((uint32_t)(s + 23) < 22u)) {
    /* rp_requant_inline's common case (k = -1 - s in [1, 22]) with out_zp folded into the
     * rounding constant: hc = 2^(k-1) + zp * 2^k = (2 zp + 1) * 2^(k-1), |hc| < 2^30. */
    const int32_t k = -1 - s, hc = zp1 * ((int32_t)1 << (k - 1));
    const int32_t y0 = rp_requant_hi(acc[0], m, hc, k), y1 = rp_requant_hi(acc[1], m, hc, k);
    const int32_t y2 = rp_requant_hi(acc[2], m, hc, k), y3 = rp_requant_hi(acc[3], m, hc, k);
    d[0] = (int8_t)(full ? rp_ssat(y0, 8) : rp_clamp(y0, lo, hi));
    d[cs] = (int8_t)(full ? rp_ssat(y1, 8) : rp_clamp(y1, lo, hi));
    d[2 * cs] = (int8_t)(full ? rp_ssat(y2, 8) : rp_clamp(y2, lo, hi));
    d[3 * cs] = (int8_t)(full ? rp_ssat(y3, 8) : rp_clamp(y3, lo, hi));
  } else {
    rp_quad_store(p, o, d, acc[0], acc[1], acc[2], acc[3]);
  }
}

/* The channel loop of rp_conv_quad_s8 (`full` as for rp_quad_out). */
RP_INLINE void rp_quad_channels(const rp_conv_params *p, const uint32_t *buf,
                                const int16_t (*tails)[4], int8_t *d, int32_t full) {
  /* The params in locals: the int8 stores below may alias anything. */
  const int32_t n = p->k_h * p->k_w * p->in_c, cs = p->out_c, zp = p->out_zp;
  const int32_t lo = p->act_min, hi = p->act_max, zp1 = 2 * zp + 1;
  const int32_t *bias = p->bias, *mult = p->mult, *shift = p->shift;
  const int8_t *w = p->weights, *const end = d + cs;
  for (; d < end; ++d) {
    const int32_t m = *mult++, s = *shift++;
    int32_t acc[4];
    acc[0] = acc[1] = acc[2] = acc[3] = *bias++;
    w = rp_quad_dot(buf, tails, w, n, acc); /* w: the next channel's row */
    rp_quad_out(p, (int32_t)(d - (end - cs)), d, acc, m, s, cs, zp1, lo, hi, full);
  }
}

#if defined(__ARM_FEATURE_DSP) && !defined(RP_NO_DSP) && defined(__GNUC__)
/* The channel loop of rp_conv_quad_s8 as one assembly function, for the common case: no tail
 * values (n % 4 == 0), every shift in rp_requant_hi's range, the clamp [-128, 127]. In C the
 * loop needs more registers than Cortex-M4 has, and GCC reloaded about 37 values per channel
 * around the dot product. Here the dot product holds 13 registers (four sums, the weight
 * word's two SXTB16 halves, four LDM targets, the buffer, weight and count registers) and
 * the output address d the fourteenth; the rest is read per channel from nine words on the
 * stack with two LDMs. The channel written at d finds its bias, multiplier and shift at
 * base + 4 d (bases biased by the quad's first output address, so no channel index). The
 * first group accumulates onto the bias; the other n / 4 - 1 groups run one, two, then four
 * at a time. The requantisation is rp_requant_hi with out_zp folded into hc = zp1 << (k - 1),
 * k = -1 - shift: six instructions per output with its SSAT and store. Per channel: 13
 * instructions per group, 24 for the outputs, 17 more and 2 per four groups (pointwise
 * 32->64 in bench_kernels: 1.47 -> 1.19 instructions per MAC, with the pointwise gather). */
#define RP_QUAD_LOOP 1

typedef struct {
  uint32_t mult, shift; /* the arrays' addresses minus 4 d0 (d0: the quad's first output) */
  int32_t zp1, cs, cs3; /* 2 out_zp + 1; the output's channel stride (out_c), 3 times it */
  int8_t *end;          /* d0 + out_c */
  uint32_t bias;        /* as mult */
  const uint32_t *buf;  /* the quad buffer */
  int32_t groups;       /* n / 4 - 1, the groups after the first */
  const int8_t *w;      /* the first channel's weight row */
  int8_t *d;            /* d0 */
  /* rp_quad_chunk_loop only: */
  uint32_t part;  /* the partial sums' address minus 16 d0 */
  int32_t flags;  /* 1: start from the partial sums, 2: end in them */
  int32_t wskip;  /* n - the chunk's length */
} rp_quad_job;
/* The assembly reads w, d and part at byte offsets 36, 40 and 44. */
typedef char rp_quad_job_layout[offsetof(rp_quad_job, d) == 40 &&
                                        offsetof(rp_quad_job, part) == 44
                                    ? 1
                                    : -1];

/* The fields of a job for the quad of output address d that do not depend on the chunk. */
static void rp_quad_job_init(rp_quad_job *job, const rp_conv_params *p, int8_t *d,
                             const uint32_t *buf) {
  const uint32_t d4 = 4u * (uint32_t)(uintptr_t)d;
  job->mult = (uint32_t)(uintptr_t)p->mult - d4;
  job->shift = (uint32_t)(uintptr_t)p->shift - d4;
  job->zp1 = 2 * p->out_zp + 1;
  job->cs = p->out_c;
  job->cs3 = 3 * p->out_c;
  job->bias = (uint32_t)(uintptr_t)p->bias - d4;
  job->buf = buf;
}

/* One group of four values of the four pixels (r4: the buffer, r5: the weights, r0-r3: the
 * sums). A0, A1, A2: what the first SMLAD of pixels 0 to 2 accumulates onto, their own sums
 * or, in the first group, the bias in r3 (pixel 3's sum is r3 either way). */
#define RP_QG(A0, A1, A2)                                                                      \
  "ldr lr, [r5], #4\n\t"                                                                       \
  "ldmia r4!, {r8, r9, r10, r11}\n\t"                                                          \
  "sxtb16 r12, lr\n\t"                                                                         \
  "sxtb16 lr, lr, ror #8\n\t"                                                                  \
  "smlad r0, r8, r12, " A0 "\n\t"                                                              \
  "smlad r0, r9, lr, r0\n\t"                                                                   \
  "smlad r1, r10, r12, " A1 "\n\t"                                                             \
  "smlad r1, r11, lr, r1\n\t"                                                                  \
  "ldmia r4!, {r8, r9, r10, r11}\n\t"                                                          \
  "smlad r2, r8, r12, " A2 "\n\t"                                                              \
  "smlad r2, r9, lr, r2\n\t"                                                                   \
  "smlad r3, r10, r12, r3\n\t"                                                                 \
  "smlad r3, r11, lr, r3\n\t"
#define RP_QGROUP RP_QG("r0", "r1", "r2")

/* Output of the sum in register A (r8: multiplier, r9: k, r10: hc) stored at ADDR. */
#define RP_QOUT(A, ADDR)                                                                       \
  "sub r4, r10, " A ", lsr #31\n\t"                                                            \
  "asr r6, " A ", #31\n\t"                                                                     \
  "smlal r6, r4, " A ", r8\n\t"                                                                \
  "asr r4, r4, r9\n\t"                                                                         \
  "ssat r4, #8, r4\n\t"                                                                        \
  "strb r4, " ADDR "\n\t"

/* After the first group: the other r6 groups, one if odd, two if the next bit is set, then
 * four at a time. */
#define RP_QREST                                                                               \
  "lsrs r6, r6, #1\n\t"                                                                        \
  "bcc 2f\n\t" RP_QGROUP "2:\n\t"                                                              \
  "lsrs r6, r6, #1\n\t"                                                                        \
  "bcc 5f\n\t" RP_QGROUP RP_QGROUP "5:\n\t"                                                    \
  "beq 3f\n\t"                                                                                 \
  "4:\n\t" RP_QGROUP RP_QGROUP RP_QGROUP RP_QGROUP "subs r6, r6, #1\n\t"                      \
  "bne 4b\n\t"                                                                                 \
  "3:\n\t"

/* The four outputs of channel d (r7) from the sums r0-r3, the job's first six words at sp;
 * then on to the next channel (1b) until the end. */
#define RP_QREQUANT                                                                            \
  "ldm sp, {r8, r9, r10, r11, r12, lr}\n\t" /* mult and shift bases, zp1, cs, 3 cs, end */     \
  "ldr r8, [r8, r7, lsl #2]\n\t"                                                               \
  "ldr r9, [r9, r7, lsl #2]\n\t"                                                               \
  "mvn r9, r9\n\t" /* k = -1 - shift */                                                        \
  "sub r4, r9, #1\n\t"                                                                         \
  "lsl r10, r10, r4\n\t" /* hc = zp1 << (k - 1) */                                             \
  RP_QOUT("r0", "[r7]") RP_QOUT("r1", "[r7, r11]") RP_QOUT("r2", "[r7, r11, lsl #1]")          \
  RP_QOUT("r3", "[r7, r12]")                                                                   \
  "add r7, r7, #1\n\t"                                                                         \
  "cmp r7, lr\n\t"                                                                             \
  "bne 1b\n\t"

static RP_NOINLINE __attribute__((naked)) void
rp_quad_loop(const rp_quad_job *job __attribute__((unused))) {
  __asm__ volatile(
      "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"
      "ldr r5, [r0, #36]\n\t"
      "ldr r7, [r0, #40]\n\t"
      "ldm r0, {r1, r2, r3, r4, r6, r8, r9, r10, r11}\n\t"
      "push {r1, r2, r3, r4, r6, r8, r9, r10, r11}\n\t" /* sp: the job's first nine words */
      "1:\n\t"
      "add r0, sp, #24\n\t"
      "ldm r0, {r0, r4, r6}\n\t" /* bias base, buffer, groups after the first */
      "ldr r3, [r0, r7, lsl #2]\n\t" RP_QG("r3", "r3", "r3") RP_QREST RP_QREQUANT
      "add sp, sp, #36\n\t"
      "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}");
}

/* rp_quad_loop over one chunk of the window (rp_conv_quad_chunks): the sums start from the
 * bias (first chunk) or from the channel's four partial sums at part + 16 d (flag 1), and
 * end as outputs (last chunk) or back in the partial sums (flag 2); a channel's weights
 * are the chunk's part of its row, the next channel's wskip bytes further on. */
static RP_NOINLINE __attribute__((naked)) void
rp_quad_chunk_loop(const rp_quad_job *job __attribute__((unused))) {
  __asm__ volatile(
      "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"
      "ldr r5, [r0, #36]\n\t"
      "ldr r7, [r0, #40]\n\t"
      "add r1, r0, #44\n\t"
      "ldm r1, {r1, r2, r3}\n\t"
      "push {r1, r2, r3}\n\t" /* part base, flags, wskip: sp + 36 once the next are pushed */
      "ldm r0, {r1, r2, r3, r4, r6, r8, r9, r10, r11}\n\t"
      "push {r1, r2, r3, r4, r6, r8, r9, r10, r11}\n\t"
      "1:\n\t"
      "add r0, sp, #24\n\t"
      "ldm r0, {r0, r4, r6, r8, r9}\n\t" /* bias base, buffer, groups, part base, flags */
      "lsls r9, r9, #31\n\t"             /* N: from the partial sums */
      "bmi 6f\n\t"
      "ldr r3, [r0, r7, lsl #2]\n\t"
      "mov r0, r3\n\t"
      "mov r1, r3\n\t"
      "mov r2, r3\n\t"
      "b 7f\n\t"
      "6:\n\t"
      "add r8, r8, r7, lsl #4\n\t"
      "ldm r8, {r0, r1, r2, r3}\n\t"
      "7:\n\t" RP_QGROUP RP_QREST
      "ldrd r9, r10, [sp, #40]\n\t" /* flags, wskip */
      "add r5, r5, r10\n\t"
      "lsls r9, r9, #31\n\t" /* C: to the partial sums */
      "bcs 8f\n\t" RP_QREQUANT
      "b 9f\n\t"
      "8:\n\t"
      "ldr r8, [sp, #36]\n\t"
      "add r8, r8, r7, lsl #4\n\t"
      "stm r8, {r0, r1, r2, r3}\n\t"
      "ldr lr, [sp, #20]\n\t" /* end */
      "add r7, r7, #1\n\t"
      "cmp r7, lr\n\t"
      "bne 1b\n\t"
      "9:\n\t"
      "add sp, sp, #48\n\t"
      "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}");
}
#undef RP_QREST
#undef RP_QREQUANT
#undef RP_QG
#undef RP_QGROUP
#undef RP_QOUT
#endif

/* The quad buffer of a pointwise convolution (in_c a multiple of 4): the four windows are
 * the pixels x, x + cin, x + 2 cin, x + 3 cin of one input row, converted a word of each at
 * a time (about 4 instructions per 4 values, where rp_gather_lanes per pixel takes 10). */
static void rp_gather_quad_pointwise(const int8_t *x, int32_t cin, uint32_t off,
                                     uint32_t *buf) {
  const int8_t *const end = x + cin;
  for (; x < end; x += 4, buf += 8) {
    const uint32_t a = rp_load32(x), b = rp_load32(x + cin);
    const uint32_t c = rp_load32(x + 2 * cin), d = rp_load32(x + 3 * cin);
    buf[0] = rp_sxtab16(off, a);
    buf[1] = rp_sxtab16_ror8(off, a);
    buf[2] = rp_sxtab16(off, b);
    buf[3] = rp_sxtab16_ror8(off, b);
    buf[4] = rp_sxtab16(off, c);
    buf[5] = rp_sxtab16_ror8(off, c);
    buf[6] = rp_sxtab16(off, d);
    buf[7] = rp_sxtab16_ror8(off, d);
  }
}

/* rp_conv_quad_s8's modes: rp_quad_loop's case, and pointwise windows (1x1, stride 1, no
 * padding, in_c a multiple of 4: rp_gather_quad_pointwise). */
#define RP_QUAD_FAST 1
#define RP_QUAD_POINTWISE 2

/* The outputs of the four pixels (oy, ox .. ox + 3). */
static RP_NOINLINE void rp_conv_quad_s8(const rp_conv_params *p, const rp_view *in,
                                        rp_view *out, int32_t oy, int32_t ox, int32_t mode) {
  uint32_t buf[RP_PAIR_MAX];
  int16_t tails[4][4];
  int8_t *d = rp_view_pixel(out, oy, ox, p->out_c);
  const int32_t n = p->k_h * p->k_w * p->in_c;
  int32_t j;
  if (n > RP_QUAD_MAX) /* as in rp_conv_small_s8 */
    return;
  if (mode & RP_QUAD_POINTWISE)
    rp_gather_quad_pointwise(rp_view_pixel(in, oy, ox, p->in_c), p->in_c,
                             rp_pack_offset(-p->in_zp), buf);
  else
    for (j = 0; j < 4; ++j)
      rp_gather_lanes(p, in, oy, ox + j, j, 4, buf, tails[j]);
#if defined(RP_QUAD_LOOP)
  if (mode & RP_QUAD_FAST) {
    rp_quad_job job;
    rp_quad_job_init(&job, p, d, buf);
    job.end = d + p->out_c;
    job.groups = (n >> 2) - 1;
    job.w = p->weights;
    job.d = d;
    rp_quad_loop(&job);
    return;
  }
#endif
  if (p->act_min == -128 && p->act_max == 127)
    rp_quad_channels(p, buf, (const int16_t(*)[4])tails, d, /*full=*/1);
  else
    rp_quad_channels(p, buf, (const int16_t(*)[4])tails, d, /*full=*/0);
}

/* groups == 1, n <= RP_QUAD_MAX: the region's rows four pixels at a time. */
static void rp_conv_quads_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                             const rp_region *region) {
  /* rp_quad_loop's case: no tails, the full clamp, every shift in the common range */
  const int32_t n = p->k_h * p->k_w * p->in_c;
  const int32_t fast = (n & 3) == 0 && rp_fast_outputs(p);
  const int32_t pointwise = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 &&
                            p->stride_w == 1 && p->pad_top == 0 && p->pad_left == 0 &&
                            p->out_h <= p->in_h && p->out_w <= p->in_w && (p->in_c & 3) == 0;
  const int32_t mode = (fast ? RP_QUAD_FAST : 0) | (pointwise ? RP_QUAD_POINTWISE : 0);
  int32_t oy, ox;
  for (oy = region->row0; oy < region->row1; ++oy) {
    for (ox = region->col0; ox + 4 <= region->col1; ox += 4)
      rp_conv_quad_s8(p, in, out, oy, ox, mode);
    if (ox == region->col1)
      continue;
    /* The last one to three pixels: three (or two of short windows), with the assembly
     * loop, as one more quad that ends at the region's edge (rewriting outputs of the quad
     * before with the same bytes); else as pairs. Measured in QEMU over 13 to 15 columns
     * (pointwise to 64 channels, 16 to 192 inputs), the pairs cost 1.13 to 1.31 times the
     * quad with three left; with two, 1.01 to 1.07 times over 16 or 32 inputs, 0.95 to 0.98
     * over 64 or more; with one, 0.94 to 1.0. */
    if (fast && region->col1 - region->col0 >= 4 &&
        (region->col1 - ox == 3 || (region->col1 - ox == 2 && n <= 32)))
      rp_conv_quad_s8(p, in, out, oy, region->col1 - 4, mode);
    else
      for (; ox < region->col1; ox += 2)
        rp_conv_pair_s8(p, in, out, oy, ox, ox + 1 < region->col1);
  }
}

/* Windows longer than the quad buffer holds (n > RP_QUAD_MAX, in_c a multiple of 4: 3x3
 * convolutions over 24 channels or more, pointwise over more than 192) still run four
 * pixels at a time, in chunks of RP_QCHUNK values of the window: each chunk of the four
 * windows is gathered once per block of RP_QBLOCK output channels, whose sums wait in
 * `part` between chunks (1.5 KB of stack in all, as the pairs' buffer). */
#define RP_QCHUNK 128
#define RP_QBLOCK 32

/* Lane `side` of a quad buffer with values [v0, v1) of output pixel (oy, ox)'s window
 * (multiples of 4; in_c a multiple of 4, so that a group never straddles two taps). */
static void rp_gather_lanes_range(const rp_conv_params *p, const rp_view *in, int32_t oy,
                                  int32_t ox, int32_t side, uint32_t *buf, int32_t v0,
                                  int32_t v1) {
  const int32_t cin = p->in_c;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  const uint32_t off = rp_pack_offset(-p->in_zp);
  uint32_t *dst = buf + 2 * side;
  int32_t t = v0 / cin, c0 = v0 % cin, v = v0, i;
  for (; v < v1; ++t, c0 = 0) {
    const int32_t iy = iy0 + (t / p->k_w) * p->dil_h, ix = ix0 + (t % p->k_w) * p->dil_w;
    const int32_t c1 = rp_min(cin, c0 + (v1 - v));
    v += c1 - c0;
    if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
      for (i = c0; i < c1; i += 4, dst += 8)
        dst[0] = dst[1] = 0;
    } else {
      const int8_t *x = rp_view_pixel(in, iy, ix, cin);
      for (i = c0; i < c1; i += 4, dst += 8) {
        const uint32_t xv = rp_load32(x + i);
        dst[0] = rp_sxtab16(off, xv);
        dst[1] = rp_sxtab16(off, rp_ror8(xv));
      }
    }
  }
}

/* The outputs of the four pixels (oy, ox .. ox + 3), the window in chunks (`fast`: as for
 * rp_quad_loop, which then runs each chunk's channels). */
RP_INLINE void rp_conv_quad_chunks(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                   int32_t oy, int32_t ox, int32_t full, int32_t fast) {
  uint32_t buf[2 * RP_QCHUNK];
  int32_t part[RP_QBLOCK][4];
  static const int16_t no_tails[4][4];
  const int32_t n = p->k_h * p->k_w * p->in_c, cs = p->out_c, zp1 = 2 * p->out_zp + 1;
  const int32_t lo = p->act_min, hi = p->act_max;
  int8_t *const d = rp_view_pixel(out, oy, ox, cs);
  int32_t o0, v0, o, j;
  for (o0 = 0; o0 < cs; o0 += RP_QBLOCK) {
    const int32_t ob = rp_min(RP_QBLOCK, cs - o0);
    for (v0 = 0; v0 < n; v0 += RP_QCHUNK) {
      const int32_t len = rp_min(RP_QCHUNK, n - v0);
      for (j = 0; j < 4; ++j)
        rp_gather_lanes_range(p, in, oy, ox + j, j, buf, v0, v0 + len);
#if defined(RP_QUAD_LOOP)
      if (fast) {
        rp_quad_job job;
        rp_quad_job_init(&job, p, d, buf);
        job.end = d + o0 + ob;
        job.groups = (len >> 2) - 1;
        job.w = p->weights + o0 * n + v0;
        job.d = d + o0;
        job.part = (uint32_t)(uintptr_t)part - 16u * (uint32_t)(uintptr_t)(d + o0);
        job.flags = (v0 > 0 ? 1 : 0) | (v0 + len < n ? 2 : 0);
        job.wskip = n - len;
        rp_quad_chunk_loop(&job);
        continue;
      }
#else
      (void)fast;
#endif
      for (o = 0; o < ob; ++o) {
        int32_t *const acc = part[o];
        if (v0 == 0)
          acc[0] = acc[1] = acc[2] = acc[3] = p->bias[o0 + o];
        (void)rp_quad_dot(buf, no_tails, p->weights + (o0 + o) * n + v0, len, acc);
        if (v0 + len == n)
          rp_quad_out(p, o0 + o, d + o0 + o, acc, p->mult[o0 + o], p->shift[o0 + o], cs, zp1,
                      lo, hi, full);
      }
    }
  }
}

static RP_NOINLINE void rp_conv_quad_chunks_s8(const rp_conv_params *p, const rp_view *in,
                                               rp_view *out, int32_t oy, int32_t ox,
                                               int32_t fast) {
  if (p->act_min == -128 && p->act_max == 127)
    rp_conv_quad_chunks(p, in, out, oy, ox, /*full=*/1, fast);
  else
    rp_conv_quad_chunks(p, in, out, oy, ox, /*full=*/0, /*fast=*/0);
}

/* groups == 1, n > RP_QUAD_MAX, in_c % 4 == 0: the region's rows four pixels at a time,
 * the last one to three as pairs or (windows longer than the pairs' buffer) columns. */
static void rp_conv_quads_long_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                  const rp_region *region) {
  const int32_t n = p->k_h * p->k_w * p->in_c;
  const int32_t fast = rp_fast_outputs(p); /* rp_quad_chunk_loop's case */
  int32_t oy, ox;
  for (oy = region->row0; oy < region->row1; ++oy) {
    for (ox = region->col0; ox + 4 <= region->col1; ox += 4)
      rp_conv_quad_chunks_s8(p, in, out, oy, ox, fast);
    if (region->col1 - ox == 3 && region->col1 - region->col0 >= 4) {
      /* three left: a quad that ends at the region's edge, as in rp_conv_quads_s8 */
      rp_conv_quad_chunks_s8(p, in, out, oy, region->col1 - 4, fast);
    } else if (ox < region->col1 && n <= RP_PAIR_MAX) {
      for (; ox < region->col1; ox += 2)
        rp_conv_pair_s8(p, in, out, oy, ox, ox + 1 < region->col1);
    } else if (ox < region->col1) {
      /* (A window longer than rp_conv_columns_s8's column, e.g. 3 x 3 x 160: the portable
       * loops, for the one or two pixels left.) */
      const rp_region rest = {oy, oy + 1, ox, region->col1};
      if (n <= RP_COL_MAX)
        rp_conv_columns_s8(p, in, out, &rest);
      else
        rp_conv_portable_s8(p, in, out, &rest);
    }
  }
}
#endif



#if RP_USE_DSP
/* Short windows (groups == 1, taps < 16, as in stem convolutions with one to three input
 * channels) and at most RP_SMALL_COUT output channels: the weights are packed once per call
 * into int16 pairs, RP_SMALL_WORDS words per channel (zeros past the taps), and each output
 * pixel's window is gathered as int16 (x - zp) pairs in the same order, so that every
 * channel is RP_SMALL_WORDS SMLADs without the four-channel and column overheads. */
#define RP_SMALL_WORDS 8
#define RP_SMALL_COUT 32

/* Packs two int16 values into one word (a in the bottom halfword). */
static inline uint32_t rp_pack16(int32_t a, int32_t b) {
  return ((uint32_t)a & 0xFFFFu) | ((uint32_t)b << 16);
}

/* The region with `words` (a constant at the call sites: 5 for up to 10 taps, else 8) words
 * per window. */
RP_INLINE void rp_conv_small_rows(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                  const rp_region *region, const uint32_t *wtab, int32_t words,
                                  int32_t fast) {
  const int32_t cin = p->in_c, cout = p->out_c, kw = p->k_w, kh = p->k_h, in_zp = p->in_zp;
  const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max, sx = p->dil_w * cin;
  const int32_t zp1 = 2 * zp + 1;
  const int32_t *const bias = p->bias, *const mult = p->mult, *const shift = p->shift;
  int16_t col[2 * RP_SMALL_WORDS];
  int32_t oy, ox, o, ky, kx, i, j;
  memset(col, 0, sizeof col); /* the values past the taps stay zero */
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      uint32_t cw[RP_SMALL_WORDS];
      int8_t *dst = rp_view_pixel(out, oy, ox, cout);
      const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
      int32_t kx0 = 0, kx1 = kw;
      /* The taps inside the tensor along x: one run [kx0, kx1), the same for every row. */
      while (kx0 < kx1 && ix0 + kx0 * p->dil_w < 0)
        ++kx0;
      while (kx1 > kx0 && ix0 + (kx1 - 1) * p->dil_w >= p->in_w)
        --kx1;
      /* Taps outside the tensor are zero: the whole window is cleared first unless it lies
       * inside (one constant-size memset, inlined as stores). */
      if (kx0 != 0 || kx1 != kw || iy0 < 0 || iy0 + (kh - 1) * p->dil_h >= p->in_h)
        memset(col, 0, sizeof col);
      for (ky = 0; ky < kh; ++ky) {
        const int32_t iy = iy0 + ky * p->dil_h;
        const int8_t *x;
        int16_t *c;
        if (iy < 0 || iy >= p->in_h || kx0 == kx1)
          continue;
        x = rp_view_pixel(in, iy, ix0 + kx0 * p->dil_w, cin);
        c = col + (ky * kw + kx0) * cin;
        if (sx == cin) { /* dilation 1: the row's taps are one run of bytes */
          const int32_t run = (kx1 - kx0) * cin;
          for (i = 0; i < run; ++i)
            c[i] = (int16_t)((int32_t)x[i] - in_zp);
          continue;
        }
        for (kx = kx0; kx < kx1; ++kx, x += sx, c += cin)
          for (i = 0; i < cin; ++i)
            c[i] = (int16_t)((int32_t)x[i] - in_zp);
      }
      RP_UNROLL(8)
      for (j = 0; j < words; ++j)
        cw[j] = rp_pack16(col[2 * j], col[2 * j + 1]);
      for (o = 0; o < cout; ++o) {
        const uint32_t *w = wtab + o * words;
        int32_t acc = bias[o];
        RP_UNROLL(8)
        for (j = 0; j < words; ++j)
          acc = rp_smlad(cw[j], w[j], acc);
        dst[o] = rp_out_s8(acc, mult[o], shift[o], zp, zp1, lo, hi, fast, fast);
      }
    }
}

static RP_NOINLINE void rp_conv_small_s8(const rp_conv_params *p, const rp_view *in,
                                         rp_view *out, const rp_region *region) {
  const int32_t taps = p->k_h * p->k_w * p->in_c, words = taps <= 10 ? 5 : RP_SMALL_WORDS;
  uint32_t wtab[RP_SMALL_COUT * RP_SMALL_WORDS];
  int32_t o, j;
  /* The caller's condition again: under RP_SINGLE_TU, GCC clones this function with the
   * constant params of every conv and would otherwise see buffer bounds exceeded in the
   * clones of layers that never come here (-Werror=array-bounds). */
  if (taps >= 2 * RP_SMALL_WORDS || p->out_c > RP_SMALL_COUT)
    return;
  for (o = 0; o < p->out_c; ++o)
    for (j = 0; j < words; ++j) {
      const int8_t *w = p->weights + o * taps;
      wtab[o * words + j] =
          rp_pack16(2 * j < taps ? w[2 * j] : 0, 2 * j + 1 < taps ? w[2 * j + 1] : 0);
    }
  if (rp_fast_outputs(p)) {
    if (words == 5)
      rp_conv_small_rows(p, in, out, region, wtab, 5, /*fast=*/1);
    else
      rp_conv_small_rows(p, in, out, region, wtab, RP_SMALL_WORDS, /*fast=*/1);
  } else if (words == 5) {
    rp_conv_small_rows(p, in, out, region, wtab, 5, /*fast=*/0);
  } else {
    rp_conv_small_rows(p, in, out, region, wtab, RP_SMALL_WORDS, /*fast=*/0);
  }
}
#endif

#if RP_USE_DSP
/* 3x3 stems on one input channel (groups == 1, in_c == 1, dilation 1, any stride up to 64)
 * with at most RP_SMALL_COUT output channels, in strips of the region whose rows span at
 * most RP_STEM_COLS input columns: each input row a strip reads is converted once to int16
 * (x - zp, zero outside the tensor) into one of three row buffers (kept from one output row
 * to the next), so that
 * a window is five words: three loaded as they are (columns 0 and 1 of each row), one packed
 * (column 2 of rows 0 and 1) and one half-word (column 2 of row 2). Once per call every
 * output channel's weights are packed in that order into a record with its bias and
 * requantisation constants, so that each channel is one record walk of five SMLADs. */
#define RP_STEM_COLS 124 /* three rows of RP_STEM_COLS + 4 int16 values: 768 bytes of stack */
#define RP_STEM_REC 9    /* words per channel: 5 weight pairs, bias, mult, hc, k */

/* Input row iy of the region as int16 into row[0 .. ncols] (value j: column xs + j; the
 * columns inside the tensor are [j0, j1); one zero past the last window's values). */
static void rp_stem3_convert(const rp_conv_params *p, const rp_view *in, int32_t iy, int32_t xs,
                             int32_t j0, int32_t j1, int32_t ncols, int16_t *row) {
  const uint32_t off = rp_pack_offset(-p->in_zp);
  int32_t j = 0;
  if (iy >= 0 && iy < p->in_h && j0 < j1) {
    const int8_t *x = rp_view_pixel(in, iy, xs + j0, 1); /* value j0 */
    for (; j < j0; ++j)
      row[j] = 0;
    for (; j + 4 <= j1; j += 4) { /* four values per load, back in natural order */
      const uint32_t v = rp_load32(x + (j - j0)), e02 = rp_sxtab16(off, v);
      const uint32_t e13 = rp_sxtab16_ror8(off, v);
      const uint32_t lo = (e02 & 0xFFFFu) | (e13 << 16), hi = (e02 >> 16) | (e13 & 0xFFFF0000u);
      memcpy(row + j, &lo, sizeof lo);
      memcpy(row + j + 2, &hi, sizeof hi);
    }
    for (; j < j1; ++j)
      row[j] = (int16_t)((int32_t)x[j - j0] - p->in_zp);
  }
  for (; j <= ncols; ++j)
    row[j] = 0;
}

RP_INLINE void rp_stem3_rows(const rp_conv_params *p, const rp_view *in, rp_view *out,
                             const rp_region *region, const int32_t *rec, int32_t fast) {
  const int32_t cout = p->out_c, sw = p->stride_w, zp = p->out_zp, lo = p->act_min;
  const int32_t hi = p->act_max;
  const int32_t xs = region->col0 * sw - p->pad_left; /* input column of row value 0 */
  const int32_t ncols = (region->col1 - region->col0 - 1) * sw + 3;
  const int32_t j0 = rp_max(0, -xs), j1 = rp_min(ncols, p->in_w - xs); /* inside: [j0, j1) */
  const int32_t *const rec_end = rec + RP_STEM_REC * cout;
  int16_t rows[3][RP_STEM_COLS + 4];
  int32_t held[3] = {INT32_MIN, INT32_MIN, INT32_MIN}; /* the input row each buffer holds */
  int32_t oy, ox, r;
  if (ncols > RP_STEM_COLS || region->col1 <= region->col0) /* the caller's condition */
    return;
  for (oy = region->row0; oy < region->row1; ++oy) {
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int16_t *rp[3];
    int8_t *dst = rp_view_pixel(out, oy, region->col0, cout);
    for (r = 0; r < 3; ++r) {
      const int32_t iy = iy0 + r, slot = ((iy % 3) + 3) % 3;
      if (held[slot] != iy) {
        rp_stem3_convert(p, in, iy, xs, j0, j1, ncols, rows[slot]);
        held[slot] = iy;
      }
      rp[r] = rows[slot];
    }
    for (ox = 0; ox < region->col1 - region->col0; ++ox, dst += cout) {
      const int16_t *r0 = rp[0] + ox * sw, *r1 = rp[1] + ox * sw, *r2 = rp[2] + ox * sw;
      const uint32_t a = rp_load32(r0), b = rp_load32(r1), d = rp_load32(r2);
      const uint32_t e = ((uint32_t)rp_load32(r0 + 2) & 0xFFFFu) | (rp_load32(r1 + 2) << 16);
      const uint32_t f = (uint32_t)(uint16_t)r2[2];
      const int32_t *c = rec;
      int8_t *y = dst;
      for (; c < rec_end; c += RP_STEM_REC, ++y) {
        int32_t acc = rp_smlad(a, (uint32_t)c[0], c[5]), v;
        acc = rp_smlad(b, (uint32_t)c[1], acc);
        acc = rp_smlad(d, (uint32_t)c[2], acc);
        acc = rp_smlad(e, (uint32_t)c[3], acc);
        acc = rp_smlad(f, (uint32_t)c[4], acc);
        /* fast: floor((acc * mult + hc * 2^32) / 2^(32 + k)) (SMMLA), rp_out_s8's value
         * when no channel can meet a tie and the clamp is full (rp_stem3_s8); else
         * rp_out_s8 with the record's hc and k in its common case (k > 0), else with the
         * shift in place of hc (k = 0), any clamp. */
        if (fast) {
          v = rp_asr(rp_smmla(acc, c[6], c[7]), c[8]);
          *y = (int8_t)rp_ssat(v, 8);
        } else {
          if (RP_LIKELY(c[8] > 0))
            v = rp_requant_hi(acc, c[6], c[7], c[8]);
          else
            v = rp_requant_inline(acc, c[6], c[7]) + zp;
          *y = (int8_t)rp_clamp(v, lo, hi);
        }
      }
    }
  }
}

static RP_NOINLINE void rp_stem3_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                    const rp_region *region) {
  int32_t rec[RP_SMALL_COUT * RP_STEM_REC];
  int32_t o, fast = rp_fast_outputs(p);
  rp_region strip;
  if (p->out_c > RP_SMALL_COUT) /* as in rp_conv_small_s8 */
    return;
  for (o = 0; o < p->out_c; ++o) { /* the window's order: see rp_stem3_rows */
    const int8_t *w = p->weights + 9 * o;
    int32_t *c = rec + RP_STEM_REC * o;
    const int32_t m = p->mult[o], s = p->shift[o], k = -1 - s;
    const int32_t common = (uint32_t)(s + 23) < 22u; /* rp_out_s8's common case: k in [1, 22] */
    int32_t t = 0;
    c[0] = (int32_t)rp_pack16(w[0], w[1]);
    c[1] = (int32_t)rp_pack16(w[3], w[4]);
    c[2] = (int32_t)rp_pack16(w[6], w[7]);
    c[3] = (int32_t)rp_pack16(w[2], w[5]);
    c[4] = (int32_t)rp_pack16(w[8], 0);
    c[5] = p->bias[o];
    c[6] = m;
    c[7] = common ? (2 * p->out_zp + 1) * ((int32_t)1 << (k - 1)) : s; /* hc, or the shift */
    c[8] = common ? k : 0;
    if (!fast)
      continue;
    /* rp_requant_hi without its [acc < 0] term is exact unless acc * m is an odd multiple
     * of 2^(31 + k), which needs t trailing zero bits in m with 31 + k - t <= 30 (|acc| <
     * 2^31); fast layers have k in [1, 22] (rp_fast_outputs). */
    while (m != 0 && t < 31 && ((m >> t) & 1) == 0)
      ++t;
    if (31 + k - t <= 30)
      fast = 0;
  }
  /* Strips of the region's columns whose rows fit the row buffers. */
  strip.row0 = region->row0, strip.row1 = region->row1;
  for (strip.col0 = region->col0; strip.col0 < region->col1; strip.col0 = strip.col1) {
    strip.col1 = rp_min(region->col1, strip.col0 + (RP_STEM_COLS - 3) / p->stride_w + 1);
    if (fast)
      rp_stem3_rows(p, in, out, &strip, rec, /*fast=*/1);
    else
      rp_stem3_rows(p, in, out, &strip, rec, /*fast=*/0);
  }
}
#endif

RP_API void rp_conv_general_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                               const rp_region *region) {
  const int32_t taps = p->k_h * p->k_w * (p->in_c / p->groups);
  (void)taps; /* (read only by the SIMD and DSP paths) */
#if defined(RP_HOST_SIMD)
  if (rp_host_packs(p->groups, p->k_h, p->k_w, p->in_c)) {
    rp_host_conv_t_s8(p, in, out, region);
    return;
  }
  if (p->groups == 1 && taps <= RP_HOST_MAX_N && p->out_c <= RP_HOST_MAX_C) {
    rp_host_conv_s8(p, in, out, region);
    return;
  }
#endif
#if RP_USE_DSP
  if (p->groups == 1 && taps >= 16 && taps <= RP_QUAD_MAX) { /* short windows: per pixel */
    rp_conv_quads_s8(p, in, out, region);
    return;
  }
  if (p->groups == 1 && taps > RP_QUAD_MAX && (p->in_c & 3) == 0) { /* long windows */
    rp_conv_quads_long_s8(p, in, out, region);
    return;
  }
  if (p->groups == 1 && taps >= 16 && taps <= RP_PAIR_MAX) {
    rp_conv_pairs_s8(p, in, out, region);
    return;
  }
  if (p->groups == 1 && p->in_c == 1 && p->k_h == 3 && p->k_w == 3 && p->dil_h == 1 &&
      p->dil_w == 1 && p->out_c <= RP_SMALL_COUT && p->stride_w <= 64) {
    rp_stem3_s8(p, in, out, region);
    return;
  }
  if (p->groups == 1 && taps < 2 * RP_SMALL_WORDS && p->out_c <= RP_SMALL_COUT) {
    rp_conv_small_s8(p, in, out, region);
    return;
  }
  if (p->groups == 1 && taps <= RP_COL_MAX) {
    rp_conv_columns_s8(p, in, out, region);
    return;
  }
#endif
  rp_conv_portable_s8(p, in, out, region);
}

#if RP_USE_DSP
/* Taps of a depthwise window kept as pointers (7 x 7 at most; larger kernels use the
 * portable loops). */
#define RP_DW_MAX_TAPS 49

/* One depthwise tap of four channels: a[r] += (x[r] - zp) * w[r] (off = -zp, packed). */
RP_INLINE void rp_dw_tap(const int8_t *x, const int8_t *w, uint32_t off, int32_t *a) {
  const uint32_t xv = rp_load32(x), wv = rp_load32(w);
  const uint32_t x02 = rp_sxtab16(off, xv), x13 = rp_sxtab16_ror8(off, xv);
  const uint32_t w02 = rp_sxtb16(wv), w13 = rp_sxtb16_ror8(wv);
  a[0] = rp_smlabb((int32_t)x02, (int32_t)w02, a[0]);
  a[2] = rp_smlatt((int32_t)x02, (int32_t)w02, a[2]);
  a[1] = rp_smlabb((int32_t)x13, (int32_t)w13, a[1]);
  a[3] = rp_smlatt((int32_t)x13, (int32_t)w13, a[3]);
}

/* One row of a 3x3 depthwise window for two output pixels and one half of a group of four
 * channels (lanes 0 and 2, or with `odd` lanes 1 and 3): the row's three weight words are
 * loaded and sign-extended once and serve both pixels; the input columns 0 .. 2 + s (s the
 * stride, 1 or 2, a constant at the call sites) are loaded and extended once, pixel 0 using
 * columns 0 .. 2 and pixel 1 columns s .. s + 2. a[0], a[1]: pixel 0's low and high lanes;
 * a[2], a[3]: pixel 1's. */
RP_INLINE void rp_dw3_row2(const int8_t *x, const int8_t *w, int32_t c, int32_t s, int32_t odd,
                           uint32_t off, int32_t *a) {
#if defined(__ARM_FEATURE_DSP) && !defined(RP_NO_DSP) && defined(__GNUC__)
  /* As inline assembly, 27 (stride 1) or 28 (stride 2) instructions with the three
   * extended weights in registers: GCC otherwise hoists every load and spills. */
  int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  uint32_t w0, w1, w2, t;
/* clang-format off */
#define RP_DW3_LOADW(EXT)                                                                    \
  "ldr %[w0], [%[w]]\n\t"                                                                    \
  "ldr %[w1], [%[w], %[c]]\n\t"                                                              \
  "ldr %[w2], [%[w], %[c], lsl #1]\n\t"                                                      \
  "sxtb16 %[w0], %[w0]" EXT "\n\t"                                                           \
  "sxtb16 %[w1], %[w1]" EXT "\n\t"                                                           \
  "sxtb16 %[w2], %[w2]" EXT "\n\t"
#define RP_DW3_MAC(A, B, W)                                                                  \
  "smlabb %[" A "], %[t], %[" W "], %[" A "]\n\t"                                             \
  "smlatt %[" B "], %[t], %[" W "], %[" B "]\n\t"
#define RP_DW3_S1(EXT)                                                                       \
  RP_DW3_LOADW(EXT)                                                                          \
  "ldr %[t], [%[x]]\n\t"                                                                     \
  "sxtab16 %[t], %[off], %[t]" EXT "\n\t" RP_DW3_MAC("a0", "a1", "w0")                       \
  "ldr %[t], [%[x], %[c]]\n\t"                                                               \
  "sxtab16 %[t], %[off], %[t]" EXT "\n\t" RP_DW3_MAC("a0", "a1", "w1")                       \
      RP_DW3_MAC("a2", "a3", "w0")                                                           \
  "ldr %[t], [%[x], %[c], lsl #1]\n\t"                                                       \
  "sxtab16 %[t], %[off], %[t]" EXT "\n\t" RP_DW3_MAC("a0", "a1", "w2")                       \
      RP_DW3_MAC("a2", "a3", "w1")                                                           \
  "add %[t], %[x], %[c]\n\t"                                                                 \
  "ldr %[t], [%[t], %[c], lsl #1]\n\t"                                                       \
  "sxtab16 %[t], %[off], %[t]" EXT "\n\t" RP_DW3_MAC("a2", "a3", "w2")
#define RP_DW3_S2(EXT)                                                                       \
  RP_DW3_LOADW(EXT)                                                                          \
  "ldr %[t], [%[x]]\n\t"                                                                     \
  "sxtab16 %[t], %[off], %[t]" EXT "\n\t" RP_DW3_MAC("a0", "a1", "w0")                       \
  "ldr %[t], [%[x], %[c]]\n\t"                                                               \
  "sxtab16 %[t], %[off], %[t]" EXT "\n\t" RP_DW3_MAC("a0", "a1", "w1")                       \
  "ldr %[t], [%[x], %[c], lsl #1]\n\t"                                                       \
  "sxtab16 %[t], %[off], %[t]" EXT "\n\t" RP_DW3_MAC("a0", "a1", "w2")                       \
      RP_DW3_MAC("a2", "a3", "w0")                                                           \
  "add %[t], %[x], %[c]\n\t"                                                                 \
  "ldr %[t], [%[t], %[c], lsl #1]\n\t"                                                       \
  "sxtab16 %[t], %[off], %[t]" EXT "\n\t" RP_DW3_MAC("a2", "a3", "w1")                       \
  "ldr %[t], [%[x], %[c], lsl #2]\n\t"                                                       \
  "sxtab16 %[t], %[off], %[t]" EXT "\n\t" RP_DW3_MAC("a2", "a3", "w2")
#define RP_DW3_OPERANDS                                                                      \
  : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w0] "=&r"(w0),             \
    [w1] "=&r"(w1), [w2] "=&r"(w2), [t] "=&r"(t)                                             \
  : [x] "r"(x), [w] "r"(w), [c] "r"(c), [off] "r"(off)                                       \
  : "memory"
  /* clang-format on */
  if (s == 1 && odd)
    __asm__(RP_DW3_S1(", ror #8") RP_DW3_OPERANDS);
  else if (s == 1)
    __asm__(RP_DW3_S1("") RP_DW3_OPERANDS);
  else if (odd)
    __asm__(RP_DW3_S2(", ror #8") RP_DW3_OPERANDS);
  else
    __asm__(RP_DW3_S2("") RP_DW3_OPERANDS);
#undef RP_DW3_OPERANDS
#undef RP_DW3_S2
#undef RP_DW3_S1
#undef RP_DW3_MAC
#undef RP_DW3_LOADW
  a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
#else
  const uint32_t v0 = rp_load32(w), v1 = rp_load32(w + c), v2 = rp_load32(w + 2 * c);
  const uint32_t u0 = rp_load32(x), u1 = rp_load32(x + c), u2 = rp_load32(x + 2 * c);
  const uint32_t u3 = rp_load32(x + 3 * c), u4 = s == 2 ? rp_load32(x + 4 * c) : 0;
  const int32_t w0 = (int32_t)(odd ? rp_sxtb16_ror8(v0) : rp_sxtb16(v0));
  const int32_t w1 = (int32_t)(odd ? rp_sxtb16_ror8(v1) : rp_sxtb16(v1));
  const int32_t w2 = (int32_t)(odd ? rp_sxtb16_ror8(v2) : rp_sxtb16(v2));
  const int32_t x0 = (int32_t)(odd ? rp_sxtab16_ror8(off, u0) : rp_sxtab16(off, u0));
  const int32_t x1 = (int32_t)(odd ? rp_sxtab16_ror8(off, u1) : rp_sxtab16(off, u1));
  const int32_t x2 = (int32_t)(odd ? rp_sxtab16_ror8(off, u2) : rp_sxtab16(off, u2));
  const int32_t x3 = (int32_t)(odd ? rp_sxtab16_ror8(off, u3) : rp_sxtab16(off, u3));
  a[0] = rp_smlabb(x0, w0, a[0]);
  a[1] = rp_smlatt(x0, w0, a[1]);
  a[0] = rp_smlabb(x1, w1, a[0]);
  a[1] = rp_smlatt(x1, w1, a[1]);
  a[0] = rp_smlabb(x2, w2, a[0]);
  a[1] = rp_smlatt(x2, w2, a[1]);
  if (s == 1) {
    a[2] = rp_smlabb(x1, w0, a[2]);
    a[3] = rp_smlatt(x1, w0, a[3]);
    a[2] = rp_smlabb(x2, w1, a[2]);
    a[3] = rp_smlatt(x2, w1, a[3]);
    a[2] = rp_smlabb(x3, w2, a[2]);
    a[3] = rp_smlatt(x3, w2, a[3]);
  } else {
    const int32_t x4 = (int32_t)(odd ? rp_sxtab16_ror8(off, u4) : rp_sxtab16(off, u4));
    a[2] = rp_smlabb(x2, w0, a[2]);
    a[3] = rp_smlatt(x2, w0, a[3]);
    a[2] = rp_smlabb(x3, w1, a[2]);
    a[3] = rp_smlatt(x3, w1, a[3]);
    a[2] = rp_smlabb(x4, w2, a[2]);
    a[3] = rp_smlatt(x4, w2, a[3]);
  }
#endif
}

/* The nine taps of one half of a group of four channels for two output pixels (see
 * rp_dw3_row2): x0, x1, x2 the window rows of pixel 0 and w the group's first weights. */
RP_INLINE void rp_dw3_half(const int8_t *x0, const int8_t *x1, const int8_t *x2,
                           const int8_t *w, int32_t c, int32_t s, int32_t odd, uint32_t off,
                           int32_t *a) {
  rp_dw3_row2(x0, w, c, s, odd, off, a);
  rp_dw3_row2(x1, w + 3 * c, c, s, odd, off, a);
  rp_dw3_row2(x2, w + 6 * c, c, s, odd, off, a);
}

/* Requantises one channel of two output pixels with its constants read once (before the
 * stores, which as int8_t could alias them). */
RP_INLINE void rp_dw3_out2(const rp_conv_params *p, int32_t ch, int32_t a0, int32_t a1,
                           int8_t *d0, int8_t *d1, int32_t full, int32_t fast) {
  const int32_t m = p->mult[ch], sh = p->shift[ch], zp = p->out_zp, zp1 = 2 * zp + 1;
  const int8_t v0 = rp_out_s8(a0, m, sh, zp, zp1, p->act_min, p->act_max, full, fast);
  const int8_t v1 = rp_out_s8(a1, m, sh, zp, zp1, p->act_min, p->act_max, full, fast);
  d0[ch] = v0;
  d1[ch] = v1;
}

/* Two horizontally adjacent output pixels of a 3x3 depthwise layer whose windows lie inside
 * the input (dilation 1 along rows, stride s of 1 or 2, a constant at the call sites): x0,
 * x1, x2 are the rows of pixel 0's window, d0 and d1 the two output pixels. Every four
 * channels run in two halves of four accumulators (the even lanes, then the odd ones), so
 * that each weight load and extension serves both pixels and, with stride 1, each input
 * column serves two taps of each row; the two pixels share each channel's requantisation
 * constants. */
RP_INLINE void rp_dw3_pair(const rp_conv_params *p, const int8_t *x0, const int8_t *x1,
                           const int8_t *x2, int8_t *d0, int8_t *d1, int32_t s, uint32_t off,
                           int32_t full, int32_t fast) {
  const int32_t c = p->in_c, c4 = c & ~3;
  const int32_t *const bias = p->bias;
  const int8_t *const w = p->weights;
  int32_t ch, r, k;
  for (ch = 0; ch < c4; ch += 4) {
    const int32_t cc = rp_opaque(c); /* computed addresses, not one pointer per tap */
    int32_t a[4];
    a[0] = a[2] = bias[ch];
    a[1] = a[3] = bias[ch + 2];
    rp_dw3_half(x0 + ch, x1 + ch, x2 + ch, w + ch, cc, s, /*odd=*/0, off, a);
    rp_dw3_out2(p, ch, a[0], a[2], d0, d1, full, fast);
    rp_dw3_out2(p, ch + 2, a[1], a[3], d0, d1, full, fast);
    a[0] = a[2] = bias[ch + 1];
    a[1] = a[3] = bias[ch + 3];
    rp_dw3_half(x0 + ch, x1 + ch, x2 + ch, w + ch, rp_opaque(cc), s, /*odd=*/1, off, a);
    rp_dw3_out2(p, ch + 1, a[0], a[2], d0, d1, full, fast);
    rp_dw3_out2(p, ch + 3, a[1], a[3], d0, d1, full, fast);
  }
  for (ch = c4; ch < c; ++ch) {
    const int8_t *const xs[3] = {x0, x1, x2};
    int32_t a0 = bias[ch], a1 = bias[ch];
    for (r = 0; r < 3; ++r)
      for (k = 0; k < 3; ++k) {
        const int32_t wk = w[(3 * r + k) * c + ch];
        a0 += ((int32_t)xs[r][k * c + ch] - p->in_zp) * wk;
        a1 += ((int32_t)xs[r][(k + s) * c + ch] - p->in_zp) * wk;
      }
    rp_dw3_out2(p, ch, a0, a1, d0, d1, full, fast);
  }
}

/* rp_dw3_pair for a layer whose shifts are all in rp_out_s8's common case, one copy per
 * stride and clamp (out of line: the depthwise loops below call it from two variants). */
static RP_NOINLINE void rp_dw3_pair_fast(const rp_conv_params *p, const int8_t *x0,
                                         const int8_t *x1, const int8_t *x2, int8_t *d0,
                                         int8_t *d1, uint32_t off) {
  const int32_t full = p->act_min == -128 && p->act_max == 127;
  if (p->stride_w == 1 && full)
    rp_dw3_pair(p, x0, x1, x2, d0, d1, /*s=*/1, off, /*full=*/1, /*fast=*/1);
  else if (p->stride_w == 1)
    rp_dw3_pair(p, x0, x1, x2, d0, d1, /*s=*/1, off, /*full=*/0, /*fast=*/1);
  else if (full)
    rp_dw3_pair(p, x0, x1, x2, d0, d1, /*s=*/2, off, /*full=*/1, /*fast=*/1);
  else
    rp_dw3_pair(p, x0, x1, x2, d0, d1, /*s=*/2, off, /*full=*/0, /*fast=*/1);
}

/* Channels up to which a pair of border pixels (windows partly outside the input) is
 * computed by rp_dw3_pair on a copy of its windows with the padding filled in: 3 rows of
 * 5 pixels, 960 bytes of stack. */
#define RP_DW_PAD_MAX_C 64

/* Output pixels (oy, ox) and (oy, ox + 1) of a 3x3 depthwise layer (rp_dw3_pair's
 * conditions) whose windows reach into the padding: the 3 + stride input columns from ix0
 * of the three window rows from iy0 are copied into one buffer, the input zero point where
 * they lie outside the tensor (it contributes (zp - zp) * w = 0, as a skipped tap does), and
 * the pair runs on the copy. */
static RP_NOINLINE void rp_dw3_pair_padded(const rp_conv_params *p, const rp_view *in,
                                           int32_t iy0, int32_t ix0, int8_t *d0, uint32_t off) {
  int8_t buf[3 * 5 * RP_DW_PAD_MAX_C];
  const int32_t c = p->in_c, cols = 3 + p->stride_w, row = cols * c;
  int32_t r, j0 = 0, j1 = cols;
  if (c > RP_DW_PAD_MAX_C || cols > 5) /* the caller's condition */
    return;
  while (j0 < j1 && ix0 + j0 < 0)
    ++j0;
  while (j1 > j0 && ix0 + j1 - 1 >= p->in_w)
    --j1;
  for (r = 0; r < 3; ++r) {
    int8_t *b = buf + r * row;
    const int32_t iy = iy0 + r * p->dil_h;
    if (iy < 0 || iy >= p->in_h || j0 == j1) {
      memset(b, (int8_t)p->in_zp, (size_t)row);
      continue;
    }
    memset(b, (int8_t)p->in_zp, (size_t)(j0 * c));
    rp_copy_run(b + j0 * c, rp_view_pixel(in, iy, ix0 + j0, c), (j1 - j0) * c);
    memset(b + j1 * c, (int8_t)p->in_zp, (size_t)((cols - j1) * c));
  }
  rp_dw3_pair_fast(p, buf, buf + row, buf + 2 * row, d0, d0 + c, off);
}

/* 3x3 depthwise, stride 1 and dilation 1, through channel planes. One channel at a time,
 * the input rows of a chunk of output rows are gathered into a plane on the stack, padded
 * with the input zero point, so that border windows need no case of their own; the zero
 * point's products are taken off the bias once per channel (sum (x - zp) w = sum x w -
 * zp sum w; a partial sum is then bias + sum over the taps done of (x - zp) w - zp times
 * the others' w, within the quantiser's bound |bias| + max |x - zp| sum |w| since
 * |zp| <= max |x - zp|). A window row's bytes p0 p1 p2 p3 then serve two neighbouring output pixels:
 * one load and two SXTB16 give (p0, p2) and (p1, p3), and with the row's weights packed as
 * (w0, w2) and w1 the two pixels' six products are four instructions:
 *   pixel 0: SMLAD (p0, p2).(w0, w2), SMLABB p1 * w1
 *   pixel 1: SMLAD (p1, p3).(w0, w2), SMLATB p2 * w1
 * An output row's sums go to an int32 row first (the weights stay in registers along the
 * row), then are requantised in a second loop (both in rp_dw3_rows).
 * Where it runs (rp_dw3_planes_apply and RP_DW_PLANE_MIN_OUTPUTS) is measured: on
 * mobilenet_v2_224 in QEMU its stride-1 layers take fewer instructions than with the pixel
 * pairs below (about 18 % in whole maps; in one-row bands, 15 % over 56 columns, the same
 * over 28, 30 % more over 14: each channel's setup and three gathered rows are then shared
 * by few outputs), but stride-2 layers took up to 1.7x more (a 112-column stride-2 plane
 * holds one output row, so each input row is gathered for two). */
#define RP_DW_PLANE_BYTES 1024
/* Output columns per chunk, and the int32 row of their sums. */
#define RP_DW_COLS 128
/* Outputs (rows times columns) from which a region runs through planes. */
#define RP_DW_PLANE_MIN_OUTPUTS 48
/* Plane bytes after a row's last window column: the word load of an odd row's last pixel
 * reads one byte past it. */
#define RP_DW_PLANE_SLACK 4

/* A 3x3 channel's weights as rp_dw3_sums takes them: w02[r] = (w[r][0], w[r][2]), and the
 * middle column as m01 = (w[0][1], w[1][1]), m2 = (w[2][1], 0). */
typedef struct {
  uint32_t w02[3], m01, m2;
} rp_dw3_taps;

/* One window row of a pair of 3x3 depthwise sums (rp_dw3_sums, rp_dw3_rows), every operand a
 * register's spelling: LOAD puts the row's word p0 p1 p2 p3 in V, split into (p0, p2) in E
 * and (p1, p3) in V; the sums A0 and A1 start from ACC0 and ACC1 (the bias, or themselves);
 * W is the row's (w0, w2), MB, MT and M its middle column's instructions and weights. */
#define RP_DW3_PAIR_ROW(LOAD, A0, A1, E, V, ACC0, ACC1, W, MB, MT, M)                          \
  LOAD                                                                                         \
  "sxtb16 " E ", " V "\n\t"                                                                    \
  "sxtb16 " V ", " V ", ror #8\n\t"                                                            \
  "smlad " A0 ", " E ", " W ", " ACC0 "\n\t"                                                   \
  "smla" MB " " A0 ", " V ", " M ", " A0 "\n\t"                                                \
  "smlad " A1 ", " V ", " W ", " ACC1 "\n\t"                                                   \
  "smla" MT " " A1 ", " E ", " M ", " A1 "\n\t"

/* bias + the window sums sum x w of output pixels [0, 2 pairs) of one row of one channel
 * into acc: p is pixel 0's first window row in the plane, rows ws bytes apart. */
static RP_NOINLINE void rp_dw3_sums(const int8_t *p, int32_t ws, int32_t bias, int32_t *acc,
                                    int32_t pairs, const rp_dw3_taps *t) {
#if defined(__ARM_FEATURE_DSP) && !defined(RP_NO_DSP) && defined(__GNUC__)
  /* As inline assembly, 25 instructions a pair: in C, GCC spills the five weight words. */
  const int32_t *const end = acc + 2 * pairs;
  int32_t a0, a1;
  uint32_t v, e;
/* clang-format off */
/* One window row: (p0, p2) in e, (p1, p3) in v. The first row's SMLADs start from the
 * bias (ACC0, ACC1), the others' from the sums. */
#define RP_DW3_ROW(ADDR, ACC0, ACC1, W, MB, MT, M)                                           \
  RP_DW3_PAIR_ROW("ldr %[v], " ADDR "\n\t", "%[a0]", "%[a1]", "%[e]", "%[v]", "%[" ACC0 "]",  \
                  "%[" ACC1 "]", "%[" W "]", MB, MT, "%[" M "]")
  __asm__ volatile(
      "1:\n\t"
      RP_DW3_ROW("[%[p]]", "bias", "bias", "w0", "bb", "tb", "m01")
      RP_DW3_ROW("[%[p], %[ws]]", "a0", "a1", "w1", "bt", "tt", "m01")
      RP_DW3_ROW("[%[p], %[ws], lsl #1]", "a0", "a1", "w2", "bb", "tb", "m2")
      "adds %[p], %[p], #2\n\t"
      "strd %[a0], %[a1], [%[acc]], #8\n\t"
      "cmp %[acc], %[end]\n\t"
      "blo 1b\n\t"
      : [a0] "=&r"(a0), [a1] "=&r"(a1), [v] "=&r"(v), [e] "=&r"(e), [p] "+r"(p),
        [acc] "+r"(acc)
      : [end] "r"(end), [ws] "r"(ws), [bias] "r"(bias), [w0] "r"(t->w02[0]),
        [w1] "r"(t->w02[1]), [w2] "r"(t->w02[2]), [m01] "r"(t->m01), [m2] "r"(t->m2)
      : "memory", "cc");
#undef RP_DW3_ROW
  /* clang-format on */
#else
  int32_t i, r;
  for (i = 0; i < pairs; ++i, p += 2) {
    int32_t a0 = bias, a1 = bias;
    for (r = 0; r < 3; ++r) {
      const uint32_t v = rp_load32(p + r * ws);
      const int32_t e = (int32_t)rp_sxtb16(v), o = (int32_t)rp_sxtb16_ror8(v);
      const int32_t m = (int32_t)(r == 2 ? t->m2 : t->m01);
      a0 = rp_smlad((uint32_t)e, t->w02[r], a0);
      a1 = rp_smlad((uint32_t)o, t->w02[r], a1);
      a0 = r == 1 ? rp_smlabt(o, m, a0) : rp_smlabb(o, m, a0);
      a1 = r == 1 ? rp_smlatt(e, m, a1) : rp_smlatb(e, m, a1);
    }
    acc[2 * i] = a0;
    acc[2 * i + 1] = a1;
  }
#endif
}

/* Bytes [j, end) of a plane row set to the zero point, four (zp4) at a time: word stores,
 * not memset calls (the spans are a few bytes). The last word ends at `end` (end >= 4), so
 * it may rewrite bytes before j. */
RP_INLINE void rp_dw3_fill(int8_t *row, int32_t j, int32_t end, uint32_t zp4) {
  for (; j < end; j += 4)
    memcpy(row + rp_min(j, end - 4), &zp4, sizeof zp4);
}

/* Entry and exit of the depthwise assembly loops over a job (r0): the job's address stays at
 * [sp], reloaded into r0 at label 1, where each row starts. */
#define RP_JOB_ENTRY                                                                           \
  "push {r0, r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"                                        \
  "1:\n\t"                                                                                     \
  "ldr r0, [sp]\n\t"
#define RP_JOB_EXIT "pop {r0, r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"

/* Plane rows gathered from input rows inside the tensor (rp_dw3_gather_rows). */
typedef struct {
  int8_t *plane;     /* the next plane row */
  const int8_t *src; /* the next input row's byte for plane column j0 */
  int32_t rows;      /* rows left, at least one */
  int32_t ws;        /* the plane's row stride, cols + RP_DW_PLANE_SLACK */
  int32_t srow;      /* the input's row stride */
  int32_t c;         /* the input's pixel stride */
  uint32_t zp4;      /* the input zero point in four bytes */
  int32_t j0, n8, tail, j1, cols; /* columns [j0, j1) from the input: n8 + tail of them */
} rp_dw3_gather_job;

/* The job's rows, any padding (rp_dw3_gather_rows's portable form). */
static void rp_dw3_gather_rows_c(const rp_dw3_gather_job *g) {
  int32_t r, j;
  for (r = 0; r < g->rows; ++r) {
    int8_t *const row = g->plane + r * g->ws;
    const int8_t *x = g->src + r * g->srow;
    rp_dw3_fill(row, g->j1, g->ws, g->zp4);
    for (j = 0; j < g->j0; j += 4) /* up to 3 bytes past j0 (< ws), rewritten below */
      memcpy(row + j, &g->zp4, sizeof g->zp4);
    for (j = g->j0; j < g->j1; ++j, x += g->c)
      row[j] = *x;
  }
}

#if defined(__ARM_FEATURE_DSP) && !defined(RP_NO_DSP) && defined(__GNUC__)
/* The assembly reads the job by offset (one LDM) and steps plane, src and rows in it (the
 * callers set them again for each run); the store at `cols` ends the row only with a slack
 * of four bytes. */
typedef char rp_dw3_gather_job_layout[offsetof(rp_dw3_gather_job, src) == 4 &&
                                              offsetof(rp_dw3_gather_job, cols) == 44 &&
                                              RP_DW_PLANE_SLACK == 4
                                          ? 1
                                          : -1];

/* Four bytes x[0], x[c], x[2c], x[3c] (x in register X, r6 = c, r3 = 3c) as one word at
 * [r8], r8 += 4, and x + 4c in register NEXT. */
#define RP_DW3_WORD(X, NEXT)                                                                   \
  "ldrb lr, [" X "]\n\t"                                                                       \
  "ldrb r0, [" X ", r6]\n\t"                                                                   \
  "ldrb r5, [" X ", r6, lsl #1]\n\t"                                                           \
  "ldrb r7, [" X ", r3]\n\t"                                                                   \
  "add " NEXT ", " X ", r6, lsl #2\n\t"                                                        \
  "orr lr, lr, r0, lsl #8\n\t"                                                                 \
  "orr lr, lr, r5, lsl #16\n\t"                                                                \
  "orr lr, lr, r7, lsl #24\n\t"                                                                \
  "str lr, [r8], #4\n\t"

/* The job's rows, with at most four padding columns at each end (j0 <= 4, cols - j1 <= 4):
 * a word of the zero point at 0, j1 and cols (before the row's bytes, which overwrite the
 * first where j0 < 4), then the column: eight bytes in 20 instructions, leaving as two
 * (unaligned) words, then one word and single bytes; a row costs about 20 more (about 65 as
 * C). */
static RP_NOINLINE __attribute__((naked)) void
rp_dw3_gather_rows(rp_dw3_gather_job *job __attribute__((unused))) {
  __asm__ volatile(
      RP_JOB_ENTRY
      "ldm r0, {r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12}\n\t"
      "str r7, [r1]\n\t"
      "str r7, [r1, r11]\n\t"
      "str r7, [r1, r12]\n\t"
      "add r8, r1, r8\n\t" /* the row's first input byte goes to plane + j0 */
      "add r9, r8, r9\n\t" /* the groups of eight end at plane + j0 + n8 */
      "add r3, r6, r6, lsl #1\n\t"
      "cmp r8, r9\n\t"
      "beq 3f\n\t"
      "2:\n\t" RP_DW3_WORD("r2", "r4") RP_DW3_WORD("r4", "r2")
      "cmp r8, r9\n\t"
      "bne 2b\n\t"
      "3:\n\t"
      "tst r10, #4\n\t"
      "beq 4f\n\t" RP_DW3_WORD("r2", "r2")
      "4:\n\t"
      "ands r10, r10, #3\n\t"
      "beq 6f\n\t"
      "5:\n\t"
      "ldrb lr, [r2]\n\t"
      "add r2, r2, r6\n\t"
      "strb lr, [r8], #1\n\t"
      "subs r10, r10, #1\n\t"
      "bne 5b\n\t"
      "6:\n\t" /* plane += ws, src += srow, --rows */
      "ldr r0, [sp]\n\t"
      "ldm r0, {r1, r2, r3, r4, r5}\n\t"
      "add r1, r1, r4\n\t"
      "add r2, r2, r5\n\t"
      "subs r3, r3, #1\n\t"
      "stm r0, {r1, r2, r3}\n\t"
      "bne 1b\n\t"
      RP_JOB_EXIT);
}
#undef RP_DW3_WORD
#define RP_DW3_GATHER_ASM 1
#else
#define rp_dw3_gather_rows rp_dw3_gather_rows_c
#define RP_DW3_GATHER_ASM 0
#endif

/* Rows [iy0, iy0 + rows) and columns [ix0, ix0 + cols) of channel ch of the input into the
 * plane (rows ws = cols + RP_DW_PLANE_SLACK bytes apart), the zero point outside the tensor
 * and in the slack. */
static void rp_dw3_gather(const rp_conv_params *p, const rp_view *in, int8_t *plane,
                          int32_t ws, int32_t iy0, int32_t rows, int32_t ix0, int32_t cols,
                          int32_t ch) {
  const int32_t c = p->in_c;
  const uint32_t zp4 = 0x01010101u * (uint8_t)p->in_zp;
  const int32_t j0 = rp_clamp(-ix0, 0, cols), j1 = rp_clamp(p->in_w - ix0, j0, cols);
  const int32_t r0 = j0 == j1 ? rows : rp_clamp(-iy0, 0, rows);
  const int32_t r1 = rp_clamp(p->in_h - iy0, r0, rows);
  rp_dw3_gather_job g;
  int32_t r, n;
  for (r = 0; r < r0; ++r) /* rows outside the tensor (all, with no column inside) */
    rp_dw3_fill(plane + r * ws, 0, ws, zp4);
  for (r = r1; r < rows; ++r)
    rp_dw3_fill(plane + r * ws, 0, ws, zp4);
  g.ws = ws, g.srow = in->cols * c, g.c = c, g.zp4 = zp4;
  g.j0 = j0, g.n8 = (j1 - j0) & ~7, g.tail = (j1 - j0) & 7, g.j1 = j1, g.cols = cols;
  for (r = r0; r < r1; r += n) { /* runs of n rows, up to a ring's wrap */
    const int32_t iy = iy0 + r;
    n = in->ring_rows ? rp_min(r1 - r, in->ring_rows - iy % in->ring_rows) : r1 - r;
    g.plane = plane + r * ws;
    g.src = rp_view_pixel(in, iy, ix0 + j0, c) + ch;
    g.rows = n;
    if (!RP_DW3_GATHER_ASM || (j0 <= 4 && cols - j1 <= 4))
      rp_dw3_gather_rows(&g);
    else
      rp_dw3_gather_rows_c(&g); /* wide padding */
  }
}
#undef rp_dw3_gather_rows
#undef RP_DW3_GATHER_ASM

/* Whether rp_dw3_planes runs this region: 3x3, stride 1, dilation 1, at least
 * RP_DW_PLANE_MIN_OUTPUTS outputs, and every shift in rp_out_s8's common case. */
static int32_t rp_dw3_planes_apply(const rp_conv_params *p, const rp_region *region) {
  return p->k_h == 3 && p->k_w == 3 && p->stride_h == 1 && p->stride_w == 1 &&
         p->dil_h == 1 && p->dil_w == 1 &&
         (int64_t)(region->row1 - region->row0) * (region->col1 - region->col0) >=
             RP_DW_PLANE_MIN_OUTPUTS &&
         rp_common_shifts(p->shift, p->in_c);
}

/* One output of rp_dw3_planes: the requantised sum, clamped ([lo, hi] inside [-128, 127]:
 * SSAT, or two conditional moves). */
RP_INLINE int8_t rp_dw3_out(int32_t acc, int32_t m, int32_t hc, int32_t k, int32_t full,
                            int32_t lo, int32_t hi) {
  int32_t v = rp_requant_hi(acc, m, hc, k);
  if (full)
    return (int8_t)rp_ssat(v, 8);
  v = v < lo ? lo : v;
  return (int8_t)(v > hi ? hi : v);
}

/* Output rows of one channel of rp_dw3_planes with the clamp [-128, 127] (rp_dw3_rows). */
typedef struct {
  const int8_t *plane; /* the next output row's first window row */
  int32_t ws;          /* the plane's row stride */
  int32_t bias;        /* the bias less the zero point's products */
  rp_dw3_taps taps;
  int32_t *acc;            /* the row's sums */
  const int32_t *acc_end;  /* acc + 2 * pairs: the sums run in pairs */
  const int32_t *pair_end; /* acc + (n & ~1): the outputs written in pairs */
  int8_t *d;               /* the next output row's first output */
  int32_t c;               /* the channel count (the output's pixel stride) */
  int32_t m, hc, k;        /* rp_requant_hi's multiplier, rounding constant and shift */
  int32_t drow;            /* the output's row stride */
  int32_t rows;            /* output rows left, at least one */
  int32_t odd;             /* n is odd: one more output after the pairs (portable form) */
} rp_dw3_job;

#if defined(__ARM_FEATURE_DSP) && !defined(RP_NO_DSP) && defined(__GNUC__)
/* The assembly reads the job by offset: plane .. acc_end with one LDM, acc .. k with another,
 * d at 44, drow at 64, rows at 68. */
typedef char rp_dw3_job_layout[offsetof(rp_dw3_job, acc) == 32 &&
                                       offsetof(rp_dw3_job, d) == 44 &&
                                       offsetof(rp_dw3_job, k) == 60 &&
                                       offsetof(rp_dw3_job, rows) == 68
                                   ? 1
                                   : -1];

#define RP_DW3_ROWS_ROW(LOAD, ACC0, ACC1, W, MB, MT, M)                                        \
  RP_DW3_PAIR_ROW(LOAD, "r11", "r12", "r0", "lr", ACC0, ACC1, W, MB, MT, M)
/* The sum in register A requantised (r6: multiplier, r7: hc, r8: k) and stored at ADDR. */
#define RP_DW3_OUT(A, ADDR)                                                                    \
  "sub r12, r7, " A ", lsr #31\n\t"                                                            \
  "asr r11, " A ", #31\n\t"                                                                    \
  "smlal r11, r12, " A ", r6\n\t"                                                              \
  "asr r12, r12, r8\n\t"                                                                       \
  "ssat r12, #8, r12\n\t"                                                                      \
  "strb r12, " ADDR "\n\t"

/* The job's rows: per row, the sums of rp_dw3_sums (24 instructions a pair: the first row's
 * load last, post-incremented), then the requantisation of rp_quad_loop (SMLAL onto
 * (hc - (a < 0), a >> 31), ASR, SSAT: 29 instructions for four outputs), with every register
 * the row needs loaded by two LDMs: a row costs about 25 instructions besides its pairs
 * (about 65 as C around rp_dw3_sums). */
static RP_NOINLINE __attribute__((naked)) void
rp_dw3_rows(rp_dw3_job *job __attribute__((unused))) {
  __asm__ volatile(
      RP_JOB_ENTRY
      "ldm r0, {r1, r2, r3, r4, r5, r6, r7, r8, r9, r10}\n\t" /* plane .. acc_end */
      "2:\n\t"
      /* (p0, p2) in r0, (p1, p3) in lr, the sums in r11 and r12 */
      RP_DW3_ROWS_ROW("ldr lr, [r1, r2]\n\t", "r3", "r3", "r5", "bt", "tt", "r7")
      RP_DW3_ROWS_ROW("ldr lr, [r1, r2, lsl #1]\n\t", "r11", "r12", "r6", "bb", "tb", "r8")
      RP_DW3_ROWS_ROW("ldr lr, [r1], #2\n\t", "r11", "r12", "r4", "bb", "tb", "r7")
      "strd r11, r12, [r9], #8\n\t"
      "cmp r9, r10\n\t"
      "blo 2b\n\t"
      "ldr r0, [sp]\n\t"
      "add r0, r0, #32\n\t"
      "ldm r0, {r1, r2, r3, r4, r5, r6, r7, r8}\n\t" /* acc, -, pair_end, d, c, m, hc, k */
      "add lr, r5, r5, lsl #1\n\t"                   /* 3c */
      "sub r0, r3, r1\n\t"
      "tst r0, #8\n\t" /* an odd number of pairs: one first */
      "beq 3f\n\t"
      "ldrd r9, r10, [r1], #8\n\t" RP_DW3_OUT("r9", "[r4]") RP_DW3_OUT("r10", "[r4, r5]")
      "add r4, r4, r5, lsl #1\n\t"
      "3:\n\t"
      "cmp r1, r3\n\t"
      "beq 5f\n\t"
      "4:\n\t"
      "ldrd r9, r10, [r1], #8\n\t" RP_DW3_OUT("r9", "[r4]") RP_DW3_OUT("r10", "[r4, r5]")
      "ldrd r9, r10, [r1], #8\n\t" RP_DW3_OUT("r9", "[r4, r5, lsl #1]")
      RP_DW3_OUT("r10", "[r4, lr]")
      "add r4, r4, r5, lsl #2\n\t"
      "cmp r1, r3\n\t"
      "bne 4b\n\t"
      "5:\n\t"
      "cmp r2, r3\n\t" /* acc_end > pair_end: n is odd, one more output */
      "beq 6f\n\t"
      "ldr r9, [r1]\n\t" RP_DW3_OUT("r9", "[r4]")
      "6:\n\t" /* the next row: plane += ws, d += drow */
      "ldr r0, [sp]\n\t"
      "ldm r0, {r1, r2}\n\t"
      "add r1, r1, r2\n\t"
      "str r1, [r0]\n\t"
      "ldr r4, [r0, #44]\n\t"
      "ldr r5, [r0, #64]\n\t"
      "add r4, r4, r5\n\t"
      "str r4, [r0, #44]\n\t"
      "ldr r1, [r0, #68]\n\t"
      "subs r1, r1, #1\n\t"
      "str r1, [r0, #68]\n\t"
      "bne 1b\n\t"
      RP_JOB_EXIT);
}
#undef RP_DW3_OUT
#undef RP_DW3_ROWS_ROW
#else
static void rp_dw3_rows(const rp_dw3_job *job) {
  const int32_t n = (int32_t)(job->pair_end - job->acc) + job->odd;
  int32_t r, x;
  for (r = 0; r < job->rows; ++r) {
    int8_t *const d = job->d + r * job->drow;
    rp_dw3_sums(job->plane + r * job->ws, job->ws, job->bias, job->acc,
                (int32_t)(job->acc_end - job->acc) / 2, &job->taps);
    for (x = 0; x < n; ++x)
      d[x * job->c] = (int8_t)rp_ssat(rp_requant_hi(job->acc[x], job->m, job->hc, job->k), 8);
  }
}
#endif
#undef RP_JOB_ENTRY
#undef RP_JOB_EXIT
#undef RP_DW3_PAIR_ROW

RP_INLINE void rp_dw3_planes(const rp_conv_params *p, const rp_view *in, rp_view *out,
                             const rp_region *region, int32_t full) {
  int8_t plane[RP_DW_PLANE_BYTES];
  int32_t acc[RP_DW_COLS];
  const int32_t c = p->in_c, zp1 = 2 * p->out_zp + 1, lo = p->act_min, hi = p->act_max;
  int32_t x0, y0, ch, r, oy, x;
  for (x0 = region->col0; x0 < region->col1; x0 += RP_DW_COLS) {
    const int32_t n = rp_min(RP_DW_COLS, region->col1 - x0);
    const int32_t cols = n + 2, ws = cols + RP_DW_PLANE_SLACK;
    const int32_t rows_out = RP_DW_PLANE_BYTES / ws - 2;
    for (y0 = region->row0; y0 < region->row1; y0 += rows_out) {
      const int32_t m_rows = rp_min(rows_out, region->row1 - y0);
      for (ch = 0; ch < c; ++ch) {
        const int8_t *const w = p->weights + ch;
        const int32_t m = p->mult[ch], k = -1 - p->shift[ch], hc = zp1 * (1 << (k - 1));
        int32_t bias = p->bias[ch];
        rp_dw3_taps taps;
        for (r = 0; r < 9; ++r)
          bias -= p->in_zp * w[r * c];
        for (r = 0; r < 3; ++r)
          taps.w02[r] = rp_pack16(w[3 * r * c], w[(3 * r + 2) * c]);
        taps.m01 = rp_pack16(w[c], w[4 * c]);
        taps.m2 = rp_pack16(w[7 * c], 0);
        rp_dw3_gather(p, in, plane, ws, y0 - p->pad_top, m_rows + 2, x0 - p->pad_left, cols,
                      ch);
        if (full) {
          rp_dw3_job job;
          job.ws = ws, job.bias = bias, job.taps = taps, job.acc = acc;
          job.acc_end = acc + 2 * ((n + 1) >> 1), job.pair_end = acc + (n & ~1);
          job.c = c, job.m = m, job.hc = hc, job.k = k, job.drow = out->cols * c;
          job.odd = n & 1;
          for (oy = 0; oy < m_rows; oy += r) { /* runs of r rows, up to a ring's wrap */
            const int32_t y = y0 + oy;
            r = out->ring_rows ? rp_min(m_rows - oy, out->ring_rows - y % out->ring_rows)
                               : m_rows - oy;
            job.plane = plane + oy * ws;
            job.d = rp_view_pixel(out, y, x0, c) + ch;
            job.rows = r;
            rp_dw3_rows(&job);
          }
          continue;
        }
        for (oy = 0; oy < m_rows; ++oy) {
          int8_t *d = rp_view_pixel(out, y0 + oy, x0, c) + ch;
          rp_dw3_sums(plane + oy * ws, ws, bias, acc, (n + 1) >> 1, &taps);
          for (x = 0; x + 1 < n; x += 2, d += 2 * c) {
            const int8_t v0 = rp_dw3_out(acc[x], m, hc, k, full, lo, hi);
            const int8_t v1 = rp_dw3_out(acc[x + 1], m, hc, k, full, lo, hi);
            d[0] = v0;
            d[c] = v1;
          }
          if (x < n)
            *d = rp_dw3_out(acc[x], m, hc, k, full, lo, hi);
        }
      }
    }
  }
}

/* rp_dw3_planes, one copy per clamp. */
static RP_NOINLINE void rp_dw3_planes_s8(const rp_conv_params *p, const rp_view *in,
                                         rp_view *out, const rp_region *region) {
  /* The caller's condition, restated where GCC sees it: with the parameters constant
   * (RP_SINGLE_TU) it then drops this kernel for other layers instead of warning about
   * their weights. */
  if (p->k_h != 3 || p->k_w != 3 || p->groups != p->in_c)
    return;
  if (p->act_min == -128 && p->act_max == 127)
    rp_dw3_planes(p, in, out, region, /*full=*/1);
  else
    rp_dw3_planes(p, in, out, region, /*full=*/0);
}

/* Depthwise with the DSP extension: for each output pixel the window's rows inside the
 * tensor are listed once (the columns inside form one run, the same for every row), then
 * every four channels accumulate in registers: one load and two SXTAB16 of the inputs and
 * of the weights give four SMLABB/SMLATT products per tap; rows of three taps unrolled. */
RP_INLINE void rp_conv_depthwise_rows(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                      const rp_region *region, int32_t full) {
  const int32_t c = p->in_c, c4 = c & ~3, zp = p->out_zp, lo = p->act_min, hi = p->act_max;
  const int32_t in_zp = p->in_zp, sx = p->dil_w * c, zp1 = 2 * zp + 1;
  const int32_t *const bias = p->bias, *const mult = p->mult, *const shift = p->shift;
  const uint32_t off = rp_pack_offset(-in_zp);
  const int8_t *xr[RP_DW_MAX_TAPS], *wr[RP_DW_MAX_TAPS];
  const int32_t sw = p->stride_w;
  const int32_t pairs = p->k_h == 3 && p->k_w == 3 && p->dil_w == 1 && (sw == 1 || sw == 2) &&
                        rp_common_shifts(p->shift, c);
  int32_t oy, ox, ky, ch, r, t;
  for (oy = region->row0; oy < region->row1; ++oy)
    for (ox = region->col0; ox < region->col1; ++ox) {
      int8_t *dst = rp_view_pixel(out, oy, ox, c);
      const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * sw - p->pad_left;
      int32_t rows = 0, kx0 = 0, kx1 = p->k_w, nt;
      if (pairs && ox + 1 < region->col1 && iy0 >= 0 && iy0 + 2 * p->dil_h < p->in_h &&
          ix0 >= 0 && ix0 + sw + 2 < p->in_w) { /* two whole windows: pixels ox and ox + 1 */
        const int8_t *x0 = rp_view_pixel(in, iy0, ix0, c);
        const int8_t *x1 = rp_view_pixel(in, iy0 + p->dil_h, ix0, c);
        const int8_t *x2 = rp_view_pixel(in, iy0 + 2 * p->dil_h, ix0, c);
        rp_dw3_pair_fast(p, x0, x1, x2, dst, dst + c, off);
        ++ox;
        continue;
      }
      if (pairs && ox + 1 < region->col1 && c <= RP_DW_PAD_MAX_C) { /* a pair at a border */
        rp_dw3_pair_padded(p, in, iy0, ix0, dst, off);
        ++ox;
        continue;
      }
      while (kx0 < kx1 && ix0 + kx0 * p->dil_w < 0)
        ++kx0;
      while (kx1 > kx0 && ix0 + (kx1 - 1) * p->dil_w >= p->in_w)
        --kx1;
      nt = kx1 - kx0;
      for (ky = 0; ky < p->k_h && nt > 0; ++ky) {
        const int32_t iy = iy0 + ky * p->dil_h;
        if (iy < 0 || iy >= p->in_h)
          continue;
        xr[rows] = rp_view_pixel(in, iy, ix0 + kx0 * p->dil_w, c);
        wr[rows++] = p->weights + (ky * p->k_w + kx0) * c;
      }
      if (rows == 3 && nt == 3 && p->k_w == 3) { /* three whole rows of 3: nine taps */
        const int8_t *x0 = xr[0], *x1 = xr[1], *x2 = xr[2], *w0 = wr[0];
        for (ch = 0; ch < c4; ch += 4, x0 += 4, x1 += 4, x2 += 4, w0 += 4) {
          int32_t a[4];
          a[0] = bias[ch], a[1] = bias[ch + 1], a[2] = bias[ch + 2], a[3] = bias[ch + 3];
          rp_dw_tap(x0, w0, off, a);
          rp_dw_tap(x0 + sx, w0 + c, off, a);
          rp_dw_tap(x0 + 2 * sx, w0 + 2 * c, off, a);
          rp_dw_tap(x1, w0 + 3 * c, off, a);
          rp_dw_tap(x1 + sx, w0 + 4 * c, off, a);
          rp_dw_tap(x1 + 2 * sx, w0 + 5 * c, off, a);
          rp_dw_tap(x2, w0 + 6 * c, off, a);
          rp_dw_tap(x2 + sx, w0 + 7 * c, off, a);
          rp_dw_tap(x2 + 2 * sx, w0 + 8 * c, off, a);
          dst[ch] = rp_out_s8(a[0], mult[ch], shift[ch], zp, zp1, lo, hi, full, 0);
          dst[ch + 1] = rp_out_s8(a[1], mult[ch + 1], shift[ch + 1], zp, zp1, lo, hi, full, 0);
          dst[ch + 2] = rp_out_s8(a[2], mult[ch + 2], shift[ch + 2], zp, zp1, lo, hi, full, 0);
          dst[ch + 3] = rp_out_s8(a[3], mult[ch + 3], shift[ch + 3], zp, zp1, lo, hi, full, 0);
        }
      } else {
        for (ch = 0; ch < c4; ch += 4) {
          int32_t a[4];
          a[0] = bias[ch], a[1] = bias[ch + 1], a[2] = bias[ch + 2], a[3] = bias[ch + 3];
          for (r = 0; r < rows; ++r) {
            const int8_t *x = xr[r] + ch, *w = wr[r] + ch;
            if (nt == 3) {
              rp_dw_tap(x, w, off, a);
              rp_dw_tap(x + sx, w + c, off, a);
              rp_dw_tap(x + 2 * sx, w + 2 * c, off, a);
            } else {
              for (t = 0; t < nt; ++t, x += sx, w += c)
                rp_dw_tap(x, w, off, a);
            }
          }
          dst[ch] = rp_out_s8(a[0], mult[ch], shift[ch], zp, zp1, lo, hi, full, 0);
          dst[ch + 1] = rp_out_s8(a[1], mult[ch + 1], shift[ch + 1], zp, zp1, lo, hi, full, 0);
          dst[ch + 2] = rp_out_s8(a[2], mult[ch + 2], shift[ch + 2], zp, zp1, lo, hi, full, 0);
          dst[ch + 3] = rp_out_s8(a[3], mult[ch + 3], shift[ch + 3], zp, zp1, lo, hi, full, 0);
        }
      }
      for (ch = c4; ch < c; ++ch) {
        int32_t a = bias[ch];
        for (r = 0; r < rows; ++r)
          for (t = 0; t < nt; ++t)
            a += ((int32_t)xr[r][t * sx + ch] - in_zp) * (int32_t)wr[r][t * c + ch];
        dst[ch] = rp_out_s8(a, mult[ch], shift[ch], zp, zp1, lo, hi, full, 0);
      }
    }
}

static void rp_conv_depthwise_dsp(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                  const rp_region *region) {
  if (rp_dw3_planes_apply(p, region))
    rp_dw3_planes_s8(p, in, out, region);
  else if (p->act_min == -128 && p->act_max == 127)
    rp_conv_depthwise_rows(p, in, out, region, /*full=*/1);
  else
    rp_conv_depthwise_rows(p, in, out, region, /*full=*/0);
}
#endif

/* Channels of a depthwise output pixel accumulated together (int32 on the stack). */
#define RP_DW_CHUNK 64

RP_API void rp_conv_depthwise_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                 const rp_region *region) {
  const int32_t c = p->in_c;
  int32_t acc[RP_DW_CHUNK];
  int32_t oy, ox, c0, ch, ky, kx;
#if defined(RP_HOST_SIMD)
  if (c <= RP_HOST_MAX_C && p->k_h <= RP_HOST_DW_KH) {
    rp_host_depthwise_s8(p, in, out, region);
    return;
  }
#endif
#if RP_USE_DSP
  if (p->k_h * p->k_w <= RP_DW_MAX_TAPS) {
    rp_conv_depthwise_dsp(p, in, out, region);
    return;
  }
#endif
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
#if defined(RP_HOST_SIMD)
  if (rp_host_packs(1, 1, 1, p->in_c)) {
    rp_host_conv_t_s8(p, in, out, region);
    return;
  }
  if (p->in_c <= RP_HOST_MAX_N && p->out_c <= RP_HOST_MAX_C) {
    rp_host_conv_s8(p, in, out, region);
    return;
  }
#endif
#if RP_USE_DSP
  if (p->in_c <= RP_QUAD_MAX) {
    rp_conv_quads_s8(p, in, out, region);
    return;
  }
  if ((p->in_c & 3) == 0) {
    rp_conv_quads_long_s8(p, in, out, region);
    return;
  }
  if (p->in_c <= RP_PAIR_MAX) {
    rp_conv_pairs_s8(p, in, out, region);
    return;
  }
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

RP_API void rp_conv_in_place_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                const rp_region *region, int8_t *scratch, int32_t chunk) {
  const int32_t c = p->out_c;
  int32_t y;
  for (y = region->row0; y < region->row1; ++y) {
    /* Output pixels [held, x0) wait in the scratch: the input columns under them are read
     * by the pixels still to come. */
    int32_t held = region->col0, x0 = region->col0;
    while (x0 < region->col1) {
      const int32_t x1 = rp_min(region->col1, x0 + chunk);
      /* The next chunk reads input columns from x1 * stride - pad_left on. */
      const int32_t done =
          x1 < region->col1 ? rp_max(held, rp_min(x1, x1 * p->stride_w - p->pad_left)) : x1;
      rp_view tmp;
      rp_region r;
      tmp.data = scratch;
      tmp.row0 = y, tmp.col0 = held, tmp.rows = 1, tmp.cols = x1 - held, tmp.ring_rows = 0;
      r.row0 = y, r.row1 = y + 1, r.col0 = x0, r.col1 = x1;
      rp_conv_s8(p, in, &tmp, &r);
      memcpy(rp_view_pixel(out, y, held, c), scratch, (size_t)(done - held) * (size_t)c);
      memmove(scratch, scratch + (size_t)(done - held) * (size_t)c,
              (size_t)(x1 - done) * (size_t)c);
      held = done;
      x0 = x1;
    }
  }
}

/* The input window of a conv's output region, clamped to the input. */
static rp_region rp_conv_window(const rp_conv_params *p, const rp_region *r) {
  rp_region w;
  w.row0 = rp_max(0, r->row0 * p->stride_h - p->pad_top);
  w.row1 =
      rp_min(p->in_h, (r->row1 - 1) * p->stride_h - p->pad_top + (p->k_h - 1) * p->dil_h + 1);
  w.col0 = rp_max(0, r->col0 * p->stride_w - p->pad_left);
  w.col1 =
      rp_min(p->in_w, (r->col1 - 1) * p->stride_w - p->pad_left + (p->k_w - 1) * p->dil_w + 1);
  return w;
}

RP_API size_t rp_expand_dw_scratch_bytes(const rp_conv_params *dw, const rp_region *region,
                                         int32_t group) {
  const rp_region w = rp_conv_window(dw, region);
  if (w.row1 <= w.row0 || w.col1 <= w.col0 || region->row1 <= region->row0 ||
      region->col1 <= region->col0)
    return 0;
  return rp_expand_dw_scratch_size(
      (int64_t)(w.row1 - w.row0) * (w.col1 - w.col0),
      (int64_t)(region->row1 - region->row0) * (region->col1 - region->col0),
      dw->k_h * dw->k_w, dw->out_c, group);
}

/* The groups of an expansion and its depthwise conv over `region` (rp_expand_dw_s8 and
 * rp_expand_dw_rows_s8): `scratch` holds a group's expansion over the window, its
 * depthwise outputs and weights. With a `carry` of `k` rows (a ring of whole rows of every
 * channel, row y in slot y % k), the window's rows above `from` come from it rather than
 * from the expansion, and its last k rows go into it for the next call. */
static void rp_expand_dw_groups(const rp_conv_params *expand, const rp_conv_params *dw,
                                const rp_view *in, rp_view *out, const rp_region *region,
                                int8_t *scratch, int32_t group, int8_t *carry, int32_t k,
                                int32_t from) {
  const int32_t c = dw->out_c, taps = dw->k_h * dw->k_w;
  const rp_region w = rp_conv_window(dw, region);
  const int32_t rows = region->row1 - region->row0, cols = region->col1 - region->col0;
  const size_t line = (size_t)dw->in_w * (size_t)c; /* a row of the carry */
  int32_t g0, t, y, x;
  int8_t *mid, *part, *weights;
  if (rows <= 0 || cols <= 0 || w.row1 <= w.row0 || w.col1 <= w.col0 || group <= 0)
    return;
  group = rp_min(group, c);
  mid = scratch;
  /* (The layout rp_expand_dw_scratch_size sizes.) */
  part = mid + (((size_t)(w.row1 - w.row0) * (size_t)(w.col1 - w.col0) * (size_t)group + 3u) &
                ~(size_t)3u);
  weights = part + (((size_t)rows * (size_t)cols * (size_t)group + 3u) & ~(size_t)3u);
  for (g0 = 0; g0 < c; g0 += group) {
    const int32_t n = rp_min(group, c - g0);
    rp_conv_params e = *expand, d = *dw;
    rp_view mv, pv;
    rp_region fresh = w;
    /* The expansion's channels [g0, g0 + n): OHWI rows n of them from channel g0. */
    e.out_c = n;
    e.weights += (size_t)g0 * (size_t)e.in_c;
    e.bias += g0, e.mult += g0, e.shift += g0;
    mv.data = mid, mv.row0 = w.row0, mv.col0 = w.col0;
    mv.rows = w.row1 - w.row0, mv.cols = w.col1 - w.col0, mv.ring_rows = 0;
    for (y = w.row0; y < from; ++y)
      for (x = w.col0; x < w.col1; ++x)
        memcpy(rp_view_pixel(&mv, y, x, n),
               carry + (size_t)(y % k) * line + (size_t)x * (size_t)c + (size_t)g0, (size_t)n);
    fresh.row0 = from;
    if (fresh.row0 < fresh.row1)
      rp_conv_s8(&e, in, &mv, &fresh);
    /* The depthwise weights of those channels, [k_h][k_w][n]. */
    for (t = 0; t < taps; ++t)
      memcpy(weights + (size_t)t * (size_t)n, dw->weights + (size_t)t * (size_t)c + (size_t)g0,
             (size_t)n);
    d.in_c = d.out_c = d.groups = n;
    d.weights = weights;
    d.bias += g0, d.mult += g0, d.shift += g0;
    pv.data = part, pv.row0 = region->row0, pv.col0 = region->col0;
    pv.rows = rows, pv.cols = cols, pv.ring_rows = 0;
    rp_conv_s8(&d, &mv, &pv, region);
    for (y = region->row0; y < region->row1; ++y)
      for (x = region->col0; x < region->col1; ++x)
        memcpy(rp_view_pixel(out, y, x, c) + g0, rp_view_pixel(&pv, y, x, n), (size_t)n);
    if (carry) /* the rows the next call's window shares with this one */
      for (y = rp_max(w.row0, w.row1 - k); y < w.row1; ++y)
        for (x = w.col0; x < w.col1; ++x)
          memcpy(carry + (size_t)(y % k) * line + (size_t)x * (size_t)c + (size_t)g0,
                 rp_view_pixel(&mv, y, x, n), (size_t)n);
  }
}

RP_API void rp_expand_dw_s8(const rp_conv_params *expand, const rp_conv_params *dw,
                            const rp_view *in, rp_view *out, const rp_region *region,
                            int8_t *scratch, int32_t group) {
  rp_expand_dw_groups(expand, dw, in, out, region, scratch, group, NULL, 1,
                      rp_conv_window(dw, region).row0);
}

RP_API size_t rp_expand_dw_rows_scratch_bytes(const rp_conv_params *dw, int32_t rows,
                                              int32_t group) {
  return rp_expand_dw_rows_scratch_size(dw->k_h, dw->k_w, dw->dil_h, dw->stride_h, dw->in_w,
                                        dw->out_w, rows, dw->out_c, group);
}

RP_API void rp_expand_dw_rows_s8(const rp_conv_params *expand, const rp_conv_params *dw,
                                 const rp_view *in, rp_view *out, const rp_region *region,
                                 int8_t *scratch, int32_t group, int32_t carried) {
  const int32_t k = rp_expand_dw_carry_rows(dw->k_h, dw->dil_h, dw->stride_h);
  const rp_region w = rp_conv_window(dw, region);
  int32_t from = w.row0;
  if (carried && k > 0 && region->row0 > 0) { /* the call above computed rows up to its end */
    rp_region above = *region;
    above.row0 = region->row0 - 1, above.row1 = region->row0;
    from = rp_max(w.row0, rp_min(w.row1, rp_conv_window(dw, &above).row1));
  }
  rp_expand_dw_groups(expand, dw, in, out, region,
                      scratch + rp_expand_dw_carry_size(k, dw->in_w, dw->out_c), group,
                      k > 0 ? scratch : NULL, rp_max(k, 1), from);
}
