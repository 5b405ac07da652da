/* rnnpoolc runtime, float build, host builds only: the convolution path that LLVM's loop
 * vectoriser turns into SIMD code (see rp_host_conv.h for the int8 twin). rp_f32_conv.c
 * includes this file when RP_HOST_SIMD is defined, which only the LLVM backend's host
 * bitcode does.
 *
 * groups == 1 with weights the host object packs (rp_host_pack.h: fields of at most
 * RP_HOST_PACK_MAX_N values) runs the outer-product form (rp_f32_host_conv_t); longer fields
 * (OHWI weights) gather the receptive fields of RP_F32_HOST_PIX output pixels once (0
 * outside the tensor), then every two output channels run eight sums over the field,
 * vectorised along it; depthwise layers sum 16 channels per vector. Vectorising a float sum
 * reorders its additions or lets them fuse with the multiplies, which clang allows here only
 * (`#pragma clang fp`, under clang): the results differ from the portable loop's by
 * rounding, within the float build's tolerance of the float interpreter. The buffers are on
 * the stack (about 70 KB): a host thread's stack, never a board's. */
#ifndef RNNPOOLC_RP_F32_HOST_CONV_H
#define RNNPOOLC_RP_F32_HOST_CONV_H

#include "rp_host_pack.h"

#define RP_F32_HOST_PIX 4      /* output pixels per pass */
#define RP_F32_HOST_MAX_N 4096 /* receptive field values per pixel (on the stack) */
#define RP_F32_HOST_CHUNK 16384 /* weight values of the channels run over a region at a time */
#define RP_F32_HOST_CHUNK_CH 512 /* output channels a pass of the outer form runs at most */

/* n floats from src to dst (apart) in copies of constant size, which compile to vector
 * loads and stores: a gathered window row is short (a 3x3 stem's: 9 floats), and a call
 * to memcpy per row cost more than the copy. Runs of 4 or more go as overlapping blocks. */
static inline void rp_f32_host_copy(float *dst, const float *src, int32_t n) {
  int32_t i;
  if (n >= 16) {
    for (i = 0; i + 16 < n; i += 16)
      memcpy(dst + i, src + i, 16 * sizeof *dst);
    memcpy(dst + n - 16, src + n - 16, 16 * sizeof *dst);
  } else if (n >= 8) {
    memcpy(dst, src, 8 * sizeof *dst);
    memcpy(dst + n - 8, src + n - 8, 8 * sizeof *dst);
  } else if (n >= 4) {
    memcpy(dst, src, 4 * sizeof *dst);
    memcpy(dst + n - 4, src + n - 4, 4 * sizeof *dst);
  } else {
    for (i = 0; i < n; ++i)
      dst[i] = src[i];
  }
}

/* Output pixel (oy, ox)'s receptive field in weight order (OHWI's HWI) into col; taps
 * outside the tensor are 0, as a skipped tap. */
static void rp_f32_host_gather(const rp_conv_f32_params *p, const rp_view_f32 *in, int32_t oy,
                               int32_t ox, float *col) {
  const int32_t cin = p->in_c, span = p->k_w * cin; /* one window row's values */
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  /* whether a window row's taps are all inside the tensor and side by side */
  const int32_t whole = p->dil_w == 1 && ix0 >= 0 && ix0 + p->k_w <= p->in_w;
  int32_t ky, kx, i;
  for (ky = 0; ky < p->k_h; ++ky, col += span) {
    const int32_t iy = iy0 + ky * p->dil_h;
    const float *row;
    if (iy < 0 || iy >= p->in_h) {
      memset(col, 0, (size_t)span * sizeof *col);
      continue;
    }
    row = rp_view_pixel_f32(in, iy, in->col0, cin); /* the ring resolved once per row */
    if (whole) {
      rp_f32_host_copy(col, row + (ix0 - in->col0) * cin, span);
      continue;
    }
    for (kx = 0; kx < p->k_w; ++kx) {
      const int32_t ix = ix0 + kx * p->dil_w;
      float *to = col + kx * cin;
      if (ix < 0 || ix >= p->in_w)
        for (i = 0; i < cin; ++i)
          to[i] = 0.0f;
      else
        for (i = 0; i < cin; ++i)
          to[i] = row[(ix - in->col0) * cin + i];
    }
  }
}

