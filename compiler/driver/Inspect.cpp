// `rnnpoolc inspect`: what a model is made of, as text or as one JSON document.
#include "compiler/driver/Driver.h"
#include "compiler/driver/Flags.h"
#include "compiler/ir/OpInfo.h"
#include "compiler/ir/Printer.h"
#include "compiler/support/Escape.h"
#include "compiler/support/Json.h"
#include "frontends/onnx/Importer.h"

#include <fmt/format.h>

#include <cstdio>

namespace rnnpoolc::driver {
namespace {

constexpr const char *kHelp = R"(usage: rnnpoolc inspect MODEL.onnx [options]

Prints the model's producer and opset, inputs and outputs with shapes, an op histogram,
parameter count and bytes, MACs per node and in total, the largest activation, the
RNNPool layers found (and near misses), and for each backend (int8 C, the default, and
float C, --float) every node it cannot compile yet.
The graph shown is the canonical one the compiler works on (constants folded, BatchNorm
folded into Conv/Gemm, activations fused, identities removed).

Options:
  --json                     print one JSON document instead (docs/inspect-json.md)
  --input-shape NAME=DIMS    fix the shape of an input, e.g. input=1x3x224x224
  --ir                       print the canonical graph, one line per node, instead
  --ops                      list the ONNX ops rnnpoolc supports and exit
  --help                     print this help
)";

std::string valueSignature(const ir::Tensor &t) {
  return fmt::format("{}[{}]", ir::name(t.dtype), ir::toString(t.shape));
}

std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t k = 0; k < digits.size(); ++k) {
    if (k && (digits.size() - k) % 3 == 0 && digits[k - 1] != '-')
      out += ',';
    out += digits[k];
  }
  return out;
}

struct Summary {
  std::vector<BackendGap> fixedGaps, floatGaps; ///< What each backend cannot compile yet.
  std::map<std::string, int> histogram;
  int64_t params = 0, paramBytes = 0, macs = 0;
  std::vector<int64_t> nodeMacs;
  ir::TensorId largest = ir::kNoTensor;
  int64_t largestBytes = 0;
};

Summary summarize(const ir::Graph &graph) {
  Summary s;
  std::vector<char> counted(graph.numTensors(), 0);
  auto consider = [&](ir::TensorId id) {
    const ir::Tensor &t = graph.tensor(id);
    auto bytes = static_cast<int64_t>(ir::numel(t.shape) * ir::sizeOf(t.dtype));
    if (bytes > s.largestBytes) {
      s.largestBytes = bytes;
      s.largest = id;
    }
  };
  for (ir::TensorId in : graph.inputs)
    consider(in);
  for (const ir::Node &node : graph.nodes) {
    ++s.histogram[std::string(ir::opName(node.op))];
    s.nodeMacs.push_back(ir::macs(graph, node));
    s.macs += s.nodeMacs.back();
    for (ir::TensorId out : node.outputs)
      consider(out);
    for (ir::TensorId in : node.inputs) {
      if (in == ir::kNoTensor || counted[static_cast<size_t>(in)] ||
          !graph.tensor(in).isConstant())
        continue;
      counted[static_cast<size_t>(in)] = 1;
      s.params += graph.tensor(in).data->numel();
      s.paramBytes += static_cast<int64_t>(graph.tensor(in).data->bytes());
    }
  }
  return s;
}

/// "gate/update", e.g. "sigmoid/tanh".
std::string cellSummary(const ir::FastGrnnAttrs &cell) {
  return fmt::format("{}/{}", ir::name(cell.gate), ir::name(cell.update));
}

/// The RNNPool section: one line per RNNPool node, or "none found".
void printRNNPools(const ir::Graph &g, const Summary &s) {
  bool any = false;
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const ir::Node &node = g.nodes[n];
    if (node.op != ir::OpKind::RNNPool)
      continue;
    const auto &a = node.attr<ir::RNNPoolAttrs>();
    const ir::Shape &x = g.tensor(node.inputs[0]).shape;
    fmt::print("RNNPool    {}: encoding {}, patch {}x{}, stride {}x{}, k {}, h1 {}, h2 {}, "
               "ranks w1 {} u1 {} w2 {} u2 {}, rnn1 {}, rnn2 {}, MACs {}, replaces {} "
               "node{}\n",
               escapeForMessage(node.name), a.encoding, a.patch[0], a.patch[1], a.stride[0], a.stride[1],
               x.size() > 1 ? x[1] : 0, a.rnn1.hidden, a.rnn2.hidden, a.rnn1.rankW,
               a.rnn1.rankU, a.rnn2.rankW, a.rnn2.rankU, cellSummary(a.rnn1),
               cellSummary(a.rnn2), withCommas(s.nodeMacs[n]), a.replacedNodes,
               a.replacedNodes == 1 ? "" : "s");
    any = true;
  }
  if (!any)
    fmt::print("RNNPool    none found\n");
  for (const ir::NearMiss &miss : g.nearMisses)
    fmt::print("near miss  {}: not fused: {}\n", miss.name.empty() ? "(unnamed)" : escapeForMessage(miss.name),
               escapeForMessage(miss.reason));
}

