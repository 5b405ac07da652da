/* rnnpoolc runtime, float build, host builds only: the convolution path that LLVM's loop
 * vectoriser turns into SIMD code (see rp_host_conv.h for the int8 twin). rp_f32_conv.c
 * includes this file when RP_HOST_SIMD is defined, which only the LLVM backend's host
 * bitcode does.
 *
 * groups == 1 (pointwise, and any window through a gather): the receptive fields of
 * RP_F32_HOST_PIX output pixels are gathered once (0 outside the tensor), then every two
 * output channels run eight sums over the field, vectorised along it. Vectorising a float
 * sum reorders its additions and lets them fuse with the multiplies, which clang allows
 * here only (`#pragma clang fp`, under clang): the results differ from the portable loop's
 * by rounding, within the float build's tolerance of the float interpreter. Depthwise
 * layers keep the portable loop, which the vectoriser takes along the channels as it is.
 * The buffers are on the stack (about 70 KB): a host thread's stack, never a board's. */
#ifndef RNNPOOLC_RP_F32_HOST_CONV_H
#define RNNPOOLC_RP_F32_HOST_CONV_H

#define RP_F32_HOST_PIX 4      /* output pixels per pass */
#define RP_F32_HOST_MAX_N 4096 /* receptive field values per pixel (on the stack) */
#define RP_F32_HOST_CHUNK 16384 /* weight values of the channels run over a region at a time */

/* Output pixel (oy, ox)'s receptive field in weight order (OHWI's HWI) into col; taps
 * outside the tensor are 0, as a skipped tap. */
static void rp_f32_host_gather(const rp_conv_f32_params *p, const rp_view_f32 *in, int32_t oy,
                               int32_t ox, float *col) {
  const int32_t cin = p->in_c;
  const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
  int32_t ky, kx, i;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dil_h;
    for (kx = 0; kx < p->k_w; ++kx, col += cin) {
      const int32_t ix = ix0 + kx * p->dil_w;
      const float *x;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
        for (i = 0; i < cin; ++i)
          col[i] = 0.0f;
        continue;
      }
      x = rp_view_pixel_f32(in, iy, ix, cin);
      for (i = 0; i < cin; ++i)
        col[i] = x[i];
    }
  }
}

/* a[2 j + k] = sum_i c_j[i] * w_k[i] for four gathered pixels and two weight rows. */
static inline void rp_f32_host_dot_4x2(const float *restrict c0, const float *restrict c1,
                                       const float *restrict c2, const float *restrict c3,
                                       const float *restrict w0, const float *restrict w1,
                                       int32_t n, float *restrict a) {
#if defined(__clang__)
#pragma clang fp reassociate(on) contract(fast)
#endif
  float s[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  int32_t i;
  for (i = 0; i < n; ++i) {
    const float u = w0[i], v = w1[i];
    s[0] += c0[i] * u;
    s[1] += c0[i] * v;
    s[2] += c1[i] * u;
    s[3] += c1[i] * v;
    s[4] += c2[i] * u;
    s[5] += c2[i] * v;
    s[6] += c3[i] * u;
    s[7] += c3[i] * v;
  }
  for (i = 0; i < 8; ++i)
    a[i] = s[i];
}

/* groups == 1 and a receptive field of at most RP_F32_HOST_MAX_N values (the caller's
 * condition): the output channels in chunks of at most RP_F32_HOST_CHUNK weight values, so
 * that a chunk's weights stay in cache while the region's rows run RP_F32_HOST_PIX pixels
 * at a time (the last pass of a row repeats its last pixel), two channels per dot. */
static void rp_f32_host_conv(const rp_conv_f32_params *p, const rp_view_f32 *in,
                             rp_view_f32 *out, const rp_region_f32 *region) {
  float col[RP_F32_HOST_PIX][RP_F32_HOST_MAX_N];
  const int32_t n = p->k_h * p->k_w * p->in_c, cout = p->out_c;
  const int32_t per = n > RP_F32_HOST_CHUNK / 2 ? 2 : (RP_F32_HOST_CHUNK / n) & ~1;
  const float *const weights = p->weights, *const bias = p->bias;
  int32_t oy, ox, o, o0, j;
  if (n > RP_F32_HOST_MAX_N) /* the caller's condition */
    return;
  for (o0 = 0; o0 < cout; o0 += per) {
    const int32_t o1 = rp_f32_imin(cout, o0 + per);
    for (oy = region->row0; oy < region->row1; ++oy)
      for (ox = region->col0; ox < region->col1; ox += RP_F32_HOST_PIX) {
        const int32_t np = rp_f32_imin(RP_F32_HOST_PIX, region->col1 - ox);
        const float *c[RP_F32_HOST_PIX];
        float *d[RP_F32_HOST_PIX];
        for (j = 0; j < RP_F32_HOST_PIX; ++j) {
          if (j < np)
            rp_f32_host_gather(p, in, oy, ox + j, col[j]);
          c[j] = col[j < np ? j : np - 1];
          d[j] = rp_view_pixel_f32(out, oy, ox + (j < np ? j : np - 1), cout);
        }
        for (o = o0; o < o1; o += 2) {
          const int32_t q = o + 1 < o1 ? o + 1 : o;
          float a[2 * RP_F32_HOST_PIX];
          rp_f32_host_dot_4x2(c[0], c[1], c[2], c[3], weights + o * n, weights + q * n, n, a);
          for (j = 0; j < np; ++j) {
            d[j][o] = rp_act_inline_f32(&p->act, bias[o] + a[2 * j]);
            d[j][q] = rp_act_inline_f32(&p->act, bias[q] + a[2 * j + 1]);
          }
        }
      }
  }
}

#endif /* RNNPOOLC_RP_F32_HOST_CONV_H */
