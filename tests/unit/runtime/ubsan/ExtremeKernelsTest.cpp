// The int8 / Q15 kernels under UBSan (this executable and its runtime copies are built with
// -fsanitize=undefined -fno-sanitize-recover=all, so any signed overflow, bad shift or
// misaligned access aborts): extreme inputs (all -128, all 127, alternating) with weights,
// biases and multipliers at the edge of the bounds the quantiser proves (QuantBounds.cpp),
// on the portable path and on the DSP path through its instruction models, against 64-bit
// references.
#include "rnnpoolc_runtime.h"
#include "rp_dspemu.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <vector>

extern "C" {
void rp_dspemu_fastgrnn_sweep_s8(const rp_fastgrnn_params *p, const int8_t *x, int32_t count,
                                 int32_t stride, int16_t *h, int16_t *tmp);
int32_t rp_dspemu_requantize(int32_t x, int32_t mult, int32_t shift);
void rp_dspemu_avgpool_s8(const rp_pool_params *p, const rp_view *in, rp_view *out,
                          const rp_region *region);
}

namespace {

constexpr int64_t kSat = (int64_t{1} << 30) - 1; // rp_requantize's saturation

/// round_half_away(x * mult / 2^(31 - shift)) in 128 bits, saturated as rp_requantize does.
int32_t refRequant(int64_t x, int32_t mult, int32_t shift) {
  __int128 prod = __int128(x) * mult, div = __int128(1) << (31 - shift);
  __int128 q = prod >= 0 ? (prod + div / 2) / div : -((-prod + div / 2) / div);
  return static_cast<int32_t>(std::clamp<__int128>(q, -kSat, kSat));
}

int64_t magnitude(int32_t zp) {
  return std::max<int64_t>(std::abs(-128 - zp), std::abs(127 - zp));
}

/// The input patterns: all -128, all 127, alternating -128 / 127, and a ramp.
std::vector<std::vector<int8_t>> patterns(size_t n) {
  std::vector<std::vector<int8_t>> p(4, std::vector<int8_t>(n));
  for (size_t i = 0; i < n; ++i) {
    p[0][i] = -128, p[1][i] = 127;
    p[2][i] = (i & 1) ? 127 : -128;
    p[3][i] = static_cast<int8_t>(static_cast<int>(i * 37 % 256) - 128);
  }
  return p;
}

/// Multipliers that reach every form of the requantisation: the fast path at both ends of
/// its shifts, the general path, factors above 1 that saturate, and zero.
const int32_t kMults[][2] = {{1 << 30, -31},  {INT32_MAX, -2}, {INT32_MAX, -1}, {1 << 30, 0},
                             {INT32_MAX, 30}, {0, 0},          {1518500250, -9}};

/// Conv / FC constants at the edge of the bound: weights of magnitude 128 or 127 with the
/// signs of `pattern`, and |bias| = 2^31 - 1 - xMax * sum |w| with sign `sign`, so that the
/// accumulator reaches +-(2^31 - 1) exactly for an extreme input.
struct Channels {
  std::vector<int8_t> w;
  std::vector<int32_t> bias, mult, shift;
};

/// `commonShifts`: only multipliers whose shift the requantisation's common case takes (so
/// that the short-window conv runs its loop without the general case).
Channels edgeChannels(int32_t rows, int32_t cols, int32_t inZp, int32_t rowStride,
                      int32_t colStride, bool commonShifts = false) {
  Channels c;
  c.w.resize(static_cast<size_t>(rows) * cols);
  for (int32_t o = 0; o < rows; ++o) {
    int64_t sum = 0;
    for (int32_t k = 0; k < cols; ++k) {
      int8_t v = (o % 3 == 0) ? -128 : (o % 3 == 1 ? 127 : ((k & 1) ? 127 : -128));
      c.w[static_cast<size_t>(o) * rowStride + static_cast<size_t>(k) * colStride] = v;
      sum += std::abs(int32_t{v});
    }
    int64_t b = INT32_MAX - magnitude(inZp) * sum;
    REQUIRE(b >= 0);
    c.bias.push_back(static_cast<int32_t>(o % 2 ? -b : b));
    const int32_t m = commonShifts ? (o % 2 ? 1 : 6) : o % 7; // shifts -2 and -9
    c.mult.push_back(kMults[m][0]);
    c.shift.push_back(kMults[m][1]);
  }
  return c;
}

int8_t outputOf(int64_t acc, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
  REQUIRE(std::llabs(acc) <= INT32_MAX); // the bound holds for the reference too
  return static_cast<int8_t>(std::clamp(refRequant(acc, mult, shift) + zp, lo, hi));
}

/// Straightforward 64-bit convolution over whole HWC tensors.
std::vector<int8_t> refConv(const rp_conv_params &p, const std::vector<int8_t> &x) {
  std::vector<int8_t> y(static_cast<size_t>(p.out_h * p.out_w * p.out_c));
  const int32_t cin = p.in_c / p.groups, cout = p.out_c / p.groups;
  const bool dw = p.groups > 1 && p.groups == p.in_c && p.groups == p.out_c;
  for (int32_t oy = 0; oy < p.out_h; ++oy)
    for (int32_t ox = 0; ox < p.out_w; ++ox)
      for (int32_t o = 0; o < p.out_c; ++o) {
        int64_t acc = p.bias[o];
        for (int32_t ky = 0; ky < p.k_h; ++ky)
          for (int32_t kx = 0; kx < p.k_w; ++kx)
            for (int32_t i = 0; i < cin; ++i) {
              int32_t iy = oy * p.stride_h - p.pad_top + ky * p.dil_h;
              int32_t ix = ox * p.stride_w - p.pad_left + kx * p.dil_w;
              if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w)
                continue;
              int32_t v =
                  x[static_cast<size_t>((iy * p.in_w + ix) * p.in_c + (o / cout) * cin + i)];
              int32_t wi = dw ? (ky * p.k_w + kx) * p.out_c + o
                              : ((o * p.k_h + ky) * p.k_w + kx) * cin + i;
              acc += int64_t(v - p.in_zp) * p.weights[wi];
            }
        y[static_cast<size_t>((oy * p.out_w + ox) * p.out_c + o)] =
            outputOf(acc, p.mult[o], p.shift[o], p.out_zp, p.act_min, p.act_max);
      }
  return y;
}

