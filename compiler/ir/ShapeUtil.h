// Shape arithmetic shared by shape inference, the interpreter and the planner.
#pragma once

#include "compiler/ir/DType.h"
#include "compiler/ir/Ops.h"

#include <optional>

namespace rnnpoolc::ir {

/// Output size of a sliding window (Conv, pooling) along one axis:
/// floor (or ceil) of (in + padBegin + padEnd - dilation*(kernel-1) - 1) / stride, plus 1.
/// With ceilMode, a last window that would start inside the end padding is dropped, as
/// ONNX and PyTorch do. May be <= 0 when the window does not fit.
int64_t slidingOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                          int64_t padBegin, int64_t padEnd, bool ceilMode);

/// Explicit [begin..., end...] pads for auto_pad SAME_UPPER / SAME_LOWER / VALID over the
/// given spatial input sizes, or `pads` unchanged for NotSet.
Ints resolveAutoPad(AutoPad mode, const Ints &pads, const Shape &spatialIn, const Ints &kernel,
                    const Ints &strides, const Ints &dilations);

/// Numpy multidirectional broadcast of two shapes, or nullopt if they are incompatible.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b);

/// axis in [-rank, rank) made non-negative, or nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace rnnpoolc::ir
