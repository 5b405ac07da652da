// Tensor files: .pb and .npy round trips for every dtype, and malformed .npy files.
#include "tests/unit/onnx/ModelBuilder.h"

#include "frontends/onnx/TensorIO.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

ir::TensorData sample(ir::DType dtype) {
  ir::Shape shape = {2, 3};
  if (dtype == ir::DType::Float32)
    return ir::TensorData::fromFloats(shape, {-1.5f, 0, 1, 2.25f, 1e6f, -3});
  std::vector<int64_t> values;
  switch (dtype) {
  case ir::DType::Int64: values = {-(int64_t{1} << 40), -1, 0, 1, 5, int64_t{1} << 40}; break;
  case ir::DType::Int32: values = {-2000000000, -1, 0, 1, 5, 2000000000}; break;
  case ir::DType::Int16: values = {-32768, -1, 0, 1, 5, 32767}; break;
  case ir::DType::Int8: values = {-128, -1, 0, 1, 5, 127}; break;
  case ir::DType::UInt8: values = {0, 1, 2, 128, 200, 255}; break;
  default: values = {0, 1, 1, 0, 0, 1}; break;
  }
  return ir::TensorData::fromInts(dtype, shape, values);
}

Expected<ir::TensorData> read(const std::string &path) {
  std::optional<Expected<ir::TensorData>> result;
  REQUIRE_NOTHROW(result.emplace(onnx_frontend::readTensorFile(path)));
  return std::move(*result);
}

std::string readError(const std::string &path) {
  auto result = read(path);
  REQUIRE_FALSE(result);
  return result.error().message();
}

/// A .npy file with the given header dict and data bytes.
std::string npy(const std::string &dict, const std::string &data, char major = 1) {
  std::string header = dict + "\n";
  std::string out = std::string("\x93NUMPY", 6) + major + '\0';
  out += static_cast<char>(header.size());
  out += '\0';
  if (major == 2)
    out += std::string(2, '\0');
  return out + header + data;
}

} // namespace

TEST_CASE("tensors round-trip through .pb and .npy for every dtype") {
  TempDir dir;
  for (ir::DType dtype : {ir::DType::Float32, ir::DType::Int64, ir::DType::Int32,
                          ir::DType::Int16, ir::DType::Int8, ir::DType::UInt8, ir::DType::Bool}) {
    for (const char *ext : {".pb", ".npy"}) {
      INFO(ir::name(dtype) << ext);
      ir::TensorData t = sample(dtype);
      std::string path = dir.file(std::string(ir::name(dtype)) + ext);
      REQUIRE(onnx_frontend::writeTensorFile(path, t, "out"));
      auto back = read(path);
      REQUIRE(back);
      CHECK(back->dtype == t.dtype);
      CHECK(back->shape == t.shape);
      CHECK(back->f == t.f);
      CHECK(back->i == t.i);
    }
  }
}

TEST_CASE("scalars and 1-D tensors round-trip through .npy") {
  TempDir dir;
  for (ir::Shape shape : {ir::Shape{}, ir::Shape{4}, ir::Shape{0, 3}}) {
    auto t = ir::TensorData::zeros(ir::DType::Float32, shape);
    std::string path = dir.file("t.npy");
    REQUIRE(onnx_frontend::writeTensorFile(path, t));
    auto back = read(path);
    REQUIRE(back);
    CHECK(back->shape == shape);
  }
}

