#include "delivery/pusher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "delivery/pusher_test_util.h"
#include "http/scripted_server.h"
#include "support/free_port.h"

namespace cmq::delivery {
namespace {

using http::HttpReply;
using http::ReceivedRequest;
using http::ScriptedReply;
using http::ScriptedServer;
using testing::MakeTask;

class PusherTest : public testing::PusherFixture {};

ScriptedReply Ok(const ReceivedRequest&) {
  return {HttpReply(200, "ok"), ScriptedReply::Then::kKeepOpen};
}

// A port on 127.0.0.1 with nothing listening.
uint16_t ClosedPort() { return cmq::testing::FreeLoopbackPort(); }

TEST_F(PusherTest, JsonPushCarriesEveryHeader) {
  ScriptedServer sink(Ok);
  MakePusher();
  broker::PushTask task = MakeTask(sink.Url("/cgi/notify?k=v"), "msg-42");
  task.tags = {"a", "b"};
  EXPECT_EQ(PushAndWait(task), true);
  auto reqs = sink.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const ReceivedRequest& r = reqs[0];
  std::string body = R"({"TopicOwner":1300000001,"topicName":"orders","subscriptionName":"hook",)"
                     R"("msgId":"msg-42","msgBody":"hello","publishTime":1700000000})";
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/cgi/notify?k=v");
  EXPECT_EQ(r.version_minor, 1);
  EXPECT_EQ(r.HeaderOr("host"), "127.0.0.1:" + std::to_string(sink.port()));
  EXPECT_EQ(r.HeaderOr("content-type"), "text/plain");
  EXPECT_EQ(r.HeaderOr("user-agent"), "Qcloud Notification Service Agent");
  EXPECT_EQ(r.HeaderOr("x-cmq-message-id"), "msg-42");
  EXPECT_EQ(r.HeaderOr("x-cmq-message-tag"), "a, b");
  EXPECT_EQ(r.HeaderOr("content-length"), std::to_string(body.size()));
  EXPECT_FALSE(r.HeaderOr("x-cmq-request-id").empty());
  EXPECT_EQ(r.body, body);
}

TEST_F(PusherTest, SimplifiedPushIsTheRawBodyWithoutTagHeader) {
  ScriptedServer sink(Ok);
  MakePusher();
  broker::PushTask task = MakeTask(sink.Url("/"));
  task.format = broker::ContentFormat::kSimplified;
  task.body = "{\"raw\":true}";
  EXPECT_EQ(PushAndWait(task), true);
  EXPECT_EQ(PushAndWait(task), true);
  auto reqs = sink.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body, "{\"raw\":true}");
  EXPECT_EQ(reqs[0].Header("x-cmq-message-tag"), nullptr);
  // Every attempt has its own request id.
  EXPECT_NE(reqs[0].HeaderOr("x-cmq-request-id"), reqs[1].HeaderOr("x-cmq-request-id"));
}

TEST_F(PusherTest, OnlyTwoHundredsAreDelivered) {
  std::atomic<int> status{200};
  ScriptedServer sink([&](const ReceivedRequest&) {
    std::string extra = status == 302 ? "Location: /elsewhere\r\n" : "";
    return ScriptedReply{HttpReply(status, "body", extra), ScriptedReply::Then::kKeepOpen};
  });
  MakePusher();
  for (int s : {200, 201, 204, 299, 302, 304, 400, 404, 500, 503}) {
    status = s;
    EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), s >= 200 && s < 300) << s;
  }
  // The redirect was not followed.
  for (const ReceivedRequest& r : sink.requests()) EXPECT_EQ(r.target, "/push");
  EXPECT_EQ(sink.request_count(), 10u);
}

TEST_F(PusherTest, ConnectionRefusedFails) {
  MakePusher();
  EXPECT_EQ(PushAndWait(MakeTask("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/")),
            false);
  EXPECT_EQ(pusher_->stats().failed, 1u);
}

TEST_F(PusherTest, SilentEndpointTimesOut) {
  ScriptedServer sink([](const ReceivedRequest&) {
    return ScriptedReply{"", ScriptedReply::Then::kHoldSilent};
  });
  PusherOptions options;
  options.timeout_ms = 300;
  MakePusher(options);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(pusher_->stats().open_connections, 0u);  // the busy connection was closed
}

TEST_F(PusherTest, PartialResponseTimesOut) {
  ScriptedServer sink([](const ReceivedRequest&) {
    return ScriptedReply{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                         ScriptedReply::Then::kHoldSilent};
  });
  PusherOptions options;
  options.timeout_ms = 300;
  MakePusher(options);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
}

