// RNNPool in the IR: shape inference (good shapes and each error), MACs, input regions and
// the printed attributes.
#include "compiler/ir/OpInfo.h"
#include "compiler/ir/Printer.h"
#include "compiler/ir/ShapeInference.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::ir;
using Catch::Matchers::Contains;
using rnnpoolc::testing::Builder;

namespace {

RNNPoolAttrs poolAttrs(Ints patch, Ints stride, int64_t h1, int64_t h2) {
  RNNPoolAttrs a;
  a.patch = std::move(patch);
  a.stride = std::move(stride);
  a.rnn1.hidden = h1;
  a.rnn2.hidden = h2;
  a.encoding = "node";
  return a;
}

/// Appends one cell's constants (W or W1, W2; U or U1, U2; b_z, b_h, zeta, nu).
void addCell(Builder &b, std::vector<TensorId> &in, const std::string &p, int64_t inSize,
             const FastGrnnAttrs &cell) {
  int64_t h = cell.hidden;
  if (cell.rankW > 0) {
    in.push_back(b.constant(p + "W1", {inSize, cell.rankW}));
    in.push_back(b.constant(p + "W2", {cell.rankW, h}));
  } else {
    in.push_back(b.constant(p + "W", {inSize, h}));
  }
  if (cell.rankU > 0) {
    in.push_back(b.constant(p + "U1", {h, cell.rankU}));
    in.push_back(b.constant(p + "U2", {cell.rankU, h}));
  } else {
    in.push_back(b.constant(p + "U", {h, h}));
  }
  in.push_back(b.constant(p + "bz", {1, h}));
  in.push_back(b.constant(p + "bh", {h}));
  in.push_back(b.constant(p + "zeta", {1, 1}));
  in.push_back(b.constant(p + "nu", {1, 1}));
}

/// The operands of an RNNPool node on an input of `xShape` with weights matching `a`.
std::vector<TensorId> operands(Builder &b, const Shape &xShape, const RNNPoolAttrs &a) {
  std::vector<TensorId> in{b.input("x", xShape)};
  addCell(b, in, "r1.", xShape[1], a.rnn1);
  addCell(b, in, "r2.", a.rnn1.hidden, a.rnn2);
  return in;
}

Status inferAll(Builder &b) {
  for (Node &node : b.g.nodes)
    RNNPOOLC_TRY(inferShapes(b.g, node));
  return Status::ok();
}

Shape inferred(Builder &b, TensorId id) {
  auto status = inferAll(b);
  INFO((status ? std::string() : status.error().message()));
  REQUIRE(status);
  return b.g.tensor(id).shape;
}

std::string inferError(Builder &b) {
  auto status = inferAll(b);
  REQUIRE_FALSE(status);
  std::string message = status.error().message();
  CHECK_THAT(message, Contains("node 'pool' (RNNPool)"));
  return message;
}

/// A graph with one RNNPool node; `edit` may change the operands before the node is added.
template <typename Edit>
std::string errorOf(const Shape &xShape, const RNNPoolAttrs &a, Edit edit) {
  Builder b;
  auto in = operands(b, xShape, a);
  edit(b, in);
  b.node(OpKind::RNNPool, "pool", in, a);
  return inferError(b);
}

} // namespace

TEST_CASE("RNNPool output is N x 4*h2 x (H-r)/sh+1 x (W-c)/sw+1", "[ir][rnnpool]") {
  {
    Builder b;
    auto a = poolAttrs({8, 8}, {4, 4}, 16, 16);
    TensorId y = b.node(OpKind::RNNPool, "pool", operands(b, {1, 4, 16, 16}, a), a);
    CHECK(inferred(b, y) == Shape{1, 64, 3, 3});
    CHECK(b.g.tensor(y).dtype == DType::Float32);
  }
  {
    Builder b; // rectangular patch and stride, remainders dropped, h1 != h2, low rank
    auto a = poolAttrs({4, 5}, {2, 3}, 6, 5);
    a.rnn1.rankW = 2;
    a.rnn2.rankU = 3;
    TensorId y = b.node(OpKind::RNNPool, "pool", operands(b, {2, 3, 10, 13}, a), a);
    CHECK(inferred(b, y) == Shape{2, 20, 4, 3});
  }
}

