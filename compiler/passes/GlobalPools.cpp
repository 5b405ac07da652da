// Rewrites a mean or max over the rows and columns of a feature map as the global pool it
// is: ReduceMean / ReduceMax with axes {2, 3} of a float [N, C, H, W] tensor becomes
// GlobalAveragePool / GlobalMaxPool, followed (keepdims = 0) by a Reshape to [N, C].
//
// PyTorch writes `x.mean((2, 3))`, `x.mean([-2, -1], keepdim=True)` and `x.amax((2, 3))` so
// (EfficientNet, MnasNet, squeeze-and-excitation blocks, the authors' own heads); the
// backends have kernels for the global pools (the int8 average pool accumulates a band of
// rows at a time), and none for reductions over two strided axes.
#include "compiler/passes/Passes.h"

#include <algorithm>

namespace rnnpoolc::passes {
namespace {

/// The global pool that `node` computes, or Identity when it is not one.
ir::OpKind globalPoolOf(const ir::Graph &graph, const ir::Node &node) {
  if ((node.op != ir::OpKind::ReduceMean && node.op != ir::OpKind::ReduceMax) ||
      node.inputs.size() < 2 || node.inputs[1] == ir::kNoTensor)
    return ir::OpKind::Identity;
  const ir::Tensor &x = graph.tensor(node.inputs[0]), &axesT = graph.tensor(node.inputs[1]);
  if (x.dtype != ir::DType::Float32 || x.shape.size() != 4 || !axesT.isConstant())
    return ir::OpKind::Identity;
  std::vector<int64_t> axes = axesT.data->toInts();
  for (int64_t &a : axes)
    a = a < 0 ? a + 4 : a;
  std::sort(axes.begin(), axes.end());
  if (axes != std::vector<int64_t>{2, 3})
    return ir::OpKind::Identity;
  return node.op == ir::OpKind::ReduceMean ? ir::OpKind::GlobalAveragePool
                                           : ir::OpKind::GlobalMaxPool;
}

} // namespace

Status rewriteGlobalPools(ir::Graph &graph) {
  std::vector<ir::Node> nodes;
  nodes.reserve(graph.nodes.size());
  for (ir::Node &node : graph.nodes) {
    const ir::OpKind pool = globalPoolOf(graph, node);
    if (pool == ir::OpKind::Identity) {
      nodes.push_back(std::move(node));
      continue;
    }
    const bool keepDims = node.attr<ir::ReduceAttrs>().keepDims;
    const ir::TensorId x = node.inputs[0], y = node.outputs[0];
    ir::Node global;
    global.name = node.name;
    global.op = pool;
    global.attrs = ir::NoAttrs{};
    global.inputs = {x};
    global.inlinedFrom = node.inlinedFrom;
    if (keepDims) { // the same [N, C, 1, 1] output
      global.outputs = {y};
      nodes.push_back(std::move(global));
      continue;
    }
    // [N, C, 1, 1], then the Reshape to the reduction's [N, C] under the output's name.
    // (Copies: addTensor() below may move the graph's tensors.)
    const ir::Shape in = graph.tensor(x).shape;
    const std::string base = graph.tensor(y).name;
    ir::Tensor pooled;
    pooled.name = graph.uniqueTensorName(base + "_pooled");
    pooled.dtype = ir::DType::Float32;
    pooled.shape = {in[0], in[1], 1, 1};
    pooled.shapeKnown = true;
    const ir::TensorId p = graph.addTensor(std::move(pooled));
    const ir::TensorId shape = graph.addConstant(
        graph.uniqueTensorName(base + "_shape"),
        ir::TensorData::fromInts(ir::DType::Int64, {2}, {in[0], in[1]}));
    global.outputs = {p};
    ir::Node reshape;
    reshape.name = node.name + "_reshape";
    reshape.op = ir::OpKind::Reshape;
    reshape.attrs = ir::ReshapeAttrs{};
    reshape.inputs = {p, shape};
    reshape.outputs = {y};
    reshape.inlinedFrom = node.inlinedFrom;
    nodes.push_back(std::move(global));
    nodes.push_back(std::move(reshape));
  }
  graph.nodes = std::move(nodes);
  return Status::ok();
}

} // namespace rnnpoolc::passes
