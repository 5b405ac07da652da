// The shared half of every backend: lowering, then the target's printer.
#include "targets/Target.h"

namespace rnnpoolc::targets {

namespace {

Expected<std::vector<GeneratedFile>> emitLowered(const Target &target,
                                                 const Expected<LoweredModel> &lowered,
                                                 const CodegenOptions &options) {
  if (!lowered)
    return lowered.error();
  return target.emit(*lowered, options);
}

} // namespace

Expected<std::vector<GeneratedFile>> generate(const Target &target,
                                              const quant::QuantizedModel &model,
                                              const plan::Plan &plan,
                                              const CodegenOptions &options) {
  return emitLowered(target, lower(model, plan), options);
}

Expected<std::vector<GeneratedFile>> generate(const Target &target, const FloatModel &model,
                                              const plan::Plan &plan,
                                              const CodegenOptions &options) {
  return emitLowered(target, lower(model, plan), options);
}

} // namespace rnnpoolc::targets
