// Helpers shared by the op translators: attribute checks and small constant tensors.
#pragma once

#include "frontends/onnx/NodeContext.h"

#include <string_view>

namespace rnnpoolc::onnx_frontend::translate {

/// A 1-D int64 tensor, the IR's form of axes, pads, starts and the like.
inline ir::TensorData int64Vector(const ir::Ints &values) {
  return ir::TensorData::fromInts(ir::DType::Int64, {static_cast<int64_t>(values.size())},
                                  values);
}

inline ir::TensorData floatScalar(float value) { return ir::TensorData::fromFloats({}, {value}); }

/// Records an error unless every value is >= `min`.
inline void requireAtLeast(NodeContext &ctx, std::string_view attr, const ir::Ints &values,
                           int64_t min) {
  for (int64_t v : values)
    if (v < min) {
      ctx.fail(ctx.error("attribute '{}' has value {}, but every value must be at least {}",
                         attr, v, min));
      return;
    }
}

/// Moves an optional ints attribute into a constant operand at `index`; absent leaves
/// the operand as it is.
inline void intsAttrToInput(NodeContext &ctx, std::string_view attr, size_t index) {
  if (!ctx.has(attr))
    return;
  ir::Ints values = ctx.getInts(attr);
  ctx.setConstantInput(index, attr, int64Vector(values));
}

} // namespace rnnpoolc::onnx_frontend::translate
