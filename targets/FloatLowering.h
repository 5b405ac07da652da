// The float build's lowering: each node of a canonicalised float graph becomes one call of a
// float runtime kernel (runtime/rnnpoolc_runtime_f32.h), with its params as data (the
// struct's fields in declaration order, as the int8 build's lowered model holds them) and
// its constants as float arrays already in the kernels' layouts (OHWI conv weights, FC
// weights over the input's HWC memory order, transposed FastGRNN matrices).
#pragma once

#include "compiler/ir/Graph.h"
#include "compiler/quant/Kernels.h"
#include "targets/Lowered.h"

#include <span>
#include <string>
#include <vector>

namespace rnnpoolc::targets {

/// Which float kernel runs a node: one enumerator per row of FloatKernels.def.
enum class FloatKind {
#define RNNPOOLC_FLOAT_KERNEL(Kind, Name, Shape, Function, Params, Scratch) Kind,
#include "targets/FloatKernels.def"
};
std::string_view name(FloatKind kind);

/// One row of the float kernel table. Absent columns are empty strings.
struct FloatKernelInfo {
  FloatKind kind;
  std::string_view name;       ///< "conv", as reports and error messages print it
  quant::CallShape shape;      ///< how it consumes a step's region of its output
  std::string_view function;   ///< float runtime function (rnnpoolc_runtime_f32.h)
  std::string_view paramsType; ///< "rp_conv_f32_params", or empty for none
  std::string_view scratch;    ///< scratch-size function of `function`, or empty
};

/// Kernels called over whole tensors as Function(&params, in, out): fully connected, the
/// global pool, reductions, L2 norm, softmax, permute and resize.
bool callsParamsInOut(FloatKind kind);

/// Every row, in FloatKind order.
std::span<const FloatKernelInfo> floatKernelTable();
const FloatKernelInfo &floatKernelInfo(FloatKind kind);

/// A constant array of a step: the params field it fills ("weights", "rnn1.w", ...).
struct FloatArray {
  std::string field;
  std::vector<float> values;
};

/// The kernel call of one node.
struct FloatStep {
  FloatKind kind = FloatKind::Alias;
  /// The params struct's fields in declaration order; a pointer field names its array by
  /// index into `arrays`. Concat and Split's `channels` pointer (to concatChannels) is the
  /// emitter's, after these.
  std::vector<ParamValue> params;
  std::vector<FloatArray> arrays;
  /// "rp_conv_f32_params" (the kernel table's); empty when the kernel has none.
  std::string_view paramsType() const { return floatKernelInfo(kind).paramsType; }
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

/// Bytes of constant data (weights, biases, FastGRNN matrices, Concat and Split's channel
/// lists) the float build carries: the lowered model's weightsBytes.
int64_t floatWeightsBytes(const FloatModel &model);

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

} // namespace rnnpoolc::targets
