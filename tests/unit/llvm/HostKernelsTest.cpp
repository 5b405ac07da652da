// The host kernel paths of the LLVM backend's host bitcode (RP_HOST_SIMD:
// runtime/rp_host_conv.h, rp_f32_host_conv.h) against the portable kernels that the
// interpreter runs: int8 byte for byte, float within rounding, on odd channel counts, widths
// that are not a multiple of the pixel block, strides 1 and 2, pads, dilations, sub-regions
// and offset views, requantisation shifts on both sides of the fast loop's range, and
// extreme inputs and parameters at the accumulator's bound. unit_llvm runs them as clang
// compiled them for this CPU (the vectorised loops); unit_llvm_host_kernels_ubsan under
// UndefinedBehaviorSanitizer. Under a second.
#include "rp_hostsimd.h"
#include "rp_host_pack.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <type_traits>
#include <vector>

namespace {

struct Shape {
  const char *what;
  int32_t inC, outC, h, w, kh, kw, stride, pad, dil, groups;
};

// Output extent of a conv along one axis.
int32_t outExtent(int32_t in, int32_t k, int32_t stride, int32_t pad, int32_t dil) {
  return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
}

struct Int8Conv {
  rp_conv_params p{};
  std::vector<int8_t> w;
  std::vector<int32_t> bias, mult, shift;
};

// A conv of `s` with random weights, biases and requantisation. `general` puts some shifts
// outside the fast loop's range (and factors of 1 or more); `clamp` narrows the output.
Int8Conv randomConv(const Shape &s, std::mt19937 &rng, bool general, bool clamp) {
  Int8Conv c;
  rp_conv_params &p = c.p;
  p.in_h = s.h, p.in_w = s.w, p.in_c = s.inC, p.out_c = s.outC;
  p.k_h = s.kh, p.k_w = s.kw, p.stride_h = p.stride_w = s.stride;
  p.dil_h = p.dil_w = s.dil, p.pad_top = p.pad_left = s.pad, p.groups = s.groups;
  p.out_h = outExtent(s.h, s.kh, s.stride, s.pad, s.dil);
  p.out_w = outExtent(s.w, s.kw, s.stride, s.pad, s.dil);
  std::uniform_int_distribution<int32_t> byte(-128, 127), zp(-128, 127);
  p.in_zp = zp(rng), p.out_zp = zp(rng);
  p.act_min = clamp ? -40 : -128, p.act_max = clamp ? 90 : 127;
  const int32_t taps = s.kh * s.kw * (s.inC / s.groups);
  c.w.resize(static_cast<size_t>(taps) * static_cast<size_t>(s.outC));
  for (int8_t &v : c.w)
    v = static_cast<int8_t>(byte(rng));
  std::uniform_int_distribution<int32_t> bias(-(1 << 20), 1 << 20);
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX), fast(-22, -2);
  const int32_t odd[] = {-1, 0, 1, -25, -31, 5};
  for (int32_t o = 0; o < s.outC; ++o) {
    c.bias.push_back(bias(rng));
    c.mult.push_back(o % 11 == 5 ? 0 : mult(rng));
    c.shift.push_back(general && o % 3 == 1 ? odd[o % 6] : fast(rng));
  }
  p.weights = c.w.data(), p.bias = c.bias.data(), p.mult = c.mult.data();
  p.shift = c.shift.data();
  return c;
}

std::vector<int8_t> randomBytes(size_t n, std::mt19937 &rng) {
  std::uniform_int_distribution<int32_t> byte(-128, 127);
  std::vector<int8_t> v(n);
  for (int8_t &x : v)
    x = static_cast<int8_t>(byte(rng));
  return v;
}

// The regions a case runs: the whole output, and the inside of it (or its last row and
// column when it is small), written through an output view that holds only that region.
std::vector<rp_region> regionsOf(int32_t outH, int32_t outW) {
  std::vector<rp_region> r(2, rp_region_whole(outH, outW));
  rp_region &inner = r[1];
  inner.row0 = std::min(1, outH - 1), inner.col0 = std::min(1, outW - 1);
  if (outH > 3)
    inner.row1 = outH - 1;
  if (outW > 3)
    inner.col1 = outW - 1;
  return r;
}

