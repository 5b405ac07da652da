/* rnnpoolc runtime: the schedule walker. A backend describes the verified memory plan as
 * two constant tables, the buffers (where each lives in the arena and which part of its
 * tensor it holds) and the steps (which layer computes which rows and columns of its
 * output, from which buffers), plus one function per layer; rp_schedule_run() walks the
 * steps. The C backend emits the tables and layer functions as C; the same walker serves
 * any backend that links this runtime.
 *
 * BUFFERS
 *   Element (y, x, c) of a buffer's tensor is at offset + ((y - row0) * cols + (x - col0))
 *   * channels + c, or, for a ring of line buffers (ring_rows > 0), at
 *   offset + ((y % ring_rows) * cols + x) * channels + c (bytes of the int8 arena).
 * STEPS
 *   Layer `layer` (a node index; -1 - k for streamed input k) computes rows [row0, row1) x
 *   columns [col0, col1) of its output into buffer `out`, reading buffers `in` (-1: none);
 *   `scratch` is the arena offset of the kernel's working memory, or -1, and `carry` says
 *   that the node's previous step computed the rows just above, over the same columns,
 *   with the same scratch, so the kernel may go on from what that step left there.
 *   A reduction accumulated row by row (a global average pool ending a row-band region)
 *   is the exception: its rows and columns are those of its INPUT that the step adds into
 *   the sums at `scratch` (`carry` 0: the first rows, the sums start from zero); the step
 *   that adds the input's last row writes the whole output. */
#ifndef RP_SCHEDULE_H
#define RP_SCHEDULE_H

#include "rnnpoolc_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One buffer of the memory plan (see BUFFERS above). */
typedef struct {
  int32_t offset, row0, col0, rows, cols, ring_rows, channels;
} rp_buffer;

/** One step of the plan (see STEPS above). Rows and columns are int32: a flat tensor (a
 *  detector's concatenated boxes, [1, 48000]) is one row of as many columns. */
typedef struct {
  int16_t layer, out, in[2];
  int32_t scratch;
  int32_t row0, row1, col0, col1;
  int16_t carry; /* 1: the kernel goes on from what the node's previous step left in scratch */
} rp_step;

/** Runs one step of a layer on the arena. */
typedef void (*rp_layer_fn)(int8_t *arena, const rp_step *step);
/** Writes row `row` of streamed input `index` into dst (channels innermost). */
typedef void (*rp_read_row_fn)(void *user, int32_t index, int32_t row, int8_t *dst);
/** Told after each layer step: the layer, its output buffer's first byte and the step. */
typedef void (*rp_trace_fn)(int32_t layer, const int8_t *bytes, const rp_step *step);

/** A plan as tables: layers[k] runs the steps of layer k. */
typedef struct {
  const rp_buffer *buffers;
  const rp_step *steps;
  int32_t num_steps;
  const rp_layer_fn *layers;
} rp_schedule;

/** The view of buffer `buffer` in the arena (rnnpoolc_runtime.h REGIONS AND VIEWS). */
RP_API rp_view rp_buffer_view(const rp_buffer *buffers, int8_t *arena, int32_t buffer);
/** Where pixel (y, x) of buffer `buffer`'s tensor is in the arena. */
RP_API int8_t *rp_buffer_pixel(const rp_buffer *buffers, int8_t *arena, int32_t buffer,
                               int32_t y, int32_t x);
/** The output region a step computes. */
RP_API rp_region rp_step_region(const rp_step *step);

/** Runs every step in order: a layer step calls its layer function, then `trace` (if not
 *  null); a step of a streamed input asks read_row for each of its rows, in increasing
 *  order (read_row may be null when no input is streamed). */
RP_API void rp_schedule_run(const rp_schedule *schedule, int8_t *arena, rp_read_row_fn read_row,
                            void *user, rp_trace_fn trace);

#ifdef __cplusplus
}
#endif

#endif /* RP_SCHEDULE_H */
