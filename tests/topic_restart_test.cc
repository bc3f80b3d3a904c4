// Black-box: a clean stop (SIGTERM) and restart on the same data directory keeps
// topics, subscriptions and their attributes, messages already delivered into queues,
// and HTTP deliveries still pending (DESIGN.md "Durability contract", 9.6).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/blackbox.h"
#include "support/eventually.h"
#include "support/http_sink.h"

namespace cmq::testing {
namespace {

class TopicRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sink_.listening());
    ASSERT_TRUE(server_.Start()) << server_.process().output();
    caller_ = std::make_unique<Caller>(server_.NewCaller());
  }
  void Restart() {
    EXPECT_EQ(server_.process().Terminate(), 0) << "SIGTERM must stop cmqd cleanly; output:\n"
                                                << server_.process().output();
    ASSERT_TRUE(server_.Start()) << server_.process().output();
    caller_ = std::make_unique<Caller>(server_.NewCaller());
  }
  JsonValue Ok(std::string_view action, ParamList params) {
    ClientResult<JsonValue> r = caller_->Call(action, std::move(params));
    EXPECT_TRUE(IsSuccess(r)) << action;
    return r.ok() ? std::move(r).value() : JsonValue();
  }
  // The response without its per-request members.
  static std::string Stable(const JsonValue& v) {
    JsonWriter w;
    w.BeginObject();
    for (const auto& [key, value] : v.members()) {
      if (key == "requestId") continue;
      w.Key(key);
      Write(w, value);
    }
    w.EndObject();
    return w.Take();
  }
  static void Write(JsonWriter& w, const JsonValue& v) {
    switch (v.type()) {
      case JsonValue::Type::kNull:
        w.Null();
        break;
      case JsonValue::Type::kBool:
        w.Bool(v.as_bool());
        break;
      case JsonValue::Type::kNumber:
        w.Int(v.as_int().value_or(-1));
        break;
      case JsonValue::Type::kString:
        w.String(v.as_string());
        break;
      case JsonValue::Type::kArray:
        w.BeginArray();
        for (const JsonValue& item : v.items()) Write(w, item);
        w.EndArray();
        break;
      case JsonValue::Type::kObject:
        w.BeginObject();
        for (const auto& [key, value] : v.members()) {
          w.Key(key);
          Write(w, value);
        }
        w.EndObject();
        break;
    }
  }
  int64_t PendingFor(const std::string& topic, const std::string& subscription) {
    ClientResult<JsonValue> r = caller_->Call(
        "GetSubscriptionAttributes", {{"topicName", topic}, {"subscriptionName", subscription}});
    return r.ok() ? IntField(*r, "msgCount") : -1;
  }

  HttpSink sink_;
  TestServer server_{{"--min-max-msg-heap-num", "1", "--push-allow-networks", "127.0.0.0/8"}};
  std::unique_ptr<Caller> caller_;
};