struct ConvShape {
  const char *path;
  int32_t inC, outC, size, k, stride, pad, groups;
};

} // namespace

TEST_CASE("requantisation: every shift, extreme values, zero points added", "[ubsan]") {
  const int32_t xs[] = {INT32_MIN, INT32_MIN + 1, -65536, -1, 0, 1, 65535, INT32_MAX};
  const int32_t mults[] = {0, 1, 1 << 30, INT32_MAX};
  for (int32_t shift = -31; shift <= 30; ++shift)
    for (int32_t m : mults)
      for (int32_t x : xs) {
        INFO("x " << x << " mult " << m << " shift " << shift);
        REQUIRE(rp_requantize(x, m, shift) == refRequant(x, m, shift));
        REQUIRE(rp_dspemu_requantize(x, m, shift) == refRequant(x, m, shift));
      }
  for (int32_t zp : {-128, 127})
    for (int32_t shift : {-31, -2, 0, 30}) {
      rp_requant_params p{-zp, zp, INT32_MAX, shift};
      for (const auto &in : patterns(64)) {
        std::vector<int8_t> out(in.size());
        rp_requant_s8(&p, in.data(), out.data(), int32_t(in.size()));
        for (size_t i = 0; i < in.size(); ++i)
          REQUIRE(out[i] ==
                  std::clamp(refRequant(in[i] + zp, INT32_MAX, shift) + zp, -128, 127));
      }
    }
}