// The weights a host object gives the host kernels: packed (runtime/rp_host_pack.h) when
// the conv's are (int8 in quads where the kernels take the VNNI path), else OHWI as they are.
template <typename T>
std::vector<T> hostWeights(const T *w, int32_t groups, int32_t kh, int32_t kw, int32_t inC,
                           int32_t outC) {
  const int32_t n = kh * kw * (inC / groups);
  if (!rp_host_packs(groups, kh, kw, inC))
    return std::vector<T>(w, w + static_cast<size_t>(n) * static_cast<size_t>(outC));
  if constexpr (std::is_same_v<T, int8_t>)
    if (rp_hostsimd_vnni()) {
      std::vector<int8_t> quads(static_cast<size_t>(rp_host_quads_bytes(n, outC)));
      rp_host_pack_quads_s8(w, n, outC, quads.data());
      return quads;
    }
  std::vector<T> packed(static_cast<size_t>(rp_host_packed_count(n, outC)), T{});
  for (int32_t o = 0; o < outC; ++o)
    for (int32_t i = 0; i < n; ++i)
      packed[static_cast<size_t>(rp_host_pack_at(o, i, n))] = w[o * n + i];
  return packed;
}

// Runs the portable and the host int8 kernel on `x` over every region; requires the same
// bytes everywhere in the output buffer (the bytes outside the region untouched by both).
void compareInt8(const Int8Conv &c, const std::vector<int8_t> &x) {
  const rp_conv_params &p = c.p;
  const std::vector<int8_t> hostW =
      hostWeights(p.weights, p.groups, p.k_h, p.k_w, p.in_c, p.out_c);
  rp_conv_params hostP = p;
  hostP.weights = hostW.data();
  std::vector<int8_t> in = x;
  rp_view vi = rp_view_whole(in.data(), p.in_h, p.in_w);
  for (const rp_region &r : regionsOf(p.out_h, p.out_w)) {
    const int32_t rows = r.row1 - r.row0, cols = r.col1 - r.col0;
    std::vector<int8_t> want(static_cast<size_t>(rows * cols * p.out_c), 0x5A), got = want;
    rp_view vw = rp_view_whole(want.data(), rows, cols), vg = rp_view_whole(got.data(), rows, cols);
    vw.row0 = vg.row0 = r.row0, vw.col0 = vg.col0 = r.col0;
    rp_conv_s8(&p, &vi, &vw, &r);
    rp_hostsimd_conv_s8(&hostP, &vi, &vg, &r);
    INFO("region rows " << r.row0 << ".." << r.row1 << " cols " << r.col0 << ".." << r.col1);
    REQUIRE(got == want);
  }
}

