// Shape inference of the elementwise and compute ops: exact shapes, completed attributes,
// and every error path with the node's name in the message.
#include "compiler/ir/ShapeInference.h"
#include "tests/unit/passes/Builder.h"

#include <limits>

using namespace rnnpoolc;
using namespace rnnpoolc::ir;
using rnnpoolc::testing::Builder;

namespace {

/// Infers every node of the builder's graph in order; returns the first error.
Status inferAll(Builder &b) {
  for (Node &node : b.g.nodes)
    RNNPOOLC_TRY(inferShapes(b.g, node));
  return Status::ok();
}

/// Infers the graph and returns the shape of `id`, failing the test on an error.
Shape inferred(Builder &b, TensorId id) {
  auto status = inferAll(b);
  INFO((status ? std::string() : status.error().message()));
  REQUIRE(status);
  REQUIRE(b.g.tensor(id).shapeKnown);
  return b.g.tensor(id).shape;
}

/// Infers the graph, which must fail, and returns the message.
std::string inferError(Builder &b) {
  auto status = inferAll(b);
  REQUIRE_FALSE(status);
  return status.error().message();
}

TensorId typedInput(Builder &b, const std::string &name, Shape shape, DType dtype) {
  TensorId id = b.input(name, std::move(shape));
  b.g.tensor(id).dtype = dtype;
  return id;
}

TensorId scalarFloat(Builder &b, const std::string &name, float value) {
  return b.g.addConstant(name, TensorData::fromFloats({}, {value}));
}

using Catch::Contains;

} // namespace

// ---- Elementwise ---------------------------------------------------------------------

TEST_CASE("binary ops broadcast numpy-style", "[ir][shape]") {
  Builder b;
  TensorId y = b.node(OpKind::Add, "add", {b.input("a", {2, 1, 4}), b.input("b", {3, 1})});
  REQUIRE(inferred(b, y) == Shape{2, 3, 4});
  REQUIRE(b.g.tensor(y).dtype == DType::Float32);
}

TEST_CASE("incompatible broadcast names both shapes and the node", "[ir][shape]") {
  Builder b;
  b.node(OpKind::Mul, "mul1", {b.input("a", {2, 3}), b.input("b", {4})});
  std::string msg = inferError(b);
  REQUIRE_THAT(msg, Contains("node 'mul1' (Mul)"));
  REQUIRE_THAT(msg, Contains("2x3") && Contains("4"));
}

TEST_CASE("binary ops need one element type", "[ir][shape]") {
  Builder b;
  b.node(OpKind::Sub, "sub1", {b.input("a", {2}), typedInput(b, "b", {2}, DType::Int64)});
  REQUIRE_THAT(inferError(b), Contains("node 'sub1'") && Contains("insert a Cast"));
}

TEST_CASE("Pow allows a different exponent type", "[ir][shape]") {
  Builder b;
  TensorId y =
      b.node(OpKind::Pow, "pow", {b.input("a", {2, 3}), typedInput(b, "e", {}, DType::Int64)});
  REQUIRE(inferred(b, y) == Shape{2, 3});
  REQUIRE(b.g.tensor(y).dtype == DType::Float32);
}

TEST_CASE("variadic Max, Min and Sum broadcast all inputs", "[ir][shape]") {
  Builder b;
  TensorId x = b.input("x", {1, 3, 1, 1}), y = b.input("y", {4, 1}), z = b.input("z", {5});
  TensorId s = b.node(OpKind::Sum, "sum", {x, y, z});
  TensorId m = b.node(OpKind::Max, "max", {x});
  REQUIRE(inferred(b, s) == Shape{1, 3, 4, 5});
  REQUIRE(b.g.tensor(m).shape == Shape{1, 3, 1, 1});
}

TEST_CASE("variadic broadcast failure names the input", "[ir][shape]") {
  Builder b;
  b.node(OpKind::Min, "min3", {b.input("x", {3}), b.input("y", {3}), b.input("z", {4})});
  REQUIRE_THAT(inferError(b), Contains("node 'min3' (Min)") && Contains("input 2"));
}

