/* rnnpoolc runtime: fully connected layers and pooling (max, average, global average). */
#include "rp_internal.h"

#if RP_USE_DSP
/* acc[0..3] += col . w_r over n values for the four weight rows w_r = w + r * n (int8,
 * natural order; col in lane order). */
static inline void rp_fc_dot4(const int16_t *col, const int8_t *w, int32_t n, int32_t *acc) {
#if defined(__ARM_FEATURE_DSP) && !defined(RP_NO_DSP) && defined(__GNUC__)
  const int16_t *c = col;
  const int8_t *w2 = w + 2 * n;
  int32_t i, g = n >> 2, a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  if (g > 0) {
    /* One group of four inputs: one LDRD of the column, rows 1 and 3 at [w, n] and [w2, n],
     * rows 0 and 2 post-incremented: 21 instructions for 16 MACs, two groups per iteration
     * (LSRS leaves an odd group's bit in C and Z = no pairs; the groups set no flags). */
/* clang-format off */
#define RP_FC_ROW(acc, ld)                                                                     \
  ld                                                                                           \
  "sxtb16 %[t], %[e]\n\t"                                                                      \
  "smlad %[" acc "], %[c02], %[t], %[" acc "]\n\t"                                             \
  "sxtb16 %[e], %[e], ror #8\n\t"                                                              \
  "smlad %[" acc "], %[c13], %[e], %[" acc "]\n\t"
#define RP_FC_GROUP                                                                            \
  "ldrd %[c02], %[c13], [%[c]], #8\n\t"                                                        \
  RP_FC_ROW("a1", "ldr %[e], [%[w], %[n]]\n\t")                                                \
  RP_FC_ROW("a0", "ldr %[e], [%[w]], #4\n\t")                                                  \
  RP_FC_ROW("a3", "ldr %[e], [%[w2], %[n]]\n\t")                                               \
  RP_FC_ROW("a2", "ldr %[e], [%[w2]], #4\n\t")
    /* clang-format on */
    uint32_t c02, c13, t, e;
    __asm__ volatile("lsrs %[g], %[g], #1\n\t"
                     "bcc 2f\n\t" RP_FC_GROUP "2:\n\t"
                     "beq 3f\n\t"
                     "1:\n\t" RP_FC_GROUP RP_FC_GROUP "subs %[g], %[g], #1\n\t"
                     "bne 1b\n\t"
                     "3:"
                     : [c] "+r"(c), [w] "+r"(w), [w2] "+r"(w2), [g] "+r"(g), [a0] "+r"(a0),
                       [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [c02] "=&r"(c02),
                       [c13] "=&r"(c13), [t] "=&r"(t), [e] "=&r"(e)
                     : [n] "r"(n)
                     : "cc", "memory");
#undef RP_FC_GROUP
#undef RP_FC_ROW
  }
  for (i = 0; i < (n & 3); ++i) { /* w: row 0's tail, w2: row 2's */
    a0 += (int32_t)c[i] * w[i];
    a1 += (int32_t)c[i] * w[n + i];
    a2 += (int32_t)c[i] * w2[i];
    a3 += (int32_t)c[i] * w2[n + i];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
#else
  rp_dot_col_s8_x4(col, w, n, acc);
#endif
}

/* acc[0..1] += col . w_r over n values for the two weight rows w and w + n. */
static inline void rp_fc_dot2(const int16_t *col, const int8_t *w, int32_t n, int32_t *acc) {
  const int8_t *w1 = w + n;
  int32_t i, a0 = acc[0], a1 = acc[1];
  for (i = 0; i < (n & ~3); i += 4) {
    const uint32_t c02 = rp_load32(col + i), c13 = rp_load32(col + i + 2);
    const uint32_t v0 = rp_load32(w + i), v1 = rp_load32(w1 + i);
    a0 = rp_smlad(c13, rp_sxtb16_ror8(v0), rp_smlad(c02, rp_sxtb16(v0), a0));
    a1 = rp_smlad(c13, rp_sxtb16_ror8(v1), rp_smlad(c02, rp_sxtb16(v1), a1));
  }
  for (; i < n; ++i) {
    a0 += (int32_t)col[i] * w[i];
    a1 += (int32_t)col[i] * w1[i];
  }
  acc[0] = a0;
  acc[1] = a1;
}

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
    rp_fc_dot4(col, p->weights + o * n, n, acc);
    for (r = 0; r < 4; ++r)
      y[o + r] = rp_out_s8(acc[r], mult[o + r], shift[o + r], zp, zp1, lo, hi, 0, fast);
  }
  if (o + 2 <= p->out_features) { /* two of the last two or three */
    int32_t acc[2];
    acc[0] = bias[o];
    acc[1] = bias[o + 1];
    rp_fc_dot2(col, p->weights + o * n, n, acc);
    y[o] = rp_out_s8(acc[0], mult[o], shift[o], zp, zp1, lo, hi, 0, fast);
    y[o + 1] = rp_out_s8(acc[1], mult[o + 1], shift[o + 1], zp, zp1, lo, hi, 0, fast);
    o += 2;
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
    int16_t col[RP_COL_MAX] RP_ALIGNED(8); /* read by LDRD (rp_fc_dot4) */
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
