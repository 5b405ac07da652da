// A backend: prints the lowered model (targets/Lowered.h) as the files of an output
// directory. Lowering is shared; a target only decides how its output looks.
#pragma once

#include "targets/Lowered.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rnnpoolc::targets {

struct CodegenOptions {
  std::string target = "cortex-m4"; ///< "cortex-m4" or "host" (recorded in the banner)
  std::string command;              ///< The rnnpoolc command line, for the banner.
  std::string modelPath;
  std::string modelHash;            ///< Hex digest of the model file.
};

struct GeneratedFile {
  std::string name; ///< Relative to the output directory.
  std::string text;
};

class Target {
public:
  virtual ~Target() = default;
  /// "c": what `--backend` would name it.
  virtual std::string_view name() const = 0;
  /// Whether it runs a reduction that the plan accumulates a band of input rows at a time
  /// (plan::PlanOptions::accumulateReductions, plan::Step::accumulate) in a build of
  /// `precision`; the driver plans without accumulation for a target that does not.
  virtual bool accumulatesReductions(Precision precision) const = 0;
  /// Whether the plan may run depthwise convs in place (plan::PlanOptions::depthwiseInPlace:
  /// less RAM for a copy of each output row and a kernel call per chunk of it).
  virtual bool runsDepthwiseInPlace() const { return true; }
  /// Whether the plan may compute 1x1 expansions inside the depthwise convs after them
  /// (plan::PlanOptions::fuseExpansions: less RAM for a kernel call per group of channels).
  virtual bool fusesExpansions() const { return true; }
  /// Whether its plans recompute tile halos by default (up to plan::PlanOptions::macOverhead
  /// extra MACs) where that saves RAM. One whose RAM is not the limit (the LLVM backend's
  /// host) is planned without recomputing unless --mac-overhead or --ram-budget asks: the
  /// halos cost time there (MobileNetV2-RNNPool float 10%).
  virtual bool recomputesByDefault() const { return true; }
  /// Every file of the output directory except the plan reports.
  virtual Expected<std::vector<GeneratedFile>> emit(const LoweredModel &lowered,
                                                    const CodegenOptions &options) const = 0;
};

/// The C backend (targets/c): fixed-point or float C for Cortex-M4 and the host.
std::unique_ptr<Target> makeCTarget();

/// Lowers `model` following `plan` and has `target` emit it.
Expected<std::vector<GeneratedFile>> generate(const Target &target,
                                              const quant::QuantizedModel &model,
                                              const plan::Plan &plan,
                                              const CodegenOptions &options);

/// Lowers the float build `model` following `plan` and has `target` emit it.
Expected<std::vector<GeneratedFile>> generate(const Target &target, const FloatModel &model,
                                              const plan::Plan &plan,
                                              const CodegenOptions &options);

} // namespace rnnpoolc::targets
