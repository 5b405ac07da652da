/* rnnpoolc runtime: Resize of int8 HWC maps, nearest (a byte copy) and bilinear (Q11
 * weights from host tables, rounded half up), over whole tensors. */
#include "rp_internal.h"

#define RP_RESIZE_ONE 2048 /* 1.0 in Q11 */

RP_API void rp_resize_s8(const rp_resize_params *p, const int8_t *in, int8_t *out) {
  const int32_t c = p->channels, row = p->in_w * p->channels;
  int32_t oy, ox, k;
  for (oy = 0; oy < p->out_h; ++oy) {
    const int32_t y0 = p->src_y[oy] >> 11, wy = p->src_y[oy] & (RP_RESIZE_ONE - 1);
    const int8_t *r0 = in + (size_t)y0 * (size_t)row;
    const int8_t *r1 = wy != 0 ? r0 + row : r0;
    for (ox = 0; ox < p->out_w; ++ox) {
      const int32_t x0 = p->src_x[ox] >> 11, wx = p->src_x[ox] & (RP_RESIZE_ONE - 1);
      const int8_t *a = r0 + (size_t)x0 * (size_t)c, *b = wx != 0 ? a + c : a;
      const int8_t *d = r1 + (size_t)x0 * (size_t)c, *e = wx != 0 ? d + c : d;
      if (!p->linear) {
        memcpy(out, a, (size_t)c);
      } else {
        const int32_t ax = RP_RESIZE_ONE - wx, ay = RP_RESIZE_ONE - wy;
        for (k = 0; k < c; ++k) {
          const int32_t top = a[k] * ax + b[k] * wx, bottom = d[k] * ax + e[k] * wx;
          /* |top|, |bottom| <= 2^18; the sum is within [-2^29, 2^29): shifted to be
           * non-negative (+ 128 * 2^22) so that the shift floors without
           * implementation-defined behaviour, then back. */
          const int32_t sum = top * ay + bottom * wy + (1 << 21) + (128 << 22);
          out[k] = (int8_t)((sum >> 22) - 128);
        }
      }
      out += c;
    }
  }
}
