// RNNPool geometry from traced elements: every RNN1 batch entry must sweep one row segment
// left to right or one column segment top to bottom of the layer input; every RNN2 batch
// entry must sweep the summaries of the consecutive rows or columns of one patch, forward
// or backward; the patches must tile the input at a fixed stride; and the output tensor
// must hold the four final RNN2 states of each patch in EdgeML's channel order.
#include "compiler/passes/RNNPoolSweeps.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace rnnpoolc::passes {

ir::TensorId StepChain::finalState() const { return (*all)[steps.back()].out; }

Status SweepAnalysis::segmentsOf(const StepChain &chain, const LayerGeometry &g,
                                 std::vector<Segment> &out) {
  const int64_t plane = g.h * g.w, numel = g.n * g.k * plane;
  const int64_t len = static_cast<int64_t>(chain.steps.size());
  ir::TensorId x = ir::kNoTensor;
  std::vector<int64_t> ys, xs; // [batch entry][step]
  int64_t batch = -1;
  for (int64_t t = 0; t < len; ++t) {
    const FastGrnnStep &step = steps_[chain.steps[t]];
    const std::vector<int64_t> &ids = trace_.ids(step.x);
    if (ids.empty() || ids.size() % g.k || (batch >= 0 && batch != int64_t(ids.size()) / g.k))
      return makeError("an RNN1 step's input cannot be traced to the layer input");
    if (batch < 0) {
      batch = static_cast<int64_t>(ids.size()) / g.k;
      ys.assign(batch * len, 0);
      xs.assign(batch * len, 0);
      out.assign(batch, Segment{});
    }
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t first = ids[b * g.k];
      auto origin = trace_.origin(first);
      if (x == ir::kNoTensor)
        x = origin.tensor;
      const int64_t f = origin.index;
      if (first < 0 || origin.tensor != x || f >= numel || (f / plane) % g.k != 0)
        return makeError("an RNN1 step reads something other than the layer input's channels");
      for (int64_t ch = 1; ch < g.k; ++ch)
        if (ids[b * g.k + ch] != first + ch * plane)
          return makeError("an RNN1 step does not read the layer input's channels in order");
      const int64_t n = f / (g.k * plane);
      if (t > 0 && n != out[b].n)
        return makeError("an RNN1 sweep mixes images of the batch");
      out[b].n = n;
      ys[b * len + t] = (f % plane) / g.w;
      xs[b * len + t] = f % g.w;
    }
  }
  for (int64_t b = 0; b < batch; ++b) {
    Segment &s = out[b];
    s.y = ys[b * len], s.x = xs[b * len], s.len = len;
    s.row = s.col = true;
    for (int64_t t = 0; t < len; ++t) {
      s.row = s.row && ys[b * len + t] == s.y && xs[b * len + t] == s.x + t;
      s.col = s.col && xs[b * len + t] == s.x && ys[b * len + t] == s.y + t;
    }
    if (!s.row && !s.col)
      return makeError("an RNN1 sweep does not walk a row left to right or a column top to "
                       "bottom");
  }
  return Status::ok();
}

namespace {

/// The roles a sequence of RNN1 segments can play as one RNN2 sweep, with the patch it
/// implies; roles == 0 when it is no sweep over one patch.
Sweep classify(const std::vector<const Segment *> &seq) {
  const int64_t len = static_cast<int64_t>(seq.size());
  const Segment &s0 = *seq[0];
  auto along = [&](bool rows) {
    bool fwd = true, bwd = true;
    for (int64_t t = 0; t < len; ++t) {
      const Segment &s = *seq[t];
      bool same = s.n == s0.n && s.len == s0.len && (rows ? s.row : s.col) &&
                  (rows ? s.x == s0.x : s.y == s0.y);
      int64_t pos = rows ? s.y - s0.y : s.x - s0.x;
      fwd = fwd && same && pos == t;
      bwd = bwd && same && pos == -t;
    }
    return std::pair{fwd, bwd};
  };
  Sweep sweep;
  auto [rowFwd, rowBwd] = along(/*rows=*/true);
  auto [colFwd, colBwd] = along(/*rows=*/false);
  sweep.n = s0.n;
  if (rowFwd || rowBwd) {
    sweep.y = rowFwd ? s0.y : s0.y - (len - 1), sweep.x = s0.x;
    sweep.rows = len, sweep.cols = s0.len;
    sweep.roles = (rowFwd ? kRowsFwd : 0) | (rowBwd ? kRowsBwd : 0);
  }
  if (colFwd || colBwd) {
    Sweep cols = sweep;
    cols.y = s0.y, cols.x = colFwd ? s0.x : s0.x - (len - 1);
    cols.rows = s0.len, cols.cols = len;
    cols.roles = (colFwd ? kColsFwd : 0) | (colBwd ? kColsBwd : 0);
    if (sweep.roles == 0)
      sweep = cols;
    else if (std::tie(cols.y, cols.x, cols.rows, cols.cols) ==
             std::tie(sweep.y, sweep.x, sweep.rows, sweep.cols))
      sweep.roles |= cols.roles; // a 1x1 patch: every sweep is every role
  }
  return sweep;
}

} // namespace

