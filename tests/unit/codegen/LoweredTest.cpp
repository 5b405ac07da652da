// targets/Lowered.h: the lowered model is complete without any C text. Executed on the host
// by the runtime's own walker (rp_schedule_run) over its buffer and step tables, each layer
// calling its kernel-table function in its form, it gives every output byte for byte as
// the host fixed-point interpreter: row bands, carried scratch and streamed input
// included. And its tables keep what the plan says.
#include "compiler/interp/FixedPoint.h"
#include "tests/unit/codegen/CodegenTestUtil.h"
#include "compiler/passes/Passes.h"
#include "compiler/plan/Planner.h"
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/TensorIO.h"
#include "runtime/rp_schedule.h"
#include "targets/Lowered.h"
#include "tests/unit/passes/Builder.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace rnnpoolc;
using targets::LoweredLayer;
using targets::LoweredModel;

namespace {

using testing::example;
using testing::quantized;

/// What the layer function of the host execution reads (rp_layer_fn has no user pointer).
struct Execution {
  const LoweredModel *lowered = nullptr;
  std::vector<rp_buffer> buffers;
  std::vector<int8_t> input; ///< Input 0 in runtime layout, for streamed plans.
  int64_t inputRowBytes = 0;
};
Execution current;

/// One step of a layer in the context its form needs.
struct StepIO {
  const LoweredLayer &layer;
  const quant::Layer &q;
  int8_t *a;
  const rp_step *s;
  int8_t *at(int buffer, int32_t y, int32_t x) const {
    return rp_buffer_pixel(current.buffers.data(), a, buffer, y, x);
  }
  int32_t rowValues() const {
    return static_cast<int32_t>((s->col1 - s->col0) * layer.outChannels);
  }
};

template <typename P> const P &paramsOf(const StepIO &io) { return std::get<P>(io.q.params); }

// One function per kernel form: rows forms call the kernel once per row of the step.
template <typename P, typename Fn> void stepCopy(Fn fn, const StepIO &io) {
  for (int32_t y = io.s->row0; y < io.s->row1; ++y)
    fn(io.at(io.s->in[0], y, io.s->col0), io.at(io.s->out, y, io.s->col0), io.rowValues());
}
template <typename P, typename Fn> void stepView(Fn fn, const StepIO &io) {
  const rp_region region = rp_step_region(io.s);
  const rp_view in = rp_buffer_view(current.buffers.data(), io.a, io.s->in[0]);
  rp_view out = rp_buffer_view(current.buffers.data(), io.a, io.s->out);
  fn(&paramsOf<P>(io), &in, &out, &region);
}
template <typename P, typename Fn> void stepViewScratch(Fn fn, const StepIO &io) {
  const rp_region region = rp_step_region(io.s);
  const rp_view in = rp_buffer_view(current.buffers.data(), io.a, io.s->in[0]);
  rp_view out = rp_buffer_view(current.buffers.data(), io.a, io.s->out);
  REQUIRE(io.s->scratch >= 0);
  fn(&paramsOf<P>(io), &in, &out, &region, io.a + io.s->scratch,
     io.s->carry ? RP_RNNPOOL_CONTINUE : 1);
}
template <typename P, typename Fn> void stepUnary(Fn fn, const StepIO &io) {
  for (int32_t y = io.s->row0; y < io.s->row1; ++y)
    fn(&paramsOf<P>(io), io.at(io.s->in[0], y, io.s->col0), io.at(io.s->out, y, io.s->col0),
       io.rowValues());
}
template <typename P, typename Fn> void stepBinary(Fn fn, const StepIO &io) {
  for (int32_t y = io.s->row0; y < io.s->row1; ++y)
    fn(&paramsOf<P>(io), io.at(io.s->in[0], y, io.s->col0), io.at(io.s->in[1], y, io.s->col0),
       io.at(io.s->out, y, io.s->col0), io.rowValues());
}
template <typename P, typename Fn> void stepPixels(Fn fn, const StepIO &io) {
  for (int32_t y = io.s->row0; y < io.s->row1; ++y)
    fn(&paramsOf<P>(io), io.at(io.s->in[0], y, io.s->col0), io.at(io.s->out, y, io.s->col0),
       static_cast<int32_t>(io.rowValues() / io.layer.pixelChannels));
}
template <typename P, typename Fn> void stepGate(Fn fn, const StepIO &io) {
  for (int32_t y = io.s->row0; y < io.s->row1; ++y)
    fn(&paramsOf<P>(io), io.at(io.s->in[0], y, io.s->col0),
       io.layer.perPixelGate ? io.at(io.s->in[1], y, io.s->col0) : io.at(io.s->in[1], 0, 0),
       io.at(io.s->out, y, io.s->col0), io.s->col1 - io.s->col0);
}
template <typename P, typename Fn> void stepTable(Fn fn, const StepIO &io) {
  for (int32_t y = io.s->row0; y < io.s->row1; ++y)
    fn(io.q.table(), io.at(io.s->in[0], y, io.s->col0), io.at(io.s->out, y, io.s->col0),
       io.rowValues());
}
template <typename P, typename Fn> void stepWholeUnary(Fn fn, const StepIO &io) {
  fn(&paramsOf<P>(io), io.at(io.s->in[0], 0, 0), io.at(io.s->out, 0, 0));
}
template <typename P, typename Fn> void stepWholeList(Fn fn, const StepIO &io) {
  std::vector<const int8_t *> ins;
  for (int b : io.layer.wholeInputs)
    ins.push_back(io.at(b, 0, 0));
  fn(&paramsOf<P>(io), ins.data(), io.at(io.s->out, 0, 0));
}

/// The layer function of every layer: the step names the layer.
void runStep(int8_t *a, const rp_step *s) {
  const LoweredLayer &layer = current.lowered->layers.at(static_cast<size_t>(s->layer));
  const StepIO io{layer, current.lowered->model->layers[layer.node], a, s};
  if (layer.wholeCopy) {
    rp_copy_s8(io.at(s->in[0], 0, 0), io.at(s->out, 0, 0), static_cast<int32_t>(layer.copyCount));
    return;
  }
  if (layer.accumulate) { // a global average pool, a band of its input rows at a time
    const auto &p = paramsOf<rp_global_avgpool_params>(io);
    auto *sums = reinterpret_cast<int32_t *>(a + s->scratch);
    for (int32_t y = s->row0; y < s->row1; ++y)
      rp_global_avgpool_rows_s8(&p, io.at(s->in[0], y, s->col0), sums, s->col1 - s->col0,
                                y == s->row0 && !s->carry);
    if (s->row1 == p.in_h)
      rp_global_avgpool_finish_s8(&p, sums, io.at(s->out, 0, 0));
    return;
  }
  switch (layer.kind) {
#define RNNPOOLC_KERNEL(Kind, Name, Form, Function, FloatFunction, Params, ...)                \
  case quant::KernelKind::Kind: step##Form<Params>(Function, io); break;
#include "compiler/quant/Kernels.def"
  }
}

void readRow(void *, int32_t index, int32_t row, int8_t *dst) {
  REQUIRE(index == 0);
  std::memcpy(dst, current.input.data() + row * current.inputRowBytes,
              static_cast<size_t>(current.inputRowBytes));
}

/// Lowers `model` under `options`, runs the lowered tables through rp_schedule_run and
/// compares every output with the fixed-point interpreter.
void checkLowered(const quant::QuantizedModel &model, const ir::TensorData &input,
                  const plan::PlanOptions &options) {
  auto made = plan::makePlan(model.graph, options);
  REQUIRE(made);
  auto lowered = targets::lower(model, *made);
  REQUIRE(lowered);
  const LoweredModel &l = *lowered;
  REQUIRE(l.layers.size() == model.graph.nodes.size());
  REQUIRE(l.buffers.size() == made->buffers.size());

  // The tables keep the plan: every step names valid buffers, carries only over its own
  // scratch, and only steps of in-place aliases are left out.
  size_t inPlaceAliases = 0;
  for (const plan::Step &s : made->steps)
    inPlaceAliases += s.kind == plan::StepKind::Compute &&
                      model.layers[s.node].kind == quant::KernelKind::Alias &&
                      made->buffers[s.inputs[0]].offset == made->buffers[s.outputs[0]].offset;
  CHECK(l.steps.size() + inPlaceAliases == made->steps.size());
  for (const targets::LoweredStep &s : l.steps) {
    CHECK(s.out >= 0);
    CHECK(static_cast<size_t>(s.out) < l.buffers.size());
    for (int in : s.in)
      CHECK(in < static_cast<int>(l.buffers.size()));
    if (s.carry)
      CHECK(s.scratch >= 0);
  }

  current = Execution{};
  current.lowered = &l;
  for (const targets::LoweredBuffer &b : l.buffers)
    current.buffers.push_back({static_cast<int32_t>(b.offset), static_cast<int32_t>(b.row0),
                               static_cast<int32_t>(b.col0), static_cast<int32_t>(b.rows),
                               static_cast<int32_t>(b.cols), static_cast<int32_t>(b.ringRows),
                               static_cast<int32_t>(b.channels)});
  std::vector<rp_step> steps;
  for (const targets::LoweredStep &s : l.steps)
    steps.push_back({static_cast<int16_t>(s.layer), static_cast<int16_t>(s.out),
                     {static_cast<int16_t>(s.in[0]), static_cast<int16_t>(s.in[1])},
                     static_cast<int32_t>(s.scratch), static_cast<int16_t>(s.region.row0),
                     static_cast<int16_t>(s.region.row1), static_cast<int16_t>(s.region.col0),
                     static_cast<int16_t>(s.region.col1), static_cast<int16_t>(s.carry)});
  std::vector<rp_layer_fn> layers(l.layers.size(), runStep);
  const rp_schedule schedule{current.buffers.data(), steps.data(),
                             static_cast<int32_t>(steps.size()), layers.data()};

  // The input, quantised as the interpreter does it.
  const ir::Tensor &x = model.graph.tensor(model.graph.inputs[0]);
  std::vector<int8_t> q(input.f.size());
  rp_quantize_f32_s8(input.f.data(), q.data(), static_cast<int32_t>(q.size()),
                     1.0f / x.quant->scale[0], static_cast<int32_t>(x.quant->zeroPoint[0]));
  ir::TensorData logical = ir::TensorData::zeros(ir::DType::Int8, x.shape);
  for (size_t k = 0; k < q.size(); ++k)
    logical.i[k] = q[k];
  current.input = interp::toRuntimeLayout(logical);
  const plan::Extent e = plan::extentOf(x);
  current.inputRowBytes = e.cols * e.channels;

  std::vector<int32_t> words(static_cast<size_t>(l.arenaBytes) / 4 + 1, 0x5a5a5a5a);
  auto *arena = reinterpret_cast<int8_t *>(words.data());
  if (l.streamedInput) {
    CHECK(l.inputOffset[0] == -1);
    rp_schedule_run(&schedule, arena, readRow, nullptr, nullptr);
  } else {
    std::memcpy(arena + l.inputOffset[0], current.input.data(), current.input.size());
    rp_schedule_run(&schedule, arena, nullptr, nullptr, nullptr);
  }

  auto host = interp::runFixedPoint(model, {input});
  REQUIRE(host);
  for (size_t k = 0; k < model.graph.outputs.size(); ++k) {
    const std::vector<int8_t> want = interp::toRuntimeLayout(host->quantized[k]);
    const int8_t *got = arena + l.outputOffset[k];
    INFO("output " << k);
    CHECK(std::vector<int8_t>(got, got + want.size()) == want);
  }
}

} // namespace

