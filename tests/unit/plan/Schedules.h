// Test helper: schedules written by hand, for tests that build a plan of one region directly.
#pragma once

#include "compiler/plan/Builder.h"

namespace rnnpoolc::testing {

/// Every node of `g` in its topological order, all in one region of `strategy` (tiles of
/// `tile` x `tile` output positions; row bands one row at a time).
inline plan::Schedule oneRegion(const ir::Graph &g, plan::Strategy strategy, int64_t tile = 1) {
  plan::Schedule schedule;
  plan::RegionInfo region;
  region.strategy = strategy;
  region.tileRows = strategy == plan::Strategy::Tiles ? tile : 1;
  region.tileCols = strategy == plan::Strategy::Tiles ? tile : 0;
  for (size_t n = 0; n < g.nodes.size(); ++n)
    schedule.order.push_back(n), region.nodes.push_back(n);
  schedule.regions = {region};
  return schedule;
}

} // namespace rnnpoolc::testing