TEST_CASE("conv at the accumulator bound: every kernel path, extreme inputs", "[ubsan]") {
  const ConvShape shapes[] = {
      {"pointwise, four pixels", 32, 7, 5, 1, 1, 0, 1},
      {"pointwise, quads in chunks", 200, 5, 4, 1, 1, 0, 1},
      {"pointwise, quads in chunks, the last pixels as columns", 500, 5, 5, 1, 1, 0, 1},
      {"pointwise, pairs", 198, 5, 3, 1, 1, 0, 1},
      {"pointwise, columns", 502, 5, 2, 1, 1, 0, 1},
      {"pointwise, portable", 1102, 3, 2, 1, 1, 0, 1},
      {"stem 3x3x1, rows as int16", 1, 9, 6, 3, 1, 1, 1},
      {"stem 3x3x1 stride 2, rows as int16", 1, 4, 9, 3, 2, 1, 1},
      {"stem 3x3x1 stride 2, 260 columns (three strips)", 1, 2, 260, 3, 2, 1, 1},
      {"stem 3x3x2, short window", 2, 5, 6, 3, 1, 1, 1},
      {"stem 2x2x3, short window of 8 words", 3, 5, 6, 2, 1, 0, 1},
      {"3x3x2, four pixels", 2, 6, 6, 3, 2, 1, 1},
      {"5x5x3, four pixels (window gathered as bytes)", 3, 6, 7, 5, 1, 2, 1},
      {"7x7x5, pairs (window gathered as bytes)", 5, 3, 8, 7, 1, 3, 1},
      {"3x3x32, quads in chunks, two channel blocks", 32, 36, 4, 3, 1, 1, 1},
      {"3x3x64, quads in chunks, the last pixels as columns", 64, 4, 5, 3, 1, 1, 1},
      {"3x3x30, pairs", 30, 5, 4, 3, 1, 1, 1},
      {"3x3x62, columns", 62, 4, 3, 3, 1, 1, 1},
      {"grouped", 8, 8, 5, 3, 1, 1, 2},
      {"depthwise 3x3, channel planes (49 outputs)", 11, 11, 7, 3, 1, 1, 11},
      {"depthwise 3x3 stride 2, 9x9 (pixel pairs and borders)", 10, 10, 9, 3, 2, 1, 10},
      {"depthwise 3x3, three rows: pixel pairs", 11, 11, 3, 3, 1, 1, 11},
      {"depthwise 3x3 stride 2, three rows: pixel pairs", 10, 10, 5, 3, 2, 1, 10},
      {"depthwise 5x5", 6, 6, 6, 5, 2, 2, 6},
      {"depthwise 9x9, portable", 4, 4, 9, 9, 1, 4, 4},
  };
  for (const ConvShape &s : shapes)
    for (int32_t inZp : {127, -128, 0})
      for (int32_t outZp : {127, -128}) {
        rp_conv_params p{};
        p.in_h = p.in_w = s.size, p.in_c = s.inC, p.out_c = s.outC;
        p.k_h = p.k_w = s.k, p.stride_h = p.stride_w = s.stride;
        p.dil_h = p.dil_w = 1, p.pad_top = p.pad_left = s.pad, p.groups = s.groups;
        p.out_h = p.out_w = (s.size + 2 * s.pad - s.k) / s.stride + 1;
        p.in_zp = inZp, p.out_zp = outZp;
        p.act_min = outZp == 127 ? -128 : -100, p.act_max = 127; // full, then a clamp
        const bool dw = s.groups == s.inC && s.groups == s.outC && s.groups > 1;
        const int32_t taps = s.k * s.k * (s.inC / s.groups);
        const bool common = outZp == 127 && inZp == 0; // full clamp, common shifts only
        Channels c = dw ? edgeChannels(s.outC, s.k * s.k, inZp, 1, s.outC, common)
                        : edgeChannels(s.outC, taps, inZp, taps, 1, common);
        p.weights = c.w.data(), p.bias = c.bias.data(), p.mult = c.mult.data();
        p.shift = c.shift.data();
        for (const auto &x : patterns(size_t(s.size * s.size * s.inC))) {
          INFO(s.path << ", in_zp " << inZp << ", out_zp " << outZp << ", input " << int(x[0])
                      << " " << int(x[1]));
          std::vector<int8_t> y(static_cast<size_t>(p.out_h * p.out_w * p.out_c));
          std::vector<int8_t> yd(y.size());
          std::vector<int8_t> in = x;
          rp_view vi = rp_view_whole(in.data(), p.in_h, p.in_w);
          rp_view vo = rp_view_whole(y.data(), p.out_h, p.out_w);
          rp_view vd = rp_view_whole(yd.data(), p.out_h, p.out_w);
          rp_region r = rp_region_whole(p.out_h, p.out_w);
          rp_conv_s8(&p, &vi, &vo, &r);
          rp_dspemu_conv_s8(&p, &vi, &vd, &r);
          const std::vector<int8_t> ref = refConv(p, x);
          REQUIRE(y == ref);
          REQUIRE(yd == ref);
        }
      }
}

TEST_CASE("stem conv: multipliers with trailing zero bits meet ties exactly", "[ubsan]") {
  // A multiplier of 2^30 with k = 1 makes acc * mult / 2^33 land on .5 for every acc = 4 mod 8:
  // the DSP stem must then round those half away from zero as rp_requantize does (its
  // SMMLA form, which rounds them up, is only for layers where no tie can occur).
  for (int32_t m : {1 << 30, (1 << 30) | (1 << 12), INT32_MAX}) {
    rp_conv_params p{};
    p.in_h = p.in_w = 9, p.in_c = 1, p.out_c = 3, p.k_h = p.k_w = 3;
    p.out_h = p.out_w = 9, p.stride_h = p.stride_w = 1, p.dil_h = p.dil_w = 1;
    p.pad_top = p.pad_left = 1, p.groups = 1, p.in_zp = 3, p.out_zp = -5;
    p.act_min = -128, p.act_max = 127;
    std::vector<int8_t> w(27);
    for (size_t i = 0; i < w.size(); ++i)
      w[i] = static_cast<int8_t>(int(i * 29 % 23) - 11);
    std::vector<int32_t> bias{-7, 12, 0}, mult{m, m, m}, shift{-2, -3, -2};
    p.weights = w.data(), p.bias = bias.data(), p.mult = mult.data(), p.shift = shift.data();
    for (const auto &x : patterns(81)) {
      std::vector<int8_t> y(243), yd(243), in = x;
      rp_view vi = rp_view_whole(in.data(), 9, 9);
      rp_view vo = rp_view_whole(y.data(), 9, 9), vd = rp_view_whole(yd.data(), 9, 9);
      rp_region r = rp_region_whole(9, 9);
      rp_conv_s8(&p, &vi, &vo, &r);
      rp_dspemu_conv_s8(&p, &vi, &vd, &r);
      const std::vector<int8_t> ref = refConv(p, x);
      INFO("mult " << m << ", input " << int(x[0]) << " " << int(x[1]));
      REQUIRE(y == ref);
      REQUIRE(yd == ref);
    }
  }
}

