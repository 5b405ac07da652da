// Operator kinds and their attribute structs. The op list lives in Ops.def.
#pragma once

#include "compiler/ir/DType.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rnnpoolc::ir {

enum class OpKind : uint16_t {
#define OP(Name, Attrs, MinIn, MaxIn, MinOut, MaxOut, ...) Name,
#include "compiler/ir/Ops.def"
#undef OP
};

std::string_view opName(OpKind op);
std::optional<OpKind> opFromName(std::string_view name);

/// Operand counts an op accepts; max == -1 means variadic.
struct OpArity {
  int minInputs, maxInputs, minOutputs, maxOutputs;
};
OpArity arityOf(OpKind op);

/// The section of Ops.def an op sits in.
enum class OpFamily : uint8_t {
  Compute, ///< Conv, Gemm, MatMul
  Binary,  ///< elementwise, binary or variadic, broadcasting
  Unary,   ///< elementwise, one data input
  Quant,   ///< QuantizeLinear, DequantizeLinear
  Pool,
  Norm,
  Reduce,
  Layout,  ///< data movement that reorders, selects or repeats elements
  View,    ///< the same bytes under another shape
  Shape,   ///< shape plumbing, folded once input shapes are known
  RNNPool,
};
std::string_view name(OpFamily family);

/// How ir::macs counts one execution of an op (its doc comment gives the formulas).
enum class CostClass : uint8_t {
  Zero,                   ///< pure data movement
  PerOutput,              ///< one per output element
  PerOutputPerExtraInput, ///< one per output element per input beyond the first
  TwicePerOutput,         ///< a square-accumulate and a scaling per element (L2Norm)
  PerInput,               ///< one per element of input 0 (global pools, softmax, reductions)
  Window,                 ///< one per output element per window tap (pooling)
  Conv,
  MatMul,
  RNNPool,
};

/// An op's properties, the last columns of Ops.def (which documents them).
struct OpProperties {
  OpFamily family;
  CostClass cost;
  bool spatial;     ///< row bands and tiles may compute it region by region
  bool elementwise; ///< output element i depends on the input elements at i only
  bool inPlace;     ///< its output may overwrite an input of the same size
};
const OpProperties &propertiesOf(OpKind op);

/// Number of ops in Ops.def.
size_t numOps();

using Ints = std::vector<int64_t>;

/// An activation fused into the op that produces its input (see passes/FuseActivations).
enum class ActKind : uint8_t { None, Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh };
struct Activation {
  ActKind kind = ActKind::None;
  float alpha = 0; ///< Clip: min; LeakyRelu, HardSigmoid: alpha.
  float beta = 0;  ///< Clip: max; HardSigmoid: beta.
  bool operator==(const Activation &) const = default;
};
/// Applies an activation to one value.
float applyActivation(const Activation &act, float x);

/// The float function of a unary math op without attributes (Softplus, Sqrt, Exp, Erf, ...):
/// the one definition that the float interpreter runs and the int8 build tabulates (a
/// 256-entry lookup table, quant's buildLut), so a new math op is one case here. Null for
/// every other op, the activations (applyActivation), Identity, Not, Clip and Cast included.
using UnaryMathFn = float (*)(float);
UnaryMathFn unaryMathOf(OpKind op);

// `case OpKind::X:` for every op of the Unary family of Ops.def, for a switch that hands the
// whole family to one function (whose own switch tells them apart) and still names every op
// for -Wswitch. Use it as
//   #define OP(N, A, I0, I1, O0, O1, FAMILY, C, P) RNNPOOLC_UNARY_CASE_##FAMILY(N)
//   #include "compiler/ir/Ops.def"
//   #undef OP
//     return evalUnary(node, in);
#define RNNPOOLC_UNARY_CASE_Unary(name) case ::rnnpoolc::ir::OpKind::name:
#define RNNPOOLC_UNARY_CASE_Compute(name)
#define RNNPOOLC_UNARY_CASE_Binary(name)
#define RNNPOOLC_UNARY_CASE_Quant(name)
#define RNNPOOLC_UNARY_CASE_Pool(name)
#define RNNPOOLC_UNARY_CASE_Norm(name)
#define RNNPOOLC_UNARY_CASE_Reduce(name)
#define RNNPOOLC_UNARY_CASE_Layout(name)
#define RNNPOOLC_UNARY_CASE_View(name)
#define RNNPOOLC_UNARY_CASE_Shape(name)
#define RNNPOOLC_UNARY_CASE_RNNPool(name)

