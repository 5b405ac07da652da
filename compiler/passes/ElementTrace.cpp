// Element provenance: runs data-movement nodes through the interpreter on int64 ids
// instead of values, so the result says where every element came from.
#include "compiler/passes/ElementTrace.h"

#include "compiler/interp/Interpreter.h"

#include <algorithm>

namespace rnnpoolc::passes {
namespace {

/// Tensors larger than this are not traced (their ids would not fit comfortably in memory).
constexpr int64_t kMaxTracedElements = int64_t{1} << 25;

/// Which inputs of a data-movement node carry elements (the rest are index operands).
bool isDataInput(ir::OpKind op, size_t input) {
  switch (op) {
  case ir::OpKind::Concat: return true;
  case ir::OpKind::ScatterND: return input == 0 || input == 2;
  case ir::OpKind::Where: return input == 1 || input == 2;
  default: return input == 0;
  }
}

int64_t numel(const ir::Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

} // namespace

bool isDataMovement(ir::OpKind op) {
  switch (op) {
  case ir::OpKind::Identity:
  case ir::OpKind::Reshape:
  case ir::OpKind::Flatten:
  case ir::OpKind::Squeeze:
  case ir::OpKind::Unsqueeze:
  case ir::OpKind::Transpose:
  case ir::OpKind::Expand:
  case ir::OpKind::Tile:
  case ir::OpKind::Concat:
  case ir::OpKind::Split:
  case ir::OpKind::Slice:
  case ir::OpKind::Gather:
  case ir::OpKind::ScatterND:
  case ir::OpKind::Where: return true;
  default: return false;
  }
}

ElementTrace::ElementTrace(const ir::Graph &graph)
    : graph_(graph), producers_(graph.producers()), pendingReads_(graph.numTensors(), 0),
      pinned_(graph.numTensors(), 0) {
  for (const ir::Node &node : graph.nodes) {
    if (!isDataMovement(node.op))
      continue;
    std::vector<ir::TensorId> seen;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      ir::TensorId in = node.inputs[k];
      if (in != ir::kNoTensor && isDataInput(node.op, k) &&
          std::find(seen.begin(), seen.end(), in) == seen.end()) {
        seen.push_back(in);
        ++pendingReads_[static_cast<size_t>(in)];
      }
    }
  }
}

const std::vector<int64_t> &ElementTrace::ids(ir::TensorId tensor) {
  static const std::vector<int64_t> kNone;
  pinned_[static_cast<size_t>(tensor)] = 1; // the caller keeps a reference
  auto value = trace(tensor);
  return value ? value->i : kNone;
}

ElementTrace::Origin ElementTrace::origin(int64_t id) const {
  auto it = std::upper_bound(sources_.begin(), sources_.end(), std::make_pair(id, ir::kNoTensor),
                             [](const auto &a, const auto &b) { return a.first < b.first; });
  if (id < 0 || it == sources_.begin())
    return {};
  --it;
  return {it->second, id - it->first};
}

int64_t ElementTrace::idOf(ir::TensorId tensor, int64_t index) {
  if (!sourceBase_.count(tensor))
    values_[tensor] = makeSource(tensor);
  auto it = sourceBase_.find(tensor);
  return it == sourceBase_.end() ? kOpaque : it->second + index;
}

std::shared_ptr<const ir::TensorData> ElementTrace::filled(ir::TensorId tensor,
                                                           int64_t id) const {
  const ir::Tensor &t = graph_.tensor(tensor);
  int64_t n = numel(t.shape);
  if (!t.shapeKnown || n > kMaxTracedElements)
    return nullptr;
  return std::make_shared<ir::TensorData>(
      ir::TensorData::fromInts(ir::DType::Int64, t.shape, std::vector<int64_t>(n, id)));
}

std::shared_ptr<const ir::TensorData> ElementTrace::makeSource(ir::TensorId tensor) {
  const ir::Tensor &t = graph_.tensor(tensor);
  int64_t n = numel(t.shape);
  if (!t.shapeKnown || n > kMaxTracedElements)
    return nullptr;
  std::vector<int64_t> ids(n);
  for (int64_t k = 0; k < n; ++k)
    ids[k] = nextId_ + k;
  sources_.emplace_back(nextId_, tensor);
  sourceBase_[tensor] = nextId_;
  nextId_ += std::max<int64_t>(n, 1);
  return std::make_shared<ir::TensorData>(
      ir::TensorData::fromInts(ir::DType::Int64, t.shape, std::move(ids)));
}

std::shared_ptr<const ir::TensorData> ElementTrace::trace(ir::TensorId root) {
  // Iterative depth-first evaluation: exporters chain hundreds of data-movement nodes.
  std::vector<ir::TensorId> stack = {root};
  while (!stack.empty()) {
    ir::TensorId t = stack.back();
    if (values_.count(t)) {
      stack.pop_back();
      continue;
    }
    const ir::Tensor &tensor = graph_.tensor(t);
    int p = producers_[static_cast<size_t>(t)];
    if (tensor.isConstant()) {
      std::shared_ptr<ir::TensorData> ids;
      if (tensor.data->numel() <= kMaxTracedElements) {
        ids = std::make_shared<ir::TensorData>();
        ids->dtype = ir::DType::Int64;
        ids->shape = tensor.data->shape;
        ids->i.resize(static_cast<size_t>(tensor.data->numel()));
        for (int64_t k = 0; k < tensor.data->numel(); ++k)
          ids->i[k] = tensor.data->get(k) == 0 ? kZero : kOther;
      }
      values_[t] = ids;
    } else if (p < 0 || !isDataMovement(graph_.nodes[p].op)) {
      values_[t] = makeSource(t);
    } else {
      const ir::Node &node = graph_.nodes[p];
      bool ready = true;
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        ir::TensorId in = node.inputs[k];
        if (in != ir::kNoTensor && isDataInput(node.op, k) && !values_.count(in)) {
          stack.push_back(in);
          ready = false;
        }
      }
      if (!ready)
        continue;
      evaluateNode(static_cast<size_t>(p));
    }
    stack.pop_back();
  }
  return values_[root];
}