TEST_CASE("comparisons and logic produce bool", "[ir][shape]") {
  Builder b;
  TensorId eq = b.node(OpKind::Less, "less", {b.input("a", {2, 3}), b.input("b", {3})});
  TensorId p = typedInput(b, "p", {2, 1}, DType::Bool),
           q = typedInput(b, "q", {4}, DType::Bool);
  TensorId both = b.node(OpKind::And, "and", {p, q});
  TensorId neg = b.node(OpKind::Not, "not", {p});
  REQUIRE(inferred(b, eq) == Shape{2, 3});
  REQUIRE(b.g.tensor(eq).dtype == DType::Bool);
  REQUIRE(b.g.tensor(both).shape == Shape{2, 4});
  REQUIRE(b.g.tensor(both).dtype == DType::Bool);
  REQUIRE(b.g.tensor(neg).dtype == DType::Bool);
}

TEST_CASE("logic ops reject non-bool inputs", "[ir][shape]") {
  Builder b;
  b.node(OpKind::Or, "or1", {b.input("a", {2}), typedInput(b, "q", {2}, DType::Bool)});
  REQUIRE_THAT(inferError(b), Contains("node 'or1' (Or)") && Contains("must be bool"));
  Builder c;
  c.node(OpKind::Not, "not1", {c.input("a", {2})});
  REQUIRE_THAT(inferError(c), Contains("node 'not1' (Not)") && Contains("must be bool"));
}

TEST_CASE("Where broadcasts condition and both branches", "[ir][shape]") {
  Builder b;
  TensorId y = b.node(
      OpKind::Where, "where",
      {typedInput(b, "c", {2, 1}, DType::Bool), b.input("x", {1, 3}), b.input("y", {2, 3})});
  REQUIRE(inferred(b, y) == Shape{2, 3});
  REQUIRE(b.g.tensor(y).dtype == DType::Float32);
  Builder c;
  c.node(OpKind::Where, "where1", {c.input("c", {2}), c.input("x", {2}), c.input("y", {2})});
  REQUIRE_THAT(inferError(c),
               Contains("node 'where1' (Where)") && Contains("input 0 must be bool"));
  Builder d;
  d.node(OpKind::Where, "where2",
         {typedInput(d, "c", {2}, DType::Bool), d.input("x", {2}),
          typedInput(d, "y", {2}, DType::Int32)});
  REQUIRE_THAT(inferError(d), Contains("node 'where2'") && Contains("different element types"));
}

TEST_CASE("unary ops, Clip and Cast keep the shape", "[ir][shape]") {
  Builder b;
  TensorId x = b.input("x", {1, 2, 3});
  TensorId r = b.node(OpKind::Relu, "relu", {x});
  TensorId clip = b.node(OpKind::Clip, "clip", {x, kNoTensor, scalarFloat(b, "six", 6)});
  CastAttrs toInt;
  toInt.to = DType::Int8;
  TensorId cast = b.node(OpKind::Cast, "cast", {x}, toInt);
  REQUIRE(inferred(b, r) == Shape{1, 2, 3});
  REQUIRE(b.g.tensor(clip).shape == Shape{1, 2, 3});
  REQUIRE(b.g.tensor(cast).shape == Shape{1, 2, 3});
  REQUIRE(b.g.tensor(cast).dtype == DType::Int8);
}

TEST_CASE("Clip bounds must be scalars; Cast needs a known type", "[ir][shape]") {
  Builder b;
  b.node(OpKind::Clip, "clip1", {b.input("x", {3}), b.input("lo", {3})});
  REQUIRE_THAT(inferError(b), Contains("node 'clip1' (Clip)") && Contains("min bound"));
  Builder c;
  CastAttrs bad;
  bad.to = static_cast<DType>(42);
  c.node(OpKind::Cast, "cast1", {c.input("x", {3})}, bad);
  REQUIRE_THAT(inferError(c), Contains("node 'cast1' (Cast)") && Contains("unknown"));
}

// ---- Operand checks shared by every op -------------------------------------------------

