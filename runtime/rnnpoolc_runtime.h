/* rnnpoolc runtime: the public API of the C99 fixed-point kernels shipped with generated code
 * and called, bit for bit identically, by the host fixed-point interpreter.
 *
 * NUMBERS (DESIGN.md section 4)
 *   Activations are int8 with one (scale, zero point) per tensor: real = scale * (q - zp).
 *   Weights of conv / fully connected layers are int8, symmetric, one scale per output
 *   channel; biases are int32 at scale in_scale * w_scale[o]; accumulators are int32.
 *   Requantisation multiplies an int32 by a Q31 multiplier M (2^30 <= M < 2^31, or 0) and
 *   shifts: rp_requantize(x, M, S) = round_half_away(x * M / 2^(31 - S)), saturated to
 *   +-(2^30 - 1), i.e. the real factor M * 2^(S - 31). The host computes every M and S
 *   (compiler/quant). RNNPool runs in Q15 (int16) with int32 accumulation (see
 *   rp_rnnpool_params).
 *
 * DEFINED ARITHMETIC
 *   Every kernel's int32 arithmetic is defined (no signed overflow, no shift of a negative
 *   value or by 32 or more) for every int8 input, given parameters within the bounds the
 *   host proves for each layer (compiler/quant/QuantBounds.cpp, docs/numbers.md): a conv or
 *   fully connected output channel has |bias| + max|x - in_zp| * sum |w| <= 2^31 - 1 (which
 *   bounds every partial sum, in any order of summation), a FastGRNN hidden unit has
 *   2^x_shift * max|x| * sum |W| + 32768 * sum |U| + max(|bz|, |bh|) <= 2^31 - 1, a pooling
 *   window holds at most (2^31 - 1) / 255 values, and every requantisation has
 *   31 - shift in [1, 62].
 *
 * LAYOUT
 *   Logical IR shapes are NCHW with N = 1. In memory an activation with C channels, H rows
 *   and W columns is stored HWC ("channels last"): element (c, y, x) of a buffer holding all
 *   of the tensor is at (y * W + x) * C + c. 2-D tensors [1, K] are K contiguous values.
 *   A 4-D tensor flattened for a fully connected layer is NOT transposed at run time: the
 *   quantiser permutes the FC weights to read the HWC order.
 *
 * REGIONS AND VIEWS
 *   A spatial kernel computes the output region [row0, row1) x [col0, col1) (in output
 *   coordinates, all channels) from an input VIEW: a buffer that holds some rows and columns
 *   of its tensor. Row y of the tensor sits at buffer row (ring_rows ? y % ring_rows :
 *   y - row0); column x at buffer column x - col0; rows of the buffer are cols * C elements
 *   apart. The output is written through a view in the same way. Layer-by-layer execution
 *   is the region = the whole output and views that hold whole tensors (rp_view_whole()).
 *   The caller guarantees that each input view holds the receptive field of the region
 *   (ir::inputRegion); padding outside the tensor is the input zero point.
 *
 * SPECIALISATION
 *   Every kernel takes a `const` params struct. Generated code declares them `static const`
 *   and may compile the runtime in the same translation unit (define RP_SINGLE_TU and
 *   #include "rnnpoolc_runtime_all.c"): every kernel is then `static`, and the C compiler
 *   propagates the constant shapes, strides and multipliers into each call.
 *
 * PORTABILITY
 *   C99, no malloc, no libm. With __ARM_FEATURE_DSP (Cortex-M4) the inner loops use the
 *   dual 16-bit MAC instructions; the portable C fallback produces identical bytes (all
 *   arithmetic is exact integer arithmetic in the same order of rounding steps).
 */
#ifndef RNNPOOLC_RUNTIME_H
#define RNNPOOLC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RP_SINGLE_TU) && defined(__GNUC__)
#define RP_API static __attribute__((unused))
#elif defined(RP_SINGLE_TU)
#define RP_API static
#else
#define RP_API
#endif

/* ---------------------------------------------------------------- views and regions -- */

/** A buffer holding rows x cols pixels of an int8 HWC tensor, starting at (row0, col0). */
typedef struct {
  int8_t *data;
  int32_t row0, col0;  /* tensor coordinates of the buffer's first row and column */
  int32_t rows, cols;  /* extent held */
  int32_t ring_rows;   /* 0: linear; > 0: a line buffer, tensor row y at buffer row y % ring_rows */
} rp_view;

/** Output region [row0, row1) x [col0, col1), output coordinates. */
typedef struct {
  int32_t row0, row1, col0, col1;
} rp_region;

