// The memory plan: a plain description of how one inference runs in a static arena.
// The planner (Planner.h) makes it, the verifier (Verifier.h) proves it, reports print it,
// and code generators follow it step by step.
//
// Execution model. Activations are laid out per tensor as rows x columns x channels (the
// logical NCHW shape [1, C, H, W]; a tensor of another rank counts as one row of one
// column). A Step computes one output region (rows [row0, row1) x all or some columns) of
// one node and writes it into a Buffer; it reads the input regions ir::inputRegion gives
// from the buffers that hold them. A Buffer is a span of the arena [offset, offset+bytes)
// that holds, during steps [firstStep, lastStep], either
//   - a region of its tensor, element (r, c) at ((r - region.row0) * cols + (c -
//     region.col0)) * channels (kind Region; the whole tensor for layer-by-layer), or
//   - a ring of `ringRows` full-width rows, row r in slot r % ringRows (kind Ring: the
//     line buffers of row-band execution), or
//   - the working memory of a kernel (kind Scratch: ir::scratchBytes, e.g. RNNPool's
//     cache of RNN1 summaries), live for one step, or over all the row-band steps of one
//     node in a region, which then carry the cache from one band to the next; `tensor` is
//     the node's output, for reports.
// Buffer ids index Plan::buffers. The model input is written by the caller before step 0
// (or, with a streamed input, row by row by Stream steps); outputs are read after the
// last step.
#pragma once

#include "compiler/ir/Graph.h"
#include "compiler/ir/OpInfo.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rnnpoolc::plan {

enum class BufferKind : uint8_t { Region, Ring, Scratch };

struct Buffer {
  ir::TensorId tensor = ir::kNoTensor;
  BufferKind kind = BufferKind::Region;
  ir::Region region;    ///< Kind Region: the part of the tensor held.
  int64_t ringRows = 0; ///< Kind Ring: capacity in rows (each of the tensor's full width).
  int64_t bytes = 0;
  int64_t offset = -1;
  int firstStep = 0, lastStep = 0; ///< Live range, inclusive (step indices).
  /// Set when the buffer takes over the memory of another that dies at firstStep, at the
  /// same offset: the id of that buffer, else -1. An elementwise op or a Pad computed in
  /// place; or a depthwise conv of stride 1 in tiles, whose output tile is as wide as its
  /// input's (region.col0 and col1 the input's) with row y over the input row on top of its
  /// window, y - pad_top (the input's region then starts at that row of the output's first
  /// row, above the tensor at its top edge).
  int aliasOf = -1;
  /// With aliasOf: where this buffer begins, in bytes from the other's offset; 0 but for a
  /// Pad's one-row output ring over its input's first row (Builder::padOverInput): the
  /// input is held whole with row lifetimes, and the Pad's first step reads its first row
  /// for the last time and writes output row 0 over it, the ring's slot ending where that
  /// row ends (aliasOffset = the input's row bytes minus the ring's, <= 0). Every output
  /// pixel's source then lies at or after it, and the kernels write first pixel first when
  /// the first pixel's source lies after it. The other rows of the input lie above the ring.
  int64_t aliasOffset = 0;
  /// Set when the buffer lies inside a ring of another (`within`, kind Ring): a one-row
  /// ring (ringRows 1) at `withinOffset` bytes into it, in one of its slots. A depthwise
  /// conv planned in place writes each output row over the top row of its input window,
  /// which it reads for the last time (depthwiseInPlace): one such buffer per slot of its
  /// input ring, from the slot's first byte. A Pad's input row lies in the slot of its
  /// output ring where the Pad writes that row, from the slot's pad_left-th pixel (padView):
  /// its producer writes it there and the Pad adds the padding around it. Either way it
  /// reserves nothing of its own (its bytes are the ring's, which lives as long).
  int within = -1;
  int64_t withinOffset = 0;
  /// Optional: per row of the region (kind Region) or of the tensor (kind Ring), the first
  /// step that writes it and the last step that reads or writes it. A row's bytes (a Ring
  /// row's: its slot's) are reserved only in between, so the rows a row-band region has
  /// consumed (of its input) can hold the rows it produces later (of its output), and the
  /// slots of a ring between a row's last read and the next row's write other buffers.
  /// A row whose last step precedes its first reserves nothing (a ring's row never
  /// written). Empty: every row lives over [firstStep, lastStep]. Never on a ring that
  /// holds or lies inside another (`within`).
  std::vector<int> rowFirstStep, rowLastStep;
  /// Optional, kind Scratch: the runs of steps [first, last] that use it, for a kernel's
  /// working memory that no step reads after the one that wrote it (a depthwise conv in
  /// place in row bands: each step's chunks): reserved over those runs only, so that other
  /// buffers hold its bytes in between. In order and apart, the first starting at
  /// firstStep, the last ending at lastStep. Empty: reserved over [firstStep, lastStep].
  std::vector<std::pair<int, int>> stepRuns;
};

