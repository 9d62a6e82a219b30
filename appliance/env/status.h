#pragma once
// Errors as values (LevelDB include/leveldb/status.h; Envoy STYLE.md error table).
// Status carries operating errors: peer input, disk, network, directory, configuration.
// Result<T> is a value or a Status. No exceptions on the data path.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "appliance/env/check.h"

namespace lifeboat {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // input that breaks a rule: bad config value, malformed command
  kNotFound,            // no such key, index, user, mailbox
  kCorruption,          // stored data failed a checksum or a structural check
  kIoError,             // the disk or the OS said no
  kResourceExhausted,   // a named limit was reached (queue bytes, disk reserve, sessions)
  kUnavailable,         // try again later: peer down, node read-only, not leader
  kFailedPrecondition,  // the system is not in a state to do this (another cluster's data dir)
  kAborted,             // shut down while in flight
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Corruption: log record 42: checksum mismatch"
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the error that kept us from producing it.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT: implicit on purpose
  Result(Status status) : state_(std::move(status)) {  // NOLINT
    LB_CHECK(!std::get<Status>(state_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(state_);
  }
  T& value() & {
    LB_CHECK(ok());
    return std::get<T>(state_);
  }
  const T& value() const& {
    LB_CHECK(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    LB_CHECK(ok());
    return std::get<T>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace lifeboat

// Return early from a function returning Status or Result<T> when `expr` failed.
#define LB_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::lifeboat::Status lb_status_ = (expr);  \
    if (!lb_status_.ok()) return lb_status_; \
  } while (false)
