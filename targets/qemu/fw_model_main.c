/* rnnpoolc QEMU boards: the firmware main() that runs a generated model (model.h) on inputs
 * read through semihosting.
 *
 * input.bin holds one or more input sets back to back; a set is every model input in order,
 * each as float32 values in the model's logical NCHW order. For each set the harness
 * quantises the inputs into the arena (in chunks, so a large frame never has to fit in RAM
 * as floats), runs model_run() between two SysTick readings, and appends the raw output
 * bytes (every output in order, in arena layout: int8 HWC, or float32 for a --float build)
 * to output.bin. It prints "rnnpoolc-fw: ticks N" per inference, then the number of
 * inferences and the stack high-water mark.
 *
 * A streamed build (MODEL_STREAMED_INPUT, one input) reads each set's rows only when
 * model_run() asks for them; input.bin then holds every set's pixels with channels
 * innermost (row by row), and the instructions counted include quantising the rows.
 *
 * Built with RNNPOOLC_PROFILE (and fw_profile.h force-included into model.c), it also
 * prints "rnnpoolc-fw: profile_ticks N" for every node 0..last traced, in node order: the
 * SysTick ticks spent in that node, summed over its steps and over all inferences.
 */
#include "fw.h"
#include "model.h"

#include <stdint.h>

/* The arena in its own section, placed by sections.ld: the link fails if it does not fit. */
static uint8_t arena[MODEL_ARENA_BYTES] __attribute__((aligned(16), section(".arena")));

#define CHUNK 256

#ifdef RNNPOOLC_PROFILE
#include "fw_profile.h"

static uint64_t profile_ticks[FW_PROFILE_MAX_NODES];
static uint64_t profile_last;
static int32_t profile_nodes; /* one past the highest node traced */

void fw_profile_trace(int32_t node) {
  uint64_t now = fw_ticks();
  int32_t slot = node < 0 ? 0 : (node < FW_PROFILE_MAX_NODES ? node : FW_PROFILE_MAX_NODES - 1);
  profile_ticks[slot] += now - profile_last;
  if (slot + 1 > profile_nodes)
    profile_nodes = slot + 1;
  profile_last = fw_ticks(); /* the trace's own cost is charged to no node */
}

static void profile_report(void) {
  for (int32_t k = 0; k < profile_nodes; ++k)
    fw_print_value("profile_ticks", profile_ticks[k]);
}
#endif

#ifndef MODEL_STREAMED_INPUT
/* Reads input `index` of the next set; returns 1 if done, 0 at a clean end of file, -1 on a
 * short file. */
static int read_input(int fd, int32_t index) {
  static float chunk[CHUNK];
  int32_t elems = model_input_elems(index);
  for (int32_t first = 0; first < elems; first += CHUNK) {
    int32_t n = elems - first < CHUNK ? elems - first : CHUNK;
    if (fw_read_all(fd, chunk, (uint32_t)n * sizeof(float)) != 0)
      return index == 0 && first == 0 ? 0 : -1;
    model_quantize_input(index, chunk, first, n, arena);
  }
  return 1;
}

#else
#if MODEL_NUM_INPUTS != 1
#error "the streamed-input firmware supports models with one input"
#endif
/* The row source of a streamed run: the first row is read before model_run() (to tell the
 * end of input.bin from a set), the others when asked for. */
typedef struct {
  int fd, first_ready, failed;
} fw_stream;

static float fw_row[MODEL_INPUT0_ROW_VALUES];

static void fw_read_row(void *user, int32_t index, int32_t row, int8_t *dst) {
  fw_stream *s = (fw_stream *)user;
  (void)row;
  if (s->first_ready)
    s->first_ready = 0;
  else if (fw_read_all(s->fd, fw_row, sizeof fw_row) != 0)
    s->failed = 1;
  model_quantize_pixels(index, fw_row, MODEL_INPUT0_ROW_VALUES, dst);
}

/* Runs one streamed inference; 1 if done, 0 at a clean end of input.bin, -1 on a short
 * file. */
static int run_streamed(int fd, uint64_t *ticks) {
  fw_stream s;
  uint64_t t0;
  if (fw_read_all(fd, fw_row, sizeof fw_row) != 0)
    return 0;
  s.fd = fd;
  s.first_ready = 1;
  s.failed = 0;
  fw_counter_start();
  t0 = fw_ticks();
#ifdef RNNPOOLC_PROFILE
  profile_last = t0;
#endif
  model_run(arena, fw_read_row, &s);
  *ticks = fw_ticks() - t0;
  return s.failed ? -1 : 1;
}
#endif

int main(void) {
  int in = fw_open_read("input.bin");
  int out = fw_open_write("output.bin");
  if (in < 0 || out < 0) {
    fw_write_console("rnnpoolc-fw: error cannot open input.bin or output.bin\n");
    return 1;
  }
  uint64_t inferences = 0;
  for (;;) {
    int status = 1;
    uint64_t ticks = 0;
#ifdef MODEL_STREAMED_INPUT
    status = run_streamed(in, &ticks);
#else
    for (int32_t k = 0; k < MODEL_NUM_INPUTS && status == 1; ++k)
      status = read_input(in, k);
    if (status == 1) {
      fw_counter_start();
      uint64_t t0 = fw_ticks();
#ifdef RNNPOOLC_PROFILE
      profile_last = t0;
#endif
      model_run(arena);
      ticks = fw_ticks() - t0;
    }
#endif
    if (status == 0)
      break;
    if (status < 0) {
      fw_write_console("rnnpoolc-fw: error input.bin ends inside an input set\n");
      return 1;
    }
    fw_print_value("ticks", ticks);
    for (int32_t k = 0; k < MODEL_NUM_OUTPUTS; ++k)
      if (fw_write_all(out, model_output(arena, k), (uint32_t)model_output_bytes(k)) != 0) {
        fw_write_console("rnnpoolc-fw: error cannot write output.bin\n");
        return 1;
      }
    ++inferences;
  }
  fw_close(in);
  fw_close(out);
#ifdef RNNPOOLC_PROFILE
  profile_report();
#endif
  fw_print_value("inferences", inferences);
  fw_print_value("stack_high_water", fw_stack_high_water());
  return 0;
}
