// Canonicalisation passes over the IR. Each pass keeps the graph's outputs unchanged (the
// tests run the interpreter before and after) and leaves a graph that ir::validate accepts.
#pragma once

#include "compiler/ir/Graph.h"

#include <span>
#include <string_view>

namespace rnnpoolc::passes {

/// Replaces each DequantizeLinear of an integer constant (a pre-quantised model's weights
/// and biases) by the float constant it computes, keeping the integers and their scale,
/// zero point and axis in the tensor's `integers` and `quant` for the quantiser. Activation
/// QuantizeLinear / DequantizeLinear pairs stay: the float interpreter runs them.
Status foldDequantizedConstants(ir::Graph &graph);

/// Walks the nodes in order: a node whose inputs are all constants (or a Shape of a tensor
/// whose shape is known) is evaluated by the interpreter and replaced by constants; every
/// other node gets its output shapes inferred. Afterwards every tensor has a known shape.
/// This is how the Shape -> Gather -> Concat -> Reshape chains of PyTorch exports vanish.
/// DequantizeLinear nodes are not folded (foldDequantizedConstants does that).
Status foldConstantsAndInferShapes(ir::Graph &graph);

/// Replaces every RNNPool layer written out as standard ops (flat exports, inlined
/// functions) by one RNNPool node, proving the match by structure and element tracing;
/// candidates that fail a check are left as they are and listed in graph.nearMisses.
Status recogniseRNNPool(ir::Graph &graph);

/// Replaces ReduceMean / ReduceMax over the rows and columns (axes 2 and 3) of a float
/// [N, C, H, W] map by GlobalAveragePool / GlobalMaxPool, plus a Reshape to [N, C] when the
/// reduction drops those axes (GlobalPools.cpp).
Status rewriteGlobalPools(ir::Graph &graph);

/// Replaces ShuffleNet's channel shuffle of a float [N, C, H, W] map, Reshape to
/// [N, g, C/g, H, W] -> Transpose [0, 2, 1, 3, 4] -> Reshape back to [N, C, H, W], whose
/// intermediate tensors have no other readers, by one ChannelShuffle node (ChannelShuffle.cpp).
Status rewriteChannelShuffles(ir::Graph &graph);

/// Folds a permutation of a float map's channels (a Split along the channels whose parts one
/// Concat joins again in another order, or a ChannelShuffle) into the weights of the Conv of
/// one group it reaches through Pads of rows and columns, per-element unary ops and pools,
/// each read by the next alone; the chain then reads the map before the permutation
/// (ChannelPermutation.cpp).
Status foldChannelPermutations(ir::Graph &graph);

/// Folds an inference-mode BatchNormalization into the Conv or Gemm that feeds it alone,
/// rescaling the constant weights and bias.
Status foldBatchNorm(ir::Graph &graph);

/// Fuses an activation (Relu, Clip with constant bounds, LeakyRelu, Sigmoid, HardSigmoid,
/// HardSwish, Tanh) into the Conv or Gemm that feeds it alone.
Status fuseActivations(ir::Graph &graph);

/// Replaces an L2 normalisation over channels written as Pow/Mul, ReduceSum, Sqrt, Add eps,
/// Div (or Mul by Reciprocal) and an optional Mul by a channel or scalar constant, whose
/// intermediate tensors have no other readers, by one L2Norm node (FuseL2Norm.cpp).
Status fuseL2Norm(ir::Graph &graph);

/// Rewrites where(x < 0, x * a, x) with a constant `a` (ONNX PRelu as the importer writes
/// it): a LeakyRelu for one slope, max(x, x * a) for slopes at most 1, min(x, x * a) for
/// slopes at least 1 (PRelu.cpp).
Status simplifyPRelu(ir::Graph &graph);

/// Moves a Softmax ahead of the Transpose that feeds it alone (over the axis the Transpose
/// took its softmax axis from), then merges each Transpose of a Transpose's output that
/// nothing else reads into one: opset 11's softmax(dim=1) of a map, Transpose - Softmax -
/// Transpose, becomes a softmax over the channels and an identity (SoftmaxTransposes.cpp).
Status softmaxTransposes(ir::Graph &graph);

/// Removes Identity nodes and no-op Reshape / Transpose / Cast / Slice / Pad / Concat,
/// rewiring their users, while keeping graph output names.
Status removeIdentities(ir::Graph &graph);

/// Removes nodes none of whose outputs is used, then unused tensors.
Status removeDeadNodes(ir::Graph &graph);

struct PassInfo {
  std::string_view name;
  Status (*run)(ir::Graph &);
  std::string_view why; ///< Why the pass sits where it does in the pipeline.
};

/// The canonicalisation pipeline, in order.
std::span<const PassInfo> canonicalPipeline();

/// Runs the canonical pipeline. With `verify`, ir::validate runs after every pass and a
/// violation is reported as an internal error naming the pass.
Status canonicalize(ir::Graph &graph, bool verify = true);

} // namespace rnnpoolc::passes
