// RNNPool in plans: the MACs of a step are what its kernel sweeps (each RNN1 segment of a
// call once, and not again after the band above when the step carries its scratch); row
// bands carry, int8 and float, so they cost what the whole layer does; the verifier checks the count
// from the steps alone; a RAM budget may trade the carry for memory.
#include "compiler/interp/PlanExecutor.h"
#include "compiler/ir/OpInfo.h"
#include "compiler/passes/Passes.h"
#include "compiler/plan/Builder.h"
#include "compiler/plan/Planner.h"
#include "compiler/plan/Verifier.h"
#include "tests/unit/passes/Builder.h"
#include "tests/unit/plan/Schedules.h"

#include <random>
#include <set>

using namespace rnnpoolc;
using ir::OpKind;
using testing::Builder;

namespace {

ir::RNNPoolAttrs poolAttrs(int64_t ph, int64_t pw, int64_t sh, int64_t sw, int64_t h1,
                           int64_t h2) {
  ir::RNNPoolAttrs a;
  a.patch = {ph, pw};
  a.stride = {sh, sw};
  a.rnn1.hidden = h1;
  a.rnn2.hidden = h2;
  a.encoding = "node";
  return a;
}

/// Appends one full-rank cell's constants (W, U, b_z, b_h, zeta, nu).
void addCell(Builder &b, std::vector<ir::TensorId> &in, const std::string &p, int64_t inSize,
             int64_t h) {
  in.push_back(b.constant(p + "W", {inSize, h}, -0.5f, 0.5f));
  in.push_back(b.constant(p + "U", {h, h}, -0.5f, 0.5f));
  in.push_back(b.constant(p + "bz", {1, h}));
  in.push_back(b.constant(p + "bh", {h}));
  in.push_back(b.constant(p + "zeta", {1, 1}));
  in.push_back(b.constant(p + "nu", {1, 1}));
}

ir::TensorId rnnPool(Builder &b, const std::string &name, ir::TensorId x, int64_t channels,
                     const ir::RNNPoolAttrs &a) {
  std::vector<ir::TensorId> in{x};
  addCell(b, in, name + ".r1.", channels, a.rnn1.hidden);
  addCell(b, in, name + ".r2.", a.rnn1.hidden, a.rnn2.hidden);
  return b.node(OpKind::RNNPool, name, in, a);
}

/// MACs of one FastGRNN step, full rank: x.W, h.U and 4h for the update.
int64_t stepMacs(int64_t in, int64_t h) { return in * h + h * h + 4 * h; }

/// The oracle: the RNN1 segments a call computing `out` needs, as sets (a row segment is
/// an input row and a patch column; a column segment a patch row and an input column), the
/// rows the call for patch row out.row0 - 1 covered removed when it `continues`; RNN2's
/// 2(ph + pw) steps per patch.
int64_t countedMacs(const ir::RNNPoolAttrs &a, int64_t channels, const ir::Region &out,
                    bool continues) {
  const int64_t ph = a.patch[0], pw = a.patch[1], sh = a.stride[0], sw = a.stride[1];
  std::set<std::pair<int64_t, int64_t>> rowSegments, columnSegments;
  const int64_t cachedBelow = continues ? (out.row0 - 1) * sh + ph : 0;
  for (int64_t i = out.row0; i < out.row1; ++i)
    for (int64_t j = out.col0; j < out.col1; ++j) {
      for (int64_t y = i * sh; y < i * sh + ph; ++y)
        if (y >= cachedBelow)
          rowSegments.insert({y, j});
      for (int64_t x = j * sw; x < j * sw + pw; ++x)
        columnSegments.insert({i, x});
    }
  const int64_t rnn1 = static_cast<int64_t>(rowSegments.size()) * pw +
                       static_cast<int64_t>(columnSegments.size()) * ph;
  const int64_t rnn2 = out.rows() * out.cols() * 2 * (ph + pw);
  return rnn1 * stepMacs(channels, a.rnn1.hidden) +
         rnn2 * stepMacs(a.rnn1.hidden, a.rnn2.hidden);
}

/// An RNNPool over a [1, channels, rows, cols] input, alone.
ir::Graph poolOnly(const ir::RNNPoolAttrs &a, int64_t channels, int64_t rows, int64_t cols) {
  Builder b;
  ir::TensorId x = b.input("x", {1, channels, rows, cols});
  b.g.outputs = {rnnPool(b, "pool", x, channels, a)};
  REQUIRE(passes::canonicalize(b.g));
  return std::move(b.g);
}

/// A face detector's front: a stride-2 conv to 4 channels, RNNPool 8x8 stride 4 (h1 = 8,
/// h2 = 8), then a 3x3 conv to `channels` and a 1x1 conv.
ir::Graph faceFront(int64_t rows, int64_t cols, int64_t channels = 16) {
  Builder b;
  ir::ConvAttrs conv;
  conv.kernel = {3, 3}, conv.strides = {2, 2}, conv.dilations = {1, 1}, conv.pads = {1, 1, 1, 1};
  ir::TensorId x = b.input("x", {1, 1, rows, cols});
  x = b.node(OpKind::Conv, "stem", {x, b.constant("stem_w", {4, 1, 3, 3})}, conv);
  x = b.node(OpKind::Relu, "stem_relu", {x});
  x = rnnPool(b, "pool", x, 4, poolAttrs(8, 8, 4, 4, 8, 8));
  conv.strides = {1, 1};
  x = b.node(OpKind::Conv, "block", {x, b.constant("block_w", {channels, 32, 3, 3})}, conv);
  x = b.node(OpKind::Relu, "block_relu", {x});
  conv.kernel = {1, 1}, conv.pads = {0, 0, 0, 0};
  b.g.outputs = {b.node(OpKind::Conv, "head", {x, b.constant("head_w", {8, channels, 1, 1})}, conv)};
  REQUIRE(passes::canonicalize(b.g));
  return std::move(b.g);
}

/// A frame of uniform values in [-1, 1) for the graph's input.
ir::TensorData randomFrame(const ir::Graph &g, unsigned seed) {
  std::vector<float> v(static_cast<size_t>(ir::numel(g.tensor(g.inputs[0]).shape)));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (float &x : v)
    x = dist(rng);
  return ir::TensorData::fromFloats(g.tensor(g.inputs[0]).shape, v);
}

/// Executes plan `p` from its arena and checks it gives `whole`'s bytes.
void requireRunsExactly(const ir::Graph &g, const plan::Plan &p, const ir::TensorData &input,
                        const ir::TensorData &whole) {
  auto planned = interp::executePlan(g, p, {input});
  INFO((planned ? std::string() : planned.error().message()));
  REQUIRE(planned);
  REQUIRE((*planned)[0].f.size() == whole.f.size());
  CHECK(std::memcmp((*planned)[0].f.data(), whole.f.data(), whole.f.size() * sizeof(float)) ==
        0);
}

const ir::Node &poolNode(const ir::Graph &g) {
  for (const ir::Node &n : g.nodes)
    if (n.op == OpKind::RNNPool)
      return n;
  FAIL("no RNNPool node");
  return g.nodes[0];
}

/// The RNNPool steps of a plan, in order.
std::vector<size_t> poolSteps(const ir::Graph &g, const plan::Plan &p) {
  std::vector<size_t> out;
  for (size_t s = 0; s < p.steps.size(); ++s)
    if (p.steps[s].kind == plan::StepKind::Compute &&
        g.nodes[p.steps[s].node].op == OpKind::RNNPool)
      out.push_back(s);
  return out;
}

} // namespace

