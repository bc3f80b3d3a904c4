// Black-box: every error a topic or subscription client can trigger answers HTTP 200
// with the code and "(module)" message prefix of docs/cmq-api.md 7.2, 8.2 and 10.4.
#include <gtest/gtest.h>

#include <string>

#include "support/blackbox.h"

namespace cmq::testing {
namespace {

class TopicErrorsTest : public SharedServerTest {
 protected:
  void SetUp() override {
    SharedServerTest::SetUp();
    if (HasFatalFailure()) return;
    topic_ = UniqueName("errtopic");
    queue_ = UniqueName("errqueue");
    Ok("CreateTopic", {{"topicName", topic_}});
    CreateQueue(queue_);
  }
  ClientResult<JsonValue> Call(std::string_view action, ParamList params) {
    return caller_->Call(action, std::move(params));
  }
  // Subscribe to topic_ with `extra` appended (later duplicates win on the server).
  ClientResult<JsonValue> Subscribe(const std::string& protocol, const std::string& endpoint,
                                    ParamList extra = {}) {
    ParamList params = {{"topicName", topic_},
                        {"subscriptionName", "s"},
                        {"protocol", protocol},
                        {"endpoint", endpoint}};
    params.insert(params.end(), extra.begin(), extra.end());
    return Call("Subscribe", std::move(params));
  }
  ClientResult<JsonValue> Publish(const std::string& topic, ParamList extra) {
    extra.emplace_back("topicName", topic);
    return Call("PublishMessage", std::move(extra));
  }

