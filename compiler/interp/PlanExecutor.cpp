// Plan execution in the float interpreter: every step reads its input regions out of the
// arena (a float array laid out exactly as the plan says), computes its output region by
// running the node on the cropped inputs with the padding that falls inside the crop, and
// writes the region back. Bit-identical to whole-tensor execution when the plan is right.
#include "compiler/interp/PlanExecutor.h"

#include "compiler/interp/Interpreter.h"
#include "compiler/interp/Kernels.h"

#include <algorithm>
#include <cstring>

namespace rnnpoolc::interp {
namespace {

using plan::Buffer;
using plan::BufferKind;
using plan::Plan;
using ir::Region;
using plan::elementBytes;
using plan::wholeRegion;
using plan::Step;
using plan::StepKind;

struct Span {
  int64_t begin = 0, end = 0;
};

/// For a window op along one axis: the input span read for outputs [o0, o1), clipped to
/// [0, extent), and the padding the cropped input needs on each side. Returns false when
/// the outputs read padding only (a conv padded beyond its kernel): the span is then empty
/// and the padding one short, for one zero row (or column) in its place.
bool windowSpan(int64_t o0, int64_t o1, int64_t stride, int64_t pad, int64_t kernel,
                int64_t dilation, int64_t extent, Span &crop, int64_t &padBegin,
                int64_t &padEnd) {
  const int64_t start = o0 * stride - pad;
  const int64_t end = (o1 - 1) * stride - pad + (kernel - 1) * dilation + 1;
  if (end <= 0 || start >= extent) {
    crop = {0, 0};
    padBegin = 0;
    padEnd = end - start - 1;
    return false;
  }
  crop = {std::max<int64_t>(0, start), std::min(extent, end)};
  padBegin = crop.begin - start;
  padEnd = end - crop.end;
  return true;
}

/// Element k of `v` written to / read from target memory at `p`, at the width of v's dtype
/// (the arena holds every tensor at its plan element size: float32, or an integer type's
/// own width, e.g. the int8 of a QuantizeLinear in a pre-quantised model).
void writeElement(unsigned char *p, const ir::TensorData &v, size_t k) {
  switch (v.dtype) {
  case ir::DType::Float32: std::memcpy(p, &v.f[k], 4); return;
  case ir::DType::Int64: std::memcpy(p, &v.i[k], 8); return;
  case ir::DType::Int32: {
    auto x = static_cast<int32_t>(v.i[k]);
    std::memcpy(p, &x, 4);
    return;
  }
  case ir::DType::Int16: {
    auto x = static_cast<int16_t>(v.i[k]);
    std::memcpy(p, &x, 2);
    return;
  }
  case ir::DType::Int8: *p = static_cast<unsigned char>(static_cast<int8_t>(v.i[k])); return;
  case ir::DType::UInt8:
  case ir::DType::Bool: *p = static_cast<unsigned char>(v.i[k]); return;
  }
}

void readElement(const unsigned char *p, ir::TensorData &v, size_t k) {
  switch (v.dtype) {
  case ir::DType::Float32: std::memcpy(&v.f[k], p, 4); return;
  case ir::DType::Int64: std::memcpy(&v.i[k], p, 8); return;
  case ir::DType::Int32: {
    int32_t x;
    std::memcpy(&x, p, 4);
    v.i[k] = x;
    return;
  }
  case ir::DType::Int16: {
    int16_t x;
    std::memcpy(&x, p, 2);
    v.i[k] = x;
    return;
  }
  case ir::DType::Int8: v.i[k] = static_cast<int8_t>(*p); return;
  case ir::DType::UInt8:
  case ir::DType::Bool: v.i[k] = *p; return;
  }
}

/// Copies element `from` of `src` to element `to` of `dst` (same dtype).
void copyElement(const ir::TensorData &src, size_t from, ir::TensorData &dst, size_t to) {
  if (ir::isFloat(src.dtype))
    dst.f[to] = src.f[from];
  else
    dst.i[to] = src.i[from];
}

/// The input positions a band of an edge or reflect Pad reads, in the band's order: `crop`
/// holds input region `from` (leading dims outermost, then rows, then columns), `band` is
/// the output region, and the result has the band's rows and columns.
ir::TensorData gatherPadBand(const ir::TensorData &crop, const ir::Region &from,
                             const ir::Region &band, int64_t padTop, int64_t padLeft,
                             int64_t inRows, int64_t inCols, ir::PadMode mode) {
  ir::Shape shape = crop.shape;
  shape[shape.size() - 2] = band.rows();
  shape.back() = band.cols();
  ir::TensorData out = ir::TensorData::zeros(crop.dtype, shape);
  const int64_t planes = crop.numel() / std::max<int64_t>(1, from.rows() * from.cols());
  size_t k = 0;
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t y = band.row0; y < band.row1; ++y) {
      const int64_t iy = ir::padSource(mode, y - padTop, inRows) - from.row0;
      for (int64_t x = band.col0; x < band.col1; ++x) {
        const int64_t ix = ir::padSource(mode, x - padLeft, inCols) - from.col0;
        copyElement(crop, static_cast<size_t>((plane * from.rows() + iy) * from.cols() + ix), out,
                    k++);
      }
    }
  return out;
}

class Runner {
public:
  Runner(const ir::Graph &g, const Plan &p) : g_(g), p_(p) {}
  Expected<std::vector<ir::TensorData>> run(const std::vector<ir::TensorData> &inputs);

private:
  const ir::Graph &g_;
  const Plan &p_;
  std::vector<unsigned char> arena_;

