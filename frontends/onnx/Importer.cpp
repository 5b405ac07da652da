// ONNX import: load and check the model, then translate initializers, graph inputs and
// nodes (through the op table) into an ir::Graph.
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/FunctionInliner.h"

#include "frontends/onnx/GraphInputs.h"
#include "frontends/onnx/ModelLoader.h"
#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpTable.h"
#include "frontends/onnx/TensorConvert.h"

#include <algorithm>
#include <filesystem>

namespace rnnpoolc::onnx_frontend {
namespace {

/// One error listing every unsupported op type with the nodes that use it.
Status checkSupported(const onnx::GraphProto &graph) {
  struct Use {
    std::string op;
    std::vector<std::string> nodes;
  };
  std::vector<Use> uses; // in order of first appearance
  for (const onnx::NodeProto &node : graph.node()) {
    if (findOp(node.domain(), node.op_type()))
      continue;
    std::string op = isDefaultDomain(node.domain())
                         ? node.op_type()
                         : fmt::format("{}.{}", node.domain(), node.op_type());
    auto it = std::find_if(uses.begin(), uses.end(), [&](const Use &u) { return u.op == op; });
    if (it == uses.end())
      it = uses.insert(uses.end(), Use{op, {}});
    it->nodes.push_back(node.name());
  }
  if (uses.empty())
    return Status::ok();
  constexpr size_t kMaxNames = 5;
  std::vector<std::string> parts;
  for (const Use &use : uses) {
    std::vector<std::string> quoted;
    for (size_t k = 0; k < use.nodes.size() && k < kMaxNames; ++k)
      quoted.push_back(fmt::format("'{}'", use.nodes[k]));
    std::string more = use.nodes.size() > kMaxNames
                           ? fmt::format(" and {} more", use.nodes.size() - kMaxNames)
                           : "";
    parts.push_back(fmt::format("{} (node {}{})", use.op, fmt::join(quoted, ", "), more));
  }
  return makeError("unsupported ops: {}; rnnpoolc supports the ops listed by `rnnpoolc "
                   "inspect --ops`",
                   fmt::join(parts, ", "));
}

/// rnnpoolc's custom domain: its nodes need the model to import version 1 of it.
Status checkCustomOpset(const onnx::ModelProto &model) {
  constexpr std::string_view kDomain = "ai.rnnpoolc";
  bool used = std::any_of(model.graph().node().begin(), model.graph().node().end(),
                          [&](const onnx::NodeProto &n) { return n.domain() == kDomain; });
  if (!used)
    return Status::ok();
  for (const onnx::OperatorSetIdProto &import : model.opset_import())
    if (import.domain() == kDomain) {
      if (import.version() != 1)
        return makeError("opset {} of domain {} is not supported; rnnpoolc knows version 1",
                         import.version(), kDomain);
      return Status::ok();
    }
  return makeError("the model uses domain {} but does not import its opset (version 1)",
                   kDomain);
}

Status importInitializers(ImportState &state, const onnx::GraphProto &graph) {
  for (const onnx::TensorProto &init : graph.initializer()) {
    auto data = tensorFromProto(init, fmt::format("initializer '{}'", init.name()), state.notes);
    if (!data)
      return data.error();
    if (state.graph.findTensor(init.name()))
      return makeError("initializer '{}' is defined twice; every tensor needs exactly one "
                       "producer",
                       init.name());
    state.graph.addConstant(init.name(), std::move(*data));
  }
  return Status::ok();
}

/// Checks operand counts against the IR op's arity (after trailing omitted inputs are
/// dropped), dropping unused surplus outputs.
Status checkArity(NodeContext &ctx) {
  ir::Node &node = ctx.node;
  while (!node.inputs.empty() && node.inputs.back() == ir::kNoTensor)
    node.inputs.pop_back();
  ir::OpArity arity = ir::arityOf(node.op);
  auto inputs = static_cast<int>(node.inputs.size());
  if (inputs < arity.minInputs || (arity.maxInputs >= 0 && inputs > arity.maxInputs))
    return ctx.error("has {} inputs, but rnnpoolc takes {} to {}", inputs, arity.minInputs,
                     arity.maxInputs < 0 ? std::string("any number")
                                         : std::to_string(arity.maxInputs));
  for (int k = 0; k < arity.minInputs; ++k)
    if (node.inputs[static_cast<size_t>(k)] == ir::kNoTensor)
      return ctx.error("input {} is required, but omitted", k);
  if (arity.maxOutputs >= 0)
    RNNPOOLC_TRY(ctx.dropExtraOutputs(static_cast<size_t>(arity.maxOutputs), "an extra output"));
  if (static_cast<int>(ctx.outputCount) < arity.minOutputs)
    return ctx.error("has {} outputs, but needs at least {}", ctx.outputCount, arity.minOutputs);
  return Status::ok();
}

Status importNode(ImportState &state, const onnx::NodeProto &proto, int64_t opset,
                  const OpEntry &entry) {
  NodeContext ctx(state, proto, opset);
  ctx.node.op = ir::opFromName(proto.op_type()).value_or(ir::OpKind::Identity);
  ctx.node.attrs = ir::defaultAttrs(ctx.node.op);
  for (const std::string &name : proto.input()) {
    if (name.empty()) {
      ctx.node.inputs.push_back(ir::kNoTensor);
      continue;
    }
    auto id = state.graph.findTensor(name);
    if (!id)
      return ctx.error("input '{}' is not produced by any node, initializer or graph input",
                       name);
    ctx.node.inputs.push_back(*id);
  }
  if (entry.translate)
    RNNPOOLC_TRY(entry.translate(ctx));
  RNNPOOLC_TRY(ctx.status());
  if (!ctx.emitNode)
    return Status::ok();
  RNNPOOLC_TRY(checkArity(ctx));

  for (size_t k = 0; k < ctx.outputCount; ++k) {
    ir::Tensor t;
    t.name = proto.output(static_cast<int>(k));
    if (t.name.empty()) // an omitted output before a kept one still needs a tensor
      t.name = state.freshName(fmt::format("{}_unused{}", proto.name(), k));
    ctx.node.outputs.push_back(state.graph.addTensor(std::move(t)));
  }
  state.graph.nodes.push_back(std::move(ctx.node));
  return Status::ok();
}

void collectNames(ImportState &state, const onnx::GraphProto &graph) {
  for (const onnx::ValueInfoProto &info : graph.input())
    state.modelNames.insert(info.name());
  for (const onnx::TensorProto &init : graph.initializer())
    state.modelNames.insert(init.name());
  for (const onnx::NodeProto &node : graph.node()) {
    for (const std::string &name : node.output())
      state.modelNames.insert(name);
    for (const std::string &name : node.input())
      state.usedNames.insert(name);
  }
  for (const onnx::ValueInfoProto &info : graph.output()) {
    state.modelNames.insert(info.name());
    state.usedNames.insert(info.name());
  }
}

Expected<ImportResult> importLoaded(const LoadedModel &loaded, const ImportOptions &options,
                                    const std::map<std::string, std::string> &inlinedFrom) {
  const onnx::GraphProto &graph = loaded.model.graph();
  RNNPOOLC_TRY(checkSupported(graph));
  RNNPOOLC_TRY(checkCustomOpset(loaded.model));

  ImportState state;
  state.graph.producerName = loaded.model.producer_name();
  state.graph.producerVersion = loaded.model.producer_version();
  state.graph.opsetVersion = loaded.opset;
  collectNames(state, graph);

  RNNPOOLC_TRY(importInitializers(state, graph));
  RNNPOOLC_TRY(importGraphInputs(state, loaded, options));
  for (const onnx::NodeProto &node : graph.node())
    RNNPOOLC_TRY(importNode(state, node, loaded.opset, *findOp(node.domain(), node.op_type())));
  for (const onnx::ValueInfoProto &info : graph.output()) {
    auto id = state.graph.findTensor(info.name());
    if (!id)
      return makeError("graph output '{}' is not produced by any node, initializer or graph "
                       "input",
                       info.name());
    state.graph.outputs.push_back(*id);
  }
  for (ir::Node &node : state.graph.nodes)
    if (auto it = inlinedFrom.find(node.name); it != inlinedFrom.end())
      node.inlinedFrom = it->second;

  ImportResult result;
  result.graph = std::move(state.graph);
  result.notes.assign(state.notes.begin(), state.notes.end());
  return result;
}

} // namespace

Expected<ImportResult> importModelFromBytes(const std::string &bytes, const std::string &baseDir,
                                            const ImportOptions &options) {
  try {
    auto loaded = loadModel(bytes, baseDir);
    if (!loaded)
      return loaded.error();
    std::map<std::string, std::string> inlinedFrom;
    RNNPOOLC_TRY(inlineFunctions((*loaded)->model, inlinedFrom));
    return importLoaded(**loaded, options, inlinedFrom);
  } catch (const std::bad_alloc &) {
    return makeError("out of memory while importing the model");
  } catch (const std::exception &e) {
    return makeError("cannot import the model: {}", e.what());
  }
}

Expected<ImportResult> importModel(const std::string &path, const ImportOptions &options) {
  auto bytes = readFileBytes(path);
  if (!bytes)
    return bytes.error();
  std::string baseDir = std::filesystem::path(path).parent_path().string();
  return importModelFromBytes(*bytes, baseDir.empty() ? "." : baseDir, options);
}

} // namespace rnnpoolc::onnx_frontend
