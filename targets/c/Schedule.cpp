// model.c's schedule from a verified plan (see Schedule.h).
#include "targets/c/Schedule.h"

#include "compiler/ir/Printer.h"
#include "targets/c/CParams.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <map>

namespace rnnpoolc::targets::c {
namespace {

using quant::KernelKind;

/// How a kernel consumes a step's region.
enum class Shape {
  View,        ///< rp_view / rp_region kernels: any region, rings and tiles included
  Rows,        ///< elementwise (pointer, count) kernels: called once per row of the region
  Whole,       ///< whole tensors only: one step over the whole output
};

Shape shapeOf(KernelKind kind) {
  switch (kind) {
  case KernelKind::Conv:
  case KernelKind::MaxPool:
  case KernelKind::AvgPool:
  case KernelKind::RNNPool:
  case KernelKind::Pad:
  case KernelKind::PadMode: return Shape::View;
  case KernelKind::Alias:
  case KernelKind::Add:
  case KernelKind::Requant:
  case KernelKind::Lut:
  case KernelKind::L2Norm:
  case KernelKind::Mul:
  case KernelKind::MulChannel:
  case KernelKind::ChannelSlice:
  case KernelKind::ChannelStep:
  case KernelKind::ReduceExtreme:
  case KernelKind::ReduceMean:
  case KernelKind::MinMax: return Shape::Rows;
  case KernelKind::Permute:
  case KernelKind::FullyConnected:
  case KernelKind::GlobalAvgPool:
  case KernelKind::Softmax:
  case KernelKind::Concat: return Shape::Whole;
  }
  return Shape::Whole;
}

/// The buffer of tensor `t` that holds all of it over [first, last] steps, or -1.
int wholeBufferOf(const ir::Graph &g, const plan::Plan &plan, ir::TensorId t, int first,
                  int last) {
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    const plan::Buffer &buf = plan.buffers[b];
    if (buf.tensor == t && buf.kind == plan::BufferKind::Region &&
        buf.region == plan::wholeRegion(g.tensor(t)) && buf.firstStep <= first &&
        buf.lastStep >= last)
      return static_cast<int>(b);
  }
  return -1;
}

class Writer {
public:
  Writer(const quant::QuantizedModel &model, const plan::Plan &plan,
         const std::vector<std::string> &names)
      : m_(model), g_(model.graph), p_(plan), names_(names) {}
  Expected<std::string> run();

private:
  const quant::QuantizedModel &m_;
  const ir::Graph &g_;
  const plan::Plan &p_;
  const std::vector<std::string> &names_;

