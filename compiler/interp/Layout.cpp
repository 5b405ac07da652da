// Data-movement kernels that cut and join tensors: Concat, Split, Slice, Transpose and Pad.
// They work on every dtype: each computes where its output elements come from, then copies.
#include "compiler/interp/Kernels.h"

#include <algorithm>

namespace rnnpoolc::interp::detail {
namespace {

/// Pads past this magnitude are surely wrong, and would overflow the size arithmetic.
constexpr int64_t kMaxPad = int64_t{1} << 40;

Expected<size_t> axisOf(const ir::Node &node, const ir::Shape &shape) {
  int64_t axis = node.attr<ir::AxisAttrs>().axis;
  auto normal = ir::normalizeAxis(axis, static_cast<int64_t>(shape.size()));
  if (!normal)
    return ir::nodeError(node, "axis {} is out of range for input of shape {}", axis,
                         ir::toString(shape));
  return static_cast<size_t>(*normal);
}

/// Sums split or concat sizes, refusing negative sizes and overflow.
Expected<int64_t> checkedSum(const ir::Node &node, const std::vector<int64_t> &sizes) {
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return ir::nodeError(node, "size {} is negative", s);
    if (total > std::numeric_limits<int64_t>::max() - s)
      return ir::nodeError(node, "sizes add up to more than the int64 range");
    total += s;
  }
  return total;
}

/// The sizes of Split's parts: the split input, or equal parts with a smaller last one.
Expected<std::vector<int64_t>> splitSizes(const ir::Node &node, Inputs in, int64_t dim) {
  auto parts = static_cast<int64_t>(node.outputs.size());
  if (in.size() > 1 && in[1]) {
    RNNPOOLC_INTERP_LET(sizes, readIntList(node, *in[1], "split"));
    if (static_cast<int64_t>(sizes.size()) != parts)
      return ir::nodeError(node, "split has {} sizes for {} outputs", sizes.size(), parts);
    RNNPOOLC_INTERP_LET(total, checkedSum(node, sizes));
    if (total != dim)
      return ir::nodeError(node, "split sizes add up to {}, but the axis has {} elements",
                           total, dim);
    return sizes;
  }
  int64_t chunk = dim / parts + (dim % parts != 0);
  int64_t last = dim - chunk * (parts - 1);
  if (last < 0)
    return ir::nodeError(node, "cannot split an axis of {} elements into {} parts", dim, parts);
  std::vector<int64_t> sizes(static_cast<size_t>(parts), chunk);
  sizes.back() = last;
  return sizes;
}

/// One axis of a Slice: the first source index, the step, and the number taken.
struct SliceAxis {
  int64_t start = 0, step = 1, length = 0;
};

/// ONNX Slice arithmetic for one axis: negative starts and ends count from the end, then
/// both are clamped ([0, dim] going forward, [-1, dim-1] going backward).
SliceAxis sliceAxis(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  // Steps longer than the axis take at most one element; capping them avoids overflow.
  step = std::clamp(step, -(dim + 1), dim + 1);
  SliceAxis s;
  s.step = step;
  if (step > 0) {
    s.start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    s.length = end > s.start ? (end - s.start + step - 1) / step : 0;
  } else {
    s.start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    s.length = s.start > end ? (s.start - end - step - 1) / -step : 0;
  }
  return s;
}

/// Where output index `o` of a padded axis reads from, or -1 for the constant value. The
/// axis keeps input elements [keepBegin, keepBegin + kept) after cropping (negative pads)
/// and then adds `before` elements in front.
int64_t padSource(ir::PadMode mode, int64_t o, int64_t before, int64_t keepBegin,
                  int64_t kept) {
  const int64_t s = ir::padSource(mode, o - before, kept);
  return s < 0 ? -1 : keepBegin + s;
}

} // namespace

