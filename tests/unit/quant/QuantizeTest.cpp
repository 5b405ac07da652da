// Quantisation arithmetic (parameters, multipliers), calibration options, the graph
// rewrites quantize() makes, and its errors.
#include "compiler/calib/Calibrate.h"
#include "tests/unit/quant/QuantTestUtil.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using Catch::Matchers::Contains;

TEST_CASE("chooseParams covers the range, always including an exact zero", "[quant]") {
  for (auto [lo, hi] : {std::pair{-1.0f, 3.0f}, {0.5f, 2.0f}, {-6.0f, -1.0f}, {0.0f, 6.0f}}) {
    quant::AffineParams p = quant::chooseParams({lo, hi});
    INFO(lo << " .. " << hi << ": scale " << p.scale << " zp " << p.zeroPoint);
    float qlo = p.scale * float(-128 - p.zeroPoint), qhi = p.scale * float(127 - p.zeroPoint);
    CHECK(qlo <= std::min(lo, 0.0f) + p.scale / 2);
    CHECK(qhi >= std::max(hi, 0.0f) - p.scale / 2);
    CHECK(p.zeroPoint >= -128);
    CHECK(p.zeroPoint <= 127);
    CHECK(p.scale == Approx((std::max(hi, 0.0f) - std::min(lo, 0.0f)) / 255));
  }
  CHECK(quant::chooseParams({0, 6}).zeroPoint == -128); // ReLU6: the whole range is >= 0
  CHECK(quant::chooseParams({0, 0}).scale > 0);         // a constant zero still works
}

TEST_CASE("quantizeMultiplier is accurate to 2^-31 relative and normalised", "[quant]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> exponent(-20, 20);
  for (int k = 0; k < 2000; ++k) {
    double real = std::exp2(exponent(rng));
    quant::Multiplier m = quant::quantizeMultiplier(real);
    REQUIRE(m.mult >= (1 << 30));
    double back = std::ldexp(double(m.mult), m.shift - 31);
    REQUIRE(std::fabs(back - real) <= real * std::ldexp(1.0, -30));
  }
  CHECK(quant::quantizeMultiplier(0).mult == 0);
  CHECK(quant::quantizeMultiplier(1e-12).mult == 0); // below what 62 bits of shift reach
}

TEST_CASE("percentile calibration clips outliers that min/max keeps", "[quant]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 1000});
  b.g.outputs = {b.node(ir::OpKind::Relu, "relu", {x})};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  std::vector<float> v(1000);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = float(i % 100) / 100.0f;
  v[17] = 50.0f; // one outlier
  std::vector<std::vector<ir::TensorData>> sets{{ir::TensorData::fromFloats({1, 1000}, v)}};
  auto minmax = calib::calibrate(b.g, sets);
  calib::CalibrationOptions options;
  options.method = calib::CalibrationOptions::Method::Percentile;
  options.percentile = 99.0;
  auto pct = calib::calibrate(b.g, sets, options);
  REQUIRE(minmax);
  REQUIRE(pct);
  CHECK(minmax->at("x").max == 50.0f);
  CHECK(pct->at("x").max < 1.0f);
}

TEST_CASE("quantize splits non-clamp activations and keeps ReLU fused", "[quant]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 2, 6, 6});
  ir::ConvAttrs relu = conv3x3(), sig = conv3x3();
  relu.act.kind = ir::ActKind::Relu;
  sig.act.kind = ir::ActKind::Sigmoid;
  ir::TensorId c1 = b.node(ir::OpKind::Conv, "c1", {x, b.constant("w1", {4, 2, 3, 3})}, relu);
  ir::TensorId c2 = b.node(ir::OpKind::Conv, "c2", {c1, b.constant("w2", {3, 4, 3, 3})}, sig);
  std::vector<std::vector<ir::TensorData>> calib;
  quant::QuantizedModel m = quantizeBuilt(b, c2, calib);
  REQUIRE(m.graph.nodes.size() == 3);
  CHECK(m.layers[0].kind == quant::KernelKind::Conv);
  CHECK(m.layers[1].kind == quant::KernelKind::Conv);
  CHECK(m.layers[2].kind == quant::KernelKind::Lut);
  CHECK(m.graph.tensor(m.graph.nodes[1].outputs[0]).name == "c2_out_preact");
  const auto &p0 = std::get<rp_conv_params>(m.layers[0].params);
  CHECK(p0.act_min == m.graph.tensor(c1).quant->zeroPoint[0]); // ReLU: clamp at real 0
  for (size_t id = 0; id < m.graph.numTensors(); ++id) {
    const ir::Tensor &t = m.graph.tensor(static_cast<ir::TensorId>(id));
    if (!t.isConstant()) {
      CHECK(t.dtype == ir::DType::Int8);
      CHECK(t.quant.has_value());
    }
  }
  // The table's input is the int8 pre-activation: its error (a few of its steps, from the
  // convolutions) passes through the sigmoid's slope of at most 1/4, plus output rounding.
  double pre = m.graph.tensor(m.graph.nodes[1].outputs[0]).quant->scale[0];
  double out = m.graph.tensor(c2).quant->scale[0];
  double steps = worstErrorInSteps(b.g, m, calib);
  INFO(steps << " output steps; a pre-activation step is " << pre / out);
  CHECK(steps <= 0.25 * 3 * pre / out + 0.5);
}

TEST_CASE("quantize names the node an op without a fixed-point kernel", "[quant]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 4});
  b.g.outputs = {b.node(ir::OpKind::Pow, "pow1", {x, x})};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  auto ranges = calib::calibrate(b.g, calib::syntheticInputs(b.g, 2));
  REQUIRE(ranges);
  auto m = quant::quantize(b.g, *ranges);
  REQUIRE_FALSE(m);
  // The library names the node; the driver adds a --float hint only where the float build
  // compiles the model (tests/e2e/test_authors_models.py checks it).
  CHECK_THAT(m.error().message(), Contains("node 'pow1' (Pow)") && Contains("no fixed-point kernel"));
}

