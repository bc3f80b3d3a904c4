#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"

namespace cmq::http {
namespace {

constexpr auto kWait = std::chrono::seconds(10);

// Answers "<method> <target>\n<body>", except:
//   /park?ms=N  answers "parked <target>" after N ms (a loop timer: a long poll)
//   /hold       keeps the responder until the test releases it
//   /close      asks the server to close after the answer
class TestHandler : public Handler {
 public:
  explicit TestHandler(EventLoop* loop) : loop_(loop) {}

  void OnRequest(Request request, Responder respond,
                 std::function<void(std::function<void()>)> set_on_cancel) override {
    ++requests;
    if (request.path == "/park") {
      int64_t ms = std::atoll(request.query.substr(request.query.find('=') + 1).c_str());
      set_on_cancel([this] { ++cancels; });
      loop_->RunAfter(ms, [respond, target = request.target] {
        Response r;
        r.body = "parked " + target;
        respond(std::move(r));
      });
      return;
    }
    if (request.path == "/hold") {
      held.push_back(std::move(respond));
      set_on_cancel([this] { ++cancels; });
      return;
    }
    Response r;
    r.body = request.method + " " + request.target + "\n" + request.body;
    r.headers.emplace_back("X-Host", request.host);
    r.headers.emplace_back("X-Peer", request.peer);
    r.close = request.path == "/close";
    respond(std::move(r));
  }

  std::atomic<int> requests{0};
  std::atomic<int> cancels{0};
  std::vector<Responder> held;  // loop thread only

 private:
  EventLoop* loop_;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
};

// A blocking test client. Reads time out after 10 s so a broken server fails the
// test instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port, const char* ip = "127.0.0.1") {
    bool v6 = std::string(ip).find(':') != std::string::npos;
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int rc;
    if (v6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(port);
      inet_pton(AF_INET6, ip, &addr.sin6_addr);
      rc = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      inet_pton(AF_INET, ip, &addr.sin_addr);
      rc = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    }
    connected_ = rc == 0;
  }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response (a 100 Continue counts as one). nullopt on EOF, error or timeout.
  std::optional<HttpResponse> Read() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    HttpResponse r;
    std::string head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    if (head.compare(0, 9, "HTTP/1.1 ") != 0) return std::nullopt;
    r.status = std::atoi(head.c_str() + 9);
    size_t pos = head.find("\r\n") + 2;
    while (pos < head.size()) {
      size_t eol = head.find("\r\n", pos);
      std::string line = head.substr(pos, eol - pos);
      pos = eol + 2;
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers.emplace_back(name, v == std::string::npos ? "" : line.substr(v));
    }
    if (r.status == 100) return r;
    size_t length = std::strtoul(r.Header("content-length").c_str(), nullptr, 10);
    if (head_request_) length = 0;
    while (buf_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // True if the server closed the connection (EOF or reset) with nothing more to read.
  bool ReadsEof() {
    if (!buf_.empty()) return false;
    char c;
    ssize_t n = recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  void set_head_request(bool v) { head_request_ = v; }

 private:
  bool Fill() {
    char tmp[65536];
    ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool head_request_ = false;
  std::string buf_;
};

std::string Post(std::string_view target, std::string_view body, std::string_view extra = "") {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string Get(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n\r\n";
}

class ServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options = {}) {
    handler_ = std::make_unique<TestHandler>(&loop_);
    server_ = std::make_unique<Server>(&loop_, handler_.get(), options);
    Status s = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(s.ok()) << s.ToString();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { loop_.Run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      loop_.Stop();
      thread_.join();
    }
    server_.reset();
  }

  // Runs `fn` on the loop thread and returns its result.
  template <typename Fn>
  auto OnLoop(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    loop_.Post([&task] { task(); });
    EXPECT_EQ(result.wait_for(kWait), std::future_status::ready);
    return result.get();
  }

  // Waits (bounded) until `pred`, evaluated on the loop thread, holds.
  bool WaitUntil(std::function<bool()> pred) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (OnLoop(pred)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }

  size_t Pending() {
    return OnLoop([this] { return server_->PendingRequests(); });
  }
  size_t Open() {
    return OnLoop([this] { return server_->OpenConnections(); });
  }

  EventLoop loop_;
  std::unique_ptr<TestHandler> handler_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(ServerTest, ManyRequestsOnOneKeepAliveConnection) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 200; ++i) {
    std::string body = "n=" + std::to_string(i);
    ASSERT_TRUE(c.Send(Post("/v2/index.php", body)));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "POST /v2/index.php\n" + body);
    EXPECT_EQ(r->Header("connection"), "keep-alive");
    EXPECT_EQ(r->Header("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(r->Header("x-host"), "test");
    EXPECT_EQ(r->Header("x-peer").rfind("127.0.0.1:", 0), 0u);
  }
  EXPECT_EQ(Open(), 1u);
  EXPECT_EQ(handler_->requests, 200);
}

TEST_F(ServerTest, PipelinedResponsesStayInOrder) {
  Start();
  Client c(port_);
  // The first request is answered last by the handler; responses still come in order.
  ASSERT_TRUE(c.Send(Get("/park?ms=50") + Post("/fast", "x") + Get("/park?ms=1") +
                     Get("/also-fast")));
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << i;
    bodies.push_back(r->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"parked /park?ms=50", "POST /fast\nx",
                                              "parked /park?ms=1", "GET /also-fast\n"}));
}

