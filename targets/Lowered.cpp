// Lowering a quantised model and its verified plan to the target-neutral tables (see
// Lowered.h). Every decision a backend needs is taken here, once.
#include "targets/Lowered.h"

#include "targets/FloatLowering.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>

namespace rnnpoolc::targets {
namespace {


class Lowering {
public:
  Lowering(const quant::QuantizedModel &model, const plan::Plan &plan)
      : m_(model), g_(model.graph), p_(plan) {}
  Expected<LoweredModel> run();

private:
  const quant::QuantizedModel &m_;
  const ir::Graph &g_;
  const plan::Plan &p_;
  LoweredModel out_;

  Status checkLimits() const;
  bool skipped(const plan::Step &s) const;
  Status checkWhole(size_t node) const;
  Expected<LoweredLayer> layer(size_t node);
  /// Whether a step writes over its input (a depthwise conv in place: one row inside the
  /// row band's ring it reads, or a tile over its input's tile, with a scratch either way).
  /// (A row inside a ring the step does not read is a Pad's input row, written where the
  /// Pad's output keeps it: an ordinary write.)
  bool inPlaceStep(const plan::Step &s) const {
    const plan::Buffer &out = p_.buffers[static_cast<size_t>(s.outputs[0])];
    return (out.within >= 0 && !s.inputs.empty() && s.inputs[0] == out.within) ||
           (out.aliasOf >= 0 && g_.nodes[s.node].op == ir::OpKind::Conv);
  }
};

Status Lowering::checkLimits() const {
  for (const plan::Step &s : p_.steps)
    if (s.kind == plan::StepKind::Compute && s.outputs.size() != 1)
      return ir::nodeError(g_.nodes[s.node], "nodes with several outputs have no int8 kernel");
  return checkPlanLimits(g_, p_);
}

/// A step of an in-place Alias (the output is the input's bytes) needs no code.
bool Lowering::skipped(const plan::Step &s) const {
  if (s.kind != plan::StepKind::Compute || m_.layers[s.node].kind != quant::KernelKind::Alias)
    return false;
  return s.inputs[0] >= 0 && p_.buffers[s.inputs[0]].offset == p_.buffers[s.outputs[0]].offset;
}

/// Whole-tensor kernels run as one step over whole buffers.
Status Lowering::checkWhole(size_t node) const {
  for (const plan::Step &s : p_.steps) {
    if (s.kind != plan::StepKind::Compute || s.node != node)
      continue;
    bool whole = s.out == plan::wholeRegion(g_.tensor(g_.nodes[node].outputs[0]));
    for (size_t k = 0; k < s.inputs.size(); ++k)
      if (s.inputs[k] >= 0)
        whole = whole && p_.buffers[s.inputs[k]].kind == plan::BufferKind::Region &&
                p_.buffers[s.inputs[k]].region ==
                    plan::wholeRegion(g_.tensor(g_.nodes[node].inputs[k]));
    if (!whole)
      return ir::nodeError(g_.nodes[node], "the plan runs it on part of a tensor, but its "
                                           "kernel ({}) needs whole tensors",
                           quant::name(m_.layers[node].kind));
  }
  return Status::ok();
}

Expected<LoweredLayer> Lowering::layer(size_t n) {
  const ir::Node &node = g_.nodes[n];
  const quant::Layer &layer = m_.layers[n];
  LoweredLayer l;
  l.node = n;
  const std::string id = identifier(node.name);
  l.name = fmt::format("s{}{}{}", n, id.empty() ? "" : "_", id);
  l.kind = layer.kind;
  l.kernel = &quant::kernelInfo(layer.kind);
  for (const auto &a : layer.arrays) {
    l.arrays.push_back(static_cast<int>(out_.arrays.size()));
    out_.arrays.push_back({n, a->field, a, nullptr});
    out_.weightsBytes += static_cast<int64_t>(a->bytes());
  }
  auto params = paramValues(layer, out_.arrays, l.arrays);
  if (!params)
    return makeError("{} (node '{}')", params.error().message(), node.name);
  l.params = std::move(*params);
  if (layer.kind == quant::KernelKind::Concat && layer.concatInputs) {
    l.rowsType = "rp_concat_input";
    for (const rp_concat_input &in : *layer.concatInputs) {
      std::vector<ParamValue> row(4);
      row[0].field = "channels", row[0].value = in.channels;
      row[1].field = "in_zp", row[1].value = in.in_zp;
      row[2].field = "mult", row[2].value = in.mult;
      row[3].field = "shift", row[3].value = in.shift;
      l.rows.push_back(std::move(row));
    }
  }
  const ir::TensorId outT = node.outputs[0];
  const plan::Extent ein = plan::extentOf(g_.tensor(node.inputs[0]));
  const plan::Extent eout = plan::extentOf(g_.tensor(outT));
  l.outChannels = eout.channels;
  l.pixelChannels = quant::pixelChannels(layer);
  if (const auto *gate = std::get_if<rp_mul_gate_params>(&layer.params))
    l.perPixelGate = gate->per_pixel != 0;
  // A reshape that regroups rows (a relabelled transpose, heads reshaped to [1, N, k]):
  // one copy of the whole tensor when the plan did not run it in place.
  l.wholeCopy = layer.kind == quant::KernelKind::Alias &&
                (ein.rows != eout.rows || ein.cols != eout.cols || ein.channels != eout.channels);
  l.copyCount = l.wholeCopy ? ir::numel(g_.tensor(outT).shape) : 0;
  for (const plan::Step &s : p_.steps)
    l.accumulate =
        l.accumulate || (s.kind == plan::StepKind::Compute && s.node == n && s.accumulate);
  for (const plan::Step &s : p_.steps)
    if (s.kind == plan::StepKind::Compute && s.node == n && !s.outputs.empty() &&
        s.outputs[0] >= 0 && inPlaceStep(s)) {
      if (layer.kind != quant::KernelKind::Conv || s.scratch < 0)
        return ir::nodeError(node,
                             "the plan computes it in place, which its int8 kernel "
                             "({}) does not",
                             l.kernel->name);
      const int64_t padLeft = node.attr<ir::ConvAttrs>().pads[1];
      const int64_t chunk =
          p_.buffers[static_cast<size_t>(s.scratch)].bytes / eout.channels - padLeft;
      l.inPlaceChunk = l.inPlaceChunk ? std::min(l.inPlaceChunk, chunk) : chunk;
    }
  // A depthwise conv that computes its expansion: every step of it (one tiled region).
  bool first = true;
  for (const plan::Step &s : p_.steps)
    if (s.kind == plan::StepKind::Compute && s.node == n) {
      if (!first && (s.fusedExpansion != l.fusedExpansion || s.fusedGroup != l.fuseGroup ||
                     s.fusedRows != l.fuseRows))
        return ir::nodeError(node, "internal: the plan fuses its expansion in some steps only");
      first = false;
      if (s.fusedExpansion >= 0 &&
          (layer.kind != quant::KernelKind::Conv ||
           m_.layers[static_cast<size_t>(s.fusedExpansion)].kind != quant::KernelKind::Conv))
        return ir::nodeError(node, "the plan computes an expansion in its steps, which its "
                                   "int8 kernel ({}) does not",
                             l.kernel->name);
      l.fusedExpansion = s.fusedExpansion, l.fuseGroup = s.fusedGroup;
      l.fuseRows = s.fusedExpansion >= 0 && s.fusedRows;
    }
  if (l.accumulate && layer.kind != quant::KernelKind::GlobalAvgPool)
    return ir::nodeError(node,
                         "the plan accumulates it a band of rows at a time, which its int8 "
                         "kernel ({}) does not",
                         l.kernel->name);
  // A channel Concat runs a row of a step at a time when the plan bands it
  // (rp_concat_pixels_s8); any other whole-tensor kernel needs its steps whole.
  const bool rowsConcat =
      layer.kind == quant::KernelKind::Concat && ir::isChannelConcat(g_, node);
  if (rowsConcat) {
    auto inputs = stepInputs(g_, p_, n);
    if (!inputs)
      return inputs.error();
    l.wholeInputs = std::move(*inputs);
    for (const plan::Step &s : p_.steps)
      l.banded = l.banded || (s.kind == plan::StepKind::Compute && s.node == n &&
                              s.out != plan::wholeRegion(g_.tensor(node.outputs[0])));
  } else if (!l.accumulate && (l.wholeCopy || l.kernel->shape() == quant::CallShape::Whole))
    RNNPOOLC_TRY(checkWhole(n));
  if (l.kernel->form == quant::KernelForm::Binary && node.inputs.size() == 2 &&
      (g_.tensor(node.inputs[0]).isConstant() || g_.tensor(node.inputs[1]).isConstant()))
    return ir::nodeError(node, "a constant operand has no int8 {} kernel yet", l.kernel->name);
  if (l.kernel->form == quant::KernelForm::WholeList && !rowsConcat) {
    // The inputs' buffers are fixed (the one step over whole tensors), so they are data.
    for (const plan::Step &s : p_.steps)
      if (s.kind == plan::StepKind::Compute && s.node == n)
        l.wholeInputs.assign(s.inputs.begin(), s.inputs.end());
  }
  return l;
}

Expected<LoweredModel> Lowering::run() {
  out_.precision = Precision::Int8;
  out_.model = &m_, out_.graph = &g_, out_.plan = &p_;
  std::vector<bool> skip;
  for (const plan::Step &st : p_.steps)
    skip.push_back(skipped(st));
  auto schedule = lowerSchedule(g_, p_, skip);
  if (!schedule)
    return schedule.error();
  RNNPOOLC_TRY(checkLimits());
  static_cast<LoweredSchedule &>(out_) = std::move(*schedule);
  for (size_t n = 0; n < g_.nodes.size(); ++n) {
    auto l = layer(n);
    if (!l)
      return l.error();
    out_.layers.push_back(std::move(*l));
  }
  return std::move(out_);
}

} // namespace

std::string_view LoweredLayer::kernelName() const {
  return floatKernel ? floatKernel->name : kernel->name;
}
std::string_view LoweredLayer::function() const {
  return floatKernel ? floatKernel->function : kernel->function;
}
std::string_view LoweredLayer::paramsType() const {
  return floatKernel ? floatKernel->paramsType : kernel->paramsType;
}
quant::CallShape LoweredLayer::callShape() const {
  return floatKernel ? floatKernel->shape : kernel->shape();
}

Status checkMapLimits(const ir::Graph &graph) {
  for (const ir::Node &node : graph.nodes)
    for (ir::TensorId t : node.outputs) {
      const ir::Shape &shape = graph.tensor(t).shape;
      if (shape.size() >= 3 && (shape[shape.size() - 2] > INT16_MAX || shape.back() > INT16_MAX))
        return ir::nodeError(node, "its output {} has more than 32767 rows or columns, which "
                                   "generated code cannot address; give the input a smaller "
                                   "shape (--input-shape)",
                             ir::toString(shape));
    }
  return Status::ok();
}

Status checkPlanLimits(const ir::Graph &graph, const plan::Plan &plan) {
  for (const plan::Step &s : plan.steps)
    if (s.out.row1 > INT32_MAX || s.out.col1 > INT32_MAX)
      return ir::nodeError(graph.nodes[s.node], "tensors over 2^31 - 1 rows or columns are not "
                                                "supported");
  if (plan.buffers.size() > static_cast<size_t>(INT16_MAX) || graph.nodes.size() > INT16_MAX)
    return makeError("the plan has {} buffers and {} nodes; at most 32767 are supported",
                     plan.buffers.size(), graph.nodes.size());
  return Status::ok();
}

Expected<std::vector<int>> stepInputs(const ir::Graph &g, const plan::Plan &plan, size_t node) {
  std::optional<std::vector<int>> inputs;
  for (const plan::Step &s : plan.steps) {
    if (s.kind != plan::StepKind::Compute || s.node != node)
      continue;
    if (inputs && *inputs != s.inputs)
      return ir::nodeError(g.nodes[node], "internal: the plan reads its inputs from other "
                                          "buffers from step to step");
    inputs = s.inputs;
  }
  return inputs.value_or(std::vector<int>{});
}

int wholeBufferOf(const ir::Graph &g, const plan::Plan &plan, ir::TensorId t, int first,
                  int last) {
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    const plan::Buffer &buf = plan.buffers[b];
    if (buf.tensor == t && buf.kind == plan::BufferKind::Region &&
        buf.region == plan::wholeRegion(g.tensor(t)) && buf.firstStep <= first &&
        buf.lastStep >= last)
      return static_cast<int>(b);
  }
  return -1;
}

