// The state of one import and the per-node view that op translators work with:
// validated attribute access, constant operands made from attributes, output checks.
#pragma once

#include "compiler/ir/Graph.h"
#include "frontends/onnx/ProtoUtil.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace rnnpoolc::onnx_frontend {

/// What an import builds up: the graph, the notes for the user, and the names that
/// generated tensors must avoid.
struct ImportState {
  ir::Graph graph;
  /// Notes, each at most once (a set keeps them unique and in a deterministic order).
  std::set<std::string> notes;
  /// Every tensor name the model uses, so that generated names cannot clash with a tensor
  /// that is imported later.
  std::unordered_set<std::string> modelNames;
  /// Names read by some node or listed as graph outputs.
  std::unordered_set<std::string> usedNames;

  /// A tensor name based on `base` that neither the graph nor the model uses.
  std::string freshName(const std::string &base);
  /// Per base name, the suffix freshName tries next.
  std::unordered_map<std::string, int> nextSuffix;
};

/// One ONNX node being translated. The generic importer resolves the inputs into `node`
/// and sets `node.op` from the op table; a translator then sets attributes, rewrites
/// operands and may drop outputs; the importer finally creates the first `outputCount`
/// output tensors. Attribute getters check the attribute's type and record the first
/// problem, so that a translator can read everything and return status() once.
class NodeContext {
public:
  NodeContext(ImportState &state, const onnx::NodeProto &proto, int64_t opset);

  ImportState &state;
  const onnx::NodeProto &proto;
  const int64_t opset;
  ir::Node node;
  /// How many of the node's outputs the IR node gets (trailing omitted ones excluded).
  size_t outputCount = 0;
  /// False for nodes that become something other than a node (Constant).
  bool emitNode = true;

  // Attribute access. Absent attributes give the default.
  bool has(std::string_view name) const;
  int64_t getInt(std::string_view name, int64_t fallback);
  float getFloat(std::string_view name, float fallback);
  std::string getString(std::string_view name, std::string fallback);
  ir::Ints getInts(std::string_view name);
  std::vector<float> getFloats(std::string_view name);
  const onnx::TensorProto *getTensor(std::string_view name);
  /// An int attribute that must be 0 or 1.
  bool getBool(std::string_view name, bool fallback);
  /// The attribute `name` converted to a constant TensorData (value, value_float, ...).
  std::optional<ir::TensorData> tensorAttr(std::string_view name);

  /// "node 'NAME' (OpType): MESSAGE", with the ONNX op type.
  template <typename... Args>
  Error error(fmt::format_string<Args...> format, Args &&...args) const {
    return Error(fmt::format("{}: {}", describeNode(proto),
                             fmt::format(format, std::forward<Args>(args)...)));
  }
  /// Records a problem; the first one recorded is what status() returns.
  void fail(Error error);
  Status status() const;

  /// Adds a constant tensor named after the node (e.g. "slice1_starts") and makes it
  /// input `index`, padding skipped inputs with kNoTensor.
  ir::TensorId setConstantInput(size_t index, std::string_view what, ir::TensorData data);
  /// Makes the node's operand list exactly `count` long (dropping or padding kNoTensor).
  void resizeInputs(size_t count);
  /// True when output `index` exists and some node or graph output reads it.
  bool outputUsed(size_t index) const;
  /// Keeps the first `keep` outputs; an extra output that is used is an error saying
  /// `what` it is (e.g. "the Indices output").
  Status dropExtraOutputs(size_t keep, std::string_view what);

private:
  const onnx::AttributeProto *find(std::string_view name) const;
  const onnx::AttributeProto *findTyped(std::string_view name,
                                        onnx::AttributeProto_AttributeType type);
  std::optional<Error> error_;
};

} // namespace rnnpoolc::onnx_frontend
