// Errors as values. Library code returns Expected<T> or Status; only the driver turns an
// Error into a message on stderr and an exit status.
#pragma once

#include <fmt/format.h>

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace rnnpoolc {

/// A user-facing problem. The message is one line without the leading "error: FILE: ",
/// which the driver adds: e.g. "node 'conv1' (Conv): group 3 does not divide 16 input
/// channels; fix the model's group attribute".
class Error {
public:
  explicit Error(std::string message) : message_(std::move(message)) {}
  const std::string &message() const { return message_; }

private:
  std::string message_;
};

template <typename... Args>
Error makeError(fmt::format_string<Args...> format, Args &&...args) {
  return Error(fmt::format(format, std::forward<Args>(args)...));
}

/// Either a T or an Error.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : storage_(std::move(value)) {}
  Expected(Error error) : storage_(std::move(error)) {}

  explicit operator bool() const { return storage_.index() == 0; }
  T &operator*() { return std::get<0>(storage_); }
  const T &operator*() const { return std::get<0>(storage_); }
  T *operator->() { return &std::get<0>(storage_); }
  const T *operator->() const { return &std::get<0>(storage_); }
  const Error &error() const { return std::get<1>(storage_); }

private:
  std::variant<T, Error> storage_;
};

/// Success, or an Error.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}
  static Status ok() { return Status(); }

  explicit operator bool() const { return !error_; }
  const Error &error() const { return *error_; }

private:
  std::optional<Error> error_;
};

} // namespace rnnpoolc

/// Returns early from the enclosing function with the error of a failed Status.
#define RNNPOOLC_TRY(expr)                                                                \
  do {                                                                                   \
    if (auto _status = (expr); !_status)                                                 \
      return _status.error();                                                            \
  } while (0)
