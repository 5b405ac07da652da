/* rnnpoolc runtime: FastGRNN cells and the RNNPool layer in Q15 with int32 accumulation.
 *
 * Fixed-point sigmoid: rp_sigmoid_q15[i] = round(32768 * sigmoid(i / 16)) for i = 0..256
 * (computed once with double precision; no libm at run time). A Q12 input x is saturated to
 * [-16, 16], |x| is split into a table index (|x| >> 8) and a fraction (the low 8 bits), the
 * two neighbouring entries are interpolated linearly with rounding, and sigmoid(-x) =
 * 1 - sigmoid(x). Largest error against the real sigmoid: 6.6e-05 (2.2 Q15 steps).
 * tanh(x) = 2 * sigmoid(2x) - 1 from the same table (twice that error).
 *
 * Segment reuse: RNN1 restarts from h = 0 on every row and column segment of a patch, so the
 * summary of a segment depends only on the segment. With overlapping patches the row
 * segments of patch row i are shared with patch row i + 1 and the column segments of a
 * patch with its right neighbour; the scratch caches them (row summaries of the last patch_h
 * input rows for every patch column of the region, indexed by input row modulo patch_h;
 * column summaries of the current patch row indexed by input column modulo patch_w), so
 * each segment is swept once.
 */
#include "rp_internal.h"

static const uint16_t rp_sigmoid_q15[257] = {
16384, 16896, 17407, 17916, 18421, 18923, 19420, 19912, 20397, 20874, 21344, 21804,
22255, 22696, 23127, 23547, 23955, 24352, 24737, 25110, 25471, 25819, 26155, 26479,
26790, 27090, 27377, 27653, 27917, 28169, 28411, 28642, 28862, 29072, 29272, 29462,
29644, 29816, 29979, 30135, 30282, 30422, 30555, 30680, 30799, 30912, 31018, 31119,
31214, 31304, 31389, 31469, 31545, 31616, 31684, 31747, 31807, 31864, 31917, 31968,
32015, 32060, 32102, 32141, 32179, 32214, 32247, 32278, 32307, 32335, 32361, 32385,
32408, 32430, 32450, 32469, 32487, 32504, 32520, 32535, 32549, 32562, 32574, 32586,
32597, 32607, 32617, 32626, 32635, 32643, 32650, 32657, 32664, 32670, 32676, 32682,
32687, 32692, 32696, 32701, 32705, 32709, 32712, 32716, 32719, 32722, 32725, 32727,
32730, 32732, 32734, 32736, 32738, 32740, 32742, 32743, 32745, 32746, 32747, 32749,
32750, 32751, 32752, 32753, 32754, 32755, 32756, 32756, 32757, 32758, 32758, 32759,
32759, 32760, 32760, 32761, 32761, 32762, 32762, 32762, 32763, 32763, 32763, 32764,
32764, 32764, 32764, 32765, 32765, 32765, 32765, 32765, 32766, 32766, 32766, 32766,
32766, 32766, 32766, 32766, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767,
32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32768, 32768,
32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768,
32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768,
32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768,
32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768,
32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768,
32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 32768,
32768, 32768, 32768, 32768, 32768};

/* sigmoid of a Q12 value in [-65536, 65535], in Q15 [0, 32768]. */
static inline int32_t rp_sigmoid_q12(int32_t x) {
  int32_t ax = x < 0 ? -x : x, idx = ax >> 8, lo = rp_sigmoid_q15[idx], y;
  y = idx >= 256 ? 32768 : lo + ((((int32_t)rp_sigmoid_q15[idx + 1] - lo) * (ax & 255) + 128) >> 8);
  return x < 0 ? 32768 - y : y;
}

/* The Q12 -> Q15 nonlinearity `kind` (inputs saturate to [-16, 16)). */
static inline int32_t rp_nonlinearity(int32_t kind, int32_t x) {
  x = rp_ssat(x, 17);
  switch (kind) {
  case RP_NL_TANH: return 2 * rp_sigmoid_q12(rp_ssat(2 * x, 17)) - 32768;
  case RP_NL_QUANT_SIGM: return rp_clamp((x + 4096) * 4, 0, 32768);
  case RP_NL_QUANT_TANH: return rp_clamp(x * 8, -32768, 32768);
  default: return rp_sigmoid_q12(x);
  }
}