Status SweepAnalysis::sweepsOf(const StepChain &chain, int64_t h1, std::vector<Sweep> &out) {
  const size_t len = chain.steps.size();
  std::vector<std::vector<const Segment *>> seqs;
  for (size_t t = 0; t < len; ++t) {
    const std::vector<int64_t> &ids = trace_.ids(steps_[chain.steps[t]].x);
    if (ids.empty() || ids.size() % h1 || (t > 0 && seqs.size() != ids.size() / h1))
      return makeError("an RNN2 step's input cannot be traced to RNN1's final states");
    seqs.resize(ids.size() / h1, std::vector<const Segment *>(len));
    for (size_t b2 = 0; b2 < seqs.size(); ++b2) {
      const int64_t first = ids[b2 * h1];
      auto origin = trace_.origin(first);
      auto it = rnn1ByFinal_.find(origin.tensor);
      if (first < 0 || it == rnn1ByFinal_.end() || origin.index % h1 != 0)
        return makeError("an RNN2 step reads something other than RNN1's final states");
      for (int64_t j = 1; j < h1; ++j)
        if (ids[b2 * h1 + j] != first + j)
          return makeError("an RNN2 step does not read whole RNN1 summaries");
      seqs[b2][t] = &segments_[it->second][origin.index / h1];
    }
  }
  for (const auto &seq : seqs) {
    out.push_back(classify(seq));
    if (out.back().roles == 0)
      return makeError("an RNN2 sweep does not read the summaries of consecutive rows or "
                       "columns of one patch");
  }
  return Status::ok();
}

namespace {

/// Patch origins along one axis must be 0, s, 2s, ... and cover the extent; returns the
/// stride (for a single patch, one that leaves no room for a second).
Expected<int64_t> strideOf(const std::set<int64_t> &starts, int64_t extent, int64_t patch,
                           std::string_view axis) {
  std::vector<int64_t> v(starts.begin(), starts.end());
  if (v[0] != 0)
    return makeError("the first patch does not start at {} 0", axis);
  if (v.size() == 1)
    return patch > extent - patch ? patch : extent - patch + 1;
  int64_t stride = v[1] - v[0];
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] != static_cast<int64_t>(i) * stride)
      return makeError("patches are not evenly spaced along the {}s", axis);
  if ((extent - patch) / stride + 1 != static_cast<int64_t>(v.size()))
    return makeError("patches do not cover the input's {}s at stride {}", axis, stride);
  return stride;
}

} // namespace

Status SweepAnalysis::gridOf(LayerGeometry &g) {
  std::map<std::tuple<int64_t, int64_t, int64_t>, uint8_t> roles;
  std::set<int64_t> ns, ys, xs;
  g.rows = sweeps_[0][0].rows, g.cols = sweeps_[0][0].cols;
  for (const auto &chain : sweeps_)
    for (const Sweep &s : chain) {
      if (s.rows != g.rows || s.cols != g.cols)
        return makeError("the sweeps imply different patch sizes ({}x{} and {}x{})", g.rows,
                         g.cols, s.rows, s.cols);
      roles[{s.n, s.y, s.x}] |= s.roles;
      ns.insert(s.n), ys.insert(s.y), xs.insert(s.x);
    }
  uint8_t all = 0;
  for (const auto &[origin, r] : roles)
    all |= r;
  if (!(all & (kRowsBwd | kColsBwd)))
    return makeError("RNN2 sweeps the summaries only forward; RNNPool sweeps them forward "
                     "and backward");
  if (!(all & (kRowsFwd | kRowsBwd)) || !(all & (kColsFwd | kColsBwd)))
    return makeError("RNN1 sweeps only {}; RNNPool sweeps both rows and columns",
                     all & (kRowsFwd | kRowsBwd) ? "rows" : "columns");
  for (const auto &[origin, r] : roles)
    if (r != 15)
      return makeError("the patch at row {}, column {} lacks one of the four RNN2 sweeps",
                       std::get<1>(origin), std::get<2>(origin));
  auto strideRows = strideOf(ys, g.h, g.rows, "row");
  if (!strideRows)
    return strideRows.error();
  auto strideCols = strideOf(xs, g.w, g.cols, "column");
  if (!strideCols)
    return strideCols.error();
  g.strideRows = *strideRows, g.strideCols = *strideCols;
  g.outRows = static_cast<int64_t>(ys.size()), g.outCols = static_cast<int64_t>(xs.size());
  if (static_cast<int64_t>(ns.size()) != g.n ||
      static_cast<int64_t>(roles.size()) != g.n * g.outRows * g.outCols)
    return makeError("the patches do not cover every position of the input");
  return Status::ok();
}

