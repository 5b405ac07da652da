// The property columns of compiler/ir/Ops.def: their invariants (what the code deriving
// from them relies on), and the sets they gave when they replaced hand-written switches
// (ir::isSpatial, plan/Builder's in-place ops, FoldConstants' broadcasting ops, ir::macs).
#include "compiler/ir/OpInfo.h"
#include "compiler/ir/Ops.h"

#include <catch2/catch.hpp>

#include <set>

using namespace rnnpoolc::ir;

namespace {

std::set<OpKind> opsWhere(bool (*pred)(const OpProperties &)) {
  std::set<OpKind> out;
  for (size_t k = 0; k < numOps(); ++k)
    if (pred(propertiesOf(static_cast<OpKind>(k))))
      out.insert(static_cast<OpKind>(k));
  return out;
}

} // namespace

TEST_CASE("op properties are consistent", "[ir][ops]") {
  for (size_t k = 0; k < numOps(); ++k) {
    const auto op = static_cast<OpKind>(k);
    const OpProperties &p = propertiesOf(op);
    INFO(opName(op));
    // An elementwise op reads a local region: row bands and tiles may compute it.
    if (p.elementwise)
      CHECK(p.spatial);
    // The elementwise sections of Ops.def hold the elementwise ops, and only those.
    const bool elementwiseFamily = p.family == OpFamily::Binary ||
                                   p.family == OpFamily::Unary || p.family == OpFamily::Quant;
    CHECK(p.elementwise == elementwiseFamily);
    // In place: an elementwise op writing over its input, or a view of the same bytes.
    if (p.inPlace)
      CHECK((p.elementwise || p.family == OpFamily::View));
    if (p.family == OpFamily::View)
      CHECK((p.inPlace && p.cost == CostClass::Zero));
    // ir::inputRegion has a rule for each spatial op that is not elementwise.
    if (p.spatial && !p.elementwise)
      CHECK((op == OpKind::Conv || op == OpKind::MaxPool || op == OpKind::AveragePool ||
             op == OpKind::BatchNormalization || op == OpKind::L2Norm || op == OpKind::Pad ||
             op == OpKind::RNNPool));
    // The window cost reads PoolAttrs::kernel.
    if (p.cost == CostClass::Window)
      CHECK(std::holds_alternative<PoolAttrs>(defaultAttrs(op)));
    CHECK(name(p.family) != "?");
  }
}

TEST_CASE("op properties give the sets the replaced switches listed", "[ir][ops]") {
  using K = OpKind;
  CHECK(opsWhere([](const OpProperties &p) { return p.spatial; }) ==
        std::set<OpKind>{K::Conv,     K::MaxPool,      K::AveragePool,
                         K::Add,      K::Sub,          K::Mul,
                         K::Div,      K::Pow,          K::Max,
                         K::Min,      K::Sum,          K::Equal,
                         K::Less,     K::Greater,      K::And,
                         K::Or,       K::Where,        K::Identity,
                         K::Relu,     K::LeakyRelu,    K::Sigmoid,
                         K::HardSigmoid, K::HardSwish, K::Tanh,
                         K::Clip,     K::Sqrt,         K::Neg,
                         K::Abs,      K::Exp,          K::Log,
                         K::Reciprocal, K::Floor,      K::Ceil,
                         K::Not,      K::Cast,         K::QuantizeLinear,
                         K::DequantizeLinear, K::BatchNormalization, K::L2Norm,
                         K::Pad,      K::RNNPool});
  CHECK(opsWhere([](const OpProperties &p) { return p.inPlace; }) ==
        std::set<OpKind>{K::Add, K::Sub, K::Mul, K::Div, K::Max, K::Min, K::Relu,
                         K::LeakyRelu, K::Sigmoid, K::HardSigmoid, K::HardSwish, K::Tanh,
                         K::Clip, K::Identity, K::Reshape, K::Flatten, K::Squeeze,
                         K::Unsqueeze});
  // FoldConstants shrinks the constants of the binary ops that may run in place.
  CHECK(opsWhere([](const OpProperties &p) {
          return p.family == OpFamily::Binary && p.inPlace;
        }) == std::set<OpKind>{K::Add, K::Sub, K::Mul, K::Div, K::Max, K::Min});
  CHECK(opsWhere([](const OpProperties &p) { return p.cost == CostClass::PerInput; }) ==
        std::set<OpKind>{K::GlobalAveragePool, K::GlobalMaxPool, K::Softmax, K::ReduceSum,
                         K::ReduceMean, K::ReduceMax, K::ReduceMin});
  CHECK(opsWhere([](const OpProperties &p) { return p.cost == CostClass::Zero; }) ==
        std::set<OpKind>{K::Identity, K::Concat, K::Split, K::Slice, K::Gather, K::ScatterND,
                         K::Reshape, K::Flatten, K::Squeeze, K::Unsqueeze, K::Transpose,
                         K::Pad, K::Expand, K::Tile, K::Shape, K::ConstantOfShape});
}
