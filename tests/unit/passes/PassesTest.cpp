// Each pass: the expected structure afterwards, and the same outputs as before it.
#include "compiler/ir/Validator.h"
#include "compiler/passes/Passes.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::OpKind;

namespace {

ir::TensorId batchNorm(Builder &b, const std::string &name, ir::TensorId x, int64_t c) {
  return b.node(OpKind::BatchNormalization, name,
                {x, b.constant(name + "_s", {c}, 0.5f, 1.5f), b.constant(name + "_b", {c}),
                 b.constant(name + "_m", {c}), b.constant(name + "_v", {c}, 0.2f, 2.0f)});
}

} // namespace

TEST_CASE("fold-constants removes PyTorch's Shape-Gather-Concat-Reshape chain", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {2, 3, 4, 5});
  ir::TensorId shape = b.node(OpKind::Shape, "shape", {x});
  ir::AxisAttrs axis0;
  ir::TensorId batch = b.node(OpKind::Gather, "gather", {shape, b.g.addConstant(
      "zero", ir::TensorData::scalarInt(0))}, axis0);
  ir::TensorId batch1 = b.node(OpKind::Unsqueeze, "unsq", {batch, b.ints("axes", {0})});
  ir::TensorId target = b.node(OpKind::Concat, "concat", {batch1, b.ints("minus1", {-1})}, axis0);
  b.g.outputs = {b.node(OpKind::Reshape, "reshape", {x, target})};

  std::vector<ir::TensorData> inputs = {b.randomInput(0)};
  auto before = runGraph(b.g, inputs);
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  REQUIRE(b.g.nodes.size() == 1);
  REQUIRE(b.g.nodes[0].op == OpKind::Reshape);
  const ir::Tensor &folded = b.g.tensor(b.g.nodes[0].inputs[1]);
  REQUIRE(folded.isConstant());
  REQUIRE(folded.data->i == std::vector<int64_t>{2, -1});
  REQUIRE(b.g.tensor(b.g.outputs[0]).shape == ir::Shape{2, 60});
  REQUIRE(maxAbsDiff(before[0], runGraph(b.g, inputs)[0]) == 0);
}

TEST_CASE("fold-constants keeps an expanded scale at its smallest shape", "[passes]") {
  // L2Norm's scale as S3FD writes it: Mul(Expand(w[1, C, 1, 1], Shape(x)), x).
  Builder b;
  ir::TensorId x = b.input("x", {1, 4, 5, 6});
  ir::TensorId w = b.constant("w", {1, 4, 1, 1}, 5, 10);
  ir::TensorId big = b.node(OpKind::Expand, "expand", {w, b.node(OpKind::Shape, "shape", {x})});
  ir::TensorId y = b.node(OpKind::Mul, "scale", {big, x});
  // A folded constant that really varies along H stays whole along H (and shrinks along W).
  ir::TensorId rows = b.constant("rows", {1, 1, 5, 1});
  ir::TensorId wide = b.node(OpKind::Expand, "expand_rows", {rows, b.ints("to", {1, 4, 5, 6})});
  b.g.outputs = {b.node(OpKind::Add, "shift", {y, wide})};
  std::vector<ir::TensorData> inputs = {b.randomInput(0)};
  auto before = runGraph(b.g, inputs);
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  REQUIRE(b.g.nodes.size() == 2);
  REQUIRE(b.g.tensor(b.g.nodes[0].inputs[0]).shape == ir::Shape{1, 4, 1, 1});
  REQUIRE(b.g.tensor(b.g.nodes[1].inputs[1]).shape == ir::Shape{1, 1, 5, 1});
  REQUIRE(b.g.tensor(b.g.outputs[0]).shape == ir::Shape{1, 4, 5, 6});
  REQUIRE(maxAbsDiff(before[0], runGraph(b.g, inputs)[0]) == 0);
}

