// Convolution kernels (general, grouped, depthwise, pointwise; strides, padding, dilation):
// against an independent integer reference (exact), against the float interpreter (within
// the quantisation step), tile by tile == whole tensor, and DSP path == portable path.
#include "rp_dspemu.h"
#include "rp_scratch.h"
#include "tests/unit/runtime/RegionCheck.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

struct ConvCase {
  const char *name;
  int64_t inC, outC, h, w, k, stride, pad, dilation, group;
  ir::Activation act;
};

/// A one-conv graph quantised on random data; returns the model and its calibration sets.
quant::QuantizedModel quantizedConv(const ConvCase &c, Builder &b,
                                    std::vector<std::vector<ir::TensorData>> &calib) {
  ir::TensorId x = b.input("x", {1, c.inC, c.h, c.w});
  ir::TensorId w = b.constant("w", {c.outC, c.inC / c.group, c.k, c.k});
  ir::TensorId bias = b.constant("b", {c.outC});
  ir::ConvAttrs a;
  a.kernel = {c.k, c.k};
  a.strides = {c.stride, c.stride};
  a.dilations = {c.dilation, c.dilation};
  a.pads = {c.pad, c.pad, c.pad, c.pad};
  a.group = c.group;
  a.act = c.act;
  ir::TensorId y = b.node(ir::OpKind::Conv, "conv", {x, w, bias}, a);
  return quantizeBuilt(b, y, calib);
}

/// Straightforward integer convolution from the layer's constants (NCHW-free: HWC bytes).
std::vector<int8_t> referenceConv(const rp_conv_params &p, const std::vector<int8_t> &x) {
  std::vector<int8_t> y(static_cast<size_t>(p.out_h * p.out_w * p.out_c));
  int32_t cin = p.in_c / p.groups, cout = p.out_c / p.groups;
  for (int32_t oy = 0; oy < p.out_h; ++oy)
    for (int32_t ox = 0; ox < p.out_w; ++ox)
      for (int32_t o = 0; o < p.out_c; ++o) {
        int64_t acc = p.bias[o];
        for (int32_t ky = 0; ky < p.k_h; ++ky)
          for (int32_t kx = 0; kx < p.k_w; ++kx)
            for (int32_t i = 0; i < cin; ++i) {
              int32_t iy = oy * p.stride_h - p.pad_top + ky * p.dil_h;
              int32_t ix = ox * p.stride_w - p.pad_left + kx * p.dil_w;
              int32_t v = p.in_zp; // padding holds the zero point
              if (iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w)
                v = x[static_cast<size_t>((iy * p.in_w + ix) * p.in_c + (o / cout) * cin + i)];
              bool depthwise = p.groups == p.in_c && p.groups == p.out_c && p.groups > 1;
              int32_t wi = depthwise ? (ky * p.k_w + kx) * p.out_c + o
                                     : ((o * p.k_h + ky) * p.k_w + kx) * cin + i;
              acc += int64_t(v - p.in_zp) * p.weights[wi];
            }
        int32_t q = rp_requantize(static_cast<int32_t>(acc), p.mult[o], p.shift[o]) + p.out_zp;
        y[static_cast<size_t>((oy * p.out_w + ox) * p.out_c + o)] =
            static_cast<int8_t>(std::clamp(q, p.act_min, p.act_max));
      }
  return y;
}

/// Worst-case |fixed - float| of a conv: one output step (rounding, and the input of the
/// float run not being on the grid) plus half an input step times the largest sum of |w|
/// over a window, plus the weight rounding (half a weight step) times the largest |x| sum.
double propagatedBound(const ir::Graph &g, const quant::QuantizedModel &m,
                       const std::vector<std::vector<ir::TensorData>> &calib) {
  const ir::Node &node = g.nodes[0];
  const auto &w = g.tensor(node.inputs[1]).data;
  const int64_t outC = w->shape[0], taps = w->numel() / outC;
  float xMax = 0;
  for (const auto &set : calib)
    for (float v : set[0].f)
      xMax = std::max(xMax, std::fabs(v));
  double worst = 0;
  for (int64_t o = 0; o < outC; ++o) {
    double sumAbs = 0, maxAbs = 0;
    for (int64_t k = 0; k < taps; ++k) {
      sumAbs += std::fabs(w->f[static_cast<size_t>(o * taps + k)]);
      maxAbs = std::max(maxAbs, double(std::fabs(w->f[static_cast<size_t>(o * taps + k)])));
    }
    double inStep = m.graph.tensor(node.inputs[0]).quant->scale[0];
    worst = std::max(worst, 0.5 * inStep * sumAbs + 0.5 * (maxAbs / 127) * xMax * double(taps));
  }
  return worst + m.graph.tensor(node.outputs[0]).quant->scale[0];
}

