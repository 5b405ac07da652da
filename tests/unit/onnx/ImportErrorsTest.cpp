// Bad input never throws: each broken model gives one error with the key phrase.
#include "tests/unit/onnx/ModelBuilder.h"

#include <random>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

ModelBuilder reluModel(std::vector<Dim> shape = {1, 3, 4, 4}, int64_t opset = 13) {
  ModelBuilder m(opset);
  m.input("x", shape);
  m.node("Relu", {"x"}, {"y"}, "r");
  m.output("y", shape);
  return m;
}

std::string fileError(const std::string &path) {
  auto result = importFile(path);
  REQUIRE_FALSE(result);
  return result.error().message();
}

} // namespace

TEST_CASE("a missing file or a directory cannot be read") {
  TempDir dir;
  CHECK(fileError(dir.file("nope.onnx")) == "cannot read file: No such file or directory");
  CHECK(fileError(dir.path().string()) == "cannot read file: Is a directory");
}

TEST_CASE("bytes that are not an ONNX model are rejected") {
  std::mt19937 rng(42);
  std::string random(3000, '\0');
  for (char &c : random)
    c = static_cast<char>(rng());
  auto result = importBytes(random);
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message(), StartsWith("not an ONNX model"));

  std::string good = reluModel().bytes();
  result = importBytes(good.substr(0, good.size() / 2));
  REQUIRE_FALSE(result);
  CHECK(result.error().message() == "not an ONNX model: the file does not parse as protobuf "
                                    "ModelProto (truncated or another format?)");

  TempDir dir;
  CHECK(fileError(dir.write("empty.onnx", "")) == "not an ONNX model: the file is empty");

  onnx::ModelProto noGraph;
  noGraph.set_ir_version(8);
  result = importBytes(noGraph.SerializeAsString());
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message(), Contains("holds no graph"));
}

TEST_CASE("opsets outside 7..17 are rejected") {
  auto expected = [](int64_t opset) {
    return fmt::format("opset {} is not supported; re-export with opset between 7 and 17 "
                       "(torch.onnx.export(..., opset_version=13))",
                       opset);
  };
  CHECK(importError(reluModel({1, 3}, 18)) == expected(18));
  // Add changed at opset 7 (it lost the legacy `broadcast` attribute).
  ModelBuilder add(6);
  add.input("x", {{1, 3}}).weights("w", {1, 3});
  add.node("Add", {"x", "w"}, {"y"}, "a");
  add.output("y", {{1, 3}});
  CHECK(importError(add) == expected(6));
}

TEST_CASE("an older opset whose ops have not changed since is read as opset 7") {
  // Relu's definition has been the same from opset 6 to opset 7.
  auto result = importOk(reluModel({1, 3}, 6));
  CHECK(result.graph.opsetVersion == 7);
}

