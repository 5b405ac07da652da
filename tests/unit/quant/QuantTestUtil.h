// Helpers for quantisation and runtime tests: quantising a small built graph with random
// calibration data, comparing fixed-point with float results, and running spatial kernels
// on sub-regions through views that hold only the receptive field.
#pragma once

#include "compiler/calib/Calibrate.h"
#include "compiler/interp/FixedPoint.h"
#include "compiler/passes/Passes.h"
#include "tests/unit/passes/Builder.h"

#include <cmath>

namespace rnnpoolc::testing {

/// Infers shapes, marks `out` as the graph output, calibrates on `sets` random inputs and
/// quantises. The calibration inputs are returned in `calib`.
inline quant::QuantizedModel quantizeBuilt(Builder &b, ir::TensorId out,
                                           std::vector<std::vector<ir::TensorData>> &calib,
                                           int sets = 6) {
  b.g.outputs = {out};
  auto folded = passes::foldConstantsAndInferShapes(b.g);
  INFO((folded ? std::string() : folded.error().message()));
  REQUIRE(folded);
  for (int s = 0; s < sets; ++s) {
    std::vector<ir::TensorData> set;
    for (size_t k = 0; k < b.g.inputs.size(); ++k)
      set.push_back(b.randomInput(k));
    calib.push_back(std::move(set));
  }
  auto ranges = calib::calibrate(b.g, calib);
  INFO((ranges ? std::string() : ranges.error().message()));
  REQUIRE(ranges);
  auto model = quant::quantize(b.g, *ranges);
  INFO((model ? std::string() : model.error().message()));
  REQUIRE(model);
  return std::move(*model);
}

/// The largest |fixed - float| over the first output of every input set, in units of the
/// output's quantisation step.
inline double worstErrorInSteps(const ir::Graph &floatGraph, const quant::QuantizedModel &model,
                                const std::vector<std::vector<ir::TensorData>> &sets) {
  double worst = 0;
  float step = model.graph.tensor(model.graph.outputs[0]).quant->scale[0];
  for (const auto &set : sets) {
    auto ref = interp::run(floatGraph, set);
    REQUIRE(ref);
    auto fixed = interp::runFixedPoint(model, set);
    INFO((fixed ? std::string() : fixed.error().message()));
    REQUIRE(fixed);
    worst = std::max(worst, double(maxAbsDiff((*ref)[0], fixed->dequantized[0])) / step);
  }
  return worst;
}

/// Random int8 bytes.
inline std::vector<int8_t> randomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<int8_t> v(n);
  for (auto &x : v)
    x = static_cast<int8_t>(dist(rng));
  return v;
}

/// A buffer holding rows [y0, y1) x cols [x0, x1) of an HWC tensor of width `width` and
/// `c` channels, copied from the whole tensor, and the view over it.
struct SubView {
  std::vector<int8_t> bytes;
  rp_view view{};
};

inline SubView cutView(const std::vector<int8_t> &whole, int32_t width, int32_t c, int32_t y0,
                       int32_t y1, int32_t x0, int32_t x1) {
  SubView s;
  for (int32_t y = y0; y < y1; ++y)
    for (int32_t x = x0; x < x1; ++x)
      for (int32_t k = 0; k < c; ++k)
        s.bytes.push_back(whole[static_cast<size_t>((y * width + x) * c + k)]);
  s.view = rp_view{s.bytes.data(), y0, x0, y1 - y0, x1 - x0, 0};
  return s;
}

/// Copies a region buffer (rows [y0, y1) x cols [x0, x1)) into a whole HWC tensor.
inline void pasteRegion(std::vector<int8_t> &whole, const SubView &region, int32_t width,
                        int32_t c) {
  const rp_view &v = region.view;
  for (int32_t y = 0; y < v.rows; ++y)
    for (int32_t x = 0; x < v.cols; ++x)
      for (int32_t k = 0; k < c; ++k)
        whole[static_cast<size_t>(((v.row0 + y) * width + v.col0 + x) * c + k)] =
            region.bytes[static_cast<size_t>((y * v.cols + x) * c + k)];
}

} // namespace rnnpoolc::testing
