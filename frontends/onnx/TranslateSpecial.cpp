// Translators for ops that do not become an IR node of the same name: Constant becomes a
// graph constant, Dropout an Identity; ConstantOfShape carries a typed fill value.
#include "frontends/onnx/TranslateUtil.h"
#include "frontends/onnx/Translators.h"

namespace rnnpoolc::onnx_frontend::translate {

Status constant(NodeContext &ctx) {
  ctx.emitNode = false;
  static constexpr std::string_view kValueAttrs[] = {"value", "value_float", "value_floats",
                                                     "value_int", "value_ints"};
  static constexpr std::string_view kUnsupported[] = {"sparse_value", "value_string",
                                                      "value_strings"};
  for (std::string_view name : kUnsupported)
    if (ctx.has(name))
      return ctx.error("attribute '{}' is not supported; rnnpoolc takes dense numeric "
                       "constants only",
                       name);
  std::optional<ir::TensorData> data;
  for (std::string_view name : kValueAttrs)
    if (ctx.has(name)) {
      if (data)
        return ctx.error("has more than one value attribute; keep exactly one");
      data = ctx.tensorAttr(name);
      RNNPOOLC_TRY(ctx.status());
    }
  if (!data)
    return ctx.error("has no value attribute; give it exactly one");
  if (ctx.outputCount != 1 || ctx.proto.output(0).empty())
    return ctx.error("must have exactly one output");
  ctx.state.graph.addConstant(ctx.proto.output(0), std::move(*data));
  return Status::ok();
}

Status constantOfShape(NodeContext &ctx) {
  ir::ConstantOfShapeAttrs a;
  if (ctx.has("value")) {
    if (!ctx.getTensor("value"))
      return ctx.status();
    auto value = ctx.tensorAttr("value");
    RNNPOOLC_TRY(ctx.status());
    if (value->numel() != 1)
      return ctx.error("attribute 'value' has {} elements, but must have exactly one",
                       value->numel());
    a.dtype = value->dtype;
    a.value = value->get(0);
  }
  ctx.node.attrs = a;
  return ctx.status();
}

Status dropout(NodeContext &ctx) {
  // Inference-mode Dropout is the identity. Opset 12 moved ratio and training_mode to
  // inputs; training_mode must be absent or a constant false.
  if (ir::TensorId mode = ctx.node.input(2); mode != ir::kNoTensor) {
    const ir::Tensor &t = ctx.state.graph.tensor(mode);
    bool constantFalse = t.isConstant() && t.data->numel() == 1 && t.data->get(0) == 0;
    if (!constantFalse)
      return ctx.error("training_mode must be absent or a constant false; export the model in "
                       "eval mode (model.eval())");
  }
  ctx.node.op = ir::OpKind::Identity;
  ctx.node.attrs = ir::NoAttrs{};
  ctx.resizeInputs(1);
  return ctx.dropExtraOutputs(1, "the mask output");
}

} // namespace rnnpoolc::onnx_frontend::translate
