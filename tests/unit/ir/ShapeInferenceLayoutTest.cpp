// Shape inference of the layout and shape-plumbing ops: exact shapes, axis normalisation,
// constant operands, clamping, and the guards against hostile values.
#include "compiler/ir/ShapeInference.h"
#include "tests/unit/passes/Builder.h"

#include <limits>

using namespace rnnpoolc;
using namespace rnnpoolc::ir;
using Catch::Contains;
using rnnpoolc::testing::Builder;

namespace {

constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinI64 = std::numeric_limits<int64_t>::min();

Status inferAll(Builder &b) {
  for (Node &node : b.g.nodes)
    RNNPOOLC_TRY(inferShapes(b.g, node));
  return Status::ok();
}

Shape inferred(Builder &b, TensorId id) {
  auto status = inferAll(b);
  INFO((status ? std::string() : status.error().message()));
  REQUIRE(status);
  REQUIRE(b.g.tensor(id).shapeKnown);
  return b.g.tensor(id).shape;
}

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

TensorId scalar(Builder &b, const std::string &name, int64_t value) {
  return b.g.addConstant(name, TensorData::scalarInt(value));
}

AxisAttrs axis(int64_t a) {
  AxisAttrs attrs;
  attrs.axis = a;
  return attrs;
}

/// Slices x of `shape` with the given constant operands and returns the output shape.
Shape slice(Shape shape, Ints starts, Ints ends, std::optional<Ints> axes,
            std::optional<Ints> steps) {
  Builder b;
  std::vector<TensorId> args = {b.input("x", std::move(shape)), b.ints("starts", starts),
                                b.ints("ends", ends)};
  args.push_back(axes ? b.ints("axes", *axes) : kNoTensor);
  if (steps)
    args.push_back(b.ints("steps", *steps));
  return inferred(b, b.node(OpKind::Slice, "slice", args));
}

} // namespace

// ---- Concat and Split ----------------------------------------------------------------

TEST_CASE("Concat adds up the axis and normalises it", "[ir][shape][layout]") {
  Builder b;
  TensorId y =
      b.node(OpKind::Concat, "cat",
             {b.input("a", {2, 3}), b.input("b", {2, 5}), b.input("c", {2, 1})}, axis(-1));
  REQUIRE(inferred(b, y) == Shape{2, 9});
  REQUIRE(b.g.nodes[0].attr<AxisAttrs>().axis == 1);
}

TEST_CASE("Concat errors", "[ir][shape][layout]") {
  Builder b;
  b.node(OpKind::Concat, "cat1", {b.input("a", {2, 3}), b.input("b", {3, 3})}, axis(1));
  REQUIRE_THAT(inferError(b), Contains("node 'cat1' (Concat)") && Contains("outside axis 1"));
  Builder c;
  c.node(OpKind::Concat, "cat2",
         {c.input("a", {2, 3}), typedInput(c, "b", {2, 3}, DType::Int64)}, axis(0));
  REQUIRE_THAT(inferError(c), Contains("node 'cat2'") && Contains("insert a Cast"));
  Builder d;
  d.node(OpKind::Concat, "cat3", {d.input("a", {2, 3})}, axis(2));
  REQUIRE_THAT(inferError(d), Contains("node 'cat3'") && Contains("axis 2 is out of range"));
  Builder e;
  e.node(OpKind::Concat, "cat4", {e.input("a", {2, 3}), e.input("b", {2, 3, 1})}, axis(0));
  REQUIRE_THAT(inferError(e), Contains("node 'cat4'") && Contains("does not match input 0"));
}

TEST_CASE("Split by sizes, equal parts, and uneven parts", "[ir][shape][layout]") {
  auto split = [](int64_t dim, int outputs, std::optional<Ints> sizes) {
    Builder b;
    std::vector<TensorId> args = {b.input("x", {2, dim})};
    if (sizes)
      args.push_back(b.ints("split", *sizes));
    b.node(OpKind::Split, "split", args, axis(-1), outputs);
    REQUIRE(inferAll(b));
    REQUIRE(b.g.nodes[0].attr<AxisAttrs>().axis == 1);
    Ints dims;
    for (TensorId out : b.g.nodes[0].outputs) {
      REQUIRE(b.g.tensor(out).shape[0] == 2);
      dims.push_back(b.g.tensor(out).shape[1]);
    }
    return dims;
  };
  REQUIRE(split(10, 3, Ints{2, 3, 5}) == Ints{2, 3, 5});
  REQUIRE(split(9, 3, std::nullopt) == Ints{3, 3, 3});
  REQUIRE(split(10, 3, std::nullopt) == Ints{4, 4, 2});
  REQUIRE(split(4, 3, std::nullopt) == Ints{2, 2, 0});
}

