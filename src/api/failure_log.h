// FailureLog: where the detail of a server-side failure goes. A client answered with
// code 6000 sees only the registry's fixed text (common/errors.def), never a file
// path or an errno; the operator needs both, so they are logged here, at most one
// line a second per error code (a failed disk fails every request) with a count of
// the lines held back. Thread-safe.
#pragma once

#include "common/log.h"
#include "common/status.h"

namespace cmq::api {

class FailureLog {
 public:
  // Logs `status` (ToString(), detail included) if it is a server-side failure;
  // anything else, including OK and a refusal during shutdown, is not logged. A
  // refusal by a node not serving the partition is logged at info level.
  void Note(const Status& status);

 private:
  LogRateLimit limits_[kErrorCodeCount];
};

}  // namespace cmq::api
