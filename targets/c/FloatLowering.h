// The float build's lowering: each node of a canonicalised float graph becomes one call of a
// float runtime kernel (runtime/rnnpoolc_runtime_f32.h), with its params as data (the
// struct's fields in declaration order, as the int8 build's lowered model holds them) and
// its constants as float arrays already in the kernels' layouts (OHWI conv weights, FC
// weights over the input's HWC memory order, transposed FastGRNN matrices).
#pragma once

#include "compiler/ir/Graph.h"
#include "targets/Lowered.h"
#include "targets/c/CParams.h"

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
  /// The params struct's fields in declaration order; a pointer field names its array by
  /// index into `arrays`. Concat and Split's `channels` pointer (to concatChannels) is the
  /// emitter's, after these.
  std::vector<ParamValue> params;
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

/// Collects the fields of a float params struct in declaration order.
class FloatParams {
public:
  /// Pointer fields name arrays of `arrays` (which must already hold them) by field name.
  explicit FloatParams(const std::vector<FloatArray> *arrays = nullptr) : arrays_(arrays) {}
  FloatParams &add(const char *field, int64_t value);
  FloatParams &real(const char *field, float value);
  FloatParams &ptr(const char *field, const std::string &array);
  FloatParams &list(const char *field, std::vector<int64_t> values);
  FloatParams &nested(const char *field, FloatParams inner);
  std::vector<ParamValue> take() { return std::move(values_); }

private:
  const std::vector<FloatArray> *arrays_;
  std::vector<ParamValue> values_;
};

} // namespace rnnpoolc::targets::c
