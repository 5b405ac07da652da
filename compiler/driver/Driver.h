// The rnnpoolc command-line driver: option parsing and the subcommands. Each subcommand
// turns flags into calls on the libraries and reports; errors travel back as values and
// main() maps them to "error: ..." on stderr and exit status 2.
#pragma once

#include "compiler/ir/Graph.h"
#include "compiler/quant/Quantize.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace rnnpoolc::driver {

/// Command-line arguments after the subcommand name (each subcommand parses them with
/// its own Flags, Flags.h).
using Args = std::vector<std::string>;

/// A model imported and canonicalised, with the import's notes.
struct LoadedModel {
  std::string path;
  ir::Graph graph;
  size_t importedNodes = 0; ///< Nodes before canonicalisation.
  std::vector<std::string> notes;
};

/// Parses "1x3x224x224" (also "1,3,224,224").
Expected<ir::Shape> parseShape(const std::string &text);
/// Parses an --input-shape value "name=1x3x224x224" into `shapes`.
Status parseInputShape(const std::string &text, std::map<std::string, ir::Shape> &shapes);
/// --mac-overhead: "10%" or "0.1" -> 0.1.
Expected<double> parsePercent(const std::string &text);
/// --ram-budget: "128K", "1M", "96000" -> bytes.
Expected<int64_t> parseBytes(const std::string &text);
/// Imports and canonicalises a model; errors carry the "FILE: " prefix. Prints notes.
Expected<LoadedModel> loadModel(const std::string &path,
                                const std::map<std::string, ir::Shape> &inputShapes);

/// Calibration input sets from --calib paths: .npy / .pb files, or directories of them
/// (sorted by name); a file may hold one sample or a batch [B, ...] of them.
Expected<std::vector<std::vector<ir::TensorData>>>
readCalibrationSets(const std::vector<std::string> &paths, const ir::Graph &graph);
/// Calibrates (on `calib`, or on synthetic inputs with a loud warning on stderr when it is
/// empty) and quantises a loaded model for the fixed-point paths.
/// `percentile` > 0 clips each tensor's range to that percentile of its values on each side
/// (--calib-percentile), 0 keeps min/max.
Expected<quant::QuantizedModel> quantizeLoaded(const LoadedModel &model,
                                               const std::vector<std::string> &calib,
                                               double percentile = 0);
/// --calib-percentile: a percentage in (50, 100], e.g. "99.99".
Expected<double> parseCalibPercentile(const std::string &text);

/// Writes several files all or none: each `write(tmp)` fills a temporary next to its final
/// path, and only when all succeeded are they renamed into place. Errors name the file.
struct FileWriter {
  std::string path;
  std::function<Status(const std::string &tmp)> write;
};
Status writeAllOrNothing(const std::vector<FileWriter> &files);
/// --output FILE for output `index` of `count`: FILE itself for one output, else FILE_0,
/// FILE_1, ... (the index before the extension: out.npy -> out_0.npy).
std::string outputPath(const std::string &base, size_t index, size_t count);

/// A node a backend cannot compile yet: its name and op ("" when the problem is not about
/// one node) and the backend's one-line message ("node 'NAME' (Op): ...").
struct BackendGap {
  std::string node, op, message;
};
/// Every node of a canonical float graph that the fixed-point (int8) backend has no kernel
/// for, in graph order; empty when quantisation would succeed (ranges aside).
std::vector<BackendGap> fixedPointGaps(const ir::Graph &graph);
/// The same for the float C build (--float).
std::vector<BackendGap> floatGaps(const ir::Graph &graph);
/// What to tell a user whose model stops at node `node` in the fixed-point backend about
/// the float build: "; use the float build (--float)" only when it compiles the model,
/// else why it does not.
std::string floatBuildHint(const ir::Graph &graph, const std::string &node);

Status runInspect(Args args);
Status runRun(Args args);
Status runPlan(Args args);
Status runCompile(Args args);

} // namespace rnnpoolc::driver
