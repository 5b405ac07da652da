// The float build's file emitters: model.h, model.c, model_weights.c and build fragments.
#include "targets/c/FloatEmitter.h"

#include "compiler/ir/Printer.h"
#include "targets/EmbeddedFiles.h"
#include "targets/c/CParams.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

namespace rnnpoolc::targets::c {
namespace {

/// Kernels that can compute part of a map: through views (any region) or row by row (the
/// kernel table's call shape).
bool viewKind(FloatKind k) { return floatKernelInfo(k).shape == quant::CallShape::View; }
bool rowKind(FloatKind k) { return floatKernelInfo(k).shape == quant::CallShape::Rows; }

/// Shared state of one generation: the model, its verified plan and what follows from it.
struct Emitter {
  const FloatModel &model;
  const plan::Plan &plan;
  const CodegenOptions &options;
  std::vector<std::string> stepNames; ///< By node index: "s3_conv2_Conv".
  /// By node: true when some step computes part of the output or reads part of an input
  /// (row bands, tiles); false for a node run as one step over whole tensors.
  std::vector<bool> banded;
  std::vector<int> wholeStep;         ///< By node, when not banded: its one plan step.
  std::vector<bool> skipped;          ///< By plan step: an Alias computed in place.
  std::vector<int64_t> inputOffset;   ///< Per graph input; -1 when streamed.
  std::vector<int64_t> outputOffset;  ///< Per graph output.

