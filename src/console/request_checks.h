// What the console checks of a request before it trusts it: the session cookie, and
// that a state-changing request comes from the console's own pages (CSRF).
#pragma once

#include <string_view>

#include "http/server.h"

namespace cmq::console {

// The value of cookie `name` in a Cookie header ("a=1; b=2"), "" when absent.
std::string_view CookieValue(std::string_view cookie_header, std::string_view name);

// Whether a browser says the request comes from a page of this origin: the Origin
// header, when sent, is `http://` (`https://` when `https`) followed by the Host
// header; Sec-Fetch-Site, when sent, is "same-origin". A client that is not a browser
// sends neither and passes (it is then held to the CSRF token alone).
bool FromSameOrigin(const http::Request& request, bool https);

}  // namespace cmq::console
