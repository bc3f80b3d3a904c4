#include "common/endpoint_url.h"

#include <gtest/gtest.h>

namespace cmq {
namespace {

TEST(EndpointUrlTest, SplitsHostPortAndTarget) {
  auto u = ParseEndpointUrl("http://Example.COM:8080/cgi/push?a=1&b=2");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->host_header, "Example.COM:8080");
  EXPECT_EQ(u->target, "/cgi/push?a=1&b=2");
  EXPECT_EQ(u->PoolKey(), "http://example.com:8080");
}

TEST(EndpointUrlTest, DefaultsPortAndPath) {
  auto u = ParseEndpointUrl("HTTPS://hooks.example");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->host_header, "hooks.example");
  u = ParseEndpointUrl("http://h?x=1#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/?x=1");
  u = ParseEndpointUrl("http://h/p#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "/p");
}

TEST(EndpointUrlTest, Ipv6Literal) {
  auto u = ParseEndpointUrl("http://[::1]:9000/x");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->host_header, "[::1]:9000");
  u = ParseEndpointUrl("https://[fe80::1]");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 443);
}

TEST(EndpointUrlTest, AddressHostsInEveryFormAreReadOnce) {
  EXPECT_EQ(ParseEndpointUrl("http://10.0.0.1/")->address->ToString(), "10.0.0.1");
  EXPECT_EQ(ParseEndpointUrl("http://2130706433:81/")->address->ToString(), "127.0.0.1");
  EXPECT_EQ(ParseEndpointUrl("http://0x7F000001/")->address->ToString(), "127.0.0.1");
  EXPECT_EQ(ParseEndpointUrl("http://[::FFFF:127.0.0.1]/")->address->ToString(),
            "::ffff:127.0.0.1");
  EXPECT_FALSE(ParseEndpointUrl("http://hooks.example.com/")->address.has_value());
  EXPECT_FALSE(ParseEndpointUrl("http://1.2.3.4.5/")->address.has_value()) << "a name";
  EXPECT_TRUE(ParseEndpointUrl("http://a-b.c_d~e/").ok());
  for (const char* bad : {"http://[1.2.3.4]/", "http://[::1%25eth0]/", "http://[fe80::zz]/"}) {
    EXPECT_FALSE(ParseEndpointUrl(bad).ok()) << bad;
  }
}

TEST(EndpointUrlTest, RejectsWhatCannotBeUsed) {
  for (const char* bad :
       {"", "ftp://h/", "http://", "http:///x", "http://h:/", "http://h:0/", "http://h:65536/",
        "http://h:8x/", "http://user:pw@h/", "http://h h/", "http://h/a b", "http://[::1/",
        "http://[]/", "http://[::1]x/", "http://h\r\nX: y/", "http://ho$t/", "mailto:x"}) {
    EXPECT_FALSE(ParseEndpointUrl(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseEndpointUrl("http://" + std::string(300, 'a') + "/").ok());
  Status s = ParseEndpointUrl("gopher://x").status();
  EXPECT_NE(s.detail().find("http://"), std::string::npos) << s.detail();
}

}  // namespace
}  // namespace cmq
