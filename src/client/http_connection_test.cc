#include "client/http_connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "http/scripted_server.h"

namespace cmq::client {
namespace {

using http::HttpReply;
using http::ReceivedRequest;
using http::ScriptedReply;
using http::ScriptedServer;
using Then = ScriptedReply::Then;

constexpr int64_t kTimeoutMs = 10000;

HttpRequest Post(std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/v2/index.php";
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.body = std::move(body);
  return r;
}

TEST(HttpConnectionTest, KeepAliveReusesOneConnection) {
  ScriptedServer server(
      [](const ReceivedRequest& req) { return ScriptedReply{HttpReply(200, "echo:" + req.body)}; });
  HttpConnection conn("127.0.0.1", server.port(), "myhost:1234");
  for (int i = 0; i < 3; ++i) {
    ClientResult<HttpResponse> r = conn.RoundTrip(Post("n=" + std::to_string(i)), kTimeoutMs);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "echo:n=" + std::to_string(i));
  }
  EXPECT_EQ(conn.connects(), 1u);
  EXPECT_EQ(conn.retries(), 0u);
  EXPECT_TRUE(conn.is_open());
  std::vector<ReceivedRequest> reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(server.connections_accepted(), 1);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/v2/index.php");
  EXPECT_EQ(reqs[0].HeaderOr("host"), "myhost:1234");
  EXPECT_EQ(reqs[0].HeaderOr("content-length"), "3");
  EXPECT_EQ(reqs[0].HeaderOr("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(reqs[2].body, "n=2");
}

TEST(HttpConnectionTest, ChunkedResponseAndLargeBodies) {
  std::string big(3 << 20, 'x');
  ScriptedServer server([&](const ReceivedRequest& req) {
    if (req.body == "chunked") {
      return ScriptedReply{
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"};
    }
    return ScriptedReply{HttpReply(200, std::to_string(req.body.size()) + big)};
  });
  HttpConnection conn("localhost", server.port(), "localhost");
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("chunked"), kTimeoutMs);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->body, "{\"a\":1}");
  r = conn.RoundTrip(Post(big), kTimeoutMs);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->body, std::to_string(big.size()) + big);
  EXPECT_EQ(conn.connects(), 1u);
}

TEST(HttpConnectionTest, ConnectionCloseClosesAfterReading) {
  ScriptedServer server([](const ReceivedRequest&) {
    return ScriptedReply{HttpReply(200, "bye", "Connection: close\r\n"), Then::kClose};
  });
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("a"), kTimeoutMs);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->body, "bye");
  EXPECT_FALSE(r->keep_alive);
  EXPECT_FALSE(conn.is_open());
  r = conn.RoundTrip(Post("b"), kTimeoutMs);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(conn.connects(), 2u);
  EXPECT_EQ(conn.retries(), 0u);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(HttpConnectionTest, BodyDelimitedByClose) {
  ScriptedServer server([](const ReceivedRequest&) {
    return ScriptedReply{"HTTP/1.1 200 OK\r\n\r\nuntil close", Then::kClose};
  });
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("a"), kTimeoutMs);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->body, "until close");
  EXPECT_FALSE(conn.is_open());
}

// The server drops a kept-alive connection just as the next request arrives: the
// request is sent again, once, on a new connection.
TEST(HttpConnectionTest, ReusedConnectionClosedBeforeResponseIsRetriedOnce) {
  std::atomic<int> seen{0};
  ScriptedServer server([&](const ReceivedRequest& req) {
    int n = ++seen;
    if (n == 2) return ScriptedReply{"", Then::kClose};
    return ScriptedReply{HttpReply(200, "r" + std::to_string(n) + ":" + req.body)};
  });
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ASSERT_TRUE(conn.RoundTrip(Post("first"), kTimeoutMs).ok());
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("second"), kTimeoutMs);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->body, "r3:second");
  EXPECT_EQ(conn.connects(), 2u);
  EXPECT_EQ(conn.retries(), 1u);
  std::vector<ReceivedRequest> reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].body, "second");
  EXPECT_EQ(reqs[1].connection, 1);
  EXPECT_EQ(reqs[2].body, "second");
  EXPECT_EQ(reqs[2].connection, 2);
}

