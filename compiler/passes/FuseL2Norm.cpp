// Fuses an S3FD-style L2 normalisation written out as standard ops into one L2Norm node.
//
// Recognised, by structure (any names):
//   sq   = Pow(x, 2) | Mul(x, x)
//   sum  = ReduceSum(sq, axes = [1], keepdims = 1)
//   norm = Add(Sqrt(sum), eps) | Add(eps, Sqrt(sum)) | Sqrt(Add(sum, eps)) | Sqrt(sum)
//   y    = Div(x, norm) | Mul(x, Reciprocal(norm)) | Mul(Reciprocal(norm), x)
//   out  = Mul(y, scale) | Mul(scale, y) | y
// where eps is a float scalar constant and scale a float constant that is a scalar or varies
// along the channel axis only. Every intermediate tensor must be read by the next node of
// the chain alone (and not be a graph output); otherwise the chain is left as it is.
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

#include <cmath>
#include <optional>

namespace rnnpoolc::passes {
namespace {

/// The nodes of one recognised chain and what the fused node needs.
struct Match {
  std::vector<size_t> nodes; ///< Every node of the chain, the last one included.
  ir::TensorId x = ir::kNoTensor, out = ir::kNoTensor;
  float eps = 0;
  bool epsInsideSqrt = false;
  std::optional<ir::TensorData> scale; ///< [1] or [C]
};

class Matcher : ChainMatcher {
public:
  using ChainMatcher::ChainMatcher;

  /// The chain ending at node `last` (the Div, the reciprocal Mul, or the scale Mul).
  std::optional<Match> match(size_t last) const {
    Match m;
    const ir::Node &node = g_.nodes[last];
    if (auto scaled = matchScale(node, m)) {
      m.nodes.push_back(last);
      m.out = node.outputs[0];
      if (!matchNormalize(*scaled, m))
        return std::nullopt;
      return m;
    }
    m.out = node.outputs[0];
    if (!matchNormalize(last, m))
      return std::nullopt;
    return m;
  }

private:
  const ir::TensorData *floatConstant(ir::TensorId t) const {
    if (t == ir::kNoTensor || !g_.tensor(t).isConstant())
      return nullptr;
    const ir::TensorData *d = g_.tensor(t).data.get();
    return ir::isFloat(d->dtype) ? d : nullptr;
  }

  /// Whether `t` is a constant scalar 2 of any numeric type (Pow's exponent may be an int).
  bool isTwo(ir::TensorId t) const {
    if (t == ir::kNoTensor || !g_.tensor(t).isConstant())
      return false;
    const ir::TensorData &d = *g_.tensor(t).data;
    return d.numel() == 1 && d.dtype != ir::DType::Bool && d.get(0) == 2.0;
  }

  std::optional<float> scalarConstant(ir::TensorId t) const {
    const ir::TensorData *d = floatConstant(t);
    if (!d || d->numel() != 1)
      return std::nullopt;
    return d->f[0];
  }

  /// `scale` as a vector of 1 or C values if it broadcasts along the channel axis of a
  /// tensor of rank `rank` only.
  static std::optional<ir::TensorData> channelVector(const ir::TensorData &scale, size_t rank,
                                                     int64_t channels) {
    if (scale.numel() == 1)
      return ir::TensorData::fromFloats({1}, scale.f);
    const ir::Shape &s = scale.shape;
    if (s.size() > rank || rank < 2)
      return std::nullopt;
    size_t offset = rank - s.size();
    for (size_t d = 0; d < s.size(); ++d) {
      bool channel = d + offset == 1;
      if (channel ? s[d] != channels : s[d] != 1)
        return std::nullopt;
    }
    return ir::TensorData::fromFloats({channels}, scale.f);
  }

  /// If `node` is Mul(y, scale) with a constant channel scale and y produced by a node read
  /// only here, records the scale and returns y's producer.
  std::optional<size_t> matchScale(const ir::Node &node, Match &m) const {
    if (node.op != ir::OpKind::Mul)
      return std::nullopt;
    for (size_t k = 0; k < 2; ++k) {
      const ir::TensorData *scale = floatConstant(node.inputs[k]);
      size_t p = 0;
      if (!scale || !soleProducer(node.inputs[1 - k], p))
        continue;
      const ir::Shape &y = g_.tensor(node.inputs[1 - k]).shape;
      if (y.size() < 2 || g_.tensor(node.outputs[0]).shape != y)
        continue;
      auto vec = channelVector(*scale, y.size(), y[1]);
      if (!vec)
        continue;
      m.scale = std::move(vec);
      return p;
    }
    return std::nullopt;
  }

