/* rnnpoolc runtime: requantisation and the elementwise kernels (requantise, float
 * boundary conversion, table lookup, add, channel concatenation, softmax). */
#include "rp_internal.h"

RP_API int32_t rp_requantize(int32_t x, int32_t mult, int32_t shift) {
  return rp_requant_inline(x, mult, shift);
}

RP_API void rp_requant_s8(const rp_requant_params *p, const int8_t *in, int8_t *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    int32_t v = rp_requantize((int32_t)in[i] - p->in_zp, p->mult, p->shift) + p->out_zp;
    out[i] = (int8_t)rp_clamp(v, -128, 127);
  }
}

/* n values from in to every `stride`-th byte of out. */
static void rp_quantize_run(const float *in, int8_t *out, int32_t n, int32_t stride,
                            float inv_scale, int32_t zp) {
  int32_t i;
  for (i = 0; i < n; ++i, out += stride) {
    float v = in[i] * inv_scale;
    int32_t q;
    /* Clamp first so that the conversion cannot overflow (NaN becomes the zero point). */
    if (v > 1000.0f)
      v = 1000.0f;
    else if (v < -1000.0f)
      v = -1000.0f;
    else if (!(v == v))
      v = 0.0f;
    q = (int32_t)(v >= 0 ? v + 0.5f : v - 0.5f);
    *out = (int8_t)rp_clamp(q + zp, -128, 127);
  }
}

RP_API void rp_quantize_f32_s8(const float *in, int8_t *out, int32_t n, float inv_scale,
                               int32_t zp) {
  rp_quantize_run(in, out, n, 1, inv_scale, zp);
}

RP_API void rp_quantize_planes_f32_s8(const float *in, int8_t *out, int32_t first, int32_t n,
                                      int32_t hw, int32_t channels, float inv_scale,
                                      int32_t zp) {
  int32_t c, p;
  if (n <= 0 || hw <= 0)
    return;
  c = first / hw, p = first % hw;
  for (; n > 0; ++c, p = 0) { /* the rest of channel c's plane, from pixel p */
    const int32_t run = hw - p < n ? hw - p : n;
    rp_quantize_run(in, out + p * channels + c, run, channels, inv_scale, zp);
    in += run, n -= run;
  }
}

RP_API void rp_dequantize_s8_f32(const int8_t *in, float *out, int32_t n, float scale,
                                 int32_t zp) {
  int32_t i;
  for (i = 0; i < n; ++i)
    out[i] = scale * (float)((int32_t)in[i] - zp);
}

RP_API void rp_lut_s8(const int8_t *table, const int8_t *in, int8_t *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i)
    out[i] = table[(uint8_t)((int32_t)in[i] + 128)];
}

/* One input's rescale in rp_add_s8, rp_requantize((q - zp) * 2^left_shift, mult, shift), in
 * one of two exact 32-bit forms chosen once per call (rp_add_stage_plan):
 *  - coef != 0: the product is an integer, (q - zp) * coef with coef = mult * 2^(left_shift
 *    - n), n = 31 - shift (mult has at least n - left_shift trailing zero bits; the larger
 *    input's factor 1/2 is mult = 2^30, shift = 0, coef = 2^19);
 *  - else rp_requant_hi of x = (q - zp) * 2^(left_shift + e) with e = max(0, 33 - n), so that
 *    the shift 32 + k = n + e has a high word to round in (k >= 1); the same value, as
 *    x * mult / 2^(n + e) = (q - zp) * 2^left_shift * mult / 2^n and the sign of x is the
 *    sign of q - zp (rp_requant_hi's rounding is rp_requantize's for any n: both round half
 *    away from zero, and the fast and general cases of rp_requant_inline agree). */
typedef struct {
  int32_t coef, mult, lshift, half, k;
} rp_add_stage;

/* Plans one input's stage; 0 when neither exact form applies (then the caller uses the
 * 64-bit reference loop). Both forms require |result| < 2^29, so that the sum of the two
 * stages stays below 2^30: |q - zp| <= 255 < 2^8, so n >= left_shift + 11 bounds the
 * rescaled value by 2^(8 + left_shift + 31 - n) <= 2^28 (plus one for rounding). */
