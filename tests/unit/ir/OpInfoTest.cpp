// Op costs and receptive fields: MACs of Conv, depthwise Conv, Gemm and friends, and the
// input regions that tiles of Conv, pooling, elementwise and Pad outputs read.
#include "compiler/ir/OpInfo.h"
#include "compiler/ir/ShapeInference.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::ir;
using rnnpoolc::testing::Builder;

namespace {

/// Infers the shapes of every node; the graph must be valid.
void inferAll(Builder &b) {
  for (Node &node : b.g.nodes) {
    auto status = inferShapes(b.g, node);
    INFO((status ? std::string() : status.error().message()));
    REQUIRE(status);
  }
}

/// A single-node graph's node after inference.
const Node &only(Builder &b) {
  inferAll(b);
  REQUIRE(b.g.nodes.size() == 1);
  return b.g.nodes[0];
}

Region region(int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  return {r0, r1, c0, c1};
}

} // namespace

namespace Catch {
template <> struct StringMaker<Region> {
  static std::string convert(const Region &r) {
    return fmt::format("rows [{}, {}) cols [{}, {})", r.row0, r.row1, r.col0, r.col1);
  }
};
} // namespace Catch

// ---- MACs ------------------------------------------------------------------------------

TEST_CASE("MACs of Conv count N*Cout*outH*outW*(Cin/group)*kH*kW", "[ir][opinfo]") {
  Builder b;
  b.node(OpKind::Conv, "conv", {b.input("x", {1, 3, 16, 16}), b.constant("w", {8, 3, 3, 3})},
         rnnpoolc::testing::conv3x3());
  REQUIRE(macs(b.g, only(b)) == 1 * 8 * 16 * 16 * 3 * 3 * 3);

  Builder dw;
  dw.node(OpKind::Conv, "dw", {dw.input("x", {2, 8, 10, 10}), dw.constant("w", {8, 1, 3, 3})},
          rnnpoolc::testing::conv3x3(/*pad=*/1, /*group=*/8));
  REQUIRE(macs(dw.g, only(dw)) == 2 * 8 * 10 * 10 * 1 * 3 * 3);

  Builder grouped;
  grouped.node(OpKind::Conv, "g",
               {grouped.input("x", {1, 8, 6, 6}), grouped.constant("w", {4, 4, 1, 1})}, [] {
                 ConvAttrs a;
                 a.group = 2;
                 return a;
               }());
  REQUIRE(macs(grouped.g, only(grouped)) == 4 * 6 * 6 * 4);

  Builder c1;
  c1.node(OpKind::Conv, "c1", {c1.input("x", {1, 4, 10}), c1.constant("w", {6, 4, 3})},
          ConvAttrs{});
  REQUIRE(macs(c1.g, only(c1)) == 6 * 1 * 8 * 4 * 3); // 1-D: H = 1.
}

TEST_CASE("MACs of Gemm and MatMul count M*N*K per batch", "[ir][opinfo]") {
  Builder b;
  GemmAttrs t;
  t.transA = true;
  b.node(OpKind::Gemm, "gemm", {b.input("a", {3, 2}), b.constant("b", {3, 4})}, t);
  REQUIRE(macs(b.g, only(b)) == 2 * 4 * 3);

  Builder m;
  m.node(OpKind::MatMul, "mm", {m.input("a", {2, 5, 3}), m.constant("b", {3, 4})});
  REQUIRE(macs(m.g, only(m)) == 2 * 5 * 4 * 3);
}

TEST_CASE("MACs of pooling, elementwise, reductions and data movement", "[ir][opinfo]") {
  Builder b;
  PoolAttrs p;
  p.kernel = {3, 3};
  p.strides = {2, 2};
  TensorId x = b.input("x", {1, 2, 8, 8});
  b.node(OpKind::MaxPool, "mp", {x}, p);
  b.node(OpKind::Add, "add", {x, b.constant("c", {1, 2, 1, 1})});
  b.node(OpKind::GlobalAveragePool, "gap", {x});
  b.node(OpKind::Sum, "sum", {x, x, x});
  b.node(OpKind::Reshape, "flat", {x, b.ints("s", {1, -1})});
  b.node(OpKind::Transpose, "t", {x}, TransposeAttrs{});
  inferAll(b);
  REQUIRE(macs(b.g, b.g.nodes[0]) == 2 * 3 * 3 * 9);
  REQUIRE(macs(b.g, b.g.nodes[1]) == 128);
  REQUIRE(macs(b.g, b.g.nodes[2]) == 128);
  REQUIRE(macs(b.g, b.g.nodes[3]) == 256);
  REQUIRE(macs(b.g, b.g.nodes[4]) == 0);
  REQUIRE(macs(b.g, b.g.nodes[5]) == 0);
}

// ---- Spatial ops and receptive fields ---------------------------------------------------

