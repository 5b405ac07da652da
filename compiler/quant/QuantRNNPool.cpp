// Layer builder for RNNPool: the two FastGRNN cells in Q15 with int32 accumulation.
//
// State format: with z in [0, 1] and |c| <= 1, |h'| <= max(|h|, zeta) + nu, so after T
// steps from 0 |h| <= zeta + T * nu (with a tanh gate, z in [-1, 1]: T * (2 zeta + nu)).
// The state is int16 in Q(15 - s) with the least s whose range holds that bound.
// Accumulator: acc = (x.W) 2^k + h.U at one scale S. S is the power of two at or above the
// larger of (a) the worst case |x.W + h.U + b| over all representable x and h divided by
// 0.9 * 2^31 and (b) what keeps U within int16; k then lets W use its 16 bits. The bound is
// then proved on the integers (cellBound, checkBounds), coarsening S where rounding broke it.
// Low-rank factors are multiplied out here.
#include "compiler/quant/QuantInternal.h"

#include <algorithm>
#include <cmath>

namespace rnnpoolc::quant {
namespace {

/// One cell's float parameters with W as [in][hidden] and U as [hidden][hidden].
struct CellFloat {
  const ir::FastGrnnAttrs *attrs = nullptr;
  int64_t in = 0, hidden = 0;
  std::vector<double> w, u, bz, bh;
  double zeta = 0, nu = 0; ///< sigmoid of the raw values, as Q14 will hold them
};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
int32_t toQ14(double x) { return roundClamp(x * 16384.0, 0, 16383); }

/// rows x cols from one input or the product of two factors (rows x r, r x cols).
Expected<std::vector<double>> readMatrix(const Context &ctx, const ir::Node &node,
                                         const size_t *idx, size_t count, int64_t rows,
                                         int64_t cols) {
  std::vector<const ir::TensorData *> f;
  for (size_t i = 0; i < count; ++i) {
    auto t = constantInput(ctx.graph, node, idx[i], "FastGRNN matrix");
    if (!t)
      return t.error();
    f.push_back(*t);
  }
  std::vector<double> m(static_cast<size_t>(rows * cols), 0.0);
  if (count == 1) {
    for (size_t i = 0; i < m.size(); ++i)
      m[i] = f[0]->f.at(i);
    return m;
  }
  int64_t rank = static_cast<int64_t>(f[0]->f.size()) / rows;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double s = 0;
      for (int64_t k = 0; k < rank; ++k)
        s += double(f[0]->f.at(static_cast<size_t>(r * rank + k))) *
             f[1]->f.at(static_cast<size_t>(k * cols + c));
      m[static_cast<size_t>(r * cols + c)] = s;
    }
  return m;
}

Expected<CellFloat> readCell(const Context &ctx, const ir::Node &node,
                             const ir::FastGrnnAttrs &attrs, size_t first, int64_t in) {
  CellFloat cell;
  cell.attrs = &attrs;
  cell.in = in;
  cell.hidden = attrs.hidden;
  ir::FastGrnnOperands ops = ir::fastGrnnOperands(attrs, first);
  auto w = readMatrix(ctx, node, ops.w, ops.numW, in, attrs.hidden);
  if (!w)
    return w.error();
  auto u = readMatrix(ctx, node, ops.u, ops.numU, attrs.hidden, attrs.hidden);
  if (!u)
    return u.error();
  cell.w = std::move(*w);
  cell.u = std::move(*u);
  auto vec = [&](size_t i, std::vector<double> &dst) -> Status {
    auto t = constantInput(ctx.graph, node, i, "FastGRNN parameter");
    if (!t)
      return t.error();
    dst.assign((*t)->f.begin(), (*t)->f.end());
    return Status::ok();
  };
  std::vector<double> zeta, nu;
  RNNPOOLC_TRY(vec(ops.bz, cell.bz));
  RNNPOOLC_TRY(vec(ops.bh, cell.bh));
  RNNPOOLC_TRY(vec(ops.zeta, zeta));
  RNNPOOLC_TRY(vec(ops.nu, nu));
  for (const std::vector<double> *values : {&cell.w, &cell.u, &cell.bz, &cell.bh, &zeta, &nu})
    if (!std::all_of(values->begin(), values->end(), [](double v) { return std::isfinite(v); }))
      return ir::nodeError(node, "a FastGRNN weight or bias is infinite or NaN, which the "
                                 "fixed-point backend cannot scale; fix the model's weights");
  cell.zeta = toQ14(sigmoid(zeta.at(0))) / 16384.0;
  cell.nu = toQ14(sigmoid(nu.at(0))) / 16384.0;
  return cell;
}

int32_t nonlinearity(ir::RnnNonlinearity kind) {
  switch (kind) {
  case ir::RnnNonlinearity::Sigmoid: return RP_NL_SIGMOID;
  case ir::RnnNonlinearity::Tanh: return RP_NL_TANH;
  case ir::RnnNonlinearity::QuantSigm: return RP_NL_QUANT_SIGM;
  case ir::RnnNonlinearity::QuantTanh: return RP_NL_QUANT_TANH;
  }
  return RP_NL_SIGMOID;
}

/// The state shift s for sweeps of up to `steps` inputs (see the banner).
int32_t stateShift(const CellFloat &cell, int64_t steps) {
  bool unitGate = cell.attrs->gate == ir::RnnNonlinearity::Sigmoid ||
                  cell.attrs->gate == ir::RnnNonlinearity::QuantSigm;
  double t = static_cast<double>(steps);
  double bound = unitGate ? cell.zeta + t * cell.nu : t * (2 * cell.zeta + cell.nu);
  bound = bound * 1.02 + 1e-3; // fixed-point rounding in each step
  int32_t s = 0;
  while (s < 7 && std::ldexp(1.0, s) < bound)
    ++s;
  return s;
}

/// One cell's integers at accumulator scale S = 2^-(12 + accShift).
struct CellInts {
  std::vector<int16_t> w, u;
  std::vector<int32_t> bz, bh;
  int32_t xShift = 0;
};

/// The cell's integers at accShift for inputs with scale xScale and states with hScale.
/// `int8Input`: W's groups of four are stored in the SXTAB16 lane order.
CellInts cellAt(const CellFloat &cell, double xScale, double hScale, bool int8Input,
                int32_t accShift, double maxW) {
  const int64_t in = cell.in, h = cell.hidden;
  const double scale = std::ldexp(1.0, -(12 + accShift));
  CellInts c;
  while (c.xShift < 20 && maxW * xScale / (scale * std::ldexp(1.0, c.xShift)) > 32767.0)
    ++c.xShift;
  const double wScale = scale * std::ldexp(1.0, c.xShift) / xScale, uScale = scale / hScale;
  c.w.resize(static_cast<size_t>(h * in));
  c.u.resize(static_cast<size_t>(h * h));
  for (int64_t j = 0; j < h; ++j) {
    for (int64_t i = 0; i < in; ++i) {
      int64_t pos = i; // position of W[i][j] within row j (lane order for int8 inputs)
      if (int8Input && i < in / 4 * 4) {
        static const int64_t lane[4] = {0, 2, 1, 3};
        pos = i / 4 * 4 + lane[i % 4];
      }
      c.w[static_cast<size_t>(j * in + pos)] = static_cast<int16_t>(
          roundClamp(cell.w[static_cast<size_t>(i * h + j)] / wScale, -32767, 32767));
    }
    for (int64_t i = 0; i < h; ++i)
      c.u[static_cast<size_t>(j * h + i)] = static_cast<int16_t>(
          roundClamp(cell.u[static_cast<size_t>(i * h + j)] / uScale, -32767, 32767));
  }
  const double half = accShift > 0 ? std::ldexp(1.0, accShift - 1) : 0.0; // rounds the shift
  for (int64_t j = 0; j < h; ++j) {
    c.bz.push_back(roundClamp(cell.bz[static_cast<size_t>(j)] / scale + half, -2e9, 2e9));
    c.bh.push_back(roundClamp(cell.bh[static_cast<size_t>(j)] / scale + half, -2e9, 2e9));
  }
  return c;
}

/// The largest |acc + b| of any hidden unit over every input with |x| <= xMax integer steps
/// and every int16 state (|h| <= 32768): 2^xShift * xMax * sum |W| + 32768 * sum |U| +
/// max(|bz|, |bh|), which also bounds every partial sum.
double cellBound(const CellInts &c, int64_t in, int64_t h, int64_t xMax) {
  double worst = 0;
  for (int64_t j = 0; j < h; ++j) {
    double sw = 0, su = 0;
    for (int64_t i = 0; i < in; ++i)
      sw += std::abs(int32_t{c.w[static_cast<size_t>(j * in + i)]});
    for (int64_t i = 0; i < h; ++i)
      su += std::abs(int32_t{c.u[static_cast<size_t>(j * h + i)]});
    double b = std::max(std::fabs(double(c.bz[static_cast<size_t>(j)])),
                        std::fabs(double(c.bh[static_cast<size_t>(j)])));
    worst = std::max(worst, std::ldexp(sw * double(xMax), c.xShift) + 32768.0 * su + b);
  }
  return worst;
}

/// Quantises one cell for inputs with scale xScale (real per integer unit) and |x| <= xMax
/// (real); int8 inputs have zero point xZp, the others are int16 states (RNN1's summaries).
/// Safe form: when the integers' bound (cellBound) exceeds int32 after the rounding of the
/// real-valued choice, the accumulator scale is coarsened until it fits or is 2^-12
/// (checkBounds then reports the cell).
void quantizeCell(Layer &layer, const std::string &prefix, const CellFloat &cell, double xScale,
                  double xMax, int32_t xZp, bool int8Input, int32_t shift,
                  rp_fastgrnn_params &p) {
  const int64_t in = cell.in, h = cell.hidden;
  const double hScale = std::ldexp(1.0, shift - 15), hMax = std::ldexp(1.0, shift);
  double worst = 0, maxW = 0, maxU = 0;
  for (int64_t j = 0; j < h; ++j) {
    double s = std::max(std::fabs(cell.bz[static_cast<size_t>(j)]),
                        std::fabs(cell.bh[static_cast<size_t>(j)]));
    for (int64_t i = 0; i < in; ++i)
      s += xMax * std::fabs(cell.w[static_cast<size_t>(i * h + j)]);
    for (int64_t i = 0; i < h; ++i)
      s += hMax * std::fabs(cell.u[static_cast<size_t>(i * h + j)]);
    worst = std::max(worst, s);
  }
  for (double v : cell.w)
    maxW = std::max(maxW, std::fabs(v));
  for (double v : cell.u)
    maxU = std::max(maxU, std::fabs(v));
  // S is a power of two, 2^-(12 + accShift), so that the step to Q12 is a shift.
  double need = std::max({worst / (0.9 * 2147483648.0), maxU * hScale / 32767.0, 1e-30});
  int32_t accShift = std::clamp(static_cast<int32_t>(std::floor(-std::log2(need))) - 12, 0, 30);
  const int64_t xMaxInt = int8Input ? inputMagnitude(xZp) : 32768;
  CellInts c = cellAt(cell, xScale, hScale, int8Input, accShift, maxW);
  while (accShift > 0 && cellBound(c, in, h, xMaxInt) > 2147483647.0)
    c = cellAt(cell, xScale, hScale, int8Input, --accShift, maxW);

  p.in_dim = static_cast<int32_t>(in);
  p.hidden = static_cast<int32_t>(h);
  p.x_zp = xZp;
  p.x_shift = c.xShift;
  p.w = addArray(layer, prefix + "w", std::move(c.w));
  p.u = addArray(layer, prefix + "u", std::move(c.u));
  p.bz = addArray(layer, prefix + "bz", std::move(c.bz));
  p.bh = addArray(layer, prefix + "bh", std::move(c.bh));
  p.acc_mult = 0;
  p.acc_shift = accShift;
  p.zeta = toQ14(cell.zeta);
  p.nu = toQ14(cell.nu);
  p.gate = nonlinearity(cell.attrs->gate);
  p.update = nonlinearity(cell.attrs->update);
  p.state_shift = shift;
}

int32_t i32(int64_t v) { return static_cast<int32_t>(v); }

} // namespace

