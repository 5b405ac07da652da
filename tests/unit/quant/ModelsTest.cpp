// Whole models through quantisation and the fixed-point interpreter: the example small_cnn
// and an RNNPool model exported by tools/rnnpool/export.py (--encoding node, with a conv
// before it). The fixed-point vs float error is printed and bounded.
#include "compiler/calib/Calibrate.h"
#include "tests/unit/quant/QuantTestUtil.h"

#include "frontends/onnx/Importer.h"
#include "frontends/onnx/TensorIO.h"

#include <cstdlib>
#include <filesystem>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

ir::Graph importCanonical(const std::string &path) {
  auto imported = onnx_frontend::importModel(path);
  INFO(path << ": " << (imported ? std::string() : imported.error().message()));
  REQUIRE(imported);
  ir::Graph g = std::move(imported->graph);
  REQUIRE(passes::canonicalize(g));
  return g;
}

ir::TensorData readNpy(const std::string &path) {
  auto value = onnx_frontend::readTensorFile(path);
  INFO(path);
  REQUIRE(value);
  return *value;
}

/// The same graph ending at the input of its final Softmax (the logits), if it has one.
ir::Graph logitsOf(const ir::Graph &g) {
  ir::Graph cut = g;
  if (!cut.nodes.empty() && cut.nodes.back().op == ir::OpKind::Softmax) {
    cut.outputs = {cut.nodes.back().inputs[0]};
    REQUIRE(passes::removeDeadNodes(cut));
  }
  return cut;
}

/// Quantises `g` on `calib`, then prints and returns the worst error over `calib` in output
/// steps.
double fixedVsFloat(const ir::Graph &g, const std::vector<std::vector<ir::TensorData>> &calib,
                    const char *what) {
  auto ranges = calib::calibrate(g, calib);
  REQUIRE(ranges);
  auto m = quant::quantize(g, *ranges);
  INFO((m ? std::string() : m.error().message()));
  REQUIRE(m);
  double steps = worstErrorInSteps(g, *m, calib);
  float step = m->graph.tensor(m->graph.outputs[0]).quant->scale[0];
  std::printf("%s: fixed vs float max error %.3f output steps (step %.5g, %zu inputs)\n", what,
              steps, step, calib.size());
  return steps;
}

} // namespace

TEST_CASE("small_cnn runs in fixed point within a few steps of float", "[quant][model]") {
  ir::Graph g = importCanonical(RNNPOOLC_SOURCE_DIR "/examples/small_cnn/model.onnx");
  std::vector<std::vector<ir::TensorData>> calib = calib::syntheticInputs(g, 12, 5);
  calib.push_back({readNpy(RNNPOOLC_SOURCE_DIR "/examples/small_cnn/input.npy")});
  // Logits: five layers of rounding, a residual add, a flatten into the classifier.
  CHECK(fixedVsFloat(logitsOf(g), calib, "small_cnn logits") <= 6.0);
  CHECK(fixedVsFloat(g, calib, "small_cnn probabilities") <= 2.0);
}

TEST_CASE("an exported RNNPool model runs in fixed point close to float", "[quant][model]") {
  std::string dir = RNNPOOLC_BINARY_DIR "/quant-models";
  std::filesystem::create_directories(dir);
  for (const char *nl : {"sigmoid tanh", "quantSigm quantTanh"}) {
    std::string gate = std::string(nl).substr(0, std::string(nl).find(' '));
    std::string update = std::string(nl).substr(gate.size() + 1);
    std::string model = dir + "/rnnpool_" + gate + ".onnx";
    std::string cmd = "/usr/bin/python3 " RNNPOOLC_SOURCE_DIR "/tools/rnnpool/export.py "
                      "--encoding node --input-shape 1x3x20x20 --patch 8 8 --stride 4 4 "
                      "--hidden 16 16 --conv-before --conv-channels 4 --gate " +
                      gate + " --update " + update + " -o " + model + " > /dev/null";
    INFO(cmd);
    REQUIRE(std::system(cmd.c_str()) == 0);
    ir::Graph g = importCanonical(model);
    std::vector<std::vector<ir::TensorData>> calib = calib::syntheticInputs(g, 8, 7);
    ir::TensorData sample = readNpy(model.substr(0, model.size() - 5) + "_input.npy");
    calib.push_back({sample});
    // Conv rounding feeds 2 x 8 FastGRNN steps per summary and 2 x 8 RNN2 steps.
    CHECK(fixedVsFloat(g, calib, model.c_str()) <= 4.0);
    // And the float graph itself agrees with PyTorch on the exported sample.
    auto ref = interp::run(g, {sample});
    REQUIRE(ref);
    CHECK(maxAbsDiff((*ref)[0], readNpy(model.substr(0, model.size() - 5) + "_expected.npy")) <
          1e-4f);
  }
}
