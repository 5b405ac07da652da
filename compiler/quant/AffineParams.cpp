// The arithmetic that turns calibrated ranges and real factors into int8 parameters and
// Q31 multipliers.
#include "compiler/quant/Quantize.h"

#include <algorithm>
#include <cmath>

namespace rnnpoolc::quant {

AffineParams chooseParams(Range range) {
  // The range always holds 0 so that zero (padding, ReLU's floor) is exact.
  double lo = std::min(0.0, static_cast<double>(range.min));
  double hi = std::max(0.0, static_cast<double>(range.max));
  if (!(hi - lo > 1e-12))
    return {1.0f / 256, -128}; // a constant-zero tensor: any scale represents it
  double scale = (hi - lo) / 255.0;
  double zp = std::round(-128.0 - lo / scale);
  return {static_cast<float>(scale), static_cast<int32_t>(std::clamp(zp, -128.0, 127.0))};
}

Multiplier quantizeMultiplier(double real) {
  if (!(real > 0))
    return {0, 0};
  int exponent = 0;
  double fraction = std::frexp(real, &exponent); // real = fraction * 2^exponent, [0.5, 1)
  auto mult = static_cast<int64_t>(std::llround(fraction * 2147483648.0));
  if (mult == (int64_t{1} << 31)) { // rounding reached 1.0
    mult /= 2;
    ++exponent;
  }
  // rp_requantize shifts right by 31 - shift, which must stay within [1, 62].
  if (exponent > 30)
    return {INT32_MAX, 30};
  if (exponent < -31)
    return {0, 0}; // below 2^-32: every int32 input rounds to 0 or saturates nowhere
  return {static_cast<int32_t>(mult), exponent};
}

} // namespace rnnpoolc::quant
