// Float runtime kernels (rnnpoolc_runtime_f32.h) over regions and views: the output computed
// tile by tile, each tile from a buffer holding only its receptive field, or row by row from
// a ring buffer (a line buffer), equals the whole-tensor output exactly; RNNPool's result
// does not depend on the region split or on reuse, nor on row bands carrying the cache.
#include "rnnpoolc_runtime_f32.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <random>
#include <vector>

namespace {

using Kernel = std::function<void(const rp_view_f32 *, rp_view_f32 *, const rp_region_f32 *)>;

/// The geometry of a spatial layer: input and output H, W, C and the window (kernel,
/// stride, dilation, top/left padding) that maps output rows to input rows.
struct Geometry {
  int32_t inH, inW, inC, outH, outW, outC;
  int32_t k, stride, dil, pad;
  /// Input rows (or columns) [lo, hi) that outputs [a, b) read, clipped to [0, n).
  std::pair<int32_t, int32_t> field(int32_t a, int32_t b, int32_t n) const {
    return {std::max(0, a * stride - pad),
            std::min(n, (b - 1) * stride - pad + (k - 1) * dil + 1)};
  }
};

std::vector<float> randomFloats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

std::vector<float> whole(const Kernel &kernel, std::vector<float> x, const Geometry &g) {
  std::vector<float> y(static_cast<size_t>(g.outH * g.outW * g.outC), -7.0f);
  rp_view_f32 vi = rp_view_whole_f32(x.data(), g.inH, g.inW);
  rp_view_f32 vo = rp_view_whole_f32(y.data(), g.outH, g.outW);
  rp_region_f32 r = rp_region_whole_f32(g.outH, g.outW);
  kernel(&vi, &vo, &r);
  return y;
}

/// Tiles of th x tw outputs, each from a copy of its receptive field into its own buffer.
std::vector<float> tiled(const Kernel &kernel, const std::vector<float> &x, const Geometry &g,
                         int32_t th, int32_t tw) {
  std::vector<float> y(static_cast<size_t>(g.outH * g.outW * g.outC), -7.0f);
  for (int32_t r0 = 0; r0 < g.outH; r0 += th)
    for (int32_t c0 = 0; c0 < g.outW; c0 += tw) {
      int32_t r1 = std::min(g.outH, r0 + th), c1 = std::min(g.outW, c0 + tw);
      auto [y0, y1] = g.field(r0, r1, g.inH);
      auto [x0, x1] = g.field(c0, c1, g.inW);
      std::vector<float> in;
      for (int32_t yy = y0; yy < y1; ++yy)
        for (int32_t xx = x0; xx < x1; ++xx)
          for (int32_t c = 0; c < g.inC; ++c)
            in.push_back(x[static_cast<size_t>((yy * g.inW + xx) * g.inC + c)]);
      std::vector<float> out(static_cast<size_t>((r1 - r0) * (c1 - c0) * g.outC), -5.0f);
      rp_view_f32 vi{in.data(), y0, x0, y1 - y0, x1 - x0, 0};
      rp_view_f32 vo{out.data(), r0, c0, r1 - r0, c1 - c0, 0};
      rp_region_f32 region{r0, r1, c0, c1};
      kernel(&vi, &vo, &region);
      for (int32_t yy = r0; yy < r1; ++yy)
        for (int32_t xx = c0; xx < c1; ++xx)
          for (int32_t c = 0; c < g.outC; ++c)
            y[static_cast<size_t>((yy * g.outW + xx) * g.outC + c)] =
                out[static_cast<size_t>(((yy - r0) * (c1 - c0) + xx - c0) * g.outC + c)];
    }
  return y;
}

/// One output row at a time from a ring buffer of whole input rows (row y at y % ring).
std::vector<float> ringRows(const Kernel &kernel, const std::vector<float> &x,
                            const Geometry &g) {
  const int32_t ring = (g.k - 1) * g.dil + 1, rowElems = g.inW * g.inC;
  std::vector<float> buffer(static_cast<size_t>(ring * rowElems), 99.0f);
  std::vector<float> y(static_cast<size_t>(g.outH * g.outW * g.outC), -7.0f);
  int32_t loaded = 0;
  for (int32_t r = 0; r < g.outH; ++r) {
    auto [y0, y1] = g.field(r, r + 1, g.inH);
    REQUIRE(y1 - y0 <= ring);
    for (; loaded < y1; ++loaded)
      std::copy_n(x.begin() + loaded * rowElems, rowElems,
                  buffer.begin() + (loaded % ring) * rowElems);
    rp_view_f32 vi{buffer.data(), 0, 0, ring, g.inW, ring};
    rp_view_f32 vo{y.data() + r * g.outW * g.outC, r, 0, 1, g.outW, 0};
    rp_region_f32 region{r, r + 1, 0, g.outW};
    kernel(&vi, &vo, &region);
  }
  return y;
}

void checkRegions(const Kernel &kernel, const Geometry &g, uint32_t seed, bool ring = true) {
  auto x = randomFloats(static_cast<size_t>(g.inH * g.inW * g.inC), seed);
  auto expected = whole(kernel, x, g);
  for (auto [th, tw] : {std::pair{1, 1}, {2, 3}, {3, 2}, {g.outH, 1}, {1, g.outW}}) {
    INFO("tile " << th << "x" << tw);
    CHECK(tiled(kernel, x, g, th, tw) == expected);
  }
  if (ring) {
    INFO("ring buffer, one output row at a time");
    CHECK(ringRows(kernel, x, g) == expected);
  }
}

int32_t outSize(int32_t n, int32_t k, int32_t stride, int32_t dil, int32_t pad) {
  return (n + 2 * pad - ((k - 1) * dil + 1)) / stride + 1;
}

} // namespace

