#include "support/console_session.h"

#include <gtest/gtest.h>

#include "support/admin_scrape.h"

namespace cmq::testing {

ConsoleSession ConsoleLogIn(CmqdProcess& cmqd, const std::string& secret_id,
                            const std::string& secret_key) {
  ClientResult<HttpResponse> r =
      AdminRequest(cmqd, "POST", "/console/login", {},
                   EncodeForm({{"secretId", secret_id}, {"secretKey", secret_key}}));
  if (!r.ok() || r->status != 200) return {};
  const std::string* set_cookie = r->Header("set-cookie");
  Result<JsonValue> json = ParseJson(r->body);
  if (set_cookie == nullptr || !json.ok()) return {};
  return {"Cookie: " + set_cookie->substr(0, set_cookie->find(';')),
          "X-CSRF-Token: " + StrField(*json, "csrfToken")};
}

JsonValue ConsoleAction(CmqdProcess& cmqd, const ConsoleSession& session, const ParamList& params,
                        std::vector<std::string> headers, std::string* body) {
  headers.push_back(session.cookie);
  headers.push_back(session.token);
  ClientResult<HttpResponse> r =
      AdminRequest(cmqd, "POST", "/console/api", headers, EncodeForm(params));
  EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.error().message);
  if (body != nullptr) *body = r.ok() ? r->body : "";
  if (!r.ok()) return JsonValue();
  Result<JsonValue> json = ParseJson(r->body);
  return json.ok() ? *json : JsonValue();
}

}  // namespace cmq::testing
