/* rnnpoolc runtime, host builds only: the layout of the packed convolution weights that the
 * LLVM backend writes for its host objects, shared by the kernels that read them
 * (rp_host_conv.h, rp_f32_host_conv.h), the compiler that writes them
 * (targets/llvm/HostPack.cpp) and the tests. Plain C, so that C++ includes it too.
 *
 * A conv with groups == 1 and a receptive field of n <= RP_HOST_PACK_MAX_N values (OHWI's
 * HWI per output channel) has its weights in blocks of RP_HOST_PACK_LANES output channels:
 * value i of channel o at ((o / 16) n + i) 16 + o % 16, so that the outer-product kernels
 * load one field value of 16 channels as one vector. The last block's lanes past out_c
 * are 0. Every other conv keeps OHWI.
 *
 * int8 weights for a CPU with AVX-512 VNNI (rp_host_vnni) are packed in quads instead, for
 * VPDPBUSD (four u8 x s8 products per int32 lane): values 4q .. 4q + 3 of channel o at
 * (((o / 16) n4 + q) 16 + o % 16) 4, n4 = ceil(n / 4), the values past n 0; after the
 * blocks, each channel's weight sum as an int32 (native byte order; the blocks' lanes past
 * out_c 0), with which the kernels take x + 128 for x (rp_host_pack_quads_s8). */
#ifndef RNNPOOLC_RP_HOST_PACK_H
#define RNNPOOLC_RP_HOST_PACK_H

#include <stdint.h>
#include <string.h>

#define RP_HOST_PACK_MAX_N 1024 /* receptive field values of a packed conv */
#define RP_HOST_PACK_LANES 16   /* output channels per block */

/* Whether a conv's weights are packed in a host object. */
static inline int32_t rp_host_packs(int32_t groups, int32_t k_h, int32_t k_w, int32_t in_c) {
  const int64_t n = (int64_t)k_h * k_w * in_c;
  return groups == 1 && n > 0 && n <= RP_HOST_PACK_MAX_N;
}

/* The packed array's length for n field values and out_c channels. */
static inline int64_t rp_host_packed_count(int32_t n, int32_t out_c) {
  const int64_t blocks = ((int64_t)out_c + RP_HOST_PACK_LANES - 1) / RP_HOST_PACK_LANES;
  return blocks * RP_HOST_PACK_LANES * n;
}

/* Where value i of channel o goes. */
static inline int64_t rp_host_pack_at(int32_t o, int32_t i, int32_t n) {
  return ((int64_t)(o / RP_HOST_PACK_LANES) * n + i) * RP_HOST_PACK_LANES +
         o % RP_HOST_PACK_LANES;
}

/* The quad-packed array's bytes for n field values and out_c channels, sums included. */
static inline int64_t rp_host_quads_bytes(int32_t n, int32_t out_c) {
  const int64_t blocks = ((int64_t)out_c + RP_HOST_PACK_LANES - 1) / RP_HOST_PACK_LANES;
  return blocks * RP_HOST_PACK_LANES * (((int64_t)n + 3) / 4 * 4 + (int64_t)sizeof(int32_t));
}

/* Packs out_c x n OHWI int8 weights w in quads into to (rp_host_quads_bytes). */
static inline void rp_host_pack_quads_s8(const int8_t *w, int32_t n, int32_t out_c,
                                         int8_t *to) {
  const int64_t n4 = ((int64_t)n + 3) / 4, blocks = ((int64_t)out_c + 15) / 16;
  const int64_t bytes = rp_host_quads_bytes(n, out_c), sums = blocks * 16 * n4 * 4;
  int64_t i, o;
  for (i = 0; i < bytes; ++i)
    to[i] = 0;
  for (o = 0; o < out_c; ++o) {
    int32_t sum = 0;
    for (i = 0; i < n; ++i) {
      const int8_t v = w[o * n + i];
      to[(((o / 16) * n4 + i / 4) * 16 + o % 16) * 4 + i % 4] = v;
      sum += v;
    }
    memcpy(to + sums + o * (int64_t)sizeof sum, &sum, sizeof sum);
  }
}

#endif /* RNNPOOLC_RP_HOST_PACK_H */
