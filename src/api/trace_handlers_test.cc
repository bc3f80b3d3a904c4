// TraceMessage (a cmqd extension, docs/cmq-api.md 13.1): the answer's shape, the client
// address of each receive as the request came, and the errors.
#include <string>

#include "api/api_test_fixture.h"

namespace cmq::api {
namespace {

using TraceTest = ApiTest;

TEST_F(TraceTest, AQueueMessagesLifeWithTheReceivingClients) {
  CreateQueue("q", {{"visibilityTimeout", "1"}});
  std::string id = SendMessage("q", "hello");
  ApiRequest first = Request(
      "POST", SignedParams("POST", "ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}}));
  first.client = "203.0.113.5:40001";
  ExpectOk(Call(first));
  clock_.Advance(1000);
  ApiRequest second = first;
  second.client = "[2001:db8::7]:40002";
  second.body = EncodeForm(
      SignedParams("POST", "ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}}));
  JsonValue got = Call(second);
  ExpectOk(got);
  ExpectOk(Call("DeleteMessage", {{"queueName", "q"}, {"receiptHandle", Str(got, "receiptHandle")}}));

  JsonValue v = Call("TraceMessage", {{"queueName", "q"}, {"msgId", id}});
  ExpectOk(v);
  EXPECT_EQ(Str(v, "msgId"), id);
  ASSERT_NE(v.Find("complete"), nullptr);
  EXPECT_TRUE(v.Find("complete")->as_bool());
  const JsonValue* events = v.Find("events");
  ASSERT_NE(events, nullptr);
  ASSERT_EQ(events->items().size(), 4u);
  const auto& e = events->items();
  EXPECT_EQ(Str(e[0], "event"), "sent");
  EXPECT_EQ(Str(e[0], "queueName"), "q");
  EXPECT_EQ(Int(e[0], "time"), clock_.NowMs() - 1000);
  EXPECT_EQ(Str(e[1], "event"), "received");
  EXPECT_EQ(Str(e[1], "clientAddress"), "203.0.113.5:40001");
  EXPECT_EQ(Int(e[1], "dequeueCount"), 1);
  EXPECT_EQ(Int(e[1], "nextVisibleTime"), clock_.NowMs());
  EXPECT_EQ(Str(e[2], "clientAddress"), "[2001:db8::7]:40002");
  EXPECT_EQ(Int(e[2], "dequeueCount"), 2);
  EXPECT_EQ(Str(e[3], "event"), "deleted");
}

TEST_F(TraceTest, ATopicMessageDeliveredToAQueue) {
  CreateTopic("news");
  CreateQueue("inbox");
  Subscribe("news", "s", "inbox");
  JsonValue published = Call("PublishMessage", {{"topicName", "news"}, {"msgBody", "x"}});
  ExpectOk(published);
  JsonValue v = Call("TraceMessage", {{"topicName", "news"}, {"msgId", Str(published, "msgId")}});
  ExpectOk(v);
  const auto& e = v.Find("events")->items();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(Str(e[0], "event"), "published");
  EXPECT_EQ(Str(e[1], "event"), "delivered");
  EXPECT_EQ(Str(e[1], "subscriptionName"), "s");
  EXPECT_EQ(Str(e[1], "queueName"), "inbox");
  JsonValue q = Call("TraceMessage", {{"queueName", "inbox"}, {"msgId", Str(e[1], "queueMsgId")}});
  ExpectOk(q);
  EXPECT_EQ(Str(q.Find("events")->items()[0], "topicName"), "news");
}

TEST_F(TraceTest, Errors) {
  CreateQueue("q");
  std::string id = SendMessage("q", "a");
  ExpectError(Call("TraceMessage", {{"queueName", "q"}}), 4000, 10390, "msgId");
  ExpectError(Call("TraceMessage", {{"msgId", id}}), 4000, 10390, "queueName");
  ExpectError(Call("TraceMessage", {{"queueName", "nope"}, {"msgId", id}}), 4440, 10100);
  ExpectError(Call("TraceMessage", {{"topicName", "nope"}, {"msgId", id}}), 4440, 10600);
  ExpectError(Call("TraceMessage", {{"queueName", "q"}, {"msgId", "12345678"}}), 4000, 10950);
  ExpectError(Call("TraceMessage", {{"queueName", "q"}, {"msgId", "x1"}}), 4000, 10950);
  off_loop_busy_ = true;
  ExpectError(Call("TraceMessage", {{"queueName", "q"}, {"msgId", id}}), 6000, 10960);
}

}  // namespace
}  // namespace cmq::api
