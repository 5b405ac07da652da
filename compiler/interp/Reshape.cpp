// Kernels that change a tensor's shape: Reshape, Flatten, Squeeze and Unsqueeze keep the
// elements in order; Expand and Tile repeat them.
#include "compiler/interp/Kernels.h"

#include <algorithm>

namespace rnnpoolc::interp::detail {
namespace {

/// `x` with a new shape holding the same number of elements.
ir::TensorData withShape(const ir::TensorData &x, ir::Shape shape) {
  ir::TensorData out = x;
  out.shape = std::move(shape);
  return out;
}

/// Resolves Reshape's target: 0 copies the input dim (unless allowzero), -1 is inferred.
Expected<ir::Shape> reshapeTarget(const ir::Node &node, const ir::Shape &input,
                                  const std::vector<int64_t> &target, bool allowZero) {
  ir::Shape shape;
  std::optional<size_t> inferred;
  bool hasZero = false;
  for (size_t d = 0; d < target.size(); ++d) {
    int64_t v = target[d];
    if (v == -1) {
      if (inferred)
        return ir::nodeError(node, "the shape {} has more than one -1", ir::toString(target));
      inferred = d;
      shape.push_back(1);
    } else if (v < -1) {
      return ir::nodeError(node, "the shape {} has a negative dim", ir::toString(target));
    } else if (v == 0 && !allowZero) {
      if (d >= input.size())
        return ir::nodeError(node,
                             "dim {} of the shape is 0 (copy), but the input {} has "
                             "only {} dims",
                             d, ir::toString(input), input.size());
      shape.push_back(input[d]);
    } else {
      hasZero = hasZero || v == 0;
      shape.push_back(v);
    }
  }
  int64_t count = ir::numel(input);
  auto known = ir::checkedNumel(shape);
  if (!known)
    return ir::nodeError(node, "the shape {} has more elements than the int64 range",
                         ir::toString(target));
  if (inferred) {
    if (hasZero || *known == 0)
      return ir::nodeError(node, "cannot infer the -1 dim of shape {} next to a zero dim",
                           ir::toString(target));
    shape[*inferred] = count / *known;
    *known *= shape[*inferred];
  }
  if (*known != count)
    return ir::nodeError(node, "cannot reshape {} ({} elements) to {}", ir::toString(input),
                         count, ir::toString(target));
  return shape;
}

} // namespace

Result evalReshape(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  RNNPOOLC_INTERP_LET(target, readIntList(node, *in[1], "shape"));
  RNNPOOLC_INTERP_LET(
      shape, reshapeTarget(node, x.shape, target, node.attr<ir::ReshapeAttrs>().allowZero));
  return single(withShape(x, std::move(shape)));
}

Result evalFlatten(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  auto rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = node.attr<ir::AxisAttrs>().axis;
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return ir::nodeError(node, "axis {} is out of range for input of shape {}",
                         node.attr<ir::AxisAttrs>().axis, ir::toString(x.shape));
  auto a = static_cast<size_t>(axis);
  return single(
      withShape(x, {dimProduct(x.shape, 0, a), dimProduct(x.shape, a, x.shape.size())}));
}

Result evalSqueeze(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes;
  if (in.size() > 1 && in[1]) {
    RNNPOOLC_INTERP_LET(given, readIntList(node, *in[1], "axes"));
    axes = std::move(given);
  }
  // Without axes, every dim of size 1 goes.
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      if (x.shape[static_cast<size_t>(d)] == 1)
        axes.push_back(d);
  RNNPOOLC_INTERP_LET(normal, normalizeAxes(node, std::move(axes), rank));
  ir::Shape shape;
  for (int64_t d = 0; d < rank; ++d) {
    bool squeezed = std::find(normal.begin(), normal.end(), d) != normal.end();
    if (squeezed && x.shape[static_cast<size_t>(d)] != 1)
      return ir::nodeError(node, "cannot squeeze axis {} of size {}", d,
                           x.shape[static_cast<size_t>(d)]);
    if (!squeezed)
      shape.push_back(x.shape[static_cast<size_t>(d)]);
  }
  return single(withShape(x, std::move(shape)));
}

Result evalUnsqueeze(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  RNNPOOLC_INTERP_LET(axes, readIntList(node, *in[1], "axes"));
  auto rank = static_cast<int64_t>(x.shape.size() + axes.size());
  RNNPOOLC_INTERP_LET(normal, normalizeAxes(node, std::move(axes), rank));
  ir::Shape shape;
  auto next = x.shape.begin();
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(std::find(normal.begin(), normal.end(), d) != normal.end() ? 1 : *next++);
  return single(withShape(x, std::move(shape)));
}

Result evalExpand(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  RNNPOOLC_INTERP_LET(target, readIntList(node, *in[1], "shape"));
  auto shape = ir::broadcastShapes(x.shape, target);
  if (!shape)
    return ir::nodeError(node, "input of shape {} cannot expand to {}", ir::toString(x.shape),
                         ir::toString(target));
  RNNPOOLC_TRY(checkOutputShape(node, *shape));
  return single(takeElements(x, *shape, broadcastIndex(*shape, x.shape)));
}

Result evalTile(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  RNNPOOLC_INTERP_LET(repeats, readIntList(node, *in[1], "repeats"));
  if (repeats.size() != x.shape.size())
    return ir::nodeError(node, "repeats has {} entries for input of shape {}", repeats.size(),
                         ir::toString(x.shape));
  ir::Shape shape;
  for (size_t d = 0; d < repeats.size(); ++d) {
    if (repeats[d] < 0)
      return ir::nodeError(node, "repeat {} of axis {} is negative", repeats[d], d);
    if (x.shape[d] != 0 && repeats[d] > std::numeric_limits<int64_t>::max() / x.shape[d])
      return ir::nodeError(node, "repeats {} would produce more elements than the int64 range",
                           ir::toString(repeats));
    shape.push_back(x.shape[d] * repeats[d]);
  }
  RNNPOOLC_TRY(checkOutputShape(node, shape));
  if (ir::numel(shape) == 0)
    return single(ir::TensorData::zeros(x.dtype, shape));
  std::vector<std::vector<int64_t>> maps(shape.size());
  for (size_t d = 0; d < shape.size(); ++d)
    for (int64_t o = 0; o < shape[d]; ++o)
      maps[d].push_back(o % x.shape[d]);
  return single(takeElements(x, shape, axisMapIndex(shape, x.shape, maps)));
}

} // namespace rnnpoolc::interp::detail
