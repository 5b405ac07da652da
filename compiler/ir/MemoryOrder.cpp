// Memory orders of tensors and the lowering of Transpose (see MemoryOrder.h).
#include "compiler/ir/MemoryOrder.h"

#include <algorithm>
#include <numeric>

namespace rnnpoolc::ir {
namespace {

/// The entries of `order` (dims of a shape) whose size in `s` is above 1.
Ints withoutUnitDims(const Ints &order, const Shape &s) {
  Ints kept;
  for (int64_t d : order)
    if (s[static_cast<size_t>(d)] != 1)
      kept.push_back(d);
  return kept;
}

} // namespace

bool isHwcMap(const Shape &s) {
  return s.size() == 4 && s[1] > 1 && s[2] * s[3] > 1;
}

Ints memoryOrder(const Shape &s, bool rowMajor) {
  if (isHwcMap(s) && !rowMajor)
    return {0, 2, 3, 1};
  Ints order(s.size());
  std::iota(order.begin(), order.end(), 0);
  return order;
}

bool isInnermost(const Shape &s, bool rowMajor, int64_t axis) {
  return areInnermost(s, rowMajor, {axis});
}

bool areInnermost(const Shape &s, bool rowMajor, const Ints &axes) {
  const Ints order = memoryOrder(s, rowMajor);
  auto in = [&](int64_t d) { return std::find(axes.begin(), axes.end(), d) != axes.end(); };
  auto it = std::find_if(order.begin(), order.end(), in);
  if (axes.empty() || it == order.end() ||
      std::any_of(axes.begin(), axes.end(), [&](int64_t d) {
        return std::find(order.begin(), order.end(), d) == order.end();
      }))
    return false;
  for (; it != order.end(); ++it)
    if (!in(*it) && s[static_cast<size_t>(*it)] != 1)
      return false;
  return true;
}

std::optional<SoftmaxRuns> softmaxRuns(const Shape &s, bool rowMajor, int64_t axis,
                                       bool coerce2D) {
  const auto rank = static_cast<int64_t>(s.size());
  if (axis < 0 || axis >= rank)
    return std::nullopt;
  Ints axes{axis};
  for (int64_t d = axis + 1; coerce2D && d < rank; ++d)
    axes.push_back(d);
  if (!areInnermost(s, rowMajor, axes))
    return std::nullopt;
  SoftmaxRuns runs{1, 1};
  for (int64_t d : axes)
    runs.n *= s[static_cast<size_t>(d)];
  for (int64_t d = 0; d < rank; ++d)
    if (std::find(axes.begin(), axes.end(), d) == axes.end())
      runs.rows *= s[static_cast<size_t>(d)];
  return runs;
}

std::optional<TransposeLowering> lowerTranspose(const Shape &in, bool inRowMajor, Ints perm,
                                                const Shape &out, bool naturalOut) {
  const size_t rank = in.size();
  if (perm.empty())
    for (size_t d = rank; d-- > 0;)
      perm.push_back(static_cast<int64_t>(d));
  Ints inverse(rank);
  for (size_t j = 0; j < rank; ++j)
    inverse[static_cast<size_t>(perm[j])] = static_cast<int64_t>(j);
  // The input's memory order, as dims of the output.
  Ints bytes;
  for (int64_t d : memoryOrder(in, inRowMajor))
    bytes.push_back(inverse[static_cast<size_t>(d)]);
  bytes = withoutUnitDims(bytes, out);
  TransposeLowering l;
  if (bytes == withoutUnitDims(memoryOrder(out, false), out)) {
    l.relabel = true;
    return l;
  }
  if (!naturalOut && bytes == withoutUnitDims(memoryOrder(out, true), out)) {
    l.relabel = true, l.outRowMajor = true;
    return l;
  }
  // A copy into the output's standard order: the stride of each input dim in its memory.
  const Ints inOrder = memoryOrder(in, inRowMajor);
  Ints stride(rank, 0);
  int64_t s = 1;
  for (size_t k = rank; k-- > 0;) {
    stride[static_cast<size_t>(inOrder[k])] = s;
    s *= in[static_cast<size_t>(inOrder[k])];
  }
  const Ints outOrder = withoutUnitDims(memoryOrder(out, false), out);
  if (outOrder.size() > 4)
    return std::nullopt;
  const size_t first = 4 - outOrder.size();
  for (size_t k = 0; k < outOrder.size(); ++k) {
    const auto j = static_cast<size_t>(outOrder[k]);
    l.dims[first + k] = static_cast<int32_t>(out[j]);
    l.inStride[first + k] = static_cast<int32_t>(stride[static_cast<size_t>(perm[j])]);
  }
  return l;
}

} // namespace rnnpoolc::ir