/** A view of a whole rows x cols tensor in `data`. */
static inline rp_view rp_view_whole(int8_t *data, int32_t rows, int32_t cols) {
  rp_view v;
  v.data = data;
  v.row0 = 0;
  v.col0 = 0;
  v.rows = rows;
  v.cols = cols;
  v.ring_rows = 0;
  return v;
}

/** The whole output of a rows x cols layer as a region. */
static inline rp_region rp_region_whole(int32_t rows, int32_t cols) {
  rp_region r;
  r.row0 = 0;
  r.row1 = rows;
  r.col0 = 0;
  r.col1 = cols;
  return r;
}

/* ------------------------------------------------------------------ requantisation -- */

/** round_half_away(x * mult / 2^(31 - shift)) saturated to [-(2^30 - 1), 2^30 - 1];
 *  1 <= 31 - shift <= 62, mult >= 0 (the host's multipliers are in [2^30, 2^31) or 0). */
RP_API int32_t rp_requantize(int32_t x, int32_t mult, int32_t shift);

/** Elementwise int8 -> int8 change of (scale, zero point): q' = zp_out + requant(q - zp_in). */
typedef struct {
  int32_t in_zp, out_zp;
  int32_t mult, shift;
} rp_requant_params;
RP_API void rp_requant_s8(const rp_requant_params *p, const int8_t *in, int8_t *out, int32_t n);

/** Float boundary helpers (no libm): q = clamp(round_half_away(x / scale) + zp, -128, 127). */
RP_API void rp_quantize_f32_s8(const float *in, int8_t *out, int32_t n, float inv_scale, int32_t zp);
/** The same for values first..first + n - 1 of a CHW tensor (channel planes of hw values),
 *  written in HWC order to out (the tensor's first byte, `channels` bytes per pixel). */
RP_API void rp_quantize_planes_f32_s8(const float *in, int8_t *out, int32_t first, int32_t n,
                                      int32_t hw, int32_t channels, float inv_scale, int32_t zp);
RP_API void rp_dequantize_s8_f32(const int8_t *in, float *out, int32_t n, float scale, int32_t zp);

/* --------------------------------------------------------------------- convolution -- */

/** 2-D convolution, HWC activations, weights [out_c][k_h][k_w][in_c / groups] (OHWI), except
 *  depthwise (groups == in_c == out_c): [k_h][k_w][c], so that a tap's weights for all
 *  channels are contiguous (rp_conv_s8 picks the depthwise kernel exactly then).
 *  acc[o] = bias[o] + sum w * (x - in_zp); y = clamp(out_zp + requant(acc, mult[o], shift[o]),
 *  act_min, act_max). A fused ReLU / ReLU6 / Clip is the [act_min, act_max] clamp. */
typedef struct {
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dil_h, dil_w;
  int32_t pad_top, pad_left;  /* bottom/right padding follows from the shapes */
  int32_t groups;             /* 1: ordinary; == in_c == out_c: depthwise */
  int32_t in_zp, out_zp;
  int32_t act_min, act_max;
  const int8_t *weights;
  const int32_t *bias;        /* [out_c]; never NULL (zeros when the model has none) */
  const int32_t *mult;        /* [out_c] */
  const int32_t *shift;       /* [out_c] */
} rp_conv_params;

/** Any conv; dispatches to the specialised kernels below when their conditions hold. */
RP_API void rp_conv_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                       const rp_region *region);
/** Any groups (the grouped / channel-multiplier case included). */
RP_API void rp_conv_general_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                               const rp_region *region);
/** groups == in_c == out_c. */
RP_API void rp_conv_depthwise_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                 const rp_region *region);
/** A depthwise conv computed over its input (a memory plan's row bands, plan::Buffer::
 *  within; or a tile, plan::Buffer::aliasOf): each output row goes over the bytes of the
 *  input row on top of its window, each column over the same column, which `in` may hold
 *  there (the view `out` then points into `in`'s ring or tile); no input value
 *  is overwritten before the last read of it. The row is computed `chunk` pixels at a time
 *  into `scratch` ((chunk + pad_left) * out_c bytes) and copied over the input as soon as
 *  no pixel to come reads the columns under it. The same bytes as rp_conv_s8. */
RP_API void rp_conv_in_place_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                const rp_region *region, int8_t *scratch, int32_t chunk);
/** An inverted residual's 1x1 expansion and the depthwise conv after it, computed together a
 *  group of `group` channels at a time, so that the expansion's output is never held for
 *  more channels than a group (a memory plan's tile, plan::Step::fusedExpansion): for each
 *  group, the expansion's channels over the depthwise window of `region` (clamped to the
 *  map) into `scratch`, then the depthwise conv of those channels into their bytes of
 *  `out`. `in` holds the expansion's input over that window; `expand` is a 1x1 conv of
 *  stride 1 without padding, `dw` a depthwise conv of its output. The same bytes as
 *  rp_conv_s8 of each in turn. `scratch`: rp_expand_dw_scratch_bytes, 4-byte aligned. */
