// Element provenance through data-movement ops. The RNNPool recogniser uses it to prove,
// whatever reshapes, transposes, gathers, slices and scatters an exporter emitted, exactly
// which input element lands in each element of a tensor.
#pragma once

#include "compiler/ir/Graph.h"

#include <memory>
#include <unordered_map>

namespace rnnpoolc::passes {

/// Whether `op` only moves, copies or selects elements (Reshape, Transpose, Gather,
/// ScatterND, Where with a constant condition, ...), so that tracing can run it on ids.
bool isDataMovement(ir::OpKind op);

/// Gives every element of every "source" tensor a unique int64 id and computes, for any
/// tensor reachable from sources through data-movement nodes, the id of the element each
/// of its elements is a copy of. A source is any non-constant tensor not produced by a
/// data-movement node (graph inputs, results of arithmetic). Constant elements trace to
/// kZero or kOther; anything that cannot be traced (a data-movement node whose index
/// operands are not constant, or a tensor too large) to kOpaque.
class ElementTrace {
public:
  static constexpr int64_t kZero = -1;   ///< A constant 0.
  static constexpr int64_t kOther = -2;  ///< Any other constant.
  static constexpr int64_t kOpaque = -3; ///< Not traceable.

  explicit ElementTrace(const ir::Graph &graph);

  /// The ids of `tensor`'s elements in row-major order (computed once, then cached).
  const std::vector<int64_t> &ids(ir::TensorId tensor);

  /// The source tensor and flat element index an id (>= 0) stands for.
  struct Origin {
    ir::TensorId tensor = ir::kNoTensor;
    int64_t index = 0;
  };
  Origin origin(int64_t id) const;
  /// The id of element `index` of source tensor `tensor` (the tensor becomes a source).
  int64_t idOf(ir::TensorId tensor, int64_t index);

private:
  const ir::Graph &graph_;
  std::vector<int> producers_;
  std::unordered_map<ir::TensorId, std::shared_ptr<const ir::TensorData>> values_;
  std::vector<std::pair<int64_t, ir::TensorId>> sources_; ///< (first id, tensor), ascending.
  std::unordered_map<ir::TensorId, int64_t> sourceBase_;
  /// Per tensor: data-movement consumers not yet evaluated. A value nobody will read
  /// again (and that no caller holds) is dropped, which keeps long in-place ScatterND
  /// chains from holding every version of their buffer.
  std::vector<int> pendingReads_;
  std::vector<char> pinned_;
  int64_t nextId_ = 0;

  std::shared_ptr<const ir::TensorData> trace(ir::TensorId tensor);
  std::shared_ptr<const ir::TensorData> makeSource(ir::TensorId tensor);
  std::shared_ptr<const ir::TensorData> filled(ir::TensorId tensor, int64_t id) const;
  void evaluateNode(size_t nodeIndex);
  void release(const ir::Node &node);
};

} // namespace rnnpoolc::passes
