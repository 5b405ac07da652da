// Opset-dependent op forms are normalised to the IR's conventions (Ops.def): parameters
// that ONNX moved from attributes to inputs are always inputs.
#include "tests/unit/onnx/ModelBuilder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using Catch::Matchers::Contains;

namespace {

/// A model around one node reading "x" (1x3x8x8 float unless given) and writing "y".
struct OneNode {
  ModelBuilder m;
  onnx::NodeProto *node;
  OneNode(int64_t opset, const std::string &op, std::vector<std::string> inputs = {"x"},
          std::vector<std::string> outputs = {"y"}, std::vector<Dim> shape = {1, 3, 8, 8})
      : m(opset) {
    m.input("x", shape);
    node = &m.node(op, std::move(inputs), outputs, "n");
    for (const std::string &out : outputs)
      if (!out.empty())
        m.output(out);
  }
  ir::Node imported() {
    auto result = importOk(m);
    graph = std::move(result.graph);
    notes = std::move(result.notes);
    REQUIRE(graph.nodes.size() == 1);
    return graph.nodes[0];
  }
  std::string error() { return importError(m); }
  OneNode(const OneNode &) = delete; // `node` points into `m`
  ir::Graph graph;
  std::vector<std::string> notes;
};

} // namespace

TEST_CASE("Slice: opset 9 attributes become constant inputs; opset 13 inputs pass through") {
  OneNode old(9, "Slice");
  setAttr(*old.node, "starts", std::vector<int64_t>{0, 1});
  setAttr(*old.node, "ends", std::vector<int64_t>{1, 3});
  setAttr(*old.node, "axes", std::vector<int64_t>{0, 2});
  ir::Node n = old.imported();
  REQUIRE(n.inputs.size() == 4);
  CHECK(constInts(old.graph, n, 1) == ir::Ints{0, 1});
  CHECK(constInts(old.graph, n, 2) == ir::Ints{1, 3});
  CHECK(constInts(old.graph, n, 3) == ir::Ints{0, 2});
  CHECK(old.graph.tensor(n.inputs[1]).name == "n_starts");

  OneNode modern(13, "Slice", {"x", "s", "e", "", "st"});
  modern.m.ints("s", {1}).ints("e", {3}).ints("st", {2});
  n = modern.imported();
  REQUIRE(n.inputs.size() == 5);
  CHECK(n.inputs[3] == ir::kNoTensor);
  CHECK(modern.graph.tensor(n.inputs[4]).name == "st");

  OneNode missing(9, "Slice");
  setAttr(*missing.node, "starts", std::vector<int64_t>{0});
  // The ONNX checker knows the required attributes of every op.
  CHECK_THAT(missing.error(), Contains("Required attribute 'ends' is missing"));
}

TEST_CASE("Pad: opset 10 attributes become inputs; modes map; other modes are errors") {
  OneNode old(10, "Pad");
  setAttr(*old.node, "pads", std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1});
  setAttr(*old.node, "value", 2.5f);
  setAttr(*old.node, "mode", "reflect");
  ir::Node n = old.imported();
  REQUIRE(n.inputs.size() == 3);
  CHECK(constInts(old.graph, n, 1) == ir::Ints{0, 0, 1, 1, 0, 0, 1, 1});
  CHECK(old.graph.tensor(n.inputs[2]).data->f == std::vector<float>{2.5f});
  CHECK(n.attr<ir::PadAttrs>().mode == ir::PadMode::Reflect);

  OneNode noValue(2 + 5, "Pad"); // opset 7
  setAttr(*noValue.node, "pads", std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1});
  setAttr(*noValue.node, "mode", "edge");
  n = noValue.imported();
  CHECK(n.inputs.size() == 2);
  CHECK(n.attr<ir::PadAttrs>().mode == ir::PadMode::Edge);

  OneNode modern(13, "Pad", {"x", "p"});
  modern.m.ints("p", {0, 0, 1, 1, 0, 0, 1, 1});
  n = modern.imported();
  CHECK(n.inputs.size() == 2);
  CHECK(n.attr<ir::PadAttrs>().mode == ir::PadMode::Constant);

  OneNode wrap(13, "Pad", {"x", "p"});
  wrap.m.ints("p", {0, 0, 1, 1, 0, 0, 1, 1});
  setAttr(*wrap.node, "mode", "wrap");
  CHECK_THAT(wrap.error(), Contains("node 'n' (Pad): mode 'wrap' is not supported; use "
                                    "constant, edge or reflect"));
}