RP_API void rp_expand_dw_s8(const rp_conv_params *expand, const rp_conv_params *dw,
                            const rp_view *in, rp_view *out, const rp_region *region,
                            int8_t *scratch, int32_t group);
/** The scratch rp_expand_dw_s8 needs for `region`: the group's expansion over the window,
 *  its depthwise output over the region and its depthwise weights, each rounded up to 4
 *  bytes. */
RP_API size_t rp_expand_dw_scratch_bytes(const rp_conv_params *dw, const rp_region *region,
                                         int32_t group);
/** rp_expand_dw_s8 over whole output rows in row bands (plan::Step::fusedRows): `scratch`
 *  starts with a carry of the expansion's rows that the windows of consecutive output rows
 *  share (rp_expand_dw_carry_rows of them, every channel and column), so that each row of
 *  the expansion is computed once. With `carried` (the step goes on from the call for the
 *  rows just above, with the same scratch), the window's rows the call above computed come
 *  from the carry and `in` need hold only the rows below them. The same bytes as rp_conv_s8
 *  of each in turn. `scratch`: rp_expand_dw_rows_scratch_bytes for calls of up to `rows`
 *  output rows, 4-byte aligned, kept from call to call. */
RP_API void rp_expand_dw_rows_s8(const rp_conv_params *expand, const rp_conv_params *dw,
                                 const rp_view *in, rp_view *out, const rp_region *region,
                                 int8_t *scratch, int32_t group, int32_t carried);
RP_API size_t rp_expand_dw_rows_scratch_bytes(const rp_conv_params *dw, int32_t rows,
                                              int32_t group);
/** 1x1, stride 1, no padding, groups == 1. */
RP_API void rp_conv_pointwise_s8(const rp_conv_params *p, const rp_view *in, rp_view *out,
                                 const rp_region *region);

/* ----------------------------------------------------------------- fully connected -- */

/** y[m][o] = clamp(out_zp + requant(bias[o] + sum_k w[o][k] * (x[m][k] - in_zp))), weights
 *  [out_features][in_features], per-output-channel mult/shift. Rows are contiguous. */
typedef struct {
  int32_t rows, in_features, out_features;
  int32_t in_zp, out_zp;
  int32_t act_min, act_max;
  const int8_t *weights;
  const int32_t *bias;
  const int32_t *mult;
  const int32_t *shift;
} rp_fc_params;
RP_API void rp_fc_s8(const rp_fc_params *p, const int8_t *in, int8_t *out);

/* ------------------------------------------------------------------------- pooling -- */

/** Max / average pooling over HWC. Input and output share (scale, zero point) (the
 *  quantiser guarantees it). Average: round_half_away(sum / count), where count includes
 *  the padding when count_include_pad (padding counts as the zero point), else only the
 *  elements inside the tensor. ceil_mode windows may run past the bottom/right edge. A
 *  window that counts no element (it lies wholly in the padding or past the edge) gives the
 *  zero point, the real value 0. */
typedef struct {
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t k_h, k_w, stride_h, stride_w, pad_top, pad_left;
  int32_t pad_bottom, pad_right; /* explicit end padding (ceil_mode overhang is not padding) */
  int32_t count_include_pad;
  int32_t zp;
} rp_pool_params;
RP_API void rp_maxpool_s8(const rp_pool_params *p, const rp_view *in, rp_view *out,
                          const rp_region *region);
RP_API void rp_avgpool_s8(const rp_pool_params *p, const rp_view *in, rp_view *out,
                          const rp_region *region);

/** Global average pool [H, W, C] -> [C]: y = out_zp + requant(sum - count * in_zp). */
typedef struct {
  int32_t in_h, in_w, channels;
  int32_t in_zp, out_zp;
  int32_t mult, shift;  /* in_scale / (out_scale * in_h * in_w) */
} rp_global_avgpool_params;
RP_API void rp_global_avgpool_s8(const rp_global_avgpool_params *p, const int8_t *in,
                                 int8_t *out);

/* ------------------------------------------------------------------- elementwise ops -- */

