#include "http/scripted_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "common/http_response_parser.h"

namespace cmq::http {
namespace {

// A blocking client socket with a read timeout, so a broken server fails the test
// instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { Close(); }
  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool Send(std::string_view data) {
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // The next response; nullopt on error, timeout or EOF before it was complete.
  std::optional<HttpResponse> Read() {
    HttpResponseParser parser;
    HttpResponseParser::State s = parser.Feed(pending_);
    char buf[4096];
    while (s == HttpResponseParser::State::kNeedMore) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      s = n > 0 ? parser.Feed(std::string_view(buf, static_cast<size_t>(n))) : parser.FeedEof();
      if (n <= 0) break;
    }
    if (s != HttpResponseParser::State::kDone) return std::nullopt;
    pending_ = std::string(parser.remainder());
    return std::move(parser.response());
  }
  // Exactly `n` bytes as they come, or fewer if the connection ends first.
  std::string ReadExactly(size_t n) {
    std::string out;
    char c;
    while (out.size() < n && recv(fd_, &c, 1, 0) == 1) out.push_back(c);
    return out;
  }
  // True if the server closed the connection with nothing more to read.
  bool ReadsEof() {
    char c;
    return pending_.empty() && recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

ScriptedReply Echo(const ReceivedRequest& r) {
  return {HttpReply(200, r.method + " " + r.target + " " + r.body)};
}

TEST(ScriptedServerTest, RecordsPipelinedRequestsAndAnswersInOrder) {
  ScriptedServer server(Echo);
  ASSERT_TRUE(server.listening()) << server.error();
  Client c(server.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.Send("POST /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Id: 7\r\nContent-Length: 3\r\n\r\nabc"
             "PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
             "2\r\nhi\r\n0\r\n\r\n"));
  std::optional<HttpResponse> first = c.Read();
  std::optional<HttpResponse> second = c.Read();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "POST /a?x=1 abc");
  EXPECT_EQ(second->body, "PUT /b hi");
  std::vector<ReceivedRequest> got = server.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].path, "/a");
  EXPECT_EQ(got[0].query, "x=1");
  EXPECT_EQ(got[0].HeaderOr("x-id"), "7");
  EXPECT_EQ(got[0].HeaderOr("x-none", "absent"), "absent");
  EXPECT_EQ(got[0].connection, 1);
  EXPECT_EQ(got[1].body, "hi");
  EXPECT_EQ(got[1].connection, 1);
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.Url("/p"), "http://127.0.0.1:" + std::to_string(server.port()) + "/p");
}

TEST(ScriptedServerTest, ConnectionsAreNumberedAndCounted) {
  ScriptedServer server(Echo);
  {
    Client a(server.port());
    ASSERT_TRUE(a.Send("GET /1 HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(a.Read());
    Client b(server.port());
    ASSERT_TRUE(b.Send("GET /2 HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(b.Read());
    EXPECT_EQ(server.max_concurrent_connections(), 2);
  }
  ASSERT_TRUE(server.WaitClosed(2));
  std::vector<ReceivedRequest> got = server.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].connection, 1);
  EXPECT_EQ(got[1].connection, 2);
  EXPECT_EQ(server.connections_accepted(), 2);
  EXPECT_EQ(server.connections_closed(), 2);
}

TEST(ScriptedServerTest, MalformedRequestsAreAnsweredByTheParserAndClosed) {
  std::atomic<int> handled{0};
  ScriptedServer server([&](const ReceivedRequest& r) {
    ++handled;
    return Echo(r);
  });
  Client c(server.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nBad Header\r\n\r\n"));
  std::optional<HttpResponse> r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_FALSE(r->keep_alive);
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_EQ(server.malformed(), 1u);
  EXPECT_EQ(handled, 0);
  EXPECT_EQ(server.request_count(), 0u);
}

TEST(ScriptedServerTest, RepliesAreWrittenAsGivenThenKeptOrClosed) {
  ScriptedServer server([](const ReceivedRequest& r) {
    if (r.path == "/garbage") return ScriptedReply{"not http\r\n\r\n", ScriptedReply::Then::kClose};
    return ScriptedReply{HttpReply(204)};
  });
  Client c(server.port());
  ASSERT_TRUE(c.Send("GET /ok HTTP/1.1\r\n\r\n"));
  std::optional<HttpResponse> ok = c.Read();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 204);
  EXPECT_EQ(ok->reason, "No Content");
  ASSERT_TRUE(c.Send("GET /garbage HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(c.Read()) << "the bytes are not HTTP, and the connection closes";
  // A request that asks to close gets its answer, then the close.
  Client d(server.port());
  ASSERT_TRUE(d.Send("GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(d.Read());
  EXPECT_TRUE(d.ReadsEof());
  Client e(server.port());
  ASSERT_TRUE(e.Send("GET /ok HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(e.Read());
  EXPECT_TRUE(e.ReadsEof());
}

TEST(ScriptedServerTest, HeldConnectionsStayOpenUntilThePeerOrTheServerGoes) {
  auto server = std::make_unique<ScriptedServer>([](const ReceivedRequest&) {
    return ScriptedReply{"", ScriptedReply::Then::kHoldSilent};
  });
  Client a(server->port());
  Client b(server->port());
  ASSERT_TRUE(a.Send("GET / HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(b.Send("GET / HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(server->WaitHeldOpen(2));
  ASSERT_TRUE(a.Send("GET /ignored HTTP/1.1\r\n\r\n"));
  a.Close();
  ASSERT_TRUE(server->WaitClosed(1));
  EXPECT_EQ(server->held_open(), 1);
  EXPECT_EQ(server->request_count(), 2u) << "bytes after a held request are not requests";
  server.reset();  // closes the held connection of b
  EXPECT_TRUE(b.ReadsEof());
}

TEST(ScriptedServerTest, HandlersOfDifferentConnectionsRunAtOnce) {
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0;
  ScriptedServer server([&](const ReceivedRequest&) {
    std::unique_lock<std::mutex> lock(mu);
    ++inside;
    cv.notify_all();
    // Returns at once only if the other connection's handler runs meanwhile.
    bool both = cv.wait_for(lock, std::chrono::seconds(30), [&] { return inside == 2; });
    return ScriptedReply{HttpReply(200, both ? "both" : "alone")};
  });
  Client a(server.port());
  Client b(server.port());
  ASSERT_TRUE(a.Send("GET / HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(b.Send("GET / HTTP/1.1\r\n\r\n"));
  std::optional<HttpResponse> ra = a.Read();
  std::optional<HttpResponse> rb = b.Read();
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->body, "both");
  EXPECT_EQ(rb->body, "both");
}

TEST(ScriptedServerTest, ExpectContinueAndUnrecordedRequests) {
  ScriptedServerOptions options;
  options.record = false;
  ScriptedServer server(Echo, options);
  Client c(server.port());
  ASSERT_TRUE(c.Send("POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
  EXPECT_EQ(c.ReadExactly(25), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.Send("ok"));
  std::optional<HttpResponse> r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "POST /e ok");
  EXPECT_TRUE(server.requests().empty());
  EXPECT_EQ(server.request_count(), 1u);
}

}  // namespace
}  // namespace cmq::http
