/* rnnpoolc runtime, float build: FastGRNN cells and the RNNPool layer in float32, with the
 * semantics of compiler/interp/RNNPool.cpp and the sweep and caching structure of
 * rp_rnnpool_s8 (so the two builds do the same work per patch). */
#include "rp_f32_internal.h"

RP_F32_API float rp_rnn_nonlinearity_f32(int32_t kind, float x) {
  switch (kind) {
  case RP_F32_NL_SIGMOID:
    return 1.0f / (1.0f + expf(-x));
  case RP_F32_NL_TANH:
    return tanhf(x);
  case RP_F32_NL_QUANT_SIGM:
    x = (x + 1.0f) * 0.5f;
    return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
  default:
    return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
  }
}

/* A cell's weights transposed (W as [in][hidden], U as [hidden][hidden]), for the host's
 * cells; w NULL where they are not. */
typedef struct {
  const float *w, *u;
} rp_fg_t_f32;

#if defined(RP_HOST_SIMD)
#define RP_F32_T_MAX 4096 /* W values transposed on the stack (16 KB) */

/* p's weights transposed into w and u (RP_F32_T_MAX and RP_F32_MAX_HIDDEN^2 values), or
 * none when they do not fit. */
static rp_fg_t_f32 rp_fg_transpose_f32(const rp_fastgrnn_f32_params *p, float *w, float *u) {
  const int32_t in = p->in_dim, n = p->hidden;
  rp_fg_t_f32 t = {0, 0};
  int32_t i, j;
  if (n > RP_F32_MAX_HIDDEN || in * n > RP_F32_T_MAX)
    return t;
  for (j = 0; j < n; ++j)
    for (i = 0; i < in; ++i)
      w[i * n + j] = p->w[j * in + i];
  for (j = 0; j < n; ++j)
    for (i = 0; i < n; ++i)
      u[i * n + j] = p->u[j * n + i];
  t.w = w, t.u = u;
  return t;
}

/* Host builds (RP_HOST_SIMD): e^x without a call, so that a cell's units vectorise. x
 * = k ln 2 + r with |r| <= ln 2 / 2 (k rounded by adding 1.5 * 2^23: no conversion of a
 * NaN to an integer), e^r by Cephes' expf polynomial, 2^k from its exponent bits; x is
 * clamped to [-87, 88], where 2^k is a normal float (within a few ulps of expf; a NaN stays
 * one). */
static inline float rp_host_expf(float x) {
  const float magic = 12582912.0f; /* 1.5 * 2^23 */
  float t, n, r, p, scale;
  uint32_t bits;
  x = x > 88.0f ? 88.0f : x;
  x = x < -87.0f ? -87.0f : x;
  t = x * 1.44269504088896341f + magic;
  n = t - magic;
  memcpy(&bits, &t, sizeof bits);
  bits = ((bits - 0x4B400000u) + 127u) << 23; /* k + 127 in [1, 254] */
  memcpy(&scale, &bits, sizeof scale);
  r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * scale;
}

/* rp_rnn_nonlinearity_f32 of every v[j], j < n, one kind at a time. */
static void rp_host_nl_f32(int32_t kind, float *v, int32_t n) {
  int32_t j;
  if (kind == RP_F32_NL_SIGMOID)
    for (j = 0; j < n; ++j)
      v[j] = 1.0f / (1.0f + rp_host_expf(-v[j]));
  else if (kind == RP_F32_NL_TANH) /* 1 - 2 / (e^2x + 1): +-1 where e^2x saturates */
    for (j = 0; j < n; ++j)
      v[j] = 1.0f - 2.0f / (rp_host_expf(2.0f * v[j]) + 1.0f);
  else
    for (j = 0; j < n; ++j)
      v[j] = rp_rnn_nonlinearity_f32(kind, v[j]);
}

/* out[j] = sum_{i<m} v[i] * wt[i n + j] for the n units, each sum in order of i (as the
 * portable cell's), the units side by side: in vector registers for 16 and 8 units. */
typedef float rp_fg_v16f __attribute__((vector_size(64)));
typedef float rp_fg_v8f __attribute__((vector_size(32)));
static void rp_fg_sums_t_f32(const float *v, const float *wt, int32_t m, int32_t n,
                             float *out) {
  int32_t i, j;
  if (n == 16) {
    rp_fg_v16f a = {0}, w;
    for (i = 0; i < m; ++i) {
      memcpy(&w, wt + 16 * i, sizeof w);
      a += v[i] * w;
    }
    memcpy(out, &a, sizeof a);
  } else if (n == 8) {
    rp_fg_v8f a = {0}, w;
    for (i = 0; i < m; ++i) {
      memcpy(&w, wt + 8 * i, sizeof w);
      a += v[i] * w;
    }
    memcpy(out, &a, sizeof a);
  } else {
    for (j = 0; j < n; ++j)
      out[j] = 0.0f;
    for (i = 0; i < m; ++i)
      for (j = 0; j < n; ++j)
        out[j] += v[i] * wt[i * n + j];
  }
}

