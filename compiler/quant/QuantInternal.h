// Internals of compiler/quant shared by its sources: the activation split both calibration
// and quantisation apply, the per-tensor parameters, and the per-op layer builders.
#pragma once

#include "compiler/quant/Quantize.h"

#include <array>
#include <optional>
#include <set>

namespace rnnpoolc::quant {

/// Splits activations other than ReLU / Clip out of Conv and Gemm into their own node (the
/// runtime applies them as a table), so that the pre-activation tensor "<out>_preact" gets
/// its own calibrated range. Deterministic, so calibration and quantisation agree on names.
Status splitActivations(ir::Graph &graph);

/// Rewrites each Split into one Slice per output (constant starts, ends and axes), so that
/// every node has one output, and puts the run-time operand of a Mul by a constant first.
Status splitToSlices(ir::Graph &graph);

/// What quantize() knows about the tensors when it builds a node's layer.
struct Context {
  const ir::Graph &graph;
  /// Per tensor id: the int8 parameters of activations (unused for constants).
  std::vector<AffineParams> params;
  /// Per tensor id: set when the tensor is a 2-D alias of a 4-D tensor [1, C, H, W] with
  /// H * W > 1 and C > 1, so its bytes are in HWC order rather than its logical order.
  std::vector<std::optional<std::array<int64_t, 3>>> hwcOrder;
  /// Maps ([1, C, H, W], ir::isHwcMap) whose bytes are in their logical order rather than
  /// HWC: the output of a Transpose that relabels an HWC map (NCHW -> NHWC), and reshapes
  /// of it (QuantShape.cpp).
  std::set<ir::TensorId> rowMajor;
  /// Outputs of Transposes relabelled into Reshapes (lowerTransposeNode), whose bytes are
  /// proven to be in the output's own memory order: a head's [1, A, 1, W] map made NHWC,
  /// [1, 1, W, A], is a reshape of HWC bytes into a map of one channel.
  std::set<ir::TensorId> relabelled;

  const AffineParams &of(ir::TensorId id) const { return params[static_cast<size_t>(id)]; }
};

/// Stores an array in the layer and returns a pointer to its data for the params struct.
const int8_t *addArray(Layer &layer, std::string field, std::vector<int8_t> values);
const int16_t *addArray(Layer &layer, std::string field, std::vector<int16_t> values);
const int32_t *addArray(Layer &layer, std::string field, std::vector<int32_t> values);
const uint32_t *addArrayU32(Layer &layer, std::string field, std::vector<int32_t> values);

/// round(x) clamped to [lo, hi].
int32_t roundClamp(double x, double lo, double hi);
/// The quantised value of real x in an int8 tensor with parameters p (saturated).
int32_t quantizeValue(double x, const AffineParams &p);
/// The fused-activation clamp [act_min, act_max] for an output with parameters p.
std::pair<int32_t, int32_t> activationRange(const ir::Activation &act, const AffineParams &p);

/// The largest |q - zp| of an int8 value q with zero point zp.
int64_t inputMagnitude(int32_t zp);
/// Proves that the int32 arithmetic of `layer` (its kind set) is defined for every int8
/// input: accumulator bounds from its integer weights and biases, pooling window sums, the
/// range of every requantisation shift (QuantBounds.cpp); otherwise an error naming the
/// node, the bound, and what to do.
Status checkBounds(const ir::Node &node, const Layer &layer);

/// The value of a constant input, or an error naming the node.
Expected<const ir::TensorData *> constantInput(const ir::Graph &graph, const ir::Node &node,
                                               size_t index, const char *what);

// Layer builders, one per kernel family (QuantLayers.cpp, QuantRNNPool.cpp).
Expected<Layer> buildConv(const Context &ctx, const ir::Node &node);
Expected<Layer> buildFullyConnected(const Context &ctx, const ir::Node &node);
Expected<Layer> buildPool(const Context &ctx, const ir::Node &node);
Expected<Layer> buildGlobalAvgPool(const Context &ctx, const ir::Node &node);
Expected<Layer> buildAdd(const Context &ctx, const ir::Node &node);
Expected<Layer> buildConcat(const Context &ctx, const ir::Node &node);
Expected<Layer> buildLut(const Context &ctx, const ir::Node &node);
Expected<Layer> buildSoftmax(const Context &ctx, const ir::Node &node);
Expected<Layer> buildRNNPool(const Context &ctx, const ir::Node &node);
Expected<Layer> buildRequant(const Context &ctx, const ir::Node &node);
// QuantNorm.cpp
Expected<Layer> buildL2Norm(const Context &ctx, const ir::Node &node);
Expected<Layer> buildMul(const Context &ctx, const ir::Node &node);
Expected<Layer> buildMulGate(const Context &ctx, const ir::Node &node);
Expected<Layer> buildMulChannel(const Context &ctx, const ir::Node &node);
Expected<Layer> buildChannelSlice(const Context &ctx, const ir::Node &node);
Expected<Layer> buildPad(const Context &ctx, const ir::Node &node);
// QuantShape.cpp: edge / reflect padding, strided channel slices, transposes, channel
// shuffles, channel reductions, elementwise max / min, and concatenation of row-major tensors.
Expected<Layer> buildPadMode(const Context &ctx, const ir::Node &node);
Expected<Layer> buildChannelStep(const Context &ctx, const ir::Node &node);
Expected<Layer> buildPermute(const Context &ctx, const ir::Node &node);
Expected<Layer> buildChannelShuffle(const Context &ctx, const ir::Node &node);
Expected<Layer> buildReduceChannels(const Context &ctx, const ir::Node &node);
Expected<Layer> buildMinMax(const Context &ctx, const ir::Node &node);
Expected<Layer> buildRowMajorConcat(const Context &ctx, const ir::Node &node);
// QuantResize.cpp: nearest and bilinear Resize of maps.
Expected<Layer> buildResize(const Context &ctx, const ir::Node &node);
/// Whether a Slice has a step other than 1 (it then runs as KernelKind::ChannelStep).
bool hasSliceStep(const ir::Graph &graph, const ir::Node &node);
/// A Transpose whose output is its input's bytes relabelled becomes a Reshape of the
/// quantised graph (an Alias, which the planner may run in place), and its output is noted
/// in ctx.rowMajor when its bytes are in logical order; otherwise it stays a Permute.
Status lowerTransposeNode(Context &ctx, ir::Graph &graph, ir::Node &node, KernelKind &kind);
/// checkAlias for reshapes that read or write a row-major map; false when neither does.
Expected<bool> checkRowMajorAlias(Context &ctx, const ir::Node &node);

} // namespace rnnpoolc::quant