Expected<Layer> buildRNNPool(const Context &ctx, const ir::Node &node) {
  const auto &a = node.attr<ir::RNNPoolAttrs>();
  const ir::Tensor &x = ctx.graph.tensor(node.inputs[0]);
  const ir::Tensor &y = ctx.graph.tensor(node.outputs[0]);
  if (x.shape.size() != 4 || x.shape[0] != 1)
    return ir::nodeError(node, "the fixed-point RNNPool runs batch 1");
  if (a.rnn1.hidden > RP_FASTGRNN_MAX_HIDDEN || a.rnn2.hidden > RP_FASTGRNN_MAX_HIDDEN)
    return ir::nodeError(node, "hidden sizes above {} have no fixed-point kernel",
                         RP_FASTGRNN_MAX_HIDDEN);
  auto cell1 = readCell(ctx, node, a.rnn1, 1, x.shape[1]);
  if (!cell1)
    return cell1.error();
  auto cell2 = readCell(ctx, node, a.rnn2, ir::fastGrnnOperands(a.rnn1, 1).end, a.rnn1.hidden);
  if (!cell2)
    return cell2.error();
  const AffineParams &px = ctx.of(node.inputs[0]), &py = ctx.of(node.outputs[0]);
  const int64_t steps = std::max(a.patch[0], a.patch[1]);
  rp_rnnpool_params p{};
  p.in_h = i32(x.shape[2]), p.in_w = i32(x.shape[3]), p.in_c = i32(x.shape[1]);
  p.out_h = i32(y.shape[2]), p.out_w = i32(y.shape[3]);
  p.patch_h = i32(a.patch[0]), p.patch_w = i32(a.patch[1]);
  p.stride_h = i32(a.stride[0]), p.stride_w = i32(a.stride[1]);
  Layer layer;
  int32_t s1 = stateShift(*cell1, steps), s2 = stateShift(*cell2, steps);
  double xMax = px.scale * std::max(std::abs(-128 - px.zeroPoint), std::abs(127 - px.zeroPoint));
  quantizeCell(layer, "rnn1.", *cell1, px.scale, xMax, px.zeroPoint, /*int8Input=*/true, s1,
               p.rnn1);
  quantizeCell(layer, "rnn2.", *cell2, std::ldexp(1.0, s1 - 15), std::ldexp(1.0, s1), 0,
               /*int8Input=*/false, s2, p.rnn2);
  Multiplier m = quantizeMultiplier(std::ldexp(1.0, s2 - 15) / py.scale);
  p.out_zp = py.zeroPoint, p.out_mult = m.mult, p.out_shift = m.shift;
  layer.params = p;
  return layer;
}

} // namespace rnnpoolc::quant
