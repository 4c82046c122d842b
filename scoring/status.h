// Status and Result<T>: how every Incontra module reports an expected failure.
//
// It lives in scoring/, the bottom module, because every module above depends on it and
// dependencies only run downwards (server -> storage -> engine -> scoring).
//
// A Status carries a stable machine code ("schedule.unknown_participant") and a message that
// names the place and the rule ("meetings[3].participants[1]: no participant 'p99'"). Callers
// map the code to an exit code or an HTTP status; the message is shown to a person as is.
//
// Thread-safety: values; safe to copy across threads.
//
// Usage:
//   Result<int> ParsePort(std::string_view s);
//   auto port = ParsePort("80");
//   if (!port.ok()) return port.status();
//   Use(*port);
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace incontra {

class [[nodiscard]] Status {
 public:
  enum class Kind { kOk, kInvalidArgument, kNotFound, kIoError, kInternal };

  Status() = default;
  static Status Ok() { return Status(); }
  // Bad input: the code names the rule, the message the place.
  static Status InvalidArgument(std::string code, std::string message) {
    return Status(Kind::kInvalidArgument, std::move(code), std::move(message));
  }
  static Status NotFound(std::string code, std::string message) {
    return Status(Kind::kNotFound, std::move(code), std::move(message));
  }
  static Status IoError(std::string code, std::string message) {
    return Status(Kind::kIoError, std::move(code), std::move(message));
  }
  static Status Internal(std::string code, std::string message) {
    return Status(Kind::kInternal, std::move(code), std::move(message));
  }

  bool ok() const { return kind_ == Kind::kOk; }
  Kind kind() const { return kind_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", or "ok".
  std::string ToString() const;
  // Spells out that a failure is dropped on purpose, so such places can be grepped.
  void PermitUnchecked() const {}

 private:
  Status(Kind kind, std::string code, std::string message)
      : kind_(kind), code_(std::move(code)), message_(std::move(message)) {}

  Kind kind_ = Kind::kOk;
  std::string code_;
  std::string message_;
};

// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be ok

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace incontra
