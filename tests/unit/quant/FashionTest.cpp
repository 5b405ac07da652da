// The trained Fashion-MNIST RNNPool classifier (examples/fashion_rnnpool): the whole 10k
// test set through the float interpreter and the host fixed-point path, calibrated on 256
// training images. Fixed-point top-1 must be within 0.5 points of float, with >= 99% of
// predictions agreeing. Needs Debian's dataset-fashion-mnist; takes about 10 s.
#include "compiler/calib/Calibrate.h"
#include "tests/unit/quant/QuantTestUtil.h"

#include "frontends/onnx/Importer.h"
#include "frontends/onnx/TensorIO.h"

#include <cstdlib>
#include <filesystem>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

constexpr const char *kData = "/usr/share/datasets/fashion-mnist";

/// Converts the IDX files to .npy in `dir` (images scaled to [0, 1] as in training).
void convertDataset(const std::string &dir) {
  std::string script =
      "import gzip, numpy as np, sys\n"
      "def idx(p):\n"
      "    d = gzip.open(p).read()\n"
      "    n = d[3]\n"
      "    dims = [int.from_bytes(d[4 + 4 * i:8 + 4 * i], 'big') for i in range(n)]\n"
      "    return np.frombuffer(d, np.uint8, offset=4 + 4 * n).reshape(dims)\n"
      "src, dst = sys.argv[1], sys.argv[2]\n"
      "f = lambda a: (a.astype(np.float32) / 255.0)[:, None]\n"
      "np.save(dst + '/test_images.npy', f(idx(src + '/t10k-images-idx3-ubyte.gz')))\n"
      "np.save(dst + '/test_labels.npy', idx(src + '/t10k-labels-idx1-ubyte.gz').astype(np.int64))\n"
      "np.save(dst + '/calib_images.npy', f(idx(src + '/train-images-idx3-ubyte.gz')[:256]))\n";
  std::string path = dir + "/convert.py";
  FILE *f = std::fopen(path.c_str(), "w");
  REQUIRE(f);
  std::fputs(script.c_str(), f);
  std::fclose(f);
  std::string cmd = "/usr/bin/python3 " + path + " " + kData + " " + dir;
  REQUIRE(std::system(cmd.c_str()) == 0);
}

/// Splits [N, 1, 28, 28] into N single-image tensors.
std::vector<ir::TensorData> split(const ir::TensorData &batch) {
  std::vector<ir::TensorData> out;
  const int64_t per = 28 * 28;
  for (int64_t i = 0; i < batch.shape[0]; ++i)
    out.push_back(ir::TensorData::fromFloats(
        {1, 1, 28, 28}, std::vector<float>(batch.f.begin() + i * per,
                                           batch.f.begin() + (i + 1) * per)));
  return out;
}

int64_t argmax(const ir::TensorData &v) {
  return std::max_element(v.f.begin(), v.f.end()) - v.f.begin();
}

} // namespace

TEST_CASE("Fashion-MNIST: fixed-point accuracy within 0.5 points of float", "[quant][fashion]") {
  REQUIRE(std::filesystem::exists(kData)); // tools/setup-deps installs dataset-fashion-mnist
  std::string dir = RNNPOOLC_BINARY_DIR "/fashion-data";
  std::filesystem::create_directories(dir);
  if (!std::filesystem::exists(dir + "/calib_images.npy"))
    convertDataset(dir);
  auto imported = onnx_frontend::importModel(RNNPOOLC_SOURCE_DIR
                                             "/examples/fashion_rnnpool/model.onnx");
  REQUIRE(imported);
  ir::Graph g = std::move(imported->graph);
  REQUIRE(passes::canonicalize(g));
  auto calibBatch = onnx_frontend::readTensorFile(dir + "/calib_images.npy");
  auto images = onnx_frontend::readTensorFile(dir + "/test_images.npy");
  auto labels = onnx_frontend::readTensorFile(dir + "/test_labels.npy");
  REQUIRE((calibBatch && images && labels));
  std::vector<std::vector<ir::TensorData>> calib;
  for (auto &t : split(*calibBatch))
    calib.push_back({std::move(t)});
  auto ranges = calib::calibrate(g, calib);
  REQUIRE(ranges);
  auto model = quant::quantize(g, *ranges);
  REQUIRE(model);

  int64_t n = 0, floatRight = 0, fixedRight = 0, agree = 0;
  for (auto &image : split(*images)) {
    auto ref = interp::run(g, {image});
    auto fixed = interp::runFixedPoint(*model, {image});
    REQUIRE((ref && fixed));
    int64_t pf = argmax((*ref)[0]), pq = argmax(fixed->dequantized[0]), label = labels->i[n];
    floatRight += pf == label;
    fixedRight += pq == label;
    agree += pf == pq;
    ++n;
  }
  double floatAcc = 100.0 * floatRight / n, fixedAcc = 100.0 * fixedRight / n;
  double agreement = 100.0 * agree / n;
  std::printf("fashion-mnist %lld images: float top-1 %.2f%%, fixed-point top-1 %.2f%%, "
              "agreement %.2f%%\n",
              static_cast<long long>(n), floatAcc, fixedAcc, agreement);
  CHECK(n == 10000);
  CHECK(std::abs(floatAcc - fixedAcc) <= 0.5);
  CHECK(agreement >= 99.0);
}
