#include "client/endpoint.h"

#include <algorithm>

#include "common/strings.h"

namespace cmq::client {
namespace {

Error Invalid(std::string_view url, std::string_view why) {
  return MakeError(ErrorKind::kInvalidArgument,
                   "invalid endpoint \"" + std::string(url) + "\": " + std::string(why));
}

bool IsHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_';
}

}  // namespace

ClientResult<Endpoint> ParseEndpoint(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  constexpr std::string_view kHttps = "https://";
  Endpoint ep;
  size_t scheme_size = kHttp.size();
  if (url.size() >= kHttps.size() && EqualsIgnoreCase(url.substr(0, kHttps.size()), kHttps)) {
    ep.tls = true;
    ep.port = 443;
    scheme_size = kHttps.size();
  } else if (url.size() < kHttp.size() || !EqualsIgnoreCase(url.substr(0, kHttp.size()), kHttp)) {
    return Invalid(url, "must start with http:// or https://");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Invalid(url, "contains a space or control character");
    }
  }
  std::string_view rest = url.substr(scheme_size);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Invalid(url, "a query or fragment is not allowed");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  ep.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty()) return Invalid(url, "missing host");
  if (authority.find('@') != std::string_view::npos) {
    return Invalid(url, "user info is not allowed");
  }
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid(url, "unterminated [IPv6] literal");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Invalid(url, "unexpected text after ]");
      has_port = true;
      port = after.substr(1);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F');
        })) {
      return Invalid(url, "bad IPv6 literal");
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
    if (host.empty()) return Invalid(url, "missing host");
    if (!std::all_of(host.begin(), host.end(), IsHostNameChar)) {
      return Invalid(url, "bad character in host name");
    }
  }
  if (has_port) {
    std::optional<uint64_t> p = ParseUint64(port);
    if (port.empty() || !p || *p == 0 || *p > 65535) {
      return Invalid(url, "port must be a number from 1 to 65535");
    }
    ep.port = static_cast<uint16_t>(*p);
  }
  ep.host = std::string(host);
  ep.authority = std::string(authority);
  return ep;
}

}  // namespace cmq::client
