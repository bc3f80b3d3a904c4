// Black-box: publishing fans out into queue subscriptions (docs/cmq-api.md 9.1-9.4):
// tag filtering, routing/binding keys, the raw body in every queue, and the topic and
// subscription counters.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "support/blackbox.h"

namespace cmq::testing {
namespace {

class TopicFanoutTest : public SharedServerTest {
 protected:
  void CreateTopic(const std::string& name, ParamList attributes = {}) {
    attributes.emplace_back("topicName", name);
    Ok("CreateTopic", std::move(attributes));
  }
  // A new queue subscribed to `topic` under the queue's own name.
  std::string SubscribeQueue(const std::string& topic, const std::string& prefix,
                             ParamList extra = {}) {
    std::string q = UniqueName(prefix);
    CreateQueue(q);
    extra.emplace_back("topicName", topic);
    extra.emplace_back("subscriptionName", q);
    extra.emplace_back("protocol", "queue");
    extra.emplace_back("endpoint", q);
    Ok("Subscribe", std::move(extra));
    return q;
  }
  // Receives (and deletes) until the queue is empty; the bodies in arrival order.
  std::vector<std::string> Drain(const std::string& q) {
    std::vector<std::string> bodies;
    while (true) {
      ClientResult<JsonValue> r = Receive(q);
      if (!r.ok()) {
        EXPECT_TRUE(IsServerError(r, 7000, 10200));
        return bodies;
      }
      bodies.push_back(StrField(*r, "msgBody"));
      Ok("DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(*r, "receiptHandle")}});
    }
  }
  static std::multiset<std::string> Set(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
  }
};

TEST_F(TopicFanoutTest, TagFiltering) {
  std::string t = UniqueName("tags");
  CreateTopic(t);
  // Binding keys mean nothing on a tag topic (14.52).
  std::string all = SubscribeQueue(t, "all", {{"bindingKey.1", "route.#"}});
  std::string red = SubscribeQueue(t, "red", {{"filterTag.1", "red"}, {"filterTag.2", "crimson"}});
  // The C++ SDK numbers Subscribe's tags from 0.
  std::string blue = SubscribeQueue(t, "blue", {{"filterTag.0", "blue"}});

  Ok("PublishMessage", {{"topicName", t}, {"msgBody", "untagged"}});
  Ok("PublishMessage", {{"topicName", t}, {"msgBody", "crimson"}, {"msgTag.1", "crimson"}});
  Ok("PublishMessage",
     {{"topicName", t}, {"msgBody", "both"}, {"msgTag.1", "blue"}, {"msgTag.2", "red"}});
  Ok("PublishMessage", {{"topicName", t}, {"msgBody", "case"}, {"msgTag.1", "RED"}});
  // PHP sends filterTag.N as the message tags of a batch publish.
  Ok("BatchPublishMessage",
     {{"topicName", t}, {"msgBody.1", "php1"}, {"msgBody.2", "php2"}, {"filterTag.1", "blue"}});
  // The subscription without tags accepts every message.
  EXPECT_TRUE(IsSuccess(caller_->Call(
      "PublishMessage", {{"topicName", t}, {"msgBody", "x"}, {"msgTag.1", "green"}})));

  EXPECT_EQ(Set(Drain(all)), Set({"untagged", "crimson", "both", "case", "php1", "php2", "x"}));
  EXPECT_EQ(Set(Drain(red)), Set({"crimson", "both"}));
  EXPECT_EQ(Set(Drain(blue)), Set({"both", "php1", "php2"}));

  // Cleared tags receive everything again.
  Ok("ClearSubscriptionFilterTags", {{"topicName", t}, {"subscriptionName", blue}});
  Ok("PublishMessage", {{"topicName", t}, {"msgBody", "after clear"}});
  EXPECT_EQ(Drain(blue), std::vector<std::string>{"after clear"});
}

TEST_F(TopicFanoutTest, RoutingKeys) {
  std::string t = UniqueName("routing");
  CreateTopic(t, {{"filterType", "2"}});
  std::string hash = SubscribeQueue(t, "hash", {{"bindingKey.1", "#"}});
  std::string star = SubscribeQueue(t, "star", {{"bindingKey.1", "*"}});
  std::string words =
      SubscribeQueue(t, "words", {{"bindingKey.0", "1.*.0"}, {"bindingKey.1", "a.#"}});
  // Tags mean nothing on a routing topic (14.52).
  std::string tagged =
      SubscribeQueue(t, "tagged", {{"bindingKey.1", "1.#.0"}, {"filterTag.1", "z"}});

  for (const char* key : {"", "abc", "1.x.0", "1.0", "1.a.b.0", "a", "a.b.c", "A"}) {
    Ok("PublishMessage",
       {{"topicName", t}, {"msgBody", std::string("key=") + key}, {"routingKey", key}});
  }
  EXPECT_TRUE(IsServerError(caller_->Call("PublishMessage", {{"topicName", t}, {"msgBody", "m"}}),
                            4000, 10700));

  EXPECT_EQ(Set(Drain(hash)), Set({"key=", "key=abc", "key=1.x.0", "key=1.0", "key=1.a.b.0",
                                   "key=a", "key=a.b.c", "key=A"}));
  EXPECT_EQ(Set(Drain(star)), Set({"key=abc", "key=a", "key=A"}));
  EXPECT_EQ(Set(Drain(words)), Set({"key=1.x.0", "key=a", "key=a.b.c"}));
  EXPECT_EQ(Set(Drain(tagged)), Set({"key=1.x.0", "key=1.0", "key=1.a.b.0"}));

  // New binding keys replace the old ones.
  Ok("SetSubscriptionAttributes",
     {{"topicName", t}, {"subscriptionName", star}, {"bindingKey.1", "b.*"}});
  Ok("PublishMessage", {{"topicName", t}, {"msgBody", "b.c"}, {"routingKey", "b.c"}});
  Ok("PublishMessage", {{"topicName", t}, {"msgBody", "solo"}, {"routingKey", "solo"}});
  EXPECT_EQ(Drain(star), std::vector<std::string>{"b.c"});
}

TEST_F(TopicFanoutTest, BodiesArriveRawInEveryQueue) {
  std::string t = UniqueName("raw");
  CreateTopic(t, {{"maxMsgSize", "1048576"}});
  // JSON on a queue subscription is stored as SIMPLIFIED: the raw body (14.48).
  std::string json = SubscribeQueue(t, "json", {{"notifyContentFormat", "JSON"}});
  std::string plain = SubscribeQueue(t, "plain");
  std::string body = "héllo 你好 {\"not\":\"json\"} & = + %20";
  std::string big(300 * 1024, 'b');
  Ok("PublishMessage", {{"topicName", t}, {"msgBody", body}});
  Ok("BatchPublishMessage", {{"topicName", t}, {"msgBody.1", big}, {"msgBody.2", "tail"}});
  for (const std::string& q : {json, plain}) {
    EXPECT_EQ(Drain(q), (std::vector<std::string>{body, big, "tail"})) << q;
  }
}

TEST_F(TopicFanoutTest, QueueMissingOrUnsubscribedMeansNoDelivery) {
  std::string t = UniqueName("gone");
  CreateTopic(t);
  std::string kept = SubscribeQueue(t, "kept");
  std::string left = SubscribeQueue(t, "left");
  Ok("Unsubscribe", {{"topicName", t}, {"subscriptionName", left}});
  Ok("PublishMessage", {{"topicName", t}, {"msgBody", "m1"}});
  EXPECT_EQ(Drain(kept), std::vector<std::string>{"m1"});
  EXPECT_TRUE(Drain(left).empty());

  // A deleted endpoint queue: publishing still succeeds, the delivery stays pending
  // for retries, and the other subscriptions are served.
  std::string doomed = SubscribeQueue(t, "doomed");
  Ok("DeleteQueue", {{"queueName", doomed}});
  Ok("PublishMessage", {{"topicName", t}, {"msgBody", "m2"}});
  EXPECT_EQ(Drain(kept), std::vector<std::string>{"m2"});
  JsonValue s = Ok("GetSubscriptionAttributes", {{"topicName", t}, {"subscriptionName", doomed}});
  EXPECT_GE(IntField(s, "msgCount"), 1);
  EXPECT_GE(IntField(Ok("GetTopicAttributes", {{"topicName", t}}), "msgCount"), 1);
  JsonValue ok = Ok("GetSubscriptionAttributes", {{"topicName", t}, {"subscriptionName", kept}});
  EXPECT_EQ(IntField(ok, "msgCount"), 0);
}

}  // namespace
}  // namespace cmq::testing
