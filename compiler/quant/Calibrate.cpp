// Calibration: runs the float interpreter over sample inputs and records each tensor's
// range; the arithmetic that turns ranges and real factors into int8 parameters and Q31
// multipliers.
#include "compiler/interp/Interpreter.h"
#include "compiler/quant/QuantInternal.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace rnnpoolc::quant {

AffineParams chooseParams(Range range) {
  // The range always holds 0 so that zero (padding, ReLU's floor) is exact.
  double lo = std::min(0.0, static_cast<double>(range.min));
  double hi = std::max(0.0, static_cast<double>(range.max));
  if (!(hi - lo > 1e-12))
    return {1.0f / 256, -128}; // a constant-zero tensor: any scale represents it
  double scale = (hi - lo) / 255.0;
  double zp = std::round(-128.0 - lo / scale);
  return {static_cast<float>(scale), static_cast<int32_t>(std::clamp(zp, -128.0, 127.0))};
}

Multiplier quantizeMultiplier(double real) {
  if (!(real > 0))
    return {0, 0};
  int exponent = 0;
  double fraction = std::frexp(real, &exponent); // real = fraction * 2^exponent, [0.5, 1)
  auto mult = static_cast<int64_t>(std::llround(fraction * 2147483648.0));
  if (mult == (int64_t{1} << 31)) { // rounding reached 1.0
    mult /= 2;
    ++exponent;
  }
  // rp_requantize shifts right by 31 - shift, which must stay within [1, 62].
  if (exponent > 30)
    return {INT32_MAX, 30};
  if (exponent < -31)
    return {0, 0}; // below 2^-32: every int32 input rounds to 0 or saturates nowhere
  return {static_cast<int32_t>(mult), exponent};
}

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

  Range range(const CalibrationOptions &options) {
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

Expected<Ranges> calibrate(const ir::Graph &original,
                           const std::vector<std::vector<ir::TensorData>> &inputs,
                           const CalibrationOptions &options) {
  if (inputs.empty())
    return makeError("calibration needs at least one input set");
  ir::Graph graph = original;
  RNNPOOLC_TRY(prepareGraph(graph));
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
  Ranges ranges;
  for (auto &[name, obs] : seen)
    ranges[name] = obs.range(options);
  return ranges;
}

std::vector<std::vector<ir::TensorData>> syntheticInputs(const ir::Graph &graph, int count,
                                                         uint32_t seed) {
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

} // namespace rnnpoolc::quant
