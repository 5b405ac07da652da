/* rnnpoolc runtime, float build: fully connected layers, global average pooling, add,
 * broadcasting binary ops, channel reductions, concat, split, unary activations and softmax. */
#include "rp_f32_internal.h"

/* acc + sum_{k<n} x[k] * w[k]. Host builds (RP_HOST_SIMD) let clang reorder the sum so
 * that it vectorises, as the host convolutions do (rp_f32_host_conv.h): within the float
 * build's tolerance of the in-order sum. */
static inline float rp_fc_dot_f32(const float *x, const float *w, int32_t n, float acc) {
#if defined(RP_HOST_SIMD) && defined(__clang__)
#pragma clang fp reassociate(on) contract(fast)
#endif
  int32_t k;
  for (k = 0; k < n; ++k)
    acc += x[k] * w[k];
  return acc;
}

RP_F32_API void rp_fc_f32(const rp_fc_f32_params *p, const float *in, float *out) {
  int32_t m, o;
  for (m = 0; m < p->rows; ++m) {
    const float *x = in + m * p->in_features;
    float *y = out + m * p->out_features;
    for (o = 0; o < p->out_features; ++o)
      y[o] = rp_act_inline_f32(&p->act, rp_fc_dot_f32(x, p->weights + o * p->in_features,
                                                      p->in_features, p->bias[o]));
  }
}

RP_F32_API void rp_global_avgpool_f32(const rp_global_avgpool_f32_params *p, const float *in,
                                      float *out) {
  const int32_t n = p->in_h * p->in_w;
  int32_t c, i;
  for (c = 0; c < p->channels; ++c) {
    float sum = 0.0f;
    for (i = 0; i < n; ++i)
      sum += in[i * p->channels + c];
    out[c] = sum / (float)n;
  }
}

RP_F32_API void rp_add_f32(const float *in1, const float *in2, float *out, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i)
    out[i] = in1[i] + in2[i];
}

RP_F32_API void rp_binary_f32(const rp_binary_f32_params *p, const float *a, const float *b,
                              float *out) {
  int32_t px, c;
  for (px = 0; px < p->pixels; ++px) {
    const float *x = a + px * p->a.pixel_stride, *y = b + px * p->b.pixel_stride;
    float *o = out + px * p->channels;
    for (c = 0; c < p->channels; ++c) {
      const float u = x[c * p->a.channel_stride], v = y[c * p->b.channel_stride];
      switch (p->op) {
      case RP_BIN_ADD:
        o[c] = u + v;
        break;
      case RP_BIN_SUB:
        o[c] = u - v;
        break;
      case RP_BIN_MUL:
        o[c] = u * v;
        break;
      case RP_BIN_DIV:
        o[c] = u / v;
        break;
      case RP_BIN_MAX:
        o[c] = u >= v ? u : v;
        break;
      case RP_BIN_MIN:
        o[c] = u <= v ? u : v;
        break;
      default:
        o[c] = powf(u, v);
        break;
      }
    }
  }
}

RP_F32_API void rp_reduce_channels_f32(const rp_reduce_channels_f32_params *p, const float *in,
                                       float *out) {
  int32_t px, c;
  for (px = 0; px < p->pixels; ++px) {
    const float *x = in + px * p->channels;
    float acc = x[0];
    if (p->op == RP_RED_MAX) {
      for (c = 1; c < p->channels; ++c)
        acc = x[c] > acc ? x[c] : acc;
    } else if (p->op == RP_RED_MIN) {
      for (c = 1; c < p->channels; ++c)
        acc = x[c] < acc ? x[c] : acc;
    } else {
      acc = 0.0f;
      for (c = 0; c < p->channels; ++c)
        acc += x[c];
      if (p->op == RP_RED_MEAN)
        acc /= (float)p->channels;
    }
    out[px] = acc;
  }
}

RP_F32_API void rp_l2norm_f32(const rp_l2norm_f32_params *p, const float *in, float *out) {
  int32_t px, c;
  for (px = 0; px < p->pixels; ++px) {
    const float *x = in + px * p->channels;
    float *y = out + px * p->channels, sum = 0.0f, norm;
    for (c = 0; c < p->channels; ++c)
      sum += x[c] * x[c];
    norm = p->eps_inside ? sqrtf(sum + p->eps) : sqrtf(sum) + p->eps;
    for (c = 0; c < p->channels; ++c) {
      const float s = p->scale_count == 0 ? 1.0f : p->scale[p->scale_count == 1 ? 0 : c];
      y[c] = x[c] / norm * s;
    }
  }
}

RP_F32_API void rp_concat_f32(const rp_concat_f32_params *p, const float *const *in,
                              float *out) {
  int32_t i, px, offset = 0;
  for (i = 0; i < p->num_inputs; ++i) {
    const int32_t c = p->channels[i];
    for (px = 0; px < p->pixels; ++px)
      memcpy(out + px * p->out_channels + offset, in[i] + px * c, (size_t)c * sizeof(float));
    offset += c;
  }
}

RP_F32_API void rp_split_f32(const rp_split_f32_params *p, const float *in, float *const *out) {
  int32_t i, px, offset = 0;
  for (i = 0; i < p->num_outputs; ++i) {
    const int32_t c = p->channels[i];
    for (px = 0; px < p->pixels; ++px)
      memcpy(out[i] + px * c, in + px * p->in_channels + offset, (size_t)c * sizeof(float));
    offset += c;
  }
}

RP_F32_API void rp_unary_f32(const rp_act_f32 *act, const float *in, float *out, int32_t n) {
  rp_act_run_f32(act, in, out, n);
}

RP_F32_API void rp_store_planes_f32(const float *in, float *out, int32_t first, int32_t n,
                                    int32_t hw, int32_t channels) {
  int32_t c, p, i;
  if (n <= 0 || hw <= 0)
    return;
  c = first / hw, p = first % hw;
  for (; n > 0; ++c, p = 0) { /* the rest of channel c's plane, from pixel p */
    const int32_t run = hw - p < n ? hw - p : n;
    float *o = out + p * channels + c;
    for (i = 0; i < run; ++i)
      o[i * channels] = in[i];
    in += run, n -= run;
  }
}

RP_F32_API void rp_softmax_f32(const rp_softmax_f32_params *p, const float *in, float *out) {
  int32_t r, i;
  for (r = 0; r < p->rows; ++r) {
    const float *x = in + r * p->n;
    float *y = out + r * p->n;
    float max = x[0], sum = 0.0f;
    for (i = 1; i < p->n; ++i)
      max = x[i] > max ? x[i] : max;
    for (i = 0; i < p->n; ++i) {
      y[i] = expf(x[i] - max);
      sum += y[i];
    }
    for (i = 0; i < p->n; ++i)
      y[i] /= sum;
  }
}
