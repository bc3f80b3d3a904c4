// The web console's endpoints on a real cmqd's admin listener, spoken as its pages do
// (docs/architecture.md, "Web console"): a login, then CMQ actions through
// POST /console/api with the session's cookie and CSRF token.
#pragma once

#include <string>
#include <vector>

#include "support/blackbox.h"

namespace cmq::testing {

struct ConsoleSession {
  std::string cookie;  // "Cookie: cmq_session=..."
  std::string token;   // "X-CSRF-Token: ..."
};

// POST /console/login; the session, or an empty one when not answered 200.
ConsoleSession ConsoleLogIn(CmqdProcess& cmqd, const std::string& secret_id,
                            const std::string& secret_key);

// `params` (Action and its parameters) through the console as `session`: the CMQ
// answer, parsed. A console answer other than 200 fails the test; `body`, if given,
// gets the answer as received (for failure messages).
JsonValue ConsoleAction(CmqdProcess& cmqd, const ConsoleSession& session, const ParamList& params,
                        std::vector<std::string> headers = {}, std::string* body = nullptr);

}  // namespace cmq::testing
