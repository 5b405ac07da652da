// The kernels of runtime/rp_shape.c and rp_reduce.c: edge and reflect padding (index rule
// against numpy.pad, tile by tile), strided channel slices, transposes (relabelled or
// copied), reductions over channels and elementwise max / min. Each runs through a small
// graph quantised on random data and is compared with the float interpreter.
#include "tests/unit/runtime/RegionCheck.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

/// Quantises b's graph with output y; returns the model and its worst error in steps.
quant::QuantizedModel quantizeOne(Builder &b, ir::TensorId y, double *steps) {
  std::vector<std::vector<ir::TensorData>> calib;
  quant::QuantizedModel m = quantizeBuilt(b, y, calib);
  *steps = worstErrorInSteps(b.g, m, calib);
  return m;
}

} // namespace

TEST_CASE("rp_pad_source follows numpy.pad's edge and reflect", "[runtime][pad]") {
  // numpy.pad(numpy.arange(4), 7, mode) for i = -7 .. 10.
  const int32_t reflect[] = {1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2};
  const int32_t edge[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  for (int32_t i = -7; i <= 10; ++i) {
    CHECK(rp_pad_source(i, 4, RP_PAD_REFLECT) == reflect[i + 7]);
    CHECK(rp_pad_source(i, 4, RP_PAD_EDGE) == edge[i + 7]);
    CHECK(rp_pad_source(i, 4, RP_PAD_CONSTANT) == (i >= 0 && i < 4 ? i : -1));
    CHECK(rp_pad_source(i, 1, RP_PAD_REFLECT) == 0);
  }
}

TEST_CASE("the compiler's pad rule is the runtime's", "[runtime][pad]") {
  // ir::padSource serves the interpreter and the plan executor; rp_pad_source the C.
  const std::pair<ir::PadMode, int32_t> modes[] = {{ir::PadMode::Constant, RP_PAD_CONSTANT},
                                                   {ir::PadMode::Edge, RP_PAD_EDGE},
                                                   {ir::PadMode::Reflect, RP_PAD_REFLECT}};
  for (auto [mode, rpMode] : modes)
    for (int32_t n = 1; n <= 6; ++n)
      for (int32_t i = -4 * n; i <= 5 * n; ++i) {
        INFO("mode " << rpMode << " n " << n << " i " << i);
        CHECK(ir::padSource(mode, i, n) == rp_pad_source(i, n, rpMode));
      }
}

TEST_CASE("padding: float agreement, tiles, and in place for constant and edge",
          "[runtime][pad]") {
  // Constant padding has its own kernel (rp_pad_s8), the modes theirs (rp_pad_mode_s8). The
  // planner may put a constant or edge Pad's output over its input (plan::padInPlace): the
  // kernels write the last pixel first, so a tile computed over its own receptive field, in
  // the same memory, equals the whole.
  for (ir::PadMode mode : {ir::PadMode::Constant, ir::PadMode::Edge, ir::PadMode::Reflect}) {
    INFO("mode " << static_cast<int>(mode));
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 5, 6});
    ir::TensorId y = b.node(ir::OpKind::Pad, "pad",
                            {x, b.ints("pads", {0, 0, 1, 2, 0, 0, 3, 1})}, ir::PadAttrs{mode});
    double steps = 0;
    quant::QuantizedModel m = quantizeOne(b, y, &steps);
    CHECK(steps <= 0.5 + 1e-4); // bytes copied: only the input's rounding
    SpatialKernel kernel;
    if (mode == ir::PadMode::Constant) {
      REQUIRE(m.layers[0].kind == quant::KernelKind::Pad);
      const auto &p = std::get<rp_pad_params>(m.layers[0].params);
      CHECK((p.out_h == 9 && p.out_w == 9 && p.pad_top == 1 && p.pad_left == 2));
      kernel = [&p](const rp_view *i, rp_view *o, const rp_region *r) { rp_pad_s8(&p, i, o, r); };
    } else {
      REQUIRE(m.layers[0].kind == quant::KernelKind::PadMode);
      const auto &p = std::get<rp_pad_mode_params>(m.layers[0].params);
      CHECK((p.out_h == 9 && p.out_w == 9 && p.pad_top == 1 && p.pad_left == 2));
      kernel = [&p](const rp_view *i, rp_view *o, const rp_region *r) {
        rp_pad_mode_s8(&p, i, o, r);
      };
    }
    const ir::Node &node = m.graph.nodes[0];
    checkRegions(kernel, m.graph, node, 5);
    if (mode == ir::PadMode::Reflect)
      continue; // (reads pixels after the one it writes: never in place)
    auto input = randomBytes(5 * 6 * 3, 11);
    auto whole = runWhole(kernel, input, {5, 6, 3}, {9, 9, 3});
    for (auto [tr, tc] : {std::pair{9, 9}, {1, 1}, {2, 3}, {3, 4}, {9, 1}, {1, 9}}) {
      INFO("in place, tile " << tr << "x" << tc);
      CHECK(runTiled(kernel, m.graph, node, input, tr, tc, /*inPlace=*/true) == whole);
    }
  }
}

