// What a client may have signed for a request as received: the hosts and parameter
// sets the official SDKs put into the string to sign (docs/cmq-api.md 2.4 step 5, 2.5
// and 14.3). Verify tries every combination.
//
// The contract that keeps this safe: every parameter set signs every received value,
// except the ones it lists in `left_out`; the host is never read by an action, so
// trying several authenticates nothing more.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/verifier.h"
#include "common/form.h"

namespace cmq::auth {

// Host strings, in order: the Host header as received; with the scheme's default
// port added when it has none, or removed when it has it; each configured public
// host. No duplicates.
std::vector<std::string> HostCandidates(const SignedRequest& request, const VerifyOptions& options);

struct ParamSet {
  ParamList params;              // what goes into the string to sign
  std::vector<size_t> left_out;  // indices into request.params of unsigned values
};

// Parameter sets, most complete first:
//  1. every received parameter but Signature;
//  2. POST only, when some value starts with '@': the set without those values
//     (Python and PHP, 2.2), which are listed in `left_out`.
std::vector<ParamSet> ParamSetCandidates(const SignedRequest& request);

}  // namespace cmq::auth
