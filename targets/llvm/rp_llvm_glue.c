/* rnnpoolc LLVM backend: the runtime as one bitcode module. It is compiled by clang at
 * build time, once per target triple, together with every runtime kernel (without
 * RP_SINGLE_TU, so that each kernel is an external function the backend can find by
 * name), and embedded in rnnpoolc (for the host, the conv kernels come from
 * rp_llvm_host_conv.c instead, and this file's copies are renamed out of the way: see
 * targets/llvm/CMakeLists.txt). A generated model module links it, supplies constant
 * tables (buffers, steps, params) and one small function per layer that calls a form
 * helper below with the layer's kernel and params; after internalising and optimising,
 * each helper is inlined into its layer and the kernel call is specialised to the
 * constant params.
 *
 * The helpers take the kernel as a function pointer whose parameter list is the kernel
 * form's (quant::KernelForm, compiler/quant/Kernels.def) with the params as `const void
 * *`: the same machine signature as the kernel itself, and in LLVM IR (opaque pointers)
 * the same function type. */
#include "rnnpoolc_runtime_all.c"

#if defined(RP_HOST_SIMD)
/* Whether the model's CPU has AVX-512 VNNI (runtime/rp_host_conv.h): LlvmCompile.cpp sets it
 * for each model. Defined here, apart from the conv kernels' unit, so that clang does not
 * fold their reads of it to this placeholder. */
const int32_t rp_host_vnni = 0;
#endif

typedef void (*rp_llvm_view_fn)(const void *p, const rp_view *in, rp_view *out,
                                const rp_region *region);
typedef void (*rp_llvm_view_scratch_fn)(const void *p, const rp_view *in, rp_view *out,
                                        const rp_region *region, void *scratch, int32_t reuse);
typedef void (*rp_llvm_in_place_fn)(const void *p, const rp_view *in, rp_view *out,
                                    const rp_region *region, int8_t *scratch, int32_t chunk);
typedef void (*rp_llvm_copy_fn)(const int8_t *in, int8_t *out, int32_t n);
typedef void (*rp_llvm_unary_fn)(const void *p, const int8_t *in, int8_t *out, int32_t n);
typedef void (*rp_llvm_binary_fn)(const void *p, const int8_t *in1, const int8_t *in2,
                                  int8_t *out, int32_t n);
typedef void (*rp_llvm_whole_fn)(const void *p, const int8_t *in, int8_t *out);
typedef void (*rp_llvm_list_fn)(const void *p, const int8_t *const *in, int8_t *out);

/* View and ViewScratch: the step's region, through views of its buffers. */
void rp_llvm_view(rp_llvm_view_fn fn, const void *p, const rp_buffer *b, int8_t *a,
                  const rp_step *s) {
  const rp_region region = rp_step_region(s);
  const rp_view in = rp_buffer_view(b, a, s->in[0]);
  rp_view out = rp_buffer_view(b, a, s->out);
  fn(p, &in, &out, &region);
}

/* View, for a conv whose steps with scratch write their output row over their input's
 * ring: in_place is rp_conv_in_place_s8 (passed in, as on the host the conv kernels'
 * module defines it, calling the host's rp_conv_s8). */
void rp_llvm_view_in_place(rp_llvm_view_fn fn, rp_llvm_in_place_fn in_place, const void *p,
                           const rp_buffer *b, int8_t *a, const rp_step *s, int32_t chunk) {
  const rp_region region = rp_step_region(s);
  const rp_view in = rp_buffer_view(b, a, s->in[0]);
  rp_view out = rp_buffer_view(b, a, s->out);
  if (s->scratch >= 0)
    in_place(p, &in, &out, &region, a + s->scratch, chunk);
  else
    fn(p, &in, &out, &region);
}

/* View, for a depthwise conv whose steps compute the 1x1 expansion before it as well
 * (rp_expand_dw_s8, passed in as in_place is above): in[0] is the expansion's input. */
typedef void (*rp_llvm_expand_dw_fn)(const void *expand, const void *dw, const rp_view *in,
                                     rp_view *out, const rp_region *region, int8_t *scratch,
                                     int32_t group);
void rp_llvm_expand_dw(rp_llvm_expand_dw_fn fn, const void *expand, const void *dw,
                       const rp_buffer *b, int8_t *a, const rp_step *s, int32_t group) {
  const rp_region region = rp_step_region(s);
  const rp_view in = rp_buffer_view(b, a, s->in[0]);
  rp_view out = rp_buffer_view(b, a, s->out);
  fn(expand, dw, &in, &out, &region, a + s->scratch, group);
}

/* The same in row bands (rp_expand_dw_rows_s8): `carry`, the step goes on from the one above.
 */
typedef void (*rp_llvm_expand_dw_rows_fn)(const void *expand, const void *dw, const rp_view *in,
                                          rp_view *out, const rp_region *region,
                                          int8_t *scratch, int32_t group, int32_t carried);
