// The non-convolution kernels, each through a one-node graph quantised on random data:
// fully connected, pooling, add, concat, table activations, softmax and requantisation.
// Each is compared with the float interpreter within its quantisation steps; spatial ones
// also tile by tile, and the fully connected layer on its DSP path.
#include "tests/unit/runtime/RegionCheck.h"
#include "rp_dspemu.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

/// Quantises the graph built so far with output `y` and returns the error in output steps.
double errorSteps(Builder &b, ir::TensorId y, quant::QuantizedModel *keep = nullptr) {
  std::vector<std::vector<ir::TensorData>> calib;
  quant::QuantizedModel m = quantizeBuilt(b, y, calib);
  double steps = worstErrorInSteps(b.g, m, calib);
  if (keep)
    *keep = std::move(m);
  return steps;
}

ir::PoolAttrs pool(int64_t k, int64_t s, int64_t pad, bool ceil = false, bool countPad = false) {
  ir::PoolAttrs a;
  a.kernel = {k, k};
  a.strides = {s, s};
  a.dilations = {1, 1};
  a.pads = {pad, pad, pad, pad};
  a.ceilMode = ceil;
  a.countIncludePad = countPad;
  return a;
}

} // namespace

TEST_CASE("fully connected: float agreement, flattened HWC input, DSP path", "[runtime][fc]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 5, 3, 4});
  ir::TensorId flat = b.node(ir::OpKind::Flatten, "flatten", {x}, ir::AxisAttrs{1});
  ir::GemmAttrs g;
  g.transB = true;
  ir::TensorId w = b.constant("w", {7, 60}, -0.3f, 0.3f), bias = b.constant("b", {7});
  ir::TensorId y = b.node(ir::OpKind::Gemm, "fc", {flat, w, bias}, g);
  quant::QuantizedModel m;
  double steps = errorSteps(b, y, &m);
  INFO("fixed vs float: " << steps << " output steps");
  // 60 inputs each off by up to half an input step, times |w| <= 0.3: a few output steps.
  CHECK(steps <= 3.0);
  const auto &p = std::get<rp_fc_params>(m.layers[1].params);
  auto input = randomBytes(60, 3);
  std::vector<int8_t> portable(7), dsp(7);
  rp_fc_s8(&p, input.data(), portable.data());
  rp_dspemu_fc_s8(&p, input.data(), dsp.data());
  CHECK(portable == dsp);
}

TEST_CASE("max and average pooling: float agreement and tiles", "[runtime][pool]") {
  struct Case {
    const char *name;
    ir::OpKind op;
    ir::PoolAttrs attrs;
  } cases[] = {
      {"max 2x2", ir::OpKind::MaxPool, pool(2, 2, 0)},
      {"max 3x3 stride 2 pad 1", ir::OpKind::MaxPool, pool(3, 2, 1)},
      {"avg 2x2 ceil", ir::OpKind::AveragePool, pool(2, 2, 0, true)},
      {"avg 3x3 pad 1 excluding pad", ir::OpKind::AveragePool, pool(3, 1, 1)},
      {"avg 3x3 pad 1 including pad", ir::OpKind::AveragePool, pool(3, 2, 1, false, true)},
  };
  for (const Case &c : cases) {
    SECTION(c.name) {
      Builder b;
      ir::TensorId x = b.input("x", {1, 6, 7, 9});
      ir::TensorId y = b.node(c.op, "pool", {x}, c.attrs);
      quant::QuantizedModel m;
      double steps = errorSteps(b, y, &m);
      INFO("fixed vs float: " << steps << " output steps");
      CHECK(steps <= 1.0); // input rounding (1/2) plus the average's rounding (1/2)
      const auto &p = std::get<rp_pool_params>(m.layers[0].params);
      bool isMax = c.op == ir::OpKind::MaxPool;
      checkRegions(
          [&](const rp_view *i, rp_view *o, const rp_region *r) {
            isMax ? rp_maxpool_s8(&p, i, o, r) : rp_avgpool_s8(&p, i, o, r);
          },
          m.graph, m.graph.nodes[0], 5);
    }
  }
}