TEST_CASE("Split: the split attribute before opset 13 becomes an input") {
  OneNode old(11, "Split", {"x"}, {"a", "b"});
  setAttr(*old.node, "axis", 1);
  setAttr(*old.node, "split", std::vector<int64_t>{1, 2});
  ir::Node n = old.imported();
  CHECK(n.attr<ir::AxisAttrs>().axis == 1);
  CHECK(n.outputs.size() == 2);
  CHECK(constInts(old.graph, n, 1) == ir::Ints{1, 2});

  OneNode equal(11, "Split", {"x"}, {"a", "b", "c"});
  setAttr(*equal.node, "axis", 1);
  n = equal.imported();
  CHECK(n.inputs.size() == 1);
  CHECK(n.outputs.size() == 3);

  OneNode modern(13, "Split", {"x", "s"}, {"a", "b"});
  modern.m.ints("s", {2, 1});
  setAttr(*modern.node, "axis", -3);
  n = modern.imported();
  CHECK(n.attr<ir::AxisAttrs>().axis == -3);
  CHECK(constInts(modern.graph, n, 1) == ir::Ints{2, 1});
}

TEST_CASE("Squeeze and Unsqueeze: axes attributes before opset 13 become inputs") {
  OneNode squeeze(11, "Squeeze", {"x"}, {"y"}, {1, 3, 1, 8});
  setAttr(*squeeze.node, "axes", std::vector<int64_t>{0, 2});
  ir::Node n = squeeze.imported();
  CHECK(constInts(squeeze.graph, n, 1) == ir::Ints{0, 2});

  OneNode squeezeAll(11, "Squeeze", {"x"}, {"y"}, {1, 3, 1, 8});
  CHECK(squeezeAll.imported().inputs.size() == 1);

  OneNode unsqueeze(11, "Unsqueeze");
  setAttr(*unsqueeze.node, "axes", std::vector<int64_t>{-1});
  n = unsqueeze.imported();
  CHECK(constInts(unsqueeze.graph, n, 1) == ir::Ints{-1});

  OneNode modern(13, "Unsqueeze", {"x", "ax"});
  modern.m.ints("ax", {0});
  n = modern.imported();
  CHECK(modern.graph.tensor(n.inputs[1]).name == "ax");
}

TEST_CASE("Reduce*: axes attributes become inputs; ReduceSum takes an input from opset 13") {
  OneNode mean(13, "ReduceMean");
  setAttr(*mean.node, "axes", std::vector<int64_t>{2, 3});
  setAttr(*mean.node, "keepdims", 0);
  ir::Node n = mean.imported();
  CHECK(n.op == ir::OpKind::ReduceMean);
  CHECK(constInts(mean.graph, n, 1) == ir::Ints{2, 3});
  CHECK_FALSE(n.attr<ir::ReduceAttrs>().keepDims);

  OneNode maxAll(11, "ReduceMax");
  n = maxAll.imported();
  CHECK(n.inputs.size() == 1);
  CHECK(n.attr<ir::ReduceAttrs>().keepDims);
  CHECK_FALSE(n.attr<ir::ReduceAttrs>().noopWithEmptyAxes);

  OneNode oldSum(11, "ReduceSum");
  setAttr(*oldSum.node, "axes", std::vector<int64_t>{1});
  n = oldSum.imported();
  CHECK(constInts(oldSum.graph, n, 1) == ir::Ints{1});

  OneNode sum(13, "ReduceSum", {"x", "ax"});
  sum.m.ints("ax", {1});
  setAttr(*sum.node, "noop_with_empty_axes", 1);
  n = sum.imported();
  CHECK(sum.graph.tensor(n.inputs[1]).name == "ax");
  CHECK(n.attr<ir::ReduceAttrs>().noopWithEmptyAxes);

  OneNode badKeep(13, "ReduceMin");
  setAttr(*badKeep.node, "keepdims", 2);
  CHECK_THAT(badKeep.error(), Contains("node 'n' (ReduceMin): attribute 'keepdims' is 2, but "
                                       "must be 0 or 1"));
}