const ConvCase kCases[] = {
    {"3x3 pad 1", 8, 6, 9, 7, 3, 1, 1, 1, 1, {}},
    {"3x3 stride 2, 1 input channel, ReLU", 1, 8, 11, 10, 3, 2, 1, 1, 1, {ir::ActKind::Relu}},
    {"5x5 dilation 2, clip", 5, 4, 12, 12, 5, 1, 3, 2, 1, {ir::ActKind::Clip, 0.0f, 6.0f}},
    {"grouped 3x3", 6, 4, 8, 8, 3, 1, 1, 1, 2, {}},
    {"depthwise 3x3 ReLU", 8, 8, 10, 9, 3, 1, 1, 1, 8, {ir::ActKind::Relu}},
    {"depthwise 3x3 stride 2", 7, 7, 9, 9, 3, 2, 0, 1, 7, {}},
    {"pointwise", 13, 9, 6, 5, 1, 1, 0, 1, 1, {}},
    // The two-pixel DSP kernel: whole groups of four channels per tap, an odd channel count.
    {"3x3 pad 1, 16 -> 7 channels, odd width", 16, 7, 6, 7, 3, 1, 1, 1, 1, {}},
    {"3x3 pad 1, 3 -> 4 channels (groups across taps)", 3, 4, 7, 6, 3, 1, 1, 1, 1, {}},
    {"pointwise 8 -> 5, ReLU", 8, 5, 5, 7, 1, 1, 0, 1, 1, {ir::ActKind::Relu}},
    {"3x3 dilation 2, 1 -> 3 channels (short window)", 1, 3, 9, 11, 3, 1, 2, 2, 1, {}},
    {"3x3 no padding, 1 -> 5 channels, clip (stem rows)", 1, 5, 8, 9, 3, 1, 0, 1, 1,
     {ir::ActKind::Clip, 0.0f, 6.0f}},
    {"3x3 pad 1, 1 -> 2 channels, 300 columns (stem strips)", 1, 2, 3, 300, 3, 1, 1, 1, 1, {}},
    {"2x2 stride 2, 3 -> 5 channels (12 taps)", 3, 5, 8, 9, 2, 2, 0, 1, 1, {}},
    // Windows of in_c % 4 != 0 channels gathered as bytes: four pixels, then pairs.
    {"5x5 pad 2, 3 -> 6 channels", 3, 6, 9, 10, 5, 1, 2, 1, 1, {}},
    {"7x7 pad 3, 5 -> 3 channels, ReLU (pairs)", 5, 3, 9, 8, 7, 1, 3, 1, 1,
     {ir::ActKind::Relu}},
    {"depthwise 5x5 pad 2, 8 channels (rows of 3 taps at the borders)", 8, 8, 9, 8, 5, 1, 2, 1,
     8, {}},
    // Depthwise 3x3 two pixels per pass: stride 2 with a tail, stride 1 with an odd width.
    {"depthwise 3x3 stride 2 pad 1, 14 channels, pixel pairs", 14, 14, 9, 12, 3, 2, 1, 1, 14,
     {ir::ActKind::Relu}},
    {"depthwise 3x3 pad 1, 12 channels, odd width, pixel pairs", 12, 12, 7, 11, 3, 1, 1, 1, 12,
     {}},
    // Windows longer than the quad buffer (in_c % 4 == 0): four pixels in chunks of the
    // window, output channels in blocks of 32, the last pixels as pairs or columns.
    {"3x3 pad 1, 32 -> 6 channels, width 7 (quads in chunks, a pair left)", 32, 6, 5, 7, 3, 1,
     1, 1, 1, {}},
    {"3x3 stride 2 pad 1, 64 -> 40 channels, ReLU (two channel blocks, columns left)", 64, 40,
     6, 9, 3, 2, 1, 1, 1, {ir::ActKind::Relu}},
    {"pointwise 200 -> 9 (quads in chunks)", 200, 9, 3, 6, 1, 1, 0, 1, 1, {}},
    // Depthwise 3x3 regions of four rows or more run through channel planes: columns in
    // chunks of 128, rows in chunks the plane holds.
    {"depthwise 3x3 pad 1, 3 channels, 6x300 (plane column chunks)", 3, 3, 6, 300, 3, 1, 1, 1,
     3, {}},
    {"depthwise 3x3 stride 2 pad 1, 2 channels, 20x300 (plane row chunks), ReLU", 2, 2, 20,
     300, 3, 2, 1, 1, 2, {ir::ActKind::Relu}},
    {"depthwise 3x3 pad 1, 5 channels, 20x100 (plane row chunks)", 5, 5, 20, 100, 3, 1, 1, 1,
     5, {}},
    // More channels than a padded border pair holds: border pixels one at a time.
    {"depthwise 3x3 pad 1, 68 channels", 68, 68, 5, 6, 3, 1, 1, 1, 68, {}},
};

} // namespace