Result evalConcat(const ir::Node &node, Inputs in) {
  const ir::TensorData &first = *in[0];
  RNNPOOLC_INTERP_LET(axis, axisOf(node, first.shape));
  std::vector<int64_t> sizes;
  for (size_t k = 0; k < in.size(); ++k) {
    const ir::TensorData &x = *in[k];
    RNNPOOLC_TRY(requireSameDType(node, first, x));
    bool fits = x.shape.size() == first.shape.size();
    for (size_t d = 0; fits && d < x.shape.size(); ++d)
      fits = d == axis || x.shape[d] == first.shape[d];
    if (!fits)
      return ir::nodeError(node,
                           "input {} of shape {} does not match input 0 of shape {} "
                           "outside axis {}",
                           k, ir::toString(x.shape), ir::toString(first.shape), axis);
    sizes.push_back(x.shape[axis]);
  }
  RNNPOOLC_INTERP_LET(total, checkedSum(node, sizes));
  ir::Shape shape = first.shape;
  shape[axis] = total;
  RNNPOOLC_INTERP_LET(out, allocate(node, first.dtype, shape));
  if (out.numel() == 0)
    return single(std::move(out));
  int64_t outer = dimProduct(shape, 0, axis), inner = dimProduct(shape, axis + 1, shape.size());
  int64_t offset = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t k = 0; k < in.size(); ++k) {
      int64_t block = sizes[k] * inner;
      copyElements(*in[k], o * block, out, offset, block);
      offset += block;
    }
  return single(std::move(out));
}

Result evalSplit(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  RNNPOOLC_INTERP_LET(axis, axisOf(node, x.shape));
  RNNPOOLC_INTERP_LET(sizes, splitSizes(node, in, x.shape[axis]));
  int64_t outer = dimProduct(x.shape, 0, axis);
  int64_t inner = dimProduct(x.shape, axis + 1, x.shape.size());
  int64_t rowSize = x.shape[axis] * inner, begin = 0;
  Values outs;
  for (int64_t size : sizes) {
    ir::Shape shape = x.shape;
    shape[axis] = size;
    ir::TensorData out = ir::TensorData::zeros(x.dtype, shape);
    for (int64_t o = 0; o < outer && out.numel() > 0; ++o)
      copyElements(x, o * rowSize + begin * inner, out, o * size * inner, size * inner);
    begin += size;
    outs.push_back(std::move(out));
  }
  return outs;
}

Result evalSlice(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  auto rank = static_cast<int64_t>(x.shape.size());
  RNNPOOLC_INTERP_LET(starts, readIntList(node, *in[1], "starts"));
  RNNPOOLC_INTERP_LET(ends, readIntList(node, *in[2], "ends"));
  std::vector<int64_t> axes, steps(starts.size(), 1);
  for (size_t k = 0; k < starts.size(); ++k)
    axes.push_back(static_cast<int64_t>(k));
  if (in.size() > 3 && in[3]) {
    RNNPOOLC_INTERP_LET(given, readIntList(node, *in[3], "axes"));
    axes = std::move(given);
  }
  if (in.size() > 4 && in[4]) {
    RNNPOOLC_INTERP_LET(given, readIntList(node, *in[4], "steps"));
    steps = std::move(given);
  }
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return ir::nodeError(node, "starts, ends, axes and steps have {}, {}, {} and {} entries",
                         starts.size(), ends.size(), axes.size(), steps.size());
  RNNPOOLC_INTERP_LET(normal, normalizeAxes(node, std::move(axes), rank));

  std::vector<SliceAxis> view(static_cast<size_t>(rank));
  for (size_t d = 0; d < view.size(); ++d)
    view[d].length = x.shape[d];
  for (size_t k = 0; k < normal.size(); ++k) {
    if (steps[k] == 0)
      return ir::nodeError(node, "step {} is zero", k);
    auto d = static_cast<size_t>(normal[k]);
    view[d] = sliceAxis(x.shape[d], starts[k], ends[k], steps[k]);
  }
  ir::Shape shape;
  std::vector<int64_t> inStrides = ir::stridesOf(x.shape), strides;
  int64_t offset = 0;
  for (size_t d = 0; d < view.size(); ++d) {
    shape.push_back(view[d].length);
    strides.push_back(view[d].step * inStrides[d]);
    offset += view[d].start * inStrides[d];
  }
  // An empty result may start past the end of the input: never read from it.
  if (ir::numel(shape) == 0)
    return single(ir::TensorData::zeros(x.dtype, shape));
  return single(takeElements(x, shape, stridedIndex(shape, offset, strides)));
}