TEST_F(ServerTest, ManyPipelinedRequestsInOneWrite) {
  Start();
  Client c(port_);
  std::string all;
  for (int i = 0; i < 2000; ++i) all += Get("/r" + std::to_string(i));
  // Send from another thread: the server's answers may fill our receive buffer first.
  std::thread sender([&] { EXPECT_TRUE(c.Send(all)); });
  for (int i = 0; i < 2000; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << i;
    ASSERT_EQ(r->body, "GET /r" + std::to_string(i) + "\n");
  }
  sender.join();
}

TEST_F(ServerTest, ChunkedRequestBody) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.Send("POST /chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"));
  ASSERT_TRUE(c.Send("lo\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "POST /chunked\nhello world");
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.Send("POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = c.Read();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.Send("body"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /e\nbody");
}

TEST_F(ServerTest, ExpectContinueWithTooLargeBodyGetsFinalAnswer) {
  ServerOptions options;
  options.max_body_bytes = 100;
  Start(options);
  Client c(port_);
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
}

struct BadInput {
  const char* name;
  std::string request;
  int status;
};

TEST_F(ServerTest, MalformedInputGetsStatusAndClose) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  options.max_body_bytes = 1024;
  Start(options);
  std::vector<BadInput> cases = {
      {"bad request line", "GET /\r\n\r\n", 400},
      {"garbage", "\x16\x03\x01 hello\r\n\r\n", 400},
      {"long request line", "GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n", 414},
      {"oversized headers", "GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", 431},
      {"oversized body", Post("/", std::string(1025, 'b')), 413},
      {"bad content length", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400},
      {"conflicting content lengths",
       "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"CL and TE",
       "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400},
      {"unsupported coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"HTTP/2", "GET / HTTP/2.0\r\n\r\n", 505},
  };
  for (const BadInput& bad : cases) {
    SCOPED_TRACE(bad.name);
    Client c(port_);
    ASSERT_TRUE(c.Send(bad.request));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, bad.status);
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_EQ(r->Header("content-type"), "text/plain; charset=utf-8");
    EXPECT_FALSE(r->body.empty());
    EXPECT_TRUE(c.ReadsEof());
  }
  EXPECT_EQ(handler_->requests, 0);
  EXPECT_TRUE(WaitUntil([this] { return server_->OpenConnections() == 0; }));
}

TEST_F(ServerTest, ErrorAfterGoodRequestsOnSameConnection) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/ok") + "BAD\r\n\r\n" + Get("/never")));
  auto ok = c.Read();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  auto bad = c.Read();
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_EQ(handler_->requests, 1);
}