TEST_CASE("Split errors", "[ir][shape][layout]") {
  Builder b;
  b.node(OpKind::Split, "sp1", {b.input("x", {10}), b.ints("split", {2, 3})}, axis(0), 2);
  REQUIRE_THAT(inferError(b), Contains("node 'sp1' (Split)") && Contains("add up to 5"));
  Builder c;
  c.node(OpKind::Split, "sp2", {c.input("x", {10}), c.ints("split", {10})}, axis(0), 2);
  REQUIRE_THAT(inferError(c), Contains("node 'sp2'") && Contains("1 sizes for 2 outputs"));
  Builder d;
  d.node(OpKind::Split, "sp3", {d.input("x", {10}), d.ints("split", {12, -2})}, axis(0), 2);
  REQUIRE_THAT(inferError(d), Contains("node 'sp3'") && Contains("split size -2"));
  Builder e;
  e.node(OpKind::Split, "sp4", {e.input("x", {5})}, axis(0), 4);
  REQUIRE_THAT(inferError(e), Contains("node 'sp4'") && Contains("into 4 parts"));
  Builder f;
  f.node(OpKind::Split, "sp5", {f.input("x", {4}), typedInput(f, "s", {2}, DType::Int64)},
         axis(0), 2);
  REQUIRE_THAT(inferError(f),
               Contains("node 'sp5'") && Contains("Split split is not a constant"));
}

// ---- Slice ---------------------------------------------------------------------------

TEST_CASE("Slice clamps starts and ends", "[ir][shape][layout]") {
  REQUIRE(slice({10, 20}, {1, -5}, {kMaxI64, 100}, Ints{0, 1}, std::nullopt) == Shape{9, 5});
  REQUIRE(slice({10, 20}, {2}, {-2}, std::nullopt, std::nullopt) == Shape{6, 20});
  REQUIRE(slice({10, 20}, {-100}, {3}, Ints{-1}, Ints{2}) == Shape{10, 2});
  REQUIRE(slice({10, 20}, {7}, {3}, Ints{0}, Ints{1}) == Shape{0, 20});
}

TEST_CASE("Slice with negative and extreme steps", "[ir][shape][layout]") {
  // Reverse a whole axis, the usual x[::-1] export.
  REQUIRE(slice({10, 20}, {-1}, {kMinI64}, Ints{1}, Ints{-1}) == Shape{10, 20});
  REQUIRE(slice({10}, {8}, {1}, Ints{0}, Ints{-3}) == Shape{3});              // 8, 5, 2
  REQUIRE(slice({10}, {kMaxI64}, {-kMaxI64}, Ints{0}, Ints{-4}) == Shape{3}); // 9, 5, 1
  REQUIRE(slice({10}, {-1}, {kMinI64}, Ints{0}, Ints{kMinI64}) == Shape{1});
  REQUIRE(slice({10}, {0}, {kMaxI64}, Ints{0}, Ints{kMaxI64}) == Shape{1});
  REQUIRE(slice({10}, {2}, {5}, Ints{0}, Ints{-1}) == Shape{0});
}

TEST_CASE("Slice errors", "[ir][shape][layout]") {
  Builder b;
  b.node(OpKind::Slice, "sl1",
         {b.input("x", {4}), b.ints("s", {0}), b.ints("e", {4}), b.ints("a", {0}),
          b.ints("st", {0})});
  REQUIRE_THAT(inferError(b),
               Contains("node 'sl1' (Slice)") && Contains("steps must be non-zero"));
  Builder c;
  c.node(
      OpKind::Slice, "sl2",
      {c.input("x", {4, 4}), c.ints("s", {0, 0}), c.ints("e", {1, 1}), c.ints("a", {1, -1})});
  REQUIRE_THAT(inferError(c), Contains("node 'sl2'") && Contains("name axis 1 twice"));
  Builder d;
  d.node(OpKind::Slice, "sl3",
         {d.input("x", {4}), typedInput(d, "s", {1}, DType::Int64), d.ints("e", {4})});
  REQUIRE_THAT(inferError(d),
               Contains("node 'sl3'") && Contains("Slice starts is not a constant"));
  Builder e;
  e.node(OpKind::Slice, "sl4", {e.input("x", {4}), e.ints("s", {0, 1}), e.ints("e", {4})});
  REQUIRE_THAT(inferError(e), Contains("node 'sl4'") && Contains("ends has 1"));
  Builder f;
  f.node(OpKind::Slice, "sl5",
         {f.input("x", {4}), f.ints("s", {0}), f.ints("e", {4}), f.ints("a", {3})});
  REQUIRE_THAT(inferError(f), Contains("node 'sl5'") && Contains("out of range"));
}

