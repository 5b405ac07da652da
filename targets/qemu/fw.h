/* rnnpoolc QEMU boards: the services startup.c gives firmware (instruction counting, stack
 * high-water mark, console output, exit). File I/O uses newlib's open/read/write, which
 * librdimon (rdimon.specs) turns into semihosting calls on the host's files. */
#ifndef RNNPOOLC_FW_H
#define RNNPOOLC_FW_H

#include <stdint.h>

/** Starts (restarts) the SysTick tick counter at zero. */
void fw_counter_start(void);
/** Processor-clock ticks since fw_counter_start(); 64 bits, wraps handled. */
uint64_t fw_ticks(void);
/** Bytes of the stack region ever written (the region is painted at reset). */
uint32_t fw_stack_high_water(void);
/** Bytes in the stack region. */
uint32_t fw_stack_size(void);
/** Writes a NUL-terminated string to the QEMU console (semihosting SYS_WRITE0). */
void fw_write_console(const char *text);
/** Ends the QEMU run with the given exit status. */
void fw_exit(int status) __attribute__((noreturn));


/** Opens a host file for reading / for writing (created or truncated); -1 on failure. */
int fw_open_read(const char *path);
int fw_open_write(const char *path);
/** Reads / writes exactly `bytes` bytes; 0 on success, -1 on a short read or an error. */
int fw_read_all(int fd, void *buffer, uint32_t bytes);
int fw_write_all(int fd, const void *buffer, uint32_t bytes);
void fw_close(int fd);
/** Prints "rnnpoolc-fw: KEY VALUE" on the console, the line format the host runner parses. */
void fw_print_value(const char *key, uint64_t value);

#endif
