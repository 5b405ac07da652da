// Validated attribute access and operand helpers for op translators.
#include "frontends/onnx/NodeContext.h"

#include "frontends/onnx/TensorConvert.h"

#include <algorithm>

namespace rnnpoolc::onnx_frontend {

using onnx::AttributeProto;

std::string ImportState::freshName(const std::string &base) {
  std::string name = base;
  // Each base resumes its count where it stopped (names are never released), so that
  // many nodes of one name stay linear.
  int &k = nextSuffix[base];
  k = std::max(k, 2);
  while (graph.findTensor(name) || modelNames.count(name))
    name = fmt::format("{}_{}", base, k++);
  return name;
}

NodeContext::NodeContext(ImportState &state, const onnx::NodeProto &proto, int64_t opset)
    : state(state), proto(proto), opset(opset) {
  node.name = proto.name();
  // Trailing empty output names are omitted optional outputs.
  outputCount = static_cast<size_t>(proto.output_size());
  while (outputCount > 0 && proto.output(static_cast<int>(outputCount - 1)).empty())
    --outputCount;
}

namespace {

const char *typeName(int type) {
  switch (type) {
  case AttributeProto::FLOAT: return "a float";
  case AttributeProto::INT: return "an int";
  case AttributeProto::STRING: return "a string";
  case AttributeProto::TENSOR: return "a tensor";
  case AttributeProto::GRAPH: return "a graph";
  case AttributeProto::SPARSE_TENSOR: return "a sparse tensor";
  case AttributeProto::TYPE_PROTO: return "a type";
  case AttributeProto::FLOATS: return "a list of floats";
  case AttributeProto::INTS: return "a list of ints";
  case AttributeProto::STRINGS: return "a list of strings";
  case AttributeProto::TENSORS: return "a list of tensors";
  case AttributeProto::GRAPHS: return "a list of graphs";
  case AttributeProto::SPARSE_TENSORS: return "a list of sparse tensors";
  case AttributeProto::TYPE_PROTOS: return "a list of types";
  default: return "of undefined type";
  }
}

} // namespace

const AttributeProto *NodeContext::find(std::string_view name) const {
  for (const AttributeProto &attr : proto.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

bool NodeContext::has(std::string_view name) const { return find(name) != nullptr; }

const AttributeProto *NodeContext::findTyped(std::string_view name,
                                             onnx::AttributeProto_AttributeType type) {
  const AttributeProto *attr = find(name);
  if (!attr)
    return nullptr;
  if (!attr->ref_attr_name().empty()) {
    fail(error("attribute '{}' refers to a function attribute, which is only meaningful "
               "inside a function body",
               name));
    return nullptr;
  }
  if (attr->type() != type) {
    fail(error("attribute '{}' is {}, but must be {}; fix the exporter", name,
               typeName(attr->type()), typeName(type)));
    return nullptr;
  }
  return attr;
}

int64_t NodeContext::getInt(std::string_view name, int64_t fallback) {
  const AttributeProto *attr = findTyped(name, AttributeProto::INT);
  return attr ? attr->i() : fallback;
}

float NodeContext::getFloat(std::string_view name, float fallback) {
  const AttributeProto *attr = findTyped(name, AttributeProto::FLOAT);
  return attr ? attr->f() : fallback;
}

std::string NodeContext::getString(std::string_view name, std::string fallback) {
  const AttributeProto *attr = findTyped(name, AttributeProto::STRING);
  return attr ? attr->s() : fallback;
}

ir::Ints NodeContext::getInts(std::string_view name) {
  const AttributeProto *attr = findTyped(name, AttributeProto::INTS);
  return attr ? ir::Ints(attr->ints().begin(), attr->ints().end()) : ir::Ints{};
}

std::vector<float> NodeContext::getFloats(std::string_view name) {
  const AttributeProto *attr = findTyped(name, AttributeProto::FLOATS);
  return attr ? std::vector<float>(attr->floats().begin(), attr->floats().end())
              : std::vector<float>{};
}

const onnx::TensorProto *NodeContext::getTensor(std::string_view name) {
  const AttributeProto *attr = findTyped(name, AttributeProto::TENSOR);
  return attr ? &attr->t() : nullptr;
}

bool NodeContext::getBool(std::string_view name, bool fallback) {
  int64_t value = getInt(name, fallback ? 1 : 0);
  if (value != 0 && value != 1)
    fail(error("attribute '{}' is {}, but must be 0 or 1", name, value));
  return value == 1;
}

std::optional<ir::TensorData> NodeContext::tensorAttr(std::string_view name) {
  const AttributeProto *attr = find(name);
  if (!attr)
    return std::nullopt;
  switch (attr->type()) {
  case AttributeProto::TENSOR: {
    auto data = tensorFromProto(attr->t(), fmt::format("{}: attribute '{}'", describeNode(proto), name),
                                state.notes);
    if (!data) {
      fail(data.error());
      return std::nullopt;
    }
    return std::move(*data);
  }
  case AttributeProto::FLOAT: return ir::TensorData::fromFloats({}, {attr->f()});
  case AttributeProto::INT: return ir::TensorData::scalarInt(attr->i());
  case AttributeProto::FLOATS: {
    auto n = static_cast<int64_t>(attr->floats_size());
    return ir::TensorData::fromFloats({n}, {attr->floats().begin(), attr->floats().end()});
  }
  case AttributeProto::INTS: {
    auto n = static_cast<int64_t>(attr->ints_size());
    return ir::TensorData::fromInts(ir::DType::Int64, {n},
                                    {attr->ints().begin(), attr->ints().end()});
  }
  default:
    fail(error("attribute '{}' is {}, which rnnpoolc cannot use as a constant; only numeric "
               "dense tensors are supported",
               name, typeName(attr->type())));
    return std::nullopt;
  }
}

void NodeContext::fail(Error error) {
  if (!error_)
    error_ = std::move(error);
}

Status NodeContext::status() const {
  if (error_)
    return *error_;
  return Status::ok();
}

void NodeContext::resizeInputs(size_t count) { node.inputs.resize(count, ir::kNoTensor); }

ir::TensorId NodeContext::setConstantInput(size_t index, std::string_view what,
                                           ir::TensorData data) {
  std::string name = state.freshName(fmt::format("{}_{}", node.name, what));
  ir::TensorId id = state.graph.addConstant(name, std::move(data));
  if (node.inputs.size() <= index)
    resizeInputs(index + 1);
  node.inputs[index] = id;
  return id;
}

bool NodeContext::outputUsed(size_t index) const {
  if (static_cast<int>(index) >= proto.output_size())
    return false;
  const std::string &name = proto.output(static_cast<int>(index));
  return !name.empty() && state.usedNames.count(name);
}

Status NodeContext::dropExtraOutputs(size_t keep, std::string_view what) {
  for (size_t k = keep; k < outputCount; ++k)
    if (outputUsed(k))
      return error("{} ('{}') is used, which rnnpoolc does not support; use only the first "
                   "output",
                   what, proto.output(static_cast<int>(k)));
  outputCount = std::min(outputCount, keep);
  return Status::ok();
}

} // namespace rnnpoolc::onnx_frontend
