/* rnnpoolc runtime, float build: helpers shared by the rp_f32_*.c kernel sources (view
 * addressing, clamps). Not part of the public API. */
#ifndef RNNPOOLC_RP_F32_INTERNAL_H
#define RNNPOOLC_RP_F32_INTERNAL_H

#include "rnnpoolc_runtime_f32.h"
#include "rp_scratch.h"

#include <math.h>
#include <string.h>

static inline int32_t rp_f32_imin(int32_t a, int32_t b) {
  return a < b ? a : b;
}
static inline int32_t rp_f32_imax(int32_t a, int32_t b) {
  return a > b ? a : b;
}

/* Address of pixel (y, x) of a float view over a tensor with `c` channels. */
static inline float *rp_view_pixel_f32(const rp_view_f32 *v, int32_t y, int32_t x, int32_t c) {
  int32_t row = v->ring_rows ? y % v->ring_rows : y - v->row0;
  return v->data + ((row * v->cols) + (x - v->col0)) * c;
}

/* The activation, inlined into the kernels' output loops. */
static inline float rp_act_inline_f32(const rp_act_f32 *act, float x) {
  float t;
  switch (act->kind) {
  case RP_ACT_RELU:
    return x > 0.0f ? x : 0.0f;
  case RP_ACT_CLIP:
    t = x > act->alpha ? x : act->alpha;
    return t < act->beta ? t : act->beta;
  case RP_ACT_LEAKY_RELU:
    return x >= 0.0f ? x : act->alpha * x;
  case RP_ACT_SIGMOID:
    return 1.0f / (1.0f + expf(-x));
  case RP_ACT_HARD_SIGMOID:
    t = act->alpha * x + act->beta;
    return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
  case RP_ACT_HARD_SWISH:
    t = x * (1.0f / 6.0f) + 0.5f;
    return x * (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
  case RP_ACT_TANH:
    return tanhf(x);
  case RP_ACT_SQRT:
    return sqrtf(x);
  case RP_ACT_EXP:
    return expf(x);
  case RP_ACT_NEG:
    return -x;
  case RP_ACT_ABS:
    return fabsf(x);
  case RP_ACT_RECIPROCAL:
    return 1.0f / x;
  case RP_ACT_SOFTPLUS: /* as the host interpreter: exp cannot overflow */
    return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
  case RP_ACT_LOG:
    return logf(x);
  case RP_ACT_FLOOR:
    return floorf(x);
  case RP_ACT_CEIL:
    return ceilf(x);
  case RP_ACT_ERF:
    return erff(x);
  default:
    return x;
  }
}

/* out[i] = rp_act_inline_f32(act, in[i]) for i < n, choosing the activation once, so that
 * the common ones (none, ReLU, clip) run as plain loops. */
static inline void rp_act_run_f32(const rp_act_f32 *act, const float *in, float *out,
                                  int32_t n) {
  const float lo = act->alpha, hi = act->beta;
  int32_t i;
  if (act->kind == RP_ACT_NONE)
    for (i = 0; i < n; ++i)
      out[i] = in[i];
  else if (act->kind == RP_ACT_RELU)
    for (i = 0; i < n; ++i)
      out[i] = in[i] > 0.0f ? in[i] : 0.0f;
  else if (act->kind == RP_ACT_CLIP)
    for (i = 0; i < n; ++i) {
      const float t = in[i] > lo ? in[i] : lo;
      out[i] = t < hi ? t : hi;
    }
  else
    for (i = 0; i < n; ++i)
      out[i] = rp_act_inline_f32(act, in[i]);
}

#endif /* RNNPOOLC_RP_F32_INTERNAL_H */
