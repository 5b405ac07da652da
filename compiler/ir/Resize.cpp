// Resize's coordinate rules: see Resize.h.
#include "compiler/ir/Resize.h"

#include "compiler/ir/ShapeInference.h"

#include <algorithm>
#include <cmath>

namespace rnnpoolc::ir {

using detail::kMaxElements;

std::string_view name(ResizeMode mode) {
  return mode == ResizeMode::Nearest ? "nearest" : "linear";
}

std::string_view name(ResizeCoord coord) {
  switch (coord) {
  case ResizeCoord::HalfPixel: return "half_pixel";
  case ResizeCoord::PytorchHalfPixel: return "pytorch_half_pixel";
  case ResizeCoord::AlignCorners: return "align_corners";
  case ResizeCoord::Asymmetric: return "asymmetric";
  }
  return "?";
}

std::string_view name(ResizeNearest nearest) {
  switch (nearest) {
  case ResizeNearest::RoundPreferFloor: return "round_prefer_floor";
  case ResizeNearest::RoundPreferCeil: return "round_prefer_ceil";
  case ResizeNearest::Floor: return "floor";
  case ResizeNearest::Ceil: return "ceil";
  }
  return "?";
}

namespace {

/// x_original of output index x (ONNX's coordinate_transformation_mode). The reference
/// takes the resized length as scale * inSize, which need not be whole.
double originalCoordinate(ResizeCoord coord, int64_t x, int64_t inSize, double scale) {
  const double outLength = scale * static_cast<double>(inSize);
  const double xd = static_cast<double>(x);
  switch (coord) {
  case ResizeCoord::AlignCorners:
    return outLength == 1 ? 0.0 : xd * static_cast<double>(inSize - 1) / (outLength - 1);
  case ResizeCoord::Asymmetric: return xd / scale;
  case ResizeCoord::PytorchHalfPixel:
    return outLength == 1 ? -0.5 : (xd + 0.5) / scale - 0.5;
  case ResizeCoord::HalfPixel: return (xd + 0.5) / scale - 0.5;
  }
  return xd;
}

} // namespace

std::vector<ResizeTap> resizeTaps(const ResizeAttrs &a, int64_t inSize, int64_t outSize,
                                  double scale) {
  std::vector<ResizeTap> taps(static_cast<size_t>(std::max<int64_t>(outSize, 0)));
  const auto border = [&](double i) {
    return static_cast<int64_t>(std::clamp(i, 0.0, static_cast<double>(inSize - 1)));
  };
  for (int64_t x = 0; x < outSize; ++x) {
    const double orig = originalCoordinate(a.coord, x, inSize, scale);
    const double low = std::floor(orig), ratio = orig - low;
    ResizeTap &t = taps[static_cast<size_t>(x)];
    if (a.mode == ResizeMode::Nearest) {
      bool up = false; // a whole coordinate reads itself
      if (ratio != 0) {
        switch (a.nearest) {
        case ResizeNearest::RoundPreferFloor: up = ratio > 0.5; break;
        case ResizeNearest::RoundPreferCeil: up = ratio >= 0.5; break;
        case ResizeNearest::Floor: up = false; break;
        case ResizeNearest::Ceil: up = true; break;
        }
      }
      t.i0 = t.i1 = border(up ? low + 1 : low);
      continue;
    }
    // Linear: both taps on the border read the same value, whatever the weights.
    if (low < 0 || low >= static_cast<double>(inSize - 1) || ratio == 0) {
      t.i0 = t.i1 = border(ratio == 0 ? orig : low);
      continue;
    }
    t.i0 = static_cast<int64_t>(low), t.i1 = t.i0 + 1, t.frac = ratio;
  }
  return taps;
}

namespace {

/// The values of input i when it is a non-empty constant, else null.
Expected<const TensorData *> constantInput(const Graph &graph, const Node &node, size_t i,
                                           std::string_view what) {
  if (i >= node.inputs.size() || node.inputs[i] == kNoTensor)
    return nullptr;
  const Tensor &t = graph.tensor(node.inputs[i]);
  if (numel(t.shape) == 0)
    return nullptr;
  if (!t.isConstant())
    return nodeError(node,
                     "Resize {} is not a constant (computed at run time); rnnpoolc needs "
                     "static shapes: export with fixed input sizes",
                     what);
  return t.data.get();
}

} // namespace

Expected<ResizeGiven> resizeGiven(const Node &node, const Shape &in, const TensorData *scales,
                                  const TensorData *sizes) {
  if (scales && scales->numel() == 0)
    scales = nullptr;
  if (sizes && sizes->numel() == 0)
    sizes = nullptr;
  if ((scales == nullptr) == (sizes == nullptr))
    return nodeError(node, "Resize needs exactly one of a non-empty scales and sizes input");
  const TensorData &t = scales ? *scales : *sizes;
  ResizeGiven g;
  g.sizes = sizes != nullptr;
  if (t.shape.size() != 1 || t.numel() != static_cast<int64_t>(in.size()))
    return nodeError(node, "Resize {} has shape {}; an input of rank {} needs {} values",
                     g.sizes ? "sizes" : "scales", toString(t.shape), in.size(), in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    const double v = t.get(static_cast<int64_t>(d));
    if (g.sizes && (v < 1 || v > static_cast<double>(kMaxElements) || in[d] < 1))
      return nodeError(node, "Resize sizes must be positive, of a non-empty input");
    if (!g.sizes && (!(v > 0) || !std::isfinite(v)))
      return nodeError(node, "Resize scales must be positive and finite");
    const double dim = g.sizes ? v : std::floor(static_cast<double>(in[d]) * v);
    if (dim > static_cast<double>(kMaxElements))
      return nodeError(node, "Resize scale {} of axis {} of size {} is too large", v, d, in[d]);
    g.out.push_back(static_cast<int64_t>(dim));
    g.scales.push_back(g.sizes ? v / static_cast<double>(in[d]) : v);
  }
  return g;
}

Expected<ResizeGiven> resizeGiven(const Graph &graph, const Node &node) {
  auto scales = constantInput(graph, node, 2, "scales");
  if (!scales)
    return scales.error();
  auto sizes = constantInput(graph, node, 3, "sizes");
  if (!sizes)
    return sizes.error();
  return resizeGiven(node, graph.tensor(node.inputs.at(0)).shape, *scales, *sizes);
}

Expected<Shape> resizeOutputShape(const Graph &graph, const Node &node) {
  auto given = resizeGiven(graph, node);
  if (!given)
    return given.error();
  return std::move(given->out);
}

Expected<ResizeMapPlan> resizeMapPlan(const Graph &graph, const Node &node) {
  const Shape &in = graph.tensor(node.inputs.at(0)).shape;
  auto given = resizeGiven(graph, node);
  if (!given)
    return given.error();
  if (in.size() != 4 || in[0] != 1 || given->out[0] != 1 || given->out[1] != in[1])
    return nodeError(node, "the int8 and float kernels resize the rows and columns of "
                           "[1, C, H, W] maps only, not {} to {}",
                     toString(in), toString(given->out));
  // The int8 kernel's Q11 source coordinates (index * 2048) stay within int32.
  constexpr int64_t kMaxSide = int64_t{1} << 20;
  if (in[2] >= kMaxSide || in[3] >= kMaxSide)
    return nodeError(node, "the Resize kernels take maps of fewer than 2^20 rows and "
                           "columns, not {}",
                     toString(in));
  const auto &attrs = node.attr<ResizeAttrs>();
  ResizeMapPlan plan;
  plan.channels = in[1], plan.inH = in[2], plan.inW = in[3];
  plan.outH = given->out[2], plan.outW = given->out[3];
  plan.linear = attrs.mode == ResizeMode::Linear;
  plan.rows = resizeTaps(attrs, plan.inH, plan.outH, given->scales[2]);
  plan.cols = resizeTaps(attrs, plan.inW, plan.outW, given->scales[3]);
  return plan;
}

} // namespace rnnpoolc::ir
