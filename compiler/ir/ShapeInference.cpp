// STUB: replaced by the shape inference implementation.
#include "compiler/ir/ShapeInference.h"
namespace rnnpoolc::ir {
Status inferShapes(Graph &, Node &node) { return nodeError(node, "shape inference not implemented"); }
int64_t slidingOutputSize(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool) { return 0; }
std::optional<Shape> broadcastShapes(const Shape &, const Shape &) { return std::nullopt; }
} // namespace rnnpoolc::ir
