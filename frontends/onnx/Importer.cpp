// STUB: replaced by the ONNX importer.
#include "frontends/onnx/Importer.h"
namespace rnnpoolc::onnx_frontend {
Expected<ImportResult> importModel(const std::string &, const ImportOptions &) {
  return makeError("not implemented");
}
Expected<ImportResult> importModelFromBytes(const std::string &, const std::string &,
                                            const ImportOptions &) {
  return makeError("not implemented");
}
} // namespace rnnpoolc::onnx_frontend
