// Small helpers on ONNX protobuf messages shared by the frontend's files.
#pragma once

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <string>

namespace rnnpoolc::onnx_frontend {

/// True for the standard operator domain, which models spell "" or "ai.onnx".
inline bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

/// "node 'NAME' (OpType)", the prefix of every diagnostic about a node.
inline std::string describeNode(const onnx::NodeProto &node) {
  return fmt::format("node '{}' ({})", node.name(), node.op_type());
}

} // namespace rnnpoolc::onnx_frontend
