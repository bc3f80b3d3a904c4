// Black-box: the networks HTTP pushes may reach (defect 7 of issue 10, server-side
// request forgery). A default cmqd refuses, at Subscribe, endpoints whose host is a
// loopback, link-local or metadata address in any spelling, or a cloud metadata name,
// and refuses at connect time a name that resolves to such an address, with the
// reason in the subscription's lastPushError; --push-allow-networks lets a loopback
// sink work, but never cmqd's own port.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/blackbox.h"
#include "support/eventually.h"
#include "support/http_sink.h"

namespace cmq::testing {
namespace {

class PushNetworkTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra_args) {
    ASSERT_TRUE(sink_.listening());
    extra_args.insert(extra_args.end(),
                      {"--backoff-retry-min-seconds", "1", "--backoff-retry-max-seconds", "1"});
    server_ = std::make_unique<TestServer>(std::move(extra_args));
    ASSERT_TRUE(server_->Start()) << server_->process().output();
    caller_ = std::make_unique<Caller>(server_->NewCaller());
    topic_ = UniqueName("ssrf");
    ASSERT_TRUE(IsSuccess(caller_->Call("CreateTopic", {{"topicName", topic_}})));
  }
  void TearDown() override {
    if (HasFailure() && server_) ADD_FAILURE() << "cmqd output:\n" << server_->process().output();
  }
  ClientResult<JsonValue> Subscribe(const std::string& name, const std::string& endpoint) {
    return caller_->Call("Subscribe", {{"topicName", topic_},
                                       {"subscriptionName", name},
                                       {"protocol", "http"},
                                       {"endpoint", endpoint},
                                       {"notifyStrategy", "BACKOFF_RETRY"}});
  }
  JsonValue Attributes(const std::string& name) {
    ClientResult<JsonValue> r = caller_->Call("GetSubscriptionAttributes",
                                              {{"topicName", topic_}, {"subscriptionName", name}});
    return r.ok() ? std::move(r).value() : JsonValue();
  }
  void Publish(const std::string& body) {
    EXPECT_TRUE(
        IsSuccess(caller_->Call("PublishMessage", {{"topicName", topic_}, {"msgBody", body}})));
  }
  // The message of a refused Subscribe (after checking its codes).
  std::string Refusal(const std::string& endpoint) {
    ClientResult<JsonValue> r = Subscribe("refused", endpoint);
    EXPECT_TRUE(IsServerError(r, 4000, 10630)) << endpoint;
    return r.ok() ? StrField(*r, "message") : r.error().message;
  }

  HttpSink sink_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Caller> caller_;
  std::string topic_;
};

TEST_F(PushNetworkTest, DefaultRefusesLoopbackLinkLocalAndMetadataAtSubscribe) {
  Start({});
  if (HasFatalFailure()) return;
  std::string port = std::to_string(sink_.port());
  std::string own = std::to_string(server_->port());
  struct Case {
    std::string endpoint;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"http://127.0.0.1:" + port + "/hook", "127.0.0.1 port " + port + " (loopback)"},
           {"http://0x7f000001:" + port + "/", "127.0.0.1 port " + port + " (loopback)"},
           {"http://2130706433:" + port + "/", "127.0.0.1 port " + port + " (loopback)"},
           {"http://0177.0.0.1:" + port + "/", "127.0.0.1 port " + port + " (loopback)"},
           {"http://127.1:" + port + "/", "127.0.0.1 port " + port + " (loopback)"},
           {"http://[::1]:" + port + "/", "::1 port " + port + " (loopback)"},
           {"http://[::ffff:127.0.0.1]:" + port + "/",
            "::ffff:127.0.0.1 port " + port + " (loopback)"},
           {"http://169.254.169.254/latest/meta-data/", "169.254.169.254 port 80 (link-local)"},
           {"http://0xa9fea9fe/", "169.254.169.254 port 80 (link-local)"},
           {"http://[fe80::1]/", "fe80::1 port 80 (link-local)"},
           {"http://0.0.0.0:" + own + "/", "0.0.0.0 port " + own + " (cmqd's own listener)"},
           {"http://metadata.google.internal/computeMetadata/v1/",
            "metadata.google.internal (cloud metadata service)"},
       }) {
    EXPECT_EQ(Refusal(c.endpoint), "(10630)illegal endpoint: pushes may not reach " + c.reason);
  }
  ClientResult<JsonValue> list = caller_->Call("ListSubscriptionByTopic", {{"topicName", topic_}});
  ASSERT_TRUE(IsSuccess(list));
  EXPECT_EQ(IntField(*list, "totalCount"), 0);
}

