// Recognises RNNPool layers written out as standard ops (the flat encoding, and the
// function encoding once inlined) and replaces each by one RNNPool node.
//
// How: (1) find every unrolled FastGRNN step by its algebra (FastGrnnMatch); (2) link
// steps into chains through their state, proving with element tracing that each step's h
// is exactly the previous step's h' (or zero); (3) group chains by the tensor RNN1 reads
// (the layer input) and the RNN1 states RNN2 reads; (4) prove the geometry (RNNPoolSweeps)
// and find the output; (5) check that the steps of each RNN share one set of weights and
// supported nonlinearities, and that everything between input and output is those steps
// plus data movement used nowhere else. Nothing relies on names or node order. A group
// that fails a check is left alone and reported as a near miss with the reason.
#include "compiler/ir/ShapeInference.h"
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"
#include "compiler/passes/RNNPoolSweeps.h"
#include "compiler/support/Limits.h"

#include <array>
#include <cmath>
#include <set>

namespace rnnpoolc::passes {
namespace {

using ir::kNoTensor;
using ir::TensorId;

/// One RNNPool candidate: the chains reading one layer input.
struct Candidate {
  TensorId x = kNoTensor;
  std::vector<StepChain> rnn1, rnn2;
  std::string problem; ///< Set when the chains are already known not to fit.
};

/// A proven layer, ready to be rewritten.
struct Fusion {
  TensorId x = kNoTensor, y = kNoTensor;
  std::vector<char> cone; ///< Per node: replaced by the RNNPool node.
  ir::RNNPoolAttrs attrs;
  std::vector<TensorId> operands; ///< Inputs after X.
  std::string name;
  std::array<int, 4> quarters{0, 1, 2, 3}; ///< LayerGeometry::quarters.
};

/// The longest common '/'-separated prefix of node names, trimmed of '/' ("" if none).
std::string commonName(const ir::Graph &g, const std::vector<size_t> &nodes) {
  std::string prefix;
  bool first = true;
  for (size_t n : nodes) {
    const std::string &name = g.nodes[n].name;
    if (first) {
      prefix = name, first = false;
      continue;
    }
    size_t k = 0;
    while (k < prefix.size() && k < name.size() && prefix[k] == name[k])
      ++k;
    prefix.resize(k);
  }
  if (auto slash = prefix.rfind('/'); slash != std::string::npos)
    prefix.resize(slash);
  while (!prefix.empty() && prefix.front() == '/')
    prefix.erase(prefix.begin());
  return prefix;
}

/// The name a candidate made of `nodes` is reported under: the function call they were
/// all inlined from, else their common name prefix.
std::string candidateName(const ir::Graph &g, const std::vector<size_t> &nodes) {
  const std::string &call = nodes.empty() ? std::string() : g.nodes[nodes[0]].inlinedFrom;
  bool oneCall = !call.empty() && std::all_of(nodes.begin(), nodes.end(), [&](size_t n) {
    return g.nodes[n].inlinedFrom == call;
  });
  return oneCall ? call : commonName(g, nodes);
}

bool sameValue(const ir::Graph &g, TensorId a, TensorId b) {
  if (a == b)
    return true;
  if (a == kNoTensor || b == kNoTensor)
    return false;
  const ir::Tensor &ta = g.tensor(a), &tb = g.tensor(b);
  return ta.isConstant() && tb.isConstant() && ta.data->shape == tb.data->shape &&
         ta.data->f == tb.data->f;
}

/// The raw zeta whose sigmoid, computed as the interpreter computes it, is `s` exactly.
float logit(float s) {
  float x = static_cast<float>(std::log(double(s) / (1.0 - double(s))));
  auto sigmoid = [](float v) { return ir::applyRnnNonlinearity(ir::RnnNonlinearity::Sigmoid, v); };
  for (int i = 0; i < 64 && std::isfinite(x) && sigmoid(x) != s; ++i)
    x = std::nextafter(x, sigmoid(x) < s ? INFINITY : -INFINITY);
  return x;
}

class Recogniser {
public:
  explicit Recogniser(ir::Graph &graph)
      : g_(graph), steps_(findFastGrnnSteps(graph)), trace_(graph) {}

  Status run();

private:
  ir::Graph &g_;
  std::vector<FastGrnnStep> steps_;
  ElementTrace trace_;
  std::map<TensorId, size_t> stepByOut_;
  // The graph does not change until apply(): computed once, not once per candidate.
  std::vector<int> producers_ = g_.producers();
  std::vector<std::vector<size_t>> consumers_ = g_.consumers();

