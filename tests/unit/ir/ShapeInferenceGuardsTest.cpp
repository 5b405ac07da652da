// Shape inference guards: corrupt operands, overflowing shapes, and the less common error
// paths of each family, all reported as errors naming the node rather than crashes.
#include "compiler/ir/ShapeInference.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::ir;
using Catch::Contains;
using rnnpoolc::testing::Builder;

namespace {

/// Infers the single node of `b`, which must fail, and returns the message.
std::string inferError(Builder &b) {
  REQUIRE(b.g.nodes.size() == 1);
  auto status = inferShapes(b.g, b.g.nodes[0]);
  REQUIRE_FALSE(status);
  return status.error().message();
}

TensorId typedInput(Builder &b, const std::string &name, Shape shape, DType dtype) {
  TensorId id = b.input(name, std::move(shape));
  b.g.tensor(id).dtype = dtype;
  return id;
}

} // namespace

TEST_CASE("corrupt nodes are errors, not crashes", "[ir][shape][guards]") {
  Builder b;
  b.node(OpKind::Relu, "bad_op", {b.input("x", {2})});
  b.g.nodes[0].op = static_cast<OpKind>(500);
  REQUIRE_THAT(inferError(b), Contains("node 'bad_op'") && Contains("unknown op kind 500"));

  Builder c;
  c.node(OpKind::Relu, "bad_in", {c.input("x", {2})});
  c.g.nodes[0].inputs[0] = 77;
  REQUIRE_THAT(inferError(c),
               Contains("node 'bad_in' (Relu)") && Contains("input 0 refers to no tensor"));

  Builder d;
  d.node(OpKind::Relu, "bad_out", {d.input("x", {2})});
  d.g.nodes[0].outputs[0] = kNoTensor;
  REQUIRE_THAT(inferError(d),
               Contains("node 'bad_out' (Relu)") && Contains("output 0 refers to no tensor"));

  Builder e;
  TensorId shape = e.ints("shape", {2, 3});
  e.g.tensor(shape).shape = {3}; // The tensor no longer matches its data.
  e.node(OpKind::Reshape, "bad_const", {e.input("x", {6}), shape});
  REQUIRE_THAT(inferError(e), Contains("node 'bad_const' (Reshape)") &&
                                  Contains("internal: constant 'shape' holds 2"));
}

TEST_CASE("shapes whose element count overflows are errors", "[ir][shape][guards]") {
  Builder b;
  int64_t big = int64_t{1} << 31;
  b.node(OpKind::Expand, "ex", {b.input("x", {1}), b.ints("s", {big, big, big})});
  REQUIRE_THAT(inferError(b), Contains("node 'ex' (Expand)") && Contains("overflows"));

  Builder c;
  c.node(OpKind::Split, "sp", {c.input("x", {4}), c.ints("s", {big + 1, 0})}, AxisAttrs{}, 2);
  REQUIRE_THAT(inferError(c), Contains("node 'sp' (Split)") && Contains("out of range"));
}

TEST_CASE("rank-0 inputs where an axis is needed", "[ir][shape][guards]") {
  Builder b;
  b.node(OpKind::Concat, "cat", {b.input("x", {})}, AxisAttrs{});
  REQUIRE_THAT(inferError(b), Contains("node 'cat' (Concat)") && Contains("rank 1 or more"));
  Builder c;
  c.node(OpKind::Split, "sp", {c.input("x", {})}, AxisAttrs{}, 2);
  REQUIRE_THAT(inferError(c), Contains("node 'sp' (Split)") && Contains("rank 1 or more"));
  Builder d;
  d.node(OpKind::Gather, "ga", {d.input("x", {}), d.ints("i", {0})}, AxisAttrs{});
  REQUIRE_THAT(inferError(d),
               Contains("node 'ga' (Gather)") && Contains("data must have rank 1"));
  Builder e;
  e.node(OpKind::ScatterND, "sc",
         {e.input("x", {3}), typedInput(e, "i", {}, DType::Int64), e.input("u", {})});
  REQUIRE_THAT(inferError(e),
               Contains("node 'sc' (ScatterND)") && Contains("indices must have rank 1"));
  Builder f;
  f.node(OpKind::Softmax, "sm", {f.input("x", {})}, SoftmaxAttrs{});
  REQUIRE_THAT(inferError(f), Contains("node 'sm' (Softmax)") && Contains("out of range"));
}

TEST_CASE("less common operand mismatches", "[ir][shape][guards]") {
  Builder b;
  b.node(OpKind::ScatterND, "sc",
         {b.input("x", {3}), typedInput(b, "i", {1, 1}, DType::Int64),
          typedInput(b, "u", {1}, DType::Int32)});
  REQUIRE_THAT(inferError(b),
               Contains("node 'sc'") && Contains("updates are int32 but data is float32"));

  Builder c;
  c.node(OpKind::Slice, "sl",
         {c.input("x", {4}), c.ints("s", {0}), c.ints("e", {4}), c.ints("a", {0, 0})});
  REQUIRE_THAT(inferError(c), Contains("node 'sl' (Slice)") && Contains("axes has 2"));
  Builder d;
  d.node(
      OpKind::Slice, "sl2",
      {d.input("x", {4}), d.ints("s", {0}), d.ints("e", {4}), kNoTensor, d.ints("st", {1, 1})});
  REQUIRE_THAT(inferError(d), Contains("node 'sl2' (Slice)") && Contains("steps has 2"));

  Builder e;
  PadAttrs edge;
  edge.mode = PadMode::Edge;
  e.node(OpKind::Pad, "pad", {e.input("x", {0, 2}), e.ints("p", {1, 0, 0, 0})}, edge);
  REQUIRE_THAT(inferError(e), Contains("node 'pad' (Pad)") && Contains("axis 0 of size 0"));

  Builder f;
  auto boolScalar = [&](const std::string &name) {
    return f.g.addConstant(name, TensorData::fromInts(DType::Bool, {}, {1}));
  };
  f.node(OpKind::Range, "range", {boolScalar("s"), boolScalar("l"), boolScalar("d")});
  REQUIRE_THAT(inferError(f), Contains("node 'range' (Range)") && Contains("not bool"));

  Builder h;
  h.node(OpKind::Squeeze, "sq", {h.input("x", {1, 2}), h.ints("a", {2})});
  REQUIRE_THAT(inferError(h),
               Contains("node 'sq' (Squeeze)") && Contains("out of range for rank 2"));
}

TEST_CASE("pooling pads as wide as the window are errors", "[ir][shape][guards]") {
  // A libFuzzer find: MaxPool 3x3 with a top pad of 34 has output rows whose windows lie
  // wholly in the padding; the plan executor then asked for an input region of -31 rows.
  for (OpKind op : {OpKind::MaxPool, OpKind::AveragePool}) {
    Builder b;
    PoolAttrs attrs;
    attrs.kernel = {3, 3};
    attrs.pads = {34, 2, 2, 2};
    b.node(op, "pool", {b.input("x", {1, 3, 28, 28})}, attrs);
    REQUIRE_THAT(inferError(b), Contains("node 'pool'") && Contains("pads 34,2 on spatial dim 0") &&
                                    Contains("smaller than the window (3)"));
    Builder ok; // the widest pad a window allows
    attrs.pads = {2, 2, 2, 2};
    ok.node(op, "pool", {ok.input("x", {1, 3, 28, 28})}, attrs);
    REQUIRE(inferShapes(ok.g, ok.g.nodes[0]));
  }
}
