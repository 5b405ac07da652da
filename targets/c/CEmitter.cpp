// The C backend's file emitters: model.h, model.c, model_weights.c and build fragments.
#include "targets/c/CEmitter.h"

#include "compiler/ir/Printer.h"
#include "targets/EmbeddedFiles.h"
#include "targets/c/CParams.h"
#include "targets/c/FloatEmitter.h"
#include "targets/c/ModelHeader.h"
#include "targets/c/Schedule.h"

#include <fmt/format.h>

#include <cstdio>
#include <set>
#include <tuple>

namespace rnnpoolc::targets::c {
namespace {

/// Shared state of one generation: the lowered model and the options.
struct Emitter {
  const LoweredModel &lowered;
  const CodegenOptions &options;
  const quant::QuantizedModel &model;
  const plan::Plan &plan;

  Emitter(const LoweredModel &l, const CodegenOptions &o)
      : lowered(l), options(o), model(*l.model), plan(*l.plan) {}
  const ir::Graph &graph() const { return model.graph; }
  const ir::Tensor &tensor(ir::TensorId t) const { return model.graph.tensor(t); }
  int64_t elems(ir::TensorId t) const { return ir::checkedNumel(tensor(t).shape).value_or(0); }
};

/// The (1 / scale, zero point) literals of input k.
std::pair<std::string, int64_t> inputQuant(const Emitter &e, size_t k) {
  const ir::Tensor &x = e.tensor(e.graph().inputs[k]);
  char inv[64];
  std::snprintf(inv, sizeof inv, "%af", 1.0f / x.quant->scale.at(0));
  return {inv, x.quant->zeroPoint.empty() ? 0 : x.quant->zeroPoint[0]};
}

/// model_quantize_input(): one case per input, with the NCHW -> HWC index change for 4-D.
std::string quantizeInputFunction(const Emitter &e) {
  std::string s = "void model_quantize_input(int32_t index, const float *x, int32_t first, "
                  "int32_t n, void *arena) {\n  int8_t *const a = (int8_t *)arena;\n"
                  "  switch (index) {\n";
  for (size_t k = 0; k < e.graph().inputs.size(); ++k) {
    const ir::Tensor &x = e.tensor(e.graph().inputs[k]);
    auto [inv, zp] = inputQuant(e, k);
    const int64_t offset = e.lowered.inputOffset[k];
    s += fmt::format("  case {}: /* '{}': 1 / scale = {:.9g} */\n", k, commentSafe(x.name),
                     1.0f / x.quant->scale.at(0));
    const ir::Shape &sh = x.shape;
    if (sh.size() == 4 && sh[1] > 1)
      s += fmt::format("    rp_quantize_planes_f32_s8(x, a + {}, first, n, {}, {}, {}, {});\n",
                       offset, sh[2] * sh[3], sh[1], inv, zp);
    else
      s += fmt::format("    rp_quantize_f32_s8(x, a + {} + first, n, {}, {});\n", offset, inv,
                       zp);
    s += "    break;\n";
  }
  return s + "  default:\n    (void)a;\n    break;\n  }\n}\n";
}

/// model_quantize_pixels(): values already in arena order.
std::string quantizePixelsFunction(const Emitter &e) {
  std::string s = "void model_quantize_pixels(int32_t index, const float *x, int32_t n, "
                  "int8_t *dst) {\n  switch (index) {\n";
  for (size_t k = 0; k < e.graph().inputs.size(); ++k) {
    auto [inv, zp] = inputQuant(e, k);
    s += fmt::format("  case {}: rp_quantize_f32_s8(x, dst, n, {}, {}); break;\n", k, inv, zp);
  }
  return s + "  default: break;\n  }\n}\n";
}

std::string modelSource(const Emitter &e) {
  std::string s = banner(e.lowered, e.options,
                         "model.c: the schedule of the generated model: the memory plan's "
                         "buffers and steps, one function per layer.");
  s += "#define RP_SINGLE_TU /* the runtime's kernels become static: each call is "
       "specialised */\n#include \"rnnpoolc_runtime_all.c\"\n#include \"model.h\"\n\n";
  s += "/* Define MODEL_TRACE(node, bytes, step) to see each step's output buffer: called "
       "after\n * every step with the node index, the buffer's first byte and the "
       "model_step. */\n"
       "#ifdef MODEL_TRACE\n"
       "static void model_trace(int32_t node, const int8_t *bytes, const rp_step *step) {\n"
       "  (void)node;\n  (void)bytes;\n  (void)step;\n  MODEL_TRACE(node, bytes, step);\n}\n"
       "#define MODEL_TRACE_HOOK model_trace\n#else\n#define MODEL_TRACE_HOOK 0\n#endif\n\n";
  s += "/* Constant data, in model_weights.c. */\n";
  for (size_t k = 0; k < e.lowered.arrays.size(); ++k)
    if (e.lowered.arrays[k].sameAs < 0) // (another's values: named as that one)
      s += arrayDefinition(*e.lowered.arrays[k].data, arrayName(e.lowered, static_cast<int>(k)),
                           /*isExtern=*/true);
  s += "\n/* Kernel parameters, computed by rnnpoolc on the host. */\n";
  for (const LoweredLayer &layer : e.lowered.layers)
    s += paramsDefinition(e.lowered, layer);
  s += "\n";
  if (!e.lowered.streamedInput)
    s += quantizeInputFunction(e) + "\n";
  s += quantizePixelsFunction(e) + "\n" + accessorFunctions(e.lowered) + "\n";
  return s + scheduleSource(e.lowered);
}

std::string weightsSource(const Emitter &e) {
  std::string s = banner(e.lowered, e.options,
                         "model_weights.c: the constant data of the generated model "
                         "(const, so the linker places it in flash).");
  s += "#include <stdint.h>\n";
  for (const LoweredLayer &layer : e.lowered.layers) {
    if (layer.arrays.empty())
      continue;
    s += fmt::format("\n/* node '{}' */\n", commentSafe(e.graph().nodes[layer.node].name));
    for (int index : layer.arrays) {
      const LoweredArray &a = e.lowered.arrays[static_cast<size_t>(index)];
      const std::string name = arrayName(e.lowered, index);
      if (a.sameAs >= 0) {
        s += fmt::format("/* {}: the values of {} */\n",
                         arraySymbol("model_" + layer.name, a.field), name);
        continue;
      }
      s += arrayDefinition(*a.data, name, /*isExtern=*/true);
      s += arrayDefinition(*a.data, name, /*isExtern=*/false);
    }
  }
  return s;
}

const char *kMakeFragment =
    R"(# rnnpoolc generated model: include this from a Makefile, then add
# $(MODEL_SRCS) to the sources and $(MODEL_CFLAGS) to the C flags.
MODEL_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
MODEL_SRCS := $(MODEL_DIR)/model.c $(MODEL_DIR)/model_weights.c
MODEL_CFLAGS := -std=c99 -I$(MODEL_DIR)
)";

const char *kCMakeFragment =
    R"(# rnnpoolc generated model: add_subdirectory() this directory, then link
# rnnpoolc_model. model.c includes the runtime sources (one translation unit).
add_library(rnnpoolc_model STATIC model.c model_weights.c)
target_include_directories(rnnpoolc_model PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
set_target_properties(rnnpoolc_model PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON
                      C_EXTENSIONS OFF)
)";

} // namespace

