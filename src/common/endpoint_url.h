// EndpointUrl: the parts of an HTTP subscription endpoint (docs/cmq-api.md 8.1, 9.5).
// One parser for both ends: the api accepts at Subscribe only what this parser
// accepts, and the pusher parses the stored endpoint again before each push (treating
// anything it cannot use as a failed attempt), so both see the same host and address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "common/status.h"

namespace cmq {

struct EndpointUrl {
  bool tls = false;  // https://
  std::string host;  // lower-cased; IPv6 without brackets
  // The address when `host` is one in any form the resolver reads as an address
  // (IpAddress::ParseHost: "127.1", "0x7f000001", "[::1]" ...); nullopt for a name.
  std::optional<IpAddress> address;
  uint16_t port = 0;        // explicit or the scheme's default
  std::string host_header;  // Host header value: authority as written
  std::string target;       // path + query as written ("/" when the URL has none)

  // Connections are pooled per (scheme, host, port).
  std::string PoolKey() const;
};

// Accepts "http://" or "https://" (scheme case-insensitive), a host name of
// [A-Za-z0-9._~-] (at most 253 characters), an IPv4 literal or a bracketed IPv6
// literal, an optional port 1..65535, then an optional path/query. A fragment is
// dropped (it is never sent). Rejects user info, whitespace and control characters,
// empty hosts, bad IPv6 literals and bad ports with kInvalidParameters naming the
// problem.
Result<EndpointUrl> ParseEndpointUrl(std::string_view url);

}  // namespace cmq
