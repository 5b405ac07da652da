// The lowered model: a model (quantised, or the float build's) and its verified memory plan
// as target-neutral tables, which every backend prints (targets/c as C, targets/llvm as an
// llvm::Module) and none re-derives. It holds the plan's buffers and steps as the
// runtime's schedule walker reads them (rp_schedule.h: skipped steps already left out,
// `carry` decided), each layer's kernel call (a row of the int8 kernel table,
// compiler/quant/Kernels.def, or of the float one, targets/FloatKernels.def) with its
// params as data in declaration order, and the constant arrays those params point to.
#pragma once

#include "compiler/plan/Plan.h"
#include "compiler/quant/Kernels.h"

#include <memory>
#include <string>
#include <vector>

namespace rnnpoolc::targets {

/// The element type of a build's activations, hence which runtime and kernel table.
enum class Precision { Int8, Float };

/// The float build's kernel table (FloatLowering.h); declared here so that a layer can name
/// its row.
enum class FloatKind;
struct FloatKernelInfo;
struct FloatModel;

/// One field of a params struct, in the struct's declaration order.
struct ParamValue {
  enum class Kind {
    Int,    ///< an integer field: `value`
    Array,  ///< a pointer to constant array `array` (LoweredModel::arrays), or null if -1
    List,   ///< a fixed-size array member: `list`
    Struct, ///< a nested struct: `fields`
    Rows,   ///< a pointer to the layer's struct rows (LoweredLayer::rows)
    Float,  ///< a float field: `real` (the float build's params)
  };
  Kind kind = Kind::Int;
  std::string field;
  int64_t value = 0;
  float real = 0;
  int array = -1;
  std::vector<int64_t> list;
  std::vector<ParamValue> fields;
};

/// A constant array of a layer, already in runtime layout: integers (the quantiser's
/// tables, or a list of channel counts) or floats (the float build's weights).
struct LoweredArray {
  size_t layer = 0;  ///< The node whose params point to it.
  std::string field; ///< The params field it fills ("weights", "rnn1.w", "table", ...).
  std::shared_ptr<const quant::ConstArray> data;    ///< Integer arrays, else null.
  std::shared_ptr<const std::vector<float>> floats; ///< Float arrays, else null.
  /// An earlier array of the same type and values that this one is (weights a model
  /// shares between nodes, such as a detection head applied to several feature maps):
  /// emitted once, under that array's name. -1: its own.
  int sameAs = -1;
  /// "int8_t", "int16_t", "int32_t", "uint32_t" or "float".
  std::string_view ctype() const { return floats ? std::string_view("float") : data->ctype; }
  size_t count() const { return floats ? floats->size() : data->count(); }
  size_t bytes() const { return floats ? 4 * floats->size() : data->bytes(); }
};

/// A float Binary layer's operand: a constant array, or an arena tensor.
struct LoweredOperand {
  int array = -1; ///< Index into LoweredModel::arrays, or -1 for an arena tensor.
  size_t input = 0; ///< Arena tensor: the node input that feeds it.
  int slot = 0;     ///< Arena tensor: which of the step's inputs (LoweredStep::in) it is.
};

/// Node n's kernel call.
struct LoweredLayer {
  size_t node = 0;
  std::string name; ///< Unique C-safe name: "s3_conv2_Conv" (s + node index + node name).
  /// The kernel: int8 builds a row of compiler/quant/Kernels.def (kind, kernel), float
  /// builds a row of targets/FloatKernels.def (floatKind, floatKernel); the accessors below
  /// read whichever the build has.
  quant::KernelKind kind = quant::KernelKind::Alias;
  const quant::KernelInfo *kernel = nullptr;
  FloatKind floatKind{};
  const FloatKernelInfo *floatKernel = nullptr;
  std::string_view kernelName() const;  ///< "conv", as reports print it
  std::string_view function() const;    ///< the runtime function
  std::string_view paramsType() const;   ///< its params struct, or empty
  quant::CallShape callShape() const;   ///< view / rows / whole
  /// The params struct (kernel->paramsType) as data; empty when the kernel takes none.
  std::vector<ParamValue> params;
  /// A struct array the params point to (Concat's per-input rp_concat_input rows).
  std::string rowsType;
  std::vector<std::vector<ParamValue>> rows;
  std::vector<int> arrays; ///< Its constant arrays (indices into LoweredModel::arrays).
  /// Alias only: the output regroups rows (int8), or the float build runs it over whole
  /// tensors, so the layer copies the whole tensor, `copyCount` values, in one step.
  bool wholeCopy = false;
  int64_t copyCount = 0;
  int64_t outChannels = 1;   ///< Values of each output pixel (row calls: values per pixel).
  int64_t pixelChannels = 1; ///< Pixels form: the values each kernel pixel spans.
  /// Gate form: input 1 has a value per pixel ([1, 1, H, W]), read row by row with the
  /// output, not one per channel read whole by every row.
  bool perPixelGate = false;
  /// WholeList (int8): the buffers of its inputs, in order (the same for every step of a
  /// banded channel Concat). Float layers run over whole tensors (`banded` false): the
  /// buffer of each node input, -1 for a constant.
  std::vector<int> wholeInputs;
  std::vector<int> wholeOutputs; ///< Float, not banded: the buffer of each node output.
  /// Some step computes part of the output or reads part of an input (row bands, tiles),
  /// so a float Rows kernel, or the int8 channel Concat (rp_concat_pixels_s8), runs once
  /// per row of each step; else the layer is one step over whole tensors.
  bool banded = false;
  std::vector<LoweredOperand> operands; ///< Float Binary: operands a and b.
  int64_t pixels = 0; ///< Float ChannelStep: the positions sliced.
  /// The plan accumulates it a band of input rows at a time (plan::Step::accumulate): a
  /// global average pool's steps call rp_global_avgpool_rows_s8 on their rows into the
  /// int32 sums at `scratch`, and the step that adds the last row rp_global_avgpool_finish_s8.
  bool accumulate = false;
  /// Some step of it writes its output row over its input ring (plan::Buffer::within): a
  /// step with scratch calls rp_conv_in_place_s8 with chunks of this many pixels (what the
  /// scratch holds beyond the left padding's); 0: none does.
  int64_t inPlaceChunk = 0;
  /// Its steps compute the 1x1 expansion before it as well (plan::Step::fusedExpansion):
  /// that node, whose params they pass with this layer's to rp_expand_dw_s8 (in groups of
  /// `fuseGroup` channels, reading the expansion's input); -1: they do not.
  int fusedExpansion = -1;
  int64_t fuseGroup = 0;
  /// Its fused steps are row bands (plan::Step::fusedRows): rp_expand_dw_rows_s8, which
  /// carries the expansion's rows shared by consecutive windows in its scratch (`carry`).
  bool fuseRows = false;
};

/// A buffer of the plan as the walker addresses it (rp_buffer).
struct LoweredBuffer {
  int64_t offset = 0, row0 = 0, col0 = 0, rows = 0, cols = 0, ringRows = 0, channels = 0;
  plan::BufferKind kind = plan::BufferKind::Region;
  ir::TensorId tensor = 0;
  int64_t bytes = 0;
};

/// A step that runs (rp_step). Steps of an Alias computed in place are left out.
struct LoweredStep {
  int layer = 0;            ///< Node index; -1 - k for streamed input k.
  int out = 0;              ///< Output buffer.
  int in[2] = {-1, -1};     ///< The first two input buffers, -1 for none.
  int64_t scratch = -1;     ///< Arena offset of the kernel's scratch, or -1.
  ir::Region region;        ///< Output rows x columns computed (accumulating: input rows).
  bool carry = false;       ///< Goes on from what the node's previous step left in scratch
                            ///< (accumulating: the sums of the rows above).
};

/// The plan's buffers and steps as the walkers read them, and where the graph's inputs and
/// outputs live: the part of a lowered model that the int8 and float builds share.
struct LoweredSchedule {
  std::vector<LoweredBuffer> buffers;
  std::vector<LoweredStep> steps;
  std::vector<int64_t> inputOffset;  ///< Per graph input; -1 when streamed.
  std::vector<int64_t> outputOffset; ///< Per graph output.
  bool streamedInput = false;
  int64_t arenaBytes = 0;
};

/// Reads `plan` (of `graph`) as walker tables; skipped[k] leaves plan step k out (an Alias
/// computed in place, which needs no code). Errors if an input or output has no whole
/// buffer in the arena.
Expected<LoweredSchedule> lowerSchedule(const ir::Graph &graph, const plan::Plan &plan,
                                        const std::vector<bool> &skipped);

/// A lowered model: the schedule (buffers, steps, inputs, outputs, arena) and the layers.
struct LoweredModel : LoweredSchedule {
  Precision precision = Precision::Int8;
  const ir::Graph *graph = nullptr; ///< What it was lowered from (names, shapes).
  const quant::QuantizedModel *model = nullptr; ///< Int8 builds: the quantised model.
  const plan::Plan *plan = nullptr;
  std::vector<LoweredLayer> layers; ///< One per node, in node order.
  std::vector<LoweredArray> arrays;
  int64_t weightsBytes = 0; ///< Bytes of the constant arrays.
};

/// Lowers `model` following `plan`. Errors name the node a kernel cannot run as the plan
/// asks (a whole-tensor kernel given part of a tensor, a constant operand of a binary
/// kernel), or say which limit of the tables a plan exceeds.
Expected<LoweredModel> lower(const quant::QuantizedModel &model, const plan::Plan &plan);

/// Lowers the float build `model` (FloatLowering.h) following `plan` (of model.graph, with
/// float32 activations). Errors name a node the plan runs on part of a tensor whose float
/// kernel needs whole tensors.
Expected<LoweredModel> lower(const FloatModel &model, const plan::Plan &plan);

/// Generated code addresses the rows and columns of maps ([N, C, H, W] and other tensors of
/// rank 3 and more) as int16, the steps' regions as int32 (a flat tensor is one row of as
/// many columns as it has elements), buffers and nodes as int16. checkMapLimits is the check
/// on the graph alone, so the driver can refuse a map too large before calibrating and
/// planning it: an error naming the first node whose output has more than 32767 rows or
/// columns. checkPlanLimits is the lowerings' check of the plan: its steps' regions, its
/// buffers and the graph's nodes.
Status checkMapLimits(const ir::Graph &graph);

/// Marks every array whose type and values an earlier one has (LoweredArray::sameAs), and
/// counts it out of weightsBytes; both lowerings call it last.
void shareIdenticalArrays(LoweredModel &model);
Status checkPlanLimits(const ir::Graph &graph, const plan::Plan &plan);

/// The input buffers of `node`'s steps, which must be the same for all of them (a channel
/// Concat's, listed once per layer since `rp_step` names two: a row-band region keeps one
/// buffer per tensor, and Builder::checkTiles keeps Concat out of tiles); an internal error
/// naming the node if they differ.
Expected<std::vector<int>> stepInputs(const ir::Graph &g, const plan::Plan &plan, size_t node);

/// The buffer of `plan` that holds all of tensor `t` over steps [first, last], or -1.
int wholeBufferOf(const ir::Graph &g, const plan::Plan &plan, ir::TensorId t, int first,
                  int last);

/// An identifier fragment from a node name: alphanumerics kept, other runs as one '_', no
/// trailing '_', at most 40 characters.
std::string identifier(const std::string &name);

/// The params of `layer` as data, in declaration order (pointer fields name arrays of
/// `arrays` by index, found through their field names). Errors if a pointer field has no
/// array.
Expected<std::vector<ParamValue>> paramValues(const quant::Layer &layer,
                                              const std::vector<LoweredArray> &arrays,
                                              const std::vector<int> &layerArrays);

} // namespace rnnpoolc::targets