TEST_CASE("runtime f32: conv over tiles and ring buffers == whole tensor") {
  struct Case {
    const char *name;
    int32_t inC, outC, h, w, k, stride, dil, pad, groups, act;
  };
  const Case cases[] = {
      {"general 3x3 stride 2 dilation 2, relu", 4, 6, 13, 11, 3, 2, 2, 2, 1, 1},
      {"grouped, hard-swish", 4, 6, 9, 10, 3, 1, 1, 1, 2, 6},
      {"depthwise 3x3 stride 2, leaky relu", 5, 5, 12, 9, 3, 2, 1, 1, 5, 3},
      {"depthwise 5x5, clip", 3, 3, 8, 8, 5, 1, 1, 2, 3, 2},
      {"pointwise, sigmoid", 7, 4, 6, 5, 1, 1, 1, 0, 1, 4}};
  uint32_t seed = 1;
  for (const Case &c : cases) {
    DYNAMIC_SECTION(c.name) {
      Geometry g{c.h,
                 c.w,
                 c.inC,
                 outSize(c.h, c.k, c.stride, c.dil, c.pad),
                 outSize(c.w, c.k, c.stride, c.dil, c.pad),
                 c.outC,
                 c.k,
                 c.stride,
                 c.dil,
                 c.pad};
      const bool depthwise = c.groups > 1 && c.groups == c.inC && c.groups == c.outC;
      auto w = randomFloats(static_cast<size_t>(c.outC * c.k * c.k * c.inC / c.groups), seed++);
      auto bias = randomFloats(static_cast<size_t>(c.outC), seed++);
      rp_conv_f32_params p{
          g.inH,    g.inW,      g.inC, g.outH, g.outW, g.outC, c.k,      c.k,
          c.stride, c.stride,   c.dil, c.dil,  c.pad,  c.pad,  c.groups, {c.act, -0.2f, 0.3f},
          w.data(), bias.data()};
      if (c.act == 3)
        p.act.alpha = 0.1f;
      checkRegions([&](auto *in, auto *out, auto *r) { rp_conv_f32(&p, in, out, r); }, g,
                   seed++);
      if (!depthwise) { // the general kernel on its own, whatever rp_conv_f32 picks
        checkRegions([&](auto *in, auto *out, auto *r) { rp_conv_general_f32(&p, in, out, r); },
                     g, seed++);
      }
    }
  }
}

