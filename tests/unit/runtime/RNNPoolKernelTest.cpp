// The Q15 RNNPool kernel: fixed-point sigmoid/tanh accuracy, fixed vs float interpreter,
// segment reuse == no reuse, region-wise == whole, DSP path == portable path.
#include "tests/unit/runtime/RegionCheck.h"
#include "rp_dspemu.h"

#include <algorithm>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

struct PoolCase {
  const char *name;
  int64_t k, h, w, patchH, patchW, strideH, strideW, h1, h2;
  ir::RnnNonlinearity gate, update;
  int64_t rankW1 = 0;
};

/// Adds one FastGRNN cell's constants (EdgeML orientation, zeta/nu as EdgeML initialises).
void addCell(Builder &b, const std::string &p, int64_t in, int64_t hidden, int64_t rankW,
             std::vector<ir::TensorId> &inputs) {
  float wr = 1.5f / std::sqrt(float(in)), ur = 1.0f / std::sqrt(float(hidden));
  if (rankW > 0) {
    inputs.push_back(b.constant(p + "W1", {in, rankW}, -wr, wr));
    inputs.push_back(b.constant(p + "W2", {rankW, hidden}, -1, 1));
  } else {
    inputs.push_back(b.constant(p + "W", {in, hidden}, -wr, wr));
  }
  inputs.push_back(b.constant(p + "U", {hidden, hidden}, -ur, ur));
  inputs.push_back(b.constant(p + "bz", {1, hidden}, -0.5f, 0.5f));
  inputs.push_back(b.constant(p + "bh", {1, hidden}, -0.5f, 0.5f));
  inputs.push_back(b.constant(p + "zeta", {1, 1}, 0.8f, 1.2f));
  inputs.push_back(b.constant(p + "nu", {1, 1}, -4.2f, -3.8f));
}

quant::QuantizedModel quantizedPool(const PoolCase &c, Builder &b,
                                    std::vector<std::vector<ir::TensorData>> &calib) {
  std::vector<ir::TensorId> inputs{b.input("x", {1, c.k, c.h, c.w})};
  addCell(b, "rnn1_", c.k, c.h1, c.rankW1, inputs);
  addCell(b, "rnn2_", c.h1, c.h2, 0, inputs);
  ir::RNNPoolAttrs a;
  a.patch = {c.patchH, c.patchW};
  a.stride = {c.strideH, c.strideW};
  a.rnn1 = {c.h1, c.rankW1, 0, c.gate, c.update};
  a.rnn2 = {c.h2, 0, 0, c.gate, c.update};
  a.encoding = "node";
  ir::TensorId y = b.node(ir::OpKind::RNNPool, "pool", inputs, a);
  return quantizeBuilt(b, y, calib, 4);
}

const PoolCase kCases[] = {
    {"8x8 stride 4 (overlap), sigmoid/tanh", 4, 16, 20, 8, 8, 4, 4, 8, 8,
     ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh},
    {"4x4 stride 4, quantSigm/quantTanh, k = 3", 3, 12, 12, 4, 4, 4, 4, 6, 5,
     ir::RnnNonlinearity::QuantSigm, ir::RnnNonlinearity::QuantTanh},
    {"3x5 stride 2x3, k = 5, h = 16", 5, 11, 14, 3, 5, 2, 3, 16, 16,
     ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh},
    {"low-rank W1, 6x6 stride 2", 8, 10, 10, 6, 6, 2, 2, 8, 4, ir::RnnNonlinearity::Sigmoid,
     ir::RnnNonlinearity::Tanh, 3},
    {"tanh gate, sigmoid update (the generic path)", 4, 9, 9, 5, 5, 2, 2, 6, 6,
     ir::RnnNonlinearity::Tanh, ir::RnnNonlinearity::Sigmoid},
    {"quantTanh gate, quantSigm update", 4, 9, 9, 5, 5, 4, 4, 6, 6,
     ir::RnnNonlinearity::QuantTanh, ir::RnnNonlinearity::QuantSigm},
    {"8x8 stride 4, k = 16, h = 16 (the paired cells of 16 units)", 16, 16, 20, 8, 8, 4, 4, 16,
     16, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh},
    // Row summaries carried from band to band: four rows of five, one swept per patch row;
    // three of seven swept (an odd count, one left unpaired); patches with gaps between them
    // (nothing carried).
    {"5x5 stride 1, four rows carried", 4, 10, 9, 5, 5, 1, 1, 8, 8,
     ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh},
    {"7x6 stride 3x2, three rows swept per patch row", 4, 16, 13, 7, 6, 3, 2, 8, 8,
     ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh},
    {"4x4 stride 5 (gaps between patches)", 3, 14, 14, 4, 4, 5, 5, 8, 8,
     ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh},
};

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

} // namespace