TEST_CASE("RNNPool shape inference rejects bad inputs and attributes", "[ir][rnnpool]") {
  auto a = poolAttrs({4, 4}, {2, 2}, 3, 2);
  auto none = [](Builder &, std::vector<TensorId> &) {};
  CHECK_THAT(errorOf({1, 2, 8}, a, none), Contains("N x k x H x W"));
  CHECK_THAT(errorOf({1, 2, 3, 8}, a, none), Contains("does not fit the input"));
  auto zeroStride = a;
  zeroStride.stride = {0, 2};
  CHECK_THAT(errorOf({1, 2, 8, 8}, zeroStride, none), Contains("must be positive"));
  auto shortPatch = a;
  shortPatch.patch = {4};
  CHECK_THAT(errorOf({1, 2, 8, 8}, shortPatch, none), Contains("2 values each"));
  auto badHidden = a;
  badHidden.rnn2.hidden = 0;
  CHECK_THAT(errorOf({1, 2, 8, 8}, badHidden, none), Contains("rnn2 hidden size must be positive"));
  CHECK_THAT(errorOf({1, 2, 8, 8}, a,
                     [](Builder &b, std::vector<TensorId> &in) {
                       in.push_back(b.constant("extra", {1}));
                     }),
             Contains("has 14 inputs; ranks 0,0 / 0,0 need 13"));
  CHECK_THAT(errorOf({1, 2, 8, 8}, a,
                     [](Builder &b, std::vector<TensorId> &in) {
                       in[1] = b.constant("badW", {3, 3});
                     }),
             Contains("rnn1 W (input 1) must have shape 2x3, not 3x3"));
  CHECK_THAT(errorOf({1, 2, 8, 8}, a,
                     [](Builder &b, std::vector<TensorId> &in) {
                       in[7] = b.input("notConst", {3, 2});
                     }),
             Contains("rnn2 W (input 7, 'notConst') must be a constant"));
  CHECK_THAT(errorOf({1, 2, 8, 8}, a,
                     [](Builder &b, std::vector<TensorId> &in) {
                       in[5] = b.constant("zeta2", {2});
                     }),
             Contains("rnn1 zeta (input 5) must have 1 value"));
  CHECK_THAT(errorOf({1, 2, 8, 8}, a,
                     [](Builder &b, std::vector<TensorId> &in) {
                       in[3] = b.constant("bz4", {1, 4});
                     }),
             Contains("rnn1 b_z (input 3) must have 3 values"));
  auto lowRank = a;
  lowRank.rnn1.rankU = 2;
  CHECK_THAT(errorOf({1, 2, 8, 8}, lowRank,
                     [](Builder &b, std::vector<TensorId> &in) {
                       in[3] = b.constant("U2bad", {3, 3});
                     }),
             Contains("rnn1 U2 (input 3) must have shape 2x3"));
  auto negRank = a;
  negRank.rnn2.rankW = -1;
  CHECK_THAT(errorOf({1, 2, 8, 8}, negRank, none), Contains("ranks must be >= 0"));
}

TEST_CASE("RNNPool shape inference rejects a non-float input", "[ir][rnnpool]") {
  Builder b;
  auto a = poolAttrs({2, 2}, {1, 1}, 2, 2);
  auto in = operands(b, {1, 1, 4, 4}, a);
  b.g.tensor(in[0]).dtype = DType::Int64;
  b.node(OpKind::RNNPool, "pool", in, a);
  CHECK_THAT(inferError(b), Contains("input must be float32, not int64"));
}

TEST_CASE("RNNPool MACs: each RNN1 segment once, 2(r+c) RNN2 steps per patch", "[ir][rnnpool]") {
  {
    Builder b;
    auto a = poolAttrs({8, 8}, {4, 4}, 16, 16);
    b.node(OpKind::RNNPool, "pool", operands(b, {1, 4, 16, 16}, a), a);
    REQUIRE(inferAll(b));
    // RNN1 step: 4*16 + 16*16 + 4*16 = 384; RNN2 step: 16*16 + 16*16 + 4*16 = 576.
    // 3x3 overlapping patches: the 16 input rows' segments of 8 pixels, one per patch
    // column, and per patch row the 16 input columns' segments of 8, each swept once.
    int64_t rnn1 = 16 * 3 * 8 + 3 * 16 * 8;
    CHECK(macs(b.g, b.g.nodes[0]) == rnn1 * 384 + 9 * 2 * (8 + 8) * 576);
    CHECK(macs(b.g, b.g.nodes[0]) == 460800);
  }
  {
    // Patches that do not overlap share no segment: 2rc RNN1 steps each.
    Builder b; // low rank: W = W1 W2 (rank 2), U = U1 U2 (rank 3) in RNN1 only
    auto a = poolAttrs({4, 2}, {4, 2}, 6, 5);
    a.rnn1.rankW = 2;
    a.rnn1.rankU = 3;
    b.node(OpKind::RNNPool, "pool", operands(b, {2, 3, 8, 4}, a), a);
    REQUIRE(inferAll(b));
    int64_t step1 = (3 * 2 + 2 * 6) + (6 * 3 + 3 * 6) + 4 * 6;
    int64_t step2 = 6 * 5 + 5 * 5 + 4 * 5;
    int64_t perPatch = 2 * 4 * 2 * step1 + 2 * (4 + 2) * step2;
    CHECK(macs(b.g, b.g.nodes[0]) == 2 * 2 * 2 * perPatch);
  }
}

