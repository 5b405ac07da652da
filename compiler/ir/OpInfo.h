// What the planner and reports need to know about an op: its cost and its receptive field.
#pragma once

#include "compiler/ir/Graph.h"

namespace rnnpoolc::ir {

/// Multiply-accumulates one execution of `node` performs (shapes must be known).
/// Conv: N*Cout*prod(outSpatial)*(Cin/group)*prod(kernel); Gemm/MatMul: M*N*K (per batch);
/// elementwise, pooling, softmax and reductions count one per output (or input) element
/// touched; pure data movement (reshape, transpose, concat, ...) counts 0. The Cost column
/// of Ops.def (ir::CostClass) says which formula an op uses.
/// RNNPool counts the FastGRNN steps its kernel runs over the whole map, each RNN1 segment
/// once (rnnPoolRegionMacs).
int64_t macs(const Graph &graph, const Node &node);

/// An error naming the first graph input that a node reads as its weights (a Conv's or
/// Gemm's weights or bias, a BatchNormalization's statistics): the backends compile weights
/// as constants, so the model must carry them as initializers. Ok when none does.
Status checkConstantWeights(const Graph &graph);

/// A half-open rectangle of rows [row0, row1) and columns [col0, col1) of the last two
/// dims of an activation.
struct Region {
  int64_t row0 = 0, row1 = 0, col0 = 0, col1 = 0;
  bool operator==(const Region &) const = default;
  int64_t rows() const { return row1 - row0; }
  int64_t cols() const { return col1 - col0; }
};

/// MACs of the RNNPool kernel (runtime/rp_rnnpool.c, which reuses RNN1 summaries within a
/// call) computing output region `out` of one image in one call. RNN1 restarts on every
/// row and column segment of a patch, so a segment shared by two patches is swept once:
/// the row segments of every input row the call's patch rows cover (one per patch column),
/// and per patch row the column segments of every input column it covers; RNN2 sweeps each
/// patch's row and column summaries forward and backward. `continues`: the call goes on
/// from the row summaries the call for the rows just above left in its scratch
/// (RP_RNNPOOL_CONTINUE, a `carry` step), so row bands sum to the whole layer's MACs;
/// without, each band sweeps again the input rows it shares with the band above. A step
/// of a plan costs this, the layer macs() (times the batch).
int64_t rnnPoolRegionMacs(const Graph &graph, const Node &node, const Region &out,
                          bool continues);

/// Whether `node` maps output rows/columns to input rows/columns locally (Conv, pooling,
/// elementwise, BatchNormalization, Pad, Identity, ...), so that a region of it can be
/// computed from a region of its inputs. Global ops (Gemm, Softmax, reductions over H/W,
/// reshapes) are not spatial. The kSpatial flag of Ops.def.
bool isSpatial(const Node &node);

/// Whether `node` is a Concat along the channels of [1, C, H, W] maps, every input one of
/// them: an output pixel is the input pixels at its own place, so it can run over regions as
/// a spatial op does (inputRegion: the output region of every input), although Concat in
/// general (along another axis, of other ranks) is not spatial.
bool isChannelConcat(const Graph &graph, const Node &node);

/// Whether `node` is a Slice of the channels of a [1, C, H, W] map (constant starts, ends
/// and steps along axis 1 alone; ShuffleNet's halves): an output pixel is some channels of
/// the input pixel at its own place, so it runs over regions as a spatial op does.
bool isChannelSlice(const Graph &graph, const Node &node);

/// The region of input `inputIndex` that `node` reads to produce the output region `out`,
/// clipped to the input's extent (padding is not stored). For a non-spatial op, or for a
/// parameter input (weights, bias), the whole input. `out` must lie within the output.
Region inputRegion(const Graph &graph, const Node &node, size_t inputIndex, const Region &out);

/// The activation an elementwise node computes (Relu, Sigmoid, Tanh, HardSwish, LeakyRelu,
/// HardSigmoid, or Clip with constant scalar or omitted bounds), if it is one: what Conv and
/// Gemm can absorb, and what the int8 tables and float kernels evaluate.
std::optional<Activation> activationOf(const Graph &graph, const Node &node);

/// Bytes of working memory (beyond its inputs and outputs) the runtime kernel of `node`
/// needs to compute the output region `out`; 0 for most ops. RNNPool carries RNN1's row
/// summaries of the input rows a patch row shares with the next (patch - stride rows) for
/// every patch column of the region (a ring of patch rows per column where that is smaller,
/// in regions of a few columns: runtime/rp_scratch.h), and the row and column summaries of
/// one patch, as int16
/// (runtime/rp_rnnpool.c, rp_rnnpool_scratch_bytes with reuse, which must give the same
/// figure), or as float32 when `floatState` (the float build's kernel,
/// rp_rnnpool_f32_scratch_bytes).
int64_t scratchBytes(const Graph &graph, const Node &node, const Region &out,
                     bool floatState = false);

} // namespace rnnpoolc::ir