TEST_F(PusherTest, MalformedAndTruncatedResponsesFail) {
  std::atomic<int> n{0};
  ScriptedServer sink([&](const ReceivedRequest&) {
    switch (n++) {
      case 0:
        return ScriptedReply{"garbage\r\n\r\n", ScriptedReply::Then::kClose};
      case 1:
        return ScriptedReply{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                             ScriptedReply::Then::kClose};
      case 2:
        return ScriptedReply{"", ScriptedReply::Then::kClose};
      default:
        return ScriptedReply{"HTTP/1.1 200 OK\r\n\r\nuntil close", ScriptedReply::Then::kClose};
    }
  });
  MakePusher();
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), true);  // close-delimited 200
}

TEST_F(PusherTest, BadEndpointFailsOutsidePush) {
  MakePusher();
  EXPECT_EQ(PushAndWait(MakeTask("ftp://nowhere/")), false);
  EXPECT_EQ(PushAndWait(MakeTask("http://no-such-host.invalid/")), false);
}

TEST_F(PusherTest, KeepAliveCarriesManyPushesOnOneConnection) {
  ScriptedServer sink(Ok);
  PusherOptions options;
  options.max_outstanding_per_endpoint = 1;
  MakePusher(options);
  for (int i = 0; i < 50; ++i)
    Push(MakeTask(sink.Url(), std::string("m").append(std::to_string(i))));
  ASSERT_TRUE(RunUntil([&] { return AllCompleted(); }));
  for (const auto& o : outcomes_) EXPECT_EQ(o, true);
  EXPECT_EQ(sink.connections_accepted(), 1);
  EXPECT_EQ(sink.request_count(), 50u);
  EXPECT_EQ(pusher_->stats().connections_opened, 1u);
  // FIFO per endpoint.
  auto reqs = sink.requests();
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(reqs[i].HeaderOr("x-cmq-message-id"), std::string("m").append(std::to_string(i)));
}

TEST_F(PusherTest, ChunkedResponsesKeepTheConnection) {
  ScriptedServer sink([](const ReceivedRequest&) {
    return ScriptedReply{
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n",
        ScriptedReply::Then::kKeepOpen};
  });
  PusherOptions options;
  options.max_outstanding_per_endpoint = 1;
  MakePusher(options);
  for (int i = 0; i < 5; ++i) Push(MakeTask(sink.Url()));
  ASSERT_TRUE(RunUntil([&] { return AllCompleted(); }));
  for (const auto& o : outcomes_) EXPECT_EQ(o, true);
  EXPECT_EQ(sink.connections_accepted(), 1);
}

TEST_F(PusherTest, DeadEndpointDoesNotHoldUpOthers) {
  ScriptedServer dead([](const ReceivedRequest&) {
    return ScriptedReply{"", ScriptedReply::Then::kHoldSilent};
  });
  ScriptedServer alive(Ok);
  PusherOptions options;
  options.timeout_ms = 60000;  // the dead endpoint's pushes stay outstanding throughout
  options.max_outstanding_per_endpoint = 4;
  MakePusher(options);
  std::vector<size_t> dead_slots, alive_slots;
  for (int i = 0; i < 20; ++i) {
    dead_slots.push_back(Push(MakeTask(dead.Url())));
    alive_slots.push_back(Push(MakeTask(alive.Url())));
  }
  ASSERT_TRUE(RunUntil([&] {
    for (size_t i : alive_slots) {
      if (!outcomes_[i].has_value()) return false;
    }
    return true;
  }));
  for (size_t i : alive_slots) EXPECT_EQ(outcomes_[i], true);
  for (size_t i : dead_slots) EXPECT_FALSE(outcomes_[i].has_value());
  Pusher::Stats stats = pusher_->stats();
  EXPECT_EQ(stats.outstanding, 4u);
  EXPECT_EQ(stats.queued, 16u);
  // Destroying the pusher drops the outstanding pushes without calling back.
  pusher_.reset();
  for (size_t i : dead_slots) EXPECT_FALSE(outcomes_[i].has_value());
}

