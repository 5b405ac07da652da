// The supported-op table. An op that maps 1:1 onto the IR op of the same name (see
// compiler/ir/Ops.def) and has no attributes has a nullptr translator.
#include "frontends/onnx/OpTable.h"

#include "frontends/onnx/Importer.h"
#include "frontends/onnx/Translators.h"

#include <algorithm>

namespace rnnpoolc::onnx_frontend {
namespace {

using namespace translate;

constexpr OpEntry kOps[] = {
    // Compute
    {"", "Conv", conv},
    {"", "Gemm", gemm},
    {"", "MatMul", nullptr},
    // Elementwise, binary or variadic
    {"", "Add", nullptr},
    {"", "Sub", nullptr},
    {"", "Mul", nullptr},
    {"", "Div", nullptr},
    {"", "Pow", nullptr},
    {"", "Max", nullptr},
    {"", "Min", nullptr},
    {"", "Sum", nullptr},
    {"", "Equal", nullptr},
    {"", "Less", nullptr},
    {"", "Greater", nullptr},
    {"", "And", nullptr},
    {"", "Or", nullptr},
    {"", "Where", nullptr},
    // Elementwise, unary
    {"", "Identity", nullptr},
    {"", "Relu", nullptr},
    {"", "LeakyRelu", leakyRelu},
    {"", "PRelu", prelu},
    {"", "Sigmoid", nullptr},
    {"", "HardSigmoid", hardSigmoid},
    {"", "HardSwish", nullptr},
    {"", "Tanh", nullptr},
    {"", "Softplus", nullptr},
    {"", "Clip", clip},
    {"", "Sqrt", nullptr},
    {"", "Neg", nullptr},
    {"", "Abs", nullptr},
    {"", "Exp", nullptr},
    {"", "Log", nullptr},
    {"", "Reciprocal", nullptr},
    {"", "Floor", nullptr},
    {"", "Ceil", nullptr},
    {"", "Erf", nullptr},
    {"", "Not", nullptr},
    {"", "Cast", cast},
    {"", "QuantizeLinear", quantizeLinear},
    {"", "DequantizeLinear", quantizeLinear},
    // Pooling and normalisation
    {"", "MaxPool", maxPool},
    {"", "AveragePool", averagePool},
    {"", "GlobalAveragePool", nullptr},
    {"", "GlobalMaxPool", nullptr},
    {"", "BatchNormalization", batchNorm},
    {"", "Softmax", softmax},
    {"", "LpNormalization", lpNormalization},
    // Reductions
    {"", "ReduceSum", reduce},
    {"", "ReduceMean", reduce},
    {"", "ReduceMax", reduce},
    {"", "ReduceMin", reduce},
    // Layout
    {"", "Concat", concat},
    {"", "Split", split},
    {"", "Slice", slice},
    {"", "Gather", gather},
    {"", "ScatterND", scatterND},
    {"", "Reshape", reshape},
    {"", "Flatten", flatten},
    {"", "Squeeze", squeeze},
    {"", "Unsqueeze", unsqueeze},
    {"", "Transpose", transpose},
    {"", "Pad", pad},
    {"", "Resize", resize},
    {"", "Upsample", upsample},
    {"", "Expand", nullptr},
    {"", "Tile", nullptr},
    // Shape plumbing
    {"", "Shape", shape},
    {"", "Range", nullptr},
    {"", "ConstantOfShape", constantOfShape},
    // Not IR ops: folded into constants or identities.
    {"", "Constant", constant},
    {"", "Dropout", dropout},
    // Custom domain: RNNPool (DESIGN.md §3, encoding 3), opset 1 of ai.rnnpoolc.
    {"ai.rnnpoolc", "RNNPool", rnnPool},
};

} // namespace

std::span<const OpEntry> opTable() { return kOps; }

const OpEntry *findOp(std::string_view domain, std::string_view opType) {
  if (domain == "ai.onnx")
    domain = "";
  for (const OpEntry &entry : kOps)
    if (entry.domain == domain && entry.opType == opType)
      return &entry;
  return nullptr;
}

std::vector<std::string> supportedOnnxOps() {
  std::vector<std::string> names;
  for (const OpEntry &entry : kOps)
    names.push_back(entry.domain.empty() ? std::string(entry.opType)
                                         : fmt::format("{}.{}", entry.domain, entry.opType));
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace rnnpoolc::onnx_frontend