  std::vector<StepChain> chains(std::string &problem);
  std::vector<Candidate> group(std::vector<StepChain> all);
  Expected<Fusion> prove(const Candidate &c);
  Status cellOf(const std::vector<StepChain> &chains, const char *rnn, int64_t in,
                ir::FastGrnnAttrs &cell, std::vector<TensorId> &operands);
  Status coneOf(Fusion &f, const Candidate &c);
  std::vector<ir::Node> replacement(Fusion &f);
  std::vector<size_t> apply(std::vector<Fusion> &fusions);
};

/// Links steps whose state is exactly another step's output into chains.
std::vector<StepChain> Recogniser::chains(std::string &problem) {
  const size_t n = steps_.size();
  std::vector<int> pred(n, -1), succ(n, -1);
  std::vector<char> broken(n, 0);
  for (size_t i = 0; i < n; ++i)
    stepByOut_[steps_[i].out] = i;
  for (size_t i = 0; i < n; ++i) {
    if (steps_[i].h == kNoTensor)
      continue;
    const std::vector<int64_t> &ids = trace_.ids(steps_[i].h);
    if (!ids.empty() && std::all_of(ids.begin(), ids.end(),
                                    [](int64_t id) { return id == ElementTrace::kZero; }))
      continue;
    auto origin = ids.empty() || ids[0] < 0 ? ElementTrace::Origin{} : trace_.origin(ids[0]);
    auto it = stepByOut_.find(origin.tensor);
    bool exact = it != stepByOut_.end() && it->second != i && origin.index == 0 &&
                 g_.tensor(steps_[it->second].out).shape == g_.tensor(steps_[i].h).shape;
    for (size_t k = 1; exact && k < ids.size(); ++k)
      exact = ids[k] == ids[0] + static_cast<int64_t>(k);
    if (!exact || succ[it->second] >= 0) {
      broken[i] = 1;
      if (exact)
        broken[succ[it->second]] = 1;
      problem = "a FastGRNN step's state is neither zero nor exactly one earlier step's output";
      continue;
    }
    pred[i] = static_cast<int>(it->second);
    succ[it->second] = static_cast<int>(i);
  }
  std::vector<StepChain> result;
  for (size_t i = 0; i < n; ++i) {
    if (pred[i] >= 0 || broken[i])
      continue;
    StepChain chain;
    chain.all = &steps_;
    bool ok = true;
    for (int s = static_cast<int>(i); s >= 0; s = succ[s]) {
      chain.steps.push_back(static_cast<size_t>(s));
      ok = ok && !broken[s];
    }
    if (ok)
      result.push_back(std::move(chain));
  }
  return result;
}

/// Groups chains into candidates: RNN1 chains by the tensor they read, RNN2 chains with
/// the RNN1 chains whose final states they read.
std::vector<Candidate> Recogniser::group(std::vector<StepChain> all) {
  std::vector<Candidate> candidates;
  std::map<TensorId, size_t> byInput, byRnn1Final;
  std::vector<std::pair<StepChain, TensorId>> rnn2;
  for (StepChain &chain : all) {
    const std::vector<int64_t> &ids = trace_.ids(steps_[chain.steps[0]].x);
    if (ids.empty() || ids[0] < 0)
      continue;
    TensorId source = trace_.origin(ids[0]).tensor;
    if (stepByOut_.count(source)) {
      rnn2.emplace_back(std::move(chain), source);
      continue;
    }
    auto [it, fresh] = byInput.try_emplace(source, candidates.size());
    if (fresh)
      candidates.push_back(Candidate{source, {}, {}, ""});
    byRnn1Final[chain.finalState()] = it->second;
    candidates[it->second].rnn1.push_back(std::move(chain));
  }
  for (auto &[chain, source] : rnn2) {
    auto it = byRnn1Final.find(source);
    if (it != byRnn1Final.end())
      candidates[it->second].rnn2.push_back(std::move(chain));
  }
  for (Candidate &c : candidates)
    if (c.rnn2.empty())
      c.problem = "RNN1 sweeps were found but no RNN2 sweeps over their final states";
  return candidates;
}

/// Checks that every step of `chains` has the same weights and supported nonlinearities,
/// and appends the cell's operands in RNNPool order.
Status Recogniser::cellOf(const std::vector<StepChain> &chains, const char *rnn, int64_t in,
                          ir::FastGrnnAttrs &cell, std::vector<TensorId> &operands) {
  const FastGrnnStep &ref = steps_[chains[0].steps[0]];
  const FastGrnnStep *withU = nullptr;
  for (const StepChain &chain : chains)
    for (size_t s : chain.steps) {
      const FastGrnnStep &step = steps_[s];
      if (!step.gate.kind || !step.update.kind)
        return makeError("the {} {} nonlinearity is {}; RNNPool supports sigmoid, tanh, "
                         "quantSigm and quantTanh",
                         rnn, step.gate.kind ? "update" : "gate",
                         step.gate.kind ? step.update.opName : step.gate.opName);
      bool same = sameValue(g_, step.w[0], ref.w[0]) && sameValue(g_, step.w[1], ref.w[1]) &&
                  sameValue(g_, step.bz, ref.bz) && sameValue(g_, step.bh, ref.bh) &&
                  step.zetaSigmoid == ref.zetaSigmoid && step.nuSigmoid == ref.nuSigmoid &&
                  step.gate.kind == ref.gate.kind && step.update.kind == ref.update.kind;
      if (step.u[0] != kNoTensor) {
        if (!withU)
          withU = &step;
        same = same && sameValue(g_, step.u[0], withU->u[0]) &&
               sameValue(g_, step.u[1], withU->u[1]);
      } else if (step.h != kNoTensor && withU) {
        same = false;
      }
      if (!same)
        return makeError("the steps of {} do not share one set of weights", rnn);
    }
  auto shape = [&](TensorId t) { return g_.tensor(t).shape; };
  const bool lowW = ref.w[1] != kNoTensor;
  const int64_t hidden = shape(lowW ? ref.w[1] : ref.w[0])[1];
  if (shape(ref.w[0])[0] != in || (lowW && shape(ref.w[0])[1] != shape(ref.w[1])[0]))
    return makeError("{}'s input weights do not map {} inputs to its state", rnn, in);
  cell.hidden = hidden;
  cell.rankW = lowW ? shape(ref.w[0])[1] : 0;
  cell.gate = *ref.gate.kind, cell.update = *ref.update.kind;
  operands.push_back(ref.w[0]);
  if (lowW)
    operands.push_back(ref.w[1]);
  std::string base = fmt::format("{}.{}", commonName(g_, ref.nodes), rnn);
  if (!withU) {
    operands.push_back(g_.addConstant(g_.uniqueTensorName(base + ".U"),
                                      ir::TensorData::zeros(ir::DType::Float32, {hidden, hidden})));
  } else {
    const bool lowU = withU->u[1] != kNoTensor;
    const ir::Shape u0 = shape(withU->u[0]);
    if (u0[0] != hidden || shape(lowU ? withU->u[1] : withU->u[0])[1] != hidden)
      return makeError("{}'s state weights are not {} x {}", rnn, hidden, hidden);
    cell.rankU = lowU ? u0[1] : 0;
    operands.push_back(withU->u[0]);
    if (lowU)
      operands.push_back(withU->u[1]);
  }
  for (auto [bias, what] : {std::pair{ref.bz, ".b_z"}, std::pair{ref.bh, ".b_h"}}) {
    // One value is a bias equal for every unit, kept small by constant folding.
    const ir::TensorData &d = *g_.tensor(bias).data;
    if ((d.numel() != hidden && d.numel() != 1) || !ir::isFloat(d.dtype))
      return makeError("{}'s bias has {} values for {} hidden units", rnn, d.numel(), hidden);
    std::vector<float> values = d.numel() == 1 ? std::vector<float>(hidden, d.f[0]) : d.f;
    operands.push_back(g_.addConstant(g_.uniqueTensorName(base + what),
                                      ir::TensorData::fromFloats({1, hidden}, values)));
  }
  for (auto [s, what] : {std::pair{ref.zetaSigmoid, ".zeta"}, std::pair{ref.nuSigmoid, ".nu"}})
    operands.push_back(g_.addConstant(g_.uniqueTensorName(base + what),
                                      ir::TensorData::fromFloats({1, 1}, {logit(s)})));
  return Status::ok();
}

/// Marks every node between the layer input and output, and checks that they are the
/// candidate's steps and data movement, used by nothing outside.
Status Recogniser::coneOf(Fusion &f, const Candidate &c) {
  std::set<size_t> stepNodes;
  for (const auto *chains : {&c.rnn1, &c.rnn2})
    for (const StepChain &chain : *chains)
      for (size_t s : chain.steps)
        stepNodes.insert(steps_[s].nodes.begin(), steps_[s].nodes.end());
  const std::vector<int> &producers = producers_;
  f.cone.assign(g_.nodes.size(), 0);
  std::vector<TensorId> stack = {f.y};
  while (!stack.empty()) {
    TensorId t = stack.back();
    stack.pop_back();
    if (t == kNoTensor || t == f.x || g_.tensor(t).isConstant())
      continue;
    int p = producers[static_cast<size_t>(t)];
    if (p < 0)
      return makeError("the layer also reads '{}', which is not its input", g_.tensor(t).name);
    if (f.cone[p])
      continue;
    const ir::Node &node = g_.nodes[p];
    if (!stepNodes.count(static_cast<size_t>(p)) && !isDataMovement(node.op))
      return makeError("node '{}' ({}) inside the layer is neither a FastGRNN step nor data "
                       "movement",
                       node.name, ir::opName(node.op));
    f.cone[p] = 1;
    stack.insert(stack.end(), node.inputs.begin(), node.inputs.end());
  }
  const std::vector<std::vector<size_t>> &consumers = consumers_;
  for (size_t n = 0; n < g_.nodes.size(); ++n) {
    if (!f.cone[n])
      continue;
    for (TensorId out : g_.nodes[n].outputs) {
      if (out == f.y)
        continue;
      bool escapes = isGraphOutput(g_, out);
      for (size_t user : consumers[static_cast<size_t>(out)])
        escapes = escapes || !f.cone[user];
      if (escapes)
        return makeError("the intermediate tensor '{}' is also used outside the layer",
                         g_.tensor(out).name);
    }
  }
  return Status::ok();
}

Expected<Fusion> Recogniser::prove(const Candidate &c) {
  if (!c.problem.empty())
    return makeError("{}", c.problem);
  size_t stepNodes = 0;
  for (const auto *chains : {&c.rnn1, &c.rnn2})
    for (const StepChain &chain : *chains)
      for (size_t s : chain.steps)
        stepNodes += steps_[s].nodes.size();
  if (static_cast<int64_t>(stepNodes) > limits::kMaxRNNPoolNodes)
    return makeError("its FastGRNN steps alone have {} nodes; the limit is {} nodes per "
                     "unrolled RNNPool layer (docs/cli.md, Limits)",
                     stepNodes, limits::kMaxRNNPoolNodes);
  LayerGeometry geometry;
  SweepAnalysis sweeps(g_, steps_, trace_);
  auto y = sweeps.analyse(c.x, c.rnn1, c.rnn2, geometry);
  if (!y)
    return y.error();
  Fusion f;
  f.x = c.x, f.y = *y, f.quarters = geometry.quarters;
  RNNPOOLC_TRY(coneOf(f, c));
  ir::RNNPoolAttrs &a = f.attrs;
  a.patch = {geometry.rows, geometry.cols};
  a.stride = {geometry.strideRows, geometry.strideCols};
  RNNPOOLC_TRY(cellOf(c.rnn1, "RNN1", geometry.k, a.rnn1, f.operands));
  RNNPOOLC_TRY(cellOf(c.rnn2, "RNN2", geometry.h1, a.rnn2, f.operands));
  std::vector<size_t> coneNodes;
  for (size_t n = 0; n < f.cone.size(); ++n)
    if (f.cone[n])
      coneNodes.push_back(n);
  a.replacedNodes = static_cast<int64_t>(coneNodes.size());
  const std::string &call = g_.nodes[coneNodes[0]].inlinedFrom;
  f.name = candidateName(g_, coneNodes);
  a.encoding = !call.empty() && f.name == call ? "function" : "flat";
  return f;
}

/// The nodes that replace a fusion: its RNNPool node, then, if the model reorders the
/// four output quarters, a Split into them and a Concat in the model's order, then, if the
/// output is [N, 4*h2] (one patch per image), a Flatten of the [N, 4*h2, 1, 1] result.
std::vector<ir::Node> Recogniser::replacement(Fusion &f) {
  const std::string yName = g_.tensor(f.y).name;
  auto fresh = [&](const std::string &suffix) {
    ir::Tensor t;
    t.name = g_.uniqueTensorName(yName + suffix);
    return g_.addTensor(std::move(t));
  };
  auto make = [](std::string name, ir::OpKind op, ir::Attrs attrs, std::vector<TensorId> in,
                 std::vector<TensorId> out) {
    ir::Node node;
    node.name = std::move(name), node.op = op, node.attrs = std::move(attrs);
    node.inputs = std::move(in), node.outputs = std::move(out);
    return node;
  };
  const bool rank2 = g_.tensor(f.y).shape.size() == 2;
  const bool reordered = f.quarters != std::array<int, 4>{0, 1, 2, 3};
  const std::string name = f.name.empty() ? yName : f.name;
  std::vector<TensorId> inputs = {f.x};
  inputs.insert(inputs.end(), f.operands.begin(), f.operands.end());
  TensorId cur = rank2 || reordered ? fresh(".rnnpool") : f.y;
  std::vector<ir::Node> nodes;
  nodes.push_back(make(name, ir::OpKind::RNNPool, f.attrs, inputs, {cur}));
  if (reordered) {
    std::vector<TensorId> quarters;
    for (int q = 0; q < 4; ++q)
      quarters.push_back(fresh(fmt::format(".quarter{}", q)));
    nodes.push_back(make(name + ".split", ir::OpKind::Split, ir::AxisAttrs{1}, {cur}, quarters));
    std::vector<TensorId> order;
    for (int q : f.quarters)
      order.push_back(quarters[static_cast<size_t>(q)]);
    cur = rank2 ? fresh(".reordered") : f.y;
    nodes.push_back(make(name + ".reorder", ir::OpKind::Concat, ir::AxisAttrs{1}, order, {cur}));
  }
  if (rank2)
    nodes.push_back(make(name + ".flatten", ir::OpKind::Flatten, ir::AxisAttrs{1}, {cur}, {f.y}));
  return nodes;
}

/// Replaces each fusion's nodes by its replacement, placed where its first node was.
/// Returns the indices of the new nodes, in order.
std::vector<size_t> Recogniser::apply(std::vector<Fusion> &fusions) {
  std::vector<char> doomed(g_.nodes.size(), 0);
  std::map<size_t, std::vector<ir::Node>> inserted;
  for (Fusion &f : fusions) {
    size_t first = g_.nodes.size();
    for (size_t n = 0; n < f.cone.size(); ++n)
      if (f.cone[n]) {
        doomed[n] = 1;
        first = std::min(first, n);
      }
    inserted.emplace(first, replacement(f));
  }
  std::vector<ir::Node> nodes;
  std::vector<size_t> added;
  for (size_t n = 0; n < g_.nodes.size(); ++n) {
    if (auto it = inserted.find(n); it != inserted.end())
      for (ir::Node &node : it->second) {
        added.push_back(nodes.size());
        nodes.push_back(std::move(node));
      }
    if (!doomed[n])
      nodes.push_back(std::move(g_.nodes[n]));
  }
  g_.nodes = std::move(nodes);
  return added;
}

Status Recogniser::run() {
  if (steps_.empty())
    return Status::ok();
  std::string linkProblem;
  std::vector<Candidate> candidates = group(chains(linkProblem));
  std::vector<Fusion> fusions;
  std::set<size_t> covered;
  for (const Candidate &c : candidates) {
    for (const auto *chains : {&c.rnn1, &c.rnn2})
      for (const StepChain &chain : *chains)
        covered.insert(chain.steps.begin(), chain.steps.end());
    auto fusion = prove(c);
    if (fusion) {
      fusions.push_back(std::move(*fusion));
      continue;
    }
    std::vector<size_t> nodes;
    for (size_t s : c.rnn1[0].steps)
      nodes.insert(nodes.end(), steps_[s].nodes.begin(), steps_[s].nodes.end());
    g_.nearMisses.push_back({candidateName(g_, nodes), fusion.error().message()});
  }
  if (covered.size() < steps_.size()) {
    std::vector<size_t> nodes;
    for (size_t s = 0; s < steps_.size(); ++s)
      if (!covered.count(s))
        nodes.insert(nodes.end(), steps_[s].nodes.begin(), steps_[s].nodes.end());
    g_.nearMisses.push_back(
        {candidateName(g_, nodes),
         linkProblem.empty()
             ? fmt::format("{} FastGRNN steps do not form RNN1 and RNN2 sweeps over a layer input",
                           steps_.size() - covered.size())
             : linkProblem});
  }
  if (fusions.empty())
    return Status::ok();
  std::vector<ir::Shape> shapes;
  for (const Fusion &f : fusions)
    shapes.push_back(g_.tensor(f.y).shape);
  for (size_t n : apply(fusions))
    RNNPOOLC_TRY(ir::inferShapes(g_, g_.nodes[n]));
  for (size_t i = 0; i < fusions.size(); ++i)
    if (g_.tensor(fusions[i].y).shape != shapes[i])
      return makeError("internal: the fused RNNPool '{}' changes its output shape",
                       fusions[i].name);
  return Status::ok();
}

} // namespace

Status recogniseRNNPool(ir::Graph &graph) {
  // Shapes are needed (fold-constants runs first); recognising twice must be harmless.
  graph.nearMisses.clear();
  // Dead reads (exporters leave some) would look like uses outside a layer.
  RNNPOOLC_TRY(removeDeadNodes(graph));
  return Recogniser(graph).run();
}

} // namespace rnnpoolc::passes