void rp_llvm_expand_dw_rows(rp_llvm_expand_dw_rows_fn fn, const void *expand, const void *dw,
                            const rp_buffer *b, int8_t *a, const rp_step *s, int32_t group) {
  const rp_region region = rp_step_region(s);
  const rp_view in = rp_buffer_view(b, a, s->in[0]);
  rp_view out = rp_buffer_view(b, a, s->out);
  fn(expand, dw, &in, &out, &region, a + s->scratch, group, s->carry);
}

void rp_llvm_view_scratch(rp_llvm_view_scratch_fn fn, const void *p, const rp_buffer *b,
                          int8_t *a, const rp_step *s) {
  const rp_region region = rp_step_region(s);
  const rp_view in = rp_buffer_view(b, a, s->in[0]);
  rp_view out = rp_buffer_view(b, a, s->out);
  fn(p, &in, &out, &region, a + s->scratch, s->carry ? RP_RNNPOOL_CONTINUE : 1);
}

/* Row forms: the kernel on each row of the step's region; `values` per output pixel. */
void rp_llvm_copy(rp_llvm_copy_fn fn, const rp_buffer *b, int8_t *a, const rp_step *s,
                  int32_t values) {
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    fn(rp_buffer_pixel(b, a, s->in[0], y, s->col0), rp_buffer_pixel(b, a, s->out, y, s->col0),
       (s->col1 - s->col0) * values);
}

void rp_llvm_unary(rp_llvm_unary_fn fn, const void *p, const rp_buffer *b, int8_t *a,
                   const rp_step *s, int32_t values) {
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    fn(p, rp_buffer_pixel(b, a, s->in[0], y, s->col0),
       rp_buffer_pixel(b, a, s->out, y, s->col0), (s->col1 - s->col0) * values);
}

void rp_llvm_binary(rp_llvm_binary_fn fn, const void *p, const rp_buffer *b, int8_t *a,
                    const rp_step *s, int32_t values) {
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    fn(p, rp_buffer_pixel(b, a, s->in[0], y, s->col0),
       rp_buffer_pixel(b, a, s->in[1], y, s->col0), rp_buffer_pixel(b, a, s->out, y, s->col0),
       (s->col1 - s->col0) * values);
}

/* Pixels: `values` per output pixel, `pixel_values` per kernel pixel. */
void rp_llvm_pixels(rp_llvm_unary_fn fn, const void *p, const rp_buffer *b, int8_t *a,
                    const rp_step *s, int32_t values, int32_t pixel_values) {
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    fn(p, rp_buffer_pixel(b, a, s->in[0], y, s->col0),
       rp_buffer_pixel(b, a, s->out, y, s->col0),
       (s->col1 - s->col0) * values / pixel_values);
}

/* Gate: input 1 broadcast over input 0, read whole (`per_pixel` 0) or by rows (1). */
void rp_llvm_gate(rp_llvm_binary_fn fn, const void *p, const rp_buffer *b, int8_t *a,
                  const rp_step *s, int32_t per_pixel) {
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    fn(p, rp_buffer_pixel(b, a, s->in[0], y, s->col0),
       per_pixel ? rp_buffer_pixel(b, a, s->in[1], y, s->col0)
                 : rp_buffer_pixel(b, a, s->in[1], 0, 0),
       rp_buffer_pixel(b, a, s->out, y, s->col0), s->col1 - s->col0);
}

/* A global average pool accumulated a band of input rows at a time (plan::Step::accumulate,
 * LoweredLayer::accumulate): the step's input rows are added to the int32 sums at
 * s->scratch (started anew unless the step carries the sums of the rows above), and the
 * step that adds the map's last row requantises them into the output. */
void rp_llvm_gap_rows(const rp_global_avgpool_params *p, const rp_buffer *b, int8_t *a,
                      const rp_step *s) {
  int32_t *const sums = (int32_t *)(void *)(a + s->scratch);
  int32_t y;
  for (y = s->row0; y < s->row1; ++y)
    rp_global_avgpool_rows_s8(p, rp_buffer_pixel(b, a, s->in[0], y, s->col0), sums,
                              s->col1 - s->col0, y == s->row0 && !s->carry);
  if (s->row1 == p->in_h)
    rp_global_avgpool_finish_s8(p, sums, rp_buffer_pixel(b, a, s->out, 0, 0));
}

/* Whole tensors: WholeUnary, an Alias that copies `bytes`, and WholeList (`count` input
 * buffers listed in `list`; `ptrs` has room for their addresses). */
void rp_llvm_whole(rp_llvm_whole_fn fn, const void *p, const rp_buffer *b, int8_t *a,
                   const rp_step *s) {
  fn(p, rp_buffer_pixel(b, a, s->in[0], 0, 0), rp_buffer_pixel(b, a, s->out, 0, 0));
}

void rp_llvm_whole_copy(rp_llvm_copy_fn fn, const rp_buffer *b, int8_t *a, const rp_step *s,
                        int32_t bytes) {
  fn(rp_buffer_pixel(b, a, s->in[0], 0, 0), rp_buffer_pixel(b, a, s->out, 0, 0), bytes);
}