RP_API int32_t rp_q15_nonlinearity(int32_t kind, int32_t x) { return rp_nonlinearity(kind, x); }

/* sum (x[i] + x_off) * w over int8 x and int16 w whose groups of four are stored in the
 * order w0, w2, w1, w3 (the lanes SXTAB16 produces); a tail of n % 4 is in natural order. */
static inline int32_t rp_dot_s8_s16(const int8_t *x, const int16_t *w, int32_t n, int32_t x_off,
                                    int32_t acc) {
  int32_t i = 0;
#if RP_USE_DSP
  uint32_t off = rp_pack_offset(x_off);
  for (; i + 4 <= n; i += 4) {
    uint32_t xv = rp_load32(x + i);
    acc = rp_smlad(rp_sxtab16(off, xv), rp_load32(w + i), acc);
    acc = rp_smlad(rp_sxtab16(off, rp_ror8(xv)), rp_load32(w + i + 2), acc);
  }
#else
  for (; i + 4 <= n; i += 4)
    acc += ((int32_t)x[i] + x_off) * w[i] + ((int32_t)x[i + 2] + x_off) * w[i + 1] +
           ((int32_t)x[i + 1] + x_off) * w[i + 2] + ((int32_t)x[i + 3] + x_off) * w[i + 3];
#endif
  for (; i < n; ++i)
    acc += ((int32_t)x[i] + x_off) * w[i];
  return acc;
}

/* sum x[i] * w[i] over int16 vectors. */
static inline int32_t rp_dot_s16(const int16_t *x, const int16_t *w, int32_t n, int32_t acc) {
  int32_t i = 0;
#if RP_USE_DSP
  for (; i + 2 <= n; i += 2)
    acc = rp_smlad(rp_load32(x + i), rp_load32(w + i), acc);
#endif
  for (; i < n; ++i)
    acc += (int32_t)x[i] * w[i];
  return acc;
}

/* Two dot products sharing x: acc0 += x . w0, acc1 += x . w1 over int16 vectors. */
static inline void rp_dot_s16_x2(const int16_t *x, const int16_t *w0, const int16_t *w1,
                                 int32_t n, int32_t *acc0, int32_t *acc1) {
  int32_t i = 0, a0 = *acc0, a1 = *acc1;
#if RP_USE_DSP
  for (; i + 2 <= n; i += 2) {
    uint32_t xv = rp_load32(x + i);
    a0 = rp_smlad(xv, rp_load32(w0 + i), a0);
    a1 = rp_smlad(xv, rp_load32(w1 + i), a1);
  }
#endif
  for (; i < n; ++i) {
    a0 += (int32_t)x[i] * w0[i];
    a1 += (int32_t)x[i] * w1[i];
  }
  *acc0 = a0;
  *acc1 = a1;
}

/* h'_j from the accumulated x.W + h.U of output j and the old h_j, with the nonlinearities
 * passed separately so that the common pairs get loops of their own (see the header: the
 * biases carry the rounding of the shift to Q12, zeta and nu are Q14). */
static inline int16_t rp_fg_update(const rp_fastgrnn_params *p, int32_t acc, int32_t j,
                                   int32_t h, int32_t gate, int32_t update) {
  const int32_t s = p->state_shift;
  int32_t z = rp_nonlinearity(gate, rp_asr(acc + p->bz[j], p->acc_shift));
  int32_t c = rp_nonlinearity(update, rp_asr(acc + p->bh[j], p->acc_shift));
  int32_t coef = rp_asr(p->zeta * (32768 - z) + 16384, 15) + p->nu;
  return rp_sat16(rp_asr(z * h + 16384, 15) +
                  rp_asr(coef * c + ((int32_t)1 << (13 + s)), 14 + s));
}