const Shape kShapes[] = {
    {"pointwise 1 -> 1", 1, 1, 3, 5, 1, 1, 1, 0, 1, 1},
    {"pointwise 3 -> 5, width 7", 3, 5, 2, 7, 1, 1, 1, 0, 1, 1},
    {"pointwise 7 -> 2, width 1", 7, 2, 4, 1, 1, 1, 1, 0, 1, 1},
    {"pointwise 16 -> 24, width 6", 16, 24, 3, 6, 1, 1, 1, 0, 1, 1},
    {"pointwise 33 -> 9, width 9", 33, 9, 3, 9, 1, 1, 1, 0, 1, 1},
    {"pointwise 100 -> 17, width 5", 100, 17, 2, 5, 1, 1, 1, 0, 1, 1},
    {"pointwise 250 -> 3, width 3", 250, 3, 2, 3, 1, 1, 1, 0, 1, 1},
    {"pointwise 961 -> 40 (several weight chunks)", 961, 40, 2, 5, 1, 1, 1, 0, 1, 1},
    {"pointwise 80 -> 37 over 6x7 (float: outer form, long field)", 80, 37, 6, 7, 1, 1, 1, 0,
     1, 1},
    {"3x3 stride 2 pad 1, 24 -> 18 over 9x10 (float: outer form, gathered)", 24, 18, 18, 20,
     3, 3, 2, 1, 1, 1},
    {"pointwise 1024 -> 17 (the largest packed field)", 1024, 17, 2, 9, 1, 1, 1, 0, 1, 1},
    {"pointwise 1025 -> 18 (dot products over OHWI)", 1025, 18, 2, 9, 1, 1, 1, 0, 1, 1},
    {"3x3 pad 1, 114 -> 33 (gathered field of 1026, OHWI)", 114, 33, 4, 5, 3, 3, 1, 1, 1, 1},
    {"pointwise 4096 -> 3 (the largest field)", 4096, 3, 1, 5, 1, 1, 1, 0, 1, 1},
    {"pointwise 4097 -> 2 (portable)", 4097, 2, 1, 3, 1, 1, 1, 0, 1, 1},
    {"pointwise 4 -> 2049 (portable)", 4, 2049, 1, 2, 1, 1, 1, 0, 1, 1},
    {"1x1 stride 2", 5, 6, 5, 7, 1, 1, 2, 0, 1, 1},
    {"3x3 pad 1", 3, 8, 6, 7, 3, 3, 1, 1, 1, 1},
    {"3x3 stride 2 pad 1 (a stem)", 3, 16, 9, 11, 3, 3, 2, 1, 1, 1},
    {"3x3 stride 2 pad 1, one channel", 1, 5, 8, 9, 3, 3, 2, 1, 1, 1},
    {"3x3 no pad, odd channels", 13, 7, 6, 6, 3, 3, 1, 0, 1, 1},
    {"3x3 dilation 2 pad 2", 4, 6, 7, 9, 3, 3, 1, 2, 2, 1},
    {"5x5 stride 2 pad 2", 6, 5, 9, 10, 5, 5, 2, 2, 1, 1},
    {"7x7 stride 2 pad 3", 3, 4, 12, 13, 7, 7, 2, 3, 1, 1},
    {"1x3 pad 1", 5, 3, 4, 6, 1, 3, 1, 1, 1, 1},
    {"2x2 stride 2", 8, 9, 6, 8, 2, 2, 2, 0, 1, 1},
    {"3x3 wider than the input (pad 2 on 1x2)", 3, 4, 1, 2, 3, 3, 1, 2, 1, 1},
    {"grouped (portable)", 8, 8, 5, 5, 3, 3, 1, 1, 1, 2},
    {"depthwise 3x3, 1 channel", 1, 1, 5, 6, 3, 3, 1, 1, 1, 1},
    {"depthwise 3x3, 13 channels", 13, 13, 6, 7, 3, 3, 1, 1, 1, 13},
    {"depthwise 3x3 stride 2, 40 channels", 40, 40, 9, 9, 3, 3, 2, 1, 1, 40},
    {"depthwise 3x3, 300 channels", 300, 300, 3, 4, 3, 3, 1, 1, 1, 300},
    {"depthwise 5x5 stride 2 pad 2", 7, 7, 8, 9, 5, 5, 2, 2, 1, 7},
    {"depthwise 3x3 dilation 2", 6, 6, 7, 7, 3, 3, 1, 2, 2, 6},
    {"depthwise 9x3 pad 4, 20 channels (taller than the host path's rows)", 20, 20, 10, 6, 9, 3,
     1, 4, 1, 20},
    {"depthwise 3x3 stride 2, 96 channels (64 + 2 x 16)", 96, 96, 7, 8, 3, 3, 2, 1, 1, 96},
    {"depthwise 3x3, 48 channels over 14 columns (four pixels at a time)", 48, 48, 5, 14, 3, 3,
     1, 1, 1, 48},
    {"depthwise 3x3 stride 2, 40 channels over 20 columns", 40, 40, 6, 20, 3, 3, 2, 1, 1, 40},
    {"depthwise 5x5 dilation 2, 17 channels over 23 columns", 17, 17, 9, 23, 5, 5, 1, 2, 2, 17},
    {"depthwise 3x3, 2049 channels (portable)", 2049, 2049, 2, 2, 3, 3, 1, 1, 1, 2049},
};

} // namespace

