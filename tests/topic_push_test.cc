// Black-box: HTTP push to subscription endpoints (docs/cmq-api.md 9.5, 9.6): the
// request cmqd makes in both notify formats, retries after failures, and that an
// endpoint which never answers does not hold up another subscription.
//
// cmqd runs with a 1 s BACKOFF_RETRY delay so retries come quickly, and a push
// timeout far longer than any test, so a held request stays held for the whole test.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "support/blackbox.h"
#include "support/eventually.h"
#include "support/http_sink.h"

namespace cmq::testing {
namespace {

constexpr int64_t kAppId = 1000000;  // the default account of cmqd

class TopicPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sink_.listening());
    ASSERT_TRUE(server_.Start()) << server_.process().output();
    caller_ = std::make_unique<Caller>(server_.NewCaller());
    topic_ = UniqueName("push");
    Ok("CreateTopic", {{"topicName", topic_}});
  }
  void TearDown() override {
    if (HasFailure()) {
      std::string out = server_.process().output();
      if (out.size() > 4000) out = "..." + out.substr(out.size() - 4000);
      ADD_FAILURE() << "cmqd output:\n" << out;
    }
  }
  JsonValue Ok(std::string_view action, ParamList params) {
    ClientResult<JsonValue> r = caller_->Call(action, std::move(params));
    EXPECT_TRUE(IsSuccess(r)) << action;
    return r.ok() ? std::move(r).value() : JsonValue();
  }
  void Subscribe(const std::string& name, const std::string& url, ParamList extra = {}) {
    extra.emplace_back("topicName", topic_);
    extra.emplace_back("subscriptionName", name);
    extra.emplace_back("protocol", "http");
    extra.emplace_back("endpoint", url);
    Ok("Subscribe", std::move(extra));
  }
  std::string Publish(const std::string& body, ParamList extra = {}) {
    extra.emplace_back("topicName", topic_);
    extra.emplace_back("msgBody", body);
    return StrField(Ok("PublishMessage", std::move(extra)), "msgId");
  }
  int64_t PendingFor(const std::string& subscription) {
    ClientResult<JsonValue> r = caller_->Call(
        "GetSubscriptionAttributes", {{"topicName", topic_}, {"subscriptionName", subscription}});
    return r.ok() ? IntField(*r, "msgCount") : -1;
  }

  HttpSink sink_;
  TestServer server_{{"--min-max-msg-heap-num", "1", "--backoff-retry-min-seconds", "1",
                      "--backoff-retry-max-seconds", "1", "--push-timeout-seconds", "3600",
                      "--push-allow-networks", "127.0.0.0/8"}};
  std::unique_ptr<Caller> caller_;
  std::string topic_;
};

