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

RP_API void rp_quantize_f32_s8(const float *in, int8_t *out, int32_t n, float inv_scale,
                               int32_t zp) {
  int32_t i;
  for (i = 0; i < n; ++i) {
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
    out[i] = (int8_t)rp_clamp(q + zp, -128, 127);
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

RP_API void rp_add_s8(const rp_add_params *p, const int8_t *in1, const int8_t *in2, int8_t *out,
                      int32_t n) {
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

RP_API void rp_concat_s8(const rp_concat_params *p, const int8_t *const *in, int8_t *out) {
  int32_t k, offset = 0;
  for (k = 0; k < p->num_inputs; ++k) {
    const rp_concat_input *ci = &p->inputs[k];
    const int8_t *src = in[k];
    int32_t px, c;
    for (px = 0; px < p->pixels; ++px) {
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
