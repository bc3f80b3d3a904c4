#include "console/request_checks.h"

#include <string>

namespace cmq::console {

std::string_view CookieValue(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    size_t end = cookie_header.find(';');
    std::string_view pair = cookie_header.substr(0, end);
    cookie_header = end == std::string_view::npos ? "" : cookie_header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return "";
}

bool FromSameOrigin(const http::Request& request, bool https) {
  if (const std::string* site = request.Header("sec-fetch-site");
      site != nullptr && *site != "same-origin") {
    return false;
  }
  const std::string* origin = request.Header("origin");
  if (origin == nullptr) return true;
  return *origin == std::string(https ? "https://" : "http://").append(request.host);
}

}  // namespace cmq::console