TEST_CASE("isSpatial marks local ops only", "[ir][opinfo]") {
  auto spatial = [](OpKind op) {
    Node n;
    n.op = op;
    n.attrs = defaultAttrs(op);
    return isSpatial(n);
  };
  for (OpKind op :
       {OpKind::Conv, OpKind::MaxPool, OpKind::AveragePool, OpKind::Relu, OpKind::Add,
        OpKind::BatchNormalization, OpKind::Pad, OpKind::Identity, OpKind::Clip, OpKind::Where})
    REQUIRE(spatial(op));
  for (OpKind op : {OpKind::Gemm, OpKind::MatMul, OpKind::Softmax, OpKind::GlobalAveragePool,
                    OpKind::ReduceMean, OpKind::Reshape, OpKind::Transpose, OpKind::Concat,
                    OpKind::Flatten})
    REQUIRE_FALSE(spatial(op));
}

TEST_CASE("Conv receptive field through stride 2, pad 1, dilation 2", "[ir][opinfo]") {
  Builder b;
  ConvAttrs a;
  a.strides = {2, 2};
  a.pads = {1, 1, 1, 1};
  a.dilations = {2, 2};
  TensorId y = b.node(OpKind::Conv, "conv",
                      {b.input("x", {1, 1, 17, 16}), b.constant("w", {4, 1, 3, 3})}, a);
  const Node &conv = only(b);
  // H: (17 + 2 - 5) / 2 + 1 = 8; W: (16 + 2 - 5) / 2 + 1 = 7.
  REQUIRE(b.g.tensor(y).shape == Shape{1, 4, 8, 7});
  // Output row r reads input rows 2r - 1 + {0, 2, 4}.
  // Top-left: the window starts in the padding and is clipped at 0.
  REQUIRE(inputRegion(b.g, conv, 0, region(0, 2, 0, 2)) == region(0, 6, 0, 6));
  // Interior.
  REQUIRE(inputRegion(b.g, conv, 0, region(2, 5, 3, 4)) == region(3, 12, 5, 10));
  // Bottom: the last window reaches row 17, clipped to the 17 rows; the last column's
  // window ends exactly at 16.
  REQUIRE(inputRegion(b.g, conv, 0, region(6, 8, 5, 7)) == region(11, 17, 9, 16));
  // The whole output needs the whole input.
  REQUIRE(inputRegion(b.g, conv, 0, region(0, 8, 0, 7)) == region(0, 17, 0, 16));
  // Weights are read whole.
  REQUIRE(inputRegion(b.g, conv, 1, region(2, 3, 2, 3)) == region(0, 3, 0, 3));
}

TEST_CASE("row tiles with a remainder cover the input with halos", "[ir][opinfo]") {
  Builder b;
  ConvAttrs a;
  a.strides = {2, 2};
  a.pads = {1, 1, 1, 1};
  a.dilations = {2, 2};
  b.node(OpKind::Conv, "conv", {b.input("x", {1, 1, 17, 16}), b.constant("w", {4, 1, 3, 3})},
         a);
  const Node &conv = only(b);
  std::vector<Region> tiles;
  for (int64_t r = 0; r < 8; r += 3)
    tiles.push_back(inputRegion(b.g, conv, 0, region(r, std::min<int64_t>(r + 3, 8), 0, 7)));
  REQUIRE(tiles.size() == 3);
  REQUIRE(tiles[0] == region(0, 8, 0, 16));
  REQUIRE(tiles[1] == region(5, 14, 0, 16));
  REQUIRE(tiles[2] == region(11, 17, 0, 16)); // The remainder tile: 2 output rows.
  for (size_t k = 1; k < tiles.size(); ++k)
    REQUIRE(tiles[k].row0 < tiles[k - 1].row1); // Consecutive tiles overlap (the halo).
}

TEST_CASE("pooling regions, ceil_mode and 1-D windows", "[ir][opinfo]") {
  Builder b;
  PoolAttrs p;
  p.kernel = {3, 3};
  p.strides = {2, 2};
  p.ceilMode = true;
  b.node(OpKind::MaxPool, "mp", {b.input("x", {1, 1, 8, 8})}, p);
  const Node &pool = only(b);
  // The ceil-mode window at row 3 covers rows 6..8; row 8 does not exist.
  REQUIRE(inputRegion(b.g, pool, 0, region(3, 4, 0, 1)) == region(6, 8, 0, 3));

  Builder c;
  c.node(OpKind::Conv, "c1", {c.input("x", {1, 4, 10}), c.constant("w", {6, 4, 3})},
         ConvAttrs{});
  // Rows of a 1-D activation are channels: Conv reads them all.
  REQUIRE(inputRegion(c.g, only(c), 0, region(2, 4, 1, 3)) == region(0, 4, 1, 5));

  Builder d;
  PoolAttrs p1;
  p1.kernel = {2};
  p1.strides = {2};
  d.node(OpKind::AveragePool, "ap", {d.input("x", {1, 4, 10})}, p1);
  REQUIRE(inputRegion(d.g, only(d), 0, region(2, 4, 1, 3)) == region(2, 4, 2, 6));
}

