// Reading, parsing and checking an ONNX model. Every exception libonnx or protobuf may
// throw is caught here and becomes an Error.
#include "frontends/onnx/ModelLoader.h"

#include "frontends/onnx/ExternalData.h"
#include "frontends/onnx/GraphCheck.h"
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/ProtoUtil.h"
#include "frontends/onnx/TensorConvert.h"
#include "compiler/support/Limits.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace rnnpoolc::onnx_frontend {

Expected<std::string> readFileBytes(const std::string &path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return makeError("cannot read file: {}", std::strerror(errno));
  if (S_ISDIR(info.st_mode))
    return makeError("cannot read file: {}", std::strerror(EISDIR));
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return makeError("cannot read file: {}", std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0)
    bytes.append(buffer, got);
  int failed = std::ferror(file);
  int savedErrno = errno;
  std::fclose(file);
  if (failed)
    return makeError("cannot read file: {}", std::strerror(savedErrno));
  return bytes;
}

namespace {

/// Whether every default-domain op of the model has had the same definition from `opset`
/// up to kMinOpset, so that the model means the same when read at kMinOpset.
bool unchangedSince(const onnx::ModelProto &model, int64_t opset) {
  for (const onnx::NodeProto &node : model.graph().node()) {
    if (!isDefaultDomain(node.domain()))
      continue;
    const auto *old = onnx::OpSchemaRegistry::Schema(node.op_type(), static_cast<int>(opset));
    const auto *now = onnx::OpSchemaRegistry::Schema(node.op_type(), kMinOpset);
    if (!old || !now || old->since_version() != now->since_version())
      return false;
  }
  return true;
}

Expected<int64_t> defaultOpset(const onnx::ModelProto &model) {
  // Models before IR version 3 import no opset and mean opset 1.
  int64_t opset = 1;
  for (const onnx::OperatorSetIdProto &import : model.opset_import())
    if (isDefaultDomain(import.domain()))
      opset = import.version();
  // An older model whose ops have not changed since (Relu, GlobalAveragePool, ...) is read
  // as the oldest opset rnnpoolc knows; older definitions of its ops are not supported.
  if (opset >= 1 && opset < kMinOpset && unchangedSince(model, opset))
    return kMinOpset;
  if (opset < kMinOpset || opset > kMaxOpset)
    return makeError("opset {} is not supported; re-export with opset between {} and {} "
                     "(torch.onnx.export(..., opset_version=13))",
                     opset, kMinOpset, kMaxOpset);
  return opset;
}

/// ONNX 1.12's checker demands a shape on every graph input, output and value_info, which
/// later ONNX releases relaxed and which many exporters omit on outputs. rnnpoolc infers
/// shapes itself, so missing shapes are given an empty placeholder for the checker's sake.
/// Returns the graph inputs that had none.
std::set<std::string> relaxMissingShapes(onnx::GraphProto &graph) {
  std::set<std::string> shapelessInputs;
  auto relax = [](onnx::ValueInfoProto &info) {
    if (!info.has_type() || !info.type().has_tensor_type())
      return false;
    if (info.type().tensor_type().has_shape())
      return false;
    info.mutable_type()->mutable_tensor_type()->mutable_shape();
    return true;
  };
  for (onnx::ValueInfoProto &info : *graph.mutable_input())
    if (relax(info))
      shapelessInputs.insert(info.name());
  for (onnx::ValueInfoProto &info : *graph.mutable_output())
    relax(info);
  for (onnx::ValueInfoProto &info : *graph.mutable_value_info())
    relax(info);
  return shapelessInputs;
}

/// Bytes one element takes in the compiler's memory: float32 for float types, int64 else.
int64_t hostElementBytes(int32_t onnxType) {
  auto mapped = mapOnnxType(onnxType);
  return mapped && ir::isFloat(mapped->dtype) ? 4 : 8;
}

std::string firstLine(const char *text) {
  std::string s(text ? text : "");
  size_t end = s.find('\n');
  if (end != std::string::npos)
    s.resize(end);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r'))
    s.pop_back();
  return s;
}

/// Every name in the model within limits::kMaxNameBytes, or an error naming the first
/// that is not (by where it is and how it starts: the name itself may be megabytes).
Status checkNameLengths(const onnx::ModelProto &model) {
  auto check = [](const std::string &name, const char *what) -> Status {
    if (static_cast<int64_t>(name.size()) <= limits::kMaxNameBytes)
      return Status::ok();
    return makeError("the name of {} starting '{}...' is {} bytes; the limit is {} bytes per "
                     "name (docs/cli.md, Limits)",
                     what, name.substr(0, 40), name.size(), limits::kMaxNameBytes);
  };
  auto checkNodes = [&](const auto &nodes) -> Status {
    for (const onnx::NodeProto &node : nodes) {
      RNNPOOLC_TRY(check(node.name(), "a node"));
      RNNPOOLC_TRY(check(node.op_type(), "an op type"));
      for (const std::string &v : node.input())
        RNNPOOLC_TRY(check(v, "a node input"));
      for (const std::string &v : node.output())
        RNNPOOLC_TRY(check(v, "a node output"));
    }
    return Status::ok();
  };
  const onnx::GraphProto &graph = model.graph();
  RNNPOOLC_TRY(check(graph.name(), "the graph"));
  RNNPOOLC_TRY(checkNodes(graph.node()));
  for (const auto *values : {&graph.input(), &graph.output(), &graph.value_info()})
    for (const onnx::ValueInfoProto &v : *values)
      RNNPOOLC_TRY(check(v.name(), "a graph value"));
  for (const onnx::TensorProto &t : graph.initializer())
    RNNPOOLC_TRY(check(t.name(), "an initializer"));
  for (const onnx::FunctionProto &f : model.functions()) {
    RNNPOOLC_TRY(check(f.name(), "a function"));
    RNNPOOLC_TRY(checkNodes(f.node()));
    for (const std::string &v : f.input())
      RNNPOOLC_TRY(check(v, "a function input"));
    for (const std::string &v : f.output())
      RNNPOOLC_TRY(check(v, "a function output"));
  }
  return Status::ok();
}

Status runChecker(const onnx::ModelProto &model) {
  try {
    onnx::checker::check_model(model);
  } catch (const onnx::checker::ValidationError &e) {
    return makeError("model fails the ONNX checker: {}", firstLine(e.what()));
  } catch (const std::exception &e) {
    return makeError("model fails the ONNX checker: {}", firstLine(e.what()));
  } catch (...) {
    return makeError("model fails the ONNX checker: unknown error");
  }
  return Status::ok();
}

Status parse(const std::string &bytes, onnx::ModelProto &model) {
  const char *notModel = "not an ONNX model: the file does not parse as protobuf ModelProto "
                         "(truncated or another format?)";
  if (bytes.empty())
    return makeError("not an ONNX model: the file is empty");
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return makeError("model is larger than 2 GB; protobuf cannot parse it, so save the "
                     "weights as external data");
  bool parsed = false;
  try {
    parsed = model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  } catch (...) {
    parsed = false;
  }
  if (!parsed)
    return Error(notModel);
  if (!model.has_graph())
    return makeError("not an ONNX model: the file parses as protobuf but holds no graph "
                     "(truncated or another format?)");
  return Status::ok();
}

} // namespace

