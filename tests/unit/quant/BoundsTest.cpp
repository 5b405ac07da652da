// The accumulator bounds the quantiser proves (QuantBounds.cpp): conv / fully connected
// channels whose bias or length would overflow int32 take coarser weights (and then run on
// extreme inputs with every accumulator inside int32, against a 64-bit reference, and agree
// with the float model); what no safe form fits is one error naming the node and the bound;
// checkBounds itself on hand-made layers at and past the bound.
#include "compiler/quant/QuantInternal.h"
#include "tests/unit/quant/QuantTestUtil.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using Catch::Matchers::Contains;

namespace {

ir::TensorId constantOf(Builder &b, const std::string &name, ir::Shape shape,
                        std::vector<float> values) {
  return b.g.addConstant(name, ir::TensorData::fromFloats(std::move(shape), std::move(values)));
}

/// Runs rp_fc_s8 on all -128, all 127 and alternating inputs and compares each output with a
/// 64-bit accumulation; every accumulator must lie within int32.
void checkExtremeFc(const rp_fc_params &p) {
  for (int pattern = 0; pattern < 3; ++pattern) {
    std::vector<int8_t> x(size_t(p.rows) * size_t(p.in_features)),
        y(size_t(p.rows * p.out_features));
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = pattern == 0 ? -128 : (pattern == 1 ? 127 : ((i & 1) ? 127 : -128));
    rp_fc_s8(&p, x.data(), y.data());
    for (int32_t o = 0; o < p.out_features; ++o) {
      int64_t acc = p.bias[o];
      for (int32_t k = 0; k < p.in_features; ++k)
        acc += int64_t(x[size_t(k)] - p.in_zp) * p.weights[int64_t(o) * p.in_features + k];
      INFO("pattern " << pattern << " output " << o << " accumulator " << acc);
      REQUIRE(std::llabs(acc) <= INT32_MAX);
      int32_t q = rp_requantize(int32_t(acc), p.mult[o], p.shift[o]) + p.out_zp;
      CHECK(y[size_t(o)] == std::clamp(q, p.act_min, p.act_max));
    }
  }
}

/// The largest |bias| + max|x - zp| * sum |w| over the channels of a fully connected layer.
double worstBound(const rp_fc_params &p) {
  double worst = 0;
  for (int32_t o = 0; o < p.out_features; ++o) {
    double sum = 0;
    for (int32_t k = 0; k < p.in_features; ++k)
      sum += std::abs(int32_t{p.weights[int64_t(o) * p.in_features + k]});
    worst = std::max(worst, std::fabs(double(p.bias[o])) +
                                double(quant::inputMagnitude(p.in_zp)) * sum);
  }
  return worst;
}

} // namespace

TEST_CASE("a bias too large for the weight scale coarsens the channel instead of the bias",
          "[quant][bounds]") {
  // Output 0 is a dead channel (weights ~1e-7) with a real bias: at the weights' own scale
  // its bias is ~6e10 integer steps, which used to be clamped to 2^30 (a wrong output).
  // Output 1 is ordinary.
  Builder b;
  const int64_t k = 64, n = 2;
  std::vector<float> w(size_t(k * n));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t o = 0; o < n; ++o)
      w[size_t(i * n + o)] =
          o == 0 ? 1e-7f * float((i % 5) - 2) : float((i * 7 + o) % 11) / 5 - 1;
  ir::TensorId x = b.input("x", {1, k});
  ir::TensorId y =
      b.node(ir::OpKind::Gemm, "fc",
             {x, constantOf(b, "w", {k, n}, w), constantOf(b, "b", {n}, {0.8f, 0.1f})});
  std::vector<std::vector<ir::TensorData>> calib;
  auto model = quantizeBuilt(b, y, calib);
  const auto &p = std::get<rp_fc_params>(model.layers[0].params);
  CHECK(worstBound(p) <= INT32_MAX);
  CHECK(std::abs(p.bias[0]) > (1 << 30)); // kept, not clamped
  CHECK(quant::checkBounds(model.graph.nodes[0], model.layers[0]));
  // The clamped bias was off by ~0.79 (several output steps); now as any FC layer.
  CHECK(worstErrorInSteps(b.g, model, calib) <= 1.5);
  checkExtremeFc(p);
}

TEST_CASE("a fully connected layer too long for 7-bit weights gets 6-bit weights",
          "[quant][bounds]") {
  // 140,000 inputs at weights +-127: 127 * 128 * 140,000 > 2^31 - 1.
  Builder b;
  const int64_t k = 140000;
  std::vector<float> w(size_t(k * 2));
  for (int64_t i = 0; i < k; ++i)
    w[size_t(2 * i)] = 1.0f, w[size_t(2 * i + 1)] = (i & 1) ? 1.0f : -1.0f;
  ir::TensorId y =
      b.node(ir::OpKind::Gemm, "long", {b.input("x", {1, k}), constantOf(b, "w", {k, 2}, w)});
  std::vector<std::vector<ir::TensorData>> calib;
  auto model = quantizeBuilt(b, y, calib, 3);
  const auto &p = std::get<rp_fc_params>(model.layers[0].params);
  CHECK(worstBound(p) <= INT32_MAX);
  CHECK(*std::max_element(p.weights, p.weights + 2 * k) == 64);
  CHECK(worstErrorInSteps(b.g, model, calib) <= 2.0); // 64 / 63.5: 0.8 % of the output
  checkExtremeFc(p);
}

