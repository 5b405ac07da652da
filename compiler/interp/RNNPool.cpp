// RNNPool kernel: RNNPool(r, c, k, h1, h2) on every r x c patch of an N x k x H x W input at
// stride (sh, sw), exactly as tools/rnnpool/rnnpool.py and DESIGN.md §3 define it. Plain
// float32 loops; the matrices are in EdgeML's orientation (x.W with W: in x hidden).
#include "compiler/interp/Kernels.h"

namespace rnnpoolc::interp::detail {
namespace {

/// The parameters of one FastGRNN cell, read from the node's inputs.
struct Cell {
  const ir::FastGrnnAttrs *attrs = nullptr;
  int64_t in = 0, hidden = 0;
  const float *w[2] = {nullptr, nullptr}, *u[2] = {nullptr, nullptr};
  const float *bz = nullptr, *bh = nullptr;
  float zeta = 0, nu = 0; ///< sigmoid of the stored raw values.
};

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

/// Checks one cell's operands against the attributes (shape inference does the same for a
/// graph; evaluate() may be called on a bare node) and reads them.
Expected<Cell> readCell(const ir::Node &node, Inputs in, const ir::FastGrnnAttrs &attrs,
                        size_t first, int64_t inSize) {
  Cell cell;
  cell.attrs = &attrs;
  cell.in = inSize;
  cell.hidden = attrs.hidden;
  int64_t h = attrs.hidden;
  if (h <= 0)
    return ir::nodeError(node, "hidden size must be positive, not {}", h);
  ir::FastGrnnOperands ops = ir::fastGrnnOperands(attrs, first);
  auto operand = [&](size_t i, int64_t count) -> Expected<const float *> {
    const ir::TensorData *t = in[i];
    if (!t)
      return ir::nodeError(node, "input {} is missing", i);
    RNNPOOLC_TRY(requireFloat(node, *t, "weights"));
    if (t->numel() != count)
      return ir::nodeError(node, "input {} holds {} values, expected {}", i, t->numel(), count);
    return t->f.data();
  };
  auto matrix = [&](const size_t *idx, size_t n, int64_t rank, int64_t rows, int64_t cols,
                    const float **dst) -> Status {
    if (n == 1) {
      RNNPOOLC_INTERP_LET(p, operand(idx[0], rows * cols));
      dst[0] = p;
      return Status::ok();
    }
    RNNPOOLC_INTERP_LET(p0, operand(idx[0], rows * rank));
    RNNPOOLC_INTERP_LET(p1, operand(idx[1], rank * cols));
    dst[0] = p0;
    dst[1] = p1;
    return Status::ok();
  };
  RNNPOOLC_TRY(matrix(ops.w, ops.numW, attrs.rankW, inSize, h, cell.w));
  RNNPOOLC_TRY(matrix(ops.u, ops.numU, attrs.rankU, h, h, cell.u));
  RNNPOOLC_INTERP_LET(bz, operand(ops.bz, h));
  RNNPOOLC_INTERP_LET(bh, operand(ops.bh, h));
  RNNPOOLC_INTERP_LET(zeta, operand(ops.zeta, 1));
  RNNPOOLC_INTERP_LET(nu, operand(ops.nu, 1));
  cell.bz = bz;
  cell.bh = bh;
  cell.zeta = sigmoid(zeta[0]);
  cell.nu = sigmoid(nu[0]);
  return cell;
}

/// acc[0..cols) += v[0..rows) . m (rows x cols, row-major), or through two factors
/// (rows x rank then rank x cols) when m[1] is set; `tmp` holds the rank intermediate.
void vecMat(const float *v, const float *const *m, int64_t rows, int64_t rank, int64_t cols,
            std::vector<float> &tmp, std::vector<float> &acc) {
  if (!m[1]) {
    for (int64_t j = 0; j < cols; ++j) {
      float s = 0;
      for (int64_t i = 0; i < rows; ++i)
        s += v[i] * m[0][i * cols + j];
      acc[static_cast<size_t>(j)] += s;
    }
    return;
  }
  tmp.assign(static_cast<size_t>(rank), 0.0f);
  for (int64_t j = 0; j < rank; ++j) {
    float s = 0;
    for (int64_t i = 0; i < rows; ++i)
      s += v[i] * m[0][i * rank + j];
    tmp[static_cast<size_t>(j)] = s;
  }
  for (int64_t j = 0; j < cols; ++j) {
    float s = 0;
    for (int64_t i = 0; i < rank; ++i)
      s += tmp[static_cast<size_t>(i)] * m[1][i * cols + j];
    acc[static_cast<size_t>(j)] += s;
  }
}

/// One FastGRNN step: h = z*h + (zeta*(1-z) + nu)*c, in place.
struct Stepper {
  const Cell &cell;
  std::vector<float> pre, wx, tmp;

  explicit Stepper(const Cell &c)
      : cell(c), pre(static_cast<size_t>(c.hidden)), wx(static_cast<size_t>(c.hidden)) {}