TEST_CASE("RNNPool's MACs count each RNN1 segment of a call once") {
  std::mt19937 rng(11);
  auto pick = [&](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<unsigned>(hi - lo + 1));
  };
  for (int trial = 0; trial < 200; ++trial) {
    // Patches that overlap (stride below the patch), touch, or leave gaps.
    const int64_t ph = pick(1, 6), pw = pick(1, 6), sh = pick(1, 7), sw = pick(1, 7);
    const int64_t channels = pick(1, 5);
    const ir::RNNPoolAttrs a = poolAttrs(ph, pw, sh, sw, pick(1, 6), pick(1, 6));
    const int64_t rows = ph + sh * pick(0, 5), cols = pw + sw * pick(0, 5);
    ir::Graph g = poolOnly(a, channels, rows, cols);
    const ir::Node &node = poolNode(g);
    const ir::Shape &out = g.tensor(node.outputs[0]).shape;
    INFO("patch " << ph << "x" << pw << " stride " << sh << "x" << sw << " over " << rows << "x"
                  << cols);
    const ir::Region whole{0, out[2], 0, out[3]};
    CHECK(ir::macs(g, node) == countedMacs(a, channels, whole, false));
    CHECK(ir::rnnPoolRegionMacs(g, node, whole, false) == ir::macs(g, node));
    // Any region, afresh or continuing from the patch row above.
    const int64_t r0 = pick(0, out[2] - 1), r1 = pick(r0 + 1, out[2]);
    const int64_t c0 = pick(0, out[3] - 1), c1 = pick(c0 + 1, out[3]);
    const ir::Region part{r0, r1, c0, c1};
    CHECK(ir::rnnPoolRegionMacs(g, node, part, false) == countedMacs(a, channels, part, false));
    if (r0 > 0)
      CHECK(ir::rnnPoolRegionMacs(g, node, part, true) == countedMacs(a, channels, part, true));
    // Bands of one patch row that carry sum to the whole layer; afresh, each band after the
    // first sweeps again the rows it shares with the band above.
    int64_t carried = 0, afresh = 0;
    for (int64_t r = 0; r < out[2]; ++r) {
      carried += ir::rnnPoolRegionMacs(g, node, {r, r + 1, 0, out[3]}, r > 0);
      afresh += ir::rnnPoolRegionMacs(g, node, {r, r + 1, 0, out[3]}, false);
    }
    CHECK(carried == ir::macs(g, node));
    const int64_t shared = std::max<int64_t>(0, ph - sh);
    CHECK(afresh - carried ==
          (out[2] - 1) * shared * out[3] * pw * stepMacs(channels, a.rnn1.hidden));
  }
}