TEST_CASE("runtime f32: max and average pooling over tiles and ring buffers == whole") {
  for (int32_t include = 0; include < 2; ++include) {
    DYNAMIC_SECTION("count_include_pad " << include) {
      Geometry g{10, 9, 3, outSize(10, 3, 2, 1, 1), outSize(9, 3, 2, 1, 1), 3, 3, 2, 1, 1};
      rp_pool_f32_params p{g.inH, g.inW, 3, g.outH, g.outW, 3, 3, 2, 2, 1, 1, 1, 1, include};
      checkRegions([&](auto *in, auto *out, auto *r) { rp_maxpool_f32(&p, in, out, r); }, g, 7);
      checkRegions([&](auto *in, auto *out, auto *r) { rp_avgpool_f32(&p, in, out, r); }, g, 8);
    }
  }
}

TEST_CASE("runtime f32: RNNPool over regions, with and without reuse == whole") {
  const int32_t inC = 3, h1 = 5, h2 = 4, ph = 4, pw = 3, sh = 2, sw = 2, inH = 12, inW = 11;
  auto w1 = randomFloats(h1 * inC, 1), u1 = randomFloats(h1 * h1, 2);
  auto b1 = randomFloats(2 * h1, 3), w2 = randomFloats(h2 * h1, 4),
       u2 = randomFloats(h2 * h2, 5);
  auto b2 = randomFloats(2 * h2, 6);
  rp_rnnpool_f32_params p{inH,
                          inW,
                          inC,
                          (inH - ph) / sh + 1,
                          (inW - pw) / sw + 1,
                          ph,
                          pw,
                          sh,
                          sw,
                          {inC, h1, w1.data(), u1.data(), b1.data(), b1.data() + h1, 0.7f, 0.1f,
                           RP_F32_NL_SIGMOID, RP_F32_NL_TANH},
                          {h1, h2, w2.data(), u2.data(), b2.data(), b2.data() + h2, 0.6f, 0.2f,
                           RP_F32_NL_QUANT_SIGM, RP_F32_NL_QUANT_TANH}};
  Geometry g{inH, inW, inC, p.out_h, p.out_w, 4 * h2, ph, sh, 1, 0};
  // The receptive field of a patch is its patch_h x patch_w window; columns use patch_w.
  auto x = randomFloats(static_cast<size_t>(inH * inW * inC), 9);
  std::vector<float> scratch(rp_rnnpool_f32_scratch_bytes(&p, p.out_w, 1) / sizeof(float));
  auto run = [&](int32_t reuse, int32_t th, int32_t tw) {
    std::vector<float> y(static_cast<size_t>(p.out_h * p.out_w * 4 * h2), -7.0f);
    rp_view_f32 vi = rp_view_whole_f32(x.data(), inH, inW);
    for (int32_t r0 = 0; r0 < p.out_h; r0 += th)
      for (int32_t c0 = 0; c0 < p.out_w; c0 += tw) {
        rp_region_f32 region{r0, std::min(p.out_h, r0 + th), c0, std::min(p.out_w, c0 + tw)};
        REQUIRE(rp_rnnpool_f32_scratch_bytes(&p, region.col1 - region.col0, reuse) <=
                scratch.size() * sizeof(float));
        rp_view_f32 vo = rp_view_whole_f32(y.data(), p.out_h, p.out_w);
        rp_rnnpool_f32(&p, &vi, &vo, &region, scratch.data(), reuse);
      }
    return y;
  };
  auto expected = run(1, p.out_h, p.out_w);
  CHECK(std::none_of(expected.begin(), expected.end(), [](float v) { return v == -7.0f; }));
  CHECK(run(0, p.out_h, p.out_w) == expected);
  for (auto [th, tw] : {std::pair{1, 1}, {2, 3}, {1, p.out_w}, {p.out_h, 2}})
    for (int32_t reuse = 0; reuse < 2; ++reuse) {
      INFO("regions " << th << "x" << tw << " reuse " << reuse);
      CHECK(run(reuse, th, tw) == expected);
    }
  // Row bands over the whole width, each after the first going on from the summaries the
  // band above left in one scratch (RP_RNNPOOL_F32_CONTINUE), as generated code runs them.
  // Poisoning the scratch between bands must then change the output: the carry is read.
  auto carried = [&](int32_t th, bool poison) {
    std::vector<float> y(static_cast<size_t>(p.out_h * p.out_w * 4 * h2), -7.0f);
    std::vector<float> own(scratch.size(), 0.0f);
    rp_view_f32 vi = rp_view_whole_f32(x.data(), inH, inW);
    rp_view_f32 vo = rp_view_whole_f32(y.data(), p.out_h, p.out_w);
    for (int32_t r0 = 0; r0 < p.out_h; r0 += th) {
      if (poison && r0 > 0)
        std::fill(own.begin(), own.end(), 1e3f);
      rp_region_f32 region{r0, std::min(p.out_h, r0 + th), 0, p.out_w};
      rp_rnnpool_f32(&p, &vi, &vo, &region, own.data(), r0 == 0 ? 1 : RP_RNNPOOL_F32_CONTINUE);
    }
    return y;
  };
  for (int32_t th : {1, 2, 3}) {
    INFO("carried row bands of " << th);
    CHECK(carried(th, false) == expected);
    CHECK(carried(th, true) != expected);
  }
  // A tile from a buffer holding only its patches' pixels.
  Geometry cols = g;
  cols.k = pw, cols.stride = sw;
  Kernel kernel = [&](const rp_view_f32 *in, rp_view_f32 *out, const rp_region_f32 *r) {
    rp_rnnpool_f32(&p, in, out, r, scratch.data(), 1);
  };
  auto cut = [&](int32_t th, int32_t tw) {
    std::vector<float> y(expected.size(), -7.0f);
    for (int32_t r0 = 0; r0 < p.out_h; r0 += th)
      for (int32_t c0 = 0; c0 < p.out_w; c0 += tw) {
        int32_t r1 = std::min(p.out_h, r0 + th), c1 = std::min(p.out_w, c0 + tw);
        auto [y0, y1] = g.field(r0, r1, inH);
        auto [x0, x1] = cols.field(c0, c1, inW);
        std::vector<float> in;
        for (int32_t yy = y0; yy < y1; ++yy)
          for (int32_t xx = x0; xx < x1; ++xx)
            for (int32_t c = 0; c < inC; ++c)
              in.push_back(x[static_cast<size_t>((yy * inW + xx) * inC + c)]);
        rp_view_f32 vi{in.data(), y0, x0, y1 - y0, x1 - x0, 0};
        rp_view_f32 vo = rp_view_whole_f32(y.data(), p.out_h, p.out_w);
        rp_region_f32 region{r0, r1, c0, c1};
        kernel(&vi, &vo, &region);
      }
    return y;
  };
  CHECK(cut(2, 2) == expected);
  CHECK(cut(1, p.out_w) == expected);
}