/** Same-shape add with its own rescale: each input, shifted left by left_shift (20; at
 *  most 22, so that (q - zp) * 2^left_shift fits in int32), is
 *  rescaled by (in_mult, in_shift) to a common scale, the sum by (out_mult, out_shift);
 *  then out_zp is added and the result clamped to [act_min, act_max]. */
typedef struct {
  int32_t in1_zp, in2_zp, out_zp;
  int32_t left_shift;
  int32_t in1_mult, in1_shift, in2_mult, in2_shift;
  int32_t out_mult, out_shift;
  int32_t act_min, act_max;
} rp_add_params;
RP_API void rp_add_s8(const rp_add_params *p, const int8_t *in1, const int8_t *in2, int8_t *out,
                      int32_t n);

/** Concatenation along channels of HWC tensors: input i fills output channels
 *  [offset_i, offset_i + channels_i) of every pixel, rescaled from its own parameters. */
typedef struct {
  int32_t channels, in_zp, mult, shift;  /* mult == 0: parameters equal, copy */
} rp_concat_input;
typedef struct {
  int32_t pixels, out_channels, out_zp;
  int32_t num_inputs;
  const rp_concat_input *inputs;
} rp_concat_params;
RP_API void rp_concat_s8(const rp_concat_params *p, const int8_t *const *in, int8_t *out);
/** The same over `pixels` consecutive pixels (p->pixels unread): a row of a region, each
 *  in[i] at the row's first pixel in input i, out at its first pixel in the output. */
RP_API void rp_concat_pixels_s8(const rp_concat_params *p, const int8_t *const *in, int8_t *out,
                                int32_t pixels);

/** Any unary int8 -> int8 function (sigmoid, tanh, hard-sigmoid, leaky ReLU, hard-swish,
 *  ...) as a 256-entry table computed on the host: out = table[(uint8_t)(in + 128)]. */
RP_API void rp_lut_s8(const int8_t *table, const int8_t *in, int8_t *out, int32_t n);

/** Softmax over the last axis of [rows, n] (n < 65536). exp_table[d] = round(65536 *
 *  exp(-in_scale * d)) for d = 0..255; with e_i = exp_table[max - x_i] and E = sum e_i,
 *  out_i = min(127, round_half_away(256 * e_i / E) - 128): the output scale is 1/256 and
 *  its zero point -128. */
typedef struct {
  int32_t rows, n;
  const uint32_t *exp_table;
} rp_softmax_params;
RP_API void rp_softmax_s8(const rp_softmax_params *p, const int8_t *in, int8_t *out);

/* ------------------------------------------------------------------ RNNPool, Q15 -- */

/** Nonlinearities of a FastGRNN cell, on a Q12 pre-activation, giving Q15 in [-32768, 32768]:
 *  SIGMOID: saturated to [-16, 16), a 513-point table of sigmoid on [-16, 16] at steps of 1/16
 *  (values clamped to 32767) with linear interpolation rounded half up (max error 6.7e-5);
 *  TANH: saturated to [-8, 8), the same on [-8, 8] at steps of 1/32 (max error 1.16e-4);
 *  QUANT_SIGM: clamp((x + 1) / 2, 0, 1); QUANT_TANH: clamp(x, -1, 1) (inputs saturated to
 *  +-16). */
enum { RP_NL_SIGMOID = 0, RP_NL_TANH = 1, RP_NL_QUANT_SIGM = 2, RP_NL_QUANT_TANH = 3 };
RP_API int32_t rp_q15_nonlinearity(int32_t kind, int32_t x_q12);

/** One FastGRNN cell. The state h is int16 in Q(15 - state_shift) (the host chooses
 *  state_shift so that the bound |h| <= zeta + T * nu fits). The pre-activation
 *  acc = (x.W) * 2^x_shift + h.U is an int32 at one scale S = 2^-(12 + acc_shift): W is
 *  int16 at scale S * 2^x_shift / x_scale and U at S / h_scale, so both use their 16 bits,
 *  and the host picks S so that the worst case |acc| over all inputs stays below 2^31.
 *  bz, bh are at scale S plus 2^(acc_shift - 1), so that the gate and update inputs in Q12
 *  are floor((acc + b) / 2^acc_shift), the pre-activation rounded half up. z and c are Q15,
 *  zeta and nu (sigmoid of the raw values) Q14, and with f = floor:
 *  coef = f((zeta * (1 - z) + 2^14) / 2^15) + nu                       (Q14)
 *  h'   = f((z * h + 2^14) / 2^15) + f((coef * c + 2^(13+s)) / 2^(14+s))  (Q(15 - s)), saturated.
 *  W is stored [hidden][in] and U [hidden][hidden] (transposed from EdgeML's W: in x hidden),
 *  so that each output's dot product reads contiguous memory. For an int8 input (RNN1, W
 *  multiplies int8 values) every full group of four weights of a row is stored in the order
 *  w0, w2, w1, w3 (the lanes of SXTAB16); the last in_dim % 4 stay in order. RNN2's W and
 *  every U are in natural order. Low-rank factors are multiplied out on the host. */
