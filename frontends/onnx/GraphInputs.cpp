// Graph inputs: dtype from the declared type, shape from the declaration or an override.
#include "frontends/onnx/GraphInputs.h"

#include "compiler/support/Limits.h"
#include "frontends/onnx/TensorConvert.h"

#include <algorithm>
#include <limits>
#include <unordered_set>

namespace rnnpoolc::onnx_frontend {
namespace {

/// The shape template suggested in messages, e.g. "1x3xHxW": symbolic dims by name.
std::string shapeTemplate(const onnx::TensorShapeProto &shape) {
  std::string text;
  for (int d = 0; d < shape.dim_size(); ++d) {
    const auto &dim = shape.dim(d);
    if (d)
      text += 'x';
    if (dim.has_dim_value() && dim.dim_value() > 0)
      text += std::to_string(dim.dim_value());
    else if (d == 0 && shape.dim_size() >= 2)
      text += '1';
    else if (dim.has_dim_param() && !dim.dim_param().empty())
      text += dim.dim_param();
    else
      text += '?';
  }
  return text;
}

/// Float inputs (activations) need positive dims. Integer and bool inputs are index or
/// shape parameters (axes, indices), which may legitimately be empty, so 0 is allowed.
Status checkDims(const std::string &input, const ir::Shape &shape, ir::DType dtype,
                 const char *origin) {
  int64_t least = ir::isFloat(dtype) ? 1 : 0;
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] < least)
      return makeError("input '{}' has dim {} at index {}{}; every {} input dim must be {}",
                       input, shape[d], d, origin, least ? "float" : "integer",
                       least ? "positive" : "non-negative");
  return Status::ok();
}

/// The declared shape, with symbolic batch dims set to 1 and other symbolic dims an error.
Expected<ir::Shape> declaredShape(ImportState &state, const std::string &name,
                                  const onnx::TensorShapeProto &declared) {
  ir::Shape shape;
  int rank = declared.dim_size();
  for (int d = 0; d < rank; ++d) {
    const auto &dim = declared.dim(d);
    if (dim.has_dim_value()) {
      shape.push_back(dim.dim_value());
      continue;
    }
    std::string symbol = dim.has_dim_param() && !dim.dim_param().empty() ? dim.dim_param() : "?";
    if (d == 0 && rank >= 2) {
      state.notes.insert(fmt::format("input '{}': symbolic batch dim '{}' set to 1", name, symbol));
      shape.push_back(1);
      continue;
    }
    return makeError("input '{}' has symbolic dim '{}' at index {}; pass --input-shape {}={} "
                     "with every symbolic dim replaced by a size",
                     name, symbol, d, name, shapeTemplate(declared));
  }
  return shape;
}

Expected<ir::Shape> overriddenShape(ImportState &state, const std::string &name,
                                    const onnx::TypeProto_Tensor &type, ir::DType dtype,
                                    bool hasShape, const ir::Shape &override) {
  RNNPOOLC_TRY(checkDims(name, override, dtype, " in --input-shape"));
  if (!hasShape)
    return override;
  const onnx::TensorShapeProto &declared = type.shape();
  if (declared.dim_size() != static_cast<int>(override.size()))
    return makeError("--input-shape {}={} has rank {}, but input '{}' has rank {} ({})", name,
                     ir::toString(override), override.size(), name, declared.dim_size(),
                     shapeTemplate(declared));
  for (int d = 0; d < declared.dim_size(); ++d) {
    const auto &dim = declared.dim(d);
    if (dim.has_dim_value() && dim.dim_value() > 0 && dim.dim_value() != override[d])
      state.notes.insert(fmt::format("input '{}': declared dim {} at index {} overridden to {}",
                                     name, dim.dim_value(), d, override[d]));
  }
  return override;
}

Expected<ir::TensorId> importInput(ImportState &state, const LoadedModel &model,
                                   const onnx::ValueInfoProto &info,
                                   const ImportOptions &options) {
  const std::string &name = info.name();
  if (!info.type().has_tensor_type())
    return makeError("input '{}' is not a tensor (a sequence, map or optional); rnnpoolc "
                     "takes tensor inputs only",
                     name);
  const onnx::TypeProto_Tensor &type = info.type().tensor_type();
  auto mapped = mapOnnxType(type.elem_type());
  if (!mapped)
    return makeError("input '{}' has element type {}, which rnnpoolc does not support; use "
                     "float32 or an integer type",
                     name, onnxTypeName(type.elem_type()));
  if (mapped->note)
    state.notes.insert(mapped->note);

  bool hasShape = type.has_shape() && !model.shapelessInputs.count(name);
  auto override = options.inputShapes.find(name);
  Expected<ir::Shape> shape = ir::Shape{};
  if (override != options.inputShapes.end())
    shape = overriddenShape(state, name, type, mapped->dtype, hasShape, override->second);
  else if (!hasShape)
    return makeError("input '{}' declares no shape; pass --input-shape {}=1x3x224x224 (its "
                     "real dims)",
                     name, name);
  else
    shape = declaredShape(state, name, type.shape());
  if (!shape)
    return shape.error();
  RNNPOOLC_TRY(checkDims(name, *shape, mapped->dtype, ""));
  auto count = ir::checkedNumel(*shape);
  if (!count || *count > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(ir::sizeOf(mapped->dtype)))
    return makeError("input '{}' has shape {}, whose size overflows; fix the model's input "
                     "shape",
                     name, ir::toString(*shape));
  if (*count > limits::kMaxTensorElements)
    return makeError("input '{}' has {} elements ({}); the limit is {} elements per tensor "
                     "(docs/cli.md, Limits)",
                     name, *count, ir::toString(*shape), limits::kMaxTensorElements);

  ir::Tensor t;
  t.name = name;
  t.dtype = mapped->dtype;
  t.shape = std::move(*shape);
  t.shapeKnown = true;
  return state.graph.addTensor(std::move(t));
}

} // namespace

Status importGraphInputs(ImportState &state, const LoadedModel &model,
                         const ImportOptions &options) {
  const onnx::GraphProto &graph = model.model.graph();
  std::unordered_set<std::string> initializers;
  for (const onnx::TensorProto &init : graph.initializer())
    initializers.insert(init.name());

  std::vector<std::string> runtimeNames;
  for (const onnx::ValueInfoProto &info : graph.input())
    if (!initializers.count(info.name()))
      runtimeNames.push_back(info.name());
  for (const auto &[name, shape] : options.inputShapes) {
    if (std::find(runtimeNames.begin(), runtimeNames.end(), name) != runtimeNames.end())
      continue;
    if (initializers.count(name))
      return makeError("--input-shape names '{}', which has an initializer and is imported as "
                       "a constant; its shape cannot be overridden",
                       name);
    return makeError("--input-shape names '{}', which is not an input of the model (inputs: {})",
                     name, runtimeNames.empty() ? "none" : fmt::format("{}", fmt::join(runtimeNames, ", ")));
  }

  for (const onnx::ValueInfoProto &info : graph.input()) {
    if (initializers.count(info.name()))
      continue; // A constant with a default value: imported with the initializers.
    auto id = importInput(state, model, info, options);
    if (!id)
      return id.error();
    state.graph.inputs.push_back(*id);
  }
  return Status::ok();
}

} // namespace rnnpoolc::onnx_frontend
