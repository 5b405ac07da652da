// Progress of long loops (calibration over many inputs, a QEMU batch, the host fixed-point
// check of a batch): libraries report through a ProgressFn, and the driver shows it as one
// updating line on a terminal and stays quiet otherwise.
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <unistd.h>

namespace rnnpoolc {

/// Called by a long loop after each of `total` items with the number done so far. An empty
/// function means that nobody is watching.
using ProgressFn = std::function<void(size_t done, size_t total)>;

/// Shows "LABEL DONE/TOTAL" on stderr, rewritten in place, when stderr is a terminal; when it
/// is not (a pipe, a CI log), it prints nothing at all. The line is erased by finish() or by
/// the destructor, so that what is printed next (an error, a summary) starts on a clean line.
class TerminalProgress {
public:
  explicit TerminalProgress(std::string label)
      : label_(std::move(label)), tty_(isatty(STDERR_FILENO) == 1) {}
  ~TerminalProgress() { finish(); }
  TerminalProgress(const TerminalProgress &) = delete;
  TerminalProgress &operator=(const TerminalProgress &) = delete;

  void update(size_t done, size_t total) {
    if (!tty_)
      return;
    std::fprintf(stderr, "\r\x1b[K%s %zu/%zu", label_.c_str(), done, total);
    std::fflush(stderr);
    shown_ = true;
  }

  /// A ProgressFn that updates this line; valid while this object lives.
  ProgressFn callback() {
    return [this](size_t done, size_t total) { update(done, total); };
  }

  /// Erases the line if one is shown.
  void finish() {
    if (!shown_)
      return;
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    shown_ = false;
  }

private:
  std::string label_;
  bool tty_;
  bool shown_ = false;
};

} // namespace rnnpoolc
