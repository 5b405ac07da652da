// Matching of unrolled FastGRNN steps: a small recursive-descent matcher over the
// producers of a candidate h' = Add(...), trying both operand orders of every commutative
// op. A match proves the arithmetic of one step; the recogniser checks how steps connect.
#include "compiler/passes/FastGrnnMatch.h"

#include <limits>

namespace rnnpoolc::passes {
namespace {

using ir::kNoTensor;
using ir::Node;
using ir::OpKind;
using ir::TensorId;

class StepMatcher {
public:
  explicit StepMatcher(const ir::Graph &graph) : g_(graph), producers_(graph.producers()) {}

  /// The step whose h' is the output of the Add node `add`, if it is one.
  std::optional<FastGrnnStep> match(const Node &add) {
    for (int i = 0; i < 2; ++i) {
      const Node *zh = def(add.inputs[i], OpKind::Mul);
      const Node *cc = def(add.inputs[1 - i], OpKind::Mul);
      if (!zh || !cc)
        continue;
      for (int zi = 0; zi < 2; ++zi)
        for (int ci = 0; ci < 2; ++ci) {
          FastGrnnStep step;
          step.nodes = {index(add), index(*zh), index(*cc)};
          if (matchBody(zh->inputs[zi], zh->inputs[1 - zi], cc->inputs[ci], cc->inputs[1 - ci],
                        step)) {
            step.out = add.outputs[0];
            return step;
          }
        }
    }
    return std::nullopt;
  }

private:
  const ir::Graph &g_;
  std::vector<int> producers_;

  size_t index(const Node &node) const { return static_cast<size_t>(&node - g_.nodes.data()); }

  const Node *producer(TensorId t) const {
    if (t == kNoTensor)
      return nullptr;
    int p = producers_[static_cast<size_t>(t)];
    return p < 0 ? nullptr : &g_.nodes[static_cast<size_t>(p)];
  }
  const Node *def(TensorId t, OpKind op) const {
    const Node *n = producer(t);
    return n && n->op == op && n->inputs.size() == 2 ? n : nullptr;
  }
  bool isConst(TensorId t) const { return t != kNoTensor && g_.tensor(t).isConstant(); }

  /// The value of a constant whose elements are all equal.
  std::optional<float> uniform(TensorId t) const {
    if (!isConst(t))
      return std::nullopt;
    const ir::TensorData &d = *g_.tensor(t).data;
    if (d.numel() == 0 || !ir::isFloat(d.dtype))
      return std::nullopt;
    for (int64_t k = 1; k < d.numel(); ++k)
      if (d.f[k] != d.f[0])
        return std::nullopt;
    return d.f[0];
  }
  bool isUniform(TensorId t, float value) const { return uniform(t) == value; }
  std::optional<float> scalar(TensorId t) const {
    return isConst(t) && g_.tensor(t).data->numel() == 1 ? uniform(t) : std::nullopt;
  }

  /// Calls f(a, b) and then f(b, a) for the two operands of `node`.
  template <typename F> static bool either(const Node &node, F &&f) {
    return f(node.inputs[0], node.inputs[1]) || f(node.inputs[1], node.inputs[0]);
  }

  bool matchBody(TensorId z, TensorId h, TensorId coef, TensorId c, FastGrnnStep &step) {
    TensorId gatePre = kNoTensor, updatePre = kNoTensor;
    if (!matchNonlinearity(z, step.gate, gatePre, step) ||
        !matchNonlinearity(c, step.update, updatePre, step))
      return false;
    TensorId pre = kNoTensor;
    if (!matchBias(gatePre, pre, step.bz, step) || !matchBias(updatePre, pre, step.bh, step))
      return false;
    if (!matchCoefficient(coef, z, step))
      return false;
    if (isConst(h)) {
      if (!isUniform(h, 0))
        return false;
    } else {
      step.h = h;
    }
    return matchPre(pre, step);
  }

