/* rnnpoolc runtime: the working memory (scratch) each kernel needs, defined once. The int8
 * and float kernels, the host planner and its verifier (compiler/ir scratchBytes) and the
 * C backend all size scratch through these functions, so they cannot disagree.
 *
 * Only RNNPool has scratch. Its layout, in elements of the build's state type (int16_t in
 * the int8 build, float in the float build), for a region `cache_cols` patches wide:
 *   row cache    ring * cache_cols * h1      RNN1 row summaries of the last `ring` input rows
 *                                            for every patch column of the region, indexed
 *                                            by input row modulo ring
 *   patch rows   patch_h * h1, when ring <   the row summaries of the patch at hand, in
 *                patch_h                     order
 *   column cache (patch_w + 1) * h1          RNN1 column summaries of one patch (+1 state)
 *   RNN2 states  2 * h2                      a forward and a backward sweep
 * With reuse, ring is the carry (patch_h - stride_h rows, those a patch row shares with the
 * next; 0 when patches do not overlap vertically), the patch's summaries being gathered
 * apart; where that is not smaller (regions of a few columns) ring is patch_h, each
 * column's ring then holding its patch's own summaries. Without reuse (cache_cols 0), a
 * patch's summaries alone. An 8x8 RNNPool of stride 4 over 39 columns keeps 164 rows of
 * summaries (5,248 B of int16) where a ring of patch_h rows per column kept 312.
 *
 * An expansion fused with its depthwise conv (rp_expand_dw_s8) holds, for a group of
 * channels at a time, in bytes each rounded up to 4: the expansion over the depthwise
 * window of the region, the depthwise output over the region, and the depthwise weights.
 * In row bands (rp_expand_dw_rows_s8) a carry comes first: the rows of the expansion, every
 * channel and column, that the depthwise windows of consecutive output rows share. */
#ifndef RP_SCRATCH_H
#define RP_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

/** Input rows whose RNN1 row summaries one patch row leaves for the next. */
static inline int32_t rp_rnnpool_carry_rows(int32_t patch_h, int32_t stride_h) {
  return patch_h > stride_h ? patch_h - stride_h : 0;
}

/** Rows of RNN1 row summaries the scratch keeps per patch column (the layout above); 0
 *  without reuse (cache_cols 0). */
static inline int32_t rp_rnnpool_ring_rows(int32_t patch_h, int32_t stride_h,
                                           int32_t cache_cols) {
  const int32_t carry = rp_rnnpool_carry_rows(patch_h, stride_h);
  if (cache_cols <= 0)
    return 0;
  return (int64_t)patch_h * cache_cols < (int64_t)carry * cache_cols + patch_h ? patch_h
                                                                               : carry;
}

/** Where each part of the layout above starts, in elements from the scratch's start. */
typedef struct {
  int32_t ring;   /**< rows of summaries kept per patch column (rp_rnnpool_ring_rows) */
  int32_t line;   /**< elements of one input row's summaries in the row cache */
  size_t rows;    /**< the patch's gathered row summaries (used when ring < patch_h) */
  size_t cols;    /**< the column cache: patch_w summaries, then one RNN1 state */
  size_t states2; /**< the two RNN2 states */
  size_t elems;   /**< the whole layout */
} rp_rnnpool_layout;

static inline rp_rnnpool_layout rp_rnnpool_layout_of(int32_t patch_h, int32_t stride_h,
                                                     int32_t patch_w, int32_t h1, int32_t h2,
                                                     int32_t cache_cols) {
  rp_rnnpool_layout l;
  l.ring = rp_rnnpool_ring_rows(patch_h, stride_h, cache_cols);
  l.line = cache_cols > 0 ? cache_cols * h1 : 0;
  l.rows = (size_t)l.ring * (size_t)l.line;
  l.cols = l.rows + (l.ring < patch_h ? (size_t)patch_h * (size_t)h1 : 0u);
  l.states2 = l.cols + ((size_t)patch_w + 1u) * (size_t)h1;
  l.elems = l.states2 + 2u * (size_t)h2;
  return l;
}

/** Bytes of RNNPool scratch (rounded up to a multiple of 4) for `elem_bytes`-byte state
 *  elements and the layout above; cache_cols is the region's width in patches with reuse,
 *  0 without. */
static inline size_t rp_rnnpool_scratch_size(int32_t patch_h, int32_t stride_h, int32_t patch_w,
                                             int32_t h1, int32_t h2, int32_t cache_cols,
                                             size_t elem_bytes) {
  const size_t elems =
      rp_rnnpool_layout_of(patch_h, stride_h, patch_w, h1, h2, cache_cols).elems;
  return (elems * elem_bytes + 3u) & ~(size_t)3u;
}

/** Bytes of rp_expand_dw_s8's scratch for a window of `window` pixels of the expansion, a
 *  region of `pixels` output pixels, `taps` depthwise taps and `channels` channels in groups
 *  of `group`. */
static inline size_t rp_expand_dw_scratch_size(int64_t window, int64_t pixels, int32_t taps,
                                               int32_t channels, int32_t group) {
  const size_t g = (size_t)(group < channels ? group : channels);
  if (window <= 0 || pixels <= 0 || g == 0)
    return 0;
  return (((size_t)window * g + 3u) & ~(size_t)3u) + (((size_t)pixels * g + 3u) & ~(size_t)3u) +
         (((size_t)taps * g + 3u) & ~(size_t)3u);
}

/** Rows of an expansion that the depthwise windows of two consecutive output rows share
 *  (a kernel of k_h rows dilated by dil_h, moving down by stride_h). */
static inline int32_t rp_expand_dw_carry_rows(int32_t k_h, int32_t dil_h, int32_t stride_h) {
  const int32_t span = (k_h - 1) * dil_h + 1;
  return span > stride_h ? span - stride_h : 0;
}

/** Bytes of a carry of `rows` rows of `cols` pixels of `channels` channels, rounded up to 4. */
static inline size_t rp_expand_dw_carry_size(int32_t rows, int32_t cols, int32_t channels) {
  return ((size_t)rows * (size_t)cols * (size_t)channels + 3u) & ~(size_t)3u;
}

/** Bytes of rp_expand_dw_rows_s8's scratch for calls of up to `rows` whole output rows
 *  (`out_w` pixels each; a k_h x k_w kernel, over an expansion `in_w` wide): the carry, then
 * the window of those rows unclamped, as rp_expand_dw_scratch_size sizes it. */
static inline size_t rp_expand_dw_rows_scratch_size(int32_t k_h, int32_t k_w, int32_t dil_h,
                                                    int32_t stride_h, int32_t in_w,
                                                    int32_t out_w, int32_t rows,
                                                    int32_t channels, int32_t group) {
  const int64_t window = ((int64_t)(rows - 1) * stride_h + (k_h - 1) * dil_h + 1) * in_w;
  if (rows <= 0)
    return 0;
  return rp_expand_dw_carry_size(rp_expand_dw_carry_rows(k_h, dil_h, stride_h), in_w,
                                 channels) +
         rp_expand_dw_scratch_size(window, (int64_t)rows * out_w, k_h * k_w, channels, group);
}

#endif /* RP_SCRATCH_H */
