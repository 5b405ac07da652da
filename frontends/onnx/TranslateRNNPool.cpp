// The ai.rnnpoolc::RNNPool custom node (encoding 3 of DESIGN.md §3; spec in
// tools/rnnpool/README.md): validates its attributes and operand count and fills in
// ir::RNNPoolAttrs. Weight shapes are checked by shape inference.
#include "frontends/onnx/Translators.h"

#include <optional>

namespace rnnpoolc::onnx_frontend::translate {
namespace {

std::optional<ir::RnnNonlinearity> nonlinearityFromName(std::string_view name) {
  if (name == "sigmoid")
    return ir::RnnNonlinearity::Sigmoid;
  if (name == "tanh")
    return ir::RnnNonlinearity::Tanh;
  if (name == "quantSigm")
    return ir::RnnNonlinearity::QuantSigm;
  if (name == "quantTanh")
    return ir::RnnNonlinearity::QuantTanh;
  return std::nullopt;
}

/// A required ints attribute of two positive values.
Status positivePair(NodeContext &ctx, std::string_view name, ir::Ints &out) {
  if (!ctx.has(name))
    return ctx.error("attribute '{}' is required", name);
  out = ctx.getInts(name);
  RNNPOOLC_TRY(ctx.status());
  if (out.size() != 2)
    return ctx.error("attribute '{}' must have 2 values, not {}", name, out.size());
  if (out[0] <= 0 || out[1] <= 0)
    return ctx.error("attribute '{}' must be positive, not [{}, {}]", name, out[0], out[1]);
  return Status::ok();
}

Status nonlinearity(NodeContext &ctx, std::string_view attr, std::string_view fallback,
                    ir::RnnNonlinearity &out) {
  std::string value = ctx.getString(attr, std::string(fallback));
  RNNPOOLC_TRY(ctx.status());
  auto kind = nonlinearityFromName(value);
  if (!kind)
    return ctx.error("{} '{}' is not an RNNPool nonlinearity (sigmoid, tanh, quantSigm or "
                     "quantTanh)",
                     attr, value);
  out = *kind;
  return Status::ok();
}

Status rank(NodeContext &ctx, std::string_view attr, int64_t &out) {
  out = ctx.getInt(attr, 0);
  RNNPOOLC_TRY(ctx.status());
  if (out < 0)
    return ctx.error("attribute '{}' must be >= 0, not {}", attr, out);
  return Status::ok();
}

} // namespace

Status rnnPool(NodeContext &ctx) {
  ir::RNNPoolAttrs a;
  ir::Ints hidden;
  RNNPOOLC_TRY(positivePair(ctx, "patch", a.patch));
  RNNPOOLC_TRY(positivePair(ctx, "stride", a.stride));
  RNNPOOLC_TRY(positivePair(ctx, "hidden", hidden));
  a.rnn1.hidden = hidden[0];
  a.rnn2.hidden = hidden[1];
  ir::RnnNonlinearity gate{}, update{};
  RNNPOOLC_TRY(nonlinearity(ctx, "gate_nonlinearity", "sigmoid", gate));
  RNNPOOLC_TRY(nonlinearity(ctx, "update_nonlinearity", "tanh", update));
  a.rnn1.gate = a.rnn2.gate = gate;
  a.rnn1.update = a.rnn2.update = update;
  RNNPOOLC_TRY(rank(ctx, "rank_w1", a.rnn1.rankW));
  RNNPOOLC_TRY(rank(ctx, "rank_u1", a.rnn1.rankU));
  RNNPOOLC_TRY(rank(ctx, "rank_w2", a.rnn2.rankW));
  RNNPOOLC_TRY(rank(ctx, "rank_u2", a.rnn2.rankU));
  size_t expected = ir::rnnPoolInputCount(a);
  if (ctx.node.inputs.size() != expected)
    return ctx.error("has {} inputs; with ranks w1={} u1={} w2={} u2={} it needs {} (X, then "
                     "each RNN's W, U, b_z, b_h, zeta, nu with W and U split in two when low "
                     "rank)",
                     ctx.node.inputs.size(), a.rnn1.rankW, a.rnn1.rankU, a.rnn2.rankW,
                     a.rnn2.rankU, expected);
  for (size_t i = 0; i < expected; ++i)
    if (ctx.node.inputs[i] == ir::kNoTensor)
      return ctx.error("input {} is required, but omitted", i);
  a.encoding = "node";
  a.replacedNodes = 1;
  ctx.node.attrs = std::move(a);
  return Status::ok();
}

} // namespace rnnpoolc::onnx_frontend::translate
