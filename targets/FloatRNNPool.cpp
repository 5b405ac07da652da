// Lowering an RNNPool node to rp_rnnpool_f32: the FastGRNN matrices multiplied out (low
// rank) and transposed to [hidden][in], zeta and nu through the sigmoid, as the interpreter
// applies them (compiler/interp/RNNPool.cpp).
#include "targets/FloatLowering.h"

#include "runtime/rp_scratch.h"

#include <fmt/format.h>

#include <cmath>

namespace rnnpoolc::targets {
namespace {

constexpr int64_t kMaxHidden = 64; // RP_F32_MAX_HIDDEN

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

int nonlinearity(ir::RnnNonlinearity kind) {
  switch (kind) {
  case ir::RnnNonlinearity::Sigmoid:
    return 0;
  case ir::RnnNonlinearity::Tanh:
    return 1;
  case ir::RnnNonlinearity::QuantSigm:
    return 2;
  case ir::RnnNonlinearity::QuantTanh:
    return 3;
  }
  return 0;
}

/// The rows x cols matrix of inputs idx[0] (or idx[0] . idx[1], rank `rank`), transposed to
/// cols x rows.
Expected<std::vector<float>> transposed(const ir::Graph &g, const ir::Node &node,
                                        const size_t *idx, size_t count, int64_t rank,
                                        int64_t rows, int64_t cols) {
  auto data = [&](size_t i, int64_t n) -> Expected<const std::vector<float> *> {
    ir::TensorId id = node.input(idx[i]);
    if (id == ir::kNoTensor || !g.tensor(id).isConstant() ||
        static_cast<int64_t>(g.tensor(id).data->f.size()) != n)
      return ir::nodeError(node, "input {} must be a float constant of {} values", idx[i], n);
    return &g.tensor(id).data->f;
  };
  std::vector<float> full(static_cast<size_t>(rows * cols), 0.0f);
  if (count == 1) {
    auto m = data(0, rows * cols);
    if (!m)
      return m.error();
    full = **m;
  } else {
    auto a = data(0, rows * rank), b = data(1, rank * cols);
    if (!a || !b)
      return !a ? a.error() : b.error();
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        float s = 0;
        for (int64_t r = 0; r < rank; ++r)
          s += (**a)[static_cast<size_t>(i * rank + r)] *
               (**b)[static_cast<size_t>(r * cols + j)];
        full[static_cast<size_t>(i * cols + j)] = s;
      }
  }
  std::vector<float> t(full.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      t[static_cast<size_t>(j * rows + i)] = full[static_cast<size_t>(i * cols + j)];
  return t;
}

/// The params of one cell ("rnn1" / "rnn2"); its arrays are added to `arrays`.
Expected<FloatParams> cell(const ir::Graph &g, const ir::Node &node, const ir::FastGrnnAttrs &a,
                           size_t first, int64_t in, const std::string &prefix,
                           std::vector<FloatArray> &arrays) {
  if (a.hidden <= 0 || a.hidden > kMaxHidden)
    return ir::nodeError(node, "hidden size {} is outside 1..{} of the C backend", a.hidden,
                         kMaxHidden);
  ir::FastGrnnOperands ops = ir::fastGrnnOperands(a, first);
  auto w = transposed(g, node, ops.w, ops.numW, a.rankW, in, a.hidden);
  if (!w)
    return w.error();
  auto u = transposed(g, node, ops.u, ops.numU, a.rankU, a.hidden, a.hidden);
  if (!u)
    return u.error();
  auto vec = [&](size_t i, int64_t n) -> Expected<std::vector<float>> {
    ir::TensorId id = node.input(i);
    if (id == ir::kNoTensor || !g.tensor(id).isConstant() ||
        static_cast<int64_t>(g.tensor(id).data->f.size()) != n)
      return ir::nodeError(node, "input {} must be a float constant of {} values", i, n);
    return g.tensor(id).data->f;
  };
  auto bz = vec(ops.bz, a.hidden), bh = vec(ops.bh, a.hidden);
  auto zeta = vec(ops.zeta, 1), nu = vec(ops.nu, 1);
  if (!bz || !bh || !zeta || !nu)
    return !bz ? bz.error() : !bh ? bh.error() : !zeta ? zeta.error() : nu.error();
  arrays.push_back({prefix + ".w", std::move(*w)});
  arrays.push_back({prefix + ".u", std::move(*u)});
  arrays.push_back({prefix + ".bz", std::move(*bz)});
  arrays.push_back({prefix + ".bh", std::move(*bh)});
  FloatParams p(&arrays);
  p.add("in_dim", in).add("hidden", a.hidden);
  p.ptr("w", prefix + ".w").ptr("u", prefix + ".u");
  p.ptr("bz", prefix + ".bz").ptr("bh", prefix + ".bh");
  p.real("zeta", sigmoid((*zeta)[0])).real("nu", sigmoid((*nu)[0]));
  p.add("gate", nonlinearity(a.gate)).add("update", nonlinearity(a.update));
  return p;
}

} // namespace

Expected<FloatStep> lowerRNNPool(const ir::Graph &g, const ir::Node &node) {
  const auto &a = node.attr<ir::RNNPoolAttrs>();
  const ir::Tensor &x = g.tensor(node.inputs.at(0)), &y = g.tensor(node.outputs.at(0));
  if (x.shape.size() != 4 || x.shape[0] != 1)
    return ir::nodeError(node, "the C backend runs RNNPool on a batch-1 feature map");
  FloatStep s;
  s.kind = FloatKind::RNNPool;
  FloatParams params;
  params.add("in_h", x.shape[2]).add("in_w", x.shape[3]).add("in_c", x.shape[1]);
  params.add("out_h", y.shape[2]).add("out_w", y.shape[3]);
  params.add("patch_h", a.patch[0]).add("patch_w", a.patch[1]);
  params.add("stride_h", a.stride[0]).add("stride_w", a.stride[1]);
  auto c1 = cell(g, node, a.rnn1, 1, x.shape[1], "rnn1", s.arrays);
  if (!c1)
    return c1.error();
  auto c2 = cell(g, node, a.rnn2, ir::fastGrnnOperands(a.rnn1, 1).end, a.rnn1.hidden, "rnn2",
                 s.arrays);
  if (!c2)
    return c2.error();
  params.nested("rnn1", std::move(*c1)).nested("rnn2", std::move(*c2));
  s.params = params.take();
  // rp_rnnpool_f32_scratch_bytes(p, out_w, reuse = 1): the summary caches of a whole row.
  s.scratchBytes = static_cast<int64_t>(rp_rnnpool_scratch_size(
      static_cast<int32_t>(a.patch[0]), static_cast<int32_t>(a.stride[0]),
      static_cast<int32_t>(a.patch[1]), static_cast<int32_t>(a.rnn1.hidden),
      static_cast<int32_t>(a.rnn2.hidden), static_cast<int32_t>(y.shape[3]), sizeof(float)));
  return s;
}

} // namespace rnnpoolc::targets
