// Operator kinds and their attribute structs. The op list lives in Ops.def.
#pragma once

#include "compiler/ir/DType.h"

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace rnnpoolc::ir {

enum class OpKind : uint16_t {
#define OP(Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) Name,
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

enum class PadMode : uint8_t { Constant, Edge, Reflect };
struct PadAttrs {
  PadMode mode = PadMode::Constant;
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

using Attrs = std::variant<NoAttrs, ConvAttrs, GemmAttrs, PoolAttrs, AxisAttrs, AlphaBetaAttrs,
                           BatchNormAttrs, SoftmaxAttrs, ReduceAttrs, ReshapeAttrs,
                           TransposeAttrs, PadAttrs, ShapeAttrs, CastAttrs,
                           ConstantOfShapeAttrs>;

/// Default-constructed attributes of the struct type an op uses.
Attrs defaultAttrs(OpKind op);

} // namespace rnnpoolc::ir
