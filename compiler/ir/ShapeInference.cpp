// STUB: replaced by the shape inference implementation.
#include "compiler/ir/ShapeInference.h"
namespace rnnpoolc::ir {
Status inferShapes(Graph &, Node &node) { return nodeError(node, "shape inference not implemented"); }
} // namespace rnnpoolc::ir