TEST_CASE("fold-constants keeps a constant whole where no other input spans the axis",
          "[passes]") {
  // Mul(x, Expand(w)) with x [1, 1, 5, 6]: the constant alone gives the output its 4
  // channels, so it keeps them although its values are equal along C; it shrinks along H
  // and W, which x spans.
  Builder b;
  ir::TensorId x = b.input("x", {1, 1, 5, 6});
  ir::TensorId w = b.constant("w", {1, 1, 1, 1}, 2, 3);
  ir::TensorId big = b.node(OpKind::Expand, "expand", {w, b.ints("to", {1, 4, 5, 6})});
  b.g.outputs = {b.node(OpKind::Mul, "scale", {x, big})};
  std::vector<ir::TensorData> inputs = {b.randomInput(0)};
  auto before = runGraph(b.g, inputs);
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  REQUIRE(b.g.tensor(b.g.nodes[0].inputs[1]).shape == ir::Shape{1, 4, 1, 1});
  REQUIRE(b.g.tensor(b.g.outputs[0]).shape == ir::Shape{1, 4, 5, 6});
  REQUIRE(maxAbsDiff(before[0], runGraph(b.g, inputs)[0]) == 0);
}

TEST_CASE("fold-constants reports shape errors with the node name", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 3});
  b.g.outputs = {b.node(OpKind::Add, "adder", {x, b.constant("w", {1, 4})})};
  auto status = passes::foldConstantsAndInferShapes(b.g);
  REQUIRE_FALSE(status);
  REQUIRE_THAT(status.error().message(), Catch::Contains("node 'adder' (Add)"));
}

TEST_CASE("global-pools turns means and maxima over rows and columns into global pools",
          "[passes]") {
  // As PyTorch exports x.mean((2, 3)), x.mean((-2, -1), keepdim=True) and x.amax((2, 3)).
  struct Case {
    OpKind op;
    std::vector<int64_t> axes;
    bool keepDims;
    OpKind pool;
  };
  for (const Case &c : {Case{OpKind::ReduceMean, {2, 3}, false, OpKind::GlobalAveragePool},
                        Case{OpKind::ReduceMean, {-1, -2}, true, OpKind::GlobalAveragePool},
                        Case{OpKind::ReduceMax, {3, 2}, false, OpKind::GlobalMaxPool},
                        Case{OpKind::ReduceMax, {2, -1}, true, OpKind::GlobalMaxPool}}) {
    INFO(ir::opName(c.op) << " keepdims " << c.keepDims);
    Builder b;
    ir::TensorId x = b.input("x", {1, 5, 6, 7});
    ir::ReduceAttrs attrs;
    attrs.keepDims = c.keepDims;
    b.g.outputs = {b.node(c.op, "reduce", {x, b.ints("axes", c.axes)}, attrs)};
    checkPreservesOutputs(b, passes::rewriteGlobalPools, 1e-6f);
    CHECK(countOps(b.g, c.op) == 0);
    CHECK(countOps(b.g, c.pool) == 1);
    CHECK(countOps(b.g, OpKind::Reshape) == (c.keepDims ? 0 : 1));
    CHECK(b.g.tensor(b.g.outputs[0]).name == "reduce_out"); // the output keeps its name
    CHECK(b.g.tensor(b.g.outputs[0]).shape ==
          (c.keepDims ? ir::Shape{1, 5, 1, 1} : ir::Shape{1, 5}));
  }
}

TEST_CASE("global-pools rewrites many reductions of one graph, each to its own shape",
          "[passes]") {
  // Each rewrite adds tensors, so the graph's tensors move while the pass runs (a shape
  // read by reference across that move was a use after free: a ConvNeXt-style head crashed).
  // Graphs of 1 to 16 reductions, with an odd and an even number of tensors: some rewrite
  // moves the tensors at every point of it.
  ir::ReduceAttrs dropped;
  dropped.keepDims = false; // (the rewrite that adds a Reshape and its shape)
  for (int64_t count = 1; count <= 16; ++count)
    for (bool odd : {false, true}) {
      INFO(count << " reductions" << (odd ? ", one more tensor" : ""));
      Builder b;
      ir::TensorId x = b.input("x", {1, 3, 5, 4});
      if (odd)
        b.constant("unused", {1});
      for (int64_t c = 1; c <= count; ++c) {
        const std::string k = std::to_string(c);
        ir::TensorId y = b.node(OpKind::Conv, "conv" + k,
                                {x, b.constant("w" + k, {c, 3, 1, 1})}, ir::ConvAttrs{});
        b.g.outputs.push_back(
            b.node(OpKind::ReduceMean, "mean" + k, {y, b.ints("axes" + k, {2, 3})}, dropped));
      }
      checkPreservesOutputs(b, passes::rewriteGlobalPools, 1e-6f);
      CHECK(countOps(b.g, OpKind::GlobalAveragePool) == count);
      for (size_t k = 0; k < b.g.outputs.size(); ++k)
        CHECK(b.g.tensor(b.g.outputs[k]).shape == ir::Shape{1, static_cast<int64_t>(k) + 1});
    }
}

