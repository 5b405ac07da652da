// Child processes with captured output and a time limit (POSIX fork/exec, poll, kill).
#include "targets/qemu/Process.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rnnpoolc::qemu {
namespace {

/// The child side of fork(): wire up the pipes, change directory, exec. Never returns.
[[noreturn]] void execChild(const std::vector<std::string> &argv, const std::string &cwd,
                            int outFd, int errFd, int statusFd) {
  dup2(outFd, STDOUT_FILENO);
  dup2(errFd, STDERR_FILENO);
  int devNull = open("/dev/null", O_RDONLY);
  if (devNull >= 0)
    dup2(devNull, STDIN_FILENO);
  setpgid(0, 0); // own process group, so that a timeout kills grandchildren too
  if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
    int e = errno;
    (void)!write(statusFd, &e, sizeof e);
    _exit(127);
  }
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  int e = errno;
  (void)!write(statusFd, &e, sizeof e);
  _exit(127);
}

/// Reads what is available on fd into `into`; false at end of file.
bool drain(int fd, std::string &into) {
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof buffer);
  if (n > 0) {
    into.append(buffer, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

} // namespace

Expected<ProcessResult> runProcess(const std::vector<std::string> &argv, const std::string &cwd,
                                   double timeoutSeconds, const OutputFn &onOutput) {
  int outPipe[2], errPipe[2], statusPipe[2];
  if (pipe(outPipe) != 0 || pipe(errPipe) != 0 || pipe2(statusPipe, O_CLOEXEC) != 0)
    return makeError("cannot create pipes to run '{}': {}", argv[0], std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0)
    return makeError("cannot start '{}': {}", argv[0], std::strerror(errno));
  if (pid == 0)
    execChild(argv, cwd, outPipe[1], errPipe[1], statusPipe[1]);
  setpgid(pid, pid);
  close(outPipe[1]);
  close(errPipe[1]);
  close(statusPipe[1]);
  int execErrno = 0;
  bool execFailed = read(statusPipe[0], &execErrno, sizeof execErrno) == sizeof execErrno;
  close(statusPipe[0]);

  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(timeoutSeconds * 1000));
  pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      result.timedOut = true;
      kill(-pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 1000))) < 0 && errno != EINTR)
      break;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      if (!drain(fds[k].fd, k == 0 ? result.out : result.err)) {
        close(fds[k].fd);
        fds[k].fd = -1;
        --open;
      }
    }
    if (onOutput)
      onOutput(result.out, result.err);
  }
  for (const pollfd &f : fds)
    if (f.fd >= 0)
      close(f.fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (execFailed)
    return makeError("cannot run '{}': {}", argv[0], std::strerror(execErrno));
  if (WIFEXITED(status))
    result.exitCode = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
  return result;
}

std::string firstLine(const std::string &text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos)
      end = text.size();
    std::string line = text.substr(pos, end - pos);
    size_t a = line.find_first_not_of(" \t\r");
    if (a != std::string::npos)
      return line.substr(a, line.find_last_not_of(" \t\r") - a + 1);
    pos = end + 1;
  }
  return "";
}

} // namespace rnnpoolc::qemu
