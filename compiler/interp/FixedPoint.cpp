// The host fixed-point interpreter: one runtime kernel call per node of a quantised model,
// on whole tensors held in the runtime's memory layout.
#include "compiler/interp/FixedPoint.h"

#include "compiler/quant/Kernels.h"

namespace rnnpoolc::interp {

std::vector<int8_t> toRuntimeLayout(const ir::TensorData &value) {
  std::vector<int8_t> bytes(static_cast<size_t>(value.numel()));
  const ir::Shape &s = value.shape;
  if (s.size() != 4) {
    for (size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = static_cast<int8_t>(value.i[i]);
    return bytes;
  }
  const int64_t c = s[1], hw = s[2] * s[3];
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        bytes[static_cast<size_t>((n * hw + p) * c + ch)] =
            static_cast<int8_t>(value.i[static_cast<size_t>((n * c + ch) * hw + p)]);
  return bytes;
}

ir::TensorData fromRuntimeLayout(const std::vector<int8_t> &bytes, const ir::Shape &shape) {
  ir::TensorData value = ir::TensorData::zeros(ir::DType::Int8, shape);
  if (shape.size() != 4) {
    for (size_t i = 0; i < bytes.size(); ++i)
      value.i[i] = bytes[i];
    return value;
  }
  const int64_t c = shape[1], hw = shape[2] * shape[3];
  for (int64_t n = 0; n < shape[0]; ++n)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        value.i[static_cast<size_t>((n * c + ch) * hw + p)] =
            bytes[static_cast<size_t>((n * hw + p) * c + ch)];
  return value;
}

namespace {

int32_t dim(const ir::Shape &s, size_t i) { return static_cast<int32_t>(s.at(i)); }

/// A view of a whole 4-D tensor's bytes.
rp_view wholeView(std::vector<int8_t> &bytes, const ir::Shape &s) {
  return rp_view_whole(bytes.data(), dim(s, 2), dim(s, 3));
}

/// The buffers one layer reads and writes, whole tensors in runtime layout.
struct LayerIO {
  const quant::Layer &layer;
  const ir::Shape &xs, &ys;
  std::vector<int8_t> &x, &y;
  std::vector<std::vector<int8_t>> &buf;
  const ir::Node &node;
  int32_t n; ///< values of the output
  const int8_t *x2() const { return buf[static_cast<size_t>(node.inputs.at(1))].data(); }
};

template <typename P> const P &paramsOf(const LayerIO &io) {
  return std::get<P>(io.layer.params);
}

// One function per kernel form (Kernels.def), called with the row's runtime function.
template <typename P, typename Fn> void runCopy(Fn fn, LayerIO &io) {
  fn(io.x.data(), io.y.data(), io.n);
}
template <typename P, typename Fn> void runView(Fn fn, LayerIO &io) {
  rp_view in = wholeView(io.x, io.xs), out = wholeView(io.y, io.ys);
  rp_region region = rp_region_whole(dim(io.ys, 2), dim(io.ys, 3));
  fn(&paramsOf<P>(io), &in, &out, &region);
}
template <typename P, typename Fn> void runViewScratch(Fn fn, LayerIO &io) {
  rp_view in = wholeView(io.x, io.xs), out = wholeView(io.y, io.ys);
  rp_region region = rp_region_whole(dim(io.ys, 2), dim(io.ys, 3));
  const int64_t bytes = quant::scratchBytes(io.layer, region.col1 - region.col0);
  std::vector<int32_t> scratch(static_cast<size_t>(bytes) / sizeof(int32_t) + 1);
  fn(&paramsOf<P>(io), &in, &out, &region, scratch.data(), /*reuse=*/1);
}
template <typename P, typename Fn> void runUnary(Fn fn, LayerIO &io) {
  fn(&paramsOf<P>(io), io.x.data(), io.y.data(), io.n);
}
template <typename P, typename Fn> void runBinary(Fn fn, LayerIO &io) {
  fn(&paramsOf<P>(io), io.x.data(), io.x2(), io.y.data(), io.n);
}
template <typename P, typename Fn> void runPixels(Fn fn, LayerIO &io) {
  const P &p = paramsOf<P>(io);
  fn(&p, io.x.data(), io.y.data(), io.n / p.channels);
}
template <typename P, typename Fn> void runGate(Fn fn, LayerIO &io) {
  const P &p = paramsOf<P>(io);
  fn(&p, io.x.data(), io.x2(), io.y.data(), io.n / p.channels);
}
template <typename P, typename Fn> void runTable(Fn fn, LayerIO &io) {
  fn(io.layer.table(), io.x.data(), io.y.data(), io.n);
}
template <typename P, typename Fn> void runWholeUnary(Fn fn, LayerIO &io) {
  fn(&paramsOf<P>(io), io.x.data(), io.y.data());
}
template <typename P, typename Fn> void runWholeList(Fn fn, LayerIO &io) {
  std::vector<const int8_t *> ins;
  for (ir::TensorId id : io.node.inputs)
    ins.push_back(io.buf[static_cast<size_t>(id)].data());
  fn(&paramsOf<P>(io), ins.data(), io.y.data());
}

/// Runs one layer: reads the buffers of the node's inputs, fills its output's buffer, with
/// the kernel and call form of its row in the kernel table.
void runLayer(const quant::QuantizedModel &model, size_t index,
              std::vector<std::vector<int8_t>> &buf) {
  const ir::Graph &g = model.graph;
  const ir::Node &node = g.nodes[index];
  const ir::Shape &xs = g.tensor(node.inputs[0]).shape, &ys = g.tensor(node.outputs[0]).shape;
  auto &y = buf[static_cast<size_t>(node.outputs[0])];
  y.assign(static_cast<size_t>(ir::numel(ys)), 0);
  LayerIO io{model.layers[index], xs, ys, buf[static_cast<size_t>(node.inputs[0])], y, buf,
             node, static_cast<int32_t>(y.size())};
  switch (io.layer.kind) {
#define RNNPOOLC_KERNEL(Kind, Name, Form, Function, FloatFunction, Params, ...)                \
  case quant::KernelKind::Kind: run##Form<Params>(Function, io); break;
#include "compiler/quant/Kernels.def"
  }
}

} // namespace

Expected<FixedPointResult> runFixedPoint(const quant::QuantizedModel &model,
                                         const std::vector<ir::TensorData> &inputs,
                                         const FixedPointObserver &observer) {
  const ir::Graph &g = model.graph;
  if (inputs.size() != g.inputs.size())
    return makeError("the model has {} inputs, {} were given", g.inputs.size(), inputs.size());
  for (ir::TensorId id : g.outputs) {
    const ir::Tensor &t = g.tensor(id);
    if (t.isConstant() || !t.quant || t.quant->scale.empty() || t.quant->zeroPoint.empty())
      return makeError("output '{}' is {}; the fixed-point backend computes every output from "
                       "the inputs (an output that is a constant is not supported)",
                       t.name, t.isConstant() ? "a constant" : "not quantised");
  }
  std::vector<std::vector<int8_t>> buf(g.numTensors());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::Tensor &t = g.tensor(g.inputs[i]);
    if (!ir::isFloat(inputs[i].dtype) || inputs[i].shape != t.shape)
      return makeError("input '{}' must be float32 of shape {}, not {} {}", t.name,
                       ir::toString(t.shape), ir::name(inputs[i].dtype),
                       ir::toString(inputs[i].shape));
    std::vector<int8_t> q(inputs[i].f.size());
    rp_quantize_f32_s8(inputs[i].f.data(), q.data(), static_cast<int32_t>(q.size()),
                       1.0f / t.quant->scale[0], static_cast<int32_t>(t.quant->zeroPoint[0]));
    ir::TensorData logical = ir::TensorData::zeros(ir::DType::Int8, t.shape);
    for (size_t k = 0; k < q.size(); ++k)
      logical.i[k] = q[k];
    buf[static_cast<size_t>(g.inputs[i])] = toRuntimeLayout(logical);
  }
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    runLayer(model, n, buf);
    if (observer)
      observer(n, buf[static_cast<size_t>(g.nodes[n].outputs[0])]);
  }
  FixedPointResult result;
  for (ir::TensorId id : g.outputs) {
    const ir::Tensor &t = g.tensor(id);
    ir::TensorData q = fromRuntimeLayout(buf[static_cast<size_t>(id)], t.shape);
    std::vector<int8_t> bytes(q.i.begin(), q.i.end());
    ir::TensorData f = ir::TensorData::zeros(ir::DType::Float32, t.shape);
    rp_dequantize_s8_f32(bytes.data(), f.f.data(), static_cast<int32_t>(bytes.size()),
                         t.quant->scale[0], static_cast<int32_t>(t.quant->zeroPoint[0]));
    result.quantized.push_back(std::move(q));
    result.dequantized.push_back(std::move(f));
  }
  return result;
}

} // namespace rnnpoolc::interp
