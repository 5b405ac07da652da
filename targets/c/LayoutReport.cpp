// Stand-in plan reports for ArenaLayout (see LayoutReport.h).
#include "targets/c/LayoutReport.h"

#include "compiler/ir/OpInfo.h"
#include "compiler/support/Json.h"
#include "targets/c/CEmitter.h"

#include <fmt/format.h>

namespace rnnpoolc::targets::c {

std::string layoutText(const quant::QuantizedModel &model, const ArenaLayout &layout) {
  const ir::Graph &g = model.graph;
  std::string s = fmt::format("plan: {}\n\n{:>4}  {:<28} {:<10} {:<16} {:>8} {:>8} {:>8}\n",
                              layout.planner, "step", "node", "kernel", "output", "offset",
                              "bytes", "scratch");
  for (size_t k = 0; k < layout.order.size(); ++k) {
    size_t n = layout.order[k];
    const ir::Tensor &out = g.tensor(g.nodes[n].outputs[0]);
    s += fmt::format("{:>4}  {:<28} {:<10} {:<16} {:>8} {:>8} {:>8}\n", k,
                     g.nodes[n].name.substr(0, 28), quant::name(model.layers[n].kind),
                     ir::toString(out.shape), layout.tensorOffset[g.nodes[n].outputs[0]],
                     ir::checkedNumel(out.shape).value_or(0), layout.scratchBytes[n]);
  }
  s += fmt::format("\npeak RAM (arena): {} bytes\nweights (flash):  {} bytes\n",
                   layout.arenaBytes, weightsBytes(model));
  return s;
}

std::string layoutJson(const quant::QuantizedModel &model, const ArenaLayout &layout) {
  const ir::Graph &g = model.graph;
  JsonWriter w;
  w.beginObject().member("planner", layout.planner).key("steps").beginArray();
  for (size_t n : layout.order) {
    const ir::Tensor &out = g.tensor(g.nodes[n].outputs[0]);
    w.beginObject()
        .member("node", g.nodes[n].name)
        .member("op", std::string(ir::opName(g.nodes[n].op)))
        .member("kernel", std::string(quant::name(model.layers[n].kind)))
        .member("output", out.name)
        .member("output_shape", out.shape)
        .member("offset", layout.tensorOffset[g.nodes[n].outputs[0]])
        .member("bytes", ir::checkedNumel(out.shape).value_or(0))
        .member("scratch_offset", layout.scratchOffset[n])
        .member("scratch_bytes", layout.scratchBytes[n])
        .endObject();
  }
  w.endArray().key("summary").beginObject();
  w.member("peak_ram_bytes", layout.arenaBytes).member("weights_bytes", weightsBytes(model));
  w.endObject().endObject();
  return w.str() + "\n";
}

} // namespace rnnpoolc::targets::c