static int32_t rp_add_stage_plan(int32_t mult, int32_t shift, int32_t left_shift,
                                 rp_add_stage *st) {
  const int32_t n = 31 - shift, e = n < 33 ? 33 - n : 0;
  if (mult < 0 || left_shift < 0 || left_shift > 20 || n < left_shift + 11 || n > 62)
    return 0;
  /* Here left_shift + e <= 22, so |x| < 2^30, and k = n + e - 32 is in [1, 30]. */
  st->coef = 0, st->mult = mult, st->lshift = left_shift + e, st->k = n + e - 32;
  st->half = (int32_t)1 << (st->k - 1);
  if (mult > 0 && n - left_shift <= 30 && (mult & (((int32_t)1 << (n - left_shift)) - 1)) == 0)
    st->coef = mult >> (n - left_shift); /* < 2^(31 - 11): |(q - zp) * coef| < 2^28 */
  return 1;
}

/* The original formulation with the 64-bit rp_requantize (any parameters). */
static void rp_add_s8_ref(const rp_add_params *p, const int8_t *in1, const int8_t *in2,
                          int8_t *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    int32_t a = ((int32_t)in1[i] - p->in1_zp) * ((int32_t)1 << p->left_shift);
    int32_t b = ((int32_t)in2[i] - p->in2_zp) * ((int32_t)1 << p->left_shift);
    int32_t sum = rp_requantize(a, p->in1_mult, p->in1_shift) +
                  rp_requantize(b, p->in2_mult, p->in2_shift);
    int32_t v = rp_requantize(sum, p->out_mult, p->out_shift) + p->out_zp;
    out[i] = (int8_t)rp_clamp(v, p->act_min, p->act_max);
  }
}

/* The loop of rp_add_s8's exact 32-bit path; c1 and c2 (constants at the call sites) say
 * that a stage is a plain product, full that the clamp is [-128, 127] (one SSAT). The sum's
 * rescale folds out_zp into the rounding constant as rp_requant_hi allows
 * (hc = (2 out_zp + 1) * 2^(k-1)). */
RP_INLINE void rp_add_loop(const rp_add_params *p, const rp_add_stage *s1,
                           const rp_add_stage *s2, const int8_t *in1, const int8_t *in2,
                           int8_t *out, int32_t n, int32_t c1, int32_t c2, int32_t full) {
  const int32_t on = 31 - p->out_shift, ok = on - 32, om = p->out_mult;
  const int32_t ohc = (2 * p->out_zp + 1) * ((int32_t)1 << (ok - 1));
  const int32_t zp1 = p->in1_zp, zp2 = p->in2_zp, lo = p->act_min, hi = p->act_max;
  const int32_t coef1 = s1->coef, m1 = s1->mult, l1 = s1->lshift, h1 = s1->half, k1 = s1->k;
  const int32_t coef2 = s2->coef, m2 = s2->mult, l2 = s2->lshift, h2 = s2->half, k2 = s2->k;
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t d1 = (int32_t)in1[i] - zp1, d2 = (int32_t)in2[i] - zp2;
    const int32_t r1 = c1 ? d1 * coef1 : rp_requant_hi(d1 * ((int32_t)1 << l1), m1, h1, k1);
    const int32_t r2 = c2 ? d2 * coef2 : rp_requant_hi(d2 * ((int32_t)1 << l2), m2, h2, k2);
    const int32_t v = rp_requant_hi(r1 + r2, om, ohc, ok);
    out[i] = (int8_t)(full ? rp_ssat(v, 8) : rp_clamp(v, lo, hi));
  }
}

#if RP_USE_DSP
/* Elements from which rp_add_s8 builds its table (256 words of stack, about 2,500
 * instructions to fill; the loop then saves about 12 per element). */
#define RP_ADD_TABLE_MIN 512

/* Whether floor((S * m + hc * 2^32) / 2^(32 + k)), rp_requant_hi without its [S < 0] term,
 * equals rp_requant_hi for every |S| < 2^30. The term changes the floor only when
 * S * m + 2^(31 + k) is a multiple of 2^(32 + k), i.e. S * m is an odd multiple of
 * 2^(31 + k): with t trailing zero bits in m, S would be a multiple of 2^(31 + k - t), which
 * no |S| < 2^30 other than 0 is while 31 + k - t >= 30. */
static int32_t rp_add_tie_free(int32_t m, int32_t k) {
  int32_t t = 0;
  if (m == 0)
    return 1;
  while (t < 31 && ((m >> t) & 1) == 0)
    ++t;
  return 31 + k - t >= 30;
}

/* The add as S = q1 * coef1 + tab[(uint8_t)q2] (tab holds stage 2 of every q2 minus
 * zp1 * coef1, at the index of q2's byte), then out = clamp(asr(SMMLA(S, out_mult, hc), k)):
 * per element two byte loads, a table load, MLA, SMMLA, a shift, the clamp and a store, four
 * elements per iteration. `full` (a constant at the call sites) says that the clamp is
 * [-128, 127] (one SSAT). */
