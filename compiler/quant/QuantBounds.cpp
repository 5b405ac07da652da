// The proof, on the host, that a layer's int32 arithmetic in runtime/ is defined for every
// int8 input: accumulator bounds from the actual integer weights and biases, window sizes
// of the pooling sums, and the range of every requantisation shift (rnnpoolc_runtime.h,
// DEFINED ARITHMETIC). The builders choose safe forms where they can (coarser weight or
// accumulator scales); what still does not fit is an error naming the node and the bound.
#include "compiler/quant/QuantInternal.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace rnnpoolc::quant {
namespace {

constexpr double kInt32Max = 2147483647.0;

/// rp_requantize's contract: 31 - shift in [1, 62] and a multiplier that can be negated.
Status checkMultiplier(const ir::Node &node, int32_t mult, int32_t shift, const char *what) {
  if (shift < -31 || shift > 30 || mult == INT32_MIN)
    return ir::nodeError(node,
                         "the {} requantisation (multiplier {}, shift {}) is outside the "
                         "runtime's range (shift in [-31, 30]); this is a quantiser bug, "
                         "please report it with the model",
                         what, mult, shift);
  return Status::ok();
}

Status checkMultipliers(const ir::Node &node, const int32_t *mult, const int32_t *shift,
                        int32_t n, const char *what) {
  for (int32_t i = 0; i < n; ++i)
    RNNPOOLC_TRY(checkMultiplier(node, mult[i], shift[i], what));
  return Status::ok();
}

/// Output channels of a conv or fully connected layer: rows of `cols` weights, weight k of
/// row o at w[o * rowStride + k * colStride].
Status checkChannels(const ir::Node &node, const int8_t *w, const int32_t *bias, int32_t rows,
                     int32_t cols, int32_t rowStride, int32_t colStride, int32_t inZp) {
  const int64_t xMax = inputMagnitude(inZp);
  for (int32_t o = 0; o < rows; ++o) {
    int64_t sum = 0;
    for (int32_t k = 0; k < cols; ++k)
      sum += std::abs(int32_t{w[int64_t{o} * rowStride + int64_t{k} * colStride]});
    double bound = std::fabs(double(bias[o])) + double(xMax) * double(sum);
    if (bound > kInt32Max)
      return ir::nodeError(node,
                           "output channel {} can reach {:.4g} in its int32 accumulator "
                           "(|bias| {} + {} * sum |w| {}), above 2^31 - 1, even with its "
                           "weights coarsened to 4 bits; reduce the bias or the number of "
                           "inputs per output, or use the float build (--float)",
                           o, bound, bias[o], xMax, sum);
  }
  return Status::ok();
}

Status checkConv(const ir::Node &node, const rp_conv_params &p) {
  const bool depthwise = p.groups > 1 && p.groups == p.in_c && p.groups == p.out_c;
  const int32_t taps = p.k_h * p.k_w * (p.in_c / p.groups);
  if (depthwise)
    RNNPOOLC_TRY(
        checkChannels(node, p.weights, p.bias, p.out_c, p.k_h * p.k_w, 1, p.out_c, p.in_zp));
  else
    RNNPOOLC_TRY(checkChannels(node, p.weights, p.bias, p.out_c, taps, taps, 1, p.in_zp));
  return checkMultipliers(node, p.mult, p.shift, p.out_c, "output");
}

/// One FastGRNN cell: for every hidden unit, 2^x_shift * max|x| * sum |W| + 32768 * sum |U|
/// + max(|bz|, |bh|) (the state is int16, so |h| <= 32768).
Status checkCell(const ir::Node &node, const rp_fastgrnn_params &c, int64_t xMax,
                 const char *name) {
  for (int32_t j = 0; j < c.hidden; ++j) {
    int64_t sw = 0, su = 0;
    for (int32_t i = 0; i < c.in_dim; ++i)
      sw += std::abs(int32_t{c.w[int64_t{j} * c.in_dim + i]});
    for (int32_t i = 0; i < c.hidden; ++i)
      su += std::abs(int32_t{c.u[int64_t{j} * c.hidden + i]});
    double bias = std::max(std::fabs(double(c.bz[j])), std::fabs(double(c.bh[j])));
    double bound =
        std::ldexp(double(xMax) * double(sw), c.x_shift) + 32768.0 * double(su) + bias;
    if (bound > kInt32Max)
      return ir::nodeError(node,
                           "{} hidden unit {} can reach {:.4g} in its int32 pre-activation "
                           "accumulator (2^{} * {} * sum |W| {} + 32768 * sum |U| {} + |b| "
                           "{:.0f}), above 2^31 - 1, even at the coarsest scale 2^-12: its "
                           "pre-activations can exceed {:.4g}; scale the FastGRNN weights "
                           "down or use the float build (--float)",
                           name, j, bound, c.x_shift, xMax, sw, su, bias, bound / 4096.0,
                           kInt32Max / 4096.0);
  }
  return Status::ok();
}

Status checkRNNPool(const ir::Node &node, const rp_rnnpool_params &p) {
  RNNPOOLC_TRY(checkCell(node, p.rnn1, inputMagnitude(p.rnn1.x_zp), "RNN1"));
  RNNPOOLC_TRY(checkCell(node, p.rnn2, 32768, "RNN2"));
  return checkMultiplier(node, p.out_mult, p.out_shift, "output");
}

/// A sum of `count` values q - zp (each at most inputMagnitude(zp) in magnitude).
Status checkWindow(const ir::Node &node, int64_t count, int32_t zp, const char *what) {
  if (double(count) * double(inputMagnitude(zp)) > kInt32Max)
    return ir::nodeError(node,
                         "sums {} values per {} in int32, which can overflow (at most {} "
                         "fit); split the pooling into smaller windows",
                         count, what, int64_t(kInt32Max) / inputMagnitude(zp));
  return Status::ok();
}

} // namespace