TEST_CASE("padding: a one-row ring over its input's first row, written first pixel first",
          "[runtime][pad]") {
  // plan::Builder::padOverInput: the Pad's output ring ends where its input's row 0 ends, so
  // output row 0 lies over that row shifted down by the columns added; every pixel's source
  // then lies at or after it, and the kernels must take the pixels first first. The later
  // rows come from input rows above the ring.
  for (ir::PadMode mode : {ir::PadMode::Constant, ir::PadMode::Edge})
    for (auto [left, right] : {std::pair{0, 1}, {1, 1}, {2, 0}, {3, 2}}) {
      INFO("mode " << static_cast<int>(mode) << " pads left " << left << " right " << right);
      Builder b;
      ir::TensorId x = b.input("x", {1, 3, 4, 5});
      ir::TensorId y =
          b.node(ir::OpKind::Pad, "pad", {x, b.ints("pads", {0, 0, 0, left, 0, 0, 2, right})},
                 ir::PadAttrs{mode});
      double steps = 0;
      quant::QuantizedModel m = quantizeOne(b, y, &steps);
      SpatialKernel kernel;
      if (mode == ir::PadMode::Constant) {
        const auto p = std::get<rp_pad_params>(m.layers[0].params);
        kernel = [p](const rp_view *i, rp_view *o, const rp_region *r) {
          rp_pad_s8(&p, i, o, r);
        };
      } else {
        const auto p = std::get<rp_pad_mode_params>(m.layers[0].params);
        kernel = [p](const rp_view *i, rp_view *o, const rp_region *r) {
          rp_pad_mode_s8(&p, i, o, r);
        };
      }
      const int32_t h = 4, w = 5, c = 3, outH = 6, outW = w + left + right;
      const auto input = randomBytes(static_cast<size_t>(h * w * c), 5);
      const auto whole = runWhole(kernel, input, {h, w, c}, {outH, outW, c});
      const int32_t below = (left + right) * c; // the ring's bytes below the input
      std::vector<int8_t> arena(static_cast<size_t>(below + h * w * c));
      std::copy(input.begin(), input.end(), arena.begin() + below);
      rp_view in = rp_view_whole(arena.data() + below, h, w);
      rp_view ring = rp_view_whole(arena.data(), 1, outW);
      ring.ring_rows = 1;
      for (int32_t row = 0; row < outH; ++row) {
        INFO("output row " << row);
        rp_region r{row, row + 1, 0, outW};
        kernel(&in, &ring, &r);
        const auto want = whole.begin() + row * outW * c;
        CHECK(std::equal(want, want + outW * c, arena.begin()));
      }
    }
}

TEST_CASE("channel slices with a step copy the chosen channels", "[runtime][slice]") {
  for (int64_t step : {2, 3, -2}) {
    INFO("step " << step);
    Builder b;
    ir::TensorId x = b.input("x", {1, 9, 3, 4});
    ir::TensorId y =
        b.node(ir::OpKind::Slice, "slice",
               {x, b.ints("st", {step > 0 ? 1 : -1}), b.ints("en", {step > 0 ? 9 : -100}),
                b.ints("ax", {1}), b.ints("sp", {step})});
    double steps = 0;
    quant::QuantizedModel m = quantizeOne(b, y, &steps);
    REQUIRE(m.layers[0].kind == quant::KernelKind::ChannelStep);
    CHECK(steps <= 0.5 + 1e-4);
    const auto &p = std::get<rp_channel_step_params>(m.layers[0].params);
    auto in = randomBytes(12 * 9, 3);
    std::vector<int8_t> out(static_cast<size_t>(12 * p.channels));
    rp_channel_step_s8(&p, in.data(), out.data(), 12);
    int64_t first = step > 0 ? 1 : 8;
    for (size_t px = 0; px < 12; ++px)
      for (int32_t c = 0; c < p.channels; ++c)
        REQUIRE(out[px * p.channels + c] == in[px * 9 + first + c * step]);
  }
}

