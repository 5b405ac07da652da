// STUB: replaced by the graph printer.
#include "compiler/ir/Printer.h"
namespace rnnpoolc::ir {
std::string printGraph(const Graph &) { return ""; }
std::string printAttrs(const Node &) { return ""; }
} // namespace rnnpoolc::ir