TEST_CASE("Clip: opset 10 min/max attributes become inputs") {
  OneNode old(10, "Clip");
  setAttr(*old.node, "min", 0.0f);
  setAttr(*old.node, "max", 6.0f);
  ir::Node n = old.imported();
  REQUIRE(n.inputs.size() == 3);
  CHECK(old.graph.tensor(n.inputs[1]).data->f == std::vector<float>{0.0f});
  CHECK(old.graph.tensor(n.inputs[2]).data->f == std::vector<float>{6.0f});

  OneNode maxOnly(10, "Clip");
  setAttr(*maxOnly.node, "max", 6.0f);
  n = maxOnly.imported();
  REQUIRE(n.inputs.size() == 3);
  CHECK(n.inputs[1] == ir::kNoTensor);

  OneNode none(10, "Clip");
  CHECK(none.imported().inputs.size() == 1);

  OneNode modern(13, "Clip", {"x", "", "hi"});
  modern.m.initializer(floatTensor("hi", {}, {6}));
  n = modern.imported();
  REQUIRE(n.inputs.size() == 3);
  CHECK(n.inputs[1] == ir::kNoTensor);
}

TEST_CASE("Softmax: opset < 13 flattens to 2-D at axis 1; opset 13 defaults to axis -1") {
  OneNode old(11, "Softmax");
  auto a = old.imported().attr<ir::SoftmaxAttrs>();
  CHECK(a.coerce2D);
  CHECK(a.axis == 1);

  OneNode modern(13, "Softmax");
  a = modern.imported().attr<ir::SoftmaxAttrs>();
  CHECK_FALSE(a.coerce2D);
  CHECK(a.axis == -1);

  OneNode given(11, "Softmax");
  setAttr(*given.node, "axis", 3);
  CHECK(given.imported().attr<ir::SoftmaxAttrs>().axis == 3);
}

TEST_CASE("Conv and pool attributes: defaults, auto_pad strings and validation") {
  OneNode conv(13, "Conv", {"x", "w"});
  conv.m.weights("w", {6, 1, 3, 3});
  setAttr(*conv.node, "auto_pad", "SAME_LOWER");
  setAttr(*conv.node, "group", 3);
  setAttr(*conv.node, "dilations", std::vector<int64_t>{2, 2});
  auto c = conv.imported().attr<ir::ConvAttrs>();
  CHECK(c.autoPad == ir::AutoPad::SameLower);
  CHECK(c.group == 3);
  CHECK(c.dilations == ir::Ints{2, 2});
  CHECK(c.kernel.empty());

  for (auto [text, mode] : {std::pair{"SAME_UPPER", ir::AutoPad::SameUpper},
                            std::pair{"VALID", ir::AutoPad::Valid},
                            std::pair{"NOTSET", ir::AutoPad::NotSet}}) {
    OneNode pool(13, "MaxPool");
    setAttr(*pool.node, "kernel_shape", std::vector<int64_t>{2, 2});
    setAttr(*pool.node, "auto_pad", text);
    CHECK(pool.imported().attr<ir::PoolAttrs>().autoPad == mode);
  }

  OneNode foo(13, "Conv", {"x", "w"});
  foo.m.weights("w", {6, 3, 3, 3});
  setAttr(*foo.node, "auto_pad", "FOO");
  CHECK_THAT(foo.error(), Contains("node 'n' (Conv): auto_pad 'FOO' is not valid; use NOTSET, "
                                   "SAME_UPPER, SAME_LOWER or VALID"));

  OneNode stride(13, "Conv", {"x", "w"});
  stride.m.weights("w", {6, 3, 3, 3});
  setAttr(*stride.node, "strides", std::vector<int64_t>{0, 1});
  CHECK_THAT(stride.error(), Contains("attribute 'strides' has value 0, but every value must "
                                      "be at least 1"));

  OneNode mismatch(13, "Conv", {"x", "w"});
  mismatch.m.weights("w", {6, 3, 3, 3});
  setAttr(*mismatch.node, "kernel_shape", std::vector<int64_t>{3, 3});
  setAttr(*mismatch.node, "pads", std::vector<int64_t>{1, 1});
  CHECK_THAT(mismatch.error(), Contains("attribute 'pads' is for 1 spatial dims"));

  OneNode avg(13, "AveragePool");
  setAttr(*avg.node, "kernel_shape", std::vector<int64_t>{3, 3});
  setAttr(*avg.node, "count_include_pad", 1);
  setAttr(*avg.node, "ceil_mode", 1);
  setAttr(*avg.node, "pads", std::vector<int64_t>{1, 1, 1, 1});
  auto p = avg.imported().attr<ir::PoolAttrs>();
  CHECK(p.countIncludePad);
  CHECK(p.ceilMode);
  CHECK(p.kernel == ir::Ints{3, 3});
  CHECK(p.pads == ir::Ints{1, 1, 1, 1});
}

