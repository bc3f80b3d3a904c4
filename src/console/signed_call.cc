#include "console/signed_call.h"

#include <string_view>

#include "common/signing.h"
#include "common/strings.h"

namespace cmq::console {
namespace {

bool IsSigningParam(std::string_view name) {
  return name == "SecretId" || name == "Signature" || name == "Timestamp" || name == "Nonce" ||
         name == "SignatureMethod";
}

}  // namespace

http::Request SignedCall(const auth::Credential& credential, const ParamList& form,
                         const std::string& host, const std::string& peer, int64_t now_seconds) {
  ParamList params;
  params.reserve(form.size() + 5);
  for (const Param& p : form) {
    if (!IsSigningParam(p.first)) params.push_back(p);
  }
  SignParams("POST", host, "/",
             {credential.secret_id, credential.secret_key, SignatureMethod::kHmacSHA256},
             {now_seconds, NonceFrom(RandomUint64())}, &params);
  http::Request request{.method = "POST",
                        .target = "/",
                        .path = "/",
                        .query = "",
                        .host = host,
                        .headers = {{"content-type", "application/x-www-form-urlencoded"}},
                        .body = EncodeForm(params),
                        .peer = peer,
                        .tls = false,
                        .version_minor = 1,
                        .keep_alive = true};
  return request;
}

}  // namespace cmq::console
