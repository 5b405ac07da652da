// Folds inference-mode BatchNormalization into the Conv or Gemm that feeds it; one that no
// such node feeds (DenseNet's norm -> relu -> conv after a Concat, a normalised input)
// becomes a depthwise 1x1 Conv with weights s and bias t, which every backend runs.
//
// BN(y) = s * y + t with s = scale / sqrt(var + eps) and t = B - mean * s, per channel.
// For Conv, channel o of y is W[o] * x + b[o], so BN(y) = (s[o] W[o]) * x + (s[o] b[o] + t[o]).
// For Gemm, y = alpha * A * B' + beta * C over features n, so BN(y) = alpha * A * (B' s)
// + (beta * C * s + t), with the new bias used at beta = 1.
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

#include <cmath>

namespace rnnpoolc::passes {
namespace {

const ir::TensorData *constant(const ir::Graph &graph, ir::TensorId id) {
  if (id == ir::kNoTensor || !graph.tensor(id).isConstant())
    return nullptr;
  const ir::TensorData *data = graph.tensor(id).data.get();
  return ir::isFloat(data->dtype) ? data : nullptr;
}

/// Per-channel s and t of a BatchNormalization whose parameters are constant vectors of
/// `channels` floats, or false.
bool batchNormAffine(const ir::Graph &graph, const ir::Node &bn, int64_t channels,
                     std::vector<float> &s, std::vector<float> &t) {
  const ir::TensorData *scale = constant(graph, bn.inputs[1]);
  const ir::TensorData *bias = constant(graph, bn.inputs[2]);
  const ir::TensorData *mean = constant(graph, bn.inputs[3]);
  const ir::TensorData *var = constant(graph, bn.inputs[4]);
  for (const ir::TensorData *p : {scale, bias, mean, var})
    if (!p || p->numel() != channels)
      return false;
  float eps = bn.attr<ir::BatchNormAttrs>().epsilon;
  s.resize(static_cast<size_t>(channels));
  t.resize(static_cast<size_t>(channels));
  for (size_t c = 0; c < s.size(); ++c) {
    s[c] = scale->f[c] / std::sqrt(var->f[c] + eps);
    t[c] = bias->f[c] - mean->f[c] * s[c];
  }
  return true;
}

bool foldIntoConv(ir::Graph &graph, ir::Node &conv, const ir::Node &bn) {
  const ir::TensorData *w = constant(graph, conv.inputs[1]);
  const ir::TensorData *b = constant(graph, conv.input(2));
  if (!w || (conv.input(2) != ir::kNoTensor && !b) ||
      conv.attr<ir::ConvAttrs>().act.kind != ir::ActKind::None)
    return false;
  int64_t cout = w->shape[0];
  std::vector<float> s, t;
  if (!batchNormAffine(graph, bn, cout, s, t))
    return false;

  ir::TensorData newW = *w;
  int64_t perChannel = w->numel() / cout;
  for (int64_t k = 0; k < w->numel(); ++k)
    newW.f[static_cast<size_t>(k)] *= s[static_cast<size_t>(k / perChannel)];
  std::vector<float> newB(static_cast<size_t>(cout));
  for (size_t o = 0; o < newB.size(); ++o)
    newB[o] = (b ? b->f[o] : 0.0f) * s[o] + t[o];

  // A copy: addConstant() below may move the graph's tensors, and their names with them.
  const std::string base = graph.tensor(bn.outputs[0]).name;
  conv.inputs[1] = graph.addConstant(graph.uniqueTensorName(base + "_w"), std::move(newW));
  ir::TensorId bias = graph.addConstant(graph.uniqueTensorName(base + "_b"),
                                        ir::TensorData::fromFloats({cout}, std::move(newB)));
  conv.inputs.resize(3);
  conv.inputs[2] = bias;
  return true;
}

bool foldIntoGemm(ir::Graph &graph, ir::Node &gemm, const ir::Node &bn) {
  auto &attrs = gemm.attr<ir::GemmAttrs>();
  const ir::TensorData *w = constant(graph, gemm.inputs[1]);
  const ir::TensorData *c = constant(graph, gemm.input(2));
  if (!w || w->shape.size() != 2 || attrs.act.kind != ir::ActKind::None)
    return false;
  int64_t n = attrs.transB ? w->shape[0] : w->shape[1];
  // Only a bias that is a per-feature vector (or absent) folds into a per-feature bias.
  if (gemm.input(2) != ir::kNoTensor &&
      (!c || c->numel() != n || (c->shape.size() == 2 && c->shape[0] != 1)))
    return false;
  std::vector<float> s, t;
  if (!batchNormAffine(graph, bn, n, s, t))
    return false;

  ir::TensorData newW = *w;
  for (int64_t r = 0; r < w->shape[0]; ++r)
    for (int64_t col = 0; col < w->shape[1]; ++col)
      newW.f[static_cast<size_t>(r * w->shape[1] + col)] *=
          s[static_cast<size_t>(attrs.transB ? r : col)];
  std::vector<float> newC(static_cast<size_t>(n));
  for (size_t j = 0; j < newC.size(); ++j)
    newC[j] = (c ? attrs.beta * c->f[j] * s[j] : 0.0f) + t[j];

  // A copy: addConstant() below may move the graph's tensors, and their names with them.
  const std::string base = graph.tensor(bn.outputs[0]).name;
  gemm.inputs[1] = graph.addConstant(graph.uniqueTensorName(base + "_w"), std::move(newW));
  ir::TensorId bias = graph.addConstant(graph.uniqueTensorName(base + "_b"),
                                        ir::TensorData::fromFloats({n}, std::move(newC)));
  gemm.inputs.resize(3);
  gemm.inputs[2] = bias;
  attrs.beta = 1.0f;
  return true;
}

/// Rewrites `bn` over a [N, C, H, W] map in place as Conv(x, s, t) with a 1x1 kernel and
/// one group per channel.
bool toDepthwiseConv(ir::Graph &graph, ir::Node &bn) {
  const ir::Tensor &x = graph.tensor(bn.inputs[0]);
  if (bn.outputs.size() != 1 || x.shape.size() != 4 || !ir::isFloat(x.dtype) || x.shape[1] < 1)
    return false;
  const int64_t channels = x.shape[1];
  std::vector<float> s, t;
  if (!batchNormAffine(graph, bn, channels, s, t))
    return false;
  // A copy: addConstant() below may move the graph's tensors, and their names with them.
  const std::string base = graph.tensor(bn.outputs[0]).name;
  ir::TensorId w = graph.addConstant(graph.uniqueTensorName(base + "_w"),
                                     ir::TensorData::fromFloats({channels, 1, 1, 1}, std::move(s)));
  ir::TensorId b = graph.addConstant(graph.uniqueTensorName(base + "_b"),
                                     ir::TensorData::fromFloats({channels}, std::move(t)));
  ir::ConvAttrs conv;
  conv.kernel = {1, 1}, conv.strides = {1, 1}, conv.dilations = {1, 1}, conv.pads = {0, 0, 0, 0};
  conv.group = channels;
  bn.op = ir::OpKind::Conv;
  bn.attrs = conv;
  bn.inputs = {bn.inputs[0], w, b};
  return true;
}

} // namespace

Status foldBatchNorm(ir::Graph &graph) {
  std::vector<int> producer = graph.producers();
  std::vector<std::vector<size_t>> consumers = graph.consumers();
  std::vector<char> doomed(graph.nodes.size(), 0);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node &bn = graph.nodes[n];
    if (bn.op != ir::OpKind::BatchNormalization)
      continue;
    ir::TensorId x = bn.inputs[0];
    int p = producer[static_cast<size_t>(x)];
    ir::Node *prev = p < 0 || !hasSingleUser(graph, consumers, x)
                         ? nullptr
                         : &graph.nodes[static_cast<size_t>(p)];
    bool folded = prev && ((prev->op == ir::OpKind::Conv && foldIntoConv(graph, *prev, bn)) ||
                           (prev->op == ir::OpKind::Gemm && foldIntoGemm(graph, *prev, bn)));
    if (folded) {
      prev->outputs[0] = bn.outputs[0];
      doomed[n] = 1;
    } else {
      toDepthwiseConv(graph, graph.nodes[n]);
    }
  }
  eraseNodes(graph, doomed);
  return Status::ok();
}

} // namespace rnnpoolc::passes
