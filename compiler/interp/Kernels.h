// Internal interface of the float interpreter: the kernel of each op family and the helpers
// they share. Only compiler/interp includes this header.
//
// Every kernel receives a node whose operand counts, attribute struct and input storage
// have already been checked by evaluate() (Interpreter.cpp): inputs below the op's minimum
// count are non-null, and each non-null input holds exactly numel(shape) elements in the
// vector its dtype selects. Kernels check everything else they rely on (ranks, dims that
// must agree, index ranges) and report problems with ir::nodeError.
#pragma once

#include "compiler/interp/Interpreter.h"
#include "compiler/ir/ShapeUtil.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

namespace rnnpoolc::interp::detail {

using Inputs = std::span<const ir::TensorData *const>;
using Values = std::vector<ir::TensorData>;
using Result = Expected<Values>;

/// Declares `name` from an Expected expression, or returns its error from the caller.
#define RNNPOOLC_INTERP_LET(name, expr)                                                        \
  auto name##Expected_ = (expr);                                                               \
  if (!name##Expected_)                                                                        \
    return name##Expected_.error();                                                            \
  auto name = std::move(*name##Expected_)

/// No kernel materialises a value with more elements than this (8 GiB of floats): a
/// hostile shape becomes an error instead of an allocation failure.
constexpr int64_t kMaxElements = int64_t{1} << 31;

// ---- Allocation and results ----------------------------------------------------------

/// Checks that `shape` has no negative dim and at most kMaxElements elements; the error
/// says how many elements the shape would produce.
Status checkOutputShape(const ir::Node &node, const ir::Shape &shape);
/// A zero-filled tensor of `dtype` and `shape`, after checkOutputShape.
Expected<ir::TensorData> allocate(const ir::Node &node, ir::DType dtype,
                                  const ir::Shape &shape);
/// Wraps one output value as a kernel result.
Result single(ir::TensorData value);

// ---- Operand checks ------------------------------------------------------------------

/// Errors unless `t` is float32; `what` names the operand ("input", "weights", ...).
Status requireFloat(const ir::Node &node, const ir::TensorData &t, std::string_view what);
/// Errors unless `t` holds integers (any integer or bool dtype).
Status requireInteger(const ir::Node &node, const ir::TensorData &t, std::string_view what);
/// Errors unless `a` and `b` have the same dtype.
Status requireSameDType(const ir::Node &node, const ir::TensorData &a, const ir::TensorData &b);
/// The values of a 1-D (or scalar) integer operand such as shape, axes or pads.
Expected<std::vector<int64_t>> readIntList(const ir::Node &node, const ir::TensorData &t,
                                           std::string_view what);
/// Normalises every axis of `axes` against `rank`; errors on out-of-range or repeated axes.
Expected<std::vector<int64_t>> normalizeAxes(const ir::Node &node, std::vector<int64_t> axes,
                                             int64_t rank);

// ---- Index helpers -------------------------------------------------------------------

/// For each element of a tensor of shape `out`, the flat index of the element of a tensor
/// of shape `in` that numpy broadcasting reads. `in` must broadcast to `out`.
std::vector<int64_t> broadcastIndex(const ir::Shape &out, const ir::Shape &in);
/// For each element of a tensor of shape `out` (row-major), offset + sum of its index
/// along each dim times strides[dim]: the flat source index of a strided view.
std::vector<int64_t> stridedIndex(const ir::Shape &out, int64_t offset,
                                  const std::vector<int64_t> &strides);
/// For each element of a tensor of shape `out`, the flat index into a tensor of shape `in`
/// given per-axis source maps (maps[d][o] is the index along axis d that output index o
/// reads), or -1 when any axis maps to -1.
std::vector<int64_t> axisMapIndex(const ir::Shape &out, const ir::Shape &in,
                                  const std::vector<std::vector<int64_t>> &maps);
/// Copies n elements from src[srcOffset...] to dst[dstOffset...]; the dtypes must agree.
void copyElements(const ir::TensorData &src, int64_t srcOffset, ir::TensorData &dst,
                  int64_t dstOffset, int64_t n);
/// A tensor of `shape` and the dtype of `src` with element k = src[index[k]], or the
/// scalar `fill` (zero when null) where index[k] < 0. `shape` must be checked already.
ir::TensorData takeElements(const ir::TensorData &src, ir::Shape shape,
                            const std::vector<int64_t> &index,
                            const ir::TensorData *fill = nullptr);
/// Product of shape[begin, end).
int64_t dimProduct(const ir::Shape &shape, size_t begin, size_t end);

// ---- Sliding windows (Conv and pooling) --------------------------------------------

/// The geometry of a sliding window over the 1 to 3 spatial dims of an N x C x ... input.
/// Entries are indexed depth (0), height (1), width (2); fewer spatial dims are lifted to
/// three with leading dims of size 1, so kernels handle one case only.
struct Window {
  static constexpr size_t kDims = 3;
  std::array<int64_t, kDims> in{1, 1, 1}, kernel{1, 1, 1}, stride{1, 1, 1}, dilation{1, 1, 1},
      padBegin{0, 0, 0}, padEnd{0, 0, 0}, out{1, 1, 1};
  /// Spatial dims of the input (1 to 3).
  size_t spatialDims = 2;

  int64_t inSize() const { return in[0] * in[1] * in[2]; }
  int64_t outSize() const { return out[0] * out[1] * out[2]; }
  int64_t kernelSize() const { return kernel[0] * kernel[1] * kernel[2]; }
  /// The output shape: N x outChannels x the output's spatial dims.
  ir::Shape outputShape(const ir::Shape &input, int64_t outChannels) const;
};

/// Checks and resolves window attributes (laid out as in ir::ConvAttrs) for an input of
/// rank 3 to 5. Empty strides, dilations and pads take their defaults (1, 1, 0), a
/// non-NotSet autoPad is resolved, and every output dim must be at least 1.
Expected<Window> slidingWindow(const ir::Node &node, const ir::Shape &input,
                               const ir::Ints &kernel, ir::Ints strides, ir::Ints dilations,
                               ir::Ints pads, ir::AutoPad autoPad, bool ceilMode);

/// The taps k of one window axis, start + k * dilation for k in [0, kernel), that fall in
/// [lo, hi): a half-open range [first, last) of k. Looping over it instead of the whole
/// kernel costs nothing for taps in the padding, whatever the attributes say.
struct TapRange {
  int64_t first = 0, last = 0;
  int64_t count() const { return last - first; }
};
inline TapRange tapRange(int64_t start, int64_t dilation, int64_t kernel, int64_t lo,
                         int64_t hi) {
  if (hi <= lo || start > hi - 1)
    return {};
  int64_t first = start >= lo ? 0 : (lo - start + dilation - 1) / dilation;
  int64_t last = (hi - 1 - start) / dilation + 1;
  first = std::min(first, kernel);
  return {first, std::max(first, std::min(last, kernel))};
}

/// One window position: where it starts in the input along each axis, which of its taps
/// fall inside the input, and how many fall inside the explicitly padded input.
struct WindowTaps {
  std::array<int64_t, Window::kDims> start;
  std::array<TapRange, Window::kDims> inside;
  int64_t paddedCount = 0;
  int64_t insideCount() const {
    return inside[0].count() * inside[1].count() * inside[2].count();
  }
};

/// Calls fn(taps) for every output position of `w`, in row-major order.
template <typename Fn> void forEachWindow(const Window &w, Fn fn) {
  WindowTaps t;
  std::array<int64_t, Window::kDims> o{};
  for (o[0] = 0; o[0] < w.out[0]; ++o[0])
    for (o[1] = 0; o[1] < w.out[1]; ++o[1])
      for (o[2] = 0; o[2] < w.out[2]; ++o[2]) {
        t.paddedCount = 1;
        for (size_t e = 0; e < Window::kDims; ++e) {
          t.start[e] = o[e] * w.stride[e] - w.padBegin[e];
          t.inside[e] = tapRange(t.start[e], w.dilation[e], w.kernel[e], 0, w.in[e]);
          t.paddedCount *= tapRange(t.start[e], w.dilation[e], w.kernel[e], -w.padBegin[e],
                                    w.in[e] + w.padEnd[e])
                               .count();
        }
        fn(t);
      }
}

/// Calls fn(inputOffset, kernelOffset) for every tap of a window position that falls
/// inside the input, in row-major order; offsets are within one input plane and one
/// kernel.
template <typename Fn> void forEachTap(const Window &w, const WindowTaps &t, Fn fn) {
  for (int64_t kz = t.inside[0].first; kz < t.inside[0].last; ++kz) {
    int64_t iz = t.start[0] + kz * w.dilation[0];
    for (int64_t ky = t.inside[1].first; ky < t.inside[1].last; ++ky) {
      int64_t iy = t.start[1] + ky * w.dilation[1];
      int64_t rowIn = (iz * w.in[1] + iy) * w.in[2] + t.start[2];
      int64_t rowKernel = (kz * w.kernel[1] + ky) * w.kernel[2];
      for (int64_t kx = t.inside[2].first; kx < t.inside[2].last; ++kx)
        fn(rowIn + kx * w.dilation[2], rowKernel + kx);
    }
  }
}

// ---- Integer arithmetic without undefined behaviour ----------------------------------

inline int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t wrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
inline int64_t wrapNeg(int64_t a) {
  return wrapSub(0, a);
}

/// A float truncated toward zero, saturated to the int64 range; NaN becomes 0. (A plain
/// cast of an out-of-range float is undefined behaviour in C++.)
inline int64_t floatToInt(double x) {
  if (std::isnan(x))
    return 0;
  if (x >= 9223372036854775807.0)
    return std::numeric_limits<int64_t>::max();
  if (x <= -9223372036854775808.0)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(x);
}

// ---- Kernels, by family --------------------------------------------------------------

// Elementwise.cpp
Result evalUnary(const ir::Node &node, Inputs in);
Result evalClip(const ir::Node &node, Inputs in);
Result evalCast(const ir::Node &node, Inputs in);
// Broadcast.cpp
Result evalBinary(const ir::Node &node, Inputs in);
Result evalVariadic(const ir::Node &node, Inputs in);
Result evalWhere(const ir::Node &node, Inputs in);
// ConvGemm.cpp
Result evalConv(const ir::Node &node, Inputs in);
Result evalGemm(const ir::Node &node, Inputs in);
Result evalMatMul(const ir::Node &node, Inputs in);
// Pool.cpp
Result evalPool(const ir::Node &node, Inputs in);
Result evalGlobalPool(const ir::Node &node, Inputs in);
Result evalBatchNorm(const ir::Node &node, Inputs in);
Result evalSoftmax(const ir::Node &node, Inputs in);
// Normalize.cpp
Result evalL2Norm(const ir::Node &node, Inputs in);
// Reduce.cpp
Result evalReduce(const ir::Node &node, Inputs in);
// Layout.cpp
Result evalConcat(const ir::Node &node, Inputs in);
Result evalSplit(const ir::Node &node, Inputs in);
Result evalSlice(const ir::Node &node, Inputs in);
Result evalTranspose(const ir::Node &node, Inputs in);
Result evalChannelShuffle(const ir::Node &node, Inputs in);
Result evalPad(const ir::Node &node, Inputs in);

// Resize.cpp
Result evalResize(const ir::Node &node, Inputs in);
// Indexing.cpp
Result evalGather(const ir::Node &node, Inputs in);
Result evalScatterND(const ir::Node &node, Inputs in);
// Reshape.cpp
Result evalReshape(const ir::Node &node, Inputs in);
Result evalFlatten(const ir::Node &node, Inputs in);
Result evalSqueeze(const ir::Node &node, Inputs in);
Result evalUnsqueeze(const ir::Node &node, Inputs in);
Result evalExpand(const ir::Node &node, Inputs in);
Result evalTile(const ir::Node &node, Inputs in);
// ShapeOps.cpp
Result evalShape(const ir::Node &node, Inputs in);
Result evalRange(const ir::Node &node, Inputs in);
Result evalConstantOfShape(const ir::Node &node, Inputs in);
// QuantizeLinear.cpp
Result evalQuantizeLinear(const ir::Node &node, Inputs in);
Result evalDequantizeLinear(const ir::Node &node, Inputs in);
// RNNPool.cpp
Result evalRNNPool(const ir::Node &node, Inputs in);

} // namespace rnnpoolc::interp::detail
