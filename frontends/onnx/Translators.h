// Op translators (see OpTable.h), grouped by the file that defines them.
#pragma once

#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpTable.h"

namespace rnnpoolc::onnx_frontend::translate {

// TranslateCompute.cpp: convolution, matrix products, pooling, normalisation, activations.
Status conv(NodeContext &ctx);
Status gemm(NodeContext &ctx);
Status maxPool(NodeContext &ctx);
Status averagePool(NodeContext &ctx);
Status batchNorm(NodeContext &ctx);
Status softmax(NodeContext &ctx);
Status lpNormalization(NodeContext &ctx);
Status leakyRelu(NodeContext &ctx);
/// PRelu as where(x < 0, x * slope, x) (the prelu pass simplifies it).
Status prelu(NodeContext &ctx);
Status hardSigmoid(NodeContext &ctx);
Status clip(NodeContext &ctx);
Status cast(NodeContext &ctx);
/// QuantizeLinear and DequantizeLinear (opsets 10 and 13 forms).
Status quantizeLinear(NodeContext &ctx);

// TranslateLayout.cpp: reductions, layout and shape plumbing.
Status reduce(NodeContext &ctx);
Status concat(NodeContext &ctx);
Status gather(NodeContext &ctx);
Status flatten(NodeContext &ctx);
Status split(NodeContext &ctx);
Status slice(NodeContext &ctx);
Status pad(NodeContext &ctx);
Status squeeze(NodeContext &ctx);
Status unsqueeze(NodeContext &ctx);
Status reshape(NodeContext &ctx);
Status transpose(NodeContext &ctx);
/// Resize (opsets 10-19) and Upsample (opsets 7-9), both the IR's Resize.
Status resize(NodeContext &ctx);
Status upsample(NodeContext &ctx);
Status shape(NodeContext &ctx);
Status scatterND(NodeContext &ctx);

// TranslateSpecial.cpp: ops that do not become an IR node of the same name.
Status constant(NodeContext &ctx);
Status constantOfShape(NodeContext &ctx);
Status dropout(NodeContext &ctx);

// TranslateRNNPool.cpp: the ai.rnnpoolc::RNNPool custom node.
Status rnnPool(NodeContext &ctx);

} // namespace rnnpoolc::onnx_frontend::translate