TEST_F(ServerTest, OversizedBodyBeingSentStillGetsTheAnswer) {
  // The server answers 413 while the client is still sending; lingering on close keeps
  // the unread body from turning the close into a reset that would eat the answer.
  ServerOptions options;
  options.max_body_bytes = 1024;
  Start(options);
  Client c(port_);
  std::thread sender([&] { c.Send(Post("/", std::string(1 << 20, 'z'))); });
  auto r = c.Read();
  sender.join();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, SlowClientGetsRequestTimeout) {
  ServerOptions options;
  options.request_timeout_ms = 200;
  Start(options);
  Client c(port_);
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_EQ(handler_->requests, 0);
}

TEST_F(ServerTest, HeadersTricklingTooSlowlyGetRequestTimeout) {
  ServerOptions options;
  options.request_timeout_ms = 200;
  Start(options);
  Client c(port_);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nX-A: 1\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
}

TEST_F(ServerTest, IdleConnectionIsClosedAfterIdleTimeout) {
  ServerOptions options;
  options.idle_timeout_ms = 200;
  Start(options);
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/one")));
  ASSERT_TRUE(c.Read().has_value());
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_TRUE(WaitUntil([this] { return server_->OpenConnections() == 0; }));
}

TEST_F(ServerTest, ParkedRequestIsNotKilledByTimeouts) {
  ServerOptions options;
  options.request_timeout_ms = 50;
  options.idle_timeout_ms = 50;
  Start(options);
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/park?ms=300")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "parked /park?ms=300");
  EXPECT_EQ(handler_->cancels, 0);
}

TEST_F(ServerTest, DisconnectWhileParkedCallsOnCancel) {
  Start();
  {
    Client c(port_);
    ASSERT_TRUE(c.Send(Get("/hold")));
    ASSERT_TRUE(WaitUntil([this] { return server_->PendingRequests() == 1; }));
  }
  EXPECT_TRUE(WaitUntil([this] { return handler_->cancels == 1; }));
  EXPECT_EQ(Pending(), 0u);
  EXPECT_EQ(Open(), 0u);
  // Answering the cancelled request afterwards is harmless.
  OnLoop([this] {
    Response r;
    handler_->held.at(0)(r);
    handler_->held.at(0)(r);
    return 0;
  });
  EXPECT_EQ(Pending(), 0u);
}

TEST_F(ServerTest, DisconnectWhileParkedBehindPipelinedBacklog) {
  // More pipelined input than the server buffers behind a parked request: it stops
  // reading, yet still notices the client leaving. (The rest must fit the kernel's
  // socket buffers, or the client's FIN could not arrive before the answer.)
  Start();
  {
    Client c(port_);
    ASSERT_TRUE(c.Send(Get("/hold") + Post("/next", std::string(150 << 10, 'p'))));
    ASSERT_TRUE(WaitUntil([this] { return server_->PendingRequests() == 1; }));
  }
  EXPECT_TRUE(WaitUntil([this] { return handler_->cancels == 1; }));
  EXPECT_TRUE(WaitUntil([this] { return server_->OpenConnections() == 0; }));
  EXPECT_EQ(handler_->requests, 1);
}