/* acc[j] = (x . W_j) * 2^x_shift + h . U_j for every hidden unit j, two rows at a time so
 * that each load of x and h serves both (h . U skipped on the first step, where h = 0). */
static void rp_fg_preact(const rp_fastgrnn_params *p, const int8_t *x8, const int16_t *x16,
                         const int16_t *h, int32_t first, int32_t *acc) {
  const int32_t in = p->in_dim, hidden = p->hidden, x_off = -p->x_zp;
  const int32_t x_scale = (int32_t)1 << p->x_shift;
  int32_t j;
  for (j = 0; j < hidden; ++j) {
    const int16_t *w = p->w + j * in;
    acc[j] = (x8 ? rp_dot_s8_s16(x8, w, in, x_off, 0) : rp_dot_s16(x16, w, in, 0)) * x_scale;
  }
  if (first)
    return;
  for (j = 0; j + 2 <= hidden; j += 2)
    rp_dot_s16_x2(h, p->u + j * hidden, p->u + (j + 1) * hidden, hidden, &acc[j], &acc[j + 1]);
  if (j < hidden)
    acc[j] = rp_dot_s16(h, p->u + j * hidden, hidden, acc[j]);
}

/* One step hn <- cell(x, h) with x int8 (x8) or int16 (x16); with first, h is 0 (unread). */
static void rp_fg_step(const rp_fastgrnn_params *p, const int8_t *x8, const int16_t *x16,
                       const int16_t *h, int16_t *hn, int32_t first) {
  int32_t acc[RP_FASTGRNN_MAX_HIDDEN];
  int32_t j;
  const int32_t n = p->hidden;
  rp_fg_preact(p, x8, x16, h, first, acc);
  if (first) /* h = 0 */
    for (j = 0; j < n; ++j)
      hn[j] = rp_fg_update(p, acc[j], j, 0, p->gate, p->update);
  else if (p->gate == RP_NL_SIGMOID && p->update == RP_NL_TANH)
    for (j = 0; j < n; ++j)
      hn[j] = rp_fg_update(p, acc[j], j, h[j], RP_NL_SIGMOID, RP_NL_TANH);
  else if (p->gate == RP_NL_QUANT_SIGM && p->update == RP_NL_QUANT_TANH)
    for (j = 0; j < n; ++j)
      hn[j] = rp_fg_update(p, acc[j], j, h[j], RP_NL_QUANT_SIGM, RP_NL_QUANT_TANH);
  else
    for (j = 0; j < n; ++j)
      hn[j] = rp_fg_update(p, acc[j], j, h[j], p->gate, p->update);
}

RP_API void rp_fastgrnn_sweep_s8(const rp_fastgrnn_params *p, const int8_t *x, int32_t count,
                                 int32_t stride, int16_t *h, int16_t *tmp) {
  int32_t t;
  /* Alternate buffers so that the last step writes h. */
  for (t = 0; t < count; ++t) {
    int16_t *dst = (count - 1 - t) % 2 == 0 ? h : tmp, *src = dst == h ? tmp : h;
    rp_fg_step(p, x + t * stride, 0, src, dst, t == 0);
  }
  if (count == 0)
    memset(h, 0, (size_t)p->hidden * sizeof *h);
}

/* RNN1 over count pixels from (y, x) in steps of (dy, dx); the summary goes to h. */
static void rp_rnn1_segment(const rp_rnnpool_params *p, const rp_view *in, int32_t y, int32_t x,
                            int32_t dy, int32_t dx, int32_t count, int16_t *h, int16_t *tmp) {
  int32_t t;
  for (t = 0; t < count; ++t) {
    int16_t *dst = (count - 1 - t) % 2 == 0 ? h : tmp, *src = dst == h ? tmp : h;
    rp_fg_step(&p->rnn1, rp_view_pixel(in, y + t * dy, x + t * dx, p->in_c), 0, src, dst,
               t == 0);
  }
}