  struct Dims {
    int64_t rows, cols, channels;
  };
  Dims dims(ir::TensorId t) const {
    plan::Extent e = plan::extentOf(g_.tensor(t));
    return {e.rows, e.cols, e.channels};
  }
  /// Byte offset of element (row, col, channel) of buffer b in the arena.
  size_t at(const Buffer &b, int64_t r, int64_t c, int64_t ch) const {
    Dims d = dims(b.tensor);
    const int64_t size = elementBytes(g_.tensor(b.tensor), p_.floatActivations);
    int64_t element =
        b.kind == BufferKind::Ring
            ? ((r % b.ringRows) * d.cols + c) * d.channels + ch
            : ((r - b.region.row0) * b.region.cols() + (c - b.region.col0)) * d.channels + ch;
    return static_cast<size_t>(b.offset + element * size);
  }
  /// The region of a tensor as a tensor of the logical layout ([N, C, rows, cols] for a map).
  ir::TensorData load(int buffer, const ir::Region &r) const;
  void store(int buffer, const ir::Region &r, const ir::TensorData &value);
  Expected<ir::TensorData> compute(const Step &s);
  Status accumulate(const Step &s);
};

/// An accumulating step: adds its input rows into the per-channel float accumulator kept
/// in its Scratch buffer (in the arena, so a plan that lets another buffer overwrite it
/// gives other bytes), channel by channel in row-major order as whole-tensor execution
/// does; the step that adds the last row divides (a mean) and writes the output. A
/// non-float input gets the interpreter's error for the node.
Status Runner::accumulate(const Step &s) {
  const ir::Node &node = g_.nodes[s.node];
  const Dims d = dims(node.inputs[0]);
  const ir::Region &r = s.reads[0];
  unsigned char *acc = &arena_[static_cast<size_t>(p_.buffers[s.scratch].offset)];
  const ir::TensorData rows = load(s.inputs[0], r);
  RNNPOOLC_TRY(detail::requireFloat(node, rows, "the input"));
  const bool finish = r.row1 == d.rows;
  ir::TensorData out = ir::TensorData::zeros(ir::DType::Float32, {1, d.channels, 1, 1});
  for (int64_t c = 0; c < d.channels; ++c) {
    float a = 0.0f;
    if (r.row0 > 0)
      std::memcpy(&a, acc + c * 4, 4);
    for (int64_t k = 0; k < r.rows() * r.cols(); ++k)
      a += rows.f[static_cast<size_t>(c * r.rows() * r.cols() + k)];
    std::memcpy(acc + c * 4, &a, 4);
    out.f[static_cast<size_t>(c)] = a / static_cast<float>(d.rows * d.cols);
  }
  if (finish)
    store(s.outputs[0], s.out, out);
  return Status::ok();
}

ir::TensorData Runner::load(int buffer, const ir::Region &r) const {
  const Buffer &b = p_.buffers[buffer];
  const ir::Tensor &t = g_.tensor(b.tensor);
  Dims d = dims(b.tensor);
  ir::Shape shape = t.shape;
  if (!shape.empty())
    shape.back() = r.cols();
  if (shape.size() >= 2)
    shape[shape.size() - 2] = r.rows();
  ir::TensorData v = ir::TensorData::zeros(t.dtype, shape);
  // Logical order: channels (the leading dims) outermost, then rows, then columns.
  for (int64_t ch = 0; ch < d.channels; ++ch)
    for (int64_t y = r.row0; y < r.row1; ++y)
      for (int64_t x = r.col0; x < r.col1; ++x)
        readElement(&arena_[at(b, y, x, ch)], v,
                    static_cast<size_t>((ch * r.rows() + (y - r.row0)) * r.cols() + (x - r.col0)));
  return v;
}

void Runner::store(int buffer, const ir::Region &r, const ir::TensorData &value) {
  const Buffer &b = p_.buffers[buffer];
  Dims d = dims(b.tensor);
  for (int64_t ch = 0; ch < d.channels; ++ch)
    for (int64_t y = r.row0; y < r.row1; ++y)
      for (int64_t x = r.col0; x < r.col1; ++x)
        writeElement(&arena_[at(b, y, x, ch)], value,
                     static_cast<size_t>((ch * r.rows() + (y - r.row0)) * r.cols() + (x - r.col0)));
}

Expected<ir::TensorData> Runner::compute(const Step &s) {
  ir::Node node = g_.nodes[s.node];
  std::vector<ir::TensorData> values(node.inputs.size());
  std::vector<const ir::TensorData *> ptrs(node.inputs.size(), nullptr);
  const ir::Tensor &out = g_.tensor(node.outputs[0]);
  const bool whole = s.out == wholeRegion(out);
  // Window ops read their own span and get the padding that falls inside it. A conv band
  // that reads padding only gets a zero row (or column) for one row of its padding.
  bool padOnly = false;
  auto window = [&](ir::Ints &kernel, ir::Ints &strides, ir::Ints &dilations, ir::Ints &pads,
                    ir::Region &crop) {
    Dims d = dims(node.inputs[0]);
    Span rows, cols;
    int64_t pt, pb, pl, pr;
    padOnly = !windowSpan(s.out.row0, s.out.row1, strides[0], pads[0], kernel[0],
                          dilations[0], d.rows, rows, pt, pb);
    padOnly |= !windowSpan(s.out.col0, s.out.col1, strides[1], pads[1], kernel[1],
                           dilations[1], d.cols, cols, pl, pr);
    pads = {pt, pl, pb, pr};
    crop = {rows.begin, rows.end, cols.begin, cols.end};
  };
  ir::Region crop0 = ir::inputRegion(g_, g_.nodes[s.node], 0, s.out);
  if (!whole) {
    if (node.op == ir::OpKind::Conv) {
      auto &a = node.attr<ir::ConvAttrs>();
      a.autoPad = ir::AutoPad::NotSet;
      window(a.kernel, a.strides, a.dilations, a.pads, crop0);
    } else if (node.op == ir::OpKind::MaxPool || node.op == ir::OpKind::AveragePool) {
      auto &a = node.attr<ir::PoolAttrs>();
      a.autoPad = ir::AutoPad::NotSet;
      a.ceilMode = false; // the explicit end padding below covers the ceil-mode overhang
      window(a.kernel, a.strides, a.dilations, a.pads, crop0);
      if (padOnly) // pads no wider than the window (shape inference) leave a real row
        return ir::nodeError(g_.nodes[s.node], "a band of the plan reads only its padding");
    }
  }
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    ir::TensorId in = node.inputs[k];
    if (in == ir::kNoTensor)
      continue;
    if (g_.tensor(in).isConstant()) {
      ptrs[k] = g_.tensor(in).data.get();
      continue;
    }
    ir::Region r = k == 0 ? crop0 : ir::inputRegion(g_, g_.nodes[s.node], k, s.out);
    if (k == 0 && padOnly) {
      ir::Shape shape = g_.tensor(in).shape;
      shape[shape.size() - 2] = std::max<int64_t>(r.rows(), 1);
      shape.back() = std::max<int64_t>(r.cols(), 1);
      values[k] = ir::TensorData::zeros(g_.tensor(in).dtype, shape);
    } else {
      values[k] = load(s.inputs[k], r);
    }
    ptrs[k] = &values[k];
  }
  ir::TensorData padsValue, gathered;
  if (!whole && node.op == ir::OpKind::Pad) {
    // pads = [begins..., ends...]. A band of a Pad is the input rows and columns its output
    // positions read, gathered in output order (the band's own padding), and the padding
    // of the other axes, which the interpreter adds.
    const ir::TensorData &pads = *g_.tensor(node.inputs[1]).data;
    std::vector<int64_t> p = pads.toInts();
    const size_t rank = p.size() / 2;
    const ir::PadMode mode = node.attr<ir::PadAttrs>().mode;
    if (mode == ir::PadMode::Constant) {
      // Constant: the crop keeps the padding that falls inside the band.
      Dims d = dims(node.inputs[0]);
      auto axis = [](int64_t o0, int64_t o1, int64_t begin, int64_t in, int64_t &before,
                     int64_t &after) {
        const int64_t n = o1 - o0;
        before = std::clamp<int64_t>(begin - o0, 0, n);
        after = std::clamp<int64_t>(o1 - begin - in, 0, n);
      };
      axis(s.out.row0, s.out.row1, p[rank - 2], d.rows, p[rank - 2], p[2 * rank - 2]);
      axis(s.out.col0, s.out.col1, p[rank - 1], d.cols, p[rank - 1], p[2 * rank - 1]);
    } else {
      // Edge and reflect: every output position reads one input position (rp_pad_source).
      Dims d = dims(node.inputs[0]);
      gathered = gatherPadBand(values[0], crop0, s.out, p[rank - 2], p[rank - 1], d.rows, d.cols,
                               mode);
      ptrs[0] = &gathered;
      p[rank - 2] = p[2 * rank - 2] = p[rank - 1] = p[2 * rank - 1] = 0;
    }
    padsValue = ir::TensorData::fromInts(pads.dtype, pads.shape, p);
    ptrs[1] = &padsValue;
  }
  auto results = interp::evaluate(node, ptrs);
  if (!results)
    return results.error();
  ir::TensorData &r = (*results)[0];
  ir::Shape want = out.shape;
  if (!want.empty())
    want.back() = s.out.cols();
  if (want.size() >= 2)
    want[want.size() - 2] = s.out.rows();
  if (r.shape != want)
    return ir::nodeError(g_.nodes[s.node], "computing rows {}..{}, columns {}..{} gave {}, not {}",
                         s.out.row0, s.out.row1, s.out.col0, s.out.col1, ir::toString(r.shape),
                         ir::toString(want));
  return std::move(r);
}

