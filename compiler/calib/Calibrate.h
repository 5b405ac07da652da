// Calibration: the float interpreter over sample inputs records the range of every float
// tensor, which quant::quantize() turns into int8 parameters. It sits between the two
// (calib -> interp, calib -> quant) so that the quantiser does not depend on the
// interpreter, and the fixed-point interpreter (interp/FixedPoint) can depend on the
// quantiser.
#pragma once

#include "compiler/quant/Quantize.h"

namespace rnnpoolc::calib {

struct CalibrationOptions {
  enum class Method { MinMax, Percentile };
  Method method = Method::MinMax;
  /// Method::Percentile: the range keeps this share of each tensor's values (per side).
  double percentile = 99.99;
  /// Told after each input set (optional).
  ProgressFn progress;
};

/// Runs the float interpreter on every input set (each in graph.inputs order) and records
/// the range of every float tensor: graph inputs and every node output.
Expected<quant::Ranges> calibrate(const ir::Graph &graph,
                           const std::vector<std::vector<ir::TensorData>> &inputs,
                           const CalibrationOptions &options = {});

/// The most values syntheticInputs makes in all (64 MB of float32).
inline constexpr int64_t kSyntheticValues = int64_t{1} << 24;
/// The most values calibration on synthetic sets computes, over all the sets' runs (16 runs
/// of MobileNetV2 at 224x224 compute about 10^8).
inline constexpr int64_t kSyntheticWork = int64_t{1} << 28;

/// `count` deterministic pseudo-random input sets, uniform in [-1, 1], or fewer (at least
/// one) where that many would pass kSyntheticValues or kSyntheticWork: a 15-million-value
/// input gets one set, not 16 (1 GB and seconds of random numbers), and so does a chain of
/// 3,000 Relu / Neg over 89,000-value maps (25 s of calibration before). Callers must warn
/// loudly: ranges from synthetic data may not match real data.
std::vector<std::vector<ir::TensorData>> syntheticInputs(const ir::Graph &graph, int count,
                                                         uint32_t seed = 1);

} // namespace rnnpoolc::calib