/* a[2 j + k] = sum_i c_j[i] * w_k[i] for four gathered pixels and two weight rows. */
static inline void rp_f32_host_dot_4x2(const float *restrict c0, const float *restrict c1,
                                       const float *restrict c2, const float *restrict c3,
                                       const float *restrict w0, const float *restrict w1,
                                       int32_t n, float *restrict a) {
#if defined(__clang__)
#pragma clang fp reassociate(on) contract(fast)
#endif
  float s[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  int32_t i;
  for (i = 0; i < n; ++i) {
    const float u = w0[i], v = w1[i];
    s[0] += c0[i] * u;
    s[1] += c0[i] * v;
    s[2] += c1[i] * u;
    s[3] += c1[i] * v;
    s[4] += c2[i] * u;
    s[5] += c2[i] * v;
    s[6] += c3[i] * u;
    s[7] += c3[i] * v;
  }
  for (i = 0; i < 8; ++i)
    a[i] = s[i];
}

/* groups == 1 and a receptive field of at most RP_F32_HOST_MAX_N values (the caller's
 * condition): the output channels in chunks of at most RP_F32_HOST_CHUNK weight values, so
 * that a chunk's weights stay in cache while the region's rows run RP_F32_HOST_PIX pixels
 * at a time (the last pass of a row repeats its last pixel), two channels per dot. */
static void rp_f32_host_conv(const rp_conv_f32_params *p, const rp_view_f32 *in,
                             rp_view_f32 *out, const rp_region_f32 *region) {
  float col[RP_F32_HOST_PIX][RP_F32_HOST_MAX_N];
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c;
  const int32_t per = n > RP_F32_HOST_CHUNK / 2 ? 2 : (RP_F32_HOST_CHUNK / n) & ~1;
  const float *const weights = p->weights, *const bias = p->bias;
  int32_t oy, ox, o, o0, j;
  if (n > RP_F32_HOST_MAX_N) /* the caller's condition */
    return;
  for (o0 = 0; o0 < cout; o0 += per) {
    const int32_t o1 = rp_f32_imin(cout, o0 + per);
    for (oy = region->row0; oy < region->row1; ++oy)
      for (ox = region->col0; ox < region->col1; ox += RP_F32_HOST_PIX) {
        const int32_t np = rp_f32_imin(RP_F32_HOST_PIX, region->col1 - ox);
        const float *c[RP_F32_HOST_PIX];
        float *d[RP_F32_HOST_PIX];
        for (j = 0; j < RP_F32_HOST_PIX; ++j) {
          if (j < np)
            rp_f32_host_gather(p, in, oy, ox + j, col[j]);
          c[j] = col[j < np ? j : np - 1];
          d[j] = rp_view_pixel_f32(out, oy, ox + (j < np ? j : np - 1), cout);
        }
        for (o = o0; o < o1; o += 2) {
          const int32_t q = o + 1 < o1 ? o + 1 : o;
          float a[2 * RP_F32_HOST_PIX];
          rp_f32_host_dot_4x2(c[0], c[1], c[2], c[3], weights + o * n, weights + q * n, n, a);
          for (j = 0; j < np; ++j) {
            d[j][o] = rp_act_inline_f32(&p->act, bias[o] + a[2 * j]);
            d[j][q] = rp_act_inline_f32(&p->act, bias[q] + a[2 * j + 1]);
          }
        }
      }
  }
}

/* A conv whose weights the host object packs (rp_host_pack.h: groups == 1, a field of at
 * most RP_HOST_PACK_MAX_N values): the outer-product form. The region's pixels, row after
 * row, go 8 at a time against a block of 16 output channels, keeping 8 x 16 sums in
 * registers: per field value, one load of the block's 16 packed weights and eight
 * multiply-adds by a value broadcast from each pixel's field (the input pixel itself for a
 * 1x1 layer, else its field gathered). Each sum is one lane, from the bias in field order as
 * the portable loop adds (only the multiply-adds fuse), and a pixel's 16 sums go out
 * together through its activation. */
typedef float rp_v16f __attribute__((vector_size(64)));

/* The helpers below take and return vectors by value: they always inline, so no call's ABI
 * is at stake (compilers warn on such arguments when the target lacks AVX-512). */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

typedef int32_t rp_v16m __attribute__((vector_size(64))); /* a lane mask of rp_v16f */

/* Helpers that must inline, so that their vector counts are constants. */
#define RP_F32_HOST_INLINE static inline __attribute__((always_inline))

/* ReLU and clip as lane selects, as rp_act_run_f32 computes them (written with masks so
 * that GCC's C vectors take them too): v through the bound lo from below (RELU, CLIP) and hi
 * from above (CLIP). */
RP_F32_HOST_INLINE rp_v16f rp_f32_host_clamp16(rp_v16f v, int32_t kind, rp_v16f lo, rp_v16f hi) {
  rp_v16m m;
  if (kind == RP_ACT_RELU || kind == RP_ACT_CLIP) {
    m = v > lo;
    v = (rp_v16f)(((rp_v16m)v & m) | ((rp_v16m)lo & ~m));
  }
  if (kind == RP_ACT_CLIP) {
    m = v < hi;
    v = (rp_v16f)(((rp_v16m)v & m) | ((rp_v16m)hi & ~m));
  }
  return v;
}

/* Whether rp_f32_host_clamp16 computes the activation (the other kinds go lane by lane). */
static inline int32_t rp_f32_host_clamps(const rp_act_f32 *act) {
  return act->kind == RP_ACT_NONE || act->kind == RP_ACT_RELU || act->kind == RP_ACT_CLIP;
}

/* A kernel call's activation, decided once: a clamp rp_f32_host_clamp16 computes (its
 * bounds broadcast here, not per vector of sums), or lane by lane through rp_act_run_f32. */
typedef struct {
  const rp_act_f32 *act;
  int32_t clamps, kind;
  rp_v16f lo, hi;
} rp_f32_host_out;

RP_F32_HOST_INLINE void rp_f32_host_out_init(rp_f32_host_out *o, const rp_act_f32 *act) {
  o->act = act;
  o->clamps = rp_f32_host_clamps(act);
  o->kind = act->kind;
  o->lo = (rp_v16f){0} + (act->kind == RP_ACT_CLIP ? act->alpha : 0.0f);
  o->hi = (rp_v16f){0} + act->beta;
}

/* 16 sums v through the activation into dst. */
RP_F32_HOST_INLINE void rp_f32_host_store16(const rp_f32_host_out *o, rp_v16f v, float *dst) {
  float sums[16];
  if (o->clamps) {
    v = rp_f32_host_clamp16(v, o->kind, o->lo, o->hi);
    memcpy(dst, &v, sizeof v);
    return;
  }
  memcpy(sums, &v, sizeof v);
  rp_act_run_f32(o->act, sums, dst, 16);
}

/* The fields x[j] (n values each) of np pixels (np and nb constants after inlining, so
 * that the sums stay in registers) against nb blocks (1 or 2) of packed weights, block b at
 * wt + b * stride, from the biases. With d (for an activation out->clamps), the sums go
 * through it straight from the registers to d[j] + o + 16 b, all 16 lanes of each block;
 * without, channel k of block b of pixel j goes, before the activation, to
 * acc[j][16 b + k]. */
static inline __attribute__((always_inline)) void
rp_f32_host_mk(const float *const x[8], const float *wt, int64_t stride, const float *bias,
               int32_t n, int32_t np, int32_t nb, const rp_f32_host_out *out, float *const *d,
               int32_t o, float acc[8][32]) {
#if defined(__clang__)
#pragma clang fp contract(fast)
#endif
  rp_v16f a[8][2];
  int32_t i, j, b;
  for (b = 0; b < nb; ++b) {
    rp_v16f v;
    memcpy(&v, bias + 16 * b, sizeof v);
    for (j = 0; j < np; ++j)
      a[j][b] = v;
  }
  for (i = 0; i < n; ++i, wt += 16) {
    rp_v16f w[2];
    for (b = 0; b < nb; ++b)
      memcpy(&w[b], wt + b * stride, sizeof w[b]);
    for (j = 0; j < np; ++j) {
      const float v = x[j][i];
      for (b = 0; b < nb; ++b)
        a[j][b] += v * w[b];
    }
  }
  if (d) { /* a clamp (the caller's condition): no call, so the sums stay in registers */
    const int32_t kind = out->kind;
    const rp_v16f lo = out->lo, hi = out->hi;
    for (j = 0; j < np; ++j)
      for (b = 0; b < nb; ++b) {
        const rp_v16f v = rp_f32_host_clamp16(a[j][b], kind, lo, hi);
        memcpy(d[j] + o + 16 * b, &v, sizeof v);
      }
    return;
  }
  for (j = 0; j < np; ++j)
    for (b = 0; b < nb; ++b)
      memcpy(acc[j] + 16 * b, &a[j][b], sizeof a[j][b]);
}

/* rp_f32_host_mk for np pixels (1 to 8) of a pass, each count its own code: a pass of a
 * region whose pixels are not a multiple of 8 (a row of 7, 14 or 28) computes no lanes it
 * throws away. */
static void rp_f32_host_mk_np(const float *const x[8], const float *wt, int64_t stride,
                              const float *bias, int32_t n, int32_t np, int32_t nb,
                              const rp_f32_host_out *out, float *const *d, int32_t o,
                              float acc[8][32]) {
#define RP_F32_HOST_MK(k)                                                                     \
  case k:                                                                                      \
    if (nb == 2)                                                                               \
      rp_f32_host_mk(x, wt, stride, bias, n, k, 2, out, d, o, acc);                            \
    else                                                                                       \
      rp_f32_host_mk(x, wt, stride, bias, n, k, 1, out, d, o, acc);                            \
    return;
  switch (np) {
    RP_F32_HOST_MK(1) RP_F32_HOST_MK(2) RP_F32_HOST_MK(3) RP_F32_HOST_MK(4)
    RP_F32_HOST_MK(5) RP_F32_HOST_MK(6) RP_F32_HOST_MK(7)
  default:
    if (nb == 2)
      rp_f32_host_mk(x, wt, stride, bias, n, 8, 2, out, d, o, acc);
    else
      rp_f32_host_mk(x, wt, stride, bias, n, 8, 1, out, d, o, acc);
  }
#undef RP_F32_HOST_MK
}

/* The output channels a pass of the region's pixels runs: a multiple of 16 whose packed
 * weights (at most 128 KB) stay in the L2 cache while the pixels go by 8 at a time. */
static inline int32_t rp_f32_host_chunk(int32_t n) {
  const int32_t per = (32768 / n) & ~15;
  return per < 16 ? 16 : per > RP_F32_HOST_CHUNK_CH ? RP_F32_HOST_CHUNK_CH : per;
}

/* Whether the CPU a host object is compiled for has AVX-512 (32 vector registers of 16
 * floats): the LLVM backend sets this constant for each model (LlvmCompile.cpp), the tests'
 * copy of the kernels as their compiler's target has it. With it the outer form runs two
 * blocks of 16 channels at once (16 sums in registers, 10 loads per 16 multiply-adds
 * instead of 9 per 8); without, those would spill. */
extern const int32_t rp_host_avx512;

static void rp_f32_host_conv_t(const rp_conv_f32_params *p, const rp_view_f32 *in,
                               rp_view_f32 *out, const rp_region_f32 *region) {
  float col[8][RP_HOST_PACK_MAX_N], bias[RP_F32_HOST_CHUNK_CH];
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c, per = rp_f32_host_chunk(n);
  const int32_t total = (region->row1 - region->row0) * (region->col1 - region->col0);
  /* A 1x1 layer without padding reads its input pixels where they are. */
  const int32_t direct = p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0;
  rp_f32_host_out act;
  int32_t base, j, k, o, o0;
  if (n > RP_HOST_PACK_MAX_N || total <= 0) /* the caller's condition */
    return;
  rp_f32_host_out_init(&act, &p->act);
  for (o0 = 0; o0 < cout; o0 += per) {
    const int32_t o1 = rp_f32_imin(cout, o0 + per);
    int32_t oy = region->row0, ox = region->col0; /* pixel `base` */
    /* Row `at`'s first pixels of the output and (direct) of the input row it reads: a ring's
     * row is resolved once per row, not per pixel. */
    int32_t at = -1;
    float *out_row = 0;
    const float *in_row = 0;
    memcpy(bias, p->bias + o0, (size_t)(o1 - o0) * sizeof *bias);
    for (k = o1 - o0; k < ((o1 - o0 + 15) & ~15); ++k) /* past the last channel: its bias */
      bias[k] = p->bias[cout - 1];
    for (base = 0; base < total; base += 8) {
      const int32_t np = rp_f32_imin(8, total - base);
      const float *x[8];
      float *d[8], acc[8][32];
      for (j = 0; j < np; ++j) {
        if (oy != at) {
          at = oy;
          out_row = rp_view_pixel_f32(out, oy, out->col0, cout);
          if (direct)
            in_row = rp_view_pixel_f32(in, oy * p->stride_h, in->col0, p->in_c);
        }
        if (direct) {
          x[j] = in_row + (int64_t)(ox * p->stride_w - in->col0) * p->in_c;
        } else {
          rp_f32_host_gather(p, in, oy, ox, col[j]);
          x[j] = col[j];
        }
        d[j] = out_row + (int64_t)(ox - out->col0) * cout;
        if (++ox == region->col1)
          ox = region->col0, ++oy;
      }
      o = o0;
      if (rp_host_avx512)
        for (; o + 32 <= o1; o += 32) {
          rp_f32_host_mk_np(x, p->weights + (int64_t)o * n, 16 * (int64_t)n, bias + (o - o0), n,
                            np, 2, &act, act.clamps ? d : 0, o, acc);
          for (j = 0; j < np && !act.clamps; ++j)
            for (k = 0; k < 2; ++k) {
              rp_v16f sums;
              memcpy(&sums, acc[j] + 16 * k, sizeof sums);
              rp_f32_host_store16(&act, sums, d[j] + o + 16 * k);
            }
        }
      for (; o + 16 <= o1; o += 16) {
        rp_f32_host_mk_np(x, p->weights + (int64_t)o * n, 0, bias + (o - o0), n, np, 1, &act,
                          act.clamps ? d : 0, o, acc);
        for (j = 0; j < np && !act.clamps; ++j) {
          rp_v16f sums;
          memcpy(&sums, acc[j], sizeof sums);
          rp_f32_host_store16(&act, sums, d[j] + o);
        }
      }
      if (o < o1) { /* the last block, part full: its lanes through the activation at once */
        rp_f32_host_mk_np(x, p->weights + (int64_t)o * n, 0, bias + (o - o0), n, np, 1, &act, 0,
                          o, acc);
        for (j = 0; j < np; ++j) {
          float v[16];
          rp_v16f sums;
          memcpy(&sums, acc[j], sizeof sums);
          rp_f32_host_store16(&act, sums, v);
          memcpy(d[j] + o, v, (size_t)(o1 - o) * sizeof *v);
        }
      }
    }
  }
}

/* Window rows a depthwise pass resolves once per output row (taller windows take the
 * portable loop). */
#define RP_F32_HOST_DW_KH 8

/* Channels c0 .. c0 + 16 nv - 1 of output pixel ox's depthwise conv through the activation
 * into dst, as nv vectors of 16 sums (nv a constant: 4, or 1 after the last 64) that stay in
 * registers across the taps, each from the bias in tap order as the portable loop adds (the
 * multiply-adds fuse). row[ky] is the input row of window row ky at column in->col0, or
 * NULL outside the tensor. */
RP_F32_HOST_INLINE void rp_f32_host_dw_vec(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                          const float *const *row, int32_t ox, int32_t c0,
                                          int32_t nv, const rp_f32_host_out *out, float *dst) {
#if defined(__clang__)
#pragma clang fp contract(fast)
#endif
  const int32_t c = p->in_c, ix0 = ox * p->stride_w - p->pad_left;
  rp_v16f a[4];
  int32_t ky, kx, v;
  for (v = 0; v < nv; ++v)
    memcpy(&a[v], p->bias + c0 + 16 * v, sizeof a[v]);
  for (ky = 0; ky < p->k_h; ++ky) {
    if (!row[ky])
      continue;
    for (kx = 0; kx < p->k_w; ++kx) {
      const int32_t ix = ix0 + kx * p->dil_w;
      const float *x, *w;
      if (ix < 0 || ix >= p->in_w)
        continue;
      x = row[ky] + (ix - in->col0) * c + c0;
      w = p->weights + (ky * p->k_w + kx) * c + c0;
      for (v = 0; v < nv; ++v) {
        rp_v16f xv, wv;
        memcpy(&xv, x + 16 * v, sizeof xv);
        memcpy(&wv, w + 16 * v, sizeof wv);
        a[v] += xv * wv;
      }
    }
  }
  for (v = 0; v < nv; ++v)
    rp_f32_host_store16(out, a[v], dst + c0 + 16 * v);
}

/* rp_f32_host_dw_vec for the four output pixels ox .. ox + 3 at once, every tap of theirs
 * inside the row (the caller's condition): each tap's weights are loaded once for the four
 * (4 nv vector sums in registers); with a window 3 wide at stride 1 (MobileNetV2's) each of
 * a window row's six input columns is loaded once too (6 loads per 12 multiply-adds instead
 * of 12). dst is output pixel ox's, the others follow it. */
RP_F32_HOST_INLINE void rp_f32_host_dw_vec4(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                           const float *const *row, int32_t ox, int32_t c0,
                                           int32_t nv, const rp_f32_host_out *out, float *dst) {
#if defined(__clang__)
#pragma clang fp contract(fast)
#endif
  const int32_t c = p->in_c, ix0 = ox * p->stride_w - p->pad_left;
  const int32_t step = p->stride_w * c; /* from one pixel's window to the next's */
  /* a window 3 wide at stride 1: the four pixels' taps of a window row read six columns */
  const int32_t three = p->k_w == 3 && p->stride_w == 1 && p->dil_w == 1;
  rp_v16f a[4][2];
  int32_t ky, kx, v, j;
  for (v = 0; v < nv; ++v) {
    memcpy(&a[0][v], p->bias + c0 + 16 * v, sizeof a[0][v]);
    a[1][v] = a[0][v], a[2][v] = a[0][v], a[3][v] = a[0][v];
  }
  for (ky = 0; ky < p->k_h; ++ky) {
    if (!row[ky])
      continue;
    if (three) { /* the window row's six input columns, each loaded once */
      const float *x = row[ky] + (ix0 - in->col0) * c + c0;
      const float *w = p->weights + ky * 3 * c + c0;
      for (v = 0; v < nv; ++v) {
        rp_v16f xs[6], w0, w1, w2;
        for (kx = 0; kx < 6; ++kx)
          memcpy(&xs[kx], x + kx * c + 16 * v, sizeof xs[kx]);
        memcpy(&w0, w + 16 * v, sizeof w0);
        memcpy(&w1, w + c + 16 * v, sizeof w1);
        memcpy(&w2, w + 2 * c + 16 * v, sizeof w2);
        for (j = 0; j < 4; ++j) { /* taps in order, as below */
          a[j][v] += xs[j] * w0;
          a[j][v] += xs[j + 1] * w1;
          a[j][v] += xs[j + 2] * w2;
        }
      }
      continue;
    }
    for (kx = 0; kx < p->k_w; ++kx) {
      const float *x = row[ky] + (ix0 + kx * p->dil_w - in->col0) * c + c0;
      const float *w = p->weights + (ky * p->k_w + kx) * c + c0;
      for (v = 0; v < nv; ++v) {
        rp_v16f wv, x0, x1, x2, x3;
        memcpy(&wv, w + 16 * v, sizeof wv);
        memcpy(&x0, x + 16 * v, sizeof x0);
        memcpy(&x1, x + step + 16 * v, sizeof x1);
        memcpy(&x2, x + 2 * step + 16 * v, sizeof x2);
        memcpy(&x3, x + 3 * step + 16 * v, sizeof x3);
        a[0][v] += x0 * wv, a[1][v] += x1 * wv, a[2][v] += x2 * wv, a[3][v] += x3 * wv;
      }
    }
  }
  for (j = 0; j < 4; ++j)
    for (v = 0; v < nv; ++v)
      rp_f32_host_store16(out, a[j][v], dst + j * c + c0 + 16 * v);
}

/* Depthwise (groups == in_c == out_c): per output row the window's input rows are resolved
 * once (no ring division per tap); each output pixel's channels 64 at a time, then 16 at a
 * time, then the rest through the portable chunk. Returns 0 (nothing done) for windows
 * taller than RP_F32_HOST_DW_KH. */
static int32_t rp_f32_host_depthwise(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                     rp_view_f32 *out, const rp_region_f32 *region) {
  const int32_t c = p->in_c;
  const float *row[RP_F32_HOST_DW_KH];
  rp_f32_host_out act;
  int32_t oy, ox, c0, ky;
  if (p->k_h > RP_F32_HOST_DW_KH)
    return 0;
  rp_f32_host_out_init(&act, &p->act);
  for (oy = region->row0; oy < region->row1; ++oy) {
    float *const out_row = rp_view_pixel_f32(out, oy, out->col0, c);
    for (ky = 0; ky < p->k_h; ++ky) {
      const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
      row[ky] = iy >= 0 && iy < p->in_h ? rp_view_pixel_f32(in, iy, in->col0, c) : 0;
    }
    for (ox = region->col0; ox < region->col1; ++ox) {
      float *dst = out_row + (int64_t)(ox - out->col0) * c;
      const int32_t first = ox * p->stride_w - p->pad_left; /* pixel ox's first tap */
      const int32_t last = (ox + 3) * p->stride_w - p->pad_left + (p->k_w - 1) * p->dil_w;
      if (ox + 4 <= region->col1 && first >= 0 && last < p->in_w && c >= 16) {
        /* four pixels inside the row: the channels in vectors, the rest one pixel at a time */
        for (c0 = 0; c0 + 32 <= c; c0 += 32)
          rp_f32_host_dw_vec4(p, in, row, ox, c0, 2, &act, dst);
        for (; c0 + 16 <= c; c0 += 16)
          rp_f32_host_dw_vec4(p, in, row, ox, c0, 1, &act, dst);
        if (c0 < c) {
          int32_t j;
          for (j = 0; j < 4; ++j)
            rp_dw_chunk_f32(p, in, oy, ox + j, c0, c - c0, dst + j * c);
        }
        ox += 3;
        continue;
      }
      for (c0 = 0; c0 + 64 <= c; c0 += 64)
        rp_f32_host_dw_vec(p, in, row, ox, c0, 4, &act, dst);
      for (; c0 + 16 <= c; c0 += 16)
        rp_f32_host_dw_vec(p, in, row, ox, c0, 1, &act, dst);
      if (c0 < c)
        rp_dw_chunk_f32(p, in, oy, ox, c0, c - c0, dst);
    }
  }
  return 1;
}

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#endif /* RNNPOOLC_RP_F32_HOST_CONV_H */
