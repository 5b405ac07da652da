// Runs the ONNX conformance node tests through frontend + passes + float interpreter.
//
//   conformance_runner NODE_DIR EXPECTED_SKIPS [--write-skips FILE] [--verbose]
//
// Every case must pass unless expected_skips.txt lists it with a reason; a listed case
// that passes is reported too, so that the list stays exact. Integer and bool graph inputs
// are bound as constants before canonicalisation: on a microcontroller they are parameters
// (shapes, indices, axes), never streamed data, and rnnpoolc needs static shapes. So are
// float inputs that only Resize reads as its roi or scales.
#include "compiler/interp/Interpreter.h"
#include "compiler/passes/Passes.h"
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/TensorIO.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace fs = std::filesystem;
using namespace rnnpoolc;

namespace {

constexpr double kRtol = 1e-4, kAtol = 1e-5;

struct Outcome {
  enum Kind { Pass, Fail, Unsupported } kind;
  std::string reason;
};

std::vector<fs::path> numbered(const fs::path &dir, const std::string &prefix) {
  std::vector<fs::path> files;
  for (int k = 0;; ++k) {
    fs::path p = dir / fmt::format("{}_{}.pb", prefix, k);
    if (!fs::exists(p))
      return files;
    files.push_back(p);
  }
}

std::string compare(const ir::TensorData &got, const ir::TensorData &want, size_t index) {
  if (got.shape != want.shape)
    return fmt::format("output {} has shape {}, expected {}", index, ir::toString(got.shape),
                       ir::toString(want.shape));
  if (ir::isFloat(got.dtype) != ir::isFloat(want.dtype))
    return fmt::format("output {} is {}, expected {}", index, ir::name(got.dtype),
                       ir::name(want.dtype));
  for (int64_t k = 0; k < got.numel(); ++k) {
    double g = got.get(k), w = want.get(k);
    if (std::isnan(g) && std::isnan(w))
      continue;
    if (g == w || std::fabs(g - w) <= kAtol + kRtol * std::fabs(w))
      continue;
    return fmt::format("output {} element {} is {}, expected {}", index, k, g, w);
  }
  return "";
}

/// Whether every reader of tensor `id` reads it as a Resize parameter (roi, scales).
bool onlyResizeParameter(const ir::Graph &graph, ir::TensorId id) {
  bool read = false;
  for (const ir::Node &node : graph.nodes)
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (node.inputs[i] == id) {
        if (node.op != ir::OpKind::Resize || i == 0)
          return false;
        read = true;
      }
  return read;
}

/// Imports the case's model with `inputs` bound where they are parameters; returns the
/// graph's runtime inputs in order.
Expected<std::vector<ir::TensorData>> bindParameters(ir::Graph &graph,
                                                     std::vector<ir::TensorData> inputs) {
  if (inputs.size() != graph.inputs.size())
    return makeError("test has {} inputs, model {}", inputs.size(), graph.inputs.size());
  std::vector<ir::TensorId> runtime;
  std::vector<ir::TensorData> values;
  for (size_t k = 0; k < inputs.size(); ++k) {
    ir::Tensor &t = graph.tensor(graph.inputs[k]);
    if (ir::isFloat(t.dtype) && !onlyResizeParameter(graph, graph.inputs[k])) {
      runtime.push_back(graph.inputs[k]);
      values.push_back(std::move(inputs[k]));
    } else {
      t.shape = inputs[k].shape;
      t.data = std::make_shared<const ir::TensorData>(std::move(inputs[k]));
    }
  }
  graph.inputs = runtime;
  return values;
}

Outcome runCase(const fs::path &dir) {
  auto imported = onnx_frontend::importModel((dir / "model.onnx").string());
  if (!imported)
    return {Outcome::Unsupported, imported.error().message()};
  for (const auto &set : fs::directory_iterator(dir)) {
    if (!set.is_directory())
      continue;
    std::vector<ir::TensorData> inputs, expected;
    for (const fs::path &p : numbered(set.path(), "input")) {
      auto t = onnx_frontend::readTensorFile(p.string());
      if (!t)
        return {Outcome::Unsupported, t.error().message()};
      inputs.push_back(std::move(*t));
    }
    for (const fs::path &p : numbered(set.path(), "output")) {
      auto t = onnx_frontend::readTensorFile(p.string());
      if (!t)
        return {Outcome::Unsupported, t.error().message()};
      expected.push_back(std::move(*t));
    }
    ir::Graph graph = imported->graph;
    auto runtimeInputs = bindParameters(graph, std::move(inputs));
    if (!runtimeInputs)
      return {Outcome::Fail, runtimeInputs.error().message()};
    if (auto status = passes::canonicalize(graph); !status)
      return {Outcome::Unsupported, status.error().message()};
    auto outputs = interp::run(graph, *runtimeInputs);
    if (!outputs)
      return {Outcome::Fail, outputs.error().message()};
    if (outputs->size() != expected.size())
      return {Outcome::Fail, fmt::format("{} outputs, expected {}", outputs->size(),
                                         expected.size())};
    for (size_t k = 0; k < expected.size(); ++k)
      if (std::string diff = compare((*outputs)[k], expected[k], k); !diff.empty())
        return {Outcome::Fail, diff};
  }
  return {Outcome::Pass, ""};
}

/// Reads "test_name  # reason" lines; blank lines and lines starting with '#' are ignored.
std::map<std::string, std::string> readSkips(const fs::path &path) {
  std::map<std::string, std::string> skips;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    size_t end = line.find_first_of(" \t#");
    std::string name = line.substr(0, end);
    size_t hash = line.find('#');
    skips[name] = hash == std::string::npos ? "" : line.substr(hash + 1);
  }
  return skips;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: conformance_runner NODE_DIR EXPECTED_SKIPS [--write-skips FILE] "
                       "[--verbose]\n");
    return 2;
  }
  fs::path nodeDir = argv[1];
  std::map<std::string, std::string> skips = readSkips(argv[2]);
  std::string writeSkips;
  bool verbose = false;
  for (int k = 3; k < argc; ++k) {
    std::string arg = argv[k];
    if (arg == "--write-skips" && k + 1 < argc)
      writeSkips = argv[++k];
    else if (arg == "--verbose")
      verbose = true;
  }

  std::vector<fs::path> cases;
  for (const auto &entry : fs::directory_iterator(nodeDir))
    if (entry.is_directory())
      cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());

  int passed = 0, failed = 0, skipped = 0;
  std::map<std::string, std::string> notPassing;
  for (const fs::path &dir : cases) {
    std::string name = dir.filename().string();
    Outcome outcome = runCase(dir);
    bool listed = skips.count(name) != 0;
    if (outcome.kind == Outcome::Pass) {
      if (listed) {
        ++failed;
        fmt::print("STALE {}: passes but expected_skips.txt lists it; remove the line\n", name);
      } else {
        ++passed;
      }
      continue;
    }
    const char *kind = outcome.kind == Outcome::Fail ? "fails" : "unsupported";
    notPassing[name] = fmt::format("{}: {}", kind, outcome.reason);
    if (listed) {
      ++skipped;
      if (verbose)
        fmt::print("skip  {}: {}\n", name, notPassing[name]);
    } else {
      ++failed;
      fmt::print("FAIL  {}: {}\n", name, notPassing[name]);
    }
  }
  for (const auto &[name, reason] : skips)
    if (!fs::exists(nodeDir / name)) {
      ++failed;
      fmt::print("STALE {}: no such test case; remove the line\n", name);
    }

  if (!writeSkips.empty()) {
    std::ofstream out(writeSkips);
    out << "# ONNX node conformance cases that do not pass, one per line with the reason.\n"
           "# Regenerate with: conformance_runner NODE_DIR expected_skips.txt --write-skips F\n";
    for (const auto &[name, reason] : notPassing) {
      auto it = skips.find(name);
      out << name << "  # " << (it != skips.end() && !it->second.empty() ? it->second.substr(1)
                                                                           : reason)
          << "\n";
    }
  }
  fmt::print("{} passed, {} failed, {} skipped (unsupported)\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}