TEST_CASE("fully connected at the accumulator bound, extreme inputs", "[ubsan]") {
  for (int32_t k : {37, 600, 1100})
    for (int32_t inZp : {127, -128}) {
      const int32_t rows = 2, n = 7;
      Channels c = edgeChannels(n, k, inZp, k, 1);
      rp_fc_params p{rows,          k,   n,          inZp,          -inZp - 1,
                     -128,          127, c.w.data(), c.bias.data(), c.mult.data(),
                     c.shift.data()};
      for (const auto &x : patterns(size_t(rows * k))) {
        std::vector<int8_t> y(size_t(rows * n)), yd(y.size());
        rp_fc_s8(&p, x.data(), y.data());
        rp_dspemu_fc_s8(&p, x.data(), yd.data());
        for (int32_t m = 0; m < rows; ++m)
          for (int32_t o = 0; o < n; ++o) {
            int64_t acc = p.bias[o];
            for (int32_t i = 0; i < k; ++i)
              acc += int64_t(x[size_t(m * k + i)] - inZp) * p.weights[o * k + i];
            int8_t want = outputOf(acc, p.mult[o], p.shift[o], p.out_zp, -128, 127);
            INFO("in " << k << " zp " << inZp << " row " << m << " out " << o);
            REQUIRE(y[size_t(m * n + o)] == want);
            REQUIRE(yd[size_t(m * n + o)] == want);
          }
      }
    }
}

TEST_CASE("add: saturating parameters and every input pair", "[ubsan]") {
  std::vector<int8_t> a(65536), b(65536), y(65536), yd(65536);
  for (int i = 0; i < 65536; ++i)
    a[size_t(i)] = static_cast<int8_t>(i & 255), b[size_t(i)] = static_cast<int8_t>(i >> 8);
  // As the quantiser makes them (both exact 32-bit forms), then factors far above 1 that
  // saturate both inputs' rescales (the 64-bit loop: their sum must not overflow).
  const rp_add_params cases[] = {
      {127, -128, 127, 20, 1 << 30, 0, 1 << 30, 0, 1 << 30, -22, -128, 127},
      {-128, 127, -128, 20, 1 << 30, 0, 1518500250, -1, INT32_MAX, -10, -128, 127},
      {-128, 127, 127, 22, INT32_MAX, 30, INT32_MAX, 30, 1 << 30, -31, -128, 127},
      {127, 127, -128, 20, INT32_MAX, 12, INT32_MAX, 12, INT32_MAX, 30, 0, 100},
      // The DSP table path with the inputs' roles swapped (input 2 the plain product) and a
      // clamp.
      {5, -3, 10, 20, 1518500250, -1, 1 << 30, 0, 1518500250, -12, -50, 90},
  };
  for (const rp_add_params &p : cases) {
    rp_add_s8(&p, a.data(), b.data(), y.data(), 65536);
    rp_dspemu_add_s8(&p, a.data(), b.data(), yd.data(), 65536);
    for (size_t i = 0; i < 65536; ++i) {
      int64_t r1 =
          refRequant((a[i] - p.in1_zp) * (int64_t{1} << p.left_shift), p.in1_mult, p.in1_shift);
      int64_t r2 =
          refRequant((b[i] - p.in2_zp) * (int64_t{1} << p.left_shift), p.in2_mult, p.in2_shift);
      int8_t want = static_cast<int8_t>(std::clamp(
          refRequant(r1 + r2, p.out_mult, p.out_shift) + p.out_zp, p.act_min, p.act_max));
      INFO("pair " << int(a[i]) << " " << int(b[i]) << ", left shift " << p.left_shift);
      REQUIRE(y[i] == want);
      REQUIRE(yd[i] == want);
    }
  }
}

