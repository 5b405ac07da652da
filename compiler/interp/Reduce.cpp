// Reduction kernels: ReduceSum, ReduceMean, ReduceMax and ReduceMin over the axes given by
// the optional axes input (all axes, or none with noop_with_empty_axes, when it is absent
// or empty), keeping the reduced dims as 1 when keepdims is set.
#include "compiler/interp/Kernels.h"

#include <algorithm>

namespace rnnpoolc::interp::detail {
namespace {

/// Reduces float elements: each output element combines its inputs in row-major order.
ir::TensorData reduceFloat(ir::OpKind op, const ir::TensorData &x, const ir::Shape &kept,
                           const std::vector<int64_t> &target, int64_t count) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float init = op == ir::OpKind::ReduceMax ? -kInf : op == ir::OpKind::ReduceMin ? kInf : 0;
  ir::TensorData out = ir::TensorData::zeros(ir::DType::Float32, kept);
  std::fill(out.f.begin(), out.f.end(), init);
  for (size_t k = 0; k < x.f.size(); ++k) {
    float &acc = out.f[static_cast<size_t>(target[k])];
    float v = x.f[k];
    switch (op) {
    case ir::OpKind::ReduceMax:
      acc = v > acc || v != v ? v : acc;
      break;
    case ir::OpKind::ReduceMin:
      acc = v < acc || v != v ? v : acc;
      break;
    default: // ReduceSum, ReduceMean (evalReduce admits no other op)
      acc += v;
      break;
    }
  }
  if (op == ir::OpKind::ReduceMean)
    for (float &v : out.f)
      v /= static_cast<float>(count);
  return out;
}

/// Reduces integer elements with wrapping sums; the mean truncates toward zero.
ir::TensorData reduceInt(ir::OpKind op, const ir::TensorData &x, const ir::Shape &kept,
                         const std::vector<int64_t> &target, int64_t count) {
  int64_t init = op == ir::OpKind::ReduceMax   ? std::numeric_limits<int64_t>::min()
                 : op == ir::OpKind::ReduceMin ? std::numeric_limits<int64_t>::max()
                                               : 0;
  ir::TensorData out = ir::TensorData::zeros(x.dtype, kept);
  std::fill(out.i.begin(), out.i.end(), init);
  for (size_t k = 0; k < x.i.size(); ++k) {
    int64_t &acc = out.i[static_cast<size_t>(target[k])];
    switch (op) {
    case ir::OpKind::ReduceMax:
      acc = std::max(acc, x.i[k]);
      break;
    case ir::OpKind::ReduceMin:
      acc = std::min(acc, x.i[k]);
      break;
    default: // ReduceSum, ReduceMean (evalReduce admits no other op)
      acc = wrapAdd(acc, x.i[k]);
      break;
    }
  }
  for (int64_t &v : out.i) {
    if (op == ir::OpKind::ReduceMean && count > 0)
      v /= count;
    v = ir::wrapToType(v, x.dtype);
  }
  return out;
}

} // namespace

Result evalReduce(const ir::Node &node, Inputs in) {
  if (node.op != ir::OpKind::ReduceSum && node.op != ir::OpKind::ReduceMean &&
      node.op != ir::OpKind::ReduceMax && node.op != ir::OpKind::ReduceMin)
    return ir::nodeError(node, "internal: not a reduction");
  const ir::TensorData &x = *in[0];
  const auto &attrs = node.attr<ir::ReduceAttrs>();
  auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes;
  if (in.size() > 1 && in[1]) {
    RNNPOOLC_INTERP_LET(list, readIntList(node, *in[1], "axes"));
    axes = std::move(list);
  }
  if (axes.empty()) {
    if (attrs.noopWithEmptyAxes)
      return single(x);
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  RNNPOOLC_INTERP_LET(normal, normalizeAxes(node, std::move(axes), rank));

  // `kept` is the output shape with reduced dims kept as 1; it broadcasts back to the input,
  // which maps every input element to the output element it contributes to.
  ir::Shape kept = x.shape, dropped;
  int64_t count = 1;
  for (int64_t a : normal) {
    count *= x.shape[static_cast<size_t>(a)];
    kept[static_cast<size_t>(a)] = 1;
  }
  for (size_t d = 0; d < kept.size(); ++d)
    if (std::find(normal.begin(), normal.end(), static_cast<int64_t>(d)) == normal.end())
      dropped.push_back(kept[d]);
  RNNPOOLC_TRY(checkOutputShape(node, kept));
  std::vector<int64_t> target = broadcastIndex(x.shape, kept);
  ir::TensorData out = ir::isFloat(x.dtype) ? reduceFloat(node.op, x, kept, target, count)
                                            : reduceInt(node.op, x, kept, target, count);
  if (!attrs.keepDims)
    out.shape = dropped;
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
