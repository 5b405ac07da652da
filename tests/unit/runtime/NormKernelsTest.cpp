// The kernels of runtime/rp_norm.c: L2 normalisation (integer square root, eps inside and
// outside, per-channel scale), same-shape and per-channel multiplies, channel slices of a
// Split and constant padding. Each runs through a one-node graph quantised on random data
// and is compared with a float reference: the exact quotient of the dequantised int8 input
// (the kernel's own error) and the float interpreter (all rounding); Pad also tile by tile.
#include "compiler/calib/Calibrate.h"
#include "rp_dspemu.h"
#include "tests/unit/runtime/RegionCheck.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

/// The float value of int8 q in a tensor with `t`'s parameters.
double real(const ir::Tensor &t, int8_t q) {
  return t.quant->scale[0] * (double(q) - double(t.quant->zeroPoint[0]));
}

/// Builds x -> L2Norm(x, scale?) with the given eps placement, quantises it on random data.
quant::QuantizedModel l2normModel(Builder &b, int64_t channels, float eps, bool inside,
                                  bool withScale, double *steps) {
  ir::TensorId x = b.input("x", {1, channels, 5, 7});
  std::vector<ir::TensorId> ins = {x};
  if (withScale)
    ins.push_back(b.constant("scale", {channels}, -12.0f, 12.0f));
  ir::TensorId y = b.node(ir::OpKind::L2Norm, "l2", ins, ir::L2NormAttrs{eps, inside});
  std::vector<std::vector<ir::TensorData>> calib;
  quant::QuantizedModel m = quantizeBuilt(b, y, calib);
  *steps = worstErrorInSteps(b.g, m, calib);
  return m;
}

} // namespace

TEST_CASE("rp_isqrt64 is the exact floor of the square root", "[runtime][l2norm]") {
  std::mt19937_64 rng(11);
  for (int k = 0; k < 20000; ++k) {
    uint64_t x = rng() >> (rng() % 64);
    uint64_t r = rp_isqrt64(x);
    REQUIRE(r * r <= x);
    REQUIRE((r + 1) * (r + 1) > x);
  }
  CHECK(rp_isqrt64(0) == 0);
  CHECK(rp_isqrt64(1) == 1);
  CHECK(rp_isqrt64((uint64_t(1) << 62) - 1) == (uint32_t(1) << 31) - 1);
}

TEST_CASE("L2 normalisation matches the exact quotient of its int8 input",
          "[runtime][l2norm]") {
  struct Case {
    const char *name;
    int64_t channels;
    float eps;
    bool inside, scale;
  } cases[] = {{"eps outside, scale", 6, 1e-10f, false, true},
               {"eps inside, scale", 16, 1e-6f, true, true},
               {"large eps outside, no scale", 3, 0.5f, false, false},
               {"large eps inside, 64 channels", 64, 2.0f, true, true},
               {"no eps, one channel", 1, 0.0f, false, true}};
  for (const Case &c : cases) {
    SECTION(c.name) {
      Builder b;
      double steps = 0;
      quant::QuantizedModel m = l2normModel(b, c.channels, c.eps, c.inside, c.scale, &steps);
      REQUIRE(m.layers[0].kind == quant::KernelKind::L2Norm);
      const auto &p = std::get<rp_l2norm_params>(m.layers[0].params);
      const ir::Tensor &xt = m.graph.tensor(m.graph.inputs[0]);
      const ir::Tensor &yt = m.graph.tensor(m.graph.outputs[0]);
      std::vector<float> scale(static_cast<size_t>(c.channels), 1.0f);
      if (c.scale)
        scale = b.g.tensor(b.g.nodes[0].inputs[1]).data->f;
      const int32_t pixels = 200;
      auto in = randomBytes(static_cast<size_t>(pixels * c.channels), 21);
      // Pixels near the zero point: small norms, where the square root has few bits.
      for (int32_t k = 0; k < pixels * c.channels / 4; ++k)
        in[static_cast<size_t>(k)] = static_cast<int8_t>(p.in_zp + (k % 3) - 1);
      std::vector<int8_t> out(in.size());
      rp_l2norm_s8(&p, in.data(), out.data(), pixels);
      double worst = 0;
      for (int32_t px = 0; px < pixels; ++px) {
        double sum = 0;
        for (int64_t ch = 0; ch < c.channels; ++ch)
          sum += std::pow(real(xt, in[static_cast<size_t>(px * c.channels + ch)]), 2);
        double norm = c.inside ? std::sqrt(sum + c.eps) : std::sqrt(sum) + c.eps;
        for (int64_t ch = 0; ch < c.channels; ++ch) {
          auto i = static_cast<size_t>(px * c.channels + ch);
          double y = norm > 0 ? real(xt, in[i]) / norm * scale[static_cast<size_t>(ch)] : 0;
          double q = std::clamp(y / yt.quant->scale[0] + double(yt.quant->zeroPoint[0]), -128.0,
                                127.0);
          worst = std::max(worst, std::fabs(q - out[i]));
        }
      }
      INFO("kernel vs exact: " << worst << " steps; fixed vs float model: " << steps);
      CHECK(worst <= 0.52); // the documented bound (rnnpoolc_runtime.h)
      // With the input's own rounding: small norms amplify it, so allow a few steps.
      CHECK(steps <= 4.0);
    }
  }
}

