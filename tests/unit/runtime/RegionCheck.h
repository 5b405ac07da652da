// Region-wise execution checks for spatial kernels: the output computed tile by tile, each
// tile from a buffer holding only its receptive field (ir::inputRegion), must equal the
// whole-tensor output byte for byte.
#pragma once

#include "tests/unit/quant/QuantTestUtil.h"

#include "compiler/ir/OpInfo.h"

namespace rnnpoolc::testing {

using SpatialKernel = std::function<void(const rp_view *, rp_view *, const rp_region *)>;

/// Shapes (H, W, C) of input 0 and output 0 of a node.
struct Hwc {
  int32_t h, w, c;
};
inline Hwc hwcOf(const ir::Tensor &t) {
  return {static_cast<int32_t>(t.shape[2]), static_cast<int32_t>(t.shape[3]),
          static_cast<int32_t>(t.shape[1])};
}

/// The whole output of `kernel` on `input` (HWC bytes).
inline std::vector<int8_t> runWhole(const SpatialKernel &kernel, std::vector<int8_t> input,
                                    Hwc in, Hwc out) {
  std::vector<int8_t> y(static_cast<size_t>(out.h * out.w * out.c), 0);
  rp_view vi = rp_view_whole(input.data(), in.h, in.w), vo = rp_view_whole(y.data(), out.h, out.w);
  rp_region r = rp_region_whole(out.h, out.w);
  kernel(&vi, &vo, &r);
  return y;
}

/// The output assembled from tiles of tileRows x tileCols output pixels. `inPlace`: each
/// tile's output view lies over the same memory as its input view, both starting at its
/// first byte (how a plan puts a Pad's output over its input buffer; plan::padInPlace).
inline std::vector<int8_t> runTiled(const SpatialKernel &kernel, const ir::Graph &graph,
                                    const ir::Node &node, const std::vector<int8_t> &input,
                                    int32_t tileRows, int32_t tileCols, bool inPlace = false) {
  Hwc in = hwcOf(graph.tensor(node.inputs[0])), out = hwcOf(graph.tensor(node.outputs[0]));
  std::vector<int8_t> y(static_cast<size_t>(out.h * out.w * out.c), 0x55);
  for (int32_t r0 = 0; r0 < out.h; r0 += tileRows)
    for (int32_t c0 = 0; c0 < out.w; c0 += tileCols) {
      int32_t r1 = std::min(out.h, r0 + tileRows), c1 = std::min(out.w, c0 + tileCols);
      ir::Region field = ir::inputRegion(graph, node, 0, {r0, r1, c0, c1});
      SubView src = cutView(input, in.w, in.c, static_cast<int32_t>(field.row0),
                            static_cast<int32_t>(field.row1), static_cast<int32_t>(field.col0),
                            static_cast<int32_t>(field.col1));
      SubView dst;
      dst.bytes.assign(static_cast<size_t>((r1 - r0) * (c1 - c0) * out.c), 0);
      if (inPlace) {
        dst.bytes.resize(std::max(dst.bytes.size(), src.bytes.size()));
        std::copy(src.bytes.begin(), src.bytes.end(), dst.bytes.begin());
        src.view.data = dst.bytes.data();
      }
      dst.view = rp_view{dst.bytes.data(), r0, c0, r1 - r0, c1 - c0, 0};
      rp_region region{r0, r1, c0, c1};
      kernel(&src.view, &dst.view, &region);
      pasteRegion(y, dst, out.w, out.c);
    }
  return y;
}

/// Whole == tiled for several tile sizes, on random input bytes.
inline void checkRegions(const SpatialKernel &kernel, const ir::Graph &graph,
                         const ir::Node &node, uint32_t seed) {
  Hwc in = hwcOf(graph.tensor(node.inputs[0])), out = hwcOf(graph.tensor(node.outputs[0]));
  auto input = randomBytes(static_cast<size_t>(in.h * in.w * in.c), seed);
  auto whole = runWhole(kernel, input, in, out);
  for (auto [tr, tc] : {std::pair{1, 1}, {2, 3}, {3, 2}, {out.h, 1}, {1, out.w}}) {
    INFO("tile " << tr << "x" << tc);
    CHECK(runTiled(kernel, graph, node, input, tr, tc) == whole);
  }
}

} // namespace rnnpoolc::testing
