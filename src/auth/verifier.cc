#include "auth/verifier.h"

#include <algorithm>

#include "auth/candidates.h"
#include "common/signing.h"
#include "common/strings.h"

namespace cmq::auth {

Status KeyStore::Add(Credential credential) {
  if (credential.secret_id.empty()) return Status(ErrorCode::kInvalidParameters, "empty SecretId");
  if (keys_.count(credential.secret_id) != 0) {
    return Status(ErrorCode::kInvalidParameters, "duplicate SecretId " + credential.secret_id);
  }
  std::string id = credential.secret_id;
  keys_.emplace(std::move(id), std::move(credential));
  return Status::Ok();
}

const Credential* KeyStore::Find(std::string_view secret_id) const {
  auto it = keys_.find(secret_id);
  return it == keys_.end() ? nullptr : &it->second;
}

// Failures carry a detail for the server log only: kAuthFailed's wire text has no "%s",
// so clients see just "(10030)authentication failed" (2.4 step 6).
Result<Verified> Verify(const KeyStore& keys, const SignedRequest& request, int64_t now_seconds,
                        const VerifyOptions& options) {
  static const ParamList kNoParams;
  const ParamList& params = request.params != nullptr ? *request.params : kNoParams;

  const std::string* secret_id = FindParam(params, "SecretId");
  const std::string* signature = FindParam(params, "Signature");
  const std::string* timestamp = FindParam(params, "Timestamp");
  // The Nonce only has to be present: its value is signed like any other parameter,
  // and repeats are legitimate (2.4 step 4), so it is never checked further.
  const std::string* nonce = FindParam(params, "Nonce");
  if (secret_id == nullptr || secret_id->empty() || signature == nullptr || signature->empty() ||
      timestamp == nullptr || nonce == nullptr) {
    return Status(ErrorCode::kAuthFailed, "missing SecretId, Signature, Timestamp or Nonce");
  }

  const Credential* credential = keys.Find(*secret_id);
  if (credential == nullptr) return Status(ErrorCode::kSecretIdUnknown);
  if (!credential->enabled) return Status(ErrorCode::kSecretIdDisabled);

  std::optional<int64_t> ts = ParseInt64(*timestamp);
  int64_t skew;
  if (!ts || *ts < 0 || __builtin_sub_overflow(now_seconds, *ts, &skew) ||
      skew < -options.timestamp_skew_seconds || skew > options.timestamp_skew_seconds) {
    return Status(ErrorCode::kAuthFailed, "Timestamp outside the allowed window");
  }

  std::vector<std::string_view> received = {*signature};
  std::string repaired;
  if (signature->find(' ') != std::string::npos) {
    repaired = *signature;
    std::replace(repaired.begin(), repaired.end(), ' ', '+');
    received.push_back(repaired);
  }

  const std::string* method_param = FindParam(params, "SignatureMethod");
  const SignatureMethod method =
      ParseSignatureMethod(method_param != nullptr ? std::string_view(*method_param) : "");

  const std::vector<std::string> hosts = HostCandidates(request, options);
  const std::vector<std::string_view> paths = PathCandidates(request);
  // Sets first: a set that signs more is preferred whatever host or path matches.
  for (ParamSet& set : ParamSetCandidates(request)) {
    for (const std::string& host : hosts) {
      for (std::string_view path : paths) {
        std::string expected = Sign(StringToSign(request.method, host, path, set.params),
                                    credential->secret_key, method);
        for (std::string_view candidate : received) {
          // The length of a Base64 HMAC is public (it follows from the algorithm).
          if (ConstantTimeEquals(expected, candidate)) {
            return Verified{credential->account, std::move(set.left_out)};
          }
        }
      }
    }
  }
  return Status(ErrorCode::kAuthFailed, "signature mismatch");
}

}  // namespace cmq::auth
