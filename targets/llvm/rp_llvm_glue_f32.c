/* rnnpoolc LLVM backend: the float runtime as one bitcode module, the twin of
 * rp_llvm_glue.c for float builds. It is compiled by clang at build time, once per target
 * triple, with every float kernel (without RP_SINGLE_TU, so each is an external function
 * the backend finds by name), and embedded in rnnpoolc (for the host, rp_f32_conv.c's
 * kernels come from rp_llvm_host_conv_f32.c instead). A float model module links it and
 * supplies the tables and one small function per layer that calls a helper below; a layer
 * run once over whole tensors calls its kernel directly on arena addresses.
 *
 * The helpers follow the float kernel table's call shapes (targets/FloatKernels.def): View
 * kernels take the step's region through views, Rows kernels run once per row of it. */
#include "rnnpoolc_runtime_f32_all.c"

#if defined(RP_HOST_SIMD)
/* Whether the model's CPU has AVX-512 (runtime/rp_f32_host_conv.h): LlvmCompile.cpp sets it
 * for each model. Defined here, apart from the conv kernels' unit, so that clang does not
 * fold their reads of it to this placeholder. */
const int32_t rp_host_avx512 = 0;
#endif

typedef void (*rp_llvm_f32_view_fn)(const void *p, const rp_view_f32 *in, rp_view_f32 *out,
                                    const rp_region_f32 *region);
typedef void (*rp_llvm_f32_view_scratch_fn)(const void *p, const rp_view_f32 *in,
                                            rp_view_f32 *out, const rp_region_f32 *region,
                                            void *scratch, int32_t reuse);

/* View kernels: the step's region, through views of its buffers. */
void rp_llvm_f32_view(rp_llvm_f32_view_fn fn, const void *p, const rp_buffer_f32 *b,
                      uint8_t *a, const rp_step_f32 *s) {
  const rp_region_f32 region = rp_step_region_f32(s);
  const rp_view_f32 in = rp_buffer_view_f32(b, a, s->in[0]);
  rp_view_f32 out = rp_buffer_view_f32(b, a, s->out);
  fn(p, &in, &out, &region);
}

/* RNNPool: a step that carries goes on from the summaries the band above left. */
void rp_llvm_f32_view_scratch(rp_llvm_f32_view_scratch_fn fn, const void *p,
                              const rp_buffer_f32 *b, uint8_t *a, const rp_step_f32 *s) {
  const rp_region_f32 region = rp_step_region_f32(s);
  const rp_view_f32 in = rp_buffer_view_f32(b, a, s->in[0]);
  rp_view_f32 out = rp_buffer_view_f32(b, a, s->out);
  fn(p, &in, &out, &region, a + s->scratch, s->carry ? RP_RNNPOOL_F32_CONTINUE : 1);
}

/* Rows kernels on each row of the step's region; `values` per output pixel. */
void rp_llvm_f32_copy_rows(const rp_buffer_f32 *b, uint8_t *a, const rp_step_f32 *s,
                           int32_t values) {
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    rp_copy_f32(rp_buffer_pixel_f32(b, a, s->in[0], y, s->col0),
                rp_buffer_pixel_f32(b, a, s->out, y, s->col0), (s->col1 - s->col0) * values);
}

void rp_llvm_f32_unary_rows(const rp_act_f32 *p, const rp_buffer_f32 *b, uint8_t *a,
                            const rp_step_f32 *s, int32_t values) {
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    rp_unary_f32(p, rp_buffer_pixel_f32(b, a, s->in[0], y, s->col0),
                 rp_buffer_pixel_f32(b, a, s->out, y, s->col0), (s->col1 - s->col0) * values);
}

void rp_llvm_f32_add_rows(const rp_buffer_f32 *b, uint8_t *a, const rp_step_f32 *s,
                          int32_t values) {
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    rp_add_f32(rp_buffer_pixel_f32(b, a, s->in[0], y, s->col0),
               rp_buffer_pixel_f32(b, a, s->in[1], y, s->col0),
               rp_buffer_pixel_f32(b, a, s->out, y, s->col0), (s->col1 - s->col0) * values);
}

