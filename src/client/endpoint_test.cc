#include "client/endpoint.h"

#include <gtest/gtest.h>

namespace cmq::client {
namespace {

TEST(EndpointTest, Parses) {
  ClientResult<Endpoint> e = ParseEndpoint("http://127.0.0.1:8080");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 8080);
  EXPECT_EQ(e->authority, "127.0.0.1:8080");
  EXPECT_EQ(e->path, "/");

  e = ParseEndpoint("HTTP://cmq-queue-gz.api.qcloud.com/v2/index.php");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "cmq-queue-gz.api.qcloud.com");
  EXPECT_EQ(e->port, 80);
  EXPECT_EQ(e->authority, "cmq-queue-gz.api.qcloud.com");
  EXPECT_EQ(e->path, "/v2/index.php");

  // A port written as the default is still signed as written (section 2.5).
  e = ParseEndpoint("http://h:80/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->authority, "h:80");
  EXPECT_EQ(e->path, "/");

  e = ParseEndpoint("http://[::1]:9000/x/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 9000);
  EXPECT_EQ(e->authority, "[::1]:9000");
  EXPECT_EQ(e->path, "/x/");
}

TEST(EndpointTest, RejectsWithClearMessage) {
  const char* bad[] = {
      "",           "127.0.0.1:80",       "ftp://h",           "http://",
      "http://:80", "http://h:",          "http://h:0",        "http://h:65536",
      "http://h:x", "http://u@h",         "http://h/p?q=1",    "http://h/p#f",
      "http://h p", "http://[::1",        "http://[zz]:1",     "http://h:1:2",
      "http://h\n", "http://[::1]x",      "http://ho$t/",
  };
  for (const char* url : bad) {
    ClientResult<Endpoint> e = ParseEndpoint(url);
    ASSERT_FALSE(e.ok()) << url;
    EXPECT_EQ(e.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(e.error().message.find("invalid endpoint"), std::string::npos);
    EXPECT_FALSE(e.error().request_sent);
  }
  ClientResult<Endpoint> e = ParseEndpoint("ftp://h");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("https://"), std::string::npos);
}

TEST(EndpointTest, HttpsDefaultsToPort443) {
  ClientResult<Endpoint> e = ParseEndpoint("HTTPS://cmq.example/v2/index.php");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->authority, "cmq.example");
  EXPECT_EQ(e->path, "/v2/index.php");
  ClientResult<Endpoint> plain = ParseEndpoint("http://[::1]:8443");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, 8443);
}

}  // namespace
}  // namespace cmq::client