struct NoAttrs {};

/// ONNX auto_pad. The importer copies it; ir::inferShapes turns it into explicit pads and
/// sets NotSet, so later stages only ever see explicit pads.
enum class AutoPad : uint8_t { NotSet, SameUpper, SameLower, Valid };

/// Conv over the trailing spatial dims of an N x C x D1 x ... input. All vectors have one
/// entry per spatial dim, except pads: [begin_1 .. begin_n, end_1 .. end_n] as in ONNX.
/// The importer may leave kernel (taken from W), strides, dilations and pads empty; shape
/// inference fills in the defaults.
struct ConvAttrs {
  Ints kernel, strides, dilations, pads;
  AutoPad autoPad = AutoPad::NotSet;
  int64_t group = 1;
  Activation act;
};

struct GemmAttrs {
  float alpha = 1, beta = 1;
  bool transA = false, transB = false;
  Activation act;
};

/// MaxPool / AveragePool; vectors laid out as in ConvAttrs.
struct PoolAttrs {
  Ints kernel, strides, dilations, pads;
  AutoPad autoPad = AutoPad::NotSet;
  bool ceilMode = false;
  bool countIncludePad = false; ///< AveragePool only.
};

struct AxisAttrs {
  int64_t axis = 0; ///< May be negative until shape inference normalises it.
};

struct AlphaBetaAttrs {
  float alpha = 0, beta = 0;
};

struct BatchNormAttrs {
  float epsilon = 1e-5f;
};

/// L2 normalisation along `axis` (the channels, 1, when fused from an S3FD-style chain):
/// y = x / (sqrt(sum x^2) + eps), or x / sqrt(sum x^2 + eps) when epsInsideSqrt, times the
/// optional scale input (one value, or one per position along the axis).
struct L2NormAttrs {
  float eps = 0;
  bool epsInsideSqrt = false;
  int64_t axis = 1; ///< May be negative until shape inference normalises it.
};

struct SoftmaxAttrs {
  int64_t axis = -1;
  /// Opset < 13 semantics: flatten to 2-D at axis, softmax over the trailing block.
  bool coerce2D = false;
};

struct ReduceAttrs {
  bool keepDims = true;
  /// With no axes: reduce nothing (true) or everything (false).
  bool noopWithEmptyAxes = false;
};

struct ReshapeAttrs {
  bool allowZero = false;
};

struct TransposeAttrs {
  Ints perm; ///< Empty means reverse the dims.
};

/// ShuffleNet's channel shuffle of [N, C, H, W] with `groups` dividing C: output channel
/// i * groups + j is input channel j * (C / groups) + i, at every pixel.
struct ChannelShuffleAttrs {
  int64_t groups = 1;
};

enum class PadMode : uint8_t { Constant, Edge, Reflect };
struct PadAttrs {
  PadMode mode = PadMode::Constant;
};
/// The input index that index `i` (any integer) of a padded axis of `n` > 0 elements reads:
/// `i` itself inside [0, n); outside, edge repeats the border and reflect mirrors without
/// repeating it (periodically, as numpy does for pads wider than the axis); constant reads
/// nothing (-1). The runtime's rp_pad_source is the same function.
int64_t padSource(PadMode mode, int64_t i, int64_t n);

