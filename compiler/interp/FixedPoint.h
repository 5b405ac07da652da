// The host fixed-point interpreter: executes a quantised model by calling the runtime/ C
// kernels themselves, so its int8 outputs are the bit-exact oracle for generated code.
#pragma once

#include "compiler/quant/Quantize.h"

#include <functional>

namespace rnnpoolc::interp {

struct FixedPointResult {
  std::vector<ir::TensorData> quantized;   ///< Int8 outputs, logical (NCHW) order
  std::vector<ir::TensorData> dequantized; ///< the same, as float32
};

/// Called after each layer with the node index and its output's bytes in runtime layout
/// (e.g. to compare intermediate buffers with a target's arena).
using FixedPointObserver = std::function<void(size_t node, const std::vector<int8_t> &bytes)>;

/// Quantises the float `inputs` (graph.inputs order, logical NCHW) with the input tensors'
/// parameters, runs every layer, and returns the outputs. Inputs of the wrong shape or
/// dtype give an error.
Expected<FixedPointResult> runFixedPoint(const quant::QuantizedModel &model,
                                         const std::vector<ir::TensorData> &inputs,
                                         const FixedPointObserver &observer = nullptr);

/// Converts a logical NCHW int8 tensor to the runtime's memory layout (HWC for rank 4) and
/// back; other ranks are unchanged.
std::vector<int8_t> toRuntimeLayout(const ir::TensorData &value);
ir::TensorData fromRuntimeLayout(const std::vector<int8_t> &bytes, const ir::Shape &shape);

} // namespace rnnpoolc::interp