Expected<std::unique_ptr<LoadedModel>> loadModel(const std::string &bytes,
                                                 const std::string &baseDir) {
  auto loaded = std::make_unique<LoadedModel>();
  onnx::ModelProto &model = loaded->model;
  RNNPOOLC_TRY(parse(bytes, model));
  auto opset = defaultOpset(model);
  if (!opset)
    return opset.error();
  loaded->opset = *opset;

  onnx::GraphProto &graph = *model.mutable_graph();
  // The limits that bound the work of everything below (docs/cli.md, Limits).
  if (graph.node_size() > limits::kMaxNodes)
    return makeError("the graph has {} nodes; the limit is {} nodes (docs/cli.md, Limits)",
                     graph.node_size(), limits::kMaxNodes);
  RNNPOOLC_TRY(checkNameLengths(model));
  try {
    // Checked before external data is read, and before the checker, whose element count
    // overflows on hostile dims.
    int64_t constantBytes = 0;
    for (const onnx::TensorProto &init : graph.initializer()) {
      auto count = checkDims(init, fmt::format("initializer '{}'", init.name()));
      if (!count)
        return count.error();
      constantBytes += *count * hostElementBytes(init.data_type());
      if (constantBytes > limits::kMaxConstantBytes)
        return makeError("the initializers hold more than {} bytes (as float32 and int64); "
                         "the limit is {} bytes of constants (docs/cli.md, Limits)",
                         constantBytes, limits::kMaxConstantBytes);
    }
    nameUnnamedNodes(graph);
    RNNPOOLC_TRY(loadExternalData(graph, baseDir));
    RNNPOOLC_TRY(checkAndSortGraph(graph));
    loaded->shapelessInputs = relaxMissingShapes(graph);
  } catch (const std::exception &e) {
    // Filesystem calls and allocations may throw; nothing may escape the frontend.
    return makeError("cannot load the model: {}", firstLine(e.what()));
  }
  RNNPOOLC_TRY(runChecker(model));
  return loaded;
}

} // namespace rnnpoolc::onnx_frontend
