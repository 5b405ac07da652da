// Pre-quantised (QDQ) graphs: folding DequantizeLinear of constants and Q/DQ pairs, the
// quantiser keeping the model's activation parameters, weights and biases, requantisation,
// and the errors for QDQ forms without an int8 kernel.
#include "tests/unit/quant/QuantTestUtil.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using Catch::Matchers::Contains;

namespace {

ir::TensorId scalar(Builder &b, const std::string &name, float v) {
  return b.g.addConstant(name, ir::TensorData::fromFloats({}, {v}));
}
ir::TensorId intConst(Builder &b, const std::string &name, ir::DType type, ir::Shape shape,
                      std::vector<int64_t> v) {
  return b.g.addConstant(name, ir::TensorData::fromInts(type, std::move(shape), std::move(v)));
}

/// x -> Q/DQ (uint8) -> Conv(DQ(int8 w, per channel), DQ(int32 b)) + ReLU -> Q/DQ (uint8).
struct QdqConv {
  Builder b;
  std::vector<int64_t> w, bias;
  std::vector<float> wScale{0.02f, 0.03f};
  float xScale = 0.01f, yScale = 0.05f;
  int64_t xZp = 120, yZp = 0;

  QdqConv() {
    ir::TensorId x = b.input("x", {1, 2, 4, 4});
    auto qdq = [&](ir::TensorId t, const std::string &name, float s, int64_t zp) {
      ir::TensorId sc = scalar(b, name + "_s", s);
      ir::TensorId z = intConst(b, name + "_z", ir::DType::UInt8, {}, {zp});
      ir::TensorId q =
          b.node(ir::OpKind::QuantizeLinear, name + "_q", {t, sc, z}, ir::AxisAttrs{1});
      return b.node(ir::OpKind::DequantizeLinear, name + "_dq", {q, sc, z}, ir::AxisAttrs{1});
    };
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> wd(-127, 127), bd(-500, 500);
    for (int k = 0; k < 2 * 2 * 3 * 3; ++k)
      w.push_back(wd(rng));
    bias = {bd(rng), bd(rng)};
    ir::TensorId wq = intConst(b, "w_q", ir::DType::Int8, {2, 2, 3, 3}, w);
    ir::TensorId ws = b.g.addConstant("w_s", ir::TensorData::fromFloats({2}, wScale));
    ir::TensorId wz = intConst(b, "w_z", ir::DType::Int8, {2}, {0, 0});
    ir::TensorId bq = intConst(b, "b_q", ir::DType::Int32, {2}, bias);
    ir::TensorId bs = b.g.addConstant(
        "b_s", ir::TensorData::fromFloats({2}, {xScale * wScale[0], xScale * wScale[1]}));
    ir::TensorId bz = intConst(b, "b_z", ir::DType::Int32, {2}, {0, 0});
    ir::TensorId wdq =
        b.node(ir::OpKind::DequantizeLinear, "w_dq", {wq, ws, wz}, ir::AxisAttrs{0});
    ir::TensorId bdq =
        b.node(ir::OpKind::DequantizeLinear, "b_dq", {bq, bs, bz}, ir::AxisAttrs{0});
    ir::TensorId c =
        b.node(ir::OpKind::Conv, "conv", {qdq(x, "x", xScale, xZp), wdq, bdq}, conv3x3());
    ir::TensorId r = b.node(ir::OpKind::Relu, "relu", {c});
    b.g.outputs = {qdq(r, "y", yScale, yZp)};
    REQUIRE(passes::canonicalize(b.g));
  }
};

} // namespace