TEST_CASE("operand count, missing inputs and unknown shapes are errors", "[ir][shape]") {
  Builder b;
  b.node(OpKind::Add, "add3", {b.input("a", {2}), b.input("b", {2}), b.input("c", {2})});
  REQUIRE_THAT(inferError(b), Contains("node 'add3' (Add)") && Contains("3 inputs"));

  Builder c;
  c.node(OpKind::Conv, "conv", {kNoTensor, c.constant("w", {1, 1, 1, 1})});
  REQUIRE_THAT(inferError(c), Contains("node 'conv' (Conv)") && Contains("required input 0"));

  Builder d;
  Tensor pending;
  pending.name = "pending";
  d.node(OpKind::Relu, "relu", {d.g.addTensor(pending)});
  REQUIRE_THAT(inferError(d), Contains("node 'relu' (Relu)") && Contains("no inferred shape"));

  Builder e;
  e.node(OpKind::Sum, "sum", {e.input("a", {2}), kNoTensor});
  REQUIRE_THAT(inferError(e), Contains("node 'sum' (Sum)") && Contains("required input 1"));

  Builder f;
  f.node(OpKind::Relu, "relu2", {f.input("a", {2})}, {}, /*outputs=*/2);
  REQUIRE_THAT(inferError(f), Contains("node 'relu2' (Relu)") && Contains("2 outputs"));

  Builder h;
  TensorId x = h.input("x", {2});
  h.node(OpKind::Relu, "relu3", {x});
  h.g.nodes.back().attrs = AxisAttrs{};
  REQUIRE_THAT(inferError(h), Contains("node 'relu3'") && Contains("attribute struct"));
}

TEST_CASE("hostile input shapes and dtypes are rejected", "[ir][shape]") {
  Builder b;
  TensorId x = b.input("x", {int64_t{1} << 40, 0});
  b.node(OpKind::Relu, "relu", {x});
  REQUIRE_THAT(inferError(b), Contains("node 'relu' (Relu)") && Contains("unsupported shape"));

  Builder c;
  TensorId y = c.input("y", {-3});
  c.node(OpKind::Relu, "relu", {y});
  REQUIRE_THAT(inferError(c), Contains("unsupported shape"));

  Builder d;
  TensorId z = typedInput(d, "z", {2}, static_cast<DType>(99));
  d.node(OpKind::Relu, "relu4", {z});
  REQUIRE_THAT(inferError(d), Contains("node 'relu4'") && Contains("unknown element type"));
}

// ---- Conv ------------------------------------------------------------------------------

TEST_CASE("Conv fills in kernel, strides, dilations and pads", "[ir][shape][conv]") {
  Builder b;
  TensorId y = b.node(
      OpKind::Conv, "conv",
      {b.input("x", {1, 3, 16, 16}), b.constant("w", {8, 3, 3, 3}), b.constant("b", {8})},
      ConvAttrs{});
  REQUIRE(inferred(b, y) == Shape{1, 8, 14, 14});
  const auto &a = b.g.nodes[0].attr<ConvAttrs>();
  REQUIRE(a.kernel == Ints{3, 3});
  REQUIRE(a.strides == Ints{1, 1});
  REQUIRE(a.dilations == Ints{1, 1});
  REQUIRE(a.pads == Ints{0, 0, 0, 0});
}

TEST_CASE("Conv with stride, dilation, asymmetric pads; 1-D and 3-D", "[ir][shape][conv]") {
  Builder b;
  ConvAttrs a;
  a.strides = {2, 1};
  a.dilations = {2, 1};
  a.pads = {1, 0, 1, 2};
  TensorId y = b.node(OpKind::Conv, "conv",
                      {b.input("x", {2, 3, 16, 10}), b.constant("w", {4, 3, 3, 3})}, a);
  // H: (16 + 2 - 5) / 2 + 1 = 7; W: (10 + 2 - 3) / 1 + 1 = 10.
  REQUIRE(inferred(b, y) == Shape{2, 4, 7, 10});

  Builder c;
  TensorId y1 = c.node(OpKind::Conv, "conv1d",
                       {c.input("x", {1, 4, 10}), c.constant("w", {6, 4, 3})}, ConvAttrs{});
  TensorId y3 =
      c.node(OpKind::Conv, "conv3d",
             {c.input("v", {1, 2, 4, 8, 8}), c.constant("w3", {3, 2, 3, 3, 3})}, ConvAttrs{});
  REQUIRE(inferred(c, y1) == Shape{1, 6, 8});
  REQUIRE(c.g.tensor(y3).shape == Shape{1, 3, 2, 6, 6});
}

TEST_CASE("depthwise Conv", "[ir][shape][conv]") {
  Builder b;
  TensorId y =
      b.node(OpKind::Conv, "dw", {b.input("x", {1, 8, 10, 10}), b.constant("w", {8, 1, 3, 3})},
             rnnpoolc::testing::conv3x3(/*pad=*/1, /*group=*/8));
  REQUIRE(inferred(b, y) == Shape{1, 8, 10, 10});
}