  /// Div(x, norm) or Mul(x, Reciprocal(norm)) at node `index`, then norm and the sum.
  bool matchNormalize(size_t index, Match &m) const {
    const ir::Node &node = g_.nodes[index];
    size_t p = 0;
    ir::TensorId norm = ir::kNoTensor;
    std::vector<size_t> chain = {index};
    if (node.op == ir::OpKind::Div) {
      m.x = node.inputs[0];
      norm = node.inputs[1];
    } else if (node.op == ir::OpKind::Mul) {
      for (size_t k = 0; k < 2 && norm == ir::kNoTensor; ++k) {
        const ir::Node *r = soleProducer(node.inputs[k], p);
        if (r && r->op == ir::OpKind::Reciprocal) {
          m.x = node.inputs[1 - k];
          norm = r->inputs[0];
          chain.push_back(p);
        }
      }
    }
    if (norm == ir::kNoTensor || g_.tensor(m.x).isConstant())
      return false;
    const ir::Shape &xs = g_.tensor(m.x).shape;
    if (xs.size() < 2 || !ir::isFloat(g_.tensor(m.x).dtype) ||
        g_.tensor(node.outputs[0]).shape != xs)
      return false;
    ir::TensorId sum = matchNorm(norm, m, chain);
    if (sum == ir::kNoTensor || !matchSumOfSquares(sum, m.x, chain))
      return false;
    m.nodes.insert(m.nodes.end(), chain.begin(), chain.end());
    return true;
  }

  /// norm as one of Add(Sqrt(sum), eps), Sqrt(Add(sum, eps)), Sqrt(sum): returns sum.
  ir::TensorId matchNorm(ir::TensorId norm, Match &m, std::vector<size_t> &chain) const {
    size_t p = 0;
    const ir::Node *node = soleProducer(norm, p);
    if (!node)
      return ir::kNoTensor;
    chain.push_back(p);
    if (node->op == ir::OpKind::Add) {
      for (size_t k = 0; k < 2; ++k) {
        auto eps = scalarConstant(node->inputs[k]);
        size_t q = 0;
        const ir::Node *sqrt = soleProducer(node->inputs[1 - k], q);
        if (eps && *eps >= 0 && sqrt && sqrt->op == ir::OpKind::Sqrt) {
          m.eps = *eps;
          chain.push_back(q);
          return sqrt->inputs[0];
        }
      }
      return ir::kNoTensor;
    }
    if (node->op != ir::OpKind::Sqrt)
      return ir::kNoTensor;
    size_t q = 0;
    const ir::Node *add = soleProducer(node->inputs[0], q);
    if (add && add->op == ir::OpKind::Add)
      for (size_t k = 0; k < 2; ++k) {
        auto eps = scalarConstant(add->inputs[k]);
        if (eps && *eps >= 0) {
          m.eps = *eps;
          m.epsInsideSqrt = true;
          chain.push_back(q);
          return add->inputs[1 - k];
        }
      }
    return node->inputs[0];
  }

  /// sum = ReduceSum(Pow(x, 2) | Mul(x, x), axes = [1], keepdims = 1).
  bool matchSumOfSquares(ir::TensorId sum, ir::TensorId x, std::vector<size_t> &chain) const {
    size_t p = 0, q = 0;
    const ir::Node *reduce = soleProducer(sum, p);
    if (!reduce || reduce->op != ir::OpKind::ReduceSum ||
        !reduce->attr<ir::ReduceAttrs>().keepDims)
      return false;
    ir::TensorId axesId = reduce->input(1);
    if (axesId == ir::kNoTensor || !g_.tensor(axesId).isConstant())
      return false;
    std::vector<int64_t> axes = g_.tensor(axesId).data->toInts();
    auto rank = static_cast<int64_t>(g_.tensor(x).shape.size());
    if (axes.size() != 1 || (axes[0] != 1 && axes[0] != 1 - rank))
      return false;
    const ir::Node *sq = soleProducer(reduce->inputs[0], q);
    if (!sq)
      return false;
    bool square = (sq->op == ir::OpKind::Mul && sq->inputs[0] == x && sq->inputs[1] == x) ||
                  (sq->op == ir::OpKind::Pow && sq->inputs[0] == x && isTwo(sq->inputs[1]));
    if (!square)
      return false;
    chain.push_back(p);
    chain.push_back(q);
    return true;
  }
};

} // namespace

Status fuseL2Norm(ir::Graph &graph) {
  std::vector<char> doomed(graph.nodes.size(), 0);
  std::vector<std::pair<size_t, Match>> found;
  {
    Matcher matcher(graph);
    for (size_t n = graph.nodes.size(); n-- > 0;) {
      auto m = doomed[n] ? std::nullopt : matcher.match(n);
      if (!m)
        continue;
      bool taken = false;
      for (size_t k : m->nodes)
        taken = taken || doomed[k];
      if (taken)
        continue;
      for (size_t k : m->nodes)
        doomed[k] = 1;
      found.emplace_back(n, std::move(*m));
    }
  }
  // The last node of each chain becomes the L2Norm (every other node of the chain comes
  // before it, and x comes before them), so the order stays topological.
  for (auto &[n, m] : found) {
    ir::Node &node = graph.nodes[n];
    node.op = ir::OpKind::L2Norm;
    node.attrs = ir::L2NormAttrs{m.eps, m.epsInsideSqrt, /*axis=*/1};
    node.inputs = {m.x};
    if (m.scale) {
      std::string name = graph.uniqueTensorName(graph.tensor(m.out).name + "_l2scale");
      node.inputs.push_back(graph.addConstant(std::move(name), std::move(*m.scale)));
    }
    node.outputs = {m.out};
    doomed[n] = 0;
  }
  eraseNodes(graph, doomed);
  return Status::ok();
}

} // namespace rnnpoolc::passes
