// Plan construction: emits the steps of a schedule (layer steps, row bands with line
// buffers, tiles with recomputed halos) and the buffers they read and write.
#include "compiler/plan/Builder.h"

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <set>

namespace rnnpoolc::plan {
namespace {

/// Widens buffer b's life to take in steps [first, last].
void liveOver(Buffer &b, int first, int last) {
  b.firstStep = std::min(b.firstStep, first);
  b.lastStep = std::max(b.lastStep, last);
}

/// Ops whose output may overwrite an input of the same size as they go.
bool isElementwise(ir::OpKind op) {
  return ir::propertiesOf(op).inPlace; // the kInPlace flag of compiler/ir/Ops.def
}

/// Ops whose steps Builder::inPlace may compute over an input: the elementwise ones, and Pad
/// (over a smaller input, plan::padInPlace).
bool mayComputeInPlace(ir::OpKind op) { return op == ir::OpKind::Pad || isElementwise(op); }

class Builder {
public:
  /// `lean`: the steps are not kept, only what placement needs of them (see sites()).
  Builder(const ir::Graph &graph, const BuildOptions &options, bool lean = false)
      : g_(graph), opts_(options), lean_(lean), bufferOf_(graph.numTensors(), -1),
        consumers_(graph.consumers()), extents_(graph.numTensors()),
        pixelBytes_(graph.numTensors(), 0), nodeMacs_(graph.nodes.size(), -1),
        streamedRows_(graph.numTensors(), -1), streamRing_(graph.numTensors(), -1),
        streamRingCap_(graph.numTensors(), 0) {
    Step none;
    none.kind = StepKind::Stream;
    lastRNNPoolStep_.assign(graph.nodes.size(), none);
    plan_.floatActivations = options.floatActivations;
    plan_.streamedInput = options.streamInput;
    for (size_t t = 0; t < graph.numTensors(); ++t) {
      const ir::Tensor &tensor = graph.tensor(static_cast<ir::TensorId>(t));
      extents_[t] = extentOf(tensor);
      pixelBytes_[t] = extents_[t].channels * elementBytes(tensor, options.floatActivations);
    }
  }

  Expected<Plan> build(const Schedule &schedule);
  /// Lean builds: per step, the node it computes (SIZE_MAX for a Stream step).
  const std::vector<size_t> &sites() const { return sites_; }

private:
  const ir::Graph &g_;
  BuildOptions opts_;
  bool lean_;
  Plan plan_;
  std::vector<int> bufferOf_; ///< The whole-tensor buffer of each tensor, if any.
  std::vector<std::vector<size_t>> consumers_;
  std::vector<Extent> extents_;     ///< Per tensor.
  std::vector<int64_t> pixelBytes_; ///< Per tensor: bytes of one position.
  mutable std::vector<int64_t> nodeMacs_; ///< Per node: ir::macs, or -1 until asked.
  int steps_ = 0;                   ///< Steps emitted so far.
  std::vector<size_t> sites_;       ///< Lean: per step, its node (SIZE_MAX: Stream).
  /// Lean: the steps inPlace() reads (layer steps, and Pad and elementwise steps of
  /// regions), with their indices.
  std::vector<std::pair<int, Step>> layerSteps_;
  Step rowStep_; ///< Row bands: the step being made, reused so that its vectors are.
  /// Per node: its last RNNPool step so far (node, scratch and region only; kind Stream:
  /// none yet), which decides whether the next one carries.
  std::vector<Step> lastRNNPoolStep_;

