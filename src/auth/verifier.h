// Accounts, their key pairs, and verification of signed requests
// (docs/cmq-api.md 2.4 and 2.7).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/form.h"
#include "common/status.h"

namespace cmq::auth {

struct Credential {
  std::string secret_id;
  std::string secret_key;
  uint64_t account = 0;   // appId of the owning account; names are scoped by it
  bool enabled = true;
};

// SecretId -> credential. Built at startup, read-only afterwards (thread-safe reads).
class KeyStore {
 public:
  // kInvalidParameters if the SecretId is empty or already present.
  Status Add(Credential credential);
  const Credential* Find(std::string_view secret_id) const;
  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, Credential, std::less<>> keys_;
};

struct VerifyOptions {
  int64_t timestamp_skew_seconds = 300;
  // Extra host names (with or without port) to try in the string to sign, for
  // deployments behind proxies.
  std::vector<std::string> public_hosts;
};

struct SignedRequest {
  std::string_view method;   // "GET" or "POST"
  std::string_view host;     // Host header as received
  std::string_view path;     // raw path, no query
  const ParamList* params;   // every parameter received, Signature included
  bool https = false;        // scheme, for the default port candidate (:443 vs :80)
};

struct Verified {
  uint64_t account = 0;  // appId of the key's account
  // Indices into `SignedRequest::params` of the parameters the matching string to sign
  // left out: the '@' values of a Python/PHP-style POST (2.2). Their values are not
  // authenticated, so nothing may act on them (the api answers kUnsignedParameter).
  // Empty when the signature covers every parameter.
  std::vector<size_t> unsigned_params;
};

// Verifies the request and returns its account. Errors:
//   kAuthFailed       missing SecretId/Signature/Timestamp/Nonce, timestamp outside
//                     the window, or no candidate string to sign matches
//   kSecretIdUnknown  SecretId not in the store
//   kSecretIdDisabled key disabled
// Candidates per 2.4 and 14: Host as received, with the default port added or removed,
// each configured public host; the path as received and, for a GET whose path is one
// path written twice, that path once (PHP SDK, 14.21b); all parameters, for POST the
// Node client's tags collapsed into one comma-joined msgTag (14.21), and for POST the
// parameters without '@' values (then reported in `unsigned_params`); Signature with
// spaces turned back into '+'. Comparison is constant-time.
//
// Names are taken as received: a caller that refuses repeated names (the api does)
// first gets one value per name, and every value but the reported ones is signed.
Result<Verified> Verify(const KeyStore& keys, const SignedRequest& request, int64_t now_seconds,
                        const VerifyOptions& options);

}  // namespace cmq::auth
