// STUB: replaced by the op cost and receptive-field implementation.
#include "compiler/ir/OpInfo.h"
namespace rnnpoolc::ir {
int64_t macs(const Graph &, const Node &) { return 0; }
bool isSpatial(const Node &) { return false; }
Region inputRegion(const Graph &, const Node &, size_t, const Region &out) { return out; }
} // namespace rnnpoolc::ir
