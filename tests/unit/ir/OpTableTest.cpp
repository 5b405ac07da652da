// The property columns of compiler/ir/Ops.def: their invariants (what the code deriving
// from them relies on), and the sets they gave when they replaced hand-written switches
// (ir::isSpatial, plan/Builder's in-place ops, FoldConstants' broadcasting ops, ir::macs).
#include "compiler/ir/OpInfo.h"
#include "compiler/ir/Ops.h"

#include <catch2/catch.hpp>

#include <set>

using namespace rnnpoolc::ir;

namespace {

using K = OpKind;

/// The ops of Ops.def when the table replaced the switches; ops added later are free to
/// take any properties (the invariants above still hold for them).
const std::set<OpKind> kTableOps = {
    K::Conv, K::Gemm, K::MatMul, K::Add, K::Sub, K::Mul, K::Div, K::Pow, K::Max, K::Min,
    K::Sum, K::Equal, K::Less, K::Greater, K::And, K::Or, K::Where, K::Identity, K::Relu,
    K::LeakyRelu, K::Sigmoid, K::HardSigmoid, K::HardSwish, K::Tanh, K::Clip, K::Sqrt,
    K::Neg, K::Abs, K::Exp, K::Log, K::Reciprocal, K::Floor, K::Ceil, K::Not, K::Cast,
    K::QuantizeLinear, K::DequantizeLinear, K::MaxPool, K::AveragePool,
    K::GlobalAveragePool, K::GlobalMaxPool, K::BatchNormalization, K::Softmax, K::L2Norm,
    K::ReduceSum, K::ReduceMean, K::ReduceMax, K::ReduceMin, K::Concat, K::Split, K::Slice,
    K::Gather, K::ScatterND, K::Reshape, K::Flatten, K::Squeeze, K::Unsqueeze, K::Transpose,
    K::Pad, K::Expand, K::Tile, K::Shape, K::Range, K::ConstantOfShape, K::RNNPool};

/// Of kTableOps, exactly `with` satisfy `pred`.
void checkExactly(bool (*pred)(const OpProperties &), const std::set<OpKind> &with) {
  for (OpKind op : kTableOps) {
    INFO(opName(op));
    CHECK(pred(propertiesOf(op)) == (with.count(op) > 0));
  }
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
             op == OpKind::RNNPool || op == OpKind::ChannelShuffle));
    // The window cost reads PoolAttrs::kernel.
    if (p.cost == CostClass::Window)
      CHECK(std::holds_alternative<PoolAttrs>(defaultAttrs(op)));
    CHECK(name(p.family) != "?");
  }
}

TEST_CASE("op properties give the sets the replaced switches listed", "[ir][ops]") {
  REQUIRE(kTableOps.size() == 65);
  checkExactly([](const OpProperties &p) { return p.spatial; },
               {K::Conv, K::MaxPool, K::AveragePool, K::Add, K::Sub, K::Mul, K::Div, K::Pow,
                K::Max, K::Min, K::Sum, K::Equal, K::Less, K::Greater, K::And, K::Or, K::Where,
                K::Identity, K::Relu, K::LeakyRelu, K::Sigmoid, K::HardSigmoid, K::HardSwish,
                K::Tanh, K::Clip, K::Sqrt, K::Neg, K::Abs, K::Exp, K::Log, K::Reciprocal,
                K::Floor, K::Ceil, K::Not, K::Cast, K::QuantizeLinear, K::DequantizeLinear,
                K::BatchNormalization, K::L2Norm, K::Pad, K::RNNPool});
  checkExactly([](const OpProperties &p) { return p.inPlace; },
               {K::Add, K::Sub, K::Mul, K::Div, K::Max, K::Min, K::Relu, K::LeakyRelu,
                K::Sigmoid, K::HardSigmoid, K::HardSwish, K::Tanh, K::Clip, K::Identity,
                K::Reshape, K::Flatten, K::Squeeze, K::Unsqueeze});
  // FoldConstants shrinks the constants of the binary ops that may run in place.
  checkExactly(
      [](const OpProperties &p) { return p.family == OpFamily::Binary && p.inPlace; },
      {K::Add, K::Sub, K::Mul, K::Div, K::Max, K::Min});
  checkExactly([](const OpProperties &p) { return p.cost == CostClass::PerInput; },
               {K::GlobalAveragePool, K::GlobalMaxPool, K::Softmax, K::ReduceSum,
                K::ReduceMean, K::ReduceMax, K::ReduceMin});
  checkExactly([](const OpProperties &p) { return p.cost == CostClass::Zero; },
               {K::Identity, K::Concat, K::Split, K::Slice, K::Gather, K::ScatterND,
                K::Reshape, K::Flatten, K::Squeeze, K::Unsqueeze, K::Transpose, K::Pad,
                K::Expand, K::Tile, K::Shape, K::ConstantOfShape});
}