TEST_F(ServerTest, RunningOutOfFileDescriptorsPausesAccepting) {
  LogCapture capture;
  Start();
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  constexpr int kClients = 3;
  int fds[kClients];
  for (int& fd : fds) fd = socket(AF_INET, SOCK_STREAM, 0);
  int lowest_free = dup(0);
  close(lowest_free);
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(lowest_free);  // no new descriptor anywhere
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  for (int fd : fds) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    std::string req = Get("/emfile");
    ASSERT_EQ(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  }
  // The connections were pending before these round trips, so accept4 has failed.
  // Plain posts and an atomic, not OnLoop: UBSan's vptr check (packaged_task,
  // shared_ptr) needs a free descriptor, and there is none until the limit is back.
  std::atomic<int> rounds{0};
  std::atomic<size_t> open{99};
  for (int round = 1; round <= 2; ++round) {
    loop_.Post([&] {
      open = server_->OpenConnections();
      ++rounds;
    });
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (rounds.load() < round && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    EXPECT_EQ(rounds.load(), round);
    EXPECT_EQ(open.load(), 0u);
  }
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_GE(capture.Count("ERROR http: accept: Too many open files (0 connections open); "
                          "accepting again in 100 ms"),
            1u);
  for (int fd : fds) {
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    ASSERT_GT(n, 12);
    EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 200");
    close(fd);
  }
}

TEST_F(ServerTest, ThousandParkedConnectionsAnsweredLater) {
  Start();
  constexpr int kClients = 1000;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(clients.back()->connected()) << i;
    ASSERT_TRUE(clients.back()->Send(Post("/hold", std::to_string(i))));
  }
  ASSERT_TRUE(WaitUntil([this] { return server_->PendingRequests() == kClients; }));
  EXPECT_EQ(Open(), static_cast<size_t>(kClients));
  OnLoop([this] {
    for (size_t i = 0; i < handler_->held.size(); ++i) {
      Response r;
      r.body = "answer";
      handler_->held[i](std::move(r));
    }
    return 0;
  });
  for (int i = 0; i < kClients; ++i) {
    auto r = clients[i]->Read();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->body, "answer");
  }
  EXPECT_EQ(Pending(), 0u);
  EXPECT_EQ(handler_->cancels, 0);
}

TEST_F(ServerTest, StopAcceptingClosesIdleAndFinishesInFlight) {
  Start();
  Client idle(port_);
  ASSERT_TRUE(idle.Send(Get("/warmup")));
  ASSERT_TRUE(idle.Read().has_value());
  Client parked(port_);
  ASSERT_TRUE(parked.Send(Get("/hold")));
  ASSERT_TRUE(WaitUntil([this] { return server_->PendingRequests() == 1; }));

  OnLoop([this] {
    server_->StopAccepting();
    return 0;
  });
  EXPECT_TRUE(idle.ReadsEof());
  Client late(port_);
  EXPECT_FALSE(late.connected());

  OnLoop([this] {
    Response r;
    r.body = "done";
    handler_->held.at(0)(std::move(r));
    return 0;
  });
  auto r = parked.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(parked.ReadsEof());
  parked.Close();  // ends the server's lingering close at once
  EXPECT_TRUE(WaitUntil([this] { return server_->OpenConnections() == 0; }));
  EXPECT_EQ(server_->port(), port_);
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAlive) {
  Start();
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Header("connection"), "keep-alive");
  ASSERT_TRUE(c.Send("GET /b HTTP/1.0\r\n\r\n"));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "GET /b\n");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.ReadsEof());
}

TEST_F(ServerTest, ClientConnectionCloseAndHandlerClose) {
  Start();
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("GET /x HTTP/1.1\r\nConnection: close\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(c.ReadsEof());
  }
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/close") + Get("/ignored")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_EQ(handler_->requests, 2);
}

TEST_F(ServerTest, HeadResponseHasNoBody) {
  Start();
  Client c(port_);
  c.set_head_request(true);
  ASSERT_TRUE(c.Send("HEAD /h HTTP/1.1\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Header("content-length"), "8");  // length of "HEAD /h\n"
  c.set_head_request(false);
  ASSERT_TRUE(c.Send(Get("/next")));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "GET /next\n");
}

TEST_F(ServerTest, LargeBodiesBothWays) {
  Start();
  Client c(port_);
  std::string body(3 << 20, 'q');
  std::thread sender([&] { EXPECT_TRUE(c.Send(Post("/big", body))); });
  auto r = c.Read();
  sender.join();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body.size(), body.size() + 10);
  EXPECT_EQ(r->body, "POST /big\n" + body);
  ASSERT_TRUE(c.Send(Get("/after")));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "GET /after\n");
}

TEST_F(ServerTest, PipelinedLargeAndSmallResponses) {
  Start();
  Client c(port_);
  std::string big_a(100 << 10, 'a'), big_b(200 << 10, 'b');
  std::string all = Post("/a", big_a) + Get("/small") + Post("/b", big_b) + Get("/tiny");
  std::thread sender([&] { EXPECT_TRUE(c.Send(all)); });
  std::vector<std::string> expected = {"POST /a\n" + big_a, "GET /small\n",
                                       "POST /b\n" + big_b, "GET /tiny\n"};
  for (const std::string& want : expected) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->body == want) << r->body.size() << " vs " << want.size();
  }
  sender.join();
}

