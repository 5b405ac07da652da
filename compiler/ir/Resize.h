// Resize's coordinate rules (ONNX Resize, opsets 10-19, nearest and linear): where each
// output index of an axis reads the input. The float interpreter, the int8 layer builder and
// the float lowering all take their taps from here, so the three agree on every index.
#pragma once

#include "compiler/ir/Graph.h"

#include <string_view>
#include <vector>

namespace rnnpoolc::ir {

std::string_view name(ResizeMode mode);
std::string_view name(ResizeCoord coord);
std::string_view name(ResizeNearest nearest);

/// What output index i of an axis reads: (1 - frac) * in[i0] + frac * in[i1], with
/// 0 <= i0 <= i1 < n and 0 <= frac < 1; i1 = i0 + 1 whenever frac > 0. Nearest taps have
/// frac = 0 and i0 = i1.
struct ResizeTap {
  int64_t i0 = 0, i1 = 0;
  double frac = 0;
};

/// The taps of the outSize output indices of an axis of inSize > 0 input values, resized
/// by `scale` (the model's scale, or outSize / inSize when it gives sizes), as ONNX's
/// reference implementation computes them in double precision: the coordinate transform
/// gives x_original; linear reads floor(x_original) and the next index with the fraction as
/// weight, nearest rounds it by the nearest mode (a whole number reads itself); indices
/// outside [0, n) read the border (the reference pads by the edge value), which for linear
/// and nearest makes exclude_outside irrelevant.
std::vector<ResizeTap> resizeTaps(const ResizeAttrs &a, int64_t inSize, int64_t outSize,
                                  double scale);

/// What a Resize node's scales or sizes input gives an input of a shape.
struct ResizeGiven {
  Shape out;                 ///< floor(in * scale) per ONNX, or the sizes
  std::vector<double> scales; ///< the scales, or sizes / in: what resizeTaps takes
  bool sizes = false;        ///< the node gives sizes
};

/// Checks a node's scales and sizes values (null or empty: absent; exactly one present,
/// one value per axis) for an input of shape `in`. Errors name the node.
Expected<ResizeGiven> resizeGiven(const Node &node, const Shape &in, const TensorData *scales,
                                  const TensorData *sizes);
/// The same from the node's constant inputs in `graph`.
Expected<ResizeGiven> resizeGiven(const Graph &graph, const Node &node);

/// The output shape, from the node's constant scales or sizes.
Expected<Shape> resizeOutputShape(const Graph &graph, const Node &node);

/// The rows and columns of a Resize of a [1, C, H, W] map, as the int8 and float kernels
/// run it (batch and channels unresized).
struct ResizeMapPlan {
  int64_t channels = 0, inH = 0, inW = 0, outH = 0, outW = 0;
  bool linear = false;
  std::vector<ResizeTap> rows, cols;
};
/// The plan of a Resize node with constant scales or sizes; an error naming the node when
/// the input is not a [1, C, H, W] map or the node resizes the batch or the channels.
Expected<ResizeMapPlan> resizeMapPlan(const Graph &graph, const Node &node);

} // namespace rnnpoolc::ir