TEST_CASE("RNNPool's MACs halve RNN1's work when patches overlap by half") {
  // The face detectors' RNNPool: 8x8 patches at stride 4 over 4 channels, h1 = h2 = 16.
  ir::Graph g = poolOnly(poolAttrs(8, 8, 4, 4, 16, 16), 4, 120, 160);
  const ir::Node &node = poolNode(g);
  const int64_t rnn1 = stepMacs(4, 16), rnn2 = stepMacs(16, 16); // 384 and 576
  // 29 x 39 patches. Rows: 120 input rows, 39 segments of 8 each; columns: per patch row,
  // 160 input columns of 8 each; RNN2: 32 steps per patch.
  const int64_t want = (120 * 39 * 8 + 29 * 160 * 8) * rnn1 + 29 * 39 * 32 * rnn2;
  CHECK(ir::macs(g, node) == want);
  // Every patch's 128 RNN1 steps from scratch, as counted before: 1.5 times as many MACs.
  CHECK(29 * 39 * (128 * rnn1 + 32 * rnn2) > want * 3 / 2);
}

TEST_CASE("row bands of RNNPool carry its scratch and add no MACs") {
  ir::Graph g = faceFront(96, 128);
  auto p = plan::makePlan(g, plan::PlanOptions{});
  INFO((p ? std::string() : p.error().message()));
  REQUIRE(p);
  REQUIRE(plan::verifyPlan(g, *p));
  const std::vector<size_t> steps = poolSteps(g, *p);
  REQUIRE(steps.size() > 1); // in row bands
  // One scratch over every band, each band after the first going on from the one above.
  for (size_t k = 1; k < steps.size(); ++k)
    CHECK(plan::carries(g, p->steps[steps[k - 1]], p->steps[steps[k]]));
  CHECK(p->summary.macs == p->baseline.macs);

  SECTION("the verifier prices a band that no longer carries afresh") {
    // Give the last band a scratch of its own: it must sweep its shared rows again, so
    // the MACs it claims (the carried count) are too few.
    plan::Step &last = p->steps[steps.back()];
    plan::Buffer own = p->buffers[last.scratch];
    own.firstStep = own.lastStep = static_cast<int>(steps.back());
    p->buffers.push_back(own);
    last.scratch = static_cast<int>(p->buffers.size()) - 1;
    plan::placeBuffers(*p, plan::Placement::Greedy); // offsets, arena and peak anew
    auto result = plan::verifyPlan(g, *p);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message(), Catch::Contains("MACs"));
    // With the afresh count (and the totals), the verifier accepts it.
    const int64_t afresh =
        ir::rnnPoolRegionMacs(g, poolNode(g), last.out, /*continues=*/false);
    p->summary.macs += afresh - last.macs;
    last.macs = afresh;
    auto fixed = plan::verifyPlan(g, *p);
    INFO((fixed ? std::string() : fixed.error().message()));
    CHECK(fixed);
  }
  SECTION("the verifier rejects a band that claims the carried count afresh") {
    plan::Step &first = p->steps[steps.front()];
    first.macs = ir::rnnPoolRegionMacs(g, poolNode(g), {1, 2, 0, first.out.col1}, true);
    CHECK_FALSE(plan::verifyPlan(g, *p));
  }
}

