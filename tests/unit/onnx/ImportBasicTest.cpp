// Importing well-formed models: ops, attributes, constants, inputs, names, notes.
#include "tests/unit/onnx/ModelBuilder.h"

#include "compiler/ir/Ops.h"

#include <algorithm>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using Catch::Matchers::Contains;

namespace {

ModelBuilder convReluGemm() {
  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{1, 3, 8, 8});
  m.weights("W", {4, 3, 3, 3}).weights("B", {4}).weights("W2", {10, 64}).weights("B2", {10});
  auto &conv = m.node("Conv", {"x", "W", "B"}, {"c"}, "conv1");
  setAttr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  setAttr(conv, "strides", std::vector<int64_t>{2, 2});
  setAttr(conv, "kernel_shape", std::vector<int64_t>{3, 3});
  m.node("Relu", {"c"}, {"r"}, "relu1");
  m.node("Flatten", {"r"}, {"f"}, "flat");
  auto &gemm = m.node("Gemm", {"f", "W2", "B2"}, {"y"}, "fc");
  setAttr(gemm, "transB", 1);
  setAttr(gemm, "alpha", 0.5f);
  m.output("y", std::vector<Dim>{1, 10});
  return m;
}

} // namespace

TEST_CASE("a Conv+Relu+Gemm model imports with its ops, attributes and constants") {
  auto result = importOk(convReluGemm());
  const ir::Graph &g = result.graph;
  CHECK(result.notes.empty());
  CHECK(g.opsetVersion == 13);
  CHECK(g.producerName == "tests");
  REQUIRE(g.nodes.size() == 4);
  CHECK(g.nodes[0].op == ir::OpKind::Conv);
  CHECK(g.nodes[1].op == ir::OpKind::Relu);
  CHECK(g.nodes[2].op == ir::OpKind::Flatten);
  CHECK(g.nodes[3].op == ir::OpKind::Gemm);
  CHECK(g.nodes[0].name == "conv1");

  const auto &conv = g.nodes[0].attr<ir::ConvAttrs>();
  CHECK(conv.pads == ir::Ints{1, 1, 1, 1});
  CHECK(conv.strides == ir::Ints{2, 2});
  CHECK(conv.kernel == ir::Ints{3, 3});
  CHECK(conv.dilations.empty());
  CHECK(conv.group == 1);
  CHECK(conv.autoPad == ir::AutoPad::NotSet);
  CHECK(g.nodes[2].attr<ir::AxisAttrs>().axis == 1);
  const auto &gemm = g.nodes[3].attr<ir::GemmAttrs>();
  CHECK(gemm.transB);
  CHECK_FALSE(gemm.transA);
  CHECK(gemm.alpha == 0.5f);
  CHECK(gemm.beta == 1.0f);

  REQUIRE(g.inputs.size() == 1);
  const ir::Tensor &x = g.tensor(g.inputs[0]);
  CHECK(x.name == "x");
  CHECK(x.shape == ir::Shape{1, 3, 8, 8});
  CHECK(x.shapeKnown);
  CHECK(x.dtype == ir::DType::Float32);

  const ir::Tensor &w = g.tensor(g.nodes[0].inputs[1]);
  REQUIRE(w.isConstant());
  CHECK(w.name == "W");
  CHECK(w.shape == ir::Shape{4, 3, 3, 3});
  CHECK(w.data->f.size() == 108);
  CHECK(w.data->f[107] == 107.0f);

  REQUIRE(g.outputs.size() == 1);
  CHECK(g.tensor(g.outputs[0]).name == "y");
  CHECK_FALSE(g.tensor(g.outputs[0]).shapeKnown);
  CHECK(g.topologicalOrder());
}