/* L2 norm of each pixel of each row: the params with `pixels` set to the row's. */
void rp_llvm_f32_l2norm_rows(const rp_l2norm_f32_params *params, const rp_buffer_f32 *b,
                             uint8_t *a, const rp_step_f32 *s) {
  rp_l2norm_f32_params p = *params;
  int32_t y;
  p.pixels = s->col1 - s->col0;
  for (y = s->row0; y < s->row1; ++y)
    rp_l2norm_f32(&p, rp_buffer_pixel_f32(b, a, s->in[0], y, s->col0),
                  rp_buffer_pixel_f32(b, a, s->out, y, s->col0));
}

/* A slice of the channels of each pixel of each row. */
void rp_llvm_f32_channel_step_rows(const rp_channel_step_f32_params *p, const rp_buffer_f32 *b,
                                   uint8_t *a, const rp_step_f32 *s) {
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    rp_channel_step_f32(p, rp_buffer_pixel_f32(b, a, s->in[0], y, s->col0),
                        rp_buffer_pixel_f32(b, a, s->out, y, s->col0), s->col1 - s->col0);
}

/* A channel concat of each row from the same row of its inputs, buffers list[0..count): the
 * params with `pixels` set to the row's. */
void rp_llvm_f32_concat_rows(const rp_concat_f32_params *params, const rp_buffer_f32 *b,
                             uint8_t *a, const rp_step_f32 *s, const int32_t *list,
                             int32_t count, const float **ptrs) {
  rp_concat_f32_params p = *params;
  int32_t y, k;
  p.pixels = s->col1 - s->col0;
  for (y = s->row0; y < s->row1; ++y) {
    for (k = 0; k < count; ++k)
      ptrs[k] = rp_buffer_pixel_f32(b, a, list[k], y, s->col0);
    rp_concat_f32(&p, ptrs, rp_buffer_pixel_f32(b, a, s->out, y, s->col0));
  }
}

/* The channel shuffle of each pixel of each row: the params with `pixels` set to the row's. */
void rp_llvm_f32_channel_shuffle_rows(const rp_channel_shuffle_f32_params *params,
                                      const rp_buffer_f32 *b, uint8_t *a,
                                      const rp_step_f32 *s) {
  rp_channel_shuffle_f32_params p = *params;
  int32_t y;
  p.pixels = s->col1 - s->col0;
  for (y = s->row0; y < s->row1; ++y)
    rp_channel_shuffle_f32(&p, rp_buffer_pixel_f32(b, a, s->in[0], y, s->col0),
                           rp_buffer_pixel_f32(b, a, s->out, y, s->col0));
}

/* A broadcasting binary op on each row. An operand is the constant array `const_a` (or
 * `const_b`), indexed by the row's first pixel of a map `width` pixels wide, or, when that
 * is null, the buffer s->in[slot_a] (s->in[slot_b]); an operand that does not step with
 * the pixels (pixel_stride 0) is read from its first value. */
void rp_llvm_f32_binary_rows(const rp_binary_f32_params *params, const rp_buffer_f32 *b,
                             uint8_t *a, const rp_step_f32 *s, const float *const_a,
                             const float *const_b, int32_t slot_a, int32_t slot_b,
                             int32_t width) {
  rp_binary_f32_params p = *params;
  int32_t y;
  p.pixels = s->col1 - s->col0;
  for (y = s->row0; y < s->row1; ++y) {
    const float *x1 = const_a ? const_a + (y * width + s->col0) * p.a.pixel_stride
                      : p.a.pixel_stride
                          ? rp_buffer_pixel_f32(b, a, s->in[slot_a], y, s->col0)
                          : rp_buffer_pixel_f32(b, a, s->in[slot_a], 0, 0);
    const float *x2 = const_b ? const_b + (y * width + s->col0) * p.b.pixel_stride
                      : p.b.pixel_stride
                          ? rp_buffer_pixel_f32(b, a, s->in[slot_b], y, s->col0)
                          : rp_buffer_pixel_f32(b, a, s->in[slot_b], 0, 0);
    rp_binary_f32(&p, x1, x2, rp_buffer_pixel_f32(b, a, s->out, y, s->col0));
  }
}

