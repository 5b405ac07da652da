// fold-dequantized-constants: a DequantizeLinear of int8 weights becomes a float constant
// that keeps its integers and parameters, outputs unchanged, readers refolded.
#include "compiler/passes/Passes.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::OpKind;

TEST_CASE("fold-dequantized-constants keeps the integers and refolds readers", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 2, 5, 5});
  std::vector<int64_t> w(3 * 2 * 3 * 3);
  for (size_t k = 0; k < w.size(); ++k)
    w[k] = static_cast<int64_t>(k * 37 % 255) - 127;
  ir::TensorId wq =
      b.g.addConstant("w_q", ir::TensorData::fromInts(ir::DType::Int8, {3, 3, 2, 3}, w));
  ir::TensorId ws =
      b.g.addConstant("w_s", ir::TensorData::fromFloats({3}, {0.01f, 0.02f, 0.03f}));
  ir::TensorId wz =
      b.g.addConstant("w_z", ir::TensorData::fromInts(ir::DType::Int8, {3}, {0, 1, -1}));
  ir::TensorId wdq = b.node(OpKind::DequantizeLinear, "w_dq", {wq, ws, wz}, ir::AxisAttrs{0});
  // The weights come HWIO-like and are transposed to OIHW: the Transpose must fold too.
  ir::TensorId oihw = b.node(OpKind::Transpose, "t", {wdq}, ir::TransposeAttrs{{0, 2, 1, 3}});
  b.g.outputs = {b.node(OpKind::Conv, "conv", {x, oihw}, conv3x3())};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  ir::TensorData in = b.randomInput(0);
  auto before = runGraph(b.g, {in});
  REQUIRE(passes::foldDequantizedConstants(b.g));
  REQUIRE(b.g.nodes.size() == 1); // only the Conv is left
  const ir::Tensor &folded = b.g.tensor(wdq);
  REQUIRE(folded.isConstant());
  REQUIRE(folded.integers);
  CHECK(folded.integers->i == w);
  REQUIRE(folded.quant);
  CHECK(folded.quant->axis == 0);
  CHECK(folded.quant->zeroPoint == std::vector<int64_t>{0, 1, -1});
  CHECK(folded.data->f[0] == Approx(0.01f * float(w[0])));
  CHECK(b.g.tensor(b.g.nodes[0].inputs[1]).isConstant());
  auto after = runGraph(b.g, {in});
  CHECK(maxAbsDiff(before[0], after[0]) == 0);
}
