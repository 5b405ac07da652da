// Fuses an elementwise activation into the Conv or Gemm that produces its input, so that
// backends apply it while the accumulator is still in registers.
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

#include <limits>

namespace rnnpoolc::passes {
namespace {

/// Reads a scalar float bound of Clip; an omitted bound is `fallback`.
std::optional<float> clipBound(const ir::Graph &graph, ir::TensorId id, float fallback) {
  if (id == ir::kNoTensor)
    return fallback;
  const ir::Tensor &t = graph.tensor(id);
  if (!t.isConstant() || !ir::isFloat(t.dtype) || t.data->numel() != 1)
    return std::nullopt;
  return t.data->f[0];
}

/// The activation an op computes, if it is one that Conv and Gemm can absorb.
std::optional<ir::Activation> asActivation(const ir::Graph &graph, const ir::Node &node) {
  ir::Activation act;
  switch (node.op) {
  case ir::OpKind::Relu: act.kind = ir::ActKind::Relu; break;
  case ir::OpKind::Sigmoid: act.kind = ir::ActKind::Sigmoid; break;
  case ir::OpKind::Tanh: act.kind = ir::ActKind::Tanh; break;
  case ir::OpKind::HardSwish: act.kind = ir::ActKind::HardSwish; break;
  case ir::OpKind::LeakyRelu:
    act.kind = ir::ActKind::LeakyRelu;
    act.alpha = node.attr<ir::AlphaBetaAttrs>().alpha;
    break;
  case ir::OpKind::HardSigmoid:
    act.kind = ir::ActKind::HardSigmoid;
    act.alpha = node.attr<ir::AlphaBetaAttrs>().alpha;
    act.beta = node.attr<ir::AlphaBetaAttrs>().beta;
    break;
  case ir::OpKind::Clip: {
    auto lo = clipBound(graph, node.input(1), -std::numeric_limits<float>::infinity());
    auto hi = clipBound(graph, node.input(2), std::numeric_limits<float>::infinity());
    if (!lo || !hi)
      return std::nullopt;
    act.kind = ir::ActKind::Clip;
    act.alpha = *lo;
    act.beta = *hi;
    break;
  }
  default: return std::nullopt;
  }
  return act;
}

ir::Activation *fusedActivationOf(ir::Node &node) {
  if (node.op == ir::OpKind::Conv)
    return &node.attr<ir::ConvAttrs>().act;
  if (node.op == ir::OpKind::Gemm)
    return &node.attr<ir::GemmAttrs>().act;
  return nullptr;
}

} // namespace

Status fuseActivations(ir::Graph &graph) {
  std::vector<int> producer = graph.producers();
  std::vector<std::vector<size_t>> consumers = graph.consumers();
  std::vector<char> doomed(graph.nodes.size(), 0);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node &node = graph.nodes[n];
    if (node.inputs.empty() || node.inputs[0] == ir::kNoTensor)
      continue;
    auto act = asActivation(graph, node);
    ir::TensorId x = node.inputs[0];
    int p = producer[static_cast<size_t>(x)];
    if (!act || p < 0 || !hasSingleUser(graph, consumers, x) ||
        !ir::isFloat(graph.tensor(x).dtype))
      continue;
    ir::Node &prev = graph.nodes[static_cast<size_t>(p)];
    ir::Activation *slot = fusedActivationOf(prev);
    if (!slot || slot->kind != ir::ActKind::None)
      continue;
    *slot = *act;
    prev.outputs[0] = node.outputs[0];
    doomed[n] = 1;
  }
  eraseNodes(graph, doomed);
  return Status::ok();
}

} // namespace rnnpoolc::passes
