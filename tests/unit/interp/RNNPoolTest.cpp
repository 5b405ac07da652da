// The RNNPool kernel on cases small enough to check by hand: sweep directions and output
// order, sigmoid(zeta)/sigmoid(nu), the quantised nonlinearities, low rank, and errors.
#include "tests/unit/interp/InterpTestUtil.h"

#include <cmath>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using Catch::Matchers::Contains;

namespace {

/// Scalar FastGRNN parameters (k = h = 1) of one cell.
struct Scalar {
  float w, u, bz, bh, zeta, nu;
};

ir::RNNPoolAttrs scalarAttrs(ir::Ints patch, ir::Ints stride, ir::RnnNonlinearity gate,
                             ir::RnnNonlinearity update) {
  ir::RNNPoolAttrs a;
  a.patch = std::move(patch);
  a.stride = std::move(stride);
  a.rnn1.hidden = a.rnn2.hidden = 1;
  a.rnn1.gate = a.rnn2.gate = gate;
  a.rnn1.update = a.rnn2.update = update;
  a.encoding = "node";
  return a;
}

/// Evaluates an RNNPool node with k = h1 = h2 = 1 on `x`.
Expected<std::vector<ir::TensorData>> evalScalar(const ir::RNNPoolAttrs &a,
                                                 const ir::TensorData &x, Scalar c1,
                                                 Scalar c2) {
  std::vector<ir::TensorData> values{x};
  for (Scalar c : {c1, c2})
    for (float v : {c.w, c.u, c.bz, c.bh, c.zeta, c.nu})
      values.push_back(floats({1, 1}, {v}));
  std::vector<const ir::TensorData *> args;
  for (const auto &v : values)
    args.push_back(&v);
  return interp::evaluate(makeNode(ir::OpKind::RNNPool, a), args);
}

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

} // namespace

TEST_CASE("RNNPool sweeps rows left to right, columns top to bottom, RNN2 both ways",
          "[interp][rnnpool]") {
  // z = quantSigm(pre - 10) = 0 and sigmoid(0) = 0.5, so h' = (0.5 + 0.5) * c =
  // quantTanh(x*w + h*u + b_h): RNN1 (w = u = 1) keeps a running sum, RNN2 (u = 0.5) a
  // decaying one. X = [[0.1, 0.2], [0.3, -0.4]]:
  //   row summaries 0.3, -0.1; column summaries 0.4, -0.2;
  //   RNN2 fwd rows -0.1 + 0.5*0.3 = 0.05, bwd rows 0.3 + 0.5*(-0.1) = 0.25,
  //   fwd cols -0.2 + 0.5*0.4 = 0, bwd cols 0.4 + 0.5*(-0.2) = 0.3.
  auto a = scalarAttrs({2, 2}, {2, 2}, ir::RnnNonlinearity::QuantSigm,
                       ir::RnnNonlinearity::QuantTanh);
  auto out = evalScalar(a, floats({1, 1, 2, 2}, {0.1f, 0.2f, 0.3f, -0.4f}),
                        {1, 1, -10, 0, 0, 0}, {1, 0.5f, -10, 0, 0, 0});
  INFO((out ? std::string() : out.error().message()));
  REQUIRE(out);
  const ir::TensorData &y = (*out)[0];
  REQUIRE(y.shape == ir::Shape{1, 4, 1, 1});
  CHECK(y.f[0] == Approx(0.05f).margin(1e-6));
  CHECK(y.f[1] == Approx(0.25f).margin(1e-6));
  CHECK(y.f[2] == Approx(0.0f).margin(1e-6));
  CHECK(y.f[3] == Approx(0.3f).margin(1e-6));
}

TEST_CASE("RNNPool clips with quantTanh and gates with quantSigm", "[interp][rnnpool]") {
  // One 1x1 patch: each sweep is one step from h = 0, so h' = (zeta'(1 - z) + nu') * c.
  // RNN1: pre = 3x, z = clip((3x + 1 + 1) / 2, 0, 1), c = clip(3x, -1, 1).
  auto a = scalarAttrs({1, 1}, {1, 1}, ir::RnnNonlinearity::QuantSigm,
                       ir::RnnNonlinearity::QuantTanh);
  Scalar c1{3, 0, 1, 0, 0.5f, -1}, c2{1, 0, 0, 0, 0, 0};
  auto out = evalScalar(a, floats({1, 1, 1, 3}, {-0.5f, 0.1f, 0.9f}), c1, c2);
  REQUIRE(out);
  const ir::TensorData &y = (*out)[0];
  REQUIRE(y.shape == ir::Shape{1, 4, 1, 3});
  auto quantSigm = [](float v) { return std::min(std::max((v + 1) / 2, 0.0f), 1.0f); };
  auto quantTanh = [](float v) { return std::min(std::max(v, -1.0f), 1.0f); };
  const float xs[3] = {-0.5f, 0.1f, 0.9f};
  for (int j = 0; j < 3; ++j) {
    float x = xs[j];
    float z1 = quantSigm(3 * x + 1), cc1 = quantTanh(3 * x);
    float h1 = (sigmoid(0.5f) * (1 - z1) + sigmoid(-1)) * cc1;
    float z2 = quantSigm(h1), cc2 = quantTanh(h1);
    float h2 = (0.5f * (1 - z2) + 0.5f) * cc2;
    for (int slot = 0; slot < 4; ++slot)
      CHECK(y.f[static_cast<size_t>(slot * 3 + j)] == Approx(h2).margin(1e-6));
  }
  // x = -0.5 and 0.9 saturate both quantised nonlinearities: z1 = 0 and 1, c1 = -1 and 1.
  CHECK(y.f[2] != y.f[1]);
}