void rp_llvm_whole_list(rp_llvm_list_fn fn, const void *p, const rp_buffer *b, int8_t *a,
                        const rp_step *s, const int32_t *list, int32_t count,
                        const int8_t **ptrs) {
  int32_t k;
  for (k = 0; k < count; ++k)
    ptrs[k] = rp_buffer_pixel(b, a, list[k], 0, 0);
  fn(p, ptrs, rp_buffer_pixel(b, a, s->out, 0, 0));
}

/* A banded channel Concat: each row of the step, from the same row of every input. */
void rp_llvm_concat_rows(const rp_concat_params *p, const rp_buffer *b, int8_t *a,
                         const rp_step *s, const int32_t *list, int32_t count,
                         const int8_t **ptrs) {
  int32_t y, k;
  for (y = s->row0; y < s->row1; ++y) {
    for (k = 0; k < count; ++k)
      ptrs[k] = rp_buffer_pixel(b, a, list[k], y, s->col0);
    rp_concat_pixels_s8(p, ptrs, rp_buffer_pixel(b, a, s->out, y, s->col0), s->col1 - s->col0);
  }
}

/* The model.h API over a constant table of the graph's inputs and outputs. */
typedef struct {
  int32_t offset;    /* in the arena, or -1 when streamed */
  int32_t elems;     /* values of the tensor */
  int32_t channels;  /* 4-D with more than one channel: NCHW -> HWC on quantising; else 0 */
  int32_t hw;        /* rows * columns of a 4-D tensor */
  float inv_scale;   /* 1 / scale (inputs) */
  int32_t zero_point;
} rp_llvm_tensor;

void rp_llvm_quantize_input(const rp_llvm_tensor *t, int32_t count, int32_t index,
                            const float *x, int32_t first, int32_t n, void *arena) {
  int8_t *const a = (int8_t *)arena;
  if (index < 0 || index >= count)
    return;
  t += index;
  if (!t->channels)
    rp_quantize_f32_s8(x, a + t->offset + first, n, t->inv_scale, t->zero_point);
  else
    rp_quantize_planes_f32_s8(x, a + t->offset, first, n, t->hw, t->channels, t->inv_scale,
                              t->zero_point);
}

void rp_llvm_quantize_pixels(const rp_llvm_tensor *t, int32_t count, int32_t index,
                             const float *x, int32_t n, int8_t *dst) {
  if (index >= 0 && index < count)
    rp_quantize_f32_s8(x, dst, n, t[index].inv_scale, t[index].zero_point);
}

int8_t *rp_llvm_tensor_at(const rp_llvm_tensor *t, int32_t count, int32_t index, void *arena) {
  return index >= 0 && index < count ? (int8_t *)arena + t[index].offset : 0;
}

int32_t rp_llvm_tensor_elems(const rp_llvm_tensor *t, int32_t count, int32_t index) {
  return index >= 0 && index < count ? t[index].elems : 0;
}

/* Anchors that keep each params type, by name, in the bitcode (a type that no function
 * mentions would otherwise be dropped): the backend builds each layer's params constant of
 * the runtime's own struct type, so the two layouts cannot drift. Unused after linking,
 * they are removed with everything else the model does not call. */
#define RP_LLVM_ANCHOR(type) type rp_llvm_anchor_##type;
RP_LLVM_ANCHOR(rp_buffer)
RP_LLVM_ANCHOR(rp_step)
RP_LLVM_ANCHOR(rp_schedule)
RP_LLVM_ANCHOR(rp_llvm_tensor)
RP_LLVM_ANCHOR(rp_requant_params)
RP_LLVM_ANCHOR(rp_conv_params)
RP_LLVM_ANCHOR(rp_fc_params)
RP_LLVM_ANCHOR(rp_pool_params)
RP_LLVM_ANCHOR(rp_global_avgpool_params)
RP_LLVM_ANCHOR(rp_add_params)
RP_LLVM_ANCHOR(rp_concat_params)
RP_LLVM_ANCHOR(rp_concat_input)
RP_LLVM_ANCHOR(rp_softmax_params)
RP_LLVM_ANCHOR(rp_fastgrnn_params)
RP_LLVM_ANCHOR(rp_rnnpool_params)
RP_LLVM_ANCHOR(rp_l2norm_params)
RP_LLVM_ANCHOR(rp_mul_params)
RP_LLVM_ANCHOR(rp_mul_gate_params)
RP_LLVM_ANCHOR(rp_mul_channel_params)
RP_LLVM_ANCHOR(rp_channel_slice_params)
RP_LLVM_ANCHOR(rp_pad_params)
RP_LLVM_ANCHOR(rp_pad_mode_params)
RP_LLVM_ANCHOR(rp_channel_step_params)
RP_LLVM_ANCHOR(rp_channel_shuffle_params)
RP_LLVM_ANCHOR(rp_permute_params)
RP_LLVM_ANCHOR(rp_reduce_channels_params)
RP_LLVM_ANCHOR(rp_minmax_params)
RP_LLVM_ANCHOR(rp_resize_params)