RP_INLINE int8_t rp_add_table_one(const int32_t *tab, int32_t coef1, int32_t om, int32_t ohc,
                                  int32_t ok, int32_t lo, int32_t hi, int8_t x1, uint8_t x2,
                                  int32_t full) {
  const int32_t v = rp_asr(rp_smmla((int32_t)x1 * coef1 + tab[x2], om, ohc), ok);
  return (int8_t)(full ? rp_ssat(v, 8) : rp_clamp(v, lo, hi));
}

RP_INLINE void rp_add_table_loop(const int32_t *tab, int32_t coef1, int32_t om, int32_t ohc,
                                 int32_t ok, int32_t lo, int32_t hi, const int8_t *in1,
                                 const int8_t *in2, int8_t *out, int32_t n, int32_t full) {
  const uint8_t *b = (const uint8_t *)in2;
  int32_t i;
  for (i = 0; i + 4 <= n; i += 4) { /* every input byte read before its output is stored */
    const int8_t x0 = in1[i], x1 = in1[i + 1], x2 = in1[i + 2], x3 = in1[i + 3];
    const uint8_t y0 = b[i], y1 = b[i + 1], y2 = b[i + 2], y3 = b[i + 3];
    out[i] = rp_add_table_one(tab, coef1, om, ohc, ok, lo, hi, x0, y0, full);
    out[i + 1] = rp_add_table_one(tab, coef1, om, ohc, ok, lo, hi, x1, y1, full);
    out[i + 2] = rp_add_table_one(tab, coef1, om, ohc, ok, lo, hi, x2, y2, full);
    out[i + 3] = rp_add_table_one(tab, coef1, om, ohc, ok, lo, hi, x3, y3, full);
  }
  for (; i < n; ++i)
    out[i] = rp_add_table_one(tab, coef1, om, ohc, ok, lo, hi, in1[i], b[i], full);
}

/* The table path of rp_add_s8 (stage a a plain product, input a its first operand): fills
 * the table and runs the loop; 0 when the sum's rescale may meet a tie (then the caller's
 * loop runs). */
static int32_t rp_add_table(const rp_add_params *p, const rp_add_stage *sa, int32_t zpa,
                            const rp_add_stage *sb, int32_t zpb, const int8_t *ina,
                            const int8_t *inb, int8_t *out, int32_t n) {
  const int32_t on = 31 - p->out_shift, ok = on - 32, om = p->out_mult;
  const int32_t ohc = (2 * p->out_zp + 1) * ((int32_t)1 << (ok - 1));
  const int32_t base = zpa * sa->coef; /* |zpa * coef| <= 128 * 2^20 */
  int32_t tab[256], q;
  if (!rp_add_tie_free(om, ok))
    return 0;
  for (q = -128; q < 128; ++q) {
    const int32_t d = q - zpb;
    const int32_t r = sb->coef != 0 ? d * sb->coef
                                    : rp_requant_hi(d * ((int32_t)1 << sb->lshift), sb->mult,
                                                    sb->half, sb->k);
    tab[q & 255] = r - base;
  }
  if (p->act_min == -128 && p->act_max == 127)
    rp_add_table_loop(tab, sa->coef, om, ohc, ok, -128, 127, ina, inb, out, n, /*full=*/1);
  else
    rp_add_table_loop(tab, sa->coef, om, ohc, ok, p->act_min, p->act_max, ina, inb, out, n,
                      /*full=*/0);
  return 1;
}
#endif

