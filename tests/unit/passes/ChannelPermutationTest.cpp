// fold-channel-permutations: a channel Split joined again in another order by one Concat, or
// a ChannelShuffle, folds into the weights of the one-group Conv it reaches through Pads,
// per-element unary ops and pools (structure, and the outputs before and after); near misses
// stay as they are and compute what they did.
#include "compiler/ir/Validator.h"
#include "compiler/passes/Passes.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::OpKind;

namespace {

/// The outputs of a Split of x along the channels into parts of `sizes`.
std::vector<ir::TensorId> split(Builder &b, ir::TensorId x, std::vector<int64_t> sizes) {
  const int parts = static_cast<int>(sizes.size());
  b.node(OpKind::Split, "split", {x, b.ints("sizes", std::move(sizes))}, ir::AxisAttrs{1}, parts);
  return b.g.nodes.back().outputs;
}

/// x [1, 7, 6, 5] split along the channels into parts of 2, 4 and 1, joined as (1, 2, 0).
ir::TensorId reordered(Builder &b, ir::TensorId x) {
  std::vector<ir::TensorId> parts = split(b, x, {2, 4, 1});
  return b.node(OpKind::Concat, "join", {parts[1], parts[2], parts[0]}, ir::AxisAttrs{1});
}

ir::TensorId scalar(Builder &b, const std::string &name, float v) {
  return b.g.addConstant(name, ir::TensorData::fromFloats({}, {v}));
}

/// The pass keeps the outputs up to the float rounding of a reordered sum.
void runPass(Builder &b, std::vector<ir::TensorId> outputs) {
  b.g.outputs = std::move(outputs);
  checkPreservesOutputs(b, passes::foldChannelPermutations, 1e-5f);
}

} // namespace

TEST_CASE("fold-channel-permutations folds a reorder into the conv it reaches",
          "[passes][permute]") {
  SECTION("through an edge Pad, a Relu, a Clip and a max pool") {
    Builder b;
    ir::TensorId x = b.node(OpKind::Relu, "pre", {b.input("x", {1, 7, 6, 5})});
    ir::TensorId y = reordered(b, x);
    y = b.node(OpKind::Pad, "pad", {y, b.ints("pads", {0, 0, 1, 0, 0, 0, 0, 2})},
               ir::PadAttrs{ir::PadMode::Edge});
    y = b.node(OpKind::Relu, "relu", {y});
    y = b.node(OpKind::Clip, "clip", {y, scalar(b, "lo", 0.1f), scalar(b, "hi", 1.5f)});
    ir::PoolAttrs pool;
    pool.kernel = {2, 2}, pool.strides = {1, 1}, pool.dilations = {1, 1}, pool.pads = {0, 0, 0, 0};
    y = b.node(OpKind::MaxPool, "pool", {y}, pool);
    y = b.node(OpKind::Conv, "conv", {y, b.constant("w", {3, 7, 3, 3})}, conv3x3());
    runPass(b, {y});
    CHECK(countOps(b.g, OpKind::Split) == 0);
    CHECK(countOps(b.g, OpKind::Concat) == 0);
    CHECK(b.g.nodes[1].op == OpKind::Pad);
    CHECK(b.g.nodes[1].inputs[0] == b.g.nodes[0].outputs[0]); // reads x itself
  }
  SECTION("directly, and a ChannelShuffle as well") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 6, 4, 4});
    ir::TensorId y = b.node(OpKind::ChannelShuffle, "shuffle", {x}, ir::ChannelShuffleAttrs{3});
    y = b.node(OpKind::Conv, "conv", {y, b.constant("w", {2, 6, 3, 3})}, conv3x3());
    runPass(b, {y});
    CHECK(countOps(b.g, OpKind::ChannelShuffle) == 0);
    REQUIRE(b.g.nodes.size() == 1);
    CHECK(b.g.nodes[0].inputs[0] == x);
  }
}

TEST_CASE("fold-channel-permutations leaves near misses as they are", "[passes][permute]") {
  auto keeps = [](auto build) {
    Builder b;
    ir::TensorId x = b.input("x", {1, 7, 6, 5});
    std::vector<ir::TensorId> outputs = build(b, x);
    const size_t nodes = b.g.nodes.size();
    runPass(b, outputs);
    CHECK(b.g.nodes.size() == nodes);
    CHECK(countOps(b.g, OpKind::Concat) == 1);
  };
  SECTION("a depthwise conv (one group per channel)") {
    keeps([](Builder &b, ir::TensorId x) {
      return std::vector{b.node(OpKind::Conv, "dw", {reordered(b, x), b.constant("w", {7, 1, 3, 3})},
                                conv3x3(1, 7))};
    });
  }
  SECTION("the reordered map read twice") {
    keeps([](Builder &b, ir::TensorId x) {
      ir::TensorId y = reordered(b, x);
      ir::TensorId c = b.node(OpKind::Conv, "conv", {y, b.constant("w", {3, 7, 3, 3})}, conv3x3());
      return std::vector{c, b.node(OpKind::Relu, "other", {y})};
    });
  }
  SECTION("the reordered map a graph output") {
    keeps([](Builder &b, ir::TensorId x) {
      ir::TensorId y = reordered(b, x);
      return std::vector{y, b.node(OpKind::Conv, "conv", {y, b.constant("w", {3, 7, 3, 3})},
                                   conv3x3())};
    });
  }
  SECTION("a Pad of the channels on the way") {
    keeps([](Builder &b, ir::TensorId x) {
      ir::TensorId y = b.node(OpKind::Pad, "pad",
                              {reordered(b, x), b.ints("pads", {0, 1, 0, 0, 0, 0, 0, 0})});
      return std::vector{
          b.node(OpKind::Conv, "conv", {y, b.constant("w", {3, 8, 3, 3})}, conv3x3())};
    });
  }
  SECTION("a per-channel op on the way (an Add of a [C, 1, 1] constant)") {
    keeps([](Builder &b, ir::TensorId x) {
      ir::TensorId y = b.node(OpKind::Add, "add", {reordered(b, x), b.constant("bias", {7, 1, 1})});
      return std::vector{
          b.node(OpKind::Conv, "conv", {y, b.constant("w", {3, 7, 3, 3})}, conv3x3())};
    });
  }
  SECTION("a split part read elsewhere too") {
    keeps([](Builder &b, ir::TensorId x) {
      std::vector<ir::TensorId> parts = split(b, x, {3, 4});
      ir::TensorId y = b.node(OpKind::Concat, "join", {parts[1], parts[0]}, ir::AxisAttrs{1});
      ir::TensorId c = b.node(OpKind::Conv, "conv", {y, b.constant("w", {3, 7, 3, 3})}, conv3x3());
      return std::vector{c, b.node(OpKind::Relu, "other", {parts[0]})};
    });
  }
}