  int step() const { return steps_; }
  /// Appends `s` (lean: only its node, and the whole step if inPlace() may read it).
  void emit(Step &&s) {
    plan_.summary.macs += s.macs;
    if (lean_) {
      sites_.push_back(s.kind == StepKind::Stream ? SIZE_MAX : s.node);
      if (s.kind == StepKind::Compute && (s.region < 0 || mayComputeInPlace(g_.nodes[s.node].op)))
        layerSteps_.emplace_back(steps_, std::move(s));
    } else {
      plan_.steps.push_back(std::move(s));
    }
    ++steps_;
  }
  void emitCopy(const Step &s) {
    if (lean_) {
      plan_.summary.macs += s.macs;
      sites_.push_back(s.kind == StepKind::Stream ? SIZE_MAX : s.node);
      // (A row-band step: its rings are never in place, its whole buffers may be.)
      if (s.kind == StepKind::Compute && mayComputeInPlace(g_.nodes[s.node].op))
        layerSteps_.emplace_back(steps_, s);
      ++steps_;
      return;
    }
    emit(Step(s));
  }
  const Extent &extent(ir::TensorId t) const { return extents_[t]; }
  int64_t pixelBytes(ir::TensorId t) const { return pixelBytes_[t]; }
  int64_t rowBytes(ir::TensorId t) const { return extent(t).cols * pixelBytes(t); }
  int64_t nodeMacs(size_t n) const {
    if (nodeMacs_[n] < 0)
      nodeMacs_[n] = ir::macs(g_, g_.nodes[n]);
    return nodeMacs_[n];
  }
  int newBuffer(ir::TensorId t, BufferKind kind, const ir::Region &region, int64_t ringRows) {
    Buffer b;
    b.tensor = t, b.kind = kind, b.region = region, b.ringRows = ringRows;
    b.bytes = (kind == BufferKind::Ring ? ringRows * extent(t).cols
                                        : region.rows() * region.cols()) *
              pixelBytes(t);
    b.firstStep = b.lastStep = step();
    if (kind == BufferKind::Ring && opts_.rowLifetimes && opts_.ringRowLifetimes && !lean_) {
      b.rowFirstStep.assign(static_cast<size_t>(region.rows()), INT_MAX);
      b.rowLastStep.assign(static_cast<size_t>(region.rows()), -1);
    }
    plan_.buffers.push_back(b);
    return static_cast<int>(plan_.buffers.size()) - 1;
  }
  /// Bytes of the scratch of a depthwise conv computed in place over rows of `cols` output
  /// pixels: a chunk of BuildOptions::inPlaceChunk pixels (at most half the row, so that
  /// the scratch stays below a row of a narrow map) and the left padding's.
  int64_t inPlaceScratch(const ir::Node &node, int64_t cols) const {
    const int64_t padLeft = node.attr<ir::ConvAttrs>().pads[1];
    const int64_t chunk = std::max<int64_t>(1, std::min(cols / 2, opts_.inPlaceChunk));
    return std::max(inPlaceMinScratch(g_, node),
                    (chunk + padLeft) * pixelBytes(node.outputs[0]));
  }
  int wholeBuffer(ir::TensorId t) {
    if (bufferOf_[t] < 0) {
      bufferOf_[t] = newBuffer(t, BufferKind::Region, wholeRegion(g_.tensor(t)), 0);
      Buffer &b = plan_.buffers[bufferOf_[t]];
      if (opts_.rowLifetimes) {
        b.rowFirstStep.assign(static_cast<size_t>(b.region.rows()), INT_MAX);
        b.rowLastStep.assign(static_cast<size_t>(b.region.rows()), -1);
      }
    }
    return bufferOf_[t];
  }
  void read(Step &s, size_t k, int buffer, const ir::Region &region) {
    s.inputs[k] = buffer;
    s.reads[k] = region;
    Buffer &b = plan_.buffers[buffer];
    b.lastStep = step();
    for (int64_t r = region.row0; r < region.row1 && !b.rowLastStep.empty(); ++r)
      b.rowLastStep[r - b.region.row0] = step();
  }
  /// Notes that the step about to be appended writes `region` of `buffer`.
  void wrote(int buffer, const ir::Region &region) {
    Buffer &b = plan_.buffers[buffer];
    b.lastStep = std::max(b.lastStep, step());
    for (int64_t r = region.row0; r < region.row1 && !b.rowFirstStep.empty(); ++r) {
      int &first = b.rowFirstStep[r - b.region.row0], &last = b.rowLastStep[r - b.region.row0];
      first = std::min(first, step());
      last = std::max(last, step()); // tiles rewrite halo rows
    }
  }
  /// A compute step of node n for `out`, with the scratch buffer its kernel needs: live for
  /// this step only (the step is appended next), or, given `shared`, the buffer an earlier
  /// step of the same node used, kept live, so that the kernel can go on from what it left
  /// there (RNNPool's row summaries across the row bands of a region).
  Step computeStep(size_t n, const ir::Region &out, int region) {
    Step s;
    makeStep(s, n, out, region, nullptr, /*band=*/false);
    return s;
  }
  /// computeStep into `s`, whose vectors keep their capacity; `band`: a row-band step.
  void makeStep(Step &s, size_t n, const ir::Region &out, int region, int *shared, bool band) {
    s.kind = StepKind::Compute, s.streamed = ir::kNoTensor, s.accumulate = false;
    s.fusedExpansion = -1, s.fusedGroup = 0, s.fusedRows = false;
    s.node = n, s.out = out, s.region = region, s.scratch = -1;
    s.inputs.assign(g_.nodes[n].inputs.size(), -1);
    s.reads.assign(g_.nodes[n].inputs.size(), ir::Region{});
    s.outputs.clear();
    const ir::Node &node = g_.nodes[n];
    if (int64_t bytes = ir::scratchBytes(g_, node, out, opts_.floatActivations); bytes > 0) {
      if (shared && *shared >= 0 && plan_.buffers[*shared].bytes == bytes) {
        s.scratch = *shared;
        plan_.buffers[s.scratch].lastStep = step();
      } else {
        s.scratch = newBuffer(node.outputs[0], BufferKind::Scratch, out, 0);
        plan_.buffers[s.scratch].bytes = bytes;
        if (shared)
          *shared = s.scratch;
      }
    }
    if (node.op != ir::OpKind::RNNPool) {
      s.macs = regionMacs(nodeMacs(n), extent(node.outputs[0]), out);
      return;
    }
    // RNNPool's cost depends on whether the step goes on from the summaries its previous
    // step left in a shared scratch (what the verifier and the C backend decide from the
    // steps alone, by carries()).
    Step &before = lastRNNPoolStep_[n];
    bool continues = before.kind == StepKind::Compute && before.node == n &&
                     carries(g_, before, s);
    if (band && opts_.priceCarried && before.kind == StepKind::Compute && before.node == n) {
      Step shared = before; // as if it had kept its scratch for this step
      shared.scratch = s.scratch;
      continues = carries(g_, shared, s);
    }
    s.macs = regionMacs(g_, node, out, continues);
    before.kind = StepKind::Compute, before.node = n, before.scratch = s.scratch, before.out = out;
  }
  bool isActivation(ir::TensorId t) const { return t != ir::kNoTensor && !g_.tensor(t).isConstant(); }
  bool isGraphInput(ir::TensorId t) const {
    return std::find(g_.inputs.begin(), g_.inputs.end(), t) != g_.inputs.end();
  }
  bool isGraphOutput(ir::TensorId t) const {
    return std::find(g_.outputs.begin(), g_.outputs.end(), t) != g_.outputs.end();
  }
  /// Whether `t` is a model output or read by a node outside `region`.
  bool usedOutside(ir::TensorId t, const std::set<size_t> &region) const {
    if (isGraphOutput(t))
      return true;
    for (size_t c : consumers_[t])
      if (!region.count(c))
        return true;
    return false;
  }
  size_t producerOf(ir::TensorId t) const {
    for (size_t n = 0; n < g_.nodes.size(); ++n)
      for (ir::TensorId out : g_.nodes[n].outputs)
        if (out == t)
          return n;
    return 0; // unreachable: asked only of node outputs
  }
  /// A row-band region being built: per tensor, rows produced (-1: not the region's),
  /// the most rows a ring must hold, its ring buffer, whether it is held whole, whether it
  /// accumulates, its producer in the region; per node, its scratch and input regions.
  struct Bands {
    int region = -1;
    const RegionInfo *info = nullptr;
    size_t firstStep = 0;
    std::vector<ir::TensorId> streamed, escaping;
    std::vector<int64_t> done, cap;
    std::vector<int> ring, producer, scratchOf;
    std::vector<char> whole, accumulated;
    std::vector<ir::TensorId> rings; ///< In the order their rings were made.
    std::vector<std::vector<ir::Region>> reads;
    /// Per node: the expansion a depthwise conv computes in its steps (fuseRows), or -1.
    std::vector<int> fusedWith;
  };
  int fusingConv(size_t expand, const std::set<size_t> &inR) const;
  void fuseRowPairs(Bands &b, const RegionInfo &r, const std::set<size_t> &inR);
  Status fusedRowStep(Bands &b, size_t n, const ir::Region &out);
  int storage(Bands &b, ir::TensorId t);
  Status pull(Bands &b, ir::TensorId t, int64_t upTo);
  void streamTail(Bands &b, ir::TensorId t, size_t firstStep);
  void accumulateStep(Bands &b, size_t n, int64_t row, int input);
  void streamWhole(ir::TensorId t);
  void layerStep(size_t n);
  Status rowBands(const RegionInfo &r, int regionIndex);
  Status startBands(Bands &b, const RegionInfo &r, int regionIndex);
  void endBands(Bands &b);
  int64_t progressRows(const Bands &b, ir::TensorId t) const;
  void depthwiseInPlace(const Bands &b, const RegionInfo &r, size_t firstStep);
  void padViews(const Bands &b, const RegionInfo &r, size_t firstStep);
  Status tiles(const RegionInfo &r, int regionIndex);
  Status checkTiles(const RegionInfo &r) const;
  Status tileRow(const RegionInfo &r, int regionIndex, int64_t y);
  std::map<ir::TensorId, ir::Region> tileNeeds(const RegionInfo &r,
                                               const ir::Region &tile) const;
  std::map<size_t, size_t> fusedExpansions(const RegionInfo &r,
                                           const std::set<size_t> &inR) const;
  std::map<ir::TensorId, ir::Region>
  inPlaceHosts(const RegionInfo &r, const std::map<ir::TensorId, ir::Region> &need,
               const std::set<size_t> &inR, const std::map<size_t, size_t> &fused) const;
  void streamRows(ir::TensorId t, int64_t upTo, int region);
  void streamRest(const RegionInfo &r, int regionIndex);
  Status ready(ir::TensorId t, int64_t upTo);
  int outside(ir::TensorId t, int64_t row0);
  Status startHandOff(const RegionInfo &r, int regionIndex);
  Status finishHandOffs();
  /// A region that hands its output off (RegionInfo::handOff): it computes rows of its
  /// output only as the next region reads them. Tiles: the next row of tiles; row bands:
  /// the bands' state.
  struct HandOff {
    const RegionInfo *region = nullptr;
    int index = -1;
    ir::TensorId out = ir::kNoTensor;
    int64_t next = 0;
    int ring = -1;   ///< Tiles: the ring of the output.
    int64_t cap = 0; ///< Tiles: the most rows the ring must hold.
    std::unique_ptr<Bands> bands;
  };
  std::vector<HandOff> handOffs_; ///< In the order of their regions.
  /// The pending region that hands `t` off, if any.
  HandOff *handOffOf(ir::TensorId t) {
    for (HandOff &h : handOffs_)
      if (h.out == t)
        return &h;
    return nullptr;
  }
  /// Per tensor: rows of a streamed model input that tiles have asked for so far, each just
  /// before the first tile that reads it (-1: none; row bands keep their own count).
  std::vector<int64_t> streamedRows_;
  /// Per tensor: the ring a streamed model input that only one tiled region reads comes
  /// into (-1: its frame buffer), and the most rows it must hold.
  std::vector<int> streamRing_;
  std::vector<int64_t> streamRingCap_;
  void inPlace();
  void inPlaceRows();
  void padOverInput();
  void settleRows(const Buffer &b, Buffer &out) const;
  void settleRingRows(Buffer &ring, bool hosts) const;
};

void Builder::streamWhole(ir::TensorId t) {
  if (streamedRows_[t] >= 0)
    return streamRows(t, extent(t).rows, -1);
  if (bufferOf_[t] >= 0)
    return;
  Step s;
  s.kind = StepKind::Stream, s.streamed = t, s.out = wholeRegion(g_.tensor(t));
  s.outputs = {wholeBuffer(t)};
  wrote(s.outputs[0], s.out);
  emit(std::move(s));
}

void Builder::layerStep(size_t n) {
  const ir::Node &node = g_.nodes[n];
  if (opts_.streamInput)
    for (ir::TensorId in : node.inputs)
      if (isActivation(in) && isGraphInput(in))
        streamWhole(in);
  Step s = computeStep(n, wholeRegion(g_.tensor(node.outputs[0])), -1);
  for (size_t k = 0; k < node.inputs.size(); ++k)
    if (isActivation(node.inputs[k]))
      read(s, k, wholeBuffer(node.inputs[k]), wholeRegion(g_.tensor(node.inputs[k])));
  for (ir::TensorId out : node.outputs) {
    s.outputs.push_back(wholeBuffer(out));
    wrote(s.outputs.back(), wholeRegion(g_.tensor(out)));
  }
  emit(std::move(s));
}

/// Row bands: the region's outputs are produced a band at a time; every op computes just
/// the rows its consumers need next, into a ring of rows (whole buffers for tensors used
/// outside the region). No row is computed twice.
Status Builder::rowBands(const RegionInfo &r, int regionIndex) {
  Bands b;
  RNNPOOLC_TRY(startBands(b, r, regionIndex));
  int64_t iterations = 0;
  for (ir::TensorId t : b.escaping)
    iterations = std::max(iterations, progressRows(b, t));
  iterations = (iterations + r.tileRows - 1) / std::max<int64_t>(1, r.tileRows);
  for (int64_t k = 1; k <= iterations; ++k)
    for (ir::TensorId t : b.escaping) {
      int64_t h = progressRows(b, t);
      RNNPOOLC_TRY(pull(b, t, (k * h + iterations - 1) / iterations));
    }
  endBands(b);
  return Status::ok();
}

/// The rows that measure how far tensor t of a row-band region has got: its own, or for
/// an accumulating reduction, its input's.
int64_t Builder::progressRows(const Bands &b, ir::TensorId t) const {
  const ir::TensorId rows = b.accumulated[t] ? g_.nodes[producerOf(t)].inputs[0] : t;
  return extent(rows).rows;
}

/// A row-band region's state before its first band: which tensors it keeps whole (those
/// read outside it), rings, streamed inputs, producers.
Status Builder::startBands(Bands &b, const RegionInfo &r, int regionIndex) {
  std::set<size_t> inR(r.nodes.begin(), r.nodes.end());
  b.region = regionIndex, b.info = &r;
  const size_t tensors = g_.numTensors();
  b.done.assign(tensors, -1), b.cap.assign(tensors, 0), b.ring.assign(tensors, -1);
  b.whole.assign(tensors, 0), b.accumulated.assign(tensors, 0), b.producer.assign(tensors, -1);
  auto escapes = [&](ir::TensorId t) { return usedOutside(t, inR); };
  // A streamed model input read in the region arrives row by row into a ring.
  for (size_t n : r.nodes)
    for (ir::TensorId in : g_.nodes[n].inputs)
      if (opts_.streamInput && isActivation(in) && isGraphInput(in) && bufferOf_[in] < 0 &&
          streamedRows_[in] < 0 &&
          std::find(b.streamed.begin(), b.streamed.end(), in) == b.streamed.end())
        b.streamed.push_back(in);
  for (ir::TensorId t : b.streamed) {
    if (escapes(t))
      b.escaping.push_back(t);
    b.done[t] = 0;
  }
  // An accumulating reduction advances by the rows of its input it has added (`done`
  // counts those), and its output is complete only at the end, so nothing in the region
  // may read it.
  for (size_t n : r.nodes)
    if (isAccumulating(g_, g_.nodes[n]))
      b.accumulated[g_.nodes[n].outputs[0]] = 1;
  for (size_t n : r.nodes) {
    ir::TensorId out = g_.nodes[n].outputs[0];
    b.done[out] = 0;
    if (escapes(out))
      b.escaping.push_back(out);
    for (ir::TensorId in : g_.nodes[n].inputs)
      if (in != ir::kNoTensor && b.accumulated[in])
        return makeError("internal: node '{}' reads an accumulating reduction of its own "
                         "row-band region",
                         g_.nodes[n].name);
  }
  b.firstStep = plan_.steps.size();
  for (ir::TensorId t : b.escaping)
    b.whole[t] = 1;
  if (opts_.streamIntoFrame)
    for (ir::TensorId t : b.streamed)
      b.whole[t] = 1;
  for (size_t n : r.nodes)
    b.producer[g_.nodes[n].outputs[0]] = static_cast<int>(n);
  b.scratchOf.assign(g_.nodes.size(), -1); // one scratch per node, kept over the bands
  b.reads.resize(g_.nodes.size());
  fuseRowPairs(b, r, inR);
  return Status::ok();
}

/// The depthwise convs of a row-band region that compute their 1x1 expansion in their own
/// steps (BuildOptions::fuseRows): the expansion is in the region, read by the conv alone and
/// not after the region, and fused, a band holds fewer bytes: the carry, the conv's output
/// row and the scratch of a group against the expansion's rows one window spans (the conv
/// over them in place; a stride-1 3x3 conv keeps three rows either way, a stride-2 one a row
/// and a half against three).
void Builder::fuseRowPairs(Bands &b, const RegionInfo &r, const std::set<size_t> &inR) {
  b.fusedWith.assign(g_.nodes.size(), -1);
  if (!opts_.fuseRows)
    return;
  for (size_t n : r.nodes) {
    const int conv = fusingConv(n, inR);
    if (conv < 0)
      continue;
    const ir::TensorId t = g_.nodes[n].outputs[0];
    const ir::Node &dw = g_.nodes[static_cast<size_t>(conv)];
    const auto &a = dw.attr<ir::ConvAttrs>();
    const Extent in = extent(t), out = extent(dw.outputs[0]);
    const ir::Region row{0, 1, 0, out.cols};
    const int64_t span = (a.kernel[0] - 1) * a.dilations[0] + 1;
    const int64_t fused = out.cols * pixelBytes(t) +
                          fusedScratchBytes(g_, dw, row, opts_.fuseGroup, /*rows=*/true);
    if (opts_.fuseEverywhere || fused < std::min(span, in.rows) * in.cols * pixelBytes(t))
      b.fusedWith[static_cast<size_t>(conv)] = static_cast<int>(n);
  }
}

/// A row-band step of depthwise conv n that computes its expansion too (Step::fusedRows):
/// it reads the expansion's input over the rows of its window that the step above did not
/// compute (all of them at the first), which come first, and keeps one scratch over the
/// node's steps, the carry at its start.
Status Builder::fusedRowStep(Bands &b, size_t n, const ir::Region &out) {
  const ir::Node &dw = g_.nodes[n];
  const auto e = static_cast<size_t>(b.fusedWith[n]);
  const ir::Node &expand = g_.nodes[e];
  const ir::TensorId x = expand.inputs[0];
  int &scratch = b.scratchOf[n]; // (made by the node's first step: the others go on)
  const bool continues = scratch >= 0;
  const ir::Region reads = fusedRead(g_, expand, dw, out, continues);
  const bool inside = b.done[x] >= 0;
  RNNPOOLC_TRY(inside ? pull(b, x, reads.row1) : ready(x, reads.row1));
  Step &s = rowStep_;
  makeStep(s, n, out, b.region, nullptr, /*band=*/true);
  s.fusedExpansion = static_cast<int>(e), s.fusedGroup = static_cast<int>(opts_.fuseGroup);
  s.fusedRows = true;
  s.macs += fusedExpansionMacs(g_, expand, dw, out, continues);
  if (scratch < 0) {
    scratch = newBuffer(dw.outputs[0], BufferKind::Scratch, out, 0);
    plan_.buffers[scratch].bytes = fusedScratchBytes(g_, dw, out, s.fusedGroup, /*rows=*/true);
  }
  plan_.buffers[scratch].lastStep = step();
  s.scratch = scratch;
  if (inside) {
    b.cap[x] = std::max(b.cap[x], b.done[x] - reads.row0);
    read(s, 0, storage(b, x), reads);
  } else {
    read(s, 0, outside(x, reads.row0), reads);
  }
  s.outputs.assign(1, storage(b, dw.outputs[0]));
  wrote(s.outputs[0], s.out);
  emitCopy(s);
  return Status::ok();
}

/// After a row-band region's last band: its rings' sizes, depthwise convs in place, the
/// streamed input's remaining rows.
void Builder::endBands(Bands &b) {
  for (ir::TensorId t : b.rings) {
    Buffer &buf = plan_.buffers[b.ring[t]];
    buf.ringRows = std::max<int64_t>(1, b.cap[t]);
    buf.bytes = buf.ringRows * rowBytes(t);
  }
  if (opts_.depthwiseInPlace) {
    depthwiseInPlace(b, *b.info, b.firstStep);
    padViews(b, *b.info, b.firstStep);
  }
  for (ir::TensorId t : b.streamed)
    streamTail(b, t, b.firstStep);
}

/// The rows of streamed input t below the last that the region reads (a window or RNNPool
/// patch grid that stops short of the bottom) are asked for all the same: model_run() asks
/// for every row of a streamed input once, in order, so that a source such as a camera or
/// a file is left at the next frame. They go into the input's buffer right after the last
/// step that reads it (or a buffer inside it), where the rows in it are dead and no op runs
/// until they are all in, so the peak and the placement are those of the plan without them
/// (lean builds, which price plans, leave them out).
void Builder::streamTail(Bands &b, ir::TensorId t, size_t firstStep) {
  const int64_t rows = extent(t).rows;
  if (lean_ || b.done[t] >= rows)
    return;
  const int buffer = storage(b, t);
  size_t last = firstStep;
  for (size_t k = firstStep; k < plan_.steps.size(); ++k)
    for (int in : plan_.steps[k].inputs)
      if (in >= 0 && (in == buffer || plan_.buffers[in].within == buffer))
        last = k;
  const int at = static_cast<int>(last) + 1, count = static_cast<int>(rows - b.done[t]);
  auto shift = [&](int &step) {
    if (step >= at && step != INT_MAX)
      step += count;
  };
  for (Buffer &x : plan_.buffers) {
    shift(x.firstStep), shift(x.lastStep);
    std::for_each(x.rowFirstStep.begin(), x.rowFirstStep.end(), shift);
    std::for_each(x.rowLastStep.begin(), x.rowLastStep.end(), shift);
    for (auto &[first, last] : x.stepRuns)
      shift(first), shift(last);
  }
  std::vector<Step> tail(static_cast<size_t>(count));
  Buffer &to = plan_.buffers[buffer];
  for (int i = 0; i < count; ++i) {
    const int64_t row = b.done[t] + i;
    Step &s = tail[static_cast<size_t>(i)];
    s.kind = StepKind::Stream, s.streamed = t, s.region = b.region;
    s.out = ir::Region{row, row + 1, 0, extent(t).cols}, s.outputs = {buffer};
    liveOver(to, at + i, at + i);
    if (!to.rowFirstStep.empty()) {
      const size_t slot = static_cast<size_t>(row - to.region.row0);
      to.rowFirstStep[slot] = std::min(to.rowFirstStep[slot], at + i);
      to.rowLastStep[slot] = std::max(to.rowLastStep[slot], at + i);
    }
  }
  plan_.steps.insert(plan_.steps.begin() + at, tail.begin(), tail.end());
  steps_ += count;
  b.done[t] = rows;
}

/// Depthwise convs of a finished row-band region computed in place (BuildOptions::
/// depthwiseInPlace): the conv's output ring, one row, gives way to one buffer per slot of
/// its input ring, each inside it (Buffer::within); output row y goes to the slot of input
/// row inPlaceSourceRow(y), the top row of its window, which no later step reads (the conv
/// is the ring's only reader and its windows move down), and its consumers read it there
/// before the ring's producer writes that slot again (they read one row at a time, and
/// the region pulls rows depth first). The verifier checks all of it on the result.
void Builder::depthwiseInPlace(const Bands &b, const RegionInfo &r, size_t firstStep) {
  for (size_t n : r.nodes) {
    const ir::Node &node = g_.nodes[n];
    if (!plan::depthwiseInPlace(g_, node, opts_.floatActivations))
      continue;
    const ir::TensorId in = node.inputs[0], out = node.outputs[0];
    if (b.ring[in] < 0 || b.whole[in] || b.ring[out] < 0 || b.whole[out] ||
        consumers_[in].size() != 1 || plan_.buffers[b.ring[out]].ringRows != 1 ||
        pixelBytes(in) != pixelBytes(out))
      continue;
    // A ring shorter than the window (a map of a few rows, whose windows the edges clip)
    // would give the first output row, whose window's top lies above the map, the slot of
    // a row its window still reads.
    const auto &conv = node.attr<ir::ConvAttrs>();
    if (conv.kernel.empty() || conv.dilations.empty() ||
        plan_.buffers[b.ring[in]].ringRows < (conv.kernel[0] - 1) * conv.dilations[0] + 1)
      continue;
    const int64_t scratchBytes = inPlaceScratch(node, extent(out).cols);
    if (scratchBytes >= rowBytes(out))
      continue; // (a row of a narrow map: the scratch would not be smaller)
    if (lean_) {
      // Priced as the full build lays it out (below): the output's rows reserve nothing
      // of their own, a scratch lives over the conv's steps, the input ring as long as
      // the rows in it. (Without the steps, a one-row output ring stands for consumers
      // that read a row at a time.)
      const int host = b.ring[in], ring = b.ring[out];
      plan_.buffers[ring].within = host;
      const int first = plan_.buffers[ring].firstStep, last = plan_.buffers[ring].lastStep;
      const int scratch = newBuffer(out, BufferKind::Scratch, ir::Region{}, 0);
      plan_.buffers[scratch].bytes = scratchBytes;
      plan_.buffers[scratch].firstStep = first, plan_.buffers[scratch].lastStep = last;
      liveOver(plan_.buffers[host], first, last);
      continue;
    }
    bool rowAtATime = true; // every step writes or reads one row of the output ring
    for (size_t k = firstStep; k < plan_.steps.size() && rowAtATime; ++k) {
      const Step &s = plan_.steps[k];
      if (!s.outputs.empty() && s.outputs[0] == b.ring[out])
        rowAtATime = s.out.rows() == 1 && s.node == n && s.scratch < 0;
      for (size_t i = 0; i < s.inputs.size(); ++i)
        if (s.inputs[i] == b.ring[out])
          rowAtATime = rowAtATime && s.reads[i].rows() == 1;
    }
    if (!rowAtATime)
      continue;
    const int host = b.ring[in];
    const int64_t slots = plan_.buffers[host].ringRows;
    // One buffer per slot used: the output ring's buffer becomes the first; others are new.
    std::vector<int> slotBuffer(static_cast<size_t>(slots), -1);
    const Buffer row = plan_.buffers[b.ring[out]];
    auto bufferOfRow = [&](int64_t y) {
      const int64_t source = inPlaceSourceRow(node, y);
      const size_t slot = static_cast<size_t>(((source % slots) + slots) % slots);
      if (slotBuffer[slot] < 0) {
        int id = b.ring[out];
        if (std::find(slotBuffer.begin(), slotBuffer.end(), id) != slotBuffer.end()) {
          id = static_cast<int>(plan_.buffers.size());
          plan_.buffers.push_back(row);
        }
        Buffer &buf = plan_.buffers[id];
        buf.within = host, buf.withinOffset = static_cast<int64_t>(slot) * rowBytes(in);
        buf.firstStep = INT_MAX, buf.lastStep = -1;
        slotBuffer[slot] = id;
      }
      return slotBuffer[slot];
    };
    // One scratch for the conv's steps, kept over them.
    int scratch = newBuffer(out, BufferKind::Scratch, ir::Region{}, 0);
    plan_.buffers[scratch].bytes = scratchBytes;
    plan_.buffers[scratch].firstStep = INT_MAX, plan_.buffers[scratch].lastStep = -1;
    std::vector<int> uses; // the steps that use it, in order
    const int ring = b.ring[out];
    for (size_t k = firstStep; k < plan_.steps.size(); ++k) {
      Step &s = plan_.steps[k];
      const int at = static_cast<int>(k);
      if (!s.outputs.empty() && s.outputs[0] == ring) {
        const int id = bufferOfRow(s.out.row0);
        s.outputs[0] = id, s.scratch = scratch;
        liveOver(plan_.buffers[id], at, at);
        liveOver(plan_.buffers[scratch], at, at);
        uses.push_back(at);
      }
      for (size_t i = 0; i < s.inputs.size(); ++i)
        if (s.inputs[i] == ring) {
          const int id = bufferOfRow(s.reads[i].row0);
          s.inputs[i] = id;
          liveOver(plan_.buffers[id], at, at);
        }
    }
    // The ring lives as long as the rows written into it.
    for (int id : slotBuffer)
      if (id >= 0)
        liveOver(plan_.buffers[host], plan_.buffers[id].firstStep, plan_.buffers[id].lastStep);
    // No step reads what another left in the scratch: with lives of their own, it is
    // reserved over runs of its steps only (those fewer than ringGap steps apart joined).
    if (opts_.rowLifetimes && opts_.ringRowLifetimes) {
      auto &runs = plan_.buffers[scratch].stepRuns;
      for (int at : uses) {
        if (!runs.empty() && at - runs.back().second - 1 < opts_.ringGap)
          runs.back().second = at;
        else
          runs.emplace_back(at, at);
      }
    }
  }
}

/// Pads of a finished row-band region whose input rows are views of their output ring
/// (BuildOptions::depthwiseInPlace; plan::padView): the Pad's input ring, one row that only
/// the Pad reads, gives way to one buffer per slot of the Pad's output ring, each inside it
/// (Buffer::within) at the slot's pad_left-th pixel. Input row r goes to the slot of output
/// row r + pad_top: its producer writes it where the Pad's output keeps it, and the Pad
/// writes the padding around it, copying each of its pixels onto itself. The slot is free
/// when the producer writes: the region pulls depth first, so the Pad's step for that row
/// comes right after. Edge padding reads the first and last input rows for several output
/// rows; only the Pad's own steps write the slot in between, and those rows' copies of it
/// onto itself leave it as it was. The verifier checks all of it on the result.
void Builder::padViews(const Bands &b, const RegionInfo &r, size_t firstStep) {
  for (size_t n : r.nodes) {
    const ir::Node &node = g_.nodes[n];
    const auto pads = padView(g_, node);
    if (!pads)
      continue;
    const ir::TensorId in = node.inputs[0], out = node.outputs[0];
    if (b.ring[in] < 0 || b.whole[in] || b.ring[out] < 0 || b.whole[out] ||
        b.producer[in] < 0 || consumers_[in].size() != 1 ||
        plan_.buffers[b.ring[in]].ringRows != 1 || pixelBytes(in) != pixelBytes(out))
      continue;
    // Rings that hold or lie in others are left as they are: a depthwise conv's rows in
    // place over the Pad's output would share its slots with the Pad's input rows, which
    // edge padding reads for several output rows (the first and last), and a Pad of a
    // Pad's output would nest views.
    const int ring = b.ring[in], host = b.ring[out];
    if (std::any_of(plan_.buffers.begin(), plan_.buffers.end(),
                    [&](const Buffer &x) { return x.within == ring || x.within == host; }) ||
        plan_.buffers[ring].within >= 0 || plan_.buffers[host].within >= 0)
      continue;
    const int64_t slots = plan_.buffers[host].ringRows;
    const int64_t offset = pads->second * pixelBytes(out);
    if (lean_) {
      // Priced as the full build lays it out: the input's row reserves nothing of its
      // own, and the output ring lives as long as it.
      plan_.buffers[ring].within = host, plan_.buffers[ring].withinOffset = offset;
      liveOver(plan_.buffers[host], plan_.buffers[ring].firstStep,
               plan_.buffers[ring].lastStep);
      continue;
    }
    bool rowAtATime = true; // every step writes or reads one row of the input ring
    for (size_t k = firstStep; k < plan_.steps.size() && rowAtATime; ++k) {
      const Step &s = plan_.steps[k];
      if (!s.outputs.empty() && s.outputs[0] == ring)
        rowAtATime = s.out.rows() == 1 && s.out.cols() == extent(in).cols;
      for (size_t i = 0; i < s.inputs.size(); ++i)
        if (s.inputs[i] == ring)
          rowAtATime = rowAtATime && s.node == n && s.reads[i].rows() <= 1;
    }
    if (!rowAtATime)
      continue;
    // One buffer per slot used: the input ring's buffer becomes the first; others are new.
    std::vector<int> slotBuffer(static_cast<size_t>(slots), -1);
    const Buffer row = plan_.buffers[ring];
    auto bufferOfRow = [&](int64_t y) {
      const size_t slot = static_cast<size_t>((y + pads->first) % slots);
      if (slotBuffer[slot] < 0) {
        int id = ring;
        if (std::find(slotBuffer.begin(), slotBuffer.end(), id) != slotBuffer.end()) {
          id = static_cast<int>(plan_.buffers.size());
          plan_.buffers.push_back(row);
        }
        Buffer &buf = plan_.buffers[id];
        buf.within = host;
        buf.withinOffset = static_cast<int64_t>(slot) * rowBytes(out) + offset;
        buf.firstStep = INT_MAX, buf.lastStep = -1;
        slotBuffer[slot] = id;
      }
      return slotBuffer[slot];
    };
    for (size_t k = firstStep; k < plan_.steps.size(); ++k) {
      Step &s = plan_.steps[k];
      const int at = static_cast<int>(k);
      if (!s.outputs.empty() && s.outputs[0] == ring) {
        s.outputs[0] = bufferOfRow(s.out.row0);
        liveOver(plan_.buffers[s.outputs[0]], at, at);
      }
      for (size_t i = 0; i < s.inputs.size(); ++i)
        if (s.inputs[i] == ring) {
          // (A row of padding alone reads nothing: it names the slot of the input's
          // nearest row, which need not be live then.)
          const bool reads = s.reads[i].rows() > 0 && s.reads[i].cols() > 0;
          const int64_t y =
              reads ? s.reads[i].row0
                    : std::clamp<int64_t>(s.out.row0 - pads->first, 0, extent(in).rows - 1);
          s.inputs[i] = bufferOfRow(y);
          if (reads)
            liveOver(plan_.buffers[s.inputs[i]], at, at);
        }
    }
    // The output ring lives as long as the rows written into it.
    for (int id : slotBuffer)
      if (id >= 0 && plan_.buffers[id].firstStep <= plan_.buffers[id].lastStep)
        liveOver(plan_.buffers[host], plan_.buffers[id].firstStep, plan_.buffers[id].lastStep);
  }
}

/// Where a row-band region keeps rows of `t`: its whole buffer, or its ring.
int Builder::storage(Bands &b, ir::TensorId t) {
  if (b.whole[t])
    return wholeBuffer(t);
  if (b.ring[t] < 0) {
    b.ring[t] = newBuffer(t, BufferKind::Ring, wholeRegion(g_.tensor(t)), 1);
    b.rings.push_back(t);
  }
  return b.ring[t];
}

/// Depth first, one row at a time: an op computes a row of `t` (up to row `upTo`) just
/// before a consumer needs it, so every ring holds only the rows its consumers' windows
/// span.
Status Builder::pull(Bands &b, ir::TensorId t, int64_t upTo) {
  while (b.done[t] < upTo) {
    const int64_t row = b.done[t];
    const ir::Region out{row, row + 1, 0, extent(t).cols};
    if (b.producer[t] < 0) { // the streamed model input
      Step s;
      s.kind = StepKind::Stream, s.streamed = t, s.region = b.region, s.out = out;
      s.outputs = {storage(b, t)};
      wrote(s.outputs[0], s.out);
      emit(std::move(s));
      b.done[t] = row + 1;
      continue;
    }
    const size_t n = static_cast<size_t>(b.producer[t]);
    const ir::Node &node = g_.nodes[n];
    if (b.fusedWith[n] >= 0) {
      RNNPOOLC_TRY(fusedRowStep(b, n, out));
      b.done[t] = row + 1;
      continue;
    }
    auto inside = [&](ir::TensorId in) { return in != ir::kNoTensor && b.done[in] >= 0; };
    if (b.accumulated[t]) {
      const ir::TensorId in = node.inputs[0];
      RNNPOOLC_TRY(inside(in) ? pull(b, in, row + 1) : ready(in, row + 1));
      accumulateStep(b, n, row, inside(in) ? storage(b, in) : outside(in, row));
      b.done[t] = row + 1;
      continue;
    }
    // The rows each input is read at (a node's own: the recursion below visits others).
    std::vector<ir::Region> &reads = b.reads[n];
    reads.resize(node.inputs.size());
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (isActivation(node.inputs[i]))
        reads[i] = ir::inputRegion(g_, node, i, out);
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (inside(node.inputs[i]))
        RNNPOOLC_TRY(pull(b, node.inputs[i], reads[i].row1));
      else if (isActivation(node.inputs[i]))
        RNNPOOLC_TRY(ready(node.inputs[i], reads[i].row1));
    Step &s = rowStep_;
    makeStep(s, n, out, b.region, opts_.carryScratch ? &b.scratchOf[n] : nullptr,
             /*band=*/true);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      ir::TensorId in = node.inputs[i];
      if (!isActivation(in))
        continue;
      if (inside(in)) {
        b.cap[in] = std::max(b.cap[in], b.done[in] - reads[i].row0);
        read(s, i, storage(b, in), reads[i]);
      } else {
        read(s, i, outside(in, reads[i].row0), reads[i]);
      }
    }
    s.outputs.assign(1, storage(b, t));
    wrote(s.outputs[0], s.out);
    emitCopy(s);
    b.done[t] = row + 1;
  }
  return Status::ok();
}

/// One step of an accumulating reduction: adds input row `row` (every column), read from
/// `input`, into the node's accumulator (a Scratch buffer created by the first step and
/// kept live over the others); the step adding the last row writes the whole output.
void Builder::accumulateStep(Bands &b, size_t n, int64_t row, int input) {
  const ir::Node &node = g_.nodes[n];
  const ir::TensorId in = node.inputs[0], out = node.outputs[0];
  int &accumulator = b.scratchOf[n];
  Step s;
  s.node = n, s.out = wholeRegion(g_.tensor(out)), s.region = b.region, s.accumulate = true;
  s.inputs.assign(node.inputs.size(), -1);
  s.reads.assign(node.inputs.size(), ir::Region{});
  s.macs = accumulateMacs(g_, node, row, row + 1);
  if (accumulator < 0) {
    accumulator = newBuffer(out, BufferKind::Scratch, s.out, 0);
    plan_.buffers[accumulator].bytes = accumulatorBytes(g_, node);
  }
  s.scratch = accumulator;
  plan_.buffers[accumulator].lastStep = step();
  const ir::Region reads{row, row + 1, 0, extent(in).cols};
  if (b.done[in] >= 0)
    b.cap[in] = std::max(b.cap[in], b.done[in] - reads.row0);
  read(s, 0, input, reads);
  s.outputs = {wholeBuffer(out)};
  if (row + 1 == extent(in).rows)
    wrote(s.outputs[0], s.out);
  emit(std::move(s));
}

/// Tiles: the region's last op's output is cut into tiles; for each, every op computes
/// the part its consumers need (halos recomputed) into a small buffer that dies with the
/// tile. The last op writes its whole output buffer tile by tile, a row of tiles at a time.
Status Builder::tiles(const RegionInfo &r, int regionIndex) {
  RNNPOOLC_TRY(checkTiles(r));
  const int64_t rows = extent(g_.nodes[r.nodes.back()].outputs[0]).rows;
  for (int64_t y = 0; y < rows; y += r.tileRows)
    RNNPOOLC_TRY(tileRow(r, regionIndex, y));
  streamRest(r, regionIndex);
  return Status::ok();
}

Status Builder::checkTiles(const RegionInfo &r) const {
  for (size_t n : r.nodes)
    if (isAccumulating(g_, g_.nodes[n]))
      return makeError("internal: tiles for the accumulating reduction '{}'", g_.nodes[n].name);
  // A channel Concat's kernel reads each input from one buffer over all its steps (the
  // backends list them per layer: rp_step names two), which a tile's own buffers are not.
  for (size_t n : r.nodes)
    if (g_.nodes[n].op == ir::OpKind::Concat)
      return makeError("internal: tiles for the channel Concat '{}'", g_.nodes[n].name);
  // Tiles follow the last op's output, so every op of the region must feed it.
  const ir::Node &last = g_.nodes[r.nodes.back()];
  std::set<ir::TensorId> feeds = {last.outputs[0]};
  for (auto it = r.nodes.rbegin(); it != r.nodes.rend(); ++it)
    if (feeds.count(g_.nodes[*it].outputs[0]))
      feeds.insert(g_.nodes[*it].inputs.begin(), g_.nodes[*it].inputs.end());
  for (size_t n : r.nodes)
    if (!feeds.count(g_.nodes[n].outputs[0]))
      return makeError("internal: node '{}' does not feed the last op of its tiled region",
                       g_.nodes[n].name);
  return Status::ok();
}

/// The tiles of output rows [y, y + tileRows). A streamed model input's rows are asked for
/// just before the first step that reads them, into a ring or its frame buffer (so the rows
/// below the tiles' reach are not live yet).
Status Builder::tileRow(const RegionInfo &r, int regionIndex, int64_t y) {
  const ir::Node &last = g_.nodes[r.nodes.back()];
  const Extent e = extent(last.outputs[0]);
  std::set<size_t> inR(r.nodes.begin(), r.nodes.end());
  auto escapes = [&](ir::TensorId t) { return usedOutside(t, inR); };
  // A streamed input that only this region reads comes into a ring of the rows its tiles
  // still need (sized at the end of the build).
  for (size_t n : r.nodes)
    for (ir::TensorId in : g_.nodes[n].inputs)
      if (opts_.streamInput && isActivation(in) && isGraphInput(in) && bufferOf_[in] < 0 &&
          streamedRows_[in] < 0 && streamRing_[in] < 0 && !escapes(in))
        streamRing_[in] = newBuffer(in, BufferKind::Ring, wholeRegion(g_.tensor(in)), 1);
  const std::map<size_t, size_t> fused = fusedExpansions(r, inR);
  std::set<size_t> expansions;
  for (const auto &[dw, expand] : fused)
    expansions.insert(expand);
  for (int64_t x = 0; x < e.cols; x += r.tileCols) {
    const std::map<ir::TensorId, ir::Region> need = tileNeeds(
        r, {y, std::min(e.rows, y + r.tileRows), x, std::min(e.cols, x + r.tileCols)});
    const std::map<ir::TensorId, ir::Region> hosts = inPlaceHosts(r, need, inR, fused);
    std::map<ir::TensorId, int> tileBuffer;
    for (size_t n : r.nodes) {
      const ir::Node &node = g_.nodes[n];
      auto out = need.find(node.outputs[0]);
      if (out == need.end() || expansions.count(n))
        continue; // (a fused expansion is computed by its depthwise conv's steps)
      const auto f = fused.find(n);
      const ir::Node *expand = f != fused.end() ? &g_.nodes[f->second] : nullptr;
      // Input i as the step reads it: a fused conv reads its expansion's input.
      auto source = [&](size_t i) { return i == 0 && expand ? expand->inputs[0] : node.inputs[i]; };
      // Rows read from outside the tile are made ready first (the steps that produce them
      // come before this one).
      std::vector<ir::Region> reads(node.inputs.size());
      for (size_t i = 0; i < node.inputs.size(); ++i)
        if (isActivation(node.inputs[i])) {
          reads[i] = i == 0 && expand ? fusedRead(g_, *expand, node, out->second)
                                      : ir::inputRegion(g_, node, i, out->second);
          if (!tileBuffer.count(source(i)))
            RNNPOOLC_TRY(ready(source(i), reads[i].row1));
        }
      Step s = computeStep(n, out->second, regionIndex);
      if (expand) {
        s.fusedExpansion = static_cast<int>(f->second), s.fusedGroup = opts_.fuseGroup;
        s.macs += fusedExpansionMacs(g_, *expand, node, out->second);
        s.scratch = newBuffer(node.outputs[0], BufferKind::Scratch, out->second, 0);
        plan_.buffers[s.scratch].bytes = fusedScratchBytes(g_, node, out->second, s.fusedGroup);
      }
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const ir::TensorId in = source(i);
        if (!isActivation(in))
          continue;
        auto tb = tileBuffer.find(in);
        read(s, i, tb != tileBuffer.end() ? tb->second : outside(in, reads[i].row0), reads[i]);
      }
      // Tensors used after the region (or model outputs) are written into their whole
      // buffer, halo overlaps more than once with the same values; a region that hands its
      // output off writes it into the ring the next one reads.
      const HandOff *handing = handOffOf(node.outputs[0]);
      const auto host = hosts.find(node.outputs[0]);
      const auto over = node.inputs.empty() ? hosts.end() : hosts.find(node.inputs[0]);
      int buffer = -1;
      if (handing)
        buffer = handing->ring;
      else if (n == r.nodes.back() || escapes(node.outputs[0]))
        buffer = wholeBuffer(node.outputs[0]);
      else if (over != hosts.end()) {
        // A depthwise conv in place: its output's rows, as wide as its input's, over the
        // input's rows from the top of its first row's window on; the kernel computes
        // each row a chunk of pixels at a time into a scratch and copies it over the input's
        // row it no longer reads (rp_conv_in_place_s8).
        const ir::Region &o = out->second;
        buffer = newBuffer(node.outputs[0], BufferKind::Region,
                           ir::Region{o.row0, o.row1, over->second.col0, over->second.col1}, 0);
        plan_.buffers[buffer].aliasOf = tileBuffer.at(node.inputs[0]);
        // (Its chunk follows the region's tile width, so that every tile of the conv has
        // one: the generated code calls the kernel with one chunk per conv.)
        s.scratch = newBuffer(node.outputs[0], BufferKind::Scratch, o, 0);
        plan_.buffers[s.scratch].bytes = inPlaceScratch(node, r.tileCols);
      } else {
        buffer = newBuffer(node.outputs[0], BufferKind::Region,
                           host != hosts.end() ? host->second : out->second, 0);
      }
      tileBuffer[node.outputs[0]] = buffer;
      s.outputs = {buffer};
      wrote(buffer, s.out);
      emit(std::move(s));
    }
  }
  return Status::ok();
}