namespace {

/// A FastGRNN cell at the edge of its bound: weights of large magnitude with alternating
/// signs, |bz| = |bh| = 2^31 - 1 - (2^x_shift * xMax * sum |W| + 32768 * sum |U|).
struct EdgeCell {
  std::vector<int32_t> wLogical; ///< [hidden][in], natural order
  std::vector<int16_t> w, u;     ///< as stored (RNN1: lane order)
  std::vector<int32_t> bz, bh;
  rp_fastgrnn_params p{};
};

void makeCell(EdgeCell &c, int32_t in, int32_t hidden, int32_t xZp, int64_t xMax,
              bool int8Input, int32_t xShift, int32_t accShift, int32_t stateShift,
              int32_t gate, int32_t update) {
  const int64_t mw = std::min<int64_t>(32767, 500000000 / ((int64_t{1} << xShift) * xMax * in));
  const int64_t mu = std::min<int64_t>(32767, 1200000000 / (int64_t{32768} * hidden));
  c.wLogical.assign(size_t(hidden * in), 0);
  c.w.assign(size_t(hidden * in), 0);
  c.u.assign(size_t(hidden * hidden), 0);
  for (int32_t j = 0; j < hidden; ++j) {
    int64_t rest = 0;
    for (int32_t i = 0; i < in; ++i) {
      int32_t v = static_cast<int32_t>(((i + j) & 1) ? mw : -mw);
      c.wLogical[size_t(j * in + i)] = v;
      int32_t pos = i;
      if (int8Input && i < in / 4 * 4)
        pos = i / 4 * 4 + (i % 4 == 1 ? 2 : (i % 4 == 2 ? 1 : i % 4));
      c.w[size_t(j * in + pos)] = static_cast<int16_t>(v);
      rest += (int64_t{1} << xShift) * xMax * std::abs(v);
    }
    for (int32_t i = 0; i < hidden; ++i) {
      c.u[size_t(j * hidden + i)] = static_cast<int16_t>((i % 3 == j % 3) ? mu : -mu);
      rest += 32768 * mu;
    }
    REQUIRE(rest <= INT32_MAX);
    const int32_t b = static_cast<int32_t>(INT32_MAX - rest);
    c.bz.push_back(j % 2 ? b : -b);
    c.bh.push_back(j % 2 ? -b : b);
  }
  c.p.in_dim = in, c.p.hidden = hidden, c.p.x_zp = xZp, c.p.x_shift = xShift;
  c.p.w = c.w.data(), c.p.u = c.u.data(), c.p.bz = c.bz.data(), c.p.bh = c.bh.data();
  c.p.acc_shift = accShift, c.p.zeta = 16383, c.p.nu = 16383;
  c.p.gate = gate, c.p.update = update, c.p.state_shift = stateShift;
}

/// One FastGRNN step in 64 bits (the header's formulas); x already minus its zero point.
void refStep(const EdgeCell &c, const std::vector<int64_t> &x, std::vector<int64_t> &h) {
  const rp_fastgrnn_params &p = c.p;
  std::vector<int64_t> next(h.size());
  for (int32_t j = 0; j < p.hidden; ++j) {
    int64_t xw = 0, hu = 0;
    for (int32_t i = 0; i < p.in_dim; ++i)
      xw += int64_t{c.wLogical[size_t(j * p.in_dim + i)]} * x[size_t(i)];
    for (int32_t i = 0; i < p.hidden; ++i)
      hu += int64_t{c.u[size_t(j * p.hidden + i)]} * h[size_t(i)];
    const int64_t acc = xw * (int64_t{1} << p.x_shift) + hu;
    REQUIRE(std::llabs(acc + p.bz[j]) <= INT32_MAX);
    REQUIRE(std::llabs(acc + p.bh[j]) <= INT32_MAX);
    const int64_t z = rp_q15_nonlinearity(p.gate, int32_t((acc + p.bz[j]) >> p.acc_shift));
    const int64_t cc = rp_q15_nonlinearity(p.update, int32_t((acc + p.bh[j]) >> p.acc_shift));
    const int64_t coef = ((int64_t{p.zeta} + p.nu) * 32768 + 16384 - p.zeta * z) >> 15;
    const int64_t s = p.state_shift;
    int64_t v = ((z * h[size_t(j)] + 16384) >> 15) +
                ((coef * cc + (int64_t{1} << (13 + s))) >> (14 + s));
    next[size_t(j)] = std::clamp<int64_t>(v, -32768, 32767);
  }
  h = next;
}

/// RNN1 (int8 pixels) over count pixels from `x` in steps of `stride` bytes.
std::vector<int64_t> refSweep8(const EdgeCell &c, const int8_t *x, int32_t count,
                               int32_t stride) {
  std::vector<int64_t> h(size_t(c.p.hidden), 0);
  for (int32_t t = 0; t < count; ++t) {
    std::vector<int64_t> xv(size_t(c.p.in_dim));
    for (int32_t i = 0; i < c.p.in_dim; ++i)
      xv[size_t(i)] = x[t * stride + i] - c.p.x_zp;
    refStep(c, xv, h);
  }
  return h;
}

/// Q31 multiplier and shift of a positive real factor (as the quantiser computes them).
std::pair<int32_t, int32_t> multiplierOf(double real) {
  int e = 0;
  double f = std::frexp(real, &e);
  int64_t m = std::llround(f * 2147483648.0);
  if (m == (int64_t{1} << 31))
    m /= 2, ++e;
  return {static_cast<int32_t>(m), e};
}

} // namespace

TEST_CASE("FastGRNN sweeps at the accumulator bound, extreme inputs", "[ubsan]") {
  struct Shape {
    int32_t in, hidden, xShift, accShift, stateShift, gate, update;
  };
  const Shape shapes[] = {
      {4, 16, 3, 12, 0, RP_NL_SIGMOID, RP_NL_TANH},           // the unrolled DSP cell
      {16, 16, 2, 30, 7, RP_NL_QUANT_SIGM, RP_NL_QUANT_TANH}, // the other one
      {6, 5, 0, 0, 3, RP_NL_TANH, RP_NL_SIGMOID},             // tails, the generic update
      {70, 8, 0, 16, 2, RP_NL_QUANT_TANH, RP_NL_QUANT_SIGM},  // too wide to expand
  };
  for (const Shape &s : shapes)
    for (int32_t zp : {127, -128}) {
      EdgeCell c;
      makeCell(c, s.in, s.hidden, zp, magnitude(zp), true, s.xShift, s.accShift, s.stateShift,
               s.gate, s.update);
      for (const auto &x : patterns(size_t(5 * s.in)))
        for (int32_t count = 1; count <= 5; ++count) {
          std::vector<int16_t> h(size_t(s.hidden)), hd(h.size()), tmp(h.size());
          rp_fastgrnn_sweep_s8(&c.p, x.data(), count, s.in, h.data(), tmp.data());
          rp_dspemu_fastgrnn_sweep_s8(&c.p, x.data(), count, s.in, hd.data(), tmp.data());
          std::vector<int64_t> ref = refSweep8(c, x.data(), count, s.in);
          INFO("in " << s.in << " hidden " << s.hidden << " zp " << zp << " steps " << count
                     << " input " << int(x[0]) << " " << int(x[1]));
          for (size_t j = 0; j < h.size(); ++j) {
            REQUIRE(h[j] == ref[j]);
            REQUIRE(hd[j] == ref[j]);
          }
        }
    }
}

