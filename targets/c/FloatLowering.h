// The float build's lowering: each node of a canonicalised float graph becomes one call of a
// float runtime kernel (runtime/rnnpoolc_runtime_f32.h), with its params as C initialiser
// text and its constants as float arrays already in the kernels' layouts (OHWI conv
// weights, FC weights over the input's HWC memory order, transposed FastGRNN matrices).
#pragma once

#include "compiler/ir/Graph.h"

#include <string>
#include <vector>

namespace rnnpoolc::targets::c {

/// Which float kernel runs a node.
enum class FloatKind {
  Alias,          ///< Reshape / Flatten / Squeeze / Unsqueeze / Identity: output = input bytes
  Conv,           ///< rp_conv_f32
  FullyConnected, ///< rp_fc_f32
  MaxPool,        ///< rp_maxpool_f32 (GlobalMaxPool too)
  AvgPool,        ///< rp_avgpool_f32
  GlobalAvgPool,  ///< rp_global_avgpool_f32
  Add,            ///< rp_add_f32
  Concat,         ///< rp_concat_f32
  Unary,          ///< rp_unary_f32
  Softmax,        ///< rp_softmax_f32
  RNNPool,        ///< rp_rnnpool_f32
  Binary,         ///< rp_binary_f32: broadcasting Add / Sub / Mul / Div / Pow
  Reduce,         ///< rp_reduce_channels_f32: ReduceSum / Mean / Max / Min over channels
  Split,          ///< rp_split_f32 (channel axis)
  L2Norm,         ///< rp_l2norm_f32 (channel axis)
  Pad,            ///< rp_pad_f32: constant, edge and reflect padding of rows and columns
  ChannelStep,    ///< rp_channel_step_f32: Slice along a contiguous axis, any step
  Permute,        ///< rp_permute_f32: a Transpose that moves values
};
std::string_view name(FloatKind kind);

/// A constant array of a step: the params field it fills ("weights", "rnn1.w", ...).
struct FloatArray {
  std::string field;
  std::vector<float> values;
};

/// The kernel call of one node.
struct FloatStep {
  FloatKind kind = FloatKind::Alias;
  std::string paramsType; ///< "rp_conv_f32_params"; "" when the kernel has none
  /// The initialiser's "  .field = value,\n" lines; a pointer field's value is written as
  /// "@FIELD@", which the emitter replaces with the array's C symbol.
  std::string paramsBody;
  std::vector<FloatArray> arrays;
  std::vector<int32_t> concatChannels; ///< Concat / Split: channels of each input / output
  int64_t scratchBytes = 0;            ///< RNNPool's summary cache (float32)
  int64_t pixels = 0;                  ///< ChannelStep: the positions sliced
  /// Binary: which node input feeds operand a and b, and the constant array ("a", "b")
  /// that replaces it ("" for an arena tensor).
  std::vector<size_t> operandInput;
  std::vector<std::string> operandArray;
};

/// A float graph lowered for the C backend: steps[i] runs graph.nodes[i].
struct FloatModel {
  ir::Graph graph;
  std::vector<FloatStep> steps;
};

/// Lowers a canonicalised float graph (batch 1). Ops or forms without a float kernel give
/// an error naming the node.
Expected<FloatModel> lowerFloat(const ir::Graph &graph);

/// A C float literal that reads back as exactly `value` ("0.5f", "-3.0f", "INFINITY").
std::string cFloat(float value);

} // namespace rnnpoolc::targets::c
