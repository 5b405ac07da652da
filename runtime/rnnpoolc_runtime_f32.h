/* rnnpoolc runtime, float build: the public API of the C99 float32 kernels that generated
 * code calls when rnnpoolc compiles with --float (a reference for the fixed-point build, and
 * the baseline of its instruction counts).
 *
 * NUMBERS
 *   float32 throughout, in the order of a plain loop nest; sigmoid, tanh and softmax use
 *   libm (expf, tanhf), the only dependency beyond C99. The results follow the host float
 *   interpreter (compiler/interp) to float rounding, not bit for bit.
 *
 * LAYOUT, REGIONS AND VIEWS
 *   As in rnnpoolc_runtime.h: activations are HWC; a spatial kernel computes the output
 *   region [row0, row1) x [col0, col1) from an input view (rp_view_f32, the float twin of
 *   rp_view, with the same row0 / col0 / rows / cols / ring_rows meaning) into an output
 *   view. Padding outside the tensor is the real value 0 (skipped taps), as in ONNX.
 *   Weights have the int8 build's layouts: conv OHWI (depthwise [k_h][k_w][c]), fully
 *   connected [out][in] over the input's memory order, FastGRNN W [hidden][in], U
 *   [hidden][hidden], low-rank factors multiplied out on the host.
 *
 * SPECIALISATION
 *   Define RP_SINGLE_TU and include "rnnpoolc_runtime_f32_all.c" to make every kernel
 *   static in the including translation unit (see rnnpoolc_runtime.h).
 */
#ifndef RNNPOOLC_RUNTIME_F32_H
#define RNNPOOLC_RUNTIME_F32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Not rnnpoolc_runtime.h's RP_API: that header is not included, so that a float model.c
 * compiled as one translation unit declares no int8 kernel it does not define. */
#if defined(RP_SINGLE_TU) && defined(__GNUC__)
#define RP_F32_API static __attribute__((unused))
#elif defined(RP_SINGLE_TU)
#define RP_F32_API static
#else
#define RP_F32_API
#endif

/** Output region [row0, row1) x [col0, col1), output coordinates (as rp_region). */
typedef struct {
  int32_t row0, row1, col0, col1;
} rp_region_f32;

/** The whole output of a rows x cols layer as a region. */
static inline rp_region_f32 rp_region_whole_f32(int32_t rows, int32_t cols) {
  rp_region_f32 r;
  r.row0 = 0;
  r.row1 = rows;
  r.col0 = 0;
  r.col1 = cols;
  return r;
}

/** A buffer holding rows x cols pixels of a float HWC tensor, starting at (row0, col0);
 *  ring_rows > 0 makes it a line buffer (tensor row y at buffer row y % ring_rows). */
typedef struct {
  float *data;
  int32_t row0, col0;
  int32_t rows, cols;
  int32_t ring_rows;
} rp_view_f32;

/** A view of a whole rows x cols tensor in `data`. */
static inline rp_view_f32 rp_view_whole_f32(float *data, int32_t rows, int32_t cols) {
  rp_view_f32 v;
  v.data = data;
  v.row0 = 0;
  v.col0 = 0;
  v.rows = rows;
  v.cols = cols;
  v.ring_rows = 0;
  return v;
}

/** Elementwise functions, as ir::applyActivation defines them:
 *  NONE x; RELU max(x, 0); CLIP min(max(x, alpha), beta); LEAKY_RELU x >= 0 ? x : alpha x;
 *  SIGMOID 1 / (1 + exp(-x)); HARD_SIGMOID max(0, min(1, alpha x + beta));
 *  HARD_SWISH x max(0, min(1, x / 6 + 1/2)); TANH tanh(x); and the plain functions SQRT,
 *  EXP, NEG, ABS, RECIPROCAL, SOFTPLUS, LOG, FLOOR, CEIL, ERF (standalone nodes, as
 *  ir::unaryMathOf defines them; never fused into conv or fc). */