TEST_CASE("auto_pad SAME_UPPER, SAME_LOWER and VALID become explicit pads",
          "[ir][shape][conv]") {
  struct Case {
    AutoPad mode;
    Ints pads;
    int64_t out;
  };
  // 8 wide, kernel 3, stride 2: SAME gives ceil(8/2) = 4 with one pad row in total.
  for (const Case &c :
       {Case{AutoPad::SameUpper, {0, 0, 1, 1}, 4}, Case{AutoPad::SameLower, {1, 1, 0, 0}, 4},
        Case{AutoPad::Valid, {0, 0, 0, 0}, 3}}) {
    Builder b;
    ConvAttrs a;
    a.strides = {2, 2};
    a.autoPad = c.mode;
    TensorId y = b.node(OpKind::Conv, "conv",
                        {b.input("x", {1, 1, 8, 8}), b.constant("w", {2, 1, 3, 3})}, a);
    REQUIRE(inferred(b, y) == Shape{1, 2, c.out, c.out});
    REQUIRE(b.g.nodes[0].attr<ConvAttrs>().pads == c.pads);
    REQUIRE(b.g.nodes[0].attr<ConvAttrs>().autoPad == AutoPad::NotSet);

    Builder p;
    PoolAttrs pa;
    pa.kernel = {3, 3};
    pa.strides = {2, 2};
    pa.autoPad = c.mode;
    TensorId z = p.node(OpKind::AveragePool, "pool", {p.input("x", {1, 1, 8, 8})}, pa);
    REQUIRE(inferred(p, z) == Shape{1, 1, c.out, c.out});
    REQUIRE(p.g.nodes[0].attr<PoolAttrs>().pads == c.pads);
  }
}

TEST_CASE("inference is idempotent on a completed node", "[ir][shape][conv]") {
  Builder b;
  ConvAttrs a;
  a.autoPad = AutoPad::SameUpper;
  TensorId y = b.node(OpKind::Conv, "conv",
                      {b.input("x", {1, 1, 5, 5}), b.constant("w", {2, 1, 3, 3})}, a);
  REQUIRE(inferred(b, y) == Shape{1, 2, 5, 5});
  REQUIRE(inferred(b, y) == Shape{1, 2, 5, 5});
  REQUIRE(b.g.nodes[0].attr<ConvAttrs>().pads == Ints{1, 1, 1, 1});
}

TEST_CASE("Conv errors name the node and say what is wrong", "[ir][shape][conv]") {
  struct Case {
    Shape x, w;
    std::optional<Shape> bias;
    ConvAttrs attrs;
    std::string expected;
  };
  auto with = [](auto change) {
    ConvAttrs a;
    change(a);
    return a;
  };
  std::vector<Case> cases = {
      {{1, 3, 8, 8},
       {8, 4, 3, 3},
       {},
       {},
       "input channels 3 do not match weight channels 4 x group 1"},
      {{1, 4, 8, 8},
       {5, 2, 3, 3},
       {},
       with([](ConvAttrs &a) { a.group = 2; }),
       "group 2 does not divide the 5 output channels"},
      {{1, 4, 8, 8}, {4, 4, 3, 3}, {}, with([](ConvAttrs &a) { a.group = 0; }), "group 0"},
      {{1, 3, 8, 8}, {8, 3, 3, 3}, Shape{4}, {}, "bias of shape 4"},
      {{1, 3, 8, 8},
       {8, 3, 3, 3},
       {},
       with([](ConvAttrs &a) {
         a.kernel = {5, 5};
       }),
       "does not match the weights"},
      {{1, 3, 8, 8},
       {8, 3, 3, 3},
       {},
       with([](ConvAttrs &a) {
         a.strides = {0, 1};
       }),
       "strides value 0 must be positive"},
      {{1, 3, 8, 8},
       {8, 3, 3, 3},
       {},
       with([](ConvAttrs &a) {
         a.dilations = {1, -1};
       }),
       "dilations value -1 must be positive"},
      {{1, 3, 8, 8},
       {8, 3, 3, 3},
       {},
       with([](ConvAttrs &a) {
         a.pads = {0, -1, 0, 0};
       }),
       "pads value -1 must be non-negative"},
      {{1, 3, 8, 8},
       {8, 3, 3, 3},
       {},
       with([](ConvAttrs &a) { a.strides = {1}; }),
       "strides has 1 entries; expected 2"},
      {{1, 3, 8, 8},
       {8, 3, 3, 3},
       {},
       with([](ConvAttrs &a) {
         a.pads = {1, 1};
       }),
       "pads has 2 entries; expected 4"},
      {{1, 3, 8, 8},
       {8, 3, 3, 3},
       {},
       with([](ConvAttrs &a) {
         a.strides = {int64_t{1} << 40, 1};
       }),
       "too large"},
      {{1, 3, 2, 2}, {8, 3, 3, 3}, {}, {}, "does not fit"},
      {{1, 3, 8, 8},
       {8, 3, 3, 3},
       {},
       with([](ConvAttrs &a) {
         a.dilations = {4, 1};
       }),
       "does not fit"},
      {{3, 8}, {8, 3}, {}, {}, "rank 3 to 5"},
      {{1, 3, 8, 8}, {8, 3, 3}, {}, {}, "must have the input's rank 4"},
      {{1, 3, 8, 8}, {8, 3, 0, 3}, {}, {}, "kernel_shape value 0 must be positive"},
      {{1, 3, 8, 8},
       {8, 3, 3, 3},
       {},
       with([](ConvAttrs &a) { a.autoPad = static_cast<AutoPad>(9); }),
       "auto_pad value 9"},
  };
  for (const Case &c : cases) {
    Builder b;
    std::vector<TensorId> args = {b.input("x", c.x), b.constant("w", c.w)};
    if (c.bias)
      args.push_back(b.constant("b", *c.bias));
    b.node(OpKind::Conv, "conv7", args, c.attrs);
    std::string msg = inferError(b);
    INFO(msg);
    REQUIRE_THAT(msg, Contains("node 'conv7' (Conv)") && Contains(c.expected));
  }
}