/// Whether `b` is a Pad's one-row ring over its input's first row (Buffer::aliasOffset).
inline bool isOverInputRow(const Buffer &b) {
  return b.aliasOf >= 0 && b.kind == BufferKind::Ring;
}

/// A reservation: arena bytes [begin, end) over steps [first, last], inclusive.
struct Reservation {
  int64_t begin = 0, end = 0;
  int first = 0, last = 0;
};
/// What a buffer reserves at `offset`: one reservation, or one per run of rows with the
/// same life when it has row lifetimes, or one per run of steps (Buffer::stepRuns).
std::vector<Reservation> reservations(const Buffer &buffer, int64_t offset);

/// How a step's output is produced.
enum class StepKind : uint8_t {
  Compute, ///< node computes `out` of its output 0
  Stream,  ///< the caller's callback delivers rows `out` of the model input (node unused)
};

struct Step {
  StepKind kind = StepKind::Compute;
  size_t node = 0;
  ir::TensorId streamed = ir::kNoTensor; ///< Stream: the model input delivered.
  ir::Region out; ///< The region computed of every output (the whole tensor for a layer).
  std::vector<int> inputs;  ///< Per node input: the buffer read, or -1 (constants, absent).
  std::vector<ir::Region> reads; ///< Per node input: the region of it read (if a buffer).
  std::vector<int> outputs; ///< Per node output: the buffer written (Stream: one buffer).
  int scratch = -1;         ///< The kernel's Scratch buffer, or -1 when it needs none.
  int64_t macs = 0;
  int region = -1; ///< Index into Plan::regions, or -1 for a layer-by-layer step.
  /// A reduction over rows and columns accumulating in row bands (isAccumulating): the step
  /// adds rows `reads[0]` (every column) of its input into its Scratch buffer, the node's
  /// accumulator (one 4-byte sum or maximum per channel, live over all the node's steps);
  /// the step that adds the input's last row also finishes, writing the whole output. `out`
  /// is the whole output on every step; the steps before the last write nothing.
  bool accumulate = false;
  /// A depthwise conv that computes, in the same step, the 1x1 expansion feeding it
  /// (fusesExpansion; tiles): the expansion's node, else -1. The expansion's output is never
  /// held: input 0 of the step (inputs[0], reads[0]) is the expansion's input over the
  /// conv's window of `out`, the Scratch buffer holds `fusedGroup` of the expansion's
  /// channels at a time (fusedScratchBytes; rp_expand_dw_s8), and `macs` counts both nodes.
  int fusedExpansion = -1;
  int fusedGroup = 0;
  /// A fused step of row bands (rp_expand_dw_rows_s8): the scratch begins with a carry of
  /// the expansion's rows, every channel, that the windows of consecutive output rows share
  /// (fusedScratchBytes with `rows`). A step that goes on from the node's step just above
  /// (carries()) computes, and reads the input of, only the window's rows below that step's
  /// window (fusedWindow).
  bool fusedRows = false;
};