// ---- Gather and ScatterND --------------------------------------------------------------

TEST_CASE("Gather splices the indices' shape in at the axis", "[ir][shape][layout]") {
  Builder b;
  TensorId data = b.input("data", {5, 4, 3});
  TensorId y =
      b.node(OpKind::Gather, "g1", {data, typedInput(b, "idx", {2, 6}, DType::Int64)}, axis(1));
  TensorId z = b.node(OpKind::Gather, "g2", {data, scalar(b, "k", -1)}, axis(-1));
  REQUIRE(inferred(b, y) == Shape{5, 2, 6, 3});
  REQUIRE(b.g.tensor(z).shape == Shape{5, 4});
  REQUIRE(b.g.nodes[1].attr<AxisAttrs>().axis == 2);
}

TEST_CASE("Gather errors", "[ir][shape][layout]") {
  Builder b;
  b.node(OpKind::Gather, "g1", {b.input("d", {5}), b.input("i", {2})}, axis(0));
  REQUIRE_THAT(inferError(b),
               Contains("node 'g1' (Gather)") && Contains("indices must be an integer"));
  Builder c;
  c.node(OpKind::Gather, "g2", {c.input("d", {5, 2}), c.ints("i", {0, 5})}, axis(0));
  REQUIRE_THAT(inferError(c), Contains("node 'g2'") && Contains("index 5 is out of range"));
  Builder d;
  d.node(OpKind::Gather, "g3", {d.input("d", {5, 2}), d.ints("i", {0})}, axis(-3));
  REQUIRE_THAT(inferError(d), Contains("node 'g3'") && Contains("axis -3"));
  Builder e;
  e.node(OpKind::Gather, "g4", {e.input("d", {5}), typedInput(e, "i", {1}, DType::Bool)},
         axis(0));
  REQUIRE_THAT(inferError(e), Contains("node 'g4'") && Contains("not bool"));
}

TEST_CASE("ScatterND keeps the data shape and checks updates", "[ir][shape][layout]") {
  Builder b;
  TensorId y = b.node(OpKind::ScatterND, "sc",
                      {b.input("d", {4, 5, 6}), typedInput(b, "i", {2, 3, 2}, DType::Int64),
                       b.input("u", {2, 3, 6})});
  REQUIRE(inferred(b, y) == Shape{4, 5, 6});
  Builder c;
  c.node(OpKind::ScatterND, "sc2",
         {c.input("d", {4, 5, 6}), typedInput(c, "i", {2, 3, 2}, DType::Int64),
          c.input("u", {2, 3})});
  REQUIRE_THAT(inferError(c), Contains("node 'sc2' (ScatterND)") && Contains("need 2x3x6"));
  Builder d;
  d.node(OpKind::ScatterND, "sc3",
         {d.input("d", {4}), typedInput(d, "i", {1, 2}, DType::Int64), d.input("u", {1})});
  REQUIRE_THAT(inferError(d), Contains("node 'sc3'") && Contains("expected 1 to 1"));
}

// ---- Reshape, Flatten, Squeeze, Unsqueeze, Transpose --------------------------------

