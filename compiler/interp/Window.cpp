// Sliding-window geometry shared by Conv and the pooling kernels: attribute checks,
// defaults, auto_pad, output sizes, and the lift of 1-D and 2-D windows to 3-D.
#include "compiler/interp/Kernels.h"

namespace rnnpoolc::interp::detail {
namespace {

/// Window parameters above this are surely wrong, and would overflow the size arithmetic.
constexpr int64_t kMaxWindowParam = int64_t{1} << 31;

Status checkRange(const ir::Node &node, const ir::Ints &values, std::string_view what,
                  int64_t min) {
  for (int64_t v : values) {
    if (v < min)
      return ir::nodeError(node, "{} must be at least {}, not {}", what, min, v);
    if (v > kMaxWindowParam)
      return ir::nodeError(node, "{} value {} is too large", what, v);
  }
  return Status::ok();
}

Status checkCount(const ir::Node &node, const ir::Ints &values, std::string_view what,
                  size_t expected) {
  if (values.size() != expected)
    return ir::nodeError(node, "{} has {} entries, expected {}", what, values.size(), expected);
  return Status::ok();
}

} // namespace

ir::Shape Window::outputShape(const ir::Shape &input, int64_t outChannels) const {
  ir::Shape shape{input[0], outChannels};
  shape.insert(shape.end(), out.end() - static_cast<int64_t>(spatialDims), out.end());
  return shape;
}

Expected<Window> slidingWindow(const ir::Node &node, const ir::Shape &input,
                               const ir::Ints &kernel, ir::Ints strides, ir::Ints dilations,
                               ir::Ints pads, ir::AutoPad autoPad, bool ceilMode) {
  if (input.size() < 3 || input.size() > 2 + Window::kDims)
    return ir::nodeError(node,
                         "the input must have rank 3 to 5 (1 to 3 spatial dims), not "
                         "shape {}",
                         ir::toString(input));
  size_t dims = input.size() - 2;
  if (strides.empty())
    strides.assign(dims, 1);
  if (dilations.empty())
    dilations.assign(dims, 1);
  if (pads.empty())
    pads.assign(2 * dims, 0);
  RNNPOOLC_TRY(checkCount(node, kernel, "kernel_shape", dims));
  RNNPOOLC_TRY(checkCount(node, strides, "strides", dims));
  RNNPOOLC_TRY(checkCount(node, dilations, "dilations", dims));
  RNNPOOLC_TRY(checkCount(node, pads, "pads", 2 * dims));
  RNNPOOLC_TRY(checkRange(node, kernel, "kernel_shape", 1));
  RNNPOOLC_TRY(checkRange(node, strides, "strides", 1));
  RNNPOOLC_TRY(checkRange(node, dilations, "dilations", 1));
  RNNPOOLC_TRY(checkRange(node, pads, "pads", 0));
  ir::Shape spatial(input.begin() + 2, input.end());
  pads = ir::resolveAutoPad(autoPad, pads, spatial, kernel, strides, dilations);

  // Spatial dim d of the input is entry lead + d of the window.
  Window w;
  w.spatialDims = dims;
  size_t lead = Window::kDims - dims;
  for (size_t d = 0; d < dims; ++d) {
    size_t e = lead + d;
    w.in[e] = spatial[d];
    w.kernel[e] = kernel[d];
    w.stride[e] = strides[d];
    w.dilation[e] = dilations[d];
    w.padBegin[e] = pads[d];
    w.padEnd[e] = pads[d + dims];
    w.out[e] = ir::slidingOutputSize(w.in[e], w.kernel[e], w.stride[e], w.dilation[e],
                                     w.padBegin[e], w.padEnd[e], ceilMode);
    if (w.out[e] < 1)
      return ir::nodeError(node,
                           "a window of {} with dilation {} does not fit spatial dim {} "
                           "of size {} with pads {} and {}",
                           w.kernel[e], w.dilation[e], d, w.in[e], w.padBegin[e], w.padEnd[e]);
  }
  return w;
}

} // namespace rnnpoolc::interp::detail
