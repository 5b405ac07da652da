// Shape inference of the layout ops, which move data without arithmetic: Concat, Split,
// Slice, Gather, ScatterND, Reshape, Flatten, Squeeze, Unsqueeze and Transpose.
#include "compiler/ir/ShapeInference.h"

#include <algorithm>
#include <limits>

namespace rnnpoolc::ir::detail {
namespace {

Status requireRankAtLeast(const Node &node, const Shape &shape, size_t rank,
                          std::string_view what) {
  if (shape.size() < rank)
    return nodeError(node, "{} must have rank {} or more, not {} ({})", what, rank,
                     shape.size(), toString(shape));
  return Status::ok();
}

Status inferConcat(Graph &graph, Node &node) {
  const Tensor &first = inputOf(graph, node, 0);
  RNNPOOLC_TRY(requireRankAtLeast(node, first.shape, 1, "input 0"));
  int64_t &axis = node.attr<AxisAttrs>().axis;
  RNNPOOLC_TRY(normalizeAxisAttr(node, axis, static_cast<int64_t>(first.shape.size())));
  auto a = static_cast<size_t>(axis);
  Shape out = first.shape;
  out[a] = 0;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Tensor &t = inputOf(graph, node, i);
    if (t.dtype != first.dtype)
      return nodeError(node, "input {} is {} but input 0 is {}; insert a Cast", i,
                       name(t.dtype), name(first.dtype));
    bool same = t.shape.size() == first.shape.size();
    for (size_t d = 0; same && d < t.shape.size(); ++d)
      same = d == a || t.shape[d] == first.shape[d];
    if (!same)
      return nodeError(node,
                       "input {} of shape {} does not match input 0 of shape {} outside "
                       "axis {}",
                       i, toString(t.shape), toString(first.shape), axis);
    out[a] += t.shape[a]; // Dims are at most 2^31 each, so this cannot overflow.
  }
  return setOutput(graph, node, 0, first.dtype, std::move(out));
}

Status inferSplit(Graph &graph, Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  RNNPOOLC_TRY(requireRankAtLeast(node, x.shape, 1, "input"));
  int64_t &axis = node.attr<AxisAttrs>().axis;
  RNNPOOLC_TRY(normalizeAxisAttr(node, axis, static_cast<int64_t>(x.shape.size())));
  int64_t dim = x.shape[static_cast<size_t>(axis)];
  auto parts = static_cast<int64_t>(node.outputs.size());
  Ints sizes;
  if (hasInput(node, 1)) {
    RNNPOOLC_TRY(constantInts(graph, node, 1, "split", sizes));
    if (static_cast<int64_t>(sizes.size()) != parts)
      return nodeError(node, "split has {} sizes for {} outputs", sizes.size(), parts);
    int64_t total = 0;
    for (int64_t s : sizes) {
      if (s < 0 || s > kMaxElements)
        return nodeError(node, "split size {} is out of range", s);
      total += s;
    }
    if (total != dim)
      return nodeError(node, "split sizes add up to {} but axis {} has size {}", total, axis,
                       dim);
  } else {
    // Equal parts, the last one smaller when the dim does not divide (opset 18).
    int64_t chunk = (dim + parts - 1) / parts;
    int64_t last = dim - chunk * (parts - 1);
    if (last < 0)
      return nodeError(node, "cannot split axis {} of size {} into {} parts; give split sizes",
                       axis, dim, parts);
    sizes.assign(static_cast<size_t>(parts), chunk);
    sizes.back() = last;
  }
  for (size_t k = 0; k < sizes.size(); ++k) {
    Shape out = x.shape;
    out[static_cast<size_t>(axis)] = sizes[k];
    RNNPOOLC_TRY(setOutput(graph, node, k, x.dtype, std::move(out)));
  }
  return Status::ok();
}

/// Number of elements Slice takes from a dim of size `dim` (ONNX clamping rules).
int64_t sliceCount(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  // A step larger than the dim takes at most one element; bounding it avoids overflow.
  int64_t magnitude =
      step == std::numeric_limits<int64_t>::min() ? dim + 1 : std::min(std::abs(step), dim + 1);
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    return end > start ? (end - start + magnitude - 1) / magnitude : 0;
  }
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  return start > end ? (start - end + magnitude - 1) / magnitude : 0;
}

