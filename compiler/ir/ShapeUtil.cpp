// Shape arithmetic shared by shape inference, the interpreter and the planner.
#include "compiler/ir/ShapeUtil.h"

#include <algorithm>

namespace rnnpoolc::ir {

int64_t slidingOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                          int64_t padBegin, int64_t padEnd, bool ceilMode) {
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // A window must start inside the input or the begin padding.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

Ints resolveAutoPad(AutoPad mode, const Ints &pads, const Shape &spatialIn, const Ints &kernel,
                    const Ints &strides, const Ints &dilations) {
  size_t n = spatialIn.size();
  switch (mode) {
  case AutoPad::NotSet: return pads;
  case AutoPad::Valid: return Ints(2 * n, 0);
  case AutoPad::SameUpper:
  case AutoPad::SameLower: {
    Ints out(2 * n, 0);
    for (size_t d = 0; d < n; ++d) {
      int64_t outSize = (spatialIn[d] + strides[d] - 1) / strides[d];
      int64_t effKernel = dilations[d] * (kernel[d] - 1) + 1;
      int64_t total = std::max<int64_t>(0, (outSize - 1) * strides[d] + effKernel - spatialIn[d]);
      int64_t small = total / 2, large = total - small;
      out[d] = mode == AutoPad::SameUpper ? small : large;
      out[d + n] = mode == AutoPad::SameUpper ? large : small;
    }
    return out;
  }
  }
  return pads;
}

std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t k = 0; k < rank; ++k) {
    int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    if (da == db || db == 1)
      out[k] = da;
    else if (da == 1)
      out[k] = db;
    else
      return std::nullopt;
  }
  return out;
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

} // namespace rnnpoolc::ir