  const ir::Graph &graph() const { return model.graph; }
  const ir::Tensor &tensor(ir::TensorId t) const { return model.graph.tensor(t); }
  int64_t elems(ir::TensorId t) const { return ir::checkedNumel(tensor(t).shape).value_or(0); }
  /// "(float *)(a + 1024)": the floats of buffer `b` in the arena.
  std::string at(int b) const {
    return fmt::format("(float *)(void *)(a + {})", plan.buffers[static_cast<size_t>(b)].offset);
  }
  std::string symbol(size_t node, const std::string &field) const {
    std::string s = "model_" + stepNames[node] + "_" + field;
    for (char &c : s)
      if (c == '.')
        c = '_';
    return s;
  }
};

/// Checks that the float kernels can run `plan` as it is and records how (Emitter fields).
Status prepare(Emitter &e) {
  const ir::Graph &g = e.graph();
  const plan::Plan &p = e.plan;
  if (!p.floatActivations)
    return makeError("internal: the float build needs a plan of float32 activations");
  for (const plan::Buffer &b : p.buffers)
    if (b.offset % 4 != 0)
      return makeError("internal: buffer of '{}' at arena offset {} is not float-aligned",
                       g.tensor(b.tensor).name, b.offset);
  if (p.buffers.size() > static_cast<size_t>(INT16_MAX) || g.nodes.size() > INT16_MAX)
    return makeError("the plan has {} buffers and {} nodes; at most 32767 are supported",
                     p.buffers.size(), g.nodes.size());
  e.banded.assign(g.nodes.size(), false);
  e.wholeStep.assign(g.nodes.size(), -1);
  std::vector<int> count(g.nodes.size(), 0);
  for (size_t k = 0; k < p.steps.size(); ++k) {
    const plan::Step &s = p.steps[k];
    e.skipped.push_back(false);
    if (s.out.row1 > INT16_MAX || s.out.col1 > INT16_MAX)
      return makeError("maps over 32767 rows or columns are not supported");
    if (s.kind != plan::StepKind::Compute)
      continue;
    const ir::Node &node = g.nodes[s.node];
    bool whole = s.out == plan::wholeRegion(g.tensor(node.outputs[0]));
    for (size_t i = 0; i < s.inputs.size(); ++i)
      if (s.inputs[i] >= 0)
        whole = whole && p.buffers[s.inputs[i]].kind == plan::BufferKind::Region &&
                p.buffers[s.inputs[i]].region == plan::wholeRegion(g.tensor(node.inputs[i]));
    e.banded[s.node] = e.banded[s.node] || !whole || ++count[s.node] > 1;
    e.wholeStep[s.node] = static_cast<int>(k);
    e.skipped.back() = e.model.steps[s.node].kind == FloatKind::Alias && s.inputs[0] >= 0 &&
                       p.buffers[s.inputs[0]].offset == p.buffers[s.outputs[0]].offset;
  }
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const FloatKind kind = e.model.steps[n].kind;
    if (!e.banded[n] || viewKind(kind))
      continue;
    const ir::Shape &y = g.tensor(g.nodes[n].outputs[0]).shape;
    if (!rowKind(kind) || y.size() != 4 || g.nodes[n].outputs.size() != 1)
      return ir::nodeError(g.nodes[n], "the plan runs it on part of a tensor, but its float "
                                       "kernel ({}) needs whole tensors",
                           name(kind));
  }
  const int last = std::max(0, static_cast<int>(p.steps.size()) - 1);
  for (ir::TensorId t : g.inputs) {
    const int b = p.streamedInput ? -1 : wholeBufferOf(g, p, t, 0, 0);
    if (!p.streamedInput && b < 0)
      return makeError("internal: the plan holds no whole buffer for input '{}'",
                       g.tensor(t).name);
    e.inputOffset.push_back(b < 0 ? -1 : p.buffers[b].offset);
  }
  for (ir::TensorId t : g.outputs) {
    const int b = wholeBufferOf(g, p, t, last, last);
    if (b < 0)
      return makeError("output '{}' is not computed into the arena (an output that is a "
                       "constant or an input is not supported)",
                       g.tensor(t).name);
    e.outputOffset.push_back(p.buffers[b].offset);
  }
  return Status::ok();
}

std::string banner(const Emitter &e, const std::string &what) {
  const plan::Plan &p = e.plan;
  int bands = 0, tiled = 0;
  for (const plan::RegionInfo &r : p.regions)
    (r.strategy == plan::Strategy::Tiles ? tiled : bands) +=
        r.strategy == plan::Strategy::Layer ? 0 : 1;
  return fmt::format("/* {}\n *\n * Generated by rnnpoolc {} for {} (float32 build); do not "
                     "edit.\n *   command: {}\n *   model:   {} (fingerprint {})\n"
                     " *   arena:   {} bytes (layer by layer: {}), {} steps, {} row-band and "
                     "{} tiled regions{}\n */\n",
                     what, RNNPOOLC_VERSION, e.options.target, commentSafe(e.options.command),
                     commentSafe(e.options.modelPath), e.options.modelHash,
                     p.summary.arenaBytes, p.baseline.arenaBytes, p.steps.size(), bands, tiled,
                     p.streamedInput ? ", input streamed" : "");
}

/// "rp_buffer_pixel_f32(model_buffers, a, BUFFER, Y, X)".
std::string pixel(const std::string &buffer, const std::string &y, const std::string &x) {
  return fmt::format("rp_buffer_pixel_f32(model_buffers, a, {}, {}, {})", buffer, y, x);
}

/// The statements of a view kernel's layer function: the step's region through views.
std::string viewBody(const Emitter &e, size_t n) {
  const FloatKind kind = e.model.steps[n].kind;
  const bool rnnpool = kind == FloatKind::RNNPool;
  const std::string_view function = floatKernelInfo(kind).function;
  return fmt::format("  const rp_region_f32 region = rp_step_region_f32(s);\n"
                     "  const rp_view_f32 in = rp_buffer_view_f32(model_buffers, a, s->in[0]);\n"
                     "  rp_view_f32 out = rp_buffer_view_f32(model_buffers, a, s->out);\n"
                     "  {}(&model_{}, &in, &out, &region{});\n",
                     function, e.stepNames[n],
                     // The float kernel has no carry mode: each step fills its cache anew.
                     rnnpool ? ", a + s->scratch, /*reuse=*/1" : "");
}

/// The statements of a row kernel's layer function over each row of the step's region.
std::string rowsBody(const Emitter &e, size_t n) {
  const ir::Node &node = e.graph().nodes[n];
  const FloatStep &fs = e.model.steps[n];
  const ir::Shape &y = e.tensor(node.outputs[0]).shape;
  const std::string p = "model_" + e.stepNames[n];
  const std::string values = fmt::format("(s->col1 - s->col0) * {}", y[1]);
  auto row = [](const char *buffer) { return pixel(buffer, "y", "s->col0"); };
  std::string head = "  int32_t y;\n", call;
  switch (fs.kind) {
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
  case FloatKind::Binary: {
    // An operand is a constant array (indexed by the row's first pixel), or the arena
    // buffer of the node input feeding it: s->in[k] counts the non-constant inputs before.
    head = fmt::format("  rp_binary_f32_params p = {};\n  int32_t y;\n"
                       "  p.pixels = s->col1 - s->col0;\n",
                       p);
    std::string operands[2];
    const char *names[2] = {"a", "b"};
    for (size_t k = 0; k < 2; ++k) {
      if (!fs.operandArray[k].empty()) {
        operands[k] = fmt::format("{} + (y * {} + s->col0) * p.{}.pixel_stride",
                                  e.symbol(n, fs.operandArray[k]), y[3], names[k]);
        continue;
      }
      size_t slot = 0;
      for (size_t i = 0; i < fs.operandInput[k]; ++i)
        slot += e.tensor(node.inputs[i]).isConstant() ? 0 : 1;
      const std::string buffer = fmt::format("s->in[{}]", slot);
      operands[k] = fmt::format("p.{}.pixel_stride ? {} : {}", names[k],
                                pixel(buffer, "y", "s->col0"), pixel(buffer, "0", "0"));
    }
    call = fmt::format("rp_binary_f32(&p, {}, {}, {});", operands[0], operands[1],
                       row("s->out"));
    break;
  }
  default:
    break; // prepare() admits no other kind here
  }
  return head + "  for (y = s->row0; y < s->row1; ++y)\n    " + call + "\n";
}

/// The statements of a kernel called once over whole tensors: the plan's one step of the
/// node, its buffers' offsets written in.
Expected<std::string> wholeBody(const Emitter &e, size_t n) {
  const ir::Node &node = e.graph().nodes[n];
  const FloatStep &fs = e.model.steps[n];
  const plan::Step &st = e.plan.steps[static_cast<size_t>(e.wholeStep[n])];
  const std::string p = "&model_" + e.stepNames[n];
  auto in = [&](size_t k) { return e.at(st.inputs.at(k)); };
  const std::string out = e.at(st.outputs[0]);
  const int64_t count = e.elems(node.outputs[0]);
  std::string s = "  (void)s;\n";
  switch (fs.kind) {
  case FloatKind::Alias:
    return s + fmt::format("  rp_copy_f32({}, {}, {});\n", in(0), out, count);
  case FloatKind::Conv:
  case FloatKind::MaxPool:
  case FloatKind::AvgPool:
  case FloatKind::Pad:
  case FloatKind::RNNPool:
    break; // view kernels: viewBody
  case FloatKind::ChannelStep:
    return s + fmt::format("  rp_channel_step_f32({}, {}, {}, {});\n", p, in(0), out, fs.pixels);
  case FloatKind::Permute:
    return s + fmt::format("  rp_permute_f32({}, {}, {});\n", p, in(0), out);
  case FloatKind::FullyConnected:
    return s + fmt::format("  rp_fc_f32({}, {}, {});\n", p, in(0), out);
  case FloatKind::GlobalAvgPool:
    return s + fmt::format("  rp_global_avgpool_f32({}, {}, {});\n", p, in(0), out);
  case FloatKind::Add:
    return s + fmt::format("  rp_add_f32({}, {}, {}, {});\n", in(0), in(1), out, count);
  case FloatKind::Unary:
    return s + fmt::format("  rp_unary_f32({}, {}, {}, {});\n", p, in(0), out, count);
  case FloatKind::Binary: {
    std::string operands[2];
    for (size_t k = 0; k < 2; ++k)
      operands[k] = fs.operandArray[k].empty() ? in(fs.operandInput[k])
                                               : e.symbol(n, fs.operandArray[k]);
    return s + fmt::format("  rp_binary_f32({}, {}, {}, {});\n", p, operands[0], operands[1],
                           out);
  }
  case FloatKind::Split: {
    std::string list;
    for (size_t k = 0; k < st.outputs.size(); ++k)
      list += (k ? ", " : "") + e.at(st.outputs[k]);
    return s + fmt::format("  float *const outputs[] = {{{}}};\n"
                           "  rp_split_f32({}, {}, outputs);\n",
                           list, p, in(0));
  }
  case FloatKind::Reduce:
    return s + fmt::format("  rp_reduce_channels_f32({}, {}, {});\n", p, in(0), out);
  case FloatKind::L2Norm:
    return s + fmt::format("  rp_l2norm_f32({}, {}, {});\n", p, in(0), out);
  case FloatKind::Softmax:
    return s + fmt::format("  rp_softmax_f32({}, {}, {});\n", p, in(0), out);
  case FloatKind::Concat: {
    std::string list;
    for (size_t k = 0; k < node.inputs.size(); ++k)
      list += (k ? ", " : "") + in(k);
    return s + fmt::format("  const float *const inputs[] = {{{}}};\n"
                           "  rp_concat_f32({}, inputs, {});\n",
                           list, p, out);
  }
  }
  return makeError("internal error: no whole-tensor call for float kernel {}", name(fs.kind));
}

/// The layer function of node n, or "" when no step of it runs.
Expected<std::string> layerFunction(const Emitter &e, size_t n) {
  const ir::Node &node = e.graph().nodes[n];
  const FloatStep &fs = e.model.steps[n];
  const ir::Tensor &out = e.tensor(node.outputs[0]);
  std::string body;
  if (viewKind(fs.kind)) {
    body = viewBody(e, n);
  } else if (e.banded[n]) {
    body = rowsBody(e, n);
  } else if (e.wholeStep[n] >= 0) {
    auto whole = wholeBody(e, n);
    if (!whole)
      return ir::nodeError(node, "{}", whole.error().message());
    body = *whole;
  }
  return fmt::format("/* node '{}' ({}, {}) -> '{}' [{}] */\n"
                     "static void model_layer_{}(uint8_t *a, const model_step *s) {{\n{}}}\n\n",
                     commentSafe(node.name), ir::opName(node.op), name(fs.kind),
                     commentSafe(out.name), ir::toString(out.shape), n,
                     body.empty() ? "  (void)a;\n  (void)s;\n" : body);
}

/// "static const TYPE model_NAME = {...};" from the step's params as data, pointer fields
/// naming the step's arrays.
std::string paramsDefinition(const Emitter &e, size_t step) {
  const FloatStep &fs = e.model.steps[step];
  if (fs.paramsType().empty())
    return "";
  std::string body = initialiser(
      fs.params,
      [&](int a) { return e.symbol(step, fs.arrays[static_cast<size_t>(a)].field); }, "",
      "  ");
  std::string text;
  if (fs.kind == FloatKind::Concat || fs.kind == FloatKind::Split) {
    std::string list;
    for (int32_t c : fs.concatChannels)
      list += fmt::format("{}{}", list.empty() ? "" : ", ", c);
    text +=
        fmt::format("static const int32_t {}[] = {{{}}};\n", e.symbol(step, "channels"), list);
    body += fmt::format("  .channels = {},\n", e.symbol(step, "channels"));
  }
  return text + fmt::format("static const {} model_{} = {{\n{}}};\n", fs.paramsType(),
                            e.stepNames[step], body);
}

std::string arrayDefinition(const FloatArray &a, const std::string &name, bool isExtern) {
  std::string head = fmt::format("const float {}[{}]", name, a.values.size());
  if (isExtern)
    return "extern " + head + ";\n";
  std::string text = head + " = {";
  for (size_t k = 0; k < a.values.size(); ++k)
    text += (k % 8 == 0 ? "\n  " : " ") + cFloat(a.values[k]) + ",";
  return text + "\n};\n";
}

std::string modelHeader(const Emitter &e) {
  const ir::Graph &g = e.graph();
  std::string s = banner(e, "model.h: the API of the generated model (float32 build).");
  s += "#ifndef RNNPOOLC_MODEL_H\n#define RNNPOOLC_MODEL_H\n\n#include <stdint.h>\n\n"
       "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
       "/* This is a float build: activations, inputs and outputs are float32. */\n"
       "#define MODEL_FLOAT 1\n";
  s += fmt::format("/* Working memory the caller passes to model_run(), 16-byte aligned. */\n"
                   "#define MODEL_ARENA_BYTES {}\n"
                   "/* Constant data (weights) in model_weights.c. */\n"
                   "#define MODEL_WEIGHTS_BYTES {}\n"
                   "#define MODEL_NUM_INPUTS {}\n#define MODEL_NUM_OUTPUTS {}\n",
                   e.plan.summary.arenaBytes, floatWeightsBytes(e.model), g.inputs.size(),
                   g.outputs.size());
  auto describe = [&](const char *kind, size_t k, ir::TensorId t) {
    const ir::Tensor &x = e.tensor(t);
    s += fmt::format("/* {} {}: '{}' [{}] float32 (SCALE 1 and ZERO_POINT 0: the values are "
                     "real) */\n#define MODEL_{}{}_ELEMS {}\n#define MODEL_{}{}_SCALE 1.0f\n"
                     "#define MODEL_{}{}_ZERO_POINT 0\n",
                     kind, k, commentSafe(x.name), ir::toString(x.shape), kind, k, e.elems(t),
                     kind, k, kind, k);
  };
  for (size_t k = 0; k < g.inputs.size(); ++k)
    describe("INPUT", k, g.inputs[k]);
  for (size_t k = 0; k < g.outputs.size(); ++k)
    describe("OUTPUT", k, g.outputs[k]);
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    plan::Extent x = plan::extentOf(e.tensor(g.inputs[k]));
    s += fmt::format("/* Input {} in the arena: ROWS x COLS pixels of CHANNELS values, a row "
                     "ROW_VALUES float32 values (ROW_BYTES bytes). */\n"
                     "#define MODEL_INPUT{}_ROWS {}\n#define MODEL_INPUT{}_COLS {}\n"
                     "#define MODEL_INPUT{}_CHANNELS {}\n#define MODEL_INPUT{}_ROW_VALUES {}\n"
                     "#define MODEL_INPUT{}_ROW_BYTES {}\n",
                     k, k, x.rows, k, x.cols, k, x.channels, k, x.cols * x.channels, k,
                     4 * x.cols * x.channels);
  }
  if (e.plan.streamedInput) {
    s += R"(
/* The input is streamed: model_run() asks for each row when the schedule first needs it,
 * so the frame never has to be in RAM whole. */
#define MODEL_STREAMED_INPUT 1

/** Writes row `row` of input `index` at dst: MODEL_INPUTk_ROW_VALUES float32 values, pixel
 *  by pixel, channels innermost, given as the row's bytes in the arena (the int8 build's
 *  signature; model_quantize_pixels() stores floats there). Rows are asked for in
 *  increasing order, each once. */
typedef void (*model_read_row)(void *user, int32_t index, int32_t row, int8_t *dst);

/** Runs one inference, reading the input rows through read_row(user, ...); the outputs
 *  are then at model_output(). No other state. */
void model_run(void *arena, model_read_row read_row, void *user);
)";
  } else {
    s += R"(
/** Runs one inference. The inputs must already be in the arena (model_quantize_input()
 *  or model_input()); the outputs are then at model_output(). No other state. */
void model_run(void *arena);

/** Stores elements [first, first + n) of input `index`, given as float32 in the model's
 *  logical NCHW order, into the arena (the float build's twin of the int8 build's
 *  quantisation, so that the same caller code runs either build). */
void model_quantize_input(int32_t index, const float *x, int32_t first, int32_t n,
                          void *arena);

/** Where input `index` lives in the arena (float32, HWC for 4-D tensors). */
float *model_input(void *arena, int32_t index);
)";
  }
  s += R"(
