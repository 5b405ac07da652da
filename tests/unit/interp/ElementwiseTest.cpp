// Tests of the elementwise kernels: broadcasting arithmetic on floats and ints, Pow,
// comparisons, logic, Where, variadic ops, activations, math functions, Clip and Cast.
#include "InterpTestUtil.h"

#include <cmath>
#include <limits>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::DType;
using ir::OpKind;

TEST_CASE("binary ops broadcast across a rank mismatch", "[interp][elementwise]") {
  auto a = floats({2, 1}, {1, 2});
  auto b = floats({3}, {10, 20, 30});
  requireFloats(eval1(makeNode(OpKind::Add), {&a, &b}), {2, 3}, {11, 21, 31, 12, 22, 32});
  requireFloats(eval1(makeNode(OpKind::Sub), {&b, &a}), {2, 3}, {9, 19, 29, 8, 18, 28});
  auto m = iota({2, 3});
  requireFloats(eval1(makeNode(OpKind::Mul), {&m, &b}), {2, 3}, {0, 20, 60, 30, 80, 150});
  auto scalar = floats({}, {4});
  requireFloats(eval1(makeNode(OpKind::Div), {&m, &scalar}), {2, 3},
                {0, 0.25f, 0.5f, 0.75f, 1, 1.25f});
}

TEST_CASE("integer arithmetic wraps and Div truncates toward zero", "[interp][elementwise]") {
  auto a = ints({4}, {7, -7, 7, -7}, DType::Int32);
  auto b = ints({4}, {2, 2, -2, -2}, DType::Int32);
  requireInts(eval1(makeNode(OpKind::Div), {&a, &b}), DType::Int32, {4}, {3, -3, -3, 3});
  requireInts(eval1(makeNode(OpKind::Mul), {&a, &b}), DType::Int32, {4}, {14, -14, -14, 14});

  auto big = ints({2}, {100, -100}, DType::Int8);
  requireInts(eval1(makeNode(OpKind::Add), {&big, &big}), DType::Int8, {2}, {-56, 56});
  auto minusOne = ints({}, {-1}, DType::Int8);
  auto minInt8 = ints({}, {-128}, DType::Int8);
  requireInts(eval1(makeNode(OpKind::Div), {&minInt8, &minusOne}), DType::Int8, {}, {-128});
  auto min64 = ints({}, {std::numeric_limits<int64_t>::min()});
  auto minus64 = ints({}, {-1});
  requireInts(eval1(makeNode(OpKind::Div), {&min64, &minus64}), DType::Int64, {},
              {std::numeric_limits<int64_t>::min()});
  requireInts(eval1(makeNode(OpKind::Sub), {&min64, &minus64}), DType::Int64, {},
              {std::numeric_limits<int64_t>::min() + 1});

  auto zero = ints({1}, {0}, DType::Int32);
  REQUIRE(contains(evalError(makeNode(OpKind::Div), {&a, &zero}), "division by zero"));
}

TEST_CASE("Pow keeps the base's dtype", "[interp][elementwise]") {
  auto base = floats({2}, {2, 3});
  auto three = ints({}, {3});
  requireFloats(eval1(makeNode(OpKind::Pow), {&base, &three}), {2}, {8, 27});
  auto half = floats({}, {0.5f});
  auto four = floats({1}, {4});
  requireFloats(eval1(makeNode(OpKind::Pow), {&four, &half}), {1}, {2});
  auto ib = ints({3}, {2, -3, 2});
  auto ie = ints({3}, {10, 3, -1});
  requireInts(eval1(makeNode(OpKind::Pow), {&ib, &ie}), DType::Int64, {3}, {1024, -27, 0});
  auto fe = floats({3}, {2, 2, 0.5f});
  requireInts(eval1(makeNode(OpKind::Pow), {&ib, &fe}), DType::Int64, {3}, {4, 9, 1});
}

