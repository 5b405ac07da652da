// The float build's file emitters: model.h, model.c, model_weights.c and build fragments.
#include "targets/c/FloatEmitter.h"

#include "compiler/ir/Printer.h"
#include "targets/EmbeddedFiles.h"
#include "targets/c/CParams.h"
#include "targets/c/ModelHeader.h"
#include "targets/c/Schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

namespace rnnpoolc::targets::c {
namespace {

/// Shared state of one generation: the lowered float model and what the printers need.
struct Emitter {
  const LoweredModel &l;
  const CodegenOptions &options;

  const ir::Graph &graph() const { return *l.graph; }
  const plan::Plan &plan() const { return *l.plan; }
  const ir::Tensor &tensor(ir::TensorId t) const { return graph().tensor(t); }
  int64_t elems(ir::TensorId t) const { return ir::checkedNumel(tensor(t).shape).value_or(0); }
  /// "(float *)(a + 1024)": the floats of buffer `b` in the arena.
  std::string at(int b) const {
    return fmt::format("(float *)(void *)(a + {})", l.buffers[static_cast<size_t>(b)].offset);
  }
  /// The C name of constant array `a`: "model_s3_conv_weights".
  std::string symbol(int a) const { return arrayName(l, a); }
};

/// "rp_buffer_pixel_f32(model_buffers, a, BUFFER, Y, X)".
std::string pixel(const std::string &buffer, const std::string &y, const std::string &x) {
  return fmt::format("rp_buffer_pixel_f32(model_buffers, a, {}, {}, {})", buffer, y, x);
}

/// The statements of a view kernel's layer function: the step's region through views.
std::string viewBody(const LoweredLayer &layer) {
  const bool rnnpool = !layer.floatKernel->scratch.empty();
  return fmt::format(
      "  const rp_region_f32 region = rp_step_region_f32(s);\n"
      "  const rp_view_f32 in = rp_buffer_view_f32(model_buffers, a, s->in[0]);\n"
      "  rp_view_f32 out = rp_buffer_view_f32(model_buffers, a, s->out);\n"
      "  {}(&{}, &in, &out, &region{});\n",
      layer.function(), layer.name,
      rnnpool ? ", a + s->scratch, s->carry ? RP_RNNPOOL_F32_CONTINUE : 1" : "");
}

/// The statements of a row kernel's layer function over each row of the step's region.
std::string rowsBody(const Emitter &e, const LoweredLayer &layer) {
  const ir::Shape &y = e.tensor(e.graph().nodes[layer.node].outputs[0]).shape;
  const std::string &p = layer.name;
  const std::string values = fmt::format("(s->col1 - s->col0) * {}", layer.outChannels);
  auto row = [](const char *buffer) { return pixel(buffer, "y", "s->col0"); };
  std::string head = "  int32_t y;\n", call;
  switch (layer.floatKind) {
  case FloatKind::Alias:
    call = fmt::format("rp_copy_f32({}, {}, {});", row("s->in[0]"), row("s->out"), values);
    break;
  case FloatKind::Unary:
    call = fmt::format("rp_unary_f32(&{}, {}, {}, {});", p, row("s->in[0]"), row("s->out"),
                       values);
    break;
  case FloatKind::Add:
    call = fmt::format("rp_add_f32({}, {}, {}, {});", row("s->in[0]"), row("s->in[1]"),
                       row("s->out"), values);
    break;
  case FloatKind::L2Norm:
    head = fmt::format("  rp_l2norm_f32_params p = {};\n  int32_t y;\n"
                       "  p.pixels = s->col1 - s->col0;\n",
                       p);
    call = fmt::format("rp_l2norm_f32(&p, {}, {});", row("s->in[0]"), row("s->out"));
    break;
  case FloatKind::ChannelStep: // a slice of the channels
    call = fmt::format("rp_channel_step_f32(&{}, {}, {}, s->col1 - s->col0);", p,
                       row("s->in[0]"), row("s->out"));
    break;
  case FloatKind::Concat: { // along the channels: row y of every input
    head = fmt::format("  rp_concat_f32_params p = {};\n  int32_t y;\n"
                       "  p.pixels = s->col1 - s->col0;\n",
                       p);
    std::string list;
    for (size_t k = 0; k < layer.wholeInputs.size(); ++k)
      list += ",\n        " + pixel(std::to_string(layer.wholeInputs[k]), "y", "s->col0");
    return head + fmt::format("  for (y = s->row0; y < s->row1; ++y) {{\n"
                              "    const float *const inputs[] = {{{}}};\n"
                              "    rp_concat_f32(&p, inputs, {});\n"
                              "  }}\n",
                              list.substr(1), row("s->out"));
  }
  case FloatKind::ChannelShuffle:
    head = fmt::format("  rp_channel_shuffle_f32_params p = {};\n  int32_t y;\n"
                       "  p.pixels = s->col1 - s->col0;\n",
                       p);
    call = fmt::format("rp_channel_shuffle_f32(&p, {}, {});", row("s->in[0]"), row("s->out"));
    break;
  case FloatKind::Binary: {
    // An operand is a constant array (indexed by the row's first pixel), or the arena
    // buffer of the node input feeding it, s->in[slot].
    head = fmt::format("  rp_binary_f32_params p = {};\n  int32_t y;\n"
                       "  p.pixels = s->col1 - s->col0;\n",
                       p);
    std::string operands[2];
    const char *names[2] = {"a", "b"};
    for (size_t k = 0; k < 2; ++k) {
      const LoweredOperand &op = layer.operands.at(k);
      if (op.array >= 0) {
        operands[k] = fmt::format("{} + (y * {} + s->col0) * p.{}.pixel_stride",
                                  e.symbol(op.array), y[3], names[k]);
        continue;
      }
      const std::string buffer = fmt::format("s->in[{}]", op.slot);
      operands[k] = fmt::format("p.{}.pixel_stride ? {} : {}", names[k],
                                pixel(buffer, "y", "s->col0"), pixel(buffer, "0", "0"));
    }
    call =
        fmt::format("rp_binary_f32(&p, {}, {}, {});", operands[0], operands[1], row("s->out"));
    break;
  }
  default:
    break; // the lowering admits no other kind here
  }
  return head + "  for (y = s->row0; y < s->row1; ++y)\n    " + call + "\n";
}

/// The statements of a kernel called once over whole tensors: the plan's one step of the
/// node, its buffers' offsets written in.
Expected<std::string> wholeBody(const Emitter &e, const LoweredLayer &layer) {
  const std::string p = "&" + layer.name;
  auto in = [&](size_t k) { return e.at(layer.wholeInputs.at(k)); };
  const std::string out = e.at(layer.wholeOutputs.at(0));
  const int64_t count = e.elems(e.graph().nodes[layer.node].outputs[0]);
  std::string s = "  (void)s;\n";
  if (callsParamsInOut(layer.floatKind))
    return s + fmt::format("  {}({}, {}, {});\n", layer.function(), p, in(0), out);
  switch (layer.floatKind) {
  case FloatKind::Alias:
    return s + fmt::format("  rp_copy_f32({}, {}, {});\n", in(0), out, layer.copyCount);
  case FloatKind::Conv:
  case FloatKind::MaxPool:
  case FloatKind::AvgPool:
  case FloatKind::Pad:
  case FloatKind::RNNPool:
    break; // view kernels: viewBody
  case FloatKind::ChannelStep:
    return s +
           fmt::format("  rp_channel_step_f32({}, {}, {}, {});\n", p, in(0), out, layer.pixels);
  default: // callsParamsInOut, above
    break;
  case FloatKind::Add:
    return s + fmt::format("  rp_add_f32({}, {}, {}, {});\n", in(0), in(1), out, count);
  case FloatKind::Unary:
    return s + fmt::format("  rp_unary_f32({}, {}, {}, {});\n", p, in(0), out, count);
  case FloatKind::Binary: {
    std::string operands[2];
    for (size_t k = 0; k < 2; ++k) {
      const LoweredOperand &op = layer.operands.at(k);
      operands[k] = op.array < 0 ? in(op.input) : e.symbol(op.array);
    }
    return s +
           fmt::format("  rp_binary_f32({}, {}, {}, {});\n", p, operands[0], operands[1], out);
  }
  case FloatKind::Split: {
    std::string list;
    for (size_t k = 0; k < layer.wholeOutputs.size(); ++k)
      list += (k ? ", " : "") + e.at(layer.wholeOutputs[k]);
    return s + fmt::format("  float *const outputs[] = {{{}}};\n"
                           "  rp_split_f32({}, {}, outputs);\n",
                           list, p, in(0));
  }
  case FloatKind::Concat: {
    std::string list;
    for (size_t k = 0; k < layer.wholeInputs.size(); ++k)
      list += (k ? ", " : "") + in(k);
    return s + fmt::format("  const float *const inputs[] = {{{}}};\n"
                           "  rp_concat_f32({}, inputs, {});\n",
                           list, p, out);
  }
  }
  return makeError("internal error: no whole-tensor call for float kernel {}",
                   layer.kernelName());
}

/// The layer function of a layer, with an empty body when no step of it runs.
Expected<std::string> layerFunction(const Emitter &e, const LoweredLayer &layer) {
  const ir::Node &node = e.graph().nodes[layer.node];
  const ir::Tensor &out = e.tensor(node.outputs[0]);
  std::string body;
  if (layer.callShape() == quant::CallShape::View) {
    body = viewBody(layer);
  } else if (layer.banded) {
    body = rowsBody(e, layer);
  } else if (!layer.wholeOutputs.empty()) {
    auto whole = wholeBody(e, layer);
    if (!whole)
      return ir::nodeError(node, "{}", whole.error().message());
    body = *whole;
  }
  return fmt::format("/* node '{}' ({}, {}) -> '{}' [{}] */\n"
                     "static void model_layer_{}(uint8_t *a, const model_step *s) {{\n{}}}\n\n",
                     commentSafe(node.name), ir::opName(node.op), layer.kernelName(),
                     commentSafe(out.name), ir::toString(out.shape), layer.node,
                     body.empty() ? "  (void)a;\n  (void)s;\n" : body);
}

/// "const float NAME[N] = {...};", 8 values a line, or the integer array's definition.
std::string arrayDefinition(const LoweredArray &a, const std::string &name, bool isExtern) {
  if (!a.floats)
    return c::arrayDefinition(*a.data, name, isExtern);
  const std::vector<float> &values = *a.floats;
  std::string head = fmt::format("const float {}[{}]", name, values.size());
  if (isExtern)
    return "extern " + head + ";\n";
  std::string text = head + " = {";
  for (size_t k = 0; k < values.size(); ++k)
    text += (k % 8 == 0 ? "\n  " : " ") + cFloat(values[k]) + ",";
  return text + "\n};\n";
}

/// model_quantize_input(): one case per input, with the NCHW -> HWC index change for 4-D.
std::string storeInputFunction(const Emitter &e) {
  std::string s = "void model_quantize_input(int32_t index, const float *x, int32_t first, "
                  "int32_t n, void *arena) {\n  uint8_t *const a = (uint8_t *)arena;\n"
                  "  int32_t i;\n  switch (index) {\n";
  for (size_t k = 0; k < e.graph().inputs.size(); ++k) {
    ir::TensorId t = e.graph().inputs[k];
    const ir::Shape &sh = e.tensor(t).shape;
    const std::string at = fmt::format("(float *)(void *)(a + {})", e.l.inputOffset[k]);
    s += fmt::format("  case {}: /* '{}' */\n", k, commentSafe(e.tensor(t).name));
    if (sh.size() == 4 && sh[1] > 1)
      s += fmt::format("    rp_store_planes_f32(x, {}, first, n, {}, {});\n", at, sh[2] * sh[3],
                       sh[1]);
    else
      s += fmt::format("    for (i = 0; i < n; ++i)\n      ({})[first + i] = x[i];\n", at);
    s += "    break;\n";
  }
  return s + "  default:\n    break;\n  }\n  (void)i;\n  (void)a;\n}\n";
}

/// model_quantize_pixels(): floats are stored as they are.
const char *kStorePixels =
    "void model_quantize_pixels(int32_t index, const float *x, int32_t n, int8_t *dst) {\n"
    "  float *const d = (float *)(void *)dst;\n  int32_t i;\n  (void)index;\n"
    "  for (i = 0; i < n; ++i)\n    d[i] = x[i];\n}\n";

Expected<std::string> modelSource(const Emitter &e) {
  const ir::Graph &g = e.graph();
  std::string s = banner(e.l, e.options,
                         "model.c: the schedule of the generated model: the memory plan's "
                         "buffers and steps, one float kernel function per layer.");
  s += "#define RP_SINGLE_TU /* the runtime's kernels become static: each call is "
       "specialised */\n#include \"rnnpoolc_runtime_f32_all.c\"\n#include \"model.h\"\n\n";
  s += "/* Define MODEL_TRACE(node, values, count) to see each step's float32 output: called "
       "after\n * every step with the node index, the first value the step wrote and how "
       "many it\n * computed (a node in row bands or tiles runs as several steps). */\n"
       "#ifdef MODEL_TRACE\n"
       "static void model_trace(int32_t node, const float *values, const rp_step_f32 *step);\n"
       "#define MODEL_TRACE_HOOK model_trace\n#else\n#define MODEL_TRACE_HOOK 0\n#endif\n\n";
  s += "/* Constant data, in model_weights.c. */\n";
  for (size_t a = 0; a < e.l.arrays.size(); ++a)
    if (e.l.arrays[a].sameAs < 0) // (another's values: named as that one)
      s += arrayDefinition(e.l.arrays[a], e.symbol(static_cast<int>(a)), /*isExtern=*/true);
  s += "\n/* Kernel parameters, computed by rnnpoolc on the host. */\n";
  for (const LoweredLayer &layer : e.l.layers)
    s += paramsDefinition(e.l, layer);
  s += "\n";
  if (!e.l.streamedInput)
    s += storeInputFunction(e) + "\n";
  s += std::string(kStorePixels) + "\n" + accessorFunctions(e.l) + "\n";
  s += "/* The memory plan as tables for the runtime's schedule walker "
       "(rnnpoolc_runtime_f32.h):\n * model_buffers says where each buffer lives and which "
       "part of its tensor it holds,\n * model_steps which layer computes which rows and "
       "columns from which buffers. */\n"
       "typedef rp_buffer_f32 model_buffer;\ntypedef rp_step_f32 model_step;\n\n";
  s += bufferTable(e.l) + "\n" + stepTable(e.l) + "\n";
  s += "#ifdef MODEL_TRACE\nstatic void model_trace(int32_t node, const float *values, "
       "const rp_step_f32 *step) {\n"
       "  const int32_t count = (step->row1 - step->row0) * (step->col1 - step->col0) *\n"
       "                        model_buffers[step->out].channels;\n"
       "  (void)node;\n  (void)values;\n  (void)count;\n  MODEL_TRACE(node, values, count);\n"
       "}\n#endif\n\n";
  for (const LoweredLayer &layer : e.l.layers) {
    auto f = layerFunction(e, layer);
    if (!f)
      return f.error();
    s += *f;
  }
  s += fmt::format("static const rp_layer_f32_fn model_layers[{}] = {{\n",
                   std::max<size_t>(1, g.nodes.size()));
  for (size_t n = 0; n < g.nodes.size(); ++n)
    s += fmt::format("  model_layer_{},\n", n);
  if (g.nodes.empty())
    s += "  0\n";
  s += "};\n\nstatic const rp_schedule_f32 model_schedule = {model_buffers, model_steps, "
       "MODEL_NUM_STEPS, model_layers};\n\n";
  if (e.l.streamedInput)
    s += "void model_run(void *arena, model_read_row read_row, void *user) {\n"
         "  rp_schedule_run_f32(&model_schedule, (uint8_t *)arena, read_row, user, "
         "MODEL_TRACE_HOOK);\n}\n";
  else
    s += "void model_run(void *arena) {\n"
         "  rp_schedule_run_f32(&model_schedule, (uint8_t *)arena, 0, 0, MODEL_TRACE_HOOK);\n"
         "}\n";
  return s;
}

std::string weightsSource(const Emitter &e) {
  std::string s = banner(e.l, e.options,
                         "model_weights.c: the constant data of the generated model "
                         "(const, so the linker places it in flash).");
  s += "#include <math.h>\n#include <stdint.h>\n";
  for (const LoweredLayer &layer : e.l.layers) {
    if (layer.arrays.empty())
      continue;
    s += fmt::format("\n/* node '{}' */\n", commentSafe(e.graph().nodes[layer.node].name));
    for (int a : layer.arrays) {
      const LoweredArray &array = e.l.arrays[static_cast<size_t>(a)];
      if (array.sameAs >= 0) {
        s += fmt::format("/* {}: the values of {} */\n",
                         arraySymbol("model_" + layer.name, array.field), e.symbol(a));
        continue;
      }
      s += arrayDefinition(array, e.symbol(a), /*isExtern=*/true);
      s += arrayDefinition(array, e.symbol(a), /*isExtern=*/false);
    }
  }
  return s;
}

const char *kMakeFragment =
    R"(# rnnpoolc generated model (float32 build): include this from a Makefile, then
# add $(MODEL_SRCS) to the sources, $(MODEL_CFLAGS) to the C flags and $(MODEL_LIBS) to
# the link (the float kernels call expf and tanhf).
MODEL_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
MODEL_SRCS := $(MODEL_DIR)/model.c $(MODEL_DIR)/model_weights.c
MODEL_CFLAGS := -std=c99 -I$(MODEL_DIR)
MODEL_LIBS := -lm
)";

const char *kCMakeFragment =
    R"(# rnnpoolc generated model (float32 build): add_subdirectory() this directory,
# then link rnnpoolc_model. model.c includes the float runtime sources (one translation unit).
add_library(rnnpoolc_model STATIC model.c model_weights.c)
target_include_directories(rnnpoolc_model PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
set_target_properties(rnnpoolc_model PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON
                      C_EXTENSIONS OFF)
target_link_libraries(rnnpoolc_model PUBLIC m)
)";

} // namespace

Expected<std::vector<GeneratedFile>> floatFiles(const LoweredModel &lowered,
                                                const CodegenOptions &options) {
  const Emitter e{lowered, options};
  auto source = modelSource(e);
  if (!source)
    return source.error();
  std::vector<GeneratedFile> files = {{"model.h", modelHeader(lowered, options)},
                                      {"model.c", *source},
                                      {"model_weights.c", weightsSource(e)},
                                      {"model.mk", kMakeFragment},
                                      {"CMakeLists.txt", kCMakeFragment}};
  for (const EmbeddedFile &f : floatRuntimeFiles())
    files.push_back({f.name, std::string(f.text())});
  return files;
}

Expected<std::vector<GeneratedFile>>
generateFloatC(const FloatModel &model, const plan::Plan &plan, const CodegenOptions &options) {
  return generate(CTarget(), model, plan, options);
}

} // namespace rnnpoolc::targets::c