TEST_CASE("concat: the DSP path's requantisation tables give the portable loop's bytes",
          "[runtime][eltwise]") {
  // 200 pixels: a rescaled input of one channel (200 values, the loop), one of two (400, a
  // table), a copied one; every byte value, the extremes and parameters at both ends.
  const int32_t pixels = 200;
  for (auto [mult, shift, zp] : {std::tuple{1518500250, -1, 3}, {INT32_MAX, 2, -128},
                                 {1 << 30, -8, 127}, {1234567891, 0, 0}}) {
    const rp_concat_input ins[3] = {{1, -7, mult, shift}, {2, 100, mult, shift}, {3, 0, 0, 0}};
    const rp_concat_params p{pixels, 6, zp, 3, ins};
    std::vector<int8_t> a(pixels), b(2 * pixels), c(3 * pixels);
    for (size_t i = 0; i < b.size(); ++i)
      b[i] = static_cast<int8_t>(i < 256 ? i : (i & 1 ? 127 : -128));
    for (size_t i = 0; i < a.size(); ++i)
      a[i] = static_cast<int8_t>(i * 37 % 256);
    for (size_t i = 0; i < c.size(); ++i)
      c[i] = static_cast<int8_t>(i * 11 % 256);
    const int8_t *in[3] = {a.data(), b.data(), c.data()};
    std::vector<int8_t> y(6 * pixels), yd(y.size());
    rp_concat_s8(&p, in, y.data());
    rp_dspemu_concat_s8(&p, in, yd.data());
    CHECK(yd == y);
    // Pixels [40, 190) alone (a row of a band), both paths: the whole call's bytes there,
    // and nothing written outside them.
    for (auto concat : {rp_concat_pixels_s8, rp_dspemu_concat_pixels_s8}) {
      std::vector<int8_t> rows(y.size(), 55);
      const int8_t *at[3] = {a.data() + 40, b.data() + 2 * 40, c.data() + 3 * 40};
      concat(&p, at, rows.data() + 6 * 40, 150);
      for (size_t i = 0; i < y.size(); ++i)
        REQUIRE(rows[i] == (i >= 6 * 40 && i < 6 * 190 ? y[i] : 55));
    }
    for (int32_t px = 0; px < pixels; ++px)
      for (int32_t ch = 0; ch < 6; ++ch) {
        int8_t x = ch == 0 ? a[px] : ch < 3 ? b[2 * px + ch - 1] : c[3 * px + ch - 3];
        int32_t inZp = ch == 0 ? -7 : 100;
        int8_t want = ch >= 3 ? x
                              : static_cast<int8_t>(std::clamp(
                                    rp_requantize(x - inZp, mult, shift) + zp, -128, 127));
        REQUIRE(y[size_t(6 * px + ch)] == want);
      }
  }
}

TEST_CASE("global average pool, add, concat, activations and softmax agree with float",
          "[runtime][eltwise]") {
  SECTION("global average pool") {
    Builder b;
    ir::TensorId y = b.node(ir::OpKind::GlobalAveragePool, "gap", {b.input("x", {1, 8, 5, 6})});
    CHECK(errorSteps(b, y) <= 1.0);
  }
  SECTION("add of differently scaled inputs") {
    Builder b;
    ir::TensorId x1 = b.input("x1", {1, 4, 5, 5}), x2 = b.input("x2", {1, 4, 5, 5});
    ir::TensorId half = b.node(ir::OpKind::Relu, "relu", {x2});
    CHECK(errorSteps(b, b.node(ir::OpKind::Add, "add", {x1, half})) <= 1.5);
  }
  SECTION("channel concat with rescaling") {
    Builder b;
    ir::TensorId x1 = b.input("x1", {1, 3, 4, 4}), x2 = b.input("x2", {1, 5, 4, 4});
    ir::TensorId r = b.node(ir::OpKind::Relu, "relu", {x2});
    CHECK(errorSteps(b, b.node(ir::OpKind::Concat, "cat", {x1, r}, ir::AxisAttrs{1})) <= 1.0);
  }
  SECTION("table activations") {
    // The input's rounding (half an input step times the steepest slope) and the output's.
    for (auto [op, slope] : {std::pair{ir::OpKind::Sigmoid, 0.25}, {ir::OpKind::Tanh, 1.0},
                             {ir::OpKind::LeakyRelu, 1.0}, {ir::OpKind::HardSigmoid, 0.2},
                             {ir::OpKind::HardSwish, 1.5}}) {
      Builder b;
      ir::Attrs attrs = ir::defaultAttrs(op);
      if (op == ir::OpKind::LeakyRelu)
        attrs = ir::AlphaBetaAttrs{0.1f, 0};
      if (op == ir::OpKind::HardSigmoid)
        attrs = ir::AlphaBetaAttrs{0.2f, 0.5f};
      ir::TensorId y = b.node(op, "act", {b.input("x", {1, 3, 4, 4})}, attrs);
      quant::QuantizedModel m;
      double steps = errorSteps(b, y, &m);
      double ratio = m.graph.tensor(m.graph.inputs[0]).quant->scale[0] /
                     m.graph.tensor(m.graph.outputs[0]).quant->scale[0];
      INFO(ir::opName(op) << ": " << steps << " output steps");
      CHECK(steps <= 0.5 + 0.5 * slope * ratio + 1e-3);
    }
  }
  SECTION("softmax") {
    Builder b;
    ir::TensorId y = b.node(ir::OpKind::Softmax, "sm", {b.input("x", {1, 10})});
    CHECK(errorSteps(b, y) <= 2.0);
  }
}