#define RP_FASTGRNN_MAX_HIDDEN 64 /* hidden sizes above this are rejected by the quantiser */
typedef struct {
  int32_t in_dim, hidden;
  int32_t x_zp;                /* RNN1: the input tensor's zero point; RNN2: 0 */
  int32_t x_shift;             /* x.W is scaled by 2^x_shift before h.U is added */
  const int16_t *w, *u;
  const int32_t *bz, *bh;
  int32_t acc_mult;            /* reserved: 0 (the shift to Q12 is a pure shift) */
  int32_t acc_shift;           /* accumulator -> Q12 right shift, 0..30 */
  int32_t zeta, nu;            /* sigmoid(zeta), sigmoid(nu) in Q14 */
  int32_t gate, update;        /* RP_NL_* */
  int32_t state_shift;
} rp_fastgrnn_params;

/** RNNPoolLayer on an int8 HWC input [in_h, in_w, in_c] -> int8 HWC [out_h, out_w, 4 * h2],
 *  channels [fwd rows, bwd rows, fwd cols, bwd cols] as in DESIGN.md section 3. The final
 *  RNN2 states (Q(15 - rnn2.state_shift)) become int8 by out_zp + requant(h, out_mult,
 *  out_shift). rnn1.in_dim == in_c, rnn2.in_dim == rnn1.hidden, and RNN2's input (the RNN1
 *  summaries) is in RNN1's state format. */
typedef struct {
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w;
  int32_t patch_h, patch_w, stride_h, stride_w;
  rp_fastgrnn_params rnn1, rnn2;
  int32_t out_zp, out_mult, out_shift;
} rp_rnnpool_params;

/** Bytes of scratch (aligned to 4) rp_rnnpool_s8 needs for a region `region_cols` patches
 *  wide. With `reuse`, RNN1 row summaries are cached across patch rows and column summaries
 *  across neighbouring patches, so each RNN1 segment is swept once per region. The layout
 *  and its size, in int16 elements, are rp_rnnpool_scratch_size's (rp_scratch.h). */
RP_API size_t rp_rnnpool_scratch_bytes(const rp_rnnpool_params *p, int32_t region_cols,
                                       int32_t reuse);
/** Computes the output patches of `region` (patches in raster order). The input view must
 *  hold every input pixel those patches cover. `scratch` is at least
 *  rp_rnnpool_scratch_bytes(p, region->col1 - region->col0, reuse) bytes, 4-byte aligned.
 *  reuse 0: no cache; 1: segments are shared within the region; 2 (RP_RNNPOOL_CONTINUE):
 *  as 1, and the scratch still holds what the call for the patch rows just above left (the
 *  same columns, its last patch row region->row0 - 1), so the row summaries it computed are
 *  not computed again: row bands of one patch row then cost what the whole layer does.
 *  The result does not depend on `reuse` or on how the output is split into regions. */
#define RP_RNNPOOL_CONTINUE 2
RP_API void rp_rnnpool_s8(const rp_rnnpool_params *p, const rp_view *in, rp_view *out,
                          const rp_region *region, void *scratch, int32_t reuse);

/** One FastGRNN sweep from h = 0 (exposed for tests): `count` int8 inputs of in_dim values
 *  (RNN1 form, x_zp applies), the t-th at x + t * stride; final state in h[hidden]; tmp
 *  holds hidden values of scratch. */
RP_API void rp_fastgrnn_sweep_s8(const rp_fastgrnn_params *p, const int8_t *x, int32_t count,
                                 int32_t stride, int16_t *h, int16_t *tmp);

/* ------------------------------------ normalisation, multiply, slice, pad (rp_norm.c) -- */