// ---- Pooling ---------------------------------------------------------------------------

TEST_CASE("pooling with and without ceil_mode", "[ir][shape][pool]") {
  auto pool = [](Shape x, Ints kernel, Ints strides, Ints pads, bool ceil) {
    Builder b;
    PoolAttrs a;
    a.kernel = std::move(kernel);
    a.strides = std::move(strides);
    a.pads = std::move(pads);
    a.ceilMode = ceil;
    TensorId y = b.node(OpKind::MaxPool, "pool", {b.input("x", std::move(x))}, a);
    return inferred(b, y);
  };
  REQUIRE(pool({1, 2, 8, 8}, {3, 3}, {2, 2}, {}, false) == Shape{1, 2, 3, 3});
  REQUIRE(pool({1, 2, 8, 8}, {3, 3}, {2, 2}, {}, true) == Shape{1, 2, 4, 4});
  // The last ceil-mode window would start in the end padding, so it is dropped.
  REQUIRE(pool({1, 1, 4, 4}, {2, 2}, {2, 2}, {0, 0, 1, 1}, true) == Shape{1, 1, 2, 2});
  REQUIRE(pool({1, 1, 9}, {3}, {3}, {}, true) == Shape{1, 1, 3});
}

TEST_CASE("pooling needs a kernel and a window that fits", "[ir][shape][pool]") {
  Builder b;
  b.node(OpKind::MaxPool, "mp", {b.input("x", {1, 1, 4, 4})}, PoolAttrs{});
  REQUIRE_THAT(inferError(b),
               Contains("node 'mp' (MaxPool)") && Contains("kernel_shape is missing"));
  Builder c;
  PoolAttrs a;
  a.kernel = {5, 5};
  c.node(OpKind::AveragePool, "ap", {c.input("x", {1, 1, 4, 4})}, a);
  REQUIRE_THAT(inferError(c), Contains("node 'ap' (AveragePool)") && Contains("does not fit"));
}

TEST_CASE("global pooling keeps N and C", "[ir][shape][pool]") {
  Builder b;
  TensorId y = b.node(OpKind::GlobalAveragePool, "gap", {b.input("x", {2, 8, 5, 7})});
  TensorId z = b.node(OpKind::GlobalMaxPool, "gmp", {b.input("v", {2, 8, 5})});
  REQUIRE(inferred(b, y) == Shape{2, 8, 1, 1});
  REQUIRE(b.g.tensor(z).shape == Shape{2, 8, 1});
  Builder c;
  c.node(OpKind::GlobalAveragePool, "gap2", {c.input("x", {2, 8})});
  REQUIRE_THAT(inferError(c), Contains("node 'gap2'") && Contains("rank 3 or more"));
}