enum {
  RP_ACT_NONE = 0,
  RP_ACT_RELU = 1,
  RP_ACT_CLIP = 2,
  RP_ACT_LEAKY_RELU = 3,
  RP_ACT_SIGMOID = 4,
  RP_ACT_HARD_SIGMOID = 5,
  RP_ACT_HARD_SWISH = 6,
  RP_ACT_TANH = 7,
  RP_ACT_SQRT = 8,       /* sqrt(x) */
  RP_ACT_EXP = 9,        /* exp(x) */
  RP_ACT_NEG = 10,       /* -x */
  RP_ACT_ABS = 11,       /* |x| */
  RP_ACT_RECIPROCAL = 12, /* 1 / x */
  RP_ACT_SOFTPLUS = 13,  /* log(1 + exp(x)) */
  RP_ACT_LOG = 14,       /* log(x) */
  RP_ACT_FLOOR = 15,     /* floor(x) */
  RP_ACT_CEIL = 16,      /* ceil(x) */
  RP_ACT_ERF = 17        /* erf(x) */
};
typedef struct {
  int32_t kind; /* RP_ACT_* */
  float alpha, beta;
} rp_act_f32;

/** One value through an activation. */
RP_F32_API float rp_act_apply_f32(const rp_act_f32 *act, float x);

/* --------------------------------------------------------------------- convolution -- */

/** 2-D convolution: y[o] = act(bias[o] + sum w * x) over the taps inside the tensor.
 *  Weights OHWI ([out_c][k_h][k_w][in_c / groups]); depthwise (groups == in_c == out_c)
 *  [k_h][k_w][c]. bias is never NULL. */
typedef struct {
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dil_h, dil_w;
  int32_t pad_top, pad_left;
  int32_t groups;
  rp_act_f32 act;
  const float *weights;
  const float *bias;
} rp_conv_f32_params;

/** Any conv; picks the depthwise or pointwise kernel when its conditions hold. */
RP_F32_API void rp_conv_f32(const rp_conv_f32_params *p, const rp_view_f32 *in,
                            rp_view_f32 *out, const rp_region_f32 *region);
/** Any groups. */
RP_F32_API void rp_conv_general_f32(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                    rp_view_f32 *out, const rp_region_f32 *region);
/** groups == in_c == out_c. */
RP_F32_API void rp_conv_depthwise_f32(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                      rp_view_f32 *out, const rp_region_f32 *region);
/** 1x1, stride 1, no padding, groups == 1. */
RP_F32_API void rp_conv_pointwise_f32(const rp_conv_f32_params *p, const rp_view_f32 *in,
                                      rp_view_f32 *out, const rp_region_f32 *region);

/* ----------------------------------------------------------------- fully connected -- */

/** y[m][o] = act(bias[o] + sum_k w[o][k] x[m][k]), rows contiguous; bias never NULL. */
typedef struct {
  int32_t rows, in_features, out_features;
  rp_act_f32 act;
  const float *weights;
  const float *bias;
} rp_fc_f32_params;
RP_F32_API void rp_fc_f32(const rp_fc_f32_params *p, const float *in, float *out);

/* ------------------------------------------------------------------------- pooling -- */

/** Max / average pooling over HWC, the fields as in rp_pool_params. Max ignores padding
 *  (a window with no tap inside the tensor gives -INFINITY, as the interpreter). Average
 *  divides by the taps inside the tensor, or with count_include_pad by the window inside
 *  the explicitly padded tensor (ceil_mode overhang never counts). */
typedef struct {
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t k_h, k_w, stride_h, stride_w, pad_top, pad_left;
  int32_t pad_bottom, pad_right;
  int32_t count_include_pad;
} rp_pool_f32_params;
RP_F32_API void rp_maxpool_f32(const rp_pool_f32_params *p, const rp_view_f32 *in,
                               rp_view_f32 *out, const rp_region_f32 *region);
RP_F32_API void rp_avgpool_f32(const rp_pool_f32_params *p, const rp_view_f32 *in,
                               rp_view_f32 *out, const rp_region_f32 *region);

/** Global average pool [H, W, C] -> [C]. */
typedef struct {
  int32_t in_h, in_w, channels;
} rp_global_avgpool_f32_params;
RP_F32_API void rp_global_avgpool_f32(const rp_global_avgpool_f32_params *p, const float *in,
                                      float *out);

/* ------------------------------------------------------------------- elementwise ops -- */

/** out[i] = in1[i] + in2[i] over n values (same shapes). */
RP_F32_API void rp_add_f32(const float *in1, const float *in2, float *out, int32_t n);

