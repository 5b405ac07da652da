// External initializer data: path confinement to the model's directory, offset/length
// checks, and reading the bytes into raw_data so later stages see inline tensors only.
#include "frontends/onnx/ExternalData.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

namespace rnnpoolc::onnx_frontend {
namespace {

namespace fs = std::filesystem;

struct ExternalRef {
  std::string location;
  std::optional<uint64_t> offset, length;
};

Error escapes(const std::string &tensor, const std::string &location) {
  return makeError("initializer '{}' external data path '{}' leaves the model's directory; "
                   "keep external data next to the model",
                   tensor, location);
}

std::optional<uint64_t> parseUnsigned(const std::string &text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return std::nullopt;
  return value;
}

Expected<ExternalRef> parseRef(const onnx::TensorProto &tensor) {
  ExternalRef ref;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location") {
      ref.location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      auto value = parseUnsigned(entry.value());
      if (!value)
        return makeError("initializer '{}' external data {} '{}' is not a non-negative integer",
                         tensor.name(), entry.key(), entry.value());
      (entry.key() == "offset" ? ref.offset : ref.length) = value;
    }
  }
  if (ref.location.empty())
    return makeError("initializer '{}' has external data without a location", tensor.name());
  return ref;
}

/// True when `location` is relative and free of '..' components (either separator counts,
/// so that a Windows-style path cannot sneak a '..' through).
bool lexicallyConfined(const std::string &location) {
  bool driveLetter = location.size() >= 2 && location[1] == ':';
  if (location.front() == '/' || location.front() == '\\' || driveLetter)
    return false;
  size_t start = 0;
  while (start <= location.size()) {
    size_t end = location.find_first_of("/\\", start);
    if (end == std::string::npos)
      end = location.size();
    if (location.compare(start, end - start, "..") == 0)
      return false;
    start = end + 1;
  }
  return true;
}

/// The file's canonical path, or an error when it resolves outside `baseDir`.
Expected<fs::path> confine(const std::string &tensor, const std::string &location,
                           const std::string &baseDir) {
  if (!lexicallyConfined(location))
    return escapes(tensor, location);
  std::error_code ec;
  fs::path base = fs::canonical(baseDir, ec);
  if (ec)
    return makeError("initializer '{}': cannot resolve the model's directory '{}': {}", tensor,
                     baseDir, ec.message());
  fs::path file = fs::weakly_canonical(base / location, ec);
  if (ec)
    return makeError("initializer '{}': cannot resolve external data path '{}': {}", tensor,
                     location, ec.message());
  auto [baseEnd, fileIt] = std::mismatch(base.begin(), base.end(), file.begin(), file.end());
  if (baseEnd != base.end() || fileIt == file.end())
    return escapes(tensor, location);
  return file;
}

Status readInto(onnx::TensorProto &tensor, const ExternalRef &ref, const fs::path &file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return makeError("initializer '{}': external data file '{}' {}", tensor.name(),
                     ref.location, fs::exists(file, ec) ? "is not a regular file" : "does not exist");
  uint64_t size = fs::file_size(file, ec);
  if (ec)
    return makeError("initializer '{}': cannot read external data file '{}': {}", tensor.name(),
                     ref.location, ec.message());
  uint64_t offset = ref.offset.value_or(0);
  if (offset > size || (ref.length && *ref.length > size - offset))
    return makeError("initializer '{}' external data '{}': offset {} and length {} reach beyond "
                     "the end of the {}-byte file",
                     tensor.name(), ref.location, offset,
                     ref.length ? std::to_string(*ref.length) : "(rest)", size);
  uint64_t length = ref.length.value_or(size - offset);
  std::ifstream in(file, std::ios::binary);
  std::string bytes(static_cast<size_t>(length), '\0');
  if (!in || !in.seekg(static_cast<std::streamoff>(offset)) ||
      !in.read(bytes.data(), static_cast<std::streamsize>(length)))
    return makeError("initializer '{}': cannot read external data file '{}': {}", tensor.name(),
                     ref.location, std::strerror(errno));
  tensor.clear_external_data();
  tensor.set_data_location(onnx::TensorProto::DEFAULT);
  tensor.set_raw_data(std::move(bytes));
  return Status::ok();
}

} // namespace

Status loadExternalData(onnx::GraphProto &graph, const std::string &baseDir) {
  for (onnx::TensorProto &tensor : *graph.mutable_initializer()) {
    if (tensor.data_location() != onnx::TensorProto::EXTERNAL)
      continue;
    auto ref = parseRef(tensor);
    if (!ref)
      return ref.error();
    if (baseDir.empty())
      return makeError("initializer '{}' keeps its data in external file '{}', which cannot be "
                       "read for a model given as bytes; load the model from its file",
                       tensor.name(), ref->location);
    auto file = confine(tensor.name(), ref->location, baseDir);
    if (!file)
      return file.error();
    RNNPOOLC_TRY(readInto(tensor, *ref, *file));
  }
  return Status::ok();
}

} // namespace rnnpoolc::onnx_frontend
