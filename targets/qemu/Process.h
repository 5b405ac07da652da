// Running a tool (the cross compiler, QEMU) as a child process with a time limit, capturing
// its output. A child that outlives the limit is killed, never waited for forever.
#pragma once

#include "compiler/support/Error.h"

#include <functional>
#include <string>
#include <vector>

namespace rnnpoolc::qemu {

struct ProcessResult {
  int exitCode = -1;     ///< Valid when the child exited normally.
  bool timedOut = false; ///< Killed after the time limit.
  int signal = 0;        ///< Nonzero when a signal ended the child.
  std::string out, err;  ///< Captured stdout and stderr.
};

/// Runs argv[0] (looked up on PATH) with `argv` in directory `cwd` (empty: the current
/// one) and waits at most `timeoutSeconds`. Errors only when the process cannot start.
/// `onOutput`, if given, sees the output captured so far whenever more arrives (to follow a
/// long run as it goes).
using OutputFn = std::function<void(const std::string &out, const std::string &err)>;
Expected<ProcessResult> runProcess(const std::vector<std::string> &argv, const std::string &cwd,
                                   double timeoutSeconds, const OutputFn &onOutput = nullptr);

/// The first line of `text` that is not blank, trimmed (for one-line error messages).
std::string firstLine(const std::string &text);

} // namespace rnnpoolc::qemu