/** Stores n float32 values of input `index` (already in the arena's order: channels
 *  innermost) at dst, the bytes of their place in the arena. */
void model_quantize_pixels(int32_t index, const float *x, int32_t n, int8_t *dst);

/** Where output `index` lives in the arena after model_run() (float32, HWC for 4-D). */
const float *model_output(const void *arena, int32_t index);
/** Elements of input `index`; bytes of output `index` (4 per element). */
int32_t model_input_elems(int32_t index);
int32_t model_output_bytes(int32_t index);

#ifdef __cplusplus
}
#endif

#endif /* RNNPOOLC_MODEL_H */
)";
  return s;
}

/// model_quantize_input(): one case per input, with the NCHW -> HWC index change for 4-D.
std::string storeInputFunction(const Emitter &e) {
  std::string s = "void model_quantize_input(int32_t index, const float *x, int32_t first, "
                  "int32_t n, void *arena) {\n  uint8_t *const a = (uint8_t *)arena;\n"
                  "  int32_t i;\n  switch (index) {\n";
  for (size_t k = 0; k < e.graph().inputs.size(); ++k) {
    ir::TensorId t = e.graph().inputs[k];
    const ir::Shape &sh = e.tensor(t).shape;
    const std::string at = fmt::format("(float *)(void *)(a + {})", e.inputOffset[k]);
    s += fmt::format("  case {}: /* '{}' */\n", k, commentSafe(e.tensor(t).name));
    if (sh.size() == 4 && sh[1] > 1) {
      int64_t hw = sh[2] * sh[3];
      s += fmt::format("    for (i = 0; i < n; ++i) {{\n"
                       "      const int32_t e = first + i, c = e / {}, p = e % {};\n"
                       "      ({})[p * {} + c] = x[i];\n    }}\n",
                       hw, hw, at, sh[1]);
    } else {
      s += fmt::format("    for (i = 0; i < n; ++i)\n      ({})[first + i] = x[i];\n", at);
    }
    s += "    break;\n";
  }
  return s + "  default:\n    (void)i;\n    (void)a;\n    break;\n  }\n}\n";
}

