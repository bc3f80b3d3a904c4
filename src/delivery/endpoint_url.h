// EndpointUrl: the parts of an HTTP subscription endpoint the pusher needs
// (docs/cmq-api.md 8.1, 9.5). The api validated the endpoint at Subscribe time, but
// the pusher parses again and treats anything it cannot use as a failed attempt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace cmq::delivery {

struct EndpointUrl {
  bool tls = false;          // https://
  std::string host;          // lower-cased; IPv6 without brackets
  uint16_t port = 0;         // explicit or the scheme's default
  std::string host_header;   // Host header value: authority as written
  std::string target;        // path + query as written ("/" when the URL has none)

  // Connections are pooled per (scheme, host, port).
  std::string PoolKey() const;
};

// Accepts "http://" or "https://" (scheme case-insensitive), a host name, IPv4 or
// [IPv6] literal, an optional port 1..65535, then an optional path/query. A fragment
// is dropped (it is never sent). Rejects user info, whitespace and control
// characters, empty hosts and bad ports with kInvalidParameters naming the problem.
Result<EndpointUrl> ParseEndpointUrl(std::string_view url);

}  // namespace cmq::delivery
