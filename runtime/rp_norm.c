/* rnnpoolc runtime: L2 normalisation over channels (integer inverse square root, no libm),
 * int8 multiplies (same shape, or by a per-channel constant), channel slices and constant
 * padding of spatial maps. */
#include "rp_internal.h"

RP_API uint32_t rp_isqrt64(uint64_t x) {
  /* Bit-by-bit square root: the result's bits from the top, each kept if its square fits. */
  uint64_t rem = x, root = 0, bit = (uint64_t)1 << 62;
  while (bit > rem)
    bit >>= 2;
  while (bit != 0) {
    if (rem >= root + bit) {
      rem -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return (uint32_t)root;
}

/* mant * 2^(sh), floored, saturated at 2^60 (mant >= 0). */
static inline uint64_t rp_scaled_term(int32_t mant, int32_t sh) {
  if (mant <= 0)
    return 0;
  if (sh >= 0)
    return sh > 29 ? (uint64_t)1 << 60 : (uint64_t)mant << sh;
  return -sh >= 63 ? 0 : (uint64_t)mant >> -sh;
}

#if RP_USE_DSP
/* floor(sqrt(x)) of a 32-bit value (rp_isqrt64's algorithm in 32-bit words, from the top bit
 * pair of x: the same exact result in a third of the instructions). */
static uint32_t rp_isqrt32(uint32_t x) {
  uint32_t rem = x, root = 0, bit;
  if (x == 0)
    return 0;
#if defined(__GNUC__)
  bit = (uint32_t)1 << ((31 - __builtin_clz(x)) & ~1);
#else
  bit = (uint32_t)1 << 30;
  while (bit > rem)
    bit >>= 2;
#endif
  while (bit != 0) {
    if (rem >= root + bit) {
      rem -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return root;
}

/* The k of rp_l2norm_s8 for s > 0, as its portable loop counts it (k goes up from 0 while
 * k < 14 and s * 2^(2k + 2) < 2^30): with 2^b <= s < 2^(b + 1) that inequality holds
 * exactly when b + 2k + 2 <= 29, i.e. 2k <= 27 - b, so the loop ends at the first k past
 * (27 - b) / 2, or at once when b > 27. */
static int32_t rp_l2norm_k(int32_t s) {
  int32_t b, k;
#if defined(__GNUC__)
  b = 31 - __builtin_clz((uint32_t)s);
#else
  b = 0;
  while (b < 30 && (s >> (b + 1)) != 0)
    ++b;
#endif
  if (b > 27)
    return 0;
  k = ((27 - b) >> 1) + 1;
  return k < 14 ? k : 14;
}
#endif

RP_API void rp_l2norm_s8(const rp_l2norm_params *p, const int8_t *in, int8_t *out,
                         int32_t pixels) {
  const int32_t c_n = p->channels;
  int32_t px, c;
  for (px = 0; px < pixels; ++px) {
    const int8_t *x = in + px * c_n;
    int8_t *y = out + px * c_n;
    int32_t s = 0, k = 0;
    uint64_t sq, denom, recip;
    for (c = 0; c < c_n; ++c) {
      int32_t d = (int32_t)x[c] - p->in_zp;
      s += d * d;
    }
    if (s == 0) {
      for (c = 0; c < c_n; ++c)
        y[c] = (int8_t)rp_clamp(p->out_zp, -128, 127);
      continue;
    }
    /* The largest k <= 14 with s * 4^k < 2^30, so that sqrt keeps at least 14 bits. */
#if RP_USE_DSP
    k = rp_l2norm_k(s);
#else
    while (k < 14 && ((uint64_t)s << (2 * k + 2)) < ((uint64_t)1 << 30))
      ++k;
#endif
    sq = (uint64_t)s << (2 * k);
    if (p->eps_inside)
      sq += rp_scaled_term(p->eps_mant, 2 * k - p->eps_exp);
#if RP_USE_DSP
    denom = (sq >> 32) == 0 ? rp_isqrt32((uint32_t)sq) : rp_isqrt64(sq);
#else
    denom = rp_isqrt64(sq);
#endif
    if (!p->eps_inside)
      denom += rp_scaled_term(p->eps_mant, k - p->eps_exp);
    recip = ((((uint64_t)1) << (30 + k)) + denom / 2) / denom;
    for (c = 0; c < c_n; ++c) {
      int32_t v = ((int32_t)x[c] - p->in_zp) * (int32_t)recip;
      int32_t q = rp_requant_inline(v, p->mult[c], p->shift[c]) + p->out_zp;
      y[c] = (int8_t)rp_clamp(q, -128, 127);
    }
  }
}

#if RP_USE_DSP
/* Whether the DSP loop of rp_mul_s8 applies: the requantisation in rp_requant_hi's common
 * case (k = 30 - shift - 32 in [1, 22]) and unable to meet a tie, so that the floor of
 * (x * mult + hc * 2^32) / 2^(32 + k), one SMMLA and a shift, is rp_requant_hi's value. The
 * [x < 0] term of rp_requant_hi changes the floor only when x * mult is an odd multiple of
 * 2^(31 + k); with t trailing zero bits in mult, x would be a multiple of 2^(31 + k - t),
 * which no product |x| <= 255^2 < 2^16 other than 0 is while 31 + k - t >= 16. */
static int32_t rp_mul_fast(int32_t mult, int32_t shift) {
  const int32_t k = -1 - shift;
  int32_t t = 0;
  if (mult < 0 || k < 1 || k > 22)
    return 0;
  while (mult != 0 && t < 31 && ((mult >> t) & 1) == 0)
    ++t;
  return 31 + k - t >= 16;
}

/* One output of the DSP loop: clamp(asr(SMMLA(x, mult, hc), k)), out_zp in hc. */
RP_INLINE int8_t rp_mul_out(int32_t x, int32_t m, int32_t hc, int32_t k, int32_t lo, int32_t hi,
                            int32_t full) {
  const int32_t v = rp_asr(rp_smmla(x, m, hc), k);
  return (int8_t)(full ? rp_ssat(v, 8) : rp_clamp(v, lo, hi));
}

/* Four elements per iteration: one word of each input, SXTAB16 subtracts the zero points of
 * two lanes at once, SMULBB / SMULTT form the products. */
RP_INLINE void rp_mul_lanes(const rp_mul_params *p, const int8_t *in1, const int8_t *in2,
                            int8_t *out, int32_t n, int32_t full) {
  const uint32_t off1 = rp_pack_offset(-p->in1_zp), off2 = rp_pack_offset(-p->in2_zp);
  const int32_t m = p->mult, k = -1 - p->shift, lo = p->act_min, hi = p->act_max;
  const int32_t hc = (2 * p->out_zp + 1) * ((int32_t)1 << (k - 1));
  int32_t i;
  for (i = 0; i + 4 <= n; i += 4) {
    const uint32_t a = rp_load32(in1 + i), b = rp_load32(in2 + i);
    const int32_t a02 = (int32_t)rp_sxtab16(off1, a), b02 = (int32_t)rp_sxtab16(off2, b);
    const int32_t a13 = (int32_t)rp_sxtab16_ror8(off1, a),
                  b13 = (int32_t)rp_sxtab16_ror8(off2, b);
    out[i] = rp_mul_out(rp_smlabb(a02, b02, 0), m, hc, k, lo, hi, full);
    out[i + 1] = rp_mul_out(rp_smlabb(a13, b13, 0), m, hc, k, lo, hi, full);
    out[i + 2] = rp_mul_out(rp_smlatt(a02, b02, 0), m, hc, k, lo, hi, full);
    out[i + 3] = rp_mul_out(rp_smlatt(a13, b13, 0), m, hc, k, lo, hi, full);
  }
  for (; i < n; ++i)
    out[i] = rp_mul_out(((int32_t)in1[i] - p->in1_zp) * ((int32_t)in2[i] - p->in2_zp), m, hc, k,
                        lo, hi, full);
}
#endif

RP_API void rp_mul_s8(const rp_mul_params *p, const int8_t *in1, const int8_t *in2, int8_t *out,
                      int32_t n) {
  int32_t i;
#if RP_USE_DSP
  if (rp_mul_fast(p->mult, p->shift)) {
    if (p->act_min == -128 && p->act_max == 127)
      rp_mul_lanes(p, in1, in2, out, n, /*full=*/1);
    else
      rp_mul_lanes(p, in1, in2, out, n, /*full=*/0);
    return;
  }
#endif
  for (i = 0; i < n; ++i) {
    int32_t prod = ((int32_t)in1[i] - p->in1_zp) * ((int32_t)in2[i] - p->in2_zp);
    int32_t v = rp_requant_inline(prod, p->mult, p->shift) + p->out_zp;
    out[i] = (int8_t)rp_clamp(v, p->act_min, p->act_max);
  }
}

RP_API void rp_mul_gate_s8(const rp_mul_gate_params *p, const int8_t *in, const int8_t *gate,
                           int8_t *out, int32_t pixels) {
  const int32_t channels = p->channels;
  int32_t px, c;
  if (!p->per_pixel) { /* each pixel times the gate's channels: rp_mul_s8's loops */
    rp_mul_params m;
    m.in1_zp = p->in_zp, m.in2_zp = p->gate_zp, m.out_zp = p->out_zp;
    m.mult = p->mult, m.shift = p->shift, m.act_min = p->act_min, m.act_max = p->act_max;
#if RP_USE_DSP
    if (rp_mul_fast(m.mult, m.shift)) { /* the lanes inlined into the loop over pixels */
      if (m.act_min == -128 && m.act_max == 127)
        for (px = 0; px < pixels; ++px)
          rp_mul_lanes(&m, in + px * channels, gate, out + px * channels, channels, 1);
      else
        for (px = 0; px < pixels; ++px)
          rp_mul_lanes(&m, in + px * channels, gate, out + px * channels, channels, 0);
      return;
    }
#endif
    for (px = 0; px < pixels; ++px)
      rp_mul_s8(&m, in + px * channels, gate, out + px * channels, channels);
    return;
  }
#if RP_USE_DSP
  if (rp_mul_fast(p->mult, p->shift)) { /* rp_mul_s8's DSP requantisation, one gate a pixel */
    const int32_t m = p->mult, k = -1 - p->shift, lo = p->act_min, hi = p->act_max;
    const int32_t hc = (2 * p->out_zp + 1) * ((int32_t)1 << (k - 1));
    const int32_t full = lo == -128 && hi == 127;
    for (px = 0; px < pixels; ++px) {
      const int8_t *x = in + px * channels;
      const int32_t g = (int32_t)gate[px] - p->gate_zp;
      int8_t *y = out + px * channels;
      for (c = 0; c < channels; ++c)
        y[c] = rp_mul_out(((int32_t)x[c] - p->in_zp) * g, m, hc, k, lo, hi, full);
    }
    return;
  }
#endif
  for (px = 0; px < pixels; ++px) {
    const int8_t *x = in + px * channels;
    const int32_t g = (int32_t)gate[px] - p->gate_zp;
    int8_t *y = out + px * channels;
    for (c = 0; c < channels; ++c) {
      const int32_t v = rp_requant_inline(((int32_t)x[c] - p->in_zp) * g, p->mult, p->shift);
      y[c] = (int8_t)rp_clamp(v + p->out_zp, p->act_min, p->act_max);
    }
  }
}

RP_API void rp_mul_channel_s8(const rp_mul_channel_params *p, const int8_t *in, int8_t *out,
                              int32_t pixels) {
  int32_t px, c;
  for (px = 0; px < pixels; ++px) {
    const int8_t *x = in + px * p->channels;
    int8_t *y = out + px * p->channels;
    for (c = 0; c < p->channels; ++c) {
      int32_t v = rp_requant_inline((int32_t)x[c] - p->in_zp, p->mult[c], p->shift[c]);
      y[c] = (int8_t)rp_clamp(v + p->out_zp, p->act_min, p->act_max);
    }
  }
}

RP_API void rp_channel_slice_s8(const rp_channel_slice_params *p, const int8_t *in, int8_t *out,
                                int32_t pixels) {
  int32_t px;
  for (px = 0; px < pixels; ++px)
    memcpy(out + px * p->channels, in + px * p->in_channels + p->first, (size_t)p->channels);
}

RP_API void rp_pad_s8(const rp_pad_params *p, const rp_view *in, rp_view *out,
                      const rp_region *region) {
  /* The constant mode of rp_pad_mode_s8 (rp_shape.c), in place the same way. */
  rp_pad_mode_params m;
  m.in_h = p->in_h, m.in_w = p->in_w, m.channels = p->channels;
  m.out_h = p->out_h, m.out_w = p->out_w;
  m.pad_top = p->pad_top, m.pad_left = p->pad_left;
  m.mode = RP_PAD_CONSTANT, m.value = p->value;
  rp_pad_mode_s8(&m, in, out, region);
}
