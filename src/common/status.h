// Status and Result<T>: the one way fallible calls report failure inside the server.
// A Status names an entry of errors.def (which fixes the CMQ code, module code and
// text) plus a free-form detail: the parameter name for "%s" texts, or context such
// as a file name and offset for I/O errors (then the text has no "%s", so the detail
// reaches logs through ToString() but never a client). OK is cheap (no allocation).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cmq {

enum class ErrorCode : int {
#define CMQ_ERROR(name, code, module, text) name,
#include "common/errors.def"
#undef CMQ_ERROR
};

// The number of entries of errors.def (ErrorCode values are 0 .. kErrorCodeCount - 1).
inline constexpr int kErrorCodeCount = 0
#define CMQ_ERROR(name, code, module, text) +1
#include "common/errors.def"
#undef CMQ_ERROR
    ;

struct ErrorInfo {
  int code;         // JSON "code"
  int module_code;  // carried inside "message" as "(module)"
  const char* text;
  const char* name;
};

// Static description of an error code. Never fails.
const ErrorInfo& GetErrorInfo(ErrorCode c);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode c, std::string detail = {}) : code_(c), detail_(std::move(detail)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode error() const { return code_; }
  const std::string& detail() const { return detail_; }
  int cmq_code() const { return GetErrorInfo(code_).code; }
  int module_code() const { return GetErrorInfo(code_).module_code; }
  // The wire "message": "" for OK, else "(<module>)<text>" with %s replaced by detail.
  std::string WireMessage() const;
  // For logs: name, codes, text and detail.
  std::string ToString() const;

  bool operator==(ErrorCode c) const { return code_ == c; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string detail_;
};

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {     // NOLINT
    assert(!status_.ok());
  }
  Result(ErrorCode c, std::string detail = {}) : status_(c, std::move(detail)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

#define CMQ_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::cmq::Status _cmq_status = (expr);        \
    if (!_cmq_status.ok()) return _cmq_status; \
  } while (0)

}  // namespace cmq