/** Broadcasting binary ops over a [pixels, channels] HWC tensor: out[p][c] = a op b with
 *  a = in_a[p * a.pixel_stride + c * a.channel_stride] (and b likewise), so an operand is
 *  whole (pixel_stride = channels, channel_stride = 1), per channel ([1, C, 1, 1]: 0, 1),
 *  per pixel ([1, 1, H, W]: 1, 0) or a scalar (0, 0). POW is powf(a, b). */
enum {
  RP_BIN_ADD = 0,
  RP_BIN_SUB = 1,
  RP_BIN_MUL = 2,
  RP_BIN_DIV = 3,
  RP_BIN_POW = 4,
  RP_BIN_MAX = 5, /* the larger of a and b (ONNX Max of two operands) */
  RP_BIN_MIN = 6  /* the smaller (ONNX Min) */
};
typedef struct {
  int32_t pixel_stride, channel_stride;
} rp_operand_f32;
typedef struct {
  int32_t op; /* RP_BIN_* */
  int32_t pixels, channels;
  rp_operand_f32 a, b;
} rp_binary_f32_params;
RP_F32_API void rp_binary_f32(const rp_binary_f32_params *p, const float *a, const float *b,
                              float *out);

/** A reduction over the channels of every pixel: [pixels, channels] -> [pixels]. `op`:
 *  RP_RED_SUM (channels added in order), RP_RED_MEAN (that sum / channels), RP_RED_MAX,
 *  RP_RED_MIN. */
enum { RP_RED_SUM = 0, RP_RED_MEAN = 1, RP_RED_MAX = 2, RP_RED_MIN = 3 };
typedef struct {
  int32_t pixels, channels, op;
} rp_reduce_channels_f32_params;
RP_F32_API void rp_reduce_channels_f32(const rp_reduce_channels_f32_params *p, const float *in,
                                       float *out);

/** L2 normalisation over the channels of each of `pixels` pixels (HWC, or a vector with
 *  pixels == 1): y = x / (sqrt(sum x^2) + eps), or x / sqrt(sum x^2 + eps) with eps_inside,
 *  times scale[c] (scale_count values: 0 for none, 1 for one scalar, else one per channel). */
typedef struct {
  int32_t pixels, channels, eps_inside, scale_count;
  float eps;
  const float *scale;
} rp_l2norm_f32_params;
RP_F32_API void rp_l2norm_f32(const rp_l2norm_f32_params *p, const float *in, float *out);

/** Concatenation along channels of HWC tensors (or of vectors, pixels == 1): input i fills
 *  output channels [offset_i, offset_i + channels[i]) of every pixel. */
typedef struct {
  int32_t pixels, out_channels, num_inputs;
  const int32_t *channels;
} rp_concat_f32_params;
RP_F32_API void rp_concat_f32(const rp_concat_f32_params *p, const float *const *in,
                              float *out);

/** The inverse of concat: output i gets channels [offset_i, offset_i + channels[i]) of every
 *  pixel of the input (in_channels in all). */
typedef struct {
  int32_t pixels, in_channels, num_outputs;
  const int32_t *channels;
} rp_split_f32_params;
RP_F32_API void rp_split_f32(const rp_split_f32_params *p, const float *in, float *const *out);

/** out[i] = act(in[i]) over n values (in place allowed). */
RP_F32_API void rp_unary_f32(const rp_act_f32 *act, const float *in, float *out, int32_t n);

/** Values first..first + n - 1 of a CHW tensor (channel planes of hw values) stored in HWC
 *  order to out (the tensor's first value, `channels` per pixel): a model's input. */
RP_F32_API void rp_store_planes_f32(const float *in, float *out, int32_t first, int32_t n,
                                    int32_t hw, int32_t channels);

/** Softmax over the last axis of [rows, n]: exp(x - max) / sum. */
typedef struct {
  int32_t rows, n;
} rp_softmax_f32_params;
RP_F32_API void rp_softmax_f32(const rp_softmax_f32_params *p, const float *in, float *out);

/* ---------------------------------------------------------------- RNNPool, float -- */

/** Nonlinearities of a FastGRNN cell (the values of rnnpoolc_runtime.h's RP_NL_* kinds):
 *  SIGMOID 1 / (1 + exp(-x)), TANH tanh(x), QUANT_SIGM clamp((x + 1) / 2, 0, 1),
 *  QUANT_TANH clamp(x, -1, 1). */
