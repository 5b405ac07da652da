/* rnnpoolc LLVM backend, host runtime: the int8 convolution kernels with their host paths
 * (RP_HOST_SIMD, runtime/rp_host_conv.h) as a translation unit of their own, compiled to
 * unoptimised bitcode and linked with rp_llvm_glue.c's (see targets/llvm/CMakeLists.txt:
 * their loops are left whole for the model's O3 pipeline, which knows the host CPU). */
#include "rp_conv.c"
