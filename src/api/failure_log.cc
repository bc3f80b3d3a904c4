#include "api/failure_log.h"

namespace cmq::api {

void FailureLog::Note(const Status& status) {
  if (status.cmq_code() != 6000 || status == ErrorCode::kShuttingDown) return;
  LogRateLimited(limits_[static_cast<int>(status.error())], LogLevel::kError, "request failed: %s",
                 status.ToString().c_str());
}

}  // namespace cmq::api
