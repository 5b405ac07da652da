// The canonicalisation pipeline, written as data: one row per pass with its reason.
#include "compiler/ir/Validator.h"
#include "compiler/passes/Passes.h"

namespace rnnpoolc::passes {
namespace {

constexpr PassInfo kPipeline[] = {
    {"fold-constants", foldConstantsAndInferShapes,
     "first: every later pass needs shapes, and PyTorch's shape plumbing must be gone "
     "before patterns are matched (it leaves DequantizeLinear to the next pass)"},
    {"fold-dequantized-constants", foldDequantizedConstants,
     "right after folding, before any pass looks for constant weights: a QDQ model's weights "
     "become float constants that keep their integers and scales for the quantiser"},
    {"prelu", simplifyPRelu,
     "after both foldings, which make the slope a constant (PyTorch unsqueezes it at run time "
     "without constant folding, and a QDQ model dequantises it); before activation fusion, "
     "which folds the LeakyRelu of one slope into its conv"},
    {"softmax-transposes", softmaxTransposes,
     "after folding (the shapes and the softmax axis known), before remove-identities, which "
     "drops the identity Transpose it leaves where a softmax was transposed there and back"},
    {"remove-identities", removeIdentities,
     "before the fusions, so that an Identity between Conv and BatchNorm does not block them"},
    {"recognise-rnnpool", recogniseRNNPool,
     "after folding, which turns the exporters' index plumbing into constants that element "
     "tracing can follow; before rewrites that could merge a cell's ops with their neighbours"},
    {"global-pools", rewriteGlobalPools,
     "after folding, which makes the axes constants; the backends pool whole maps (and the "
     "int8 average pool a band of rows at a time) but have no kernel for two strided axes"},
    {"channel-shuffle", rewriteChannelShuffles,
     "after folding, which resolves the reshapes' shapes; the backends move the channels of "
     "each pixel in one kernel (row bands included), and transpose no rank-5 tensor"},
    {"fold-batchnorm", foldBatchNorm,
     "before activation fusion: Conv-BN-ReLU becomes one Conv"},
    {"fold-channel-permutations", foldChannelPermutations,
     "after the RNNPool recogniser (whose reorder of the authors' output it removes) and "
     "BatchNorm folding (a BatchNorm between would be a per-channel op); before activation "
     "fusion, so that the activations it passes through are still nodes of their own"},
    {"fuse-l2norm", fuseL2Norm,
     "after constant folding (eps, the exponent 2, the axes and the scale must be constants); "
     "one op gives the fixed-point backend one kernel with an integer inverse square root"},
    {"fuse-activations", fuseActivations, "after BatchNorm folding, for the same reason"},
    {"remove-dead-nodes", removeDeadNodes, "last: sweeps what the passes above disconnected"},
};

} // namespace

std::span<const PassInfo> canonicalPipeline() { return kPipeline; }

Status canonicalize(ir::Graph &graph, bool verify) {
  for (const PassInfo &pass : kPipeline) {
    RNNPOOLC_TRY(pass.run(graph));
    if (!verify)
      continue;
    if (auto valid = ir::validate(graph); !valid)
      return makeError("internal: invalid graph after pass '{}': {}", pass.name,
                       valid.error().message());
  }
  return Status::ok();
}

} // namespace rnnpoolc::passes