/// What a tile of the region's output (`tile`) needs of each tensor the region computes:
/// the union of what its readers in the region read of it.
std::map<ir::TensorId, ir::Region> Builder::tileNeeds(const RegionInfo &r,
                                                      const ir::Region &tile) const {
  std::map<ir::TensorId, ir::Region> need;
  need[g_.nodes[r.nodes.back()].outputs[0]] = tile;
  std::set<ir::TensorId> computed;
  for (size_t m : r.nodes)
    computed.insert(g_.nodes[m].outputs[0]);
  for (auto it = r.nodes.rbegin(); it != r.nodes.rend(); ++it) {
    const ir::Node &node = g_.nodes[*it];
    auto out = need.find(node.outputs[0]);
    if (out == need.end())
      continue;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const ir::TensorId in = node.inputs[i];
      if (!computed.count(in))
        continue;
      const ir::Region want = ir::inputRegion(g_, node, i, out->second);
      auto [slot, fresh] = need.emplace(in, want);
      if (!fresh)
        slot->second = {
            std::min(slot->second.row0, want.row0), std::max(slot->second.row1, want.row1),
            std::min(slot->second.col0, want.col0), std::max(slot->second.col1, want.col1)};
    }
  }
  return need;
}

/// The depthwise conv that may compute node `expand`'s output in its own steps, or -1: a 1x1
/// expansion it alone reads (plan::fusesExpansion), both in region `inR`, the output read
/// by nothing after it.
int Builder::fusingConv(size_t expand, const std::set<size_t> &inR) const {
  const ir::Node &node = g_.nodes[expand];
  if (node.outputs.size() != 1)
    return -1;
  const ir::TensorId t = node.outputs[0];
  const std::vector<size_t> &readers = consumers_[t];
  if (readers.size() != 1 || !inR.count(readers[0]) || usedOutside(t, inR) ||
      !fusesExpansion(g_, node, g_.nodes[readers[0]], opts_.floatActivations))
    return -1;
  return static_cast<int>(readers[0]);
}