/// How a group of spatial ops is executed.
enum class Strategy : uint8_t { Layer, RowBands, Tiles };
std::string_view name(Strategy s);

struct RegionInfo {
  Strategy strategy = Strategy::Layer;
  std::vector<size_t> nodes; ///< In execution order.
  int64_t tileRows = 0, tileCols = 0; ///< Tiles: the final op's tile; RowBands: band rows.
  /// The region computes rows of its output only as the region right after it reads them
  /// (a row of tiles, or row bands, at a time) rather than all of it first, so that only
  /// the rows between the two are live of the map it hands on (plan::mayHandOff).
  bool handOff = false;
};

/// Figures of a plan; also computed for the baseline.
struct Summary {
  int64_t peakBytes = 0;  ///< The most bytes live at once (in-place pairs counted once).
  int64_t arenaBytes = 0; ///< max(offset + bytes): what the caller must provide.
  int peakStep = 0;
  int64_t macs = 0;
  /// How many distinct nodes reach the peak (the search uses it to break ties).
  int peakSites = 0;
};

struct Plan {
  std::vector<Step> steps;
  std::vector<Buffer> buffers;
  std::vector<RegionInfo> regions;
  Summary summary;
  Summary baseline;         ///< Layer-by-layer, topological order, greedy-by-size offsets.
  int64_t weightsBytes = 0; ///< Constants, at the element size of the plan's policy.
  bool floatActivations = false;
  bool streamedInput = false;
};

/// Bytes per element of a tensor under the plan's policy: float32 activations count as
/// int8 (1 byte) unless `floatActivations`; other dtypes keep their size.
int64_t elementBytes(const ir::Tensor &tensor, bool floatActivations);

/// Rows, columns and channels of a tensor as the plan stores it ([1, C, H, W] -> H, W, C;
/// any other shape -> 1, 1, element count).
struct Extent {
  int64_t rows = 1, cols = 1, channels = 1;
};
Extent extentOf(const ir::Tensor &tensor);

/// MACs of computing region `out` of `node`'s output in one step: ir::macs for the whole
/// output; for RNNPool the kernel's count for the region (ir::rnnPoolRegionMacs), which
/// `continues` from the rows above when the step carries its scratch from the node's step
/// just above (carries()); for any other op a proportional share of ir::macs.
int64_t regionMacs(const ir::Graph &graph, const ir::Node &node, const ir::Region &out,
                   bool continues = false);
/// The proportional share, given the node's ir::macs and its output's extent (not RNNPool).
int64_t regionMacs(int64_t nodeMacs, const Extent &outExtent, const ir::Region &out);

/// Whether `node` is a conv that can run in place row by row: depthwise (one group per
/// channel, as many outputs), no wider than its input, int8 (the runtime's in-place
/// wrapper, rp_conv_in_place_s8, is int8 only).
bool depthwiseInPlace(const ir::Graph &graph, const ir::Node &node, bool floatActivations);
/// Whether `expand` and the depthwise conv `dw` that reads its output can run as one kernel
/// (rp_expand_dw_s8), a group of channels at a time: `expand` a 1x1 conv of stride 1
/// without padding or groups, `dw` as depthwiseInPlace allows, both int8. (That `dw` alone
/// reads the expansion's output is the caller's to check.)
bool fusesExpansion(const ir::Graph &graph, const ir::Node &expand, const ir::Node &dw,
                    bool floatActivations);
/// Bytes of scratch a fused step of `dw` needs for output region `out`, `group` channels at a
/// time (rp_expand_dw_scratch_size); with `rows` (Step::fusedRows), the carry first and the
/// window of `out`'s rows unclamped (rp_expand_dw_rows_scratch_size), the same for every
/// band of as many rows.
int64_t fusedScratchBytes(const ir::Graph &graph, const ir::Node &dw, const ir::Region &out,
                          int64_t group, bool rows = false);