/* The model.h API of a float build over the same table of inputs and outputs as the int8
 * build's (rp_llvm_tensor in rp_llvm_glue.c, repeated here: this module stands alone). */
typedef struct {
  int32_t offset;    /* in the arena, or -1 when streamed */
  int32_t elems;     /* values of the tensor */
  int32_t channels;  /* 4-D with more than one channel: NCHW -> HWC on storing; else 0 */
  int32_t hw;        /* rows * columns of a 4-D tensor */
  float inv_scale;   /* 1 (the float build stores the values) */
  int32_t zero_point;
} rp_llvm_tensor;

void rp_llvm_f32_store_input(const rp_llvm_tensor *t, int32_t count, int32_t index,
                             const float *x, int32_t first, int32_t n, void *arena) {
  float *data;
  int32_t i;
  if (index < 0 || index >= count)
    return;
  t += index;
  data = (float *)(void *)((uint8_t *)arena + t->offset);
  if (t->channels) {
    rp_store_planes_f32(x, data, first, n, t->hw, t->channels);
    return;
  }
  for (i = 0; i < n; ++i)
    data[first + i] = x[i];
}

void rp_llvm_f32_store_pixels(const rp_llvm_tensor *t, int32_t count, int32_t index,
                              const float *x, int32_t n, int8_t *dst) {
  float *const d = (float *)(void *)dst;
  int32_t i;
  (void)t;
  if (index < 0 || index >= count)
    return;
  for (i = 0; i < n; ++i)
    d[i] = x[i];
}

uint8_t *rp_llvm_f32_tensor_at(const rp_llvm_tensor *t, int32_t count, int32_t index,
                               void *arena) {
  return index >= 0 && index < count ? (uint8_t *)arena + t[index].offset : 0;
}

int32_t rp_llvm_f32_tensor_elems(const rp_llvm_tensor *t, int32_t count, int32_t index) {
  return index >= 0 && index < count ? t[index].elems : 0;
}

int32_t rp_llvm_f32_tensor_bytes(const rp_llvm_tensor *t, int32_t count, int32_t index) {
  return index >= 0 && index < count ? 4 * t[index].elems : 0;
}

/* Anchors that keep each type, by name, in the bitcode (see rp_llvm_glue.c). */
#define RP_LLVM_ANCHOR(type) type rp_llvm_anchor_##type;
RP_LLVM_ANCHOR(rp_buffer_f32)
RP_LLVM_ANCHOR(rp_step_f32)
RP_LLVM_ANCHOR(rp_schedule_f32)
RP_LLVM_ANCHOR(rp_llvm_tensor)
RP_LLVM_ANCHOR(rp_act_f32)
RP_LLVM_ANCHOR(rp_conv_f32_params)
RP_LLVM_ANCHOR(rp_fc_f32_params)
RP_LLVM_ANCHOR(rp_pool_f32_params)
RP_LLVM_ANCHOR(rp_global_avgpool_f32_params)
RP_LLVM_ANCHOR(rp_concat_f32_params)
RP_LLVM_ANCHOR(rp_softmax_f32_params)
RP_LLVM_ANCHOR(rp_rnnpool_f32_params)
RP_LLVM_ANCHOR(rp_binary_f32_params)
RP_LLVM_ANCHOR(rp_reduce_channels_f32_params)
RP_LLVM_ANCHOR(rp_l2norm_f32_params)
RP_LLVM_ANCHOR(rp_split_f32_params)
RP_LLVM_ANCHOR(rp_pad_f32_params)
RP_LLVM_ANCHOR(rp_channel_step_f32_params)
RP_LLVM_ANCHOR(rp_channel_shuffle_f32_params)
RP_LLVM_ANCHOR(rp_permute_f32_params)
RP_LLVM_ANCHOR(rp_resize_f32_params)