/* One step hn <- cell(x, h), as below, with the pre-activations of all units first and
 * the nonlinearities over them as vectors. With the weights transposed (t->w), each unit's
 * sums (x.W, then h.U, then theirs, in the portable order) run side by side along the
 * units, which vectorises too. */
static void rp_fg_step_f32(const rp_fastgrnn_f32_params *p, const rp_fg_t_f32 *t,
                           const float *x, const float *h, float *hn, int32_t first) {
  const int32_t in = p->in_dim, n = p->hidden;
  float z[RP_F32_MAX_HIDDEN], c[RP_F32_MAX_HIDDEN];
  int32_t j, i;
  if (n > RP_F32_MAX_HIDDEN) /* the emitter's bound */
    return;
  if (t->w) {
    float pre[RP_F32_MAX_HIDDEN], hu[RP_F32_MAX_HIDDEN];
    rp_fg_sums_t_f32(x, t->w, in, n, pre);
    if (!first) {
      rp_fg_sums_t_f32(h, t->u, n, n, hu);
      for (j = 0; j < n; ++j)
        pre[j] += hu[j];
    }
    for (j = 0; j < n; ++j)
      z[j] = pre[j] + p->bz[j], c[j] = pre[j] + p->bh[j];
  } else {
    for (j = 0; j < n; ++j) {
      const float *w = p->w + j * in;
      float pre = 0.0f;
      for (i = 0; i < in; ++i)
        pre += x[i] * w[i];
      if (!first) {
        const float *u = p->u + j * n;
        float hu = 0.0f;
        for (i = 0; i < n; ++i)
          hu += h[i] * u[i];
        pre += hu;
      }
      z[j] = pre + p->bz[j], c[j] = pre + p->bh[j];
    }
  }
  rp_host_nl_f32(p->gate, z, n);
  rp_host_nl_f32(p->update, c, n);
  for (j = 0; j < n; ++j)
    hn[j] = (first ? 0.0f : z[j] * h[j]) + (p->zeta * (1.0f - z[j]) + p->nu) * c[j];
}
#else
/* One step hn <- cell(x, h); with first, h is 0 (unread). hn and h are distinct. */
static void rp_fg_step_f32(const rp_fastgrnn_f32_params *p, const rp_fg_t_f32 *t,
                           const float *x, const float *h, float *hn, int32_t first) {
  const int32_t in = p->in_dim, n = p->hidden;
  int32_t j, i;
  (void)t;
  for (j = 0; j < n; ++j) {
    const float *w = p->w + j * in;
    float pre = 0.0f, z, c;
    for (i = 0; i < in; ++i)
      pre += x[i] * w[i];
    if (!first) {
      const float *u = p->u + j * n;
      float hu = 0.0f;
      for (i = 0; i < n; ++i)
        hu += h[i] * u[i];
      pre += hu;
    }
    z = rp_rnn_nonlinearity_f32(p->gate, pre + p->bz[j]);
    c = rp_rnn_nonlinearity_f32(p->update, pre + p->bh[j]);
    hn[j] = (first ? 0.0f : z * h[j]) + (p->zeta * (1.0f - z) + p->nu) * c;
  }
}
#endif

/* RNN1 over count pixels from (y, x) in steps of (dy, dx); the summary goes to h. */
static void rp_rnn1_segment_f32(const rp_rnnpool_f32_params *p, const rp_fg_t_f32 *cell,
                                const rp_view_f32 *in, int32_t y, int32_t x, int32_t dy,
                                int32_t dx, int32_t count, float *h, float *tmp) {
  int32_t t;
  for (t = 0; t < count; ++t) {
    float *dst = (count - 1 - t) % 2 == 0 ? h : tmp, *src = dst == h ? tmp : h;
    rp_fg_step_f32(&p->rnn1, cell, rp_view_pixel_f32(in, y + t * dy, x + t * dx, p->in_c),
                   src, dst, t == 0);
  }
}

/* RNN2 forward and backward over len summaries, the t-th at base + ((start + t) % len) *
 * stride; writes the 2 * h2 final states to dst. h and tmp hold h2 values each. */
static void rp_rnn2_both_f32(const rp_rnnpool_f32_params *p, const rp_fg_t_f32 *cell,
                             const float *base, int32_t start, int32_t len, int32_t stride,
                             float *dst, float *h, float *tmp) {
  const int32_t h2 = p->rnn2.hidden;
  int32_t dir, t;
  for (dir = 0; dir < 2; ++dir) {
    for (t = 0; t < len; ++t) {
      int32_t tt = dir ? len - 1 - t : t;
      float *o = (len - 1 - t) % 2 == 0 ? h : tmp, *src = o == h ? tmp : h;
      rp_fg_step_f32(&p->rnn2, cell, base + ((start + tt) % len) * stride, src, o, t == 0);
    }
    memcpy(dst + dir * h2, h, (size_t)h2 * sizeof(float));
  }
}