/** L2 normalisation over the channels of each pixel of an HWC tensor, with a per-channel
 *  scale folded into the output multipliers:
 *    y_c = scale_c * x_c / (sqrt(sum_c x_c^2) + eps)     (eps_inside == 0), or
 *    y_c = scale_c * x_c / sqrt(sum_c x_c^2 + eps)       (eps_inside == 1).
 *  With d_c = q_c - in_zp and s = sum d_c^2 (int32; the host keeps channels * 255^2 below
 *  2^31), the kernel shifts s left by 2k (k >= 0 the largest with s * 4^k < 2^30), adds
 *  the inside eps, takes the exact integer square root t = floor(sqrt(.)) (a value in
 *  [2^14, 2^31), i.e. sqrt(s) * 2^k), adds the outside eps, and forms once per pixel
 *  R = round(2^(30 + k) / t), so that v_c = d_c * R = 2^30 * x_c / norm, |v_c| <= 2^30.
 *  Output: out_zp + requant(v_c, mult[c], shift[c]) (real factor scale_c / (out_scale *
 *  2^30); negative for a negative scale), clamped. A pixel with s == 0 gives out_zp.
 *  The eps terms are eps / in_scale^2 (inside) or eps / in_scale (outside) in units of the
 *  input's integer steps, as mant * 2^-exp (each term saturates at 2^60).
 *  ERROR: t is within one unit of sqrt(.) * 2^k >= 2^14 and R is rounded, so v_c has a
 *  relative error below 2^-13 (1.2e-4) plus the final rounding: at most 0.5 + 1.2e-4 * 128
 *  (< 0.52) output steps from the exact quotient of the quantised input. */
typedef struct {
  int32_t channels;
  int32_t in_zp, out_zp;
  int32_t eps_inside;           /* 0: eps added to the norm; 1: to the sum of squares */
  int32_t eps_mant, eps_exp;    /* eps in integer-step units = eps_mant * 2^-eps_exp */
  const int32_t *mult;          /* [channels] */
  const int32_t *shift;         /* [channels] */
} rp_l2norm_params;
/** Normalises `pixels` pixels of `channels` contiguous values (any band of rows). */
RP_API void rp_l2norm_s8(const rp_l2norm_params *p, const int8_t *in, int8_t *out,
                         int32_t pixels);
/** floor(sqrt(x)) of a 64-bit value, exact (exposed for tests). */
RP_API uint32_t rp_isqrt64(uint64_t x);

/** Same-shape int8 x int8 -> int8 multiply: y = clamp(out_zp + requant((a - in1_zp) *
 *  (b - in2_zp), mult, shift), act_min, act_max), real factor in1_scale * in2_scale /
 *  out_scale. The product is at most 2^16 in magnitude, so no intermediate overflows. */
typedef struct {
  int32_t in1_zp, in2_zp, out_zp;
  int32_t mult, shift;
  int32_t act_min, act_max;
} rp_mul_params;
RP_API void rp_mul_s8(const rp_mul_params *p, const int8_t *in1, const int8_t *in2,
                      int8_t *out, int32_t n);

/** Multiply by a constant that varies along channels only (a scalar is channels == 1 with
 *  any tensor viewed as pixels of one channel): y_c = clamp(out_zp + requant(x - in_zp,
 *  mult[c], shift[c])), the real factor in_scale * k_c / out_scale exact to Q31 (a negative
 *  k_c has a negative multiplier). `pixels` pixels of `channels` contiguous values. */
typedef struct {
  int32_t channels;
  int32_t in_zp, out_zp;
  int32_t act_min, act_max;
  const int32_t *mult;  /* [channels] */
  const int32_t *shift; /* [channels] */
} rp_mul_channel_params;
RP_API void rp_mul_channel_s8(const rp_mul_channel_params *p, const int8_t *in, int8_t *out,
                              int32_t pixels);

/** A gate: an int8 map times an int8 run-time tensor broadcast over it, the same arithmetic
 *  as rp_mul_s8 (a squeeze-and-excitation gate x * sigmoid(...) of shape [1, C, 1, 1], or a
 *  spatial one of shape [1, 1, H, W]). `pixels` pixels of `channels` contiguous values of
 *  `in`; `gate` holds `channels` values read by every pixel (per_pixel == 0), or one value
 *  per pixel (per_pixel == 1). */
typedef struct {
  int32_t channels;
  int32_t per_pixel;
  int32_t in_zp, gate_zp, out_zp;
  int32_t mult, shift;
  int32_t act_min, act_max;
} rp_mul_gate_params;
RP_API void rp_mul_gate_s8(const rp_mul_gate_params *p, const int8_t *in, const int8_t *gate,
                           int8_t *out, int32_t pixels);

/** out[i] = in[i] for n bytes; in and out may overlap (Reshape, Flatten, Squeeze and other
 *  ops that keep the bytes as they are, when the plan gives the output its own memory). */
RP_API void rp_copy_s8(const int8_t *in, int8_t *out, int32_t n);

/** Channel slice of an HWC tensor (one output of Split, or Slice along channels): channels
 *  [first, first + channels) of each of `pixels` pixels of in_channels values; the bytes are
 *  copied (the output shares the input's scale and zero point). */