TEST_F(PusherTest, OutstandingPushesPerEndpointAreBounded) {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  ScriptedServer sink([&](const ReceivedRequest&) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return released; });
    return ScriptedReply{HttpReply(200), ScriptedReply::Then::kKeepOpen};
  });
  PusherOptions options;
  options.max_outstanding_per_endpoint = 3;
  MakePusher(options);
  for (int i = 0; i < 12; ++i) Push(MakeTask(sink.Url()));
  // Three requests are held by the sink; nothing more can be in flight.
  ASSERT_TRUE(RunUntil([&] { return sink.request_count() >= 3; }));
  EXPECT_EQ(pusher_->stats().outstanding, 3u);
  EXPECT_EQ(pusher_->stats().queued, 9u);
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
  }
  cv.notify_all();
  ASSERT_TRUE(RunUntil([&] { return AllCompleted(); }));
  for (const auto& o : outcomes_) EXPECT_EQ(o, true);
  EXPECT_EQ(sink.max_concurrent_connections(), 3);
  EXPECT_LE(sink.connections_accepted(), 3);
  EXPECT_EQ(sink.request_count(), 12u);
}

TEST_F(PusherTest, StaleKeptAliveConnectionIsRetriedOnceOnAFreshOne) {
  // Connection 1 answers its first request, then closes on the second without a byte
  // (as a server whose idle timer fired at that moment would).
  std::atomic<int> seen_on_first{0};
  ScriptedServer sink([&](const ReceivedRequest& r) {
    if (r.connection == 1 && ++seen_on_first == 2)
      return ScriptedReply{"", ScriptedReply::Then::kClose};
    return ScriptedReply{HttpReply(200), ScriptedReply::Then::kKeepOpen};
  });
  MakePusher();
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url(), "first")), true);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url(), "second")), true);
  auto reqs = sink.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].connection, 1);
  EXPECT_EQ(reqs[2].connection, 2);
  EXPECT_EQ(reqs[2].HeaderOr("x-cmq-message-id"), "second");
  EXPECT_EQ(pusher_->stats().stale_retries, 1u);
}

TEST_F(PusherTest, StaleRetryHappensOnlyOnce) {
  // Every reused connection is closed on its second request; the retry runs on a
  // fresh connection, which then fails too: no third try.
  std::atomic<int> fresh_fails{0};
  ScriptedServer sink([&](const ReceivedRequest& r) {
    if (r.connection == 1 && r.HeaderOr("x-cmq-message-id") == "first") {
      return ScriptedReply{HttpReply(200), ScriptedReply::Then::kKeepOpen};
    }
    ++fresh_fails;
    return ScriptedReply{"", ScriptedReply::Then::kClose};
  });
  MakePusher();
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url(), "first")), true);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url(), "second")), false);
  EXPECT_EQ(sink.request_count(), 3u);
  EXPECT_EQ(pusher_->stats().stale_retries, 1u);
}

TEST_F(PusherTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  ScriptedServer sink(Ok);
  PusherOptions options;
  options.idle_timeout_ms = 50;
  MakePusher(options);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), true);
  ASSERT_TRUE(RunUntil([&] { return pusher_->stats().open_connections == 0; }));
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), true);
  EXPECT_EQ(sink.connections_accepted(), 2);
}

TEST_F(PusherTest, ServerClosingAnIdleConnectionIsNoticed) {
  ScriptedServer sink([](const ReceivedRequest&) {
    return ScriptedReply{HttpReply(200), ScriptedReply::Then::kClose};
  });
  MakePusher();
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), true);
  ASSERT_TRUE(RunUntil([&] { return pusher_->stats().open_connections == 0; }));
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), true);
  EXPECT_EQ(pusher_->stats().stale_retries, 0u);
}

TEST_F(PusherTest, FullEndpointQueueFailsTheExcess) {
  ScriptedServer dead([](const ReceivedRequest&) {
    return ScriptedReply{"", ScriptedReply::Then::kHoldSilent};
  });
  PusherOptions options;
  options.timeout_ms = 60000;
  options.max_outstanding_per_endpoint = 1;
  options.max_queued_per_endpoint = 2;
  MakePusher(options);
  for (int i = 0; i < 5; ++i) Push(MakeTask(dead.Url()));
  EXPECT_EQ(Completed(), 0u);  // never inside Push
  ASSERT_TRUE(RunUntil([&] { return Completed() == 3; }));
  for (int i = 2; i < 5; ++i) EXPECT_EQ(outcomes_[i], false);
  EXPECT_EQ(pusher_->stats().queued + pusher_->stats().outstanding, 2u);
}

TEST_F(PusherTest, LocalhostNameIsResolved) {
  ScriptedServer sink(Ok);
  MakePusher();
  EXPECT_EQ(PushAndWait(MakeTask("http://localhost:" + std::to_string(sink.port()) + "/x")), true);
  EXPECT_EQ(sink.requests()[0].HeaderOr("host"), "localhost:" + std::to_string(sink.port()));
}