// ---- BatchNormalization, Gemm, MatMul, Softmax, reductions ------------------------------

TEST_CASE("BatchNormalization checks its parameter vectors", "[ir][shape]") {
  Builder b;
  TensorId x = b.input("x", {1, 4, 3, 3});
  TensorId y = b.node(OpKind::BatchNormalization, "bn",
                      {x, b.constant("s", {4}), b.constant("o", {4}), b.constant("m", {4}),
                       b.constant("v", {4})});
  REQUIRE(inferred(b, y) == Shape{1, 4, 3, 3});
  Builder c;
  TensorId x2 = c.input("x", {1, 4, 3, 3});
  c.node(OpKind::BatchNormalization, "bn2",
         {x2, c.constant("s", {4}), c.constant("o", {4}), c.constant("m", {3}),
          c.constant("v", {4})});
  REQUIRE_THAT(inferError(c), Contains("node 'bn2'") && Contains("mean has shape 3") &&
                                  Contains("4 channels"));
}

TEST_CASE("Gemm with transposes and a broadcast C", "[ir][shape][gemm]") {
  GemmAttrs t;
  t.transA = true;
  t.transB = true;
  for (Shape c : {Shape{5}, Shape{3, 1}, Shape{1, 5}, Shape{}}) {
    Builder b;
    TensorId y = b.node(OpKind::Gemm, "gemm",
                        {b.input("a", {4, 3}), b.constant("b", {5, 4}), b.constant("c", c)}, t);
    REQUIRE(inferred(b, y) == Shape{3, 5});
  }
  Builder b;
  TensorId y =
      b.node(OpKind::Gemm, "fc", {b.input("a", {2, 7}), b.constant("b", {7, 3})}, GemmAttrs{});
  REQUIRE(inferred(b, y) == Shape{2, 3});
}

TEST_CASE("Gemm errors", "[ir][shape][gemm]") {
  Builder b;
  b.node(OpKind::Gemm, "gemm1", {b.input("a", {2, 7}), b.constant("b", {6, 3})}, GemmAttrs{});
  REQUIRE_THAT(inferError(b), Contains("node 'gemm1' (Gemm)") && Contains("inner dims differ"));
  Builder c;
  c.node(OpKind::Gemm, "gemm2",
         {c.input("a", {2, 7}), c.constant("b", {7, 3}), c.constant("c", {2, 2})}, GemmAttrs{});
  REQUIRE_THAT(inferError(c), Contains("node 'gemm2'") && Contains("C of shape 2x2"));
  Builder d;
  d.node(OpKind::Gemm, "gemm3", {d.input("a", {2, 7, 1}), d.constant("b", {7, 3})},
         GemmAttrs{});
  REQUIRE_THAT(inferError(d), Contains("node 'gemm3'") && Contains("must be matrices"));
}

TEST_CASE("MatMul follows numpy: vectors and batch broadcasting", "[ir][shape][gemm]") {
  auto matmul = [](Shape a, Shape bShape) {
    Builder b;
    TensorId y = b.node(OpKind::MatMul, "mm",
                        {b.input("a", std::move(a)), b.input("b", std::move(bShape))});
    return inferred(b, y);
  };
  REQUIRE(matmul({2, 3, 4, 5}, {5, 6}) == Shape{2, 3, 4, 6});
  REQUIRE(matmul({5}, {5, 6}) == Shape{6});
  REQUIRE(matmul({2, 3, 4}, {4}) == Shape{2, 3});
  REQUIRE(matmul({4}, {4}) == Shape{});
  REQUIRE(matmul({2, 1, 3, 4}, {5, 4, 6}) == Shape{2, 5, 3, 6});
  REQUIRE(matmul({3, 4}, {2, 4, 1}) == Shape{2, 3, 1});
}

TEST_CASE("MatMul errors", "[ir][shape][gemm]") {
  Builder b;
  b.node(OpKind::MatMul, "mm1", {b.input("a", {3, 4}), b.input("b", {5, 6})});
  REQUIRE_THAT(inferError(b), Contains("node 'mm1' (MatMul)") && Contains("inner dims differ"));
  Builder c;
  c.node(OpKind::MatMul, "mm2", {c.input("a", {2, 3, 4}), c.input("b", {3, 4, 5})});
  REQUIRE_THAT(inferError(c), Contains("node 'mm2'") && Contains("batch dims"));
  Builder d;
  d.node(OpKind::MatMul, "mm3", {d.input("a", {}), d.input("b", {3})});
  REQUIRE_THAT(inferError(d), Contains("node 'mm3'") && Contains("rank 1 or more"));
}