TEST_CASE("conv kernels match an integer reference, the float interpreter, tiles and DSP",
          "[runtime][conv]") {
  uint32_t seed = 1;
  for (const ConvCase &c : kCases) {
    SECTION(c.name) {
      Builder b;
      std::vector<std::vector<ir::TensorData>> calib;
      quant::QuantizedModel m = quantizedConv(c, b, calib);
      REQUIRE(m.layers.size() == 1);
      REQUIRE(m.layers[0].kind == quant::KernelKind::Conv);
      const auto &p = std::get<rp_conv_params>(m.layers[0].params);
      const ir::Node &node = m.graph.nodes[0];
      Hwc in = hwcOf(m.graph.tensor(node.inputs[0])), out = hwcOf(m.graph.tensor(node.outputs[0]));

      // Float interpreter: within the quantisation steps propagated through the layer.
      double steps = worstErrorInSteps(b.g, m, calib);
      double bound = propagatedBound(b.g, m, calib) / m.graph.tensor(node.outputs[0]).quant->scale[0];
      INFO("fixed vs float: " << steps << " output steps, bound " << bound);
      CHECK(steps <= bound);

      auto input = randomBytes(static_cast<size_t>(in.h * in.w * in.c), ++seed);
      // The portable and the (emulated) DSP kernel of a layer's params.
      auto portableOf = [](const rp_conv_params &q) -> SpatialKernel {
        return [&q](const rp_view *i, rp_view *o, const rp_region *r) {
          rp_conv_s8(&q, i, o, r);
        };
      };
      auto dspOf = [](const rp_conv_params &q) -> SpatialKernel {
        return [&q](const rp_view *i, rp_view *o, const rp_region *r) {
          rp_dspemu_conv_s8(&q, i, o, r);
        };
      };
      SpatialKernel portable = portableOf(p), dsp = dspOf(p);
      auto whole = runWhole(portable, input, in, out);
      CHECK(whole == referenceConv(p, input));
      CHECK(runWhole(dsp, input, in, out) == whole);
      checkRegions(portable, m.graph, node, seed);
      checkRegions(dsp, m.graph, node, seed);

      // A clamp narrower than [-128, 127] (a fused activation whose bounds fall inside the
      // output's range), and a first channel whose shift is outside rp_out_s8's common
      // case: the kernels' requantisation paths for those.
      rp_conv_params narrow = p;
      std::vector<int32_t> shifts(p.shift, p.shift + p.out_c);
      shifts[0] = -25;
      narrow.act_min = -100, narrow.act_max = 90, narrow.shift = shifts.data();
      auto wholeNarrow = runWhole(portableOf(narrow), input, in, out);
      CHECK(wholeNarrow == referenceConv(narrow, input));
      CHECK(runWhole(dspOf(narrow), input, in, out) == wholeNarrow);
    }
  }
}