TEST_CASE(".pb files keep the name and can hold typed fields and float64") {
  TempDir dir;
  onnx::TensorProto p = intTensor("idx", {3}, {7, 8, 9});
  auto back = read(dir.write("a.pb", p.SerializeAsString()));
  REQUIRE(back);
  CHECK(back->i == std::vector<int64_t>{7, 8, 9});

  onnx::TensorProto d;
  d.set_data_type(TensorProto::DOUBLE);
  d.add_dims(2);
  d.add_double_data(0.5);
  d.add_double_data(-2);
  back = read(dir.write("d.pb", d.SerializeAsString()));
  REQUIRE(back);
  CHECK(back->dtype == ir::DType::Float32);
  CHECK(back->f == std::vector<float>{0.5f, -2.0f});

  onnx::TensorProto written;
  REQUIRE(onnx_frontend::writeTensorFile(dir.file("w.pb"), sample(ir::DType::Int8), "name1"));
  std::ifstream in(dir.file("w.pb"), std::ios::binary);
  REQUIRE(written.ParseFromIstream(&in));
  CHECK(written.name() == "name1");
  CHECK(written.data_type() == TensorProto::INT8);

  CHECK_THAT(readError(dir.write("bad.pb", "\xff\xff\xff garbage")), StartsWith("not an ONNX tensor"));
  onnx::TensorProto s;
  s.set_data_type(TensorProto::STRING);
  s.add_dims(1);
  s.add_string_data()->push_back('x');
  CHECK_THAT(readError(dir.write("s.pb", s.SerializeAsString())), Contains("STRING"));
}

TEST_CASE(".npy files NumPy writes are read, float64 as float32") {
  TempDir dir;
  double values[] = {1.5, -2.0};
  std::string data(reinterpret_cast<const char *>(values), sizeof values);
  auto t = read(dir.write("d.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data)));
  REQUIRE(t);
  CHECK(t->f == std::vector<float>{1.5f, -2.0f});

  // Version 2.0, keys in another order, double quotes.
  t = read(dir.write("v2.npy", npy("{\"shape\": (1, 2), \"descr\": \"|u1\", \"fortran_order\": False}",
                                   std::string("\x01\xff", 2), 2)));
  REQUIRE(t);
  CHECK(t->dtype == ir::DType::UInt8);
  CHECK(t->shape == ir::Shape{1, 2});
  CHECK(t->i == std::vector<int64_t>{1, 255});
}

TEST_CASE("malformed .npy files are rejected with a reason") {
  TempDir dir;
  std::string four(4, '\0');
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
  REQUIRE(read(dir.write("ok.npy", npy(ok, four))));

  CHECK_THAT(readError(dir.write("magic.npy", "\x93NUMPX" + std::string(20, ' '))),
             StartsWith("not a .npy file"));
  CHECK_THAT(readError(dir.write("short.npy", std::string("\x93NUMPY", 6))),
             StartsWith("not a .npy file"));
  CHECK_THAT(readError(dir.write("v3.npy", npy(ok, four, 3))),
             StartsWith("unsupported .npy version 3.0"));
  std::string longHeader = npy(ok, four);
  longHeader[8] = '\x7f';
  CHECK_THAT(readError(dir.write("long.npy", longHeader.substr(0, 40))),
             StartsWith("malformed .npy header"));
  CHECK_THAT(readError(dir.write("be.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", four))),
             StartsWith("unsupported .npy dtype '>f4'"));
  CHECK_THAT(readError(dir.write("obj.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", four))),
             StartsWith("unsupported .npy dtype '|O'"));
  CHECK_THAT(readError(dir.write("f.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", four))),
             Contains("fortran_order is True"));
  CHECK_THAT(readError(dir.write("size.npy", npy(ok, four + four))),
             Contains(".npy data has 8 bytes, but shape 1 of '<f4' needs 4"));
  CHECK_THAT(readError(dir.write("nokey.npy", npy("{'descr': '<f4', 'shape': (1,), }", four))),
             Contains("lacks one of"));
  CHECK_THAT(readError(dir.write("extra.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", four))),
             Contains("unexpected key 'x'"));
  CHECK_THAT(readError(dir.write("neg.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", four))),
             Contains("malformed 'shape'"));
  CHECK_THAT(readError(dir.write("junk.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk", four))),
             Contains("text after the closing"));
  CHECK_THAT(readError(dir.write("huge.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", four))),
             Contains("malformed 'shape'"));
  CHECK_THAT(readError(dir.write("big.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", four))),
             Contains("too large"));
  CHECK_THAT(readError(dir.write("garbage.npy", "\x93NUMPY garbage")), StartsWith("malformed .npy header: version bytes 32 103"));
  CHECK_THAT(readError(dir.file("missing.npy")), StartsWith("cannot read file"));
  CHECK_THAT(readError(dir.write("t.txt", "1 2 3")), StartsWith("unknown tensor file type"));
}