TEST_CASE("RNNPool layer with both cells at the bound, extreme inputs", "[ubsan]") {
  const int32_t k = 4, h1 = 16, h2 = 16, size = 8, patch = 4, stride = 2;
  for (int32_t zp : {127, -128}) {
    rp_rnnpool_params p{};
    EdgeCell c1, c2;
    makeCell(c1, k, h1, zp, magnitude(zp), true, 3, 12, 1, RP_NL_SIGMOID, RP_NL_TANH);
    makeCell(c2, h1, h2, 0, 32768, false, 0, 14, 2, RP_NL_SIGMOID, RP_NL_TANH);
    p.in_h = p.in_w = size, p.in_c = k;
    p.out_h = p.out_w = (size - patch) / stride + 1;
    p.patch_h = p.patch_w = patch, p.stride_h = p.stride_w = stride;
    p.rnn1 = c1.p, p.rnn2 = c2.p;
    p.out_zp = -zp - 1;
    std::tie(p.out_mult, p.out_shift) = multiplierOf(0.01);
    for (auto x : patterns(size_t(size * size * k))) {
      std::vector<int8_t> y(size_t(p.out_h * p.out_w * 4 * h2)), yd(y.size());
      std::vector<int32_t> scratch(rp_rnnpool_scratch_bytes(&p, p.out_w, 1) / 4 + 1);
      rp_view vi = rp_view_whole(x.data(), size, size);
      rp_view vo = rp_view_whole(y.data(), p.out_h, p.out_w);
      rp_view vd = rp_view_whole(yd.data(), p.out_h, p.out_w);
      rp_region r = rp_region_whole(p.out_h, p.out_w);
      rp_rnnpool_s8(&p, &vi, &vo, &r, scratch.data(), 1);
      rp_dspemu_rnnpool_s8(&p, &vi, &vd, &r, scratch.data(), 1);
      for (int32_t oi = 0; oi < p.out_h; ++oi)
        for (int32_t oj = 0; oj < p.out_w; ++oj) {
          // Row and column summaries of the patch, then RNN2 both ways over each.
          const int8_t *base = x.data() + (oi * stride * size + oj * stride) * k;
          std::vector<std::vector<int64_t>> rows, cols;
          for (int32_t t = 0; t < patch; ++t) {
            rows.push_back(refSweep8(c1, base + t * size * k, patch, k));
            cols.push_back(refSweep8(c1, base + t * k, patch, size * k));
          }
          std::vector<int64_t> out;
          for (const auto *seq : {&rows, &cols})
            for (int dir = 0; dir < 2; ++dir) {
              std::vector<int64_t> h(size_t(h2), 0);
              for (int32_t t = 0; t < patch; ++t)
                refStep(c2, (*seq)[size_t(dir ? patch - 1 - t : t)], h);
              out.insert(out.end(), h.begin(), h.end());
            }
          for (size_t j = 0; j < out.size(); ++j) {
            const size_t at = size_t((oi * p.out_w + oj) * 4 * h2) + j;
            const int8_t want = static_cast<int8_t>(std::clamp<int64_t>(
                refRequant(out[j], p.out_mult, p.out_shift) + p.out_zp, -128, 127));
            INFO("zp " << zp << " patch " << oi << "," << oj << " channel " << j);
            REQUIRE(y[at] == want);
            REQUIRE(yd[at] == want);
          }
        }
    }
  }
}

TEST_CASE("Q15 nonlinearities on every int32 extreme", "[ubsan]") {
  for (int32_t kind = 0; kind < 4; ++kind) {
    int32_t prev = INT32_MIN;
    std::vector<int32_t> xs{INT32_MIN, INT32_MIN + 1};
    for (int32_t x = -70000; x <= 70000; x += 3)
      xs.push_back(x);
    xs.push_back(INT32_MAX - 1), xs.push_back(INT32_MAX);
    for (int32_t x : xs) {
      const int32_t v = rp_q15_nonlinearity(kind, x);
      INFO("kind " << kind << " x " << x);
      REQUIRE(v >= -32768);
      REQUIRE(v <= 32768);
      REQUIRE(v >= prev); // every nonlinearity is non-decreasing
      prev = v;
    }
  }
}