Result evalTranspose(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  size_t rank = x.shape.size();
  ir::Ints perm = node.attr<ir::TransposeAttrs>().perm;
  if (perm.empty())
    for (size_t d = rank; d-- > 0;)
      perm.push_back(static_cast<int64_t>(d));
  std::vector<bool> seen(rank, false);
  bool valid = perm.size() == rank;
  for (size_t d = 0; valid && d < rank; ++d) {
    valid = perm[d] >= 0 && perm[d] < static_cast<int64_t>(rank) &&
            !seen[static_cast<size_t>(perm[d])];
    if (valid)
      seen[static_cast<size_t>(perm[d])] = true;
  }
  if (!valid)
    return ir::nodeError(node, "perm is not a permutation of the {} dims of the input", rank);
  std::vector<int64_t> inStrides = ir::stridesOf(x.shape), strides;
  ir::Shape shape;
  for (int64_t p : perm) {
    shape.push_back(x.shape[static_cast<size_t>(p)]);
    strides.push_back(inStrides[static_cast<size_t>(p)]);
  }
  return single(takeElements(x, shape, stridedIndex(shape, 0, strides)));
}

Result evalChannelShuffle(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  const int64_t groups = node.attr<ir::ChannelShuffleAttrs>().groups;
  if (x.shape.size() != 4 || groups < 1 || x.shape[1] % groups != 0)
    return ir::nodeError(node,
                         "shuffles the channels of a [N, C, H, W] tensor in groups that "
                         "divide C, not {} groups of {}",
                         groups, ir::toString(x.shape));
  // Output channel i * groups + j reads input channel j * (C / groups) + i.
  const int64_t c = x.shape[1], perGroup = c / groups, hw = x.shape[2] * x.shape[3];
  std::vector<int64_t> index(static_cast<size_t>(x.numel()));
  size_t k = 0;
  for (int64_t n = 0; n < x.shape[0]; ++n)
    for (int64_t i = 0; i < perGroup; ++i)
      for (int64_t j = 0; j < groups; ++j)
        for (int64_t p = 0; p < hw; ++p)
          index[k++] = (n * c + j * perGroup + i) * hw + p;
  return single(takeElements(x, x.shape, index));
}

Result evalPad(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  const ir::TensorData *value = in.size() > 2 ? in[2] : nullptr;
  ir::PadMode mode = node.attr<ir::PadAttrs>().mode;
  size_t rank = x.shape.size();
  RNNPOOLC_INTERP_LET(pads, readIntList(node, *in[1], "pads"));
  if (pads.size() != 2 * rank)
    return ir::nodeError(node, "pads has {} entries, expected {} for input of shape {}",
                         pads.size(), 2 * rank, ir::toString(x.shape));
  if (value) {
    RNNPOOLC_TRY(requireSameDType(node, x, *value));
    if (value->numel() != 1)
      return ir::nodeError(node, "the pad value must be a scalar, not of shape {}",
                           ir::toString(value->shape));
  }
  // Negative pads crop first; positive pads then extend what remains.
  ir::Shape shape(rank);
  std::vector<int64_t> before(rank), keepBegin(rank), kept(rank);
  for (size_t d = 0; d < rank; ++d) {
    int64_t begin = pads[d], end = pads[d + rank];
    if (std::max(begin, end) > kMaxPad || std::min(begin, end) < -kMaxPad)
      return ir::nodeError(node, "pads {} and {} of axis {} are too large", begin, end, d);
    keepBegin[d] = std::max<int64_t>(0, -begin);
    kept[d] = x.shape[d] - keepBegin[d] - std::max<int64_t>(0, -end);
    before[d] = std::max<int64_t>(0, begin);
    if (kept[d] < 0)
      return ir::nodeError(node, "pads {} and {} remove more than the {} elements of axis {}",
                           begin, end, x.shape[d], d);
    shape[d] = kept[d] + before[d] + std::max<int64_t>(0, end);
    if (mode != ir::PadMode::Constant && kept[d] == 0 && shape[d] > 0)
      return ir::nodeError(node, "cannot pad axis {} by {} when it has no elements", d,
                           mode == ir::PadMode::Edge ? "edge" : "reflect");
  }
  RNNPOOLC_TRY(checkOutputShape(node, shape));
  if (ir::numel(shape) == 0)
    return single(ir::TensorData::zeros(x.dtype, shape));

  // Where each output index of each axis reads from; -1 stands for the pad value.
  std::vector<std::vector<int64_t>> maps(rank);
  for (size_t d = 0; d < rank; ++d)
    for (int64_t o = 0; o < shape[d]; ++o)
      maps[d].push_back(padSource(mode, o, before[d], keepBegin[d], kept[d]));
  std::vector<int64_t> index = axisMapIndex(shape, x.shape, maps);
  return single(takeElements(x, shape, index, value));
}

} // namespace rnnpoolc::interp::detail