TEST_CASE("l2norm: the DSP path gives the portable loop's bytes", "[runtime][l2norm]") {
  // Two channels over every pair of bytes (every sum of two squares up to 2 * 255^2), and
  // 5,000 channels of extreme bytes (sums from 2^28 up, k = 0), eps inside (up to its 2^60
  // saturation, sums of squares past 2^32) and outside, zero points at both ends.
  std::vector<int8_t> two(2 * 65536);
  for (int i = 0; i < 65536; ++i)
    two[size_t(2 * i)] = static_cast<int8_t>(i & 255),
                   two[size_t(2 * i + 1)] = static_cast<int8_t>(i >> 8);
  std::vector<int8_t> wide(3 * 5000);
  for (size_t i = 0; i < wide.size(); ++i)
    wide[i] = static_cast<int8_t>(i < 5000    ? -128
                                  : i < 10000 ? (i & 1 ? 127 : -128)
                                              : int(i % 7));
  std::vector<int32_t> mult(5000), shift(5000);
  for (size_t c = 0; c < mult.size(); ++c)
    mult[c] = c & 1 ? 1518500250 : 1 << 30, shift[c] = -int32_t(c % 3);
  int64_t bad = 0;
  for (auto [inside, mant, exp] :
       {std::tuple{0, 0, 0}, {0, 3, 1}, {1, 5, 0}, {1, 1, -40}, {0, 7, -20}, {1, 9, 3}})
    for (int32_t zp : {-128, 0, 127}) {
      rp_l2norm_params p{2, zp, -zp / 2, inside, mant, exp, mult.data(), shift.data()};
      std::vector<int8_t> y(two.size()), yd(two.size());
      rp_l2norm_s8(&p, two.data(), y.data(), 65536);
      rp_dspemu_l2norm_s8(&p, two.data(), yd.data(), 65536);
      bad += y != yd;
      p.channels = 5000;
      std::vector<int8_t> w(wide.size()), wd(wide.size());
      rp_l2norm_s8(&p, wide.data(), w.data(), 3);
      rp_dspemu_l2norm_s8(&p, wide.data(), wd.data(), 3);
      bad += w != wd;
    }
  CHECK(bad == 0);
}

TEST_CASE("mul: the DSP lanes give the portable loop's bytes on every input pair",
          "[runtime][mul]") {
  // Multipliers with 0, 20 and 30 trailing zero bits (ties possible for the last at small
  // shifts: the portable loop), shifts across rp_requant_hi's common case and outside it,
  // a full and a narrower clamp, 65,536 pairs (whole words) and 65,535 (a tail of three).
  std::vector<int8_t> a(65536), b(65536);
  for (int i = 0; i < 65536; ++i)
    a[size_t(i)] = static_cast<int8_t>(i & 255), b[size_t(i)] = static_cast<int8_t>(i >> 8);
  int64_t bad = 0, sets = 0;
  for (int32_t mult : {INT32_MAX, 1518500250, (1 << 30) | (1 << 20), 1 << 30, 0})
    for (int32_t shift : {-31, -24, -23, -16, -12, -2, -1, 0})
      for (auto [z1, z2, zy] : {std::tuple{0, 0, 0}, {-128, 127, 5}, {100, -3, -128}})
        for (int32_t lo : {-128, -40}) {
          rp_mul_params p{z1, z2, zy, mult, shift, lo, lo == -128 ? 127 : 90};
          for (int32_t n : {65536, 65535}) {
            std::vector<int8_t> y(static_cast<size_t>(n)), yd(y.size());
            rp_mul_s8(&p, a.data(), b.data(), y.data(), n);
            rp_dspemu_mul_s8(&p, a.data(), b.data(), yd.data(), n);
            for (size_t i = 0; i < y.size(); ++i)
              bad += y[i] != yd[i];
            ++sets;
          }
        }
  CHECK(sets == 480);
  CHECK(bad == 0);
}