TEST_F(PushNetworkTest, NameResolvingToLoopbackIsRefusedAtConnectTime) {
  Start({});
  if (HasFatalFailure()) return;
  // A name is accepted at Subscribe (cmqd does not resolve there); what it resolves
  // to is checked before every connection.
  ASSERT_TRUE(IsSuccess(
      Subscribe("by-name", "http://localhost:" + std::to_string(sink_.port()) + "/by-name")));
  EXPECT_EQ(StrField(Attributes("by-name"), "lastPushError"), "");
  Publish("to a name");
  ASSERT_TRUE(
      Eventually([&] { return !StrField(Attributes("by-name"), "lastPushError").empty(); }));
  JsonValue attributes = Attributes("by-name");
  EXPECT_EQ(StrField(attributes, "lastPushError"),
            "refused: localhost is in a network pushes may not reach (loopback)");
  EXPECT_GE(IntField(attributes, "lastPushErrorTime"), NowSeconds() - 600);
  EXPECT_EQ(IntField(attributes, "msgCount"), 1) << "a failed attempt: retried later";
  EXPECT_GE(IntField(attributes, "pushFailures"), 1);
  EXPECT_EQ(IntField(attributes, "retryBacklog"), 1);
  EXPECT_TRUE(sink_.Requests("/by-name").empty());
}

TEST_F(PushNetworkTest, AllowSettingLetsLoopbackSinksWorkButNeverCmqdItself) {
  Start({"--push-allow-networks", "127.0.0.0/8"});
  if (HasFatalFailure()) return;
  ASSERT_TRUE(IsSuccess(Subscribe("sink", sink_.Url("/allowed"))));
  // localhost resolves to 127.0.0.1 (allowed) and ::1 (still refused).
  ASSERT_TRUE(
      IsSuccess(Subscribe("local", "http://localhost:" + std::to_string(sink_.port()) + "/local")));
  Publish("allowed");
  ASSERT_TRUE(sink_.WaitForRequests("/allowed", 1));
  ASSERT_TRUE(sink_.WaitForRequests("/local", 1));
  EXPECT_TRUE(Eventually([&] { return IntField(Attributes("sink"), "msgCount") == 0; }));
  EXPECT_EQ(StrField(Attributes("sink"), "lastPushError"), "");
  EXPECT_EQ(IntField(Attributes("sink"), "lastPushErrorTime"), 0);

  std::string own = std::to_string(server_->port());
  EXPECT_EQ(Refusal("http://127.0.0.1:" + own + "/"),
            "(10630)illegal endpoint: pushes may not reach 127.0.0.1 port " + own +
                " (cmqd's own listener)");
  EXPECT_EQ(Refusal("http://[::1]:" + std::to_string(sink_.port()) + "/"),
            "(10630)illegal endpoint: pushes may not reach ::1 port " +
                std::to_string(sink_.port()) + " (loopback)");
}

TEST_F(PushNetworkTest, BadNetworkSettingsStopTheStart) {
  for (const char* bad : {"127.0.0.1/8", "localhost", "10.0.0.0/33"}) {
    TestServer server({"--push-allow-networks", bad});
    EXPECT_FALSE(server.Start()) << bad;
    EXPECT_NE(server.process().output().find("push_allow_networks"), std::string::npos)
        << server.process().output();
  }
}

}  // namespace
}  // namespace cmq::testing