enum {
  RP_F32_NL_SIGMOID = 0,
  RP_F32_NL_TANH = 1,
  RP_F32_NL_QUANT_SIGM = 2,
  RP_F32_NL_QUANT_TANH = 3
};
#define RP_F32_MAX_HIDDEN 64 /* hidden sizes above this are rejected by the emitter */
RP_F32_API float rp_rnn_nonlinearity_f32(int32_t kind, float x);

/** One FastGRNN cell: pre = x.W + h.U; z = gate(pre + bz); c = update(pre + bh);
 *  h' = z h + (zeta (1 - z) + nu) c, with zeta and nu already through sigmoid.
 *  W is [hidden][in_dim] and U [hidden][hidden] (transposed from EdgeML's orientation). */
typedef struct {
  int32_t in_dim, hidden; /* hidden <= RP_F32_MAX_HIDDEN */
  const float *w, *u;
  const float *bz, *bh;
  float zeta, nu;
  int32_t gate, update; /* RP_F32_NL_* */
} rp_fastgrnn_f32_params;

/** RNNPoolLayer on a float HWC input [in_h, in_w, in_c] -> [out_h, out_w, 4 * h2], with the
 *  channel order and sweep directions of DESIGN.md section 3 (and rp_rnnpool_s8). */
typedef struct {
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w;
  int32_t patch_h, patch_w, stride_h, stride_w;
  rp_fastgrnn_f32_params rnn1, rnn2;
} rp_rnnpool_f32_params;

/** Bytes of scratch (a multiple of 4) rp_rnnpool_f32 needs for a region `region_cols`
 *  patches wide; `reuse` caches RNN1 summaries as rp_rnnpool_scratch_bytes describes. */
RP_F32_API size_t rp_rnnpool_f32_scratch_bytes(const rp_rnnpool_f32_params *p,
                                               int32_t region_cols, int32_t reuse);
/** Computes the output patches of `region`; `scratch` holds at least
 *  rp_rnnpool_f32_scratch_bytes(p, region->col1 - region->col0, reuse) bytes, 4-aligned.
 *  reuse 0: no cache; 1: segments are shared within the region; 2
 *  (RP_RNNPOOL_F32_CONTINUE): as 1, and the scratch still holds what the call for the
 *  patch rows just above, over the same columns, left (a row band going on from the band
 *  above). The result does not depend on `reuse` or on how the output is split. */
#define RP_RNNPOOL_F32_CONTINUE 2
RP_F32_API void rp_rnnpool_f32(const rp_rnnpool_f32_params *p, const rp_view_f32 *in,
                               rp_view_f32 *out, const rp_region_f32 *region, void *scratch,
                               int32_t reuse);

/* --------------- padding, strided channel slice, permuted copy (rp_f32_shape.c) -- */

/** Padding of an HWC map, the fields and modes as rp_pad_mode_params (rnnpoolc_runtime.h):
 *  mode 0 constant (`value`), 1 edge, 2 reflect. Output `region` through views, so it runs
 *  on row bands and tiles; the input view holds the input pixels the region reads. */
typedef struct {
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t pad_top, pad_left;
  int32_t mode;
  float value;
} rp_pad_f32_params;
RP_F32_API void rp_pad_f32(const rp_pad_f32_params *p, const rp_view_f32 *in,
                           rp_view_f32 *out, const rp_region_f32 *region);

/** Channels first, first + step, ... (channels of them; step may be negative) of each of
 *  `pixels` pixels of in_channels values. */
typedef struct {
  int32_t in_channels, first, step, channels;
} rp_channel_step_f32_params;
RP_F32_API void rp_channel_step_f32(const rp_channel_step_f32_params *p, const float *in,
                                    float *out, int32_t pixels);

/** The channel shuffle of rp_channel_shuffle_s8 on each of `pixels` pixels: output channel
 *  i * groups + j is input channel j * (channels / groups) + i. Not in place. */
typedef struct {
  int32_t pixels, channels, groups;
} rp_channel_shuffle_f32_params;
RP_F32_API void rp_channel_shuffle_f32(const rp_channel_shuffle_f32_params *p, const float *in,
                                       float *out);

/** A permuted copy, as rp_permute_params: the output in memory order is a dims[0] x ... x
 *  dims[3] array whose element (i0, .., i3) is in[sum_k i_k * in_stride[k]]. */
