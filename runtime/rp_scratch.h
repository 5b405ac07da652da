/* rnnpoolc runtime: the working memory (scratch) each kernel needs, defined once. The int8
 * and float kernels, the host planner and its verifier (compiler/ir scratchBytes) and the
 * C backend all size scratch through these functions, so they cannot disagree.
 *
 * Only RNNPool has scratch. Its layout, in elements of the build's state type (int16_t in
 * the int8 build, float in the float build), for a region `cache_cols` patches wide:
 *   row cache    patch_h * cache_cols * h1   RNN1 row summaries of the last patch_h input
 *                                            rows, for every patch column of the region
 *   column cache (patch_w + 1) * h1          RNN1 column summaries of one patch (+1 state)
 *   RNN2 states  2 * h2                      a forward and a backward sweep
 * cache_cols is the region's width in patches when summaries are reused across patches,
 * else 1. */
#ifndef RP_SCRATCH_H
#define RP_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

/** Bytes of RNNPool scratch (rounded up to a multiple of 4) for `elem_bytes`-byte state
 *  elements and the layout above. */
static inline size_t rp_rnnpool_scratch_size(int32_t patch_h, int32_t patch_w, int32_t h1,
                                             int32_t h2, int32_t cache_cols,
                                             size_t elem_bytes) {
  size_t elems = ((size_t)patch_h * (size_t)cache_cols + (size_t)patch_w + 1u) * (size_t)h1 +
                 2u * (size_t)h2;
  return (elems * elem_bytes + 3u) & ~(size_t)3u;
}

#endif /* RP_SCRATCH_H */