typedef struct {
  int32_t in_channels, first, channels;
} rp_channel_slice_params;
RP_API void rp_channel_slice_s8(const rp_channel_slice_params *p, const int8_t *in,
                                int8_t *out, int32_t pixels);

/** Constant padding of an HWC map [in_h, in_w, channels] -> [out_h, out_w, channels] with
 *  pad_top rows above and pad_left columns left (bottom/right follow from the shapes); the
 *  padding value is `value`, the quantised constant (the zero point for zero padding); input
 *  and output share (scale, zero point). Computes output `region` through views, so it runs
 *  on row bands and tiles like the convolutions: the input view must hold the input pixels
 *  the region covers. In place: the output view may overlap the input view when every
 *  output pixel's source lies at or before it in memory (pixels are then written last
 *  first), or when every source lies at or after its pixel and the region's first pixel's
 *  source (its row and column clamped into the input) strictly after it (pixels are then
 *  written first first: a Pad's one-row ring over its input's first row); the planner's
 *  verifier checks one or the other before it puts a Pad's output over its input. */
typedef struct {
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t pad_top, pad_left;
  int32_t value;
} rp_pad_params;
RP_API void rp_pad_s8(const rp_pad_params *p, const rp_view *in, rp_view *out,
                      const rp_region *region);

/* ------------- padding modes, strided channel slice, permuted copy (rp_shape.c) -- */

/** Padding of an HWC map [in_h, in_w, channels] -> [out_h, out_w, channels] by pad_top
 *  rows above and pad_left columns left (bottom/right follow from the shapes), as ONNX Pad
 *  defines its modes: CONSTANT writes `value` (the quantised constant); EDGE repeats the
 *  nearest border pixel (the row and column indices clamped); REFLECT mirrors about the
 *  border pixel without repeating it (index -1 reads 1, index in_h reads in_h - 2), folding
 *  again for pads of in_h or more (a map of one row or column repeats it). Bytes are copied,
 *  so input and output share (scale, zero point), and the kernel is the same for int8 and
 *  any other one-byte type. Computes output `region` through views (row bands and tiles):
 *  the input view must hold the input pixels the region reads (ir::inputRegion). In place
 *  as rp_pad_s8 (in the order it takes, the constant and edge modes read no pixel that they
 *  have overwritten). */
enum { RP_PAD_CONSTANT = 0, RP_PAD_EDGE = 1, RP_PAD_REFLECT = 2 };
typedef struct {
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t pad_top, pad_left;
  int32_t mode;  /* RP_PAD_* */
  int32_t value; /* RP_PAD_CONSTANT: the padding byte */
} rp_pad_mode_params;
RP_API void rp_pad_mode_s8(const rp_pad_mode_params *p, const rp_view *in, rp_view *out,
                           const rp_region *region);
/** The input index that output index i (already shifted by the padding before) reads along
 *  a dimension of n values, or -1 for the constant (exposed for tests). */
RP_API int32_t rp_pad_source(int32_t i, int32_t n, int32_t mode);

/** Channels first, first + step, ..., first + (channels - 1) * step (step != 0, negative
 *  steps included) of each of `pixels` pixels of in_channels values: ONNX Slice along the
 *  channels with any step. Bytes are copied (the output shares the input's parameters). */
typedef struct {
  int32_t in_channels, first, step, channels;
} rp_channel_step_params;
RP_API void rp_channel_step_s8(const rp_channel_step_params *p, const int8_t *in, int8_t *out,
                               int32_t pixels);

/** ShuffleNet's channel shuffle of each of `pixels` pixels of `channels` values in `groups`
 *  groups (groups divides channels): output channel i * groups + j is input channel
 *  j * (channels / groups) + i. Bytes are copied (the output shares the input's parameters);
 *  an output pixel reads its own input pixel only, so row bands may call it, but not in
 *  place. */
typedef struct {
  int32_t channels, groups;
} rp_channel_shuffle_params;
RP_API void rp_channel_shuffle_s8(const rp_channel_shuffle_params *p, const int8_t *in,
                                  int8_t *out, int32_t pixels);

/** A permuted copy of a whole tensor (Transpose, when the bytes cannot simply be
 *  relabelled): the output, in its memory order, is a dims[0] x dims[1] x dims[2] x dims[3]
 *  array whose element (i0, i1, i2, i3) is in[i0 * in_stride[0] + ... + i3 * in_stride[3]].
 *  The host folds every layout (HWC maps, row-major tensors) into dims and strides. */
