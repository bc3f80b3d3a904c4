// Topic, Subscription and Account topic/subscription methods against a scripted server.
#include "cmq/topic.h"

#include <gtest/gtest.h>

#include "cmq/account.h"
#include "cmq/exceptions.h"
#include "cmq/subscription.h"
#include "sdk/fake_cmq_server_for_test.h"

namespace cmq {
namespace {

using sdk::testing::FakeCmqServer;
using sdk::testing::FakeRequest;
using sdk::testing::Json;
using sdk::testing::Success;

TEST(TopicTest, PublishMessageSendsTagsAndRoutingKey) {
  FakeCmqServer server(Success(R"("msgId":"t1")"));
  Topic topic("news", server.Client());
  EXPECT_EQ(topic.publishMessage("body", {"a", "b"}, "x.y"), "t1");
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("Action"), "PublishMessage");
  EXPECT_EQ(r.Get("topicName"), "news");
  EXPECT_EQ(r.Get("msgBody"), "body");
  EXPECT_EQ(r.Get("msgTag.1"), "a");
  EXPECT_EQ(r.Get("msgTag.2"), "b");
  EXPECT_EQ(r.Get("routingKey"), "x.y");
}

TEST(TopicTest, RoutingKeyIsSentOnlyWhenGivenAndMayBeEmpty) {
  FakeCmqServer server(Success(R"("msgId":"t1")"));
  Topic topic("news", server.Client());
  topic.publishMessage("body");
  EXPECT_FALSE(server.last().Has("routingKey"));
  EXPECT_FALSE(server.last().Has("msgTag.1"));
  topic.publishMessage("body", {}, "");
  EXPECT_EQ(server.last().Get("routingKey"), "");
}

TEST(TopicTest, BatchPublishMessage) {
  FakeCmqServer server(Success(R"("msgList":[{"msgId":"1"},{"msgId":"2"},{"msgId":"3"}])"));
  Topic topic("news", server.Client());
  EXPECT_EQ(topic.batchPublishMessage({"a", "b", "c"}, {"t"}, "k"),
            (std::vector<std::string>{"1", "2", "3"}));
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("Action"), "BatchPublishMessage");
  EXPECT_EQ(r.Get("msgBody.3"), "c");
  EXPECT_EQ(r.Get("msgTag.1"), "t");
  EXPECT_EQ(r.Get("routingKey"), "k");
}

TEST(TopicTest, NoMatchingSubscriptionIsAServerError) {
  FakeCmqServer server(Json(
      R"({"code":6030,"message":"(10730)no bindingKey or filterTag matches","requestId":"r"})"));
  Topic topic("news", server.Client());
  try {
    topic.publishMessage("x", {"nobody"});
    FAIL() << "no exception";
  } catch (const CMQServerException& e) {
    EXPECT_EQ(e.getCode(), 6030);
    EXPECT_EQ(e.getModuleCode(), 10730);
  }
}

TEST(TopicTest, TopicAttributes) {
  FakeCmqServer server(Success(
      R"("msgCount":2,"maxMsgSize":4096,"msgRetentionSeconds":86400,"createTime":5,)"
      R"("lastModifyTime":6,"filterType":2,"topicId":"topic-x","createUin":1,"qps":5000,"tags":[])"));
  Topic topic("news", server.Client());
  TopicMeta meta = topic.getTopicAttributes();
  EXPECT_EQ(meta.maxMsgSize, 4096);
  EXPECT_EQ(meta.filterType, 2);
  EXPECT_EQ(meta.msgRetentionSeconds, 86400);
  EXPECT_EQ(meta.msgCount, 2);
  EXPECT_EQ(meta.createTime, 5);
  EXPECT_EQ(meta.lastModifyTime, 6);
  EXPECT_EQ(meta.topicId, "topic-x");

  TopicMeta change;
  topic.setTopicAttributes(change);
  EXPECT_EQ(server.last().Get("Action"), "SetTopicAttributes");
  EXPECT_FALSE(server.last().Has("maxMsgSize"));
  change.maxMsgSize = 2048;
  topic.setTopicAttributes(change);
  EXPECT_EQ(server.last().Get("maxMsgSize"), "2048");
}

TEST(TopicTest, ListSubscription) {
  FakeCmqServer server(Success(
      R"("totalCount":1,"subscriptionList":[{"subscriptionId":"subsc-1",)"
      R"("subscriptionName":"s1","protocol":"queue","endpoint":"q1"}])"));
  Topic topic("news", server.Client());
  ListResult page = topic.listSubscription("s", 0, 100);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.totalCount, 1);
  EXPECT_EQ(page.items[0].name, "s1");
  EXPECT_EQ(page.items[0].id, "subsc-1");
  EXPECT_EQ(page.items[0].protocol, "queue");
  EXPECT_EQ(page.items[0].endpoint, "q1");
  EXPECT_EQ(server.last().Get("Action"), "ListSubscriptionByTopic");
  EXPECT_EQ(server.last().Get("topicName"), "news");
  EXPECT_EQ(server.last().Get("limit"), "100");
}