TEST_CASE("global-pools leaves other reductions alone", "[passes]") {
  // Over the channels, over one spatial axis, over H and W of a rank-3 tensor, and with
  // axes computed at run time: none is a global pool.
  Builder b;
  ir::TensorId x = b.input("x", {1, 5, 6, 7}), v = b.input("v", {5, 6, 7});
  ir::TensorId axes = b.input("axes", {2});
  b.g.tensor(axes).dtype = ir::DType::Int64;
  ir::ReduceAttrs attrs;
  b.g.outputs = {b.node(OpKind::ReduceMean, "channels", {x, b.ints("a1", {1})}, attrs),
                 b.node(OpKind::ReduceMax, "rows", {x, b.ints("a2", {2})}, attrs),
                 b.node(OpKind::ReduceMean, "rank3", {v, b.ints("a3", {1, 2})}, attrs),
                 b.node(OpKind::ReduceMean, "runtime_axes", {x, axes}, attrs)};
  const size_t nodes = b.g.nodes.size();
  REQUIRE(passes::rewriteGlobalPools(b.g));
  CHECK(b.g.nodes.size() == nodes);
  CHECK(countOps(b.g, OpKind::GlobalAveragePool) == 0);
  CHECK(countOps(b.g, OpKind::GlobalMaxPool) == 0);
}

TEST_CASE("prelu turns where(x < 0, x * a, x) into LeakyRelu, Max or Min", "[passes]") {
  // ONNX PRelu as the importer writes it, with one slope, slopes per channel in [0, 1],
  // slopes in [1, 3], and slopes on both sides of 1 (left as it is).
  struct Case {
    float low, high;
    bool perChannel;
    OpKind op;
  };
  for (const Case &c :
       {Case{0.25f, 0.25f, false, OpKind::LeakyRelu},
        Case{0.25f, 0.25f, true, OpKind::LeakyRelu}, Case{0.0f, 1.0f, true, OpKind::Max},
        Case{1.0f, 3.0f, true, OpKind::Min}, Case{0.5f, 2.0f, true, OpKind::Where}}) {
    INFO("slopes " << c.low << ".." << c.high << " -> " << ir::opName(c.op));
    Builder b;
    ir::TensorId x = b.input("x", {1, 4, 3, 5});
    ir::TensorId zero = b.g.addConstant("zero", ir::TensorData::fromFloats({}, {0.0f}));
    std::vector<float> slopes(c.perChannel ? 4 : 1, c.low);
    if (c.perChannel)
      slopes = {c.low, c.high, (c.low + c.high) / 2, c.low};
    ir::TensorId a = b.g.addConstant(
        "a",
        ir::TensorData::fromFloats(c.perChannel ? ir::Shape{4, 1, 1} : ir::Shape{1}, slopes));
    ir::TensorId negative = b.node(OpKind::Less, "negative", {x, zero});
    ir::TensorId sloped = b.node(OpKind::Mul, "sloped", {x, a});
    b.g.outputs = {b.node(OpKind::Where, "prelu", {negative, sloped, x})};
    checkPreservesOutputs(b, passes::simplifyPRelu, 0.0f);
    CHECK(countOps(b.g, c.op) == 1);
    CHECK(countOps(b.g, OpKind::Less) == (c.op == OpKind::Where ? 1 : 0));
    CHECK(countOps(b.g, OpKind::Mul) == (c.op == OpKind::LeakyRelu ? 0 : 1));
  }
}