TEST_CASE("L2 normalisation at the channel bound and with one channel", "[ubsan]") {
  for (int32_t channels : {33025, 1, 7})
    for (int32_t zp : {127, -128}) {
      const double factor = 100.0 * std::sqrt(double(channels)); // scale / out_scale
      auto [m, s] = multiplierOf(factor / double(1 << 30));
      std::vector<int32_t> mult(size_t(channels), m), shift(size_t(channels), s);
      rp_l2norm_params p{channels, zp, 0, 0, 0, 0, mult.data(), shift.data()};
      for (const auto &x : patterns(size_t(channels))) {
        std::vector<int8_t> y(x.size()), yd(x.size());
        rp_l2norm_s8(&p, x.data(), y.data(), 1);
        rp_dspemu_l2norm_s8(&p, x.data(), yd.data(), 1);
        REQUIRE(yd == y);
        double norm = 0;
        for (int8_t v : x)
          norm += double(v - zp) * double(v - zp);
        norm = std::sqrt(norm);
        for (size_t c = 0; c < x.size(); ++c) {
          const double want =
              norm > 0 ? std::clamp(factor * (x[c] - zp) / norm, -128.0, 127.0) : 0;
          INFO("channels " << channels << " zp " << zp << " c " << c);
          REQUIRE(std::fabs(double(y[c]) - want) <= 1.0);
        }
      }
    }
}

TEST_CASE("pooling: empty windows, whole-frame sums, extreme inputs", "[ubsan]") {
  // Windows wholly in the padding (pad == kernel) or past the edge count nothing: the zero
  // point, without a division by zero.
  for (int32_t includePad : {0, 1}) {
    rp_pool_params p{4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 0, 0, includePad, 5};
    if (includePad)
      p.pad_top = p.pad_left = 0, p.stride_h = p.stride_w = 5, p.out_h = p.out_w = 2;
    for (auto x : patterns(48)) {
      std::vector<int8_t> y(size_t(p.out_h * p.out_w * 3)), yd(y.size());
      rp_view vi = rp_view_whole(x.data(), 4, 4);
      rp_view vo = rp_view_whole(y.data(), p.out_h, p.out_w);
      rp_view vd = rp_view_whole(yd.data(), p.out_h, p.out_w);
      rp_region r = rp_region_whole(p.out_h, p.out_w);
      rp_avgpool_s8(&p, &vi, &vo, &r);
      rp_dspemu_avgpool_s8(&p, &vi, &vd, &r);
      REQUIRE(y == yd);
      for (int32_t c = 0; c < 3; ++c) // output (0, 0) of the padded case, (1, 1) past the edge
        REQUIRE(y[size_t((includePad ? 3 * 3 : 0) + c)] == 5);
    }
  }
  const int32_t hw = 128, ch = 2;
  for (int32_t zp : {127, -128}) {
    auto [m, s] = multiplierOf(1.0 / (hw * hw));
    rp_global_avgpool_params p{hw, hw, ch, zp, -zp - 1, m, s};
    for (const auto &x : patterns(size_t(hw * hw * ch))) {
      int8_t y[ch];
      rp_global_avgpool_s8(&p, x.data(), y);
      for (int32_t c = 0; c < ch; ++c) {
        int64_t sum = 0;
        for (int32_t i = 0; i < hw * hw; ++i)
          sum += x[size_t(i * ch + c)] - zp;
        REQUIRE(y[c] == std::clamp<int64_t>(refRequant(sum, m, s) + p.out_zp, -128, 127));
      }
    }
  }
}

