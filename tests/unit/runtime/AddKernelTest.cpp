// rp_add_s8 against the 64-bit formulation it replaces (three rp_requantize calls), on every
// pair of int8 inputs, for parameters made as the quantiser makes them (buildAdd) over a
// wide range of scales and zero points, and for hand-made parameters that take the
// reference loop (left shifts and multipliers outside the exact 32-bit forms). The DSP path
// (through the portable instruction models) runs the same pairs: runs of 512 elements and
// more take its table and SMMLA loop, shorter runs the 32-bit loop.
#include "compiler/quant/Quantize.h"
#include "rnnpoolc_runtime.h"
#include "rp_dspemu.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace rnnpoolc;

namespace {

/// The original kernel: both inputs shifted left and rescaled, then the sum rescaled.
int8_t referenceAdd(const rp_add_params &p, int8_t x1, int8_t x2) {
  int32_t a = (int32_t(x1) - p.in1_zp) * (int32_t(1) << p.left_shift);
  int32_t b = (int32_t(x2) - p.in2_zp) * (int32_t(1) << p.left_shift);
  int32_t sum =
      rp_requantize(a, p.in1_mult, p.in1_shift) + rp_requantize(b, p.in2_mult, p.in2_shift);
  int32_t v = rp_requantize(sum, p.out_mult, p.out_shift) + p.out_zp;
  return static_cast<int8_t>(std::clamp(v, p.act_min, p.act_max));
}

/// Parameters as quant::buildAdd computes them from the three scales.
rp_add_params addParams(double s1, double s2, double sy, int32_t z1, int32_t z2, int32_t zy) {
  rp_add_params p{};
  p.in1_zp = z1, p.in2_zp = z2, p.out_zp = zy;
  p.left_shift = 20;
  double twiceMax = 2.0 * std::max(s1, s2);
  quant::Multiplier m1 = quant::quantizeMultiplier(s1 / twiceMax);
  quant::Multiplier m2 = quant::quantizeMultiplier(s2 / twiceMax);
  quant::Multiplier mo = quant::quantizeMultiplier(twiceMax / (double(1 << 20) * sy));
  p.in1_mult = m1.mult, p.in1_shift = m1.shift, p.in2_mult = m2.mult, p.in2_shift = m2.shift;
  p.out_mult = mo.mult, p.out_shift = mo.shift;
  p.act_min = -128, p.act_max = 127;
  return p;
}

/// Compares rp_add_s8 and the DSP path (in one run of 65,536 elements and in runs of 256)
/// with the reference on all 65,536 input pairs; returns the mismatches.
int64_t mismatches(const rp_add_params &p) {
  std::vector<int8_t> a(65536), b(65536), y(65536), yd(65536), ys(65536);
  for (int i = 0; i < 65536; ++i)
    a[i] = static_cast<int8_t>(i & 255), b[i] = static_cast<int8_t>(i >> 8);
  rp_add_s8(&p, a.data(), b.data(), y.data(), 65536);
  rp_dspemu_add_s8(&p, a.data(), b.data(), yd.data(), 65536);
  for (int i = 0; i < 65536; i += 256)
    rp_dspemu_add_s8(&p, a.data() + i, b.data() + i, ys.data() + i, 256);
  int64_t bad = 0;
  for (int i = 0; i < 65536; ++i) {
    int8_t want = referenceAdd(p, a[i], b[i]);
    bad += (y[i] != want) + (yd[i] != want) + (ys[i] != want);
  }
  return bad;
}

} // namespace

TEST_CASE("add: every input pair equals the 64-bit formulation", "[runtime][add]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> logScale(-12.0, 2.0), logRatio(-10.0, 10.0);
  std::uniform_int_distribution<int32_t> zp(-128, 127);
  int64_t sets = 0;
  auto check = [&](const rp_add_params &p) {
    INFO("mults " << p.in1_mult << " " << p.in2_mult << " " << p.out_mult << ", shifts "
                  << p.in1_shift << " " << p.in2_shift << " " << p.out_shift << ", zps "
                  << p.in1_zp << " " << p.in2_zp << " " << p.out_zp << ", left " << p.left_shift
                  << ", act " << p.act_min << " " << p.act_max);
    CHECK(mismatches(p) == 0);
    ++sets;
  };
  // Equal scales (factors exactly 1/2), powers of two and small-integer ratios: ties.
  for (double r : {1.0, 2.0, 0.5, 4.0, 1.5, 3.0, 1.0 / 3.0, 1.25})
    for (double ry : {1.0, 2.0, 0.5, 1.5, 0.75, 3.0})
      check(addParams(0.01, 0.01 * r, 0.01 * ry, zp(rng), zp(rng), zp(rng)));
  // Random scales and ratios, including outputs far finer than the inputs (saturation).
  for (int i = 0; i < 120; ++i) {
    double s1 = std::exp2(logScale(rng)), s2 = s1 * std::exp2(logRatio(rng) / 2);
    double sy = std::max(s1, s2) * std::exp2(logRatio(rng) / 2);
    rp_add_params p = addParams(s1, s2, sy, zp(rng), zp(rng), zp(rng));
    if (i % 3 == 0) // a fused ReLU-style clamp
      p.act_min = p.out_zp, p.act_max = std::min(127, p.out_zp + 100);
    check(p);
  }
  // Parameters outside the 32-bit forms: the reference loop.
  rp_add_params p = addParams(0.02, 0.01, 0.03, 3, -7, 11);
  p.left_shift = 0; // n < left_shift + 11 fails nowhere, but the output shift is then too small
  check(p);
  p = addParams(0.02, 0.01, 0.03, 3, -7, 11);
  p.in2_mult = INT32_MAX, p.in2_shift = 12; // a factor above 1/2: n < left_shift + 11
  check(p);
  p = addParams(0.02, 0.01, 1e-9, 3, -7, 11); // an output factor above 1/2
  check(p);
  CHECK(sets > 160);
}