TEST_CASE("comparisons and logic give bools", "[interp][elementwise]") {
  auto a = floats({3}, {1, 2, 3});
  auto b = floats({}, {2});
  requireInts(eval1(makeNode(OpKind::Equal), {&a, &b}), DType::Bool, {3}, {0, 1, 0});
  requireInts(eval1(makeNode(OpKind::Less), {&a, &b}), DType::Bool, {3}, {1, 0, 0});
  requireInts(eval1(makeNode(OpKind::Greater), {&a, &b}), DType::Bool, {3}, {0, 0, 1});
  auto ia = ints({2, 1}, {-5, 5}, DType::Int32);
  auto ib = ints({2}, {-5, 0}, DType::Int32);
  requireInts(eval1(makeNode(OpKind::Greater), {&ia, &ib}), DType::Bool, {2, 2}, {0, 0, 1, 1});

  auto p = ints({4}, {0, 0, 1, 1}, DType::Bool);
  auto q = ints({4}, {0, 1, 0, 1}, DType::Bool);
  requireInts(eval1(makeNode(OpKind::And), {&p, &q}), DType::Bool, {4}, {0, 0, 0, 1});
  requireInts(eval1(makeNode(OpKind::Or), {&p, &q}), DType::Bool, {4}, {0, 1, 1, 1});
  requireInts(eval1(makeNode(OpKind::Not), {&p}), DType::Bool, {4}, {1, 1, 0, 0});
  REQUIRE(contains(evalError(makeNode(OpKind::Not), {&a}), "bool"));
  REQUIRE(contains(evalError(makeNode(OpKind::And), {&ia, &ia}), "bool"));
}

TEST_CASE("Where broadcasts its three operands", "[interp][elementwise]") {
  auto cond = ints({2, 1}, {1, 0}, DType::Bool);
  auto x = floats({3}, {1, 2, 3});
  auto y = floats({}, {-1});
  requireFloats(eval1(makeNode(OpKind::Where), {&cond, &x, &y}), {2, 3}, {1, 2, 3, -1, -1, -1});
  auto ix = ints({3}, {1, 2, 3});
  REQUIRE(contains(evalError(makeNode(OpKind::Where), {&cond, &ix, &y}), "dtypes"));
  REQUIRE(contains(evalError(makeNode(OpKind::Where), {&x, &x, &y}), "bool"));
}

TEST_CASE("Max, Min and Sum take any number of broadcasting inputs", "[interp][elementwise]") {
  auto a = floats({3}, {1, 5, 3});
  auto b = floats({2, 1}, {2, 4});
  auto c = floats({}, {0.5f});
  requireFloats(eval1(makeNode(OpKind::Max), {&a, &b, &c}), {2, 3}, {2, 5, 3, 4, 5, 4});
  requireFloats(eval1(makeNode(OpKind::Min), {&a, &b, &c}), {2, 3},
                {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f});
  requireFloats(eval1(makeNode(OpKind::Sum), {&a, &b, &c}), {2, 3},
                {3.5f, 7.5f, 5.5f, 5.5f, 9.5f, 7.5f});
  requireFloats(eval1(makeNode(OpKind::Sum), {&a}), {3}, {1, 5, 3});
  auto i = ints({2}, {120, -3}, DType::Int8);
  auto j = ints({2}, {10, 7}, DType::Int8);
  requireInts(eval1(makeNode(OpKind::Sum), {&i, &j}), DType::Int8, {2}, {-126, 4});
  requireInts(eval1(makeNode(OpKind::Max), {&i, &j}), DType::Int8, {2}, {120, 7});
  auto nan = floats({1}, {std::nanf("")});
  REQUIRE(std::isnan(eval1(makeNode(OpKind::Max), {&nan, &c}).f[0]));
  auto bad = floats({2}, {1, 2});
  REQUIRE(contains(evalError(makeNode(OpKind::Sum), {&a, &bad}), "do not broadcast"));
}

TEST_CASE("activations match ir::applyActivation bit for bit", "[interp][elementwise]") {
  auto x = floats({6}, {-3.5f, -1, -0.25f, 0, 0.7f, 4});
  struct Case {
    OpKind op;
    ir::Attrs attrs;
    ir::Activation act;
  };
  std::vector<Case> cases = {
      {OpKind::Relu, ir::NoAttrs{}, {ir::ActKind::Relu, 0, 0}},
      {OpKind::Sigmoid, ir::NoAttrs{}, {ir::ActKind::Sigmoid, 0, 0}},
      {OpKind::Tanh, ir::NoAttrs{}, {ir::ActKind::Tanh, 0, 0}},
      {OpKind::HardSwish, ir::NoAttrs{}, {ir::ActKind::HardSwish, 0, 0}},
      {OpKind::LeakyRelu, ir::AlphaBetaAttrs{0.1f, 0}, {ir::ActKind::LeakyRelu, 0.1f, 0}},
      {OpKind::HardSigmoid,
       ir::AlphaBetaAttrs{0.2f, 0.5f},
       {ir::ActKind::HardSigmoid, 0.2f, 0.5f}},
  };
  for (const Case &c : cases) {
    ir::TensorData y = eval1(makeNode(c.op, c.attrs), {&x});
    for (size_t k = 0; k < x.f.size(); ++k)
      REQUIRE(y.f[k] == ir::applyActivation(c.act, x.f[k]));
  }
  requireFloats(eval1(makeNode(OpKind::Relu), {&x}), {6}, {0, 0, 0, 0, 0.7f, 4});
  requireFloats(eval1(makeNode(OpKind::LeakyRelu, ir::AlphaBetaAttrs{0.5f, 0}), {&x}), {6},
                {-1.75f, -0.5f, -0.125f, 0, 0.7f, 4});
  auto i = ints({3}, {-2, 0, 3}, DType::Int8);
  requireInts(eval1(makeNode(OpKind::Relu), {&i}), DType::Int8, {3}, {0, 0, 3});
}