/// The depthwise convs of a tiled region that compute their 1x1 expansion in their own
/// steps (BuildOptions::fuseExpansions; plan::fusesExpansion), each with its expansion: one
/// computed in the region, read by the conv alone and not after the region, where that
/// holds fewer bytes in a tile of the region's middle: the conv's output tile and the
/// kernel's scratch, against the expansion's tile and, unless the conv could run in place
/// over it (stride 1), the conv's output tile (a tile of 4x4 outputs of 576 channels: 9,216
/// + 832 B against 20,736 B; of 7x7 outputs of 48 channels, 2,352 + 2,224 B against 3,888).
std::map<size_t, size_t> Builder::fusedExpansions(const RegionInfo &r,
                                                  const std::set<size_t> &inR) const {
  std::map<size_t, size_t> fused;
  if (!opts_.fuseExpansions)
    return fused;
  const Extent e = extent(g_.nodes[r.nodes.back()].outputs[0]);
  const int64_t y = std::min(e.rows - 1, e.rows / 2 / r.tileRows * r.tileRows),
                x = std::min(e.cols - 1, e.cols / 2 / r.tileCols * r.tileCols);
  const std::map<ir::TensorId, ir::Region> need =
      tileNeeds(r, {y, std::min(e.rows, y + r.tileRows), x, std::min(e.cols, x + r.tileCols)});
  for (size_t k = 0; k + 1 < r.nodes.size(); ++k) {
    const int conv = fusingConv(r.nodes[k], inR);
    if (conv < 0)
      continue;
    const ir::TensorId t = g_.nodes[r.nodes[k]].outputs[0];
    const ir::Node &dw = g_.nodes[static_cast<size_t>(conv)];
    const auto o = need.find(dw.outputs[0]), i = need.find(t);
    if (o == need.end() || i == need.end())
      continue;
    const int64_t pixel = pixelBytes(t), out = o->second.rows() * o->second.cols() * pixel;
    const bool inPlace = opts_.tilesInPlace && dw.attr<ir::ConvAttrs>().strides[0] == 1 &&
                         dw.attr<ir::ConvAttrs>().strides[1] == 1;
    const int64_t apart = i->second.rows() * i->second.cols() * pixel + (inPlace ? 0 : out);
    if (opts_.fuseEverywhere ||
        out + fusedScratchBytes(g_, dw, o->second, opts_.fuseGroup) < apart)
      fused.emplace(static_cast<size_t>(conv), r.nodes[k]);
  }
  return fused;
}