/// An identifier fragment from a node name: alphanumerics kept, other runs as one '_', no
/// trailing '_', at most 40 characters.
std::string identifier(const std::string &name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (ok)
      out += c;
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  return out.substr(0, 40);
}

void shareIdenticalArrays(LoweredModel &model) {
  auto same = [](const LoweredArray &a, const LoweredArray &b) {
    if (a.ctype() != b.ctype() || a.count() != b.count())
      return false;
    if (a.floats)
      return std::equal(a.floats->begin(), a.floats->end(), b.floats->begin(),
                        [](float x, float y) { return std::memcmp(&x, &y, sizeof x) == 0; });
    return a.data->s8 == b.data->s8 && a.data->s16 == b.data->s16 && a.data->s32 == b.data->s32;
  };
  std::multimap<std::pair<size_t, size_t>, int> seen; // (bytes, count) -> arrays of their own
  for (size_t i = 0; i < model.arrays.size(); ++i) {
    LoweredArray &a = model.arrays[i];
    const auto key = std::pair{a.bytes(), a.count()};
    for (auto [it, end] = seen.equal_range(key); it != end && a.sameAs < 0; ++it)
      if (same(model.arrays[static_cast<size_t>(it->second)], a))
        a.sameAs = it->second;
    if (a.sameAs >= 0)
      model.weightsBytes -= static_cast<int64_t>(a.bytes());
    else
      seen.emplace(key, static_cast<int>(i));
  }
}

Expected<LoweredModel> lower(const quant::QuantizedModel &model, const plan::Plan &plan) {
  auto lowered = Lowering(model, plan).run();
  if (lowered)
    shareIdenticalArrays(*lowered);
  return lowered;
}

} // namespace rnnpoolc::targets