TEST_CASE("Reshape with 0, -1 and allowzero", "[ir][shape][layout]") {
  auto reshape = [](Shape x, Ints target, bool allowZero) {
    Builder b;
    ReshapeAttrs a;
    a.allowZero = allowZero;
    return inferred(b, b.node(OpKind::Reshape, "r",
                              {b.input("x", std::move(x)), b.ints("shape", std::move(target))},
                              a));
  };
  REQUIRE(reshape({2, 3, 4}, {0, -1}, false) == Shape{2, 12});
  REQUIRE(reshape({2, 3, 4}, {-1}, false) == Shape{24});
  REQUIRE(reshape({2, 3, 4}, {4, 0, 2}, false) == Shape{4, 3, 2});
  REQUIRE(reshape({0, 6}, {3, 0}, true) == Shape{3, 0});
  REQUIRE(reshape({0, 6}, {-1, 0}, false) == Shape{0, 6});
}

TEST_CASE("Reshape errors", "[ir][shape][layout]") {
  struct Case {
    Shape x;
    Ints target;
    bool allowZero;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{2, 3}, {-1, -1}, false, "more than one -1"},
      {{2, 3}, {4, 2}, false, "element counts differ"},
      {{2, 3}, {4, -1}, false, "does not come out whole"},
      {{2, 3}, {0, 0, 0}, false, "copies dim 2"},
      {{2, 3}, {-2, 3}, false, "invalid dim -2"},
      {{0, 3}, {0, -1}, true, "both 0 and -1"},
      {{2, 3}, {65536, 65536}, false, "element counts differ"},
      {{2, 3}, {kMaxI64, 2}, false, "invalid dim"},
  };
  for (const Case &c : cases) {
    Builder b;
    ReshapeAttrs a;
    a.allowZero = c.allowZero;
    b.node(OpKind::Reshape, "reshape9", {b.input("x", c.x), b.ints("shape", c.target)}, a);
    std::string msg = inferError(b);
    INFO(msg);
    REQUIRE_THAT(msg, Contains("node 'reshape9' (Reshape)") && Contains(c.expected));
  }
  Builder b;
  b.node(OpKind::Reshape, "reshape1",
         {b.input("x", {2, 3}), typedInput(b, "s", {1}, DType::Int64)});
  REQUIRE(inferError(b) ==
          "node 'reshape1' (Reshape): Reshape shape is not a constant (computed "
          "at run time); rnnpoolc needs static shapes: export with fixed input "
          "sizes");
  Builder c;
  c.node(OpKind::Reshape, "reshape2", {c.input("x", {2, 3}), c.constant("s", {2})});
  REQUIRE_THAT(inferError(c), Contains("node 'reshape2'") && Contains("not float32"));
}

TEST_CASE("Flatten accepts an axis up to the rank", "[ir][shape][layout]") {
  auto flatten = [](int64_t a) {
    Builder b;
    TensorId y = b.node(OpKind::Flatten, "f", {b.input("x", {2, 3, 4, 5})}, axis(a));
    Shape s = inferred(b, y);
    return std::make_pair(s, b.g.nodes[0].attr<AxisAttrs>().axis);
  };
  REQUIRE(flatten(2) == std::make_pair(Shape{6, 20}, int64_t{2}));
  REQUIRE(flatten(0) == std::make_pair(Shape{1, 120}, int64_t{0}));
  REQUIRE(flatten(4) == std::make_pair(Shape{120, 1}, int64_t{4}));
  REQUIRE(flatten(-1) == std::make_pair(Shape{24, 5}, int64_t{3}));
  Builder b;
  b.node(OpKind::Flatten, "flat5", {b.input("x", {2, 3, 4, 5})}, axis(5));
  REQUIRE_THAT(inferError(b), Contains("node 'flat5' (Flatten)") && Contains("axis 5"));
}

TEST_CASE("Squeeze and Unsqueeze", "[ir][shape][layout]") {
  Builder b;
  TensorId x = b.input("x", {1, 3, 1, 4});
  TensorId all = b.node(OpKind::Squeeze, "sq", {x});
  TensorId one = b.node(OpKind::Squeeze, "sq1", {x, b.ints("a", {-2})});
  TensorId un = b.node(OpKind::Unsqueeze, "un", {b.input("v", {3, 4}), b.ints("b", {0, -1})});
  TensorId mid = b.node(OpKind::Unsqueeze, "un2", {b.input("w", {3, 4}), b.ints("c", {3, 1})});
  REQUIRE(inferred(b, all) == Shape{3, 4});
  REQUIRE(b.g.tensor(one).shape == Shape{1, 3, 4});
  REQUIRE(b.g.tensor(un).shape == Shape{1, 3, 4, 1});
  REQUIRE(b.g.tensor(mid).shape == Shape{3, 1, 4, 1});
}

