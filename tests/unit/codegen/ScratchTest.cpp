// RNNPool's working memory has one definition (runtime/rp_scratch.h). The planner and its
// verifier reserve it through ir::scratchBytes (int16 or, for the float build, float states), the int8 and float kernels state it through
// rp_rnnpool_scratch_bytes / rp_rnnpool_f32_scratch_bytes, the fixed-point interpreter and
// the kernel table through quant::scratchBytes. They must agree, or generated code would
// write past its scratch buffer.
#include "compiler/ir/OpInfo.h"
#include "compiler/quant/Kernels.h"
#include "runtime/rnnpoolc_runtime.h"
#include "runtime/rnnpoolc_runtime_f32.h"
#include "runtime/rp_scratch.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace rnnpoolc;

TEST_CASE("codegen: the planner's, the kernel table's and the runtime kernels' RNNPool "
          "scratch agree") {
  for (int64_t patch : {2, 4, 6, 8})
    for (int64_t stride : {int64_t{1}, patch / 2, patch, patch + 1})
      for (int64_t h1 : {1, 4, 16, 33})
        for (int64_t h2 : {2, 8, 16})
          for (int64_t cols : {1, 3, 39}) {
            ir::Node node;
            node.op = ir::OpKind::RNNPool;
            ir::RNNPoolAttrs a;
            a.patch = {patch, patch + 1};
            a.stride = {stride, stride};
            a.rnn1.hidden = h1;
            a.rnn2.hidden = h2;
            node.attrs = a;
            quant::Layer layer;
            layer.kind = quant::KernelKind::RNNPool;
            rp_rnnpool_params p{};
            p.patch_h = static_cast<int32_t>(patch);
            p.patch_w = static_cast<int32_t>(patch + 1);
            p.stride_h = p.stride_w = static_cast<int32_t>(stride);
            p.rnn1.hidden = static_cast<int32_t>(h1);
            p.rnn2.hidden = static_cast<int32_t>(h2);
            layer.params = p;
            rp_rnnpool_f32_params pf{};
            pf.patch_h = p.patch_h, pf.patch_w = p.patch_w;
            pf.stride_h = pf.stride_w = p.stride_h;
            pf.rnn1.hidden = p.rnn1.hidden, pf.rnn2.hidden = p.rnn2.hidden;
            ir::Graph g;
            const ir::Region out{0, 1, 0, cols};
            const auto c = static_cast<int32_t>(cols);
            INFO("patch " << patch << " stride " << stride << " h1 " << h1 << " h2 " << h2
                          << " cols " << cols);
            const auto runtime = static_cast<int64_t>(rp_rnnpool_scratch_bytes(&p, c, 1));
            CHECK(ir::scratchBytes(g, node, out) == runtime);
            CHECK(quant::scratchBytes(layer, cols) == runtime);
            // The layout: the carried rows (patch - stride of them, when patches overlap)
            // of every column and one patch's row summaries, or a ring of patch rows per
            // column where that is smaller; the column cache and two RNN2 states, int16
            // (int8 build) or float (float build), rounded to 4 bytes.
            const int64_t carry = std::max<int64_t>(patch - stride, 0);
            const int64_t rows = std::min(carry * cols + patch, patch * cols);
            const int64_t elems = (rows + patch + 2) * h1 + 2 * h2;
            CHECK(runtime == (elems * 2 + 3) / 4 * 4);
            CHECK(static_cast<int64_t>(rp_rnnpool_f32_scratch_bytes(&pf, c, 1)) == elems * 4);
            // The float build's plan reserves what its kernel needs.
            CHECK(ir::scratchBytes(g, node, out, /*floatState=*/true) == elems * 4);
            // Without reuse, nothing is carried: one patch's summaries.
            const int64_t alone = (patch + patch + 2) * h1 + 2 * h2;
            CHECK(static_cast<int64_t>(rp_rnnpool_scratch_bytes(&p, c, 0)) ==
                  (alone * 2 + 3) / 4 * 4);
            CHECK(static_cast<int64_t>(rp_rnnpool_f32_scratch_bytes(&pf, c, 0)) == alone * 4);
          }
}

TEST_CASE("codegen: kernels without a Scratch function in the table need none") {
  for (const quant::KernelInfo &k : quant::kernelTable()) {
    if (!k.scratch.empty())
      continue;
    quant::Layer layer;
    layer.kind = k.kind;
    INFO(k.name);
    CHECK(quant::scratchBytes(layer, 17) == 0);
  }
}
