// The geometry half of RNNPool recognition: from the chains of FastGRNN steps found in a
// graph, which rows and columns of the layer input each chain's batch entries sweep, and
// whether together they form an RNNPool layer (patch size, stride, EdgeML output order).
#pragma once

#include "compiler/ir/Graph.h"
#include "compiler/passes/ElementTrace.h"
#include "compiler/passes/FastGrnnMatch.h"

#include <array>
#include <map>

namespace rnnpoolc::passes {

/// Steps linked through their state: steps[0] starts from h = 0, each next one reads the
/// previous one's h'.
struct StepChain {
  std::vector<size_t> steps; ///< Indices into the step list.
  ir::TensorId finalState() const;
  const std::vector<FastGrnnStep> *all = nullptr;
};

/// A run of RNN1 over one row or column segment of the layer input.
struct Segment {
  int64_t n = 0, y = 0, x = 0, len = 0;
  bool row = false, col = false; ///< Sweeps left to right along y / top to bottom along x.
};

/// What an RNN2 batch entry computes: a sweep over the summaries of one patch.
enum SweepRole : uint8_t { kRowsFwd = 1, kRowsBwd = 2, kColsFwd = 4, kColsBwd = 8 };
struct Sweep {
  int64_t n = 0, y = 0, x = 0; ///< The patch's top-left corner.
  int64_t rows = 0, cols = 0;  ///< The patch size this sweep implies.
  uint8_t roles = 0;           ///< Which of the four output quarters it can fill.
};

/// An RNNPool layer proven from its chains: geometry and where its pieces are.
struct LayerGeometry {
  int64_t n = 0, k = 0, h = 0, w = 0; ///< The layer input's shape.
  int64_t rows = 0, cols = 0, strideRows = 0, strideCols = 0, outRows = 0, outCols = 0;
  int64_t h1 = 0, h2 = 0;
  /// Which of EdgeML's four output quarters (rows fwd, rows bwd, cols fwd, cols bwd) each
  /// quarter of the output tensor holds: {0, 1, 2, 3} unless the model reorders them (the
  /// authors' QVGA face detector puts the column sweeps first).
  std::array<int, 4> quarters{0, 1, 2, 3};
};

/// Checks RNN1 and RNN2 chains reading layer input `x` and finds the tensor that holds
/// the RNNPool output. Errors are near-miss reasons ("RNN2 sweeps ... only forward").
class SweepAnalysis {
public:
  SweepAnalysis(const ir::Graph &graph, const std::vector<FastGrnnStep> &steps,
                ElementTrace &trace)
      : graph_(graph), steps_(steps), trace_(trace) {}

  /// Fills `geometry` and returns the output tensor.
  Expected<ir::TensorId> analyse(ir::TensorId x, const std::vector<StepChain> &rnn1,
                                 const std::vector<StepChain> &rnn2, LayerGeometry &geometry);

private:
  const ir::Graph &graph_;
  const std::vector<FastGrnnStep> &steps_;
  ElementTrace &trace_;
  std::vector<std::vector<Segment>> segments_; ///< Per RNN1 chain, per batch entry.
  std::vector<std::vector<Sweep>> sweeps_;     ///< Per RNN2 chain, per batch entry.
  std::map<ir::TensorId, size_t> rnn1ByFinal_, rnn2ByFinal_;

  Status segmentsOf(const StepChain &chain, const LayerGeometry &g, std::vector<Segment> &out);
  Status sweepsOf(const StepChain &chain, int64_t h1, std::vector<Sweep> &out);
  Status gridOf(LayerGeometry &g);
  bool outputMatches(ir::TensorId y, const LayerGeometry &g);
};

} // namespace rnnpoolc::passes