TEST_CASE("lowered model: run by the runtime's walker, it equals the fixed-point interpreter") {
  SECTION("fashion_rnnpool: row bands, RNNPool carrying its scratch, fc") {
    std::vector<std::string> calib;
    for (int k = 0; k < 8; ++k)
      calib.push_back(example("fashion_rnnpool/image_" + std::to_string(k) + ".npy"));
    auto model = quantized(example("fashion_rnnpool/model.onnx"), calib);
    auto input = onnx_frontend::readTensorFile(calib[1]);
    REQUIRE(input);
    checkLowered(model, *input, {});
    plan::PlanOptions streamed;
    streamed.streamInput = true;
    checkLowered(model, *input, streamed);
  }
  SECTION("a global average pool accumulating row by row, whole and streamed") {
    testing::Builder b;
    ir::TensorId x = b.input("x", {1, 3, 8, 7});
    const ir::ConvAttrs c3 = testing::conv3x3();
    x = b.node(ir::OpKind::Relu, "r1",
               {b.node(ir::OpKind::Conv, "c1", {x, b.constant("w1", {16, 3, 3, 3})}, c3)});
    b.g.outputs = {b.node(ir::OpKind::Flatten, "flat",
                          {b.node(ir::OpKind::GlobalAveragePool, "gap", {x})},
                          ir::AxisAttrs{1})};
    REQUIRE(passes::canonicalize(b.g));
    std::vector<std::vector<ir::TensorData>> sets;
    const quant::QuantizedModel model = testing::quantizedSynthetic(b.g, sets);
    checkLowered(model, sets[2][0], {});
    plan::PlanOptions streamed;
    streamed.streamInput = true;
    checkLowered(model, sets[2][0], streamed);
    auto made = plan::makePlan(model.graph, {});
    REQUIRE(made);
    auto lowered = targets::lower(model, *made);
    REQUIRE(lowered);
    bool accumulates = false;
    for (const LoweredLayer &layer : lowered->layers)
      accumulates = accumulates || layer.accumulate;
    CHECK(accumulates);
  }
  SECTION("a flat tensor of more than 32767 values: one row of as many columns") {
    // (A detector's boxes concatenated: rpool_face_qvga's [1, 48000]. Steps' regions are
    // int32; before, the lowering refused the plan.)
    testing::Builder b;
    ir::TensorId x = b.input("x", {1, 1, 100, 100});
    const ir::ConvAttrs c3 = testing::conv3x3();
    x = b.node(ir::OpKind::Relu, "r1",
               {b.node(ir::OpKind::Conv, "c1", {x, b.constant("w1", {4, 1, 3, 3})}, c3)});
    // The heads' way: NHWC, flattened, concatenated.
    x = b.node(ir::OpKind::Transpose, "nhwc", {x}, ir::TransposeAttrs{{0, 2, 3, 1}});
    x = b.node(ir::OpKind::Reshape, "flat", {x, b.ints("shape", {1, -1})}, ir::ReshapeAttrs{});
    b.g.outputs = {b.node(ir::OpKind::Concat, "boxes", {x, x}, ir::AxisAttrs{1})};
    REQUIRE(passes::canonicalize(b.g));
    std::vector<std::vector<ir::TensorData>> sets;
    const quant::QuantizedModel model = testing::quantizedSynthetic(b.g, sets);
    auto made = plan::makePlan(model.graph, {});
    REQUIRE(made);
    auto lowered = targets::lower(model, *made);
    REQUIRE(lowered);
    int32_t widest = 0;
    for (const auto &step : lowered->steps)
      widest = std::max<int32_t>(widest, static_cast<int32_t>(step.region.col1));
    CHECK(widest == 80000);
    checkLowered(model, sets[2][0], {});
  }
  SECTION("small_cnn, whole and streamed") {
    auto model = quantized(example("small_cnn/model.onnx"), {});
    auto input = onnx_frontend::readTensorFile(example("small_cnn/input.npy"));
    REQUIRE(input);
    checkLowered(model, *input, {});
    plan::PlanOptions streamed;
    streamed.streamInput = true;
    checkLowered(model, *input, streamed);
  }
}