TEST_CASE("int8 multiplies: same shape and by a channel constant", "[runtime][mul]") {
  SECTION("same shape, exact product of the int8 inputs") {
    Builder b;
    ir::TensorId x1 = b.input("x1", {1, 4, 5, 6}), x2 = b.input("x2", {1, 4, 5, 6});
    ir::TensorId s = b.node(ir::OpKind::Sigmoid, "sig", {x2});
    ir::TensorId y = b.node(ir::OpKind::Mul, "mul", {x1, s});
    std::vector<std::vector<ir::TensorData>> calib;
    quant::QuantizedModel m = quantizeBuilt(b, y, calib);
    REQUIRE(m.layers[1].kind == quant::KernelKind::Mul);
    double steps = worstErrorInSteps(b.g, m, calib);
    INFO("fixed vs float: " << steps);
    CHECK(steps <= 1.5); // x1's rounding (1/2 * |s| <= 1/2), s's and the product's
    const auto &p = std::get<rp_mul_params>(m.layers[1].params);
    const ir::Tensor &a = m.graph.tensor(m.graph.nodes[1].inputs[0]);
    const ir::Tensor &bt = m.graph.tensor(m.graph.nodes[1].inputs[1]);
    const ir::Tensor &yt = m.graph.tensor(m.graph.outputs[0]);
    auto in1 = randomBytes(500, 1), in2 = randomBytes(500, 2);
    std::vector<int8_t> out(500);
    rp_mul_s8(&p, in1.data(), in2.data(), out.data(), 500);
    double worst = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      double q = std::clamp(real(a, in1[i]) * real(bt, in2[i]) / yt.quant->scale[0] +
                                double(yt.quant->zeroPoint[0]),
                            -128.0, 127.0);
      worst = std::max(worst, std::fabs(q - out[i]));
    }
    CHECK(worst <= 0.5 + 1e-6);
  }
  for (bool scalar : {false, true}) {
    SECTION(scalar ? "by a negative scalar" : "by a per-channel constant of both signs") {
      Builder b;
      ir::TensorId x = b.input("x", {1, 5, 4, 3});
      ir::TensorId k = scalar ? b.constant("k", {1}, -3.0f, -2.0f)
                              : b.constant("k", {1, 5, 1, 1}, -2.0f, 2.0f);
      ir::TensorId y = b.node(ir::OpKind::Mul, "mul", {k, x}); // constant first
      std::vector<std::vector<ir::TensorData>> calib;
      quant::QuantizedModel m = quantizeBuilt(b, y, calib);
      REQUIRE(m.layers[0].kind == quant::KernelKind::MulChannel);
      double steps = worstErrorInSteps(b.g, m, calib);
      double ratio = m.graph.tensor(m.graph.inputs[0]).quant->scale[0] /
                     m.graph.tensor(m.graph.outputs[0]).quant->scale[0];
      INFO("fixed vs float: " << steps << ", input/output step ratio " << ratio);
      CHECK(steps <= 0.5 + 0.5 * 3.0 * ratio + 1e-3); // input rounding times |k| <= 3
    }
  }
}

