/* rnnpoolc runtime, host builds only: the layout of the packed convolution weights that the
 * LLVM backend writes for its host objects, shared by the kernels that read them
 * (rp_host_conv.h, rp_f32_host_conv.h), the compiler that writes them
 * (targets/llvm/HostPack.cpp) and the tests. Plain C, so that C++ includes it too.
 *
 * A conv with groups == 1 and a receptive field of n <= RP_HOST_PACK_MAX_N values (OHWI's
 * HWI per output channel) has its weights in blocks of RP_HOST_PACK_LANES output channels:
 * value i of channel o at ((o / 16) n + i) 16 + o % 16, so that the outer-product kernels
 * load one field value of 16 channels as one vector. The last block's lanes past out_c
 * are 0. Every other conv keeps OHWI. */
#ifndef RNNPOOLC_RP_HOST_PACK_H
#define RNNPOOLC_RP_HOST_PACK_H

#include <stdint.h>

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

#endif /* RNNPOOLC_RP_HOST_PACK_H */