/// The inputs of the depthwise convs of a tile that run in place over them
/// (BuildOptions::tilesInPlace), with the region each input's buffer holds: from the input
/// row on top of the window of the conv's first output row (above the tensor at its top
/// edge: a row for the output's first row to go over), as wide as the input's tile, so
/// that output row y lies over the input row on top of its window and every output column
/// over the same input column. Stride 1 only (otherwise output rows and columns would not
/// keep to the input's pitch); the input, computed in the tile, must be read by the conv
/// alone and the output be neither kept after the tile nor handed off (nor be the input
/// of another conv in place: of two in a row, the first goes over its input); a conv that
/// computes its expansion (`fused`) has no input tile to go over.
std::map<ir::TensorId, ir::Region>
Builder::inPlaceHosts(const RegionInfo &r, const std::map<ir::TensorId, ir::Region> &need,
                      const std::set<size_t> &inR, const std::map<size_t, size_t> &fused) const {
  std::map<ir::TensorId, ir::Region> hosts;
  std::set<ir::TensorId> over; // outputs of the convs in place (not hosts themselves)
  if (!opts_.tilesInPlace)
    return hosts;
  for (size_t k = 0; k + 1 < r.nodes.size(); ++k) {
    const ir::Node &node = g_.nodes[r.nodes[k]];
    if (!plan::depthwiseInPlace(g_, node, opts_.floatActivations) || fused.count(r.nodes[k]))
      continue; // (a fused conv's input is never held)
    const ir::TensorId in = node.inputs[0], out = node.outputs[0];
    const auto &a = node.attr<ir::ConvAttrs>();
    const auto i = need.find(in), o = need.find(out);
    const bool inTile = std::any_of(r.nodes.begin(), r.nodes.begin() + static_cast<long>(k),
                                    [&](size_t m) { return g_.nodes[m].outputs[0] == in; });
    if (a.strides[0] != 1 || a.strides[1] != 1 || pixelBytes(in) != pixelBytes(out) ||
        !inTile || over.count(in) || consumers_[in].size() != 1 || usedOutside(in, inR) ||
        usedOutside(out, inR) || i == need.end() || o == need.end())
      continue;
    const ir::Region host{inPlaceSourceRow(node, o->second.row0), i->second.row1,
                          i->second.col0, i->second.col1};
    // Taken only where it costs less at the conv's step than its input and output apart
    // (not so at the map's top edge with a tall window: 5x5 dilated, 2x2 tiles).
    const int64_t pixel = pixelBytes(in);
    const bool smaller =
        (host.rows() * host.cols() * pixel + inPlaceScratch(node, r.tileCols)) <
        (i->second.rows() * i->second.cols() + o->second.rows() * o->second.cols()) * pixel;
    if (smaller && host.row0 <= i->second.row0 && o->second.rows() <= host.rows() &&
        o->second.col0 >= host.col0 && o->second.col1 <= host.col1 &&
        host.col1 <= extent(out).cols) {
      hosts.emplace(in, host);
      over.insert(out);
    }
  }
  return hosts;
}