/// model_quantize_pixels(): floats are stored as they are.
const char *kStorePixels =
    "void model_quantize_pixels(int32_t index, const float *x, int32_t n, int8_t *dst) {\n"
    "  float *const d = (float *)(void *)dst;\n  int32_t i;\n  (void)index;\n"
    "  for (i = 0; i < n; ++i)\n    d[i] = x[i];\n}\n";

std::string accessorFunctions(const Emitter &e) {
  auto table = [&](size_t count, auto value) {
    std::string s = "  switch (index) {\n";
    for (size_t k = 0; k < count; ++k)
      s += fmt::format("  case {}: return {};\n", k, value(k));
    return s + "  default: return 0;\n  }\n}\n";
  };
  const ir::Graph &g = e.graph();
  auto input = [&](size_t k) {
    return fmt::format("(float *)(void *)(a + {})", e.inputOffset[k]);
  };
  auto output = [&](size_t k) {
    return fmt::format("(const float *)(const void *)(a + {})", e.outputOffset[k]);
  };
  auto elems = [&](size_t k) { return std::to_string(e.elems(g.inputs[k])); };
  auto bytes = [&](size_t k) { return std::to_string(4 * e.elems(g.outputs[k])); };
  std::string s;
  if (!e.plan.streamedInput)
    s += "float *model_input(void *arena, int32_t index) {\n"
         "  uint8_t *const a = (uint8_t *)arena;\n" +
         table(g.inputs.size(), input) + "\n";
  return s + "const float *model_output(const void *arena, int32_t index) {\n"
             "  const uint8_t *const a = (const uint8_t *)arena;\n" +
         table(g.outputs.size(), output) + "\nint32_t model_input_elems(int32_t index) {\n" +
         table(g.inputs.size(), elems) + "\nint32_t model_output_bytes(int32_t index) {\n" +
         table(g.outputs.size(), bytes);
}

