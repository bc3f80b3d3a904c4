// Errors seen by a CMQ client, and the value-or-error type the client layer returns.
//
// The server's Status/Result (common/status.h) name entries of our own error table;
// a client must also represent what that table cannot: a refused connection, a timeout,
// a proxy's 502, garbage instead of JSON, and server codes it has never heard of. So
// the client layer has its own small error type, and callers branch on `kind` first:
// only kServer means "the server answered with a CMQ error code".
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

#include "common/json.h"

namespace cmq::client {

enum class ErrorKind {
  kInvalidArgument,  // rejected before anything was sent (bad endpoint URL, ...)
  kNetwork,          // resolve/connect/send/receive failed, or the peer closed early
  kTimeout,          // connect or response deadline passed; the request may have run
  kProtocol,         // the bytes received are not valid HTTP/1.1
  kHttpStatus,       // an HTTP status other than 200
  kBadResponse,      // HTTP 200 but not a CMQ JSON envelope
  kServer,           // a CMQ envelope with a non-zero code
};

const char* ErrorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kNetwork;
  // kServer: the JSON "code" (e.g. 4440, 7000). kHttpStatus: the HTTP status. Else 0.
  int code = 0;
  // kServer: the number inside "(...)" at the start of "message", 0 if there is none.
  int module_code = 0;
  // kServer: the JSON "message" verbatim. Otherwise a description for humans.
  std::string message;
  // kServer: the JSON "requestId" ("" if absent).
  std::string request_id;
  // kServer: the whole response object, for fields such as BatchDeleteMessage's
  // "errorList". Null otherwise.
  JsonValue response;

  bool is_server() const { return kind == ErrorKind::kServer; }
  // The empty-queue answer of (Batch)ReceiveMessage: 7000 "(10200)no message".
  bool is_no_message() const { return kind == ErrorKind::kServer && code == 7000; }
  // Whether any byte of the request had been written when the failure happened. A
  // failure before that (bad URL, refused connection) certainly had no effect.
  bool request_sent = false;

  // True when the client cannot know whether the server applied the request: the
  // connection broke or timed out after sending, or the answer was unreadable. False
  // when nothing was sent or the server gave its verdict (kServer).
  bool outcome_unknown() const { return request_sent && kind != ErrorKind::kServer; }
  // One line for logs, e.g. "server error 4440 (10100)queue is not existed... [requestId 17]".
  std::string ToString() const;
};

inline Error MakeError(ErrorKind kind, std::string message) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}

// A T or the Error explaining why there is none.
template <typename T>
class [[nodiscard]] ClientResult {
 public:
  ClientResult(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  ClientResult(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Error& error() const { assert(!ok()); return error_; }
  Error&& take_error() { assert(!ok()); return std::move(error_); }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::optional<T> value_;
  Error error_;
};

}  // namespace cmq::client