/// Streams rows of model input `t` into its ring or frame buffer, one step each, up to row
/// `upTo`.
void Builder::streamRows(ir::TensorId t, int64_t upTo, int region) {
  int64_t &done = streamedRows_[t];
  for (done = std::max<int64_t>(done, 0); done < upTo; ++done) {
    Step s;
    s.kind = StepKind::Stream, s.streamed = t, s.region = region;
    s.out = ir::Region{done, done + 1, 0, extent(t).cols};
    s.outputs = {streamRing_[t] >= 0 ? streamRing_[t] : wholeBuffer(t)};
    wrote(s.outputs[0], s.out);
    emit(std::move(s));
  }
}

/// After a tiled region: the rows of a streamed input below its tiles' reach are asked for
/// all the same (every row once, in order; see streamTail).
void Builder::streamRest(const RegionInfo &r, int regionIndex) {
  for (size_t n : r.nodes)
    for (ir::TensorId in : g_.nodes[n].inputs)
      if (isActivation(in) && streamedRows_[in] >= 0)
        streamRows(in, extent(in).rows, regionIndex);
}

/// Before a step reads rows [.., upTo) of `t` from outside its region: the rows of a
/// region that hands them off (its next rows of tiles, or its bands), or of a streamed
/// input.
Status Builder::ready(ir::TensorId t, int64_t upTo) {
  if (HandOff *h = handOffOf(t)) {
    upTo = std::min(upTo, extent(t).rows);
    if (h->bands)
      return pull(*h->bands, t, upTo);
    for (; h->next < upTo; h->next += h->region->tileRows)
      RNNPOOLC_TRY(tileRow(*h->region, h->index, h->next));
    return Status::ok();
  }
  if (streamedRows_[t] >= 0 || (opts_.streamInput && isGraphInput(t) && bufferOf_[t] < 0))
    streamRows(t, upTo, -1);
  return Status::ok();
}

/// The buffer a step reads `t` from, outside the region that computes it, from row `row0`
/// on: the ring of a region that hands it off (which must then hold every row from row0 to
/// the last computed), or its whole buffer.
int Builder::outside(ir::TensorId t, int64_t row0) {
  if (HandOff *h = handOffOf(t)) {
    if (h->bands) {
      Bands &b = *h->bands;
      b.cap[t] = std::max(b.cap[t], b.done[t] - row0);
      return storage(b, t);
    }
    h->cap = std::max(h->cap, std::min(h->next, extent(t).rows) - row0);
    return h->ring;
  }
  if (streamRing_[t] >= 0) {
    streamRingCap_[t] = std::max(streamRingCap_[t], streamedRows_[t] - row0);
    return streamRing_[t];
  }
  return wholeBuffer(t);
}