TEST_CASE("MaxPool: an unused Indices output is dropped; a used one or storage_order is an error") {
  OneNode unused(13, "MaxPool", {"x"}, {"y", "idx"});
  unused.m.graph().mutable_output()->RemoveLast(); // idx is not a graph output
  setAttr(*unused.node, "kernel_shape", std::vector<int64_t>{2, 2});
  CHECK(unused.imported().outputs.size() == 1);

  OneNode used(13, "MaxPool", {"x"}, {"y", "idx"});
  setAttr(*used.node, "kernel_shape", std::vector<int64_t>{2, 2});
  CHECK_THAT(used.error(), Contains("node 'n' (MaxPool): the Indices output ('idx') is used"));

  OneNode order(13, "MaxPool");
  setAttr(*order.node, "kernel_shape", std::vector<int64_t>{2, 2});
  setAttr(*order.node, "storage_order", 1);
  CHECK_THAT(order.error(), Contains("node 'n' (MaxPool): storage_order 1"));
}

TEST_CASE("BatchNormalization: training mode and used training outputs are errors") {
  const std::vector<std::string> operands = {"x", "s", "b", "m", "v"};
  auto addWeights = [](OneNode &one) {
    one.m.weights("s", {3}).weights("b", {3}).weights("m", {3}).weights("v", {3});
  };
  OneNode plain(9, "BatchNormalization", operands, {"y"});
  addWeights(plain);
  setAttr(*plain.node, "epsilon", 1e-3f);
  ir::Node n = plain.imported();
  CHECK(n.attr<ir::BatchNormAttrs>().epsilon == 1e-3f);
  CHECK(n.inputs.size() == 5);

  OneNode training(14, "BatchNormalization", operands, {"y"});
  addWeights(training);
  setAttr(*training.node, "training_mode", 1);
  CHECK_THAT(training.error(), Contains("node 'n' (BatchNormalization): training_mode=1 is not "
                                        "supported"));

  OneNode extra(14, "BatchNormalization", operands, {"y", "rm", "rv"});
  addWeights(extra);
  setAttr(*extra.node, "training_mode", 1);
  CHECK_THAT(extra.error(), Contains("training_mode=1"));

  OneNode extraUsed(9, "BatchNormalization", operands, {"y", "mean", "var", "sm", "sv"});
  addWeights(extraUsed);
  CHECK_THAT(extraUsed.error(), Contains("a training-mode output ('mean') is used"));
}