TEST_CASE("fixed-point sigmoid and tanh are within 1.2e-4 of the real functions",
          "[runtime][rnnpool]") {
  double worstS = 0, worstT = 0;
  for (int32_t x = -70000; x <= 70000; ++x) { // Q12, past the saturation at +-16
    double real = std::clamp(x, -65536, 65536) / 4096.0;
    worstS = std::max(worstS, std::fabs(rp_q15_nonlinearity(RP_NL_SIGMOID, x) / 32768.0 -
                                        sigmoid(real)));
    worstT = std::max(worstT, std::fabs(rp_q15_nonlinearity(RP_NL_TANH, x) / 32768.0 -
                                        std::tanh(real)));
    CHECK(rp_q15_nonlinearity(RP_NL_QUANT_SIGM, x) ==
          std::lround(std::clamp((real + 1) / 2, 0.0, 1.0) * 32768));
    CHECK(rp_q15_nonlinearity(RP_NL_QUANT_TANH, x) ==
          std::lround(std::clamp(real, -1.0, 1.0) * 32768));
  }
  INFO("sigmoid error " << worstS << ", tanh error " << worstT);
  CHECK(worstS < 6.8e-5); // the tables' interpolation and rounding error: 6.7e-5
  CHECK(worstT < 1.2e-4);  // 1.16e-4
}