TEST_CASE("every supported ONNX op has a table entry and maps onto the IR") {
  auto ops = onnx_frontend::supportedOnnxOps();
  CHECK(std::is_sorted(ops.begin(), ops.end()));
  CHECK(std::find(ops.begin(), ops.end(), "Constant") != ops.end());
  CHECK(std::find(ops.begin(), ops.end(), "Dropout") != ops.end());
  CHECK(std::find(ops.begin(), ops.end(), "LSTM") == ops.end());
  // Every IR op with an ONNX namesake is importable; RNNPool comes from the custom domain,
  // L2Norm from LpNormalization (p = 2) and ChannelShuffle from the Reshape -> Transpose ->
  // Reshape that passes/ChannelShuffle rewrites.
  auto onnxName = [](std::string_view ir) {
    return ir == "RNNPool"          ? std::string("ai.rnnpoolc.RNNPool")
           : ir == "L2Norm"         ? std::string("LpNormalization")
           : ir == "ChannelShuffle" ? std::string("Transpose")
                                    : std::string(ir);
  };
#define OP(Name, Attrs, MinIn, MaxIn, MinOut, MaxOut, ...)                                        \
  CHECK(std::find(ops.begin(), ops.end(), onnxName(#Name)) != ops.end());
#include "compiler/ir/Ops.def"
#undef OP
}

TEST_CASE("Constant nodes become graph constants in every value form") {
  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{2});
  setAttr(m.node("Constant", {}, {"t"}), "value", floatTensor("", {2}, {1.5f, 2.5f}));
  setAttr(m.node("Constant", {}, {"f"}), "value_float", 3.0f);
  setAttr(m.node("Constant", {}, {"fs"}), "value_floats", std::vector<float>{1, 2, 3});
  setAttr(m.node("Constant", {}, {"i"}), "value_int", int64_t{7});
  setAttr(m.node("Constant", {}, {"is"}), "value_ints", std::vector<int64_t>{4, 5});
  TensorProto d;
  d.set_data_type(TensorProto::DOUBLE);
  d.add_dims(1);
  d.add_double_data(0.25);
  setAttr(m.node("Constant", {}, {"d"}), "value", d);
  m.node("Add", {"x", "t"}, {"y"}, "add");
  m.output("y", std::vector<Dim>{2});
  auto result = importOk(m);
  const ir::Graph &g = result.graph;
  CHECK(g.nodes.size() == 1);
  auto data = [&](const char *name) -> const ir::TensorData & {
    auto id = g.findTensor(name);
    REQUIRE(id);
    REQUIRE(g.tensor(*id).isConstant());
    return *g.tensor(*id).data;
  };
  CHECK(data("t").f == std::vector<float>{1.5f, 2.5f});
  CHECK(data("f").shape.empty());
  CHECK(data("f").f == std::vector<float>{3.0f});
  CHECK(data("fs").shape == ir::Shape{3});
  CHECK(data("i").dtype == ir::DType::Int64);
  CHECK(data("i").i == std::vector<int64_t>{7});
  CHECK(data("is").i == std::vector<int64_t>{4, 5});
  CHECK(data("d").dtype == ir::DType::Float32);
  CHECK(data("d").f == std::vector<float>{0.25f});
  CHECK(result.notes == std::vector<std::string>{"float64 tensors computed in float32"});
}

TEST_CASE("Constant nodes with sparse or string values are errors") {
  for (const char *attr : {"sparse_value", "value_string"}) {
    ModelBuilder m(13);
    auto &c = m.node("Constant", {}, {"c"}, "k");
    auto *a = c.add_attribute();
    a->set_name(attr);
    if (std::string(attr) == "value_string") {
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s("hello");
    } else {
      a->set_type(onnx::AttributeProto::SPARSE_TENSOR);
      auto *values = a->mutable_sparse_tensor()->mutable_values();
      values->set_data_type(TensorProto::FLOAT);
      values->add_dims(1);
      values->add_float_data(1);
      auto *indices = a->mutable_sparse_tensor()->mutable_indices();
      indices->set_data_type(TensorProto::INT64);
      indices->add_dims(1);
      indices->add_int64_data(0);
      a->mutable_sparse_tensor()->add_dims(4);
    }
    m.output("c", std::vector<Dim>{4});
    std::string message = importError(m);
    CHECK_THAT(message, Contains("node 'k' (Constant)"));
    CHECK_THAT(message, Contains(attr));
  }
}

TEST_CASE("a symbolic batch dim becomes 1 with a note") {
  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{"N", 3, 4, 4});
  m.node("Relu", {"x"}, {"y"}, "r");
  m.output("y", std::vector<Dim>{"N", 3, 4, 4});
  auto result = importOk(m);
  CHECK(result.graph.tensor(result.graph.inputs[0]).shape == ir::Shape{1, 3, 4, 4});
  CHECK(result.notes == std::vector<std::string>{"input 'x': symbolic batch dim 'N' set to 1"});
}

TEST_CASE("input-shape option overrides declared and symbolic dims") {
  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{"N", 3, "H", "W"});
  m.node("Relu", {"x"}, {"y"}, "r");
  m.output("y", std::vector<Dim>{"N", 3, "H", "W"});
  onnx_frontend::ImportOptions options;
  options.inputShapes["x"] = {2, 3, 16, 12};
  auto result = importOk(m, options);
  CHECK(result.graph.tensor(result.graph.inputs[0]).shape == ir::Shape{2, 3, 16, 12});
  CHECK(result.notes.empty());

  options.inputShapes["x"] = {1, 5, 16, 12};
  result = importOk(m, options);
  CHECK(result.graph.tensor(result.graph.inputs[0]).shape == ir::Shape{1, 5, 16, 12});
  CHECK_THAT(result.notes.at(0), Contains("declared dim 3 at index 1 overridden to 5"));
}