int64_t inputMagnitude(int32_t zp) {
  return std::max<int64_t>(std::abs(int64_t{-128} - zp), std::abs(int64_t{127} - zp));
}

Status checkBounds(const ir::Node &node, const Layer &layer) {
  switch (layer.kind) {
  case KernelKind::Conv:
    return checkConv(node, std::get<rp_conv_params>(layer.params));
  case KernelKind::FullyConnected: {
    const auto &p = std::get<rp_fc_params>(layer.params);
    RNNPOOLC_TRY(checkChannels(node, p.weights, p.bias, p.out_features, p.in_features,
                               p.in_features, 1, p.in_zp));
    return checkMultipliers(node, p.mult, p.shift, p.out_features, "output");
  }
  case KernelKind::AvgPool: {
    const auto &p = std::get<rp_pool_params>(layer.params);
    return checkWindow(node, int64_t{p.k_h} * p.k_w, p.zp, "window");
  }
  case KernelKind::GlobalAvgPool: {
    const auto &p = std::get<rp_global_avgpool_params>(layer.params);
    RNNPOOLC_TRY(checkWindow(node, int64_t{p.in_h} * p.in_w, p.in_zp, "channel"));
    return checkMultiplier(node, p.mult, p.shift, "output");
  }
  case KernelKind::Add: {
    const auto &p = std::get<rp_add_params>(layer.params);
    if (p.left_shift < 0 || p.left_shift > 22)
      return ir::nodeError(node,
                           "the add's left shift {} is outside [0, 22]; this is a "
                           "quantiser bug, please report it with the model",
                           p.left_shift);
    RNNPOOLC_TRY(checkMultiplier(node, p.in1_mult, p.in1_shift, "first input"));
    RNNPOOLC_TRY(checkMultiplier(node, p.in2_mult, p.in2_shift, "second input"));
    return checkMultiplier(node, p.out_mult, p.out_shift, "output");
  }
  case KernelKind::Concat:
    for (const rp_concat_input &ci : *layer.concatInputs)
      if (ci.mult != 0)
        RNNPOOLC_TRY(checkMultiplier(node, ci.mult, ci.shift, "input"));
    return Status::ok();
  case KernelKind::Requant: {
    const auto &p = std::get<rp_requant_params>(layer.params);
    return checkMultiplier(node, p.mult, p.shift, "output");
  }
  case KernelKind::RNNPool:
    return checkRNNPool(node, std::get<rp_rnnpool_params>(layer.params));
  case KernelKind::L2Norm: {
    const auto &p = std::get<rp_l2norm_params>(layer.params);
    const double m = double(inputMagnitude(p.in_zp));
    if (double(p.channels) * m * m > kInt32Max)
      return ir::nodeError(node,
                           "sums the squares of {} channels in int32, which can overflow; "
                           "normalise fewer channels at a time",
                           p.channels);
    return checkMultipliers(node, p.mult, p.shift, p.channels, "output");
  }
  case KernelKind::Mul: {
    const auto &p = std::get<rp_mul_params>(layer.params);
    return checkMultiplier(node, p.mult, p.shift, "output");
  }
  case KernelKind::MulGate: {
    const auto &p = std::get<rp_mul_gate_params>(layer.params);
    return checkMultiplier(node, p.mult, p.shift, "output");
  }
  case KernelKind::MulChannel: {
    const auto &p = std::get<rp_mul_channel_params>(layer.params);
    return checkMultipliers(node, p.mult, p.shift, p.channels, "output");
  }
  default:
    return Status::ok(); // no int32 arithmetic on its inputs
  }
}

} // namespace rnnpoolc::quant