TEST_CASE("a model failing the ONNX checker reports the checker's first line") {
  ModelBuilder m = reluModel({1, 3});
  setAttr(*m.graph().mutable_node(0), "bogus", 3);
  std::string message = importError(m);
  CHECK_THAT(message, StartsWith("model fails the ONNX checker: "));
  CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("structural faults: cycles, undefined inputs, missing outputs, two producers") {
  ModelBuilder cycle(13);
  cycle.input("x", std::vector<Dim>{1, 3});
  cycle.node("Add", {"x", "b"}, {"a"}, "n1");
  cycle.node("Relu", {"a"}, {"b"}, "n2");
  cycle.node("Relu", {"b"}, {"y"}, "after");
  cycle.output("y", std::vector<Dim>{1, 3});
  std::string message = importError(cycle);
  CHECK_THAT(message, Contains("cycle"));
  CHECK_THAT(message, StartsWith("node 'n1' (Add)"));

  ModelBuilder undefined(13);
  undefined.input("x", std::vector<Dim>{1, 3});
  undefined.node("Add", {"x", "foo"}, {"y"}, "n");
  undefined.output("y", std::vector<Dim>{1, 3});
  CHECK(importError(undefined) ==
        "node 'n' (Add): input 'foo' is not produced by any node, initializer or graph input");

  ModelBuilder noOutput = reluModel({1, 3});
  noOutput.output("zz", std::vector<Dim>{1, 3});
  CHECK(importError(noOutput) ==
        "graph output 'zz' is not produced by any node, initializer or graph input");

  ModelBuilder twice(13);
  twice.input("x", std::vector<Dim>{1, 3});
  twice.node("Relu", {"x"}, {"y"}, "n1");
  twice.node("Sigmoid", {"x"}, {"y"}, "n2");
  twice.output("y", std::vector<Dim>{1, 3});
  CHECK_THAT(importError(twice), Contains("node 'n2' (Sigmoid): output 'y' is also produced by "
                                          "node 'n1'"));
}

TEST_CASE("duplicate graph inputs and initializers are errors") {
  ModelBuilder inputs = reluModel({1, 3});
  inputs.input("x", std::vector<Dim>{1, 3});
  CHECK(importError(inputs) ==
        "graph input 'x' is declared twice; give every input a unique name");

  ModelBuilder inits = reluModel({1, 3});
  inits.weights("w", {3}).weights("w", {3});
  CHECK_THAT(importError(inits), StartsWith("initializer 'w' is defined twice"));
}

TEST_CASE("a missing initializer is an undefined input") {
  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{1, 3});
  m.node("Add", {"x", "w"}, {"y"}, "adder");
  m.output("y", std::vector<Dim>{1, 3});
  CHECK_THAT(importError(m), Contains("node 'adder' (Add): input 'w' is not produced"));
}

TEST_CASE("bad input dims: zero, negative, overflowing, symbolic non-batch") {
  CHECK(importError(reluModel({1, 0, 4})) ==
        "input 'x' has dim 0 at index 1; every float input dim must be positive");
  CHECK_THAT(importError(reluModel({1, -3, 4})), Contains("input 'x' has dim -3 at index 1"));
  int64_t big = int64_t{1} << 40;
  CHECK_THAT(importError(reluModel({big, big, big})), Contains("whose size overflows"));
  CHECK(importError(reluModel({"N", 3, "H", 4})) ==
        "input 'x' has symbolic dim 'H' at index 2; pass --input-shape x=1x3xHx4 with every "
        "symbolic dim replaced by a size");
  CHECK_THAT(importError(reluModel({"N"})), Contains("symbolic dim 'N' at index 0"));
}

TEST_CASE("bad --input-shape overrides") {
  onnx_frontend::ImportOptions options;
  options.inputShapes["nosuch"] = {1, 3};
  CHECK(importError(reluModel(), options) ==
        "--input-shape names 'nosuch', which is not an input of the model (inputs: x)");
  options.inputShapes = {{"x", {1, 3, 4}}};
  CHECK_THAT(importError(reluModel(), options),
             Contains("--input-shape x=1x3x4 has rank 3, but input 'x' has rank 4"));
  options.inputShapes = {{"x", {1, 3, 0, 4}}};
  CHECK_THAT(importError(reluModel(), options),
             Contains("input 'x' has dim 0 at index 2 in --input-shape"));
}

