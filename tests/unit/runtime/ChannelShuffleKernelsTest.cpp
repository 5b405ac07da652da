// ShuffleNet's channel shuffle kernels (rp_channel_shuffle_s8, rp_channel_shuffle_f32)
// against a plain reference loop over every (channels, groups) pair of a few sizes, g = 1
// and g = C included; and the ChannelShuffle node through the quantiser: its layer, its
// params, the output sharing the input's parameters, and the fixed-point answer within the
// input's rounding of the float interpreter's.
#include "tests/unit/runtime/RegionCheck.h"

#include "compiler/quant/Kernels.h"
#include "runtime/rnnpoolc_runtime_f32.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

/// The value output channel `o` of a pixel reads: output channel i * g + j is input
/// channel j * (C / g) + i, written from the definition by reshapes and a transpose.
int32_t shuffledFrom(int32_t o, int32_t channels, int32_t groups) {
  const int32_t i = o / groups, j = o % groups;
  return j * (channels / groups) + i;
}

} // namespace

TEST_CASE("rp_channel_shuffle_s8 and _f32 permute the channels of each pixel",
          "[runtime][shuffle]") {
  for (int32_t channels : {1, 2, 6, 15, 24, 30}) {
    for (int32_t groups = 1; groups <= channels; ++groups) {
      if (channels % groups != 0)
        continue;
      for (int32_t pixels : {1, 7}) {
        INFO("channels " << channels << ", groups " << groups << ", pixels " << pixels);
        const auto n = static_cast<size_t>(channels * pixels);
        std::vector<int8_t> in = randomBytes(n, 11);
        std::vector<int8_t> out(n + 1, 0x5a); // one guard byte past the end
        rp_channel_shuffle_params p{channels, groups};
        rp_channel_shuffle_s8(&p, in.data(), out.data(), pixels);
        std::vector<float> fin(n), fout(n + 1, -7.5f);
        for (size_t k = 0; k < n; ++k)
          fin[k] = 0.25f * static_cast<float>(in[k]) + 0.125f;
        rp_channel_shuffle_f32_params pf{pixels, channels, groups};
        rp_channel_shuffle_f32(&pf, fin.data(), fout.data());
        for (int32_t px = 0; px < pixels; ++px)
          for (int32_t o = 0; o < channels; ++o) {
            const size_t at = static_cast<size_t>(px * channels + o);
            const size_t from =
                static_cast<size_t>(px * channels + shuffledFrom(o, channels, groups));
            REQUIRE(out[at] == in[from]);
            REQUIRE(fout[at] == fin[from]);
          }
        CHECK(out[n] == 0x5a);
        CHECK(fout[n] == -7.5f);
        if (groups == 1 || groups == channels) { // both are the identity
          CHECK(std::equal(in.begin(), in.end(), out.begin()));
        }
      }
    }
  }
}

TEST_CASE("a ChannelShuffle node quantises to the byte-moving kernel", "[runtime][shuffle]") {
  for (int64_t groups : {1, 3, 5, 15}) {
    INFO("groups " << groups);
    Builder b;
    ir::TensorId x = b.input("x", {1, 15, 3, 5});
    ir::TensorId y =
        b.node(ir::OpKind::ChannelShuffle, "shuffle", {x}, ir::ChannelShuffleAttrs{groups});
    std::vector<std::vector<ir::TensorData>> calib;
    quant::QuantizedModel m = quantizeBuilt(b, y, calib);
    REQUIRE(m.layers.size() == 1);
    REQUIRE(m.layers[0].kind == quant::KernelKind::ChannelShuffle);
    const auto &p = std::get<rp_channel_shuffle_params>(m.layers[0].params);
    CHECK(p.channels == 15);
    CHECK(p.groups == groups);
    CHECK(quant::pixelChannels(m.layers[0]) == 15);
    const ir::Graph &g = m.graph;
    CHECK(g.tensor(g.nodes[0].outputs[0]).quant->scale == g.tensor(g.inputs[0]).quant->scale);
    CHECK(g.tensor(g.nodes[0].outputs[0]).quant->zeroPoint ==
          g.tensor(g.inputs[0]).quant->zeroPoint);
    CHECK(worstErrorInSteps(b.g, m, calib) <= 0.5 + 1e-4); // the input's rounding only
  }
}
