#include "auth/verifier.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "common/signing.h"
#include "common/strings.h"

namespace cmq::auth {
namespace {

// Last occurrence wins for duplicate keys (docs/cmq-api.md 1.3).
const std::string* FindParam(const ParamList& params, std::string_view name) {
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

// Whether `host` ends in ":<digits>" outside an IPv6 literal's brackets.
bool HasPort(std::string_view host) {
  size_t colon = host.rfind(':');
  if (colon == std::string_view::npos) return false;
  size_t bracket = host.rfind(']');
  if (bracket != std::string_view::npos && bracket > colon) return false;
  if (bracket == std::string_view::npos && host.find(':') != colon) return false;  // bare IPv6
  std::string_view port = host.substr(colon + 1);
  return !port.empty() &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Host strings a client may have signed for a request that arrived with `host`
// (docs/cmq-api.md 2.4 step 5): SDKs sign the endpoint as written, HTTP stacks drop the
// scheme's default port from the Host header (and Go keeps it), and proxies rewrite it.
std::vector<std::string> HostCandidates(const SignedRequest& request,
                                        const VerifyOptions& options) {
  std::vector<std::string> hosts;
  auto add = [&](std::string h) {
    if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(std::move(h));
  };
  std::string_view host = request.host;
  add(std::string(host));
  const std::string_view default_port = request.https ? ":443" : ":80";
  if (!host.empty()) {
    if (!HasPort(host)) {
      add(std::string(host) + std::string(default_port));
    } else if (host.ends_with(default_port)) {
      add(std::string(host.substr(0, host.size() - default_port.size())));
    }
  }
  for (const std::string& h : options.public_hosts) add(h);
  return hosts;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length of a Base64 HMAC is public (it follows from the algorithm).
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

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
Result<uint64_t> Verify(const KeyStore& keys, const SignedRequest& request, int64_t now_seconds,
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

  // Parameter sets: everything but Signature; for POST also without '@' values, which
  // the Python and PHP clients leave out of the string to sign (2.2).
  std::vector<ParamList> param_sets(1);
  for (const Param& p : params) {
    if (p.first != "Signature") param_sets[0].push_back(p);
  }
  if (request.method == "POST") {
    ParamList without_at;
    for (const Param& p : param_sets[0]) {
      if (!p.second.starts_with('@')) without_at.push_back(p);
    }
    if (without_at.size() != param_sets[0].size()) param_sets.push_back(std::move(without_at));
  }

  const std::string* method_param = FindParam(params, "SignatureMethod");
  const SignatureMethod method =
      ParseSignatureMethod(method_param != nullptr ? std::string_view(*method_param) : "");

  for (const std::string& host : HostCandidates(request, options)) {
    for (const ParamList& set : param_sets) {
      std::string expected = Sign(StringToSign(request.method, host, request.path, set),
                                  credential->secret_key, method);
      for (std::string_view candidate : received) {
        if (ConstantTimeEquals(expected, candidate)) return credential->account;
      }
    }
  }
  return Status(ErrorCode::kAuthFailed, "signature mismatch");
}

}  // namespace cmq::auth
