#include "api/failure_log.h"

namespace cmq::api {

void FailureLog::Note(const Status& status) {
  if (status.cmq_code() != 6000 || status == ErrorCode::kShuttingDown) return;
  // A standby's refusal is how a distributed cluster works, not a failure.
  LogLevel level = status == ErrorCode::kNotServing ? LogLevel::kInfo : LogLevel::kError;
  LogRateLimited(limits_[static_cast<int>(status.error())], level, "request failed: %s",
                 status.ToString().c_str());
}

}  // namespace cmq::api
