// The host fixed-point interpreter: one runtime kernel call per node of a quantised model,
// on whole tensors held in the runtime's memory layout.
#include "compiler/interp/FixedPoint.h"

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

/// Runs one layer: reads the buffers of the node's inputs, fills its output's buffer.
void runLayer(const quant::QuantizedModel &model, size_t index,
              std::vector<std::vector<int8_t>> &buf) {
  const ir::Graph &g = model.graph;
  const ir::Node &node = g.nodes[index];
  const quant::Layer &layer = model.layers[index];
  auto &x = buf[static_cast<size_t>(node.inputs[0])];
  const ir::Tensor &yt = g.tensor(node.outputs[0]);
  auto &y = buf[static_cast<size_t>(node.outputs[0])];
  const ir::Shape &xs = g.tensor(node.inputs[0]).shape, &ys = yt.shape;
  y.assign(static_cast<size_t>(ir::numel(ys)), 0);
  const auto n = static_cast<int32_t>(y.size());
  switch (layer.kind) {
  case quant::KernelKind::Alias: y = x; break;
  case quant::KernelKind::Conv:
  case quant::KernelKind::MaxPool:
  case quant::KernelKind::AvgPool:
  case quant::KernelKind::Pad:
  case quant::KernelKind::PadMode:
  case quant::KernelKind::RNNPool: {
    rp_view in = wholeView(x, xs), out = wholeView(y, ys);
    rp_region region = rp_region_whole(dim(ys, 2), dim(ys, 3));
    if (layer.kind == quant::KernelKind::Pad)
      rp_pad_s8(&std::get<rp_pad_params>(layer.params), &in, &out, &region);
    else if (layer.kind == quant::KernelKind::PadMode)
      rp_pad_mode_s8(&std::get<rp_pad_mode_params>(layer.params), &in, &out, &region);
    else if (layer.kind == quant::KernelKind::Conv)
      rp_conv_s8(&std::get<rp_conv_params>(layer.params), &in, &out, &region);
    else if (layer.kind == quant::KernelKind::MaxPool)
      rp_maxpool_s8(&std::get<rp_pool_params>(layer.params), &in, &out, &region);
    else if (layer.kind == quant::KernelKind::AvgPool)
      rp_avgpool_s8(&std::get<rp_pool_params>(layer.params), &in, &out, &region);
    else {
      const auto &p = std::get<rp_rnnpool_params>(layer.params);
      size_t bytes = rp_rnnpool_scratch_bytes(&p, region.col1 - region.col0, /*reuse=*/1);
      std::vector<int32_t> scratch(bytes / sizeof(int32_t) + 1);
      rp_rnnpool_s8(&p, &in, &out, &region, scratch.data(), /*reuse=*/1);
    }
    break;
  }
  case quant::KernelKind::FullyConnected:
    rp_fc_s8(&std::get<rp_fc_params>(layer.params), x.data(), y.data());
    break;
  case quant::KernelKind::GlobalAvgPool:
    rp_global_avgpool_s8(&std::get<rp_global_avgpool_params>(layer.params), x.data(), y.data());
    break;
  case quant::KernelKind::Add:
    rp_add_s8(&std::get<rp_add_params>(layer.params), x.data(),
              buf[static_cast<size_t>(node.inputs[1])].data(), y.data(), n);
    break;
  case quant::KernelKind::Concat: {
    std::vector<const int8_t *> ins;
    for (ir::TensorId id : node.inputs)
      ins.push_back(buf[static_cast<size_t>(id)].data());
    rp_concat_s8(&std::get<rp_concat_params>(layer.params), ins.data(), y.data());
    break;
  }
  case quant::KernelKind::Requant:
    rp_requant_s8(&std::get<rp_requant_params>(layer.params), x.data(), y.data(), n);
    break;
  case quant::KernelKind::Lut: rp_lut_s8(layer.table(), x.data(), y.data(), n); break;
  case quant::KernelKind::Softmax:
    rp_softmax_s8(&std::get<rp_softmax_params>(layer.params), x.data(), y.data());
    break;
  case quant::KernelKind::L2Norm: {
    const auto &p = std::get<rp_l2norm_params>(layer.params);
    rp_l2norm_s8(&p, x.data(), y.data(), n / p.channels);
    break;
  }
  case quant::KernelKind::Mul:
    rp_mul_s8(&std::get<rp_mul_params>(layer.params), x.data(),
              buf[static_cast<size_t>(node.inputs[1])].data(), y.data(), n);
    break;
  case quant::KernelKind::MulChannel: {
    const auto &p = std::get<rp_mul_channel_params>(layer.params);
    rp_mul_channel_s8(&p, x.data(), y.data(), n / p.channels);
    break;
  }
  case quant::KernelKind::ChannelSlice: {
    const auto &p = std::get<rp_channel_slice_params>(layer.params);
    rp_channel_slice_s8(&p, x.data(), y.data(), n / p.channels);
    break;
  }
  case quant::KernelKind::ChannelStep: {
    const auto &p = std::get<rp_channel_step_params>(layer.params);
    rp_channel_step_s8(&p, x.data(), y.data(), n / p.channels);
    break;
  }
  case quant::KernelKind::Permute:
    rp_permute_s8(&std::get<rp_permute_params>(layer.params), x.data(), y.data());
    break;
  case quant::KernelKind::ReduceExtreme:
  case quant::KernelKind::ReduceMean:
    rp_reduce_channels_s8(&std::get<rp_reduce_channels_params>(layer.params), x.data(),
                          y.data(), n);
    break;
  case quant::KernelKind::MinMax:
    rp_minmax_s8(&std::get<rp_minmax_params>(layer.params), x.data(),
                 buf[static_cast<size_t>(node.inputs[1])].data(), y.data(), n);
    break;
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