TEST_CASE("conv reads a line-buffer view (ring rows) like a linear one", "[runtime][conv]") {
  Builder b;
  std::vector<std::vector<ir::TensorData>> calib;
  quant::QuantizedModel m = quantizedConv(kCases[0], b, calib);
  const auto &p = std::get<rp_conv_params>(m.layers[0].params);
  auto input = randomBytes(static_cast<size_t>(p.in_h * p.in_w * p.in_c), 7);
  std::vector<int8_t> whole(static_cast<size_t>(p.out_h * p.out_w * p.out_c));
  rp_view vi = rp_view_whole(input.data(), p.in_h, p.in_w);
  rp_view vo = rp_view_whole(whole.data(), p.out_h, p.out_w);
  rp_region all = rp_region_whole(p.out_h, p.out_w);
  rp_conv_s8(&p, &vi, &vo, &all);
  // Output row by output row from a 3-row ring holding input rows y-1 .. y+1.
  std::vector<int8_t> ring(static_cast<size_t>(3 * p.in_w * p.in_c)), rows(whole.size());
  rp_view vr{ring.data(), 0, 0, 3, p.in_w, 3};
  rp_view vrows = rp_view_whole(rows.data(), p.out_h, p.out_w);
  const size_t rowBytes = static_cast<size_t>(p.in_w * p.in_c);
  for (int32_t y = 0; y < p.out_h; ++y) {
    for (int32_t iy = std::max(0, y - 1); iy <= std::min(p.in_h - 1, y + 1); ++iy)
      std::copy_n(input.begin() + static_cast<ptrdiff_t>(iy * rowBytes), rowBytes,
                  ring.begin() + static_cast<ptrdiff_t>((iy % 3) * rowBytes));
    rp_region band{y, y + 1, 0, p.out_w};
    rp_conv_s8(&p, &vr, &vrows, &band);
  }
  CHECK(rows == whole);
}

namespace {

/// Calls body(case, params, input, whole) for each depthwise conv of `cases`: the conv
/// quantised on random data, a random input (seeds from `seed` on) and its whole output
/// (rp_conv_s8), which the in-place runs must reproduce.
template <size_t N, class Body>
void forDepthwiseCases(const ConvCase (&cases)[N], uint32_t seed, Body body) {
  for (const ConvCase &c : cases) {
    Builder b;
    std::vector<std::vector<ir::TensorData>> calib;
    quant::QuantizedModel m = quantizedConv(c, b, calib);
    const auto &p = std::get<rp_conv_params>(m.layers[0].params);
    REQUIRE(p.groups == p.in_c);
    auto input = randomBytes(static_cast<size_t>(p.in_h * p.in_w * p.in_c), ++seed);
    std::vector<int8_t> whole(static_cast<size_t>(p.out_h * p.out_w * p.out_c));
    rp_view vi = rp_view_whole(input.data(), p.in_h, p.in_w);
    rp_view vo = rp_view_whole(whole.data(), p.out_h, p.out_w);
    rp_region all = rp_region_whole(p.out_h, p.out_w);
    rp_conv_s8(&p, &vi, &vo, &all);
    body(c, p, input, whole);
  }
}

} // namespace

