// Lowering Resize for the float build: rp_resize_f32 over whole maps, its source
// coordinates (first index + weight of the next) as float tables from compiler/ir/Resize.h.
#include "compiler/ir/Resize.h"
#include "targets/FloatLowering.h"

namespace rnnpoolc::targets {
namespace {

std::vector<float> coordinates(const std::vector<ir::ResizeTap> &taps) {
  std::vector<float> table;
  table.reserve(taps.size());
  for (const ir::ResizeTap &t : taps) {
    // A fraction that rounds up to the next whole number in float reads that index alone.
    table.push_back(static_cast<float>(static_cast<double>(t.i0) + t.frac));
  }
  return table;
}

} // namespace

Expected<FloatStep> lowerResizeF32(const ir::Graph &g, const ir::Node &node) {
  auto plan = ir::resizeMapPlan(g, node);
  if (!plan)
    return plan.error();
  FloatStep s;
  s.kind = FloatKind::Resize;
  s.arrays = {{"src_y", coordinates(plan->rows)}, {"src_x", coordinates(plan->cols)}};
  FloatParams p(&s.arrays);
  p.add("channels", plan->channels), p.add("in_h", plan->inH), p.add("in_w", plan->inW);
  p.add("out_h", plan->outH), p.add("out_w", plan->outW), p.add("linear", plan->linear);
  p.ptr("src_y", "src_y"), p.ptr("src_x", "src_x");
  s.params = p.take();
  return s;
}

} // namespace rnnpoolc::targets
