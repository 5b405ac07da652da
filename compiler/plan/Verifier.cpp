// Plan verification by replay. Deliberately written without the planner's helpers: sizes,
// costs and live ranges are recomputed here from the graph.
#include "compiler/plan/Verifier.h"

#include <algorithm>
#include <map>

namespace rnnpoolc::plan {
namespace {

// Deliberately not Plan.h's extentOf: the verifier recomputes what it checks.
struct Dims {
  int64_t rows = 1, cols = 1, channels = 1;
};

Dims dimsOf(const ir::Tensor &t) {
  // Rows and columns are the last two dims (as ir::inputRegion counts them); everything
  // else (channels, and the batch) is stored contiguously per position.
  const ir::Shape &s = t.shape;
  const size_t r = s.size();
  Dims e;
  e.rows = r >= 2 ? s[r - 2] : 1;
  e.cols = r >= 1 ? s[r - 1] : 1;
  e.channels = e.rows * e.cols > 0 ? ir::numel(s) / (e.rows * e.cols) : 0;
  return e;
}

ir::Region wholeOf(const ir::Tensor &t) {
  const Dims d = dimsOf(t);
  return {0, d.rows, 0, d.cols};
}

int64_t elemBytes(const ir::Tensor &t, bool floatActivations) {
  return t.dtype == ir::DType::Float32 && !floatActivations ? 1
                                                            : static_cast<int64_t>(ir::sizeOf(t.dtype));
}

/// What a buffer holds right now: for each slot row and column, the tensor row stored.
/// The life of row r (relative to the buffer's region) of a buffer: its own, or the
/// buffer's when it has no row lifetimes.
std::pair<int, int> rowLife(const Buffer &b, int64_t r) {
  if (b.rowFirstStep.empty())
    return {b.firstStep, b.lastStep};
  return {b.rowFirstStep[r], b.rowLastStep[r]};
}

/// Bytes [begin, end) reserved over steps [first, last]: one per row with row lifetimes.
struct Rect {
  int64_t begin, end;
  int first, last;
};
/// A ring's row (tensor row r) takes its slot, r % ringRows; a row whose life is empty (last
/// before first) reserves nothing.
std::vector<Rect> rectsOf(const Buffer &b) {
  if (!b.stepRuns.empty()) { // a scratch reserved over runs of its steps (checkScratch)
    std::vector<Rect> rects;
    for (auto [first, last] : b.stepRuns)
      rects.push_back({b.offset, b.offset + b.bytes, first, last});
    return rects;
  }
  if (b.rowFirstStep.empty())
    return {{b.offset, b.offset + b.bytes, b.firstStep, b.lastStep}};
  std::vector<Rect> rects;
  const bool ring = b.kind == BufferKind::Ring;
  const int64_t rows = static_cast<int64_t>(b.rowFirstStep.size()),
                slots = ring ? b.ringRows : rows, rowBytes = slots ? b.bytes / slots : 0;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t at = ring ? r % slots : r;
    if (!ring || b.rowLastStep[r] >= b.rowFirstStep[r]) // (a region's rows: one each)
      rects.push_back({b.offset + at * rowBytes, b.offset + (at + 1) * rowBytes,
                       b.rowFirstStep[r], b.rowLastStep[r]});
  }
  return rects;
}

/// Whether a node may run as accumulating steps: the mean of a [1, C, H, W] map over exactly
/// its rows and columns, to [1, C, 1, 1] (GlobalAveragePool).
bool reducesRowsAndColumns(const ir::Graph &g, const ir::Node &node) {
  if (node.op != ir::OpKind::GlobalAveragePool)
    return false;
  const ir::Shape &in = g.tensor(node.inputs[0]).shape, &out = g.tensor(node.outputs[0]).shape;
  return in.size() == 4 && in[0] == 1 && out == ir::Shape{1, in[1], 1, 1};
}

struct Contents {
  std::vector<int32_t> row; ///< -1: nothing valid
  int64_t slots = 0, cols = 0;
};

class Replay {
public:
  Replay(const ir::Graph &g, const Plan &p)
      : g_(g), p_(p), producers_(g.producers()), consumers_(g.consumers()) {}
  Status run();

private:
  const ir::Graph &g_;
  const Plan &p_;
  std::vector<int> producers_; ///< Per tensor: its producer node, or -1.
  std::vector<std::vector<size_t>> consumers_; ///< Per tensor: the nodes that read it.
  std::vector<Contents> contents_;

