// Where every activation of the float build lives in its arena. layerByLayerLayout() is a
// simple planner (whole tensors, graph order, greedy-by-size offsets, as TFLite Micro
// places them); the int8 build follows the memory planner's verified plan instead
// (compiler/plan, targets/c/Schedule.h). Planning float row bands is future work.
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

/// Layer-by-layer placement: each tensor is live from the step that writes it to its last
/// reader (graph inputs from the start, outputs to the end); aliases share their input's
/// bytes; buffers are placed largest first at the lowest 16-byte aligned offset that does not
/// overlap a placed buffer with an overlapping lifetime. Each activation element takes
/// `elementBytes` bytes, alias[n] says that node n's output shares its input's bytes, and
/// scratch[n] is the bytes of scratch node n's kernel needs (0 for none).
ArenaLayout layerByLayerLayout(const ir::Graph &graph, int64_t elementBytes,
                               const std::vector<bool> &alias,
                               const std::vector<int64_t> &scratch);

} // namespace rnnpoolc::targets::c
