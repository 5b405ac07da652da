/* rnnpoolc runtime, float build: Resize of HWC maps, nearest and bilinear, over whole
 * tensors, with the source coordinates the host computed. */
#include "rp_f32_internal.h"

RP_F32_API void rp_resize_f32(const rp_resize_f32_params *p, const float *in, float *out) {
  const int32_t c = p->channels, row = p->in_w * p->channels;
  int32_t oy, ox, k;
  for (oy = 0; oy < p->out_h; ++oy) {
    const int32_t y0 = (int32_t)p->src_y[oy];
    const float wy = p->src_y[oy] - (float)y0;
    const float *r0 = in + (size_t)y0 * (size_t)row;
    const float *r1 = wy != 0.0f && y0 + 1 < p->in_h ? r0 + row : r0;
    for (ox = 0; ox < p->out_w; ++ox) {
      const int32_t x0 = (int32_t)p->src_x[ox];
      const float wx = p->src_x[ox] - (float)x0;
      const int32_t step = wx != 0.0f && x0 + 1 < p->in_w ? c : 0;
      const float *a = r0 + (size_t)x0 * (size_t)c, *d = r1 + (size_t)x0 * (size_t)c;
      if (!p->linear) {
        memcpy(out, a, (size_t)c * sizeof(float));
      } else {
        for (k = 0; k < c; ++k) {
          const float top = (1.0f - wx) * a[k] + wx * a[k + step];
          const float bottom = (1.0f - wx) * d[k] + wx * d[k + step];
          out[k] = (1.0f - wy) * top + wy * bottom;
        }
      }
      out += c;
    }
  }
}