TEST_CASE("softmax-transposes makes opset 11's transposed softmax one over the channels",
          "[passes]") {
  // softmax(x, dim=1) below opset 13: Transpose to NHWC, Softmax over the flattened last
  // axis, Transpose back; then the same without the way back (an NHWC output), and three
  // Transposes in a row merged into one.
  for (bool back : {true, false}) {
    INFO((back ? "transposed back" : "NHWC output"));
    Builder b;
    ir::TensorId x = b.input("x", {1, 5, 3, 4});
    ir::TensorId t =
        b.node(OpKind::Transpose, "to_nhwc", {x}, ir::TransposeAttrs{{0, 2, 3, 1}});
    ir::TensorId y = b.node(OpKind::Softmax, "softmax", {t}, ir::SoftmaxAttrs{3, true});
    if (back)
      y = b.node(OpKind::Transpose, "to_nchw", {y}, ir::TransposeAttrs{{0, 3, 1, 2}});
    b.g.outputs = {y};
    const std::string name = b.g.tensor(y).name;
    checkPreservesOutputs(b, passes::softmaxTransposes, 1e-6f);
    REQUIRE(passes::removeIdentities(b.g));
    REQUIRE(passes::removeDeadNodes(b.g));
    REQUIRE(ir::validate(b.g));
    REQUIRE(b.g.nodes.size() == (back ? 1u : 2u));
    const ir::Node &softmax = b.g.nodes[0];
    CHECK(softmax.op == OpKind::Softmax);
    CHECK(softmax.inputs[0] == x);
    CHECK(softmax.attr<ir::SoftmaxAttrs>().axis == 1);
    CHECK(b.g.tensor(b.g.outputs[0]).name == name);
  }
  Builder b;
  ir::TensorId x = b.input("x", {2, 3, 4});
  ir::TensorId y = b.node(OpKind::Transpose, "a", {x}, ir::TransposeAttrs{{1, 0, 2}});
  y = b.node(OpKind::Transpose, "b", {y}, ir::TransposeAttrs{{2, 0, 1}});
  b.g.outputs = {b.node(OpKind::Transpose, "c", {y}, ir::TransposeAttrs{})};
  checkPreservesOutputs(b, passes::softmaxTransposes, 0.0f);
  REQUIRE(b.g.nodes.size() == 1);
  CHECK(b.g.nodes[0].inputs[0] == x);
}

TEST_CASE("softmax-transposes leaves softmaxes it cannot move", "[passes]") {
  // Over the flattened block of several axes (opset 11, axis 1 of a rank-4 tensor), and of
  // a transposed tensor that another node reads too.
  Builder b;
  ir::TensorId x = b.input("x", {1, 5, 3, 4});
  ir::TensorId t = b.node(OpKind::Transpose, "t", {x}, ir::TransposeAttrs{{0, 2, 3, 1}});
  ir::TensorId u = b.node(OpKind::Transpose, "u", {x}, ir::TransposeAttrs{{0, 3, 2, 1}});
  b.g.outputs = {b.node(OpKind::Softmax, "block", {t}, ir::SoftmaxAttrs{1, true}),
                 b.node(OpKind::Softmax, "shared", {u}, ir::SoftmaxAttrs{3, false}), u};
  const size_t nodes = b.g.nodes.size();
  checkPreservesOutputs(b, passes::softmaxTransposes, 0.0f);
  CHECK(b.g.nodes.size() == nodes);
  for (const ir::Node &node : b.g.nodes)
    if (node.op == OpKind::Softmax)
      CHECK(b.g.tensor(node.inputs[0]).shape != ir::Shape{1, 5, 3, 4});
}

TEST_CASE("fold-batchnorm folds into Conv, with and without bias", "[passes]") {
  for (bool bias : {true, false}) {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 6, 6});
    std::vector<ir::TensorId> args = {x, b.constant("w", {4, 3, 3, 3})};
    if (bias)
      args.push_back(b.constant("bias", {4}));
    ir::TensorId y = b.node(OpKind::Conv, "conv", args, conv3x3());
    b.g.outputs = {batchNorm(b, "bn", y, 4)};
    checkPreservesOutputs(b, passes::foldBatchNorm, 1e-5f);
    REQUIRE(countOps(b.g, OpKind::BatchNormalization) == 0);
    REQUIRE(b.g.nodes.size() == 1);
    REQUIRE(b.g.tensor(b.g.outputs[0]).name == "bn_out");
  }
}