  int64_t channels(ir::TensorId t) const { return plan::extentOf(g_.tensor(t)).channels; }
  bool skipped(const plan::Step &s) const;
  std::string bufferTable() const;
  std::string stepTable() const;
  Expected<std::string> layerFunction(size_t node) const;
  Status checkWhole(size_t node) const;
};

/// A step of an in-place Alias (the output is the input's bytes) needs no code.
bool Writer::skipped(const plan::Step &s) const {
  if (s.kind != plan::StepKind::Compute || m_.layers[s.node].kind != KernelKind::Alias)
    return false;
  return s.inputs[0] >= 0 && p_.buffers[s.inputs[0]].offset == p_.buffers[s.outputs[0]].offset;
}

std::string Writer::bufferTable() const {
  std::string s = fmt::format("static const model_buffer model_buffers[{}] = {{\n",
                              std::max<size_t>(1, p_.buffers.size()));
  for (size_t b = 0; b < p_.buffers.size(); ++b) {
    const plan::Buffer &buf = p_.buffers[b];
    const ir::Tensor &t = g_.tensor(buf.tensor);
    plan::Extent e = plan::extentOf(t);
    const bool ring = buf.kind == plan::BufferKind::Ring;
    const char *kind = ring ? "ring" : buf.kind == plan::BufferKind::Scratch ? "scratch" : "region";
    s += fmt::format("  {{{}, {}, {}, {}, {}, {}, {}}}, /* {}: {} of '{}', {} bytes */\n",
                     buf.offset, ring ? 0 : buf.region.row0, ring ? 0 : buf.region.col0,
                     ring ? e.rows : buf.region.rows(), ring ? e.cols : buf.region.cols(),
                     buf.ringRows, e.channels, b, kind, commentSafe(t.name), buf.bytes);
  }
  if (p_.buffers.empty())
    s += "  {0, 0, 0, 0, 0, 0, 0},\n";
  return s + "};\n";
}

std::string Writer::stepTable() const {
  std::string s;
  size_t count = 0;
  std::map<size_t, const plan::Step *> previous; // by node
  for (const plan::Step &st : p_.steps) {
    if (skipped(st))
      continue;
    ++count;
    const bool stream = st.kind == plan::StepKind::Stream;
    int layer = static_cast<int>(st.node);
    if (stream)
      layer = -1 - static_cast<int>(std::find(g_.inputs.begin(), g_.inputs.end(), st.streamed) -
                                    g_.inputs.begin());
    int in0 = -1, in1 = -1;
    for (size_t k = 0, found = 0; !stream && k < st.inputs.size(); ++k)
      if (st.inputs[k] >= 0)
        (found++ == 0 ? in0 : in1) = st.inputs[k];
    std::string what = stream ? "input '" + g_.tensor(st.streamed).name + "'"
                              : "'" + g_.nodes[st.node].name + "'";
    int carry = 0;
    if (!stream) {
      const plan::Step *before = previous[st.node];
      carry = before && st.scratch >= 0 && before->scratch == st.scratch &&
              before->out.row1 == st.out.row0 && before->out.col0 == st.out.col0 &&
              before->out.col1 == st.out.col1;
      previous[st.node] = &st;
    }
    s += fmt::format("  {{{}, {}, {{{}, {}}}, {}, {}, {}, {}, {}, {}}}, /* {} rows {}-{}, "
                     "columns {}-{} */\n",
                     layer, st.outputs[0], in0, in1,
                     st.scratch >= 0 ? p_.buffers[st.scratch].offset : -1, st.out.row0,
                     st.out.row1, st.out.col0, st.out.col1, carry, commentSafe(what),
                     st.out.row0, st.out.row1 - 1, st.out.col0, st.out.col1 - 1);
  }
  return fmt::format("#define MODEL_NUM_STEPS {}\nstatic const model_step model_steps[{}] = {{\n",
                     count, std::max<size_t>(1, count)) +
         (count ? s : "  {0, 0, {-1, -1}, -1, 0, 0, 0, 0, 0},\n") + "};\n";
}

/// Whole-tensor kernels run as one step over whole buffers.
Status Writer::checkWhole(size_t node) const {
  for (const plan::Step &s : p_.steps) {
    if (s.kind != plan::StepKind::Compute || s.node != node)
      continue;
    bool whole = s.out == plan::wholeRegion(g_.tensor(g_.nodes[node].outputs[0]));
    for (size_t k = 0; k < s.inputs.size(); ++k)
      if (s.inputs[k] >= 0)
        whole = whole && p_.buffers[s.inputs[k]].kind == plan::BufferKind::Region &&
                p_.buffers[s.inputs[k]].region == plan::wholeRegion(g_.tensor(g_.nodes[node].inputs[k]));
    if (!whole)
      return ir::nodeError(g_.nodes[node], "the plan runs it on part of a tensor, but its "
                                           "kernel ({}) needs whole tensors",
                           quant::name(m_.layers[node].kind));
  }
  return Status::ok();
}

Expected<std::string> Writer::layerFunction(size_t n) const {
  const ir::Node &node = g_.nodes[n];
  const quant::Layer &layer = m_.layers[n];
  const std::string &p = names_[n];
  const ir::TensorId outT = node.outputs[0];
  const int64_t outC = channels(outT);
  std::string body;
  auto row = [](const char *buffer) {
    return fmt::format("model_pixel(a, {}, y, s->col0)", buffer);
  };
  const plan::Extent ein = plan::extentOf(g_.tensor(node.inputs[0]));
  const plan::Extent eout = plan::extentOf(g_.tensor(outT));
  if (layer.kind == KernelKind::Alias &&
      (ein.rows != eout.rows || ein.cols != eout.cols || ein.channels != eout.channels)) {
    // A reshape that regroups rows (a relabelled transpose, heads reshaped to [1, N, k]):
    // one copy of the whole tensor when the plan did not run it in place.
    RNNPOOLC_TRY(checkWhole(n));
    body = fmt::format("  memmove(model_pixel(a, s->out, 0, 0), "
                       "model_pixel(a, s->in[0], 0, 0), (size_t){});\n",
                       ir::numel(g_.tensor(outT).shape));
  } else switch (shapeOf(layer.kind)) {
  case Shape::View: {
    body = "  const rp_region region = model_region(s);\n"
           "  const rp_view in = model_view(a, s->in[0]);\n"
           "  rp_view out = model_view(a, s->out);\n";
    const char *fn = layer.kind == KernelKind::Conv      ? "rp_conv_s8"
                     : layer.kind == KernelKind::MaxPool ? "rp_maxpool_s8"
                     : layer.kind == KernelKind::AvgPool ? "rp_avgpool_s8"
                     : layer.kind == KernelKind::Pad     ? "rp_pad_s8"
                     : layer.kind == KernelKind::PadMode ? "rp_pad_mode_s8"
                                                         : "rp_rnnpool_s8";
    std::string extra = layer.kind == KernelKind::RNNPool
                            ? ", a + s->scratch, s->carry ? RP_RNNPOOL_CONTINUE : 1"
                            : "";
    body += fmt::format("  {}(&{}, &in, &out, &region{});\n", fn, p, extra);
    break;
  }
  case Shape::Rows: {
    std::string n = fmt::format("(s->col1 - s->col0) * {}", outC);
    const std::string pixels = "s->col1 - s->col0";
    std::string call;
    switch (layer.kind) {
    case KernelKind::L2Norm:
      call = fmt::format("rp_l2norm_s8(&{}, {}, {}, {});", p, row("s->in[0]"), row("s->out"),
                         pixels);
      break;
    case KernelKind::Mul:
      call = fmt::format("rp_mul_s8(&{}, {}, {}, {}, {});", p, row("s->in[0]"), row("s->in[1]"),
                         row("s->out"), n);
      break;
    case KernelKind::MulChannel:
      call = fmt::format("rp_mul_channel_s8(&{}, {}, {}, {});", p, row("s->in[0]"),
                         row("s->out"), pixels);
      break;
    case KernelKind::ChannelSlice:
      call = fmt::format("rp_channel_slice_s8(&{}, {}, {}, {});", p, row("s->in[0]"),
                         row("s->out"), pixels);
      break;
    case KernelKind::ChannelStep:
    case KernelKind::ReduceExtreme:
    case KernelKind::ReduceMean: {
      // Pixels of the row: the row's values over the values each pixel gives.
      const bool step = layer.kind == KernelKind::ChannelStep;
      const int64_t perPixel =
          step ? std::get<rp_channel_step_params>(layer.params).channels : 1;
      call = fmt::format("{}(&{}, {}, {}, (s->col1 - s->col0) * {} / {});",
                         step ? "rp_channel_step_s8" : "rp_reduce_channels_s8", p,
                         row("s->in[0]"), row("s->out"), outC, perPixel);
      break;
    }
    case KernelKind::MinMax:
      call = fmt::format("rp_minmax_s8(&{}, {}, {}, {}, {});", p, row("s->in[0]"),
                         row("s->in[1]"), row("s->out"), n);
      break;
    case KernelKind::Alias:
      call = fmt::format("memmove({}, {}, (size_t)({}));", row("s->out"), row("s->in[0]"), n);
      break;
    case KernelKind::Add:
      call = fmt::format("rp_add_s8(&{}, {}, {}, {}, {});", p, row("s->in[0]"), row("s->in[1]"),
                         row("s->out"), n);
      break;
    case KernelKind::Requant:
      call = fmt::format("rp_requant_s8(&{}, {}, {}, {});", p, row("s->in[0]"), row("s->out"), n);
      break;
    default: // Lut
      call = fmt::format("rp_lut_s8({}, {}, {}, {});", arraySymbol("model_" + p, layer.arrays.at(0)->field),
                         row("s->in[0]"), row("s->out"), n);
      break;
    }
    if (layer.kind == KernelKind::Add && node.inputs.size() == 2 &&
        (g_.tensor(node.inputs[0]).isConstant() || g_.tensor(node.inputs[1]).isConstant()))
      return ir::nodeError(node, "adding a constant has no int8 kernel yet");
    body = "  int32_t y;\n  for (y = s->row0; y < s->row1; ++y)\n    " + call + "\n";
    break;
  }
  case Shape::Whole: {
    RNNPOOLC_TRY(checkWhole(n));
    const std::string in = "model_pixel(a, s->in[0], 0, 0)", out = "model_pixel(a, s->out, 0, 0)";
    switch (layer.kind) {
    case KernelKind::FullyConnected: body = fmt::format("  rp_fc_s8(&{}, {}, {});\n", p, in, out); break;
    case KernelKind::GlobalAvgPool:
      body = fmt::format("  rp_global_avgpool_s8(&{}, {}, {});\n", p, in, out);
      break;
    case KernelKind::Softmax: body = fmt::format("  rp_softmax_s8(&{}, {}, {});\n", p, in, out); break;
    case KernelKind::Permute:
      body = fmt::format("  rp_permute_s8(&{}, {}, {});\n", p, in, out);
      break;
    default: { // Concat: the inputs' buffers are fixed, so they are named here
      const plan::Step *step = nullptr;
      for (const plan::Step &s : p_.steps)
        if (s.kind == plan::StepKind::Compute && s.node == n)
          step = &s;
      std::string list;
      for (size_t k = 0; step && k < step->inputs.size(); ++k)
        list += fmt::format("{}model_pixel(a, {}, 0, 0)", k ? ", " : "", step->inputs[k]);
      body = fmt::format("  const int8_t *const inputs[] = {{{}}};\n"
                         "  rp_concat_s8(&{}, inputs, {});\n",
                         list, p, out);
      break;
    }
    }
    break;
  }
  }
  const ir::Tensor &out = g_.tensor(outT);
  std::string q;
  if (out.quant && !out.quant->scale.empty())
    q = fmt::format(", scale {:.9g}, zero point {}", out.quant->scale[0],
                    out.quant->zeroPoint.empty() ? 0 : out.quant->zeroPoint[0]);
  return fmt::format("/* node '{}' ({}, {}) -> '{}' [{}]{} */\n"
                     "static void model_layer_{}(int8_t *a, const model_step *s) {{\n{}}}\n\n",
                     commentSafe(node.name), ir::opName(node.op), quant::name(layer.kind),
                     commentSafe(out.name), ir::toString(out.shape), q, n, body);
}

const char *kPrelude = R"(/* Where each buffer of the memory plan lives: element (y, x, c) of its tensor is at
 * offset + ((y - row0) * cols + (x - col0)) * channels + c, or, for a ring of line
 * buffers (ring_rows > 0), at offset + ((y % ring_rows) * cols + x) * channels + c. */
typedef struct {
  int32_t offset, row0, col0, rows, cols, ring_rows, channels;
} model_buffer;

/* One step of the plan: layer `layer` (a node index; -1 - k for streamed input k) computes
 * rows [row0, row1) x columns [col0, col1) of its output into buffer `out`, reading buffers
 * `in` (-1: none); `scratch` is the arena offset of the kernel's working memory, or -1, and
 * `carry` says that the node's previous step computed the rows just above, over the same
 * columns, with the same scratch. */
typedef struct {
  int16_t layer, out, in[2];
  int32_t scratch;
  int16_t row0, row1, col0, col1;
  int16_t carry; /* 1: the kernel goes on from what the node's previous step left in scratch */
} model_step;

)";