/// One line per backend: every node it cannot compile yet, or that it compiles them all.
void printBackends(const Summary &s) {
  auto line = [](const char *label, const std::vector<BackendGap> &gaps) {
    if (gaps.empty()) {
      fmt::print("{:<11}compiles every node\n", label);
      return;
    }
    std::string all;
    for (const BackendGap &gap : gaps)
      all += (all.empty() ? "" : "; ") + escapeForMessage(gap.message);
    fmt::print("{:<11}cannot compile yet ({} problem{}): {}\n", label, gaps.size(),
               gaps.size() == 1 ? "" : "s", all);
  };
  line("int8 C", s.fixedGaps);
  line("float C", s.floatGaps);
}

void printText(const LoadedModel &model, const Summary &s) {
  const ir::Graph &g = model.graph;
  fmt::print("model      {}\n", escapeForMessage(model.path));
  fmt::print("producer   {} {}, opset {}\n", g.producerName.empty() ? "?" : escapeForMessage(g.producerName),
             escapeForMessage(g.producerVersion), g.opsetVersion);
  for (ir::TensorId in : g.inputs)
    fmt::print("input      {}: {}\n", escapeForMessage(g.tensor(in).name), valueSignature(g.tensor(in)));
  for (ir::TensorId out : g.outputs)
    fmt::print("output     {}: {}\n", escapeForMessage(g.tensor(out).name), valueSignature(g.tensor(out)));
  fmt::print("nodes      {} ({} imported, before canonicalisation)\n", g.nodes.size(),
             model.importedNodes);
  std::string ops;
  for (const auto &[op, count] : s.histogram)
    ops += fmt::format("{}{} x{}", ops.empty() ? "" : ", ", op, count);
  fmt::print("ops        {}\n", ops.empty() ? "none" : ops);
  fmt::print("params     {} ({} bytes)\n", withCommas(s.params), withCommas(s.paramBytes));
  fmt::print("MACs       {}\n", withCommas(s.macs));
  if (s.largest != ir::kNoTensor)
    fmt::print("largest    {}: {} ({} bytes)\n", escapeForMessage(g.tensor(s.largest).name),
               valueSignature(g.tensor(s.largest)), withCommas(s.largestBytes));
  printRNNPools(g, s);
  printBackends(s);

  if (g.nodes.empty())
    return;
  size_t nameWidth = 4;
  for (const ir::Node &node : g.nodes)
    nameWidth = std::max(nameWidth, escapeForMessage(node.name).size());
  fmt::print("\n{:<{}}  {:<18}  {:<16}  {:>14}\n", "node", nameWidth, "op", "output", "MACs");
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const ir::Node &node = g.nodes[n];
    fmt::print("{:<{}}  {:<18}  {:<16}  {:>14}\n", escapeForMessage(node.name), nameWidth, ir::opName(node.op),
               ir::toString(g.tensor(node.outputs[0]).shape), withCommas(s.nodeMacs[n]));
  }
}

void writeValues(JsonWriter &json, const ir::Graph &g, const std::vector<ir::TensorId> &ids) {
  json.beginArray();
  for (ir::TensorId id : ids) {
    const ir::Tensor &t = g.tensor(id);
    json.beginObject().member("name", t.name).member("dtype", ir::name(t.dtype));
    json.member("shape", t.shape).endObject();
  }
  json.endArray();
}

void writeCell(JsonWriter &json, const ir::FastGrnnAttrs &cell) {
  json.beginObject().member("hidden", cell.hidden);
  json.member("rank_w", cell.rankW).member("rank_u", cell.rankU);
  json.member("gate", ir::name(cell.gate)).member("update", ir::name(cell.update));
  json.endObject();
}