TEST_CASE("Squeeze and Unsqueeze errors", "[ir][shape][layout]") {
  Builder b;
  b.node(OpKind::Squeeze, "sq", {b.input("x", {1, 3}), b.ints("a", {1})});
  REQUIRE_THAT(inferError(b), Contains("node 'sq' (Squeeze)") && Contains("axis 1 of size 3"));
  Builder c;
  c.node(OpKind::Unsqueeze, "un", {c.input("x", {3}), c.ints("a", {0, -3})});
  REQUIRE_THAT(inferError(c), Contains("node 'un' (Unsqueeze)") && Contains("name axis 0 twice"));
  Builder d;
  d.node(OpKind::Unsqueeze, "un2", {d.input("x", {3}), typedInput(d, "a", {1}, DType::Int64)});
  REQUIRE_THAT(inferError(d),
               Contains("node 'un2'") && Contains("Unsqueeze axes is not a constant"));
}

TEST_CASE("Transpose by a permutation or reversed", "[ir][shape][layout]") {
  Builder b;
  TransposeAttrs nhwc;
  nhwc.perm = {0, 2, 3, 1};
  TensorId x = b.input("x", {1, 3, 4, 5});
  TensorId y = b.node(OpKind::Transpose, "t", {x}, nhwc);
  TensorId r = b.node(OpKind::Transpose, "t2", {x}, TransposeAttrs{});
  REQUIRE(inferred(b, y) == Shape{1, 4, 5, 3});
  REQUIRE(b.g.tensor(r).shape == Shape{5, 4, 3, 1});
  for (Ints perm : {Ints{0, 1, 1}, Ints{0, 1}, Ints{0, 1, 3}, Ints{-1, 0, 1}}) {
    Builder c;
    TransposeAttrs a;
    a.perm = perm;
    c.node(OpKind::Transpose, "tr", {c.input("x", {2, 3, 4})}, a);
    REQUIRE_THAT(inferError(c), Contains("node 'tr' (Transpose)") && Contains("perm"));
  }
}

// ---- Pad, Expand, Tile ---------------------------------------------------------------

TEST_CASE("Pad adds begins and ends, and may crop", "[ir][shape][plumbing]") {
  Builder b;
  TensorId x = b.input("x", {1, 3, 4, 4});
  TensorId y = b.node(OpKind::Pad, "pad", {x, b.ints("p", {0, 0, 1, 2, 0, 0, 3, 4})});
  TensorId crop = b.node(OpKind::Pad, "crop", {x, b.ints("q", {0, 0, -1, 0, 0, 0, -1, 0})});
  PadAttrs reflect;
  reflect.mode = PadMode::Reflect;
  TensorId r = b.node(OpKind::Pad, "refl", {x, b.ints("r", {0, 0, 3, 3, 0, 0, 3, 3})}, reflect);
  REQUIRE(inferred(b, y) == Shape{1, 3, 8, 10});
  REQUIRE(b.g.tensor(crop).shape == Shape{1, 3, 2, 4});
  REQUIRE(b.g.tensor(r).shape == Shape{1, 3, 10, 10});
}

TEST_CASE("Pad errors", "[ir][shape][plumbing]") {
  Builder b;
  b.node(OpKind::Pad, "pad1", {b.input("x", {2, 2}), b.ints("p", {0, 0, 0})});
  REQUIRE_THAT(inferError(b), Contains("node 'pad1' (Pad)") && Contains("needs 4"));
  Builder c;
  c.node(OpKind::Pad, "pad2", {c.input("x", {2, 2}), c.ints("p", {0, -2, 0, -1})});
  REQUIRE_THAT(inferError(c), Contains("node 'pad2'") && Contains("negative size"));
  Builder d;
  PadAttrs reflect;
  reflect.mode = PadMode::Reflect;
  d.node(OpKind::Pad, "pad3", {d.input("x", {2, 2}), d.ints("p", {0, 2, 0, 0})}, reflect);
  REQUIRE_THAT(inferError(d), Contains("node 'pad3'") && Contains("smaller than its size 2"));
  Builder e;
  e.node(OpKind::Pad, "pad4", {e.input("x", {2}), typedInput(e, "p", {2}, DType::Int64)});
  REQUIRE_THAT(inferError(e),
               Contains("node 'pad4'") && Contains("Pad pads is not a constant"));
  Builder f;
  f.node(OpKind::Pad, "pad5", {f.input("x", {2}), f.ints("p", {kMaxI64, 0})});
  REQUIRE_THAT(inferError(f), Contains("node 'pad5'") && Contains("too large"));
  Builder h;
  h.node(OpKind::Pad, "pad6", {h.input("x", {2}), h.ints("p", {1, 1}), h.constant("v", {2})});
  REQUIRE_THAT(inferError(h),
               Contains("node 'pad6'") && Contains("pad value must be a scalar"));
}