typedef struct {
  int32_t dims[4];
  int32_t in_stride[4];
} rp_permute_params;
RP_API void rp_permute_s8(const rp_permute_params *p, const int8_t *in, int8_t *out);

/* ------------------ reductions over channels, elementwise max / min (rp_reduce.c) -- */

/** ReduceMax / ReduceMin / ReduceMean over the channels of each of `pixels` pixels of
 *  `channels` contiguous values, one value per pixel. MAX and MIN return the extreme byte:
 *  the output shares the input's (scale, zero point), exactly. MEAN:
 *  y = clamp(out_zp + requant(sum_c (q_c - in_zp), mult, shift), -128, 127), real factor
 *  in_scale / (out_scale * channels) (the sum is exact in int32 below 2^23 channels; the
 *  one rounding is rp_requantize's, half away from zero). */
enum { RP_REDUCE_MAX = 0, RP_REDUCE_MIN = 1, RP_REDUCE_MEAN = 2 };
typedef struct {
  int32_t channels, op; /* op: RP_REDUCE_* */
  int32_t in_zp, out_zp;
  int32_t mult, shift;  /* MEAN only */
} rp_reduce_channels_params;
RP_API void rp_reduce_channels_s8(const rp_reduce_channels_params *p, const int8_t *in,
                                  int8_t *out, int32_t pixels);

/** A global average pool a band of rows at a time, for a plan that never holds the whole
 *  map: rp_global_avgpool_rows_s8 adds `pixels` pixels of p->channels contiguous values
 *  into the per-channel sums `acc` (acc[c] += q_c - in_zp; with `start` the sums are set
 *  to zero first), and rp_global_avgpool_finish_s8 requantises the sums into the output
 *  as rp_global_avgpool_s8 does. Over all the rows of the map, in any bands, the pair gives
 *  the bytes rp_global_avgpool_s8 gives (int32 sums are exact below 2^24 pixels). */
RP_API void rp_global_avgpool_rows_s8(const rp_global_avgpool_params *p, const int8_t *in,
                                      int32_t *acc, int32_t pixels, int32_t start);
RP_API void rp_global_avgpool_finish_s8(const rp_global_avgpool_params *p, const int32_t *acc,
                                        int8_t *out);

/** Elementwise Max / Min of two same-shape int8 tensors with their own parameters: each
 *  input is first requantised to the output's parameters by a 256-entry table computed on
 *  the host, table_k[q + 128] = clamp(out_zp + rp_requantize(q - zp_k, M_k, S_k), -128,
 *  127) (round half away from zero; the identity when the parameters are equal), then
 *  out = max (or min) of the two requantised values. Requantisation is monotonic, so this
 *  is the output-grid rounding of the exact max / min of the two real inputs. */
typedef struct {
  int32_t is_min;          /* 0: Max, 1: Min */
  const int8_t *table1;    /* [256] */
  const int8_t *table2;    /* [256] */
} rp_minmax_params;
RP_API void rp_minmax_s8(const rp_minmax_params *p, const int8_t *in1, const int8_t *in2,
                         int8_t *out, int32_t n);

/* ----------------------------------------- Resize, nearest and bilinear (rp_resize.c) -- */

/** Resize of a whole [1, C, in_h, in_w] map stored HWC to [1, C, out_h, out_w] (ONNX
 *  Resize over the rows and columns). Each output row oy reads input row
 *  y0 = src_y[oy] >> 11 and, when its Q11 weight wy = src_y[oy] & 2047 is not 0, row
 *  y0 + 1 too; each output column likewise through src_x. The host computes both tables
 *  from the coordinate mode (compiler/ir/Resize.h), edge values included.
 *  linear == 0 (nearest): copies pixel (y0, x0); exact, the output shares the input's
 *  (scale, zero point).
 *  linear == 1: on the raw bytes (the weights sum to one, so the output shares the input's
 *  parameters too), with a = 2048 - w,
 *    q = floor((((q00 ax + q01 wx) ay + (q10 ax + q11 wx) wy) + 2^21) / 2^22),
 *  rounding half up; every partial sum is within +-2^29, and the result within [-128, 127].
 *  Against the exact interpolation of the same bytes it is off by at most 0.625 of a step
 *  (docs/numbers.md). */
typedef struct {
  int32_t channels, in_h, in_w, out_h, out_w;
  int32_t linear;
  const int32_t *src_y; /* [out_h]: first input row * 2048 + Q11 weight of the next row */
  const int32_t *src_x; /* [out_w]: the same for columns */
} rp_resize_params;
RP_API void rp_resize_s8(const rp_resize_params *p, const int8_t *in, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* RNNPOOLC_RUNTIME_H */