  std::string topic_;
  std::string queue_;
};

TEST_F(TopicErrorsTest, BadNames) {
  for (const std::string& bad : {std::string("1topic"), std::string("has space"),
                                 std::string("dot.dot"), std::string(65, 't')}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(IsServerError(Call("CreateTopic", {{"topicName", bad}}), 4000, 10590));
    EXPECT_TRUE(IsServerError(Publish(bad, {{"msgBody", "m"}}), 4000, 10590));
    EXPECT_TRUE(IsServerError(Call("Subscribe", {{"topicName", topic_},
                                                 {"subscriptionName", bad},
                                                 {"protocol", "queue"},
                                                 {"endpoint", queue_}}),
                              4000, 10580));
    EXPECT_TRUE(IsServerError(
        Call("GetSubscriptionAttributes", {{"topicName", topic_}, {"subscriptionName", bad}}), 4000,
        10580));
  }
}

TEST_F(TopicErrorsTest, UnknownTopicAndSubscription) {
  std::string missing = UniqueName("missing");
  for (const char* action :
       {"GetTopicAttributes", "SetTopicAttributes", "DeleteTopic", "ListSubscriptionByTopic"}) {
    EXPECT_TRUE(IsServerError(Call(action, {{"topicName", missing}}), 4440, 10600)) << action;
  }
  EXPECT_TRUE(IsServerError(Publish(missing, {{"msgBody", "m"}}), 4440, 10600));
  EXPECT_TRUE(IsServerError(
      Call("BatchPublishMessage", {{"topicName", missing}, {"msgBody.1", "m"}}), 4440, 10600));
  for (const char* action : {"GetSubscriptionAttributes", "SetSubscriptionAttributes",
                             "Unsubscribe", "ClearSubscriptionFilterTags"}) {
    EXPECT_TRUE(IsServerError(Call(action, {{"topicName", missing}, {"subscriptionName", "s"}}),
                              4440, 10600))
        << action;
    EXPECT_TRUE(IsServerError(Call(action, {{"topicName", topic_}, {"subscriptionName", "nope"}}),
                              4000, 10560))
        << action;
  }
}

TEST_F(TopicErrorsTest, TopicExistsAndHasSubscriptions) {
  EXPECT_TRUE(IsServerError(Call("CreateTopic", {{"topicName", topic_}}), 4460, 4460));
  ASSERT_TRUE(IsSuccess(Subscribe("queue", queue_)));
  EXPECT_TRUE(IsServerError(Call("DeleteTopic", {{"topicName", topic_}}), 4000, 10540));
  EXPECT_TRUE(IsServerError(Subscribe("queue", queue_), 4490, 10470));
}

TEST_F(TopicErrorsTest, MissingRequiredParameters) {
  EXPECT_TRUE(IsServerError(Call("CreateTopic", {}), 4000, 10390));
  EXPECT_TRUE(IsServerError(Publish(topic_, {}), 4000, 10390));
  EXPECT_TRUE(IsServerError(Call("BatchPublishMessage", {{"topicName", topic_}}), 4000, 10390));
  EXPECT_TRUE(IsServerError(
      Call("Subscribe", {{"topicName", topic_}, {"subscriptionName", "s"}, {"endpoint", queue_}}),
      4000, 10390));
  EXPECT_TRUE(IsServerError(
      Call("Subscribe", {{"topicName", topic_}, {"subscriptionName", "s"}, {"protocol", "queue"}}),
      4000, 10390));
  EXPECT_TRUE(IsServerError(Call("ListSubscriptionByTopic", {}), 4000, 10390));
}

TEST_F(TopicErrorsTest, TopicAttributeRanges) {
  std::string t = UniqueName("range");
  for (const char* size : {"1023", "1048577"}) {
    EXPECT_TRUE(
        IsServerError(Call("CreateTopic", {{"topicName", t}, {"maxMsgSize", size}}), 4000, 10350));
    EXPECT_TRUE(IsServerError(
        Call("SetTopicAttributes", {{"topicName", topic_}, {"maxMsgSize", size}}), 4000, 10350));
  }
  EXPECT_TRUE(
      IsServerError(Call("CreateTopic", {{"topicName", t}, {"filterType", "3"}}), 4000, 10350));
  EXPECT_TRUE(
      IsServerError(Call("CreateTopic", {{"topicName", t}, {"filterType", "x"}}), 4000, 10360));
  EXPECT_TRUE(IsServerError(
      Call("ListSubscriptionByTopic", {{"topicName", topic_}, {"offset", "1001"}}), 4000, 10350));
}

TEST_F(TopicErrorsTest, SubscribeProtocolEndpointStrategyFormat) {
  EXPECT_TRUE(IsServerError(Subscribe("smtp", "http://h/"), 4000, 10510));
  EXPECT_TRUE(IsServerError(Subscribe("http", "http://h/a b"), 4510, 10570));
  EXPECT_TRUE(IsServerError(Subscribe("http", "ftp://h/"), 4000, 10500));
  EXPECT_TRUE(IsServerError(Subscribe("http", "http://h/" + std::string(500, 'p')), 4000, 10500));
  EXPECT_TRUE(IsServerError(Subscribe("queue", "http://h/"), 4000, 10500));
  EXPECT_TRUE(IsServerError(Subscribe("http", queue_), 4000, 10500));
  EXPECT_TRUE(IsServerError(Subscribe("queue", UniqueName("no-such-queue")), 4000, 10630));
  EXPECT_TRUE(
      IsServerError(Subscribe("http", "http://h/", {{"notifyStrategy", "NEVER"}}), 4000, 10520));
  EXPECT_TRUE(
      IsServerError(Subscribe("http", "http://h/", {{"notifyContentFormat", "XML"}}), 4000, 10530));
}

TEST_F(TopicErrorsTest, SubscribeTagAndKeyLimits) {
  ParamList six_tags, six_keys;
  for (int i = 1; i <= 6; ++i) {
    six_tags.emplace_back(std::string("filterTag.").append(std::to_string(i)),
                          std::string("t").append(std::to_string(i)));
    six_keys.emplace_back(std::string("bindingKey.").append(std::to_string(i)),
                          std::string("k").append(std::to_string(i)));
  }
  EXPECT_TRUE(IsServerError(Subscribe("queue", queue_, six_tags), 4000, 10490));
  EXPECT_TRUE(IsServerError(Subscribe("queue", queue_, six_keys), 4000, 10680));
  EXPECT_TRUE(IsServerError(Subscribe("queue", queue_, {{"filterTag.1", std::string(17, 't')}}),
                            4000, 10350));
  EXPECT_TRUE(IsServerError(Subscribe("queue", queue_, {{"bindingKey.1", std::string(65, 'k')}}),
                            4000, 10350));
  EXPECT_TRUE(IsServerError(
      Subscribe("queue", queue_, {{"bindingKey.1", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"}}), 4000,
      10691));
  EXPECT_TRUE(IsServerError(
      Subscribe("queue", queue_, {{"filterTag.1", "a"}, {"filterTag.3", "b"}}), 4000, 10380));
  std::string routing = UniqueName("routing");
  Ok("CreateTopic", {{"topicName", routing}, {"filterType", "2"}});
  EXPECT_TRUE(IsServerError(Call("Subscribe", {{"topicName", routing},
                                               {"subscriptionName", "s"},
                                               {"protocol", "queue"},
                                               {"endpoint", queue_}}),
                            4000, 10710));
}

TEST_F(TopicErrorsTest, PublishErrors) {
  EXPECT_TRUE(IsServerError(Publish(topic_, {{"msgBody", "m"}}), 6030, 10650));
  ASSERT_TRUE(IsSuccess(Subscribe("queue", queue_, {{"filterTag.1", "only"}})));
  EXPECT_TRUE(IsServerError(Publish(topic_, {{"msgBody", "m"}}), 6030, 10730));
  EXPECT_TRUE(IsServerError(Publish(topic_, {{"msgBody", ""}, {"msgTag.1", "only"}}), 4000, 10120));
  EXPECT_TRUE(IsServerError(
      Publish(topic_, {{"msgBody", std::string(65537, 'x')}, {"msgTag.1", "only"}}), 4400, 10230));
  EXPECT_TRUE(
      IsServerError(Publish(topic_, {{"msgBody", "\xff\xfe"}, {"msgTag.1", "only"}}), 4000, 10360));
  ParamList six;
  for (int i = 1; i <= 6; ++i) six.emplace_back("msgTag." + std::to_string(i), "only");
  six.emplace_back("msgBody", "m");
  EXPECT_TRUE(IsServerError(Publish(topic_, six), 4000, 10720));
  EXPECT_TRUE(IsServerError(Publish(topic_, {{"msgBody", "m"}, {"msgTag.1", std::string(17, 'o')}}),
                            4000, 10350));
  EXPECT_TRUE(IsServerError(
      Publish(topic_,
              {{"msgBody", "m"}, {"msgTag.1", "only"}, {"routingKey", std::string(65, 'r')}}),
      4000, 10350));
  EXPECT_TRUE(IsServerError(Publish(topic_, {{"msgBody", "m"},
                                             {"msgTag.1", "only"},
                                             {"routingKey", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"}}),
                            4000, 10691));
  ParamList batch = {{"topicName", topic_}, {"msgTag.1", "only"}};
  for (int i = 1; i <= 17; ++i) batch.emplace_back("msgBody." + std::to_string(i), "m");
  EXPECT_TRUE(IsServerError(Call("BatchPublishMessage", batch), 4000, 10370));

  std::string routing = UniqueName("routing");
  Ok("CreateTopic", {{"topicName", routing}, {"filterType", "2"}});
  Ok("Subscribe", {{"topicName", routing},
                   {"subscriptionName", "s"},
                   {"protocol", "queue"},
                   {"endpoint", queue_},
                   {"bindingKey.1", "a.*"}});
  EXPECT_TRUE(IsServerError(Publish(routing, {{"msgBody", "m"}}), 4000, 10700));
  EXPECT_TRUE(
      IsServerError(Publish(routing, {{"msgBody", "m"}, {"routingKey", "b.c"}}), 6030, 10730));
  // Nothing above reached the queue.
  EXPECT_TRUE(IsServerError(Receive(queue_), 7000, 10200));
}

TEST_F(TopicErrorsTest, BatchPublishTotalOverOneMegabyte) {
  std::string big = UniqueName("bigtopic");
  Ok("CreateTopic", {{"topicName", big}, {"maxMsgSize", "1048576"}});
  Ok("Subscribe",
     {{"topicName", big}, {"subscriptionName", "s"}, {"protocol", "queue"}, {"endpoint", queue_}});
  std::string half(600 * 1024, 'x');
  EXPECT_TRUE(IsServerError(
      Call("BatchPublishMessage", {{"topicName", big}, {"msgBody.1", half}, {"msgBody.2", half}}),
      4470, 10300));
}

}  // namespace
}  // namespace cmq::testing