/// The small helpers layer functions call, each emitted only when used (so that the
/// generated code has no unused static function under -Werror).
struct Helper {
  const char *name, *text;
};
const Helper kHelpers[] = {
    {"model_view(", R"(static rp_view model_view(int8_t *a, int32_t buffer) {
  const model_buffer *b = &model_buffers[buffer];
  rp_view v;
  v.data = a + b->offset;
  v.row0 = b->row0;
  v.col0 = b->col0;
  v.rows = b->rows;
  v.cols = b->cols;
  v.ring_rows = b->ring_rows;
  return v;
}

)"},
    {"model_pixel(", R"(static int8_t *model_pixel(int8_t *a, int32_t buffer, int32_t y, int32_t x) {
  const model_buffer *b = &model_buffers[buffer];
  const int32_t row = b->ring_rows ? y % b->ring_rows : y - b->row0;
  return a + b->offset + (row * b->cols + (x - b->col0)) * b->channels;
}

)"},
    {"model_region(", R"(static rp_region model_region(const model_step *s) {
  rp_region r;
  r.row0 = s->row0;
  r.row1 = s->row1;
  r.col0 = s->col0;
  r.col1 = s->col1;
  return r;
}

)"},
};

Expected<std::string> Writer::run() {
  for (const plan::Step &s : p_.steps) {
    if (s.kind == plan::StepKind::Compute && s.outputs.size() != 1)
      return ir::nodeError(g_.nodes[s.node], "nodes with several outputs have no int8 kernel");
    if (s.out.row1 > INT16_MAX || s.out.col1 > INT16_MAX)
      return ir::nodeError(g_.nodes[s.node], "maps over 32767 rows or columns are not supported");
  }
  if (p_.buffers.size() > static_cast<size_t>(INT16_MAX) || g_.nodes.size() > INT16_MAX)
    return makeError("the plan has {} buffers and {} nodes; at most 32767 are supported",
                     p_.buffers.size(), g_.nodes.size());
  std::string layers;
  for (size_t n = 0; n < g_.nodes.size(); ++n) {
    auto fn = layerFunction(n);
    if (!fn)
      return fn.error();
    layers += *fn;
  }
  std::string s;
  s += fmt::format("static void (*const model_layers[{}])(int8_t *, const model_step *) = {{\n",
                   std::max<size_t>(1, g_.nodes.size()));
  for (size_t n = 0; n < g_.nodes.size(); ++n)
    s += fmt::format("  model_layer_{},\n", n);
  if (g_.nodes.empty()) // a model whose outputs are its inputs: C has no empty initializer
    s += "  0\n";
  s += "};\n\n";
  const bool streamed = p_.streamedInput;
  s += streamed ? "void model_run(void *arena, model_read_row read_row, void *user) {\n"
                : "void model_run(void *arena) {\n";
  // Without layers nothing reads the buffer table but MODEL_TRACE, which may be empty.
  if (layers.find("model_buffers") == std::string::npos)
    s += "  (void)model_buffers;\n";
  s += "  int8_t *const a = (int8_t *)arena;\n  int32_t i;\n"
       "  for (i = 0; i < MODEL_NUM_STEPS; ++i) {\n"
       "    const model_step *s = &model_steps[i];\n";
  if (streamed)
    s += "    if (s->layer < 0) {\n      int32_t y;\n"
         "      for (y = s->row0; y < s->row1; ++y)\n"
         "        read_row(user, -1 - s->layer, y, model_pixel(a, s->out, y, 0));\n"
         "      continue;\n    }\n";
  s += "    model_layers[s->layer](a, s);\n"
       "    MODEL_TRACE(s->layer, a + model_buffers[s->out].offset, s);\n"
       "  }\n}\n";
  std::string helpers;
  for (const Helper &h : kHelpers)
    if (layers.find(h.name) != std::string::npos || s.find(h.name) != std::string::npos)
      helpers += h.text;
  return kPrelude + bufferTable() + "\n" + stepTable() + "\n" + helpers + layers + s;
}

} // namespace