TEST_CASE("the int8 softmax runs along contiguous values only", "[quant]") {
  // A map is stored HWC: its channels (axis 1) are contiguous per pixel, so a softmax over
  // them is rows of C values, as over the last axis of a matrix; opset 11's flattened block
  // of the channels, rows and columns is one run of all of them. The map's columns (axis 3)
  // are strided: refused by name rather than computed over the channels.
  struct Case {
    ir::Shape shape;
    ir::SoftmaxAttrs attrs;
  };
  for (const Case &c : {Case{{1, 6, 3, 4}, {1, false}}, Case{{1, 6, 3, 4}, {1, true}},
                        Case{{1, 2, 7}, {-1, false}}, Case{{1, 6, 1, 1}, {1, false}},
                        Case{{1, 1, 3, 4}, {3, false}}}) {
    INFO(ir::toString(c.shape) << " axis " << c.attrs.axis << (c.attrs.coerce2D ? " 2-D" : ""));
    Builder b;
    ir::TensorId x = b.input("x", c.shape);
    ir::TensorId y = b.node(ir::OpKind::Softmax, "softmax", {x}, c.attrs);
    std::vector<std::vector<ir::TensorData>> calib;
    quant::QuantizedModel m = quantizeBuilt(b, y, calib);
    CHECK(worstErrorInSteps(b.g, m, calib) <= 2.0);
  }
  for (int64_t axis : {2, 3, -1}) {
    INFO("axis " << axis);
    Builder b;
    ir::TensorId x = b.input("x", {1, 6, 3, 4});
    b.g.outputs = {b.node(ir::OpKind::Softmax, "columns", {x}, ir::SoftmaxAttrs{axis, false})};
    REQUIRE(passes::foldConstantsAndInferShapes(b.g));
    auto ranges = calib::calibrate(b.g, calib::syntheticInputs(b.g, 2));
    REQUIRE(ranges);
    auto m = quant::quantize(b.g, *ranges);
    REQUIRE_FALSE(m);
    CHECK_THAT(m.error().message(),
               Contains("node 'columns' (Softmax)") && Contains("contiguous in memory"));
  }
}

TEST_CASE("runFixedPoint reports every layer's bytes to an observer", "[quant]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 2, 5, 5});
  ir::TensorId c = b.node(ir::OpKind::Conv, "c", {x, b.constant("w", {3, 2, 3, 3})}, conv3x3());
  ir::TensorId y = b.node(ir::OpKind::Relu, "r", {c});
  std::vector<std::vector<ir::TensorData>> calib;
  quant::QuantizedModel m = quantizeBuilt(b, y, calib);
  std::vector<size_t> seen;
  auto out = interp::runFixedPoint(m, calib[0], [&](size_t node, const std::vector<int8_t> &v) {
    seen.push_back(node);
    CHECK(v.size() == 3 * 5 * 5);
  });
  REQUIRE(out);
  CHECK(seen == std::vector<size_t>{0, 1});
  // The last layer's bytes are the output, converted from HWC to NCHW.
  CHECK(out->quantized[0].shape == ir::Shape{1, 3, 5, 5});
}

TEST_CASE("every math op quantises to a table of its float function", "[quant]") {
  int tables = 0;
  for (size_t k = 0; k < ir::numOps(); ++k) {
    const auto op = static_cast<ir::OpKind>(k);
    const ir::UnaryMathFn fn = ir::unaryMathOf(op);
    if (!fn)
      continue;
    INFO(ir::opName(op));
    ++tables;
    // A sigmoid first keeps the input in (0.1, 0.9), in every math op's domain.
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 5, 5});
    ir::TensorId s = b.node(ir::OpKind::Sigmoid, "s", {x});
    ir::TensorId y = b.node(op, "m", {s});
    std::vector<std::vector<ir::TensorData>> calib;
    quant::QuantizedModel m = quantizeBuilt(b, y, calib);
    REQUIRE(m.layers.size() == 2);
    CHECK(m.layers[1].kind == quant::KernelKind::Lut);
    // The sigmoid's int8 output is within about one of its steps of the float value; the
    // op's steepest slope over the range carries that to its output, plus the table's own
    // rounding (half a step).
    float pre = m.graph.tensor(m.graph.nodes[0].outputs[0]).quant->scale[0];
    float out = m.graph.tensor(m.graph.outputs[0]).quant->scale[0];
    double slope = 0;
    for (float v = 0.1f; v < 0.9f; v += 0.01f)
      slope = std::max(slope, std::fabs(double(fn(v + 0.01f)) - fn(v)) / 0.01);
    double steps = worstErrorInSteps(b.g, m, calib);
    CHECK(steps <= slope * 1.5 * pre / out + 0.5);
  }
  CHECK(tables >= 9);
}

TEST_CASE("a math op whose int8 input leaves its domain is refused by name", "[quant]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 4}); // calibrated over [-2, 2]
  ir::TensorId r = b.node(ir::OpKind::Sqrt, "root", {x});
  b.g.outputs = {r};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  std::vector<std::vector<ir::TensorData>> calib{{b.randomInput(0)}, {b.randomInput(0)}};
  auto ranges = calib::calibrate(b.g, calib);
  REQUIRE(ranges);
  auto m = quant::quantize(b.g, *ranges);
  REQUIRE_FALSE(m);
  const std::string msg = m.error().message();
  CHECK_THAT(msg, Contains("node 'root' (Sqrt)") && Contains("outside the op's domain"));
  CHECK(msg.find('\n') == std::string::npos);
}
