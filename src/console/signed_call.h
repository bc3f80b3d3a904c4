// SignedCall: a console call made a real signed CMQ API request (docs/architecture.md,
// "Web console"), for a node that does not run the call itself: the distributed mode's
// standby passes it to the partition's owner, which verifies it like any client's.
#pragma once

#include <cstdint>
#include <string>

#include "auth/verifier.h"
#include "common/form.h"
#include "http/server.h"

namespace cmq::console {

// POST / to `host` ("host:port", the signed Host) with `form` (the browser's Action and
// parameters), signed with `credential` (the session's key pair, HmacSHA256) at
// `now_seconds` with a random Nonce. Whatever the browser sent as SecretId, Signature,
// Timestamp, Nonce or SignatureMethod is left out: the session's account signs. `peer`
// (the browser's address) becomes the request's peer, so a forward names it in
// X-Forwarded-For; no header of the browser's (its cookie, its CSRF token) goes along.
http::Request SignedCall(const auth::Credential& credential, const ParamList& form,
                         const std::string& host, const std::string& peer, int64_t now_seconds);

}  // namespace cmq::console
