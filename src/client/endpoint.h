// CMQ endpoint URLs: "http://host[:port][/path]" and "https://host[:port][/path]".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "client/client_error.h"

namespace cmq::client {

struct Endpoint {
  std::string host;       // for connecting: a name or IP literal, IPv6 without brackets
  uint16_t port = 80;     // 443 for https when the URL names none
  bool tls = false;       // https://
  std::string authority;  // host[:port] exactly as written: the signed host and Host header
  std::string path;       // as written, "/" when the URL has none
};

// Accepts "http://" or "https://" (scheme case-insensitive), a host name, IPv4 or
// bracketed IPv6 literal, an optional port 1-65535 and an optional path. Rejects, as
// kInvalidArgument with a message naming the problem: other schemes, user info, a
// query or fragment, spaces and control characters.
ClientResult<Endpoint> ParseEndpoint(std::string_view url);

}  // namespace cmq::client
