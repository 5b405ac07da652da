// A small upsampling graph for the LLVM backend tests of both builds: conv, a stride-2
// conv upsampled by 2 (nearest, asymmetric, floor: PyTorch's nn.Upsample) into a skip add,
// a bilinear (half_pixel) Resize to an explicit size, and a conv.
#pragma once

#include "compiler/passes/Passes.h"
#include "tests/unit/passes/Builder.h"

#include <catch2/catch.hpp>

namespace rnnpoolc::testing {

inline ir::Graph resizeGraph() {
  Builder b;
  ir::ConvAttrs c3;
  c3.kernel = {3, 3}, c3.strides = {1, 1}, c3.dilations = {1, 1}, c3.pads = {1, 1, 1, 1};
  ir::ConvAttrs s2 = c3;
  s2.strides = {2, 2};
  ir::TensorId a =
      b.node(ir::OpKind::Relu, "r1",
             {b.node(ir::OpKind::Conv, "c1",
                     {b.input("x", {1, 3, 10, 8}), b.constant("w1", {8, 3, 3, 3})}, c3)});
  ir::TensorId d = b.node(ir::OpKind::Conv, "c2", {a, b.constant("w2", {8, 8, 3, 3})}, s2);
  ir::TensorId scales = b.g.addConstant("s", ir::TensorData::fromFloats({4}, {1, 1, 2, 2}));
  ir::TensorId up = b.node(ir::OpKind::Resize, "up", {d, ir::kNoTensor, scales},
                           ir::ResizeAttrs{ir::ResizeMode::Nearest, ir::ResizeCoord::Asymmetric,
                                           ir::ResizeNearest::Floor});
  ir::TensorId sum = b.node(ir::OpKind::Add, "skip", {a, up});
  ir::TensorId big =
      b.node(ir::OpKind::Resize, "bilinear",
             {sum, ir::kNoTensor, ir::kNoTensor, b.ints("sz", {1, 8, 13, 11})},
             ir::ResizeAttrs{ir::ResizeMode::Linear, ir::ResizeCoord::HalfPixel, {}});
  b.g.outputs = {b.node(ir::OpKind::Conv, "c3", {big, b.constant("w3", {4, 8, 3, 3})}, c3)};
  REQUIRE(passes::canonicalize(b.g));
  return std::move(b.g);
}

} // namespace rnnpoolc::testing