// Defect 7: the policy is applied to every resolved address before connecting.
TEST_F(PusherTest, DefaultPolicyRefusesLoopbackLiteralsAndNamesWithoutConnecting) {
  ScriptedServer sink(Ok);
  PusherOptions options;
  options.policy = std::make_shared<const PushNetworkPolicy>();
  MakePusher(options);
  std::string port = std::to_string(sink.port());
  EXPECT_EQ(PushAndWait(MakeTask("http://127.0.0.1:" + port + "/")), false);
  EXPECT_EQ(errors_.back(), "refused: 127.0.0.1 is in a network pushes may not reach (loopback)");
  // The endpoint parser reads these as 127.0.0.1 too; none may reach the sink.
  for (const char* host :
       {"2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]"}) {
    EXPECT_EQ(PushAndWait(MakeTask(std::string("http://") + host + ":" + port + "/")), false);
    EXPECT_NE(errors_.back().find("(loopback)"), std::string::npos)
        << host << ": " << errors_.back();
  }
  // A name is judged by what it resolves to (localhost: 127.0.0.1 and ::1), and the
  // owner's error does not show the addresses.
  EXPECT_EQ(PushAndWait(MakeTask("http://localhost:" + port + "/")), false);
  EXPECT_EQ(errors_.back(), "refused: localhost is in a network pushes may not reach (loopback)");
  EXPECT_EQ(sink.request_count(), 0u);
  EXPECT_EQ(sink.connections_accepted(), 0);
  EXPECT_EQ(pusher_->stats().connections_opened, 0u);
}

TEST_F(PusherTest, OnlyAllowedAddressesOfANameAreConnectedTo) {
  // localhost resolves to 127.0.0.1 (where the sink is) and ::1; only ::1 is allowed,
  // so the push must not reach the sink (it fails connecting to [::1]).
  ScriptedServer sink(Ok);
  PushNetworkPolicy::Lists lists;
  lists.allow.push_back(*IpNetwork::Parse("::1"));
  PusherOptions options;
  options.policy = std::make_shared<const PushNetworkPolicy>(lists);
  MakePusher(options);
  EXPECT_EQ(PushAndWait(MakeTask("http://localhost:" + std::to_string(sink.port()) + "/")), false);
  EXPECT_EQ(errors_.back().rfind("connect to [::1]:", 0), 0u) << errors_.back();
  EXPECT_EQ(sink.request_count(), 0u);
  EXPECT_EQ(sink.connections_accepted(), 0);
}

TEST_F(PusherTest, OwnListenerIsRefusedEvenWhenLoopbackIsAllowed) {
  ScriptedServer sink(Ok);
  PushNetworkPolicy::Lists lists;
  lists.allow.push_back(*IpNetwork::Parse("127.0.0.0/8"));
  auto policy = std::make_shared<PushNetworkPolicy>(lists);
  policy->AddOwnPort(sink.port());  // as if the sink were cmqd's API
  PusherOptions options;
  options.policy = policy;
  MakePusher(options);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(errors_.back(),
            "refused: 127.0.0.1 is in a network pushes may not reach (cmqd's own listener)");
  EXPECT_EQ(sink.request_count(), 0u);
}

TEST_F(PusherTest, FailuresSayWhy) {
  ScriptedServer sink([](const ReceivedRequest&) { return ScriptedReply{HttpReply(503)}; });
  MakePusher();
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(errors_.back(), "HTTP status 503");
  EXPECT_EQ(PushAndWait(MakeTask("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/")), false);
  EXPECT_NE(errors_.back().find("Connection refused"), std::string::npos) << errors_.back();
  EXPECT_EQ(PushAndWait(MakeTask("ftp://h/")), false);
  EXPECT_NE(errors_.back().find("must start with http:// or https://"), std::string::npos);
}

TEST_F(PusherTest, DoneMayPushAgain) {
  ScriptedServer sink(Ok);
  MakePusher();
  int chain = 0;
  Pusher::Done next = [&](bool ok, std::string_view) {
    EXPECT_TRUE(ok);
    if (++chain < 5) pusher_->Push(MakeTask(sink.Url()), next);
  };
  pusher_->Push(MakeTask(sink.Url()), next);
  ASSERT_TRUE(RunUntil([&] { return chain == 5; }));
  EXPECT_EQ(sink.request_count(), 5u);
}

}  // namespace
}  // namespace cmq::delivery
