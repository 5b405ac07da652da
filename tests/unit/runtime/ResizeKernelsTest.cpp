// The Resize kernels (runtime/rp_resize.c, rp_f32_resize.c) against plain references: each
// case builds a one-node graph, quantises it (layer builder, Q11 tables) and runs
//  - rp_resize_s8 on random bytes, against the exact interpolation of the same bytes in
//    double: equal for nearest, within the documented 0.625 of a step for linear;
//  - the fixed-point interpreter against the float interpreter (the input's rounding, half
//    a step, plus the kernel's bound);
//  - rp_resize_f32 with the float build's coordinate tables against the float interpreter.
#include "tests/unit/quant/QuantTestUtil.h"

#include "compiler/ir/Resize.h"
#include "rnnpoolc_runtime_f32.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

struct ResizeCase {
  const char *name;
  ir::ResizeAttrs attrs;
  ir::Shape in;
  std::vector<float> scales; ///< empty: sizes
  std::vector<int64_t> sizes;
};

ir::TensorId buildResize(Builder &b, const ResizeCase &c) {
  ir::TensorId x = b.input("x", c.in);
  std::vector<ir::TensorId> ins{x, ir::kNoTensor};
  if (!c.scales.empty()) {
    ins.push_back(b.g.addConstant(
        "scales",
        ir::TensorData::fromFloats({static_cast<int64_t>(c.scales.size())}, c.scales)));
  } else {
    ins.push_back(ir::kNoTensor);
    ins.push_back(b.ints("sizes", c.sizes));
  }
  return b.node(ir::OpKind::Resize, "resize", ins, c.attrs);
}

ir::ResizeAttrs attrs(ir::ResizeMode mode, ir::ResizeCoord coord,
                      ir::ResizeNearest nearest = ir::ResizeNearest::RoundPreferFloor) {
  return ir::ResizeAttrs{mode, coord, nearest};
}

const ResizeCase kCases[] = {
    {"nearest x2 asymmetric floor (PyTorch)",
     attrs(ir::ResizeMode::Nearest, ir::ResizeCoord::Asymmetric, ir::ResizeNearest::Floor),
     {1, 3, 5, 7},
     {1, 1, 2, 2},
     {}},
    {"nearest x1.7 half_pixel round_prefer_ceil",
     attrs(ir::ResizeMode::Nearest, ir::ResizeCoord::HalfPixel,
           ir::ResizeNearest::RoundPreferCeil),
     {1, 4, 6, 5},
     {1, 1, 1.7f, 1.7f},
     {}},
    {"nearest down to 3x2 align_corners ceil",
     attrs(ir::ResizeMode::Nearest, ir::ResizeCoord::AlignCorners, ir::ResizeNearest::Ceil),
     {1, 2, 7, 5},
     {},
     {1, 2, 3, 2}},
    {"bilinear x2 half_pixel",
     attrs(ir::ResizeMode::Linear, ir::ResizeCoord::HalfPixel),
     {1, 3, 5, 6},
     {1, 1, 2, 2},
     {}},
    {"bilinear to 13x9 align_corners",
     attrs(ir::ResizeMode::Linear, ir::ResizeCoord::AlignCorners),
     {1, 5, 4, 6},
     {},
     {1, 5, 13, 9}},
    {"bilinear x0.6 pytorch_half_pixel",
     attrs(ir::ResizeMode::Linear, ir::ResizeCoord::PytorchHalfPixel),
     {1, 3, 8, 9},
     {1, 1, 0.6f, 0.6f},
     {}},
    {"bilinear x3 asymmetric, one row",
     attrs(ir::ResizeMode::Linear, ir::ResizeCoord::Asymmetric),
     {1, 2, 1, 5},
     {1, 1, 3, 3},
     {}},
};

/// The exact interpolation of HWC bytes by the taps (what rp_resize_s8 rounds).
std::vector<double> exactResize(const ir::ResizeMapPlan &p, const std::vector<int8_t> &x) {
  std::vector<double> y;
  const auto at = [&](int64_t r, int64_t c, int64_t k) {
    return double(x[static_cast<size_t>((r * p.inW + c) * p.channels + k)]);
  };
  for (const ir::ResizeTap &ty : p.rows)
    for (const ir::ResizeTap &tx : p.cols)
      for (int64_t k = 0; k < p.channels; ++k) {
        double top = (1 - tx.frac) * at(ty.i0, tx.i0, k) + tx.frac * at(ty.i0, tx.i1, k);
        double bottom = (1 - tx.frac) * at(ty.i1, tx.i0, k) + tx.frac * at(ty.i1, tx.i1, k);
        y.push_back((1 - ty.frac) * top + ty.frac * bottom);
      }
  return y;
}