/// A region that hands its output off (RegionInfo::handOff) computes nothing yet: the
/// region after it asks for rows (ready) and reads them from a ring (outside).
Status Builder::startHandOff(const RegionInfo &r, int regionIndex) {
  HandOff h;
  h.region = &r, h.index = regionIndex, h.out = g_.nodes[r.nodes.back()].outputs[0];
  if (r.strategy == Strategy::Tiles) {
    RNNPOOLC_TRY(checkTiles(r));
    h.ring = newBuffer(h.out, BufferKind::Ring, wholeRegion(g_.tensor(h.out)), 1);
  } else {
    h.bands = std::make_unique<Bands>();
    RNNPOOLC_TRY(startBands(*h.bands, r, regionIndex));
    h.bands->whole[h.out] = 0; // a ring, read by the next region
  }
  handOffs_.push_back(std::move(h));
  return Status::ok();
}

/// The rows the regions after them did not ask for (a reader's first, so that it can still
/// ask its producer), then each one's end: its rings' sizes.
Status Builder::finishHandOffs() {
  for (auto it = handOffs_.rbegin(); it != handOffs_.rend(); ++it) {
    HandOff &h = *it;
    RNNPOOLC_TRY(ready(h.out, extent(h.out).rows));
    if (h.bands) {
      endBands(*h.bands);
      continue;
    }
    Buffer &ring = plan_.buffers[static_cast<size_t>(h.ring)];
    ring.ringRows = std::max(h.region->tileRows, h.cap);
    ring.bytes = ring.ringRows * rowBytes(h.out);
    streamRest(*h.region, h.index);
  }
  handOffs_.clear();
  return Status::ok();
}

/// Completes a buffer's row lifetimes (rows never read live one step; model outputs live to
/// the end), coarsens them to at most opts_.rowRuns runs so that placement stays fast, and
/// drops them when every row lives as long as the buffer.
void Builder::settleRows(const Buffer &b, Buffer &out) const {
  if (b.rowFirstStep.empty())
    return;
  const int rows = static_cast<int>(b.rowFirstStep.size());
  const bool keep = isGraphOutput(b.tensor);
  std::vector<int> born(b.rowFirstStep), dies(b.rowLastStep);
  for (int r = 0; r < rows; ++r) {
    if (born[r] == INT_MAX)
      born[r] = b.firstStep;
    dies[r] = keep ? b.lastStep : std::max(dies[r], born[r]);
  }
  const int chunk = opts_.rowRuns > 0 ? (rows + opts_.rowRuns - 1) / opts_.rowRuns : 1;
  for (int c0 = 0; c0 < rows; c0 += chunk) {
    int c1 = std::min(rows, c0 + chunk);
    int lo = *std::min_element(born.begin() + c0, born.begin() + c1);
    int hi = *std::max_element(dies.begin() + c0, dies.begin() + c1);
    std::fill(born.begin() + c0, born.begin() + c1, lo);
    std::fill(dies.begin() + c0, dies.begin() + c1, hi);
  }
  out.firstStep = *std::min_element(born.begin(), born.end());
  out.lastStep = *std::max_element(dies.begin(), dies.end());
  bool uniform = std::all_of(born.begin(), born.end(), [&](int v) { return v == out.firstStep; }) &&
                 std::all_of(dies.begin(), dies.end(), [&](int v) { return v == out.lastStep; });
  out.rowFirstStep = uniform ? std::vector<int>{} : born;
  out.rowLastStep = uniform ? std::vector<int>{} : dies;
}

/// Completes a ring's row lifetimes (BuildOptions::ringRowLifetimes): a row never written
/// reserves nothing, and a row's life reaches to the next row of its slot when fewer than
/// opts_.ringGap steps lie between them. Dropped when no slot is left free between two of
/// its rows (the ring's one life costs placement less), and for a ring that `hosts` buffers
/// inside it (or lies in one), whose bytes those hold over steps its rows do not show.
void Builder::settleRingRows(Buffer &ring, bool hosts) const {
  std::vector<int> &born = ring.rowFirstStep, &dies = ring.rowLastStep;
  if (born.empty())
    return;
  const int64_t rows = static_cast<int64_t>(born.size()), slots = ring.ringRows;
  bool gaps = false;
  for (int64_t r = 0; r < rows; ++r) {
    if (born[r] == INT_MAX) // never written: reserves nothing
      born[r] = ring.firstStep, dies[r] = ring.firstStep - 1;
    else
      dies[r] = std::max(dies[r], born[r]);
  }
  for (int64_t r = 0; r + slots < rows; ++r) {
    const int64_t next = r + slots;
    if (dies[r] < born[r] || dies[next] < born[next])
      continue;
    if (born[next] - dies[r] - 1 < opts_.ringGap)
      dies[r] = std::max(dies[r], born[next] - 1);
    else
      gaps = true;
  }
  if (hosts || ring.within >= 0 || slots <= 1 || !gaps)
    born.clear(), dies.clear();
}

/// An elementwise step may write over an input of its output's size that dies there (in a
/// region, one holding the same region); a Pad step over its input when the kernels allow it
/// (padInPlace), so that its output costs only the padding beyond its input.
void Builder::inPlace() {
  std::vector<char> taken(plan_.buffers.size(), 0);
  const size_t count = lean_ ? layerSteps_.size() : plan_.steps.size();
  for (size_t k = 0; k < count; ++k) {
    const size_t si = lean_ ? static_cast<size_t>(layerSteps_[k].first) : k;
    const Step &s = lean_ ? layerSteps_[k].second : plan_.steps[si];
    if (s.kind != StepKind::Compute || s.outputs.empty() || !mayComputeInPlace(g_.nodes[s.node].op))
      continue;
    const bool pad = g_.nodes[s.node].op == ir::OpKind::Pad;
    Buffer &out = plan_.buffers[s.outputs[0]];
    if (out.aliasOf >= 0 || !out.rowFirstStep.empty() || out.firstStep != static_cast<int>(si))
      continue;
    for (int b : s.inputs) {
      if (b < 0 || taken[b] || !plan_.buffers[b].rowFirstStep.empty())
        continue;
      const Buffer &in = plan_.buffers[b];
      if (in.lastStep != static_cast<int>(si) || in.kind != BufferKind::Region ||
          isGraphOutput(in.tensor))
        continue;
      // An elementwise step of a region (a tile's residual Add, say) reads and writes
      // every value at the same index only when both buffers hold the same region.
      const bool fits =
          pad ? in.bytes <= out.bytes && padInPlace(g_, s, in, out)
              : in.bytes == out.bytes &&
                    ir::numel(g_.tensor(in.tensor).shape) == ir::numel(g_.tensor(out.tensor).shape) &&
                    (s.region < 0 || (out.kind == BufferKind::Region && in.region == out.region));
      if (fits) {
        out.aliasOf = b;
        taken[b] = 1;
        break;
      }
    }
  }
}

/// BuildOptions::inPlaceRows: an output buffer of an elementwise op's row-band steps takes
/// over an input buffer row by row when both hold the same region of tensors of as many
/// elements with row lifetimes, and every step that writes the output writes whole rows of
/// it and reads the same rows of the input, their last read, where the output rows are born.
void Builder::inPlaceRows() {
  std::vector<std::vector<size_t>> writers(plan_.buffers.size());
  for (size_t k = 0; k < plan_.steps.size(); ++k) {
    const Step &s = plan_.steps[k];
    if (s.kind == StepKind::Compute && !s.outputs.empty() && s.outputs[0] >= 0)
      writers[static_cast<size_t>(s.outputs[0])].push_back(k);
  }
  std::vector<char> taken(plan_.buffers.size(), 0);
  for (const Buffer &b : plan_.buffers)
    if (b.aliasOf >= 0)
      taken[static_cast<size_t>(b.aliasOf)] = 1;
  for (size_t o = 0; o < plan_.buffers.size(); ++o) {
    Buffer &out = plan_.buffers[o];
    if (out.kind != BufferKind::Region || out.rowFirstStep.empty() || out.aliasOf >= 0 ||
        taken[o] || writers[o].empty())
      continue;
    const Step &first = plan_.steps[writers[o].front()];
    if (first.region < 0 || !isElementwise(g_.nodes[first.node].op))
      continue;
    for (size_t i = 0; i < first.inputs.size(); ++i) {
      const int b = first.inputs[i];
      if (b < 0 || static_cast<size_t>(b) == o || taken[static_cast<size_t>(b)])
        continue;
      const Buffer &in = plan_.buffers[static_cast<size_t>(b)];
      if (in.kind != BufferKind::Region || in.rowFirstStep.empty() || in.region != out.region ||
          in.bytes != out.bytes || isGraphOutput(in.tensor) ||
          ir::numel(g_.tensor(in.tensor).shape) != ir::numel(g_.tensor(out.tensor).shape))
        continue;
      int64_t covered = 0;
      bool fits = true;
      for (size_t k : writers[o]) {
        const Step &s = plan_.steps[k];
        fits = fits && s.node == first.node && s.inputs[i] == b && s.reads[i] == s.out &&
               s.out.col0 == out.region.col0 && s.out.col1 == out.region.col1;
        for (int64_t r = s.out.row0; fits && r < s.out.row1; ++r) {
          const size_t row = static_cast<size_t>(r - out.region.row0);
          fits = in.rowLastStep[row] == static_cast<int>(k) &&
                 out.rowFirstStep[row] == static_cast<int>(k);
        }
        covered += s.out.rows();
      }
      if (fits && covered == out.region.rows()) {
        out.aliasOf = b;
        taken[static_cast<size_t>(b)] = 1;
        break;
      }
    }
  }
}

