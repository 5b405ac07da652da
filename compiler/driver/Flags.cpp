// Subcommand flag parsing over CLI11 (see Flags.h).
#include "compiler/driver/Flags.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>

namespace rnnpoolc::driver {

Flags::Flags(std::string command, const char *help, std::string helpCommand)
    : command_(std::move(command)), helpCommand_(std::move(helpCommand)), help_(help),
      app_(std::make_unique<CLI::App>()) {
  app_->set_help_flag(); // the subcommand's own text, below, not CLI11's
  app_->add_flag("-h,--help", helpGiven_);
  // Unknown options and a second positional are reported by parse(), in our words.
  app_->allow_extras(true);
}

Flags::~Flags() = default;

Flags &Flags::value(const std::string &names, std::string &into) {
  app_->add_option(names, into)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  return *this;
}

Flags &Flags::value(const std::string &names,
                    std::function<Status(const std::string &)> apply) {
  std::string &slot = storage_.emplace_back();
  CLI::Option *opt = app_->add_option(names, slot);
  opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  applies_.emplace_back(opt, [&slot, apply = std::move(apply)] { return apply(slot); });
  return *this;
}

Flags &Flags::values(const std::string &names, std::vector<std::string> &into) {
  app_->add_option(names, into)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  return *this;
}

Flags &Flags::values(const std::string &names,
                     std::function<Status(const std::string &)> apply) {
  std::vector<std::string> &list = lists_.emplace_back();
  values(names, list);
  CLI::Option *opt = app_->get_option(names.substr(names.rfind(',') + 1));
  applies_.emplace_back(opt, [&list, apply = std::move(apply)]() -> Status {
    for (const std::string &v : list)
      RNNPOOLC_TRY(apply(v));
    return Status::ok();
  });
  return *this;
}

Flags &Flags::flag(const std::string &names, bool &into) {
  app_->add_flag(names, into);
  return *this;
}

Flags &Flags::model(std::string &into) {
  app_->add_option("model", into);
  model_ = &into;
  return *this;
}

Flags &Flags::optionalModel(std::string &into) {
  model(into);
  modelRequired_ = false;
  return *this;
}

Expected<bool> Flags::parse(const std::vector<std::string> &args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 pops from the back
  try {
    app_->parse(reversed);
  } catch (const CLI::ArgumentMismatch &e) {
    // "--output: 1 required TEXT missing": a flag given without its value.
    const std::string what = e.what();
    return makeError("{} needs a value", what.substr(0, what.find(':')));
  } catch (const CLI::ParseError &e) {
    return makeError("{}: {}; see '{}'", command_, e.what(), helpCommand_);
  }
  if (helpGiven_) {
    std::fputs(help_, stdout);
    return true;
  }
  for (const std::string &extra : app_->remaining()) {
    if (extra.size() > 1 && extra[0] == '-')
      return makeError("{}: unknown option '{}'; see '{}'", command_, extra, helpCommand_);
    return makeError("{}: one model at a time, got '{}' and '{}'", command_,
                     model_ ? *model_ : std::string(), extra);
  }
  for (auto &[opt, apply] : applies_)
    if (opt->count() > 0)
      RNNPOOLC_TRY(apply());
  if (model_ && modelRequired_ && model_->empty())
    return makeError("{}: missing MODEL.onnx; see 'rnnpoolc {} --help'", command_, command_);
  return false;
}

} // namespace rnnpoolc::driver
