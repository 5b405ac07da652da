// Small shared definitions of the plan: element sizes, extents, region costs.
#include "compiler/plan/Plan.h"

#include "runtime/rp_scratch.h"

#include <algorithm>

namespace rnnpoolc::plan {

std::string_view name(Strategy s) {
  switch (s) {
  case Strategy::Layer: return "layer";
  case Strategy::RowBands: return "row-bands";
  case Strategy::Tiles: return "tiles";
  }
  return "?";
}

int64_t elementBytes(const ir::Tensor &tensor, bool floatActivations) {
  if (tensor.dtype == ir::DType::Float32 && !floatActivations)
    return 1;
  return static_cast<int64_t>(ir::sizeOf(tensor.dtype));
}

Extent extentOf(const ir::Tensor &tensor) {
  // Rows and columns are the last two dims (as ir::inputRegion counts them); everything
  // else (channels, and the batch) is stored contiguously per position.
  const ir::Shape &s = tensor.shape;
  const size_t r = s.size();
  Extent e;
  e.rows = r >= 2 ? s[r - 2] : 1;
  e.cols = r >= 1 ? s[r - 1] : 1;
  e.channels = e.rows * e.cols > 0 ? ir::numel(s) / (e.rows * e.cols) : 0;
  return e;
}

ir::Region wholeRegion(const ir::Tensor &tensor) {
  Extent e = extentOf(tensor);
  return {0, e.rows, 0, e.cols};
}

int64_t regionMacs(const ir::Graph &graph, const ir::Node &node, const ir::Region &out,
                   bool continues) {
  const Extent e = extentOf(graph.tensor(node.outputs[0]));
  if (node.op == ir::OpKind::RNNPool && (continues || out.rows() * out.cols() != e.rows * e.cols))
    return ir::rnnPoolRegionMacs(graph, node, out, continues);
  return regionMacs(ir::macs(graph, node), e, out);
}

bool carries(const ir::Graph &graph, const Step &before, const Step &step) {
  const bool fusedRows = step.fusedRows && before.fusedRows && step.fusedExpansion >= 0 &&
                         before.fusedExpansion == step.fusedExpansion;
  return step.kind == StepKind::Compute && before.kind == StepKind::Compute &&
         before.node == step.node &&
         (graph.nodes[step.node].op == ir::OpKind::RNNPool || fusedRows) && step.scratch >= 0 &&
         before.scratch == step.scratch && before.out.row1 == step.out.row0 &&
         before.out.col0 == step.out.col0 && before.out.col1 == step.out.col1;
}

std::optional<std::pair<int64_t, int64_t>> padView(const ir::Graph &graph,
                                                   const ir::Node &node) {
  if (node.op != ir::OpKind::Pad || node.inputs.size() < 2 || node.outputs.size() != 1 ||
      node.inputs[0] == ir::kNoTensor || node.inputs[1] == ir::kNoTensor)
    return std::nullopt;
  const ir::PadMode mode = node.attr<ir::PadAttrs>().mode;
  const ir::Tensor &x = graph.tensor(node.inputs[0]), &pads = graph.tensor(node.inputs[1]);
  if ((mode != ir::PadMode::Constant && mode != ir::PadMode::Edge) || x.shape.size() != 4 ||
      x.shape[2] <= 0 || x.shape[3] <= 0 || !pads.isConstant() || !pads.data)
    return std::nullopt;
  const ir::Ints p = pads.data->toInts(); // [begins..., ends...]
  if (p.size() != 8 || p[0] || p[1] || p[4] || p[5] || p[2] < 0 || p[3] < 0 || p[6] < 0 ||
      p[7] < 0)
    return std::nullopt;
  return std::pair{p[2], p[3]};
}

bool padInPlace(const ir::Graph &graph, const Step &step, const Buffer &in, const Buffer &out) {
  const ir::Node &node = graph.nodes[step.node];
  if (step.kind != StepKind::Compute || node.op != ir::OpKind::Pad ||
      in.kind != BufferKind::Region || out.kind != BufferKind::Region || step.out.rows() <= 0 ||
      step.out.cols() <= 0 || in.region.cols() > out.region.cols())
    return false;
  const auto pads = padView(graph, node);
  if (!pads)
    return false;
  const ir::Shape &x = graph.tensor(node.inputs[0]).shape;
  const int64_t iy = std::clamp<int64_t>(step.out.row0 - pads->first, 0, x[2] - 1);
  const int64_t ix = std::clamp<int64_t>(step.out.col0 - pads->second, 0, x[3] - 1);
  const int64_t source = (iy - in.region.row0) * in.region.cols() + (ix - in.region.col0);
  const int64_t dest = (step.out.row0 - out.region.row0) * out.region.cols() +
                       (step.out.col0 - out.region.col0);
  return source <= dest;
}

int64_t regionMacs(int64_t total, const Extent &e, const ir::Region &out) {
  const int64_t area = e.rows * e.cols;
  if (area == 0 || out.rows() * out.cols() == area)
    return total;
  // Every spatial op costs the same per output position.
  return total / area * out.rows() * out.cols();
}

bool isAccumulating(const ir::Graph &graph, const ir::Node &node) {
  if (node.inputs.empty() || node.outputs.size() != 1 || node.inputs[0] == ir::kNoTensor)
    return false;
  const ir::Tensor &in = graph.tensor(node.inputs[0]), &out = graph.tensor(node.outputs[0]);
  const bool activation = in.dtype == ir::DType::Float32 || in.dtype == ir::DType::Int8;
  if (in.isConstant() || !activation || in.shape.size() != 4 || in.shape[0] != 1 ||
      out.shape != ir::Shape{1, in.shape[1], 1, 1})
    return false;
  return node.op == ir::OpKind::GlobalAveragePool;
}

int64_t accumulatorBytes(const ir::Graph &graph, const ir::Node &node) {
  return extentOf(graph.tensor(node.outputs[0])).channels * 4;
}

int64_t accumulateMacs(const ir::Graph &graph, const ir::Node &node, int64_t row0,
                       int64_t row1) {
  const int64_t total = ir::macs(graph, node),
                rows = extentOf(graph.tensor(node.inputs[0])).rows;
  return rows > 0 ? total * row1 / rows - total * row0 / rows : 0;
}

std::vector<Reservation> reservations(const Buffer &b, int64_t offset) {
  if (!b.stepRuns.empty()) {
    std::vector<Reservation> out;
    for (auto [first, last] : b.stepRuns)
      out.push_back({offset, offset + b.bytes, first, last});
    return out;
  }
  if (b.rowFirstStep.empty())
    return {{offset, offset + b.bytes, b.firstStep, b.lastStep}};
  if (b.kind == BufferKind::Ring) { // per slot, its rows' lives, one run while they touch
    const int64_t rows = static_cast<int64_t>(b.rowFirstStep.size()), slots = b.ringRows,
                  rowBytes = slots ? b.bytes / slots : 0;
    std::vector<Reservation> out;
    for (int64_t slot = 0; slot < slots; ++slot) {
      const size_t from = out.size();
      for (int64_t r = slot; r < rows; r += slots) {
        const int first = b.rowFirstStep[r], last = b.rowLastStep[r];
        if (last < first)
          continue; // never written
        if (out.size() > from && out.back().last + 1 >= first)
          out.back().last = std::max(out.back().last, last);
        else
          out.push_back({offset + slot * rowBytes, offset + (slot + 1) * rowBytes, first, last});
      }
    }
    return out;
  }
  const int64_t rows = b.region.rows(), rowBytes = rows ? b.bytes / rows : 0;
  std::vector<Reservation> out;
  for (int64_t r = 0; r < rows; ++r) {
    Reservation row{offset + r * rowBytes, offset + (r + 1) * rowBytes, b.rowFirstStep[r],
                    b.rowLastStep[r]};
    if (!out.empty() && out.back().end == row.begin && out.back().first == row.first &&
        out.back().last == row.last)
      out.back().end = row.end;
    else
      out.push_back(row);
  }
  return out;
}

bool depthwiseInPlace(const ir::Graph &graph, const ir::Node &node, bool floatActivations) {
  if (node.op != ir::OpKind::Conv || floatActivations || node.inputs.empty() ||
      node.outputs.size() != 1)
    return false;
  const auto &a = node.attr<ir::ConvAttrs>();
  const ir::Tensor &x = graph.tensor(node.inputs[0]), &y = graph.tensor(node.outputs[0]);
  if (x.shape.size() != 4 || y.shape.size() != 4 || x.dtype != ir::DType::Int8 ||
      y.dtype != ir::DType::Int8 || a.autoPad != ir::AutoPad::NotSet || a.pads.size() != 4 ||
      a.strides.size() != 2)
    return false;
  // One group per channel, as many outputs as inputs, rows no wider than the input's.
  return a.group > 1 && a.group == x.shape[1] && y.shape[1] == x.shape[1] &&
         y.shape[3] <= x.shape[3];
}

bool fusesExpansion(const ir::Graph &graph, const ir::Node &expand, const ir::Node &dw,
                    bool floatActivations) {
  if (expand.op != ir::OpKind::Conv || expand.inputs.empty() || expand.outputs.size() != 1 ||
      dw.inputs.empty() || dw.inputs[0] != expand.outputs[0] ||
      !depthwiseInPlace(graph, dw, floatActivations))
    return false;
  const auto &a = expand.attr<ir::ConvAttrs>();
  const ir::Tensor &x = graph.tensor(expand.inputs[0]);
  const auto ones = [](const ir::Ints &v) {
    return v.size() == 2 && v[0] == 1 && v[1] == 1;
  };
  return x.shape.size() == 4 && x.dtype == ir::DType::Int8 && a.group == 1 &&
         a.autoPad == ir::AutoPad::NotSet && ones(a.kernel) && ones(a.strides) &&
         ones(a.dilations) && a.pads == ir::Ints{0, 0, 0, 0};
}

int64_t fusedScratchBytes(const ir::Graph &graph, const ir::Node &dw, const ir::Region &out,
                          int64_t group, bool rows) {
  const auto &a = dw.attr<ir::ConvAttrs>();
  const auto channels = static_cast<int32_t>(graph.tensor(dw.outputs[0]).shape[1]);
  const auto narrow = [](int64_t v) { return static_cast<int32_t>(v); };
  if (rows)
    return static_cast<int64_t>(rp_expand_dw_rows_scratch_size(
        narrow(a.kernel[0]), narrow(a.kernel[1]), narrow(a.dilations[0]), narrow(a.strides[0]),
        narrow(graph.tensor(dw.inputs[0]).shape[3]),
        narrow(graph.tensor(dw.outputs[0]).shape[3]), narrow(out.rows()), channels,
        narrow(group)));
  const ir::Region window = ir::inputRegion(graph, dw, 0, out);
  return static_cast<int64_t>(
      rp_expand_dw_scratch_size(window.rows() * window.cols(), out.rows() * out.cols(),
                                narrow(a.kernel[0] * a.kernel[1]), channels, narrow(group)));
}

ir::Region fusedWindow(const ir::Graph &graph, const ir::Node &dw, const ir::Region &out,
                       bool continues) {
  ir::Region window = ir::inputRegion(graph, dw, 0, out);
  if (continues && out.row0 > 0) {
    const ir::Region above =
        ir::inputRegion(graph, dw, 0, ir::Region{out.row0 - 1, out.row0, out.col0, out.col1});
    window.row0 = std::max(window.row0, std::min(window.row1, above.row1));
  }
  return window;
}

ir::Region fusedRead(const ir::Graph &graph, const ir::Node &expand, const ir::Node &dw,
                     const ir::Region &out, bool continues) {
  return ir::inputRegion(graph, expand, 0, fusedWindow(graph, dw, out, continues));
}

int64_t fusedExpansionMacs(const ir::Graph &graph, const ir::Node &expand, const ir::Node &dw,
                           const ir::Region &out, bool continues) {
  return regionMacs(graph, expand, fusedWindow(graph, dw, out, continues));
}

int64_t inPlaceSourceRow(const ir::Node &node, int64_t row) {
  const auto &a = node.attr<ir::ConvAttrs>();
  return row * a.strides[0] - a.pads[0];
}

int64_t inPlaceMinScratch(const ir::Graph &graph, const ir::Node &node) {
  const auto &a = node.attr<ir::ConvAttrs>();
  return (1 + a.pads[1]) * graph.tensor(node.inputs[0]).shape[1];
}

} // namespace rnnpoolc::plan