TEST_CASE("Expand broadcasts both ways; Tile multiplies", "[ir][shape][plumbing]") {
  Builder b;
  TensorId e = b.node(OpKind::Expand, "ex", {b.input("x", {3, 1}), b.ints("s", {2, 1, 4})});
  TensorId t = b.node(OpKind::Tile, "tile", {b.input("y", {2, 3}), b.ints("r", {2, 3})});
  REQUIRE(inferred(b, e) == Shape{2, 3, 4});
  REQUIRE(b.g.tensor(t).shape == Shape{4, 9});

  Builder c;
  c.node(OpKind::Expand, "ex1", {c.input("x", {3, 2}), c.ints("s", {4})});
  REQUIRE_THAT(inferError(c), Contains("node 'ex1' (Expand)") && Contains("cannot expand 3x2"));
  Builder d;
  d.node(OpKind::Expand, "ex2", {d.input("x", {3}), d.ints("s", {-1})});
  REQUIRE_THAT(inferError(d), Contains("node 'ex2'") && Contains("invalid dim -1"));
  Builder f;
  f.node(OpKind::Tile, "tile1", {f.input("x", {3}), f.ints("r", {2, 2})});
  REQUIRE_THAT(inferError(f),
               Contains("node 'tile1' (Tile)") && Contains("2 values for an input of rank 1"));
  Builder h;
  h.node(OpKind::Tile, "tile2", {h.input("x", {3}), h.ints("r", {-1})});
  REQUIRE_THAT(inferError(h), Contains("node 'tile2'") && Contains("repeat count -1"));
}

TEST_CASE("hostile shapes become element-count errors", "[ir][shape][plumbing]") {
  Builder b;
  b.node(OpKind::Tile, "tile", {b.input("x", {65536, 2}), b.ints("r", {2, 65536})});
  REQUIRE_THAT(inferError(b), Contains("node 'tile' (Tile)") &&
                                  Contains("output 0 would have 17179869184 elements"));
  Builder c;
  c.node(OpKind::ConstantOfShape, "cos", {c.ints("s", {int64_t{1} << 40, 0})},
         ConstantOfShapeAttrs{});
  REQUIRE_THAT(inferError(c),
               Contains("node 'cos' (ConstantOfShape)") && Contains("dim of 1099511627776"));
  Builder d;
  d.node(OpKind::Expand, "ex", {d.input("x", {1}), d.ints("s", {int64_t{1} << 31, 4})});
  REQUIRE_THAT(inferError(d), Contains("node 'ex'") && Contains("elements"));
}

// ---- Shape, Range, ConstantOfShape -------------------------------------------------------

TEST_CASE("Shape with start and end", "[ir][shape][plumbing]") {
  auto shapeOp = [](int64_t start, std::optional<int64_t> end) {
    Builder b;
    ShapeAttrs a;
    a.start = start;
    a.end = end;
    TensorId y = b.node(OpKind::Shape, "shape", {b.input("x", {2, 3, 4, 5})}, a);
    Shape s = inferred(b, y);
    REQUIRE(b.g.tensor(y).dtype == DType::Int64);
    return s;
  };
  REQUIRE(shapeOp(0, std::nullopt) == Shape{4});
  REQUIRE(shapeOp(1, -1) == Shape{2});
  REQUIRE(shapeOp(-10, 100) == Shape{4});
  REQUIRE(shapeOp(3, 1) == Shape{0});
  REQUIRE(shapeOp(kMinI64, kMaxI64) == Shape{4});
}

