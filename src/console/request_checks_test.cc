#include "console/request_checks.h"

#include <gtest/gtest.h>

namespace cmq::console {
namespace {

TEST(RequestChecksTest, CookieValue) {
  EXPECT_EQ(CookieValue("cmq_session=abc", "cmq_session"), "abc");
  EXPECT_EQ(CookieValue("a=1; cmq_session=abc; b=2", "cmq_session"), "abc");
  EXPECT_EQ(CookieValue("xcmq_session=abc", "cmq_session"), "");
  EXPECT_EQ(CookieValue("cmq_session", "cmq_session"), "");
  EXPECT_EQ(CookieValue("", "cmq_session"), "");
  EXPECT_EQ(CookieValue(";;cmq_session=;", "cmq_session"), "");
}

http::Request WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.host = "127.0.0.1:8081";
  r.headers = std::move(headers);
  return r;
}

TEST(RequestChecksTest, FromSameOrigin) {
  EXPECT_TRUE(FromSameOrigin(WithHeaders({}), false));
  EXPECT_TRUE(FromSameOrigin(WithHeaders({{"origin", "http://127.0.0.1:8081"}}), false));
  EXPECT_FALSE(FromSameOrigin(WithHeaders({{"origin", "http://127.0.0.1:8081"}}), true));
  EXPECT_TRUE(FromSameOrigin(WithHeaders({{"origin", "https://127.0.0.1:8081"}}), true));
  EXPECT_FALSE(FromSameOrigin(WithHeaders({{"origin", "http://evil.example"}}), false));
  EXPECT_FALSE(FromSameOrigin(WithHeaders({{"origin", "null"}}), false));
  EXPECT_TRUE(FromSameOrigin(WithHeaders({{"sec-fetch-site", "same-origin"}}), false));
  EXPECT_FALSE(FromSameOrigin(WithHeaders({{"sec-fetch-site", "same-site"}}), false));
  EXPECT_FALSE(FromSameOrigin(WithHeaders({{"sec-fetch-site", "cross-site"}}), false));
  EXPECT_FALSE(FromSameOrigin(
      WithHeaders({{"origin", "http://127.0.0.1:8081"}, {"sec-fetch-site", "cross-site"}}), false));
}

}  // namespace
}  // namespace cmq::console
