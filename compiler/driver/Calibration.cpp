// Quantising a loaded model for the fixed-point paths of `run` and `compile`: calibration
// inputs from --calib files or directories, or synthetic data with a loud warning; none
// for a pre-quantised model whose QDQ nodes give every activation its parameters.
#include "compiler/calib/Calibrate.h"
#include "compiler/driver/Driver.h"
#include "compiler/ir/OpInfo.h"
#include "frontends/onnx/TensorIO.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace rnnpoolc::driver {
namespace {

/// The .npy / .pb files named by `paths`; a directory contributes its files, sorted.
Expected<std::vector<std::string>> calibrationFiles(const std::vector<std::string> &paths) {
  std::vector<std::string> files;
  for (const std::string &path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto &entry : std::filesystem::directory_iterator(path, ec)) {
        std::string ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".npy" || ext == ".pb"))
          found.push_back(entry.path().string());
      }
      if (found.empty())
        return makeError("{}: no .npy or .pb files in the calibration directory", path);
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      return makeError("{}: no such calibration file or directory", path);
    }
  }
  return files;
}

/// Splits a tensor of shape [B, rest...] into B tensors of `shape` = [1, rest...]; a tensor
/// of `shape` itself is one sample.
Expected<std::vector<ir::TensorData>> samples(const ir::TensorData &value, const ir::Shape &shape,
                                              const std::string &file) {
  if (value.shape == shape)
    return std::vector<ir::TensorData>{value};
  bool batched = !shape.empty() && shape[0] == 1 && value.shape.size() == shape.size() &&
                 std::equal(shape.begin() + 1, shape.end(), value.shape.begin() + 1);
  if (!batched || !isFloat(value.dtype))
    return makeError("{}: holds {}[{}], not float32 samples of shape {} (or a batch of them)",
                     file, ir::name(value.dtype), ir::toString(value.shape),
                     ir::toString(shape));
  std::vector<ir::TensorData> out;
  const int64_t per = ir::numel(shape);
  for (int64_t b = 0; b < value.shape[0]; ++b)
    out.push_back(ir::TensorData::fromFloats(
        shape, std::vector<float>(value.f.begin() + b * per, value.f.begin() + (b + 1) * per)));
  return out;
}

} // namespace

Expected<std::vector<std::vector<ir::TensorData>>>
readCalibrationSets(const std::vector<std::string> &paths, const ir::Graph &graph) {
  // Each path feeds the input it names (NAME=FILE|DIR), or, for a model of one input, that
  // input; sample k of every input makes input set k.
  const size_t inputs = graph.inputs.size();
  std::vector<std::vector<std::string>> given(inputs);
  std::string names;
  for (ir::TensorId id : graph.inputs)
    names += (names.empty() ? "'" : ", '") + graph.tensor(id).name + "'";
  for (const std::string &path : paths) {
    const size_t eq = path.find('=');
    size_t which = inputs;
    for (size_t k = 0; eq != std::string::npos && k < inputs; ++k)
      if (graph.tensor(graph.inputs[k]).name == path.substr(0, eq))
        which = k;
    if (which < inputs)
      given[which].push_back(path.substr(eq + 1));
    else if (inputs == 1)
      given[0].push_back(path);
    else
      return makeError("--calib {}: the model has {} inputs ({}); give each its data as "
                       "--calib NAME=FILE|DIR",
                       path, inputs, names);
  }
  std::vector<std::vector<ir::TensorData>> perInput(inputs);
  for (size_t k = 0; k < inputs; ++k) {
    const ir::Tensor &input = graph.tensor(graph.inputs[k]);
    if (given[k].empty())
      return makeError("--calib gives no data for input '{}'; give each input its data as "
                       "--calib NAME=FILE|DIR",
                       input.name);
    auto files = calibrationFiles(given[k]);
    if (!files)
      return files.error();
    for (const std::string &file : *files) {
      auto value = onnx_frontend::readTensorFile(file);
      if (!value)
        return makeError("{}: {}", file, value.error().message());
      if (std::any_of(value->f.begin(), value->f.end(),
                      [](float v) { return !std::isfinite(v); }))
        return makeError("{}: holds NaN or infinite values; calibration needs the finite "
                         "inputs the model will see",
                         file);
      auto split = samples(*value, input.shape, file);
      if (!split)
        return split.error();
      for (auto &sample : *split)
        perInput[k].push_back(std::move(sample));
    }
    if (perInput[k].size() != perInput[0].size())
      return makeError("--calib gives {} samples of input '{}' but {} of '{}'; each input "
                       "needs one per calibration set",
                       perInput[k].size(), input.name, perInput[0].size(),
                       graph.tensor(graph.inputs[0]).name);
  }
  std::vector<std::vector<ir::TensorData>> sets(inputs ? perInput[0].size() : 0);
  for (size_t s = 0; s < sets.size(); ++s)
    for (size_t k = 0; k < inputs; ++k)
      sets[s].push_back(std::move(perInput[k][s]));
  return sets;
}

