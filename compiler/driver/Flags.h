// One flag parser per subcommand, over CLI11: the subcommand declares its flags, its
// hand-written help text is printed by --help / -h, and CLI11's parse errors become the
// driver's one-line messages (main() prints them as "error: ..." with exit status 2).
#pragma once

#include "compiler/support/Error.h"

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace rnnpoolc::driver {

class Flags {
public:
  /// `command` names the subcommand in messages ("compile"); `help` is what --help prints;
  /// `helpCommand` is the command suggested for help ("rnnpoolc compile --help").
  Flags(std::string command, const char *help, std::string helpCommand);
  ~Flags();

  /// A flag that takes one value ("-o DIR", "--output DIR", "--output=DIR"); given more
  /// than once, the last one counts.
  Flags &value(const std::string &names, std::string &into);
  /// The same, with the value checked and converted by `apply` once parsing succeeded
  /// (its error is the command's error: "--ram-budget wants a positive size ...").
  Flags &value(const std::string &names, std::function<Status(const std::string &)> apply);
  /// A flag that takes one value each time it is given (--calib A --calib B).
  Flags &values(const std::string &names, std::vector<std::string> &into);
  /// The same, each value checked and converted by `apply` (--input-shape A --input-shape B).
  Flags &values(const std::string &names, std::function<Status(const std::string &)> apply);
  /// A flag without a value.
  Flags &flag(const std::string &names, bool &into);
  /// The one positional argument, MODEL.onnx (required).
  Flags &model(std::string &into);
  /// The same, but parse() does not require it (inspect --ops needs no model).
  Flags &optionalModel(std::string &into);

  /// Parses the arguments after the subcommand. Returns true when --help was given (the
  /// help is printed and the caller returns at once), false when the flags were taken.
  /// Errors: an unknown option, a flag without its value, a second model, a missing model,
  /// and the errors of the `apply` functions, in the order the flags were declared.
  Expected<bool> parse(const std::vector<std::string> &args);

private:
  std::string command_, helpCommand_;
  const char *help_;
  std::unique_ptr<CLI::App> app_;
  bool helpGiven_ = false;
  std::string *model_ = nullptr;
  bool modelRequired_ = true;
  std::deque<std::string> storage_; ///< Values of flags with an apply function.
  std::deque<std::vector<std::string>> lists_; ///< Likewise, for repeatable flags.
  std::vector<std::pair<CLI::Option *, std::function<Status()>>> applies_;
};

/// An apply function for Flags::value: converts the value with `parse` ("128K" -> 131072)
/// and stores the result in `out`.
template <typename T, typename U>
std::function<Status(const std::string &)> store(Expected<T> (*parse)(const std::string &),
                                                 U &out) {
  return [parse, &out](const std::string &text) -> Status {
    auto value = parse(text);
    if (!value)
      return value.error();
    out = *value;
    return Status::ok();
  };
}

} // namespace rnnpoolc::driver
