/* rnnpoolc runtime in one translation unit: define RP_SINGLE_TU and include this file in
 * the generated model.c so that every kernel is static and the C compiler can specialise it
 * to the constant params of each call. */
#include "rp_eltwise.c"
#include "rp_conv.c"
#include "rp_fc_pool.c"
#include "rp_rnnpool.c"
#include "rp_norm.c"
#include "rp_shape.c"
#include "rp_resize.c"
#include "rp_reduce.c"
#include "rp_schedule.c"
