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
};

constexpr OpRow kOps[] = {
#define OP(Name, AttrStruct, MinIn, MaxIn, MinOut, MaxOut)                                  \
  {#Name, {MinIn, MaxIn, MinOut, MaxOut}, [] { return Attrs(AttrStruct{}); }},
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

} // namespace rnnpoolc::ir