namespace {

/// rp_pad_f32 of the whole map `x`, into a buffer of its own.
std::vector<float> paddedWhole(const rp_pad_f32_params &p, std::vector<float> x) {
  std::vector<float> y(static_cast<size_t>(p.out_h * p.out_w * p.channels), -7.0f);
  rp_view_f32 vi = rp_view_whole_f32(x.data(), p.in_h, p.in_w);
  rp_view_f32 vo = rp_view_whole_f32(y.data(), p.out_h, p.out_w);
  rp_region_f32 r = rp_region_whole_f32(p.out_h, p.out_w);
  rp_pad_f32(&p, &vi, &vo, &r);
  return y;
}

} // namespace

TEST_CASE("runtime f32: constant and edge padding in place, tile by tile == whole") {
  // As the int8 kernels: the output view may lie over the input view (plan::padInPlace),
  // because every pixel's source lies at or before it and the last pixel is written first.
  const int32_t inH = 4, inW = 5, c = 3, top = 2, left = 1, outH = 7, outW = 9;
  const std::vector<float> x = randomFloats(static_cast<size_t>(inH * inW * c), 5);
  for (int32_t mode : {0, 1}) {
    INFO("mode " << mode);
    rp_pad_f32_params p{inH, inW, c, outH, outW, top, left, mode, -0.25f};
    const std::vector<float> want = paddedWhole(p, x);
    // Input rows (or columns) [lo, hi) that outputs [a, b) read.
    auto span = [&](int32_t a, int32_t b, int32_t pad, int32_t n) {
      int32_t lo = a - pad, hi = b - pad;
      return mode == 0 ? std::pair{std::clamp(lo, 0, n), std::clamp(hi, 0, n)}
                       : std::pair{std::clamp(lo, 0, n - 1), std::clamp(hi - 1, 0, n - 1) + 1};
    };
    for (auto [th, tw] : {std::pair{outH, outW}, {1, 1}, {2, 3}, {3, 4}, {outH, 2}}) {
      INFO("tile " << th << "x" << tw);
      std::vector<float> got(want.size(), -7.0f);
      for (int32_t r0 = 0; r0 < outH; r0 += th)
        for (int32_t c0 = 0; c0 < outW; c0 += tw) {
          int32_t r1 = std::min(outH, r0 + th), c1 = std::min(outW, c0 + tw);
          auto [y0, y1] = span(r0, r1, top, inH);
          auto [x0, x1] = span(c0, c1, left, inW);
          std::vector<float> buf(
              static_cast<size_t>(std::max((y1 - y0) * (x1 - x0), (r1 - r0) * (c1 - c0)) * c));
          size_t k = 0;
          for (int32_t yy = y0; yy < y1; ++yy)
            for (int32_t xx = x0; xx < x1; ++xx)
              for (int32_t ch = 0; ch < c; ++ch)
                buf[k++] = x[static_cast<size_t>((yy * inW + xx) * c + ch)];
          rp_view_f32 vi{buf.data(), y0, x0, y1 - y0, x1 - x0, 0};
          rp_view_f32 vo{buf.data(), r0, c0, r1 - r0, c1 - c0, 0};
          rp_region_f32 r{r0, r1, c0, c1};
          rp_pad_f32(&p, &vi, &vo, &r);
          k = 0;
          for (int32_t yy = r0; yy < r1; ++yy)
            for (int32_t xx = c0; xx < c1; ++xx)
              for (int32_t ch = 0; ch < c; ++ch)
                got[static_cast<size_t>((yy * outW + xx) * c + ch)] = buf[k++];
        }
      CHECK(got == want);
    }
  }
}

