// The table of ONNX ops the importer accepts: one entry per (domain, op type), each with
// the translator that turns its attributes and operands into the IR's conventions.
#pragma once

#include "compiler/support/Error.h"

#include <span>
#include <string_view>

namespace rnnpoolc::onnx_frontend {

class NodeContext;

/// Sets the IR node's attributes and rewrites its operands; nullptr for ops that map 1:1
/// onto the IR op of the same name and have no attributes.
using Translator = Status (*)(NodeContext &);

struct OpEntry {
  std::string_view domain; ///< "" for the standard domain (also spelled "ai.onnx").
  std::string_view opType;
  Translator translate;
};

/// Every supported op, in a stable order.
std::span<const OpEntry> opTable();

/// The entry for an op, or nullptr when rnnpoolc does not support it.
const OpEntry *findOp(std::string_view domain, std::string_view opType);

} // namespace rnnpoolc::onnx_frontend