TEST_CASE("an input with no declared shape takes its shape from --input-shape") {
  ModelBuilder m(13);
  m.input("x", std::nullopt);
  m.node("Relu", {"x"}, {"y"}, "r");
  m.output("y"); // outputs without shapes are accepted
  onnx_frontend::ImportOptions options;
  options.inputShapes["x"] = {1, 8};
  auto result = importOk(m, options);
  CHECK(result.graph.tensor(result.graph.inputs[0]).shape == ir::Shape{1, 8});
  CHECK_THAT(importError(m), Contains("input 'x' declares no shape; pass --input-shape"));
}

TEST_CASE("inputs keep the model's order and dtype; inputs with initializers are constants") {
  ModelBuilder m(13);
  m.input("b", std::vector<Dim>{1, 4}, TensorProto::INT64);
  m.input("w", std::vector<Dim>{1, 4}); // has a default value below
  m.input("a", std::vector<Dim>{1, 4}, TensorProto::DOUBLE);
  m.weights("w", {1, 4});
  m.node("Cast", {"b"}, {"bf"}, "cast");
  setAttr(*m.graph().mutable_node(0), "to", int64_t{TensorProto::FLOAT});
  m.node("Add", {"a", "w"}, {"s"}, "add1");
  m.node("Add", {"s", "bf"}, {"y"}, "add2");
  m.output("y", std::vector<Dim>{1, 4});
  auto result = importOk(m);
  const ir::Graph &g = result.graph;
  REQUIRE(g.inputs.size() == 2);
  CHECK(g.tensor(g.inputs[0]).name == "b");
  CHECK(g.tensor(g.inputs[0]).dtype == ir::DType::Int64);
  CHECK(g.tensor(g.inputs[1]).name == "a");
  CHECK(g.tensor(g.inputs[1]).dtype == ir::DType::Float32);
  CHECK(g.tensor(*g.findTensor("w")).isConstant());
  CHECK(g.nodes[0].attr<ir::CastAttrs>().to == ir::DType::Float32);
  CHECK(result.notes == std::vector<std::string>{"float64 tensors computed in float32"});
}

TEST_CASE("integer inputs may have zero dims; float inputs may not") {
  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{2, 3});
  m.input("axes", std::vector<Dim>{0}, TensorProto::INT64);
  m.node("ReduceSum", {"x", "axes"}, {"y"}, "sum");
  m.output("y");
  auto result = importOk(m);
  CHECK(result.graph.tensor(result.graph.inputs[1]).shape == ir::Shape{0});
  CHECK(result.graph.tensor(result.graph.inputs[1]).dtype == ir::DType::Int64);
}

TEST_CASE("unnamed nodes get unique generated names") {
  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{1, 4});
  m.node("Relu", {"x"}, {"a"});
  m.node("Relu", {"a"}, {"b"}, "Relu_2");
  m.node("Relu", {"b"}, {"y"});
  m.output("y", std::vector<Dim>{1, 4});
  auto result = importOk(m);
  const auto &nodes = result.graph.nodes;
  CHECK(nodes[0].name == "Relu_0");
  CHECK(nodes[1].name == "Relu_2");
  CHECK(nodes[2].name == "Relu_2_2");
}

TEST_CASE("an unsorted graph is sorted") {
  ModelBuilder m(13);
  m.input("x", std::vector<Dim>{1, 4});
  m.node("Sigmoid", {"a"}, {"y"}, "second");
  m.node("Relu", {"x"}, {"a"}, "first");
  m.output("y", std::vector<Dim>{1, 4});
  auto result = importOk(m);
  CHECK(result.graph.nodes[0].name == "first");
  CHECK(result.graph.nodes[1].name == "second");
}

TEST_CASE("generated constant names avoid the model's tensor names") {
  ModelBuilder m(9);
  m.input("x", std::vector<Dim>{1, 4});
  auto &s = m.node("Slice", {"x"}, {"s"}, "sl");
  setAttr(s, "starts", std::vector<int64_t>{1});
  setAttr(s, "ends", std::vector<int64_t>{3});
  m.node("Relu", {"s"}, {"sl_starts"}, "later"); // the name the importer would pick
  m.output("sl_starts", std::vector<Dim>{1, 2});
  auto result = importOk(m);
  const ir::Graph &g = result.graph;
  const ir::Tensor &starts = g.tensor(g.nodes[0].inputs[1]);
  CHECK(starts.name == "sl_starts_2");
  CHECK(starts.isConstant());
}

TEST_CASE("importModel reads a model file from disk") {
  TempDir dir;
  std::string path = dir.write("model.onnx", convReluGemm().bytes());
  auto result = importFile(path);
  REQUIRE(result);
  CHECK(result->graph.nodes.size() == 4);
}
