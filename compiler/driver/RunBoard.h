// Internals of `rnnpoolc run --board` shared by RunBoard.cpp (options, firmware build and
// run, the checks against the host) and RunProfile.cpp (the per-node instruction profile).
#pragma once

#include "compiler/support/Json.h"
#include "targets/qemu/Firmware.h"

#include <string>
#include <vector>

namespace rnnpoolc::driver {

/// One node of a profiled model, as the report names it.
struct ProfileNode {
  std::string name;    ///< The ONNX node name.
  std::string op;      ///< The IR op ("Conv").
  std::string kind;    ///< The kernel ("conv", "rnnpool", "alias", ...).
  int64_t patches = 0; ///< RNNPool: output patches per inference (out_h * out_w); else 0.
};

/// Instructions per inference spent in each node (index = node index), from the firmware's
/// profile_ticks values, the board's ticks-to-instructions factor and the inference count.
std::vector<double> profileInstructions(const std::vector<uint64_t> &ticks,
                                        double instructionsPerTick, size_t inferences,
                                        size_t nodes);

/// The profile as text: one line per node (instructions, share of the total), one per
/// kernel kind, and RNNPool's instructions per patch.
void printProfile(const std::vector<ProfileNode> &nodes, const std::vector<double> &perNode);

/// The profile as a JSON member "profile": {"nodes": [...], "kinds": {...}, "rnnpool": [...]}.
void profileJson(JsonWriter &w, const std::vector<ProfileNode> &nodes,
                 const std::vector<double> &perNode);

} // namespace rnnpoolc::driver
