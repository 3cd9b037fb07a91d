#pragma once
// Result<T>: either a value or an Error. Used on hot paths (mapping, validation, lookups) where
// a bad record is ordinary data, not an exceptional event; exceptions stay at the edges
// (start-up, HTTP handlers, hubctl). Not thread-safe beyond what T itself offers.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace hub {

// A failure that can be shown to a partner: a stable machine code, a human message and, where
// it applies, the place (JSONPath, config key, field name) it concerns.
struct Error {
  std::string code;     // stable, e.g. "date.impossible"; never reworded once published
  std::string message;  // English, human readable
  std::string path;     // JSONPath / field / key the error is about; may be empty
  std::size_t offset = 0;  // byte or character offset where that applies (parsers), else 0
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error. Success builds no Error (hot paths return it per value).
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status Ok() { return Status(); }
  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  // An empty Error when ok().
  const Error& error() const {
    static const Error kNone;
    return error_ ? *error_ : kNone;
  }

 private:
  std::optional<Error> error_;
};

inline Error make_error(std::string code, std::string message, std::string path = {}) {
  return Error{std::move(code), std::move(message), std::move(path), 0};
}

}  // namespace hub