TEST_CASE("Cast, ConstantOfShape, Shape, Transpose, LeakyRelu, HardSigmoid attributes") {
  OneNode toDouble(13, "Cast");
  setAttr(*toDouble.node, "to", int64_t{TensorProto::DOUBLE});
  CHECK(toDouble.imported().attr<ir::CastAttrs>().to == ir::DType::Float32);
  CHECK(toDouble.notes == std::vector<std::string>{"float64 tensors computed in float32"});

  OneNode toInt8(13, "Cast");
  setAttr(*toInt8.node, "to", int64_t{TensorProto::INT8});
  CHECK(toInt8.imported().attr<ir::CastAttrs>().to == ir::DType::Int8);

  OneNode toString(13, "Cast");
  setAttr(*toString.node, "to", int64_t{TensorProto::STRING});
  CHECK_THAT(toString.error(), Contains("node 'n' (Cast): cast to STRING is not supported"));

  OneNode cos(13, "ConstantOfShape", {"s"});
  cos.m.ints("s", {2, 3});
  setAttr(*cos.node, "value", intTensor("", {1}, {7}));
  auto c = cos.imported().attr<ir::ConstantOfShapeAttrs>();
  CHECK(c.dtype == ir::DType::Int64);
  CHECK(c.value == 7);

  OneNode cosDefault(13, "ConstantOfShape", {"s"});
  cosDefault.m.ints("s", {2, 3});
  c = cosDefault.imported().attr<ir::ConstantOfShapeAttrs>();
  CHECK(c.dtype == ir::DType::Float32);
  CHECK(c.value == 0);

  OneNode shape(15, "Shape");
  setAttr(*shape.node, "start", 1);
  setAttr(*shape.node, "end", -1);
  auto s = shape.imported().attr<ir::ShapeAttrs>();
  CHECK(s.start == 1);
  CHECK(s.end == -1);

  OneNode transpose(13, "Transpose");
  setAttr(*transpose.node, "perm", std::vector<int64_t>{0, 2, 3, 1});
  CHECK(transpose.imported().attr<ir::TransposeAttrs>().perm == ir::Ints{0, 2, 3, 1});

  OneNode badPerm(13, "Transpose");
  setAttr(*badPerm.node, "perm", std::vector<int64_t>{0, 2, 2, 1});
  CHECK_THAT(badPerm.error(), Contains("attribute 'perm' [0, 2, 2, 1] is not a permutation"));

  OneNode leaky(13, "LeakyRelu");
  CHECK(leaky.imported().attr<ir::AlphaBetaAttrs>().alpha == 0.01f);

  OneNode hard(13, "HardSigmoid");
  auto h = hard.imported().attr<ir::AlphaBetaAttrs>();
  CHECK(h.alpha == 0.2f);
  CHECK(h.beta == 0.5f);
}

TEST_CASE("Dropout becomes Identity; a used mask output is an error") {
  OneNode plain(13, "Dropout", {"x", "ratio"}, {"y", "mask"});
  plain.m.graph().mutable_output()->RemoveLast();
  plain.m.initializer(floatTensor("ratio", {}, {0.5f}));
  ir::Node n = plain.imported();
  CHECK(n.op == ir::OpKind::Identity);
  CHECK(n.inputs.size() == 1);
  CHECK(n.outputs.size() == 1);

  OneNode mask(13, "Dropout", {"x"}, {"y", "mask"});
  CHECK_THAT(mask.error(), Contains("node 'n' (Dropout): the mask output ('mask') is used"));

  OneNode training(13, "Dropout", {"x", "", "t"});
  TensorProto t;
  t.set_name("t");
  t.set_data_type(TensorProto::BOOL);
  t.add_int32_data(1);
  training.m.initializer(t);
  CHECK_THAT(training.error(), Contains("training_mode must be absent or a constant false"));
}

TEST_CASE("a wrongly typed attribute is an error naming the node") {
  OneNode gemm(13, "Gemm", {"x", "w"}, {"y"}, {2, 3});
  gemm.m.weights("w", {3, 4});
  auto *a = gemm.node->add_attribute();
  a->set_name("alpha");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(2.0f);
  setAttr(*gemm.node, "transA", 3);
  CHECK_THAT(gemm.error(), Contains("node 'n' (Gemm): attribute 'transA' is 3, but must be 0 or 1"));
}

TEST_CASE("LpNormalization with p = 2 becomes L2Norm along its axis; p = 1 is an error") {
  OneNode byDefault(13, "LpNormalization");
  ir::Node n = byDefault.imported();
  CHECK(n.op == ir::OpKind::L2Norm);
  CHECK(n.attr<ir::L2NormAttrs>().axis == -1);
  CHECK(n.attr<ir::L2NormAttrs>().eps == 0.0f);
  CHECK(n.inputs.size() == 1);

  OneNode channels(13, "LpNormalization");
  setAttr(*channels.node, "axis", 1);
  setAttr(*channels.node, "p", 2);
  CHECK(channels.imported().attr<ir::L2NormAttrs>().axis == 1);

  OneNode l1(13, "LpNormalization");
  setAttr(*l1.node, "p", 1);
  CHECK_THAT(l1.error(), Contains("p = 1 is not supported"));
}

