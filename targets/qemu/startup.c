/* rnnpoolc QEMU boards: reset handler, vector table, SysTick instruction counter, stack
 * painting and raw semihosting calls, shared by mps2-an386 and netduinoplus2.
 *
 * The linker script (board .ld + sections.ld) provides the symbols used here. Reset copies
 * .data from flash, zeroes .bss, enables the FPU, paints the stack region with a pattern so
 * that the high-water mark can be measured, sets up newlib's semihosting file handles and
 * calls main(); main's return value goes to QEMU as the exit status.
 *
 * Instruction counting (DESIGN.md section 7): QEMU runs with -icount shift=0, so virtual
 * time advances by 1 ns per instruction. SysTick counts down a 24-bit value at the processor
 * clock; the interrupt on each wrap adds 2^24 ticks to a 64-bit total. fw_ticks() returns
 * ticks since fw_counter_start(); the host converts ticks to instructions with the board's
 * factor (40 on mps2-an386, 1000/168 on netduinoplus2), measured by fw_calibrate.c.
 */
#include "fw.h"

#include <stdint.h>

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

extern int main(void);
extern void initialise_monitor_handles(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

#define STACK_PAINT 0xA5C3A5C3u
#define SYSTICK_RELOAD 0xFFFFFFu

/* ------------------------------------------------------------------- semihosting -- */

/* One semihosting call: operation in r0, parameter (block address) in r1, result in r0. */
static int32_t semihost(int32_t op, const void *arg) {
  register int32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void fw_write_console(const char *text) { (void)semihost(0x04 /* SYS_WRITE0 */, text); }

void fw_exit(int status) {
  /* SYS_EXIT_EXTENDED: ADP_Stopped_ApplicationExit with the status as subcode. */
  uint32_t block[2] = {0x20026u, (uint32_t)status};
  for (;;)
    (void)semihost(0x20, block);
}

/* ------------------------------------------------------------- instruction count -- */

static volatile uint32_t systick_wraps;

void SysTick_Handler(void) { systick_wraps++; }

void fw_counter_start(void) {
  SYST_CSR = 0;
  SYST_RVR = SYSTICK_RELOAD;
  SYST_CVR = 0;
  systick_wraps = 0;
  SYST_CSR = 7; /* ENABLE | TICKINT | CLKSOURCE = processor clock */
  /* The counter reads 0 until its first tick reloads it (40 instructions on mps2-an386). */
  while (SYST_CVR == 0) {
  }
}

uint64_t fw_ticks(void) {
  uint32_t wraps, value;
  do {
    wraps = systick_wraps;
    value = SYST_CVR;
  } while (wraps != systick_wraps);
  return (uint64_t)wraps * (SYSTICK_RELOAD + 1u) + (SYSTICK_RELOAD - value);
}

/* ------------------------------------------------------------------------- stack -- */

uint32_t fw_stack_high_water(void) {
  const uint32_t *p = __stack_limit;
  while (p < __stack_top && *p == STACK_PAINT)
    ++p;
  return (uint32_t)((const char *)__stack_top - (const char *)p);
}

uint32_t fw_stack_size(void) {
  return (uint32_t)((const char *)__stack_top - (const char *)__stack_limit);
}

/* ------------------------------------------------------------------ reset, faults -- */

void Reset_Handler(void) {
  uint32_t *dst = __data_start;
  const uint32_t *src = __data_load;
  while (dst < __data_end)
    *dst++ = *src++;
  for (dst = __bss_start; dst < __bss_end; ++dst)
    *dst = 0;
  /* Paint the stack below the current frame (this function uses a few words). */
  uint32_t *sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (dst = __stack_limit; dst < sp - 16; ++dst)
    *dst = STACK_PAINT;
  SCB_CPACR |= 0xFu << 20; /* CP10, CP11: full access to the FPU */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  initialise_monitor_handles();
  fw_exit(main());
}

static void put_hex(char *out, uint32_t value) {
  for (int i = 0; i < 8; ++i)
    out[i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xFu];
}

/* Any fault: one line naming it with the faulting PC, then exit status 3. */
void fw_fault(uint32_t *frame, uint32_t kind) {
  static char line[] = "rnnpoolc-fw: fault ???????? pc 00000000 cfsr 00000000 hfsr 00000000\n";
  const char *name = kind == 3 ? "HardFlt " : kind == 4 ? "MemManag" : kind == 5 ? "BusFault"
                                                                     : "UsageFlt";
  for (int i = 0; i < 8; ++i)
    line[19 + i] = name[i];
  put_hex(line + 31, frame[6]);
  put_hex(line + 45, SCB_CFSR);
  put_hex(line + 59, SCB_HFSR);
  fw_write_console(line);
  fw_exit(3);
}

/* The fault entry points pass the stacked frame (MSP) and the exception number. */
#define FAULT_ENTRY(name, number)                                                        \
  __attribute__((naked)) void name(void) {                                              \
    __asm__ volatile("mrs r0, msp\n\tmovs r1, #" #number "\n\tb fw_fault");              \
  }
FAULT_ENTRY(HardFault_Handler, 3)
FAULT_ENTRY(MemManage_Handler, 4)
FAULT_ENTRY(BusFault_Handler, 5)
FAULT_ENTRY(UsageFault_Handler, 6)

static void Default_Handler(void) {
  fw_write_console("rnnpoolc-fw: fault unexpected interrupt\n");
  fw_exit(3);
}

typedef void (*fw_vector)(void);

/* Cortex-M4 system exceptions; no device interrupts are used. */
__attribute__((section(".isr_vector"), used)) const fw_vector fw_vectors[16] = {
    (fw_vector)(uintptr_t)__stack_top, Reset_Handler, Default_Handler, HardFault_Handler,
    MemManage_Handler, BusFault_Handler, UsageFault_Handler, 0, 0, 0, 0,
    Default_Handler /* SVCall */, Default_Handler /* DebugMon */, 0,
    Default_Handler /* PendSV */, SysTick_Handler};
