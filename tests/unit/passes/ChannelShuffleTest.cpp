// channel-shuffle: ShuffleNet's Reshape -> Transpose -> Reshape becomes one ChannelShuffle
// (structure, and the outputs before and after), with its shapes written as constants, with
// -1 and 0 entries, or as Shape/Gather/Concat chains that constant folding resolves; near
// misses stay as they are and compute what they did.
#include "compiler/ir/Validator.h"
#include "compiler/passes/Passes.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::OpKind;

namespace {

/// How the shuffle of relu(x), x [1, 12, 5, 4], is written.
struct Form {
  int64_t groups = 3;
  bool gatherChain = false;  ///< shapes from Shape(x) through Gather and Concat
  bool inferredDims = false; ///< 0 and -1 entries in the constant shapes
  ir::Ints perm = {0, 2, 1, 3, 4};
  ir::Ints back = {1, 12, 5, 4}; ///< the final Reshape's shape
};

/// The [5] shape [N, g, C/g, H, W] (or the [4] shape `back`) of `x` as Shape(x) -> Gather
/// -> Concat, the way PyTorch exports x.view(x.size(0), g, -1, ...).
ir::TensorId gatheredShape(Builder &b, ir::TensorId x, const std::string &tag,
                           const ir::Ints &middle) {
  ir::TensorId shape = b.node(OpKind::Shape, tag + "_shape", {x});
  ir::TensorId n =
      b.node(OpKind::Gather, tag + "_n", {shape, b.ints(tag + "_i0", {0})}, ir::AxisAttrs{0});
  ir::TensorId hw = b.node(OpKind::Gather, tag + "_hw", {shape, b.ints(tag + "_i23", {2, 3})},
                           ir::AxisAttrs{0});
  return b.node(OpKind::Concat, tag + "_cat", {n, b.ints(tag + "_mid", middle), hw},
                ir::AxisAttrs{0});
}

/// relu(x) -> the shuffle -> relu; returns the last relu's output.
ir::TensorId buildShuffle(Builder &b, const Form &f) {
  ir::TensorId x = b.node(OpKind::Relu, "relu", {b.input("x", {1, 12, 5, 4})});
  const int64_t g = f.groups;
  ir::TensorId front, back;
  if (f.gatherChain) {
    front = gatheredShape(b, x, "front", {g, -1});
    back = gatheredShape(b, x, "back", {-1});
  } else if (f.inferredDims) {
    front = b.ints("front", {0, g, -1, 5, 4});
    back = b.ints("back", {0, -1, 5, 4});
  } else {
    front = b.ints("front", {1, g, 12 / g, 5, 4});
    back = b.ints("back", f.back);
  }
  ir::TensorId split = b.node(OpKind::Reshape, "split", {x, front});
  ir::TensorId t = b.node(OpKind::Transpose, "transpose", {split}, ir::TransposeAttrs{f.perm});
  ir::TensorId y = b.node(OpKind::Reshape, "merge", {t, back});
  return b.node(OpKind::Relu, "after", {y});
}

/// The pass keeps the outputs exactly (the shuffle moves values).
void runPass(Builder &b, std::vector<ir::TensorId> outputs) {
  b.g.outputs = std::move(outputs);
  checkPreservesOutputs(b, passes::rewriteChannelShuffles, 0.0f);
}

} // namespace