bool SweepAnalysis::outputMatches(ir::TensorId y, const LayerGeometry &g) {
  // [N, 4*h2, Ho, Wo], or [N, 4*h2] when the layer has one patch per image (RNNPool called
  // directly on a whole map, as a final pooling): the same elements in the same order.
  const ir::Tensor &t = graph_.tensor(y);
  const bool rank2 = g.outRows == 1 && g.outCols == 1 && t.shape == ir::Shape{g.n, 4 * g.h2};
  if (t.shape != ir::Shape{g.n, 4 * g.h2, g.outRows, g.outCols} && !rank2)
    return false;
  const std::vector<int64_t> &ids = trace_.ids(y);
  if (static_cast<int64_t>(ids.size()) != g.n * 4 * g.h2 * g.outRows * g.outCols)
    return false;
  const uint8_t quarter[4] = {kRowsFwd, kRowsBwd, kColsFwd, kColsBwd};
  size_t e = 0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < 4 * g.h2; ++o)
      for (int64_t py = 0; py < g.outRows; ++py)
        for (int64_t px = 0; px < g.outCols; ++px, ++e) {
          auto origin = trace_.origin(ids[e]);
          auto it = rnn2ByFinal_.find(origin.tensor);
          if (ids[e] < 0 || it == rnn2ByFinal_.end() || origin.index % g.h2 != o % g.h2)
            return false;
          const Sweep &s = sweeps_[it->second][origin.index / g.h2];
          if (s.n != n || s.y != py * g.strideRows || s.x != px * g.strideCols ||
              !(s.roles & quarter[g.quarters[o / g.h2]]))
            return false;
        }
  return true;
}

Expected<ir::TensorId> SweepAnalysis::analyse(ir::TensorId x, const std::vector<StepChain> &rnn1,
                                              const std::vector<StepChain> &rnn2,
                                              LayerGeometry &g) {
  const ir::Shape &shape = graph_.tensor(x).shape;
  if (shape.size() != 4)
    return makeError("the layer input '{}' is not N x C x H x W", graph_.tensor(x).name);
  g.n = shape[0], g.k = shape[1], g.h = shape[2], g.w = shape[3];
  g.h1 = graph_.tensor(rnn1[0].finalState()).shape.back();
  g.h2 = graph_.tensor(rnn2[0].finalState()).shape.back();
  segments_.assign(rnn1.size(), {});
  for (size_t c = 0; c < rnn1.size(); ++c) {
    RNNPOOLC_TRY(segmentsOf(rnn1[c], g, segments_[c]));
    rnn1ByFinal_[rnn1[c].finalState()] = c;
  }
  sweeps_.assign(rnn2.size(), {});
  for (size_t c = 0; c < rnn2.size(); ++c) {
    RNNPOOLC_TRY(sweepsOf(rnn2[c], g.h1, sweeps_[c]));
    rnn2ByFinal_[rnn2[c].finalState()] = c;
  }
  RNNPOOLC_TRY(gridOf(g));

  // The output: the last tensor, reached from the final RNN2 states through data
  // movement only, that holds exactly the RNNPool output.
  auto consumers = graph_.consumers();
  auto producers = graph_.producers();
  std::vector<ir::TensorId> frontier;
  std::set<ir::TensorId> seen;
  for (const StepChain &chain : rnn2)
    frontier.push_back(chain.finalState());
  // EdgeML's quarter order first; another order of the four quarters only if no tensor
  // holds that one.
  ir::TensorId best = ir::kNoTensor;
  std::vector<ir::TensorId> reached;
  while (!frontier.empty() && seen.size() < 100000) {
    ir::TensorId t = frontier.back();
    frontier.pop_back();
    if (!seen.insert(t).second)
      continue;
    reached.push_back(t);
    for (size_t c : consumers[static_cast<size_t>(t)])
      if (isDataMovement(graph_.nodes[c].op))
        for (ir::TensorId out : graph_.nodes[c].outputs)
          frontier.push_back(out);
  }
  std::array<int, 4> order{0, 1, 2, 3};
  do {
    g.quarters = order;
    for (ir::TensorId t : reached)
      if (outputMatches(t, g) &&
          (best == ir::kNoTensor || producers[size_t(t)] > producers[size_t(best)]))
        best = t;
  } while (best == ir::kNoTensor && std::next_permutation(order.begin(), order.end()));
  if (best == ir::kNoTensor)
    return makeError("the final RNN2 states are not arranged as RNNPool's output "
                     "[N, 4*h2, Ho, Wo] (or [N, 4*h2] for one patch per image) in EdgeML's "
                     "channel order");
  return best;
}

} // namespace rnnpoolc::passes