TEST_CASE("int8 gates: a run-time tensor broadcast over a map", "[runtime][mul]") {
  // A squeeze-and-excitation gate [1, C, 1, 1] and a spatial one [1, 1, H, W], each a
  // sigmoid of its own input and written first (the quantiser puts the map first). The
  // kernel must give rp_mul_s8's bytes on the gate expanded to the map's shape, and the
  // model the float interpreter's values within the roundings of x, the gate and y.
  for (bool perPixel : {false, true}) {
    SECTION(perPixel ? "one value per pixel" : "one value per channel") {
      const int64_t c = 6, h = 5, w = 7;
      Builder b;
      ir::TensorId x = b.input("x", {1, c, h, w});
      ir::TensorId g = b.input("g", perPixel ? ir::Shape{1, 1, h, w} : ir::Shape{1, c, 1, 1});
      ir::TensorId s = b.node(ir::OpKind::Sigmoid, "sig", {g});
      ir::TensorId y = b.node(ir::OpKind::Mul, "gate", {s, x});
      std::vector<std::vector<ir::TensorData>> calib;
      quant::QuantizedModel m = quantizeBuilt(b, y, calib);
      REQUIRE(m.layers[1].kind == quant::KernelKind::MulGate);
      const auto &p = std::get<rp_mul_gate_params>(m.layers[1].params);
      CHECK(p.per_pixel == (perPixel ? 1 : 0));
      CHECK(p.channels == c);
      double steps = worstErrorInSteps(b.g, m, calib);
      INFO("fixed vs float: " << steps);
      CHECK(steps <= 1.5);
      const size_t pixels = size_t(h * w), n = pixels * size_t(c);
      auto map = randomBytes(n, 3), gate = randomBytes(perPixel ? pixels : size_t(c), 4);
      std::vector<int8_t> wide(n), want(n), got(n);
      for (size_t i = 0; i < n; ++i)
        wide[i] = gate[perPixel ? i / size_t(c) : i % size_t(c)];
      const rp_mul_params same{p.in_zp, p.gate_zp, p.out_zp, p.mult, p.shift, p.act_min,
                               p.act_max};
      rp_mul_s8(&same, map.data(), wide.data(), want.data(), int32_t(n));
      rp_mul_gate_s8(&p, map.data(), gate.data(), got.data(), int32_t(pixels));
      CHECK(got == want);
      // The DSP path (through the instruction models) gives the same bytes, for the
      // quantiser's multiplier and for shifts around rp_requant_hi's common case.
      for (int32_t shift : {p.shift, -2, -1, -24, 0}) {
        rp_mul_gate_params q = p;
        q.shift = shift;
        const rp_mul_params qs{q.in_zp, q.gate_zp, q.out_zp, q.mult, shift, -128, 127};
        rp_mul_s8(&qs, map.data(), wide.data(), want.data(), int32_t(n));
        rp_dspemu_mul_gate_s8(&q, map.data(), gate.data(), got.data(), int32_t(pixels));
        CHECK(got == want);
      }
    }
  }
}

TEST_CASE("Split runs as channel slices that copy the bytes", "[runtime][split]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 7, 3, 4});
  ir::TensorId r = b.node(ir::OpKind::Relu, "relu", {x});
  b.node(ir::OpKind::Split, "split", {r, b.ints("sizes", {2, 5})}, ir::AxisAttrs{1}, 2);
  ir::TensorId left = b.g.nodes.back().outputs[0], right = b.g.nodes.back().outputs[1];
  std::vector<std::vector<ir::TensorData>> calib;
  quant::QuantizedModel m = quantizeBuilt(b, right, calib);
  b.g.outputs = {right, left};
  m = std::move(*quant::quantize(b.g, *calib::calibrate(b.g, calib)));
  REQUIRE(m.graph.nodes.size() == 3); // relu, then one slice per output
  REQUIRE(m.layers[1].kind == quant::KernelKind::ChannelSlice);
  REQUIRE(m.layers[2].kind == quant::KernelKind::ChannelSlice);
  auto fixed = interp::runFixedPoint(m, calib[0]);
  REQUIRE(fixed);
  auto ref = interp::run(b.g, calib[0]);
  REQUIRE(ref);
  // The slices copy bytes: the only error is the ReLU table's (its input's rounding, half
  // an input step, and its own, half an output step).
  float step = m.graph.tensor(m.graph.nodes[0].outputs[0]).quant->scale[0];
  float inStep = m.graph.tensor(m.graph.inputs[0]).quant->scale[0];
  for (size_t k = 0; k < 2; ++k)
    CHECK(maxAbsDiff((*ref)[k], fixed->dequantized[k]) <= 0.5f * (step + inStep) + 1e-6f);
  // The slices read channels [2, 7) and [0, 2) of every pixel.
  const auto &left2 = std::get<rp_channel_slice_params>(m.layers[1].params);
  const auto &right5 = std::get<rp_channel_slice_params>(m.layers[2].params);
  CHECK((left2.first == 0 && left2.channels == 2 && left2.in_channels == 7));
  CHECK((right5.first == 2 && right5.channels == 5));
  auto in = randomBytes(7 * 12, 4);
  std::vector<int8_t> out(5 * 12);
  rp_channel_slice_s8(&right5, in.data(), out.data(), 12);
  for (size_t px = 0; px < 12; ++px)
    for (size_t c = 0; c < 5; ++c)
      REQUIRE(out[px * 5 + c] == in[px * 7 + 2 + c]);
}