TEST_CASE("RNNPool kernel: float agreement, segment reuse, regions and DSP path",
          "[runtime][rnnpool]") {
  for (const PoolCase &c : kCases) {
    SECTION(c.name) {
      Builder b;
      std::vector<std::vector<ir::TensorData>> calib;
      quant::QuantizedModel m = quantizedPool(c, b, calib);
      REQUIRE(m.layers.size() == 1);
      const auto &p = std::get<rp_rnnpool_params>(m.layers[0].params);
      const ir::Node &node = m.graph.nodes[0];

      double steps = worstErrorInSteps(b.g, m, calib);
      INFO("fixed vs float: " << steps << " output steps");
      // Half a step of output rounding; the rest is the int8 input's rounding through up to
      // 2 x 8 FastGRNN steps and the Q15 internals (a tanh-like gate widens the state format).
      CHECK(steps <= 2.0);

      // Whole-tensor runs with and without reuse, portable and DSP: identical bytes.
      auto run = [&](bool dsp, int32_t reuse) {
        return [&p, dsp, reuse](const rp_view *i, rp_view *o, const rp_region *r) {
          std::vector<int32_t> scratch(
              rp_rnnpool_scratch_bytes(&p, r->col1 - r->col0, reuse) / 4 + 1, 0x5a5a5a5a);
          if (dsp)
            rp_dspemu_rnnpool_s8(&p, i, o, r, scratch.data(), reuse);
          else
            rp_rnnpool_s8(&p, i, o, r, scratch.data(), reuse);
        };
      };
      Hwc in = hwcOf(m.graph.tensor(node.inputs[0])), out = hwcOf(m.graph.tensor(node.outputs[0]));
      auto input = randomBytes(static_cast<size_t>(in.h * in.w * in.c), 11);
      auto reference = runWhole(run(false, 0), input, in, out);
      CHECK(runWhole(run(false, 1), input, in, out) == reference);
      CHECK(runWhole(run(true, 1), input, in, out) == reference);
      CHECK(runWhole(run(true, 0), input, in, out) == reference);
      checkRegions(run(false, 1), m.graph, node, 12);
      checkRegions(run(true, 1), m.graph, node, 13);

      // Row bands of one patch row over one scratch that carries the row summaries from
      // band to band (RP_RNNPOOL_CONTINUE), as generated code runs them: the same bytes.
      for (bool dsp : {false, true}) {
        std::vector<int8_t> x = input, y(static_cast<size_t>(out.h * out.w * out.c), 0);
        std::vector<int32_t> scratch(rp_rnnpool_scratch_bytes(&p, out.w, 1) / 4 + 1,
                                     0x5a5a5a5a);
        rp_view vi = rp_view_whole(x.data(), in.h, in.w), vo = rp_view_whole(y.data(), out.h, out.w);
        for (int32_t row = 0; row < out.h; ++row) {
          rp_region r = {row, row + 1, 0, out.w};
          int32_t reuse = row == 0 ? 1 : RP_RNNPOOL_CONTINUE;
          if (dsp)
            rp_dspemu_rnnpool_s8(&p, &vi, &vo, &r, scratch.data(), reuse);
          else
            rp_rnnpool_s8(&p, &vi, &vo, &r, scratch.data(), reuse);
        }
        INFO("carried row bands, " << (dsp ? "DSP" : "portable"));
        CHECK(y == reference);
      }

      // The same bands reading their input from a line buffer of patch_h + 1 rows (tensor
      // row y at buffer row y % ring), as the planner's row bands do: the RNN1 segments step
      // through it by pointer and wrap from its last row to its first mid-segment.
      for (bool dsp : {false, true}) {
        const int32_t ring = p.patch_h + 1;
        std::vector<int8_t> buf(static_cast<size_t>(ring * in.w * in.c), 0),
            y(static_cast<size_t>(out.h * out.w * out.c), 0);
        std::vector<int32_t> scratch(rp_rnnpool_scratch_bytes(&p, out.w, 1) / 4 + 1,
                                     0x5a5a5a5a);
        rp_view vi = rp_view_whole(buf.data(), ring, in.w), vo = rp_view_whole(y.data(), out.h, out.w);
        vi.ring_rows = ring;
        for (int32_t row = 0; row < out.h; ++row) {
          for (int32_t r = row * p.stride_h; r < row * p.stride_h + p.patch_h && r < in.h; ++r)
            std::copy_n(input.begin() + static_cast<ptrdiff_t>(r) * in.w * in.c, in.w * in.c,
                        buf.begin() + static_cast<ptrdiff_t>(r % ring) * in.w * in.c);
          rp_region r = {row, row + 1, 0, out.w};
          int32_t reuse = row == 0 ? 1 : RP_RNNPOOL_CONTINUE;
          if (dsp)
            rp_dspemu_rnnpool_s8(&p, &vi, &vo, &r, scratch.data(), reuse);
          else
            rp_rnnpool_s8(&p, &vi, &vo, &r, scratch.data(), reuse);
        }
        INFO("row bands from a line buffer of " << ring << " rows, "
                                                << (dsp ? "DSP" : "portable"));
        CHECK(y == reference);
      }
    }
  }
}

TEST_CASE("RNNPool scratch: reuse carries patch_h - stride_h rows of summaries per region "
          "column",
          "[runtime][rnnpool]") {
  rp_rnnpool_params p{};
  p.patch_h = 8, p.patch_w = 8, p.stride_h = 4, p.rnn1.hidden = 16, p.rnn2.hidden = 16;
  // (4 * 39 + 8 + 8 + 1) * 16 + 2 * 16 int16 values: the carried rows of 39 columns, one
  // patch's row summaries, the column cache and the RNN2 states.
  CHECK(rp_rnnpool_scratch_bytes(&p, 39, 1) == ((4 * 39 + 8 + 8 + 1) * 16 + 32) * 2);
  CHECK(rp_rnnpool_scratch_bytes(&p, 39, 0) == ((8 + 8 + 1) * 16 + 32) * 2);
  // A region of one or two columns keeps a ring of patch_h rows per column instead (no
  // larger than the carry beside a patch's summaries gathered apart).
  CHECK(rp_rnnpool_scratch_bytes(&p, 1, 1) == ((8 + 8 + 1) * 16 + 32) * 2);
  CHECK(rp_rnnpool_scratch_bytes(&p, 2, 1) == ((2 * 8 + 8 + 1) * 16 + 32) * 2);
  CHECK(rp_rnnpool_scratch_bytes(&p, 3, 1) == ((3 * 4 + 8 + 8 + 1) * 16 + 32) * 2);
  // Patches that do not overlap carry nothing.
  p.stride_h = 8;
  CHECK(rp_rnnpool_scratch_bytes(&p, 39, 1) == rp_rnnpool_scratch_bytes(&p, 39, 0));
}
