// Helpers of the codegen tests: the committed examples, imported, canonicalised and
// quantised as `rnnpoolc compile` does.
#pragma once

#include "compiler/calib/Calibrate.h"
#include "compiler/passes/Passes.h"
#include "compiler/quant/Quantize.h"
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/TensorIO.h"
#include "tests/unit/passes/Builder.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace rnnpoolc::testing {

inline std::string example(const std::string &rel) {
  return std::string(RNNPOOLC_SOURCE_DIR) + "/examples/" + rel;
}

/// One inverted residual block: its expansion's channels, and its depthwise conv's window,
/// stride, padding and dilation.
struct InvertedResidual {
  int64_t channels, k, stride, pad, dilation;
};

/// MobileNetV2-style blocks after `x` (of `channels` channels), named b0, b1, ...: a 1x1
/// expansion, the depthwise conv, a 1x1 projection to `project` channels, each conv followed
/// by a ReLU. Returns the last projection's output.
inline ir::TensorId invertedResiduals(Builder &b, ir::TensorId x, int64_t channels,
                                      const std::vector<InvertedResidual> &blocks,
                                      int64_t project) {
  auto conv = [&](const std::string &name, ir::TensorId in, int64_t out, int64_t inC, int64_t k,
                  int64_t stride, int64_t pad, int64_t dil, bool depthwise) {
    ir::ConvAttrs a;
    a.kernel = {k, k}, a.strides = {stride, stride}, a.dilations = {dil, dil};
    a.pads = {pad, pad, pad, pad}, a.group = depthwise ? inC : 1;
    return b.node(ir::OpKind::Relu, name + "_relu",
                  {b.node(ir::OpKind::Conv, name,
                          {in, b.constant(name + "_w", {out, depthwise ? 1 : inC, k, k})}, a)});
  };
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string n = "b" + std::to_string(i);
    const InvertedResidual &r = blocks[i];
    x = conv(n + "_expand", x, r.channels, channels, 1, 1, 0, 1, false);
    x = conv(n + "_dw", x, r.channels, r.channels, r.k, r.stride, r.pad, r.dilation, true);
    x = conv(n + "_project", x, channels = project, r.channels, 1, 1, 0, 1, false);
  }
  return x;
}

/// Quantises a canonical graph calibrated on 8 synthetic input sets, returned in `sets` (the
/// tests run the model on some of them).
inline quant::QuantizedModel
quantizedSynthetic(const ir::Graph &g, std::vector<std::vector<ir::TensorData>> &sets) {
  sets = calib::syntheticInputs(g, 8);
  auto ranges = calib::calibrate(g, sets);
  REQUIRE(ranges);
  auto model = quant::quantize(g, *ranges);
  INFO((model ? std::string() : model.error().message()));
  REQUIRE(model);
  return std::move(*model);
}

/// Imports, canonicalises and quantises a model, calibrated on `calib` (.npy samples), or
/// on synthetic inputs without.
inline quant::QuantizedModel quantized(const std::string &path,
                                       const std::vector<std::string> &calib) {
  auto imported = onnx_frontend::importModel(path);
  REQUIRE(imported);
  ir::Graph g = std::move(imported->graph);
  REQUIRE(passes::canonicalize(g));
  std::vector<std::vector<ir::TensorData>> sets;
  for (const std::string &file : calib) {
    auto value = onnx_frontend::readTensorFile(file);
    REQUIRE(value);
    sets.push_back({*value});
  }
  if (sets.empty())
    sets = calib::syntheticInputs(g, 8);
  auto ranges = calib::calibrate(g, sets);
  REQUIRE(ranges);
  auto model = quant::quantize(g, *ranges);
  REQUIRE(model);
  return std::move(*model);
}

} // namespace rnnpoolc::testing
