/* rnnpoolc QEMU boards: calibration firmware. Runs a loop of a known number of instructions
 * and prints the SysTick ticks it took, so that the ticks -> instructions factor of each
 * board is measured rather than assumed (tests/e2e/test_qemu_boards.py checks it). Also
 * copies in.bin to out.bin through semihosting (reversed), and prints the stack used. */
#include "fw.h"

#include <stdint.h>

/* `iterations` rounds of a 4-instruction loop body (3 adds + subs/bne counts as 2: 5 per
 * round), plus a fixed few instructions of entry and exit. */
static void __attribute__((noinline)) spin(uint32_t iterations) {
  __asm__ volatile("1:\n\t"
                   "add r1, r1, #1\n\t"
                   "add r2, r2, #1\n\t"
                   "add r3, r3, #1\n\t"
                   "subs %0, %0, #1\n\t"
                   "bne 1b"
                   : "+r"(iterations)
                   :
                   : "r1", "r2", "r3", "cc");
}

static uint64_t measure(uint32_t iterations) {
  fw_counter_start();
  uint64_t t0 = fw_ticks();
  spin(iterations);
  return fw_ticks() - t0;
}

int main(void) {
  fw_print_value("ticks_1M_loop", measure(1000000u));  /* 5 M instructions */
  fw_print_value("ticks_8M_loop", measure(8000000u));  /* 40 M: wraps the 24-bit counter */
  uint8_t buffer[64];
  int in = fw_open_read("in.bin");
  if (in < 0 || fw_read_all(in, buffer, sizeof buffer) != 0)
    return 1;
  fw_close(in);
  for (int i = 0; i < 32; ++i) {
    uint8_t t = buffer[i];
    buffer[i] = buffer[63 - i];
    buffer[63 - i] = t;
  }
  int out = fw_open_write("out.bin");
  if (out < 0 || fw_write_all(out, buffer, sizeof buffer) != 0)
    return 1;
  fw_close(out);
  fw_print_value("stack_high_water", fw_stack_high_water());
  return 0;
}
