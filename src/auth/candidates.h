// What a client may have signed for a request as received: the hosts, paths and
// parameter sets the official SDKs put into the string to sign (docs/cmq-api.md 2.4
// step 5, 2.5, 14.3 and 14.21). Verify tries every combination.
//
// The contract that keeps this safe: every parameter set signs every received value,
// except the ones it lists in `left_out`; the host and the path are never read by an
// action, so trying several of them authenticates nothing more.
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

// The path as received; for a GET whose path is one path written twice
// ("/v2/index.php/v2/index.php", the PHP SDK's GET URL), also that path once.
std::vector<std::string_view> PathCandidates(const SignedRequest& request);

struct ParamSet {
  ParamList params;              // what goes into the string to sign
  std::vector<size_t> left_out;  // indices into request.params of unsigned values
};

// Parameter sets, most complete first:
//  1. every received parameter but Signature;
//  2. POST only, the Node client's PublishMessage (14.21): the msgTag.N values
//     replaced by one `msgTag` holding them comma-joined in index order. Offered only
//     when that join can be split back unambiguously into exactly the tags the api
//     reads: every name that folds to msgTag / msgTag.* is spelled "msgTag.<index>"
//     (no plain msgTag), indices are well-formed, and no tag holds a comma;
//  3. POST only, when some value starts with '@': the set without those values
//     (Python and PHP, 2.2), which are listed in `left_out`.
std::vector<ParamSet> ParamSetCandidates(const SignedRequest& request);

}  // namespace cmq::auth
