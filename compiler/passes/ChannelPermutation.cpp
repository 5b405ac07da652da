// Folds a permutation of a map's channels into the convolution that reads it.
//
// A Split of x along the channels whose parts one Concat joins again, each once, in another
// order permutes x's channels (the RNNPool recogniser keeps the authors' output order so,
// and models swap halves so); so does a ChannelShuffle. Either runs on whole maps, so the
// planner must hold x and its permutation at once (two 72 KB maps in the authors'
// RPool_Face_QVGA_monochrome). When the permuted map reaches a Conv of one group through
// ops that treat every channel alike (Pad of rows and columns only, per-element unary ops,
// max and average pooling), each read by the next alone, the Conv's weights take the
// permutation on their input axis instead: with y = Conv(P x), channel i of P x being
// channel perm[i] of x, W'[o, perm[i]] = W[o, i], and the chain reads x itself. Its maps
// then hold the channels in x's order under their old names (a trace of intermediate
// tensors compared with the ONNX model's shows them permuted); the chain alone reads them.
// Weights shared with another Conv are copied, not changed.
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

#include <numeric>
#include <optional>

namespace rnnpoolc::passes {
namespace {

/// A permutation of x's channels: channel i of the node's output is channel perm[i] of x.
struct Permutation {
  ir::TensorId x = ir::kNoTensor;
  std::vector<int64_t> perm;
  std::vector<size_t> nodes; ///< the Split and Concat, or the ChannelShuffle
};

bool isChannelAxis(int64_t axis, size_t rank) {
  return axis == 1 || axis + static_cast<int64_t>(rank) == 1;
}

class Folder {
public:
  explicit Folder(ir::Graph &graph)
      : g_(graph), producer_(graph.producers()), consumers_(graph.consumers()) {}

  /// The permutation node `n` ends (a Concat or a ChannelShuffle), if it is one.
  std::optional<Permutation> permutationAt(size_t n) const {
    const ir::Node &node = g_.nodes[n];
    const ir::Tensor &y = g_.tensor(node.outputs[0]);
    if (!y.shapeKnown || y.shape.size() != 4 || y.dtype != ir::DType::Float32)
      return std::nullopt;
    const int64_t channels = y.shape[1];
    Permutation p;
    if (node.op == ir::OpKind::ChannelShuffle) {
      const int64_t groups = node.attr<ir::ChannelShuffleAttrs>().groups;
      if (groups < 1 || channels % groups != 0)
        return std::nullopt;
      const int64_t per = channels / groups;
      for (int64_t i = 0; i < per; ++i)
        for (int64_t j = 0; j < groups; ++j)
          p.perm.push_back(j * per + i); // output i * groups + j
      p.x = node.inputs[0], p.nodes = {n};
      return p;
    }
    if (node.op != ir::OpKind::Concat || node.inputs.empty() ||
        !isChannelAxis(node.attr<ir::AxisAttrs>().axis, y.shape.size()))
      return std::nullopt;
    // Every input a distinct output of one Split along the channels, read here alone, and
    // every output of that Split used.
    const int split = producer_[static_cast<size_t>(node.inputs[0])];
    if (split < 0 || g_.nodes[static_cast<size_t>(split)].op != ir::OpKind::Split)
      return std::nullopt;
    const ir::Node &s = g_.nodes[static_cast<size_t>(split)];
    const ir::Tensor &x = g_.tensor(s.inputs[0]);
    if (!isChannelAxis(s.attr<ir::AxisAttrs>().axis, x.shape.size()) || !x.shapeKnown ||
        x.shape != y.shape || s.outputs.size() != node.inputs.size())
      return std::nullopt;
    for (ir::TensorId part : s.outputs)
      if (!g_.tensor(part).shapeKnown || g_.tensor(part).shape.size() != 4)
        return std::nullopt;
    std::vector<int64_t> first(s.outputs.size(), 0); // each part's first channel in x
    for (size_t k = 1; k < s.outputs.size(); ++k)
      first[k] = first[k - 1] + g_.tensor(s.outputs[k - 1]).shape.at(1);
    std::vector<char> seen(s.outputs.size(), 0);
    for (ir::TensorId part : node.inputs) {
      auto at = std::find(s.outputs.begin(), s.outputs.end(), part);
      if (at == s.outputs.end() || seen[static_cast<size_t>(at - s.outputs.begin())] ||
          !hasSingleUser(g_, consumers_, part))
        return std::nullopt;
      const size_t k = static_cast<size_t>(at - s.outputs.begin());
      seen[k] = 1;
      for (int64_t c = 0; c < g_.tensor(part).shape.at(1); ++c)
        p.perm.push_back(first[k] + c);
    }
    if (static_cast<int64_t>(p.perm.size()) != channels)
      return std::nullopt;
    p.x = s.inputs[0], p.nodes = {static_cast<size_t>(split), n};
    return p;
  }

