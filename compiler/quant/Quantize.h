// Post-training quantisation: from the ranges calibration found (compiler/calib), a
// quantised model whose every node is one call of a runtime/ kernel (rnnpoolc_runtime.h)
// with its constants computed here, on the host.
#pragma once

#include "compiler/ir/Graph.h"
#include "compiler/support/Progress.h"
#include "runtime/rnnpoolc_runtime.h"

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace rnnpoolc::quant {

/// The observed real range of one tensor.
struct Range {
  float min = 0, max = 0;
};
/// Ranges by tensor name (names survive the rewrites quantize() makes).
using Ranges = std::map<std::string, Range>;

/// What calibration (compiler/calib) and quantize() both do first to a float graph:
/// foldQuantDequant, then split activations other than ReLU / Clip out of Conv and Gemm,
/// so that both see the same tensors under the same names.
Status prepareGraph(ir::Graph &graph);

/// Which runtime kernel executes a node of the quantised graph: one per row of the kernel
/// table (Kernels.def, whose contract Kernels.h gives as data).
enum class KernelKind {
#define RNNPOOLC_KERNEL(Kind, ...) Kind,
#include "compiler/quant/Kernels.def"
};
std::string_view name(KernelKind kind);

/// A constant array that a kernel's params point to, already in the runtime's layout.
/// Exactly one of the vectors is used, chosen by ctype.
struct ConstArray {
  std::string field;  ///< The params field it fills: "weights", "bias", "rnn1.w", "table", ...
  std::string ctype;  ///< C element type: "int8_t", "int16_t", "int32_t" or "uint32_t"
  std::vector<int8_t> s8;
  std::vector<int16_t> s16;
  std::vector<int32_t> s32; ///< int32_t and uint32_t (values < 2^31) arrays
  const void *data() const;
  size_t count() const;
  size_t bytes() const; ///< count() times the size of ctype
};

/// The kernel call for one node. The pointer fields of `params` point into `arrays` (and
/// `concatInputs`), which are shared, so copies of a Layer stay valid.
struct Layer {
  KernelKind kind = KernelKind::Alias;
  std::variant<std::monostate, rp_conv_params, rp_fc_params, rp_pool_params,
               rp_global_avgpool_params, rp_add_params, rp_concat_params, rp_requant_params,
               rp_softmax_params, rp_rnnpool_params, rp_l2norm_params, rp_mul_params,
               rp_mul_gate_params, rp_mul_channel_params, rp_channel_slice_params, rp_pad_params,
               rp_pad_mode_params, rp_channel_step_params, rp_channel_shuffle_params,
               rp_permute_params, rp_reduce_channels_params, rp_minmax_params,
               rp_resize_params>
      params;
  std::vector<std::shared_ptr<const ConstArray>> arrays;
  std::shared_ptr<const std::vector<rp_concat_input>> concatInputs;
  /// The table of a Lut layer.
  const int8_t *table() const { return arrays.at(0)->s8.data(); }
};

/// A graph ready for fixed-point execution.
///  - graph: the input graph rewritten so that each node is one kernel. Activations other
///    than ReLU / ReLU6 / Clip (which stay fused as the output clamp) are split out of
///    Conv / Gemm into their own node with a new tensor "<name>_preact". Every non-constant
///    tensor, graph inputs and outputs included, has dtype Int8 and quant {scale, zp}
///    (per tensor); constants keep their float data for reference (the kernels read
///    Layer::arrays). 4-D tensors are stored HWC in memory (rnnpoolc_runtime.h).
///  - layers[i] is the kernel call of graph.nodes[i].
/// The float graph inputs are quantised with rp_quantize_f32_s8 using the input tensor's
/// quant, and outputs dequantised with rp_dequantize_s8_f32.
struct QuantizedModel {
  ir::Graph graph;
  std::vector<Layer> layers;
};

/// Quantises a canonicalised float graph with calibrated ranges. Ops without a fixed-point
/// kernel give an error naming the node. A pre-quantised (QDQ) model keeps its own
/// parameters (foldQuantDequant): an activation that a QuantizeLinear quantises takes that
/// scale and zero point instead of its range, and weights and biases that the model gives
/// as integers are used as they are (see docs/numbers.md); ranges are needed only for the
/// other tensors.
Expected<QuantizedModel> quantize(const ir::Graph &graph, const Ranges &ranges);

/// Folds every activation QuantizeLinear -> DequantizeLinear pair: the quantised tensor T
/// gets the pair's (scale, zero point) in T.quant (uint8 zero point z becomes int8 z - 128),
/// readers of the DequantizeLinear's output read T, and the pair is removed. A pair on a
/// tensor that already has other parameters (DequantizeLinear -> QuantizeLinear between two
/// ops) becomes an Identity node, which quantize() runs as a requantisation. Per-axis
/// activation parameters, non-constant parameters, a quantised tensor read by anything but
/// a DequantizeLinear and a DequantizeLinear of anything else are errors naming the node.
/// Weights and biases were folded earlier (passes::foldDequantizedConstants).
Status foldQuantDequant(ir::Graph &graph);

/// Whether quantize() needs calibrated ranges for `graph`: false when every activation
/// gets its parameters from the model (QDQ) or from the input of its kernel (pooling,
/// reshapes, softmax), so that no --calib data (and no synthetic data) is needed.
Expected<bool> needsCalibration(const ir::Graph &graph);

/// (scale, zero point) of an int8 tensor covering [min, max] (always including 0).
struct AffineParams {
  float scale = 1;
  int32_t zeroPoint = 0;
};
AffineParams chooseParams(Range range);
/// Q31 multiplier and shift with multiplier * 2^(shift - 31) ~= real (see rp_requantize).
struct Multiplier {
  int32_t mult = 0, shift = 0;
};
Multiplier quantizeMultiplier(double real);

} // namespace rnnpoolc::quant