TEST_CASE("bad initializers: dims, overflow, data size, unsupported type") {
  auto withInit = [](TensorProto t) {
    ModelBuilder m(13);
    m.input("x", std::vector<Dim>{2, 3});
    m.initializer(std::move(t));
    m.node("Add", {"x", "W"}, {"y"}, "add");
    m.output("y", std::vector<Dim>{2, 3});
    return m;
  };
  TensorProto negative = floatTensor("W", {2, 3}, iota(6));
  negative.set_dims(0, -2);
  CHECK_THAT(importError(withInit(negative)),
             Contains("initializer 'W' has negative dim -2 at index 0"));

  TensorProto overflow = floatTensor("W", {2, 3}, iota(6));
  overflow.clear_dims();
  for (int k = 0; k < 3; ++k)
    overflow.add_dims(int64_t{1} << 40);
  CHECK(importError(withInit(overflow)) ==
        "initializer 'W' has dims 1099511627776x1099511627776x1099511627776 whose element "
        "count overflows; the file is corrupt");

  TensorProto huge = floatTensor("W", {2, 3}, iota(6));
  huge.clear_dims();
  for (int k = 0; k < 3; ++k)
    huge.add_dims(int64_t{1} << 20);
  CHECK(importError(withInit(huge)) ==
        "initializer 'W' has 1152921504606846976 elements (1048576x1048576x1048576); the limit "
        "is 16777216 elements per tensor (docs/cli.md, Limits)");

  TensorProto shortRaw = floatTensor("W", {2, 3}, iota(5));
  CHECK(importError(withInit(shortRaw)) ==
        "initializer 'W' has 20 bytes of raw_data, but its shape 2x3 of FLOAT needs 24; the "
        "file is corrupt or truncated");

  TensorProto typed;
  typed.set_name("W");
  typed.set_data_type(TensorProto::FLOAT);
  typed.add_dims(2);
  typed.add_dims(3);
  for (int k = 0; k < 5; ++k)
    typed.add_float_data(1);
  CHECK_THAT(importError(withInit(typed)),
             Contains("initializer 'W' holds 5 values in float_data, but its shape 2x3 needs 6"));

  TensorProto text;
  text.set_name("W");
  text.set_data_type(TensorProto::STRING);
  text.add_dims(1);
  text.add_string_data()->push_back('a'); // (a literal trips a g++ 12 -Wrestrict false positive)
  ModelBuilder m = withInit(text);
  CHECK_THAT(importError(m), Contains("STRING"));
}

TEST_CASE("unsupported ops are listed together with their nodes") {
  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{3, 3});
  m.node("NonZero", {"x"}, {"i"}, "nz1");
  m.node("Det", {"x"}, {"d"}, "det1");
  m.node("NonZero", {"x"}, {"j"}, "nz2");
  m.node("Relu", {"x"}, {"r"}, "fine");
  m.output("i", std::nullopt, TensorProto::INT64);
  m.output("d");
  m.output("j", std::nullopt, TensorProto::INT64);
  m.output("r");
  CHECK(importError(m) == "unsupported ops: NonZero (node 'nz1', 'nz2'), Det (node 'det1'); "
                          "rnnpoolc supports the ops listed by `rnnpoolc inspect --ops`");
}

TEST_CASE("ops of other domains are unsupported") {
  ModelBuilder m(13);
  auto *import = m.model.add_opset_import();
  import->set_domain("com.example");
  import->set_version(1);
  m.input("x", std::vector<Dim>{1, 3, 8, 8});
  m.node("Pool", {"x"}, {"y"}, "pool").set_domain("com.example");
  m.output("y");
  CHECK_THAT(importError(m), StartsWith("unsupported ops: com.example.Pool (node 'pool')"));
}

TEST_CASE("external data next to the model loads, honouring offset and length") {
  TempDir dir;
  std::vector<float> values = {1, 2, 3, 4, 5, 6};
  std::string blob(8, 'x');
  blob.append(reinterpret_cast<const char *>(values.data()), 24);
  blob.append(4, 'y');
  std::filesystem::create_directories(dir.path() / "data");
  dir.write("data/w.bin", blob);

  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{2, 3});
  TensorProto w;
  w.set_name("W");
  w.set_data_type(TensorProto::FLOAT);
  w.add_dims(2);
  w.add_dims(3);
  w.set_data_location(TensorProto::EXTERNAL);
  auto add = [&](const char *key, const std::string &value) {
    auto *e = w.add_external_data();
    e->set_key(key);
    e->set_value(value);
  };
  add("location", "data/w.bin");
  add("offset", "8");
  add("length", "24");
  m.initializer(w);
  m.node("Add", {"x", "W"}, {"y"}, "add");
  m.output("y", std::vector<Dim>{2, 3});
  std::string path = dir.write("model.onnx", m.bytes());
  auto result = importFile(path);
  if (!result)
    FAIL(result.error().message());
  const ir::Tensor &t = result->graph.tensor(*result->graph.findTensor("W"));
  REQUIRE(t.isConstant());
  CHECK(t.data->f == values);

  // Models given as bytes may not use external data.
  auto fromBytes = importBytes(m.bytes(), "");
  REQUIRE_FALSE(fromBytes);
  CHECK_THAT(fromBytes.error().message(), Contains("initializer 'W' keeps its data in external "
                                                   "file 'data/w.bin'"));

  // Offset and length beyond the file.
  m.graph().mutable_initializer(0)->mutable_external_data(2)->set_value("40");
  result = importFile(dir.write("model2.onnx", m.bytes()));
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message(), Contains("reach beyond the end of the 36-byte file"));
}