/// Resize (and the old Upsample): how an output coordinate maps to the input along each
/// axis, and how the value there is read (compiler/ir/Resize.h computes the taps).
enum class ResizeMode : uint8_t { Nearest, Linear };
enum class ResizeCoord : uint8_t { HalfPixel, PytorchHalfPixel, AlignCorners, Asymmetric };
enum class ResizeNearest : uint8_t { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };
struct ResizeAttrs {
  ResizeMode mode = ResizeMode::Nearest;
  ResizeCoord coord = ResizeCoord::HalfPixel;
  ResizeNearest nearest = ResizeNearest::RoundPreferFloor;
};

struct ShapeAttrs {
  int64_t start = 0;
  std::optional<int64_t> end;
};

struct CastAttrs {
  DType to = DType::Float32;
};

struct ConstantOfShapeAttrs {
  DType dtype = DType::Float32;
  double value = 0;
};

/// Nonlinearities of a FastGRNN cell. QuantSigm is clip((x+1)/2, 0, 1), QuantTanh clip(x, -1, 1).
enum class RnnNonlinearity : uint8_t { Sigmoid, Tanh, QuantSigm, QuantTanh };
float applyRnnNonlinearity(RnnNonlinearity kind, float x);
std::string_view name(RnnNonlinearity kind);

/// One FastGRNN cell of an RNNPool: h' = z*h + (sigmoid(zeta)*(1-z) + sigmoid(nu))*c, with
/// z = gate(x W + h U + b_z) and c = update(x W + h U + b_h).
struct FastGrnnAttrs {
  int64_t hidden = 0;
  int64_t rankW = 0, rankU = 0; ///< 0: full rank; R > 0: the matrix comes as two factors.
  RnnNonlinearity gate = RnnNonlinearity::Sigmoid;
  RnnNonlinearity update = RnnNonlinearity::Tanh;
  bool operator==(const FastGrnnAttrs &) const = default;
};

/// RNNPoolLayer: RNNPool on every patch x patch window at stride; rnn1 sweeps rows and
/// columns of a patch, rnn2 sweeps the summaries forward and backward. Output channels are
/// [fwd over row summaries, bwd over rows, fwd over column summaries, bwd over columns].
struct RNNPoolAttrs {
  Ints patch;  ///< {rows, cols}
  Ints stride; ///< {rows, cols}
  FastGrnnAttrs rnn1, rnn2;
  /// How the source model expressed it ("node", "function" or "flat") and how many of its
  /// nodes this one replaces: reported by `inspect`.
  std::string encoding;
  int64_t replacedNodes = 1;
};

/// Where the parameters of one FastGRNN cell sit among an RNNPool node's inputs. A full-rank
/// matrix uses one input (w[0]); a low-rank one two (w[0] = W1, w[1] = W2), and likewise u.
struct FastGrnnOperands {
  size_t w[2] = {0, 0}, u[2] = {0, 0};
  size_t numW = 1, numU = 1;
  size_t bz = 0, bh = 0, zeta = 0, nu = 0;
  size_t end = 0; ///< One past the cell's last input.
};
/// The operands of the cell whose first input is at `first`.
FastGrnnOperands fastGrnnOperands(const FastGrnnAttrs &cell, size_t first);
/// The input count an RNNPool node with these attributes has (X, RNN1's and RNN2's inputs).
size_t rnnPoolInputCount(const RNNPoolAttrs &attrs);

using Attrs = std::variant<NoAttrs, ConvAttrs, GemmAttrs, PoolAttrs, AxisAttrs, AlphaBetaAttrs,
                           BatchNormAttrs, L2NormAttrs, SoftmaxAttrs, ReduceAttrs, ReshapeAttrs,
                           TransposeAttrs, ChannelShuffleAttrs, PadAttrs, ResizeAttrs,
                           ShapeAttrs, CastAttrs,
                           ConstantOfShapeAttrs, RNNPoolAttrs>;

/// Default-constructed attributes of the struct type an op uses.
Attrs defaultAttrs(OpKind op);

} // namespace rnnpoolc::ir
