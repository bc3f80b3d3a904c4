// Start-up failures worded for the operator who reads them on a terminal.
#pragma once

#include <string>

#include "common/status.h"

namespace cmq::server {

// `cause` (when not OK) as a start-up failure: "<doing>: <why>", the why being the
// cause's detail (which names the call, the path and the system's reason), led by
// its kind where the detail alone would not say it ("corrupt data: ..."). Nothing of
// the error registry's internal names and codes (Status::ToString, for logs). The
// code stays the cause's. OK stays OK.
Status StartupError(const std::string& doing, const Status& cause);

}  // namespace cmq::server