TEST_CASE("fold-batchnorm folds into Gemm with transB and a bias", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {2, 5});
  ir::GemmAttrs attrs;
  attrs.transB = true;
  attrs.beta = 0.5f;
  ir::TensorId y = b.node(OpKind::Gemm, "fc", {x, b.constant("w", {3, 5}),
                                               b.constant("c", {3})}, attrs);
  b.g.outputs = {batchNorm(b, "bn", y, 3)};
  checkPreservesOutputs(b, passes::foldBatchNorm, 1e-5f);
  REQUIRE(countOps(b.g, OpKind::BatchNormalization) == 0);
}

TEST_CASE("fold-batchnorm leaves a Conv whose output has another user", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 2, 5, 5});
  ir::TensorId y = b.node(OpKind::Conv, "conv", {x, b.constant("w", {2, 2, 3, 3})}, conv3x3());
  b.g.outputs = {batchNorm(b, "bn", y, 2), b.node(OpKind::Relu, "side", {y})};
  checkPreservesOutputs(b, passes::foldBatchNorm, 1e-5f);
  // The conv keeps its weights (its output has another user); the BatchNorm becomes a
  // depthwise 1x1 conv of its own.
  REQUIRE(countOps(b.g, OpKind::BatchNormalization) == 0);
  REQUIRE(countOps(b.g, OpKind::Conv) == 2);
}

TEST_CASE("fold-batchnorm: a BatchNorm no Conv feeds becomes a depthwise 1x1 Conv",
          "[passes]") {
  // DenseNet's layers: concat -> norm -> relu -> conv; and a normalised model input.
  Builder b;
  ir::TensorId x = b.input("x", {1, 3, 6, 5});
  ir::TensorId n0 = batchNorm(b, "norm0", x, 3);
  ir::TensorId c = b.node(OpKind::Conv, "conv", {n0, b.constant("w", {4, 3, 3, 3})}, conv3x3());
  ir::TensorId cat = b.node(OpKind::Concat, "cat", {n0, c}, ir::AxisAttrs{1});
  ir::TensorId n1 = b.node(OpKind::Relu, "relu", {batchNorm(b, "norm1", cat, 7)});
  // Features of a fully connected layer stay a BatchNorm: no 1x1 conv runs on a [N, C].
  ir::TensorId flat = b.node(OpKind::Flatten, "flat",
                             {b.node(OpKind::GlobalAveragePool, "gap", {n1})}, ir::AxisAttrs{1});
  b.g.outputs = {n1, batchNorm(b, "norm2", flat, 7)};
  checkPreservesOutputs(b, passes::foldBatchNorm, 1e-5f);
  CHECK(countOps(b.g, OpKind::BatchNormalization) == 1);
  size_t depthwise = 0;
  for (const ir::Node &node : b.g.nodes)
    if (node.op == OpKind::Conv && node.attr<ir::ConvAttrs>().group > 1) {
      const ir::Shape &w = b.g.tensor(node.inputs[1]).shape;
      CHECK(w[1] == 1);
      CHECK((w[2] == 1 && w[3] == 1));
      CHECK(node.attr<ir::ConvAttrs>().group == w[0]);
      ++depthwise;
    }
  CHECK(depthwise == 2);
}