TEST_CASE("Clip with optional bounds, on floats and ints", "[interp][elementwise]") {
  auto x = floats({5}, {-2, -0.5f, 0, 0.5f, 2});
  auto lo = floats({}, {-1});
  auto hi = floats({}, {1});
  requireFloats(eval1(makeNode(OpKind::Clip), {&x, &lo, &hi}), {5}, {-1, -0.5f, 0, 0.5f, 1});
  requireFloats(eval1(makeNode(OpKind::Clip), {&x, nullptr, &hi}), {5},
                {-2, -0.5f, 0, 0.5f, 1});
  requireFloats(eval1(makeNode(OpKind::Clip), {&x, &lo}), {5}, {-1, -0.5f, 0, 0.5f, 2});
  requireFloats(eval1(makeNode(OpKind::Clip), {&x}), {5}, {-2, -0.5f, 0, 0.5f, 2});
  // min > max: everything becomes max, as ONNX says.
  requireFloats(eval1(makeNode(OpKind::Clip), {&x, &hi, &lo}), {5}, {-1, -1, -1, -1, -1});
  ir::Activation relu6{ir::ActKind::Clip, 0, 6};
  auto zero = floats({}, {0});
  auto six = floats({}, {6});
  ir::TensorData y = eval1(makeNode(OpKind::Clip), {&x, &zero, &six});
  for (size_t k = 0; k < x.f.size(); ++k)
    REQUIRE(y.f[k] == ir::applyActivation(relu6, x.f[k]));

  auto i = ints({4}, {-100, -5, 5, 100}, DType::Int16);
  auto ilo = ints({}, {-10}, DType::Int16);
  auto ihi = ints({}, {10}, DType::Int16);
  requireInts(eval1(makeNode(OpKind::Clip), {&i, &ilo, &ihi}), DType::Int16, {4},
              {-10, -5, 5, 10});
  auto wide = floats({2}, {0, 1});
  REQUIRE(contains(evalError(makeNode(OpKind::Clip), {&x, &wide}), "scalar"));
  REQUIRE(contains(evalError(makeNode(OpKind::Clip), {&i, &lo}), "dtypes"));
}

TEST_CASE("unary math functions", "[interp][elementwise]") {
  auto x = floats({4}, {-2.5f, -0.5f, 0.5f, 4});
  requireFloats(eval1(makeNode(OpKind::Neg), {&x}), {4}, {2.5f, 0.5f, -0.5f, -4});
  requireFloats(eval1(makeNode(OpKind::Abs), {&x}), {4}, {2.5f, 0.5f, 0.5f, 4});
  requireFloats(eval1(makeNode(OpKind::Floor), {&x}), {4}, {-3, -1, 0, 4});
  requireFloats(eval1(makeNode(OpKind::Ceil), {&x}), {4}, {-2, -0.f, 1, 4});
  requireFloats(eval1(makeNode(OpKind::Reciprocal), {&x}), {4}, {-0.4f, -2, 2, 0.25f});
  auto p = floats({3}, {1, 4, 9});
  requireFloats(eval1(makeNode(OpKind::Sqrt), {&p}), {3}, {1, 2, 3});
  ir::TensorData e = eval1(makeNode(OpKind::Exp), {&p});
  ir::TensorData l = eval1(makeNode(OpKind::Log), {&p});
  for (size_t k = 0; k < 3; ++k) {
    REQUIRE(e.f[k] == std::exp(p.f[k]));
    REQUIRE(l.f[k] == std::log(p.f[k]));
  }
  auto i = ints({3}, {-128, -3, 7}, DType::Int8);
  requireInts(eval1(makeNode(OpKind::Neg), {&i}), DType::Int8, {3}, {-128, 3, -7});
  requireInts(eval1(makeNode(OpKind::Abs), {&i}), DType::Int8, {3}, {-128, 3, 7});
  requireInts(eval1(makeNode(OpKind::Identity), {&i}), DType::Int8, {3}, {-128, -3, 7});
  REQUIRE(contains(evalError(makeNode(OpKind::Sqrt), {&i}), "float32"));
  REQUIRE(contains(evalError(makeNode(OpKind::Sigmoid), {&i}), "float32"));
}