TEST_F(TopicRestartTest, TopicsAndSubscriptionsSurvive) {
  Ok("CreateQueue", {{"queueName", "inbox"}});
  Ok("CreateTopic", {{"topicName", "Tags-Topic"}, {"maxMsgSize", "4096"}});
  Ok("CreateTopic", {{"topicName", "routes"}, {"filterType", "2"}});
  Ok("CreateTopic", {{"topicName", "deleted-topic"}});
  Ok("DeleteTopic", {{"topicName", "deleted-topic"}});
  Ok("Subscribe", {{"topicName", "Tags-Topic"},
                   {"subscriptionName", "to-inbox"},
                   {"protocol", "queue"},
                   {"endpoint", "inbox"},
                   {"filterTag.1", "keep"},
                   {"notifyStrategy", "BACKOFF_RETRY"}});
  Ok("Subscribe", {{"topicName", "Tags-Topic"},
                   {"subscriptionName", "gone"},
                   {"protocol", "queue"},
                   {"endpoint", "inbox"}});
  Ok("Unsubscribe", {{"topicName", "Tags-Topic"}, {"subscriptionName", "gone"}});
  Ok("Subscribe", {{"topicName", "routes"},
                   {"subscriptionName", "web"},
                   {"protocol", "http"},
                   {"endpoint", sink_.Url("/routes")},
                   {"bindingKey.1", "a.#"},
                   {"bindingKey.2", "*.b"},
                   {"notifyContentFormat", "SIMPLIFIED"}});
  Ok("SetSubscriptionAttributes",
     {{"topicName", "routes"}, {"subscriptionName", "web"}, {"filterTag.1", "stored"}});
  Ok("PublishMessage",
     {{"topicName", "Tags-Topic"}, {"msgBody", "before restart"}, {"msgTag.1", "keep"}});

  auto snapshot = [&] {
    std::vector<std::string> out;
    out.push_back(Stable(Ok("ListTopic", {})));
    for (const char* t : {"Tags-Topic", "routes"}) {
      out.push_back(Stable(Ok("GetTopicAttributes", {{"topicName", t}})));
      out.push_back(Stable(Ok("ListSubscriptionByTopic", {{"topicName", t}})));
    }
    out.push_back(Stable(Ok("GetSubscriptionAttributes",
                            {{"topicName", "Tags-Topic"}, {"subscriptionName", "to-inbox"}})));
    return out;
  };
  // The push to "web" is done before the comparison, so msgCount is stable.
  Ok("PublishMessage", {{"topicName", "routes"}, {"msgBody", "pushed"}, {"routingKey", "a.x"}});
  ASSERT_TRUE(sink_.WaitForRequests("/routes", 1));
  ASSERT_TRUE(Eventually([&] { return PendingFor("routes", "web") == 0; }));
  std::vector<std::string> before = snapshot();
  JsonValue web_before =
      Ok("GetSubscriptionAttributes", {{"topicName", "routes"}, {"subscriptionName", "web"}});

  Restart();

  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(Stable(Ok("GetSubscriptionAttributes",
                      {{"topicName", "routes"}, {"subscriptionName", "web"}})),
            Stable(web_before));
  EXPECT_TRUE(IsServerError(caller_->Call("GetTopicAttributes", {{"topicName", "deleted-topic"}}),
                            4440, 10600));
  EXPECT_TRUE(
      IsServerError(caller_->Call("GetSubscriptionAttributes",
                                  {{"topicName", "Tags-Topic"}, {"subscriptionName", "gone"}}),
                    4000, 10560));
  // The message delivered into the queue before the restart is still there, and the
  // topics keep working.
  ClientResult<JsonValue> m =
      caller_->Call("ReceiveMessage", {{"queueName", "inbox"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(m));
  EXPECT_EQ(StrField(*m, "msgBody"), "before restart");
  Ok("PublishMessage",
     {{"topicName", "Tags-Topic"}, {"msgBody", "after restart"}, {"msgTag.1", "keep"}});
  m = caller_->Call("ReceiveMessage", {{"queueName", "inbox"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(m));
  EXPECT_EQ(StrField(*m, "msgBody"), "after restart");
  Ok("PublishMessage",
     {{"topicName", "routes"}, {"msgBody", "pushed again"}, {"routingKey", "z.b"}});
  ASSERT_TRUE(sink_.WaitForRequests("/routes", 2));
  EXPECT_EQ(sink_.Requests("/routes")[1].body, "pushed again");
  // Names stay taken.
  EXPECT_TRUE(
      IsServerError(caller_->Call("CreateTopic", {{"topicName", "tags-topic"}}), 4460, 4460));
}

TEST_F(TopicRestartTest, PendingHttpDeliveryResumesAfterRestart) {
  sink_.Script("/later", HttpSink::Answer::kError500);
  Ok("CreateTopic", {{"topicName", "t"}});
  Ok("Subscribe", {{"topicName", "t"},
                   {"subscriptionName", "s"},
                   {"protocol", "http"},
                   {"endpoint", sink_.Url("/later")}});
  std::string msg_id =
      StrField(Ok("PublishMessage", {{"topicName", "t"}, {"msgBody", "eventually"}}), "msgId");
  ASSERT_TRUE(sink_.WaitForRequests("/later", 1));
  EXPECT_EQ(PendingFor("t", "s"), 1);

  Restart();
  EXPECT_EQ(PendingFor("t", "s"), 1) << "the failed delivery is still pending";
  // The restarted cmqd attempts it again (still failing), and again after the
  // endpoint recovers.
  size_t seen = sink_.Requests("/later").size();
  ASSERT_TRUE(sink_.WaitForRequests("/later", seen + 1));
  sink_.Script("/later", HttpSink::Answer::kOk);
  seen = sink_.Requests("/later").size();
  ASSERT_TRUE(sink_.WaitForRequests("/later", seen + 1));
  SinkRequest last = sink_.Requests("/later").back();
  EXPECT_EQ(last.HeaderOr("x-cmq-message-id"), msg_id);
  Result<JsonValue> body = ParseJson(last.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(StrField(*body, "msgBody"), "eventually");
  EXPECT_TRUE(Eventually([&] { return PendingFor("t", "s") == 0; }));
}

}  // namespace
}  // namespace cmq::testing