/// The "rnnpool" array: one object per RNNPool node.
void writeRNNPools(JsonWriter &json, const ir::Graph &g, const Summary &s) {
  json.beginArray();
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const ir::Node &node = g.nodes[n];
    if (node.op != ir::OpKind::RNNPool)
      continue;
    const auto &a = node.attr<ir::RNNPoolAttrs>();
    const ir::Shape &x = g.tensor(node.inputs[0]).shape;
    json.beginObject().member("name", node.name).member("encoding", a.encoding);
    json.member("patch", a.patch).member("stride", a.stride);
    json.member("k", x.size() > 1 ? x[1] : int64_t{0});
    json.member("h1", a.rnn1.hidden).member("h2", a.rnn2.hidden);
    json.key("rnn1");
    writeCell(json, a.rnn1);
    json.key("rnn2");
    writeCell(json, a.rnn2);
    json.member("macs", s.nodeMacs[n]).member("replaced_nodes", a.replacedNodes);
    json.endObject();
  }
  json.endArray();
}

void printJson(const LoadedModel &model, const Summary &s) {
  const ir::Graph &g = model.graph;
  JsonWriter json;
  json.beginObject();
  json.member("model", model.path);
  json.member("producer", g.producerName).member("producer_version", g.producerVersion);
  json.member("opset", g.opsetVersion);
  json.key("inputs");
  writeValues(json, g, g.inputs);
  json.key("outputs");
  writeValues(json, g, g.outputs);
  json.member("imported_nodes", model.importedNodes);
  json.key("op_histogram").beginObject();
  for (const auto &[op, count] : s.histogram)
    json.member(op, count);
  json.endObject();
  json.member("params", s.params).member("param_bytes", s.paramBytes);
  json.member("macs", s.macs);
  json.key("largest_activation").beginObject();
  if (s.largest != ir::kNoTensor) {
    json.member("name", g.tensor(s.largest).name).member("shape", g.tensor(s.largest).shape);
    json.member("bytes", s.largestBytes);
  }
  json.endObject();
  json.key("nodes").beginArray();
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const ir::Node &node = g.nodes[n];
    json.beginObject().member("name", node.name).member("op", ir::opName(node.op));
    json.member("output_shape", g.tensor(node.outputs[0]).shape);
    json.member("macs", s.nodeMacs[n]).endObject();
  }
  json.endArray();
  json.key("rnnpool");
  writeRNNPools(json, g, s);
  json.key("near_misses").beginArray();
  for (const ir::NearMiss &miss : g.nearMisses)
    json.beginObject().member("name", miss.name).member("reason", miss.reason).endObject();
  json.endArray();
  json.key("backends").beginObject();
  for (auto [key, gaps] : {std::pair{"int8", &s.fixedGaps}, std::pair{"float", &s.floatGaps}}) {
    json.key(key).beginArray();
    for (const BackendGap &gap : *gaps)
      json.beginObject()
          .member("name", gap.node)
          .member("op", gap.op)
          .member("error", gap.message)
          .endObject();
    json.endArray();
  }
  json.endObject();
  json.key("notes").beginArray();
  for (const std::string &note : model.notes)
    json.value(note);
  json.endArray();
  json.endObject();
  fmt::print("{}\n", json.str());
}

} // namespace

Status runInspect(Args args) {
  std::string path;
  bool asJson = false, asIr = false;
  std::map<std::string, ir::Shape> inputShapes;
  bool listOps = false;
  Flags flags("inspect", kHelp, "rnnpoolc inspect --help");
  flags.optionalModel(path)
      .flag("--json", asJson)
      .flag("--ir", asIr)
      .flag("--ops", listOps)
      .values("--input-shape",
              [&](const std::string &v) { return parseInputShape(v, inputShapes); });
  auto helped = flags.parse(args);
  if (!helped)
    return helped.error();
  if (*helped)
    return Status::ok();
  if (listOps) {
    for (const std::string &op : onnx_frontend::supportedOnnxOps())
      fmt::print("{}\n", op);
    return Status::ok();
  }
  if (path.empty())
    return makeError("inspect: missing MODEL.onnx; see 'rnnpoolc inspect --help'");

  auto model = loadModel(path, inputShapes);
  if (!model)
    return model.error();
  if (asIr) {
    fmt::print("{}", ir::printGraph(model->graph));
    return Status::ok();
  }
  Summary summary = summarize(model->graph);
  summary.fixedGaps = fixedPointGaps(model->graph);
  summary.floatGaps = floatGaps(model->graph);
  if (asJson)
    printJson(*model, summary);
  else
    printText(*model, summary);
  return Status::ok();
}

} // namespace rnnpoolc::driver
