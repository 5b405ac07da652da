// Test helpers for plans built from schedules written by hand: a schedule of one region,
// its plan built, placed and verified, and what the plan's rings hold.
#pragma once

#include "compiler/plan/Builder.h"
#include "compiler/plan/Verifier.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

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

/// `schedule`'s plan under `options`, placed as the chosen plan is; it must verify.
inline plan::Plan verifiedPlan(const ir::Graph &g, const plan::Schedule &schedule,
                               const plan::BuildOptions &options) {
  auto p = plan::buildPlan(g, schedule, options);
  INFO((p ? std::string() : p.error().message()));
  REQUIRE(p);
  plan::placeBuffers(*p, plan::Placement::Final);
  auto ok = plan::verifyPlan(g, *p);
  INFO((ok ? std::string() : ok.error().message()));
  REQUIRE(ok);
  return std::move(*p);
}

/// The Pads whose input rows lie in their output ring (plan::Builder::padViews).
inline std::set<std::string> padsWithViews(const ir::Graph &g, const plan::Plan &p) {
  const std::vector<int> producers = g.producers();
  std::set<std::string> pads;
  for (const plan::Buffer &b : p.buffers) {
    if (b.within < 0)
      continue;
    const int host =
        producers[static_cast<size_t>(p.buffers[static_cast<size_t>(b.within)].tensor)];
    const ir::Node *pad = host >= 0 ? &g.nodes[static_cast<size_t>(host)] : nullptr;
    if (pad && pad->op == ir::OpKind::Pad && pad->inputs[0] == b.tensor)
      pads.insert(pad->name);
  }
  return pads;
}

} // namespace rnnpoolc::testing