TEST_CASE("RNNPool applies sigmoid to the raw zeta and nu", "[interp][rnnpool]") {
  auto a = scalarAttrs({1, 1}, {1, 1}, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh);
  Scalar c1{0.7f, 0.3f, 0.2f, -0.1f, 1.5f, -2.0f}, c2{-0.4f, 0.9f, 0.1f, 0.3f, 0.8f, -3.0f};
  auto out = evalScalar(a, floats({1, 1, 1, 1}, {0.6f}), c1, c2);
  REQUIRE(out);
  auto step = [](Scalar c, float x) {
    float pre = c.w * x;
    float z = sigmoid(pre + c.bz), u = std::tanh(pre + c.bh);
    return (sigmoid(c.zeta) * (1 - z) + sigmoid(c.nu)) * u;
  };
  float expected = step(c2, step(c1, 0.6f));
  for (size_t slot = 0; slot < 4; ++slot)
    CHECK((*out)[0].f[slot] == Approx(expected).margin(1e-6));
}

TEST_CASE("RNNPool with low-rank W and U equals the full-rank product", "[interp][rnnpool]") {
  ir::RNNPoolAttrs full;
  full.patch = {3, 2};
  full.stride = {1, 2};
  full.rnn1.hidden = 3;
  full.rnn2.hidden = 2;
  ir::RNNPoolAttrs low = full;
  low.rnn1.rankW = 1;
  low.rnn1.rankU = 2;
  // RNN1: k = 2, h1 = 3. W1 [2,1], W2 [1,3] -> W = W1 W2; U1 [3,2], U2 [2,3] -> U = U1 U2.
  auto w1 = floats({2, 1}, {0.5f, -1.0f});
  auto w2 = floats({1, 3}, {1.0f, 0.5f, -0.5f});
  auto w = floats({2, 3}, {0.5f, 0.25f, -0.25f, -1.0f, -0.5f, 0.5f});
  auto u1 = floats({3, 2}, {1, 0, 0, 1, 0.5f, 0.5f});
  auto u2 = floats({2, 3}, {0.2f, -0.1f, 0.3f, 0.4f, 0.0f, -0.2f});
  auto u = floats({3, 3}, {0.2f, -0.1f, 0.3f, 0.4f, 0.0f, -0.2f, 0.3f, -0.05f, 0.05f});
  auto bz1 = floats({1, 3}, {0.1f, -0.2f, 0.3f}), bh1 = floats({3}, {-0.3f, 0.2f, 0.1f});
  auto zeta = floats({1, 1}, {1.0f}), nu = floats({1, 1}, {-2.0f});
  auto wB = floats({3, 2}, {0.3f, -0.6f, 0.9f, 0.1f, -0.2f, 0.4f});
  auto uB = floats({2, 2}, {0.5f, -0.3f, 0.2f, 0.1f});
  auto bz2 = floats({2}, {0.05f, -0.05f}), bh2 = floats({1, 2}, {0.2f, -0.1f});
  auto x = iota({1, 2, 4, 4});
  for (float &v : x.f)
    v = std::sin(v);
  std::vector<const ir::TensorData *> rest{&bz1, &bh1, &zeta, &nu, &wB, &uB,
                                          &bz2, &bh2, &zeta, &nu};
  std::vector<const ir::TensorData *> fullArgs{&x, &w, &u}, lowArgs{&x, &w1, &w2, &u1, &u2};
  fullArgs.insert(fullArgs.end(), rest.begin(), rest.end());
  lowArgs.insert(lowArgs.end(), rest.begin(), rest.end());
  auto yFull = interp::evaluate(makeNode(ir::OpKind::RNNPool, full), fullArgs);
  auto yLow = interp::evaluate(makeNode(ir::OpKind::RNNPool, low), lowArgs);
  REQUIRE(yFull);
  REQUIRE(yLow);
  const ir::TensorData &a = (*yFull)[0], &b = (*yLow)[0];
  REQUIRE(a.shape == ir::Shape{1, 8, 2, 2});
  REQUIRE(b.shape == a.shape);
  for (size_t k = 0; k < a.f.size(); ++k)
    CHECK(a.f[k] == Approx(b.f[k]).margin(1e-6));
  // The four blocks differ: the sweeps really go in four different ways.
  CHECK(a.f[0] != a.f[4]);
  CHECK(a.f[0] != a.f[8]);
}

TEST_CASE("RNNPool kernel errors name the node", "[interp][rnnpool]") {
  auto a = scalarAttrs({3, 1}, {1, 1}, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh);
  Scalar c{1, 0, 0, 0, 0, 0};
  auto out = evalScalar(a, floats({1, 1, 2, 2}, {1, 2, 3, 4}), c, c);
  REQUIRE_FALSE(out);
  CHECK_THAT(out.error().message(), Contains("node 'n'"));
  CHECK_THAT(out.error().message(), Contains("does not fit the input"));
  auto wide = scalarAttrs({1, 1}, {1, 1}, ir::RnnNonlinearity::Sigmoid,
                          ir::RnnNonlinearity::Tanh);
  wide.rnn1.hidden = 2; // the scalar weights no longer fit
  auto bad = evalScalar(wide, floats({1, 1, 2, 2}, {1, 2, 3, 4}), c, c);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Contains("holds 1 values, expected 2"));
}