// An idle connection the server closed earlier is replaced before sending, or retried;
// either way the call succeeds on a second connection.
TEST(HttpConnectionTest, IdleConnectionClosedByServerIsReplaced) {
  ScriptedServer server([](const ReceivedRequest&) {
    return ScriptedReply{HttpReply(200, "ok"), Then::kClose};  // closes without saying so
  });
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ASSERT_TRUE(conn.RoundTrip(Post("a"), kTimeoutMs).ok());
  EXPECT_TRUE(conn.is_open());
  ASSERT_TRUE(server.WaitClosed(1));
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("b"), kTimeoutMs);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(conn.connects(), 2u);
}

TEST(HttpConnectionTest, FreshConnectionClosedIsNotRetried) {
  ScriptedServer server([](const ReceivedRequest&) { return ScriptedReply{"", Then::kClose}; });
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("a"), kTimeoutMs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(r.error().request_sent);
  EXPECT_TRUE(r.error().outcome_unknown());
  EXPECT_EQ(conn.retries(), 0u);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_FALSE(conn.is_open());
}

TEST(HttpConnectionTest, ResponseCutShortIsNotRetried) {
  std::atomic<int> seen{0};
  ScriptedServer server([&](const ReceivedRequest&) {
    if (++seen == 1) return ScriptedReply{HttpReply(200, "ok")};
    return ScriptedReply{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", Then::kClose};
  });
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ASSERT_TRUE(conn.RoundTrip(Post("a"), kTimeoutMs).ok());
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("b"), kTimeoutMs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_NE(r.error().message.find("middle"), std::string::npos);
  EXPECT_EQ(conn.retries(), 0u);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(HttpConnectionTest, RetryHappensAtMostOnce) {
  std::atomic<int> seen{0};
  ScriptedServer server([&](const ReceivedRequest&) {
    if (++seen == 1) return ScriptedReply{HttpReply(200, "ok")};
    return ScriptedReply{"", Then::kClose};
  });
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ASSERT_TRUE(conn.RoundTrip(Post("a"), kTimeoutMs).ok());
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("b"), kTimeoutMs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(conn.retries(), 1u);
  EXPECT_EQ(server.requests().size(), 3u);
}

// The retry of a request the server may have applied (it read it, then closed the
// kept-alive connection) fails before sending anything: the call's outcome is still
// unknown, since the first attempt may have taken effect.
TEST(HttpConnectionTest, RetryThatSendsNothingKeepsTheOutcomeUnknown) {
  std::atomic<int> seen{0};
  ScriptedServer* self = nullptr;
  ScriptedServer server([&](const ReceivedRequest&) {
    if (++seen == 1) return ScriptedReply{HttpReply(200, "ok")};
    self->StopAccepting();  // the retry's connect is refused
    return ScriptedReply{"", Then::kClose};
  });
  self = &server;
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ASSERT_TRUE(conn.RoundTrip(Post("a"), kTimeoutMs).ok());
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("b"), kTimeoutMs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(conn.retries(), 1u);
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_TRUE(r.error().request_sent) << r.error().ToString();
  EXPECT_TRUE(r.error().outcome_unknown()) << r.error().ToString();
}

TEST(HttpConnectionTest, ResponseTimeout) {
  ScriptedServer server([](const ReceivedRequest&) {
    return ScriptedReply{"HTTP/1.1 200 OK\r\n", Then::kHoldSilent};
  });
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("a"), 50);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_TRUE(r.error().outcome_unknown());
  EXPECT_FALSE(conn.is_open());
  EXPECT_EQ(conn.retries(), 0u);
}

TEST(HttpConnectionTest, GarbageIsAProtocolError) {
  ScriptedServer server([](const ReceivedRequest&) {
    return ScriptedReply{"220 smtp.example.com ESMTP\r\n\r\n", Then::kClose};
  });
  HttpConnection conn("127.0.0.1", server.port(), "h");
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("a"), kTimeoutMs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kProtocol);
}

TEST(HttpConnectionTest, RefusedConnectionSendsNothing) {
  // Reserve a free port, then close it so nothing listens there.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  HttpConnection conn("127.0.0.1", ntohs(addr.sin_port), "h");
  ClientResult<HttpResponse> r = conn.RoundTrip(Post("a"), kTimeoutMs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_FALSE(r.error().request_sent);
  EXPECT_FALSE(r.error().outcome_unknown());
  EXPECT_NE(r.error().message.find("refused"), std::string::npos);
}

}  // namespace
}  // namespace cmq::client