TEST_CASE("channel-shuffle rewrites every written form into one ChannelShuffle",
          "[passes][shuffle]") {
  std::pair<const char *, Form> forms[] = {
      {"constant shapes, 3 groups", Form{}},
      {"constant shapes, 2 groups", Form{.groups = 2}},
      {"constant shapes, 4 groups", Form{.groups = 4}},
      {"0 and -1 in the shapes", Form{.inferredDims = true}},
      {"Shape/Gather/Concat chains", Form{.gatherChain = true}},
      {"Shape/Gather/Concat chains, 6 groups", Form{.groups = 6, .gatherChain = true}},
  };
  for (const auto &[name, form] : forms) {
    SECTION(name) {
      Builder b;
      runPass(b, {buildShuffle(b, form)});
      REQUIRE(b.g.nodes.size() == 3); // relu, shuffle, relu
      const ir::Node &n = b.g.nodes[1];
      REQUIRE(n.op == OpKind::ChannelShuffle);
      CHECK(n.name == "transpose");
      CHECK(n.attr<ir::ChannelShuffleAttrs>().groups == form.groups);
      CHECK(n.inputs == std::vector<ir::TensorId>{b.g.nodes[0].outputs[0]});
      CHECK(b.g.nodes[2].inputs[0] == n.outputs[0]);
      CHECK(b.g.tensor(n.outputs[0]).shape == ir::Shape{1, 12, 5, 4});
    }
  }
}

TEST_CASE("channel-shuffle: output channel i * g + j is input channel j * C/g + i",
          "[passes][shuffle]") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 6, 1, 2});
  ir::TensorId y = b.node(OpKind::ChannelShuffle, "s", {x}, ir::ChannelShuffleAttrs{2});
  b.g.outputs = {y};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  std::vector<float> v(12);
  for (size_t k = 0; k < v.size(); ++k)
    v[k] = static_cast<float>(k); // channel c holds 2c, 2c + 1
  auto out = runGraph(b.g, {ir::TensorData::fromFloats({1, 6, 1, 2}, v)});
  // Channels 0 3 1 4 2 5.
  const std::vector<float> want = {0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11};
  CHECK(out[0].f == want);
}

TEST_CASE("channel-shuffle leaves near misses alone", "[passes][shuffle]") {
  SECTION("a transpose of other dims") {
    Builder b;
    runPass(b, {buildShuffle(b, Form{.perm = {0, 1, 2, 4, 3}})});
    CHECK(countOps(b.g, OpKind::ChannelShuffle) == 0);
    CHECK(countOps(b.g, OpKind::Transpose) == 1);
    CHECK(countOps(b.g, OpKind::Reshape) == 2);
  }
  SECTION("a final reshape to another shape") {
    Builder b;
    runPass(b, {buildShuffle(b, Form{.back = {1, 12, 20, 1}})});
    CHECK(countOps(b.g, OpKind::ChannelShuffle) == 0);
    CHECK(countOps(b.g, OpKind::Transpose) == 1);
  }
  SECTION("the split tensor has another reader") {
    Builder b;
    ir::TensorId y = buildShuffle(b, Form{});
    REQUIRE(b.g.nodes[1].op == OpKind::Reshape);
    runPass(b, {y, b.node(OpKind::Relu, "other", {b.g.nodes[1].outputs[0]})});
    CHECK(countOps(b.g, OpKind::ChannelShuffle) == 0);
    CHECK(countOps(b.g, OpKind::Transpose) == 1);
  }
  SECTION("the transposed tensor is a graph output") {
    Builder b;
    ir::TensorId y = buildShuffle(b, Form{});
    REQUIRE(b.g.nodes[2].op == OpKind::Transpose);
    runPass(b, {y, b.g.nodes[2].outputs[0]});
    CHECK(countOps(b.g, OpKind::ChannelShuffle) == 0);
    CHECK(countOps(b.g, OpKind::Transpose) == 1);
  }
}

TEST_CASE("the canonical pipeline shuffles once, with no rank-5 tensor left",
          "[passes][shuffle]") {
  Builder b;
  b.g.outputs = {buildShuffle(b, Form{.gatherChain = true})};
  REQUIRE(passes::canonicalize(b.g));
  CHECK(countOps(b.g, OpKind::ChannelShuffle) == 1);
  CHECK(countOps(b.g, OpKind::Transpose) == 0);
  CHECK(countOps(b.g, OpKind::Reshape) == 0);
  CHECK(countOps(b.g, OpKind::Shape) == 0);
}
