// Tensor files: ONNX TensorProto (.pb) and NumPy (.npy), chosen by extension.
#include "frontends/onnx/TensorIO.h"

#include "frontends/onnx/ModelLoader.h"
#include "frontends/onnx/Npy.h"
#include "frontends/onnx/TensorConvert.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace rnnpoolc::onnx_frontend {
namespace {

enum class Format { Pb, Npy };

Expected<Format> formatOf(const std::string &path) {
  if (path.ends_with(".pb"))
    return Format::Pb;
  if (path.ends_with(".npy"))
    return Format::Npy;
  return makeError("unknown tensor file type; use a .pb (ONNX TensorProto) or .npy file");
}

Expected<ir::TensorData> parsePb(const std::string &bytes) {
  onnx::TensorProto proto;
  if (bytes.size() > static_cast<size_t>(INT_MAX) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError("not an ONNX tensor: the file does not parse as protobuf TensorProto");
  if (proto.dims_size() == 0 && !proto.has_raw_data() && !proto.has_data_type())
    return makeError("not an ONNX tensor: the file holds no tensor");
  std::set<std::string> notes;
  return tensorFromProto(proto,
                         proto.name().empty() ? "the tensor"
                                              : fmt::format("tensor '{}'", proto.name()),
                         notes);
}

Status writeBytes(const std::string &path, const std::string &bytes) {
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return makeError("cannot write file: {}", std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  int savedErrno = errno;
  ok = std::fclose(file) == 0 && ok;
  if (!ok)
    return makeError("cannot write file: {}", std::strerror(savedErrno ? savedErrno : errno));
  return Status::ok();
}

} // namespace

Expected<ir::TensorData> readTensorFile(const std::string &path) {
  try {
    auto format = formatOf(path);
    if (!format)
      return format.error();
    auto bytes = readFileBytes(path);
    if (!bytes)
      return bytes.error();
    return *format == Format::Pb ? parsePb(*bytes) : parseNpy(*bytes);
  } catch (const std::exception &e) {
    return makeError("cannot read tensor: {}", e.what());
  }
}

Status writeTensorFile(const std::string &path, const ir::TensorData &tensor,
                       const std::string &name) {
  try {
    auto format = formatOf(path);
    if (!format)
      return format.error();
    if (*format == Format::Npy)
      return writeBytes(path, formatNpy(tensor));
    onnx::TensorProto proto;
    tensorToProto(tensor, name, proto);
    return writeBytes(path, proto.SerializeAsString());
  } catch (const std::exception &e) {
    return makeError("cannot write tensor: {}", e.what());
  }
}

} // namespace rnnpoolc::onnx_frontend