TEST_CASE("external data outside the model's directory is refused") {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "model");
  dir.write("outside.bin", std::string(24, '\0'));
  std::filesystem::create_symlink(dir.path() / "outside.bin", dir.path() / "model" / "link.bin");
  for (std::string location : {std::string("../outside.bin"), dir.file("outside.bin"),
                               std::string("sub/../../outside.bin"), std::string("link.bin"),
                               std::string("..\\outside.bin")}) {
    ModelBuilder m(13);
    m.input("x", std::vector<Dim>{2, 3});
    TensorProto w;
    w.set_name("W");
    w.set_data_type(TensorProto::FLOAT);
    w.add_dims(2);
    w.add_dims(3);
    w.set_data_location(TensorProto::EXTERNAL);
    auto *e = w.add_external_data();
    e->set_key("location");
    e->set_value(location);
    m.initializer(w);
    m.node("Add", {"x", "W"}, {"y"}, "add");
    m.output("y", std::vector<Dim>{2, 3});
    auto result = importFile(dir.write("model/model.onnx", m.bytes()));
    REQUIRE_FALSE(result);
    CHECK(result.error().message() ==
          fmt::format("initializer 'W' external data path '{}' leaves the model's directory; "
                      "keep external data next to the model",
                      location));
  }
}

TEST_CASE("the documented limits are checked before the work they bound") {
  // Elements per tensor: a declared input over 2^24 elements.
  CHECK(importError(reluModel({1, 1, 4097, 4096})) ==
        "input 'x' has 16781312 elements (1x1x4097x4096); the limit is 16777216 elements per "
        "tensor (docs/cli.md, Limits)");

  // Constant bytes: checked on the initializers' dims, before any data is read.
  ModelBuilder big(13);
  big.input("x", std::vector<Dim>{1});
  std::string sum = "x";
  for (int k = 0; k < 17; ++k) {
    TensorProto t = floatTensor("w" + std::to_string(k), {1}, iota(1));
    t.set_dims(0, int64_t{1} << 24); // 64 MiB each as float32; raw data left short
    big.initializer(std::move(t));
    big.node("Add", {sum, "w" + std::to_string(k)}, {"s" + std::to_string(k)},
             "add" + std::to_string(k));
    sum = "s" + std::to_string(k);
  }
  big.output(sum, std::vector<Dim>{1 << 24});
  CHECK_THAT(importError(big),
             Contains("the limit is 268435456 bytes of constants (docs/cli.md, Limits)"));

  // Nodes: counted before anything else looks at them.
  ModelBuilder many(13);
  many.input("x", std::vector<Dim>{1});
  for (int k = 0; k <= 100000; ++k)
    many.node("Relu", {k ? "t" + std::to_string(k - 1) : "x"}, {"t" + std::to_string(k)},
              "r" + std::to_string(k));
  many.output("t100000", std::vector<Dim>{1});
  CHECK(importError(many) ==
        "the graph has 100001 nodes; the limit is 100000 nodes (docs/cli.md, Limits)");
}