TEST(AccountTopicTest, CreateListDeleteTopic) {
  FakeCmqServer server(Success(
      R"("topicId":"topic-1","totalCount":1,"topicList":[{"topicId":"topic-1","topicName":"news"}])"));
  Account account(server.Client());
  EXPECT_EQ(account.createTopic("news", 2048, 2), "topic-1");
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("Action"), "CreateTopic");
  EXPECT_EQ(r.Get("maxMsgSize"), "2048");
  EXPECT_EQ(r.Get("filterType"), "2");
  EXPECT_EQ(account.listTopic().names(), std::vector<std::string>{"news"});
  EXPECT_EQ(server.last().Get("Action"), "ListTopic");
  account.deleteTopic("news");
  EXPECT_EQ(server.last().Get("Action"), "DeleteTopic");
}

TEST(AccountTopicTest, CreateSubscribeSendsEverything) {
  FakeCmqServer server(Success(R"("subscriptionId":"subsc-9")"));
  Account account(server.Client());
  EXPECT_EQ(account.createSubscribe("news", "s1", "q1", "queue", {"t1", "t2"}, {"a.#"},
                                    "BACKOFF_RETRY", "SIMPLIFIED"),
            "subsc-9");
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("Action"), "Subscribe");
  EXPECT_EQ(r.Get("topicName"), "news");
  EXPECT_EQ(r.Get("subscriptionName"), "s1");
  EXPECT_EQ(r.Get("endpoint"), "q1");
  EXPECT_EQ(r.Get("protocol"), "queue");
  EXPECT_EQ(r.Get("filterTag.1"), "t1");
  EXPECT_EQ(r.Get("filterTag.2"), "t2");
  EXPECT_EQ(r.Get("bindingKey.1"), "a.#");
  EXPECT_EQ(r.Get("notifyStrategy"), "BACKOFF_RETRY");
  EXPECT_EQ(r.Get("notifyContentFormat"), "SIMPLIFIED");

  account.createSubscribe("news", "s2", "http://h/x", "http");
  EXPECT_FALSE(server.last().Has("notifyStrategy"));
  EXPECT_FALSE(server.last().Has("notifyContentFormat"));
  EXPECT_FALSE(server.last().Has("filterTag.1"));

  account.deleteSubscribe("news", "s1");
  EXPECT_EQ(server.last().Get("Action"), "Unsubscribe");
  EXPECT_EQ(server.last().Get("subscriptionName"), "s1");
}

TEST(SubscriptionTest, GetAttributesReadsEitherSpelling) {
  FakeCmqServer server(Success(
      R"("topicOwner":"100","msgCount":3,"protocal":"queue","endpoint":"q1",)"
      R"("notifyStrategy":"EXPONENTIAL_DECAY_RETRY","notifyContentFormat":"SIMPLIFIED",)"
      R"("createTime":1,"lastModifyTime":2,"filterTags":["x"],"bindingKey":["k.*"])"));
  Subscription sub("news", "s1", server.Client());
  SubscriptionMeta meta = sub.getSubscriptionAttributes();
  EXPECT_EQ(meta.topicOwner, "100");
  EXPECT_EQ(meta.msgCount, 3);
  EXPECT_EQ(meta.protocol, "queue");
  EXPECT_EQ(meta.endpoint, "q1");
  EXPECT_EQ(meta.notifyStrategy, "EXPONENTIAL_DECAY_RETRY");
  EXPECT_EQ(meta.notifyContentFormat, "SIMPLIFIED");
  EXPECT_EQ(meta.filterTag, std::vector<std::string>{"x"});
  EXPECT_EQ(meta.bindingKey, std::vector<std::string>{"k.*"});
  EXPECT_EQ(meta.createTime, 1);
  EXPECT_EQ(meta.lastModifyTime, 2);
  EXPECT_EQ(server.last().Get("Action"), "GetSubscriptionAttributes");
}

TEST(SubscriptionTest, SetAttributesSendsOnlyNonEmpty) {
  FakeCmqServer server;
  Subscription sub("news", "s1", server.Client());
  SubscriptionMeta meta;
  meta.notifyStrategy = "BACKOFF_RETRY";
  meta.filterTag = {"a"};
  sub.setSubscriptionAttributes(meta);
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("Action"), "SetSubscriptionAttributes");
  EXPECT_EQ(r.Get("notifyStrategy"), "BACKOFF_RETRY");
  EXPECT_FALSE(r.Has("notifyContentFormat"));
  EXPECT_EQ(r.Get("filterTag.1"), "a");
  EXPECT_FALSE(r.Has("bindingKey.1"));

  sub.clearFilterTags();
  EXPECT_EQ(server.last().Get("Action"), "ClearSubscriptionFilterTags");
  EXPECT_EQ(server.last().Get("topicName"), "news");
  EXPECT_EQ(server.last().Get("subscriptionName"), "s1");
}

}  // namespace
}  // namespace cmq