TEST_CASE("elementwise regions follow broadcasting", "[ir][opinfo]") {
  Builder b;
  TensorId x = b.input("x", {1, 8, 16, 16});
  b.node(OpKind::Add, "add", {x, b.input("row", {1, 8, 1, 16})});
  b.node(OpKind::Mul, "mul", {x, b.input("v", {16})});
  b.node(OpKind::Sub, "sub", {x, b.g.addConstant("k", TensorData::fromFloats({}, {1.0f}))});
  b.node(OpKind::BatchNormalization, "bn",
         {x, b.constant("s", {8}), b.constant("o", {8}), b.constant("m", {8}),
          b.constant("va", {8})});
  inferAll(b);
  Region out = region(4, 8, 2, 5);
  REQUIRE(inputRegion(b.g, b.g.nodes[0], 0, out) == out);
  REQUIRE(inputRegion(b.g, b.g.nodes[0], 1, out) == region(0, 1, 2, 5));
  REQUIRE(inputRegion(b.g, b.g.nodes[1], 1, out) == region(0, 1, 2, 5));
  REQUIRE(inputRegion(b.g, b.g.nodes[2], 1, out) == region(0, 1, 0, 1));
  REQUIRE(inputRegion(b.g, b.g.nodes[3], 0, out) == out);
  REQUIRE(inputRegion(b.g, b.g.nodes[3], 1, out) == region(0, 1, 0, 8));
}

TEST_CASE("non-spatial ops read their whole input", "[ir][opinfo]") {
  Builder b;
  TensorId x = b.input("x", {1, 8, 5, 7});
  b.node(OpKind::GlobalAveragePool, "gap", {x});
  b.node(OpKind::Softmax, "sm", {x}, SoftmaxAttrs{});
  inferAll(b);
  REQUIRE(inputRegion(b.g, b.g.nodes[0], 0, region(0, 1, 0, 1)) == region(0, 5, 0, 7));
  REQUIRE(inputRegion(b.g, b.g.nodes[1], 0, region(1, 2, 1, 2)) == region(0, 5, 0, 7));
}

TEST_CASE("Pad regions shift by the begin pads, per mode", "[ir][opinfo]") {
  auto padRegion = [](PadMode mode, const Region &out) {
    Builder b;
    PadAttrs a;
    a.mode = mode;
    b.node(OpKind::Pad, "pad",
           {b.input("x", {1, 1, 5, 5}), b.ints("p", {0, 0, 2, 1, 0, 0, 2, 1})}, a);
    const Node &pad = only(b);
    REQUIRE(b.g.tensor(pad.outputs[0]).shape == Shape{1, 1, 9, 7});
    return inputRegion(b.g, pad, 0, out);
  };
  REQUIRE(padRegion(PadMode::Constant, region(3, 6, 2, 4)) == region(1, 4, 1, 3));
  // Entirely in the padding: constant padding reads nothing there.
  REQUIRE(padRegion(PadMode::Constant, region(0, 2, 0, 1)) == region(0, 0, 0, 0));
  REQUIRE(padRegion(PadMode::Edge, region(0, 2, 6, 7)) == region(0, 1, 4, 5));
  // Reflect: rows -2, -1 mirror to 2, 1; column 5 mirrors to 3.
  REQUIRE(padRegion(PadMode::Reflect, region(0, 2, 6, 7)) == region(1, 3, 3, 4));
  REQUIRE(padRegion(PadMode::Reflect, region(0, 9, 0, 7)) == region(0, 5, 0, 5));
}

TEST_CASE("L2Norm is per pixel: spatial, the same region, two MACs per element",
          "[ir][opinfo]") {
  Builder b;
  b.node(OpKind::L2Norm, "l2", {b.input("x", {1, 6, 8, 9}), b.constant("s", {6})});
  const Node &n = only(b);
  CHECK(isSpatial(n));
  CHECK(macs(b.g, n) == 2 * 6 * 8 * 9);
  CHECK(inputRegion(b.g, n, 0, region(2, 5, 1, 7)) == region(2, 5, 1, 7));
  CHECK(inputRegion(b.g, n, 1, region(2, 5, 1, 7)) == region(0, 1, 0, 6)); // the whole scale
}

TEST_CASE("ChannelShuffle is per pixel: spatial, the same region, no MACs", "[ir][opinfo]") {
  Builder b;
  b.node(OpKind::ChannelShuffle, "s", {b.input("x", {1, 6, 8, 9})}, ChannelShuffleAttrs{3});
  const Node &n = only(b);
  CHECK(isSpatial(n));
  CHECK(macs(b.g, n) == 0);
  CHECK(inputRegion(b.g, n, 0, region(2, 5, 1, 7)) == region(2, 5, 1, 7));
}
