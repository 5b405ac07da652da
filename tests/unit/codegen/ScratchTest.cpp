// The planner reserves RNNPool's working memory from the IR's formula (ir::scratchBytes);
// the runtime kernel states what it uses (rp_rnnpool_scratch_bytes). The two must agree, or
// generated code would write past its scratch buffer.
#include "compiler/ir/OpInfo.h"
#include "runtime/rnnpoolc_runtime.h"

#include <catch2/catch.hpp>

using namespace rnnpoolc;

TEST_CASE("codegen: the planner's RNNPool scratch equals the runtime kernel's") {
  for (int64_t patch : {2, 4, 6, 8})
    for (int64_t h1 : {1, 4, 16, 33})
      for (int64_t h2 : {2, 8, 16})
        for (int64_t cols : {1, 3, 39}) {
          ir::Node node;
          node.op = ir::OpKind::RNNPool;
          ir::RNNPoolAttrs a;
          a.patch = {patch, patch + 1};
          a.stride = {patch / 2, patch / 2};
          a.rnn1.hidden = h1;
          a.rnn2.hidden = h2;
          node.attrs = a;
          rp_rnnpool_params p{};
          p.patch_h = static_cast<int32_t>(patch);
          p.patch_w = static_cast<int32_t>(patch + 1);
          p.rnn1.hidden = static_cast<int32_t>(h1);
          p.rnn2.hidden = static_cast<int32_t>(h2);
          ir::Graph g;
          const ir::Region out{0, 1, 0, cols};
          INFO("patch " << patch << " h1 " << h1 << " h2 " << h2 << " cols " << cols);
          CHECK(ir::scratchBytes(g, node, out) ==
                static_cast<int64_t>(rp_rnnpool_scratch_bytes(&p, static_cast<int32_t>(cols), 1)));
        }
}