  std::string describe(int step) const {
    // Outside the steps: the caller's writes before step 0, its reads after the last.
    if (step < 0 || step >= static_cast<int>(p_.steps.size()))
      return step < 0 ? std::string("before the first step") : std::string("after the last step");
    const Step &s = p_.steps[step];
    return s.kind == StepKind::Stream
               ? fmt::format("step {} (stream '{}')", step, g_.tensor(s.streamed).name)
               : fmt::format("step {} (node '{}')", step, g_.nodes[s.node].name);
  }
  int64_t slotOf(const Buffer &b, int64_t r) const {
    return b.kind == BufferKind::Ring ? r % b.ringRows : r - b.region.row0;
  }
  Status checkBuffers() const;
  Status checkOverlaps() const;
  Status write(int step, int buffer, const ir::Region &region);
  Status read(int step, int buffer, const ir::Region &region) const;
  Status checkTotals() const;
  Status checkScratch() const;
  Status checkAliases() const;
  Status checkOverInputRow(size_t ring) const;
  Status checkWithin() const;
  Status checkStreams() const;
  Status checkInPlaceRows(int step, const Step &s) const;
  Status checkFused(int step, const Step &s) const;
  Status checkPadViewRow(int step, const Step &s) const;
  Status checkPadOverOwnInput(int step, const Step &s) const;
  /// Whether step `s` reads the ring that its output buffer `b` lies inside.
  bool readsHost(const Step &s, int b) const {
    return s.kind == StepKind::Compute && !s.inputs.empty() &&
           s.inputs[0] == p_.buffers[static_cast<size_t>(b)].within;
  }
  /// Pixels from the start of its slot to where buffer `b`, inside a ring, begins.
  int64_t columnInSlot(const Buffer &b) const {
    const Buffer &ring = p_.buffers[static_cast<size_t>(b.within)];
    const Dims d = dimsOf(g_.tensor(b.tensor));
    const int64_t pixel = d.channels * elemBytes(g_.tensor(b.tensor), p_.floatActivations);
    return b.withinOffset % (ring.bytes / ring.ringRows) / pixel;
  }
  /// A write to `buffer`'s pixels (row `r`, columns [col0, col1)) overwrites what a buffer
  /// inside it or around it (Buffer::within) held in the same bytes.
  void overwriteShared(int step, int buffer, int64_t r, int64_t col0, int64_t col1);
  /// Per ring: the buffers inside it.
  std::vector<std::vector<int>> inside_;
  Status accumulate(int step, const Step &s);
  /// Per accumulating node under way: the next input row it must add.
  std::map<size_t, int64_t> accumulated_;
};

/// An accumulating step: the node reduces over rows and columns; it adds the input rows
/// that follow the ones its earlier steps added (from row 0), every column, read from a
/// buffer holding them; the step that adds the last row writes the whole output.
Status Replay::accumulate(int step, const Step &s) {
  const ir::Node &node = g_.nodes[s.node];
  if (!reducesRowsAndColumns(g_, node))
    return makeError("{} accumulates, but its node does not reduce a map over its rows and "
                     "columns",
                     describe(step));
  if (s.inputs.size() != node.inputs.size() || s.reads.size() != node.inputs.size() ||
      s.outputs.size() != 1 || s.outputs[0] < 0 ||
      p_.buffers[s.outputs[0]].tensor != node.outputs[0])
    return makeError("{} does not name a buffer for its input and output", describe(step));
  const Dims in = dimsOf(g_.tensor(node.inputs[0]));
  const ir::Region &r = s.reads[0];
  const int64_t next = accumulated_.count(s.node) ? accumulated_[s.node] : 0;
  if (r.row0 != next || r.row1 <= r.row0 || r.row1 > in.rows || r.col0 != 0 ||
      r.col1 != in.cols)
    return makeError("{} adds rows {}..{}, columns {}..{} of its input; next are rows from {}, "
                     "every column",
                     describe(step), r.row0, r.row1, r.col0, r.col1, next);
  const int b = s.inputs[0];
  if (b < 0 || p_.buffers[b].tensor != node.inputs[0])
    return makeError("{} reads input 0 from a buffer that does not hold it", describe(step));
  RNNPOOLC_TRY(read(step, b, r));
  if (s.out != ir::Region{0, 1, 0, 1})
    return makeError("{} does not name its whole output", describe(step));
  if (r.row1 < in.rows) {
    accumulated_[s.node] = r.row1;
    return Status::ok();
  }
  accumulated_.erase(s.node);
  return write(step, s.outputs[0], s.out);
}

/// Every step whose kernel needs working memory has a Scratch buffer of the size its
/// kernel needs, live at that step; a Scratch buffer serves the steps of one node (several
/// when the kernel carries its cache from one row band to the next).
Status Replay::checkScratch() const {
  std::vector<int64_t> user(p_.buffers.size(), -1); // the node a scratch buffer serves
  std::map<size_t, int> accumulator; // per accumulating node: the buffer its sums stay in
  for (size_t si = 0; si < p_.steps.size(); ++si) {
    const Step &s = p_.steps[si];
    int64_t need =
        s.kind != StepKind::Compute ? 0
        : s.fusedExpansion >= 0
            ? fusedScratchBytes(g_, g_.nodes[s.node], s.out, s.fusedGroup, s.fusedRows)
            : ir::scratchBytes(g_, g_.nodes[s.node], s.out, p_.floatActivations);
    if (s.kind == StepKind::Compute && s.accumulate) {
      // One 4-byte sum or maximum per channel, in the same buffer over all the node's steps.
      need = dimsOf(g_.tensor(g_.nodes[s.node].outputs[0])).channels * 4;
      auto [it, fresh] = accumulator.try_emplace(s.node, s.scratch);
      if (!fresh && it->second != s.scratch)
        return makeError("{} accumulates into buffer {}, not the {} its node began in",
                         describe(int(si)), s.scratch, it->second);
    }
    if (s.scratch < 0) {
      if (need > 0)
        return makeError("{} needs {} bytes of scratch but has none", describe(int(si)), need);
      continue;
    }
    if (s.scratch >= static_cast<int>(p_.buffers.size()))
      return makeError("{} names a scratch buffer that does not exist", describe(int(si)));
    const Buffer &b = p_.buffers[s.scratch];
    if (b.kind != BufferKind::Scratch || b.bytes < need || b.firstStep > int(si) ||
        b.lastStep < int(si) ||
        (!b.stepRuns.empty() &&
         std::none_of(b.stepRuns.begin(), b.stepRuns.end(),
                      [&](auto run) { return run.first <= int(si) && int(si) <= run.second; })))
      return makeError("{} has scratch buffer {} that is not {} bytes live at the step",
                       describe(int(si)), s.scratch, need);
    // Reserved over runs of steps, a scratch may be overwritten between them: only steps
    // that leave nothing in it for the next may use it (not RNNPool's carried summaries, a
    // fused expansion's carry or an accumulation).
    if (!b.stepRuns.empty() &&
        (g_.nodes[s.node].op == ir::OpKind::RNNPool || s.fusedExpansion >= 0 || s.accumulate))
      return makeError("{} keeps state in scratch buffer {}, which is reserved only over runs "
                       "of its steps",
                       describe(int(si)), s.scratch);
    if (user[s.scratch] >= 0 && user[s.scratch] != static_cast<int64_t>(s.node))
      return makeError("scratch buffer {} serves two nodes", s.scratch);
    user[s.scratch] = static_cast<int64_t>(s.node);
  }
  for (size_t i = 0; i < p_.buffers.size(); ++i)
    if (p_.buffers[i].kind == BufferKind::Scratch && user[i] < 0)
      return makeError("scratch buffer {} serves no step", i);
  return Status::ok();
}

Status Replay::checkBuffers() const {
  std::vector<char> convInPlaceHost(p_.buffers.size(), 0);
  for (const Buffer &b : p_.buffers)
    if (b.aliasOf >= 0 && b.aliasOf < static_cast<int>(p_.buffers.size()) && b.firstStep >= 0 &&
        b.firstStep < static_cast<int>(p_.steps.size()) &&
        p_.steps[static_cast<size_t>(b.firstStep)].kind == StepKind::Compute &&
        g_.nodes[p_.steps[static_cast<size_t>(b.firstStep)].node].op == ir::OpKind::Conv)
      convInPlaceHost[static_cast<size_t>(b.aliasOf)] = 1;
  for (size_t i = 0; i < p_.buffers.size(); ++i) {
    const Buffer &b = p_.buffers[i];
    const ir::Tensor &t = g_.tensor(b.tensor);
    Dims d = dimsOf(t);
    int64_t pixels = b.kind == BufferKind::Ring ? b.ringRows * d.cols : b.region.rows() * b.region.cols();
    int64_t want = pixels * d.channels * elemBytes(t, p_.floatActivations);
    if (b.kind == BufferKind::Scratch)
      want = b.bytes; // checked against its step's kernel in checkScratch()
    if (b.bytes != want)
      return makeError("buffer {} of '{}' has {} bytes, but what it holds needs {}", i, t.name,
                       b.bytes, want);
    if (b.offset < 0 || b.offset + b.bytes > p_.summary.arenaBytes)
      return makeError("buffer {} of '{}' lies outside the arena", i, t.name);
    if (b.firstStep > b.lastStep)
      return makeError("buffer {} of '{}' dies before it is born", i, t.name);
    if (!b.stepRuns.empty()) {
      bool ordered = b.kind == BufferKind::Scratch && b.stepRuns.front().first == b.firstStep &&
                     b.stepRuns.back().second == b.lastStep;
      for (size_t k = 0; k < b.stepRuns.size() && ordered; ++k)
        ordered = b.stepRuns[k].first <= b.stepRuns[k].second &&
                  (k == 0 || b.stepRuns[k - 1].second < b.stepRuns[k].first);
      if (!ordered)
        return makeError("buffer {} of '{}' has runs of steps that are not a scratch's, in "
                         "order and apart, from its first step to its last",
                         i, t.name);
    }
    // (Rows above the tensor: a tile's input that a depthwise conv computes in place over,
    // for its first output row to go over; checkAliases checks that one does.)
    if (b.kind == BufferKind::Region &&
        ((b.region.row0 < 0 && !convInPlaceHost[i]) || b.region.col0 < 0 ||
         b.region.row1 > d.rows || b.region.col1 > d.cols))
      return makeError("buffer {} of '{}' holds a region outside its tensor", i, t.name);
    if (b.aliasOf >= static_cast<int>(p_.buffers.size()))
      return makeError("buffer {} aliases a buffer that does not exist", i);
  }
  return Status::ok();
}

/// A buffer computed in place over another: the step that makes it must read the other for
/// the last time, and its kernel must read nothing it has already overwritten. Elementwise
/// kernels (kInPlace) read each element before writing it, at the same index, so the two
/// buffers must match element for element. The Pad kernels write the last pixel first, so
/// every pixel's source must lie at or before it: checked pixel by pixel.
Status Replay::checkAliases() const {
  for (size_t i = 0; i < p_.buffers.size(); ++i) {
    const Buffer &out = p_.buffers[i];
    if (out.aliasOf < 0)
      continue;
    const Buffer &in = p_.buffers[static_cast<size_t>(out.aliasOf)];
    const int at = out.firstStep;
    auto bad = [&](std::string_view why) {
      return makeError("buffer {} cannot take over buffer {}: {}", i, out.aliasOf, why);
    };
    if (isOverInputRow(out)) {
      RNNPOOLC_TRY(checkOverInputRow(i));
      continue;
    }
    if (out.aliasOffset != 0)
      return bad("only a Pad's ring over its input's first row lies apart from it");
    if (!out.rowFirstStep.empty() || !in.rowFirstStep.empty()) {
      // Row by row: each step that writes the output is an elementwise op writing whole
      // rows over the same rows of the input, which it reads there for the last time.
      if (out.rowFirstStep.empty() || in.rowFirstStep.empty() ||
          out.kind != BufferKind::Region || in.kind != BufferKind::Region ||
          in.region != out.region || in.bytes != out.bytes || in.offset != out.offset ||
          ir::numel(g_.tensor(in.tensor).shape) != ir::numel(g_.tensor(out.tensor).shape))
        return bad("rows taken over row by row need two buffers of one region with row "
                   "lifetimes at one offset");
      std::vector<char> written(out.rowFirstStep.size(), 0);
      for (size_t k = 0; k < p_.steps.size(); ++k) {
        const Step &s = p_.steps[k];
        if (s.kind != StepKind::Compute || s.outputs.empty() ||
            s.outputs[0] != static_cast<int>(i))
          continue;
        auto kin = std::find(s.inputs.begin(), s.inputs.end(), out.aliasOf);
        if (!ir::propertiesOf(g_.nodes[s.node].op).inPlace || kin == s.inputs.end() ||
            s.reads[static_cast<size_t>(kin - s.inputs.begin())] != s.out ||
            s.out.col0 != out.region.col0 || s.out.col1 != out.region.col1)
          return bad(fmt::format("{} does not write whole rows over the rows it reads of it",
                                 describe(static_cast<int>(k))));
        for (int64_t r = s.out.row0; r < s.out.row1; ++r) {
          const size_t row = static_cast<size_t>(r - out.region.row0);
          if (r < out.region.row0 || r >= out.region.row1 ||
              in.rowLastStep[row] != static_cast<int>(k) ||
              out.rowFirstStep[row] != static_cast<int>(k))
            return bad(fmt::format("row {} of it is not last read where {} writes it", r,
                                   describe(static_cast<int>(k))));
          written[row] = 1;
        }
      }
      if (std::find(written.begin(), written.end(), 0) != written.end())
        return bad("some of its rows are not taken over");
      continue;
    }
    if (at < 0 || at >= static_cast<int>(p_.steps.size()) || in.lastStep != at)
      return bad("the other is not last read where it is born");
    const Step &s = p_.steps[static_cast<size_t>(at)];
    auto k = std::find(s.inputs.begin(), s.inputs.end(), out.aliasOf);
    if (s.kind != StepKind::Compute || s.outputs.empty() || s.outputs[0] != static_cast<int>(i) ||
        k == s.inputs.end())
      return bad("the step that makes it does not read the other");
    const ir::Node &node = g_.nodes[s.node];
    if (node.op == ir::OpKind::Conv) {
      // A depthwise conv of a tile in place (rp_conv_in_place_s8): output row y over the
      // input row on top of its window, each column over the same column, through a
      // scratch that holds the pixels whose columns the next ones still read; so it never
      // reads what it has overwritten. Stride 1, so rows and columns keep the input's pitch.
      const auto &a = node.attr<ir::ConvAttrs>();
      const bool fits =
          depthwiseInPlace(g_, node, p_.floatActivations) && k == s.inputs.begin() &&
          a.strides[0] == 1 && a.strides[1] == 1 && in.kind == BufferKind::Region &&
          out.kind == BufferKind::Region && in.rowFirstStep.empty() &&
          out.rowFirstStep.empty() && in.offset == out.offset && out.bytes <= in.bytes &&
          out.region.row0 == s.out.row0 && out.region.row1 == s.out.row1 &&
          in.region.row0 == inPlaceSourceRow(node, s.out.row0) &&
          out.region.col0 == in.region.col0 && out.region.col1 == in.region.col1 &&
          s.out.col0 >= out.region.col0 && s.out.col1 <= out.region.col1 && s.scratch >= 0 &&
          p_.buffers[static_cast<size_t>(s.scratch)].bytes >= inPlaceMinScratch(g_, node);
      if (!fits)
        return bad("this conv does not compute in place over it");
      continue;
    }
    if (node.op != ir::OpKind::Pad) {
      // A layer's buffers hold whole tensors of as many elements; a region's, the same part
      // of tensors of one shape.
      const ir::Tensor &a = g_.tensor(in.tensor), &b = g_.tensor(out.tensor);
      const bool same = ir::numel(a.shape) == ir::numel(b.shape) &&
                        (s.region < 0 ? in.region == wholeOf(a) && out.region == wholeOf(b)
                                      : in.region == out.region);
      if (!ir::propertiesOf(node.op).inPlace || in.bytes != out.bytes ||
          in.kind != BufferKind::Region || out.kind != BufferKind::Region || !same)
        return bad("its kernel does not compute in place over it");
      continue;
    }
    const ir::Shape &x = g_.tensor(node.inputs[0]).shape;
    const ir::PadMode mode = node.attr<ir::PadAttrs>().mode;
    if (in.kind != BufferKind::Region || out.kind != BufferKind::Region || x.size() != 4 ||
        !g_.tensor(node.inputs[1]).isConstant())
      return bad("this Pad does not compute in place");
    const ir::Ints pads = g_.tensor(node.inputs[1]).data->toInts();
    if (pads.size() != 8 || pads[0] || pads[1] || pads[4] || pads[5])
      return bad("this Pad does not compute in place");
    for (int64_t oy = s.out.row0; oy < s.out.row1; ++oy)
      for (int64_t ox = s.out.col0; ox < s.out.col1; ++ox) {
        const int64_t iy = ir::padSource(mode, oy - pads[2], x[2]);
        const int64_t ix = ir::padSource(mode, ox - pads[3], x[3]);
        if (iy < 0 || ix < 0)
          continue; // (constant padding reads nothing)
        const int64_t source = (iy - in.region.row0) * in.region.cols() + (ix - in.region.col0);
        const int64_t dest = (oy - out.region.row0) * out.region.cols() + (ox - out.region.col0);
        if (source > dest)
          return bad(fmt::format("output pixel ({}, {}) reads a pixel after it", oy, ox));
      }
  }
  return Status::ok();
}

/// A Pad's one-row output ring over its input's first row (Buffer::aliasOffset): the input
/// is held whole with row lifetimes; the Pad's step that makes the ring writes output row 0,
/// every column, from input row 0, which it reads for the last time; the ring's slot ends
/// where that row ends, so it covers none of the input's other rows. The kernels write
/// first pixel first when the first pixel's source (clamped) lies after it, else last
/// first: in that order no pixel may read a byte already written, so every output pixel's
/// source lies at or after it (first first) or all lie at their pixels.
Status Replay::checkOverInputRow(size_t i) const {
  const Buffer &out = p_.buffers[i];
  const Buffer &in = p_.buffers[static_cast<size_t>(out.aliasOf)];
  auto bad = [&](std::string_view why) {
    return makeError("buffer {} cannot lie over the first row of buffer {}: {}", i, out.aliasOf,
                     why);
  };
  const ir::Tensor &x = g_.tensor(in.tensor);
  const Dims d = dimsOf(x);
  const int64_t pixel = d.channels * elemBytes(x, p_.floatActivations), row = d.cols * pixel;
  if (out.ringRows != 1 || out.within >= 0 || !out.rowFirstStep.empty() ||
      in.kind != BufferKind::Region || in.rowFirstStep.empty() || in.aliasOf >= 0 ||
      in.within >= 0 || in.region != wholeOf(x))
    return bad("only a one-row ring lies over the first row of a whole map with row lifetimes");
  const int at = out.firstStep;
  if (at < 0 || at >= static_cast<int>(p_.steps.size()))
    return bad("it is born outside the steps");
  const Step &s = p_.steps[static_cast<size_t>(at)];
  const ir::Node &node = g_.nodes[s.node];
  if (s.kind != StepKind::Compute || node.op != ir::OpKind::Pad || s.outputs.empty() ||
      s.outputs[0] != static_cast<int>(i) || s.inputs.empty() || s.inputs[0] != out.aliasOf ||
      node.inputs.size() < 2 || node.inputs[1] == ir::kNoTensor ||
      !g_.tensor(node.inputs[1]).isConstant())
    return bad("the step that makes it is not a Pad reading the other");
  const ir::PadMode mode = node.attr<ir::PadAttrs>().mode;
  const ir::Ints pads = g_.tensor(node.inputs[1]).data->toInts();
  if (pads.size() != 8 || pads[0] || pads[1] || pads[2] || pads[4] || pads[5] ||
      (mode != ir::PadMode::Constant && mode != ir::PadMode::Edge) || x.shape.size() != 4)
    return bad("only constant or edge padding with no rows above writes over its input");
  const Dims o = dimsOf(g_.tensor(node.outputs[0]));
  if (s.out != ir::Region{0, 1, 0, o.cols} || in.rowLastStep[0] != at)
    return bad(fmt::format("{} does not write output row 0 where it reads input row 0 for the "
                           "last time",
                           describe(at)));
  if (out.offset != in.offset + out.aliasOffset || out.offset + out.bytes != in.offset + row)
    return bad("its slot does not end where the other's first row ends");
  bool identity = true;
  for (int64_t ox = 0; ox < o.cols; ++ox) {
    const int64_t ix = ir::padSource(mode, ox - pads[3], d.cols);
    if (ix < 0)
      continue; // (constant padding reads nothing)
    const int64_t source = in.offset + ix * pixel, dest = out.offset + ox * pixel;
    if (source < dest)
      return bad(fmt::format("output pixel (0, {}) reads a pixel before it", ox));
    identity = identity && source == dest;
  }
  if (out.offset >= in.offset && !identity)
    return bad("its kernel writes the last pixel first, over pixels it has yet to read");
  return Status::ok();
}

/// A buffer inside a ring (Buffer::within): a one-row ring of the same pixel size over one
/// slot's bytes, from a pixel of it (a depthwise conv's row in place: the first; a Pad's
/// input row: its pad_left-th), at the ring's offset plus its own, live within the ring's
/// life.
Status Replay::checkWithin() const {
  for (size_t i = 0; i < p_.buffers.size(); ++i) {
    const Buffer &b = p_.buffers[i];
    if (b.within < 0)
      continue;
    auto bad = [&](std::string_view why) {
      return makeError("buffer {} cannot lie inside buffer {}: {}", i, b.within, why);
    };
    if (b.within >= static_cast<int>(p_.buffers.size()) || b.within == static_cast<int>(i))
      return bad("no such buffer");
    const Buffer &ring = p_.buffers[static_cast<size_t>(b.within)];
    const ir::Tensor &t = g_.tensor(b.tensor), &h = g_.tensor(ring.tensor);
    const Dims d = dimsOf(t), dh = dimsOf(h);
    const int64_t pixel = d.channels * elemBytes(t, p_.floatActivations),
                  hostPixel = dh.channels * elemBytes(h, p_.floatActivations),
                  slotBytes = dh.cols * hostPixel;
    if (ring.kind != BufferKind::Ring || ring.within >= 0 || b.kind != BufferKind::Ring ||
        b.ringRows != 1 || b.aliasOf >= 0 || ring.aliasOf >= 0)
      return bad("only a one-row ring can lie inside a ring");
    if (pixel != hostPixel || pixel <= 0 || slotBytes <= 0 || b.withinOffset < 0 ||
        b.withinOffset / slotBytes >= ring.ringRows ||
        b.withinOffset % slotBytes % pixel != 0 ||
        b.withinOffset % slotBytes / pixel + d.cols > dh.cols)
      return bad("it is not in one of the ring's slots, pixel for pixel");
    if (b.offset != ring.offset + b.withinOffset)
      return bad("its offset is not the slot's");
    if (b.firstStep < ring.firstStep || b.lastStep > ring.lastStep)
      return bad("it lives outside the ring's steps");
  }
  return Status::ok();
}

/// A step that writes a buffer inside a ring: a depthwise conv computing one row in place
/// (rp_conv_in_place_s8) over the slot of the top row of that row's window, read from that
/// ring, with the scratch its chunks need. (What it overwrites is then checked as any
/// write: a later read of the slot's old row fails.)
Status Replay::checkInPlaceRows(int step, const Step &s) const {
  const Buffer &out = p_.buffers[static_cast<size_t>(s.outputs[0])];
  auto bad = [&](std::string_view why) {
    return makeError("{} writes buffer {} inside buffer {}, but {}", describe(step),
                     s.outputs[0], out.within, why);
  };
  if (s.kind != StepKind::Compute || s.inputs.empty() || s.inputs[0] != out.within)
    return bad("it does not read that ring");
  const ir::Node &node = g_.nodes[s.node];
  if (!depthwiseInPlace(g_, node, p_.floatActivations))
    return bad("its kernel does not compute in place");
  const Buffer &ring = p_.buffers[static_cast<size_t>(out.within)];
  const int64_t top = inPlaceSourceRow(node, s.out.row0);
  const int64_t slot = ((top % ring.ringRows) + ring.ringRows) % ring.ringRows;
  const Dims dh = dimsOf(g_.tensor(ring.tensor));
  const int64_t pixel = dh.channels * elemBytes(g_.tensor(ring.tensor), p_.floatActivations);
  if (s.out.rows() != 1 || out.withinOffset != slot * dh.cols * pixel)
    return bad("not one row over the slot of its window's top row");
  if (s.scratch < 0 ||
      p_.buffers[static_cast<size_t>(s.scratch)].bytes < inPlaceMinScratch(g_, node))
    return bad("its scratch cannot hold a chunk");
  return Status::ok();
}

/// A step that computes a depthwise conv and the 1x1 expansion before it (Step::
/// fusedExpansion; rp_expand_dw_s8): the two can run so, and the conv alone reads the
/// expansion's output, which is no model output (it is never held).
Status Replay::checkFused(int step, const Step &s) const {
  const auto e = static_cast<size_t>(s.fusedExpansion);
  if (e >= g_.nodes.size() || e == s.node)
    return makeError("{} fuses a node that does not exist", describe(step));
  const ir::Node &expand = g_.nodes[e];
  if (s.fusedGroup < 1 || s.fusedGroup > INT16_MAX)
    return makeError("{} computes its expansion in groups of {} channels", describe(step),
                     s.fusedGroup);
  if (!fusesExpansion(g_, expand, g_.nodes[s.node], p_.floatActivations))
    return makeError("{} fuses node '{}', which is not a 1x1 expansion it can compute",
                     describe(step), expand.name);
  const ir::TensorId t = expand.outputs[0];
  if (consumers_[t] != std::vector<size_t>{s.node} ||
      std::find(g_.outputs.begin(), g_.outputs.end(), t) != g_.outputs.end())
    return makeError("{} fuses node '{}', whose output is read elsewhere", describe(step),
                     expand.name);
  return Status::ok();
}

/// A step that writes a buffer inside a ring it does not read: the producer of a Pad's
/// input writing one whole row inside the Pad's output ring (Builder::padViews), in the slot
/// of the Pad's output row it pads, at its pad_left-th pixel.
Status Replay::checkPadViewRow(int step, const Step &s) const {
  const Buffer &out = p_.buffers[static_cast<size_t>(s.outputs[0])];
  auto bad = [&](std::string_view why) {
    return makeError("{} writes buffer {} inside buffer {}, but {}", describe(step),
                     s.outputs[0], out.within, why);
  };
  const Buffer &ring = p_.buffers[static_cast<size_t>(out.within)];
  const int producer = producers_[static_cast<size_t>(ring.tensor)];
  const ir::Node *pad = producer >= 0 ? &g_.nodes[static_cast<size_t>(producer)] : nullptr;
  const auto pads = pad ? padView(g_, *pad) : std::nullopt;
  if (!pads || pad->inputs[0] != out.tensor)
    return bad("that ring is not the output of a Pad of its tensor that can pad in place");
  const int64_t slot = (s.out.row0 + pads->first) % ring.ringRows;
  const int64_t slotBytes = ring.bytes / ring.ringRows;
  if (s.out.rows() != 1 || s.out.col0 != 0 ||
      s.out.col1 != dimsOf(g_.tensor(out.tensor)).cols ||
      out.withinOffset / slotBytes != slot || columnInSlot(out) != pads->second)
    return bad("it is not one row at the pad_left-th pixel of the slot of the row it pads");
  return Status::ok();
}

/// A Pad step whose input lies inside its output ring (Builder::padViews): wherever it
/// writes the slot its input lies in, the input begins at the slot's pad_left-th pixel, so
/// that every pixel is copied onto itself (the kernel moves pixels last first, each from a
/// source at or before it: plan::padView).
Status Replay::checkPadOverOwnInput(int step, const Step &s) const {
  if (s.inputs.empty() || s.inputs[0] < 0 || s.outputs.empty() || s.outputs[0] < 0)
    return Status::ok();
  const Buffer &in = p_.buffers[static_cast<size_t>(s.inputs[0])];
  if (in.within < 0 || in.within != s.outputs[0])
    return Status::ok();
  const Buffer &ring = p_.buffers[static_cast<size_t>(in.within)];
  const auto pads = padView(g_, g_.nodes[s.node]);
  const int64_t slotBytes = ring.bytes / ring.ringRows;
  for (int64_t r = s.out.row0; r < s.out.row1; ++r)
    if (r % ring.ringRows == in.withinOffset / slotBytes &&
        (!pads || columnInSlot(in) != pads->second))
      return makeError("{} pads row {} over its input in buffer {}, which does not lie at "
                       "the row's pad_left-th pixel",
                       describe(step), r, s.inputs[0]);
  return Status::ok();
}

void Replay::overwriteShared(int step, int buffer, int64_t r, int64_t col0, int64_t col1) {
  const Buffer &b = p_.buffers[static_cast<size_t>(buffer)];
  // Columns [col0, col1) of `other`'s row in `slot` no longer hold what they did.
  auto clear = [&](int other, int64_t slot, int64_t from, int64_t to) {
    Contents &c = contents_[static_cast<size_t>(other)];
    for (int64_t col = std::max<int64_t>(from, 0); col < std::min(to, c.cols); ++col)
      c.row[static_cast<size_t>(slot * c.cols + col)] = -1;
  };
  if (b.within >= 0) { // the ring's slot under it, and every other buffer in that slot
    const Buffer &ring = p_.buffers[static_cast<size_t>(b.within)];
    const int64_t slotBytes = ring.bytes / ring.ringRows, slot = b.withinOffset / slotBytes;
    const int64_t shift = columnInSlot(b);
    clear(b.within, slot, col0 + shift, col1 + shift);
    for (int other : inside_[static_cast<size_t>(b.within)]) {
      const Buffer &o = p_.buffers[static_cast<size_t>(other)];
      if (other != buffer && o.withinOffset / slotBytes == slot)
        clear(other, 0, col0 + shift - columnInSlot(o), col1 + shift - columnInSlot(o));
    }
    return;
  }
  if (b.kind != BufferKind::Ring || inside_[static_cast<size_t>(buffer)].empty())
    return;
  const int64_t slot = r % b.ringRows, slotBytes = b.bytes / b.ringRows;
  // A Pad writing row r over its own input's row (Builder::padViews) copies the input's
  // pixels onto themselves: what the input held there, it still holds.
  const Step *s =
      step >= 0 && step < static_cast<int>(p_.steps.size()) ? &p_.steps[step] : nullptr;
  const ir::Node *pad = s && s->kind == StepKind::Compute ? &g_.nodes[s->node] : nullptr;
  const std::pair<int64_t, int64_t> pads =
      pad ? padView(g_, *pad).value_or(std::pair<int64_t, int64_t>{-1, -1})
          : std::pair<int64_t, int64_t>{-1, -1};
  for (int other : inside_[static_cast<size_t>(buffer)]) {
    const Buffer &inner = p_.buffers[static_cast<size_t>(other)];
    if (inner.withinOffset / slotBytes != slot)
      continue;
    const int64_t shift = columnInSlot(inner);
    if (pads.second >= 0 && s->inputs[0] == other && shift == pads.second) {
      const int64_t rows = dimsOf(g_.tensor(inner.tensor)).rows;
      const int64_t source = pad->attr<ir::PadAttrs>().mode == ir::PadMode::Edge
                                 ? std::clamp<int64_t>(r - pads.first, 0, rows - 1)
                                 : r - pads.first;
      Contents &c = contents_[static_cast<size_t>(other)];
      for (int64_t col = std::max<int64_t>(col0 - shift, 0);
           col < std::min(col1 - shift, c.cols); ++col)
        if (c.row[static_cast<size_t>(col)] != static_cast<int32_t>(source))
          c.row[static_cast<size_t>(col)] = -1;
      continue;
    }
    clear(other, 0, col0 - shift, col1 - shift);
  }
}

Status Replay::checkOverlaps() const {
  const auto &bs = p_.buffers;
  std::vector<std::vector<Rect>> rects(bs.size());
  for (size_t i = 0; i < bs.size(); ++i) {
    const Buffer &b = bs[i];
    if (!b.rowFirstStep.empty() &&
        (b.kind == BufferKind::Scratch || b.rowFirstStep.size() != size_t(b.region.rows()) ||
         b.rowLastStep.size() != b.rowFirstStep.size() ||
         (b.kind == BufferKind::Ring &&
          (b.ringRows <= 0 || b.within >= 0 || b.region != wholeOf(g_.tensor(b.tensor))))))
      return makeError("buffer {} has row lifetimes that do not match its rows", i);
    rects[i] = rectsOf(b);
    // The rows of one slot of a ring follow one another.
    for (size_t k = 0; b.kind == BufferKind::Ring && k < b.rowFirstStep.size(); ++k) {
      const size_t next = k + static_cast<size_t>(b.ringRows);
      if (next < b.rowFirstStep.size() && b.rowLastStep[k] >= b.rowFirstStep[k] &&
          b.rowLastStep[next] >= b.rowFirstStep[next] && b.rowLastStep[k] >= b.rowFirstStep[next])
        return makeError("rows {} and {} of ring buffer {} ('{}') share a slot at once", k, next,
                         i, g_.tensor(b.tensor).name);
    }
  }
  for (size_t i = 0; i < bs.size(); ++i)
    if (bs[i].within >= 0 && bs[i].within < static_cast<int>(bs.size()) &&
        !bs[static_cast<size_t>(bs[i].within)].rowFirstStep.empty())
      return makeError("buffer {} lies inside buffer {}, whose rows have lifetimes of their own",
                       i, bs[i].within);
  for (size_t i = 0; i < bs.size(); ++i)
    for (size_t j = i + 1; j < bs.size(); ++j) {
      const Buffer &a = bs[i], &b = bs[j];
      if (a.firstStep > b.lastStep || b.firstStep > a.lastStep || a.bytes == 0 || b.bytes == 0)
        continue;
      if (a.within >= 0 || b.within >= 0)
        continue; // inside a ring, whose bytes and steps hold it (checkWithin)
      // An in-place handoff: one takes over the other's memory at the step that kills it.
      bool handoff = (a.aliasOf == static_cast<int>(j) && b.lastStep == a.firstStep) ||
                     (b.aliasOf == static_cast<int>(i) && a.lastStep == b.firstStep);
      if (handoff && a.offset == b.offset && a.rowFirstStep.empty() && b.rowFirstStep.empty())
        continue;
      // Rows taken over row by row (checkAliases): row r of the one that takes over starts
      // where row r of the other ends, at the same bytes; other rows lie apart.
      const int taker = b.aliasOf == static_cast<int>(i)   ? static_cast<int>(j)
                        : a.aliasOf == static_cast<int>(j) ? static_cast<int>(i)
                                                           : -1;
      if (taker >= 0 && a.offset == b.offset && !a.rowFirstStep.empty() &&
          !b.rowFirstStep.empty() && a.rowFirstStep.size() == b.rowFirstStep.size() &&
          a.bytes == b.bytes) {
        const Buffer &over = bs[static_cast<size_t>(taker)],
                     &under = bs[static_cast<size_t>(over.aliasOf)];
        bool apart = true;
        for (size_t r = 0; r < over.rowFirstStep.size(); ++r)
          apart = apart && under.rowLastStep[r] <= over.rowFirstStep[r];
        if (apart)
          continue;
      }
      // A Pad's ring over its input's first row (checkOverInputRow) meets that row at the
      // step that reads it for the last time, and no other.
      const size_t ring = isOverInputRow(a) && a.aliasOf == static_cast<int>(j)   ? i
                          : isOverInputRow(b) && b.aliasOf == static_cast<int>(i) ? j
                                                                                  : SIZE_MAX;
      const Rect *firstRow = ring == SIZE_MAX ? nullptr : &rects[ring == i ? j : i].front();
      for (const Rect &x : rects[i])
        for (const Rect &y : rects[j])
          if (x.first <= y.last && y.first <= x.last && x.begin < y.end && y.begin < x.end &&
              !((&x == firstRow || &y == firstRow) &&
                std::max(x.first, y.first) == bs[ring].firstStep &&
                std::min(x.last, y.last) == bs[ring].firstStep))
            return makeError("buffers {} ('{}') and {} ('{}') overlap in memory while both are "
                             "live (steps {}..{} and {}..{})",
                             i, g_.tensor(a.tensor).name, j, g_.tensor(b.tensor).name, x.first,
                             x.last, y.first, y.last);
    }
  return Status::ok();
}

Status Replay::write(int step, int buffer, const ir::Region &region) {
  const Buffer &b = p_.buffers[buffer];
  if (step < b.firstStep || step > b.lastStep)
    return makeError("{} writes buffer {} outside its live range", describe(step), buffer);
  Contents &c = contents_[buffer];
  for (int64_t r = region.row0; r < region.row1; ++r) {
    if (b.kind != BufferKind::Scratch && r >= b.region.row0 && r < b.region.row1) {
      auto [born, dies] = rowLife(b, r - b.region.row0);
      if (step < born || step > dies)
        return makeError("{} writes row {} of '{}' outside that row's reserved steps {}..{}",
                         describe(step), r, g_.tensor(b.tensor).name, born, dies);
    }
    int64_t slot = slotOf(b, r);
    if (slot < 0 || slot >= c.slots)
      return makeError("{} writes row {} of '{}' outside buffer {}", describe(step), r,
                       g_.tensor(b.tensor).name, buffer);
    if (b.kind == BufferKind::Ring)
      overwriteShared(step, buffer, r, region.col0, region.col1);
    for (int64_t col = region.col0; col < region.col1; ++col) {
      int64_t k = col - (b.kind == BufferKind::Ring ? 0 : b.region.col0);
      if (k < 0 || k >= c.cols)
        return makeError("{} writes column {} of '{}' outside buffer {}", describe(step), col,
                         g_.tensor(b.tensor).name, buffer);
      c.row[slot * c.cols + k] = static_cast<int32_t>(r);
    }
  }
  return Status::ok();
}

Status Replay::read(int step, int buffer, const ir::Region &region) const {
  const Buffer &b = p_.buffers[buffer];
  // A step may name a buffer it reads nothing of (a Pad row that is all padding, below
  // the input's last row): it touches no byte, so the buffer need not be live then.
  if (region.rows() <= 0 || region.cols() <= 0)
    return Status::ok();
  if (step < b.firstStep || step > b.lastStep)
    return makeError("{} reads buffer {} ('{}') outside its live range", describe(step), buffer,
                     g_.tensor(b.tensor).name);
  const Contents &c = contents_[buffer];
  for (int64_t r = region.row0; r < region.row1; ++r)
    if (b.kind != BufferKind::Scratch && r >= b.region.row0 && r < b.region.row1) {
      auto [born, dies] = rowLife(b, r - b.region.row0);
      if (step < born || step > dies)
        return makeError("{} reads row {} of '{}' outside that row's reserved steps {}..{}",
                         describe(step), r, g_.tensor(b.tensor).name, born, dies);
    }
  for (int64_t r = region.row0; r < region.row1; ++r)
    for (int64_t col = region.col0; col < region.col1; ++col) {
      int64_t slot = slotOf(b, r);
      int64_t k = col - (b.kind == BufferKind::Ring ? 0 : b.region.col0);
      if (slot < 0 || slot >= c.slots || k < 0 || k >= c.cols ||
          c.row[slot * c.cols + k] != static_cast<int32_t>(r))
        return makeError("{} reads row {}, column {} of '{}' from buffer {} before it is "
                         "written or after it is overwritten",
                         describe(step), r, col, g_.tensor(b.tensor).name, buffer);
    }
  return Status::ok();
}

Status Replay::checkTotals() const {
  int64_t arena = 0;
  for (const Buffer &b : p_.buffers)
    arena = std::max(arena, b.offset + b.bytes);
  if (arena != p_.summary.arenaBytes)
    return makeError("the arena is {} bytes, not the {} the plan claims", arena,
                     p_.summary.arenaBytes);
  // Peak: alias families share memory, so each counts once per step, at the largest of its
  // members live then (a member and the one that takes it over meet at one step); other
  // buffers count row by row.
  const int steps = std::max<int>(1, static_cast<int>(p_.steps.size()));
  std::vector<int64_t> live(steps, 0);
  // Alias families: per root, its members.
  std::map<int, std::vector<size_t>> families;
  for (size_t i = 0; i < p_.buffers.size(); ++i) {
    const Buffer &b = p_.buffers[i];
    if (b.within >= 0)
      continue; // its bytes are its ring's
    int r = static_cast<int>(i);
    while (p_.buffers[r].aliasOf >= 0)
      r = p_.buffers[r].aliasOf;
    const Buffer *under =
        b.aliasOf >= 0 ? &p_.buffers[static_cast<size_t>(b.aliasOf)] : nullptr;
    // (A scratch over runs of steps, never in a family, counts over its runs.)
    const bool rowwise =
        (!b.rowFirstStep.empty() && (!under || !under->rowFirstStep.empty())) ||
        (!b.stepRuns.empty() && b.aliasOf < 0);
    if (!rowwise) {
      families[r].push_back(i);
      continue;
    }
    // (Rows taken over row by row: each row counted once at the step of the hand-over.)
    std::vector<Rect> rects = rectsOf(b);
    for (size_t k = 0; under && k < rects.size(); ++k)
      rects[k].first = std::max(rects[k].first, under->rowLastStep[k] + 1);
    for (const Rect &x : rects)
      for (int s = std::max(0, x.first); s <= x.last && s < steps; ++s)
        live[s] += x.end - x.begin;
  }
  for (const auto &[root, members] : families) {
    int first = steps, last = -1;
    for (size_t m : members)
      first = std::min(first, p_.buffers[m].firstStep), last = std::max(last, p_.buffers[m].lastStep);
    first = std::max(0, first), last = std::min(last, steps - 1);
    std::vector<int64_t> most(static_cast<size_t>(std::max(0, last - first + 1)), 0);
    for (size_t m : members) {
      const Buffer &b = p_.buffers[m];
      for (int s = std::max(first, b.firstStep); s <= std::min(last, b.lastStep); ++s)
        most[static_cast<size_t>(s - first)] = std::max(most[static_cast<size_t>(s - first)], b.bytes);
    }
    for (size_t k = 0; k < most.size(); ++k)
      live[static_cast<size_t>(first) + k] += most[k];
  }
  int64_t peak = *std::max_element(live.begin(), live.end());
  if (peak != p_.summary.peakBytes)
    return makeError("the peak is {} bytes, not the {} the plan claims", peak,
                     p_.summary.peakBytes);
  int64_t macs = 0;
  std::vector<const Step *> previous(g_.nodes.size(), nullptr); // each node's last step
  for (size_t s = 0; s < p_.steps.size(); ++s) {
    const Step &step = p_.steps[s];
    if (step.kind == StepKind::Stream)
      continue;
    const ir::Node &node = g_.nodes[step.node];
    Dims d = dimsOf(g_.tensor(node.outputs[0]));
    int64_t area = d.rows * d.cols, part = step.out.rows() * step.out.cols();
    int64_t want = part == area ? ir::macs(g_, node) : ir::macs(g_, node) / area * part;
    // RNNPool's kernel sweeps each RNN1 segment of its call once, and a step that carries
    // its scratch from the step above does not sweep again the rows that one swept.
    const Step *before = previous[step.node];
    previous[step.node] = &step;
    const bool continues = before && carries(g_, *before, step);
    if (node.op == ir::OpKind::RNNPool && (part != area || continues))
      want = ir::rnnPoolRegionMacs(g_, node, step.out, continues);
    if (step.fusedExpansion >= 0) { // and the expansion over the window's rows it computes
      const ir::Node &expand = g_.nodes[static_cast<size_t>(step.fusedExpansion)];
      const Dims e = dimsOf(g_.tensor(expand.outputs[0]));
      const ir::Region window = fusedWindow(g_, node, step.out, continues);
      const int64_t all = e.rows * e.cols, some = window.rows() * window.cols();
      want += some == all ? ir::macs(g_, expand) : ir::macs(g_, expand) / all * some;
    }
    if (step.accumulate && !step.reads.empty()) { // the rows' share, summing to the node's
      const int64_t total = ir::macs(g_, node), rows = dimsOf(g_.tensor(node.inputs[0])).rows;
      want = total * step.reads[0].row1 / rows - total * step.reads[0].row0 / rows;
    }
    if (step.macs != want)
      return makeError("{} claims {} MACs; its region costs {}", describe(static_cast<int>(s)),
                       step.macs, want);
    macs += want;
  }
  if (macs != p_.summary.macs)
    return makeError("the steps cost {} MACs, not the {} the plan claims", macs, p_.summary.macs);
  return Status::ok();
}

/// A streamed input arrives through Stream steps that ask for every row of it once, in order
/// (a camera or a file delivers rows so), whole rows; a frame-resident plan has none.
Status Replay::checkStreams() const {
  std::map<ir::TensorId, int64_t> next; // per streamed input: the row it must ask for next
  for (size_t si = 0; si < p_.steps.size(); ++si) {
    const Step &s = p_.steps[si];
    if (s.kind != StepKind::Stream)
      continue;
    const int step = static_cast<int>(si);
    if (!p_.streamedInput || s.streamed == ir::kNoTensor ||
        std::find(g_.inputs.begin(), g_.inputs.end(), s.streamed) == g_.inputs.end())
      return makeError("{} streams what is not a streamed model input", describe(step));
    const Dims d = dimsOf(g_.tensor(s.streamed));
    int64_t &row = next[s.streamed];
    if (s.out.row0 != row || s.out.row1 <= s.out.row0 || s.out.col0 != 0 || s.out.cols() != d.cols)
      return makeError("{} asks for rows [{}, {}) columns [{}, {}), not whole rows from row {}",
                       describe(step), s.out.row0, s.out.row1, s.out.col0, s.out.col1, row);
    row = s.out.row1;
  }
  for (const auto &[t, row] : next)
    if (row != dimsOf(g_.tensor(t)).rows)
      return makeError("the steps ask for {} of the {} rows of streamed input '{}'", row,
                       dimsOf(g_.tensor(t)).rows, g_.tensor(t).name);
  return Status::ok();
}

Status Replay::run() {
  // (Fused steps first: the checks of scratch and MACs below read the pair's attributes.)
  for (size_t si = 0; si < p_.steps.size(); ++si)
    if (p_.steps[si].kind == StepKind::Compute && p_.steps[si].fusedExpansion >= 0)
      RNNPOOLC_TRY(checkFused(static_cast<int>(si), p_.steps[si]));
  RNNPOOLC_TRY(checkBuffers());
  RNNPOOLC_TRY(checkOverlaps());
  RNNPOOLC_TRY(checkScratch());
  RNNPOOLC_TRY(checkAliases());
  RNNPOOLC_TRY(checkWithin());
  RNNPOOLC_TRY(checkStreams());
  inside_.assign(p_.buffers.size(), {});
  for (size_t i = 0; i < p_.buffers.size(); ++i)
    if (p_.buffers[i].within >= 0)
      inside_[static_cast<size_t>(p_.buffers[i].within)].push_back(static_cast<int>(i));
  contents_.resize(p_.buffers.size());
  for (size_t i = 0; i < p_.buffers.size(); ++i) {
    const Buffer &b = p_.buffers[i];
    Dims d = dimsOf(g_.tensor(b.tensor));
    Contents &c = contents_[i];
    c.slots = b.kind == BufferKind::Ring      ? b.ringRows
              : b.kind == BufferKind::Scratch ? 0
                                              : b.region.rows();
    c.cols = b.kind == BufferKind::Ring ? d.cols : b.region.cols();
    c.row.assign(static_cast<size_t>(c.slots * c.cols), -1);
  }
  // The caller writes the model inputs before step 0 unless they are streamed.
  if (!p_.streamedInput)
    for (ir::TensorId in : g_.inputs)
      for (size_t i = 0; i < p_.buffers.size(); ++i)
        if (p_.buffers[i].tensor == in && p_.buffers[i].firstStep == 0)
          RNNPOOLC_TRY(write(0, static_cast<int>(i), p_.buffers[i].region));
  std::vector<const Step *> previous(g_.nodes.size(), nullptr); // each node's last step
  for (size_t si = 0; si < p_.steps.size(); ++si) {
    const Step &s = p_.steps[si];
    const int step = static_cast<int>(si);
    if (s.kind == StepKind::Compute && s.accumulate) {
      RNNPOOLC_TRY(accumulate(step, s));
      continue;
    }
    // A fused step of row bands going on from the one above reads its input below that
    // one's window only (the carry holds the rest).
    const Step *before = s.kind == StepKind::Compute ? previous[s.node] : nullptr;
    const bool continues = before && carries(g_, *before, s);
    if (s.kind == StepKind::Compute)
      previous[s.node] = &s;
    if (s.kind == StepKind::Compute) {
      const ir::Node &node = g_.nodes[s.node];
      if (s.inputs.size() != node.inputs.size() || s.outputs.size() != node.outputs.size())
        return makeError("{} does not name a buffer for every input and output", describe(step));
      if (accumulated_.count(s.node))
        return makeError("{} computes a node whose accumulation is under way", describe(step));
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        ir::TensorId in = node.inputs[k];
        if (in == ir::kNoTensor || g_.tensor(in).isConstant())
          continue;
        // A fused conv reads its expansion's input over its window.
        const ir::Node *expand =
            k == 0 && s.fusedExpansion >= 0 ? &g_.nodes[static_cast<size_t>(s.fusedExpansion)]
                                            : nullptr;
        if (expand)
          in = expand->inputs[0];
        int b = s.inputs[k];
        if (b < 0 || p_.buffers[b].tensor != in)
          return makeError("{} reads input {} from a buffer that does not hold it",
                           describe(step), k);
        RNNPOOLC_TRY(read(step, b,
                          expand ? fusedRead(g_, *expand, node, s.out, continues)
                                 : ir::inputRegion(g_, node, k, s.out)));
      }
      for (size_t k = 0; k < node.outputs.size(); ++k)
        if (s.outputs[k] < 0 || p_.buffers[s.outputs[k]].tensor != node.outputs[k])
          return makeError("{} writes output {} to a buffer that does not hold it",
                           describe(step), k);
    }
    for (int b : s.outputs)
      if (b >= 0 && p_.buffers[static_cast<size_t>(b)].within >= 0)
        RNNPOOLC_TRY(readsHost(s, b) ? checkInPlaceRows(step, s) : checkPadViewRow(step, s));
    if (s.kind == StepKind::Compute && g_.nodes[s.node].op == ir::OpKind::Pad)
      RNNPOOLC_TRY(checkPadOverOwnInput(step, s));
    for (int b : s.outputs)
      RNNPOOLC_TRY(write(step, b, s.out));
  }
  if (!accumulated_.empty())
    return makeError("node '{}' never adds the last rows of its input",
                     g_.nodes[accumulated_.begin()->first].name);
  for (ir::TensorId out : g_.outputs) {
    if (g_.tensor(out).isConstant())
      continue;
    bool complete = false;
    std::string why = "no buffer holds it at the end";
    const int last = static_cast<int>(p_.steps.size()) - 1;
    for (size_t i = 0; i < p_.buffers.size() && !complete; ++i) {
      const Buffer &b = p_.buffers[i];
      if (b.tensor == out && b.lastStep < last)
        why = fmt::format("buffer {} holding it dies at step {} of {}", i, b.lastStep, last);
      if (b.tensor != out || b.kind != BufferKind::Region || b.lastStep < last)
        continue;
      const ir::Region all = wholeOf(g_.tensor(out));
      Status held = b.region == all ? read(last, static_cast<int>(i), all)
                                    : makeError("buffer {} holds only part of it", i);
      complete = static_cast<bool>(held);
      if (!held)
        why = held.error().message();
    }
    if (!complete && !p_.steps.empty())
      return makeError("the model output '{}' is not completely produced and held to the "
                       "end: {}",
                       g_.tensor(out).name, why);
  }
  return checkTotals();
}

} // namespace

Status verifyPlan(const ir::Graph &graph, const Plan &plan) {
  return Replay(graph, plan).run();
}

} // namespace rnnpoolc::plan
