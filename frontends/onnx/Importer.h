// ONNX import: parse, check, and translate a model into an ir::Graph. This is the only
// part of rnnpoolc that sees protobuf; nothing downstream reads ONNX.
#pragma once

#include "compiler/ir/Graph.h"

#include <map>
#include <string>
#include <vector>

namespace rnnpoolc::onnx_frontend {

/// The opset range of the default ONNX domain that rnnpoolc accepts.
constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 17;

struct ImportOptions {
  /// Shapes that override or complete the model's declared input shapes, by input name.
  std::map<std::string, ir::Shape> inputShapes;
};

struct ImportResult {
  ir::Graph graph;
  /// Remarks for the user that are not errors (e.g. "symbolic batch dim 'N' set to 1").
  std::vector<std::string> notes;
};

/// Reads and imports the model at `path`. External data is read from the model's own
/// directory only. The resulting graph has constants, graph inputs with known shapes, and
/// nodes whose intermediate shapes are not yet inferred: run passes::canonicalize next.
/// Errors are single lines such as "node 'n3' (Foo): unsupported op ..." without the
/// file name, which the caller prefixes.
Expected<ImportResult> importModel(const std::string &path, const ImportOptions &options = {});

/// The ONNX op types the importer accepts, sorted ("Add", "AveragePool", ...); ops of
/// other domains are spelled "domain.OpType". `rnnpoolc inspect --ops` prints this list.
std::vector<std::string> supportedOnnxOps();

/// The same from serialized bytes; `baseDir` is where external data may be read from
/// ("" forbids external data).
Expected<ImportResult> importModelFromBytes(const std::string &bytes, const std::string &baseDir,
                                            const ImportOptions &options = {});

} // namespace rnnpoolc::onnx_frontend
