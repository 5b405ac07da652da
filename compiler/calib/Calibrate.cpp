// Calibration: runs the float interpreter over sample inputs and records each tensor's
// range, for the quantiser.
#include "compiler/calib/Calibrate.h"

#include "compiler/interp/Interpreter.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace rnnpoolc::calib {
namespace {

/// Accumulates the values of one tensor across calibration runs.
struct Observation {
  float min = 0, max = 0;
  bool seen = false;
  std::vector<float> values; ///< kept only for the percentile method

  void add(const ir::TensorData &value, bool keep) {
    for (float v : value.f) {
      if (!std::isfinite(v))
        continue;
      min = seen ? std::min(min, v) : v;
      max = seen ? std::max(max, v) : v;
      seen = true;
    }
    if (keep)
      values.insert(values.end(), value.f.begin(), value.f.end());
  }

  quant::Range range(const CalibrationOptions &options) {
    if (options.method == CalibrationOptions::Method::MinMax || values.empty())
      return {min, max};
    std::sort(values.begin(), values.end());
    double keep = std::clamp(options.percentile, 50.0, 100.0) / 100.0;
    auto at = [&](double q) {
      auto i = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
      return values[std::min(i, values.size() - 1)];
    };
    return {at(1.0 - keep), at(keep)};
  }
};

} // namespace

Expected<quant::Ranges> calibrate(const ir::Graph &original,
                           const std::vector<std::vector<ir::TensorData>> &inputs,
                           const CalibrationOptions &options) {
  if (inputs.empty())
    return makeError("calibration needs at least one input set");
  ir::Graph graph = original;
  RNNPOOLC_TRY(quant::prepareGraph(graph));
  bool keep = options.method == CalibrationOptions::Method::Percentile;
  std::map<std::string, Observation> seen;
  size_t done = 0;
  for (const auto &set : inputs) {
    for (size_t i = 0; i < set.size() && i < graph.inputs.size(); ++i)
      if (isFloat(set[i].dtype))
        seen[graph.tensor(graph.inputs[i]).name].add(set[i], keep);
    auto observer = [&](const ir::Node &node, std::span<const ir::TensorData> outputs) {
      for (size_t k = 0; k < outputs.size() && k < node.outputs.size(); ++k)
        if (isFloat(outputs[k].dtype))
          seen[graph.tensor(node.outputs[k]).name].add(outputs[k], keep);
    };
    auto result = interp::run(graph, set, observer);
    if (!result)
      return result.error();
    if (options.progress)
      options.progress(++done, inputs.size());
  }
  quant::Ranges ranges;
  for (auto &[name, obs] : seen)
    ranges[name] = obs.range(options);
  return ranges;
}

std::vector<std::vector<ir::TensorData>> syntheticInputs(const ir::Graph &graph, int count,
                                                         uint32_t seed) {
  // Values per set: of the inputs (held for every set at once), and of every tensor the
  // interpreter computes and calibration observes.
  int64_t inputs = 0, computed = 0;
  for (ir::TensorId id : graph.inputs)
    inputs += ir::numel(graph.tensor(id).shape);
  for (const ir::Node &node : graph.nodes)
    for (ir::TensorId id : node.outputs)
      if (id != ir::kNoTensor)
        computed += ir::checkedNumel(graph.tensor(id).shape).value_or(0);
  const int64_t fit = std::min(kSyntheticValues / std::max<int64_t>(inputs, 1),
                               kSyntheticWork / std::max<int64_t>(inputs + computed, 1));
  count = static_cast<int>(std::clamp<int64_t>(fit, 1, count));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<std::vector<ir::TensorData>> sets;
  for (int s = 0; s < count; ++s) {
    std::vector<ir::TensorData> set;
    for (ir::TensorId id : graph.inputs) {
      const ir::Tensor &t = graph.tensor(id);
      ir::TensorData value = ir::TensorData::zeros(t.dtype, t.shape);
      for (float &v : value.f)
        v = dist(rng);
      set.push_back(std::move(value));
    }
    sets.push_back(std::move(set));
  }
  return sets;
}

} // namespace rnnpoolc::calib