  /// t = Add(pre, bias) with a constant bias; `pre` must agree with an earlier match.
  bool matchBias(TensorId t, TensorId &pre, TensorId &bias, FastGrnnStep &step) {
    const Node *add = def(t, OpKind::Add);
    if (!add)
      return false;
    return either(*add, [&](TensorId p, TensorId b) {
      if (!isConst(b) || isConst(p) || (pre != kNoTensor && p != pre))
        return false;
      pre = p;
      bias = b;
      step.nodes.push_back(index(*add));
      return true;
    });
  }

  /// coef = sigmoid(zeta) * (1 - z) + sigmoid(nu), with both sigmoids folded to scalars.
  bool matchCoefficient(TensorId coef, TensorId z, FastGrnnStep &step) {
    const Node *add = def(coef, OpKind::Add);
    if (!add)
      return false;
    return either(*add, [&](TensorId scaled, TensorId nu) {
      const Node *mul = def(scaled, OpKind::Mul);
      if (!scalar(nu) || !mul)
        return false;
      return either(*mul, [&](TensorId zeta, TensorId oneMinusZ) {
        const Node *sub = def(oneMinusZ, OpKind::Sub);
        if (!scalar(zeta) || !sub || !isUniform(sub->inputs[0], 1) || sub->inputs[1] != z)
          return false;
        step.zetaSigmoid = *scalar(zeta);
        step.nuSigmoid = *scalar(nu);
        step.nodes.insert(step.nodes.end(), {index(*add), index(*mul), index(*sub)});
        return true;
      });
    });
  }

  /// pre = x W, x W + h U, or x W + 0 (the first step once h U has been folded).
  bool matchPre(TensorId pre, FastGrnnStep &step) {
    if (const Node *add = def(pre, OpKind::Add)) {
      bool ok = either(*add, [&](TensorId xw, TensorId hu) {
        if (isUniform(hu, 0))
          return matchProjection(xw, step.x, step.w, step);
        TensorId data = kNoTensor;
        std::vector<size_t> saved = step.nodes;
        if (step.h != kNoTensor && matchProjection(hu, data, step.u, step) && data == step.h &&
            matchProjection(xw, step.x, step.w, step))
          return true;
        step.nodes = saved;
        step.u[0] = step.u[1] = kNoTensor;
        return false;
      });
      if (ok) {
        step.nodes.push_back(index(*add));
        return true;
      }
    }
    return matchProjection(pre, step.x, step.w, step);
  }

  /// t = data W (one constant matrix) or (data W1) W2 (two).
  bool matchProjection(TensorId t, TensorId &data, TensorId (&w)[2], FastGrnnStep &step) {
    const Node *mm = def(t, OpKind::MatMul);
    auto isMatrix = [&](TensorId m) { return isConst(m) && g_.tensor(m).shape.size() == 2; };
    if (!mm || !isMatrix(mm->inputs[1]) || isConst(mm->inputs[0]))
      return false;
    step.nodes.push_back(index(*mm));
    const Node *inner = def(mm->inputs[0], OpKind::MatMul);
    if (inner && isMatrix(inner->inputs[1]) && !isConst(inner->inputs[0])) {
      step.nodes.push_back(index(*inner));
      data = inner->inputs[0];
      w[0] = inner->inputs[1];
      w[1] = mm->inputs[1];
    } else {
      data = mm->inputs[0];
      w[0] = mm->inputs[1];
      w[1] = kNoTensor;
    }
    return true;
  }

  /// (u + 1) / 2 in the forms exporters write it: Div(Add(u, 1), 2), Mul(Add(u, 1), 0.5)
  /// or Add(Mul(u, 0.5), 0.5).
  bool matchHalfShift(TensorId t, TensorId &u, FastGrnnStep &step) {
    const Node *n = producer(t);
    if (!n || n->inputs.size() != 2)
      return false;
    auto addOne = [&](TensorId a) {
      const Node *add = def(a, OpKind::Add);
      return add && either(*add, [&](TensorId v, TensorId one) {
               if (!isUniform(one, 1) || isConst(v))
                 return false;
               u = v;
               step.nodes.push_back(index(*add));
               return true;
             });
    };
    bool ok = false;
    if (n->op == OpKind::Div)
      ok = isUniform(n->inputs[1], 2) && addOne(n->inputs[0]);
    else if (n->op == OpKind::Mul)
      ok = either(*n, [&](TensorId a, TensorId half) { return isUniform(half, 0.5f) && addOne(a); });
    else if (n->op == OpKind::Add)
      ok = either(*n, [&](TensorId a, TensorId half) {
        const Node *mul = def(a, OpKind::Mul);
        return isUniform(half, 0.5f) && mul && either(*mul, [&](TensorId v, TensorId h2) {
                 if (!isUniform(h2, 0.5f) || isConst(v))
                   return false;
                 u = v;
                 step.nodes.push_back(index(*mul));
                 return true;
               });
      });
    if (ok)
      step.nodes.push_back(index(*n));
    return ok;
  }

