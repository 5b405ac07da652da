// The shared half of every backend: lowering, then the target's printer.
#include "targets/Target.h"

namespace rnnpoolc::targets {

Expected<std::vector<GeneratedFile>> generate(const Target &target,
                                              const quant::QuantizedModel &model,
                                              const plan::Plan &plan,
                                              const CodegenOptions &options) {
  auto lowered = lower(model, plan);
  if (!lowered)
    return lowered.error();
  return target.emit(*lowered, options);
}

Expected<std::vector<GeneratedFile>> generate(const Target &target, const FloatModel &model,
                                              const plan::Plan &plan,
                                              const CodegenOptions &options) {
  auto lowered = lower(model, plan);
  if (!lowered)
    return lowered.error();
  return target.emit(*lowered, options);
}

} // namespace rnnpoolc::targets