  /// The Conv of one group that map `t` reaches through ops that treat every channel alike,
  /// each the sole reader of the map before it; its index, and the index of the chain's
  /// first node (the Conv itself when the chain is empty).
  std::optional<std::pair<size_t, size_t>> convAfter(ir::TensorId t) const {
    std::optional<size_t> first;
    for (;;) {
      if (!hasSingleUser(g_, consumers_, t))
        return std::nullopt;
      const size_t n = consumers_[static_cast<size_t>(t)][0];
      const ir::Node &node = g_.nodes[n];
      if (node.inputs.empty() || node.inputs[0] != t || node.outputs.empty())
        return std::nullopt;
      if (!first)
        first = n;
      if (node.op == ir::OpKind::Conv) {
        if (node.inputs.size() < 2 || node.inputs[1] == ir::kNoTensor)
          return std::nullopt;
        const ir::Tensor &w = g_.tensor(node.inputs[1]);
        if (node.attr<ir::ConvAttrs>().group != 1 || !w.isConstant() ||
            w.data->dtype != ir::DType::Float32 || w.data->shape.size() != 4 ||
            w.data->shape != w.shape ||
            (w.integers && !integersPermutable(w)))
          return std::nullopt;
        return std::pair{n, *first};
      }
      if (!channelAlike(node))
        return std::nullopt;
      t = node.outputs[0];
    }
  }

  /// Rewrites one permutation; false when it does not reach a Conv as above.
  bool fold(const Permutation &p, std::vector<char> &doomed) {
    const ir::TensorId permuted = g_.nodes[p.nodes.back()].outputs[0];
    auto found = convAfter(permuted);
    if (!found)
      return false;
    auto [convIndex, chainStart] = *found;
    const ir::Tensor &w = g_.tensor(g_.nodes[convIndex].inputs[1]);
    const ir::Shape shape = w.shape; // [O, C, kh, kw]
    if (shape[1] != static_cast<int64_t>(p.perm.size()))
      return false;
    const int64_t taps = shape[2] * shape[3];
    auto permute = [&](auto values) {
      auto out = values;
      for (int64_t o = 0; o < shape[0]; ++o)
        for (int64_t i = 0; i < shape[1]; ++i)
          std::copy_n(values.begin() + (o * shape[1] + i) * taps, taps,
                      out.begin() + (o * shape[1] + p.perm[static_cast<size_t>(i)]) * taps);
      return out;
    };
    ir::TensorData data = *w.data;
    data.f = permute(data.f);
    std::shared_ptr<const ir::TensorData> integers;
    if (w.integers) {
      ir::TensorData ints = *w.integers;
      ints.i = permute(ints.i);
      integers = std::make_shared<const ir::TensorData>(std::move(ints));
    }
    const std::optional<ir::QuantParams> quant = w.quant;
    // A copy of the name: addConstant() may move the graph's tensors.
    const std::string name = g_.uniqueTensorName(w.name + "_permuted");
    const ir::TensorId weights = g_.addConstant(name, std::move(data));
    g_.tensor(weights).quant = quant;
    g_.tensor(weights).integers = std::move(integers);
    g_.nodes[convIndex].inputs[1] = weights;
    g_.nodes[chainStart].inputs[0] = p.x;
    for (size_t n : p.nodes)
      doomed[n] = 1;
    return true;
  }

private:
  ir::Graph &g_;
  std::vector<int> producer_;
  std::vector<std::vector<size_t>> consumers_;

  /// Whether a QDQ model's weights (integers kept for the quantiser) can be permuted like
  /// their floats: integers of the same shape, one scale or one per output channel.
  static bool integersPermutable(const ir::Tensor &w) {
    return w.quant && w.integers->shape == w.shape && !ir::isFloat(w.integers->dtype) &&
           (w.quant->scale.size() == 1 || w.quant->axis == 0);
  }

  /// Whether `node` computes each channel of its output from the same channel of its input
  /// 0 alone, the same way for every channel.
  bool channelAlike(const ir::Node &node) const {
    const ir::OpFamily family = ir::propertiesOf(node.op).family;
    if (family == ir::OpFamily::Unary)
      return std::all_of(node.inputs.begin() + 1, node.inputs.end(), [&](ir::TensorId in) {
        return in == ir::kNoTensor || ir::numel(g_.tensor(in).shape) == 1; // Clip's bounds
      });
    if (node.op == ir::OpKind::MaxPool || node.op == ir::OpKind::AveragePool)
      return true;
    if (node.op != ir::OpKind::Pad || node.inputs.size() < 2 || node.inputs.size() > 3 ||
        !g_.tensor(node.inputs[1]).isConstant())
      return false;
    const ir::Ints pads = g_.tensor(node.inputs[1]).data->toInts();
    return pads.size() == 8 && pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0 &&
           (node.inputs.size() < 3 || node.inputs[2] == ir::kNoTensor ||
            ir::numel(g_.tensor(node.inputs[2]).shape) == 1);
  }
};

} // namespace

Status foldChannelPermutations(ir::Graph &graph) {
  // One fold at a time, each on a fresh view of the graph (a fold rewires readers).
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<char> doomed(graph.nodes.size(), 0);
    Folder folder(graph);
    for (size_t n = 0; n < graph.nodes.size() && !changed; ++n)
      if (auto p = folder.permutationAt(n))
        changed = folder.fold(*p, doomed);
    if (changed)
      eraseNodes(graph, doomed);
  }
  return Status::ok();
}

} // namespace rnnpoolc::passes