TEST_CASE("an accumulator no safe form fits is one error naming the node and the bound",
          "[quant][bounds]") {
  // A bias 2^12 times what the weights' scale can hold next to them, with an output range
  // in which the weights matter: no weights of 4 bits or more fit.
  Builder b;
  const int64_t k = 64;
  ir::TensorId x = b.input("x", {1, k});
  ir::TensorId y = b.node(ir::OpKind::Gemm, "huge_bias",
                          {x, constantOf(b, "w", {k, 1}, std::vector<float>(size_t(k), 1.0f)),
                           constantOf(b, "b", {1}, {1e9f})});
  b.g.outputs = {y};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  quant::Ranges ranges{{"x", {-2, 2}}, {b.g.tensor(y).name, {-100, 100}}};
  auto model = quant::quantize(b.g, ranges);
  REQUIRE_FALSE(model);
  CHECK_THAT(model.error().message(), Contains("node 'huge_bias' (Gemm)"));
  CHECK_THAT(model.error().message(), Contains("int32 accumulator"));
  CHECK_THAT(model.error().message(), Contains("above 2^31 - 1"));
}

TEST_CASE("RNNPool weights too large for the Q12 accumulator are an error", "[quant][bounds]") {
  Builder b;
  std::vector<ir::TensorId> in{b.input("x", {1, 4, 8, 8})};
  auto cell = [&](const std::string &p, int64_t k, int64_t h, float wScale) {
    in.push_back(b.constant(p + "W", {k, h}, -wScale, wScale));
    in.push_back(b.constant(p + "U", {h, h}, -0.5f, 0.5f));
    in.push_back(b.constant(p + "bz", {1, h}, -0.5f, 0.5f));
    in.push_back(b.constant(p + "bh", {1, h}, -0.5f, 0.5f));
    in.push_back(b.constant(p + "zeta", {1, 1}, 1, 1));
    in.push_back(b.constant(p + "nu", {1, 1}, -4, -4));
  };
  cell("rnn1_", 4, 8, 1e6f); // pre-activations up to ~8e6, beyond 2^31 * 2^-12
  cell("rnn2_", 8, 8, 0.5f);
  ir::RNNPoolAttrs a;
  a.patch = {4, 4};
  a.stride = {4, 4};
  a.rnn1 = {8, 0, 0, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh};
  a.rnn2 = {8, 0, 0, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh};
  a.encoding = "node";
  ir::TensorId y = b.node(ir::OpKind::RNNPool, "pool", in, a);
  b.g.outputs = {y};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  quant::Ranges ranges{{"x", {-1, 1}}, {b.g.tensor(y).name, {-1, 1}}};
  auto model = quant::quantize(b.g, ranges);
  REQUIRE_FALSE(model);
  CHECK_THAT(model.error().message(), Contains("node 'pool' (RNNPool)"));
  CHECK_THAT(model.error().message(), Contains("RNN1 hidden unit"));
  CHECK_THAT(model.error().message(), Contains("pre-activation accumulator"));
}

TEST_CASE("checkBounds accepts a layer at the bound and rejects one past it",
          "[quant][bounds]") {
  ir::Node node;
  node.name = "edge";
  node.op = ir::OpKind::Gemm;
  std::vector<int8_t> w{-128, 127, -128};
  std::vector<int32_t> bias{INT32_MAX - 255 * 383}, mult{1 << 30}, shift{-5};
  quant::Layer layer;
  layer.kind = quant::KernelKind::FullyConnected;
  layer.params = rp_fc_params{1,   3,        1,           127,         0,           -128,
                              127, w.data(), bias.data(), mult.data(), shift.data()};
  CHECK(quant::checkBounds(node, layer)); // 255 * 383 + |bias| == 2^31 - 1
  bias[0] += 1;
  auto past = quant::checkBounds(node, layer);
  REQUIRE_FALSE(past);
  CHECK_THAT(past.error().message(), Contains("output channel 0 can reach 2.147e+09"));
  bias[0] -= 1;
  shift[0] = 31; // 31 - shift = 0: no right shift at all
  CHECK_FALSE(quant::checkBounds(node, layer));
  shift[0] = -5;
  layer.kind = quant::KernelKind::AvgPool;
  layer.params = rp_pool_params{4096, 4096, 1, 1, 1, 4096, 4096, 1, 1, 0, 0, 0, 0, 0, -128};
  CHECK_FALSE(quant::checkBounds(node, layer)); // 2^24 values of up to 255
}