TEST_CASE("runtime f32: padding into a one-row ring over its input's first row") {
  // As the int8 kernels (plan::Builder::padOverInput): the ring ends where input row 0 ends,
  // so every source of output row 0 lies at or after its pixel: written first pixel first.
  const int32_t inH = 3, inW = 4, c = 2, left = 2, right = 1, outH = 4, outW = 7;
  const std::vector<float> x = randomFloats(static_cast<size_t>(inH * inW * c), 9);
  for (int32_t mode : {0, 1}) {
    INFO("mode " << mode);
    rp_pad_f32_params p{inH, inW, c, outH, outW, 0, left, mode, -0.25f};
    const std::vector<float> want = paddedWhole(p, x);
    const int32_t below = (left + right) * c;
    std::vector<float> arena(static_cast<size_t>(below) + x.size());
    std::copy(x.begin(), x.end(), arena.begin() + below);
    rp_view_f32 vi = rp_view_whole_f32(arena.data() + below, inH, inW);
    rp_view_f32 ring{arena.data(), 0, 0, 1, outW, 1};
    for (int32_t row = 0; row < outH; ++row) {
      INFO("output row " << row);
      rp_region_f32 r{row, row + 1, 0, outW};
      rp_pad_f32(&p, &vi, &ring, &r);
      const auto from = want.begin() + row * outW * c;
      CHECK(std::equal(from, from + outW * c, arena.begin()));
    }
  }
}

TEST_CASE("a CHW float input stored in chunks lands in HWC order", "[runtime][float]") {
  // rp_store_planes_f32 (the float model_quantize_input's 4-D case) against one value at a
  // time, over chunks that start and end inside channel planes and cross several.
  const int32_t channels = 3, hw = 5 * 4, total = channels * hw;
  std::vector<float> x(total), want(total);
  for (int32_t e = 0; e < total; ++e)
    x[e] = 0.5f * static_cast<float>(e) - 7.0f;
  for (int32_t e = 0; e < total; ++e)
    want[(e % hw) * channels + e / hw] = x[e];
  for (int32_t chunk : {1, 7, 19, 20, 21, 41, total}) {
    std::vector<float> got(total, -1000.0f);
    for (int32_t first = 0; first < total; first += chunk)
      rp_store_planes_f32(&x[first], got.data(), first, std::min(chunk, total - first), hw,
                          channels);
    CAPTURE(chunk);
    CHECK(got == want);
  }
}