TEST_CASE("lowered model: params are data in declaration order, arrays by index") {
  auto model = quantized(example("fashion_rnnpool/model.onnx"), {});
  auto made = plan::makePlan(model.graph, {});
  REQUIRE(made);
  auto lowered = targets::lower(model, *made);
  REQUIRE(lowered);
  bool sawRNNPool = false, sawConv = false;
  for (const LoweredLayer &layer : lowered->layers) {
    const quant::Layer &q = model.layers[layer.node];
    CHECK(layer.params.empty() == layer.kernel->paramsType.empty());
    if (const auto *p = std::get_if<rp_conv_params>(&q.params)) {
      sawConv = true;
      REQUIRE(layer.params.size() == 23);
      CHECK(layer.params[0].field == "in_h");
      CHECK(layer.params[0].value == p->in_h);
      CHECK(layer.params[18].field == "act_max");
      CHECK(layer.params[18].value == p->act_max);
      const targets::ParamValue &w = layer.params[19];
      CHECK(w.field == "weights");
      REQUIRE(w.kind == targets::ParamValue::Kind::Array);
      CHECK(lowered->arrays.at(static_cast<size_t>(w.array)).data->data() == p->weights);
    }
    if (const auto *p = std::get_if<rp_rnnpool_params>(&q.params)) {
      sawRNNPool = true;
      const targets::ParamValue &rnn2 = layer.params.at(10);
      CHECK(rnn2.field == "rnn2");
      REQUIRE(rnn2.kind == targets::ParamValue::Kind::Struct);
      CHECK(rnn2.fields.at(1).field == "hidden");
      CHECK(rnn2.fields.at(1).value == p->rnn2.hidden);
      CHECK(lowered->arrays.at(static_cast<size_t>(rnn2.fields.at(4).array)).data->data() ==
            p->rnn2.w);
    }
  }
  CHECK(sawConv);
  CHECK(sawRNNPool);
}
