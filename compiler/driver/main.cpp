// rnnpoolc: the command-line entry point. Parses the subcommand, runs it, and maps errors
// to exit status 2 with a one-line "error: ..." on stderr.
#include "compiler/driver/Driver.h"
#include "compiler/support/Escape.h"

#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

namespace {

constexpr const char *kUsage = R"(usage: rnnpoolc <command> [options]

Commands:
  inspect MODEL.onnx   graph summary: inputs, outputs, ops, parameters, MACs per node
  plan MODEL.onnx      plan the model's memory: peak RAM, arena, schedule, baseline
  run MODEL.onnx       run the model on an input tensor and print or save the outputs
                       (on the host, or in QEMU with --board mps2-an386|netduinoplus2)
  compile MODEL.onnx   write C for a microcontroller (model.h, model.c, weights, runtime)

Run 'rnnpoolc <command> --help' for a command's options.
  --version            print the version
  --help               print this help
)";

/// The model a command was given (its first argument that is not a flag), for messages
/// that arise outside the command's own error handling.
std::string modelArgument(const std::vector<std::string> &args) {
  for (const std::string &arg : args)
    if (!arg.empty() && arg[0] != '-')
      return arg;
  return "rnnpoolc";
}

} // namespace

int main(int argc, char **argv) {
  using namespace rnnpoolc;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("rnnpoolc %s\n", RNNPOOLC_VERSION);
    return 0;
  }

  Status status;
  try {
    if (command == "inspect")
      status = driver::runInspect(driver::Args(args));
    else if (command == "plan")
      status = driver::runPlan(driver::Args(args));
    else if (command == "run")
      status = driver::runRun(driver::Args(args));
    else if (command == "compile")
      status = driver::runCompile(driver::Args(args));
    else
      status = makeError("unknown command '{}'; run 'rnnpoolc --help' for the list", command);
  } catch (const std::bad_alloc &) {
    status = makeError("{}: out of memory: the model or its input is larger than this "
                       "machine can hold",
                       modelArgument(args));
  } catch (const std::exception &e) {
    status = makeError("{}: internal error: {}; please report it with the model",
                       modelArgument(args), e.what());
  }
  if (status)
    return 0;
  // One line whatever the names in it (a model's names are the model author's data).
  std::fprintf(stderr, "error: %s\n", escapeForMessage(status.error().message()).c_str());
  return 2;
}