  /// Clip(v, lo, hi) written as Clip or as Min/Max with uniform constants.
  bool matchClip(const Node &n, TensorId &v, float &lo, float &hi, FastGrnnStep &step) {
    constexpr float kInf = std::numeric_limits<float>::infinity();
    if (n.op == OpKind::Clip) {
      auto bound = [&](size_t k, float none) -> std::optional<float> {
        return n.input(k) == kNoTensor ? std::optional<float>(none) : scalar(n.input(k));
      };
      auto l = bound(1, -kInf), h = bound(2, kInf);
      if (!l || !h)
        return false;
      v = n.inputs[0], lo = *l, hi = *h;
      step.nodes.push_back(index(n));
      return true;
    }
    if ((n.op != OpKind::Min && n.op != OpKind::Max) || n.inputs.size() != 2)
      return false;
    OpKind innerOp = n.op == OpKind::Max ? OpKind::Min : OpKind::Max;
    return either(n, [&](TensorId a, TensorId outer) {
      const Node *inner = def(a, innerOp);
      if (!uniform(outer) || !inner)
        return false;
      return either(*inner, [&](TensorId x, TensorId in) {
        if (!uniform(in) || isConst(x))
          return false;
        v = x;
        lo = n.op == OpKind::Max ? *uniform(outer) : *uniform(in);
        hi = n.op == OpKind::Max ? *uniform(in) : *uniform(outer);
        step.nodes.insert(step.nodes.end(), {index(n), index(*inner)});
        return true;
      });
    });
  }

  bool matchNonlinearity(TensorId t, CellNonlinearity &nl, TensorId &input, FastGrnnStep &step) {
    const Node *n = producer(t);
    if (!n || n->outputs.size() != 1)
      return false;
    TensorId v = kNoTensor;
    float lo = 0, hi = 0;
    switch (n->op) {
    case OpKind::Sigmoid: nl.kind = ir::RnnNonlinearity::Sigmoid; break;
    case OpKind::Tanh: nl.kind = ir::RnnNonlinearity::Tanh; break;
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::HardSigmoid:
    case OpKind::HardSwish: nl.opName = std::string(ir::opName(n->op)); break;
    case OpKind::Clip:
    case OpKind::Min:
    case OpKind::Max: {
      if (!matchClip(*n, v, lo, hi, step))
        return false;
      TensorId u = kNoTensor;
      if (lo == -1 && hi == 1) {
        nl.kind = ir::RnnNonlinearity::QuantTanh;
      } else if (lo == 0 && hi == 1 && matchHalfShift(v, u, step)) {
        nl.kind = ir::RnnNonlinearity::QuantSigm;
        v = u;
      } else {
        nl.opName = "Clip";
      }
      input = v;
      return true;
    }
    default: return false;
    }
    input = n->inputs[0];
    step.nodes.push_back(index(*n));
    return true;
  }
};

} // namespace

std::vector<FastGrnnStep> findFastGrnnSteps(const ir::Graph &graph) {
  StepMatcher matcher(graph);
  std::vector<FastGrnnStep> steps;
  for (const Node &node : graph.nodes)
    if (node.op == OpKind::Add && node.inputs.size() == 2)
      if (auto step = matcher.match(node))
        steps.push_back(std::move(*step));
  return steps;
}

} // namespace rnnpoolc::passes