/// The plan's buffers and steps as the walker's tables (skipped steps left out).
std::string tables(const Emitter &e) {
  const ir::Graph &g = e.graph();
  const plan::Plan &p = e.plan;
  std::string s = fmt::format("static const model_buffer model_buffers[{}] = {{\n",
                              std::max<size_t>(1, p.buffers.size()));
  for (size_t i = 0; i < p.buffers.size(); ++i) {
    const plan::Buffer &b = p.buffers[i];
    const plan::Extent x = plan::extentOf(g.tensor(b.tensor));
    const bool ring = b.kind == plan::BufferKind::Ring;
    const char *kind = ring ? "ring" : b.kind == plan::BufferKind::Scratch ? "scratch" : "region";
    s += fmt::format("  {{{}, {}, {}, {}, {}, {}, {}}}, /* {}: {} of '{}', {} bytes */\n",
                     b.offset, ring ? 0 : b.region.row0, ring ? 0 : b.region.col0,
                     ring ? x.rows : b.region.rows(), ring ? x.cols : b.region.cols(),
                     b.ringRows, x.channels, i, kind, commentSafe(g.tensor(b.tensor).name),
                     b.bytes);
  }
  if (p.buffers.empty())
    s += "  {0, 0, 0, 0, 0, 0, 0},\n";
  s += "};\n\n";
  std::string rows;
  size_t count = 0;
  std::vector<const plan::Step *> previous(g.nodes.size(), nullptr);
  for (size_t k = 0; k < p.steps.size(); ++k) {
    const plan::Step &st = p.steps[k];
    if (e.skipped[k])
      continue;
    const bool stream = st.kind == plan::StepKind::Stream;
    int layer = static_cast<int>(st.node);
    if (stream)
      layer = -1 - static_cast<int>(std::find(g.inputs.begin(), g.inputs.end(), st.streamed) -
                                    g.inputs.begin());
    int in[2] = {-1, -1};
    for (size_t i = 0, found = 0; !stream && i < st.inputs.size() && found < 2; ++i)
      if (st.inputs[i] >= 0)
        in[found++] = st.inputs[i];
    bool carry = false;
    if (!stream) {
      const plan::Step *before = previous[st.node];
      carry = before && st.scratch >= 0 && before->scratch == st.scratch &&
              before->out.row1 == st.out.row0 && before->out.col0 == st.out.col0 &&
              before->out.col1 == st.out.col1;
      previous[st.node] = &st;
    }
    const std::string what = stream ? "input '" + g.tensor(st.streamed).name + "'"
                                    : "'" + g.nodes[st.node].name + "'";
    const ir::Region &r = st.out;
    rows += fmt::format("  {{{}, {}, {{{}, {}}}, {}, {}, {}, {}, {}, {}}}, /* {} rows {}-{}, "
                        "columns {}-{} */\n",
                        layer, st.outputs[0], in[0], in[1],
                        st.scratch >= 0 ? p.buffers[st.scratch].offset : -1, r.row0, r.row1,
                        r.col0, r.col1, carry ? 1 : 0, commentSafe(what), r.row0, r.row1 - 1,
                        r.col0, r.col1 - 1);
    ++count;
  }
  return s + fmt::format("#define MODEL_NUM_STEPS {}\nstatic const model_step model_steps[{}] "
                         "= {{\n",
                         count, std::max<size_t>(1, count)) +
         (count ? rows : "  {0, 0, {-1, -1}, -1, 0, 0, 0, 0, 0},\n") + "};\n\n";
}