TEST_CASE("QDQ conv keeps the model's parameters, weights and bias", "[quant][qdq]") {
  QdqConv m;
  CHECK(countOps(m.b.g, ir::OpKind::DequantizeLinear) == 2); // weights and bias folded
  auto needed = quant::needsCalibration(m.b.g);
  REQUIRE(needed);
  CHECK_FALSE(*needed);
  auto q = quant::quantize(m.b.g, {});
  INFO((q ? std::string() : q.error().message()));
  REQUIRE(q);
  REQUIRE(q->graph.nodes.size() == 1); // one Conv kernel, every Q/DQ gone
  const ir::Graph &g = q->graph;
  CHECK(g.tensor(g.inputs[0]).quant->scale[0] == m.xScale);
  CHECK(g.tensor(g.inputs[0]).quant->zeroPoint[0] == m.xZp - 128);
  CHECK(g.tensor(g.outputs[0]).quant->scale[0] == m.yScale);
  CHECK(g.tensor(g.outputs[0]).quant->zeroPoint[0] == m.yZp - 128);
  const auto &p = std::get<rp_conv_params>(q->layers[0].params);
  for (int o = 0; o < 2; ++o) {
    CHECK(p.bias[o] == m.bias[static_cast<size_t>(o)]);
    for (int i = 0; i < 2; ++i)
      for (int t = 0; t < 9; ++t) // OIHW in the model, OHWI in the kernel
        CHECK(p.weights[(o * 9 + t) * 2 + i] == m.w[static_cast<size_t>((o * 2 + i) * 9 + t)]);
    double ratio = std::ldexp(double(p.mult[o]), p.shift[o] - 31);
    CHECK(ratio ==
          Approx(m.xScale * m.wScale[static_cast<size_t>(o)] / m.yScale).epsilon(1e-8));
  }
  CHECK(p.act_min == m.yZp - 128); // ReLU: the clamp at real zero
}

TEST_CASE("QDQ: the fixed-point conv equals the float interpreter of the QDQ graph",
          "[quant][qdq]") {
  QdqConv m;
  auto q = quant::quantize(m.b.g, {});
  REQUIRE(q);
  for (int trial = 0; trial < 5; ++trial) {
    ir::TensorData x = m.b.randomInput(0);
    auto ref = runGraph(m.b.g, {x});
    auto fixed = interp::runFixedPoint(*q, {x});
    REQUIRE(fixed);
    CHECK(maxAbsDiff(ref[0], fixed->dequantized[0]) <= m.yScale * 1.001f);
  }
}

TEST_CASE("QDQ: a DequantizeLinear -> QuantizeLinear with new parameters requantises",
          "[quant][qdq]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 4});
  auto qdq = [&](ir::TensorId t, const std::string &name, float s, int64_t zp) {
    ir::TensorId sc = scalar(b, name + "_s", s);
    ir::TensorId z = intConst(b, name + "_z", ir::DType::Int8, {}, {zp});
    ir::TensorId q =
        b.node(ir::OpKind::QuantizeLinear, name + "_q", {t, sc, z}, ir::AxisAttrs{1});
    return b.node(ir::OpKind::DequantizeLinear, name + "_dq", {q, sc, z}, ir::AxisAttrs{1});
  };
  b.g.outputs = {qdq(qdq(x, "a", 0.02f, 5), "b", 0.037f, -9)};
  REQUIRE(passes::canonicalize(b.g));
  auto q = quant::quantize(b.g, {});
  REQUIRE(q);
  REQUIRE(q->layers.size() == 1);
  CHECK(q->layers[0].kind == quant::KernelKind::Requant);
  const auto &p = std::get<rp_requant_params>(q->layers[0].params);
  CHECK(p.in_zp == 5);
  CHECK(p.out_zp == -9);
  ir::TensorData in = ir::TensorData::fromFloats({1, 4}, {-1.3f, 0.21f, 0.77f, 2.5f});
  auto ref = runGraph(b.g, {in});
  auto fixed = interp::runFixedPoint(*q, {in});
  REQUIRE(fixed);
  CHECK(maxAbsDiff(ref[0], fixed->dequantized[0]) <= 0.037f * 1.001f);
}

TEST_CASE("QDQ forms without an int8 kernel are errors naming the node", "[quant][qdq]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 3});
  ir::TensorId sc = b.g.addConstant("s", ir::TensorData::fromFloats({3}, {0.1f, 0.2f, 0.3f}));
  ir::TensorId z = intConst(b, "z", ir::DType::Int8, {3}, {0, 0, 0});
  ir::TensorId q = b.node(ir::OpKind::QuantizeLinear, "perAxis", {x, sc, z}, ir::AxisAttrs{1});
  b.g.outputs = {b.node(ir::OpKind::DequantizeLinear, "dq", {q, sc, z}, ir::AxisAttrs{1})};
  REQUIRE(passes::canonicalize(b.g));
  auto result = quant::quantize(b.g, {});
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message(), Contains("node 'perAxis' (QuantizeLinear)"));
  CHECK_THAT(result.error().message(), Contains("per tensor"));
}