TEST_CASE("Range counts ceil((limit - start) / delta) elements", "[ir][shape][plumbing]") {
  auto rangeInts = [](int64_t start, int64_t limit, int64_t delta) {
    Builder b;
    TensorId y = b.node(OpKind::Range, "range",
                        {scalar(b, "s", start), scalar(b, "l", limit), scalar(b, "d", delta)});
    return inferred(b, y);
  };
  REQUIRE(rangeInts(0, 10, 3) == Shape{4});
  REQUIRE(rangeInts(10, 0, -3) == Shape{4});
  REQUIRE(rangeInts(0, 10, -1) == Shape{0});
  REQUIRE(rangeInts(5, 5, 1) == Shape{0});
  REQUIRE(rangeInts(kMinI64, kMaxI64, kMaxI64) == Shape{3});

  Builder b;
  auto f = [&](const std::string &name, float v) {
    return b.g.addConstant(name, TensorData::fromFloats({}, {v}));
  };
  TensorId y = b.node(OpKind::Range, "rangef", {f("s", 1.0f), f("l", 0.0f), f("d", -0.3f)});
  REQUIRE(inferred(b, y) == Shape{4});
  REQUIRE(b.g.tensor(y).dtype == DType::Float32);
}

TEST_CASE("Range errors", "[ir][shape][plumbing]") {
  Builder b;
  b.node(OpKind::Range, "r1", {scalar(b, "s", 0), scalar(b, "l", 4), scalar(b, "d", 0)});
  REQUIRE_THAT(inferError(b), Contains("node 'r1' (Range)") && Contains("delta is 0"));
  Builder c;
  c.node(OpKind::Range, "r2", {scalar(c, "s", 0), scalar(c, "l", kMaxI64), scalar(c, "d", 1)});
  REQUIRE_THAT(inferError(c), Contains("node 'r2'") && Contains("output would have"));
  Builder d;
  d.node(OpKind::Range, "r3",
         {scalar(d, "s", 0), typedInput(d, "l", {}, DType::Int64), scalar(d, "d", 1)});
  REQUIRE_THAT(inferError(d),
               Contains("node 'r3'") && Contains("Range limit is not a constant"));
  Builder e;
  e.node(OpKind::Range, "r4", {scalar(e, "s", 0), e.ints("l", {1, 2}), scalar(e, "d", 1)});
  REQUIRE_THAT(inferError(e), Contains("node 'r4'") && Contains("limit must be a scalar"));
  Builder f;
  f.node(OpKind::Range, "r5",
         {scalar(f, "s", 0), f.g.addConstant("l", TensorData::fromFloats({}, {4.0f})),
          scalar(f, "d", 1)});
  REQUIRE_THAT(inferError(f), Contains("node 'r5'") && Contains("one element type"));
  Builder h;
  h.node(OpKind::Range, "r6",
         {h.g.addConstant("s", TensorData::fromFloats({}, {0.0f})),
          h.g.addConstant("l",
                          TensorData::fromFloats({}, {std::numeric_limits<float>::infinity()})),
          h.g.addConstant("d", TensorData::fromFloats({}, {1.0f}))});
  REQUIRE_THAT(inferError(h), Contains("node 'r6'") && Contains("finite"));
}

TEST_CASE("ConstantOfShape takes its type from the attributes", "[ir][shape][plumbing]") {
  Builder b;
  ConstantOfShapeAttrs a;
  a.dtype = DType::Int8;
  TensorId y = b.node(OpKind::ConstantOfShape, "cos", {b.ints("s", {2, 3})}, a);
  TensorId z = b.node(OpKind::ConstantOfShape, "cos0", {b.ints("e", {})}, a);
  REQUIRE(inferred(b, y) == Shape{2, 3});
  REQUIRE(b.g.tensor(y).dtype == DType::Int8);
  REQUIRE(b.g.tensor(z).shape == Shape{});

  Builder c;
  c.node(OpKind::ConstantOfShape, "cos1", {c.ints("s", {2, -3})}, ConstantOfShapeAttrs{});
  REQUIRE_THAT(inferError(c),
               Contains("node 'cos1' (ConstantOfShape)") && Contains("negative dim"));
  Builder d;
  ConstantOfShapeAttrs bad;
  bad.dtype = static_cast<DType>(77);
  d.node(OpKind::ConstantOfShape, "cos2", {d.ints("s", {2})}, bad);
  REQUIRE_THAT(inferError(d), Contains("node 'cos2'") && Contains("value type 77 is unknown"));
}
