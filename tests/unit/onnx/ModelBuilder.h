// Test helpers: building small ONNX ModelProtos in C++, temp dirs, and importing them.
#pragma once

#include "frontends/onnx/Importer.h"

#include <catch2/catch.hpp>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

namespace rnnpoolc::testing {

namespace fs = std::filesystem;
using onnx::TensorProto;

/// A dim of a declared shape: a size, or a symbol such as "N".
struct Dim {
  Dim(int64_t size) : value(size) {}
  Dim(int size) : value(static_cast<int64_t>(size)) {}
  Dim(const char *symbol) : value(std::string(symbol)) {}
  std::variant<int64_t, std::string> value;
};

inline void setAttr(onnx::NodeProto &node, const std::string &name, int64_t value) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}
inline void setAttr(onnx::NodeProto &node, const std::string &name, int value) {
  setAttr(node, name, static_cast<int64_t>(value));
}
inline void setAttr(onnx::NodeProto &node, const std::string &name, float value) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}
inline void setAttr(onnx::NodeProto &node, const std::string &name, const char *value) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}
inline void setAttr(onnx::NodeProto &node, const std::string &name, std::vector<int64_t> values) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    a->add_ints(v);
}
inline void setAttr(onnx::NodeProto &node, const std::string &name, std::vector<float> values) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOATS);
  for (float v : values)
    a->add_floats(v);
}
inline void setAttr(onnx::NodeProto &node, const std::string &name, const TensorProto &t) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::TENSOR);
  *a->mutable_t() = t;
}

/// A float tensor with raw_data.
inline TensorProto floatTensor(const std::string &name, std::vector<int64_t> dims,
                               std::vector<float> values) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(TensorProto::FLOAT);
  for (int64_t d : dims)
    t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char *>(values.data()), values.size() * 4));
  return t;
}

/// An int64 tensor in int64_data.
inline TensorProto intTensor(const std::string &name, std::vector<int64_t> dims,
                             std::vector<int64_t> values) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(TensorProto::INT64);
  for (int64_t d : dims)
    t.add_dims(d);
  for (int64_t v : values)
    t.add_int64_data(v);
  return t;
}

inline std::vector<float> iota(size_t n, float start = 0) {
  std::vector<float> v(n);
  for (size_t k = 0; k < n; ++k)
    v[k] = start + static_cast<float>(k);
  return v;
}

class ModelBuilder {
public:
  onnx::ModelProto model;

  explicit ModelBuilder(int64_t opset = 13) {
    model.set_ir_version(8);
    model.set_producer_name("tests");
    auto *import = model.add_opset_import();
    import->set_domain("");
    import->set_version(opset);
    model.mutable_graph()->set_name("g");
  }
  onnx::GraphProto &graph() { return *model.mutable_graph(); }

  static void declare(onnx::ValueInfoProto &vi, const std::string &name,
                      std::optional<std::vector<Dim>> shape, int elemType) {
    vi.set_name(name);
    auto *type = vi.mutable_type()->mutable_tensor_type();
    type->set_elem_type(elemType);
    if (!shape)
      return;
    auto *s = type->mutable_shape();
    for (const Dim &d : *shape) {
      auto *dim = s->add_dim();
      if (auto *size = std::get_if<int64_t>(&d.value))
        dim->set_dim_value(*size);
      else
        dim->set_dim_param(std::get<std::string>(d.value));
    }
  }
  ModelBuilder &input(const std::string &name, std::optional<std::vector<Dim>> shape,
                      int elemType = TensorProto::FLOAT) {
    declare(*graph().add_input(), name, std::move(shape), elemType);
    return *this;
  }
  ModelBuilder &output(const std::string &name, std::optional<std::vector<Dim>> shape = {},
                       int elemType = TensorProto::FLOAT) {
    declare(*graph().add_output(), name, std::move(shape), elemType);
    return *this;
  }
  ModelBuilder &initializer(TensorProto t) {
    *graph().add_initializer() = std::move(t);
    return *this;
  }
  ModelBuilder &weights(const std::string &name, std::vector<int64_t> dims) {
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d;
    return initializer(floatTensor(name, dims, iota(static_cast<size_t>(n))));
  }
  ModelBuilder &ints(const std::string &name, std::vector<int64_t> values) {
    return initializer(intTensor(name, {static_cast<int64_t>(values.size())}, values));
  }
  onnx::NodeProto &node(const std::string &opType, std::vector<std::string> inputs,
                        std::vector<std::string> outputs, const std::string &name = "") {
    auto *n = graph().add_node();
    n->set_op_type(opType);
    n->set_name(name);
    for (auto &i : inputs)
      n->add_input(i);
    for (auto &o : outputs)
      n->add_output(o);
    return *n;
  }
  std::string bytes() const { return model.SerializeAsString(); }
};

/// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / fmt::format("rnnpoolc_onnx_{:x}", rd());
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path &path() const { return path_; }
  std::string file(const std::string &name) const { return (path_ / name).string(); }
  std::string write(const std::string &name, const std::string &bytes) const {
    std::ofstream out(file(name), std::ios::binary);
    out << bytes;
    return file(name);
  }

private:
  fs::path path_;
};

/// Imports serialized bytes, requiring that nothing throws.
inline Expected<onnx_frontend::ImportResult>
importBytes(const std::string &bytes, const std::string &baseDir = "",
            const onnx_frontend::ImportOptions &options = {}) {
  std::optional<Expected<onnx_frontend::ImportResult>> result;
  REQUIRE_NOTHROW(result.emplace(onnx_frontend::importModelFromBytes(bytes, baseDir, options)));
  return std::move(*result);
}

inline Expected<onnx_frontend::ImportResult>
importFile(const std::string &path, const onnx_frontend::ImportOptions &options = {}) {
  std::optional<Expected<onnx_frontend::ImportResult>> result;
  REQUIRE_NOTHROW(result.emplace(onnx_frontend::importModel(path, options)));
  return std::move(*result);
}

/// Imports a model that must import; fails the test with the message otherwise.
inline onnx_frontend::ImportResult importOk(const ModelBuilder &m,
                                            const onnx_frontend::ImportOptions &options = {}) {
  auto result = importBytes(m.bytes(), "", options);
  if (!result)
    FAIL(result.error().message());
  return std::move(*result);
}

/// The import's error message; fails the test when the import succeeds.
inline std::string importError(const ModelBuilder &m,
                               const onnx_frontend::ImportOptions &options = {}) {
  auto result = importBytes(m.bytes(), "", options);
  if (result)
    FAIL("import succeeded, but an error was expected");
  return result.error().message();
}

/// The node that writes tensor `name`.
inline const ir::Node &producerOf(const ir::Graph &g, const std::string &name) {
  auto id = g.findTensor(name);
  REQUIRE(id);
  for (const ir::Node &n : g.nodes)
    for (ir::TensorId out : n.outputs)
      if (out == *id)
        return n;
  FAIL("no node produces " << name);
  return g.nodes.front();
}

/// The constant values of a node's input k as int64s.
inline std::vector<int64_t> constInts(const ir::Graph &g, const ir::Node &n, size_t k) {
  REQUIRE(n.input(k) != ir::kNoTensor);
  const ir::Tensor &t = g.tensor(n.input(k));
  REQUIRE(t.isConstant());
  return t.data->toInts();
}

} // namespace rnnpoolc::testing