/// BuildOptions::padOverInput: a Pad whose output is a one-row ring and whose input is held
/// whole with row lifetimes writes its output row 0 over the input's row 0, which its first
/// step reads for the last time (Buffer::aliasOffset): the ring's slot ends where that row
/// ends, so the ring costs only the bytes it is wider than the row. Constant or edge
/// padding with no rows above (plan::padView); the first step writes row 0, every column.
void Builder::padOverInput() {
  std::vector<char> taken(plan_.buffers.size(), 0);
  for (const Buffer &b : plan_.buffers) {
    if (b.aliasOf >= 0)
      taken[static_cast<size_t>(b.aliasOf)] = 1;
    if (b.within >= 0) // (a ring others lie inside holds them over steps of its own)
      taken[static_cast<size_t>(b.within)] = 1;
  }
  for (size_t si = 0; si < plan_.steps.size(); ++si) {
    const Step &s = plan_.steps[si];
    if (s.kind != StepKind::Compute || s.outputs.empty() || s.outputs[0] < 0 ||
        s.inputs.empty() || s.inputs[0] < 0 || s.out.row0 != 0 || s.out.rows() != 1)
      continue;
    const ir::Node &node = g_.nodes[s.node];
    const auto pads = padView(g_, node);
    if (!pads || pads->first != 0)
      continue;
    const int o = s.outputs[0], i = s.inputs[0];
    Buffer &out = plan_.buffers[static_cast<size_t>(o)];
    const Buffer &in = plan_.buffers[static_cast<size_t>(i)];
    const ir::Tensor &x = g_.tensor(node.inputs[0]);
    const bool fits = out.kind == BufferKind::Ring && out.ringRows == 1 && out.aliasOf < 0 &&
                      out.within < 0 && !taken[static_cast<size_t>(o)] &&
                      out.firstStep == static_cast<int>(si) && s.out.col0 == 0 &&
                      s.out.col1 == extent(node.outputs[0]).cols &&
                      in.kind == BufferKind::Region && !in.rowFirstStep.empty() &&
                      in.aliasOf < 0 && in.within < 0 && !taken[static_cast<size_t>(i)] &&
                      in.region == wholeRegion(x) &&
                      in.rowLastStep[0] == static_cast<int>(si) && !isGraphOutput(in.tensor) &&
                      out.bytes >= rowBytes(in.tensor);
    if (!fits)
      continue;
    out.aliasOf = i;
    out.aliasOffset = rowBytes(in.tensor) - out.bytes;
    taken[static_cast<size_t>(i)] = taken[static_cast<size_t>(o)] = 1;
  }
}

Expected<Plan> Builder::build(const Schedule &schedule) {
  // At most one step per row of every tensor (row bands), plus tiles: reserve up front.
  size_t estimate = g_.nodes.size() + 16;
  for (const RegionInfo &r : schedule.regions)
    for (size_t n : r.nodes)
      estimate += static_cast<size_t>(extentOf(g_.tensor(g_.nodes[n].outputs[0])).rows) *
                  (r.strategy == Strategy::Tiles ? 64 : 1);
  for (ir::TensorId in : g_.inputs)
    estimate += static_cast<size_t>(extentOf(g_.tensor(in)).rows);
  if (lean_)
    sites_.reserve(estimate);
  else
    plan_.steps.reserve(estimate);
  if (!opts_.streamInput)
    for (ir::TensorId in : g_.inputs)
      wrote(wholeBuffer(in), wholeRegion(g_.tensor(in))); // by the caller, before step 0
  else if (opts_.streamFirst)
    for (ir::TensorId in : g_.inputs)
      if (isActivation(in))
        streamWhole(in);
  std::map<size_t, size_t> regionAt;
  for (size_t r = 0; r < schedule.regions.size(); ++r)
    regionAt[schedule.regions[r].nodes.front()] = r;
  for (size_t i = 0; i < schedule.order.size(); ++i) {
    size_t n = schedule.order[i];
    auto it = regionAt.find(n);
    if (it == regionAt.end()) {
      layerStep(n);
      continue;
    }
    const RegionInfo &r = schedule.regions[it->second];
    int index = static_cast<int>(plan_.regions.size());
    plan_.regions.push_back(r);
    if (r.handOff) {
      if (!mayHandOff(g_, schedule, it->second))
        return makeError("internal: region {} hands its output off to no region after it",
                         index);
      RNNPOOLC_TRY(startHandOff(r, index));
    } else {
      RNNPOOLC_TRY(r.strategy == Strategy::Tiles ? tiles(r, index) : rowBands(r, index));
      RNNPOOLC_TRY(finishHandOffs());
    }
    i += r.nodes.size() - 1;
  }
  for (size_t t = 0; t < streamRing_.size(); ++t)
    if (streamRing_[t] >= 0) {
      Buffer &ring = plan_.buffers[static_cast<size_t>(streamRing_[t])];
      ring.ringRows = std::max<int64_t>(1, streamRingCap_[t]);
      ring.bytes = ring.ringRows * rowBytes(static_cast<ir::TensorId>(t));
    }
  for (ir::TensorId out : g_.outputs) {
    if (bufferOf_[out] < 0) // an output that is an input or constant: nothing to compute
      continue;
    plan_.buffers[bufferOf_[out]].lastStep = std::max(0, step() - 1);
  }
  std::vector<char> hosts(plan_.buffers.size(), 0);
  for (const Buffer &b : plan_.buffers)
    if (b.within >= 0)
      hosts[static_cast<size_t>(b.within)] = 1;
  for (size_t i = 0; i < plan_.buffers.size(); ++i) {
    Buffer &b = plan_.buffers[i];
    if (b.kind == BufferKind::Ring)
      settleRingRows(b, hosts[i]);
    else
      settleRows(b, b);
  }
  if (opts_.inPlace)
    inPlace();
  if (opts_.inPlaceRows && !lean_)
    inPlaceRows();
  if (opts_.padOverInput && !lean_)
    padOverInput();
  if (lean_) // (the search's candidates need no weights)
    return std::move(plan_);
  std::set<ir::TensorId> weights;
  for (const ir::Node &node : g_.nodes)
    for (ir::TensorId in : node.inputs)
      if (in != ir::kNoTensor && g_.tensor(in).isConstant() && weights.insert(in).second)
        plan_.weightsBytes += ir::numel(g_.tensor(in).shape) *
                              elementBytes(g_.tensor(in), opts_.floatActivations);
  return std::move(plan_);
}

} // namespace

bool isRegionable(const ir::Graph &graph, const ir::Node &node) {
  auto isMap = [&](ir::TensorId t) {
    const ir::Tensor &tensor = graph.tensor(t);
    return tensor.shape.size() == 4 && tensor.shape[0] == 1;
  };
  if (ir::isChannelConcat(graph, node) || ir::isChannelSlice(graph, node))
    return true;
  if (!ir::isSpatial(node) || node.outputs.size() != 1 || !isMap(node.outputs[0]))
    return false;
  for (ir::TensorId in : node.inputs)
    if (in != ir::kNoTensor && !graph.tensor(in).isConstant() && !isMap(in))
      return false;
  return true;
}

bool mayHandOff(const ir::Graph &graph, const Schedule &schedule, size_t region) {
  const RegionInfo &r = schedule.regions[region];
  if (r.strategy == Strategy::Layer || region + 1 >= schedule.regions.size())
    return false;
  const RegionInfo &next = schedule.regions[region + 1];
  const auto at = std::find(schedule.order.begin(), schedule.order.end(), r.nodes.front());
  if (next.strategy == Strategy::Layer ||
      static_cast<size_t>(schedule.order.end() - at) <= r.nodes.size() ||
      at[static_cast<std::ptrdiff_t>(r.nodes.size())] != next.nodes.front())
    return false;
  const std::set<size_t> inR(r.nodes.begin(), r.nodes.end());
  const ir::TensorId out = graph.nodes[r.nodes.back()].outputs[0];
  auto consumers = graph.consumers();
  for (size_t n : r.nodes) {
    const ir::TensorId t = graph.nodes[n].outputs[0];
    if (isAccumulating(graph, graph.nodes[n]))
      return false; // (its output is complete only at the end)
    if (t == out)
      continue;
    if (std::find(graph.outputs.begin(), graph.outputs.end(), t) != graph.outputs.end())
      return false;
    for (size_t c : consumers[t])
      if (!inR.count(c))
        return false;
  }
  // The output goes through a ring that only the next region reads. A model input goes to
  // one region of a chain of hand-offs (this one and those handing off to it): the next
  // region starts before they compute anything, so both would stream it.
  const std::set<size_t> inNext(next.nodes.begin(), next.nodes.end());
  std::set<size_t> chain(inR);
  for (size_t k = region; k > 0 && schedule.regions[k - 1].handOff; --k)
    chain.insert(schedule.regions[k - 1].nodes.begin(), schedule.regions[k - 1].nodes.end());
  for (ir::TensorId in : graph.inputs)
    for (size_t c : consumers[in])
      if (inNext.count(c) && std::any_of(consumers[in].begin(), consumers[in].end(),
                                         [&](size_t d) { return chain.count(d) > 0; }))
        return false;
  return std::find(graph.outputs.begin(), graph.outputs.end(), out) == graph.outputs.end() &&
         !consumers[out].empty() &&
         std::all_of(consumers[out].begin(), consumers[out].end(),
                     [&](size_t c) { return inNext.count(c) > 0; });
}

void settleHandOffs(const ir::Graph &graph, Schedule &schedule) {
  for (size_t k = 0; k < schedule.regions.size(); ++k) // (each after those before it)
    schedule.regions[k].handOff = schedule.regions[k].handOff && mayHandOff(graph, schedule, k);
}

Expected<Plan> buildPlan(const ir::Graph &graph, const Schedule &schedule,
                         const BuildOptions &options) {
  return Builder(graph, options).build(schedule);
}

Expected<Summary> summarizePlan(const ir::Graph &graph, const Schedule &schedule,
                                const BuildOptions &options, Placement effort) {
  Builder builder(graph, options, /*lean=*/true);
  auto plan = builder.build(schedule);
  if (!plan)
    return plan.error();
  placeBuffers(plan->buffers, builder.sites(), plan->summary, effort);
  return plan->summary;
}

} // namespace rnnpoolc::plan
