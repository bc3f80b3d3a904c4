// FailureLog: where the api logs what the operator needs and the client is not told.
//
// Server-side failures: a client answered with code 6000 sees only the registry's
// fixed text (common/errors.def), never a file path or an errno; the operator needs
// both, so they are logged here, at most one line a second per error code (a failed
// disk fails every request) with a count of the lines held back.
//
// Authentication failures: each is logged at warn with the client's address, the
// SecretId and the action as received and the reason, never the key or the signature;
// at most one line a second, so a flood of bad requests cannot fill the disk, and the
// next line says how many were held back. Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/log.h"
#include "common/status.h"

namespace cmq::api {

class FailureLog {
 public:
  // At most one authentication failure line per `auth_interval_ms`.
  explicit FailureLog(int64_t auth_interval_ms = 1000) : auth_limit_(auth_interval_ms) {}

  // Logs `status` (ToString(), detail included) if it is a server-side failure;
  // anything else, including OK and a refusal during shutdown, is not logged. A
  // refusal by a node not serving the partition is logged at info level.
  void Note(const Status& status);
  // Logs a failed verification (`status`, from auth::Verify) of a request from
  // `client` with `secret_id` for `action` (both as received: only echoes).
  void NoteAuthFailure(std::string_view client, std::string_view secret_id, std::string_view action,
                       const Status& status);

 private:
  LogRateLimit limits_[kErrorCodeCount];
  LogRateLimit auth_limit_;
};

}  // namespace cmq::api
