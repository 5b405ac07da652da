// Folds the activation QuantizeLinear / DequantizeLinear pairs of a pre-quantised (QDQ)
// model into the int8 parameters of the tensors they quantise, so that the quantiser keeps
// the model's scales and every remaining node is one runtime kernel.
#include "compiler/quant/QuantInternal.h"

#include <algorithm>

namespace rnnpoolc::quant {
namespace {

/// The int8 form of the constant, per-tensor parameters of a QuantizeLinear or
/// DequantizeLinear: uint8 with zero point z becomes int8 with z - 128 and the same scale.
Expected<AffineParams> pairParams(const ir::Graph &g, const ir::Node &node) {
  const ir::Tensor &scale = g.tensor(node.inputs.at(1));
  ir::TensorId zpId = node.input(2);
  if (!scale.isConstant() || (zpId != ir::kNoTensor && !g.tensor(zpId).isConstant()))
    return ir::nodeError(node, "its scale or zero point is computed at run time; the "
                               "fixed-point backend needs constant quantisation parameters");
  std::vector<int64_t> zps = zpId == ir::kNoTensor
                                 ? std::vector<int64_t>(scale.data->f.size(), 0)
                                 : g.tensor(zpId).data->i;
  ir::DType type = zpId == ir::kNoTensor ? ir::DType::UInt8 : g.tensor(zpId).dtype;
  const std::vector<float> &s = scale.data->f;
  bool uniform = std::all_of(s.begin(), s.end(), [&](float v) { return v == s[0]; }) &&
                 std::all_of(zps.begin(), zps.end(), [&](int64_t z) { return z == zps[0]; });
  if (!uniform)
    return ir::nodeError(node, "per-axis parameters for an activation have no int8 kernel; "
                               "quantise activations per tensor (weights may be per channel)");
  if (type != ir::DType::Int8 && type != ir::DType::UInt8)
    return ir::nodeError(node,
                         "quantises activations to {}; the fixed-point backend takes "
                         "int8 or uint8",
                         ir::name(type));
  int64_t zp = type == ir::DType::UInt8 ? zps[0] - 128 : zps[0];
  return AffineParams{s[0], static_cast<int32_t>(zp)};
}

ir::QuantParams toQuant(const AffineParams &p) {
  return {{p.scale}, {p.zeroPoint}, -1};
}

bool isGraphOutput(const ir::Graph &g, ir::TensorId id) {
  return std::find(g.outputs.begin(), g.outputs.end(), id) != g.outputs.end();
}

/// How many live nodes read `id`.
size_t readers(const ir::Graph &g, const std::vector<char> &doomed, ir::TensorId id) {
  size_t count = 0;
  for (size_t n = 0; n < g.nodes.size(); ++n)
    if (!doomed[n] && std::count(g.nodes[n].inputs.begin(), g.nodes[n].inputs.end(), id) > 0)
      ++count;
  return count;
}

/// The DequantizeLinear nodes reading a QuantizeLinear's output, checked to undo exactly
/// that quantisation; graph outputs first, so that their names can be kept.
Expected<std::vector<size_t>> dequantizers(const ir::Graph &g, const ir::Node &q,
                                           const std::vector<size_t> &users,
                                           const AffineParams &p) {
  std::vector<size_t> dqs;
  for (size_t u : users) {
    const ir::Node &dq = g.nodes[u];
    if (dq.op != ir::OpKind::DequantizeLinear)
      return ir::nodeError(q,
                           "its quantised output is read by node '{}' ({}); the fixed-point "
                           "backend needs a DequantizeLinear after each QuantizeLinear",
                           dq.name, ir::opName(dq.op));
    auto given = pairParams(g, dq);
    if (!given)
      return given.error();
    if (given->scale != p.scale || given->zeroPoint != p.zeroPoint)
      return ir::nodeError(dq,
                           "its scale and zero point differ from those of QuantizeLinear "
                           "'{}'; a QDQ pair must use the same parameters",
                           q.name);
    dqs.push_back(u);
  }
  std::stable_partition(dqs.begin(), dqs.end(),
                        [&](size_t u) { return isGraphOutput(g, g.nodes[u].outputs[0]); });
  return dqs;
}

/// Folds one QuantizeLinear (node n) and its DequantizeLinear users.
Status foldPair(ir::Graph &g, size_t n, const std::vector<std::vector<size_t>> &consumers,
                const std::vector<int> &producer, std::vector<char> &doomed) {
  ir::Node &q = g.nodes[n];
  const ir::TensorId x = q.inputs[0], xq = q.outputs[0];
  if (g.tensor(x).isConstant() || !ir::isFloat(g.tensor(x).dtype))
    return ir::nodeError(q,
                         "quantises '{}', which is not a float activation; the fixed-point "
                         "backend folds QuantizeLinear of activations only",
                         g.tensor(x).name);
  if (isGraphOutput(g, xq))
    return ir::nodeError(q, "its quantised output is a graph output; the fixed-point backend "
                            "returns float outputs, so end the model with a DequantizeLinear");
  auto p = pairParams(g, q);
  if (!p)
    return p.error();
  auto dqs = dequantizers(g, q, consumers[static_cast<size_t>(xq)], *p);
  if (!dqs)
    return dqs.error();
  doomed[n] = 1;
  for (size_t u : *dqs)
    doomed[u] = 1;
  if (dqs->empty())
    return Status::ok();
  ir::Tensor &t = g.tensor(x);
  if (t.quant && (t.quant->scale[0] != p->scale || t.quant->zeroPoint[0] != p->zeroPoint)) {
    // A DequantizeLinear -> QuantizeLinear with new parameters: a requantisation, which the
    // quantiser runs for an Identity whose output has other parameters than its input.
    ir::TensorId target = g.nodes[dqs->front()].outputs[0];
    g.tensor(target).quant = toQuant(*p);
    q.op = ir::OpKind::Identity;
    q.attrs = ir::NoAttrs{};
    q.inputs = {x};
    q.outputs = {target};
    doomed[n] = 0;
    for (size_t k = 1; k < dqs->size(); ++k)
      g.replaceAllUses(g.nodes[(*dqs)[k]].outputs[0], target);
    return Status::ok();
  }
  t.quant = toQuant(*p);
  ir::TensorId target = x;
  for (size_t u : *dqs) {
    ir::TensorId y = g.nodes[u].outputs[0];
    int p0 = producer[static_cast<size_t>(x)];
    if (target == x && isGraphOutput(g, y) && !isGraphOutput(g, x) && p0 >= 0 &&
        readers(g, doomed, x) == 0) {
      // Keep the graph output's name: x's producer writes it directly.
      for (ir::TensorId &o : g.nodes[static_cast<size_t>(p0)].outputs)
        if (o == x)
          o = y;
      g.tensor(y).quant = t.quant;
      target = y;
    } else {
      g.replaceAllUses(y, target);
    }
  }
  return Status::ok();
}

} // namespace

Status foldQuantDequant(ir::Graph &g) {
  bool any = std::any_of(g.nodes.begin(), g.nodes.end(), [](const ir::Node &node) {
    return node.op == ir::OpKind::QuantizeLinear || node.op == ir::OpKind::DequantizeLinear;
  });
  if (!any)
    return Status::ok();
  const auto consumers = g.consumers();
  const auto producer = g.producers();
  std::vector<char> doomed(g.nodes.size(), 0);
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const ir::Node &node = g.nodes[n];
    if (node.op == ir::OpKind::QuantizeLinear) {
      RNNPOOLC_TRY(foldPair(g, n, consumers, producer, doomed));
    } else if (node.op == ir::OpKind::DequantizeLinear && !doomed[n]) {
      return ir::nodeError(node,
                           "dequantises '{}', which no QuantizeLinear with constant "
                           "parameters produces; the fixed-point backend takes float "
                           "inputs and folds QuantizeLinear / DequantizeLinear pairs",
                           g.tensor(node.inputs[0]).name);
    }
  }
  std::vector<ir::Node> kept;
  for (size_t n = 0; n < g.nodes.size(); ++n)
    if (!doomed[n])
      kept.push_back(std::move(g.nodes[n]));
  g.nodes = std::move(kept);
  g.compact();
  return Status::ok();
}

} // namespace rnnpoolc::quant
