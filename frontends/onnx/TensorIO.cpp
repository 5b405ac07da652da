// STUB: replaced by tensor file I/O.
#include "frontends/onnx/TensorIO.h"
namespace rnnpoolc::onnx_frontend {
Expected<ir::TensorData> readTensorFile(const std::string &) { return makeError("not implemented"); }
Status writeTensorFile(const std::string &, const ir::TensorData &, const std::string &) {
  return makeError("not implemented");
}
} // namespace rnnpoolc::onnx_frontend