TEST_CASE("RNNPool reads input rows [r0*sh, (r1-1)*sh + r) and whole weights",
          "[ir][rnnpool]") {
  Builder b;
  auto a = poolAttrs({8, 6}, {4, 2}, 4, 4);
  b.node(OpKind::RNNPool, "pool", operands(b, {1, 2, 16, 16}, a), a);
  REQUIRE(inferAll(b));
  const Node &node = b.g.nodes[0];
  CHECK(isSpatial(node));
  CHECK(b.g.tensor(node.outputs[0]).shape == Shape{1, 16, 3, 6});
  CHECK(inputRegion(b.g, node, 0, {1, 3, 0, 1}) == Region{4, 16, 0, 6});
  CHECK(inputRegion(b.g, node, 0, {0, 1, 2, 6}) == Region{0, 8, 4, 16});
  CHECK(inputRegion(b.g, node, 0, {0, 3, 0, 6}) == Region{0, 16, 0, 16});
  CHECK(inputRegion(b.g, node, 1, {1, 2, 1, 2}) == Region{0, 2, 0, 4}); // W [2, 4]
  CHECK(inputRegion(b.g, node, 5, {1, 2, 1, 2}) == Region{0, 1, 0, 1}); // zeta [1, 1]
}

TEST_CASE("RNNPool attributes print compactly", "[ir][rnnpool][printer]") {
  Node node;
  std::string name = "pool";
  node.name = name;
  node.op = OpKind::RNNPool;
  auto a = poolAttrs({8, 8}, {4, 4}, 16, 16);
  node.attrs = a;
  CHECK(printAttrs(node) == "patch=8x8 stride=4x4 rnn1=h16,sigmoid/tanh "
                            "rnn2=h16,sigmoid/tanh encoding=node replaced=1");
  a.rnn1.rankW = 2;
  a.rnn2.rankU = 3;
  a.rnn2.gate = RnnNonlinearity::QuantSigm;
  a.rnn2.update = RnnNonlinearity::QuantTanh;
  a.encoding = "flat";
  a.replacedNodes = 871;
  node.attrs = a;
  CHECK(printAttrs(node) == "patch=8x8 stride=4x4 rnn1=h16,sigmoid/tanh,rankW=2 "
                            "rnn2=h16,quantSigm/quantTanh,rankU=3 encoding=flat replaced=871");
}

TEST_CASE("FastGRNN nonlinearities and the RNNPool operand layout", "[ir][rnnpool]") {
  CHECK(applyRnnNonlinearity(RnnNonlinearity::QuantSigm, -3.0f) == 0.0f);
  CHECK(applyRnnNonlinearity(RnnNonlinearity::QuantSigm, 0.0f) == 0.5f);
  CHECK(applyRnnNonlinearity(RnnNonlinearity::QuantSigm, 0.5f) == 0.75f);
  CHECK(applyRnnNonlinearity(RnnNonlinearity::QuantSigm, 2.0f) == 1.0f);
  CHECK(applyRnnNonlinearity(RnnNonlinearity::QuantTanh, -2.0f) == -1.0f);
  CHECK(applyRnnNonlinearity(RnnNonlinearity::QuantTanh, 0.25f) == 0.25f);
  CHECK(applyRnnNonlinearity(RnnNonlinearity::QuantTanh, 5.0f) == 1.0f);
  CHECK(applyRnnNonlinearity(RnnNonlinearity::Sigmoid, 0.0f) == 0.5f);
  CHECK(applyRnnNonlinearity(RnnNonlinearity::Tanh, 0.0f) == 0.0f);
  RNNPoolAttrs a = poolAttrs({2, 2}, {1, 1}, 2, 2);
  CHECK(rnnPoolInputCount(a) == 13);
  a.rnn1.rankW = 1;
  a.rnn2.rankU = 1;
  CHECK(rnnPoolInputCount(a) == 15);
  FastGrnnOperands ops = fastGrnnOperands(a.rnn1, 1);
  CHECK(ops.numW == 2);
  CHECK(ops.w[1] == 2);
  CHECK(ops.u[0] == 3);
  CHECK(ops.nu == 7);
  CHECK(ops.end == 8);
}