TEST_CASE("host int8 conv paths give the portable kernels' bytes", "[llvm][host]") {
  REQUIRE(rp_hostsimd_max_field() > 0); // the host paths are compiled in
  WARN("int8 outer form through AVX-512 VNNI: " << (rp_hostsimd_vnni() ? "yes" : "no"));
  std::mt19937 rng(2024);
  for (const Shape &s : kShapes)
    for (int variant = 0; variant < 4; ++variant) {
      // A depthwise case with one channel is an ordinary conv (groups == 1).
      const Int8Conv c = randomConv(s, rng, /*general=*/variant & 1, /*clamp=*/variant & 2);
      INFO(s.what << ", variant " << variant << ", in_zp " << c.p.in_zp << ", out_zp "
                  << c.p.out_zp);
      compareInt8(c, randomBytes(static_cast<size_t>(s.h * s.w * s.inC), rng));
    }
}

TEST_CASE("host int8 conv paths at the accumulator bound, extreme inputs", "[llvm][host]") {
  // Weights of magnitude 128 or 127 and |bias| = 2^31 - 1 - max|x - zp| * sum |w|, so that
  // an extreme input drives an accumulator to +-(2^31 - 1); shifts on both sides of the fast
  // loop's range.
  const Shape shapes[] = {
      {"pointwise", 37, 7, 2, 5, 1, 1, 1, 0, 1, 1},
      {"pointwise, long field", 1500, 5, 1, 6, 1, 1, 1, 0, 1, 1},
      {"3x3 stride 2", 5, 6, 6, 7, 3, 3, 2, 1, 1, 1},
      {"depthwise 3x3", 11, 11, 5, 6, 3, 3, 1, 1, 1, 11},
  };
  const int32_t shifts[] = {-2, -22, -9, -1, 0, -31};
  for (const Shape &s : shapes)
    for (int32_t inZp : {127, -128, 0})
      for (int32_t outZp : {127, -128}) {
        std::mt19937 rng(7);
        Int8Conv c = randomConv(s, rng, false, outZp == -128);
        c.p.in_zp = inZp, c.p.out_zp = outZp;
        const bool dw = s.groups > 1;
        const int32_t taps = s.kh * s.kw * (dw ? 1 : s.inC);
        const int64_t mag = std::max(std::abs(-128 - inZp), std::abs(127 - inZp));
        for (int32_t o = 0; o < s.outC; ++o) {
          int64_t sum = 0;
          for (int32_t k = 0; k < taps; ++k) {
            const int8_t v = o % 3 == 0 ? -128 : (o % 3 == 1 ? 127 : ((k & 1) ? 127 : -128));
            c.w[dw ? static_cast<size_t>(k * s.outC + o) : static_cast<size_t>(o * taps + k)] =
                v;
            sum += std::abs(int32_t{v});
          }
          const int64_t b = INT32_MAX - mag * sum;
          REQUIRE(b >= 0);
          c.bias[static_cast<size_t>(o)] = static_cast<int32_t>(o % 2 ? -b : b);
          c.mult[static_cast<size_t>(o)] = o % 4 == 3 ? INT32_MAX : 1 << 30;
          c.shift[static_cast<size_t>(o)] = shifts[o % 6];
        }
        const size_t n = static_cast<size_t>(s.h * s.w * s.inC);
        std::vector<int8_t> lo(n, -128), hi(n, 127), alt(n);
        for (size_t i = 0; i < n; ++i)
          alt[i] = (i & 1) ? 127 : -128;
        for (const auto *x : {&lo, &hi, &alt}) {
          INFO(s.what << ", in_zp " << inZp << ", out_zp " << outZp << ", input " << int((*x)[0]));
          compareInt8(c, *x);
        }
      }
}

