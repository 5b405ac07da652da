/* rnnpoolc runtime, float build: the schedule walker and the buffer addressing of generated
 * float schedules (rnnpoolc_runtime_f32.h), the twin of rp_schedule.c. */
#include "rnnpoolc_runtime_f32.h"

RP_F32_API rp_view_f32 rp_buffer_view_f32(const rp_buffer_f32 *buffers, uint8_t *arena,
                                          int32_t buffer) {
  const rp_buffer_f32 *b = &buffers[buffer];
  rp_view_f32 v;
  v.data = (float *)(void *)(arena + b->offset);
  v.row0 = b->row0;
  v.col0 = b->col0;
  v.rows = b->rows;
  v.cols = b->cols;
  v.ring_rows = b->ring_rows;
  return v;
}

RP_F32_API float *rp_buffer_pixel_f32(const rp_buffer_f32 *buffers, uint8_t *arena,
                                      int32_t buffer, int32_t y, int32_t x) {
  const rp_buffer_f32 *b = &buffers[buffer];
  const int32_t row = b->ring_rows ? y % b->ring_rows : y - b->row0;
  return (float *)(void *)(arena + b->offset) + (row * b->cols + (x - b->col0)) * b->channels;
}

RP_F32_API rp_region_f32 rp_step_region_f32(const rp_step_f32 *step) {
  rp_region_f32 r;
  r.row0 = step->row0;
  r.row1 = step->row1;
  r.col0 = step->col0;
  r.col1 = step->col1;
  return r;
}

RP_F32_API void rp_schedule_run_f32(const rp_schedule_f32 *schedule, uint8_t *arena,
                                    rp_read_row_f32_fn read_row, void *user,
                                    rp_trace_f32_fn trace) {
  int32_t i;
  for (i = 0; i < schedule->num_steps; ++i) {
    const rp_step_f32 *s = &schedule->steps[i];
    if (s->layer < 0) {
      int32_t y;
      for (y = s->row0; y < s->row1; ++y)
        read_row(user, -1 - s->layer, y,
                 (int8_t *)(void *)rp_buffer_pixel_f32(schedule->buffers, arena, s->out, y, 0));
      continue;
    }
    schedule->layers[s->layer](arena, s);
    if (trace)
      trace(s->layer, rp_buffer_pixel_f32(schedule->buffers, arena, s->out, s->row0, s->col0),
            s);
  }
}

RP_F32_API void rp_copy_f32(const float *in, float *out, int32_t n) {
  int32_t i;
  if (in == out)
    return;
  for (i = 0; i < n; ++i)
    out[i] = in[i];
}