typedef struct {
  int32_t dims[4];
  int32_t in_stride[4];
} rp_permute_f32_params;
RP_F32_API void rp_permute_f32(const rp_permute_f32_params *p, const float *in, float *out);

/* -------------------------------------- Resize, nearest and bilinear (rp_f32_resize.c) -- */

/** Resize of a whole HWC map, as rp_resize_s8 (rnnpoolc_runtime.h) with float source
 *  coordinates: output row oy reads input row y0 = (int)src_y[oy] and, with the weight
 *  wy = src_y[oy] - y0 (in [0, 1)), row y0 + 1: (1 - wy) * row y0 + wy * row y0 + 1, each
 *  row interpolated the same way along the columns by src_x. linear == 0 copies pixel
 *  (y0, x0). */
typedef struct {
  int32_t channels, in_h, in_w, out_h, out_w;
  int32_t linear;
  const float *src_y; /* [out_h]: first input row + weight of the next row */
  const float *src_x; /* [out_w]: the same for columns */
} rp_resize_f32_params;
RP_F32_API void rp_resize_f32(const rp_resize_f32_params *p, const float *in, float *out);

/* ------------------------------------ the schedule walker (rp_f32_schedule.c) -- */

/* The float build's twin of rp_schedule.h: a verified memory plan as two constant tables
 * and one function per layer, walked by rp_schedule_run_f32(). Offsets are in bytes of the
 * arena (every buffer of a float plan starts at a multiple of 4); element (y, x, c) of a
 * buffer's tensor is the float at offset + 4 * (((y - row0) * cols + (x - col0)) * channels
 * + c), or, for a ring of line buffers (ring_rows > 0), at offset + 4 * (((y % ring_rows)
 * * cols + x) * channels + c). A step's fields mean what rp_step's do. */
typedef struct {
  int32_t offset, row0, col0, rows, cols, ring_rows, channels;
} rp_buffer_f32;

typedef struct {
  int16_t layer, out, in[2];
  int32_t scratch;
  int32_t row0, row1, col0, col1;
  int16_t carry;
} rp_step_f32;

/** Runs one step of a layer on the arena. */
typedef void (*rp_layer_f32_fn)(uint8_t *arena, const rp_step_f32 *step);
/** Writes row `row` of streamed input `index` at dst: the row's float32 values, pixel by
 *  pixel, channels innermost, as bytes (the int8 build's model_read_row signature). */
typedef void (*rp_read_row_f32_fn)(void *user, int32_t index, int32_t row, int8_t *dst);
/** Told after each layer step: the layer, its output buffer's first value and the step. */
typedef void (*rp_trace_f32_fn)(int32_t layer, const float *values, const rp_step_f32 *step);

/** A plan as tables: layers[k] runs the steps of layer k. */
typedef struct {
  const rp_buffer_f32 *buffers;
  const rp_step_f32 *steps;
  int32_t num_steps;
  const rp_layer_f32_fn *layers;
} rp_schedule_f32;

/** The view of buffer `buffer` in the arena. */
RP_F32_API rp_view_f32 rp_buffer_view_f32(const rp_buffer_f32 *buffers, uint8_t *arena,
                                          int32_t buffer);
/** Where pixel (y, x) of buffer `buffer`'s tensor is in the arena. */
RP_F32_API float *rp_buffer_pixel_f32(const rp_buffer_f32 *buffers, uint8_t *arena,
                                      int32_t buffer, int32_t y, int32_t x);
/** The output region a step computes. */
RP_F32_API rp_region_f32 rp_step_region_f32(const rp_step_f32 *step);
/** Runs every step in order: a layer step calls its layer function, then `trace` (if not
 *  null); a step of a streamed input asks read_row for each of its rows, in increasing
 *  order (read_row may be null when no input is streamed). */
RP_F32_API void rp_schedule_run_f32(const rp_schedule_f32 *schedule, uint8_t *arena,
                                    rp_read_row_f32_fn read_row, void *user,
                                    rp_trace_f32_fn trace);

/** out[i] = in[i] over n values (a reshape that is not computed in place). */
RP_F32_API void rp_copy_f32(const float *in, float *out, int32_t n);

#ifdef __cplusplus
}
#endif

#endif /* RNNPOOLC_RUNTIME_F32_H */