TEST_CASE("host float conv paths agree with the portable kernels within rounding",
          "[llvm][host]") {
  REQUIRE(rp_hostsimd_max_field_f32() > 0);
  WARN("float outer form two blocks at a time (AVX-512): "
       << (rp_hostsimd_avx512() ? "yes" : "no"));
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f), weight(-0.5f, 0.5f);
  const int32_t acts[] = {RP_ACT_NONE, RP_ACT_RELU, RP_ACT_CLIP, RP_ACT_HARD_SWISH};
  const float sentinel = 12345.0f;
  int variant = 0;
  for (const Shape &s : kShapes) {
    rp_conv_f32_params p{};
    p.in_h = s.h, p.in_w = s.w, p.in_c = s.inC, p.out_c = s.outC;
    p.k_h = s.kh, p.k_w = s.kw, p.stride_h = p.stride_w = s.stride;
    p.dil_h = p.dil_w = s.dil, p.pad_top = p.pad_left = s.pad, p.groups = s.groups;
    p.out_h = outExtent(s.h, s.kh, s.stride, s.pad, s.dil);
    p.out_w = outExtent(s.w, s.kw, s.stride, s.pad, s.dil);
    p.act.kind = acts[variant++ % 4], p.act.alpha = 0.0f, p.act.beta = 6.0f;
    const int32_t taps = s.kh * s.kw * (s.inC / s.groups);
    std::vector<float> w(static_cast<size_t>(taps * s.outC)), bias(static_cast<size_t>(s.outC));
    std::vector<float> x(static_cast<size_t>(s.h * s.w * s.inC));
    for (float &v : w)
      v = weight(rng);
    for (float &v : bias)
      v = value(rng);
    for (float &v : x)
      v = value(rng);
    p.weights = w.data(), p.bias = bias.data();
    const std::vector<float> hostW = hostWeights(w.data(), s.groups, s.kh, s.kw, s.inC, s.outC);
    rp_conv_f32_params hostP = p;
    hostP.weights = hostW.data();
    rp_view_f32 vi = rp_view_whole_f32(x.data(), p.in_h, p.in_w);
    for (const rp_region &r : regionsOf(p.out_h, p.out_w)) {
      const int32_t rows = r.row1 - r.row0, cols = r.col1 - r.col0;
      std::vector<float> want(static_cast<size_t>(rows * cols * p.out_c), sentinel), got = want;
      rp_view_f32 vw = rp_view_whole_f32(want.data(), rows, cols);
      rp_view_f32 vg = rp_view_whole_f32(got.data(), rows, cols);
      vw.row0 = vg.row0 = r.row0, vw.col0 = vg.col0 = r.col0;
      const rp_region_f32 rf{r.row0, r.row1, r.col0, r.col1};
      rp_conv_f32(&p, &vi, &vw, &rf);
      rp_hostsimd_conv_f32(&hostP, &vi, &vg, &rf);
      // Sums of at most `taps` products of magnitude <= 0.5, in another order: a few ulps of
      // the largest partial sum.
      const float tol = 1e-6f * static_cast<float>(taps) + 1e-6f;
      INFO(s.what << ", act " << p.act.kind);
      for (size_t i = 0; i < want.size(); ++i) {
        INFO("value " << i << ": " << got[i] << " vs " << want[i]);
        if (want[i] == sentinel)
          REQUIRE(got[i] == sentinel);
        else
          REQUIRE(std::fabs(got[i] - want[i]) <= tol);
      }
    }
  }
}

