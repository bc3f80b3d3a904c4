#include "common/endpoint_url.h"

#include "common/strings.h"

namespace cmq {
namespace {

Status Bad(std::string_view url, const char* why) {
  return Status(ErrorCode::kInvalidParameters,
                "endpoint '" + std::string(url.substr(0, 200)) + "': " + why);
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string EndpointUrl::PoolKey() const {
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

Result<EndpointUrl> ParseEndpointUrl(std::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Bad(url, "contains whitespace or control characters");
    }
  }
  EndpointUrl out;
  std::string_view rest;
  if (url.size() >= 7 && EqualsIgnoreCase(url.substr(0, 7), "http://")) {
    rest = url.substr(7);
  } else if (url.size() >= 8 && EqualsIgnoreCase(url.substr(0, 8), "https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return Bad(url, "must start with http:// or https://");
  }
  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return Bad(url, "user info is not supported");
  if (authority.empty()) return Bad(url, "empty host");

  std::string_view host, port_text;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad(url, "unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Bad(url, "garbage after [IPv6] host");
      port_text = after.substr(1);
      if (port_text.empty()) return Bad(url, "empty port");
    }
    if (host.empty()) return Bad(url, "empty host");
    out.address = IpAddress::Parse(host);
    if (!out.address || out.address->is_v4()) return Bad(url, "bad IPv6 literal");
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Bad(url, "empty port");
    }
    if (host.empty()) return Bad(url, "empty host");
    if (host.size() > 253) return Bad(url, "host name too long");
    for (char c : host) {
      if (!IsHostChar(c)) return Bad(url, "bad character in host");
    }
  }
  out.port = out.tls ? 443 : 80;
  if (!port_text.empty()) {
    for (char c : port_text) {
      if (c < '0' || c > '9') return Bad(url, "port must be a number");
    }
    auto port = ParseInt64(port_text);
    if (!port || *port < 1 || *port > 65535) return Bad(url, "port out of range");
    out.port = static_cast<uint16_t>(*port);
  }
  out.host = AsciiLower(host);
  if (!out.address) out.address = IpAddress::ParseHost(out.host);
  out.host_header = std::string(authority);
  size_t fragment = tail.find('#');
  if (fragment != std::string_view::npos) tail = tail.substr(0, fragment);
  // An empty path is "/", and so is the path of a query alone. (Built by appending:
  // GCC 12 warns falsely on assigning a literal here, PR105329.)
  out.target.clear();
  if (tail.empty() || tail.front() == '?') out.target.push_back('/');
  out.target.append(tail);
  return out;
}

}  // namespace cmq