int64_t weightsBytes(const quant::QuantizedModel &model) {
  // Each distinct array once, as emitted (targets::shareIdenticalArrays).
  std::set<
      std::tuple<std::string, std::vector<int8_t>, std::vector<int16_t>, std::vector<int32_t>>>
      seen;
  int64_t bytes = 0;
  for (const quant::Layer &layer : model.layers)
    for (const auto &a : layer.arrays)
      if (seen.emplace(std::string(a->ctype), a->s8, a->s16, a->s32).second)
        bytes += static_cast<int64_t>(a->bytes());
  return bytes;
}

Expected<std::vector<GeneratedFile>> CTarget::emit(const LoweredModel &lowered,
                                                   const CodegenOptions &options) const {
  if (lowered.precision == Precision::Float)
    return floatFiles(lowered, options);
  const Emitter e(lowered, options);
  for (ir::TensorId t : e.graph().inputs)
    if (!e.tensor(t).quant || e.tensor(t).quant->scale.empty())
      return makeError("input '{}' has no quantisation parameters", e.tensor(t).name);
  std::vector<GeneratedFile> files = {{"model.h", modelHeader(lowered, options)},
                                      {"model.c", modelSource(e)},
                                      {"model_weights.c", weightsSource(e)},
                                      {"model.mk", kMakeFragment},
                                      {"CMakeLists.txt", kCMakeFragment}};
  for (const EmbeddedFile &f : runtimeFiles())
    if (std::string_view(f.name).ends_with(".c") || std::string_view(f.name).ends_with(".h"))
      files.push_back({f.name, std::string(f.text())});
  return files;
}

Expected<std::vector<GeneratedFile>> generateC(const quant::QuantizedModel &model,
                                               const plan::Plan &plan,
                                               const CodegenOptions &options) {
  return generate(CTarget(), model, plan, options);
}

} // namespace rnnpoolc::targets::c

namespace rnnpoolc::targets {

std::unique_ptr<Target> makeCTarget() {
  return std::make_unique<c::CTarget>();
}

} // namespace rnnpoolc::targets