/// The float build's coordinate table (targets/FloatResize.cpp).
std::vector<float> floatCoordinates(const std::vector<ir::ResizeTap> &taps) {
  std::vector<float> v;
  for (const ir::ResizeTap &t : taps)
    v.push_back(static_cast<float>(static_cast<double>(t.i0) + t.frac));
  return v;
}

/// NCHW float values to HWC, and back.
std::vector<float> toHwc(const ir::TensorData &t) {
  const int64_t c = t.shape[1], h = t.shape[2], w = t.shape[3];
  std::vector<float> v(t.f.size());
  for (int64_t k = 0; k < c; ++k)
    for (int64_t i = 0; i < h * w; ++i)
      v[static_cast<size_t>(i * c + k)] = t.f[static_cast<size_t>(k * h * w + i)];
  return v;
}

} // namespace

TEST_CASE("rp_resize_s8 and rp_resize_f32 against plain references", "[runtime][resize]") {
  for (const ResizeCase &c : kCases) {
    INFO(c.name);
    Builder b;
    ir::TensorId y = buildResize(b, c);
    std::vector<std::vector<ir::TensorData>> calib;
    quant::QuantizedModel m = quantizeBuilt(b, y, calib);
    REQUIRE(m.layers.size() == 1);
    REQUIRE(m.layers[0].kind == quant::KernelKind::Resize);
    const auto &p = std::get<rp_resize_params>(m.layers[0].params);
    auto plan = ir::resizeMapPlan(b.g, b.g.nodes[0]);
    REQUIRE(plan);
    REQUIRE((p.out_h == plan->outH && p.out_w == plan->outW && p.channels == plan->channels));
    const bool linear = c.attrs.mode == ir::ResizeMode::Linear;

    // The int8 kernel on random and extreme bytes against the exact interpolation.
    const size_t inBytes = static_cast<size_t>(ir::numel(c.in));
    const size_t outBytes = static_cast<size_t>(plan->channels * plan->outH * plan->outW);
    for (uint32_t seed = 0; seed < 4; ++seed) {
      std::vector<int8_t> x = randomBytes(inBytes, seed);
      if (seed == 3)
        for (size_t i = 0; i < inBytes; ++i)
          x[i] = (i / static_cast<size_t>(plan->channels)) % 2 ? 127 : -128;
      std::vector<int8_t> out(outBytes, 0x55);
      rp_resize_s8(&p, x.data(), out.data());
      std::vector<double> exact = exactResize(*plan, x);
      double worst = 0;
      for (size_t i = 0; i < outBytes; ++i)
        worst = std::max(worst, std::abs(out[i] - exact[i]));
      CHECK(worst <= (linear ? 0.625 : 0.0));
    }

    // Fixed point against the float interpreter: the input's rounding plus the kernel's.
    const double steps = worstErrorInSteps(b.g, m, calib);
    CHECK(steps <= (linear ? 0.5 + 0.625 : 0.5) + 1e-4);

    // The float kernel against the float interpreter.
    const std::vector<float> sy = floatCoordinates(plan->rows),
                             sx = floatCoordinates(plan->cols);
    rp_resize_f32_params fp{p.channels, p.in_h,   p.in_w,    p.out_h,
                            p.out_w,    p.linear, sy.data(), sx.data()};
    for (const auto &set : calib) {
      auto ref = interp::run(b.g, set);
      REQUIRE(ref);
      std::vector<float> xin = toHwc(set[0]), out(outBytes);
      rp_resize_f32(&fp, xin.data(), out.data());
      std::vector<float> want = toHwc((*ref)[0]);
      float worstF = 0;
      for (size_t i = 0; i < outBytes; ++i)
        worstF = std::max(worstF, std::abs(out[i] - want[i]));
      CHECK(worstF <= 1e-5f);
    }
  }
}

TEST_CASE("Resize rejects what the kernels cannot run", "[runtime][resize]") {
  // Resizing the channels: the interpreter runs it; the int8 build gives a one-line error.
  ResizeCase c{"channels",
               attrs(ir::ResizeMode::Nearest, ir::ResizeCoord::Asymmetric),
               {1, 2, 4, 4},
               {1, 2, 1, 1},
               {}};
  Builder b;
  ir::TensorId y = buildResize(b, c);
  b.g.outputs = {y};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  auto plan = ir::resizeMapPlan(b.g, b.g.nodes[0]);
  REQUIRE(!plan);
  CHECK_THAT(
      plan.error().message(),
      Catch::Matchers::Contains("resize the rows and columns of [1, C, H, W] maps only"));
  auto calib = std::vector<std::vector<ir::TensorData>>{{b.randomInput(0)}};
  auto ranges = calib::calibrate(b.g, calib);
  REQUIRE(ranges);
  auto q = quant::quantize(b.g, *ranges);
  REQUIRE(!q);
  CHECK_THAT(q.error().message(), Catch::Matchers::Contains("node 'resize'"));
}
