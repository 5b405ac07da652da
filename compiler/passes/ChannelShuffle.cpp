// Rewrites ShuffleNet's channel shuffle, written as PyTorch users write it, into one
// ChannelShuffle node that permutes the channels of each pixel.
//
// Recognised, by structure and inferred shapes (any names, any way of writing the shapes:
// constants, -1 and 0 entries, or Shape/Gather/Concat chains that constant folding turned
// into constants):
//   t1 = Reshape(x)                 [N, C, H, W]   -> [N, g, C/g, H, W]
//   t2 = Transpose(t1, [0,2,1,3,4])                -> [N, C/g, g, H, W]
//   y  = Reshape(t2)                               -> [N, C, H, W]
// where x is float and g divides C. t1 and t2 must be read by the next node of the chain
// alone (and not be graph outputs); otherwise the chain is left as it is, and so is any
// other transpose or a final reshape to another shape. Output channel i * g + j of y is
// input channel j * (C/g) + i: ChannelShuffleAttrs{g}.
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

#include <optional>

namespace rnnpoolc::passes {
namespace {

/// One recognised shuffle: the indices of its first Reshape and its Transpose (the last
/// Reshape is the node the match starts from), its input and its group count.
struct Match {
  size_t reshape = 0, transpose = 0;
  ir::TensorId x = ir::kNoTensor;
  int64_t groups = 1;
};

class Matcher : ChainMatcher {
public:
  using ChainMatcher::ChainMatcher;

  /// The shuffle that ends at node `last`, if it is the final Reshape of one.
  std::optional<Match> match(size_t last) const {
    const ir::Node &back = g_.nodes[last];
    if (back.op != ir::OpKind::Reshape)
      return std::nullopt;
    Match m;
    const ir::Node *transpose = soleProducer(back.inputs.at(0), m.transpose);
    if (!transpose || transpose->op != ir::OpKind::Transpose ||
        transpose->attr<ir::TransposeAttrs>().perm != ir::Ints{0, 2, 1, 3, 4})
      return std::nullopt;
    const ir::Node *front = soleProducer(transpose->inputs.at(0), m.reshape);
    if (!front || front->op != ir::OpKind::Reshape)
      return std::nullopt;
    m.x = front->inputs.at(0);
    const ir::Tensor &x = g_.tensor(m.x), &y = g_.tensor(back.outputs.at(0));
    const ir::Tensor &split = g_.tensor(transpose->inputs[0]);
    if (x.dtype != ir::DType::Float32 || !x.shapeKnown || !y.shapeKnown || !split.shapeKnown ||
        x.shape.size() != 4 || y.shape != x.shape || split.shape.size() != 5)
      return std::nullopt;
    const ir::Shape &s = split.shape; // [N, g, C/g, H, W]
    const int64_t c = x.shape[1];
    if (s[0] != x.shape[0] || s[1] < 1 || s[1] * s[2] != c || s[3] != x.shape[2] ||
        s[4] != x.shape[3])
      return std::nullopt;
    m.groups = s[1];
    return m;
  }
};

} // namespace

Status rewriteChannelShuffles(ir::Graph &graph) {
  std::vector<char> doomed(graph.nodes.size(), 0);
  std::vector<std::pair<size_t, Match>> found;
  {
    Matcher matcher(graph);
    for (size_t n = 0; n < graph.nodes.size(); ++n)
      if (auto m = matcher.match(n)) {
        doomed[m->reshape] = doomed[m->transpose] = 1;
        found.emplace_back(n, *m);
      }
  }
  // The final Reshape becomes the ChannelShuffle, under the Transpose's name (the node a
  // user knows as the shuffle): x comes before the chain, so the order stays topological.
  for (const auto &[n, m] : found) {
    const ir::Node &transpose = graph.nodes[m.transpose];
    ir::Node &node = graph.nodes[n];
    node.name = transpose.name;
    node.inlinedFrom = transpose.inlinedFrom;
    node.op = ir::OpKind::ChannelShuffle;
    node.attrs = ir::ChannelShuffleAttrs{m.groups};
    node.inputs = {m.x};
  }
  eraseNodes(graph, doomed);
  return Status::ok();
}

} // namespace rnnpoolc::passes
