// .npy reading and writing. The header is a Python dict literal; only the three keys
// NumPy writes are accepted, parsed by a small tokenizer rather than trusted.
#include "frontends/onnx/Npy.h"

#include "frontends/onnx/TensorConvert.h"

#include <cstring>
#include <limits>
#include <map>
#include <optional>

namespace rnnpoolc::onnx_frontend {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct Descr {
  const char *text;
  onnx::TensorProto_DataType onnxType;
};
constexpr Descr kDescrs[] = {
    {"<f4", onnx::TensorProto::FLOAT}, {"<f8", onnx::TensorProto::DOUBLE},
    {"<i8", onnx::TensorProto::INT64}, {"<i4", onnx::TensorProto::INT32},
    {"<i2", onnx::TensorProto::INT16}, {"|i1", onnx::TensorProto::INT8},
    {"|u1", onnx::TensorProto::UINT8}, {"|b1", onnx::TensorProto::BOOL},
};

struct Header {
  std::string descr;
  std::optional<bool> fortranOrder;
  std::optional<ir::Shape> shape;
};

/// A cursor over the header dict with the few token kinds it may contain.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  Expected<Header> parse() {
    Header header;
    if (!eat('{'))
      return fail("does not start with '{'");
    while (!eat('}')) {
      auto key = string();
      if (!key || !eat(':'))
        return fail("has a malformed key");
      if (*key == "descr") {
        auto value = string();
        if (!value)
          return fail("has a malformed 'descr'");
        header.descr = *value;
      } else if (*key == "fortran_order") {
        if (word("True"))
          header.fortranOrder = true;
        else if (word("False"))
          header.fortranOrder = false;
        else
          return fail("has a malformed 'fortran_order'");
      } else if (*key == "shape") {
        header.shape = tuple();
        if (!header.shape)
          return fail("has a malformed 'shape'");
      } else {
        return fail(fmt::format("has an unexpected key '{}'", *key));
      }
      if (!eat(',') && !peek('}'))
        return fail("lacks a ',' between entries");
    }
    skipSpace();
    if (pos_ != text_.size())
      return fail("has text after the closing '}'");
    if (header.descr.empty() || !header.fortranOrder || !header.shape)
      return fail("lacks one of 'descr', 'fortran_order' and 'shape'");
    return header;
  }

private:
  Error fail(std::string_view what) const {
    return makeError("malformed .npy header: the header dict {}", what);
  }
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t'))
      ++pos_;
  }
  bool peek(char c) {
    skipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool eat(char c) {
    if (!peek(c))
      return false;
    ++pos_;
    return true;
  }
  bool word(std::string_view w) {
    skipSpace();
    if (text_.substr(pos_, w.size()) != w)
      return false;
    pos_ += w.size();
    return true;
  }
  std::optional<std::string> string() {
    skipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
      return std::nullopt;
    char quote = text_[pos_++];
    size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos)
      return std::nullopt;
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }
  std::optional<int64_t> integer() {
    skipSpace();
    int64_t value = 0;
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      int digit = text_[pos_++] - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
        return std::nullopt;
      value = value * 10 + digit;
    }
    if (pos_ == start)
      return std::nullopt;
    if (pos_ < text_.size() && text_[pos_] == 'L') // written by Python 2
      ++pos_;
    return value;
  }
  std::optional<ir::Shape> tuple() {
    if (!eat('('))
      return std::nullopt;
    ir::Shape shape;
    while (!eat(')')) {
      auto dim = integer();
      if (!dim)
        return std::nullopt;
      shape.push_back(*dim);
      if (!eat(',') && !peek(')'))
        return std::nullopt;
    }
    return shape;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

uint32_t readLittle(const std::string &bytes, size_t offset, size_t size) {
  uint32_t value = 0;
  for (size_t k = 0; k < size; ++k)
    value |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + k])) << (8 * k);
  return value;
}

} // namespace

Expected<ir::TensorData> parseNpy(const std::string &bytes) {
  if (bytes.size() < kMagicSize + 4 || bytes.compare(0, kMagicSize, kMagic) != 0)
    return makeError("not a .npy file: it lacks the \\x93NUMPY magic");
  int major = static_cast<uint8_t>(bytes[6]);
  if (major < 1 || major > 3)
    return makeError("malformed .npy header: version bytes {} {} are not a NumPy format version",
                     major, static_cast<uint8_t>(bytes[7]));
  if (major == 3)
    return makeError("unsupported .npy version {}.{}; save with numpy.save (version 1.0 or 2.0)",
                     major, static_cast<uint8_t>(bytes[7]));
  size_t lengthSize = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + lengthSize)
    return makeError("malformed .npy header: the file ends inside the header");
  size_t headerLength = readLittle(bytes, 8, lengthSize);
  size_t dataOffset = 8 + lengthSize + headerLength;
  if (dataOffset > bytes.size())
    return makeError("malformed .npy header: it claims {} bytes, but the file ends before",
                     headerLength);
  auto header = HeaderParser(std::string_view(bytes).substr(8 + lengthSize, headerLength)).parse();
  if (!header)
    return header.error();

  const Descr *descr = nullptr;
  for (const Descr &d : kDescrs)
    if (header->descr == d.text)
      descr = &d;
  if (!descr)
    return makeError("unsupported .npy dtype '{}'; use float32 ('<f4'), float64, int64, int32, "
                     "int16, int8, uint8 or bool, little-endian",
                     header->descr);
  if (*header->fortranOrder)
    return makeError("unsupported .npy layout: fortran_order is True; save a C-order array "
                     "(numpy.ascontiguousarray)");
  size_t elementSize = onnxElementSize(descr->onnxType);
  auto count = ir::checkedNumel(*header->shape);
  if (!count || static_cast<uint64_t>(*count) > std::numeric_limits<uint64_t>::max() / elementSize)
    return makeError("malformed .npy header: shape {} is too large",
                     fmt::join(*header->shape, "x"));
  uint64_t need = static_cast<uint64_t>(*count) * elementSize;
  uint64_t have = bytes.size() - dataOffset;
  if (have != need)
    return makeError(".npy data has {} bytes, but shape {} of '{}' needs {}; the file is "
                     "truncated or corrupt",
                     have, ir::toString(*header->shape), header->descr, need);
  return decodeLittleEndian(descr->onnxType, *header->shape, bytes.data() + dataOffset,
                            static_cast<size_t>(*count));
}

std::string formatNpy(const ir::TensorData &tensor) {
  const char *descr = "<f4";
  for (const Descr &d : kDescrs)
    if (d.onnxType == onnxTypeOf(tensor.dtype))
      descr = d.text;
  std::string shape;
  for (int64_t d : tensor.shape)
    shape += fmt::format("{}, ", d);
  if (tensor.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.shape.size() == 1)
    shape.pop_back(); // "(3,)"
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, shape);
  // NumPy pads the header with spaces and a newline to a multiple of 64 bytes.
  size_t total = kMagicSize + 4 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  onnx::TensorProto proto;
  tensorToProto(tensor, "", proto);
  out += proto.raw_data();
  return out;
}

} // namespace rnnpoolc::onnx_frontend