Expected<std::string> modelSource(const Emitter &e) {
  const ir::Graph &g = e.graph();
  std::string s = banner(e, "model.c: the schedule of the generated model: the memory plan's "
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
  for (size_t n = 0; n < g.nodes.size(); ++n)
    for (const FloatArray &a : e.model.steps[n].arrays)
      s += arrayDefinition(a, e.symbol(n, a.field), /*isExtern=*/true);
  s += "\n/* Kernel parameters, computed by rnnpoolc on the host. */\n";
  for (size_t n = 0; n < g.nodes.size(); ++n)
    s += paramsDefinition(e, n);
  s += "\n";
  if (!e.plan.streamedInput)
    s += storeInputFunction(e) + "\n";
  s += std::string(kStorePixels) + "\n" + accessorFunctions(e) + "\n";
  s += "/* The memory plan as tables for the runtime's schedule walker "
       "(rnnpoolc_runtime_f32.h):\n * model_buffers says where each buffer lives and which "
       "part of its tensor it holds,\n * model_steps which layer computes which rows and "
       "columns from which buffers. */\n"
       "typedef rp_buffer_f32 model_buffer;\ntypedef rp_step_f32 model_step;\n\n";
  s += tables(e);
  s += "#ifdef MODEL_TRACE\nstatic void model_trace(int32_t node, const float *values, "
       "const rp_step_f32 *step) {\n"
       "  const int32_t count = (step->row1 - step->row0) * (step->col1 - step->col0) *\n"
       "                        model_buffers[step->out].channels;\n"
       "  (void)node;\n  (void)values;\n  (void)count;\n  MODEL_TRACE(node, values, count);\n"
       "}\n#endif\n\n";
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    auto f = layerFunction(e, n);
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
  if (e.plan.streamedInput)
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
  std::string s = banner(e, "model_weights.c: the constant data of the generated model "
                            "(const, so the linker places it in flash).");
  s += "#include <math.h>\n";
  for (size_t n = 0; n < e.graph().nodes.size(); ++n) {
    const auto &arrays = e.model.steps[n].arrays;
    if (arrays.empty())
      continue;
    s += fmt::format("\n/* node '{}' */\n", commentSafe(e.graph().nodes[n].name));
    for (const FloatArray &a : arrays) {
      s += arrayDefinition(a, e.symbol(n, a.field), /*isExtern=*/true);
      s += arrayDefinition(a, e.symbol(n, a.field), /*isExtern=*/false);
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

int64_t floatWeightsBytes(const FloatModel &model) {
  int64_t bytes = 0;
  for (const FloatStep &s : model.steps)
    for (const FloatArray &a : s.arrays)
      bytes += 4 * static_cast<int64_t>(a.values.size());
  return bytes;
}

Expected<std::vector<GeneratedFile>> generateFloatC(const FloatModel &model,
                                                    const plan::Plan &plan,
                                                    const CodegenOptions &options) {
  Emitter e{model, plan, options, {}, {}, {}, {}, {}, {}};
  RNNPOOLC_TRY(prepare(e));
  for (size_t step = 0; step < model.graph.nodes.size(); ++step) {
    std::string name = identifier(model.graph.nodes[step].name);
    e.stepNames.push_back(fmt::format("s{}{}{}", step, name.empty() ? "" : "_", name));
  }
  auto source = modelSource(e);
  if (!source)
    return source.error();
  std::vector<GeneratedFile> files = {{"model.h", modelHeader(e)},
                                      {"model.c", *source},
                                      {"model_weights.c", weightsSource(e)},
                                      {"model.mk", kMakeFragment},
                                      {"CMakeLists.txt", kCMakeFragment}};
  for (const EmbeddedFile &f : floatRuntimeFiles())
    files.push_back({f.name, std::string(f.text())});
  return files;
}

} // namespace rnnpoolc::targets::c