  void step(const float *x, std::vector<float> &h) {
    auto n = static_cast<size_t>(cell.hidden);
    std::fill(wx.begin(), wx.end(), 0.0f);
    vecMat(x, cell.w, cell.in, cell.attrs->rankW, cell.hidden, tmp, wx);
    std::fill(pre.begin(), pre.end(), 0.0f);
    vecMat(h.data(), cell.u, cell.hidden, cell.attrs->rankU, cell.hidden, tmp, pre);
    for (size_t j = 0; j < n; ++j) {
      float p = wx[j] + pre[j];
      float z = ir::applyRnnNonlinearity(cell.attrs->gate, p + cell.bz[j]);
      float c = ir::applyRnnNonlinearity(cell.attrs->update, p + cell.bh[j]);
      h[j] = z * h[j] + (cell.zeta * (1.0f - z) + cell.nu) * c;
    }
  }

  /// The final state of a sweep from h = 0 over `count` inputs of cell.in values each,
  /// the t-th at seq + t * stride (t counted backward when `reverse`).
  void sweep(const float *seq, int64_t count, int64_t stride, bool reverse,
             std::vector<float> &h) {
    h.assign(static_cast<size_t>(cell.hidden), 0.0f);
    for (int64_t t = 0; t < count; ++t)
      step(seq + (reverse ? count - 1 - t : t) * stride, h);
  }
};

} // namespace

Result evalRNNPool(const ir::Node &node, Inputs in) {
  const auto &a = node.attr<ir::RNNPoolAttrs>();
  const ir::TensorData &x = *in[0];
  RNNPOOLC_TRY(requireFloat(node, x, "input"));
  if (x.shape.size() != 4)
    return ir::nodeError(node, "input must be N x k x H x W, not {}", ir::toString(x.shape));
  if (a.patch.size() != 2 || a.stride.size() != 2 || a.patch[0] <= 0 || a.patch[1] <= 0 ||
      a.stride[0] <= 0 || a.stride[1] <= 0)
    return ir::nodeError(node, "patch and stride must be two positive values each");
  if (in.size() != ir::rnnPoolInputCount(a))
    return ir::nodeError(node, "has {} inputs, its ranks need {}", in.size(),
                         ir::rnnPoolInputCount(a));
  const int64_t n = x.shape[0], k = x.shape[1], hIn = x.shape[2], wIn = x.shape[3];
  const int64_t r = a.patch[0], c = a.patch[1], sh = a.stride[0], sw = a.stride[1];
  if (r > hIn || c > wIn)
    return ir::nodeError(node, "patch {}x{} does not fit the input {}", r, c,
                         ir::toString(x.shape));
  RNNPOOLC_INTERP_LET(cell1, readCell(node, in, a.rnn1, 1, k));
  RNNPOOLC_INTERP_LET(cell2, readCell(node, in, a.rnn2, ir::fastGrnnOperands(a.rnn1, 1).end,
                                      a.rnn1.hidden));
  const int64_t h1 = a.rnn1.hidden, h2 = a.rnn2.hidden;
  const int64_t ho = (hIn - r) / sh + 1, wo = (wIn - c) / sw + 1;
  RNNPOOLC_INTERP_LET(out, allocate(node, ir::DType::Float32, {n, 4 * h2, ho, wo}));

  Stepper rnn1(cell1), rnn2(cell2);
  // A patch channels-last ([r][c][k]) so that each RNN1 input is contiguous; summaries
  // [r][h1] for rows and [c][h1] for columns.
  std::vector<float> patch(static_cast<size_t>(r * c * k));
  std::vector<float> rowSum(static_cast<size_t>(r * h1)), colSum(static_cast<size_t>(c * h1));
  std::vector<float> state;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oi = 0; oi < ho; ++oi)
      for (int64_t oj = 0; oj < wo; ++oj) {
        for (int64_t i = 0; i < r; ++i)
          for (int64_t j = 0; j < c; ++j)
            for (int64_t ch = 0; ch < k; ++ch)
              patch[static_cast<size_t>((i * c + j) * k + ch)] =
                  x.f[static_cast<size_t>(((b * k + ch) * hIn + oi * sh + i) * wIn + oj * sw +
                                          j)];
        // RNN1 along each row (left to right), then each column (top to bottom).
        for (int64_t i = 0; i < r; ++i) {
          rnn1.sweep(patch.data() + i * c * k, c, k, /*reverse=*/false, state);
          std::copy(state.begin(), state.end(), rowSum.begin() + i * h1);
        }
        for (int64_t j = 0; j < c; ++j) {
          rnn1.sweep(patch.data() + j * k, r, c * k, /*reverse=*/false, state);
          std::copy(state.begin(), state.end(), colSum.begin() + j * h1);
        }
        // RNN2 forward and backward over the row summaries, then the column summaries.
        const float *seqs[2] = {rowSum.data(), colSum.data()};
        const int64_t lens[2] = {r, c};
        int64_t slot = 0;
        for (int s = 0; s < 2; ++s)
          for (bool reverse : {false, true}) {
            rnn2.sweep(seqs[s], lens[s], h1, reverse, state);
            for (int64_t j = 0; j < h2; ++j)
              out.f[static_cast<size_t>(((b * 4 * h2 + slot * h2 + j) * ho + oi) * wo + oj)] =
                  state[static_cast<size_t>(j)];
            ++slot;
          }
      }
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
