/* rnnpoolc runtime: the schedule walker and the buffer addressing of generated schedules
 * (rp_schedule.h). */
#include "rp_schedule.h"

RP_API rp_view rp_buffer_view(const rp_buffer *buffers, int8_t *arena, int32_t buffer) {
  const rp_buffer *b = &buffers[buffer];
  rp_view v;
  v.data = arena + b->offset;
  v.row0 = b->row0;
  v.col0 = b->col0;
  v.rows = b->rows;
  v.cols = b->cols;
  v.ring_rows = b->ring_rows;
  return v;
}

RP_API int8_t *rp_buffer_pixel(const rp_buffer *buffers, int8_t *arena, int32_t buffer,
                               int32_t y, int32_t x) {
  const rp_buffer *b = &buffers[buffer];
  const int32_t row = b->ring_rows ? y % b->ring_rows : y - b->row0;
  return arena + b->offset + (row * b->cols + (x - b->col0)) * b->channels;
}

RP_API rp_region rp_step_region(const rp_step *step) {
  rp_region r;
  r.row0 = step->row0;
  r.row1 = step->row1;
  r.col0 = step->col0;
  r.col1 = step->col1;
  return r;
}

RP_API void rp_schedule_run(const rp_schedule *schedule, int8_t *arena, rp_read_row_fn read_row,
                            void *user, rp_trace_fn trace) {
  int32_t i;
  for (i = 0; i < schedule->num_steps; ++i) {
    const rp_step *s = &schedule->steps[i];
    if (s->layer < 0) {
      int32_t y;
      for (y = s->row0; y < s->row1; ++y)
        read_row(user, -1 - s->layer, y,
                 rp_buffer_pixel(schedule->buffers, arena, s->out, y, 0));
      continue;
    }
    schedule->layers[s->layer](arena, s);
    if (trace)
      trace(s->layer, arena + schedule->buffers[s->out].offset, s);
  }
}