TEST_CASE("float row bands of RNNPool carry too, and run to the same bytes") {
  // The float kernel goes on from the band above as the int8 one does
  // (RP_RNNPOOL_F32_CONTINUE): the same pricing, no MACs over layer by layer.
  ir::Graph g = faceFront(96, 128);
  plan::PlanOptions options;
  options.floatActivations = true;
  auto p = plan::makePlan(g, options);
  INFO((p ? std::string() : p.error().message()));
  REQUIRE(p);
  REQUIRE(plan::verifyPlan(g, *p));
  const std::vector<size_t> steps = poolSteps(g, *p);
  REQUIRE(steps.size() > 1); // in row bands
  for (size_t k = 1; k < steps.size(); ++k)
    CHECK(plan::carries(g, p->steps[steps[k - 1]], p->steps[steps[k]]));
  CHECK(p->summary.macs == p->baseline.macs);
  // The plan runs to the same bytes as whole tensors.
  const auto input = randomFrame(g, 3);
  auto whole = interp::run(g, {input});
  REQUIRE(whole);
  requireRunsExactly(g, *p, input, (*whole)[0]);
}

TEST_CASE("a RAM budget below the carried plan gives up the carry for RAM") {
  // Streamed, the carried scratch (live over every band) is what the arena peaks with;
  // each band afresh needs 120 B less and 15% more MACs.
  ir::Graph g = faceFront(96, 128, 32);
  plan::PlanOptions options;
  options.streamInput = true;
  options.macOverhead = 1.0;
  auto carried = plan::makePlan(g, options);
  REQUIRE(carried);
  options.carryScratch = false;
  auto afresh = plan::makePlan(g, options);
  REQUIRE(afresh);
  CHECK(plan::verifyPlan(g, *afresh));
  REQUIRE(afresh->summary.arenaBytes < carried->summary.arenaBytes);
  CHECK(afresh->summary.macs > carried->summary.macs);
  const std::vector<size_t> steps = poolSteps(g, *afresh);
  for (size_t k = 1; k < steps.size(); ++k)
    CHECK_FALSE(plan::carries(g, afresh->steps[steps[k - 1]], afresh->steps[steps[k]]));

  // Asked for less than the carried plan needs, makePlan gives the carry up by itself.
  options.carryScratch = true;
  options.ramBudget = carried->summary.arenaBytes - 1;
  auto p = plan::makePlan(g, options);
  INFO((p ? std::string() : p.error().message()));
  REQUIRE(p);
  CHECK(p->summary.arenaBytes <= options.ramBudget);
  CHECK(p->summary.macs > carried->summary.macs);
  // With room for the carried plan, the budget keeps it (the fewest MACs that fit).
  options.ramBudget = carried->summary.arenaBytes;
  auto roomy = plan::makePlan(g, options);
  REQUIRE(roomy);
  CHECK(roomy->summary.macs == carried->summary.macs);
}

TEST_CASE("row bands of RNNPool that hand their output off still carry, and run exactly") {
  // The stem and the RNNPool in row bands hand the pooled map to the blocks after them
  // (row bands or tiles): the pool's bands are asked for by the next region's, and each
  // still goes on from the one above.
  ir::Graph g = faceFront(96, 128);
  size_t pool = 0;
  while (g.nodes[pool].op != OpKind::RNNPool)
    ++pool;
  const auto input = randomFrame(g, 5);
  auto whole = interp::run(g, {input});
  REQUIRE(whole);
  for (bool tiledNext : {false, true})
    for (bool stream : {false, true}) {
      INFO((tiledNext ? "to tiles" : "to row bands") << (stream ? ", streamed" : ""));
      plan::Schedule schedule;
      plan::RegionInfo first, next;
      for (size_t n = 0; n < g.nodes.size(); ++n) {
        schedule.order.push_back(n);
        (n <= pool ? first : next).nodes.push_back(n);
      }
      first.strategy = plan::Strategy::RowBands, first.tileRows = 1, first.handOff = true;
      next.strategy = tiledNext ? plan::Strategy::Tiles : plan::Strategy::RowBands;
      next.tileRows = tiledNext ? 8 : 1, next.tileCols = tiledNext ? 8 : 0;
      schedule.regions = {first, next};
      REQUIRE(plan::mayHandOff(g, schedule, 0));
      plan::BuildOptions options;
      options.floatActivations = true, options.streamInput = stream;
      options.rowLifetimes = true, options.rowRuns = 0, options.carryScratch = true;
      const plan::Plan p = testing::verifiedPlan(g, schedule, options);
      const std::vector<size_t> steps = poolSteps(g, p);
      REQUIRE(steps.size() > 1);
      for (size_t k = 1; k < steps.size(); ++k)
        CHECK(plan::carries(g, p.steps[steps[k - 1]], p.steps[steps[k]]));
      requireRunsExactly(g, p, input, (*whole)[0]);
    }
}