TEST_CASE("a depthwise conv computed over its input ring gives the same rows",
          "[runtime][conv]") {
  // Output row y goes over the ring's slot of input row y * stride - pad_top (the top of its
  // window), `chunk` pixels at a time through a scratch, as a plan's in-place row bands run
  // it (rp_conv_in_place_s8); every other slot must keep its input row.
  const ConvCase cases[] = {
      {"3x3 stride 1 pad 1", 8, 8, 7, 9, 3, 1, 1, 1, 8, {}},
      {"3x3 stride 2 pad 1", 6, 6, 9, 11, 3, 2, 1, 1, 6, {}},
      {"3x3 stride 1 valid", 5, 5, 6, 8, 3, 1, 0, 1, 5, {}},
      {"5x5 stride 1 pad 2", 4, 4, 8, 9, 5, 1, 2, 1, 4, {}},
      {"5x5 stride 2 pad 2", 12, 12, 9, 10, 5, 2, 2, 1, 12, {}},
      {"3x3 dilation 2 pad 2", 3, 3, 8, 7, 3, 1, 2, 2, 3, {}},
  };
  forDepthwiseCases(
      cases, 40,
      [](const ConvCase &c, const rp_conv_params &p, const std::vector<int8_t> &input,
         const std::vector<int8_t> &whole) {
        const int32_t window = (p.k_h - 1) * p.dil_h + 1, slots = window;
        const size_t rowBytes = static_cast<size_t>(p.in_w * p.in_c),
                     outBytes = static_cast<size_t>(p.out_w * p.out_c);
        for (int dsp = 0; dsp < 2; ++dsp)
          for (int32_t chunk : {1, 2, 3, 8, p.out_w}) {
            INFO(c.name << ", chunks of " << chunk << (dsp ? ", DSP" : ", portable"));
            std::vector<int8_t> ring(static_cast<size_t>(slots) * rowBytes, 0x5a);
            std::vector<int8_t> scratch(static_cast<size_t>((chunk + p.pad_left) * p.out_c));
            rp_view vr{ring.data(), 0, 0, slots, p.in_w, slots};
            auto slotOf = [&](int32_t row) { return ((row % slots) + slots) % slots; };
            int32_t loaded = 0; // input rows [0, loaded) have been written into the ring
            for (int32_t y = 0; y < p.out_h; ++y) {
              const int32_t top = y * p.stride_h - p.pad_top;
              for (; loaded < std::min(p.in_h, top + window); ++loaded)
                std::copy_n(input.begin() + static_cast<ptrdiff_t>(loaded * rowBytes), rowBytes,
                            ring.begin() + static_cast<ptrdiff_t>(slotOf(loaded) * rowBytes));
              int8_t *slot = ring.data() + static_cast<size_t>(slotOf(top)) * rowBytes;
              rp_view out{slot, 0, 0, 1, p.out_w, 1};
              rp_region row{y, y + 1, 0, p.out_w};
              (dsp ? rp_dspemu_conv_in_place_s8 : rp_conv_in_place_s8)(&p, &vr, &out, &row,
                                                                       scratch.data(), chunk);
              CHECK(std::equal(slot, slot + outBytes, whole.begin() + y * outBytes));
              // The window's other rows are intact.
              for (int32_t iy = std::max(0, top + 1); iy < std::min(p.in_h, top + window); ++iy)
                CHECK(std::equal(input.begin() + iy * rowBytes,
                                 input.begin() + (iy + 1) * rowBytes,
                                 ring.begin() + slotOf(iy) * rowBytes));
            }
          }
      });
}