TEST_CASE("constant padding: float agreement, zero point and tiles", "[runtime][pad]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 3, 5, 6});
  ir::TensorId r = b.node(ir::OpKind::Relu, "relu", {x}); // zero point -128: padding visible
  ir::TensorId y =
      b.node(ir::OpKind::Pad, "pad", {r, b.ints("pads", {0, 0, 1, 2, 0, 0, 3, 1})});
  std::vector<std::vector<ir::TensorData>> calib;
  quant::QuantizedModel m = quantizeBuilt(b, y, calib);
  REQUIRE(m.layers[1].kind == quant::KernelKind::Pad);
  // Pad copies bytes: the only error is the ReLU table's (its input's rounding and its own).
  double ratio = m.graph.tensor(m.graph.inputs[0]).quant->scale[0] /
                 m.graph.tensor(m.graph.outputs[0]).quant->scale[0];
  CHECK(worstErrorInSteps(b.g, m, calib) <= 0.5 + 0.5 * ratio + 1e-4);
  const auto &p = std::get<rp_pad_params>(m.layers[1].params);
  CHECK(p.value == m.graph.tensor(m.graph.outputs[0]).quant->zeroPoint[0]);
  CHECK((p.out_h == 9 && p.out_w == 9 && p.pad_top == 1 && p.pad_left == 2));
  checkRegions(
      [&](const rp_view *i, rp_view *o, const rp_region *reg) { rp_pad_s8(&p, i, o, reg); },
      m.graph, m.graph.nodes[1], 8);
}

TEST_CASE("forms without a fixed-point kernel give an error naming the node",
          "[runtime][mul][l2norm]") {
  auto quantizeError = [](Builder &b, ir::TensorId y) {
    b.g.outputs = {y};
    REQUIRE(passes::foldConstantsAndInferShapes(b.g));
    std::vector<std::vector<ir::TensorData>> calib = {{}};
    for (size_t k = 0; k < b.g.inputs.size(); ++k)
      calib[0].push_back(b.randomInput(k));
    auto ranges = calib::calibrate(b.g, calib);
    REQUIRE(ranges);
    auto m = quant::quantize(b.g, *ranges);
    REQUIRE_FALSE(m);
    return m.error().message();
  };
  {
    Builder b;
    ir::TensorId y = b.node(ir::OpKind::Mul, "bmul",
                            {b.input("a", {1, 4, 3, 3}), b.input("b", {1, 4, 3, 1})});
    CHECK_THAT(quantizeError(b, y),
               Catch::Contains("node 'bmul' (Mul): multiplies 1x4x3x3 by a run-time "
                               "tensor of shape 1x4x3x1"));
  }
  {
    Builder b;
    ir::TensorId y = b.node(ir::OpKind::Mul, "wmul",
                            {b.input("a", {1, 4, 3, 5}), b.constant("k", {1, 1, 1, 5})});
    CHECK_THAT(quantizeError(b, y),
               Catch::Contains("node 'wmul' (Mul): multiplying by a constant"));
  }
  {
    Builder b;
    ir::TensorId y = b.node(ir::OpKind::L2Norm, "rows", {b.input("a", {1, 4, 3, 5})},
                            ir::L2NormAttrs{0, false, 3});
    CHECK_THAT(quantizeError(b, y),
               Catch::Contains("node 'rows' (L2Norm): the fixed-point L2"));
  }
}