TEST_CASE("Softmax normalises a negative axis", "[ir][shape]") {
  Builder b;
  TensorId y = b.node(OpKind::Softmax, "sm", {b.input("x", {2, 3, 4})}, SoftmaxAttrs{});
  REQUIRE(inferred(b, y) == Shape{2, 3, 4});
  REQUIRE(b.g.nodes[0].attr<SoftmaxAttrs>().axis == 2);
  Builder c;
  SoftmaxAttrs a;
  a.axis = -4;
  c.node(OpKind::Softmax, "sm2", {c.input("x", {2, 3, 4})}, a);
  REQUIRE_THAT(inferError(c),
               Contains("node 'sm2' (Softmax)") && Contains("axis -4 is out of range"));
}

TEST_CASE("reductions: axes, keepdims and noop_with_empty_axes", "[ir][shape]") {
  auto reduce = [](std::optional<Ints> axes, bool keep, bool noop) {
    Builder b;
    ReduceAttrs a;
    a.keepDims = keep;
    a.noopWithEmptyAxes = noop;
    std::vector<TensorId> args = {b.input("x", {1, 8, 4, 5})};
    if (axes)
      args.push_back(b.ints("axes", *axes));
    TensorId y = b.node(OpKind::ReduceMean, "rm", args, a);
    return inferred(b, y);
  };
  REQUIRE(reduce(Ints{-1, -2}, true, false) == Shape{1, 8, 1, 1});
  REQUIRE(reduce(Ints{-1, 2}, false, false) == Shape{1, 8});
  REQUIRE(reduce(std::nullopt, true, false) == Shape{1, 1, 1, 1});
  REQUIRE(reduce(std::nullopt, false, false) == Shape{});
  REQUIRE(reduce(std::nullopt, false, true) == Shape{1, 8, 4, 5});
  REQUIRE(reduce(Ints{}, true, true) == Shape{1, 8, 4, 5});
  REQUIRE(reduce(Ints{}, true, false) == Shape{1, 1, 1, 1});
}

TEST_CASE("reduction axes must be constant, integer, in range and distinct", "[ir][shape]") {
  Builder b;
  TensorId x = b.input("x", {2, 3});
  b.node(OpKind::ReduceSum, "rs", {x, typedInput(b, "axes", {1}, DType::Int64)}, ReduceAttrs{});
  REQUIRE_THAT(inferError(b), Contains("node 'rs' (ReduceSum): ReduceSum axes is not a "
                                       "constant (computed at run time)"));
  Builder c;
  c.node(OpKind::ReduceMax, "rmax", {c.input("x", {2, 3}), c.ints("axes", {1, -1})},
         ReduceAttrs{});
  REQUIRE_THAT(inferError(c), Contains("node 'rmax'") && Contains("name axis 1 twice"));
  Builder d;
  d.node(OpKind::ReduceMin, "rmin", {d.input("x", {2, 3}), d.ints("axes", {2})}, ReduceAttrs{});
  REQUIRE_THAT(inferError(d), Contains("node 'rmin'") && Contains("out of range for rank 2"));
  Builder e;
  e.node(OpKind::ReduceMin, "rmin2", {e.input("x", {2, 3}), e.constant("axes", {1})},
         ReduceAttrs{});
  REQUIRE_THAT(inferError(e),
               Contains("node 'rmin2'") && Contains("must be an integer tensor"));
  Builder f;
  f.node(OpKind::ReduceMin, "rmin3",
         {f.input("x", {2, 3}),
          f.g.addConstant("axes", TensorData::fromInts(DType::Int64, {1, 1}, {0}))},
         ReduceAttrs{});
  REQUIRE_THAT(inferError(f), Contains("node 'rmin3'") && Contains("scalar or 1-D"));
}

