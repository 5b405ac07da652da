/* rnnpoolc runtime, float build, in one translation unit: define RP_SINGLE_TU and include
 * this file in the generated model.c so that every float kernel is static and the C compiler
 * can specialise it to the constant params of each call. */
#include "rp_f32_conv.c"
#include "rp_f32_ops.c"
#include "rp_f32_rnnpool.c"
#include "rp_f32_schedule.c"
#include "rp_f32_shape.c"
#include "rp_f32_resize.c"