Expected<double> parseCalibPercentile(const std::string &text) {
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v > 50) || v > 100)
    return makeError("--calib-percentile wants a percentage above 50 and at most 100, such as "
                     "99.99, not '{}'",
                     text);
  return v;
}

Expected<quant::QuantizedModel> quantizeLoaded(const LoadedModel &model,
                                               const std::vector<std::string> &calib,
                                               double percentile) {
  // What quant::quantize rejects anyway, said before calibration runs the model many times.
  if (auto weights = ir::checkConstantWeights(model.graph); !weights)
    return makeError("{}: {}", model.path, weights.error().message());
  for (ir::TensorId id : model.graph.inputs) {
    const ir::Tensor &t = model.graph.tensor(id);
    if (!ir::isFloat(t.dtype))
      return makeError("{}: graph input '{}' is {}; the fixed-point backend takes float inputs",
                       model.path, t.name, ir::name(t.dtype));
    if (t.shape.empty() || t.shape[0] != 1)
      return makeError("{}: graph input '{}' has shape {}; the fixed-point backend runs batch "
                       "1 (export the model with batch 1)",
                       model.path, t.name, ir::toString(t.shape));
  }
  auto needed = quant::needsCalibration(model.graph);
  if (!needed)
    return makeError("{}: {}", model.path, needed.error().message());
  std::vector<std::vector<ir::TensorData>> sets;
  if (calib.empty() && !*needed) {
    // A pre-quantised model gives every activation its parameters: nothing to calibrate.
  } else if (calib.empty()) {
    std::fputs("warning: ==================================================================\n"
               "warning: no --calib data: quantising with SYNTHETIC random inputs in [-1, 1].\n"
               "warning: Activation ranges may not match real data and accuracy may suffer;\n"
               "warning: pass representative inputs with --calib FILE|DIR.\n"
               "warning: ==================================================================\n",
               stderr);
    sets = calib::syntheticInputs(model.graph, 16);
  } else {
    auto read = readCalibrationSets(calib, model.graph);
    if (!read)
      return read.error();
    sets = std::move(*read);
  }
  quant::Ranges ranges;
  if (!sets.empty()) {
    TerminalProgress progress("calibrating");
    calib::CalibrationOptions options;
    options.progress = progress.callback();
    if (percentile > 0) {
      options.method = calib::CalibrationOptions::Method::Percentile;
      options.percentile = percentile;
    }
    auto calibrated = calib::calibrate(model.graph, sets, options);
    progress.finish();
    if (!calibrated)
      return makeError("{}: calibration: {}", model.path, calibrated.error().message());
    ranges = std::move(*calibrated);
  }
  auto quantized = quant::quantize(model.graph, ranges);
  if (!quantized) {
    // A missing kernel: say whether the float build would do instead.
    const std::string &message = quantized.error().message();
    std::string hint;
    if (message.find("no fixed-point kernel") != std::string::npos &&
        message.find("--float") == std::string::npos)
      for (const ir::Node &node : model.graph.nodes)
        if (message.starts_with("node '" + node.name + "' ("))
          hint = floatBuildHint(model.graph, node.name);
    return makeError("{}: {}{}", model.path, message, hint);
  }
  return quantized;
}

} // namespace rnnpoolc::driver