TEST_CASE("Cast converts between every kind of dtype", "[interp][elementwise]") {
  auto castTo = [](DType to) { return makeNode(OpKind::Cast, ir::CastAttrs{to}); };
  auto f = floats({5}, {2.7f, -2.7f, 0, -0.f, 300.5f});
  requireInts(eval1(castTo(DType::Int32), {&f}), DType::Int32, {5}, {2, -2, 0, 0, 300});
  requireInts(eval1(castTo(DType::Int8), {&f}), DType::Int8, {5}, {2, -2, 0, 0, 44});
  requireInts(eval1(castTo(DType::Bool), {&f}), DType::Bool, {5}, {1, 1, 0, 0, 1});
  auto i = ints({4}, {300, -129, 127, 256});
  requireInts(eval1(castTo(DType::Int8), {&i}), DType::Int8, {4}, {44, 127, 127, 0});
  requireInts(eval1(castTo(DType::UInt8), {&i}), DType::UInt8, {4}, {44, 127, 127, 0});
  auto neg = ints({2}, {-1, 70000}, DType::Int32);
  requireInts(eval1(castTo(DType::UInt8), {&neg}), DType::UInt8, {2}, {255, 112});
  requireInts(eval1(castTo(DType::Int16), {&neg}), DType::Int16, {2}, {-1, 4464});
  requireInts(eval1(castTo(DType::Bool), {&neg}), DType::Bool, {2}, {1, 1});
  requireFloats(eval1(castTo(DType::Float32), {&neg}), {2}, {-1, 70000});
  auto b = ints({2}, {1, 0}, DType::Bool);
  requireFloats(eval1(castTo(DType::Float32), {&b}), {2}, {1, 0});
  requireFloats(eval1(castTo(DType::Float32), {&f}), {5}, f.f);
  // Out-of-range and NaN floats saturate or become 0 instead of invoking undefined behaviour.
  auto wild = floats({3}, {1e30f, -1e30f, std::nanf("")});
  requireInts(eval1(castTo(DType::Int64), {&wild}), DType::Int64, {3},
              {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), 0});
}

TEST_CASE("elementwise errors name the node and never crash", "[interp][elementwise]") {
  auto a = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  auto b = floats({4}, {1, 2, 3, 4});
  std::string message = evalError(makeNode(OpKind::Add), {&a, &b});
  REQUIRE(contains(message, "node 'n' (Add)"));
  REQUIRE(contains(message, "2x3"));
  auto i = ints({3}, {1, 2, 3});
  REQUIRE(contains(evalError(makeNode(OpKind::Mul), {&a, &i}), "dtypes float32 and int64"));
  REQUIRE(contains(evalError(makeNode(OpKind::Add), {&a}), "got 1 inputs"));
  REQUIRE(contains(evalError(makeNode(OpKind::Add), {&a, nullptr}), "missing"));
  REQUIRE(contains(evalError(makeNode(OpKind::Relu), {}), "inputs"));
  ir::Node noOutputs = makeNode(OpKind::Relu);
  noOutputs.outputs.clear();
  REQUIRE(contains(evalError(noOutputs, {&a}), "outputs"));
  ir::Node wrongAttrs = makeNode(OpKind::LeakyRelu, ir::ConvAttrs{});
  REQUIRE(contains(evalError(wrongAttrs, {&a}), "attributes"));
  // A value whose storage does not fit its shape is rejected before any kernel reads it.
  ir::TensorData broken = a;
  broken.f.pop_back();
  REQUIRE(contains(evalError(makeNode(OpKind::Relu), {&broken}), "does not fit"));
  ir::TensorData negative = floats({}, {1});
  negative.shape = {-1};
  REQUIRE(contains(evalError(makeNode(OpKind::Relu), {&negative}), "does not fit"));
}