TEST_CASE("requantisation rounds half away from zero and saturates", "[runtime][requant]") {
  std::mt19937 rng(9);
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> shifts(-31, 30);
  for (int k = 0; k < 20000; ++k) {
    int32_t x = any(rng), mult = any(rng) & 0x7fffffff, shift = shifts(rng);
    __int128 prod = __int128(x) * mult, div = __int128(1) << (31 - shift);
    __int128 q = prod >= 0 ? (prod + div / 2) / div : -((-prod + div / 2) / div);
    q = std::clamp<__int128>(q, -((1 << 30) - 1), (1 << 30) - 1); // room for a zero point
    REQUIRE(rp_requantize(x, mult, shift) == static_cast<int32_t>(q));
  }
  // Ties and extremes on the fast path (factors below 1/2, 31 - shift > 32).
  CHECK(rp_requantize(4, 1 << 30, -2) == 1);   // 0.5 -> 1
  CHECK(rp_requantize(-4, 1 << 30, -2) == -1); // -0.5 -> -1
  CHECK(rp_requantize(-3, 1 << 30, -2) == 0);  // -0.375 -> 0
  CHECK(rp_requantize(INT32_MIN, INT32_MAX, -2) == -536870912);
  CHECK(rp_requantize(3, 1 << 30, 0) == 2);   // 1.5 -> 2
  CHECK(rp_requantize(-3, 1 << 30, 0) == -2); // -1.5 -> -2
  CHECK(rp_requantize(INT32_MAX, INT32_MAX, 30) == (1 << 30) - 1); // saturated, so that
  CHECK(rp_requantize(INT32_MIN, INT32_MAX, 30) == 1 - (1 << 30)); // adding a zp is defined
  rp_requant_params p{5, -3, 1 << 30, 1};     // factor 1, zero points 5 -> -3
  int8_t in[3] = {-128, 5, 127}, out[3];
  rp_requant_s8(&p, in, out, 3);
  CHECK(out[0] == -128);
  CHECK(out[1] == -3);
  CHECK(out[2] == 119);
}

TEST_CASE("a CHW input quantised in chunks lands in HWC order", "[runtime][quantize]") {
  // rp_quantize_planes_f32_s8 (model_quantize_input's 4-D case) against one value at a
  // time, over chunks that start and end inside channel planes and cross several.
  const int32_t channels = 3, hw = 7 * 5, total = channels * hw;
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> value(-3.0f, 3.0f);
  std::vector<float> x(total);
  for (float &v : x)
    v = value(rng);
  x[4] = std::nanf(""), x[40] = 1e30f, x[41] = -1e30f; // the zero point, saturated
  const float inv = 37.5f;
  const int32_t zp = -7;
  std::vector<int8_t> want(total);
  for (int32_t e = 0; e < total; ++e)
    rp_quantize_f32_s8(&x[e], &want[(e % hw) * channels + e / hw], 1, inv, zp);
  for (int32_t chunk : {1, 4, 34, 35, 36, 71, total}) {
    std::vector<int8_t> got(total, 99);
    for (int32_t first = 0; first < total; first += chunk)
      rp_quantize_planes_f32_s8(&x[first], got.data(), first, std::min(chunk, total - first),
                                hw, channels, inv, zp);
    CAPTURE(chunk);
    CHECK(got == want);
  }
  CHECK(want[4 * channels] == zp);
  CHECK(want[(40 % hw) * channels + 1] == 127);
  CHECK(want[(41 % hw) * channels + 1] == -128);
}