RP_F32_API size_t rp_rnnpool_f32_scratch_bytes(const rp_rnnpool_f32_params *p,
                                               int32_t region_cols, int32_t reuse) {
  return rp_rnnpool_scratch_size(p->patch_h, p->stride_h, p->patch_w, p->rnn1.hidden,
                                 p->rnn2.hidden, reuse ? region_cols : 0, sizeof(float));
}

RP_F32_API void rp_rnnpool_f32(const rp_rnnpool_f32_params *p, const rp_view_f32 *in,
                               rp_view_f32 *out, const rp_region_f32 *region, void *scratch,
                               int32_t reuse) {
  const int32_t h1 = p->rnn1.hidden, h2 = p->rnn2.hidden, ph = p->patch_h, pw = p->patch_w;
  const int32_t cache_cols = reuse ? region->col1 - region->col0 : 0;
  /* Rows of summaries kept per column (rp_scratch.h): the carry, with the patch's own
   * gathered apart, or (ring == ph) a ring that holds the patch's own. */
  const rp_rnnpool_layout l = rp_rnnpool_layout_of(ph, p->stride_h, pw, h1, h2, cache_cols);
  const int32_t ring = l.ring, line = l.line;
  float *const row_cache = (float *)scratch;
  float *const rows = row_cache + l.rows;
  float *const col_cache = row_cache + l.cols;
  float *tmp1 = col_cache + pw * h1, *state2 = row_cache + l.states2, *tmp2 = state2 + h2;
  const size_t summary = (size_t)h1 * sizeof *rows;
  int32_t oi, oj, x, t;
#if defined(RP_HOST_SIMD)
  /* The cells' weights transposed on the (host's) stack, where they fit. */
  float w1[RP_F32_T_MAX], u1[RP_F32_MAX_HIDDEN * RP_F32_MAX_HIDDEN];
  float w2[RP_F32_T_MAX], u2[RP_F32_MAX_HIDDEN * RP_F32_MAX_HIDDEN];
  const rp_fg_t_f32 t1 = rp_fg_transpose_f32(&p->rnn1, w1, u1);
  const rp_fg_t_f32 t2 = rp_fg_transpose_f32(&p->rnn2, w2, u2);
#else
  const rp_fg_t_f32 t1 = {0, 0}, t2 = {0, 0};
#endif
  /* Input rows whose row summaries the row cache holds (the last `carry` below rows_done). */
  int32_t rows_done = reuse == RP_RNNPOOL_F32_CONTINUE && region->row0 > 0
                          ? (region->row0 - 1) * p->stride_h + ph
                          : 0;
  for (oi = region->row0; oi < region->row1; ++oi) {
    const int32_t y0 = oi * p->stride_h;
    /* The patch's first `cached` rows were summarised for the patch row above: its first
     * carry rows, or none at a region's first row or where patches do not overlap. */
    const int32_t cached = ring ? rp_f32_imax(rows_done - y0, 0) : 0;
    int32_t cols_done = 0;
    for (oj = region->col0; oj < region->col1; ++oj) {
      const int32_t x0 = oj * p->stride_w;
      float *const column = row_cache + (oj - region->col0) * h1; /* row y at (y % ring) */
      float *dst = rp_view_pixel_f32(out, oi, oj, 4 * h2);
      if (ring < ph)
        for (t = 0; t < cached; ++t)
          memcpy(rows + t * h1, column + ((y0 + t) % ring) * line, summary);
      /* The rows this patch adds: into the ring (the patch's own) or the gathered rows. */
      for (t = cached; t < ph; ++t)
        rp_rnn1_segment_f32(p, &t1, in, y0 + t, x0, 0, 1, pw,
                            ring == ph ? column + ((y0 + t) % ph) * line : rows + t * h1, tmp1);
      /* Gathered: keep what the next patch row shares with this one, over the rows it no
       * longer needs. */
      if (ring && ring < ph)
        for (t = rp_f32_imax(cached, ph - ring); t < ph; ++t)
          memcpy(column + ((y0 + t) % ring) * line, rows + t * h1, summary);
      if (!reuse)
        cols_done = 0;
      for (x = rp_f32_imax(x0, cols_done); x < x0 + pw; ++x)
        rp_rnn1_segment_f32(p, &t1, in, y0, x, 1, 0, ph, col_cache + (x % pw) * h1, tmp1);
      cols_done = x0 + pw;
      if (ring == ph)
        rp_rnn2_both_f32(p, &t2, column, y0, ph, line, dst, state2, tmp2);
      else
        rp_rnn2_both_f32(p, &t2, rows, 0, ph, h1, dst, state2, tmp2);
      rp_rnn2_both_f32(p, &t2, col_cache, x0, pw, h1, dst + 2 * h2, state2, tmp2);
    }
    rows_done = y0 + ph;
  }
}
