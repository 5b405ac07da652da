// Helpers of the codegen tests: the committed examples, imported, canonicalised and
// quantised as `rnnpoolc compile` does.
#pragma once

#include "compiler/calib/Calibrate.h"
#include "compiler/passes/Passes.h"
#include "compiler/quant/Quantize.h"
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/TensorIO.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace rnnpoolc::testing {

inline std::string example(const std::string &rel) {
  return std::string(RNNPOOLC_SOURCE_DIR) + "/examples/" + rel;
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
