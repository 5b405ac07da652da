// Every op of compiler/ir/Ops.def is complete: on a small valid instance it has a shape rule
// (ir::inferShapes succeeds), a float interpreter kernel whose outputs have the inferred
// dtypes and shapes, and in the int8 build either a fixed-point kernel (quant::quantize
// accepts it) or the documented one-line error naming the node ("has no fixed-point kernel
// yet", or a stated limit of the kernel it maps to), never an internal error.
//
// exampleOf() gives a small valid instance of every op: a math op (ir::unaryMathOf) gets
// one from its family, every other op has its case, and an op with neither fails the test
// by name; the checks then tell what it still lacks.
#include "compiler/calib/Calibrate.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/ir/ShapeInference.h"
#include "compiler/quant/Quantize.h"
#include "tests/unit/passes/Builder.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace rnnpoolc;
using ir::OpKind;
using ir::TensorData;

namespace {

/// A valid instance of an op: its input values (input 0 becomes a graph input when it is
/// float, the rest constants), its attributes and its output count.
struct Example {
  std::vector<TensorData> inputs;
  ir::Attrs attrs = ir::NoAttrs{};
  int outputs = 1;
};

TensorData floats(ir::Shape shape, float lo = -1.5f, float hi = 1.5f) {
  std::vector<float> v(static_cast<size_t>(ir::numel(shape)));
  for (size_t k = 0; k < v.size(); ++k) // deterministic, spread over [lo, hi]
    v[k] = lo + (hi - lo) * static_cast<float>((k * 7) % 11) / 10.0f;
  return TensorData::fromFloats(std::move(shape), std::move(v));
}
TensorData positive(ir::Shape shape) { return floats(std::move(shape), 0.25f, 2.0f); }
TensorData int64s(ir::Shape shape, std::vector<int64_t> values) {
  return TensorData::fromInts(ir::DType::Int64, std::move(shape), std::move(values));
}
TensorData bools(ir::Shape shape) {
  std::vector<int64_t> v(static_cast<size_t>(ir::numel(shape)));
  for (size_t k = 0; k < v.size(); ++k)
    v[k] = (k % 3) == 0;
  return TensorData::fromInts(ir::DType::Bool, std::move(shape), std::move(v));
}
TensorData scalar(float v) { return TensorData::fromFloats({}, {v}); }

const ir::Shape kMap = {1, 2, 4, 4};

ir::PoolAttrs pool2x2() {
  ir::PoolAttrs a;
  a.kernel = {2, 2};
  a.strides = {2, 2};
  return a;
}

Example rnnPoolExample() {
  ir::RNNPoolAttrs a;
  a.patch = {2, 2};
  a.stride = {2, 2};
  a.rnn1.hidden = 2;
  a.rnn2.hidden = 2;
  a.encoding = "node";
  Example e{{floats(kMap)}, a};
  for (int64_t in : {int64_t{2}, a.rnn1.hidden}) { // W, U, b_z, b_h, zeta, nu per cell
    e.inputs.push_back(floats({in, 2}, -0.5f, 0.5f));
    e.inputs.push_back(floats({2, 2}, -0.5f, 0.5f));
    e.inputs.push_back(floats({1, 2}));
    e.inputs.push_back(floats({2}));
    e.inputs.push_back(scalar(0.5f));
    e.inputs.back().shape = {1, 1};
    e.inputs.push_back(scalar(-0.5f));
    e.inputs.back().shape = {1, 1};
  }
  return e;
}

Example exampleOf(OpKind op) {
  switch (op) {
  case OpKind::Conv: {
    ir::ConvAttrs a;
    a.kernel = {3, 3};
    a.pads = {1, 1, 1, 1};
    return {{floats(kMap), floats({3, 2, 3, 3}), floats({3})}, a};
  }
  case OpKind::Gemm:
    return {{floats({1, 6}), floats({6, 3}), floats({3})}, ir::GemmAttrs{}};
  case OpKind::MatMul: return {{floats({1, 6}), floats({6, 3})}};
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Max:
  case OpKind::Min:
  case OpKind::Sum:
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::Greater: return {{floats(kMap), floats({1, 2, 1, 1})}};
  case OpKind::Div:
  case OpKind::Pow: return {{positive(kMap), positive({1, 2, 1, 1})}};
  case OpKind::And:
  case OpKind::Or: return {{bools(kMap), bools({1, 2, 1, 1})}};
  case OpKind::Where: return {{bools(kMap), floats(kMap), floats({1, 2, 1, 1})}};
  case OpKind::Identity:
  case OpKind::Relu:
  case OpKind::Sigmoid:
  case OpKind::HardSwish:
  case OpKind::Tanh:
  case OpKind::Cast: return {{floats(kMap)}};
  case OpKind::LeakyRelu: return {{floats(kMap)}, ir::AlphaBetaAttrs{0.1f, 0}};
  case OpKind::HardSigmoid: return {{floats(kMap)}, ir::AlphaBetaAttrs{0.2f, 0.5f}};
  case OpKind::Clip: return {{floats(kMap), scalar(-1), scalar(1)}};
  case OpKind::Not: return {{bools(kMap)}};
  case OpKind::QuantizeLinear: return {{floats(kMap), scalar(0.05f)}, ir::AxisAttrs{1}};
  case OpKind::DequantizeLinear:
    return {{TensorData::fromInts(ir::DType::Int8, {1, 4}, {-128, -1, 0, 127}), scalar(0.05f)},
            ir::AxisAttrs{1}};
  case OpKind::MaxPool:
  case OpKind::AveragePool: return {{floats(kMap)}, pool2x2()};
  case OpKind::GlobalAveragePool:
  case OpKind::GlobalMaxPool: return {{floats(kMap)}};
  case OpKind::BatchNormalization:
    return {{floats(kMap), floats({2}), floats({2}), floats({2}), positive({2})}};
  case OpKind::Softmax: return {{floats({1, 6})}};
  case OpKind::L2Norm: return {{floats(kMap)}};
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin: return {{floats(kMap), int64s({1}, {1})}};
  case OpKind::Concat: return {{floats(kMap), floats(kMap)}, ir::AxisAttrs{1}};
  case OpKind::Split: return {{floats(kMap)}, ir::AxisAttrs{1}, 2};
  case OpKind::Slice: return {{floats(kMap), int64s({1}, {0}), int64s({1}, {1}), int64s({1}, {1})}};
  case OpKind::Gather: return {{floats(kMap), int64s({1}, {1})}, ir::AxisAttrs{1}};
  case OpKind::ScatterND:
    return {{floats(kMap), int64s({1, 2}, {0, 1}), floats({1, 4, 4})}};
  case OpKind::Reshape: return {{floats(kMap), int64s({2}, {1, -1})}};
  case OpKind::Flatten: return {{floats(kMap)}, ir::AxisAttrs{1}};
  case OpKind::Squeeze: return {{floats(kMap), int64s({1}, {0})}};
  case OpKind::Unsqueeze: return {{floats({1, 8}), int64s({1}, {1})}};
  case OpKind::Transpose: return {{floats(kMap)}, ir::TransposeAttrs{{0, 1, 3, 2}}};
  case OpKind::ChannelShuffle: return {{floats({1, 6, 2, 3})}, ir::ChannelShuffleAttrs{2}};
  case OpKind::Pad: return {{floats(kMap), int64s({8}, {0, 0, 1, 0, 0, 0, 0, 1})}};
  case OpKind::Resize: // an empty roi, then scales
    return {{floats(kMap), floats({0}), TensorData::fromFloats({4}, {1, 1, 2, 2})},
            ir::ResizeAttrs{ir::ResizeMode::Linear, ir::ResizeCoord::HalfPixel, {}}};
  case OpKind::Expand: return {{floats({1, 2, 1, 1}), int64s({4}, {1, 2, 4, 4})}};
  case OpKind::Tile: return {{floats(kMap), int64s({4}, {1, 1, 2, 1})}};
  case OpKind::Shape: return {{floats(kMap)}};
  case OpKind::Range: return {{scalar(0), scalar(3), scalar(0.5f)}};
  case OpKind::ConstantOfShape: return {{int64s({2}, {2, 3})}};
  case OpKind::RNNPool: return rnnPoolExample();
  default: break;
  }
  // A math op (ir::unaryMathOf) needs no case: positive inputs are in every one's domain.
  if (ir::unaryMathOf(op))
    return {{positive(kMap)}};
  FAIL("op without an example");
  return {};
}

/// A one-node graph of `op`'s example with graph outputs; input 0 is a graph input when
/// float (the int8 build quantises it), the rest constants.
ir::Graph graphOf(OpKind op, const Example &e) {
  testing::Builder b;
  std::vector<ir::TensorId> in;
  for (size_t k = 0; k < e.inputs.size(); ++k) {
    const std::string name = "in" + std::to_string(k);
    if (k == 0 && e.inputs[k].dtype == ir::DType::Float32 && op != OpKind::Range)
      in.push_back(b.input(name, e.inputs[k].shape));
    else
      in.push_back(b.g.addConstant(name, e.inputs[k]));
  }
  b.node(op, "the_node", in, e.attrs, e.outputs);
  b.g.outputs = b.g.nodes[0].outputs;
  return b.g;
}

} // namespace