/// The region of the expansion's output that a fused step of `dw` computing `out` computes:
/// the conv's window of `out`, from the end of the window of the row above when the step
/// `continues` (Step::fusedRows, carries()), whose rows come from the carry.
ir::Region fusedWindow(const ir::Graph &graph, const ir::Node &dw, const ir::Region &out,
                       bool continues = false);
/// The region of the expansion's input that a fused step of `dw` computing `out` reads.
ir::Region fusedRead(const ir::Graph &graph, const ir::Node &expand, const ir::Node &dw,
                     const ir::Region &out, bool continues = false);
/// MACs of the expansion's share in a fused step of `dw` computing `out`: the expansion over
/// fusedWindow.
int64_t fusedExpansionMacs(const ir::Graph &graph, const ir::Node &expand, const ir::Node &dw,
                           const ir::Region &out, bool continues = false);

/// The input row whose ring slot output row `row` of such a conv takes: the top row of its
/// window (negative above the input: a slot the window does not read).
int64_t inPlaceSourceRow(const ir::Node &node, int64_t row);
/// Bytes of scratch an in-place step needs at least: one pixel more than the conv's left
/// padding (the chunk's pixels and the ones whose input columns the next chunk still reads).
int64_t inPlaceMinScratch(const ir::Graph &graph, const ir::Node &node);

/// Whether compute step `step` goes on from what step `before`, the previous step of the
/// same node, left in its scratch: the same Scratch buffer, the rows just below, the same
/// columns, and a kernel that can (RNNPool's, in both builds: RP_RNNPOOL_CONTINUE,
/// RP_RNNPOOL_F32_CONTINUE; a fused step of row bands, Step::fusedRows, after another of the
/// same pair). The backends emit `carry` for such steps.
bool carries(const ir::Graph &graph, const Step &before, const Step &step);

/// Whether `node` reduces a float or int8 [1, C, H, W] map over its rows and columns only, to
/// [1, C, 1, 1] by a mean (GlobalAveragePool; canonicalisation turns ReduceMean over H and W
/// into one): a row-band region can end in it, accumulating a band at a time, so its input
/// is never whole.
bool isAccumulating(const ir::Graph &graph, const ir::Node &node);

/// Bytes of an accumulating node's accumulator: one int32 (int8 plans) or float per channel.
int64_t accumulatorBytes(const ir::Graph &graph, const ir::Node &node);

/// MACs of an accumulating step that adds input rows [row0, row1) of `node`'s input (the
/// node's MACs shared by rows so that the steps sum to them exactly).
int64_t accumulateMacs(const ir::Graph &graph, const ir::Node &node, int64_t row0,
                       int64_t row1);

/// The padding above and left of `node` when it is a Pad that may compute over its input
/// (padInPlace) or take its input's rows as views of its output's (Buffer::within): constant
/// or edge padding of the rows and columns of a [1, C, H, W] map by non-negative amounts,
/// which the kernels write last pixel first, each pixel from its source by memmove; nullopt
/// for any other node.
std::optional<std::pair<int64_t, int64_t>> padView(const ir::Graph &graph,
                                                   const ir::Node &node);

/// Whether Pad step `step` may write its output buffer `out` over its input buffer `in`
/// (the same offset; the kernels write the last pixel first): constant or edge padding of
/// rows and columns only, by non-negative amounts, between Region buffers whose rows are no
/// wider on the input side, with every output pixel's source at or before the pixel itself.
/// Sources then advance no faster than destinations, so checking the step's first pixel
/// suffices (with the edge mode's clamped source, which bounds the constant mode's).
bool padInPlace(const ir::Graph &graph, const Step &step, const Buffer &in, const Buffer &out);

/// The whole extent of a tensor as a region.
ir::Region wholeRegion(const ir::Tensor &tensor);

} // namespace rnnpoolc::plan