TEST_F(ServerTest, ConnectionLimitDefersAccepting) {
  LogCapture capture;
  ServerOptions options;
  options.max_connections = 1;
  Start(options);
  auto first = std::make_unique<Client>(port_);
  ASSERT_TRUE(first->Send(Get("/1")));
  ASSERT_TRUE(first->Read().has_value());
  Client second(port_);  // queued in the kernel's backlog
  ASSERT_TRUE(second.Send(Get("/2")));
  EXPECT_TRUE(WaitUntil([&] {
    return capture.Count(
               "WARN http: connection limit reached: 1 open, the limit is 1 (max_connections); "
               "new connections wait in the listen backlog until one closes") == 1;
  }));
  first.reset();
  auto r = second.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "GET /2\n");
}

TEST_F(ServerTest, LimitConnectionsLowersAndRaisesTheCap) {
  LogCapture capture;
  Start();
  OnLoop([this] {
    server_->LimitConnections(1, "what the open-file limit of 99 leaves for clients");
    return 0;
  });
  Client first(port_);
  ASSERT_TRUE(first.Send(Get("/1")));
  ASSERT_TRUE(first.Read().has_value());
  Client second(port_);
  ASSERT_TRUE(second.Send(Get("/2")));
  EXPECT_TRUE(WaitUntil([&] {
    return capture.Count(
               "http: connection limit reached: 1 open, the limit is 1 (what the "
               "open-file limit of 99 leaves for clients; max_connections 100000)") == 1;
  }));
  EXPECT_EQ(Open(), 1u);
  // A higher cap takes the waiting client in while the first is still open.
  OnLoop([this] {
    server_->LimitConnections(2, "more room");
    return 0;
  });
  auto r = second.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "GET /2\n");
  EXPECT_EQ(Open(), 2u);
  ASSERT_TRUE(first.Send(Get("/1again")));
  ASSERT_TRUE(first.Read().has_value());
}

TEST_F(ServerTest, ListenErrors) {
  Start();
  // The second server touches the loop only from the loop thread.
  OnLoop([this] {
    Server other(&loop_, handler_.get(), {});
    EXPECT_FALSE(other.Listen("127.0.0.1", port_).ok());  // in use
    EXPECT_FALSE(other.Listen("no-such-host.invalid", 0).ok());
    EXPECT_EQ(other.port(), 0);
    return 0;
  });
}

TEST(ServerIpv6Test, ListensOnIpv6Loopback) {
  EventLoop loop;
  TestHandler handler(&loop);
  Server server(&loop, &handler, {});
  if (!server.Listen("::1", 0).ok()) GTEST_SKIP() << "no IPv6 loopback";
  std::thread t([&] { loop.Run(); });
  {
    Client c(server.port(), "::1");
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send(Get("/v6")));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->Header("x-peer").rfind("[::1]:", 0), 0u);
  }
  loop.Stop();
  t.join();
}

TEST(ServerLifetimeTest, DestructorCancelsPendingRequests) {
  EventLoop loop;
  TestHandler handler(&loop);
  auto server = std::make_unique<Server>(&loop, &handler, ServerOptions{});
  ASSERT_TRUE(server->Listen("127.0.0.1", 0).ok());
  Client c(server->port());
  ASSERT_TRUE(c.Send(Get("/hold")));
  // Drive the loop until the request is parked.
  std::function<void()> check = [&] {
    if (server->PendingRequests() == 1) {
      loop.Stop();
    } else {
      loop.RunAfter(1, check);
    }
  };
  loop.RunAfter(0, check);
  loop.Run();
  server.reset();
  EXPECT_EQ(handler.cancels, 1);
  EXPECT_TRUE(c.ReadsEof());
}

}  // namespace
}  // namespace cmq::http