TEST_CASE("a depthwise conv computed over its input tile gives the same tile",
          "[runtime][conv]") {
  // A plan's tile in place (plan::Builder::inPlaceHosts): the input tile's buffer holds
  // rows from the top of the first output row's window on (above the map at its top edge)
  // and the columns the tile reads; the output tile is as wide, at the same bytes, so that
  // output row y lies over input row y - pad_top and each column over the same column.
  const ConvCase cases[] = {
      {"3x3 pad 1", 8, 8, 7, 9, 3, 1, 1, 1, 8, {}},
      {"3x3 valid", 5, 5, 6, 8, 3, 1, 0, 1, 5, {}},
      {"5x5 pad 2", 4, 4, 8, 9, 5, 1, 2, 1, 4, {}},
      {"3x3 dilation 2 pad 2", 3, 3, 8, 7, 3, 1, 2, 2, 3, {}},
  };
  forDepthwiseCases(
      cases, 70,
      [](const ConvCase &c, const rp_conv_params &p, const std::vector<int8_t> &input,
         const std::vector<int8_t> &whole) {
        const int32_t reachH = (p.k_h - 1) * p.dil_h, reachW = (p.k_w - 1) * p.dil_w;
        const int32_t ch = p.in_c;
        for (int dsp = 0; dsp < 2; ++dsp)
          for (int32_t tile : {1, 2, 3, 5})
            for (int32_t chunk : {1, 3}) {
              INFO(c.name << ", tiles of " << tile << ", chunks of " << chunk
                          << (dsp ? ", DSP" : ", portable"));
              for (int32_t y0 = 0; y0 < p.out_h; y0 += tile)
                for (int32_t x0 = 0; x0 < p.out_w; x0 += tile) {
                  const int32_t y1 = std::min(p.out_h, y0 + tile),
                                x1 = std::min(p.out_w, x0 + tile);
                  const int32_t top = y0 - p.pad_top,
                                bottom = std::min(p.in_h, y1 - p.pad_top + reachH);
                  const int32_t left = std::max(0, x0 - p.pad_left),
                                right = std::min(p.in_w, x1 - p.pad_left + reachW);
                  const int32_t rows = bottom - top, cols = right - left;
                  std::vector<int8_t> host(static_cast<size_t>(rows * cols * ch), 0x5a);
                  for (int32_t r = std::max(0, top); r < bottom; ++r)
                    std::copy_n(input.begin() + (r * p.in_w + left) * ch, cols * ch,
                                host.begin() + ((r - top) * cols) * ch);
                  std::vector<int8_t> scratch(
                      static_cast<size_t>((chunk + p.pad_left) * p.out_c));
                  const rp_view in{host.data(), top, left, rows, cols, 0};
                  rp_view out{host.data(), y0, left, y1 - y0, cols, 0};
                  const rp_region region{y0, y1, x0, x1};
                  (dsp ? rp_dspemu_conv_in_place_s8
                       : rp_conv_in_place_s8)(&p, &in, &out, &region, scratch.data(), chunk);
                  for (int32_t y = y0; y < y1; ++y)
                    CHECK(std::equal(host.begin() + ((y - y0) * cols + x0 - left) * ch,
                                     host.begin() + ((y - y0) * cols + x1 - left) * ch,
                                     whole.begin() + (y * p.out_w + x0) * ch));
                }
            }
      });
}

/// A 1x1 expansion (ReLU6) to depthwise conv `c`'s channels and `c`, quantised on random
/// data, with a random input and the two convs' output computed apart, whole.
struct ExpandDw {
  Builder be, bd;
  std::vector<std::vector<ir::TensorData>> calibE, calibD;
  quant::QuantizedModel me, md;
  std::vector<int8_t> input, whole;
  ExpandDw(const ConvCase &c, uint32_t seed)
      : me(quantizedConv({"expand", 6, c.inC, c.h, c.w, 1, 1, 0, 1, 1,
                          ir::Activation{ir::ActKind::Clip, 0, 6}},
                         be, calibE)),
        md(quantizedConv(c, bd, calibD)) {
    const rp_conv_params &p = e(), &q = d();
    input = randomBytes(static_cast<size_t>(p.in_h * p.in_w * p.in_c), seed);
    std::vector<int8_t> mid(static_cast<size_t>(p.out_h * p.out_w * p.out_c));
    whole.resize(static_cast<size_t>(q.out_h * q.out_w * q.out_c));
    rp_view vi = rp_view_whole(input.data(), p.in_h, p.in_w);
    rp_view vm = rp_view_whole(mid.data(), p.out_h, p.out_w);
    rp_view vo = rp_view_whole(whole.data(), q.out_h, q.out_w);
    rp_region all = rp_region_whole(p.out_h, p.out_w);
    rp_conv_s8(&p, &vi, &vm, &all);
    all = rp_region_whole(q.out_h, q.out_w);
    rp_conv_s8(&q, &vm, &vo, &all);
  }
  const rp_conv_params &e() const { return std::get<rp_conv_params>(me.layers[0].params); }
  const rp_conv_params &d() const { return std::get<rp_conv_params>(md.layers[0].params); }
};