TEST_CASE("QuantizeLinear / DequantizeLinear types, per-axis scales and parameter errors",
          "[ir][shape]") {
  auto qdq = [](DType zpType, Shape scaleShape, std::vector<float> scales, int64_t axis) {
    Builder b;
    TensorId x = b.input("x", {1, 3, 2, 2});
    TensorId s = b.g.addConstant("s", TensorData::fromFloats(scaleShape, scales));
    TensorId z = b.g.addConstant(
        "z", TensorData::fromInts(zpType, scaleShape, std::vector<int64_t>(scales.size(), 0)));
    TensorId q = b.node(OpKind::QuantizeLinear, "q", {x, s, z}, AxisAttrs{axis});
    b.node(OpKind::DequantizeLinear, "dq", {q, s, z}, AxisAttrs{axis});
    return b;
  };
  Builder ok = qdq(DType::Int8, {3}, {0.1f, 0.2f, 0.3f}, -3);
  REQUIRE(inferAll(ok));
  CHECK(ok.g.tensor(ok.g.nodes[0].outputs[0]).dtype == DType::Int8);
  CHECK(ok.g.tensor(ok.g.nodes[1].outputs[0]).dtype == DType::Float32);
  CHECK(ok.g.nodes[0].attr<AxisAttrs>().axis == 1); // normalised
  Builder zero = qdq(DType::UInt8, {}, {0.0f}, 1);
  CHECK_THAT(inferError(zero),
             Catch::Matchers::Contains("node 'q' (QuantizeLinear): scale value 0"));
  Builder length = qdq(DType::UInt8, {2}, {0.1f, 0.2f}, 1);
  CHECK_THAT(inferError(length), Catch::Matchers::Contains("scale has 2 values, but axis 1"));
  Builder wide = qdq(DType::Int16, {}, {0.1f}, 1);
  CHECK_THAT(inferError(wide), Catch::Matchers::Contains("zero point has type int16"));
}

TEST_CASE("L2Norm keeps the shape, normalises its axis and checks the scale", "[ir][shape]") {
  {
    Builder b;
    TensorId y = b.node(OpKind::L2Norm, "l2", {b.input("x", {1, 6, 4, 5}), b.constant("s", {6})},
                        L2NormAttrs{1e-10f, false, -3});
    REQUIRE(inferred(b, y) == Shape{1, 6, 4, 5});
    CHECK(b.g.nodes[0].attr<L2NormAttrs>().axis == 1);
  }
  {
    Builder b;
    b.node(OpKind::L2Norm, "l2", {b.input("x", {1, 6, 4, 5}), b.constant("s", {5})});
    CHECK_THAT(inferError(b),
               Contains("node 'l2' (L2Norm): scale has shape 5; expected a float vector of 1 "
                        "or 6 values"));
  }
  {
    Builder b;
    b.node(OpKind::L2Norm, "l2", {b.input("x", {1, 6})}, L2NormAttrs{0, false, 2});
    CHECK_THAT(inferError(b), Contains("node 'l2' (L2Norm)"));
  }
  {
    Builder b;
    b.node(OpKind::L2Norm, "l2", {typedInput(b, "x", {1, 6}, DType::Int32)});
    CHECK_THAT(inferError(b), Contains("input must be float"));
  }
  {
    Builder b;
    b.node(OpKind::L2Norm, "l2", {b.input("x", {1, 6})}, L2NormAttrs{-1.0f, false, 1});
    CHECK_THAT(inferError(b), Contains("eps must be non-negative"));
  }
}

TEST_CASE("ChannelShuffle keeps the shape of a float map whose channels its groups divide",
          "[ir][shape]") {
  {
    Builder b;
    TensorId y = b.node(OpKind::ChannelShuffle, "s", {b.input("x", {1, 6, 4, 5})},
                        ChannelShuffleAttrs{3});
    REQUIRE(inferred(b, y) == Shape{1, 6, 4, 5});
  }
  {
    Builder b;
    b.node(OpKind::ChannelShuffle, "s", {b.input("x", {1, 6, 4, 5})}, ChannelShuffleAttrs{4});
    CHECK_THAT(inferError(b), Contains("node 's' (ChannelShuffle): groups 4 must be positive "
                                       "and divide the 6 channels"));
  }
  {
    Builder b;
    b.node(OpKind::ChannelShuffle, "s", {b.input("x", {1, 6, 4, 5})}, ChannelShuffleAttrs{0});
    CHECK_THAT(inferError(b), Contains("groups 0 must be positive"));
  }
  {
    Builder b;
    b.node(OpKind::ChannelShuffle, "s", {b.input("x", {1, 6})}, ChannelShuffleAttrs{2});
    CHECK_THAT(inferError(b),
               Contains("input must be a float [N, C, H, W] tensor, not float32[1x6]"));
  }
}
