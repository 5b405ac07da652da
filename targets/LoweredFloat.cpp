// Lowering the float build and its verified plan to the target-neutral tables (see
// Lowered.h): the float twin of Lowered.cpp, so that every backend prints either build from
// the same kind of lowered model. Every decision about how a float kernel runs a step is
// taken here: which steps are skipped, whether a layer runs row by row or once over whole
// tensors, which buffers and arrays feed it.
#include "targets/FloatLowering.h"
#include "targets/Lowered.h"

#include <fmt/format.h>

#include <climits>
#include <functional>

namespace rnnpoolc::targets {
namespace {

class FloatPlanLowering {
public:
  FloatPlanLowering(const FloatModel &model, const plan::Plan &plan)
      : m_(model), g_(model.graph), p_(plan) {}
  Expected<LoweredModel> run();

private:
  const FloatModel &m_;
  const ir::Graph &g_;
  const plan::Plan &p_;
  LoweredModel out_;
  std::vector<bool> banded_;   ///< By node: some step computes or reads part of a tensor.
  std::vector<int> wholeStep_; ///< By node: its (last) plan step, or -1.
  std::vector<bool> skipped_;  ///< By plan step: an Alias computed in place.

  Status checkPlan() const;
  Status classify();
  Expected<LoweredLayer> layer(size_t node);
};

Status FloatPlanLowering::checkPlan() const {
  if (!p_.floatActivations)
    return makeError("internal: the float build needs a plan of float32 activations");
  for (const plan::Buffer &b : p_.buffers)
    if (b.offset % 4 != 0)
      return makeError("internal: buffer of '{}' at arena offset {} is not float-aligned",
                       g_.tensor(b.tensor).name, b.offset);
  RNNPOOLC_TRY(checkPlanLimits(g_, p_));
  for (const plan::Step &s : p_.steps) {
    if (s.kind == plan::StepKind::Compute && s.accumulate)
      return ir::nodeError(g_.nodes[s.node], "the plan accumulates it a band of rows at a "
                                             "time, which its float kernel ({}) does not",
                           name(m_.steps[s.node].kind));
  }
  return Status::ok();
}

/// Which nodes run banded, their whole step otherwise, and which steps need no code.
Status FloatPlanLowering::classify() {
  banded_.assign(g_.nodes.size(), false);
  wholeStep_.assign(g_.nodes.size(), -1);
  std::vector<int> count(g_.nodes.size(), 0);
  for (size_t k = 0; k < p_.steps.size(); ++k) {
    const plan::Step &s = p_.steps[k];
    skipped_.push_back(false);
    if (s.kind != plan::StepKind::Compute)
      continue;
    const ir::Node &node = g_.nodes[s.node];
    bool whole = s.out == plan::wholeRegion(g_.tensor(node.outputs[0]));
    for (size_t i = 0; i < s.inputs.size(); ++i)
      if (s.inputs[i] >= 0)
        whole = whole && p_.buffers[s.inputs[i]].kind == plan::BufferKind::Region &&
                p_.buffers[s.inputs[i]].region == plan::wholeRegion(g_.tensor(node.inputs[i]));
    banded_[s.node] = banded_[s.node] || !whole || ++count[s.node] > 1;
    wholeStep_[s.node] = static_cast<int>(k);
    skipped_.back() = m_.steps[s.node].kind == FloatKind::Alias && s.inputs[0] >= 0 &&
                      p_.buffers[s.inputs[0]].offset == p_.buffers[s.outputs[0]].offset;
  }
  for (size_t n = 0; n < g_.nodes.size(); ++n) {
    const FloatKernelInfo &k = floatKernelInfo(m_.steps[n].kind);
    if (!banded_[n] || k.shape == quant::CallShape::View)
      continue;
    const ir::Shape &y = g_.tensor(g_.nodes[n].outputs[0]).shape;
    if (ir::isChannelConcat(g_, g_.nodes[n]) || ir::isChannelSlice(g_, g_.nodes[n]))
      continue; // a row at a time (a concat from the same input buffers: layer())
    if (k.shape != quant::CallShape::Rows || y.size() != 4 || g_.nodes[n].outputs.size() != 1)
      return ir::nodeError(g_.nodes[n], "the plan runs it on part of a tensor, but its float "
                                        "kernel ({}) needs whole tensors",
                           k.name);
  }
  return Status::ok();
}

/// Points the params' array fields (indices into the step's own arrays) at the model's.
void rebase(std::vector<ParamValue> &fields, int base) {
  for (ParamValue &v : fields) {
    if (v.kind == ParamValue::Kind::Array && v.array >= 0)
      v.array += base;
    rebase(v.fields, base);
  }
}

Expected<LoweredLayer> FloatPlanLowering::layer(size_t n) {
  const ir::Node &node = g_.nodes[n];
  const FloatStep &fs = m_.steps[n];
  LoweredLayer l;
  l.node = n;
  const std::string id = identifier(node.name);
  l.name = fmt::format("s{}{}{}", n, id.empty() ? "" : "_", id);
  l.floatKind = fs.kind;
  l.floatKernel = &floatKernelInfo(fs.kind);
  const int base = static_cast<int>(out_.arrays.size());
  for (const FloatArray &a : fs.arrays) {
    l.arrays.push_back(static_cast<int>(out_.arrays.size()));
    out_.arrays.push_back(
        {n, a.field, nullptr, std::make_shared<const std::vector<float>>(a.values)});
  }
  l.params = fs.params;
  rebase(l.params, base);
  if (fs.kind == FloatKind::Concat || fs.kind == FloatKind::Split) {
    // The channels of each input (output) as an int32 array behind the last field.
    auto channels = std::make_shared<quant::ConstArray>();
    channels->field = "channels", channels->ctype = "int32_t";
    channels->s32.assign(fs.concatChannels.begin(), fs.concatChannels.end());
    l.arrays.push_back(static_cast<int>(out_.arrays.size()));
    ParamValue v;
    v.kind = ParamValue::Kind::Array, v.field = "channels";
    v.array = static_cast<int>(out_.arrays.size());
    l.params.push_back(std::move(v));
    out_.arrays.push_back({n, "channels", channels, nullptr});
  }
  for (size_t k = 0; k < fs.operandInput.size(); ++k) {
    LoweredOperand op;
    op.input = fs.operandInput[k];
    for (size_t i = 0; i < op.input; ++i)
      op.slot += g_.tensor(node.inputs[i]).isConstant() ? 0 : 1;
    for (size_t a = 0; a < fs.arrays.size() && !fs.operandArray[k].empty(); ++a)
      if (fs.arrays[a].field == fs.operandArray[k])
        op.array = base + static_cast<int>(a);
    l.operands.push_back(op);
  }
  l.pixels = fs.pixels;
  l.banded = banded_[n];
  const ir::Tensor &y = g_.tensor(node.outputs[0]);
  l.outChannels = y.shape.size() == 4 ? y.shape[1] : plan::extentOf(y).channels;
  l.pixelChannels = l.outChannels;
  if (l.banded && fs.kind == FloatKind::Concat) { // its input buffers listed once
    auto inputs = stepInputs(g_, p_, n);
    if (!inputs)
      return inputs.error();
    l.wholeInputs = std::move(*inputs);
  }
  if (!l.banded && wholeStep_[n] >= 0) {
    const plan::Step &st = p_.steps[static_cast<size_t>(wholeStep_[n])];
    l.wholeInputs.assign(st.inputs.begin(), st.inputs.end());
    l.wholeOutputs.assign(st.outputs.begin(), st.outputs.end());
    l.wholeCopy = fs.kind == FloatKind::Alias;
    l.copyCount = l.wholeCopy ? ir::checkedNumel(y.shape).value_or(0) : 0;
  }
  return l;
}

Expected<LoweredModel> FloatPlanLowering::run() {
  out_.precision = Precision::Float;
  out_.graph = &g_, out_.plan = &p_;
  RNNPOOLC_TRY(checkPlan());
  RNNPOOLC_TRY(classify());
  auto schedule = lowerSchedule(g_, p_, skipped_);
  if (!schedule)
    return schedule.error();
  static_cast<LoweredSchedule &>(out_) = std::move(*schedule);
  for (size_t n = 0; n < g_.nodes.size(); ++n) {
    auto l = layer(n);
    if (!l)
      return l.error();
    out_.layers.push_back(std::move(*l));
  }
  for (const LoweredArray &a : out_.arrays)
    out_.weightsBytes += static_cast<int64_t>(a.bytes());
  return std::move(out_);
}

} // namespace

Expected<LoweredModel> lower(const FloatModel &model, const plan::Plan &plan) {
  auto lowered = FloatPlanLowering(model, plan).run();
  if (lowered)
    shareIdenticalArrays(*lowered);
  return lowered;
}

} // namespace rnnpoolc::targets