void ElementTrace::evaluateNode(size_t nodeIndex) {
  const ir::Node &node = graph_.nodes[nodeIndex];
  std::vector<const ir::TensorData *> inputs;
  bool traceable = true;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    ir::TensorId in = node.inputs[k];
    if (in == ir::kNoTensor) {
      inputs.push_back(nullptr);
    } else if (isDataInput(node.op, k)) {
      inputs.push_back(values_[in].get());
      traceable = traceable && inputs.back() != nullptr;
    } else {
      inputs.push_back(graph_.tensor(in).data.get());
      traceable = traceable && inputs.back() != nullptr;
    }
  }
  for (ir::TensorId out : node.outputs)
    traceable = traceable && graph_.tensor(out).shapeKnown &&
                numel(graph_.tensor(out).shape) <= kMaxTracedElements;
  bool done = false;
  if (traceable) {
    auto results = interp::evaluate(node, inputs);
    if (results && results->size() == node.outputs.size()) {
      for (size_t k = 0; k < results->size(); ++k)
        values_[node.outputs[k]] = std::make_shared<ir::TensorData>(std::move((*results)[k]));
      done = true;
    }
  }
  if (!done)
    for (ir::TensorId out : node.outputs)
      values_[out] = filled(out, kOpaque);
  release(node);
}

void ElementTrace::release(const ir::Node &node) {
  std::vector<ir::TensorId> seen;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    ir::TensorId in = node.inputs[k];
    if (in == ir::kNoTensor || !isDataInput(node.op, k) ||
        std::find(seen.begin(), seen.end(), in) != seen.end())
      continue;
    seen.push_back(in);
    auto i = static_cast<size_t>(in);
    // Sources keep their ids stable; anything else can be recomputed if asked again.
    if (--pendingReads_[i] <= 0 && !pinned_[i] && !sourceBase_.count(in))
      values_.erase(in);
  }
}

} // namespace rnnpoolc::passes