TEST_F(TopicPushTest, JsonNotificationBodyAndHeaders) {
  Subscribe("json-sub", sink_.Url("/json?token=abc"));
  int64_t before = NowSeconds();
  std::string msg_id = Publish("hello \"push\" 你好", {{"msgTag.1", "a"}, {"msgTag.2", "b"}});
  ASSERT_TRUE(sink_.WaitForRequests("/json", 1));
  SinkRequest r = sink_.Requests("/json")[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/json?token=abc") << "the endpoint exactly as stored";
  EXPECT_EQ(r.HeaderOr("host"), "127.0.0.1:" + std::to_string(sink_.port()));
  EXPECT_EQ(r.HeaderOr("content-type").rfind("text/plain", 0), 0u);
  EXPECT_EQ(r.HeaderOr("user-agent"), "Qcloud Notification Service Agent");
  EXPECT_FALSE(r.HeaderOr("x-cmq-request-id").empty());
  EXPECT_EQ(r.HeaderOr("x-cmq-message-id"), msg_id);
  EXPECT_EQ(r.HeaderOr("x-cmq-message-tag"), "a, b");

  Result<JsonValue> body = ParseJson(r.body);
  ASSERT_TRUE(body.ok()) << r.body;
  const JsonValue* owner = body->Find("TopicOwner");
  ASSERT_NE(owner, nullptr);
  EXPECT_TRUE(owner->is_number()) << "a numeric appId is a JSON number (14.60)";
  EXPECT_EQ(owner->as_int().value_or(-1), kAppId);
  EXPECT_EQ(StrField(*body, "topicName"), topic_);
  EXPECT_EQ(StrField(*body, "subscriptionName"), "json-sub");
  EXPECT_EQ(StrField(*body, "msgId"), msg_id);
  EXPECT_EQ(StrField(*body, "msgBody"), "hello \"push\" 你好");
  ASSERT_TRUE(HasInt(*body, "publishTime"));
  EXPECT_GE(IntField(*body, "publishTime"), before - 1);
  EXPECT_LE(IntField(*body, "publishTime"), NowSeconds() + 1);

  // Without tags the tag header is omitted (14.61).
  std::string untagged = Publish("no tags");
  ASSERT_TRUE(sink_.WaitForRequests("/json", 2));
  SinkRequest second = sink_.Requests("/json")[1];
  EXPECT_EQ(second.HeaderOr("x-cmq-message-id"), untagged);
  EXPECT_EQ(second.Header("x-cmq-message-tag"), nullptr);
  EXPECT_NE(second.HeaderOr("x-cmq-request-id"), r.HeaderOr("x-cmq-request-id"));
  // Both were answered 200: nothing stays pending.
  EXPECT_TRUE(Eventually([&] { return PendingFor("json-sub") == 0; }));
}

TEST_F(TopicPushTest, SimplifiedNotificationIsTheRawBody) {
  Subscribe("plain-sub", sink_.Url("/plain"), {{"notifyContentFormat", "SIMPLIFIED"}});
  std::string body = "{\"raw\": true} & = + %20 \n line two";
  std::string msg_id = Publish(body, {{"msgTag.1", "only"}});
  ASSERT_TRUE(sink_.WaitForRequests("/plain", 1));
  SinkRequest r = sink_.Requests("/plain")[0];
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(r.HeaderOr("x-cmq-message-id"), msg_id);
  EXPECT_EQ(r.HeaderOr("x-cmq-message-tag"), "only");
  EXPECT_EQ(r.HeaderOr("user-agent"), "Qcloud Notification Service Agent");
  EXPECT_EQ(r.HeaderOr("content-type").rfind("text/plain", 0), 0u);

  // A batch publish pushes every message.
  JsonValue batch =
      Ok("BatchPublishMessage", {{"topicName", topic_}, {"msgBody.1", "b1"}, {"msgBody.2", "b2"}});
  ASSERT_TRUE(sink_.WaitForRequests("/plain", 3));
  std::set<std::string> bodies;
  for (const SinkRequest& req : sink_.Requests("/plain")) bodies.insert(req.body);
  EXPECT_EQ(bodies, (std::set<std::string>{body, "b1", "b2"}));
}

TEST_F(TopicPushTest, FailingEndpointIsRetriedUntilItSucceeds) {
  sink_.Script("/flaky", HttpSink::Answer::kOk, /*failures=*/2);
  Subscribe("flaky", sink_.Url("/flaky"), {{"notifyStrategy", "BACKOFF_RETRY"}});
  std::string msg_id = Publish("try again");
  ASSERT_TRUE(sink_.WaitForRequests("/flaky", 3));
  std::vector<SinkRequest> attempts = sink_.Requests("/flaky");
  std::set<std::string> request_ids;
  for (const SinkRequest& a : attempts) {
    EXPECT_EQ(a.HeaderOr("x-cmq-message-id"), msg_id);
    request_ids.insert(a.HeaderOr("x-cmq-request-id"));
    Result<JsonValue> body = ParseJson(a.body);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(StrField(*body, "msgBody"), "try again");
  }
  EXPECT_EQ(request_ids.size(), attempts.size()) << "each attempt has its own request id";
  // The third attempt got 200: the delivery is done.
  EXPECT_TRUE(Eventually([&] { return PendingFor("flaky") == 0; }));
}

TEST_F(TopicPushTest, BackoffRetryGivesUpAfterThreeRetries) {
  sink_.Script("/broken", HttpSink::Answer::kError500);
  Subscribe("broken", sink_.Url("/broken"), {{"notifyStrategy", "BACKOFF_RETRY"}});
  std::string msg_id = Publish("never accepted");
  // The first attempt and 3 retries (9.6), then the message is dropped for it.
  ASSERT_TRUE(sink_.WaitForRequests("/broken", 4));
  EXPECT_TRUE(Eventually([&] { return PendingFor("broken") == 0; }));
  for (const SinkRequest& a : sink_.Requests("/broken")) {
    EXPECT_EQ(a.HeaderOr("x-cmq-message-id"), msg_id);
  }
}

TEST_F(TopicPushTest, HangingEndpointDoesNotHoldUpAnotherSubscription) {
  HttpSink hanging;
  ASSERT_TRUE(hanging.listening());
  hanging.Script("/hang", HttpSink::Answer::kNever);
  Subscribe("stuck", hanging.Url("/hang"));
  Subscribe("healthy", sink_.Url("/fine"));
  std::set<std::string> published;
  for (int i = 0; i < 5; ++i) published.insert(Publish("message " + std::to_string(i)));
  ASSERT_TRUE(sink_.WaitForRequests("/fine", 5));
  std::set<std::string> delivered;
  for (const SinkRequest& r : sink_.Requests("/fine")) {
    delivered.insert(r.HeaderOr("x-cmq-message-id"));
  }
  EXPECT_EQ(delivered, published);
  // Meanwhile the other endpoint holds at least one push unanswered (cmqd's push
  // timeout is an hour), and nothing was delivered to it.
  EXPECT_GE(hanging.Requests("/hang").size(), 1u);
  EXPECT_TRUE(hanging.WaitHeldOpen(1));
  EXPECT_TRUE(Eventually([&] { return PendingFor("healthy") == 0; }));
  EXPECT_EQ(PendingFor("stuck"), 5);
}

TEST_F(TopicPushTest, QueueAndHttpSubscriptionsOnOneTopic) {
  std::string q = UniqueName("mixed-q");
  Ok("CreateQueue", {{"queueName", q}});
  Ok("Subscribe", {{"topicName", topic_},
                   {"subscriptionName", "q"},
                   {"protocol", "queue"},
                   {"endpoint", q},
                   {"filterTag.1", "q"}});
  Subscribe("web", sink_.Url("/mixed"), {{"filterTag.1", "web"}});
  Publish("to the queue", {{"msgTag.1", "q"}});
  std::string both = Publish("to both", {{"msgTag.1", "q"}, {"msgTag.2", "web"}});
  ASSERT_TRUE(sink_.WaitForRequests("/mixed", 1));
  std::vector<SinkRequest> pushed = sink_.Requests("/mixed");
  ASSERT_EQ(pushed.size(), 1u);
  EXPECT_EQ(pushed[0].HeaderOr("x-cmq-message-id"), both);
  std::vector<std::string> received;
  for (int i = 0; i < 2; ++i) {
    ClientResult<JsonValue> r =
        caller_->Call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}});
    ASSERT_TRUE(IsSuccess(r));
    received.push_back(StrField(*r, "msgBody"));
  }
  EXPECT_EQ(received, (std::vector<std::string>{"to the queue", "to both"}));
}

}  // namespace
}  // namespace cmq::testing
