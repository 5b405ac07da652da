/* rnnpoolc LLVM backend, host runtime, float build: the convolution and pooling kernels of
 * rp_f32_conv.c with their host path (RP_HOST_SIMD, runtime/rp_f32_host_conv.h) as a
 * translation unit of their own, compiled to unoptimised bitcode and linked with
 * rp_llvm_glue_f32.c's (see targets/llvm/CMakeLists.txt). */
#include "rp_f32_conv.c"
