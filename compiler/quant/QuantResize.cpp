// The layer builder of rp_resize_s8 (runtime/rp_resize.c): Resize of the rows and columns
// of a map, its source coordinates as Q11 tables computed here from compiler/ir/Resize.h's
// taps. Nearest copies bytes and linear interpolates the raw bytes with weights summing to
// one, so the output keeps the input's (scale, zero point) either way.
#include "compiler/ir/Resize.h"
#include "compiler/quant/QuantInternal.h"

#include <cmath>

namespace rnnpoolc::quant {
namespace {

constexpr int32_t kOne = 2048; // 1.0 in Q11

/// Each tap as first index * 2048 + the Q11 weight of the next index (0 when it reads one).
std::vector<int32_t> q11Table(const std::vector<ir::ResizeTap> &taps) {
  std::vector<int32_t> table;
  table.reserve(taps.size());
  for (const ir::ResizeTap &t : taps) {
    auto index = static_cast<int32_t>(t.i0);
    auto weight = static_cast<int32_t>(std::lround(t.frac * kOne));
    if (weight == kOne) // a fraction within 2^-12 of one reads the next index alone
      ++index, weight = 0;
    table.push_back(index * kOne + weight);
  }
  return table;
}

} // namespace

Expected<Layer> buildResize(const Context &ctx, const ir::Node &node) {
  auto plan = ir::resizeMapPlan(ctx.graph, node);
  if (!plan)
    return plan.error();
  rp_resize_params p{};
  p.channels = static_cast<int32_t>(plan->channels);
  p.in_h = static_cast<int32_t>(plan->inH), p.in_w = static_cast<int32_t>(plan->inW);
  p.out_h = static_cast<int32_t>(plan->outH), p.out_w = static_cast<int32_t>(plan->outW);
  p.linear = plan->linear ? 1 : 0;
  Layer layer;
  p.src_y = addArray(layer, "src_y", q11Table(plan->rows));
  p.src_x = addArray(layer, "src_x", q11Table(plan->cols));
  layer.params = p;
  return layer;
}

} // namespace rnnpoolc::quant
