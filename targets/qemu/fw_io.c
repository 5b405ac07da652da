/* rnnpoolc QEMU boards: file and console helpers over semihosting (newlib open/read/write,
 * which librdimon forwards to the host; paths are relative to QEMU's working directory). */
#include "fw.h"

#include <fcntl.h>
#include <unistd.h>

int fw_open_read(const char *path) { return open(path, O_RDONLY); }

int fw_open_write(const char *path) { return open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644); }

int fw_read_all(int fd, void *buffer, uint32_t bytes) {
  char *p = (char *)buffer;
  while (bytes > 0) {
    int got = read(fd, p, bytes);
    if (got <= 0)
      return -1;
    p += got;
    bytes -= (uint32_t)got;
  }
  return 0;
}

int fw_write_all(int fd, const void *buffer, uint32_t bytes) {
  const char *p = (const char *)buffer;
  while (bytes > 0) {
    int put = write(fd, p, bytes);
    if (put <= 0)
      return -1;
    p += put;
    bytes -= (uint32_t)put;
  }
  return 0;
}

void fw_close(int fd) { (void)close(fd); }

void fw_print_value(const char *key, uint64_t value) {
  char line[96];
  char digits[24];
  int n = 0, k = 0;
  do {
    digits[n++] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value != 0);
  static const char prefix[] = "rnnpoolc-fw: ";
  for (const char *s = prefix; *s; ++s)
    line[k++] = *s;
  for (; *key && k < 64; ++key)
    line[k++] = *key;
  line[k++] = ' ';
  while (n > 0)
    line[k++] = digits[--n];
  line[k++] = '\n';
  line[k] = '\0';
  fw_write_console(line);
}
