// STUB: replaced by the interpreter.
#include "compiler/interp/Interpreter.h"
namespace rnnpoolc::interp {
Expected<std::vector<ir::TensorData>> evaluate(const ir::Node &node,
                                               std::span<const ir::TensorData *const>) {
  return ir::nodeError(node, "not implemented");
}
Expected<std::vector<ir::TensorData>> run(const ir::Graph &, const std::vector<ir::TensorData> &,
                                          const Observer &) {
  return makeError("not implemented");
}
} // namespace rnnpoolc::interp
