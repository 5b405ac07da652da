// Benchmark: how long RNNPool recognition takes on a model. Imports the model, runs the
// canonical passes that precede recognition, then times the recogniser alone (best of
// several runs on fresh copies) and prints node counts before and after.
//
//   bench_fusion MODEL.onnx [MODEL.onnx ...]
#include "compiler/passes/Passes.h"
#include "frontends/onnx/Importer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace {

using namespace rnnpoolc;

int benchOne(const std::string &path) {
  auto imported = onnx_frontend::importModel(path);
  if (!imported) {
    fmt::print(stderr, "error: {}: {}\n", path, imported.error().message());
    return 2;
  }
  ir::Graph graph = std::move(imported->graph);
  const size_t importedNodes = graph.nodes.size();
  for (const passes::PassInfo &pass : passes::canonicalPipeline()) {
    if (pass.name == "recognise-rnnpool")
      break;
    if (auto status = pass.run(graph); !status) {
      fmt::print(stderr, "error: {}: {}\n", path, status.error().message());
      return 2;
    }
  }
  const size_t before = graph.nodes.size();
  double best = 1e30;
  ir::Graph fused;
  for (int run = 0; run < 5; ++run) {
    ir::Graph copy = graph;
    auto start = std::chrono::steady_clock::now();
    if (auto status = passes::recogniseRNNPool(copy); !status) {
      fmt::print(stderr, "error: {}: {}\n", path, status.error().message());
      return 2;
    }
    std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count());
    fused = std::move(copy);
  }
  size_t pools = std::count_if(fused.nodes.begin(), fused.nodes.end(),
                               [](const ir::Node &n) { return n.op == ir::OpKind::RNNPool; });
  fmt::print("{:<44} imported {:>5}  folded {:>5}  after {:>4}  RNNPool {}  near misses {}  "
             "recognise {:8.1f} ms\n",
             path.substr(path.find_last_of('/') + 1), importedNodes, before, fused.nodes.size(),
             pools, fused.nearMisses.size(), best);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: bench_fusion MODEL.onnx [MODEL.onnx ...]\n");
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i)
    status = std::max(status, benchOne(argv[i]));
  return status;
}