Expected<std::vector<ir::TensorData>> Runner::run(const std::vector<ir::TensorData> &inputs) {
  if (!p_.floatActivations)
    return makeError("plan execution in the float interpreter needs a plan made with --float");
  arena_.assign(static_cast<size_t>(p_.summary.arenaBytes), 0);
  // The buffer holding tensor t at `step` (a kernel's Scratch buffer names its node's
  // output only for reports: it never holds the tensor).
  auto inputBuffer = [&](ir::TensorId t, int step) {
    for (size_t b = 0; b < p_.buffers.size(); ++b)
      if (p_.buffers[b].tensor == t && p_.buffers[b].kind != BufferKind::Scratch &&
          p_.buffers[b].firstStep <= step &&
          step <= p_.buffers[b].lastStep)
        return static_cast<int>(b);
    return -1;
  };
  for (size_t k = 0; k < g_.inputs.size(); ++k) {
    if (p_.streamedInput)
      break;
    int b = inputBuffer(g_.inputs[k], 0);
    if (b >= 0)
      store(b, wholeRegion(g_.tensor(g_.inputs[k])), inputs[k]);
  }
  for (const Step &s : p_.steps) {
    if (s.kind == StepKind::Stream) {
      size_t k = std::find(g_.inputs.begin(), g_.inputs.end(), s.streamed) - g_.inputs.begin();
      ir::TensorData rows = inputs[k];
      // Crop the delivered rows out of the caller's frame.
      Dims d = dims(s.streamed);
      ir::TensorData part =
          ir::TensorData::zeros(rows.dtype, {1, d.channels, s.out.rows(), s.out.cols()});
      for (int64_t ch = 0; ch < d.channels; ++ch)
        for (int64_t y = s.out.row0; y < s.out.row1; ++y)
          for (int64_t x = s.out.col0; x < s.out.col1; ++x)
            copyElement(rows, static_cast<size_t>((ch * d.rows + y) * d.cols + x), part,
                        static_cast<size_t>((ch * s.out.rows() + (y - s.out.row0)) * s.out.cols() +
                                            (x - s.out.col0)));
      store(s.outputs[0], s.out, part);
      continue;
    }
    if (s.accumulate) {
      RNNPOOLC_TRY(accumulate(s));
      continue;
    }
    if (g_.nodes[s.node].outputs.size() != 1) {
      // Multi-output nodes run layer by layer: whole inputs, whole outputs.
      std::vector<ir::TensorData> values(g_.nodes[s.node].inputs.size());
      std::vector<const ir::TensorData *> ptrs(values.size(), nullptr);
      for (size_t k = 0; k < values.size(); ++k) {
        ir::TensorId in = g_.nodes[s.node].inputs[k];
        if (in == ir::kNoTensor)
          continue;
        if (g_.tensor(in).isConstant()) {
          ptrs[k] = g_.tensor(in).data.get();
        } else {
          values[k] = load(s.inputs[k], wholeRegion(g_.tensor(in)));
          ptrs[k] = &values[k];
        }
      }
      auto results = interp::evaluate(g_.nodes[s.node], ptrs);
      if (!results)
        return results.error();
      for (size_t k = 0; k < results->size(); ++k)
        store(s.outputs[k], wholeRegion(g_.tensor(g_.nodes[s.node].outputs[k])), (*results)[k]);
      continue;
    }
    // A tile whose output lies wholly in a following Pad's padding reads nothing and
    // writes nothing (the C kernels loop over an empty region).
    if (s.out.rows() <= 0 || s.out.cols() <= 0)
      continue;
    auto value = compute(s);
    if (!value)
      return value.error();
    store(s.outputs[0], s.out, *value);
  }
  std::vector<ir::TensorData> outputs;
  int last = static_cast<int>(p_.steps.size()) - 1;
  for (ir::TensorId out : g_.outputs) {
    if (g_.tensor(out).isConstant()) {
      outputs.push_back(*g_.tensor(out).data);
      continue;
    }
    int b = inputBuffer(out, std::max(0, last));
    if (b < 0 && p_.streamedInput &&
        std::find(g_.inputs.begin(), g_.inputs.end(), out) != g_.inputs.end())
      return makeError("output '{}' is the model input itself, which a streamed plan never "
                       "holds whole (an output that is an input is not supported with "
                       "--stream-input)",
                       g_.tensor(out).name);
    if (b < 0)
      return makeError("internal: no buffer holds output '{}' at the end", g_.tensor(out).name);
    outputs.push_back(load(b, wholeRegion(g_.tensor(out))));
  }
  return outputs;
}

} // namespace

Expected<std::vector<ir::TensorData>> executePlan(const ir::Graph &graph, const Plan &plan,
                                                  const std::vector<ir::TensorData> &inputs) {
  return Runner(graph, plan).run(inputs);
}

} // namespace rnnpoolc::interp
