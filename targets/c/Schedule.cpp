// model.c's schedule from the lowered model (see Schedule.h).
#include "targets/c/Schedule.h"

#include "compiler/ir/Printer.h"
#include "targets/c/CParams.h"

#include <fmt/format.h>

#include <algorithm>

namespace rnnpoolc::targets::c {
namespace {

/// The types of the tables, as the walker reads them.
const char *kPrelude = R"(/* The memory plan as tables for the runtime's schedule walker (rp_schedule.h):
 * model_buffers says where each buffer lives and which part of its tensor it holds,
 * model_steps which layer computes which rows and columns from which buffers. */
typedef rp_buffer model_buffer;
typedef rp_step model_step;

)";

class Printer {
public:
  explicit Printer(const LoweredModel &lowered)
      : l_(lowered), g_(*lowered.graph) {}
  std::string run() const;

private:
  const LoweredModel &l_;
  const ir::Graph &g_;

  std::string callBody(const LoweredLayer &layer) const;
  std::string layerFunction(const LoweredLayer &layer) const;
};

} // namespace

std::string bufferTable(const LoweredModel &lowered) {
  const ir::Graph &g = *lowered.graph;
  std::string s = fmt::format("static const model_buffer model_buffers[{}] = {{\n",
                              std::max<size_t>(1, lowered.buffers.size()));
  for (size_t i = 0; i < lowered.buffers.size(); ++i) {
    const LoweredBuffer &b = lowered.buffers[i];
    const char *kind = b.kind == plan::BufferKind::Ring      ? "ring"
                       : b.kind == plan::BufferKind::Scratch ? "scratch"
                                                             : "region";
    s += fmt::format("  {{{}, {}, {}, {}, {}, {}, {}}}, /* {}: {} of '{}', {} bytes */\n",
                     b.offset, b.row0, b.col0, b.rows, b.cols, b.ringRows, b.channels, i, kind,
                     commentSafe(g.tensor(b.tensor).name), b.bytes);
  }
  if (lowered.buffers.empty())
    s += "  {0, 0, 0, 0, 0, 0, 0},\n";
  return s + "};\n";
}

std::string stepTable(const LoweredModel &lowered) {
  const ir::Graph &g = *lowered.graph;
  std::string s;
  for (const LoweredStep &st : lowered.steps) {
    const std::string what =
        st.layer < 0 ? "input '" + g.tensor(g.inputs[static_cast<size_t>(-1 - st.layer)]).name + "'"
                     : "'" + g.nodes[static_cast<size_t>(st.layer)].name + "'";
    const ir::Region &r = st.region;
    s += fmt::format("  {{{}, {}, {{{}, {}}}, {}, {}, {}, {}, {}, {}}}, /* {} rows {}-{}, "
                     "columns {}-{} */\n",
                     st.layer, st.out, st.in[0], st.in[1], st.scratch, r.row0, r.row1, r.col0,
                     r.col1, st.carry ? 1 : 0, commentSafe(what), r.row0, r.row1 - 1, r.col0,
                     r.col1 - 1);
  }
  const size_t count = lowered.steps.size();
  return fmt::format("#define MODEL_NUM_STEPS {}\nstatic const model_step model_steps[{}] = {{\n",
                     count, std::max<size_t>(1, count)) +
         (count ? s : "  {0, 0, {-1, -1}, -1, 0, 0, 0, 0, 0},\n") + "};\n";
}

