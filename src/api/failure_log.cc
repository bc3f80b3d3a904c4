#include "api/failure_log.h"

namespace cmq::api {

void FailureLog::Note(const Status& status) {
  if (status.cmq_code() != 6000 || status == ErrorCode::kShuttingDown) return;
  // A standby's refusal is how a distributed cluster works, not a failure.
  LogLevel level = status == ErrorCode::kNotServing ? LogLevel::kInfo : LogLevel::kError;
  LogRateLimited(limits_[static_cast<int>(status.error())], level, "request failed: %s",
                 status.ToString().c_str());
}

void FailureLog::NoteAuthFailure(std::string_view client, std::string_view secret_id,
                                 std::string_view action, const Status& status) {
  // The reason is Verify's detail, else the registry's text (an unknown or disabled
  // SecretId): neither holds the key nor the signature.
  std::string reason = status.detail().empty() ? status.WireMessage() : status.detail();
  LogEventRateLimited(auth_limit_, LogLevel::kWarn, "authentication failed",
                      {{"client", client},
                       {"secretId", secret_id},
                       {"action", action},
                       {"code", status.cmq_code()},
                       {"reason", reason}});
}

}  // namespace cmq::api
