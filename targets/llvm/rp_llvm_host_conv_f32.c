/* rnnpoolc LLVM backend, host runtime, float build: the convolution and pooling kernels of
 * rp_f32_conv.c with their host path (RP_HOST_SIMD, runtime/rp_f32_host_conv.h), and the
 * RNNPool layer of rp_f32_rnnpool.c with its host cells, as a translation unit of their own,
 * compiled to unoptimised bitcode and linked with rp_llvm_glue_f32.c's (see
 * targets/llvm/CMakeLists.txt): the model's pipeline, which knows the host CPU, vectorises
 * their loops at its width (the cells: AVX rather than SSE2, 1.4x faster). */
#include "rp_f32_conv.c"
#include "rp_f32_rnnpool.c"