TEST_CASE("host int8 RNNPool cells give the portable kernel's bytes", "[llvm][host]") {
  // The host steps sum every unit side by side from transposed weights (rp_rnnpool.c,
  // RP_HOST_SIMD) for cells of 8 or 16 units on 4, 8 or 16 inputs; the other sizes (3
  // channels, 5 units) keep the portable steps. The scales keep the pre-activations near
  // 1.0 (Q12), so that the gates are neither stuck nor saturated, and the accumulators far
  // below 2^31, as the quantiser does.
  std::mt19937 rng(11);
  const int32_t nls[][2] = {{RP_NL_SIGMOID, RP_NL_TANH}, {RP_NL_QUANT_SIGM, RP_NL_QUANT_TANH}};
  for (int32_t c : {4, 8, 3})
    for (int32_t h1 : {8, 16})
      for (int32_t h2 : {16, 8, 5})
        for (const auto &nl : nls)
          for (int32_t reuse : {1, 0}) {
            const int32_t inH = 11, inW = 13, ph = 4, pw = 4, sh = 2, sw = 3;
            std::uniform_int_distribution<int32_t> wIn(-1024, 1024), wRec(-64, 64);
            std::uniform_int_distribution<int32_t> bias(-(1 << 18), 1 << 18);
            std::uniform_int_distribution<int32_t> q14(0, 16384), bit(0, 1);
            auto random = [&](size_t n, std::uniform_int_distribution<int32_t> &d) {
              std::vector<int16_t> v(n);
              for (int16_t &x : v)
                x = static_cast<int16_t>(d(rng));
              return v;
            };
            const std::vector<int8_t> x = randomBytes(static_cast<size_t>(inH * inW * c), rng);
            const std::vector<int16_t> w1 = random(static_cast<size_t>(h1 * c), wIn),
                                       u1 = random(static_cast<size_t>(h1 * h1), wRec),
                                       w2 = random(static_cast<size_t>(h2 * h1), wRec),
                                       u2 = random(static_cast<size_t>(h2 * h2), wRec);
            std::vector<int32_t> b1(static_cast<size_t>(2 * h1));
            std::vector<int32_t> b2(static_cast<size_t>(2 * h2));
            for (int32_t &v : b1)
              v = bias(rng);
            for (int32_t &v : b2)
              v = bias(rng);
            rp_rnnpool_params p{};
            p.in_h = inH, p.in_w = inW, p.in_c = c;
            p.out_h = (inH - ph) / sh + 1, p.out_w = (inW - pw) / sw + 1;
            p.patch_h = ph, p.patch_w = pw, p.stride_h = sh, p.stride_w = sw;
            p.rnn1 = {c,         h1,        static_cast<int32_t>(rng() % 200) - 100,
                      2 + bit(rng), w1.data(), u1.data(), b1.data(), b1.data() + h1, 0,
                      8 + bit(rng), q14(rng),  q14(rng), nl[0], nl[1], bit(rng)};
            p.rnn2 = {h1, h2, 0, 0, w2.data(), u2.data(), b2.data(), b2.data() + h2, 0,
                      8 + bit(rng), q14(rng), q14(rng), nl[0], nl[1], bit(rng)};
            p.out_zp = 3, p.out_mult = 1 << 30, p.out_shift = -7;
            const rp_region r{0, p.out_h, 0, p.out_w};
            const size_t outN = static_cast<size_t>(p.out_h * p.out_w * 4 * h2);
            std::vector<int8_t> want(outN), got(outN);
            std::vector<int64_t> scratch(rp_rnnpool_scratch_bytes(&p, p.out_w, reuse) / 8 + 1);
            std::vector<int8_t> in = x;
            rp_view vi = rp_view_whole(in.data(), inH, inW);
            rp_view vw = rp_view_whole(want.data(), p.out_h, p.out_w);
            rp_view vg = rp_view_whole(got.data(), p.out_h, p.out_w);
            rp_rnnpool_s8(&p, &vi, &vw, &r, scratch.data(), reuse);
            rp_hostsimd_rnnpool_s8(&p, &vi, &vg, &r, scratch.data(), reuse);
            INFO("c " << c << ", h1 " << h1 << ", h2 " << h2 << ", gate " << nl[0] << ", reuse "
                      << reuse);
            REQUIRE(got == want);
            std::vector<int8_t> distinct = want; // not saturated into a few values
            std::sort(distinct.begin(), distinct.end());
            CHECK(std::unique(distinct.begin(), distinct.end()) - distinct.begin() > 8);
          }
}