TEST_CASE("NCHW -> NHWC of a map is a relabelling; other transposes copy",
          "[runtime][transpose]") {
  // ReLU, NHWC and a reshape of the HWC bytes: the transpose becomes a reshape that moves
  // no byte. Also for a map of one row (a detector head's [1, A, 1, W] on the last,
  // smallest map), whose NHWC [1, 1, W, A] is a map of one channel with the input's HWC
  // bytes; before, that relabelling reshape was refused as one feature map reshaped into
  // another.
  for (const ir::Shape &shape : {ir::Shape{1, 4, 3, 5}, ir::Shape{1, 4, 1, 5}}) {
    INFO("input " << ir::toString(shape));
    Builder b;
    ir::TensorId x = b.input("x", shape);
    ir::TensorId r = b.node(ir::OpKind::Relu, "relu", {x});
    ir::TensorId t = b.node(ir::OpKind::Transpose, "t", {r}, ir::TransposeAttrs{{0, 2, 3, 1}});
    ir::TensorId y = b.node(ir::OpKind::Reshape, "flat", {t, b.ints("shape", {1, -1, 2})});
    double steps = 0;
    quant::QuantizedModel m = quantizeOne(b, y, &steps);
    CHECK(m.graph.nodes[1].op == ir::OpKind::Reshape);
    CHECK(m.layers[1].kind == quant::KernelKind::Alias);
    CHECK(steps <= 0.5 + 0.5 * 2 + 1e-4); // the ReLU table and the input's rounding
  }
  for (ir::Ints perm : {ir::Ints{0, 1, 3, 2}, ir::Ints{0, 3, 1, 2}}) {
    Builder b;
    ir::TensorId x = b.input("x", {1, 4, 3, 5});
    ir::TensorId y = b.node(ir::OpKind::Transpose, "t", {x}, ir::TransposeAttrs{perm});
    double steps = 0;
    quant::QuantizedModel m = quantizeOne(b, y, &steps);
    CHECK(m.layers[0].kind == quant::KernelKind::Permute);
    CHECK(steps <= 0.5 + 1e-4);
  }
}

TEST_CASE("reductions over channels and elementwise max / min", "[runtime][reduce]") {
  for (ir::OpKind op : {ir::OpKind::ReduceMax, ir::OpKind::ReduceMin, ir::OpKind::ReduceMean}) {
    INFO(ir::opName(op));
    Builder b;
    ir::TensorId x = b.input("x", {1, 7, 4, 5});
    ir::TensorId y = b.node(op, "red", {x, b.ints("axes", {1})});
    double steps = 0;
    quant::QuantizedModel m = quantizeOne(b, y, &steps);
    const auto &p = std::get<rp_reduce_channels_params>(m.layers[0].params);
    CHECK(p.channels == 7);
    // Max / min pick an input byte (the output has the input's step); the mean rounds
    // once more, and the input's rounding averages over at most 0.5 input steps.
    const double ratio = m.graph.tensor(m.graph.inputs[0]).quant->scale[0] /
                         m.graph.tensor(m.graph.outputs[0]).quant->scale[0];
    CHECK(steps <= (op == ir::OpKind::ReduceMean ? 0.5 + 0.5 * ratio : 0.5) + 1e-3);
  }
  for (ir::OpKind op : {ir::OpKind::Max, ir::OpKind::Min}) {
    INFO(ir::opName(op));
    Builder b;
    ir::TensorId a = b.input("a", {1, 3, 4, 5}), c = b.input("c", {1, 3, 4, 5});
    ir::TensorId big = b.node(ir::OpKind::Mul, "big", {c, b.constant("k", {1}, 3.0f, 3.0f)});
    ir::TensorId y = b.node(op, "mm", {a, big});
    double steps = 0;
    quant::QuantizedModel m = quantizeOne(b, y, &steps);
    REQUIRE(m.layers[1].kind == quant::KernelKind::MinMax);
    // Each input: its own rounding (at most 0.5 of its step, a share of the output's) and
    // the table's one rounding to the output grid.
    CHECK(steps <= 0.5 + 0.5 + 0.5 * 3 + 1e-3);
  }
}