Status inferSlice(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  auto rank = static_cast<int64_t>(x.shape.size());
  Ints starts, ends, axes, steps;
  RNNPOOLC_TRY(constantInts(graph, node, 1, "starts", starts));
  RNNPOOLC_TRY(constantInts(graph, node, 2, "ends", ends));
  if (ends.size() != starts.size())
    return nodeError(node, "starts has {} values but ends has {}", starts.size(), ends.size());
  if (hasInput(node, 3)) {
    RNNPOOLC_TRY(constantInts(graph, node, 3, "axes", axes));
    if (axes.size() != starts.size())
      return nodeError(node, "starts has {} values but axes has {}", starts.size(),
                       axes.size());
  } else {
    for (size_t k = 0; k < starts.size(); ++k)
      axes.push_back(static_cast<int64_t>(k));
  }
  RNNPOOLC_TRY(normalizeAxes(node, axes, rank, "axes"));
  if (hasInput(node, 4)) {
    RNNPOOLC_TRY(constantInts(graph, node, 4, "steps", steps));
    if (steps.size() != starts.size())
      return nodeError(node, "starts has {} values but steps has {}", starts.size(),
                       steps.size());
  } else {
    steps.assign(starts.size(), 1);
  }
  Shape out = x.shape;
  for (size_t k = 0; k < starts.size(); ++k) {
    if (steps[k] == 0)
      return nodeError(node, "slice step along axis {} is 0; steps must be non-zero", axes[k]);
    auto d = static_cast<size_t>(axes[k]);
    out[d] = sliceCount(x.shape[d], starts[k], ends[k], steps[k]);
  }
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

Status inferGather(Graph &graph, Node &node) {
  const Tensor &data = inputOf(graph, node, 0), &indices = inputOf(graph, node, 1);
  RNNPOOLC_TRY(requireRankAtLeast(node, data.shape, 1, "data"));
  int64_t &axis = node.attr<AxisAttrs>().axis;
  RNNPOOLC_TRY(normalizeAxisAttr(node, axis, static_cast<int64_t>(data.shape.size())));
  RNNPOOLC_TRY(requireIntegerInput(graph, node, 1, "indices"));
  auto a = static_cast<size_t>(axis);
  int64_t dim = data.shape[a];
  if (indices.isConstant()) {
    for (int64_t index : indices.data->toInts())
      if (index < -dim || index >= dim)
        return nodeError(node, "index {} is out of range for axis {} of size {}", index, axis,
                         dim);
  }
  Shape out(data.shape.begin(), data.shape.begin() + static_cast<ptrdiff_t>(a));
  out.insert(out.end(), indices.shape.begin(), indices.shape.end());
  out.insert(out.end(), data.shape.begin() + static_cast<ptrdiff_t>(a) + 1, data.shape.end());
  return setOutput(graph, node, 0, data.dtype, std::move(out));
}

Status inferScatterND(Graph &graph, const Node &node) {
  const Tensor &data = inputOf(graph, node, 0), &indices = inputOf(graph, node, 1);
  const Tensor &updates = inputOf(graph, node, 2);
  RNNPOOLC_TRY(requireRankAtLeast(node, data.shape, 1, "data"));
  RNNPOOLC_TRY(requireRankAtLeast(node, indices.shape, 1, "indices"));
  RNNPOOLC_TRY(requireIntegerInput(graph, node, 1, "indices"));
  int64_t k = indices.shape.back();
  if (k < 1 || k > static_cast<int64_t>(data.shape.size()))
    return nodeError(node,
                     "indices of shape {} index {} dims of data of rank {}; expected 1 to "
                     "{}",
                     toString(indices.shape), k, data.shape.size(), data.shape.size());
  Shape expected(indices.shape.begin(), indices.shape.end() - 1);
  expected.insert(expected.end(), data.shape.begin() + k, data.shape.end());
  if (updates.shape != expected)
    return nodeError(node, "updates have shape {}; data {} and indices {} need {}",
                     toString(updates.shape), toString(data.shape), toString(indices.shape),
                     toString(expected));
  if (updates.dtype != data.dtype)
    return nodeError(node, "updates are {} but data is {}", name(updates.dtype),
                     name(data.dtype));
  return setOutput(graph, node, 0, data.dtype, data.shape);
}

Status inferReshape(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  bool allowZero = node.attr<ReshapeAttrs>().allowZero;
  Ints target;
  RNNPOOLC_TRY(constantInts(graph, node, 1, "shape", target));
  Shape out(target.size());
  int inferred = -1;
  bool hasZero = false;
  for (size_t d = 0; d < target.size(); ++d) {
    int64_t v = target[d];
    if (v == -1) {
      if (inferred >= 0)
        return nodeError(node, "shape {} has more than one -1", formatInts(target));
      inferred = static_cast<int>(d);
      out[d] = 1;
    } else if (v == 0 && !allowZero) {
      if (d >= x.shape.size())
        return nodeError(node, "shape {} copies dim {} (a 0) but the input {} has rank {}",
                         formatInts(target), d, toString(x.shape), x.shape.size());
      out[d] = x.shape[d];
    } else if (v < 0 || v > kMaxElements) {
      return nodeError(node, "shape {} has an invalid dim {}", formatInts(target), v);
    } else {
      hasZero = hasZero || v == 0;
      out[d] = v;
    }
  }
  if (hasZero && inferred >= 0)
    return nodeError(node, "shape {} has both 0 and -1 with allowzero=1", formatInts(target));
  auto known = checkedNumel(out);
  int64_t total = numel(x.shape);
  if (inferred >= 0) {
    if (!known || *known == 0 || total % *known != 0)
      return nodeError(node,
                       "cannot reshape {} ({} elements) to {}: the -1 dim does not come "
                       "out whole",
                       toString(x.shape), total, formatInts(target));
    out[static_cast<size_t>(inferred)] = total / *known;
  } else if (!known || *known != total) {
    return nodeError(node, "cannot reshape {} ({} elements) to {}: element counts differ",
                     toString(x.shape), total, formatInts(target));
  }
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

Status inferFlatten(Graph &graph, Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  int64_t &axis = node.attr<AxisAttrs>().axis;
  // Flatten's axis may equal the rank (everything goes into the outer dim).
  auto rank = static_cast<int64_t>(x.shape.size());
  if (axis < -rank || axis > rank)
    return nodeError(node, "axis {} is out of range for an input of rank {}; expected {} to {}",
                     axis, rank, -rank, rank);
  if (axis < 0)
    axis += rank;
  auto a = static_cast<ptrdiff_t>(axis);
  Shape outer(x.shape.begin(), x.shape.begin() + a), inner(x.shape.begin() + a, x.shape.end());
  return setOutput(graph, node, 0, x.dtype, {numel(outer), numel(inner)});
}

Status inferSqueeze(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  std::vector<bool> drop(x.shape.size(), false);
  if (hasInput(node, 1)) {
    Ints axes;
    RNNPOOLC_TRY(constantInts(graph, node, 1, "axes", axes));
    RNNPOOLC_TRY(normalizeAxes(node, axes, static_cast<int64_t>(x.shape.size()), "axes"));
    for (int64_t axis : axes) {
      if (x.shape[static_cast<size_t>(axis)] != 1)
        return nodeError(node, "cannot squeeze axis {} of size {} in {}", axis,
                         x.shape[static_cast<size_t>(axis)], toString(x.shape));
      drop[static_cast<size_t>(axis)] = true;
    }
  } else {
    for (size_t d = 0; d < x.shape.size(); ++d)
      drop[d] = x.shape[d] == 1;
  }
  Shape out;
  for (size_t d = 0; d < x.shape.size(); ++d)
    if (!drop[d])
      out.push_back(x.shape[d]);
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

Status inferUnsqueeze(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  Ints axes;
  RNNPOOLC_TRY(constantInts(graph, node, 1, "axes", axes));
  auto rank = static_cast<int64_t>(x.shape.size() + axes.size());
  RNNPOOLC_TRY(normalizeAxes(node, axes, rank, "axes"));
  std::vector<bool> inserted(static_cast<size_t>(rank), false);
  for (int64_t axis : axes)
    inserted[static_cast<size_t>(axis)] = true;
  Shape out;
  size_t next = 0;
  for (size_t d = 0; d < inserted.size(); ++d)
    out.push_back(inserted[d] ? 1 : x.shape[next++]);
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

Status inferTranspose(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  const Ints &perm = node.attr<TransposeAttrs>().perm;
  size_t rank = x.shape.size();
  Shape out(rank);
  if (perm.empty()) {
    std::reverse_copy(x.shape.begin(), x.shape.end(), out.begin());
    return setOutput(graph, node, 0, x.dtype, std::move(out));
  }
  if (perm.size() != rank)
    return nodeError(node, "perm has {} entries for an input of rank {}", perm.size(), rank);
  std::vector<bool> used(rank, false);
  for (size_t d = 0; d < rank; ++d) {
    int64_t p = perm[d];
    if (p < 0 || p >= static_cast<int64_t>(rank) || used[static_cast<size_t>(p)])
      return nodeError(node, "perm {} is not a permutation of 0..{}", formatInts(perm),
                       rank - 1);
    used[static_cast<size_t>(p)] = true;
    out[d] = x.shape[static_cast<size_t>(p)];
  }
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

/// X a float [N, C, H, W] tensor, groups >= 1 dividing C; the output has X's shape.
Status inferChannelShuffle(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  const int64_t groups = node.attr<ChannelShuffleAttrs>().groups;
  if (x.shape.size() != 4 || !isFloat(x.dtype))
    return nodeError(node, "input must be a float [N, C, H, W] tensor, not {}[{}]",
                     name(x.dtype), toString(x.shape));
  if (groups < 1 || x.shape[1] % groups != 0)
    return nodeError(node, "groups {} must be positive and divide the {} channels", groups,
                     x.shape[1]);
  return setOutput(graph, node, 0, x.dtype, x.shape);
}

} // namespace

Status inferLayoutOp(Graph &graph, Node &node) {
  switch (node.op) {
  case OpKind::Concat:
    return inferConcat(graph, node);
  case OpKind::Split:
    return inferSplit(graph, node);
  case OpKind::Slice:
    return inferSlice(graph, node);
  case OpKind::Gather:
    return inferGather(graph, node);
  case OpKind::ScatterND:
    return inferScatterND(graph, node);
  case OpKind::Reshape:
    return inferReshape(graph, node);
  case OpKind::Flatten:
    return inferFlatten(graph, node);
  case OpKind::Squeeze:
    return inferSqueeze(graph, node);
  case OpKind::Unsqueeze:
    return inferUnsqueeze(graph, node);
  case OpKind::Transpose:
    return inferTranspose(graph, node);
  case OpKind::ChannelShuffle:
    return inferChannelShuffle(graph, node);
  default:
    return nodeError(node, "internal: not a layout op");
  }
}

} // namespace rnnpoolc::ir::detail