TEST_CASE("host float RNNPool cells agree with the portable kernel within rounding",
          "[llvm][host]") {
  // The host cells compute sigmoid and tanh through their own exp (rp_f32_rnnpool.c,
  // RP_HOST_SIMD). Inputs of magnitude up to `scale` drive the gates from their linear
  // range into saturation; the states stay in [-1, 1], so an absolute bound applies.
  std::mt19937 rng(7);
  for (float scale : {0.5f, 4.0f, 60.0f})
    for (int32_t h1 : {8, 16})
      for (int32_t h2 : {8, 5}) {
        const int32_t c = 3, inH = 10, inW = 12, ph = 4, pw = 4, sh = 2, sw = 2;
        std::uniform_real_distribution<float> value(-scale, scale), weight(-0.6f, 0.6f);
        auto random = [&](size_t n, std::uniform_real_distribution<float> &d) {
          std::vector<float> v(n);
          for (float &x : v)
            x = d(rng);
          return v;
        };
        std::vector<float> x = random(static_cast<size_t>(inH * inW * c), value);
        std::vector<float> w1 = random(static_cast<size_t>(h1 * c), weight),
                           u1 = random(static_cast<size_t>(h1 * h1), weight),
                           b1 = random(static_cast<size_t>(2 * h1), weight),
                           w2 = random(static_cast<size_t>(h2 * h1), weight),
                           u2 = random(static_cast<size_t>(h2 * h2), weight),
                           b2 = random(static_cast<size_t>(2 * h2), weight);
        rp_rnnpool_f32_params p{};
        p.in_h = inH, p.in_w = inW, p.in_c = c;
        p.out_h = (inH - ph) / sh + 1, p.out_w = (inW - pw) / sw + 1;
        p.patch_h = ph, p.patch_w = pw, p.stride_h = sh, p.stride_w = sw;
        p.rnn1 = {c, h1, w1.data(), u1.data(), b1.data(), b1.data() + h1, 0.7f, 0.1f,
                  RP_F32_NL_SIGMOID, RP_F32_NL_TANH};
        p.rnn2 = {h1, h2, w2.data(), u2.data(), b2.data(), b2.data() + h2, 0.6f, 0.2f,
                  RP_F32_NL_SIGMOID, RP_F32_NL_TANH};
        const rp_region_f32 r{0, p.out_h, 0, p.out_w};
        const size_t outN = static_cast<size_t>(p.out_h * p.out_w * 4 * h2);
        std::vector<float> want(outN), got(outN);
        std::vector<float> scratch(rp_rnnpool_f32_scratch_bytes(&p, p.out_w, 1) / 4 + 1);
        rp_view_f32 vi = rp_view_whole_f32(x.data(), inH, inW);
        rp_view_f32 vw = rp_view_whole_f32(want.data(), p.out_h, p.out_w);
        rp_view_f32 vg = rp_view_whole_f32(got.data(), p.out_h, p.out_w);
        rp_rnnpool_f32(&p, &vi, &vw, &r, scratch.data(), 1);
        rp_hostsimd_rnnpool_f32(&p, &vi, &vg, &r, scratch.data(), 1);
        INFO("scale " << scale << ", h1 " << h1 << ", h2 " << h2);
        double worst = 0;
        for (size_t i = 0; i < outN; ++i) {
          REQUIRE(std::isfinite(got[i]));
          worst = std::max(worst, static_cast<double>(std::fabs(got[i] - want[i])));
        }
        CHECK(worst <= 1e-5);
        CHECK(worst > 0.0); // the host cells are the ones compared (another exp)
      }
}
