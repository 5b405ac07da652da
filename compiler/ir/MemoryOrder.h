// Where a tensor's elements sit in memory, and what a Transpose of it needs. The IR's
// shapes are logical (NCHW); both runtimes store a [1, C, H, W] map channels last (HWC) and
// every other tensor in its logical, row-major order. A Transpose either relabels the
// bytes (its output's memory order is one its readers understand) or is a permuted copy.
#pragma once

#include "compiler/ir/Graph.h"

#include <array>
#include <optional>

namespace rnnpoolc::ir {

/// Whether the HWC and row-major orders of a shape differ: 4-D with C > 1 and H * W > 1.
bool isHwcMap(const Shape &s);

/// The dims of a tensor in memory order, outermost first: (0, 2, 3, 1) for a map stored
/// HWC (isHwcMap and not rowMajor), else (0, 1, ..., rank - 1).
Ints memoryOrder(const Shape &s, bool rowMajor);

/// Whether `axis` is innermost in a tensor's memory (every dim after it in memoryOrder has
/// size 1), so that its values are contiguous per position: the channels of an HWC map,
/// the last axis of a row-major tensor.
bool isInnermost(const Shape &s, bool rowMajor, int64_t axis);

/// Whether the dims `axes` (in [0, rank)) together are innermost in a tensor's memory: after
/// the first of them in memoryOrder come only others of them or dims of size 1, so that the
/// values of each position of the other dims form one contiguous block (a softmax over the
/// trailing dims of opset 11: a map's channels, rows and columns are, its rows and columns
/// alone are not).
bool areInnermost(const Shape &s, bool rowMajor, const Ints &axes);

/// A softmax over `axis` (normalised; with coerce2D, opset 11's flattening: the dims from
/// `axis` on together) as `rows` runs of `n` contiguous values in memory; nullopt when the
/// values it normalises together are not contiguous (a map's rows or columns).
struct SoftmaxRuns {
  int64_t rows = 0, n = 0;
};
std::optional<SoftmaxRuns> softmaxRuns(const Shape &s, bool rowMajor, int64_t axis,
                                       bool coerce2D);

/// How a Transpose runs in a runtime that stores maps HWC.
struct TransposeLowering {
  /// No code: the output is the input's bytes under another shape.
  bool relabel = false;
  /// With relabel: the output is a map (isHwcMap) whose bytes are in its logical order,
  /// which only reshapes, transposes and elementwise tables may read.
  bool outRowMajor = false;
  /// Without relabel, the permuted copy: the output in its memory order is a
  /// dims[0] x ... x dims[3] array whose element (i0, .., i3) is input element
  /// sum_k i_k * inStride[k] in the input's memory (rp_permute_params).
  std::array<int32_t, 4> dims{1, 1, 1, 1}, inStride{0, 0, 0, 0};
};

/// Lowers Transpose(perm) of a tensor of shape `in` (its bytes in logical order when
/// inRowMajor) to `out`. With naturalOut (a graph output) the output must have its
/// standard layout, so a relabel to a row-major map becomes a copy. Nullopt when the copy
/// would need more than four dims of size above 1.
std::optional<TransposeLowering> lowerTranspose(const Shape &in, bool inRowMajor, Ints perm,
                                                const Shape &out, bool naturalOut);

} // namespace rnnpoolc::ir
