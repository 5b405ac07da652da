// QuantizeLinear and DequantizeLinear values: ties to even, saturation to int8 / uint8,
// per-axis parameters, int32 dequantisation, and operand errors.
#include "tests/unit/interp/InterpTestUtil.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using Catch::Matchers::Contains;

TEST_CASE("QuantizeLinear rounds half to even and saturates", "[interp][quant]") {
  ir::Node q = makeNode(ir::OpKind::QuantizeLinear, ir::AxisAttrs{1});
  ir::TensorData x = floats({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 0.26f, 1000.f, -1000.f});
  ir::TensorData s = floats({}, {1.0f});
  ir::TensorData z8 = ints({}, {0}, ir::DType::Int8);
  ir::TensorData out = eval1(q, {&x, &s, &z8});
  CHECK(out.dtype == ir::DType::Int8);
  CHECK(out.i == std::vector<int64_t>{0, 2, 2, 0, -2, 0, 127, -128});
  ir::TensorData zu = ints({}, {10}, ir::DType::UInt8);
  out = eval1(q, {&x, &s, &zu});
  CHECK(out.dtype == ir::DType::UInt8);
  CHECK(out.i == std::vector<int64_t>{10, 12, 12, 10, 8, 10, 255, 0});
  out = eval1(q, {&x, &s}); // no zero point: uint8, zero point 0
  CHECK(out.dtype == ir::DType::UInt8);
  CHECK(out.i == std::vector<int64_t>{0, 2, 2, 0, 0, 0, 255, 0});
}

TEST_CASE("QuantizeLinear and DequantizeLinear per axis", "[interp][quant]") {
  ir::Node q = makeNode(ir::OpKind::QuantizeLinear, ir::AxisAttrs{1});
  ir::Node dq = makeNode(ir::OpKind::DequantizeLinear, ir::AxisAttrs{1});
  ir::TensorData x = floats({1, 2, 2}, {1.0f, -1.0f, 1.0f, -1.0f});
  ir::TensorData s = floats({2}, {0.5f, 0.25f});
  ir::TensorData z = ints({2}, {1, -2}, ir::DType::Int8);
  ir::TensorData xq = eval1(q, {&x, &s, &z});
  CHECK(xq.i == std::vector<int64_t>{3, -1, 2, -6});
  ir::TensorData back = eval1(dq, {&xq, &s, &z});
  CHECK(back.dtype == ir::DType::Float32);
  CHECK(back.f == std::vector<float>{1.0f, -1.0f, 1.0f, -1.0f});
  ir::TensorData bias = ints({2}, {100000, -3}, ir::DType::Int32);
  ir::TensorData bz = ints({2}, {0, 0}, ir::DType::Int32);
  ir::Node dq0 = makeNode(ir::OpKind::DequantizeLinear, ir::AxisAttrs{0});
  CHECK(eval1(dq0, {&bias, &s, &bz}).f == std::vector<float>{50000.0f, -0.75f});
}

TEST_CASE("QuantizeLinear and DequantizeLinear reject bad parameters", "[interp][quant]") {
  ir::Node q = makeNode(ir::OpKind::QuantizeLinear, ir::AxisAttrs{1});
  ir::TensorData x = floats({1, 2, 2}, {1, 2, 3, 4});
  ir::TensorData s3 = floats({3}, {1, 1, 1});
  ir::TensorData z3 = ints({3}, {0, 0, 0}, ir::DType::Int8);
  CHECK_THAT(evalError(q, {&x, &s3, &z3}), Contains("3 scales do not match axis 1"));
  ir::TensorData s = floats({}, {1});
  ir::TensorData z16 = ints({}, {0}, ir::DType::Int16);
  CHECK_THAT(evalError(q, {&x, &s, &z16}), Contains("int16"));
}