TEST_CASE("fuse-activations absorbs Relu, Clip and LeakyRelu into Conv and Gemm", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 2, 5, 5});
  ir::TensorId c1 = b.node(OpKind::Conv, "c1", {x, b.constant("w1", {4, 2, 3, 3})}, conv3x3());
  ir::TensorId r = b.node(OpKind::Relu, "relu", {c1});
  ir::TensorId c2 = b.node(OpKind::Conv, "c2", {r, b.constant("w2", {4, 1, 3, 3}),
                                               b.constant("b2", {4})}, conv3x3(1, 4));
  ir::TensorId lo = b.g.addConstant("lo", ir::TensorData::fromFloats({}, {0.0f}));
  ir::TensorId hi = b.g.addConstant("hi", ir::TensorData::fromFloats({}, {0.5f}));
  ir::TensorId clipped = b.node(OpKind::Clip, "relu6", {c2, lo, hi});
  ir::TensorId flat = b.node(OpKind::Flatten, "flat", {clipped}, ir::AxisAttrs{1});
  ir::TensorId fc = b.node(OpKind::Gemm, "fc", {flat, b.constant("w3", {100, 3})});
  b.g.outputs = {b.node(OpKind::LeakyRelu, "leaky", {fc}, ir::AlphaBetaAttrs{0.2f, 0})};
  checkPreservesOutputs(b, passes::fuseActivations, 0);
  REQUIRE(countOps(b.g, OpKind::Relu) == 0);
  REQUIRE(countOps(b.g, OpKind::Clip) == 0);
  REQUIRE(countOps(b.g, OpKind::LeakyRelu) == 0);
  REQUIRE(b.g.nodes[0].attr<ir::ConvAttrs>().act.kind == ir::ActKind::Relu);
  REQUIRE(b.g.nodes[1].attr<ir::ConvAttrs>().act ==
          ir::Activation{ir::ActKind::Clip, 0.0f, 0.5f});
  REQUIRE(b.g.nodes[3].attr<ir::GemmAttrs>().act.kind == ir::ActKind::LeakyRelu);
}

TEST_CASE("fuse-activations keeps a Conv output that is a graph output", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 1, 4, 4});
  ir::TensorId c = b.node(OpKind::Conv, "c", {x, b.constant("w", {1, 1, 3, 3})}, conv3x3());
  b.g.outputs = {c, b.node(OpKind::Relu, "relu", {c})};
  checkPreservesOutputs(b, passes::fuseActivations, 0);
  REQUIRE(countOps(b.g, OpKind::Relu) == 1);
}

TEST_CASE("remove-identities rewires users and keeps graph output names", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 3, 2, 2});
  ir::TensorId i1 = b.node(OpKind::Identity, "id1", {x});
  ir::TensorId r = b.node(OpKind::Relu, "relu", {i1});
  ir::TensorId same = b.node(OpKind::Reshape, "noop_reshape", {r, b.ints("s", {1, 3, 2, 2})});
  b.g.outputs = {b.node(OpKind::Identity, "id2", {same})};
  checkPreservesOutputs(b, passes::removeIdentities, 0);
  REQUIRE(b.g.nodes.size() == 1);
  REQUIRE(b.g.nodes[0].op == OpKind::Relu);
  REQUIRE(b.g.nodes[0].inputs[0] == x);
  REQUIRE(b.g.tensor(b.g.outputs[0]).name == "id2_out");
}

TEST_CASE("remove-dead-nodes drops unused branches and their constants", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 4});
  b.node(OpKind::Mul, "unused", {x, b.constant("k", {1, 4})});
  b.g.outputs = {b.node(OpKind::Relu, "relu", {x})};
  checkPreservesOutputs(b, passes::removeDeadNodes, 0);
  REQUIRE(b.g.nodes.size() == 1);
  REQUIRE_FALSE(b.g.findTensor("k"));
}

TEST_CASE("canonicalize turns Conv-BN-ReLU-Identity into one Conv", "[passes]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 3, 8, 8});
  ir::TensorId c = b.node(OpKind::Conv, "conv", {x, b.constant("w", {8, 3, 3, 3})}, conv3x3());
  ir::TensorId id = b.node(OpKind::Identity, "id", {c});
  ir::TensorId bn = batchNorm(b, "bn", id, 8);
  b.g.outputs = {b.node(OpKind::Relu, "relu", {bn})};
  std::vector<ir::TensorData> inputs = {b.randomInput(0)};
  ir::Graph original = b.g;
  REQUIRE(passes::foldConstantsAndInferShapes(original));
  auto before = runGraph(original, inputs);
  auto status = passes::canonicalize(b.g);
  INFO((status ? std::string() : status.error().message()));
  REQUIRE(status);
  REQUIRE(b.g.nodes.size() == 1);
  REQUIRE(b.g.nodes[0].attr<ir::ConvAttrs>().act.kind == ir::ActKind::Relu);
  REQUIRE(maxAbsDiff(before[0], runGraph(b.g, inputs)[0]) <= 1e-5f);
  REQUIRE(b.g.numTensors() == 4); // x, folded w and b, the output
}