TEST_CASE("Resize: opsets 10-13 and Upsample 7-9 become Resize(X, roi, scales, sizes)") {
  OneNode modern(13, "Resize", {"x", "", "s"});
  modern.m.initializer(floatTensor("s", {4}, {1, 1, 2, 2}));
  setAttr(*modern.node, "mode", "linear");
  setAttr(*modern.node, "coordinate_transformation_mode", "pytorch_half_pixel");
  ir::Node n = modern.imported();
  REQUIRE(n.op == ir::OpKind::Resize);
  REQUIRE(n.inputs.size() == 3);
  CHECK(n.inputs[1] == ir::kNoTensor);
  CHECK(modern.graph.tensor(n.inputs[2]).name == "s");
  CHECK(n.attr<ir::ResizeAttrs>().mode == ir::ResizeMode::Linear);
  CHECK(n.attr<ir::ResizeAttrs>().coord == ir::ResizeCoord::PytorchHalfPixel);

  OneNode sizes(11, "Resize", {"x", "roi", "scales", "sizes"});
  sizes.m.initializer(floatTensor("roi", {0}, {})).initializer(floatTensor("scales", {0}, {}));
  sizes.m.ints("sizes", {1, 3, 5, 12});
  setAttr(*sizes.node, "nearest_mode", "ceil");
  setAttr(*sizes.node, "coordinate_transformation_mode", "align_corners");
  n = sizes.imported();
  REQUIRE(n.inputs.size() == 4);
  CHECK(constInts(sizes.graph, n, 3) == ir::Ints{1, 3, 5, 12});
  CHECK(n.attr<ir::ResizeAttrs>().mode == ir::ResizeMode::Nearest);
  CHECK(n.attr<ir::ResizeAttrs>().nearest == ir::ResizeNearest::Ceil);
  CHECK(n.attr<ir::ResizeAttrs>().coord == ir::ResizeCoord::AlignCorners);

  OneNode ten(10, "Resize", {"x", "s"});
  ten.m.initializer(floatTensor("s", {4}, {1, 1, 2, 3}));
  n = ten.imported();
  REQUIRE(n.inputs.size() == 3);
  CHECK(n.inputs[1] == ir::kNoTensor);
  CHECK(ten.graph.tensor(n.inputs[2]).name == "s");
  CHECK(n.attr<ir::ResizeAttrs>().coord == ir::ResizeCoord::Asymmetric);
  CHECK(n.attr<ir::ResizeAttrs>().nearest == ir::ResizeNearest::Floor);

  OneNode up7(7, "Upsample");
  setAttr(*up7.node, "scales", std::vector<float>{1, 1, 2, 2});
  n = up7.imported();
  REQUIRE(n.op == ir::OpKind::Resize);
  REQUIRE(n.inputs.size() == 3);
  CHECK(up7.graph.tensor(n.inputs[2]).data->f == std::vector<float>{1, 1, 2, 2});
  CHECK(n.attr<ir::ResizeAttrs>().coord == ir::ResizeCoord::Asymmetric);

  OneNode up9(9, "Upsample", {"x", "s"});
  up9.m.initializer(floatTensor("s", {4}, {1, 1, 2, 2}));
  setAttr(*up9.node, "mode", "linear");
  n = up9.imported();
  REQUIRE(n.op == ir::OpKind::Resize);
  CHECK(up9.graph.tensor(n.inputs[2]).name == "s");
  CHECK(n.attr<ir::ResizeAttrs>().mode == ir::ResizeMode::Linear);
}

TEST_CASE("Resize: cubic and tf_crop_and_resize are one-line errors") {
  OneNode cubic(13, "Resize", {"x", "", "s"});
  cubic.m.initializer(floatTensor("s", {4}, {1, 1, 2, 2}));
  setAttr(*cubic.node, "mode", "cubic");
  CHECK_THAT(cubic.error(), Contains("node 'n' (Resize): mode 'cubic' is not supported; use "
                                     "nearest or linear"));
  OneNode crop(13, "Resize", {"x", "", "s"});
  crop.m.initializer(floatTensor("s", {4}, {1, 1, 2, 2}));
  setAttr(*crop.node, "coordinate_transformation_mode", "tf_crop_and_resize");
  CHECK_THAT(crop.error(), Contains("coordinate_transformation_mode 'tf_crop_and_resize' is "
                                    "not supported"));
}