TEST_CASE("an expansion and its depthwise conv computed in row bands carry the rows their "
          "windows share",
          "[runtime][conv]") {
  // A plan's fused row bands (plan::Step::fusedRows): each call of rp_expand_dw_rows_s8 writes
  // whole output rows; going on from the call above, it reads the expansion's input only
  // over the window's rows below that call's window, and the rows above come from the
  // carry at the start of its scratch, which is kept from call to call and is exactly
  // rp_expand_dw_rows_scratch_bytes (ASan sees any byte past it).
  const ConvCase dws[] = {
      {"3x3 stride 2 pad 1", 20, 20, 9, 11, 3, 2, 1, 1, 20, {}},
      {"3x3 pad 1", 24, 24, 7, 9, 3, 1, 1, 1, 24, {}},
      {"5x5 stride 2 pad 2, ReLU6", 33, 33, 10, 9, 5, 2, 2, 1, 33,
       ir::Activation{ir::ActKind::Clip, 0, 6}},
      {"3x3 dilation 2 pad 2", 17, 17, 8, 7, 3, 1, 2, 2, 17, {}},
      {"3x3 stride 2 valid", 16, 16, 8, 8, 3, 2, 0, 1, 16, {}},
      {"3x3 stride 3 valid (windows apart)", 16, 16, 9, 8, 3, 3, 0, 1, 16, {}},
  };
  uint32_t seed = 190;
  for (const ConvCase &c : dws) {
    const ExpandDw pair(c, ++seed);
    const rp_conv_params &e = pair.e(), &d = pair.d();
    REQUIRE(d.groups == d.in_c);
    const std::vector<int8_t> &input = pair.input, &whole = pair.whole;
    const int32_t ch = d.out_c, span = (d.k_h - 1) * d.dil_h + 1;
    const int32_t carry = std::max(0, span - d.stride_h);
    CHECK(rp_expand_dw_carry_rows(d.k_h, d.dil_h, d.stride_h) == carry);
    for (int dsp = 0; dsp < 2; ++dsp)
      for (int32_t band : {1, 2})
        for (int32_t group : {1, 5, 16, ch}) {
          INFO(c.name << ", bands of " << band << ", groups of " << group
                      << (dsp ? ", DSP" : ", portable"));
          const size_t bytes = rp_expand_dw_rows_scratch_bytes(&d, band, group);
          const int32_t g = std::min(group, ch), window = (band - 1) * d.stride_h + span;
          CHECK(bytes == static_cast<size_t>(
                             (carry * d.in_w * ch + 3) / 4 + (window * d.in_w * g + 3) / 4 +
                             (band * d.out_w * g + 3) / 4 + (d.k_h * d.k_w * g + 3) / 4) *
                             4);
          std::vector<int32_t> words((bytes + 3) / 4);
          auto *scratch = reinterpret_cast<int8_t *>(words.data());
          int32_t computed = 0; // the expansion's rows the calls above have read up to
          for (int32_t y0 = 0; y0 < d.out_h; y0 += band) {
            const rp_region region{y0, std::min(d.out_h, y0 + band), 0, d.out_w};
            const int32_t top = std::max(0, y0 * d.stride_h - d.pad_top);
            const int32_t bottom = std::min(d.in_h, (region.row1 - 1) * d.stride_h - d.pad_top +
                                                        (d.k_h - 1) * d.dil_h + 1);
            // Only the rows below the last call's window, the rest poisoned.
            const int32_t from = y0 == 0 ? top : std::max(top, computed);
            std::vector<int8_t> rowsIn(static_cast<size_t>(d.in_h * e.in_w * e.in_c), 0x7f);
            std::copy(input.begin() + from * e.in_w * e.in_c,
                      input.begin() + bottom * e.in_w * e.in_c,
                      rowsIn.begin() + from * e.in_w * e.in_c);
            computed = std::max(computed, bottom);
            const int32_t oh = region.row1 - region.row0;
            std::vector<int8_t> rowsOut(static_cast<size_t>(oh * d.out_w * ch), 0x5a);
            const rp_view in = rp_view_whole(rowsIn.data(), e.in_h, e.in_w);
            rp_view out{rowsOut.data(), region.row0, 0, oh, d.out_w, 0};
            (dsp ? rp_dspemu_expand_dw_rows_s8
                 : rp_expand_dw_rows_s8)(&e, &d, &in, &out, &region, scratch, group, y0 > 0);
            CHECK(
                std::equal(rowsOut.begin(), rowsOut.end(), whole.begin() + y0 * d.out_w * ch));
          }
        }
  }
}

