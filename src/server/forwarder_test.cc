#include "server/forwarder.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <optional>

#include "http/scripted_server.h"
#include "support/free_port.h"

namespace cmq::server {
namespace {

using http::HttpReply;
using http::ReceivedRequest;
using http::ScriptedReply;
using http::ScriptedServer;

class ForwarderTest : public ::testing::Test {
 protected:
  ForwarderTest() {
    signal(SIGPIPE, SIG_IGN);
    ForwarderOptions options;
    options.node_id = "node-b";
    forwarder_ = std::make_unique<Forwarder>(&loop_, env::PosixEnv(), options);
  }

  // Runs the loop until `pred` holds or 10 s pass; returns whether it held.
  bool RunUntil(const std::function<bool()>& pred) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool held = false;
    std::function<void()> check = [&] {
      held = pred();
      if (held || std::chrono::steady_clock::now() > limit) return loop_.Stop();
      loop_.RunAfter(1, check);
    };
    loop_.RunAfter(0, check);
    loop_.Run();
    return held;
  }

  static http::Request ClientRequest() {
    http::Request r;
    r.method = "POST";
    r.target = "/v2/index.php?x=1";
    r.path = "/v2/index.php";
    r.query = "x=1";
    r.host = "cmq.example:8080";
    r.headers = {{"host", "cmq.example:8080"},
                 {"content-type", "application/x-www-form-urlencoded"},
                 {"content-length", "12"},
                 {"connection", "keep-alive"},
                 {"x-forwarded-for", "10.0.0.9"}};
    r.body = "Action=Hello";
    r.peer = "10.0.0.7:5555";
    return r;
  }

  // Forwards and waits for the outcome.
  std::optional<Result<http::Response>> ForwardAndWait(const std::string& peer,
                                                       int64_t timeout_ms = 10000) {
    std::optional<Result<http::Response>> outcome;
    forwarder_->Forward(peer, ClientRequest(), timeout_ms,
                        [&](Result<http::Response> r) { outcome = std::move(r); });
    EXPECT_FALSE(outcome.has_value()) << "done ran inside Forward";
    RunUntil([&] { return outcome.has_value(); });
    return outcome;
  }

  http::EventLoop loop_;
  std::unique_ptr<Forwarder> forwarder_;
};

std::string Peer(const ScriptedServer& s) { return "127.0.0.1:" + std::to_string(s.port()); }

// A port on 127.0.0.1 with nothing listening.
uint16_t ClosedPort() { return cmq::testing::FreeLoopbackPort(); }

TEST_F(ForwarderTest, TheRequestGoesUnchangedAndTheAnswerComesBackAsSent) {
  ScriptedServer owner([](const ReceivedRequest&) {
    return ScriptedReply{HttpReply(200, "{\"code\":0}", "Content-Type: application/json\r\n")};
  });
  auto outcome = ForwardAndWait(Peer(owner));
  ASSERT_TRUE(outcome.has_value());
  ASSERT_TRUE(outcome->ok()) << outcome->status().ToString();
  EXPECT_EQ((*outcome)->status, 200);
  EXPECT_EQ((*outcome)->body, "{\"code\":0}");
  EXPECT_EQ((*outcome)->content_type, "application/json");

  auto requests = owner.requests();
  ASSERT_EQ(requests.size(), 1u);
  const ReceivedRequest& r = requests[0];
  // What the signature covers is as the client sent it.
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v2/index.php?x=1");
  EXPECT_EQ(r.host, "cmq.example:8080");
  EXPECT_EQ(r.body, "Action=Hello");
  EXPECT_EQ(r.HeaderOr("content-type"), "application/x-www-form-urlencoded");
  // Marked, and the client's address appended to the chain.
  EXPECT_EQ(r.HeaderOr(kForwardedByHeader), "node-b");
  EXPECT_EQ(r.HeaderOr("x-forwarded-for"), "10.0.0.9, 10.0.0.7");
}

TEST_F(ForwarderTest, KeptAliveConnectionsCarryLaterForwards) {
  ScriptedServer owner(
      [](const ReceivedRequest&) { return ScriptedReply{HttpReply(200, "{}")}; });
  for (int i = 0; i < 3; ++i) {
    auto outcome = ForwardAndWait(Peer(owner));
    ASSERT_TRUE(outcome.has_value() && outcome->ok());
  }
  EXPECT_EQ(owner.connections_accepted(), 1);
}

TEST_F(ForwarderTest, AKeptAliveConnectionThePeerClosedIsReplaced) {
  // Every answer looks kept-alive, and then the peer closes the connection: the next
  // forward finds it gone (parked and watched, or stale on first write) and uses a
  // new one.
  ScriptedServer owner([](const ReceivedRequest&) {
    return ScriptedReply{HttpReply(200, "{}"), ScriptedReply::Then::kClose};
  });
  ASSERT_TRUE(ForwardAndWait(Peer(owner))->ok());
  auto outcome = ForwardAndWait(Peer(owner));
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(outcome->ok()) << outcome->status().ToString();
  EXPECT_EQ(owner.connections_accepted(), 2);
}

TEST_F(ForwarderTest, AnUnreachablePeerIsARetryableError) {
  auto outcome = ForwardAndWait("127.0.0.1:" + std::to_string(ClosedPort()));
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(outcome->ok());
  EXPECT_EQ(outcome->status().error(), ErrorCode::kStorageUnavailable);
}

TEST_F(ForwarderTest, APeerThatNeverAnswersEndsAtTheTimeout) {
  ScriptedServer owner([](const ReceivedRequest&) {
    return ScriptedReply{"", ScriptedReply::Then::kHoldSilent};
  });
  auto outcome = ForwardAndWait(Peer(owner), 200);
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(outcome->ok());
  EXPECT_EQ(outcome->status().error(), ErrorCode::kStorageUnavailable);
  EXPECT_NE(outcome->status().detail().find("no answer"), std::string::npos)
      << outcome->status().ToString();
  // The connection with the unanswered request is closed, never reused.
  EXPECT_TRUE(RunUntil([&] { return owner.connections_closed() == 1; }));
}

TEST_F(ForwarderTest, CancelClosesTheConnectionSoThePeerDropsAParkedRequest) {
  ScriptedServer owner([](const ReceivedRequest&) {
    return ScriptedReply{"", ScriptedReply::Then::kHoldSilent};
  });
  bool called = false;
  uint64_t id = forwarder_->Forward(Peer(owner), ClientRequest(), 10000,
                                    [&](Result<http::Response>) { called = true; });
  ASSERT_TRUE(RunUntil([&] { return owner.request_count() == 1; }));
  forwarder_->Cancel(id);
  EXPECT_TRUE(RunUntil([&] { return owner.connections_closed() == 1; }));
  EXPECT_FALSE(called);
  EXPECT_EQ(forwarder_->InFlight(), 0u);
}

TEST_F(ForwarderTest, ABadPeerAddressIsAnError) {
  auto outcome = ForwardAndWait("not a host:port");
  ASSERT_TRUE(outcome.has_value());
  EXPECT_FALSE(outcome->ok());
}

}  // namespace
}  // namespace cmq::server
