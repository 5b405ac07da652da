// Operator names, arities and default attributes, generated from Ops.def.
#include "compiler/ir/Ops.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace rnnpoolc::ir {
namespace {

struct OpRow {
  std::string_view name;
  OpArity arity;
  Attrs (*makeAttrs)();
  OpProperties properties;
};

// The Props column of Ops.def.
enum PropBits : unsigned { kNone = 0, kSpatial = 1, kElementwise = 2, kInPlace = 4 };

constexpr OpProperties properties(OpFamily family, CostClass cost, unsigned bits) {
  return {family, cost, (bits & kSpatial) != 0, (bits & kElementwise) != 0,
          (bits & kInPlace) != 0};
}

constexpr OpRow kOps[] = {
#define OP(Name, AttrStruct, MinIn, MaxIn, MinOut, MaxOut, Family, Cost, Props)             \
  {#Name, {MinIn, MaxIn, MinOut, MaxOut}, [] { return Attrs(AttrStruct{}); },              \
   properties(OpFamily::Family, CostClass::Cost, Props)},
#include "compiler/ir/Ops.def"
#undef OP
};

} // namespace

std::string_view opName(OpKind op) { return kOps[static_cast<size_t>(op)].name; }

std::optional<OpKind> opFromName(std::string_view name) {
  for (size_t k = 0; k < std::size(kOps); ++k)
    if (kOps[k].name == name)
      return static_cast<OpKind>(k);
  return std::nullopt;
}

OpArity arityOf(OpKind op) { return kOps[static_cast<size_t>(op)].arity; }

Attrs defaultAttrs(OpKind op) { return kOps[static_cast<size_t>(op)].makeAttrs(); }

const OpProperties &propertiesOf(OpKind op) { return kOps[static_cast<size_t>(op)].properties; }

size_t numOps() { return std::size(kOps); }

std::string_view name(OpFamily family) {
  switch (family) {
  case OpFamily::Compute: return "compute";
  case OpFamily::Binary: return "binary";
  case OpFamily::Unary: return "unary";
  case OpFamily::Quant: return "quant";
  case OpFamily::Pool: return "pool";
  case OpFamily::Norm: return "norm";
  case OpFamily::Reduce: return "reduce";
  case OpFamily::Layout: return "layout";
  case OpFamily::View: return "view";
  case OpFamily::Shape: return "shape";
  case OpFamily::RNNPool: return "rnnpool";
  }
  return "?";
}

float applyActivation(const Activation &act, float x) {
  switch (act.kind) {
  case ActKind::None: return x;
  case ActKind::Relu: return x > 0 ? x : 0.0f;
  case ActKind::Clip: return std::min(std::max(x, act.alpha), act.beta);
  case ActKind::LeakyRelu: return x >= 0 ? x : act.alpha * x;
  case ActKind::Sigmoid: return 1.0f / (1.0f + std::exp(-x));
  case ActKind::HardSigmoid: return std::max(0.0f, std::min(1.0f, act.alpha * x + act.beta));
  case ActKind::HardSwish: return x * std::max(0.0f, std::min(1.0f, x * (1.0f / 6.0f) + 0.5f));
  case ActKind::Tanh: return std::tanh(x);
  }
  return x;
}

UnaryMathFn unaryMathOf(OpKind op) {
  switch (op) {
  case OpKind::Softplus: // log(1 + exp(x)), written so that exp cannot overflow
    return [](float v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); };
  case OpKind::Sqrt: return [](float v) { return std::sqrt(v); };
  case OpKind::Neg: return [](float v) { return -v; };
  case OpKind::Abs: return [](float v) { return std::fabs(v); };
  case OpKind::Exp: return [](float v) { return std::exp(v); };
  case OpKind::Log: return [](float v) { return std::log(v); };
  case OpKind::Reciprocal: return [](float v) { return 1.0f / v; };
  case OpKind::Floor: return [](float v) { return std::floor(v); };
  case OpKind::Ceil: return [](float v) { return std::ceil(v); };
  case OpKind::Erf: return [](float v) { return std::erf(v); };
  default: return nullptr; // not a math op (see the header)
  }
}

float applyRnnNonlinearity(RnnNonlinearity kind, float x) {
  switch (kind) {
  case RnnNonlinearity::Sigmoid: return 1.0f / (1.0f + std::exp(-x));
  case RnnNonlinearity::Tanh: return std::tanh(x);
  case RnnNonlinearity::QuantSigm: return std::min(std::max((x + 1.0f) * 0.5f, 0.0f), 1.0f);
  case RnnNonlinearity::QuantTanh: return std::min(std::max(x, -1.0f), 1.0f);
  }
  return x;
}

std::string_view name(RnnNonlinearity kind) {
  switch (kind) {
  case RnnNonlinearity::Sigmoid: return "sigmoid";
  case RnnNonlinearity::Tanh: return "tanh";
  case RnnNonlinearity::QuantSigm: return "quantSigm";
  case RnnNonlinearity::QuantTanh: return "quantTanh";
  }
  return "?";
}

FastGrnnOperands fastGrnnOperands(const FastGrnnAttrs &cell, size_t first) {
  FastGrnnOperands ops;
  size_t k = first;
  ops.numW = cell.rankW > 0 ? 2 : 1;
  for (size_t j = 0; j < ops.numW; ++j)
    ops.w[j] = k++;
  ops.numU = cell.rankU > 0 ? 2 : 1;
  for (size_t j = 0; j < ops.numU; ++j)
    ops.u[j] = k++;
  ops.bz = k++;
  ops.bh = k++;
  ops.zeta = k++;
  ops.nu = k++;
  ops.end = k;
  return ops;
}

size_t rnnPoolInputCount(const RNNPoolAttrs &attrs) {
  return fastGrnnOperands(attrs.rnn2, fastGrnnOperands(attrs.rnn1, 1).end).end;
}

int64_t padSource(PadMode mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n)
    return i;
  switch (mode) {
  case PadMode::Constant:
    return -1;
  case PadMode::Edge:
    return i < 0 ? 0 : n - 1;
  case PadMode::Reflect: {
    if (n == 1)
      return 0;
    const int64_t period = 2 * (n - 1);
    const int64_t m = (i % period + period) % period;
    return m < n ? m : period - m;
  }
  }
  return -1;
}

} // namespace rnnpoolc::ir