Expected<ModelBuffers> modelBuffers(const quant::QuantizedModel &model, const plan::Plan &plan) {
  const ir::Graph &g = model.graph;
  const int last = std::max(0, static_cast<int>(plan.steps.size()) - 1);
  ModelBuffers mb;
  for (ir::TensorId t : g.inputs) {
    int b = plan.streamedInput ? -1 : wholeBufferOf(g, plan, t, 0, 0);
    if (!plan.streamedInput && b < 0)
      return makeError("internal: the plan holds no whole buffer for input '{}'", g.tensor(t).name);
    mb.inputOffset.push_back(b < 0 ? -1 : plan.buffers[b].offset);
  }
  for (ir::TensorId t : g.outputs) {
    int b = wholeBufferOf(g, plan, t, last, last);
    if (b < 0)
      return makeError("output '{}' is not computed into the arena (an output that is a "
                       "constant or an input is not supported)",
                       g.tensor(t).name);
    mb.outputOffset.push_back(plan.buffers[b].offset);
  }
  return mb;
}

Expected<std::string> scheduleSource(const quant::QuantizedModel &model, const plan::Plan &plan,
                                     const std::vector<std::string> &layerNames) {
  return Writer(model, plan, layerNames).run();
}

} // namespace rnnpoolc::targets::c
