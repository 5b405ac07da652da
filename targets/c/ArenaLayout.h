// Where every activation of a quantised model lives in the arena, in the form the C
// generator consumes. layerByLayerLayout() is a simple stand-in planner (whole tensors,
// graph order, greedy-by-size offsets, as TFLite Micro places them) used until the memory
// planner (compiler/plan) hands over its verified plan.
#pragma once

#include "compiler/quant/Quantize.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rnnpoolc::targets::c {

struct ArenaLayout {
  std::vector<size_t> order;          ///< Node indices in execution order.
  std::vector<int64_t> tensorOffset;  ///< By TensorId; -1 for constants and unused tensors.
  std::vector<int64_t> scratchOffset; ///< By node index; -1 when the kernel needs none.
  std::vector<int64_t> scratchBytes;  ///< By node index.
  int64_t arenaBytes = 0;             ///< The peak: the arena the caller must pass.
  std::string planner;                ///< Who made it, for the banner and reports.
};

/// Bytes of scratch a layer's kernel needs (RNNPool's segment cache), 0 for most.
int64_t scratchBytes(const quant::Layer &layer);

/// Layer-by-layer placement: each tensor is live from the step that writes it to its last
/// reader (graph inputs from the start, outputs to the end); Alias layers share their input's
/// bytes; buffers are placed largest first at the lowest 16-byte aligned offset that does not
/// overlap a placed buffer with an overlapping lifetime.
ArenaLayout layerByLayerLayout(const quant::QuantizedModel &model);

/// The same placement for any graph (the float build's): each activation element takes
/// `elementBytes` bytes, alias[n] says that node n's output shares its input's bytes, and
/// scratch[n] is the bytes of scratch node n's kernel needs (0 for none).
ArenaLayout layerByLayerLayout(const ir::Graph &graph, int64_t elementBytes,
                               const std::vector<bool> &alias,
                               const std::vector<int64_t> &scratch);

} // namespace rnnpoolc::targets::c