RP_API void rp_add_s8(const rp_add_params *p, const int8_t *in1, const int8_t *in2, int8_t *out,
                      int32_t n) {
  rp_add_stage s1, s2;
  const int32_t on = 31 - p->out_shift, ok = on - 32;
  /* The sum: |r1 + r2| <= 2^30 by the stage bounds; with on >= 33 its rescale is below
   * 2^(30 + 31 - 33), and k <= 22 keeps |hc| < 2^30. */
  if (!rp_add_stage_plan(p->in1_mult, p->in1_shift, p->left_shift, &s1) ||
      !rp_add_stage_plan(p->in2_mult, p->in2_shift, p->left_shift, &s2) || p->out_mult < 0 ||
      ok < 1 || ok > 22) {
    rp_add_s8_ref(p, in1, in2, out, n);
    return;
  }
#if RP_USE_DSP
  /* Long runs: one input a plain product (the larger input's always is), the other a table
   * (the sum of the two stages is the same in either order). */
  if (n >= RP_ADD_TABLE_MIN && s1.coef != 0 &&
      rp_add_table(p, &s1, p->in1_zp, &s2, p->in2_zp, in1, in2, out, n))
    return;
  if (n >= RP_ADD_TABLE_MIN && s1.coef == 0 && s2.coef != 0 &&
      rp_add_table(p, &s2, p->in2_zp, &s1, p->in1_zp, in2, in1, out, n))
    return;
#endif
  if (p->act_min == -128 && p->act_max == 127) {
    if (s1.coef != 0 && s2.coef == 0)
      rp_add_loop(p, &s1, &s2, in1, in2, out, n, 1, 0, /*full=*/1);
    else if (s1.coef == 0 && s2.coef != 0)
      rp_add_loop(p, &s1, &s2, in1, in2, out, n, 0, 1, /*full=*/1);
    else if (s1.coef != 0 && s2.coef != 0) /* equal scales */
      rp_add_loop(p, &s1, &s2, in1, in2, out, n, 1, 1, /*full=*/1);
    else
      rp_add_loop(p, &s1, &s2, in1, in2, out, n, 0, 0, /*full=*/1);
  } else {
    rp_add_loop(p, &s1, &s2, in1, in2, out, n, 0, 0, /*full=*/0);
  }
}

#if RP_USE_DSP
/* One rescaled input of rp_concat_s8 through a table of its 256 requantised values (the same
 * rp_requantize of each byte, so the same output bytes). */
static void rp_concat_requant_table(const rp_concat_input *ci, int32_t out_zp,
                                    const int8_t *src, int8_t *out, int32_t pixels,
                                    int32_t out_channels) {
  int8_t tab[256];
  int32_t q, px, c;
  for (q = -128; q < 128; ++q)
    tab[q & 255] =
        (int8_t)rp_clamp(rp_requantize(q - ci->in_zp, ci->mult, ci->shift) + out_zp, -128, 127);
  for (px = 0; px < pixels; ++px, src += ci->channels, out += out_channels)
    for (c = 0; c < ci->channels; ++c)
      out[c] = tab[(uint8_t)src[c]];
}
#endif

RP_API void rp_concat_s8(const rp_concat_params *p, const int8_t *const *in, int8_t *out) {
  rp_concat_pixels_s8(p, in, out, p->pixels);
}

RP_API void rp_concat_pixels_s8(const rp_concat_params *p, const int8_t *const *in, int8_t *out,
                                int32_t pixels) {
  int32_t k, offset = 0;
  for (k = 0; k < p->num_inputs; ++k) {
    const rp_concat_input *ci = &p->inputs[k];
    const int8_t *src = in[k];
    int32_t px, c;
#if RP_USE_DSP
    if (ci->mult != 0 && pixels * ci->channels >= 256) { /* 256 values, then lookups */
      rp_concat_requant_table(ci, p->out_zp, src, out + offset, pixels, p->out_channels);
      offset += ci->channels;
      continue;
    }
#endif
    for (px = 0; px < pixels; ++px) {
      int8_t *dst = out + px * p->out_channels + offset;
      const int8_t *s = src + px * ci->channels;
      if (ci->mult == 0) {
        memcpy(dst, s, (size_t)ci->channels);
        continue;
      }
      for (c = 0; c < ci->channels; ++c) {
        int32_t v = rp_requantize((int32_t)s[c] - ci->in_zp, ci->mult, ci->shift) + p->out_zp;
        dst[c] = (int8_t)rp_clamp(v, -128, 127);
      }
    }
    offset += ci->channels;
  }
}

RP_API void rp_softmax_s8(const rp_softmax_params *p, const int8_t *in, int8_t *out) {
  int32_t r, i;
  for (r = 0; r < p->rows; ++r) {
    const int8_t *x = in + r * p->n;
    int8_t *y = out + r * p->n;
    int32_t mx = -128;
    uint32_t sum = 0;
    for (i = 0; i < p->n; ++i)
      mx = rp_max(mx, x[i]);
    for (i = 0; i < p->n; ++i)
      sum += p->exp_table[mx - x[i]];
    /* sum >= exp_table[0] = 65536 > 0: the maximum contributes exp(0). */
    for (i = 0; i < p->n; ++i) {
      uint32_t e = p->exp_table[mx - x[i]];
      int32_t q = (int32_t)((e * 256u + sum / 2u) / sum) - 128;
      y[i] = (int8_t)rp_min(q, 127);
    }
  }
}
