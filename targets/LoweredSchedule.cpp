// The plan's buffers and steps as the runtime's schedule walkers read them (see
// Lowered.h): shared by the int8 lowering and the float build, so that both print the same
// tables from one reading of the plan.
#include "targets/Lowered.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace rnnpoolc::targets {
namespace {

Status ioOffsets(const ir::Graph &g, const plan::Plan &p, LoweredSchedule &out) {
  const int last = std::max(0, static_cast<int>(p.steps.size()) - 1);
  for (ir::TensorId t : g.inputs) {
    const int b = p.streamedInput ? -1 : wholeBufferOf(g, p, t, 0, 0);
    if (!p.streamedInput && b < 0)
      return makeError("internal: the plan holds no whole buffer for input '{}'",
                       g.tensor(t).name);
    out.inputOffset.push_back(b < 0 ? -1 : p.buffers[b].offset);
  }
  for (ir::TensorId t : g.outputs) {
    const int b = wholeBufferOf(g, p, t, last, last);
    if (b < 0)
      return makeError("output '{}' is not computed into the arena (an output that is a "
                       "constant or an input is not supported)",
                       g.tensor(t).name);
    out.outputOffset.push_back(p.buffers[b].offset);
  }
  return Status::ok();
}

void buffers(const ir::Graph &g, const plan::Plan &p, LoweredSchedule &out) {
  for (const plan::Buffer &buf : p.buffers) {
    const plan::Extent e = plan::extentOf(g.tensor(buf.tensor));
    const bool ring = buf.kind == plan::BufferKind::Ring;
    LoweredBuffer b;
    b.offset = buf.offset;
    b.row0 = ring ? 0 : buf.region.row0;
    b.col0 = ring ? 0 : buf.region.col0;
    b.rows = ring ? e.rows : buf.region.rows();
    b.cols = ring ? e.cols : buf.region.cols();
    b.ringRows = buf.ringRows;
    b.channels = e.channels;
    b.kind = buf.kind, b.tensor = buf.tensor, b.bytes = buf.bytes;
    out.buffers.push_back(b);
  }
}

void steps(const ir::Graph &g, const plan::Plan &p, const std::vector<bool> &skipped,
           LoweredSchedule &out) {
  std::map<size_t, const plan::Step *> previous; // by node
  for (size_t k = 0; k < p.steps.size(); ++k) {
    const plan::Step &st = p.steps[k];
    if (skipped[k])
      continue;
    LoweredStep s;
    const bool stream = st.kind == plan::StepKind::Stream;
    s.layer = static_cast<int>(st.node);
    if (stream)
      s.layer = -1 - static_cast<int>(std::find(g.inputs.begin(), g.inputs.end(), st.streamed) -
                                      g.inputs.begin());
    for (size_t i = 0, found = 0; !stream && i < st.inputs.size() && found < 2; ++i)
      if (st.inputs[i] >= 0)
        s.in[found++] = st.inputs[i];
    s.out = st.outputs[0];
    s.scratch = st.scratch >= 0 ? p.buffers[st.scratch].offset : -1;
    s.region = st.out;
    if (st.accumulate) { // the input rows it adds; carry: the sums go on from the rows above
      s.region = st.reads[0];
      s.carry = st.reads[0].row0 > 0;
      out.steps.push_back(s);
      continue;
    }
    if (!stream) {
      const plan::Step *before = previous[st.node];
      s.carry = before && st.scratch >= 0 && before->scratch == st.scratch &&
                before->out.row1 == st.out.row0 && before->out.col0 == st.out.col0 &&
                before->out.col1 == st.out.col1;
      previous[st.node] = &st;
    }
    out.steps.push_back(s);
  }
}

} // namespace

Expected<LoweredSchedule> lowerSchedule(const ir::Graph &graph, const plan::Plan &plan,
                                        const std::vector<bool> &skipped) {
  LoweredSchedule out;
  out.streamedInput = plan.streamedInput;
  out.arenaBytes = plan.summary.arenaBytes;
  RNNPOOLC_TRY(ioOffsets(graph, plan, out));
  buffers(graph, plan, out);
  steps(graph, plan, skipped, out);
  return out;
}

} // namespace rnnpoolc::targets