TEST_CASE("softmax and multiplies on extreme inputs", "[ubsan]") {
  for (double scale : {0.0, 0.05}) {
    std::vector<uint32_t> table(256);
    for (int d = 0; d < 256; ++d)
      table[size_t(d)] = uint32_t(std::llround(65536.0 * std::exp(-scale * d)));
    const int32_t n = 65535;
    rp_softmax_params p{1, n, table.data()};
    for (const auto &x : patterns(size_t(n))) {
      std::vector<int8_t> y(x.size());
      rp_softmax_s8(&p, x.data(), y.data());
      const int32_t mx = *std::max_element(x.begin(), x.end());
      uint64_t sum = 0;
      for (int8_t v : x)
        sum += table[size_t(mx - v)];
      for (size_t i = 0; i < x.size(); i += 97) {
        uint64_t e = table[size_t(mx - x[i])];
        REQUIRE(y[i] == std::min<int64_t>(127, int64_t((e * 256 + sum / 2) / sum) - 128));
      }
    }
  }
  for (int32_t zp : {127, -128})
    for (int32_t shift : {-31, -23, -2, 30}) {
      rp_mul_params p{zp, -zp - 1, zp, INT32_MAX, shift, -128, 127};
      std::vector<int32_t> mult{INT32_MAX, 1 << 30}, shifts{shift, -31};
      rp_mul_channel_params pc{2, zp, -zp - 1, -128, 127, mult.data(), shifts.data()};
      // A gate of 16 channels over 16 pixels, and one value per pixel over 16 channels.
      rp_mul_gate_params pg{16, 0, zp, -zp - 1, zp, INT32_MAX, shift, -128, 127};
      rp_mul_gate_params pp{16, 1, zp, -zp - 1, zp, INT32_MAX, shift, -128, 127};
      const auto ps = patterns(256);
      for (const auto &a : ps)
        for (const auto &b : ps) {
          std::vector<int8_t> y(a.size()), yc(a.size()), yg(a.size()), ypp(a.size());
          std::vector<int8_t> yd(a.size());
          rp_mul_gate_s8(&pg, a.data(), b.data(), yg.data(), 16);
          rp_mul_gate_s8(&pp, a.data(), b.data(), ypp.data(), 16);
          std::vector<int8_t> ygd(a.size()), yppd(a.size());
          rp_dspemu_mul_gate_s8(&pg, a.data(), b.data(), ygd.data(), 16);
          rp_dspemu_mul_gate_s8(&pp, a.data(), b.data(), yppd.data(), 16);
          REQUIRE(ygd == yg);
          REQUIRE(yppd == ypp);
          for (size_t i = 0; i < a.size(); ++i) {
            for (auto [out, g] : {std::pair{&yg, b[i % 16]}, std::pair{&ypp, b[i / 16]}}) {
              int64_t prod = int64_t(a[i] - zp) * (g + zp + 1);
              REQUIRE((*out)[i] ==
                      std::clamp<int64_t>(refRequant(prod, INT32_MAX, shift) + zp, -128, 127));
            }
          }
          rp_mul_s8(&p, a.data(), b.data(), y.data(), int32_t(a.size()));
          rp_dspemu_mul_s8(&p, a.data(), b.data(), yd.data(), int32_t(a.size()) - 1);
          yd.back() = y.back(); // the last element left to the portable call: an odd tail
          rp_mul_channel_s8(&pc, a.data(), yc.data(), int32_t(a.size() / 2));
          for (size_t i = 0; i < a.size(); ++i) {
            int64_t prod = int64_t(a[i] - zp) * (b[i] + zp + 1);
            REQUIRE(y[i] ==
                    std::clamp<int64_t>(refRequant(prod, INT32_MAX, shift) + zp, -128, 127));
            REQUIRE(yd[i] == y[i]);
            REQUIRE(yc[i] ==
                    std::clamp<int64_t>(
                        refRequant(a[i] - zp, mult[i % 2], shifts[i % 2]) - zp - 1, -128, 127));
          }
        }
    }
}

TEST_CASE("bilinear resize: extreme bytes at every weight edge", "[ubsan]") {
  // Two input rows and columns per output pixel; Q11 weights 0, 1, 1024, 2047 on both axes
  // (the host never stores 2048). The documented arithmetic in 64 bits must give the same
  // bytes, and every partial sum stays within the int32 range.
  const int32_t weights[] = {0, 1, 1024, 2047};
  const int32_t c = 3, inH = 2, inW = 2;
  std::vector<int32_t> src;
  for (int32_t w : weights)
    src.push_back(w); // first index 0: reads index 1 too when the weight is not 0
  for (const auto &x : patterns(static_cast<size_t>(inH * inW * c))) {
    rp_resize_params p{c, inH, inW, 4, 4, 1, src.data(), src.data()};
    std::vector<int8_t> y(static_cast<size_t>(16 * c));
    rp_resize_s8(&p, x.data(), y.data());
    for (int32_t oy = 0; oy < 4; ++oy)
      for (int32_t ox = 0; ox < 4; ++ox)
        for (int32_t k = 0; k < c; ++k) {
          const int64_t wy = weights[oy], wx = weights[ox];
          const auto at = [&](int32_t r, int32_t col) {
            return int64_t{x[static_cast<size_t>((r * inW + col) * c + k)]};
          };
          const int64_t top = at(0, 0) * (2048 - wx) + at(0, wx ? 1 : 0) * wx;
          const int64_t bottom = at(wy ? 1 : 0, 0) * (2048 - wx) + at(wy ? 1 : 0, wx ? 1 : 0) * wx;
          const int64_t sum = top * (2048 - wy) + bottom * wy;
          int64_t q = sum + (1 << 21);
          q = (q >= 0 ? q : q - ((int64_t{1} << 22) - 1)) / (int64_t{1} << 22); // floor
          CHECK(y[static_cast<size_t>((oy * 4 + ox) * c + k)] == q);
          CHECK(std::abs(sum) <= (int64_t{1} << 29));
        }
  }
}

TEST_CASE("nearest resize copies extreme bytes", "[ubsan]") {
  const int32_t c = 2, rows[] = {2 * 2048, 0, 1 * 2048}, cols[] = {1 * 2048, 1 * 2048};
  for (const auto &x : patterns(static_cast<size_t>(3 * 2 * c))) {
    rp_resize_params p{c, 3, 2, 3, 2, 0, rows, cols};
    std::vector<int8_t> y(static_cast<size_t>(3 * 2 * c));
    rp_resize_s8(&p, x.data(), y.data());
    for (int32_t oy = 0; oy < 3; ++oy)
      for (int32_t ox = 0; ox < 2; ++ox)
        for (int32_t k = 0; k < c; ++k)
          CHECK(y[static_cast<size_t>((oy * 2 + ox) * c + k)] ==
                x[static_cast<size_t>(((rows[oy] >> 11) * 2 + 1) * c + k)]);
  }
}