TEST_CASE("every op of Ops.def has a shape rule, a float kernel and an int8 answer",
          "[ir][ops]") {
  int withKernel = 0, withoutKernel = 0;
  for (size_t k = 0; k < ir::numOps(); ++k) {
    const auto op = static_cast<OpKind>(k);
    const std::string opName(ir::opName(op));
    INFO(opName);
    const Example e = exampleOf(op);
    ir::Graph g = graphOf(op, e);
    ir::Node &node = g.nodes[0];

    // Shape rule.
    auto inferred = ir::inferShapes(g, node);
    INFO((inferred ? std::string() : inferred.error().message()));
    REQUIRE(inferred);

    // Float kernel, agreeing with the shape rule.
    std::vector<const TensorData *> ptrs;
    for (const TensorData &t : e.inputs)
      ptrs.push_back(&t);
    auto out = interp::evaluate(node, ptrs);
    INFO((out ? std::string() : out.error().message()));
    REQUIRE(out);
    REQUIRE(out->size() == node.outputs.size());
    for (size_t o = 0; o < out->size(); ++o) {
      const ir::Tensor &t = g.tensor(node.outputs[o]);
      CHECK((*out)[o].shape == t.shape);
      CHECK((*out)[o].dtype == t.dtype);
    }

    // Int8: a kernel, or the documented error naming the node. Only graphs from a float
    // input to float outputs quantise (QDQ pairs are folded before, other dtypes refused).
    if (g.inputs.empty() ||
        std::any_of(g.outputs.begin(), g.outputs.end(),
                    [&](ir::TensorId t) { return g.tensor(t).dtype != ir::DType::Float32; }))
      continue;
    auto ranges = calib::calibrate(g, calib::syntheticInputs(g, 2));
    INFO((ranges ? std::string() : ranges.error().message()));
    REQUIRE(ranges);
    auto model = quant::quantize(g, *ranges);
    if (model) {
      ++withKernel;
      continue;
    }
    const std::string msg = model.error().message();
    INFO(msg);
    // The node, or a graph input or output the backend cannot take.
    CHECK((msg.find("the_node") != std::string::npos || msg.starts_with("graph ")));
    CHECK(msg.find("internal") == std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
    withoutKernel += msg.find("has no fixed-point kernel yet") != std::string::npos;
  }
  // Both answers occur (the check above is not vacuous).
  CHECK(withKernel > 10);
  CHECK(withoutKernel > 5);
}