/* RNN2 forward and backward over len summaries, the t-th at base + ((start + t) % len) *
 * stride; writes 2 * h2 int8 outputs to dst. h and tmp hold h2 values each. */
static void rp_rnn2_both(const rp_rnnpool_params *p, const int16_t *base, int32_t start,
                         int32_t len, int32_t stride, int8_t *dst, int16_t *h, int16_t *tmp) {
  const int32_t h2 = p->rnn2.hidden;
  int32_t dir, t, j;
  for (dir = 0; dir < 2; ++dir) {
    for (t = 0; t < len; ++t) {
      int32_t tt = dir ? len - 1 - t : t;
      int16_t *out = (len - 1 - t) % 2 == 0 ? h : tmp, *src = out == h ? tmp : h;
      rp_fg_step(&p->rnn2, 0, base + ((start + tt) % len) * stride, src, out, t == 0);
    }
    for (j = 0; j < h2; ++j) {
      int32_t v = rp_requant_inline(h[j], p->out_mult, p->out_shift) + p->out_zp;
      dst[dir * h2 + j] = (int8_t)rp_clamp(v, -128, 127);
    }
  }
}

RP_API size_t rp_rnnpool_scratch_bytes(const rp_rnnpool_params *p, int32_t region_cols,
                                       int32_t reuse) {
  size_t cols = reuse ? (size_t)region_cols : 1u;
  size_t h1 = (size_t)p->rnn1.hidden, h2 = (size_t)p->rnn2.hidden;
  size_t elems = ((size_t)p->patch_h * cols + (size_t)p->patch_w + 1u) * h1 + 2u * h2;
  return (elems * sizeof(int16_t) + 3u) & ~(size_t)3u;
}

RP_API void rp_rnnpool_s8(const rp_rnnpool_params *p, const rp_view *in, rp_view *out,
                          const rp_region *region, void *scratch, int32_t reuse) {
  const int32_t h1 = p->rnn1.hidden, h2 = p->rnn2.hidden, ph = p->patch_h, pw = p->patch_w;
  const int32_t cache_cols = reuse ? region->col1 - region->col0 : 1;
  int16_t *row_cache = (int16_t *)scratch;
  int16_t *col_cache = row_cache + ph * cache_cols * h1;
  int16_t *tmp1 = col_cache + pw * h1, *state2 = tmp1 + h1, *tmp2 = state2 + h2;
  int32_t oi, oj, y, x, rows_done = 0;
  for (oi = region->row0; oi < region->row1; ++oi) {
    const int32_t y0 = oi * p->stride_h;
    int32_t cols_done = 0;
    if (reuse) { /* the row segments this patch row adds, for every patch column */
      for (y = rp_max(y0, rows_done); y < y0 + ph; ++y)
        for (oj = region->col0; oj < region->col1; ++oj)
          rp_rnn1_segment(p, in, y, oj * p->stride_w, 0, 1, pw,
                          row_cache + ((y % ph) * cache_cols + oj - region->col0) * h1, tmp1);
      rows_done = y0 + ph;
    }
    for (oj = region->col0; oj < region->col1; ++oj) {
      const int32_t x0 = oj * p->stride_w;
      int8_t *dst = rp_view_pixel(out, oi, oj, 4 * h2);
      if (!reuse) {
        for (y = y0; y < y0 + ph; ++y)
          rp_rnn1_segment(p, in, y, x0, 0, 1, pw, row_cache + (y % ph) * h1, tmp1);
        cols_done = 0;
      }
      for (x = rp_max(x0, cols_done); x < x0 + pw; ++x)
        rp_rnn1_segment(p, in, y0, x, 1, 0, ph, col_cache + (x % pw) * h1, tmp1);
      cols_done = x0 + pw;
      rp_rnn2_both(p, row_cache + (reuse ? oj - region->col0 : 0) * h1, y0, ph,
                   cache_cols * h1, dst, state2, tmp2);
      rp_rnn2_both(p, col_cache, x0, pw, h1, dst + 2 * h2, state2, tmp2);
    }
  }
}