TEST_CASE("an expansion and its depthwise conv computed a group of channels at a time give "
          "the same tile",
          "[runtime][conv]") {
  // A plan's fused tile (plan::Step::fusedExpansion): rp_expand_dw_s8 reads the expansion's
  // input over the tile's window only and writes the tile's depthwise outputs, all channels,
  // through a scratch of exactly rp_expand_dw_scratch_bytes (ASan sees any byte past it).
  const ConvCase dws[] = {
      {"3x3 pad 1", 24, 24, 7, 9, 3, 1, 1, 1, 24, {}},
      {"3x3 stride 2 pad 1", 20, 20, 9, 11, 3, 2, 1, 1, 20, {}},
      {"5x5 pad 2, ReLU6", 33, 33, 8, 9, 5, 1, 2, 1, 33,
       ir::Activation{ir::ActKind::Clip, 0, 6}},
      {"3x3 dilation 2 pad 2", 17, 17, 8, 7, 3, 1, 2, 2, 17, {}},
      {"3x3 valid", 16, 16, 6, 8, 3, 1, 0, 1, 16, {}},
  };
  uint32_t seed = 90;
  for (const ConvCase &c : dws) {
    const ExpandDw pair(c, ++seed);
    const rp_conv_params &e = pair.e(), &d = pair.d();
    REQUIRE(d.groups == d.in_c);
    const std::vector<int8_t> &input = pair.input, &whole = pair.whole;
    const int32_t ch = d.out_c;
    for (int dsp = 0; dsp < 2; ++dsp)
      for (int32_t tile : {1, 3, 4})
        for (int32_t group : {1, 5, 16, ch}) {
          INFO(c.name << ", tiles of " << tile << ", groups of " << group
                      << (dsp ? ", DSP" : ", portable"));
          for (int32_t y0 = 0; y0 < d.out_h; y0 += tile)
            for (int32_t x0 = 0; x0 < d.out_w; x0 += tile) {
              const rp_region region{y0, std::min(d.out_h, y0 + tile), x0,
                                     std::min(d.out_w, x0 + tile)};
              // The input's window (the expansion is 1x1), clamped to the map, as a tile.
              const int32_t top = std::max(0, y0 * d.stride_h - d.pad_top);
              const int32_t bottom =
                  std::min(d.in_h, (region.row1 - 1) * d.stride_h - d.pad_top +
                                       (d.k_h - 1) * d.dil_h + 1);
              const int32_t left = std::max(0, x0 * d.stride_w - d.pad_left);
              const int32_t right =
                  std::min(d.in_w, (region.col1 - 1) * d.stride_w - d.pad_left +
                                       (d.k_w - 1) * d.dil_w + 1);
              const int32_t rows = bottom - top, cols = right - left;
              std::vector<int8_t> tileIn(static_cast<size_t>(rows * cols * e.in_c));
              for (int32_t r = top; r < bottom; ++r)
                std::copy_n(input.begin() + (r * e.in_w + left) * e.in_c, cols * e.in_c,
                            tileIn.begin() + (r - top) * cols * e.in_c);
              const int32_t oh = region.row1 - region.row0, ow = region.col1 - region.col0;
              std::vector<int8_t> tileOut(static_cast<size_t>(oh * ow * ch), 0x5a);
              const size_t bytes = rp_expand_dw_scratch_bytes(&d, &region, group);
              CHECK(bytes ==
                    static_cast<size_t>((rows * cols * std::min(group, ch) + 3) / 4 +
                                        (oh * ow * std::min(group, ch) + 3) / 4 +
                                        (d.k_h * d.k_w * std::min(group, ch) + 3) / 4) *
                        4);
              std::vector<int32_t> words((bytes + 3) / 4);
              auto *scratch = reinterpret_cast<int8_t *>(words.data());
              const rp_view in{tileIn.data(), top, left, rows, cols, 0};
              rp_view out{tileOut.data(), region.row0, region.col0, oh, ow, 0};
              (dsp ? rp_dspemu_expand_dw_s8 : rp_expand_dw_s8)(&e, &d, &in, &out, &region,
                                                               scratch, group);
              for (int32_t y = region.row0; y < region.row1; ++y)
                CHECK(std::equal(tileOut.begin() + (y - y0) * ow * ch,
                                 tileOut.begin() + (y - y0 + 1) * ow * ch,
                                 whole.begin() + (y * d.out_w + x0) * ch));
            }
        }
  }
}