namespace {

/// The statements of a layer function: its kernel called as the kernel table's form says,
/// on the step's region (view forms), on each row of it (row forms) or on whole tensors.
std::string Printer::callBody(const LoweredLayer &layer) const {
  const quant::KernelInfo &k = *layer.kernel;
  const std::string &p = layer.name;
  auto pixel = [](const std::string &buffer, const char *y, const char *x) {
    return fmt::format("rp_buffer_pixel(model_buffers, a, {}, {}, {})", buffer, y, x);
  };
  auto row = [&](const char *buffer) { return pixel(buffer, "y", "s->col0"); };
  const std::string whole = pixel("s->in[0]", "0", "0"), out = pixel("s->out", "0", "0");
  if (layer.wholeCopy)
    return fmt::format("  {}({}, {}, {});\n", k.function, whole, out, layer.copyCount);
  if (layer.accumulate) // a global average pool over the input rows of the step, then done
    return fmt::format(
        "  int32_t *const sums = (int32_t *)(void *)(a + s->scratch);\n"
        "  int32_t y;\n"
        "  for (y = s->row0; y < s->row1; ++y)\n"
        "    rp_global_avgpool_rows_s8(&{0}, {1}, sums, s->col1 - s->col0, y == s->row0 && "
        "!s->carry);\n"
        "  if (s->row1 == {0}.in_h)\n"
        "    rp_global_avgpool_finish_s8(&{0}, sums, {2});\n",
        p, row("s->in[0]"), out);
  const std::string values = fmt::format("(s->col1 - s->col0) * {}", layer.outChannels);
  std::string call;
  switch (k.form) {
  case quant::KernelForm::View:
  case quant::KernelForm::ViewScratch:
    if (layer.fusedExpansion >= 0) // its steps compute the expansion before it, too
      return fmt::format(
          "  const rp_region region = rp_step_region(s);\n"
          "  const rp_view in = rp_buffer_view(model_buffers, a, s->in[0]); /* {0}'s input */\n"
          "  rp_view out = rp_buffer_view(model_buffers, a, s->out);\n"
          "  {3}(&{0}, &{1}, &in, &out, &region, a + s->scratch, {2}{4});\n",
          l_.layers.at(static_cast<size_t>(layer.fusedExpansion)).name, p, layer.fuseGroup,
          layer.fuseRows ? "rp_expand_dw_rows_s8" : "rp_expand_dw_s8",
          layer.fuseRows ? ", s->carry" : "");
    if (layer.inPlaceChunk > 0) // its steps with scratch write over their input
      return fmt::format(
          "  const rp_region region = rp_step_region(s);\n"
          "  const rp_view in = rp_buffer_view(model_buffers, a, s->in[0]);\n"
          "  rp_view out = rp_buffer_view(model_buffers, a, s->out);\n"
          "  if (s->scratch >= 0) /* in place: over its input (a ring's slot, or its tile) */\n"
          "    rp_conv_in_place_s8(&{1}, &in, &out, &region, a + s->scratch, {2});\n"
          "  else\n"
          "    {0}(&{1}, &in, &out, &region);\n",
          k.function, p, layer.inPlaceChunk);
    return fmt::format("  const rp_region region = rp_step_region(s);\n"
                       "  const rp_view in = rp_buffer_view(model_buffers, a, s->in[0]);\n"
                       "  rp_view out = rp_buffer_view(model_buffers, a, s->out);\n"
                       "  {}(&{}, &in, &out, &region{});\n",
                       k.function, p,
                       k.form == quant::KernelForm::ViewScratch
                           ? ", a + s->scratch, s->carry ? RP_RNNPOOL_CONTINUE : 1"
                           : "");
  case quant::KernelForm::Copy:
    call = fmt::format("{}({}, {}, {});", k.function, row("s->in[0]"), row("s->out"), values);
    break;
  case quant::KernelForm::Unary:
    call = fmt::format("{}(&{}, {}, {}, {});", k.function, p, row("s->in[0]"), row("s->out"),
                       values);
    break;
  case quant::KernelForm::Binary:
    call = fmt::format("{}(&{}, {}, {}, {}, {});", k.function, p, row("s->in[0]"),
                       row("s->in[1]"), row("s->out"), values);
    break;
  case quant::KernelForm::Pixels:
    // Pixels of the row: the row's values over the values each kernel pixel spans.
    call = fmt::format("{}(&{}, {}, {}, {});", k.function, p, row("s->in[0]"), row("s->out"),
                       layer.pixelChannels == layer.outChannels
                           ? std::string("s->col1 - s->col0")
                           : fmt::format("{} / {}", values, layer.pixelChannels));
    break;
  case quant::KernelForm::Gate: {
    // The gate's values for the row: all of it (one value per channel) or its own row.
    call = fmt::format("{}(&{}, {}, {}, {}, s->col1 - s->col0);", k.function, p,
                       row("s->in[0]"),
                       layer.perPixelGate ? row("s->in[1]") : pixel("s->in[1]", "0", "0"),
                       row("s->out"));
    break;
  }
  case quant::KernelForm::Table: {
    call = fmt::format("{}({}, {}, {}, {});", k.function, arrayName(l_, layer.arrays.at(0)),
                       row("s->in[0]"), row("s->out"), values);
    break;
  }
  case quant::KernelForm::WholeUnary:
    return fmt::format("  {}(&{}, {}, {});\n", k.function, p, whole, out);
  case quant::KernelForm::WholeList: {
    // A banded channel Concat: row y of each input, a row of the step's columns at a time.
    const char *y = layer.banded ? "y" : "0", *x = layer.banded ? "s->col0" : "0";
    std::string list;
    for (size_t i = 0; i < layer.wholeInputs.size(); ++i)
      list += (i ? (layer.banded ? ",\n        " : ", ") : "") +
              pixel(std::to_string(layer.wholeInputs[i]), y, x);
    if (!layer.banded)
      return fmt::format("  const int8_t *const inputs[] = {{{}}};\n  {}(&{}, inputs, {});\n",
                         list, k.function, p, out);
    return fmt::format("  int32_t y;\n"
                       "  for (y = s->row0; y < s->row1; ++y) {{\n"
                       "    const int8_t *const inputs[] = {{\n        {}}};\n"
                       "    rp_concat_pixels_s8(&{}, inputs, {},\n"
                       "                        s->col1 - s->col0);\n"
                       "  }}\n",
                       list, p, row("s->out"));
  }
  }
  return "  int32_t y;\n  for (y = s->row0; y < s->row1; ++y)\n    " + call + "\n";
}

std::string Printer::layerFunction(const LoweredLayer &layer) const {
  const ir::Node &node = g_.nodes[layer.node];
  const ir::Tensor &out = g_.tensor(node.outputs[0]);
  std::string q;
  if (out.quant && !out.quant->scale.empty())
    q = fmt::format(", scale {:.9g}, zero point {}", out.quant->scale[0],
                    out.quant->zeroPoint.empty() ? 0 : out.quant->zeroPoint[0]);
  // An expansion that a depthwise conv computes in its steps has none of its own.
  std::string fused;
  for (const LoweredLayer &other : l_.layers)
    if (other.fusedExpansion == static_cast<int>(layer.node))
      fused = fmt::format("; computed by the steps of node '{}'",
                          commentSafe(g_.nodes[other.node].name));
  return fmt::format("/* node '{}' ({}, {}) -> '{}' [{}]{}{} */\n"
                     "static void model_layer_{}(int8_t *a, const model_step *s) {{\n{}}}\n\n",
                     commentSafe(node.name), ir::opName(node.op), layer.kernel->name,
                     commentSafe(out.name), ir::toString(out.shape), q, fused, layer.node,
                     callBody(layer));
}

std::string Printer::run() const {
  std::string s = kPrelude + bufferTable(l_) + "\n" + stepTable(l_) + "\n";
  for (const LoweredLayer &layer : l_.layers)
    s += layerFunction(layer);
  s += fmt::format("static const rp_layer_fn model_layers[{}] = {{\n",
                   std::max<size_t>(1, l_.layers.size()));
  for (const LoweredLayer &layer : l_.layers)
    s += fmt::format("  model_layer_{},\n", layer.node);
  if (l_.layers.empty()) // a model whose outputs are its inputs: C has no empty initializer
    s += "  0\n";
  s += "};\n\nstatic const rp_schedule model_schedule = {model_buffers, model_steps, "
       "MODEL_NUM_STEPS, model_layers};\n\n";
  if (l_.streamedInput)
    s += "void model_run(void *arena, model_read_row read_row, void *user) {\n"
         "  rp_schedule_run(&model_schedule, (int8_t *)arena, read_row, user, MODEL_TRACE_HOOK);\n"
         "}\n";
  else
    s += "void model_run(void *arena) {\n"
         "  rp_schedule_run(&model_schedule, (int8_t *)arena, 0, 0, MODEL_TRACE_HOOK);\n"
         "}\n";
  return s;
}

} // namespace

std::string scheduleSource(const LoweredModel &lowered) { return Printer(lowered).run(); }

} // namespace rnnpoolc::targets::c
